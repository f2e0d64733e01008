/*
** wire.h - the framing and word splitting of Netdata 1.37.1's streaming command stream
** (shared/spec/stream-protocol.md §3.1): bytes from the child become '\n'-terminated lines of at
** most 15359 bytes, and a line becomes at most 20 words. Pure code, no I/O: the receiver reads
** the socket into the space the reader offers, and hands each line to ingest.h.
**
** Framing follows receiver_next_line() of 1.37.1: a line is cut when 15360 bytes have arrived
** without a '\n' (the cut piece keeps all 15360 bytes and the rest of the line starts the next
** one), NUL bytes are data like any other, and the result never depends on how the bytes were
** split across reads. Memory: one buffer of WIRE_MAX_LINE + 1 bytes per reader, never grown.
*/
#ifndef STREAMC_WIRE_H
#define STREAMC_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define WIRE_MAX_LINE 15360       /* Netdata: 16384-1024; a line keeps 15359 bytes + '\n' */
#define WIRE_MAX_WORDS 20
/* What 1.37.1 logs for a cut line (the receiver logs it when wire_reader_next sets *truncated). */
#define WIRE_TRUNCATED_LOG "STREAM: received line exceeds 15360 bytes. Truncating it."

typedef struct WireReader {
    char *buf;                    /* WIRE_MAX_LINE + 1 bytes (the +1 holds a cut line's NUL) */
    size_t cap, start, len;       /* unconsumed bytes are buf[start .. start+len) */
    int truncated_pending;        /* WIRE_MAX_LINE bytes without '\n' wait: the next line is cut */
    size_t scanned;               /* bytes after start already known to hold no '\n' */
} WireReader;

/* Allocate the buffer. 0 on success, -1 when out of memory (R is then safe to free). */
int wire_reader_init(WireReader *r);
/* Release the buffer; R may be zeroed, initialised or failed to initialise. */
void wire_reader_free(WireReader *r);
/* Space to read into: *N bytes at the returned pointer (never 0 unless a line is pending).
   Moves unconsumed bytes to the front, so lines returned earlier are no longer valid. */
char *wire_reader_space(WireReader *r, size_t *n);
/* N bytes were read into the space (N larger than the space is clamped to it). */
void wire_reader_commit(WireReader *r, size_t n);
/* Next complete line: NUL-terminated in place (the '\n' replaced), *LEN without it; NULL when
   none is complete. *TRUNCATED is set when the line was cut at WIRE_MAX_LINE bytes as 1.37.1
   does (then *LEN == WIRE_MAX_LINE and the remainder comes as the next line), else cleared.
   The line may hold NUL bytes before *LEN. It stays valid until the next wire_reader_space or
   wire_reader_free call. */
char *wire_reader_next(WireReader *r, size_t *len, int *truncated);
/* Bytes of an incomplete line waiting for more input (e.g. at EOF: a line without '\n'). */
size_t wire_reader_pending(const WireReader *r);

/* Split LINE in place into at most MAX words with Netdata 1.37.1's rules (separators space, tab,
   CR, LF and '='; words starting with " or ' run to the same quote; backslash makes the next byte
   ordinary and stays in the word; only the first MAX words). Returns the count; WORDS[count] is
   set to NULL when count < MAX. The one difference from quoted_strings_splitter(): a line with
   no word at all gives 0 (Netdata reports one empty word; its parser skips such lines first). */
size_t wire_split(char *line, char **words, size_t max);

/* 1 when C separates words (space, tab, CR, LF, '='), as Netdata's pluginsd_space(). */
int wire_is_space(char c);
/* The keyword as 1.37.1's find_first_keyword() takes it: the first run of non-separator bytes,
   raw (quotes included, so "BEGIN" is not BEGIN). *N is its length, 0 for a line without one. */
const char *wire_keyword(const char *line, size_t *n);

/* Numbers as 1.37.1 reads them from words (§3.1); none of them fails, they stop reading. */
/* str2ull/str2ul (BEGIN µs, timestamps): leading decimal digits only, at most 30, wrapping. */
uint64_t wire_u64(const char *s);
/* str2l (label sources): an optional '-', then digits (the '-' counts in the 30), wrapping. */
int64_t wire_i64(const char *s);
/* strtoll(S, NULL, 0) (SET values: "0x10" is 16, a leading 0 is octal), with a fast path for
   the plain decimal a child sends. */
long long wire_strtoll(const char *s);
/* str2i (priority, update_every): wire_i64 wrapped to int as 1.37.1's int arithmetic does. */
int wire_int(const char *s);
/* str2ndd (VARIABLE values): sign, "nan", "inf", digits[.digits]; an exponent hands the text to
   strtod. *END is where reading stopped (S itself when nothing was read). */
double wire_double(const char *s, const char **end);

#endif

/*
** sbuf.h - a bounded, growable string builder for response bodies: append bytes, printf, and
** the escapers an HTTP API needs (JSON string bodies, HTML text). The text is always
** NUL-terminated. A builder has a maximum length: an append that would pass it (or that cannot
** get memory) is dropped whole and sets `overflow`, and every later append is dropped too, so
** the length never exceeds `max` and the caller checks one flag at the end.
**
** Does not: do I/O, lock (one builder belongs to one thread), or validate what it is given
** except in the escapers.
*/
#ifndef STREAMC_SBUF_H
#define STREAMC_SBUF_H

#include <stddef.h>

typedef struct Sbuf {
    char *s;              /* NUL-terminated text, NULL until the first append */
    size_t len, cap;      /* bytes used (without the NUL) / allocated */
    size_t max;           /* len never exceeds this */
    int overflow;         /* an append was dropped (max reached or out of memory) */
} Sbuf;

/* An empty builder that may hold up to MAX bytes. Allocates nothing. */
void sbuf_init(Sbuf *b, size_t max);
/* Free the text; B is empty again (same max). NULL is a no-op. */
void sbuf_free(Sbuf *b);
/* Forget the text and the overflow flag, keep the memory. */
void sbuf_reset(Sbuf *b);

void sbuf_append(Sbuf *b, const char *p, size_t n);
void sbuf_puts(Sbuf *b, const char *s);            /* NULL appends nothing */
void sbuf_putc(Sbuf *b, char c);
void sbuf_printf(Sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* S as the inside of a JSON string: '"' and '\\' escaped, \b \f \n \r \t short forms, other
   bytes below 0x20 and 0x7F as \u00XX, well-formed UTF-8 copied as is, every byte of an
   ill-formed sequence (overlong, surrogate, above U+10FFFF, truncated, stray continuation)
   replaced by \ufffd. NULL is treated as "". */
void sbuf_json_esc(Sbuf *b, const char *s);
/* The same between double quotes. */
void sbuf_json_str(Sbuf *b, const char *s);
/* S with & < > " / ' as HTML entities (Netdata's buffer_strcat_htmlescape). */
void sbuf_html_esc(Sbuf *b, const char *s);

/* The text ("" before the first append). */
const char *sbuf_str(const Sbuf *b);

/* Length of the well-formed UTF-8 sequence at P (at most N bytes), 0 when ill-formed. */
size_t sbuf_utf8_len(const unsigned char *p, size_t n);

#endif

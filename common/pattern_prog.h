/*
** pattern_prog.h - the compiled form of a Netdata simple pattern, shared by streamc (which
** writes it) and the runtime matcher (which executes it). Flat, little-endian, position
** independent: every reference is an offset from the program's first byte, so a program can
** live inside a memory-mapped policy blob. pattern_prog_verify() checks every offset once;
** after that the matcher reads without further checks and never allocates.
**
** Layout (all fields u32 unless noted, 4-byte aligned):
**   PatHeader
**   PatTerm[nterms]            in pattern order; a term is a chain of pieces
**   PatPiece[npieces]
**   PatSlot[hash_cap]          only when PAT_INDEXED: open-addressing table (see below)
**   u32 prefix_lens[nprefix_lens], u32 suffix_lens[nsuffix_lens]   ascending
**   u32 general[ngeneral]      indexes of terms that need the chain walk, ascending
**   bytes                      the literal texts
**
** Matching (Netdata 1.37.1): the first term in pattern order that matches decides; its sign
** is the answer; no match means "no match". The empty string never matches. A program with
** PAT_EMPTY stands for "no pattern" (Netdata's NULL), which callers interpret.
** PAT_INDEXED programs find the first matching term without walking every term: exact,
** prefix and suffix terms sit in the hash table keyed by (kind, text) with the smallest term
** index of that key; match-all terms are summarised by all_term; other terms are walked in
** order and the walk stops at the best index found so far. The answer is therefore the same
** as the linear walk's, whatever the signs.
*/
#ifndef STREAMC_PATTERN_PROG_H
#define STREAMC_PATTERN_PROG_H

#include <stddef.h>
#include <stdint.h>

#define PAT_MAGIC 0x32544150u   /* "PAT2" little-endian; bumped whenever the layout changes */
#define PAT_NONE_TERM 0xFFFFFFFFu

enum { PAT_EMPTY = 1, PAT_INDEXED = 2 };

/* Piece modes, as Netdata's: exact text, prefix, suffix, substring (leftmost occurrence). */
enum { PIECE_EXACT = 0, PIECE_PREFIX = 1, PIECE_SUFFIX = 2, PIECE_SUBSTRING = 3 };

/* What an indexed term is, for the hash table. */
enum { TERM_GENERAL = 0, TERM_EXACT = 1, TERM_PREFIX = 2, TERM_SUFFIX = 3, TERM_ALL = 4 };

typedef struct PatHeader {
    uint32_t magic;
    uint32_t size;              /* total bytes of the program */
    uint32_t flags;             /* PAT_EMPTY, PAT_INDEXED */
    uint32_t nterms, terms_off;
    uint32_t npieces, pieces_off;
    uint32_t hash_cap, hash_off;            /* power of two, or 0 */
    uint32_t nprefix_lens, prefix_lens_off;
    uint32_t nsuffix_lens, suffix_lens_off;
    uint32_t ngeneral, general_off;
    uint32_t strings_off, strings_len;
    uint32_t all_term;          /* first term matching every non-empty string, or PAT_NONE_TERM */
    uint32_t nexact;            /* exact keys in the hash table (0: skip that lookup) */
} PatHeader;

typedef struct PatTerm {
    uint32_t first_piece;
    uint32_t npieces;           /* a word of N stars can hold N pieces: 32 bits, not 16 */
    uint8_t negative;
    uint8_t kind;               /* TERM_*, in linear programs too (TERM_ALL skips the walk) */
    uint16_t reserved;          /* zero */
} PatTerm;

typedef struct PatPiece {
    uint32_t mode;              /* PIECE_* */
    uint32_t off, len;          /* text in the strings area */
} PatPiece;

typedef struct PatSlot {
    uint32_t hash;              /* 0 = empty slot (real hashes are forced non-zero) */
    uint32_t kind;              /* TERM_EXACT, TERM_PREFIX, TERM_SUFFIX */
    uint32_t off, len;          /* key text in the strings area */
    uint32_t term;              /* smallest term index with this key */
} PatSlot;

/* Hash of a key for the slot table (never 0). */
uint32_t pattern_hash(uint32_t kind, const char *z, size_t n);

/* Check a program of N bytes at P (alignment, magic, sizes, every offset and count, every
   piece inside the strings area, hash table power of two). NULL when valid, else a reason. */
const char *pattern_prog_verify(const void *p, size_t n);

#endif

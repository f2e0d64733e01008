/*
** pattern.h - Netdata simple patterns at compile time: split into words exactly as Netdata
** 1.37.1 does, turn each word into a chain of pieces, lint the list, and emit the flat
** program the runtime matcher executes (common/pattern_prog.h).
*/
#ifndef STREAMC_PATTERN_H
#define STREAMC_PATTERN_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "pattern_prog.h"

typedef struct PatWordPiece {
    uint8_t mode;            /* PIECE_* */
    const char *z;           /* text, inside the word's unescaped copy */
    uint32_t n;
} PatWordPiece;

typedef struct PatWord {
    uint32_t off, len;       /* span of the word (with its '!') in the pattern text */
    int negative;
    const char *text;        /* unescaped, without the leading '!' */
    uint32_t n;
    PatWordPiece *pieces;
    uint32_t npieces;
    uint8_t kind;            /* TERM_* */
} PatWord;

typedef struct PatList {
    PatWord *w;
    uint32_t n;
    uint32_t *lone_bangs;    /* offsets of '!' that produced no word */
    uint32_t nlone;
} PatList;

/* Split Z[0..N) into words and chains. 0 ok, -1 out of memory. */
int pattern_parse(Arena *a, const char *z, size_t n, PatList *out);

enum { PATTERN_AUTO = 0, PATTERN_LINEAR = 1, PATTERN_INDEXED = 2 };
/* Emit the program for L (mode: auto picks an index for long lists). NULL on out of memory. */
void *pattern_compile(Arena *a, const PatList *l, int mode, size_t *size);

/* Lint the pattern text Z (parsed into L); LOC is its location (column of its first byte).
   Findings go to D with spans on the offending word. */
void pattern_lint(DiagSink *d, const PatList *l, const char *z, DiagLoc loc);

/* Would every string matched by term J also be matched by term I? (conservative: 1 = surely) */
int pattern_covers(const PatWord *i, const PatWord *j);

#endif

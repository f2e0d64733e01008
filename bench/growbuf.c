/*
** growbuf.c - the growable buffer of the standalone bench tools (see growbuf.h). Numbers are
** formatted by hand rather than with snprintf: loadgen formats millions of values a second
** and its figures should measure the parent, not printf.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "growbuf.h"

/* Room for N more bytes; doubling keeps appends amortised O(1). Exits when memory runs out. */
static void need(GrowBuf *b, size_t n)
{
    if (b->len + n <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) {
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", program_invocation_short_name);
        exit(1);
    }
    b->p = p;
    b->cap = cap;
}

/*
** Append the N bytes at S to B (S need not be NUL-terminated).
*/
void growbuf_put(GrowBuf *b, const char *s, size_t n)
{
    need(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

/*
** Append the NUL-terminated string S to B, without its NUL.
*/
void growbuf_str(GrowBuf *b, const char *s)
{
    growbuf_put(b, s, strlen(s));
}

/*
** Append V in decimal, no leading zeros ("0" for 0).
*/
void growbuf_u64(GrowBuf *b, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    growbuf_put(b, tmp + i, sizeof tmp - (size_t)i);
}

/*
** Append the low WIDTH decimal digits of V, zero-padded: the fixed-shape ids ("c0042", "d007")
** both tools give their charts and dimensions. Digits beyond WIDTH are dropped, so callers
** bound V (10^WIDTH - 1 at most).
*/
void growbuf_pad(GrowBuf *b, unsigned v, int width)
{
    need(b, (size_t)width);
    for (int i = width - 1; i >= 0; i--) {
        b->p[b->len + (size_t)i] = (char)('0' + v % 10);
        v /= 10;
    }
    b->len += (size_t)width;
}

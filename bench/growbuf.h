/*
** growbuf.h - a growable byte buffer for the standalone bench tools (bench/loadgen and
** bench/loadplugin): append text and decimal numbers, then write p[0..len) out and reset len
** to reuse the memory. Out of memory is fatal (message on stderr, exit 1): these tools have
** nothing sensible to do without their buffer.
**
** Does not: NUL-terminate, bound its size, lock (one buffer belongs to one thread), or do I/O.
** runtime/sbuf.h is the bounded builder of the daemon; the tools link no project library.
*/
#ifndef STREAMC_GROWBUF_H
#define STREAMC_GROWBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct GrowBuf {
    char *p;              /* NULL until the first append; the caller frees it */
    size_t len, cap;      /* bytes used / allocated */
} GrowBuf;

void growbuf_put(GrowBuf *b, const char *s, size_t n);
void growbuf_str(GrowBuf *b, const char *s);
void growbuf_u64(GrowBuf *b, uint64_t v);
void growbuf_pad(GrowBuf *b, unsigned v, int width);

#endif

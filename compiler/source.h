/*
** source.h - a config file loaded once, cut into the logical lines Netdata's reader would see.
**
** Netdata reads with fgets into an 8192-byte buffer: a physical line longer than 8191 bytes
** (newline included) becomes several logical lines, and a NUL byte ends the logical line (the
** rest of that read is dropped). Each SrcLine records where its bytes sit in the physical line,
** so diagnostics point at the real line and column.
*/
#ifndef STREAMC_SOURCE_H
#define STREAMC_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

#define SOURCE_READ_MAX 8191u            /* bytes one fgets call of Netdata's returns at most */
#define SOURCE_FILE_MAX (64u << 20)      /* we refuse larger files instead of reading them */

enum {
    SRC_CUT = 1,    /* this logical line ended because the read buffer was full */
    SRC_CONT = 2,   /* this logical line continues a physical line that was cut */
    SRC_NUL = 4,    /* a NUL byte ended the content early; nul_off is its offset in the read */
};

typedef struct SrcLine {
    const char *z;      /* content (up to a NUL or the newline; newline excluded) */
    uint32_t n;
    uint32_t line;      /* physical line, 1-based */
    uint32_t col0;      /* byte offset of z within its physical line */
    uint32_t flags;
    uint32_t nul_off;   /* offset of the NUL relative to z when SRC_NUL */
} SrcLine;

typedef struct Source {
    const char *path;   /* as shown in diagnostics */
    const char *buf;    /* the whole file, NUL-terminated copy */
    size_t len;
    SrcLine *lines;
    size_t nlines;
    uint32_t *phys;     /* byte offset of each physical line start */
    uint32_t nphys;
    int bom;            /* file starts with EF BB BF */
} Source;

/* Load PATH (shown as DISPLAY, or PATH when NULL). 0 ok; -1 with *err set to a reason;
   -2 out of memory. */
int source_load(Source *s, Arena *a, const char *path, const char *display, const char **err);
/* Same over bytes already in memory (copied into the arena). */
int source_from_mem(Source *s, Arena *a, const char *display, const char *data, size_t n);
/* Length (1..4) of the well-formed UTF-8 character at Z (at most N bytes), or 0 when the
   bytes there are not well-formed UTF-8 (overlong forms, surrogates and values above U+10FFFF
   included). */
size_t source_utf8_len(const unsigned char *z, size_t n);

/* The physical line LINE (1-based) without its newline and a trailing '\r'. NULL if out of range. */
const char *source_phys_line(const Source *s, uint32_t line, size_t *n);

#endif

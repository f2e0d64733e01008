/*
** arena.h - bump allocator: all compiler memory for one run comes from one Arena, freed once.
**
** No per-object free. Allocation failure returns NULL (never aborts); callers report it as a
** diagnostic. Test builds can make the Nth allocation fail (arena_fail_after) to exercise the
** error paths, as Lua's Memcontrol and SQLite's FaultSim do.
*/
#ifndef STREAMC_ARENA_H
#define STREAMC_ARENA_H

#include <stdarg.h>
#include <stddef.h>

typedef struct ArenaChunk ArenaChunk;
typedef struct Arena {
    ArenaChunk *head;   /* newest chunk first */
    size_t used;        /* bytes handed out (for statistics) */
    long fail_after;    /* <0: never fail; else fail once this many allocations have succeeded */
} Arena;

void arena_init(Arena *a);
void arena_free(Arena *a);                       /* frees every chunk; a may be reused after init */
void *arena_alloc(Arena *a, size_t n);           /* 16-byte aligned, zero-filled, NULL on failure */
char *arena_strndup(Arena *a, const char *z, size_t n);  /* NUL-terminated copy */
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(Arena *a, const char *fmt, va_list ap);
void arena_fail_after(Arena *a, long n);         /* test hook: n successful allocations, then NULL */

#endif

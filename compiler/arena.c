/*
** arena.c - bump allocator over a list of malloc'd chunks (see arena.h).
*/
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN (64 * 1024)

struct ArenaChunk {
    ArenaChunk *next;
    size_t cap, pos;
    _Alignas(16) unsigned char mem[];
};

void arena_init(Arena *a)
{
    a->head = NULL;
    a->used = 0;
    a->fail_after = -1;
}

void arena_free(Arena *a)
{
    ArenaChunk *c = a->head;
    while (c) {
        ArenaChunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used = 0;
}

void arena_fail_after(Arena *a, long n)
{
    a->fail_after = n;
}

void *arena_alloc(Arena *a, size_t n)
{
    if (a->fail_after == 0) {
        return NULL;
    }
    if (a->fail_after > 0) {
        a->fail_after--;
    }
    if (n > SIZE_MAX / 2) {
        return NULL;
    }
    n = (n + 15) & ~(size_t)15;
    ArenaChunk *c = a->head;
    if (!c || c->cap - c->pos < n) {
        size_t cap = n > CHUNK_MIN ? n : CHUNK_MIN;
        c = malloc(sizeof *c + cap);
        if (!c) {
            return NULL;
        }
        c->cap = cap;
        c->pos = 0;
        /* A big one-off block goes behind the current chunk so the current one keeps filling. */
        if (a->head && n > CHUNK_MIN) {
            c->next = a->head->next;
            a->head->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    void *p = c->mem + c->pos;
    c->pos += n;
    a->used += n;
    memset(p, 0, n);
    return p;
}

char *arena_strndup(Arena *a, const char *z, size_t n)
{
    char *p = arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, z, n);
        p[n] = 0;
    }
    return p;
}

char *arena_vprintf(Arena *a, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return NULL;
    }
    char *p = arena_alloc(a, (size_t)n + 1);
    if (p) {
        vsnprintf(p, (size_t)n + 1, fmt, ap);
    }
    return p;
}

char *arena_printf(Arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

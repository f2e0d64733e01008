/*
** sticky.c - remembered section types (sticky.h): open addressing over the 36-byte text,
** grown by doubling up to the bound.
*/
#include "sticky.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct StickySlot {
    char name[37];
    char type;                   /* 0 empty, 'a' api, 'm' machine */
};

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ull;   /* FNV-1a */
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    }
    return h;
}

static struct StickySlot *find(struct StickySlot *slots, size_t cap, const char *name)
{
    size_t i = hash(name) & (cap - 1);
    while (slots[i].type && strcmp(slots[i].name, name) != 0) {
        i = (i + 1) & (cap - 1);
    }
    return &slots[i];
}

const char *sticky_get(const StickyTable *t, const char *name)
{
    if (!t->slots || !name || strlen(name) != 36) {
        return NULL;
    }
    const struct StickySlot *s = find(t->slots, t->cap, name);
    return s->type == 'a' ? "api" : s->type == 'm' ? "machine" : NULL;
}

static int grow(StickyTable *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    struct StickySlot *slots = calloc(cap, sizeof *slots);
    if (!slots) {
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (t->slots[i].type) {
            *find(slots, cap, t->slots[i].name) = t->slots[i];
        }
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

int sticky_set(StickyTable *t, const char *name, const char *type)
{
    if (!name || strlen(name) != 36 || !type) {
        return -1;
    }
    if (t->slots && find(t->slots, t->cap, name)->type) {
        return 0;
    }
    if (t->count >= STICKY_MAX) {
        return -1;
    }
    if ((t->count + 1) * 2 > t->cap && grow(t) != 0) {
        return -1;
    }
    struct StickySlot *s = find(t->slots, t->cap, name);
    memcpy(s->name, name, 37);
    s->type = type[0] == 'a' ? 'a' : 'm';
    t->count++;
    return 0;
}

void sticky_free(StickyTable *t)
{
    free(t->slots);
    memset(t, 0, sizeof *t);
}

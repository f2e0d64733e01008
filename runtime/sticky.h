/*
** sticky.h - the section types a running Netdata 1.37.1 parent remembers (stream-protocol
** §2.2a): looking up a stream.conf section creates its `type` in memory with the asking role's
** default, so a GUID first seen as an API key is an "api" section until restart, and one first
** seen as a machine GUID is a "machine" section. Netdata's memory grows with every GUID a
** client invents; ours stops at STICKY_MAX names (then new names are not remembered, logged
** once). Exact text, case kept. Not thread-safe: streamd uses it under the registry lock.
*/
#ifndef STREAMC_STICKY_H
#define STREAMC_STICKY_H

#include <stddef.h>

#define STICKY_MAX 200000

typedef struct StickyTable {
    struct StickySlot *slots;
    size_t cap, count;
    int full_logged;
} StickyTable;

/* "api", "machine" or NULL for NAME. */
const char *sticky_get(const StickyTable *t, const char *name);
/* Remember TYPE ("api" or "machine") for NAME (a 36-byte GUID text) unless already known.
   0 ok or already known, -1 full or out of memory. */
int sticky_set(StickyTable *t, const char *name, const char *type);
void sticky_free(StickyTable *t);

#endif

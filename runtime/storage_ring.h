/*
** storage_ring.h - the float ring behind the ram, save and map engines: `history` samples of one
** dimension on its update_every grid, empty slots stored as NAN. Slot k back from the newest
** (at index (head - k) mod cap) holds time last_t - k * update_every, for k < count.
**
** The ram and save engines own a heap ring that grows by doubling up to `max` slots
** (storage_ring_append); the map engine points SLOTS into a file mapping and advances the ring
** itself, and only shares the read side (first_t, last_t, query), so every engine answers a
** query the same way for the same appends. No locks (storage.h: the host's lock covers it).
*/
#ifndef STREAMC_STORAGE_RING_H
#define STREAMC_STORAGE_RING_H

#include <stddef.h>
#include <stdint.h>

#include "storage.h"

#define STORAGE_RING_MIN_HISTORY 5L              /* Netdata's bounds for history entries */
#define STORAGE_RING_MAX_HISTORY (86400L * 365)

typedef struct StorageRing {
    float *slots;
    size_t cap;                 /* slots allocated (heap rings grow by doubling up to max) */
    size_t max;                 /* the host's history: at most this many valid slots */
    size_t head;                /* index of the newest slot */
    size_t count;               /* valid slots, <= cap and <= max */
    int64_t last_t;             /* time of the newest slot, 0 when empty */
    int update_every;           /* seconds, >= 1 */
} StorageRing;

/* HISTORY clamped to Netdata's [5, 31536000]. */
size_t storage_ring_history(long history);

/* An empty heap ring of at most MAX slots on the UPDATE_EVERY grid (below 1: 1). */
void storage_ring_init(StorageRing *r, size_t max, int update_every);

/* Store V at slot time T on a heap ring (ram/save semantics, storage.h append): times at or
   before the newest slot are ignored, skipped slots become NAN, a jump of `max` slots or more
   starts the ring over. Bytes newly allocated are added to *BYTES. */
void storage_ring_append(StorageRing *r, int64_t t, double v, size_t *bytes);

/* Adopt SAMPLES (COUNT of them, oldest first, malloc'd; ownership passes to the ring, which
   frees them on failure too) as the ring's content ending at LAST_T. More than `max`: only the
   newest `max` are kept. Returns the bytes the ring now holds. */
size_t storage_ring_adopt(StorageRing *r, float *samples, size_t count, int64_t last_t);

/* The series restarts empty on the UPDATE_EVERY grid (storage.h set_update_every). */
void storage_ring_reset(StorageRing *r, int update_every);

/* Free a heap ring's slots; the ring is left empty with no slots. */
void storage_ring_free(StorageRing *r);

int64_t storage_ring_first_t(const StorageRing *r);     /* 0 when empty */
int64_t storage_ring_last_t(const StorageRing *r);      /* 0 when empty */

/* storage.h query over R: points with AFTER <= t <= BEFORE, oldest first, the newest CAP when
   more match. Returns how many were written to OUT. */
size_t storage_ring_query(const StorageRing *r, int64_t after, int64_t before, StoragePoint *out,
                          size_t cap);

/* The valid slots oldest first into OUT (room for r->count floats). */
void storage_ring_copy_out(const StorageRing *r, float *out);

#endif

/*
** storage_ring.c - the float ring shared by the ram, save and map engines (storage_ring.h):
** growth, append with NAN gaps, and the query that every ring-based engine answers with.
** Nothing here does I/O.
*/
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "storage_ring.h"

size_t storage_ring_history(long history)
{
    long n = history < STORAGE_RING_MIN_HISTORY ? STORAGE_RING_MIN_HISTORY
           : history > STORAGE_RING_MAX_HISTORY ? STORAGE_RING_MAX_HISTORY : history;
    return (size_t)n;
}

void storage_ring_init(StorageRing *r, size_t max, int update_every)
{
    memset(r, 0, sizeof *r);
    r->max = max ? max : 1;
    r->update_every = update_every < 1 ? 1 : update_every;
}

/* Before the ring is full for the first time its slots are 0..count-1 in order, so a larger
   copy keeps them valid. Out of memory: the ring stays this size (keeps fewer samples). */
static void ring_grow(StorageRing *r, size_t *bytes)
{
    size_t want = r->cap ? r->cap * 2 : 16;
    want = want > r->max ? r->max : want;
    float *s = realloc(r->slots, want * sizeof *s);
    if (!s) {
        r->max = r->cap ? r->cap : 1;
        if (!r->cap && (s = malloc(sizeof *s)) != NULL) {
            r->slots = s;
            r->cap = 1;
            *bytes += sizeof *s;
        }
        return;
    }
    *bytes += (want - r->cap) * sizeof *s;
    r->slots = s;
    r->cap = want;
}

static void ring_push(StorageRing *r, float v, size_t *bytes)
{
    if (r->count == r->cap && r->cap < r->max) {
        ring_grow(r, bytes);
        if (r->count == r->cap && !r->cap) {
            return;   /* no memory at all for this dimension: the sample is dropped */
        }
    }
    r->head = r->count ? (r->head + 1) % r->cap : 0;
    r->slots[r->head] = v;
    if (r->count < r->cap) {
        r->count++;
    }
}

/* Times at or before the newest slot are ignored (the contract says T only grows; dropping
   keeps the ring consistent if a caller breaks it). A jump past the whole ring starts it over,
   since no old slot would survive anyway. */
void storage_ring_append(StorageRing *r, int64_t t, double v, size_t *bytes)
{
    int64_t ue = r->update_every;
    if (r->count && t <= r->last_t) {
        return;
    }
    if (r->count) {
        int64_t skipped = (t - r->last_t) / ue - 1;
        if (skipped >= (int64_t)r->max) {
            r->count = 0;
        } else {
            for (int64_t i = 0; i < skipped; i++) {
                ring_push(r, NAN, bytes);
            }
        }
    }
    ring_push(r, (float)v, bytes);
    r->last_t = t;
}

/* A ring of exactly COUNT in-order slots (head = count - 1) keeps the growth invariant: it is
   either full at max or its slots are 0..count-1 in order. */
size_t storage_ring_adopt(StorageRing *r, float *samples, size_t count, int64_t last_t)
{
    free(r->slots);
    r->slots = NULL;
    r->cap = r->count = r->head = 0;
    r->last_t = 0;
    if (!samples || !count) {
        free(samples);
        return 0;
    }
    if (count > r->max) {
        memmove(samples, samples + (count - r->max), r->max * sizeof *samples);
        count = r->max;
        float *s = realloc(samples, count * sizeof *s);
        samples = s ? s : samples;   /* a failed shrink keeps the larger block */
    }
    r->slots = samples;
    r->cap = r->count = count;
    r->head = count - 1;
    r->last_t = last_t;
    return count * sizeof *samples;
}

void storage_ring_reset(StorageRing *r, int update_every)
{
    r->update_every = update_every < 1 ? 1 : update_every;
    r->count = 0;
    r->head = 0;
    r->last_t = 0;
}

void storage_ring_free(StorageRing *r)
{
    free(r->slots);
    r->slots = NULL;
    r->cap = r->count = r->head = 0;
    r->last_t = 0;
}

int64_t storage_ring_first_t(const StorageRing *r)
{
    return r->count ? r->last_t - (int64_t)(r->count - 1) * r->update_every : 0;
}

int64_t storage_ring_last_t(const StorageRing *r)
{
    return r->count ? r->last_t : 0;
}

size_t storage_ring_query(const StorageRing *r, int64_t after, int64_t before, StoragePoint *out,
                          size_t cap)
{
    if (!r->count || cap == 0 || after > before) {
        return 0;
    }
    int64_t ue = r->update_every, first = storage_ring_first_t(r);
    if (before < first || after > r->last_t) {
        return 0;
    }
    /* slots back from the newest: NEWK is the newest wanted, OLDK the oldest */
    int64_t newk = before >= r->last_t ? 0 : (r->last_t - before + ue - 1) / ue;
    int64_t oldk = after <= first ? (int64_t)r->count - 1 : (r->last_t - after) / ue;
    if (oldk < newk) {
        return 0;
    }
    if ((size_t)(oldk - newk + 1) > cap) {
        oldk = newk + (int64_t)cap - 1;
    }
    size_t n = 0;
    for (int64_t k = oldk; k >= newk; k--) {
        size_t idx = (r->head + r->cap - (size_t)k) % r->cap;
        out[n].t = r->last_t - k * ue;
        out[n].v = r->slots[idx];
        n++;
    }
    return n;
}

void storage_ring_copy_out(const StorageRing *r, float *out)
{
    for (size_t k = r->count; k-- > 0;) {
        *out++ = r->slots[(r->head + r->cap - k) % r->cap];
    }
}

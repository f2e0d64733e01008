/*
** storage_ram.c - the "ram" storage engine (memory modes ram and alloc, and for now save, map,
** dbengine): per dimension a ring of `history` float samples on the dimension's update_every
** grid, empty slots stored as NAN, as Netdata's ram/alloc modes keep `history` entries per
** dimension. Nothing is written to disk.
**
** A dim remembers the time of its newest slot (last_t) and how many slots of the ring are valid
** (count, at most history), so slot k back from the newest holds time last_t - k*update_every.
*/
#include <math.h>
#include <stdlib.h>

#include "storage.h"

#define RAM_MIN_HISTORY 5       /* Netdata's bounds for history entries */
#define RAM_MAX_HISTORY (86400L * 365)

struct StorageDim {
    float *ring;
    size_t cap;                 /* slots allocated: grows by doubling up to max */
    size_t max;                 /* the host's history */
    size_t head;                /* index of the newest slot */
    size_t count;               /* valid slots, <= cap */
    int64_t last_t;             /* time of the newest slot, 0 when empty */
    int update_every;
    struct StorageHost *host;   /* for the memory count */
    struct StorageDim *next;    /* host's list, for close */
};

struct StorageHost {
    size_t history;
    size_t bytes;
    struct StorageDim *dims;
};

static StorageHost *ram_open_host(const StorageConfig *cfg)
{
    StorageHost *h = calloc(1, sizeof *h);
    if (h) {
        long n = cfg->history;
        h->history = (size_t)(n < RAM_MIN_HISTORY ? RAM_MIN_HISTORY
                                                  : n > RAM_MAX_HISTORY ? RAM_MAX_HISTORY : n);
    }
    return h;
}

static StorageDim *ram_create_dim(StorageHost *h, const char *chart_id, const char *dim_id,
                                  int update_every)
{
    (void)chart_id;
    (void)dim_id;
    StorageDim *d = calloc(1, sizeof *d);
    if (!d) {
        return NULL;
    }
    /* The ring grows with what is stored (16 slots, then doubling up to history): a parent
       holding many children that sent little keeps little; a full ring costs history * 4. */
    d->max = h->history;
    d->host = h;
    d->update_every = update_every < 1 ? 1 : update_every;
    d->next = h->dims;
    h->dims = d;
    return d;
}

/* Before the ring is full for the first time its slots are 0..count-1 in order, so a larger
   copy keeps them valid. Out of memory: the ring stays this size (keeps fewer samples). */
static void ring_grow(StorageDim *d)
{
    size_t want = d->cap ? d->cap * 2 : 16;
    want = want > d->max ? d->max : want;
    float *r = realloc(d->ring, want * sizeof *r);
    if (!r) {
        d->max = d->cap ? d->cap : 1;
        if (!d->cap && (r = malloc(sizeof *r)) != NULL) {
            d->ring = r;
            d->cap = 1;
        }
        return;
    }
    d->host->bytes += (want - d->cap) * sizeof *r;
    d->ring = r;
    d->cap = want;
}

static void ring_push(StorageDim *d, float v)
{
    if (d->count == d->cap && d->cap < d->max) {
        ring_grow(d);
        if (d->count == d->cap && !d->cap) {
            return;   /* no memory at all for this dimension: the sample is dropped */
        }
    }
    d->head = d->count ? (d->head + 1) % d->cap : 0;
    d->ring[d->head] = v;
    if (d->count < d->cap) {
        d->count++;
    }
}

/* Store V at slot time T. Times at or before the newest slot are ignored (the contract says T
   only grows; dropping keeps the ring consistent if a caller breaks it). Skipped slots become
   NAN; a jump past the whole ring starts it over, since no old slot would survive anyway. */
static void ram_append(StorageDim *d, int64_t t, double v)
{
    int64_t ue = d->update_every;
    if (d->count && t <= d->last_t) {
        return;
    }
    if (d->count) {
        int64_t skipped = (t - d->last_t) / ue - 1;
        if (skipped >= (int64_t)d->max) {
            d->count = 0;
        } else {
            for (int64_t i = 0; i < skipped; i++) {
                ring_push(d, NAN);
            }
        }
    }
    ring_push(d, (float)v);
    d->last_t = t;
}

static int64_t ram_first_t(StorageDim *d)
{
    return d->count ? d->last_t - (int64_t)(d->count - 1) * d->update_every : 0;
}

static int64_t ram_last_t(StorageDim *d)
{
    return d->count ? d->last_t : 0;
}

/* Points with AFTER <= t <= BEFORE, oldest first; when more than CAP match, the newest CAP. */
static size_t ram_query(StorageDim *d, int64_t after, int64_t before, StoragePoint *out,
                        size_t cap)
{
    if (!d->count || cap == 0 || after > before) {
        return 0;
    }
    int64_t ue = d->update_every, first = ram_first_t(d);
    if (before < first || after > d->last_t) {
        return 0;
    }
    /* slots back from the newest: NEWK is the newest wanted, OLDK the oldest */
    int64_t newk = before >= d->last_t ? 0 : (d->last_t - before + ue - 1) / ue;
    int64_t oldk = after <= first ? (int64_t)d->count - 1 : (d->last_t - after) / ue;
    if (oldk < newk) {
        return 0;
    }
    if ((size_t)(oldk - newk + 1) > cap) {
        oldk = newk + (int64_t)cap - 1;
    }
    size_t n = 0;
    for (int64_t k = oldk; k >= newk; k--) {
        size_t idx = (d->head + d->cap - (size_t)k) % d->cap;
        out[n].t = d->last_t - k * ue;
        out[n].v = d->ring[idx];
        n++;
    }
    return n;
}

static size_t ram_bytes(StorageHost *h)
{
    return h->bytes;
}

static void ram_flush(StorageHost *h)
{
    (void)h;            /* nothing to write: ram keeps no files */
}

static void ram_close_host(StorageHost *h)
{
    if (!h) {
        return;
    }
    StorageDim *d = h->dims;
    while (d) {
        StorageDim *n = d->next;
        free(d->ring);
        free(d);
        d = n;
    }
    free(h);
}

/* Slot times of the old grid mean nothing on the new one, so the series restarts empty. */
static void ram_set_update_every(StorageDim *d, int update_every)
{
    d->update_every = update_every < 1 ? 1 : update_every;
    d->count = 0;
    d->head = 0;
    d->last_t = 0;
}

const StorageOps storage_ram_ops = {
    .name = "ram",
    .open_host = ram_open_host,
    .create_dim = ram_create_dim,
    .append = ram_append,
    .query = ram_query,
    .first_t = ram_first_t,
    .last_t = ram_last_t,
    .bytes = ram_bytes,
    .flush = ram_flush,
    .close_host = ram_close_host,
    .set_update_every = ram_set_update_every,
};

/*
** storage_ram.c - the "ram" storage engine (memory modes ram and alloc, and the fallback for
** persistent modes without a data directory): per dimension a ring of `history` float samples
** on the dimension's update_every grid, empty slots stored as NAN, as Netdata's ram/alloc modes
** keep `history` entries per dimension. Nothing is written to disk. The ring itself (growth,
** gaps, queries) is storage_ring.c, shared with the save and map engines.
*/
#include <stdlib.h>

#include "storage.h"
#include "storage_ring.h"

struct StorageDim {
    StorageRing ring;
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
        h->history = storage_ring_history(cfg->history);
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
    storage_ring_init(&d->ring, h->history, update_every);
    d->host = h;
    d->next = h->dims;
    h->dims = d;
    return d;
}

static void ram_append(StorageDim *d, int64_t t, double v)
{
    storage_ring_append(&d->ring, t, v, &d->host->bytes);
}

static int64_t ram_first_t(StorageDim *d)
{
    return storage_ring_first_t(&d->ring);
}

static int64_t ram_last_t(StorageDim *d)
{
    return storage_ring_last_t(&d->ring);
}

static size_t ram_query(StorageDim *d, int64_t after, int64_t before, StoragePoint *out,
                        size_t cap)
{
    return storage_ring_query(&d->ring, after, before, out, cap);
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
        storage_ring_free(&d->ring);
        free(d);
        d = n;
    }
    free(h);
}

/* Slot times of the old grid mean nothing on the new one, so the series restarts empty. */
static void ram_set_update_every(StorageDim *d, int update_every)
{
    storage_ring_reset(&d->ring, update_every);
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

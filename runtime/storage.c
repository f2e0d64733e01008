/*
** storage.c - picks a host's storage engine from its memory mode, and the "none" engine (memory
** mode none: Netdata keeps no history, so appends are dropped and queries find nothing). The ram
** engine is storage_ram.c, save storage_save.c, map storage_map.c; dbengine is not written yet
** (issue 7) and runs on ram.
*/
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "policy_format.h"
#include "storage.h"

/*
** The engine for memory mode MODE (POLICY_MODE_*): RAM and ALLOC -> ram, NONE -> none, SAVE ->
** save, MAP -> map, DBENGINE -> dbengine; a persistent mode without a data directory, and
** unknown modes -> ram with *FALLBACK = 1 (else 0) so the caller can log it. FALLBACK may be
** NULL.
*/
const StorageOps *storage_ops_for(int mode, int have_dir, int *fallback)
{
    int fb = 0;
    const StorageOps *ops = &storage_ram_ops;
    switch (mode) {
    case POLICY_MODE_RAM:
    case POLICY_MODE_ALLOC:
        break;
    case POLICY_MODE_NONE:
        ops = &storage_none_ops;
        break;
    case POLICY_MODE_SAVE:
        ops = have_dir ? &storage_save_ops : ops;
        fb = !have_dir;
        break;
    case POLICY_MODE_MAP:
        ops = have_dir ? &storage_map_ops : ops;
        fb = !have_dir;
        break;
    case POLICY_MODE_DBENGINE:
        ops = have_dir ? &storage_dbengine_ops : ops;
        fb = !have_dir;
        break;
    default:
        fb = 1;
        break;
    }
    if (fallback) {
        *fallback = fb;
    }
    return ops;
}

static StorageGlobal global_limits = { 32, 256 };

void storage_configure(const StorageGlobal *g)
{
    global_limits = *g;
}

const StorageGlobal *storage_global(void)
{
    return &global_limits;
}

int storage_host_dir(const StorageConfig *cfg, char *out, size_t cap)
{
    const char *g = cfg->host_guid && *cfg->host_guid ? cfg->host_guid : "localhost";
    int n = snprintf(out, cap, "%s/%s", cfg->data_dir ? cfg->data_dir : ".", g);
    if (n < 0 || (size_t)n >= cap) {
        errno = ENAMETOOLONG;
        return -1;
    }
    if (mkdir(out, 0755) != 0 && errno != EEXIST) {
        return -1;
    }
    return 0;
}

/* ---- none ------------------------------------------------------------------------------------ */

/* The dims are real allocations (kept on a list for close) so callers can tell them from the
   NULL that means "out of memory". */
struct StorageDim {
    struct StorageDim *next;
};

struct StorageHost {
    struct StorageDim *dims;
};

static StorageHost *none_open_host(const StorageConfig *cfg)
{
    (void)cfg;
    return calloc(1, sizeof(StorageHost));
}

static StorageDim *none_create_dim(StorageHost *h, const char *chart_id, const char *dim_id,
                                   int update_every)
{
    (void)chart_id;
    (void)dim_id;
    (void)update_every;
    StorageDim *d = calloc(1, sizeof *d);
    if (d) {
        d->next = h->dims;
        h->dims = d;
    }
    return d;
}

static void none_append(StorageDim *d, int64_t t, double v)
{
    (void)d;
    (void)t;
    (void)v;
}

static size_t none_query(StorageDim *d, int64_t after, int64_t before, StoragePoint *out,
                         size_t cap)
{
    (void)d;
    (void)after;
    (void)before;
    (void)out;
    (void)cap;
    return 0;
}

static int64_t none_time(StorageDim *d)
{
    (void)d;
    return 0;
}

static size_t none_bytes(StorageHost *h)
{
    (void)h;
    return 0;
}

static void none_flush(StorageHost *h)
{
    (void)h;
}

static void none_close_host(StorageHost *h)
{
    if (!h) {
        return;
    }
    StorageDim *d = h->dims;
    while (d) {
        StorageDim *n = d->next;
        free(d);
        d = n;
    }
    free(h);
}

static void none_set_update_every(StorageDim *d, int update_every)
{
    (void)d;
    (void)update_every;
}

const StorageOps storage_none_ops = {
    .name = "none",
    .open_host = none_open_host,
    .create_dim = none_create_dim,
    .append = none_append,
    .query = none_query,
    .first_t = none_time,
    .last_t = none_time,
    .bytes = none_bytes,
    .flush = none_flush,
    .close_host = none_close_host,
    .set_update_every = none_set_update_every,
};

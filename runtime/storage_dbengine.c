/*
** storage_dbengine.c - the "dbengine" storage engine (memory mode dbengine): one instance per
** host in <host dir>/dbengine/. Each dimension collects its newest slots in an open page of up
** to DBE_PAGE_POINTS floats on its update_every grid (empty slots NAN, as ram); a full page, a
** page whose first slot is DBE_PAGE_SPAN seconds older than the new one, or any page at
** flush() is encoded (gorilla.h) and appended to the host's current data file, and its place
** goes into the dimension's page index (oldest first). The pages of one chart that hold the
** same slots go together: as one group record (gorilla_group.c) when they are a percentage
** chart's rows or add up to a constant and that is smaller, else one page record each; a full
** page waits one append for a sibling whose value for the same slot is still to come. Queries walk the index, reading pages
** through the shared page cache, then the open page, and answer exactly as ram would for the
** same appends: the same slot times, NAN for empty slots, values as float.
**
** Identity across restarts is (chart id, dimension id) -> number, kept in dims.reg; a
** dimension whose update_every changes gets a new number (its old slots mean nothing on the new
** grid, so it restarts empty, as ram). `history` is ignored: retention is the disk budget.
**
** Memory: open pages grow 64 -> 256 -> 1024 slots while the process-wide page cache budget
** allows, else the page is written early (every dimension may keep DBE_OPEN_MIN slots).
** Crash window (kill -9): the open pages, i.e. per dimension at most DBE_PAGE_POINTS slots and
** at most DBE_PAGE_SPAN seconds of slot time (but at least DBE_OPEN_MIN slots, so slow charts
** do not write tiny pages: update_every >= 29 s loses up to 64 slots); every written page is in
** the kernel at once (kill -9 safe); flush() also fsyncs (power-loss safe up to there).
**
** Threading: a host and its dims are used under the host's lock; the disk budget and the page
** cache (storage_dbengine_shared.c) lock themselves.
*/
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gorilla.h"
#include "log.h"
#include "storage_dbengine.h"

static _Atomic uint64_t next_uid = 1;

/* ---- dims: lookup by ids and by number ------------------------------------------------------- */

static size_t hash_ids(const char *chart_id, const char *dim_id)
{
    uint64_t x = 0xcbf29ce484222325ull;
    for (const char *s = chart_id; *s; s++) {
        x = (x ^ (uint8_t)*s) * 0x100000001b3ull;
    }
    x = (x ^ 0xff) * 0x100000001b3ull;
    for (const char *s = dim_id; *s; s++) {
        x = (x ^ (uint8_t)*s) * 0x100000001b3ull;
    }
    return (size_t)(x ^ (x >> 32));
}

StorageDim *storage_dbe_dim_find(StorageHost *h, const char *chart_id, const char *dim_id)
{
    if (!h->hash_cap) {
        return NULL;
    }
    StorageDim *d = h->hash[hash_ids(chart_id, dim_id) & (h->hash_cap - 1)];
    while (d && (strcmp(d->chart_id, chart_id) != 0 || strcmp(d->dim_id, dim_id) != 0)) {
        d = d->hnext;
    }
    return d;
}

static int hash_insert(StorageHost *h, StorageDim *d)
{
    if (h->ndims >= h->hash_cap) {
        size_t cap = h->hash_cap ? h->hash_cap * 2 : 64;
        StorageDim **tab = calloc(cap, sizeof *tab);
        if (!tab) {
            return -1;
        }
        for (size_t i = 0; i < h->hash_cap; i++) {
            for (StorageDim *e = h->hash[i], *nx; e; e = nx) {
                nx = e->hnext;
                size_t k = hash_ids(e->chart_id, e->dim_id) & (cap - 1);
                e->hnext = tab[k];
                tab[k] = e;
            }
        }
        free(h->hash);
        h->hash = tab;
        h->hash_cap = cap;
    }
    size_t k = hash_ids(d->chart_id, d->dim_id) & (h->hash_cap - 1);
    d->hnext = h->hash[k];
    h->hash[k] = d;
    h->ndims++;
    return 0;
}

/* Room for one more chart in H's table of charts (one dim of each, open addressing by chart
   id), so that chart_link cannot fail. 0 or -1 (memory). */
static int chart_reserve(StorageHost *h)
{
    if (h->ncharts * 2 >= h->charts_cap) {
        size_t cap = h->charts_cap ? h->charts_cap * 2 : 64;
        StorageDim **tab = calloc(cap, sizeof *tab);
        if (!tab) {
            return -1;
        }
        for (size_t i = 0; i < h->charts_cap; i++) {
            StorageDim *e = h->charts[i];
            size_t k = e ? hash_ids(e->chart_id, "") & (cap - 1) : 0;
            while (e && tab[k]) {
                k = (k + 1) & (cap - 1);
            }
            if (e) {
                tab[k] = e;
            }
        }
        free(h->charts);
        h->charts = tab;
        h->charts_cap = cap;
    }
    return 0;
}

/* Link D into the ring of its chart's dims (the group pages are made of). */
static void chart_link(StorageHost *h, StorageDim *d)
{
    size_t k = hash_ids(d->chart_id, "") & (h->charts_cap - 1);
    while (h->charts[k] && strcmp(h->charts[k]->chart_id, d->chart_id) != 0) {
        k = (k + 1) & (h->charts_cap - 1);
    }
    StorageDim *first = h->charts[k];
    if (!first) {
        h->charts[k] = d;
        h->ncharts++;
        d->sib = d;
    } else {
        d->sib = first->sib;
        first->sib = d;
    }
}

/* D answers to number NO from now on (its old number maps to nothing). 0 or -1 (memory). */
int storage_dbe_set_no(StorageHost *h, StorageDim *d, uint32_t no)
{
    if (no >= h->nos) {
        uint32_t n = h->nos ? h->nos : 64;
        while (n <= no) {
            n *= 2;
        }
        StorageDim **t = realloc(h->by_no, n * sizeof *t);
        if (!t) {
            return -1;
        }
        memset(t + h->nos, 0, (n - h->nos) * sizeof *t);
        h->by_no = t;
        h->nos = n;
    }
    if (d->no < h->nos && h->by_no[d->no] == d) {
        h->by_no[d->no] = NULL;
    }
    h->by_no[no] = d;
    d->no = no;
    return 0;
}

/* A new, empty dim of H with number NO (not written to the registry). NULL when out of memory. */
StorageDim *storage_dbe_dim_new(StorageHost *h, const char *chart_id, const char *dim_id,
                                uint32_t no, int update_every)
{
    size_t cl = strlen(chart_id), dl = strlen(dim_id);
    StorageDim *d = calloc(1, sizeof *d);
    char *ids = malloc(cl + dl + 2);
    if (!d || !ids) {
        free(d);
        free(ids);
        return NULL;
    }
    memcpy(ids, chart_id, cl + 1);
    memcpy(ids + cl + 1, dim_id, dl + 1);
    d->chart_id = ids;
    d->dim_id = ids + cl + 1;
    d->host = h;
    d->update_every = update_every < 1 ? 1 : update_every;
    if (chart_reserve(h) != 0 || storage_dbe_set_no(h, d, no) != 0 || hash_insert(h, d) != 0) {
        if (d->no == no && no < h->nos && h->by_no[no] == d) {
            h->by_no[no] = NULL;
        }
        free(ids);
        free(d);
        return NULL;
    }
    chart_link(h, d);
    return d;
}

/* Append R to D's page index. 0, or -1 when out of memory (the page stays on disk, unseen). */
int storage_dbe_index_add(StorageDim *d, const DbePageRef *r)
{
    if (d->npages == d->pages_cap) {
        size_t cap = d->pages_cap ? d->pages_cap * 2 : 8;
        DbePageRef *p = realloc(d->pages, cap * sizeof *p);
        if (!p) {
            return -1;
        }
        d->host->bytes += (cap - d->pages_cap) * sizeof *p;
        d->pages = p;
        d->pages_cap = cap;
    }
    d->pages[d->npages++] = *r;
    return 0;
}

/* Drop the pages of files the disk budget deleted since the last look. */
static void prune(StorageHost *h)
{
    uint32_t del = storage_dbe_disk_deleted(h->disk);
    if (del <= h->seen_deleted) {
        return;
    }
    h->seen_deleted = del;
    for (uint32_t no = 0; no < h->nos; no++) {
        StorageDim *d = h->by_no[no];
        size_t k = 0;
        while (d && k < d->npages && d->pages[k].fileno < del) {
            k++;
        }
        if (k) {
            memmove(d->pages, d->pages + k, (d->npages - k) * sizeof *d->pages);
            d->npages -= k;
        }
    }
    if (h->rfd >= 0 && h->rfileno < del) {
        close(h->rfd);              /* its blocks are already freed (truncated) */
        h->rfd = -1;
    }
}

/* ---- open pages ------------------------------------------------------------------------------ */

/* Room for NEED slots (64, 256 or 1024): 0, or -1 when the page cache budget (or memory) says
   no; a dim without any page memory always gets DBE_OPEN_MIN slots. */
static int open_grow(StorageDim *d, uint32_t need)
{
    uint32_t cap = DBE_OPEN_MIN;
    while (cap < need) {
        cap *= 4;
    }
    cap = cap > DBE_PAGE_POINTS ? DBE_PAGE_POINTS : cap;
    size_t grow = (cap - d->open_cap) * sizeof(float);
    if (storage_dbe_mem_grow(grow, d->open_cap == 0) != 0) {
        return -1;
    }
    float *p = realloc(d->open, cap * sizeof *p);
    if (!p) {
        storage_dbe_mem_release(grow);
        return -1;
    }
    d->open = p;
    d->open_cap = cap;
    d->host->bytes += grow;
    return 0;
}

/* ---- StorageOps ------------------------------------------------------------------------------ */

static void host_free(StorageHost *h)
{
    size_t open = 0;
    for (size_t i = 0; i < h->hash_cap; i++) {
        for (StorageDim *d = h->hash[i], *nx; d; d = nx) {
            nx = d->hnext;
            open += d->open_cap * sizeof(float);
            free(d->open);
            free(d->pages);
            free(d->chart_id);
            free(d);
        }
    }
    storage_dbe_mem_release(open);
    storage_dbe_cache_drop(h->uid);
    if (h->disk) {
        storage_dbe_disk_detach(h->disk);
    }
    storage_dbe_close_files(h);
    free(h->hash);
    free(h->charts);
    free(h->gdec);
    free(h->by_no);
    free(h->wbuf);
    free(h->rbuf);
    free(h->dec);
    free(h);
}

/*
** Open (creating when missing) the dbengine files of the host CFG names, in
** storage_host_dir(CFG)/dbengine: load the registry, scan the data files (recovering from a
** crash, see storage_dbengine_file.c) and join the shared disk budget. Returns the host, or
** NULL (logged) when the directory cannot be made or memory runs out.
*/
static StorageHost *dbe_open_host(const StorageConfig *cfg)
{
    char base[PATH_MAX];
    StorageHost *h = calloc(1, sizeof *h);
    if (!h) {
        return NULL;
    }
    h->uid = atomic_fetch_add(&next_uid, 1);
    h->wfd = h->rfd = h->reg_fd = -1;
    h->next_no = 1;
    h->next_fileno = 1;
    if (storage_host_dir(cfg, base, sizeof base) != 0
        || snprintf(h->dir, sizeof h->dir, "%s/dbengine", base) >= (int)sizeof h->dir
        || (mkdir(h->dir, 0755) != 0 && errno != EEXIST)) {
        log_line(LOG_ERR, "dbengine: cannot create '%s/dbengine': %s", base, strerror(errno));
        free(h);
        return NULL;
    }
    uint64_t lim = storage_dbe_disk_budget() / 8;
    h->file_limit = lim < DBE_FILE_MIN ? DBE_FILE_MIN : lim > DBE_FILE_MAX ? DBE_FILE_MAX : lim;
    h->wbuf = malloc(DBE_REC_HDR + DBE_GROUP_MAX);        /* > gorilla_bound(a page) */
    h->rbuf = malloc(DBE_REC_HDR + DBE_GROUP_MAX);
    h->dec = malloc(DBE_PAGE_POINTS * sizeof *h->dec);
    if (!h->wbuf || !h->rbuf || !h->dec
        || !(h->disk = storage_dbe_disk_attach(cfg->data_dir ? cfg->data_dir : ".", h->dir))) {
        host_free(h);
        return NULL;
    }
    h->seen_deleted = storage_dbe_disk_deleted(h->disk);
    int rc = storage_dbe_load(h);
    storage_dbe_disk_ready(h->disk);
    if (rc != 0) {
        host_free(h);
        return NULL;
    }
    return h;
}

/* Slot times of an old grid mean nothing on the new one: D restarts empty under a new number. */
static void dbe_set_update_every(StorageDim *d, int update_every)
{
    StorageHost *h = d->host;
    h->bytes -= d->pages_cap * sizeof *d->pages;
    free(d->pages);
    d->pages = NULL;
    d->npages = d->pages_cap = 0;
    d->open_n = 0;
    d->has_data = 0;
    d->last_t = 0;
    d->update_every = update_every < 1 ? 1 : update_every;
    if (storage_dbe_set_no(h, d, h->next_no) == 0) {
        h->next_no++;
        storage_dbe_reg_add(h, d);
    }
}

/* The series (CHART_ID, DIM_ID) of H: the one kept on disk when its update_every is the same,
   else a new one (registered in dims.reg). NULL when out of memory. */
static StorageDim *dbe_create_dim(StorageHost *h, const char *chart_id, const char *dim_id,
                                  int update_every)
{
    update_every = update_every < 1 ? 1 : update_every;
    StorageDim *d = storage_dbe_dim_find(h, chart_id, dim_id);
    if (d) {
        if (d->update_every != update_every) {
            dbe_set_update_every(d, update_every);
        }
        return d;
    }
    if (!(d = storage_dbe_dim_new(h, chart_id, dim_id, h->next_no, update_every))) {
        return NULL;
    }
    h->next_no++;
    storage_dbe_reg_add(h, d);
    return d;
}

/* Store V at slot T (times at or before the newest slot are ignored, as ram). Skipped slots
   inside a page are NAN; a gap that does not fit the page starts a new page. */
static void dbe_append(StorageDim *d, int64_t t, double v)
{
    if (d->has_data && t <= d->last_t) {
        return;
    }
    int64_t ue = d->update_every;
    if (d->open_n) {
        int64_t off = t - d->open_t;
        if (off % ue || off / ue >= DBE_PAGE_POINTS
            || (off >= DBE_PAGE_SPAN && d->open_n >= DBE_OPEN_MIN)) {
            storage_dbe_page_write(d);
        }
    }
    if (!d->open_n) {
        d->open_t = t;
    }
    uint32_t idx = (uint32_t)((t - d->open_t) / ue);
    if (idx >= d->open_cap && open_grow(d, idx + 1) != 0) {
        storage_dbe_page_write(d);          /* over the page cache budget: write early, start again */
        d->open_t = t;
        idx = 0;
        if (!d->open_cap) {
            return;             /* no memory at all: the sample is dropped */
        }
    }
    for (uint32_t i = d->open_n; i < idx; i++) {
        d->open[i] = NAN;
    }
    d->open[idx] = (float)v;
    d->open_n = idx + 1;
    d->last_t = t;
    d->has_data = 1;
    if (d->open_n == DBE_PAGE_POINTS && !storage_dbe_sibling_pending(d)) {
        storage_dbe_page_write(d);          /* a waiting one is written at its next append at the latest */
    }
}

static int64_t dbe_first_t(StorageDim *d)
{
    prune(d->host);
    return d->npages ? d->pages[0].first_t : d->open_n ? d->open_t : 0;
}

static int64_t dbe_last_t(StorageDim *d)
{
    prune(d->host);
    return d->npages || d->open_n ? d->last_t : 0;
}

/* Points with AFTER <= t <= BEFORE, oldest first; when more than CAP match, the newest CAP. */
static size_t dbe_query(StorageDim *d, int64_t after, int64_t before, StoragePoint *out,
                        size_t cap)
{
    StorageHost *h = d->host;
    int64_t ue = d->update_every, first = dbe_first_t(d), last = dbe_last_t(d);
    if ((!d->npages && !d->open_n) || !cap || after > before || before < first || after > last) {
        return 0;
    }
    /* slots back from the newest, as ram: NEWK the newest wanted, OLDK the oldest */
    int64_t newk = before >= last ? 0 : (last - before + ue - 1) / ue;
    int64_t oldk = after <= first ? (last - first) / ue : (last - after) / ue;
    if (oldk < newk) {
        return 0;
    }
    if ((uint64_t)(oldk - newk) >= cap) {
        oldk = newk + (int64_t)cap - 1;
    }
    size_t n = (size_t)(oldk - newk + 1);
    int64_t lo = last - oldk * ue, hi = last - newk * ue;
    for (size_t i = 0; i < n; i++) {
        out[i].t = lo + (int64_t)i * ue;
        out[i].v = NAN;
    }
    DbeFill f = {out, n, lo, ue};
    size_t a = 0, b = d->npages;     /* the first page ending at or after LO */
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (d->pages[m].first_t + (int64_t)(d->pages[m].count - 1) * ue < lo) {
            a = m + 1;
        } else {
            b = m;
        }
    }
    for (; a < d->npages && d->pages[a].first_t <= hi; a++) {
        const DbePageRef *r = &d->pages[a];
        if (!storage_dbe_cache_fill(h->uid, r, &f) && storage_dbe_read(h, r, d) == 0) {
            storage_dbe_fill(&f, r->first_t, ue, h->dec, r->count);
            storage_dbe_cache_put(h->uid, r, ue, h->dec);
            for (uint32_t j = 0; j < h->gdec_k; j++) {      /* a chart is queried together */
                DbePageRef o = *r;
                o.member = (uint8_t)j;
                if (j != r->member) {
                    storage_dbe_cache_put(h->uid, &o, ue, h->gdec + (size_t)j * r->count);
                }
            }
        }
    }
    if (d->open_n) {
        storage_dbe_fill(&f, d->open_t, ue, d->open, d->open_n);
    }
    return n;
}

static size_t dbe_bytes(StorageHost *h)
{
    return h->bytes;
}

/* Write every open page (partial ones too) and sync: after this a clean stop loses nothing. */
static void dbe_flush(StorageHost *h)
{
    prune(h);
    for (uint32_t no = 0; no < h->nos; no++) {
        if (h->by_no[no]) {
            storage_dbe_page_write(h->by_no[no]);
        }
    }
    storage_dbe_sync(h);
}

static void dbe_close_host(StorageHost *h)
{
    if (!h) {
        return;
    }
    dbe_flush(h);
    host_free(h);
}

const StorageOps storage_dbengine_ops = {
    .name = "dbengine",
    .open_host = dbe_open_host,
    .create_dim = dbe_create_dim,
    .append = dbe_append,
    .query = dbe_query,
    .first_t = dbe_first_t,
    .last_t = dbe_last_t,
    .bytes = dbe_bytes,
    .flush = dbe_flush,
    .close_host = dbe_close_host,
    .set_update_every = dbe_set_update_every,
};

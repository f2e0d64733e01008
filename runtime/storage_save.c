/*
** storage_save.c - the "save" storage engine (memory mode save): while running exactly the ram
** engine (storage_ring.c); on flush and on a clean stop (close_host) every dimension is written
** to one file per host, storage_host_dir()/samples.save, and on start that file is read back so
** create_dim finds its dimension's samples by (chart_id, dim_id).
**
** File (host byte order; little-endian on every supported target):
**   header   magic "STRMCSAV" (8) | u32 version = 1 | u32 reserved = 0 | u64 ndims
**   ndims x  u16 chart_len | u16 dim_len | i32 update_every | i64 last_t | u64 count
**            | chart_id (chart_len bytes, no NUL) | dim_id (dim_len) | count x f32, oldest first
**   trailer  u64 XXH3-64 of every byte before it
** Written atomically: samples.save.tmp, fsync, rename over samples.save, fsync the directory.
** A file that is zero-length, truncated, torn, of another magic or version, or fails the
** checksum is refused with one log line and renamed to samples.save.corrupt; the host starts
** empty. Crash window: everything appended since the last flush or clean stop (a crash while
** writing leaves the previous file; the stale .tmp is removed on the next start).
** Dimensions in the file that this run never creates are written back unchanged.
*/
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "log.h"
#include "storage.h"
#include "storage_ring.h"

#define SAVE_NAME "samples.save"
#define SAVE_MAGIC "STRMCSAV"
#define SAVE_VERSION 1u
#define SAVE_HDR 24                     /* magic, version, reserved, ndims */
#define SAVE_REC 24                     /* fixed part of a dimension record */
#define SAVE_SUM 8
#define SAVE_MAX_ID 65535               /* the u16 length fields */

typedef struct SavedDim {               /* a dimension read from the file, not yet claimed */
    char *chart_id;
    char *dim_id;
    float *samples;                     /* count, oldest first; NULL once claimed */
    size_t count;
    int64_t last_t;
    int update_every;
    size_t order;                       /* record number: the first of duplicates wins */
} SavedDim;

struct StorageDim {
    StorageRing ring;
    char *chart_id;
    char *dim_id;
    struct StorageHost *host;
    struct StorageDim *next;            /* host's list, for save and close */
};

struct StorageHost {
    size_t history;
    size_t bytes;                       /* rings plus unclaimed saved samples */
    int dirty;                          /* something changed since the file was written */
    struct StorageDim *dims;
    SavedDim *saved;                    /* sorted by (chart_id, dim_id) for bsearch */
    size_t nsaved;
    char path[PATH_MAX];                /* the save file; "" when this host cannot persist */
    char dir[PATH_MAX];
};

/* ---- reading -------------------------------------------------------------------------------- */

typedef struct Cursor {
    const unsigned char *p;
    size_t n, off;
} Cursor;

/* Copy N bytes at the cursor to DST. -1 when fewer than N remain. */
static int take(Cursor *c, void *dst, size_t n)
{
    if (n > c->n - c->off) {
        return -1;
    }
    memcpy(dst, c->p + c->off, n);
    c->off += n;
    return 0;
}

static int cmp_saved(const void *a, const void *b)
{
    const SavedDim *x = a, *y = b;
    int c = strcmp(x->chart_id, y->chart_id);
    return c ? c : strcmp(x->dim_id, y->dim_id);
}

static int cmp_saved_order(const void *a, const void *b)
{
    const SavedDim *x = a, *y = b;
    int c = cmp_saved(a, b);
    return c ? c : (x->order > y->order) - (x->order < y->order);
}

static void saved_free(StorageHost *h)
{
    for (size_t i = 0; i < h->nsaved; i++) {
        free(h->saved[i].chart_id);
        free(h->saved[i].dim_id);
        free(h->saved[i].samples);
    }
    free(h->saved);
    h->saved = NULL;
    h->nsaved = 0;
}

/* An id of N bytes at the cursor: inside the file, not empty, no NUL. */
static int id_ok(const Cursor *c, size_t at, size_t n)
{
    return n && n <= c->n - at && !memchr(c->p + at, 0, n);
}

/* Parse the records of a file whose header and checksum were checked. NULL, or a reason. */
static const char *parse_records(StorageHost *h, Cursor *c, uint64_t ndims)
{
    if (ndims > (c->n - c->off) / SAVE_REC) {
        return "dimension count does not fit in the file";
    }
    h->saved = calloc(ndims ? ndims : 1, sizeof *h->saved);
    if (!h->saved) {
        return "out of memory";
    }
    for (uint64_t i = 0; i < ndims; i++) {
        uint16_t cl, dl;
        int32_t ue;
        int64_t last_t;
        uint64_t count;
        if (take(c, &cl, 2) || take(c, &dl, 2) || take(c, &ue, 4) || take(c, &last_t, 8) ||
            take(c, &count, 8)) {
            return "dimension record cut short";
        }
        if (ue < 1 || count == 0 || count > STORAGE_RING_MAX_HISTORY) {
            return "dimension record out of range";
        }
        if (!id_ok(c, c->off, cl) || !id_ok(c, c->off + cl, dl)) {
            return "bad dimension ids";
        }
        SavedDim *s = &h->saved[h->nsaved++];
        s->chart_id = strndup((const char *)c->p + c->off, cl);
        s->dim_id = strndup((const char *)c->p + c->off + cl, dl);
        if (!s->chart_id || !s->dim_id) {
            return "out of memory";
        }
        c->off += (size_t)cl + dl;
        if (count * sizeof(float) > c->n - c->off) {
            return "samples cut short";
        }
        if (!(s->samples = malloc(count * sizeof(float)))) {
            return "out of memory";
        }
        take(c, s->samples, count * sizeof(float));
        s->count = count;
        s->last_t = last_t;
        s->update_every = ue;
        s->order = i;
    }
    if (c->off != c->n) {
        return "bytes after the last dimension";
    }
    /* A dimension created twice in one run is saved twice, the newer first: keep that one. */
    qsort(h->saved, h->nsaved, sizeof *h->saved, cmp_saved_order);
    size_t keep = 0;
    for (size_t i = 0; i < h->nsaved; i++) {
        if (keep && !cmp_saved(&h->saved[keep - 1], &h->saved[i])) {
            free(h->saved[i].chart_id);
            free(h->saved[i].dim_id);
            free(h->saved[i].samples);
        } else {
            h->saved[keep++] = h->saved[i];
        }
    }
    h->nsaved = keep;
    return NULL;
}

/* Check and parse the N bytes at P. NULL when loaded, or a short reason. */
static const char *parse_file(StorageHost *h, const unsigned char *p, size_t n)
{
    if (n == 0) {
        return "zero-length file";
    }
    if (n < SAVE_HDR + SAVE_SUM) {
        return "truncated header";
    }
    if (memcmp(p, SAVE_MAGIC, 8) != 0) {
        return "wrong magic";
    }
    uint32_t version;
    uint64_t ndims, sum;
    memcpy(&version, p + 8, 4);
    if (version != SAVE_VERSION) {
        return "unsupported version";
    }
    memcpy(&sum, p + n - SAVE_SUM, SAVE_SUM);
    if (XXH3_64bits(p, n - SAVE_SUM) != sum) {
        return "checksum mismatch (torn, truncated or corrupted)";
    }
    memcpy(&ndims, p + 16, 8);
    Cursor c = {p, n - SAVE_SUM, SAVE_HDR};
    const char *why = parse_records(h, &c, ndims);
    if (why) {
        saved_free(h);
    }
    return why;
}

static void refuse(StorageHost *h, const char *why)
{
    char aside[PATH_MAX + 16];
    snprintf(aside, sizeof aside, "%s.corrupt", h->path);
    if (rename(h->path, aside) == 0) {
        log_line(LOG_ERR, "storage save: refused '%s': %s; moved aside to '%s', the host "
                 "starts empty", h->path, why, aside);
    } else {
        log_line(LOG_ERR, "storage save: refused '%s': %s; cannot move it aside (%s), the host "
                 "starts empty and will not save", h->path, why, strerror(errno));
        h->path[0] = 0;
    }
}

/* Load H->path. A missing file is a new host; any other failure is logged. */
static void load(StorageHost *h)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", h->path);
    unlink(tmp);                        /* a save cut short by a crash: never renamed in */
    int fd = open(h->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);   /* a FIFO must not block */
    if (fd < 0) {
        if (errno != ENOENT) {
            log_line(LOG_ERR, "storage save: cannot open '%s': %s; the host starts empty and "
                     "will not save", h->path, strerror(errno));
            h->path[0] = 0;
        }
        return;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        why = "not a readable regular file";
    } else if (st.st_size == 0) {
        why = parse_file(h, NULL, 0);
    } else {
        size_t n = (size_t)st.st_size;
        void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            why = "out of memory";
        } else {
            why = parse_file(h, p, n);
            munmap(p, n);
        }
    }
    close(fd);
    if (why && !strcmp(why, "out of memory")) {
        /* the file may well be sound: keep it, and do not overwrite it with less */
        log_line(LOG_ERR, "storage save: cannot load '%s': out of memory; the host starts empty "
                 "and will not save", h->path);
        h->path[0] = 0;
        return;
    }
    if (why) {
        refuse(h, why);
        return;
    }
    size_t samples = 0;
    for (size_t i = 0; i < h->nsaved; i++) {
        samples += h->saved[i].count;
    }
    h->bytes += samples * sizeof(float);
    log_line(LOG_INFO, "storage save: loaded %zu dimensions, %zu samples from '%s'", h->nsaved,
             samples, h->path);
}

/* ---- writing -------------------------------------------------------------------------------- */

typedef struct SaveOut {
    int fd;
    int err;                            /* errno of the first failure, 0 while fine */
    size_t n;
    XXH3_state_t *xs;
    unsigned char buf[1 << 16];
} SaveOut;

static void out_drain(SaveOut *o)
{
    size_t off = 0;
    while (off < o->n && !o->err) {
        ssize_t w = write(o->fd, o->buf + off, o->n - off);
        if (w < 0 && errno != EINTR) {
            o->err = errno;
        } else if (w > 0) {
            off += (size_t)w;
        }
    }
    o->n = 0;
}

static void out_raw(SaveOut *o, const void *p, size_t n)
{
    const unsigned char *s = p;
    while (n && !o->err) {
        if (o->n == sizeof o->buf) {
            out_drain(o);
        }
        size_t k = sizeof o->buf - o->n < n ? sizeof o->buf - o->n : n;
        memcpy(o->buf + o->n, s, k);
        o->n += k;
        s += k;
        n -= k;
    }
}

static void out(SaveOut *o, const void *p, size_t n)
{
    XXH3_64bits_update(o->xs, p, n);
    out_raw(o, p, n);
}

static void out_dim(SaveOut *o, const char *chart_id, const char *dim_id, int ue,
                    int64_t last_t, const float *samples, size_t count)
{
    uint16_t cl = (uint16_t)strlen(chart_id), dl = (uint16_t)strlen(dim_id);
    int32_t u = ue;
    uint64_t c = count;
    out(o, &cl, 2);
    out(o, &dl, 2);
    out(o, &u, 4);
    out(o, &last_t, 8);
    out(o, &c, 8);
    out(o, chart_id, cl);
    out(o, dim_id, dl);
    out(o, samples, count * sizeof(float));
}

static int storable(const StorageDim *d)
{
    return d->ring.count && strlen(d->chart_id) <= SAVE_MAX_ID && strlen(d->dim_id) <= SAVE_MAX_ID;
}

/* Every stored dimension of H into O (tmp file already open). */
static void write_body(StorageHost *h, SaveOut *o)
{
    uint64_t ndims = 0;
    for (StorageDim *d = h->dims; d; d = d->next) {
        ndims += storable(d) ? 1 : 0;
    }
    for (size_t i = 0; i < h->nsaved; i++) {
        ndims += h->saved[i].samples ? 1 : 0;
    }
    uint32_t version = SAVE_VERSION, reserved = 0;
    out(o, SAVE_MAGIC, 8);
    out(o, &version, 4);
    out(o, &reserved, 4);
    out(o, &ndims, 8);
    float *tmp = NULL;
    size_t tmp_cap = 0;
    for (StorageDim *d = h->dims; d && !o->err; d = d->next) {
        if (!storable(d)) {
            continue;
        }
        if (d->ring.count > tmp_cap) {
            free(tmp);
            tmp_cap = d->ring.count;
            if (!(tmp = malloc(tmp_cap * sizeof *tmp))) {
                o->err = ENOMEM;
                break;
            }
        }
        storage_ring_copy_out(&d->ring, tmp);
        out_dim(o, d->chart_id, d->dim_id, d->ring.update_every, d->ring.last_t, tmp,
                d->ring.count);
    }
    free(tmp);
    for (size_t i = 0; i < h->nsaved && !o->err; i++) {
        SavedDim *s = &h->saved[i];
        if (s->samples) {
            out_dim(o, s->chart_id, s->dim_id, s->update_every, s->last_t, s->samples, s->count);
        }
    }
    uint64_t sum = XXH3_64bits_digest(o->xs);
    out_raw(o, &sum, sizeof sum);
    out_drain(o);
}

static int fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return -1;
    }
    int rc = fsync(fd);
    close(fd);
    return rc;
}

/* Write H's file atomically when anything changed; the dims stay (storage.h flush). Failures
   are logged; the previous file then stays in place. */
static void save_flush(StorageHost *h)
{
    if (!h->path[0] || !h->dirty) {
        return;
    }
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", h->path);
    SaveOut *o = calloc(1, sizeof *o);
    if (!o || !(o->xs = XXH3_createState())) {
        free(o);
        log_line(LOG_ERR, "storage save: cannot write '%s': out of memory", h->path);
        return;
    }
    XXH3_64bits_reset(o->xs);
    const char *step = "create", *what = tmp;
    int renamed = 0;
    o->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (o->fd < 0) {
        o->err = errno;
    } else {
        step = "write";
        write_body(h, o);
        if (!o->err && fsync(o->fd) != 0) {
            step = "fsync";
            o->err = errno;
        }
        if (close(o->fd) != 0 && !o->err) {
            step = "close";
            o->err = errno;
        }
        if (!o->err && rename(tmp, h->path) != 0) {
            step = "rename";
            what = h->path;
            o->err = errno;
        }
        if (o->err) {
            unlink(tmp);
        } else {
            renamed = 1;
            if (fsync_dir(h->dir) != 0) {      /* the rename may not be durable yet */
                step = "fsync the directory of";
                what = h->path;
                o->err = errno;
            }
        }
    }
    if (o->err && renamed) {
        log_line(LOG_ERR, "storage save: cannot %s '%s': %s; it may not survive an OS crash",
                 step, what, strerror(o->err));
    } else if (o->err) {
        log_line(LOG_ERR, "storage save: cannot %s '%s': %s; the previous save stays", step, what,
                 strerror(o->err));
    } else {
        h->dirty = 0;
    }
    XXH3_freeState(o->xs);
    free(o);
}

/* ---- the engine ----------------------------------------------------------------------------- */

static StorageHost *save_open_host(const StorageConfig *cfg)
{
    StorageHost *h = calloc(1, sizeof *h);
    if (!h) {
        return NULL;
    }
    h->history = storage_ring_history(cfg->history);
    if (storage_host_dir(cfg, h->dir, sizeof h->dir) != 0) {
        log_line(LOG_ERR, "storage save: cannot use directory '%s': %s; the host will not be "
                 "saved", h->dir, strerror(errno));
        return h;
    }
    if (snprintf(h->path, sizeof h->path, "%s/%s", h->dir, SAVE_NAME) >= (int)sizeof h->path) {
        log_line(LOG_ERR, "storage save: path too long under '%s'; the host will not be saved",
                 h->dir);
        h->path[0] = 0;
        return h;
    }
    load(h);
    return h;
}

/* The saved entry for (CHART_ID, DIM_ID) still unclaimed, or NULL. */
static SavedDim *find_saved(StorageHost *h, const char *chart_id, const char *dim_id)
{
    if (!h->nsaved) {
        return NULL;
    }
    SavedDim key = {.chart_id = (char *)chart_id, .dim_id = (char *)dim_id};
    SavedDim *s = bsearch(&key, h->saved, h->nsaved, sizeof *h->saved, cmp_saved);
    return s && s->samples ? s : NULL;
}

static StorageDim *save_create_dim(StorageHost *h, const char *chart_id, const char *dim_id,
                                   int update_every)
{
    StorageDim *d = calloc(1, sizeof *d);
    if (!d || !(d->chart_id = strdup(chart_id)) || !(d->dim_id = strdup(dim_id))) {
        if (d) {
            free(d->chart_id);
        }
        free(d);
        return NULL;
    }
    storage_ring_init(&d->ring, h->history, update_every);
    d->host = h;
    d->next = h->dims;
    h->dims = d;
    SavedDim *s = find_saved(h, chart_id, dim_id);
    if (s) {
        h->bytes -= s->count * sizeof(float);
        if (s->update_every == d->ring.update_every) {
            h->bytes += storage_ring_adopt(&d->ring, s->samples, s->count, s->last_t);
        } else {
            /* another grid: the slots mean nothing on it, as after set_update_every */
            free(s->samples);
            h->dirty = 1;
        }
        s->samples = NULL;
    }
    return d;
}

static void save_append(StorageDim *d, int64_t t, double v)
{
    storage_ring_append(&d->ring, t, v, &d->host->bytes);
    d->host->dirty = 1;
}

static int64_t save_first_t(StorageDim *d)
{
    return storage_ring_first_t(&d->ring);
}

static int64_t save_last_t(StorageDim *d)
{
    return storage_ring_last_t(&d->ring);
}

static size_t save_query(StorageDim *d, int64_t after, int64_t before, StoragePoint *out,
                         size_t cap)
{
    return storage_ring_query(&d->ring, after, before, out, cap);
}

static size_t save_bytes(StorageHost *h)
{
    return h->bytes;
}

/* Write the host's file, then free H and its dims. NULL is a no-op. */
static void save_close_host(StorageHost *h)
{
    if (!h) {
        return;
    }
    save_flush(h);
    StorageDim *d = h->dims;
    while (d) {
        StorageDim *n = d->next;
        storage_ring_free(&d->ring);
        free(d->chart_id);
        free(d->dim_id);
        free(d);
        d = n;
    }
    saved_free(h);
    free(h);
}

static void save_set_update_every(StorageDim *d, int update_every)
{
    storage_ring_reset(&d->ring, update_every);
    d->host->dirty = 1;
}

const StorageOps storage_save_ops = {
    .name = "save",
    .open_host = save_open_host,
    .create_dim = save_create_dim,
    .append = save_append,
    .query = save_query,
    .first_t = save_first_t,
    .last_t = save_last_t,
    .bytes = save_bytes,
    .flush = save_flush,
    .close_host = save_close_host,
    .set_update_every = save_set_update_every,
};

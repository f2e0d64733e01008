/*
** storage_map.c - the "map" storage engine (memory mode map): per dimension one file in
** storage_host_dir()/map/, mapped MAP_SHARED, holding a header and the float ring, so the data
** survives a process crash entirely (the pages belong to the kernel) and an OS crash up to what
** the kernel wrote back (flush and close msync). Queries go through storage_ring.c, so they
** answer exactly as the ram engine does for the same appends.
**
** File <hash>.map (<hash>-<n>.map on a hash collision), hash = XXH3-64 of chart_id NUL dim_id,
** host byte order (little-endian on every supported target):
**   [0, 640)    identity: magic "STRMCMAP" (8) | u32 version = 1 | u32 header size = 768
**               | u32 history | u32 slots = history + 1 | u16 chart_len | u16 dim_len
**               | u32 0 | chart_id[256] | dim_id[256] (NUL-padded) | 88 bytes 0
**               | u64 XXH3-64 of bytes [0, 632)
**   [640, 768)  two state records of 64 bytes: u64 seq | i64 last_t | u32 head | u32 count
**               | i32 update_every | u32 0 | 24 bytes 0 | u64 XXH3-64 of its first 56 bytes
**   [768, ...)  slots x f32: the ring (slot k back from head holds last_t - k*update_every)
**
** Commit order, so a kill -9 at any instruction leaves a consistent file: the sample goes into
** the slot after head, which is never a valid slot (the ring has one spare slot beyond history),
** then the new state goes into the record the current state is not in, checksum included. On
** open the valid record with the higher seq wins; a record torn mid-write fails its checksum and
** the previous one is used (logged): at most the sample being appended at the kill is lost. An
** OS crash can lose what the kernel had not written back (pages may land in any order, so the
** newest samples of that window can be missing or stale); flush() closes that window. Files that
** fail the identity checks (zero-length, truncated, wrong magic or version, checksum, size) or
** have no valid state are logged, renamed to <name>.corrupt and replaced by an empty file.
*/
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdatomic.h>
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

#define MAP_MAGIC "STRMCMAP"
#define MAP_VERSION 1u
#define MAP_ID_MAX 255
#define MAP_PROBES 8            /* file names tried per (chart_id, dim_id) */

typedef struct MapIdent {
    char magic[8];
    uint32_t version;
    uint32_t header_size;
    uint32_t history;
    uint32_t slots;
    uint16_t chart_len;
    uint16_t dim_len;
    uint32_t reserved0;
    char chart_id[MAP_ID_MAX + 1];
    char dim_id[MAP_ID_MAX + 1];
    unsigned char reserved[88];
    uint64_t checksum;
} MapIdent;

typedef struct MapState {
    uint64_t seq;
    int64_t last_t;
    uint32_t head;
    uint32_t count;
    int32_t update_every;
    uint32_t reserved0;
    uint64_t reserved[3];
    uint64_t checksum;
} MapState;

typedef struct MapHeader {
    MapIdent id;
    MapState state[2];
} MapHeader;

_Static_assert(sizeof(MapIdent) == 640, "map identity layout");
_Static_assert(sizeof(MapState) == 64, "map state layout");
_Static_assert(sizeof(MapHeader) == 768, "map header layout");

struct StorageDim {
    StorageRing ring;           /* slots point after HDR; head/count/last_t as committed */
    MapHeader *hdr;             /* the mapping, or a heap block when not persistent */
    size_t len;                 /* bytes of HDR's block */
    uint64_t seq;               /* the committed state's seq */
    uint64_t hash;
    int mapped;
    struct StorageHost *host;
    struct StorageDim *next;
};

struct StorageHost {
    size_t history;
    size_t bytes;
    size_t unmapped;            /* dims kept in memory only (logged once, counted at close) */
    int have_dir;
    struct StorageDim *dims;
    char dir[PATH_MAX];         /* .../<guid>/map */
};

enum { OPEN_OK, OPEN_MISSING, OPEN_OTHER, OPEN_RESET, OPEN_ERR };

static uint64_t state_sum(const MapState *s)
{
    return XXH3_64bits(s, offsetof(MapState, checksum));
}

static size_t map_len(size_t history)
{
    return sizeof(MapHeader) + (history + 1) * sizeof(float);
}

/* Make STATE the committed state of D: the record after the current one, checksum included.
   The fences keep the compiler from moving the sample stores after the record. */
static void commit(StorageDim *d)
{
    MapState s;
    memset(&s, 0, sizeof s);
    s.seq = d->seq + 1;
    s.last_t = d->ring.last_t;
    s.head = (uint32_t)d->ring.head;
    s.count = (uint32_t)d->ring.count;
    s.update_every = d->ring.update_every;
    s.checksum = state_sum(&s);
    atomic_signal_fence(memory_order_seq_cst);
    d->hdr->state[s.seq & 1] = s;
    atomic_signal_fence(memory_order_seq_cst);
    d->seq = s.seq;
}

/* Fill a fresh header for (CHART_ID, DIM_ID) on HISTORY slots, empty on UE. */
static void header_init(MapHeader *m, size_t history, const char *chart_id, const char *dim_id,
                        int ue)
{
    memset(m, 0, sizeof *m);
    memcpy(m->id.magic, MAP_MAGIC, 8);
    m->id.version = MAP_VERSION;
    m->id.header_size = sizeof *m;
    m->id.history = (uint32_t)history;
    m->id.slots = (uint32_t)history + 1;
    m->id.chart_len = (uint16_t)strlen(chart_id);
    m->id.dim_len = (uint16_t)strlen(dim_id);
    memcpy(m->id.chart_id, chart_id, m->id.chart_len);
    memcpy(m->id.dim_id, dim_id, m->id.dim_len);
    m->id.checksum = XXH3_64bits(&m->id, offsetof(MapIdent, checksum));
    for (int i = 0; i < 2; i++) {      /* both records valid: no checksum failure when new */
        m->state[i].seq = (uint64_t)i;
        m->state[i].update_every = ue;
        m->state[i].checksum = state_sum(&m->state[i]);
    }
}

/* Point D's ring at its block and take the committed state SEQ/S. */
static void attach(StorageDim *d, const MapState *s)
{
    d->ring.slots = (float *)(void *)((char *)d->hdr + sizeof(MapHeader));
    d->ring.cap = d->hdr->id.slots;
    d->ring.max = d->hdr->id.history;
    d->ring.head = s->head;
    d->ring.count = s->count;
    d->ring.last_t = s->last_t;
    d->ring.update_every = s->update_every;
    d->seq = s->seq;
    d->host->bytes += d->ring.cap * sizeof(float);
}

/* The identity block of M, checked against a file of SIZE bytes. NULL, or a reason. */
static const char *check_ident(const MapHeader *m, size_t size)
{
    const MapIdent *id = &m->id;
    if (memcmp(id->magic, MAP_MAGIC, 8) != 0) {
        return "wrong magic";
    }
    if (id->version != MAP_VERSION) {
        return "unsupported version";
    }
    if (XXH3_64bits(id, offsetof(MapIdent, checksum)) != id->checksum) {
        return "header checksum mismatch";
    }
    if (id->header_size != sizeof *m || id->slots != id->history + 1 ||
        id->history < STORAGE_RING_MIN_HISTORY || id->history > STORAGE_RING_MAX_HISTORY ||
        id->chart_len > MAP_ID_MAX || id->dim_len > MAP_ID_MAX) {
        return "header fields out of range";
    }
    if (size != map_len(id->history)) {
        return "size does not match the header (truncated or extended)";
    }
    return NULL;
}

static int state_ok(const MapIdent *id, const MapState *s)
{
    return s->checksum == state_sum(s) && s->head < id->slots && s->count <= id->history &&
           s->update_every >= 1;
}

static int same_ids(const MapIdent *id, const char *chart_id, const char *dim_id)
{
    return id->chart_len == strlen(chart_id) && id->dim_len == strlen(dim_id) &&
           !memcmp(id->chart_id, chart_id, id->chart_len) &&
           !memcmp(id->dim_id, dim_id, id->dim_len);
}

static void set_aside(const char *path, const char *chart_id, const char *dim_id,
                      const char *why)
{
    char aside[PATH_MAX + 16];
    snprintf(aside, sizeof aside, "%s.corrupt", path);
    int rc = rename(path, aside);
    log_line(LOG_ERR, "storage map: refused '%s' (for %s.%s): %s; %s%s, the dimension starts "
             "empty", path, chart_id, dim_id, why, rc == 0 ? "moved aside to " : "replaced",
             rc == 0 ? aside : "");
}

/* Open the existing file PATH for (CHART_ID, DIM_ID) into D. OPEN_OK: mapped; OPEN_MISSING:
   no file; OPEN_OTHER: another dimension's file; OPEN_RESET: refused or of another history
   (logged), create it anew; OPEN_ERR: errno set. */
static int open_file(StorageDim *d, const char *path, const char *chart_id, const char *dim_id,
                     int ue)
{
    int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);   /* a FIFO must not block */
    if (fd < 0) {
        return errno == ENOENT ? OPEN_MISSING : OPEN_ERR;
    }
    struct stat st;
    MapHeader m;
    const char *why = NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        why = "not a regular file";
    } else if (st.st_size == 0) {
        why = "zero-length file";
    } else if ((size_t)st.st_size < sizeof m) {
        why = "truncated header";
    } else if (pread(fd, &m, sizeof m, 0) != (ssize_t)sizeof m) {
        why = "header unreadable";
    } else {
        why = check_ident(&m, (size_t)st.st_size);
    }
    if (!why && !same_ids(&m.id, chart_id, dim_id)) {
        close(fd);
        return OPEN_OTHER;
    }
    int ok0 = !why && state_ok(&m.id, &m.state[0]), ok1 = !why && state_ok(&m.id, &m.state[1]);
    if (!why && !ok0 && !ok1) {
        why = "both state records fail their checks";
    }
    if (why) {
        close(fd);
        set_aside(path, chart_id, dim_id, why);
        return OPEN_RESET;
    }
    if (m.id.history != d->host->history) {
        close(fd);
        log_line(LOG_INFO, "storage map: '%s' (%s.%s) holds %" PRIu32 " entries, history is %zu "
                 "now; the dimension starts empty", path, chart_id, dim_id, m.id.history,
                 d->host->history);
        return OPEN_RESET;
    }
    if (!ok0 || !ok1) {
        log_line(LOG_ERR, "storage map: '%s' (%s.%s): state record %d fails its checksum (torn "
                 "by a crash?); the previous state is used", path, chart_id, dim_id, ok0 ? 1 : 0);
    }
    size_t len = (size_t)st.st_size;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        errno = e;
        return OPEN_ERR;
    }
    d->hdr = p;
    d->len = len;
    d->mapped = 1;
    const MapState *s = ok0 && (!ok1 || m.state[0].seq > m.state[1].seq) ? &m.state[0]
                                                                         : &m.state[1];
    attach(d, s);
    if (d->ring.update_every != ue) {
        /* another grid: the slots mean nothing on it, as after set_update_every */
        log_line(LOG_INFO, "storage map: '%s' (%s.%s) was on update every %d, now %d; the "
                 "dimension starts empty", path, chart_id, dim_id, d->ring.update_every, ue);
        storage_ring_reset(&d->ring, ue);
        d->ring.head = s->head;
        commit(d);
    }
    return OPEN_OK;
}

/* A new empty file at PATH, created under PATH.tmp and renamed in, so a crash never leaves a
   half-written header under the real name. 0, or -1 with errno set. */
static int create_file(StorageDim *d, const char *path, const char *chart_id, const char *dim_id,
                       int ue)
{
    char tmp[PATH_MAX + 8];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    size_t len = map_len(d->host->history);
    MapHeader m;
    header_init(&m, d->host->history, chart_id, dim_id, ue);
    int fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -1;
    }
    void *p = MAP_FAILED;
    if (ftruncate(fd, (off_t)len) == 0 && pwrite(fd, &m, sizeof m, 0) == (ssize_t)sizeof m &&
        rename(tmp, path) == 0) {
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    }
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        unlink(tmp);
        errno = e;
        return -1;
    }
    d->hdr = p;
    d->len = len;
    d->mapped = 1;
    attach(d, &m.state[1]);
    return 0;
}

/* Find or create (CHART_ID, DIM_ID)'s file for D. 0, or -1 with errno set and WHERE naming the
   path that failed. */
static int attach_file(StorageDim *d, const char *chart_id, const char *dim_id, int ue,
                       char *where, size_t cap)
{
    StorageHost *h = d->host;
    for (int i = 0; i < MAP_PROBES; i++) {
        int n = i ? snprintf(where, cap, "%s/%016" PRIx64 "-%d.map", h->dir, d->hash, i)
                  : snprintf(where, cap, "%s/%016" PRIx64 ".map", h->dir, d->hash);
        if (n < 0 || (size_t)n >= cap) {
            errno = ENAMETOOLONG;
            return -1;
        }
        switch (open_file(d, where, chart_id, dim_id, ue)) {
        case OPEN_OK:
            return 0;
        case OPEN_OTHER:
            continue;
        case OPEN_MISSING:
        case OPEN_RESET:
            return create_file(d, where, chart_id, dim_id, ue);
        default:
            return -1;
        }
    }
    errno = EEXIST;
    return -1;
}

/* Not persistent: the same layout in a heap block, so every other path is the same. */
static int attach_heap(StorageDim *d, const char *chart_id, const char *dim_id, int ue)
{
    size_t len = map_len(d->host->history);
    MapHeader *m = calloc(1, len);
    if (!m) {
        return -1;
    }
    char c[MAP_ID_MAX + 1] = "", n[MAP_ID_MAX + 1] = "";
    strncat(c, chart_id, MAP_ID_MAX);
    strncat(n, dim_id, MAP_ID_MAX);
    header_init(m, d->host->history, c, n, ue);
    d->hdr = m;
    d->len = len;
    attach(d, &m->state[1]);
    return 0;
}

static uint64_t ids_hash(const char *chart_id, const char *dim_id)
{
    char key[2 * (MAP_ID_MAX + 1)];
    size_t cl = strlen(chart_id), dl = strlen(dim_id);
    memcpy(key, chart_id, cl);
    key[cl] = 0;
    memcpy(key + cl + 1, dim_id, dl);
    return XXH3_64bits(key, cl + 1 + dl);
}

/* Another dim of H already open on (CHART_ID, DIM_ID)'s file: two writers would interleave. */
static int open_twice(const StorageHost *h, uint64_t hash, const char *chart_id,
                      const char *dim_id)
{
    for (const StorageDim *d = h->dims; d; d = d->next) {
        if (d->mapped && d->hash == hash && same_ids(&d->hdr->id, chart_id, dim_id)) {
            return 1;
        }
    }
    return 0;
}

/* ---- the engine ----------------------------------------------------------------------------- */

static StorageHost *map_open_host(const StorageConfig *cfg)
{
    StorageHost *h = calloc(1, sizeof *h);
    if (!h) {
        return NULL;
    }
    h->history = storage_ring_history(cfg->history);
    char base[PATH_MAX];
    if (storage_host_dir(cfg, base, sizeof base) != 0 ||
        snprintf(h->dir, sizeof h->dir, "%s/map", base) >= (int)sizeof h->dir ||
        (mkdir(h->dir, 0755) != 0 && errno != EEXIST)) {
        log_line(LOG_ERR, "storage map: cannot use directory '%s': %s; the host is kept in "
                 "memory only", h->dir[0] ? h->dir : base, strerror(errno));
        return h;
    }
    h->have_dir = 1;
    return h;
}

static StorageDim *map_create_dim(StorageHost *h, const char *chart_id, const char *dim_id,
                                  int update_every)
{
    StorageDim *d = calloc(1, sizeof *d);
    if (!d) {
        return NULL;
    }
    int ue = update_every < 1 ? 1 : update_every;
    d->host = h;
    const char *why = NULL;
    char where[PATH_MAX] = "";
    if (strlen(chart_id) > MAP_ID_MAX || strlen(dim_id) > MAP_ID_MAX) {
        why = "ids too long for the file header";
    } else if (h->have_dir) {
        d->hash = ids_hash(chart_id, dim_id);
        if (open_twice(h, d->hash, chart_id, dim_id)) {
            why = "created twice on this host";
        } else if (attach_file(d, chart_id, dim_id, ue, where, sizeof where) != 0) {
            why = strerror(errno);
        }
    }
    if (!d->hdr && attach_heap(d, chart_id, dim_id, ue) != 0) {
        free(d);
        return NULL;
    }
    if (why && h->unmapped++ == 0) {
        log_line(LOG_ERR, "storage map: %s.%s: %s%s%s; kept in memory only (further such "
                 "dimensions of this host are counted at close)", chart_id, dim_id, why,
                 where[0] ? " at " : "", where);
    }
    d->next = h->dims;
    h->dims = d;
    return d;
}

/* One slot after head, then its commit (see the file header for why in this order). */
static void push(StorageDim *d, float v, int64_t t)
{
    StorageRing *r = &d->ring;
    size_t slot = (r->head + 1) % r->cap;
    r->slots[slot] = v;
    r->head = slot;
    r->count = r->count < r->max ? r->count + 1 : r->max;
    r->last_t = t;
    commit(d);
}

/* storage.h append, with the ram engine's rules (storage_ring_append): later times only,
   skipped slots NAN, a jump of history slots or more starts the ring over. */
static void map_append(StorageDim *d, int64_t t, double v)
{
    StorageRing *r = &d->ring;
    int64_t ue = r->update_every;
    if (r->count && t <= r->last_t) {
        return;
    }
    if (r->count) {
        int64_t skipped = (t - r->last_t) / ue - 1;
        if (skipped >= (int64_t)r->max) {
            r->count = 0;      /* committed with the next push */
        } else {
            for (int64_t i = 0; i < skipped; i++) {
                push(d, NAN, r->last_t + ue);
            }
        }
    }
    push(d, (float)v, t);
}

static int64_t map_first_t(StorageDim *d)
{
    return storage_ring_first_t(&d->ring);
}

static int64_t map_last_t(StorageDim *d)
{
    return storage_ring_last_t(&d->ring);
}

static size_t map_query(StorageDim *d, int64_t after, int64_t before, StoragePoint *out,
                        size_t cap)
{
    return storage_ring_query(&d->ring, after, before, out, cap);
}

static size_t map_bytes(StorageHost *h)
{
    return h->bytes;
}

/* Everything appended so far to stable storage (msync, synchronous). */
static void map_flush(StorageHost *h)
{
    for (StorageDim *d = h->dims; d; d = d->next) {
        if (d->mapped && msync(d->hdr, d->len, MS_SYNC) != 0) {
            log_line(LOG_ERR, "storage map: msync %s.%s: %s", d->hdr->id.chart_id,
                     d->hdr->id.dim_id, strerror(errno));
        }
    }
}

/* Flush, unmap and free every dim of H, then H. NULL is a no-op. */
static void map_close_host(StorageHost *h)
{
    if (!h) {
        return;
    }
    map_flush(h);
    if (h->unmapped > 1) {
        log_line(LOG_ERR, "storage map: %zu dimensions of '%s' were kept in memory only",
                 h->unmapped, h->dir);
    }
    StorageDim *d = h->dims;
    while (d) {
        StorageDim *n = d->next;
        if (d->mapped) {
            munmap(d->hdr, d->len);
        } else {
            free(d->hdr);
        }
        free(d);
        d = n;
    }
    free(h);
}

static void map_set_update_every(StorageDim *d, int update_every)
{
    size_t head = d->ring.head;
    storage_ring_reset(&d->ring, update_every);
    d->ring.head = head;        /* the slot after head stays the free one */
    commit(d);
}

const StorageOps storage_map_ops = {
    .name = "map",
    .open_host = map_open_host,
    .create_dim = map_create_dim,
    .append = map_append,
    .query = map_query,
    .first_t = map_first_t,
    .last_t = map_last_t,
    .bytes = map_bytes,
    .flush = map_flush,
    .close_host = map_close_host,
    .set_update_every = map_set_update_every,
};

/*
** storage_dbengine_shared.c - what every dbengine host of the process shares, each behind its
** own mutex (a host's own objects are used under its host's lock, storage.h):
**
** The multihost disk budget ([db] dbengine multihost disk space). Every data file of every
** dbengine host directory is listed here with its size and creation time: the directories of
** open hosts, and (scanned once per data directory, at the first open) those of hosts not
** connected yet, so the budget covers all of them. When the total exceeds the budget the oldest
** file of any host is truncated and unlinked, never the newest file of an open host (it is being
** written) nor a file of a host still scanning its directory. The owner learns it through the
** directory's atomic `deleted_below` and drops those pages from its index at its next call; a
** read racing the deletion finds a short file and leaves the slots empty.
**
** The page cache ([db] dbengine page cache size). Open pages are counted (an atomic: hosts grow
** them only while the total is under budget, else they write their page early); decoded pages
** read by queries are kept in an LRU keyed by (host uid, file, offset) in what is left, and
** evicted first whenever open pages grow. Queries copy values out under the cache mutex, so an
** entry is never used after eviction.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "log.h"
#include "storage_dbengine.h"

/* ---- disk budget ----------------------------------------------------------------------------- */

typedef struct DiskFile {
    uint32_t fileno;
    uint64_t created;               /* µs since the epoch */
    uint64_t bytes;
} DiskFile;

struct DbeDir {
    char *path;
    DiskFile *files;                /* by file number, oldest first */
    size_t n, cap;
    int busy;                       /* its host is scanning it: not a victim */
    int open;                       /* its host is open: its newest file is kept */
    _Atomic uint32_t deleted_below;
    struct DbeDir *next;
};

static struct {
    pthread_mutex_t mu;
    DbeDir *dirs;
    char **roots;                   /* data directories already scanned */
    size_t nroots;
    uint64_t total;
} disk = {.mu = PTHREAD_MUTEX_INITIALIZER};

uint64_t storage_dbe_disk_budget(void)
{
    long mb = storage_global()->disk_space_mb;
    return (uint64_t)(mb > 0 ? mb : 256) << 20;
}

static DbeDir *dir_find(const char *path, int create)
{
    for (DbeDir *d = disk.dirs; d; d = d->next) {
        if (strcmp(d->path, path) == 0) {
            return d;
        }
    }
    DbeDir *d = create ? calloc(1, sizeof *d) : NULL;
    if (d && !(d->path = strdup(path))) {
        free(d);
        return NULL;
    }
    if (d) {
        d->next = disk.dirs;
        disk.dirs = d;
    }
    return d;
}

/* Insert in file-number order (files are nearly always added newest last). */
static void dir_add(DbeDir *d, uint32_t fileno, uint64_t created, uint64_t bytes)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        DiskFile *f = realloc(d->files, cap * sizeof *f);
        if (!f) {
            return;     /* not counted: the budget is exceeded by this file at most */
        }
        d->files = f;
        d->cap = cap;
    }
    size_t i = d->n;
    while (i > 0 && d->files[i - 1].fileno > fileno) {
        d->files[i] = d->files[i - 1];
        i--;
    }
    d->files[i] = (DiskFile){fileno, created, bytes};
    d->n++;
    disk.total += bytes;
}

static void enforce_locked(void)
{
    uint64_t budget = storage_dbe_disk_budget();
    while (disk.total > budget) {
        DbeDir *victim = NULL;
        for (DbeDir *d = disk.dirs; d; d = d->next) {
            if (d->busy || !d->n || (d->open && d->n == 1)) {
                continue;
            }
            if (!victim || d->files[0].created < victim->files[0].created) {
                victim = d;
            }
        }
        if (!victim) {
            return;     /* only files in use are left: over budget until they rotate */
        }
        DiskFile f = victim->files[0];
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/data-%08u.dbf", victim->path, f.fileno);
        atomic_store(&victim->deleted_below, f.fileno + 1);
        /* truncate first: an owner holding the file open must not keep its blocks alive */
        if ((truncate(path, 0) != 0 || unlink(path) != 0) && errno != ENOENT) {
            log_line(LOG_ERR, "dbengine: cannot delete '%s': %s", path, strerror(errno));
        } else {
            log_line(LOG_INFO, "dbengine: disk space limit %llu MiB reached, deleted '%s' "
                     "(%llu bytes)", (unsigned long long)(budget >> 20), path,
                     (unsigned long long)f.bytes);
        }
        memmove(victim->files, victim->files + 1, --victim->n * sizeof *victim->files);
        disk.total -= f.bytes;
    }
}

static uint64_t file_created(const char *path, const struct stat *st)
{
    uint8_t b[DBE_FILE_HDR];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? pread(fd, b, sizeof b, 0) : -1;
    if (fd >= 0) {
        close(fd);
    }
    if (got == (ssize_t)sizeof b && memcmp(b, "SCDBDAT1", 8) == 0
        && storage_dbe_check(b, 28) == ((uint32_t)b[28] | (uint32_t)b[29] << 8
                                        | (uint32_t)b[30] << 16 | (uint32_t)b[31] << 24)) {
        uint64_t c = 0;
        for (int i = 7; i >= 0; i--) {
            c = c << 8 | b[16 + i];
        }
        return c;
    }
    return (uint64_t)st->st_mtime * 1000000u;
}

/* The data files of every host directory under ROOT (ROOT/<guid>/dbengine/data-*.dbf). */
static void scan_root(const char *root)
{
    DIR *top = opendir(root);
    struct dirent *e;
    while (top && (e = readdir(top)) != NULL) {
        char path[PATH_MAX], file[PATH_MAX + 256];
        if (e->d_name[0] == '.'
            || snprintf(path, sizeof path, "%s/%s/dbengine", root, e->d_name) >= PATH_MAX) {
            continue;
        }
        DIR *sub = opendir(path);
        struct dirent *f;
        DbeDir *d = sub ? dir_find(path, 1) : NULL;
        while (d && (f = readdir(sub)) != NULL) {
            uint32_t no;
            struct stat st;
            if (!storage_dbe_file_no(f->d_name, &no)) {
                continue;
            }
            snprintf(file, sizeof file, "%s/%s", path, f->d_name);   /* names are 17 bytes */
            if (stat(file, &st) == 0) {
                int known = 0;
                for (size_t i = 0; i < d->n; i++) {
                    known |= d->files[i].fileno == no;
                }
                if (!known) {
                    dir_add(d, no, file_created(file, &st), (uint64_t)st.st_size);
                }
            }
        }
        if (sub) {
            closedir(sub);
        }
    }
    if (top) {
        closedir(top);
    }
}

int storage_dbe_file_no(const char *name, uint32_t *no)
{
    uint32_t v = 0;
    if (strlen(name) != 17 || memcmp(name, "data-", 5) != 0 || strcmp(name + 13, ".dbf") != 0) {
        return 0;
    }
    for (int i = 5; i < 13; i++) {
        if (name[i] < '0' || name[i] > '9') {
            return 0;
        }
        v = v * 10 + (uint32_t)(name[i] - '0');
    }
    *no = v;
    return 1;
}

/*
** Register the host directory PATH (under data directory ROOT, scanned for other hosts' files
** the first time it is seen) for an opening host: its file list is emptied for the host's own
** scan to refill (storage_dbe_disk_add), and it is not a victim until storage_dbe_disk_ready.
** Returns the directory (lives until the process ends), or NULL when out of memory.
*/
DbeDir *storage_dbe_disk_attach(const char *root, const char *path)
{
    pthread_mutex_lock(&disk.mu);
    size_t i = 0;
    while (i < disk.nroots && strcmp(disk.roots[i], root) != 0) {
        i++;
    }
    if (i == disk.nroots) {
        char **r = realloc(disk.roots, (i + 1) * sizeof *r);
        if (r && (r[i] = strdup(root)) != NULL) {
            disk.roots = r;
            disk.nroots++;
            scan_root(root);
        } else if (r) {
            disk.roots = r;
        }
    }
    DbeDir *d = dir_find(path, 1);
    if (d) {
        for (size_t k = 0; k < d->n; k++) {
            disk.total -= d->files[k].bytes;
        }
        d->n = 0;
        d->busy = 1;
        d->open = 1;
    }
    pthread_mutex_unlock(&disk.mu);
    return d;
}

/* FILENO of DD exists with BYTES bytes (the host's scan, or a new file). */
void storage_dbe_disk_add(DbeDir *dd, uint32_t fileno, uint64_t created, uint64_t bytes)
{
    pthread_mutex_lock(&disk.mu);
    dir_add(dd, fileno, created, bytes);
    if (!dd->busy) {
        enforce_locked();
    }
    pthread_mutex_unlock(&disk.mu);
}

/* The host's scan is over: its files may be deleted, and the budget is applied. */
void storage_dbe_disk_ready(DbeDir *dd)
{
    pthread_mutex_lock(&disk.mu);
    dd->busy = 0;
    enforce_locked();
    pthread_mutex_unlock(&disk.mu);
}

/* FILENO of DD grew by DELTA bytes; the oldest files go while the total is over budget. */
void storage_dbe_disk_grow(DbeDir *dd, uint32_t fileno, uint64_t delta)
{
    pthread_mutex_lock(&disk.mu);
    size_t i = dd->n;
    while (i > 0 && dd->files[i - 1].fileno != fileno) {
        i--;
    }
    if (i > 0) {
        dd->files[i - 1].bytes += delta;
        disk.total += delta;
    }
    enforce_locked();
    pthread_mutex_unlock(&disk.mu);
}

/* The host closed: its files stay counted, and any of them may now be deleted. */
void storage_dbe_disk_detach(DbeDir *dd)
{
    pthread_mutex_lock(&disk.mu);
    dd->open = 0;
    dd->busy = 0;
    enforce_locked();
    pthread_mutex_unlock(&disk.mu);
}

uint32_t storage_dbe_disk_deleted(DbeDir *dd)
{
    return atomic_load(&dd->deleted_below);
}

uint64_t storage_dbe_disk_total(void)
{
    pthread_mutex_lock(&disk.mu);
    uint64_t t = disk.total;
    pthread_mutex_unlock(&disk.mu);
    return t;
}

/* ---- page cache ------------------------------------------------------------------------------ */

typedef struct CacheEnt {
    uint64_t uid;
    uint32_t fileno, offset;
    uint32_t member;                /* of a group record (0 for a page record) */
    int64_t first_t, ue;
    uint32_t count;
    struct CacheEnt *hnext;         /* hash chain */
    struct CacheEnt *prev, *next;   /* LRU, newest first */
    float v[];
} CacheEnt;

static struct {
    pthread_mutex_t mu;
    CacheEnt **tab;
    size_t cap, n;
    CacheEnt *newest, *oldest;
    size_t bytes;
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static _Atomic size_t open_bytes;

static size_t mem_budget(void)
{
    long mb = storage_global()->page_cache_mb;
    return (size_t)(mb > 0 ? mb : 32) << 20;
}

static size_t slot_of(uint64_t uid, uint32_t fileno, uint32_t offset, uint32_t member,
                      size_t cap)
{
    uint64_t k = (uid * 0x9E3779B97F4A7C15ull) ^ ((uint64_t)fileno << 32 | offset)
               ^ (uint64_t)member << 56;
    k ^= k >> 29;
    k *= 0xBF58476D1CE4E5B9ull;
    return (size_t)(k ^ (k >> 32)) & (cap - 1);
}

static CacheEnt **cache_find(uint64_t uid, const DbePageRef *r)
{
    if (!cache.cap) {
        return NULL;
    }
    CacheEnt **pp = &cache.tab[slot_of(uid, r->fileno, r->offset, r->member, cache.cap)];
    while (*pp && !((*pp)->uid == uid && (*pp)->fileno == r->fileno
                    && (*pp)->offset == r->offset && (*pp)->member == r->member)) {
        pp = &(*pp)->hnext;
    }
    return *pp ? pp : NULL;
}

static void lru_unlink(CacheEnt *e)
{
    *(e->prev ? &e->prev->next : &cache.newest) = e->next;
    *(e->next ? &e->next->prev : &cache.oldest) = e->prev;
}

static void lru_front(CacheEnt *e)
{
    e->prev = NULL;
    e->next = cache.newest;
    *(cache.newest ? &cache.newest->prev : &cache.oldest) = e;
    cache.newest = e;
}

static void cache_remove(CacheEnt *e)
{
    CacheEnt **pp = cache_find(e->uid, &(DbePageRef){.fileno = e->fileno, .offset = e->offset,
                                                      .member = (uint8_t)e->member});
    if (pp) {
        *pp = e->hnext;
    }
    lru_unlink(e);
    cache.n--;
    cache.bytes -= sizeof *e + e->count * sizeof(float);
    free(e);
}

/* Evict the oldest entries until open pages + cache + WANT fit the budget. */
static void cache_trim_locked(size_t want)
{
    size_t budget = mem_budget();
    while (cache.oldest && atomic_load(&open_bytes) + cache.bytes + want > budget) {
        cache_remove(cache.oldest);
    }
}

/* Count BYTES more of open pages: 0, or -1 (nothing counted) when that would pass the budget
   and FORCE is 0. Cached pages are evicted to make room. */
int storage_dbe_mem_grow(size_t bytes, int force)
{
    if (!force && atomic_load(&open_bytes) + bytes > mem_budget()) {
        return -1;
    }
    atomic_fetch_add(&open_bytes, bytes);
    pthread_mutex_lock(&cache.mu);
    cache_trim_locked(0);
    pthread_mutex_unlock(&cache.mu);
    return 0;
}

void storage_dbe_mem_release(size_t bytes)
{
    atomic_fetch_sub(&open_bytes, bytes);
}

size_t storage_dbe_mem_open(void)
{
    return atomic_load(&open_bytes);
}

/* Copy the slots of HOST UID's page R into F when the cache holds it: 1, else 0. */
int storage_dbe_cache_fill(uint64_t uid, const DbePageRef *r, const DbeFill *f)
{
    pthread_mutex_lock(&cache.mu);
    CacheEnt **pp = cache_find(uid, r);
    if (pp) {
        CacheEnt *e = *pp;
        lru_unlink(e);
        lru_front(e);
        storage_dbe_fill(f, e->first_t, e->ue, e->v, e->count);
    }
    pthread_mutex_unlock(&cache.mu);
    return pp != NULL;
}

/* Keep a copy of the decoded page R (R->count values V on the UE grid) when it fits. */
void storage_dbe_cache_put(uint64_t uid, const DbePageRef *r, int64_t ue, const float *v)
{
    size_t sz = sizeof(CacheEnt) + r->count * sizeof(float);
    pthread_mutex_lock(&cache.mu);
    if (cache.n >= cache.cap) {
        size_t cap = cache.cap ? cache.cap * 2 : 256;
        CacheEnt **tab = calloc(cap, sizeof *tab);
        for (size_t i = 0; tab && i < cache.cap; i++) {
            for (CacheEnt *e = cache.tab[i], *nx; e; e = nx) {
                nx = e->hnext;
                CacheEnt **slot = &tab[slot_of(e->uid, e->fileno, e->offset, e->member, cap)];
                e->hnext = *slot;
                *slot = e;
            }
        }
        if (tab) {
            free(cache.tab);
            cache.tab = tab;
            cache.cap = cap;
        }
    }
    if (cache.cap && !cache_find(uid, r)) {
        cache_trim_locked(sz);
        CacheEnt *e = atomic_load(&open_bytes) + cache.bytes + sz <= mem_budget() ? malloc(sz)
                                                                                 : NULL;
        if (e) {
            *e = (CacheEnt){.uid = uid, .fileno = r->fileno, .offset = r->offset,
                            .member = r->member, .first_t = r->first_t, .ue = ue,
                            .count = r->count};
            memcpy(e->v, v, r->count * sizeof(float));
            CacheEnt **slot = &cache.tab[slot_of(uid, r->fileno, r->offset, r->member,
                                                 cache.cap)];
            e->hnext = *slot;
            *slot = e;
            lru_front(e);
            cache.n++;
            cache.bytes += sz;
        }
    }
    pthread_mutex_unlock(&cache.mu);
}

/* Forget every page of host UID (it closed). */
void storage_dbe_cache_drop(uint64_t uid)
{
    pthread_mutex_lock(&cache.mu);
    for (CacheEnt *e = cache.newest, *nx; e; e = nx) {
        nx = e->next;
        if (e->uid == uid) {
            cache_remove(e);
        }
    }
    pthread_mutex_unlock(&cache.mu);
}

size_t storage_dbe_cache_bytes(void)
{
    pthread_mutex_lock(&cache.mu);
    size_t b = cache.bytes;
    pthread_mutex_unlock(&cache.mu);
    return b;
}

/* Write the COUNT slots V of a page starting at FIRST_T (grid UE) into the part of F's grid
   they cover; a page on another grid writes nothing. */
void storage_dbe_fill(const DbeFill *f, int64_t first_t, int64_t ue, const float *v,
                      uint32_t count)
{
    int64_t rel = first_t - f->lo;
    if (ue != f->ue || !f->n || rel % ue) {
        return;
    }
    int64_t k0 = rel / ue;
    int64_t kb = k0 < 0 ? -k0 : 0;
    int64_t ke = (int64_t)f->n - k0;
    ke = ke > (int64_t)count ? (int64_t)count : ke;
    for (int64_t k = kb; k < ke; k++) {
        f->out[k0 + k].v = v[k];
    }
}

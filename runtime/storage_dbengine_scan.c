/*
** storage_dbengine_scan.c - what a dbengine host reads at start-up (byte layout in
** storage_dbengine.h): the dimension registry, then every data file, oldest first, into the
** dims' page indexes. Recovery, one log line each: a torn tail (kill -9 in the middle of a
** write, a partial record) is truncated; a corrupt page, group or registry record in the middle
** is skipped (the scan resynchronises on the next valid record header); a data file with a
** wrong magic or a corrupt header is ignored and left in place (the disk budget deletes it in
** its turn); an empty or shorter-than-header data file is removed.
*/
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gorilla.h"
#include "log.h"
#include "storage_dbengine.h"

#define REG_REC_MIN 20u
#define SCAN_BUF (1u << 20)

/* ---- dimension registry ---------------------------------------------------------------------- */

/* What the start-up scan carries: the file being read, counts for the summary line. */
typedef struct Scan {
    int fd;
    uint8_t *buf;
    uint64_t base, size;            /* buf holds [base, base + n) of the file */
    size_t n;
    const char *path;
    size_t pages, corrupt, orphans, stale;
    uint32_t max_no;
    uint8_t *retired;               /* numbers the registry replaced (their pages: superseded) */
    uint32_t nretired;
} Scan;

static void retire(Scan *s, uint32_t no)
{
    if (no >= s->nretired) {
        uint32_t n = no + 64;
        uint8_t *r = realloc(s->retired, n);
        if (!r) {
            return;
        }
        memset(r + s->nretired, 0, n - s->nretired);
        s->retired = r;
        s->nretired = n;
    }
    s->retired[no] = 1;
}

/* The length of the valid registry record at P (N bytes available), or 0. */
static size_t reg_rec_ok(const uint8_t *p, size_t n)
{
    if (n < REG_REC_MIN || get32(p) != DBE_REG_MAGIC) {
        return 0;
    }
    size_t clen = get16(p + 12), dlen = get16(p + 14), total = 16 + clen + dlen + 4;
    if (clen > DBE_ID_MAX || dlen > DBE_ID_MAX || total > n || get32(p + 4) == 0 || get32(p + 8) == 0
        || storage_dbe_check(p, total - 4) != get32(p + total - 4)) {
        return 0;
    }
    return total;
}

static void reg_apply(StorageHost *h, Scan *s, const uint8_t *p)
{
    char chart[DBE_ID_MAX + 1], dim[DBE_ID_MAX + 1];
    uint32_t no = get32(p + 4), ue = get32(p + 8), clen = get16(p + 12), dlen = get16(p + 14);
    memcpy(chart, p + 16, clen);
    chart[clen] = '\0';
    memcpy(dim, p + 16 + clen, dlen);
    dim[dlen] = '\0';
    if (no < h->nos && h->by_no[no]) {
        return;     /* a number given twice: the first owner keeps it */
    }
    StorageDim *d = storage_dbe_dim_find(h, chart, dim);
    if (d) {
        retire(s, d->no);
        storage_dbe_set_no(h, d, no);
        d->update_every = (int)(ue > 86400 ? 86400 : ue);
    } else {
        storage_dbe_dim_new(h, chart, dim, no, (int)(ue > 86400 ? 86400 : ue));
    }
    if (no >= h->next_no) {
        h->next_no = no + 1;
    }
}

static int reg_fresh(StorageHost *h, int fd)
{
    uint8_t hdr[DBE_REG_HDR];
    memcpy(hdr, "SCDBREG1", 8);
    put32(hdr + 8, 1);
    put32(hdr + 12, storage_dbe_check(hdr, 12));
    if (ftruncate(fd, 0) != 0 || write(fd, hdr, sizeof hdr) != (ssize_t)sizeof hdr) {
        log_line(LOG_ERR, "dbengine: '%s/dims.reg': cannot write: %s", h->dir, strerror(errno));
        return -1;
    }
    return 0;
}

static int reg_load(StorageHost *h, Scan *s)
{
    char path[PATH_MAX + 16], bad[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/dims.reg", h->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        log_line(LOG_ERR, "dbengine: '%s': cannot open: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return -1;
    }
    h->reg_fd = fd;
    size_t size = (size_t)st.st_size;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf || pread(fd, buf, size, 0) != (ssize_t)size) {
        free(buf);
        log_line(LOG_ERR, "dbengine: '%s': cannot read: %s", path, strerror(errno));
        return -1;
    }
    if (size == 0) {
        free(buf);
        return reg_fresh(h, fd);
    }
    if (size < DBE_REG_HDR || memcmp(buf, "SCDBREG1", 8) != 0 || get32(buf + 8) != 1
        || storage_dbe_check(buf, 12) != get32(buf + 12)) {
        snprintf(bad, sizeof bad, "%s.bad", path);
        log_line(LOG_ERR, "dbengine: '%s': not a dimension registry (wrong magic or header), "
                 "moved to '%s'", path, bad);
        free(buf);
        if (rename(path, bad) != 0) {
            log_line(LOG_ERR, "dbengine: '%s': cannot rename: %s", path, strerror(errno));
        }
        close(fd);
        h->reg_fd = fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        return fd < 0 ? -1 : reg_fresh(h, fd);
    }
    size_t pos = DBE_REG_HDR, n;
    while (pos < size) {
        if ((n = reg_rec_ok(buf + pos, size - pos)) != 0) {
            reg_apply(h, s, buf + pos);
            pos += n;
            continue;
        }
        size_t q = pos + 1;
        while (q < size && !reg_rec_ok(buf + q, size - q)) {
            q++;
        }
        if (q < size) {
            log_line(LOG_ERR, "dbengine: '%s': %zu corrupt bytes at offset %zu skipped", path,
                     q - pos, pos);
            pos = q;
            continue;
        }
        log_line(LOG_ERR, "dbengine: '%s': torn tail at offset %zu (%zu bytes), truncated",
                 path, pos, size - pos);
        if (ftruncate(fd, (off_t)pos) != 0) {
            log_line(LOG_ERR, "dbengine: '%s': cannot truncate: %s", path, strerror(errno));
        }
        break;
    }
    free(buf);
    return 0;
}

/* ---- the start-up scan ----------------------------------------------------------------------- */


/* LEN bytes at OFF of the file being scanned, or NULL when they are not all there. */
static const uint8_t *rd_at(Scan *s, uint64_t off, size_t len)
{
    if (off + len > s->size) {
        return NULL;
    }
    if (off >= s->base && off + len <= s->base + s->n) {
        return s->buf + (off - s->base);
    }
    size_t want = s->size - off < SCAN_BUF ? (size_t)(s->size - off) : SCAN_BUF;
    ssize_t got = pread(s->fd, s->buf, want, (off_t)off);
    s->n = got > 0 ? (size_t)got : 0;
    s->base = off;
    return s->n >= len ? s->buf : NULL;
}

/* A valid record header at P in a file of VERSION (group records exist from version 3). */
static int rec_hdr_ok(const uint8_t *p, uint32_t version)
{
    uint32_t magic = get32(p), w4 = get32(p + 4), len = get32(p + 8);
    if (storage_dbe_check(p, 16) != get32(p + 16) || len == 0) {
        return 0;
    }
    if (magic == DBE_PAGE_MAGIC) {
        return len <= gorilla_bound(DBE_PAGE_POINTS);
    }
    return magic == DBE_GROUP_MAGIC && version >= 3 && w4 >= 2 && w4 <= GORILLA_GROUP_MAX
           && len > 4 * w4 && len <= DBE_GROUP_MAX;
}

/* Page AT (header GH) of dimension NO into its index, when NO is a known dimension on the same
   grid and the page is newer than what it already holds. */
static void index_add(StorageHost *h, Scan *s, const DbePageRef *at, const GorillaHeader *gh,
                      uint32_t no)
{
    StorageDim *d = no < h->nos ? h->by_no[no] : NULL;
    if (no >= s->max_no) {
        s->max_no = no + 1;
    }
    if (!d) {
        *(no < s->nretired && s->retired[no] ? &s->stale : &s->orphans) += 1;
        return;
    }
    if (gh->update_every != (uint32_t)d->update_every
        || (d->has_data && gh->first_t <= d->last_t)) {
        s->stale++;
        return;
    }
    DbePageRef r = *at;
    r.first_t = gh->first_t;
    r.count = (uint16_t)gh->count;
    if (storage_dbe_index_add(d, &r) == 0) {
        d->last_t = gh->first_t + (int64_t)(gh->count - 1) * d->update_every;
        d->has_data = 1;
        s->pages++;
    }
}

/* The record at AT (payload P, checksum already verified): a page of dimension W4, or a group
   of W4 members. */
static void index_record(StorageHost *h, Scan *s, const DbePageRef *at, const uint8_t *p,
                         uint32_t magic, uint32_t w4)
{
    GorillaHeader gh;
    uint32_t k = 0;
    int bad = magic == DBE_PAGE_MAGIC
                  ? gorilla_peek(p, at->len, &gh) != 0
                  : gorilla_group_peek(p + 4 * w4, at->len - 4 * w4, &gh, &k) != 0 || k != w4;
    if (bad || gh.count > DBE_PAGE_POINTS) {
        log_line(LOG_ERR, "dbengine: '%s': %s at offset %u: undecodable header, skipped",
                 s->path, magic == DBE_PAGE_MAGIC ? "page" : "group", at->offset);
        s->corrupt++;
        return;
    }
    if (magic == DBE_PAGE_MAGIC) {
        index_add(h, s, at, &gh, w4);
        return;
    }
    for (uint32_t j = 0; j < k; j++) {
        DbePageRef r = *at;
        r.grouped = 1;
        r.member = (uint8_t)j;
        index_add(h, s, &r, &gh, get32(p + 4 * j));
    }
}

/* Scan data file FILENO into the index. Returns its size when it may be appended to, else 0. */
static uint64_t scan_file(StorageHost *h, Scan *s, uint32_t fileno)
{
    char path[PATH_MAX + 32];
    struct stat st;
    uint8_t hdr[DBE_FILE_HDR] = {0};
    storage_dbe_data_path(h, fileno, path, sizeof path);
    s->path = path;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) != 0) {
        log_line(LOG_ERR, "dbengine: '%s': cannot open: %s", path, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return 0;
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < DBE_FILE_HDR) {
        log_line(LOG_ERR, "dbengine: '%s': %s (%llu bytes), removed", path,
                 size ? "shorter than its header" : "empty data file", (unsigned long long)size);
        close(fd);
        unlink(path);
        return 0;
    }
    int good = pread(fd, hdr, sizeof hdr, 0) == (ssize_t)sizeof hdr
               && memcmp(hdr, "SCDBDAT1", 8) == 0 && get32(hdr + 12) == fileno
               && storage_dbe_check(hdr, 28) == get32(hdr + 28);
    uint32_t version = get32(hdr + 8);
    if (!good || version < 1 || version > DBE_VERSION) {
        if (good) {
            log_line(LOG_ERR, "dbengine: '%s': data file version %u, this streamd reads 1 to %u; "
                     "file ignored", path, version, DBE_VERSION);
        } else {
            log_line(LOG_ERR, "dbengine: '%s': %s, file ignored", path,
                     memcmp(hdr, "SCDBDAT1", 8) ? "not a dbengine data file (wrong magic)"
                                                : "corrupt file header");
        }
        storage_dbe_disk_add(h->disk, fileno, (uint64_t)st.st_mtime * 1000000u, size);
        close(fd);
        return 0;
    }
    s->fd = fd;
    s->size = size;
    s->n = 0;
    uint64_t pos = DBE_FILE_HDR;
    const uint8_t *p;
    while (pos < size) {
        if ((p = rd_at(s, pos, DBE_REC_HDR)) != NULL && rec_hdr_ok(p, version)) {
            uint32_t magic = get32(p), w4 = get32(p + 4), len = get32(p + 8), sum = get32(p + 12);
            DbePageRef at = {.fileno = fileno, .offset = (uint32_t)pos, .len = (uint16_t)len};
            if (!(p = rd_at(s, pos + DBE_REC_HDR, len))) {
                break;              /* the payload is not all there: torn */
            }
            if (storage_dbe_check(p, len) != sum) {
                log_line(LOG_ERR, "dbengine: '%s': page at offset %llu: checksum mismatch, "
                         "skipped", path, (unsigned long long)pos);
                s->corrupt++;
            } else {
                index_record(h, s, &at, p, magic, w4);
            }
            pos += DBE_REC_HDR + len;
            continue;
        }
        uint64_t q = pos + 1;
        while ((p = rd_at(s, q, DBE_REC_HDR)) != NULL && !rec_hdr_ok(p, version)) {
            q++;
        }
        if (!p) {
            break;
        }
        log_line(LOG_ERR, "dbengine: '%s': %llu corrupt bytes at offset %llu skipped", path,
                 (unsigned long long)(q - pos), (unsigned long long)pos);
        s->corrupt++;
        pos = q;
    }
    if (pos < size) {
        log_line(LOG_ERR, "dbengine: '%s': torn tail at offset %llu (%llu bytes), truncated",
                 path, (unsigned long long)pos, (unsigned long long)(size - pos));
        if (ftruncate(fd, (off_t)pos) != 0) {
            log_line(LOG_ERR, "dbengine: '%s': cannot truncate: %s", path, strerror(errno));
        }
        size = pos;
    }
    close(fd);
    storage_dbe_disk_add(h->disk, fileno, get64(hdr + 16), size);
    return version == DBE_VERSION ? size : 0;    /* an older file is read, never appended to */
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/*
** Load the registry, then scan every data file (oldest first) into the dims' page indexes;
** pick the file to append to (the newest, when it is valid and below the rotation size).
** 0, or -1 when the registry cannot be opened or memory runs out.
*/
int storage_dbe_load(StorageHost *h)
{
    Scan s = {.buf = malloc(SCAN_BUF)};
    if (!s.buf || reg_load(h, &s) != 0) {
        free(s.buf);
        free(s.retired);
        return -1;
    }
    uint32_t *nos = NULL;
    size_t n = 0, cap = 0;
    DIR *dir = opendir(h->dir);
    struct dirent *e;
    while (dir && (e = readdir(dir)) != NULL) {
        uint32_t no;
        if (!storage_dbe_file_no(e->d_name, &no)) {
            continue;
        }
        if (n == cap) {
            uint32_t *g = realloc(nos, (cap = cap ? cap * 2 : 64) * sizeof *g);
            if (!g) {
                closedir(dir);
                free(nos);
                free(s.buf);
                free(s.retired);
                return -1;
            }
            nos = g;
        }
        nos[n++] = no;
    }
    if (dir) {
        closedir(dir);
    }
    if (n) {
        qsort(nos, n, sizeof *nos, cmp_u32);
    }
    uint64_t last_size = 0;
    for (size_t i = 0; i < n; i++) {
        last_size = scan_file(h, &s, nos[i]);
    }
    free(s.buf);
    free(s.retired);
    h->next_fileno = n ? nos[n - 1] + 1 : 1;
    if (last_size && last_size < h->file_limit) {
        char path[PATH_MAX + 32];
        storage_dbe_data_path(h, nos[n - 1], path, sizeof path);
        if ((h->wfd = open(path, O_RDWR | O_CLOEXEC)) >= 0) {
            h->wfileno = nos[n - 1];
            h->wsize = last_size;
        }
    }
    free(nos);
    if (s.max_no > h->next_no) {
        h->next_no = s.max_no;     /* numbers of lost registry records are never reused */
    }
    if (s.corrupt || s.orphans) {
        log_line(LOG_INFO, "dbengine: '%s': %zu pages indexed, %zu corrupt skipped, %zu of "
                 "unknown dimensions ignored", h->dir, s.pages, s.corrupt, s.orphans);
    }
    return 0;
}


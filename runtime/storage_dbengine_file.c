/*
** storage_dbengine_file.c - the files of one dbengine host (byte layout in storage_dbengine.h):
** adding to the dimension registry, appending page and group records to data files (with
** rotation), reading one page back. The start-up scan that rebuilds the page index is in
** storage_dbengine_scan.c. It does not decide what goes into pages (storage_dbengine.c) nor
** when files are deleted (storage_dbengine_shared.c).
*/
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>
#include <xxhash.h>

#include "gorilla.h"
#include "log.h"
#include "storage_dbengine.h"

uint32_t storage_dbe_check(const void *p, size_t n)
{
    return (uint32_t)XXH3_64bits(p, n);
}


void storage_dbe_data_path(const StorageHost *h, uint32_t fileno, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/data-%08u.dbf", h->dir, fileno);
}

static uint64_t now_us(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

/* Append D's record (its current number, update_every and ids) to the registry. 0 or -1. */
int storage_dbe_reg_add(StorageHost *h, const StorageDim *d)
{
    size_t clen = strlen(d->chart_id), dlen = strlen(d->dim_id), total = 16 + clen + dlen + 4;
    uint8_t buf[16 + 2 * DBE_ID_MAX + 4];
    if (clen > DBE_ID_MAX || dlen > DBE_ID_MAX || h->reg_fd < 0) {
        return -1;
    }
    put32(buf, DBE_REG_MAGIC);
    put32(buf + 4, d->no);
    put32(buf + 8, (uint32_t)d->update_every);
    put16(buf + 12, (uint32_t)clen);
    put16(buf + 14, (uint32_t)dlen);
    memcpy(buf + 16, d->chart_id, clen);
    memcpy(buf + 16 + clen, d->dim_id, dlen);
    put32(buf + total - 4, storage_dbe_check(buf, total - 4));
    if (write(h->reg_fd, buf, total) != (ssize_t)total) {
        log_line(LOG_ERR, "dbengine: '%s/dims.reg': cannot add '%s.%s': %s", h->dir,
                 d->chart_id, d->dim_id, strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- writing and reading pages --------------------------------------------------------------- */

static int new_file(StorageHost *h)
{
    char path[PATH_MAX + 32];
    uint8_t hdr[DBE_FILE_HDR] = {0};
    if (h->wfd >= 0) {
        close(h->wfd);
        h->wfd = -1;
    }
    uint32_t fileno = h->next_fileno++;
    storage_dbe_data_path(h, fileno, path, sizeof path);
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    uint64_t created = now_us();
    memcpy(hdr, "SCDBDAT1", 8);
    put32(hdr + 8, DBE_VERSION);
    put32(hdr + 12, fileno);
    put64(hdr + 16, created);
    put32(hdr + 28, storage_dbe_check(hdr, 28));
    if (fd < 0 || pwrite(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr) {
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        return -1;
    }
    h->wfd = fd;
    h->wfileno = fileno;
    h->wsize = DBE_FILE_HDR;
    storage_dbe_disk_add(h->disk, fileno, created, DBE_FILE_HDR);
    return 0;
}

/* Append the record whose LEN payload bytes sit at h->wbuf + DBE_REC_HDR (MAGIC, word W) to
   the current data file (a new one when it would pass the rotation size). Fills R's fileno,
   offset and len. 0, or -1 (logged once until a write succeeds again; the record is lost). */
static int rec_write(StorageHost *h, uint32_t magic, uint32_t w4, size_t len, DbePageRef *r)
{
    size_t n = DBE_REC_HDR + len;
    uint8_t *b = h->wbuf;
    if (h->wfd < 0 || (h->wsize + n > h->file_limit && h->wsize > DBE_FILE_HDR)) {
        if (new_file(h) != 0) {
            goto fail;
        }
    }
    put32(b, magic);
    put32(b + 4, w4);
    put32(b + 8, (uint32_t)len);
    put32(b + 12, storage_dbe_check(b + DBE_REC_HDR, len));
    put32(b + 16, storage_dbe_check(b, 16));
    ssize_t w = pwrite(h->wfd, b, n, (off_t)h->wsize);
    if (w != (ssize_t)n) {
        if (w >= 0) {
            errno = ENOSPC;
            if (ftruncate(h->wfd, (off_t)h->wsize) != 0) {
                /* the scan at the next start truncates the partial record */
            }
        }
        goto fail;
    }
    r->fileno = h->wfileno;
    r->offset = (uint32_t)h->wsize;
    r->len = (uint16_t)len;
    h->wsize += n;
    h->write_failing = 0;
    storage_dbe_disk_grow(h->disk, h->wfileno, n);
    return 0;
fail:
    if (!h->write_failing) {
        log_line(LOG_ERR, "dbengine: '%s': cannot write a page: %s (pages are lost until a "
                 "write succeeds)", h->dir, strerror(errno));
    }
    h->write_failing = 1;
    return -1;
}

/* A page of dimension NO (LEN bytes at h->wbuf + DBE_REC_HDR). */
int storage_dbe_write(StorageHost *h, uint32_t no, size_t len, DbePageRef *r)
{
    return rec_write(h, DBE_PAGE_MAGIC, no, len, r);
}

/* A group of K members: at h->wbuf + DBE_REC_HDR their K dimension numbers, then the group page
   (LEN bytes in all, at most DBE_GROUP_MAX). R->member is left for the caller. */
int storage_dbe_write_group(StorageHost *h, uint32_t k, size_t len, DbePageRef *r)
{
    if (len > DBE_GROUP_MAX) {
        return -1;
    }
    r->grouped = 1;
    return rec_write(h, DBE_GROUP_MAGIC, k, len, r);
}

static int fd_for(StorageHost *h, uint32_t fileno)
{
    char path[PATH_MAX + 32];
    if (h->wfd >= 0 && fileno == h->wfileno) {
        return h->wfd;
    }
    if (h->rfd >= 0 && h->rfileno == fileno) {
        return h->rfd;
    }
    if (h->rfd >= 0) {
        close(h->rfd);
    }
    storage_dbe_data_path(h, fileno, path, sizeof path);
    h->rfd = open(path, O_RDONLY | O_CLOEXEC);
    h->rfileno = fileno;
    return h->rfd;
}

/* The member of group record B (payload LEN) that R names, decoded into h->gdec (every member)
   and h->dec (R's); D must be that member. NULL, or why not. */
static const char *group_read(StorageHost *h, const uint8_t *b, const DbePageRef *r,
                              const StorageDim *d)
{
    uint32_t k = get32(b + 4), len = r->len;
    GorillaHeader gh;
    if (k < 2 || k > GORILLA_GROUP_MAX || r->member >= k || len <= 4 * k
        || get32(b + DBE_REC_HDR + 4 * r->member) != d->no) {
        return "bad group header";
    }
    size_t need = (size_t)k * r->count;         /* what a well-formed record decodes to */
    if (need > h->gdec_cap) {
        float *g = realloc(h->gdec, need * sizeof *g);
        if (!g) {
            return "out of memory";
        }
        h->gdec = g;
        h->gdec_cap = need;
    }
    uint32_t got;
    if (gorilla_group_decode(b + DBE_REC_HDR + 4 * k, len - 4 * k, &gh, &got, h->gdec,
                             h->gdec_cap) != 0
        || got != k || gh.first_t != r->first_t || gh.count != r->count
        || gh.update_every != (uint32_t)d->update_every) {
        return "undecodable group";
    }
    h->gdec_k = k;
    memcpy(h->dec, h->gdec + (size_t)r->member * gh.count, gh.count * sizeof *h->dec);
    return NULL;
}

/* Read and decode page R of dimension D into h->dec (a group record: every member into h->gdec
   too, h->gdec_k of them). 0, or -1 (the first few per host are logged, none for a file the
   disk budget deleted meanwhile). */
int storage_dbe_read(StorageHost *h, const DbePageRef *r, const StorageDim *d)
{
    int fd = fd_for(h, r->fileno);
    size_t n = DBE_REC_HDR + r->len;
    uint8_t *b = h->rbuf;
    GorillaHeader gh;
    const char *why = NULL;
    h->gdec_k = 0;
    if (fd < 0 || pread(fd, b, n, r->offset) != (ssize_t)n) {
        why = "short read";
    } else if (get32(b) != (r->grouped ? DBE_GROUP_MAGIC : DBE_PAGE_MAGIC)
               || storage_dbe_check(b, 16) != get32(b + 16) || get32(b + 8) != r->len
               || (!r->grouped && get32(b + 4) != d->no)) {
        why = "bad page header";
    } else if (storage_dbe_check(b + DBE_REC_HDR, r->len) != get32(b + 12)) {
        why = "checksum mismatch";
    } else if (r->grouped) {
        why = group_read(h, b, r, d);
    } else if (gorilla_decode(b + DBE_REC_HDR, r->len, &gh, h->dec, DBE_PAGE_POINTS) != 0
               || gh.first_t != r->first_t || gh.count != r->count
               || gh.update_every != (uint32_t)d->update_every) {
        why = "undecodable page";
    }
    if (!why) {
        return 0;
    }
    if (r->fileno >= storage_dbe_disk_deleted(h->disk) && h->read_errors++ < 10) {
        log_line(LOG_ERR, "dbengine: '%s/data-%08u.dbf': page at offset %u: %s, its slots read "
                 "as empty", h->dir, r->fileno, r->offset, why);
    }
    return -1;
}

void storage_dbe_sync(StorageHost *h)
{
    if (h->wfd >= 0 && fdatasync(h->wfd) != 0) {
        log_line(LOG_ERR, "dbengine: '%s': fdatasync: %s", h->dir, strerror(errno));
    }
    if (h->reg_fd >= 0) {
        fsync(h->reg_fd);
    }
}

void storage_dbe_close_files(StorageHost *h)
{
    int *fds[] = {&h->wfd, &h->rfd, &h->reg_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
        if (*fds[i] >= 0) {
            close(*fds[i]);
            *fds[i] = -1;
        }
    }
}


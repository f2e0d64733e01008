/*
** storage_dbengine.h - internals shared by the files of the dbengine storage engine (not an
** interface for anything else; storage.h is):
**   storage_dbengine.c         the StorageOps: dims, open pages, append, query, flush, close
**   storage_dbengine_pages.c   writing open pages: page records, or a group record per chart
**   storage_dbengine_file.c    the files of one host: appending records, reading a page back
**   storage_dbengine_scan.c    the start-up scan: dimension registry, data files, recovery
**   storage_dbengine_shared.c  process-wide state: the multihost disk budget, the page cache
**
** On-disk format, all integers little-endian; files live in <host dir>/dbengine/:
**   data-NNNNNNNN.dbf  (NNNNNNNN = file number, 8 decimal digits, oldest = lowest)
**     file header, 32 bytes: "SCDBDAT1" | u32 version (DBE_VERSION; 1 and 2 are read too) |
**       u32 file number | u64 created (µs since the epoch) | u32 0 | u32 check of bytes [0, 28).
**       Version 2 added the RATIO page mode, version 3 the group records (gorilla.h): an older
**       file is read but never appended to (so an older reader never meets a record it cannot
**       decode); a newer version is refused with a log line
**     then records, each a 20-byte header: u32 magic | u32 W | u32 payload length | u32 check
**       of the payload | u32 check of bytes [0, 16) of this header, then the payload:
**       "SCPG": W = dimension number; payload a gorilla.h page (first_t, update_every, count,
**         empty-slot runs, values)
**       "SCGR" (version 3): W = K, the members (2..GORILLA_GROUP_MAX); payload K u32 dimension
**         numbers, then a gorilla.h group page of those K dimensions (one percentage chart's
**         pages on the same slots, coded together; payload at most DBE_GROUP_MAX bytes)
**   dims.reg
**     header, 16 bytes: "SCDBREG1" | u32 version 1 | u32 check of bytes [0, 12)
**     then records: u32 "SCDM" | u32 dimension number | u32 update_every | u16 chart id length |
**       u16 dimension id length | chart id | dimension id | u32 check of the record so far
**     The newest record of a (chart id, dimension id) names its current number; a number whose
**     record is lost leaves its pages unreachable (never attributed to another dimension).
**   A "check" is the low 32 bits of XXH3-64.
*/
#ifndef STREAMC_STORAGE_DBENGINE_H
#define STREAMC_STORAGE_DBENGINE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "storage.h"

#define DBE_VERSION 3u              /* of data files */
#define DBE_PAGE_POINTS 1024u       /* slots of a full page */
#define DBE_PAGE_SPAN 1800          /* s of slot time: an older open page (of >= DBE_OPEN_MIN
                                       slots) is written anyway */
#define DBE_FILE_HDR 32u
#define DBE_REC_HDR 20u
#define DBE_PAGE_MAGIC 0x47504353u  /* "SCPG" */
#define DBE_GROUP_MAGIC 0x52474353u /* "SCGR" */
#define DBE_REG_MAGIC 0x4d444353u   /* "SCDM" */
#define DBE_REG_HDR 16u
#define DBE_ID_MAX 4096u            /* bytes of a chart or dimension id in the registry */
#define DBE_GROUP_MAX 65535u        /* payload bytes of a group record (DbePageRef.len) */
#define DBE_FILE_MIN (64ull << 10)  /* data file rotation size: budget / 8 within these */
#define DBE_FILE_MAX (64ull << 20)
#define DBE_OPEN_MIN 64u            /* slots a dimension gets even when memory is over budget */

/* Where one written page is. The page's slots are first_t + i * update_every, i < count. */
typedef struct DbePageRef {
    int64_t first_t;
    uint32_t fileno;
    uint32_t offset;                /* of the record header */
    uint16_t count;
    uint16_t len;                   /* payload bytes */
    uint8_t grouped;                /* an "SCGR" record: this dimension is member MEMBER */
    uint8_t member;
} DbePageRef;

/* A query's output grid: OUT[i].t = LO + i * UE, i < N; pages write their slots into it. */
typedef struct DbeFill {
    StoragePoint *out;
    size_t n;
    int64_t lo;
    int64_t ue;
} DbeFill;

typedef struct DbeDir DbeDir;       /* one host directory in the disk budget */

struct StorageDim {
    StorageHost *host;
    char *chart_id;                 /* one allocation: "chart\0dim\0" */
    char *dim_id;
    uint32_t no;                    /* number in dims.reg and in page records */
    int update_every;
    struct StorageDim *sib;         /* ring of the dims of the same chart (itself if alone) */
    DbePageRef *pages;              /* written pages, oldest first */
    size_t npages, pages_cap;
    float *open;                    /* the open page: slot i at open_t + i * update_every */
    uint32_t open_n, open_cap;
    int64_t open_t;
    int64_t last_t;                 /* newest slot ever appended (valid when has_data) */
    int has_data;
    struct StorageDim *hnext;       /* hash chain by ids */
};

struct StorageHost {
    uint64_t uid;                   /* this host's key in the shared page cache */
    char dir[PATH_MAX];             /* <host dir>/dbengine */
    DbeDir *disk;
    StorageDim **by_no;             /* dimension number -> dim (NULL: none) */
    uint32_t nos;                   /* by_no's size */
    uint32_t next_no;
    StorageDim **hash;
    size_t hash_cap, ndims;
    StorageDim **charts;            /* one dim of each chart, hashed by chart id */
    size_t charts_cap, ncharts;
    int reg_fd;
    int wfd;                        /* the file pages are appended to; -1: none yet */
    uint32_t wfileno;
    uint64_t wsize;
    uint32_t next_fileno;
    uint64_t file_limit;
    int rfd;                        /* the last other file a query read */
    uint32_t rfileno;
    uint32_t seen_deleted;          /* files below this number were deleted (disk budget) */
    size_t bytes;                   /* open pages + page index */
    unsigned read_errors;           /* logged up to a few per host */
    int write_failing;              /* a write failed: logged once until one succeeds */
    uint8_t *wbuf;                  /* record header + encoded page */
    uint8_t *rbuf;
    float *dec;                     /* one decoded page */
    float *gdec;                    /* a decoded group (grown to the largest read) */
    size_t gdec_cap;                /* floats */
    uint32_t gdec_k;                /* members in gdec after a group read */
};

/* Little-endian fields of the files. */
static inline void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, v);
    put16(p + 2, v >> 16);
}

static inline void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint32_t get16(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t get32(const uint8_t *p)
{
    return get16(p) | get16(p + 2) << 16;
}

static inline uint64_t get64(const uint8_t *p)
{
    return get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* storage_dbengine.c: used by the loader */
StorageDim *storage_dbe_dim_new(StorageHost *h, const char *chart_id, const char *dim_id,
                                uint32_t no, int update_every);
StorageDim *storage_dbe_dim_find(StorageHost *h, const char *chart_id, const char *dim_id);
int storage_dbe_set_no(StorageHost *h, StorageDim *d, uint32_t no);
int storage_dbe_index_add(StorageDim *d, const DbePageRef *r);

/* storage_dbengine_pages.c: write D's open page (with its chart's equal ones), or whether D's
   full page waits for a sibling's value of the same slot */
void storage_dbe_page_write(StorageDim *d);
int storage_dbe_sibling_pending(const StorageDim *d);

/* storage_dbengine_file.c */
int storage_dbe_reg_add(StorageHost *h, const StorageDim *d);
int storage_dbe_write(StorageHost *h, uint32_t no, size_t len, DbePageRef *r);
int storage_dbe_write_group(StorageHost *h, uint32_t k, size_t len, DbePageRef *r);
int storage_dbe_read(StorageHost *h, const DbePageRef *r, const StorageDim *d);
void storage_dbe_sync(StorageHost *h);
void storage_dbe_close_files(StorageHost *h);
uint32_t storage_dbe_check(const void *p, size_t n);
int storage_dbe_file_no(const char *name, uint32_t *no);   /* "data-NNNNNNNN.dbf": 1 */
void storage_dbe_data_path(const StorageHost *h, uint32_t fileno, char *buf, size_t cap);

/* storage_dbengine_scan.c: the registry and data files read at start-up */
int storage_dbe_load(StorageHost *h);

/* storage_dbengine_shared.c: the disk budget */
DbeDir *storage_dbe_disk_attach(const char *root, const char *path);
void storage_dbe_disk_add(DbeDir *dd, uint32_t fileno, uint64_t created, uint64_t bytes);
void storage_dbe_disk_ready(DbeDir *dd);
void storage_dbe_disk_grow(DbeDir *dd, uint32_t fileno, uint64_t delta);
void storage_dbe_disk_detach(DbeDir *dd);
uint32_t storage_dbe_disk_deleted(DbeDir *dd);
uint64_t storage_dbe_disk_total(void);
uint64_t storage_dbe_disk_budget(void);

/* storage_dbengine_shared.c: the page cache (open pages are counted, decoded pages held) */
int storage_dbe_mem_grow(size_t bytes, int force);
void storage_dbe_mem_release(size_t bytes);
int storage_dbe_cache_fill(uint64_t uid, const DbePageRef *r, const DbeFill *f);
void storage_dbe_cache_put(uint64_t uid, const DbePageRef *r, int64_t ue, const float *v);
void storage_dbe_cache_drop(uint64_t uid);
size_t storage_dbe_cache_bytes(void);
size_t storage_dbe_mem_open(void);
void storage_dbe_fill(const DbeFill *f, int64_t first_t, int64_t ue, const float *v,
                      uint32_t count);

#endif

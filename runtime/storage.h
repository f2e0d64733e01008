/*
** storage.h - the one interface every storage engine implements (ram here; save, map,
** dbengine and none are their own files, issue 7). A host's engine is chosen from the memory
** mode the policy resolves for that child. Samples sit on the chart's update_every grid: one
** slot per `update_every` seconds, a slot holds a value or is empty (NAN).
**
** Threading: an engine object is used under its host's lock (rrd.h); engines take no locks.
*/
#ifndef STREAMC_STORAGE_H
#define STREAMC_STORAGE_H

#include <stddef.h>
#include <stdint.h>

typedef struct StorageHost StorageHost;
typedef struct StorageDim StorageDim;

typedef struct StorageConfig {
    int mode;                    /* POLICY_MODE_* (policy_format.h) */
    long history;                /* samples per dimension (ram/save/map) */
    const char *data_dir;        /* where persistent engines keep files; NULL: none */
    const char *host_guid;       /* the host's machine GUID (file names) */
} StorageConfig;

/* Node-wide storage limits from netdata.conf [db], set once before any host opens. The
   dbengine budget is shared by every dbengine host of the process (Netdata's "multihost"). */
typedef struct StorageGlobal {
    long page_cache_mb;          /* [db] dbengine page cache size MB (default 32) */
    long disk_space_mb;          /* [db] dbengine multihost disk space MB (default 256) */
} StorageGlobal;

void storage_configure(const StorageGlobal *g);
const StorageGlobal *storage_global(void);

/* The directory a persistent engine keeps HOST's files in: <data_dir>/<guid> ("localhost" for
   the node's own host when its GUID is unknown), created (mode 0755) when missing. Returns 0
   and fills OUT, or -1 (errno set; OUT holds the path for the log line). */
int storage_host_dir(const StorageConfig *cfg, char *out, size_t cap);

typedef struct StoragePoint {
    int64_t t;                   /* end of the slot, seconds since the epoch */
    double v;                    /* NAN: empty slot */
} StoragePoint;

typedef struct StorageOps {
    const char *name;            /* "ram", "none", ... as netdata.conf spells the mode */
    StorageHost *(*open_host)(const StorageConfig *cfg);
    /* A dimension's series; UPDATE_EVERY in seconds (>= 1). NULL on allocation failure. */
    StorageDim *(*create_dim)(StorageHost *h, const char *chart_id, const char *dim_id,
                              int update_every);
    /* Store V at slot time T (seconds, a multiple of update_every). T is strictly greater than
       the last stored T; slots skipped in between read back as empty. */
    void (*append)(StorageDim *d, int64_t t, double v);
    /* Points with AFTER <= t <= BEFORE, oldest first, at most CAP of them (the newest CAP when
       more match). Returns how many were written to OUT. */
    size_t (*query)(StorageDim *d, int64_t after, int64_t before, StoragePoint *out, size_t cap);
    int64_t (*first_t)(StorageDim *d);   /* 0 when empty */
    int64_t (*last_t)(StorageDim *d);
    size_t (*bytes)(StorageHost *h);     /* memory held for samples (API, benches) */
    void (*flush)(StorageHost *h);
    void (*close_host)(StorageHost *h);  /* frees every dim of H too */
    /* The chart's update_every changed: D restarts empty on the new grid. May be NULL. */
    void (*set_update_every)(StorageDim *d, int update_every);
} StorageOps;

/* The engine for memory mode MODE (POLICY_MODE_*). A persistent mode without a data directory
   (HAVE_DIR 0), or one without an engine yet, gets "ram" and *FALLBACK is set (the caller logs
   it once per host). */
const StorageOps *storage_ops_for(int mode, int have_dir, int *fallback);

extern const StorageOps storage_ram_ops;
extern const StorageOps storage_none_ops;
extern const StorageOps storage_save_ops;       /* storage_save.c */
extern const StorageOps storage_map_ops;        /* storage_map.c */
extern const StorageOps storage_dbengine_ops;   /* storage_dbengine*.c */

#endif

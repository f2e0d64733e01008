/*
** rrd.h - what a parent knows about the hosts streaming into it: hosts, their charts and
** dimensions, and the arithmetic that turns collected raw integers into stored values on the
** chart's time grid as Netdata 1.37.1 does (algorithms, multiplier/divisor, interpolation,
** the first collection only priming a chart). Values go to the host's storage engine.
**
** Threading: the registry (RrdDb) has one mutex for finding/creating hosts; each host has one
** mutex that a receiver holds while it applies a batch of lines and the HTTP API holds while it
** reads. Charts and dimensions are never freed while their host lives (Netdata keeps them too).
*/
#ifndef STREAMC_RRD_H
#define STREAMC_RRD_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "storage.h"

/* Bounds that keep a hostile child from taking unbounded memory (Netdata has none). */
#define RRD_MAX_CHARTS_PER_HOST 50000
#define RRD_MAX_DIMS_PER_CHART 5000
#define RRD_MAX_ID 200                   /* Netdata's chart key limit, bytes */
#define RRD_MAX_LABELS 256               /* host labels, chart labels, system-info pairs each */

enum { RRD_ALG_ABSOLUTE, RRD_ALG_INCREMENTAL, RRD_ALG_PCENT_ABS_ROW, RRD_ALG_PCENT_INC_ROW };
enum { RRD_CHART_LINE, RRD_CHART_AREA, RRD_CHART_STACKED };
enum { RRD_DIM_OBSOLETE = 1, RRD_DIM_HIDDEN = 2, RRD_DIM_NORESET = 4, RRD_DIM_NOOVERFLOW = 8 };
enum { RRD_CHART_OBSOLETE = 1, RRD_CHART_DETAIL = 2, RRD_CHART_STORE_FIRST = 4,
       RRD_CHART_HIDDEN = 8 };

typedef struct RrdLabel {
    char *name, *value;
    uint32_t source;
} RrdLabel;

typedef struct RrdLabels {
    RrdLabel *v;
    size_t n;
} RrdLabels;

typedef struct RrdDim {
    char *id, *name;
    int algorithm;                       /* RRD_ALG_* */
    int64_t multiplier, divisor;         /* never 0 */
    unsigned flags;                      /* RRD_DIM_* */
    StorageDim *sd;
    /* collection state */
    int64_t collected, last_collected;
    int updated;                         /* got a SET in the current BEGIN..END */
    int collections;                     /* SETs since the last reset (Netdata's collections_counter) */
    int64_t collected_max;               /* largest |raw| seen: picks the 32/64-bit overflow cap */
    double calculated, last_calculated, last_stored;
    struct RrdDim *next;                 /* in definition order */
} RrdDim;

typedef struct RrdChart {
    char *id;                            /* "type.id" exactly as sent */
    char *type, *name, *title, *units, *family, *context, *plugin, *module;
    int chart_type;                      /* RRD_CHART_* */
    long priority;
    int update_every;                    /* seconds, >= 1 */
    unsigned flags;                      /* RRD_CHART_* */
    RrdLabels labels, staged_labels;     /* CLABEL stages, CLABEL_COMMIT replaces */
    RrdDim *dims, *dims_tail;
    size_t ndims;
    /* collection state */
    int in_collection;                   /* between BEGIN and END */
    uint64_t begin_usec;                 /* BEGIN's microseconds (0: use our clock) */
    uint64_t last_collected_ut;          /* µs of the previous END, 0 before the first */
    uint64_t last_stored_ut;             /* µs of the last grid slot stored */
    long counter;                        /* completed collections */
    int repl_active;                     /* replication asked for and not finished (receiver) */
    long counter_done;                   /* stored points */
    int sync_clock;                      /* set by CHART/DIMENSION: next BEGIN µs is ignored */
    /* upstream (sender.c) state, under the host lock */
    uint32_t def_gen;                    /* bumped when the definition changes */
    uint64_t def_sig;                    /* what the CHART line said last time */
    uint32_t sent_def_gen;               /* def_gen the parent last got */
    uint64_t sent_conn;                  /* sender connection that got the definition */
    uint8_t send_match;                  /* send charts matching: 0 not asked, 1 send, 2 skip */
    uint32_t resync_left;                /* collections still sent with BEGIN µs 0 */
    /* child-side replication (sender_repl.c), under the host lock */
    uint64_t repl_done_conn;             /* connection on which the parent's replication of
                                            the chart finished: collections go out again */
    uint64_t repl_queued;                /* connection whose request queue holds the chart */
    int64_t repl_after, repl_before;     /* the parent's latest REPLAY_CHART for the chart */
    uint8_t repl_start;                  /* its start-streaming flag */
    struct RrdChart *hnext;              /* hash chain */
    struct RrdChart *next;               /* in creation order */
} RrdChart;

/* Settings the policy resolves for one child host (visible in the API). */
typedef struct RrdHostConfig {
    int memory_mode;                     /* POLICY_MODE_* */
    long history;
    int health;                          /* 0 no, 1 yes, 2 auto */
    long postpone_alarms;
    int proxy_enabled;
    const char *proxy_destination, *proxy_api_key, *proxy_send_charts;  /* point into the policy */
    const void *proxy_dest_setting;      /* the PolicySetting of proxy destination (VAL_DEST) */
    const void *proxy_send_setting;      /* ... of proxy send charts matching (VAL_PATTERN) */
    int update_every;                    /* the node's default update every */
    int compression;                     /* enable compression, layered, AND [stream]'s */
    int replication;                     /* enable replication, layered */
    long repl_seconds, repl_step;        /* seconds to replicate, seconds per replication step */
} RrdHostConfig;

typedef struct RrdHost {
    pthread_mutex_t lock;
    char guid[64];                       /* exactly as received (case kept) */
    char *hostname, *registry_hostname, *os, *timezone, *abbrev_timezone, *tags;
    char *program_name, *program_version;
    long utc_offset, hops;
    int update_every;                    /* from the handshake (0/absent: node default) */
    int ml_capable, ml_enabled, mc_version;
    uint64_t capabilities;               /* negotiated with the current/last receiver */
    RrdLabels system_info;               /* NETDATA_* handshake parameters, decoded */
    RrdLabels labels, staged_labels;     /* LABEL stages, OVERWRITE replaces */
    RrdLabels host_vars;                 /* VARIABLE HOST, name -> value text */
    char *claimed_id;
    RrdHostConfig cfg;
    const StorageOps *ops;
    StorageHost *storage;
    int storage_fallback;                /* cfg.memory_mode has no engine yet: ram is used */
    RrdChart **chart_hash;
    size_t chart_hash_cap, ncharts;
    RrdChart *charts, *charts_tail;
    /* receiver state */
    int connected;                       /* a receiver is attached */
    int64_t last_data_s;                 /* wall clock of the last line received, seconds */
    int64_t connected_since_s, disconnected_since_s;
    long connections;                    /* how many times a child attached */
    uint64_t receiver_gen;               /* bumped when a receiver attaches: an older receiver
                                            that sees a newer value has been replaced (atomic) */
    uint64_t updates;                    /* completed collections, all charts */
    struct RrdHost *next;
    int is_localhost;
    char *api_key;                       /* the key the child last connected with */
    int meta_dirty;                      /* definitions changed since the metadata was saved */
    /* upstream: set by sender.c under the host lock; rrd_chart_end calls PUSH for every
       completed collection (before the round is cleared) when it is set */
    struct Sender *sender;
    void (*push)(struct RrdHost *h, struct RrdChart *c, uint64_t interval_ut);
    int reloaded;                        /* loaded from the data directory at start */
} RrdHost;

typedef struct RrdDb {
    pthread_mutex_t lock;
    RrdHost *hosts, *hosts_tail;         /* localhost first */
    size_t nhosts;
    RrdHost *localhost;
    const char *data_dir;
} RrdDb;

/* The registry with its own host (LOCAL_GUID may be "" when unknown). */
RrdDb *rrd_db_new(const char *local_hostname, const char *local_guid, const RrdHostConfig *local,
                  const char *data_dir);
void rrd_db_free(RrdDb *db);

/* Under db->lock (the caller takes it): exact-text lookups. */
RrdHost *rrd_host_find_guid(RrdDb *db, const char *guid);
RrdHost *rrd_host_find_name(RrdDb *db, const char *hostname);   /* hostname or guid */
/* Under db->lock: a new host (storage opened from CFG). NULL on allocation failure. */
RrdHost *rrd_host_create(RrdDb *db, const char *guid, const char *hostname,
                         const RrdHostConfig *cfg);

/* Label lists (bounded by RRD_MAX_LABELS): set replaces a same-name entry; 0 ok, -1 full/oom. */
int rrd_labels_set(RrdLabels *l, const char *name, const char *value, uint32_t source);
void rrd_labels_clear(RrdLabels *l);
/* Move STAGED into DST (replacing DST's content). */
void rrd_labels_commit(RrdLabels *dst, RrdLabels *staged);

/* ---- definitions (under the host lock) ---------------------------------------------------- */

typedef struct RrdChartDef {
    const char *id, *name, *title, *units, *family, *context, *chart_type;
    long priority;
    int update_every;                    /* <= 0: the node default */
    const char *options, *plugin, *module;
} RrdChartDef;

typedef struct RrdDimDef {
    const char *id, *name, *algorithm;
    int64_t multiplier, divisor;         /* 0: 1 */
    const char *options;
} RrdDimDef;

RrdChart *rrd_chart_find(RrdHost *h, const char *id);
/* CHART: create or update. NULL on a bad id (no '.', empty part, > RRD_MAX_ID), the chart
   limit, or allocation failure; *WHY says which. */
RrdChart *rrd_chart_upsert(RrdHost *h, const RrdChartDef *def, const char **why);
RrdDim *rrd_dim_find(RrdChart *c, const char *id);
/* What C's dimensions hold in H's engine: *FIRST the oldest slot, *LAST the newest (0: none). */
void rrd_chart_range(RrdHost *h, const RrdChart *c, int64_t *first, int64_t *last);
RrdDim *rrd_dim_upsert(RrdHost *h, RrdChart *c, const RrdDimDef *def, const char **why);

/* ---- collection ---------------------------------------------------------------------------- */

void rrd_chart_begin(RrdChart *c, uint64_t usec);          /* BEGIN "<id>" <usec> */
void rrd_dim_set(RrdDim *d, int64_t raw);                   /* SET */
/* END at wall-clock NOW_UT (µs): compute every dimension and store the grid slots passed. */
void rrd_chart_end(RrdHost *h, RrdChart *c, uint64_t now_ut);
/* A replicated point: V (NAN: empty) at slot time T (s) of D. Stored only when T is on the
   chart's grid and after everything D holds; D then counts one more collection, as 1.37.1's
   RSET does. */
void rrd_dim_store_replicated(RrdHost *h, RrdChart *c, RrdDim *d, int64_t t, double v);

/* Exact string equality for the short ids of the hot path (a SET names a dimension, a BEGIN a
   chart): an inline byte loop costs less than a call into libc's strcmp for a few bytes. */
static inline int rrd_same(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return *a == *b;
}

/* The host's definitions changed (host lock held): its metadata is saved at the next flush.
   Atomic so that rrd_meta_flush() can skip clean hosts without taking their locks. */
static inline void rrd_host_meta_dirty(RrdHost *h)
{
    __atomic_store_n(&h->meta_dirty, 1, __ATOMIC_RELAXED);
}

/* Wall clock in µs (CLOCK_REALTIME). */
uint64_t rrd_now_ut(void);

#endif

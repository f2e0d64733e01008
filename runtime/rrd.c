/*
** rrd.c - the metrics model of streamd: the host registry, a host's charts (hash table by
** "type.id") and dimensions, and how a CHART/DIMENSION definition from a child is read into them
** (Netdata 1.37.1 pluginsd_chart/pluginsd_dimension and the rrdset/rrddim constructors). Label
** lists are rrd_labels.c's. It does not parse the wire (ingest.c hands it decoded fields), does no collection
** arithmetic (rrd_collect.c) and stores no samples (the storage engine of the host does).
**
** Memory: every string is a private heap copy; charts and dimensions live until rrd_db_free.
*/
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "policy_format.h"
#include "rrd.h"

#define CHART_HASH_MIN 64

static char *dup_str(const char *s)
{
    return strdup(s ? s : "");
}

/* Replace *DST with a copy of S; on allocation failure *DST is kept (the old text stays valid). */
static int set_str(char **dst, const char *s)
{
    char *n = dup_str(s);
    if (!n) {
        return -1;
    }
    free(*dst);
    *dst = n;
    return 0;
}

static int empty(const char *s)
{
    return !s || !*s;
}

/* ---- registry --------------------------------------------------------------------------------- */

/* Wall clock in µs (CLOCK_REALTIME), the clock Netdata timestamps collections with. */
uint64_t rrd_now_ut(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void dim_free(RrdDim *d)
{
    free(d->id);
    free(d->name);
    free(d);
}

static void chart_free(RrdChart *c)
{
    RrdDim *d = c->dims;
    while (d) {
        RrdDim *n = d->next;
        dim_free(d);
        d = n;
    }
    char **strs[] = {&c->id,      &c->type,    &c->name,   &c->title, &c->units,
                     &c->family,  &c->context, &c->plugin, &c->module};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
    }
    rrd_labels_clear(&c->labels);
    rrd_labels_clear(&c->staged_labels);
    free(c);
}

static void host_free(RrdHost *h)
{
    RrdChart *c = h->charts;
    while (c) {
        RrdChart *n = c->next;
        chart_free(c);
        c = n;
    }
    free(h->chart_hash);
    if (h->ops && h->storage) {
        h->ops->close_host(h->storage);   /* frees the StorageDims the dims pointed to */
    }
    char **strs[] = {&h->hostname,     &h->registry_hostname, &h->os,
                     &h->timezone,     &h->abbrev_timezone,   &h->tags,
                     &h->program_name, &h->program_version,   &h->claimed_id,
                     &h->api_key};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        free(*strs[i]);
    }
    rrd_labels_clear(&h->system_info);
    rrd_labels_clear(&h->labels);
    rrd_labels_clear(&h->staged_labels);
    rrd_labels_clear(&h->host_vars);
    pthread_mutex_destroy(&h->lock);
    free(h);
}

/*
** A new registry holding localhost (LOCAL_HOSTNAME, LOCAL_GUID may be "", settings LOCAL or
** defaults when NULL). DATA_DIR is kept by pointer (the caller keeps it alive). Returns NULL
** when memory runs out.
*/
RrdDb *rrd_db_new(const char *local_hostname, const char *local_guid, const RrdHostConfig *local,
                  const char *data_dir)
{
    RrdDb *db = calloc(1, sizeof *db);
    if (!db) {
        return NULL;
    }
    pthread_mutex_init(&db->lock, NULL);
    db->data_dir = data_dir;
    RrdHostConfig def = {.memory_mode = POLICY_MODE_RAM, .history = 3600, .health = 2,
                         .update_every = 1};
    db->localhost = rrd_host_create(db, local_guid ? local_guid : "", local_hostname,
                                    local ? local : &def);
    if (!db->localhost) {
        rrd_db_free(db);
        return NULL;
    }
    db->localhost->is_localhost = 1;
    return db;
}

/* Free DB with every host, chart, dimension and storage engine. NULL is a no-op. */
void rrd_db_free(RrdDb *db)
{
    if (!db) {
        return;
    }
    RrdHost *h = db->hosts;
    while (h) {
        RrdHost *n = h->next;
        host_free(h);
        h = n;
    }
    pthread_mutex_destroy(&db->lock);
    free(db);
}

/* The host whose machine GUID is exactly GUID (case kept, as Netdata compares), or NULL. */
RrdHost *rrd_host_find_guid(RrdDb *db, const char *guid)
{
    for (RrdHost *h = db->hosts; h; h = h->next) {
        if (strcmp(h->guid, guid) == 0) {
            return h;
        }
    }
    return NULL;
}

/* The host named HOSTNAME, else the one whose GUID is HOSTNAME (Netdata's /host/NAME). */
RrdHost *rrd_host_find_name(RrdDb *db, const char *hostname)
{
    for (RrdHost *h = db->hosts; h; h = h->next) {
        if (h->hostname && strcmp(h->hostname, hostname) == 0) {
            return h;
        }
    }
    return rrd_host_find_guid(db, hostname);
}

/*
** Append a new host GUID/HOSTNAME with settings CFG (copied; its strings still point into the
** policy) and open its storage engine. Returns NULL when GUID does not fit or memory runs out.
*/
RrdHost *rrd_host_create(RrdDb *db, const char *guid, const char *hostname,
                         const RrdHostConfig *cfg)
{
    if (strlen(guid) >= sizeof(((RrdHost *)0)->guid)) {
        return NULL;
    }
    RrdHost *h = calloc(1, sizeof *h);
    if (!h) {
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    strcpy(h->guid, guid);
    h->cfg = *cfg;
    h->hostname = dup_str(hostname);
    h->chart_hash_cap = CHART_HASH_MIN;
    h->chart_hash = calloc(h->chart_hash_cap, sizeof *h->chart_hash);
    h->ops = storage_ops_for(cfg->memory_mode, db->data_dir != NULL, &h->storage_fallback);
    StorageConfig sc = {.mode = cfg->memory_mode, .history = cfg->history,
                        .data_dir = db->data_dir, .host_guid = h->guid};
    h->storage = h->ops->open_host(&sc);
    if (!h->hostname || !h->chart_hash || !h->storage) {
        host_free(h);
        return NULL;
    }
    if (db->hosts_tail) {
        db->hosts_tail->next = h;
    } else {
        db->hosts = h;
    }
    db->hosts_tail = h;
    db->nhosts++;
    return h;
}

/* ---- charts ------------------------------------------------------------------------------------ */

static size_t hash_str(const char *s)
{
    size_t h = 2166136261u;           /* FNV-1a: short ids, no adversarial-resistance needed */
    for (; *s; s++) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

/* The chart "type.id" of H, or NULL. */
RrdChart *rrd_chart_find(RrdHost *h, const char *id)
{
    for (RrdChart *c = h->chart_hash[hash_str(id) & (h->chart_hash_cap - 1)]; c; c = c->hnext) {
        if (rrd_same(c->id, id)) {
            return c;
        }
    }
    return NULL;
}

/* Double the bucket array when the load passes 1; on allocation failure keep the old one. */
static void chart_hash_grow(RrdHost *h)
{
    if (h->ncharts < h->chart_hash_cap) {
        return;
    }
    size_t cap = h->chart_hash_cap * 2;
    RrdChart **t = calloc(cap, sizeof *t);
    if (!t) {
        return;
    }
    for (RrdChart *c = h->charts; c; c = c->next) {
        size_t b = hash_str(c->id) & (cap - 1);
        c->hnext = t[b];
        t[b] = c;
    }
    free(h->chart_hash);
    h->chart_hash = t;
    h->chart_hash_cap = cap;
}

/* Netdata's rrdset_strncpyz_name: anything but [A-Za-z0-9.-] becomes '_'. */
static char *chart_full_name(const char *type, const char *name)
{
    size_t tn = strlen(type), nn = strlen(name);
    char *s = malloc(tn + 1 + nn + 1);
    if (!s) {
        return NULL;
    }
    memcpy(s, type, tn);
    s[tn] = '.';
    memcpy(s + tn + 1, name, nn + 1);
    for (char *p = s; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch != '.' && ch != '-' && !(ch < 0x80 && isalnum(ch))) {
            *p = '_';
        }
    }
    return s;
}

static int chart_type_of(const char *s)
{
    if (s && strcmp(s, "area") == 0) {
        return RRD_CHART_AREA;
    }
    if (s && strcmp(s, "stacked") == 0) {
        return RRD_CHART_STACKED;
    }
    return RRD_CHART_LINE;
}

/* The storage dims of C move to UPDATE_EVERY (they restart empty) and the chart primes again:
   the old grid's alignment and pending rates do not carry over to the new interval. */
static void chart_change_update_every(RrdHost *h, RrdChart *c, int update_every)
{
    c->update_every = update_every;
    c->last_collected_ut = 0;
    c->last_stored_ut = 0;
    c->counter = 0;
    c->counter_done = 0;
    for (RrdDim *d = c->dims; d; d = d->next) {
        d->collections = 0;
        if (h->ops->set_update_every && d->sd) {
            h->ops->set_update_every(d->sd, update_every);
        }
    }
}

/* FNV-1a over what a sender puts in a CHART line: a change means "send the definition again". */
static uint64_t sig_str(uint64_t h, const char *z)
{
    for (const unsigned char *p = (const unsigned char *)(z ? z : ""); ; p++) {
        h = (h ^ *p) * 1099511628211ull;
        if (!*p) {
            return h;
        }
    }
}

static uint64_t chart_signature(const RrdChart *c)
{
    const char *t[] = { c->name, c->title, c->units, c->family, c->context, c->plugin, c->module };
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        h = sig_str(h, t[i]);
    }
    uint64_t n[] = { (uint64_t)c->chart_type, (uint64_t)c->priority, (uint64_t)c->update_every,
                     c->flags };
    for (size_t i = 0; i < 4; i++) {
        h = (h ^ n[i]) * 1099511628211ull;
    }
    return h;
}

/*
** CHART: create or update "type.id" of H from DEF as Netdata 1.37.1's parent does (rules in
** stream-protocol.md §3.2). On an existing chart, empty title/units/family/context/plugin/
** module keep the old text (Netdata's conflict callback), priority/type/update_every/name are
** always replaced. Every definition re-syncs the clock (the next BEGIN µs is ignored). Returns
** NULL with *WHY set on a bad id, the chart limit or allocation failure.
*/
RrdChart *rrd_chart_upsert(RrdHost *h, const RrdChartDef *def, const char **why)
{
    const char *full = def->id, *dot = full ? strchr(full, '.') : NULL;
    if (!dot || dot == full || !dot[1]) {
        *why = "chart id is not 'type.id'";
        return NULL;
    }
    if (strlen(full) > RRD_MAX_ID) {
        *why = "chart id longer than 200 bytes";
        return NULL;
    }
    size_t tlen = (size_t)(dot - full);
    const char *idpart = dot + 1;

    /* "no separate name": empty, equal to the id part, NULL or (NULL), after removing "type." */
    const char *name = def->name;
    if (!empty(name)) {
        if (strncmp(name, full, tlen) == 0 && name[tlen] == '.') {
            name += tlen + 1;
        }
        if (strcmp(name, idpart) == 0 || strcasecmp(name, "NULL") == 0 ||
            strcasecmp(name, "(NULL)") == 0) {
            name = NULL;
        }
    }
    if (empty(name)) {
        name = NULL;
    }
    int update_every = def->update_every > 0 ? def->update_every
                                             : (h->cfg.update_every > 0 ? h->cfg.update_every : 1);

    RrdChart *c = rrd_chart_find(h, full);
    int is_new = !c;
    if (is_new) {
        if (h->ncharts >= RRD_MAX_CHARTS_PER_HOST) {
            *why = "too many charts on this host";
            return NULL;
        }
        c = calloc(1, sizeof *c);
        if (!c) {
            *why = "out of memory";
            return NULL;
        }
        c->id = dup_str(full);
        c->type = strndup(full, tlen);
        c->title = dup_str(def->title);
        c->units = dup_str(def->units ? def->units : "unknown");
        c->family = empty(def->family) ? strndup(full, tlen) : dup_str(def->family);
        c->context = dup_str(empty(def->context) ? full : def->context);
        c->plugin = dup_str(def->plugin);
        c->module = dup_str(def->module);
        c->update_every = update_every;
        if (!c->id || !c->type || !c->title || !c->units || !c->family || !c->context ||
            !c->plugin || !c->module) {
            chart_free(c);
            *why = "out of memory";
            return NULL;
        }
    } else {
        const char *keep[] = {def->title, def->units, def->family,
                              def->context, def->plugin, def->module};
        char **dst[] = {&c->title, &c->units, &c->family, &c->context, &c->plugin, &c->module};
        for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
            if (!empty(keep[i]) && set_str(dst[i], keep[i]) != 0) {
                *why = "out of memory";
                return NULL;
            }
        }
        if (c->update_every != update_every) {
            chart_change_update_every(h, c, update_every);
        }
    }
    char *fn = chart_full_name(c->type, name ? name : idpart);
    if (!fn) {
        if (is_new) {
            chart_free(c);
        }
        *why = "out of memory";
        return NULL;
    }
    free(c->name);
    c->name = fn;
    c->chart_type = chart_type_of(def->chart_type);
    c->priority = def->priority;

    /* Netdata: a non-empty options word sets or clears each flag; an empty one clears obsolete,
       detail and store_first but leaves hidden as it was. */
    const char *o = def->options;
    unsigned keep_hidden = c->flags & RRD_CHART_HIDDEN;
    c->flags = 0;
    if (!empty(o)) {
        c->flags |= strstr(o, "obsolete") ? RRD_CHART_OBSOLETE : 0;
        c->flags |= strstr(o, "detail") ? RRD_CHART_DETAIL : 0;
        c->flags |= strstr(o, "hidden") ? RRD_CHART_HIDDEN : 0;
        c->flags |= strstr(o, "store_first") ? RRD_CHART_STORE_FIRST : 0;
    } else {
        c->flags |= keep_hidden;
    }
    c->sync_clock = 1;
    uint64_t sig = chart_signature(c);
    if (is_new || sig != c->def_sig) {
        c->def_sig = sig;
        c->def_gen++;                   /* a sender sends the definition again */
        c->send_match = 0;              /* and asks its pattern again (the name may differ) */
    }

    if (is_new) {
        chart_hash_grow(h);
        size_t b = hash_str(c->id) & (h->chart_hash_cap - 1);
        c->hnext = h->chart_hash[b];
        h->chart_hash[b] = c;
        if (h->charts_tail) {
            h->charts_tail->next = c;
        } else {
            h->charts = c;
        }
        h->charts_tail = c;
        h->ncharts++;
    }
    rrd_host_meta_dirty(h);   /* persistent hosts rewrite their metadata (rrd_meta.c) */
    return c;
}

/* ---- dimensions ------------------------------------------------------------------------------- */

/* The dimension ID of C, or NULL (linear: a chart has few dims and SET order follows them). */
void rrd_chart_range(RrdHost *h, const RrdChart *c, int64_t *first, int64_t *last)
{
    *first = *last = 0;
    for (RrdDim *d = c->dims; d && h->ops; d = d->next) {
        if (!d->sd) {
            continue;
        }
        int64_t f = h->ops->first_t(d->sd), l = h->ops->last_t(d->sd);
        if (f && (!*first || f < *first)) {
            *first = f;
        }
        if (l > *last) {
            *last = l;
        }
    }
}

RrdDim *rrd_dim_find(RrdChart *c, const char *id)
{
    for (RrdDim *d = c->dims; d; d = d->next) {
        if (rrd_same(d->id, id)) {
            return d;
        }
    }
    return NULL;
}

static int algorithm_of(const char *s)
{
    if (!s) {
        return RRD_ALG_ABSOLUTE;
    }
    if (strcmp(s, "incremental") == 0) {
        return RRD_ALG_INCREMENTAL;
    }
    if (strcmp(s, "percentage-of-absolute-row") == 0) {
        return RRD_ALG_PCENT_ABS_ROW;
    }
    if (strcmp(s, "percentage-of-incremental-row") == 0) {
        return RRD_ALG_PCENT_INC_ROW;
    }
    return RRD_ALG_ABSOLUTE;
}

/*
** DIMENSION: create or update dimension DEF->id of chart C of host H (rules in
** stream-protocol.md §3.2); a new one gets a storage series from H's engine. A new dimension or
** a changed name/algorithm/multiplier/divisor re-syncs the chart's clock, as in Netdata.
** Returns NULL with *WHY set on an empty or too long id, the per-chart limit or allocation
** failure.
*/
RrdDim *rrd_dim_upsert(RrdHost *h, RrdChart *c, const RrdDimDef *def, const char **why)
{
    if (empty(def->id)) {
        *why = "dimension without an id";
        return NULL;
    }
    if (strlen(def->id) > RRD_MAX_ID) {
        *why = "dimension id longer than 200 bytes";
        return NULL;
    }
    const char *name = empty(def->name) ? def->id : def->name;
    int alg = algorithm_of(def->algorithm);
    int64_t mul = def->multiplier ? def->multiplier : 1;
    int64_t div = def->divisor ? def->divisor : 1;

    RrdDim *d = rrd_dim_find(c, def->id);
    int is_new = !d;
    if (!d) {
        if (c->ndims >= RRD_MAX_DIMS_PER_CHART) {
            *why = "too many dimensions in this chart";
            return NULL;
        }
        d = calloc(1, sizeof *d);
        if (!d || !(d->id = dup_str(def->id)) || !(d->name = dup_str(name)) ||
            !(d->sd = h->ops->create_dim(h->storage, c->id, def->id, c->update_every))) {
            if (d) {
                dim_free(d);
            }
            *why = "out of memory";
            return NULL;
        }
        d->algorithm = alg;
        d->multiplier = mul;
        d->divisor = div;
        if (c->dims_tail) {
            c->dims_tail->next = d;
        } else {
            c->dims = d;
        }
        c->dims_tail = d;
        c->ndims++;
        c->sync_clock = 1;
    } else {
        int changed = strcmp(d->name, name) != 0 || d->algorithm != alg ||
                      d->multiplier != mul || d->divisor != div;
        if (strcmp(d->name, name) != 0 && set_str(&d->name, name) != 0) {
            *why = "out of memory";
            return NULL;
        }
        d->algorithm = alg;
        d->multiplier = mul;
        d->divisor = div;
        if (changed) {
            c->sync_clock = 1;
            c->def_gen++;
        }
    }
    /* Netdata clears the no-reset option first and sets it again for noreset or nooverflow,
       so both words mean "do not detect resets or overflows" (both flags here). */
    const char *o = def->options;
    unsigned old_flags = d->flags;
    d->flags = 0;
    if (!empty(o)) {
        d->flags |= strstr(o, "obsolete") ? RRD_DIM_OBSOLETE : 0;
        d->flags |= strstr(o, "hidden") ? RRD_DIM_HIDDEN : 0;
        if (strstr(o, "noreset") || strstr(o, "nooverflow")) {
            d->flags |= RRD_DIM_NORESET | RRD_DIM_NOOVERFLOW;
        }
    }
    if (d->flags != old_flags || is_new) {
        c->def_gen++;                   /* a sender sends the definition again */
    }
    rrd_host_meta_dirty(h);
    return d;
}

/*
** http_api.c - routing of streamd's Netdata-compatible API and the /api/v1/info, /charts and
** /chart bodies (/data: http_api_data.c; /allmetrics: http_api_prom.c). Field names, nesting,
** order and whitespace follow Netdata 1.37.1's web_api_v1.c, charts2json.c and rrdset2json.c,
** checked against a running 1.37.1.
**
** Routing, as web_client_process_url: /host/NAME/... switches host (hostname first, then
** machine GUID; unknown: 404 text/html "This netdata does not maintain a database for host:
** NAME"; /host/A/host/B: 400 "Nesting of hosts is not allowed."); /api without a version: 400
** "Which API version?"; another version: 404 text/html "Unsupported API version: V"; /api/v1:
** 400 "Which API v1 command?"; an unknown command: 404 "Unsupported v1 API command: C"; any
** other path: 404 text/html "File does not exist, or is not accessible: PATH" (no dashboard is
** served). User text in error bodies is HTML-escaped as Netdata does.
**
** Differences from Netdata, on purpose:
**  - every string is JSON-escaped (Netdata prints titles, units etc. raw);
**  - "version" is the host's own program version when its child told it, else
**    HTTP_API_COMPAT_VERSION; "release_channel" is always "stable";
**  - info: "alarms" are all 0, "functions" is empty, "cloud-*"/"agent-claimed"/"aclk-available"
**    are false, analytics fields we do not track are null; "hosts-available", "charts-count",
**    "metrics-count" are numbers; "memory-mode"/"stream-enabled" describe the node's own host;
**    an extra "streamd" object (http_api_streamd.c) carries the host's effective settings (the
**    proxy API key masked to its first 8 and last 4 characters), its sender (upstream link,
**    null when it is not streamed) and its receiver state (null for the node's own host);
**    "ml-info" is left out;
**  - charts: "alarms_count" 0, "chart_variables"/"alarms"/"functions" empty, "green"/"red"
**    null; "rrd_memory_bytes" is the storage engine's sample memory; "hosts" lists every host;
**    "custom_info" is ""; an unknown "os" is "linux", an unknown "timezone" "unknown";
**  - /host/NAME without the trailing slash answers like /host/NAME/ (Netdata redirects).
*/
#include "http_api.h"

#include <stdlib.h>
#include <string.h>

#include "policy_format.h"
#include "sender.h"

static const char *version_of(const RrdHost *h)
{
    return h->program_version && h->program_version[0] ? h->program_version
                                                       : HTTP_API_COMPAT_VERSION;
}

int http_api_update_every(const RrdHost *h)
{
    int ue = h->update_every > 0 ? h->update_every : h->cfg.update_every;
    return ue > 0 ? ue : 1;
}

/* Netdata's rrdset_is_available_for_viewers. */
static int chart_viewable(const RrdHost *h, const RrdChart *c)
{
    return !(c->flags & (RRD_CHART_HIDDEN | RRD_CHART_OBSOLETE)) && c->ndims > 0 &&
           h->cfg.memory_mode != POLICY_MODE_NONE;
}

void http_api_kv_str(Sbuf *b, const char *ind, const char *key, const char *val,
                     const char *tail)
{
    sbuf_printf(b, "%s\"%s\": ", ind, key);
    if (val) {
        sbuf_json_str(b, val);
    } else {
        sbuf_puts(b, "null");
    }
    sbuf_puts(b, tail);
}

/* Labels as rrdlabels_to_buffer prints them: IND"k":"v" joined by ",\n", then "\n". */
static void labels_json(Sbuf *b, const RrdLabels *l, const char *ind)
{
    for (size_t i = 0; i < l->n; i++) {
        sbuf_puts(b, i ? ",\n" : "");
        sbuf_puts(b, ind);
        sbuf_json_str(b, l->v[i].name);
        sbuf_putc(b, ':');
        sbuf_json_str(b, l->v[i].value);
    }
    sbuf_putc(b, '\n');
}

static const char *label_get(const RrdLabels *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) == 0) {
            return l->v[i].value;
        }
    }
    return NULL;
}

/* ---- /api/v1/chart and /api/v1/charts ------------------------------------------------------ */

static const char *const chart_type_names[] = {"line", "area", "stacked"};

/* One chart as rrdset2json prints it (starts "\t\t{", ends "\n\t\t}"); *NDIMS += dims shown. */
static void chart_json(Sbuf *b, const RrdHost *h, const RrdChart *c, size_t *ndims)
{
    int64_t first, last;
    http_api_chart_range(h, c, &first, &last);
    int ct = c->chart_type >= 0 && c->chart_type <= RRD_CHART_STACKED ? c->chart_type : 0;
    const char *I = "\t\t\t";
    sbuf_puts(b, "\t\t{\n");
    http_api_kv_str(b, I, "id", c->id, ",\n");
    http_api_kv_str(b, I, "name", c->name, ",\n");
    http_api_kv_str(b, I, "type", c->type, ",\n");
    http_api_kv_str(b, I, "family", c->family, ",\n");
    http_api_kv_str(b, I, "context", c->context, ",\n");
    sbuf_puts(b, "\t\t\t\"title\": \"");
    sbuf_json_esc(b, c->title);
    sbuf_puts(b, " (");
    sbuf_json_esc(b, c->name);
    sbuf_puts(b, ")\",\n");
    sbuf_printf(b, "\t\t\t\"priority\": %ld,\n", c->priority);
    http_api_kv_str(b, I, "plugin", c->plugin, ",\n");
    http_api_kv_str(b, I, "module", c->module, ",\n");
    http_api_kv_str(b, I, "units", c->units, ",\n");
    sbuf_puts(b, "\t\t\t\"data_url\": \"/api/v1/data?chart=");
    sbuf_json_esc(b, c->name);
    sbuf_puts(b, "\",\n");
    http_api_kv_str(b, I, "chart_type", chart_type_names[ct], ",\n");
    sbuf_printf(b, "\t\t\t\"duration\": %lld,\n", (long long)(last - first + c->update_every));
    sbuf_printf(b, "\t\t\t\"first_entry\": %lld,\n", (long long)first);
    sbuf_printf(b, "\t\t\t\"last_entry\": %lld,\n", (long long)last);
    sbuf_printf(b, "\t\t\t\"update_every\": %d,\n", c->update_every);
    sbuf_puts(b, "\t\t\t\"dimensions\": {\n");
    size_t n = 0;
    for (const RrdDim *d = c->dims; d; d = d->next) {
        if (d->flags & (RRD_DIM_HIDDEN | RRD_DIM_OBSOLETE)) {
            continue;
        }
        sbuf_puts(b, n++ ? ",\n\t\t\t\t" : "\t\t\t\t");
        sbuf_json_str(b, d->id);
        sbuf_puts(b, ": { \"name\": ");
        sbuf_json_str(b, d->name);
        sbuf_puts(b, " }");
    }
    if (ndims) {
        *ndims += n;
    }
    sbuf_puts(b, "\n\t\t\t},\n\t\t\t\"chart_variables\": {\n\t\t\t},\n"
                 "\t\t\t\"green\": null,\n\t\t\t\"red\": null,\n"
                 "\t\t\t\"alarms\": {\n\n\t\t\t},\n\t\t\t\"chart_labels\": {\n");
    labels_json(b, &c->labels, "\t\t\t\t");
    sbuf_puts(b, "\t\t\t},\n\t\t\t\"functions\": {\n\t\t\t}\n\t\t}");
}

/* The chart of H whose id, else whose name, is ID. */
static RrdChart *chart_lookup(RrdHost *h, const char *id)
{
    RrdChart *c = rrd_chart_find(h, id);
    for (RrdChart *x = h->charts; !c && x; x = x->next) {
        if (x->name && strcmp(x->name, id) == 0) {
            c = x;
        }
    }
    return c;
}

static void api_chart(RrdHost *h, const HttpRequest *req, HttpApiResponse *out)
{
    const char *id = http_api_param(req, "chart");
    if (!id) {
        http_api_error(out, 400, HTTP_API_CT_TEXT, "No chart id is given at the request.", NULL);
        return;
    }
    pthread_mutex_lock(&h->lock);
    RrdChart *c = chart_lookup(h, id);
    if (c) {
        chart_json(&out->body, h, c, NULL);
    }
    pthread_mutex_unlock(&h->lock);
    if (!c) {
        http_api_error(out, 404, HTTP_API_CT_TEXT, "Chart is not found: ", id);
    }
}

/* The "hosts" array of /charts: every host's name, each read under its own lock. */
static void hosts_array(Sbuf *b, RrdDb *db)
{
    size_t n;
    RrdHost **hs = http_api_hosts(db, &n);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&hs[i]->lock);
        sbuf_puts(b, i ? ",\n\t\t{\n\t\t\t\"hostname\": " : "\n\t\t{\n\t\t\t\"hostname\": ");
        sbuf_json_str(b, hs[i]->hostname);
        pthread_mutex_unlock(&hs[i]->lock);
        sbuf_puts(b, "\n\t\t}");
    }
    free(hs);
}

static void api_charts(RrdDb *db, RrdHost *h, HttpApiResponse *out)
{
    Sbuf *b = &out->body;
    size_t nhosts;
    pthread_mutex_lock(&db->lock);
    nhosts = db->nhosts;
    pthread_mutex_unlock(&db->lock);

    pthread_mutex_lock(&h->lock);
    sbuf_puts(b, "{\n");
    http_api_kv_str(b, "\t", "hostname", h->hostname, "");
    http_api_kv_str(b, ",\n\t", "version", version_of(h), "");
    http_api_kv_str(b, ",\n\t", "release_channel", "stable", "");
    http_api_kv_str(b, ",\n\t", "os", h->os ? h->os : "linux", "");
    http_api_kv_str(b, ",\n\t", "timezone", h->timezone ? h->timezone : "unknown", "");
    sbuf_printf(b, ",\n\t\"update_every\": %d", http_api_update_every(h));
    sbuf_printf(b, ",\n\t\"history\": %ld", h->cfg.history);
    http_api_kv_str(b, ",\n\t", "memory_mode", http_api_mode_name(h->cfg.memory_mode), "");
    sbuf_puts(b, ",\n\t\"custom_info\": \"\",\n\t\"charts\": {");
    size_t count = 0, ndims = 0;
    for (const RrdChart *c = h->charts; c; c = c->next) {
        if (!chart_viewable(h, c)) {
            continue;
        }
        sbuf_puts(b, count++ ? ",\n\t\t" : "\n\t\t");
        sbuf_json_str(b, c->id);
        sbuf_puts(b, ": ");
        chart_json(b, h, c, &ndims);
    }
    size_t mem = h->ops && h->storage ? h->ops->bytes(h->storage) : 0;
    pthread_mutex_unlock(&h->lock);

    sbuf_printf(b, "\n\t},\n\t\"charts_count\": %zu,\n\t\"dimensions_count\": %zu,\n"
                   "\t\"alarms_count\": 0,\n\t\"rrd_memory_bytes\": %zu,\n\t\"hosts_count\": %zu,\n"
                   "\t\"hosts\": [", count, ndims, mem, nhosts);
    hosts_array(b, db);
    sbuf_puts(b, "\n\t]\n}\n");
}

/* ---- /api/v1/info ---------------------------------------------------------------------------- */

/* info key, the handshake variable(s) it comes from, printed even when unknown ("") or not. */
static const struct SysRow {
    const char *key, *var, *alt;
    int always;
} sys_rows[] = {
    {"os_name", "NETDATA_HOST_OS_NAME", "NETDATA_SYSTEM_OS_NAME", 1},
    {"os_id", "NETDATA_HOST_OS_ID", "NETDATA_SYSTEM_OS_ID", 1},
    {"os_id_like", "NETDATA_HOST_OS_ID_LIKE", "NETDATA_SYSTEM_OS_ID_LIKE", 1},
    {"os_version", "NETDATA_HOST_OS_VERSION", "NETDATA_SYSTEM_OS_VERSION", 1},
    {"os_version_id", "NETDATA_HOST_OS_VERSION_ID", "NETDATA_SYSTEM_OS_VERSION_ID", 1},
    {"os_detection", "NETDATA_HOST_OS_DETECTION", "NETDATA_SYSTEM_OS_DETECTION", 1},
    {"cores_total", "NETDATA_SYSTEM_CPU_LOGICAL_CPU_COUNT", NULL, 1},
    {"total_disk_space", "NETDATA_SYSTEM_TOTAL_DISK_SIZE", NULL, 1},
    {"cpu_freq", "NETDATA_SYSTEM_CPU_FREQ", NULL, 1},
    {"ram_total", "NETDATA_SYSTEM_TOTAL_RAM", NULL, 1},
    {"container_os_name", "NETDATA_CONTAINER_OS_NAME", NULL, 0},
    {"container_os_id", "NETDATA_CONTAINER_OS_ID", NULL, 0},
    {"container_os_id_like", "NETDATA_CONTAINER_OS_ID_LIKE", NULL, 0},
    {"container_os_version", "NETDATA_CONTAINER_OS_VERSION", NULL, 0},
    {"container_os_version_id", "NETDATA_CONTAINER_OS_VERSION_ID", NULL, 0},
    {"container_os_detection", "NETDATA_CONTAINER_OS_DETECTION", NULL, 0},
    {"is_k8s_node", "NETDATA_HOST_IS_K8S_NODE", NULL, 0},
    {"kernel_name", "NETDATA_SYSTEM_KERNEL_NAME", NULL, 1},
    {"kernel_version", "NETDATA_SYSTEM_KERNEL_VERSION", NULL, 1},
    {"architecture", "NETDATA_SYSTEM_ARCHITECTURE", NULL, 1},
    {"virtualization", "NETDATA_SYSTEM_VIRTUALIZATION", NULL, 1},
    {"virt_detection", "NETDATA_SYSTEM_VIRT_DETECTION", NULL, 1},
    {"container", "NETDATA_SYSTEM_CONTAINER", NULL, 1},
    {"container_detection", "NETDATA_SYSTEM_CONTAINER_DETECTION", NULL, 1},
    {"cloud_provider_type", "NETDATA_INSTANCE_CLOUD_TYPE", NULL, 0},
    {"cloud_instance_type", "NETDATA_INSTANCE_CLOUD_INSTANCE_TYPE", NULL, 0},
    {"cloud_instance_region", "NETDATA_INSTANCE_CLOUD_INSTANCE_REGION", NULL, 0},
};

/* "mirrored_hosts" and "mirrored_hosts_status" (with their trailing ",\n"), each host read
   under its own lock. */
static void info_mirrored(Sbuf *b, RrdDb *db)
{
    size_t n;
    RrdHost **hs = http_api_hosts(db, &n);
    Sbuf st;
    sbuf_init(&st, b->max);
    sbuf_puts(b, "\t\"mirrored_hosts\": [\n");
    for (size_t i = 0; i < n; i++) {
        RrdHost *h = hs[i];
        pthread_mutex_lock(&h->lock);
        sbuf_puts(b, i ? ",\n\t\t" : "\t\t");
        sbuf_json_str(b, h->hostname);
        sbuf_puts(&st, i ? ",\n\t\t{ \"guid\": " : "\t\t{ \"guid\": ");
        sbuf_json_str(&st, h->guid);
        sbuf_puts(&st, ", \"hostname\": ");
        sbuf_json_str(&st, h->hostname);
        sbuf_printf(&st, ", \"reachable\": %s, \"hops\": %ld, \"claim_id\": ",
                    h->connected || h->is_localhost ? "true" : "false",
                    h->is_localhost ? 0L : h->hops);
        if (h->claimed_id && h->claimed_id[0]) {
            sbuf_json_str(&st, h->claimed_id);
        } else {
            sbuf_puts(&st, "null");
        }
        sbuf_puts(&st, ", \"node_id\": null }");
        pthread_mutex_unlock(&h->lock);
    }
    free(hs);
    sbuf_puts(b, "\n\t],\n\t\"mirrored_hosts_status\": [\n");
    if (st.overflow) {
        b->overflow = 1;
    }
    sbuf_append(b, sbuf_str(&st), st.len);
    sbuf_puts(b, "\n\t],\n");
    sbuf_free(&st);
}

/* Unique plugin/module pairs of H's viewable charts in first-seen order (chartcollectors2json):
   an open-addressing set of chart pointers keyed by the pair. */
static void info_collectors(Sbuf *b, const RrdHost *h)
{
    size_t cap = 16;
    while (cap < 2 * h->ncharts + 2) {
        cap *= 2;
    }
    const RrdChart **set = calloc(cap, sizeof *set);
    size_t n = 0;
    for (const RrdChart *c = h->charts; c && set; c = c->next) {
        if (!chart_viewable(h, c)) {
            continue;
        }
        size_t k = 2166136261u;
        for (const char *s = c->plugin; s && *s; s++) {
            k = (k ^ (unsigned char)*s) * 16777619u;
        }
        k = (k ^ ':') * 16777619u;
        for (const char *s = c->module; s && *s; s++) {
            k = (k ^ (unsigned char)*s) * 16777619u;
        }
        size_t i = k & (cap - 1);
        while (set[i] && (strcmp(set[i]->plugin, c->plugin) || strcmp(set[i]->module, c->module))) {
            i = (i + 1) & (cap - 1);
        }
        if (set[i]) {
            continue;
        }
        set[i] = c;
        sbuf_puts(b, n++ ? ",\n\t\t{\n\t\t\t\"plugin\": " : "\n\t\t{\n\t\t\t\"plugin\": ");
        sbuf_json_str(b, c->plugin);
        sbuf_puts(b, ",\n\t\t\t\"module\": ");
        sbuf_json_str(b, c->module);
        sbuf_puts(b, "\n\t\t}");
    }
    if (!set) {
        b->overflow = 1;
    }
    free(set);
}

static void api_info(RrdDb *db, RrdHost *h, int64_t now_s, HttpApiResponse *out)
{
    Sbuf *b = &out->body;
    Sbuf mirrored;
    sbuf_init(&mirrored, b->max);
    info_mirrored(&mirrored, db);
    pthread_mutex_lock(&db->lock);
    size_t nhosts = db->nhosts;
    RrdHost *local = db->localhost;
    pthread_mutex_unlock(&db->lock);
    int local_mode = POLICY_MODE_RAM, local_proxy = 0;
    if (local) {
        pthread_mutex_lock(&local->lock);
        local_mode = local->cfg.memory_mode;
        local_proxy = local->cfg.proxy_enabled;
        pthread_mutex_unlock(&local->lock);
    }

    pthread_mutex_lock(&h->lock);
    sbuf_puts(b, "{\n");
    http_api_kv_str(b, "\t", "version", version_of(h), ",\n");
    http_api_kv_str(b, "\t", "uid", h->guid, ",\n");
    if (mirrored.overflow) {
        b->overflow = 1;
    }
    sbuf_append(b, sbuf_str(&mirrored), mirrored.len);
    sbuf_puts(b, "\t\"alarms\": {\n\t\t\"normal\": 0,\n\t\t\"warning\": 0,\n\t\t\"critical\": 0\n"
                 "\t},\n");
    for (size_t i = 0; i < sizeof sys_rows / sizeof sys_rows[0]; i++) {
        const struct SysRow *r = &sys_rows[i];
        const char *v = label_get(&h->system_info, r->var);
        if (!v && r->alt) {
            v = label_get(&h->system_info, r->alt);
        }
        if (v || r->always) {
            http_api_kv_str(b, "\t", r->key, v ? v : "", ",\n");
        }
    }
    sbuf_puts(b, "\t\"host_labels\": {\n");
    labels_json(b, &h->labels, "\t\t");
    sbuf_puts(b, "\t},\n\t\"functions\": {\n\n\t},\n\t\"collectors\": [");
    info_collectors(b, h);
    size_t ncharts = 0, nmetrics = 0;
    for (const RrdChart *c = h->charts; c; c = c->next) {
        if (chart_viewable(h, c)) {
            ncharts++;
            nmetrics += c->ndims;
        }
    }
    /* 1.37.1: whether the host's sender link is LZ4, null without a sender */
    SenderStats snd;
    const char *compression = sender_stats(h, &snd) != 0 ? "null"
                              : snd.compressed ? "true" : "false";
    sbuf_printf(b, "\n\t],\n\t\"cloud-enabled\": false,\n\t\"cloud-available\": false,\n"
                   "\t\"agent-claimed\": false,\n\t\"aclk-available\": false,\n"
                   "\t\"memory-mode\": \"%s\",\n\t\"multidb-disk-quota\": null,\n"
                   "\t\"page-cache-size\": null,\n\t\"stream-enabled\": %s,\n"
                   "\t\"stream-compression\": %s,\n\t\"hosts-available\": %zu,\n"
                   "\t\"https-enabled\": null,\n\t\"buildinfo\": null,\n"
                   "\t\"release-channel\": \"stable\",\n\t\"web-enabled\": true,\n"
                   "\t\"notification-methods\": null,\n\t\"exporting-enabled\": null,\n"
                   "\t\"exporting-connectors\": null,\n\t\"allmetrics-prometheus-used\": null,\n"
                   "\t\"allmetrics-shell-used\": null,\n\t\"allmetrics-json-used\": null,\n"
                   "\t\"dashboard-used\": null,\n\t\"charts-count\": %zu,\n"
                   "\t\"metrics-count\": %zu,\n",
                http_api_mode_name(local_mode), local_proxy ? "true" : "false", compression,
                nhosts, ncharts,
                nmetrics);
    http_api_info_streamd(b, h, now_s);
    pthread_mutex_unlock(&h->lock);
    sbuf_putc(b, '}');
    sbuf_free(&mirrored);
}

/* ---- routing --------------------------------------------------------------------------------- */

/* The path segment at *P (up to '/' or the end) copied into SEG (cut at CAP - 1); *P moves past
   it. Returns 1 when a '/' followed the segment (and *P is past that '/' too). */
static int next_segment(const char **p, char *seg, size_t cap)
{
    const char *s = *p, *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    size_t k = n < cap - 1 ? n : cap - 1;
    memcpy(seg, s, k);
    seg[k] = '\0';
    *p = e ? e + 1 : s + n;
    return e != NULL;
}

static void route_api(RrdDb *db, RrdHost *h, const HttpRequest *req, const char *rest,
                      int had_slash, int64_t now_s, HttpApiResponse *out)
{
    char ver[256];
    if (!had_slash || !*rest) {
        http_api_error(out, 400, HTTP_API_CT_TEXT, "Which API version?", NULL);
        return;
    }
    int more = next_segment(&rest, ver, sizeof ver);
    if (!ver[0]) {
        http_api_error(out, 400, HTTP_API_CT_TEXT, "Which API version?", NULL);
        return;
    }
    if (strcmp(ver, "v1") != 0) {
        http_api_error(out, 404, HTTP_API_CT_HTML, "Unsupported API version: ", ver);
        return;
    }
    if (!more) {
        http_api_error(out, 400, HTTP_API_CT_TEXT, "Which API v1 command?", NULL);
        return;
    }
    if (strcmp(rest, "info") == 0) {
        api_info(db, h, now_s, out);
    } else if (strcmp(rest, "charts") == 0) {
        api_charts(db, h, out);
    } else if (strcmp(rest, "chart") == 0) {
        api_chart(h, req, out);
    } else if (strcmp(rest, "data") == 0) {
        if (!http_api_param(req, "chart") && !http_api_param(req, "context")) {
            http_api_error(out, 400, HTTP_API_CT_TEXT, "No chart or context is given.", NULL);
            return;
        }
        pthread_mutex_lock(&h->lock);
        http_api_data(h, req, now_s, out);
        pthread_mutex_unlock(&h->lock);
    } else if (strcmp(rest, "allmetrics") == 0) {
        http_api_allmetrics(db, h, req, now_s, out);
    } else {
        http_api_error(out, 404, HTTP_API_CT_TEXT, "Unsupported v1 API command: ", rest);
    }
}

/* Route REQ (rules in the file header). */
void http_api_handle(RrdDb *db, const HttpRequest *req, int64_t now_s, HttpApiResponse *out)
{
    out->status = 200;
    out->content_type = HTTP_API_CT_JSON;
    sbuf_init(&out->body, HTTP_API_MAX_BODY);
    const char *path = req->path ? req->path : "/";
    const char *p = path[0] == '/' ? path + 1 : path;
    char seg[256];
    int slash = next_segment(&p, seg, sizeof seg);

    pthread_mutex_lock(&db->lock);
    RrdHost *h = db->localhost;
    pthread_mutex_unlock(&db->lock);
    if (strcmp(seg, "host") == 0 && slash) {
        const char *s = p, *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *name = strndup(s, n);
        if (!name) {
            http_api_error(out, 500, HTTP_API_CT_TEXT, "Out of memory", NULL);
            return;
        }
        RrdHost *found = NULL;
        if (name[0]) {
            pthread_mutex_lock(&db->lock);
            found = rrd_host_find_name(db, name);
            pthread_mutex_unlock(&db->lock);
        }
        if (!found) {
            http_api_error(out, 404, HTTP_API_CT_HTML,
                           "This netdata does not maintain a database for host: ", name);
            free(name);
            return;
        }
        free(name);
        h = found;
        p = e ? e + 1 : s + n;
        slash = next_segment(&p, seg, sizeof seg);
        if (strcmp(seg, "host") == 0) {
            http_api_error(out, 400, HTTP_API_CT_TEXT, "Nesting of hosts is not allowed.", NULL);
            return;
        }
    }
    if (h && strcmp(seg, "api") == 0) {
        route_api(db, h, req, p, slash, now_s, out);
    } else {
        http_api_error(out, 404, HTTP_API_CT_HTML,
                       "File does not exist, or is not accessible: ", path);
    }
    if (out->body.overflow) {
        http_api_error(out, 500, HTTP_API_CT_TEXT, "The response is too large.", NULL);
    }
}

/* Free OUT's body. NULL is a no-op. */
void http_api_response_free(HttpApiResponse *out)
{
    if (out) {
        sbuf_free(&out->body);
    }
}

/*
** rrd_meta.c - host metadata across restarts (rrd_meta.h).
**
** Format (text, one record per line, fields separated by tabs; a field's tab, newline, CR,
** backslash and '%' are written as %XX):
**   streamd-host-meta 1
**   host <guid> <hostname> <api key>
**   chart <id> <name> <title> <units> <family> <context> <line|area|stacked> <priority>
**         <update every> <options> <plugin> <module>
**   dim <id> <name> <algorithm> <multiplier> <divisor> <options>
**   end <XXH3-64 of every byte before this line, 16 hex digits>
** The text is built under the host's lock and written outside it (temp file, fsync, rename).
*/
#include "rrd_meta.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "guid.h"
#include "log.h"
#include "policy_format.h"
#include "sbuf.h"

#define META_FILE "host.meta"
#define META_MAX (64u << 20)     /* a larger file is not ours */
#define META_FIELDS 13

int rrd_meta_persistent(const RrdDb *db, const RrdHost *h)
{
    int m = h->cfg.memory_mode;
    return db->data_dir && !h->is_localhost && !h->storage_fallback &&
           (m == POLICY_MODE_SAVE || m == POLICY_MODE_MAP || m == POLICY_MODE_DBENGINE);
}

/* ---- writing ------------------------------------------------------------------------------ */

static void field(Sbuf *b, const char *s)
{
    sbuf_putc(b, '\t');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '\t' || c == '\n' || c == '\r' || c == '\\' || c == '%') {
            sbuf_printf(b, "%%%02X", c);
        } else {
            sbuf_putc(b, (char)c);
        }
    }
}

static void num(Sbuf *b, long long v)
{
    char t[32];
    snprintf(t, sizeof t, "%lld", v);
    field(b, t);
}

static const char *alg_names[] = { "absolute", "incremental", "percentage-of-absolute-row",
                                   "percentage-of-incremental-row" };
static const char *type_names[] = { "line", "area", "stacked" };

static void serialize(const RrdHost *h, Sbuf *b)
{
    sbuf_printf(b, "streamd-host-meta 1\nhost");
    field(b, h->guid);
    field(b, h->hostname);
    field(b, h->api_key ? h->api_key : "");
    sbuf_putc(b, '\n');
    for (const RrdChart *c = h->charts; c; c = c->next) {
        char opts[64];
        snprintf(opts, sizeof opts, "%s%s%s%s", c->flags & RRD_CHART_OBSOLETE ? "obsolete " : "",
                 c->flags & RRD_CHART_DETAIL ? "detail " : "",
                 c->flags & RRD_CHART_STORE_FIRST ? "store_first " : "",
                 c->flags & RRD_CHART_HIDDEN ? "hidden" : "");
        sbuf_printf(b, "chart");
        field(b, c->id);
        field(b, c->name);
        field(b, c->title);
        field(b, c->units);
        field(b, c->family);
        field(b, c->context);
        field(b, type_names[c->chart_type >= 0 && c->chart_type <= 2 ? c->chart_type : 0]);
        num(b, c->priority);
        num(b, c->update_every);
        field(b, opts);
        field(b, c->plugin);
        field(b, c->module);
        sbuf_putc(b, '\n');
        for (const RrdDim *d = c->dims; d; d = d->next) {
            snprintf(opts, sizeof opts, "%s%s%s", d->flags & RRD_DIM_OBSOLETE ? "obsolete " : "",
                     d->flags & RRD_DIM_HIDDEN ? "hidden " : "",
                     d->flags & RRD_DIM_NORESET ? "noreset" : "");
            sbuf_printf(b, "dim");
            field(b, d->id);
            field(b, d->name);
            field(b, alg_names[d->algorithm >= 0 && d->algorithm <= 3 ? d->algorithm : 0]);
            num(b, d->multiplier);
            num(b, d->divisor);
            field(b, opts);
            sbuf_putc(b, '\n');
        }
    }
    sbuf_printf(b, "end\t%016llx\n", (unsigned long long)XXH3_64bits(b->s, b->len));
}

static int write_atomic(const char *dir, const char *text, size_t n)
{
    char path[4200], tmp[4300];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, META_FILE) >= sizeof path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -1;
    }
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, text + off, n - off);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

void rrd_meta_flush(RrdDb *db)
{
    if (!db->data_dir) {
        return;
    }
    pthread_mutex_lock(&db->lock);
    size_t n = db->nhosts, k = 0;
    RrdHost **hosts = calloc(n ? n : 1, sizeof *hosts);
    for (RrdHost *h = db->hosts; hosts && h && k < n; h = h->next) {
        hosts[k++] = h;   /* hosts are never freed while the registry lives */
    }
    pthread_mutex_unlock(&db->lock);
    for (size_t i = 0; hosts && i < k; i++) {
        RrdHost *h = hosts[i];
        if (!__atomic_load_n(&h->meta_dirty, __ATOMIC_RELAXED)) {
            continue;        /* the common case, once a second: no host lock taken */
        }
        Sbuf b;
        sbuf_init(&b, META_MAX);
        pthread_mutex_lock(&h->lock);
        int due = __atomic_load_n(&h->meta_dirty, __ATOMIC_RELAXED) && rrd_meta_persistent(db, h);
        if (due) {
            serialize(h, &b);
        }
        __atomic_store_n(&h->meta_dirty, 0, __ATOMIC_RELAXED);   /* also: nothing to persist */
        pthread_mutex_unlock(&h->lock);
        if (due) {
            char dir[4096];
            StorageConfig sc = { .data_dir = db->data_dir, .host_guid = h->guid };
            if (b.overflow || storage_host_dir(&sc, dir, sizeof dir) != 0 ||
                write_atomic(dir, b.s, b.len) != 0) {
                log_line(LOG_ERR, "STORAGE: cannot save the metadata of host '%s' in %s: %s",
                         h->hostname, db->data_dir, b.overflow ? "too large" : strerror(errno));
                rrd_host_meta_dirty(h);   /* try again at the next flush */
            }
        }
        sbuf_free(&b);
    }
    free(hosts);
}

/* ---- reading ------------------------------------------------------------------------------ */

static void unescape(char *s)
{
    char *o = s;
    for (; *s; s++) {
        unsigned v;
        if (*s == '%' && sscanf(s + 1, "%2x", &v) == 1 && s[1] && s[2]) {
            *o++ = (char)v;
            s += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
}

/* Split LINE at tabs into at most MAX fields (unescaped); returns the count. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    while (n < max) {
        f[n++] = line;
        char *t = strchr(line, '\t');
        if (!t) {
            break;
        }
        *t = 0;
        line = t + 1;
    }
    for (int i = 0; i < n; i++) {
        unescape(f[i]);
    }
    return n;
}

static char *read_file(const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0 || (size_t)st.st_size > META_MAX) {
        if (fd >= 0) {
            close(fd);
        }
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t r = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (r != st.st_size) {
        free(buf);
        return NULL;
    }
    buf[r] = 0;
    *n = (size_t)r;
    return buf;
}

/* Check the header and the checksum line; returns the text's body length or 0. */
static size_t verify(const char *buf, size_t n)
{
    static const char head[] = "streamd-host-meta 1\n";
    if (n < sizeof head + 20 || memcmp(buf, head, sizeof head - 1) != 0 || buf[n - 1] != '\n') {
        return 0;
    }
    const char *end = buf + n - 1;
    while (end > buf && end[-1] != '\n') {
        end--;
    }
    unsigned long long want;
    if (strncmp(end, "end\t", 4) != 0 || sscanf(end + 4, "%16llx", &want) != 1 ||
        XXH3_64bits(buf, (size_t)(end - buf)) != want) {
        return 0;
    }
    return (size_t)(end - buf);
}

static void load_charts(RrdHost *h, char *p)
{
    RrdChart *c = NULL;
    char *line, *save = NULL;
    for (line = strtok_r(p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *f[META_FIELDS];
        int k = split(line, f, META_FIELDS);
        const char *why = NULL;
        if (k == 13 && strcmp(f[0], "chart") == 0) {
            RrdChartDef d = { f[1], f[2], f[3], f[4], f[5], f[6], f[7], atol(f[8]),
                              atoi(f[9]), f[10], f[11], f[12] };
            c = rrd_chart_upsert(h, &d, &why);
        } else if (k == 7 && strcmp(f[0], "dim") == 0 && c) {
            RrdDimDef d = { f[1], f[2], f[3], atoll(f[4]), atoll(f[5]), f[6] };
            rrd_dim_upsert(h, c, &d, &why);
        }
        if (why) {
            log_line(LOG_ERR, "STORAGE: host '%s': a saved definition is refused: %s", h->hostname,
                     why);
        }
    }
}

static int load_one(RrdDb *db, const char *name, RrdMetaResolve resolve, void *ctx)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", db->data_dir, name, META_FILE);
    size_t n = 0;
    char *buf = read_file(path, &n);
    if (!buf) {
        return 0;   /* no metadata: nothing of this directory can be queried */
    }
    size_t body = verify(buf, n);
    char *f[4];
    char *nl = body ? strchr(buf + 20, '\n') : NULL;
    if (!body || !nl) {
        log_line(LOG_ERR, "STORAGE: %s is damaged (header or checksum); host not loaded", path);
        free(buf);
        return 0;
    }
    *nl = 0;
    buf[body] = 0;
    int k = split(buf + 20, f, 4);
    RrdHostConfig cfg;
    if (k != 4 || strcmp(f[0], "host") != 0 || strcmp(f[1], name) != 0 ||
        resolve(ctx, f[3], f[1], &cfg) != 0) {
        free(buf);
        return 0;
    }
    int m = cfg.memory_mode;
    if (m != POLICY_MODE_SAVE && m != POLICY_MODE_MAP && m != POLICY_MODE_DBENGINE) {
        log_line(LOG_INFO, "STORAGE: host '%s' has data in %s, but the policy now gives it "
                 "memory mode %d, which keeps nothing across restarts: not loaded", f[2],
                 db->data_dir, m);
        free(buf);
        return 0;
    }
    pthread_mutex_lock(&db->lock);
    RrdHost *h = rrd_host_find_guid(db, f[1]) ? NULL : rrd_host_create(db, f[1], f[2], &cfg);
    pthread_mutex_unlock(&db->lock);
    if (!h) {
        free(buf);
        return 0;
    }
    pthread_mutex_lock(&h->lock);
    h->api_key = strdup(f[3]);
    h->reloaded = 1;
    load_charts(h, nl + 1);
    h->meta_dirty = 0;
    pthread_mutex_unlock(&h->lock);
    free(buf);
    return 1;
}

int rrd_meta_load(RrdDb *db, RrdMetaResolve resolve, void *ctx)
{
    if (!db->data_dir) {
        return 0;
    }
    DIR *d = opendir(db->data_dir);
    if (!d) {
        return 0;
    }
    int loaded = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (guid_is_valid(e->d_name, strlen(e->d_name))) {
            loaded += load_one(db, e->d_name, resolve, ctx);
        }
    }
    closedir(d);
    return loaded;
}

/*
** fleet.c - load a fleet (see fleet.h): a manifest file with one section per node, or a
** directory of node directories each with a `node.meta` file; then check every node with
** node_check() and compile the ones without errors into an in-memory policy.
**
** Manifest keys (the same INI dialect as Netdata's files):
**   config          the node's config directory, relative to the manifest's directory
**   machine guid    a GUID, or a GUID file (relative to the manifest's directory); default:
**                   the config directory's netdata.public.unique.id
**   connects from   addresses the node's outgoing connections come from, as a parent sees them
**   reachable at    host names, IPs, host:port and unix socket paths the node is reachable at
**   reverse dns     the name a parent's reverse (and confirming forward) lookup gives its
**                   address; without it, lookups are taken to fail (Netdata then uses the IP)
** A node directory's node.meta has one section [node] with the same keys except `config`;
** its relative paths start from the node directory. Lists split on whitespace and commas.
** The manifest's own problems are findings (fleet-manifest, fleet-duplicate-node) in the
** same sink as the nodes'. Simulation lives in fleet_sim.c, output in fleet_out.c.
*/
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "emit.h"
#include "fleet.h"
#include "guid.h"
#include "parse.h"
#include "suggest.h"

static const char *const fleet_keys[] = { "config", "machine guid", "connects from",
                                          "reachable at", "reverse dns", NULL };

static const char *path_join(Arena *a, const char *base, const char *p)
{
    if (p[0] == '/' || !base || !*base || strcmp(base, ".") == 0) {
        return arena_strndup(a, p, strlen(p));
    }
    size_t n = strlen(base);
    return arena_printf(a, "%s%s%s", base, base[n - 1] == '/' ? "" : "/", p);
}

static const char *dir_of(Arena *a, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        return ".";
    }
    return slash == path ? "/" : arena_strndup(a, path, (size_t)(slash - path));
}

/* Split Z[0..N) on whitespace and commas into arena strings. */
static int split_words(Arena *a, const char *z, size_t n, const char ***out, size_t *count)
{
    size_t cap = n / 2 + 1, k = 0;
    const char **v = arena_alloc(a, cap * sizeof *v);
    if (!v) {
        return -1;
    }
    for (size_t i = 0; i < n;) {
        while (i < n && (z[i] == ' ' || z[i] == '\t' || z[i] == ',' || z[i] == '\r')) {
            i++;
        }
        size_t s = i;
        while (i < n && z[i] != ' ' && z[i] != '\t' && z[i] != ',' && z[i] != '\r') {
            i++;
        }
        if (i > s && k < cap) {
            v[k] = arena_strndup(a, z + s, i - s);
            if (!v[k++]) {
                return -1;
            }
        }
    }
    *out = v;
    *count = k;
    return 0;
}

static int tok_is(const Token *t, const char *z)
{
    return t->n == strlen(z) && memcmp(t->z, z, t->n) == 0;
}

/* Read the keys of section S (manifest node or node.meta [node]) into FN. */
static void read_keys(Fleet *f, Model *m, const Section *s, FleetNode *fn, const char *base,
                      int meta)
{
    Arena *a = f->arena;
    for (const Entry *e = s->first; e; e = e->next) {
        if (e->first_dup != e) {
            continue;   /* the model warned; the winner is read through the first copy */
        }
        const Entry *w = e->winner ? e->winner : e;
        char *val = arena_strndup(a, w->val.z, w->val.n);
        if (!val) {
            f->diag->oom = 1;
            return;
        }
        if (tok_is(&e->key, "config") && !meta) {
            fn->in.dir = *val ? path_join(a, base, val) : NULL;
            if (!*val) {
                diag_add(f->diag, DIAG_FLEET_MANIFEST, model_loc(m, &w->key),
                         "empty 'config' for node '%s': expected its config directory",
                         fn->name);
            }
        } else if (tok_is(&e->key, "machine guid")) {
            fn->in.machine_guid = guid_is_valid(val, strlen(val)) || !*val
                                      ? (*val ? val : NULL) : path_join(a, base, val);
        } else if (tok_is(&e->key, "connects from")) {
            split_words(a, val, strlen(val), &fn->from, &fn->nfrom);
            fn->from_at = model_loc(m, &w->val);
        } else if (tok_is(&e->key, "reachable at")) {
            split_words(a, val, strlen(val), &fn->reach, &fn->nreach);
        } else if (tok_is(&e->key, "reverse dns")) {
            fn->reverse_dns = *val ? val : NULL;
        } else if (tok_is(&e->key, "config")) {
            diag_add(f->diag, DIAG_FLEET_MANIFEST, model_loc(m, &e->key),
                     "'config' is not valid in node.meta: the node's directory is its config "
                     "directory");
        } else {
            Suggest sg;
            suggest_begin(&sg, e->key.z, e->key.n);
            for (int i = meta ? 1 : 0; fleet_keys[i]; i++) {
                suggest_try(&sg, fleet_keys[i]);
            }
            const char *best = suggest_result(&sg);
            Diag *g = diag_add(f->diag, DIAG_FLEET_MANIFEST, model_loc(m, &e->key),
                               "unknown key '%.*s' for fleet node '%s'%s%s%s", (int)e->key.n,
                               e->key.z, fn->name, best ? "; did you mean '" : "",
                               best ? best : "", best ? "'?" : "");
            if (best) {
                diag_fixit(f->diag, g, best, strlen(best));
            }
        }
    }
}

static FleetNode *add_node(Fleet *f, size_t cap, const char *name, size_t n)
{
    if (f->nnodes >= cap) {
        return NULL;
    }
    FleetNode *fn = &f->nodes[f->nnodes++];
    memset(fn, 0, sizeof *fn);
    fn->name = arena_strndup(f->arena, name, n);
    if (!fn->name) {
        f->diag->oom = 1;
        f->nnodes--;
        return NULL;
    }
    return fn;
}

/* Errors (at their default severity: -Werror does not exclude a node) added after MARK. */
static int errors_since(const DiagSink *d, const Diag *mark)
{
    int n = 0;
    for (const Diag *g = mark ? mark->next : d->first; g; g = g->next) {
        n += diag_default_sev[g->code] == SEV_ERROR;
    }
    return n + d->oom;
}

/* node_check, then resolve, emit and view in memory. */
static void compile_node(Fleet *f, FleetNode *fn)
{
    DiagSink *d = f->diag;
    const Diag *mark = d->last;
    if (!fn->in.dir) {
        return;
    }
    fn->loaded = 1;
    int rc = node_check(&fn->node, f->arena, d, &fn->in);
    const Entry *h = node_entry(&fn->node, CONF_NETDATA, "global", "hostname");
    fn->hostname = h && h->val.n ? arena_strndup(f->arena, h->val.z, h->val.n) : fn->name;
    if (!fn->hostname) {
        fn->hostname = fn->name;
    }
    if (rc != 0 || errors_since(d, mark)) {
        return;
    }
    Resolved r;
    const char *why = "out of memory";
    if (resolve_node(&fn->node, f->arena, &r) != 0 ||
        emit_policy(&fn->node, &r, 0, 0, &fn->blob, &fn->blob_size, &why) != 0 ||
        (why = policy_view_init(&fn->view, fn->blob, fn->blob_size)) != NULL) {
        Diag *g = diag_add(d, DIAG_FLEET_EXCLUDED, fn->where, "node '%s' cannot be compiled: %s",
                           fn->name, why ? why : "?");
        if (g && !fn->where.src) {
            g->file = fn->in.dir;
        }
        free(fn->blob);
        fn->blob = NULL;
        return;
    }
    fn->ok = 1;
}

static int load_source(Fleet *f, Source *src, const char *path)
{
    const char *err = NULL;
    int rc = source_load(src, f->arena, path, NULL, &err);
    if (rc == -2) {
        f->diag->oom = 1;
    }
    if (rc == -1) {
        DiagLoc at = { NULL, 0, 0, 0 };
        Diag *g = diag_add(f->diag, DIAG_IO, at, "cannot read '%s': %s", path, err);
        if (g) {
            g->file = path;
        }
    }
    return rc;
}

static int load_manifest(Fleet *f, const char *path)
{
    Arena *a = f->arena;
    Model m;
    if (load_source(f, &f->manifest, path) != 0) {
        return -1;
    }
    model_init(&m, a, f->diag, &f->manifest, CONF_STREAM);
    if (parse_source(&m) != 0) {
        f->diag->oom = 1;
        return -1;
    }
    const char *base = dir_of(a, path);
    f->nodes = arena_alloc(a, (m.nsections + 1) * sizeof *f->nodes);
    if (!f->nodes || !base) {
        f->diag->oom = 1;
        return -1;
    }
    for (Section *s = m.first; s; s = s->next) {
        FleetNode *fn = add_node(f, m.nsections, s->name.z, s->name.n);
        if (!fn) {
            break;
        }
        fn->where = model_loc(&m, &s->name);
        fn->base = base;
        if (s->reopened.n) {
            Diag *g = diag_add(f->diag, DIAG_FLEET_DUP_NODE, model_loc(&m, &s->reopened),
                               "node '%s' is defined twice; its keys are merged into the first "
                               "definition", fn->name);
            diag_note(f->diag, g, fn->where, "first defined here");
        }
        read_keys(f, &m, s, fn, base, 0);
        if (!fn->in.dir && !model_find_entry(&m, s, "config", 6)) {
            diag_add(f->diag, DIAG_FLEET_MANIFEST, fn->where,
                     "node '%s' has no 'config' (its config directory); it is left out",
                     fn->name);
        }
    }
    if (!f->nnodes) {
        DiagLoc at = { NULL, 0, 0, 0 };
        Diag *g = diag_add(f->diag, DIAG_FLEET_MANIFEST, at,
                           "the fleet manifest names no node: expected one [NAME] section each");
        if (g) {
            g->file = path;
        }
    }
    return 0;
}

static int cmp_str(const void *pa, const void *pb)
{
    return strcmp(*(const char *const *)pa, *(const char *const *)pb);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* One node directory: its node.meta (optional: without it the node is reachable nowhere). */
static void load_node_dir(Fleet *f, FleetNode *fn, const char *dir)
{
    Arena *a = f->arena;
    const char *meta = path_join(a, dir, "node.meta");
    fn->in.dir = dir;
    fn->base = dir;
    if (!meta || !is_file(meta)) {
        DiagLoc at = { NULL, 0, 0, 0 };
        Diag *g = diag_add(f->diag, DIAG_FLEET_NO_ADDRESS, at, "node '%s' has no node.meta: no "
                           "address is known for it, so no child can reach it", fn->name);
        if (g) {
            g->file = dir;
        }
        return;
    }
    Source *src = arena_alloc(a, sizeof *src);
    Model *m = arena_alloc(a, sizeof *m);
    if (!src || !m || load_source(f, src, meta) != 0) {
        return;
    }
    model_init(m, a, f->diag, src, CONF_STREAM);
    parse_source(m);
    const Section *node = NULL;
    for (const Section *s = m->first; s; s = s->next) {
        if (tok_is(&s->name, "node")) {
            node = s;
        } else {
            diag_add(f->diag, DIAG_FLEET_MANIFEST, model_loc(m, &s->name),
                     "section [%.*s] in node.meta is ignored: expected only [node]",
                     (int)s->name.n, s->name.z);
        }
    }
    if (!node) {
        DiagLoc at = { src, 1, 1, 1 };
        diag_add(f->diag, DIAG_FLEET_MANIFEST, at, "node.meta of '%s' has no [node] section",
                 fn->name);
        return;
    }
    fn->where = model_loc(m, &node->name);
    read_keys(f, m, node, fn, dir, 1);
}

static int load_dir(Fleet *f, const char *path)
{
    Arena *a = f->arena;
    DIR *dh = opendir(path);
    if (!dh) {
        DiagLoc at = { NULL, 0, 0, 0 };
        Diag *g = diag_add(f->diag, DIAG_IO, at, "cannot read '%s': %s", path, strerror(errno));
        if (g) {
            g->file = path;
        }
        return -1;
    }
    size_t cap = 64, n = 0;
    const char **names = malloc(cap * sizeof *names);
    struct dirent *de;
    while (names && (de = readdir(dh)) != NULL) {
        const char *sub = de->d_name[0] == '.' ? NULL : path_join(a, path, de->d_name);
        struct stat st;
        if (!sub || stat(sub, &st) != 0 || !S_ISDIR(st.st_mode)) {
            continue;
        }
        if (n == cap) {
            const char **grown = realloc(names, 2 * cap * sizeof *names);
            if (!grown) {
                break;
            }
            names = grown;
            cap *= 2;
        }
        names[n++] = arena_strndup(a, de->d_name, strlen(de->d_name));
    }
    closedir(dh);
    if (!names) {
        f->diag->oom = 1;
        return -1;
    }
    qsort(names, n, sizeof *names, cmp_str);
    f->nodes = arena_alloc(a, (n + 1) * sizeof *f->nodes);
    for (size_t i = 0; f->nodes && i < n; i++) {
        const char *dir = names[i] ? path_join(a, path, names[i]) : NULL;
        FleetNode *fn = dir ? add_node(f, n, names[i], strlen(names[i])) : NULL;
        if (fn) {
            load_node_dir(f, fn, dir);
        }
    }
    free(names);
    if (!f->nodes) {
        f->diag->oom = 1;
        return -1;
    }
    if (!f->nnodes) {
        DiagLoc at = { NULL, 0, 0, 0 };
        Diag *g = diag_add(f->diag, DIAG_FLEET_MANIFEST, at, "the fleet directory holds no node "
                           "directory");
        if (g) {
            g->file = path;
        }
    }
    return 0;
}

/*
** Load the fleet at PATH (a manifest file or a directory of node directories) into F, memory
** from A, findings into D; then check every node and compile those without errors (their
** blobs are malloc'd: fleet_free). 0 done (the manifest may still have findings); -1 the
** manifest or directory itself could not be read (reported in D).
*/
int fleet_load(Fleet *f, Arena *a, DiagSink *d, const char *path)
{
    memset(f, 0, sizeof *f);
    f->arena = a;
    f->diag = d;
    f->path = path;
    struct stat st;
    if (stat(path, &st) != 0) {
        DiagLoc at = { NULL, 0, 0, 0 };
        Diag *g = diag_add(d, DIAG_IO, at, "cannot read '%s': %s", path, strerror(errno));
        if (g) {
            g->file = path;
        }
        return -1;
    }
    int rc = S_ISDIR(st.st_mode) ? load_dir(f, path) : load_manifest(f, path);
    if (rc != 0) {
        return -1;
    }
    for (size_t i = 0; i < f->nnodes; i++) {
        compile_node(f, &f->nodes[i]);
    }
    return 0;
}

/* Free every node's compiled policy; the arena (and everything else) is the caller's. */
void fleet_free(Fleet *f)
{
    for (size_t i = 0; f && f->nodes && i < f->nnodes; i++) {
        free(f->nodes[i].blob);
        f->nodes[i].blob = NULL;
    }
}

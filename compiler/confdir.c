/*
** confdir.c - load one node (config directory or explicit files), then parse, validate and
** cross-check it (see confdir.h).
**
** File choice follows Netdata for a config directory: DIR/stream.conf and DIR/netdata.conf,
** either of which may be absent (Netdata's defaults then apply). The machine GUID is read
** from DIR/netdata.public.unique.id or DIR/registry/netdata.public.unique.id when present;
** like Netdata, only its first 36 bytes count.
*/
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "confdir.h"
#include "guid.h"
#include "parse.h"

static const char *join(Arena *a, const char *dir, const char *name)
{
    size_t n = strlen(dir);
    if (strcmp(dir, ".") == 0) {
        return arena_printf(a, "%s", name);   /* "stream.conf", not "./stream.conf" */
    }
    return arena_printf(a, "%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

static int exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;   /* a dangling symlink is a mistake to report, not absence */
}

static int load_conf(Node *n, Arena *a, DiagSink *d, const char *path, ConfKind kind)
{
    Source *src = kind == CONF_STREAM ? &n->ssrc : &n->nsrc;
    Model *m = kind == CONF_STREAM ? &n->stream : &n->netdata;
    const char *err = NULL;
    int rc = source_load(src, a, path, NULL, &err);
    if (rc == -2) {
        d->oom = 1;
        return -1;
    }
    if (rc != 0) {
        DiagLoc at = { NULL, 0, 0, 0 };
        Diag *g = diag_add(d, DIAG_IO, at, "cannot read '%s': %s", path, err);
        if (g) {
            g->file = path;
        }
        n->io_error = 1;
        return -1;
    }
    model_init(m, a, d, src, kind);
    if (kind == CONF_STREAM) {
        n->has_stream = 1;
    } else {
        n->has_netdata = 1;
    }
    parse_source(m);
    validate_model(m);
    return 0;
}

/* Netdata's rules for the GUID file: first 36 bytes, valid UUID, not blacklisted. */
static void load_guid(Node *n, Arena *a, DiagSink *d, const char *arg)
{
    static const char *const blacklist[] = { "8a795b0c-2311-11e6-8563-000c295076a6",
                                             "4aed1458-1c3e-11e6-a53f-000c290fc8f5" };
    const char *z = arg;
    size_t len = strlen(arg);
    DiagLoc at = { NULL, 0, 0, 0 };
    if (!guid_is_valid(arg, len) && !exists(arg) && strchr(arg, '/')) {
        Diag *g = diag_add(d, DIAG_IO, at, "cannot read machine GUID file '%s': %s", arg,
                           strerror(ENOENT));
        if (g) {
            g->file = arg;
        }
        n->io_error = 1;
        return;
    }
    if (!guid_is_valid(arg, len) && exists(arg)) {
        const char *err = NULL;
        int rc = source_load(&n->gsrc, a, arg, NULL, &err);
        if (rc == -2) {
            d->oom = 1;
            return;
        }
        if (rc != 0) {
            diag_add(d, DIAG_IO, at, "cannot read '%s': %s", arg, err);
            n->io_error = 1;
            return;
        }
        n->has_gsrc = 1;
        z = n->gsrc.buf;
        len = n->gsrc.len < 36 ? n->gsrc.len : 36;
        at.src = &n->gsrc;
        at.line = 1;
        at.col = 1;
        at.len = (uint32_t)(len ? len : 1);
    }
    const char *why = guid_problem(z, len);
    if (why) {
        diag_add(d, DIAG_MACHINE_GUID, at, "machine GUID '%.*s' is not valid (%s); Netdata "
                 "replaces it with a new random GUID at start-up", (int)(len > 40 ? 40 : len), z,
                 why);
        return;
    }
    for (int i = 0; i < 2; i++) {
        if (strncasecmp(z, blacklist[i], 36) == 0) {
            diag_add(d, DIAG_MACHINE_GUID, at, "machine GUID '%.36s' is one Netdata refuses "
                     "(a known cloned image's); it generates a new one at start-up", z);
            return;
        }
    }
    for (int i = 0; i < 36; i++) {
        char c = z[i];
        n->guid[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
    }
    n->guid[36] = 0;
    n->has_guid = 1;
}

int node_check(Node *n, Arena *a, DiagSink *d, const NodeInput *in)
{
    memset(n, 0, sizeof *n);
    const char *sc = in->stream_conf, *nc = in->netdata_conf, *guid = in->machine_guid;
    if (in->dir) {
        struct stat st;
        if (stat(in->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            DiagLoc at = { NULL, 0, 0, 0 };
            Diag *g = diag_add(d, DIAG_IO, at, "'%s' is not a config directory: %s", in->dir,
                               stat(in->dir, &st) != 0 ? strerror(errno) : "not a directory");
            if (g) {
                g->file = in->dir;
            }
            n->io_error = 1;
            return -1;
        }
        const char *ps = join(a, in->dir, "stream.conf");
        const char *pn = join(a, in->dir, "netdata.conf");
        const char *pg1 = join(a, in->dir, "netdata.public.unique.id");
        const char *pg2 = join(a, in->dir, "registry/netdata.public.unique.id");
        if (!ps || !pn || !pg1 || !pg2) {
            d->oom = 1;
            return -1;
        }
        if (!sc && exists(ps)) {
            sc = ps;
        }
        if (!nc && exists(pn)) {
            nc = pn;
        }
        if (!guid && exists(pg1)) {
            guid = pg1;
        }
        if (!guid && exists(pg2)) {
            guid = pg2;
        }
        if (!sc && !nc) {
            DiagLoc at = { NULL, 0, 0, 0 };
            Diag *g = diag_add(d, DIAG_IO, at, "'%s' has neither stream.conf nor netdata.conf",
                               in->dir);
            if (g) {
                g->file = in->dir;
            }
            n->io_error = 1;
            return -1;
        }
    }
    if (guid) {
        load_guid(n, a, d, guid);
    }
    if (sc) {
        load_conf(n, a, d, sc, CONF_STREAM);
    }
    if (nc) {
        load_conf(n, a, d, nc, CONF_NETDATA);
        validate_moves(n);
    }
    checks_run(n);
    return n->io_error ? -1 : 0;
}

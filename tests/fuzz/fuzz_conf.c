/*
** fuzz_conf.c - libFuzzer target over the whole `streamc check` front-end for one node.
**
** Input layout: the bytes before the first 0xFF are a stream.conf, the bytes after it a
** netdata.conf; without a 0xFF the whole input is used as both. A second 0xFF in the netdata
** part ends it, and what follows is the node's machine GUID (used only when its first 36 bytes
** are a valid GUID, as node_check's GUID loader does). Each file is loaded with
** source_from_mem, parsed and validated; then the netdata.conf renames and the cross-file
** checks run on a Node built the way node_check (compiler/confdir.c) builds one, and the sink
** is rendered as text, JSON and SARIF to /dev/null. One arena per input, freed at the end, so
** LeakSanitizer sees every leak.
**
** Beyond the sanitizers, the target traps when a record breaks the sink's contract: a record
** without a message, a located record whose line is outside its source, a column of 0 or
** more than one past the end of its physical line, or an empty span. It does not check the
** wording of messages.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "confdir.h"
#include "diag_render.h"
#include "guid.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;
static Node node;       /* large (move table, three sources); reset by every run */

static void check(int ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

static void check_loc(const DiagLoc *at)
{
    if (!at->src) {
        return;
    }
    size_t n = 0;
    const Source *s = at->src;
    check(at->line >= 1 && at->line <= s->nphys && at->len >= 1);
    check(source_phys_line(s, at->line, &n) != NULL);
    /* the raw physical line, '\r' included: a column may sit one past its last byte */
    size_t start = s->phys[at->line - 1];
    size_t end = at->line < s->nphys ? s->phys[at->line] - 1 : s->len;
    check(at->col >= 1 && at->col - 1 <= end - start);
}

static void check_sink(const DiagSink *d)
{
    uint32_t count = 0;
    for (const Diag *g = d->first; g; g = g->next) {
        check(g->msg != NULL && (unsigned)g->code < DIAG__COUNT);
        check_loc(&g->at);
        for (const DiagNote *t = g->notes; t; t = t->next) {
            check(t->msg != NULL);
            check_loc(&t->at);
        }
        count++;
    }
    check(count == d->n);
}

/* What load_conf in confdir.c does, over bytes instead of a path. */
static void load_conf(Node *n, Arena *a, DiagSink *d, const uint8_t *z, size_t len,
                      ConfKind kind)
{
    Source *src = kind == CONF_STREAM ? &n->ssrc : &n->nsrc;
    Model *m = kind == CONF_STREAM ? &n->stream : &n->netdata;
    const char *name = kind == CONF_STREAM ? "stream.conf" : "netdata.conf";
    if (source_from_mem(src, a, name, (const char *)z, len) != 0) {
        return;
    }
    model_init(m, a, d, src, kind);
    if (kind == CONF_STREAM) {
        n->has_stream = 1;
    } else {
        n->has_netdata = 1;
    }
    parse_source(m);
    validate_model(m);
}

/* A valid GUID becomes the node's own (lower case), like load_guid in confdir.c. */
static void set_guid(Node *n, const uint8_t *z, size_t len)
{
    if (len < GUID_TEXT_LEN || !guid_is_valid((const char *)z, GUID_TEXT_LEN)) {
        return;
    }
    for (int i = 0; i < GUID_TEXT_LEN; i++) {
        char c = (char)z[i];
        n->guid[i] = (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
    }
    n->guid[GUID_TEXT_LEN] = 0;
    n->has_guid = 1;
}

static void render_all(DiagSink *d)
{
    static const RenderFormat formats[] = { RENDER_TEXT, RENDER_JSON, RENDER_SARIF };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++) {
        Render r;
        render_begin(&r, devnull, formats[i]);
        r.quiet = 0;
        render_sink(&r, d);
        render_end(&r);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!devnull) {
        devnull = fopen("/dev/null", "w");
        check(devnull != NULL);
    }
    const uint8_t *sz = data, *nz = data;
    size_t sn = size, nn = size;
    const uint8_t *ff = size ? memchr(data, 0xFF, size) : NULL;
    if (ff) {
        sn = (size_t)(ff - data);
        nz = ff + 1;
        nn = size - sn - 1;
    }
    const uint8_t *gz = NULL;
    size_t gn = 0;
    const uint8_t *ff2 = ff && nn ? memchr(nz, 0xFF, nn) : NULL;
    if (ff2) {
        gz = ff2 + 1;
        gn = nn - (size_t)(ff2 - nz) - 1;
        nn = (size_t)(ff2 - nz);
    }

    Arena a;
    DiagSink d;
    arena_init(&a);
    diag_init(&d, &a);
    d.max_errors = 50;   /* the CLI default */
    memset(&node, 0, sizeof node);
    if (gz) {
        set_guid(&node, gz, gn);
    }
    load_conf(&node, &a, &d, sz, sn, CONF_STREAM);
    load_conf(&node, &a, &d, nz, nn, CONF_NETDATA);
    if (node.has_netdata) {
        validate_moves(&node);
    }
    checks_run(&node);
    check_sink(&d);
    render_all(&d);
    check(diag_exit_status(&d) == 0 || diag_exit_status(&d) == 1);
    arena_free(&a);
    return 0;
}

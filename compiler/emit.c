/*
** emit.c - policy layout, checksum and atomic write (see emit.h, docs/policy-format.md).
**
** Layout: header | section table | STRINGS | NODE | SETTINGS | APIKEYS | MACHINES | PROGRAMS |
** DESTS | LISTENERS | LINES, each section 8-byte aligned, zero padding between them.
*/
#include "emit.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

#include "dest.h"
#include "guid.h"
#include "pattern.h"
#include "policy_view.h"

/* ---- growable byte buffers (the emitter's only heap use besides the result) ------------- */

typedef struct Buf {
    uint8_t *p;
    size_t n, cap;
    int oom;
} Buf;

static size_t buf_add(Buf *b, const void *data, size_t n, size_t align)
{
    size_t at = (b->n + align - 1) & ~(align - 1);
    if (at + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < at + n) {
            cap *= 2;
        }
        uint8_t *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return 0;
        }
        b->p = p;
        b->cap = cap;
    }
    memset(b->p + b->n, 0, at - b->n);
    if (data) {
        memcpy(b->p + at, data, n);
    } else {
        memset(b->p + at, 0, n);
    }
    b->n = at + n;
    return at;
}

/* ---- string interning --------------------------------------------------------------------- */

typedef struct Strings {
    Buf bytes;
    uint32_t *tab;   /* offsets + 1 (0 = empty slot) */
    uint32_t cap, used;
} Strings;

static uint32_t str_hash(const char *z, size_t n)
{
    uint64_t h = XXH3_64bits(z, n);
    return (uint32_t)(h ^ (h >> 32));
}

static PolicyStr intern(Strings *s, const char *z, size_t n)
{
    PolicyStr r = { 0, 0 };
    if (n == 0) {
        return r;   /* offset 0 holds the empty string */
    }
    if ((s->used + 1) * 2 > s->cap) {
        uint32_t cap = s->cap ? s->cap * 2 : 1024;
        uint32_t *tab = calloc(cap, sizeof *tab);
        if (!tab) {
            s->bytes.oom = 1;
            return r;
        }
        for (uint32_t i = 0; i < s->cap; i++) {
            if (s->tab[i]) {
                const char *e = (const char *)s->bytes.p + s->tab[i] - 1;
                uint32_t j = str_hash(e, strlen(e)) & (cap - 1);
                while (tab[j]) {
                    j = (j + 1) & (cap - 1);
                }
                tab[j] = s->tab[i];
            }
        }
        free(s->tab);
        s->tab = tab;
        s->cap = cap;
    }
    uint32_t j = str_hash(z, n) & (s->cap - 1);
    for (; s->tab[j]; j = (j + 1) & (s->cap - 1)) {
        const char *e = (const char *)s->bytes.p + s->tab[j] - 1;
        if (strlen(e) == n && memcmp(e, z, n) == 0) {
            r.off = s->tab[j] - 1;
            r.len = (uint32_t)n;
            return r;
        }
    }
    if (memchr(z, 0, n)) {
        s->bytes.oom = 1;   /* cannot happen: config text never holds NUL */
        return r;
    }
    size_t at = buf_add(&s->bytes, z, n, 1);
    buf_add(&s->bytes, "", 1, 1);
    if (s->bytes.oom) {
        return r;
    }
    s->tab[j] = (uint32_t)at + 1;
    s->used++;
    r.off = (uint32_t)at;
    r.len = (uint32_t)n;
    return r;
}

/* ---- the emitter ---------------------------------------------------------------------------- */

typedef struct ProgSlot {
    const char *z;           /* pattern text (lives in the config source) */
    uint32_t n, off, size;
} ProgSlot;

typedef struct Emit {
    Strings str;
    Buf settings, keys_api, keys_machine, programs, dests, listeners, lines;
    ProgSlot *prog_tab;      /* pattern text -> program, so identical patterns share one */
    uint32_t prog_cap, prog_used;
    unsigned flags;          /* EMIT_* */
    Arena arena;             /* pattern compilation scratch */
} Emit;

static ProgSlot *prog_slot(Emit *e, const char *z, size_t n)
{
    if ((e->prog_used + 1) * 2 > e->prog_cap) {
        uint32_t cap = e->prog_cap ? e->prog_cap * 2 : 256;
        ProgSlot *tab = calloc(cap, sizeof *tab);
        if (!tab) {
            return NULL;
        }
        for (uint32_t i = 0; i < e->prog_cap; i++) {
            if (e->prog_tab[i].z) {
                uint32_t j = str_hash(e->prog_tab[i].z, e->prog_tab[i].n) & (cap - 1);
                while (tab[j].z) {
                    j = (j + 1) & (cap - 1);
                }
                tab[j] = e->prog_tab[i];
            }
        }
        free(e->prog_tab);
        e->prog_tab = tab;
        e->prog_cap = cap;
    }
    uint32_t j = str_hash(z, n) & (e->prog_cap - 1);
    for (; e->prog_tab[j].z; j = (j + 1) & (e->prog_cap - 1)) {
        if (e->prog_tab[j].n == n && memcmp(e->prog_tab[j].z, z, n) == 0) {
            return &e->prog_tab[j];
        }
    }
    return &e->prog_tab[j];
}

/* The compiled program for pattern text Z, shared by every setting with the same text. */
static uint32_t program_for(Emit *e, const char *z, size_t n, uint32_t *size)
{
    static const char empty[1] = "";
    ProgSlot *slot = prog_slot(e, n ? z : empty, n);
    if (!slot) {
        e->programs.oom = 1;
        return 0;
    }
    if (slot->z) {
        *size = slot->size;
        return slot->off;
    }
    PatList pl;
    size_t psize = 0;
    void *prog = pattern_parse(&e->arena, z, n, &pl) == 0
                     ? pattern_compile(&e->arena, &pl, PATTERN_AUTO, &psize) : NULL;
    if (!prog) {
        e->programs.oom = 1;
        return 0;
    }
    slot->z = n ? z : empty;
    slot->n = (uint32_t)n;
    slot->off = (uint32_t)buf_add(&e->programs, prog, psize, 8);
    slot->size = (uint32_t)psize;
    e->prog_used++;
    *size = slot->size;
    return slot->off;
}

static void add_setting(Emit *e, const RSetting *rs)
{
    PolicySetting ps;
    memset(&ps, 0, sizeof ps);
    ps.key = rs->key;
    ps.origin = rs->origin;
    ps.vtype = rs->vtype;
    ps.num = rs->num;
    ps.text = intern(&e->str, rs->text, rs->tlen);
    if (rs->vtype == VAL_PATTERN) {
        /* an empty pattern is "no pattern" (Netdata's NULL): aux_len 0 */
        if (rs->rawlen) {
            ps.aux_off = program_for(e, rs->raw, rs->rawlen, &ps.aux_len);
        }
    } else if (rs->vtype == VAL_DEST) {
        DestList dl;
        dest_parse_list(rs->raw, rs->rawlen, (DestFlavor)rs->dest_flavor, &dl);
        ps.aux_off = (uint32_t)(e->dests.n / sizeof(PolicyDest));
        ps.aux_len = (uint32_t)dl.n;
        for (size_t i = 0; i < dl.n; i++) {
            const DestEntry *d = &dl.e[i];
            PolicyDest pd = { (uint32_t)d->proto, (uint32_t)d->bracketed,
                              intern(&e->str, d->z, d->n), intern(&e->str, d->host, d->host_n),
                              intern(&e->str, d->iface, d->iface_n),
                              intern(&e->str, d->port, d->port_n) };
            buf_add(&e->dests, &pd, sizeof pd, 8);
        }
    } else if (rs->vtype == VAL_BIND) {
        BindList bl;
        bind_parse_list(rs->raw, rs->rawlen, &bl);
        ps.aux_off = (uint32_t)(e->listeners.n / sizeof(PolicyListener));
        ps.aux_len = (uint32_t)bl.n;
        for (size_t i = 0; i < bl.n; i++) {
            const BindEntry *b = &bl.e[i];
            PolicyListener pl;
            memset(&pl, 0, sizeof pl);
            pl.proto = (uint32_t)b->proto;
            pl.acl = b->acl;
            pl.ssl = (uint32_t)b->ssl;
            pl.wildcard = (uint32_t)b->wildcard;
            pl.host = intern(&e->str, b->host, b->host_n);
            pl.port = intern(&e->str, b->port, b->port_n);
            buf_add(&e->listeners, &pl, sizeof pl, 8);
        }
    }
    buf_add(&e->settings, &ps, sizeof ps, 8);
    uint32_t line = (e->flags & EMIT_STRIP) ? 0 : rs->line;
    buf_add(&e->lines, &line, sizeof line, 4);
}

static int cmp_owner(const void *pa, const void *pb)
{
    const ROwner *a = pa, *b = pb;
    int c = memcmp(a->bin, b->bin, 16);
    if (c) {
        return c;
    }
    const Token *x = &a->sec->name, *y = &b->sec->name;
    c = memcmp(x->z, y->z, x->n < y->n ? x->n : y->n);
    return c ? c : (x->n > y->n) - (x->n < y->n);
}

static void add_owners(Emit *e, ROwner *v, uint32_t n, Buf *out)
{
    if (n) {
        qsort(v, n, sizeof *v, cmp_owner);   /* v is NULL when there is no stream.conf */
    }
    for (uint32_t i = 0; i < n; i++) {
        PolicyKey k;
        memset(&k, 0, sizeof k);
        memcpy(k.bin, v[i].bin, 16);
        k.text = intern(&e->str, v[i].sec->name.z, v[i].sec->name.n);
        k.settings_first = (uint32_t)(e->settings.n / sizeof(PolicySetting));
        k.settings_count = v[i].n;
        k.line = (e->flags & EMIT_STRIP) ? 0 : v[i].sec->name.line;
        k.flags = v[i].flags;
        uint8_t bin[16];
        guid_parse_case(v[i].sec->name.z, v[i].sec->name.n, bin, &k.upper);
        for (uint32_t j = 0; j < v[i].n; j++) {
            add_setting(e, &v[i].s[j]);
        }
        buf_add(out, &k, sizeof k, 8);
    }
}

/* POLICY_SEC_KEYINDEX over the two sorted key tables (see policy_format.h). */
static void build_index(Buf *out, const Buf *api, const Buf *machine)
{
    const Buf *tabs[2] = { api, machine };
    PolicyKeyIndex ki = { 0, 0 };
    uint32_t caps[2];
    for (int t = 0; t < 2; t++) {
        uint32_t n = (uint32_t)(tabs[t]->n / sizeof(PolicyKey)), cap = n ? 4 : 0;
        while (cap && cap < n + n / 4 + 1) {
            cap *= 2;   /* load at most 0.8: a smaller index stays in the cache; the probes of
                           linear probing at that load still fall in one or two cache lines */
        }
        caps[t] = cap;
    }
    ki.api_cap = caps[0];
    ki.machine_cap = caps[1];
    buf_add(out, &ki, sizeof ki, 8);
    for (int t = 0; t < 2; t++) {
        size_t at = buf_add(out, NULL, (size_t)caps[t] * sizeof(PolicyKeySlot), 8);
        if (out->oom) {
            return;
        }
        uint32_t n = (uint32_t)(tabs[t]->n / sizeof(PolicyKey));
        for (uint32_t i = 0; i < n; i++) {
            const PolicyKey *k = (const PolicyKey *)tabs[t]->p + i;
            PolicyKeySlot *slots = (PolicyKeySlot *)(out->p + at);
            uint32_t j;
            for (j = policy_key_hash(k->bin) & (caps[t] - 1); slots[j].rec;
                 j = (j + 1) & (caps[t] - 1)) {
            }
            memcpy(slots[j].bin, k->bin, 16);
            slots[j].rec = i + 1;
            slots[j].upper = k->upper;
        }
    }
}

static void free_emit(Emit *e)
{
    free(e->str.bytes.p);
    free(e->str.tab);
    free(e->settings.p);
    free(e->keys_api.p);
    free(e->keys_machine.p);
    free(e->programs.p);
    free(e->dests.p);
    free(e->listeners.p);
    free(e->lines.p);
    free(e->prog_tab);
    arena_free(&e->arena);
}

int emit_policy(const Node *n, const Resolved *r, unsigned flags, int signed_policy,
                uint8_t **out, size_t *size, const char **why)
{
    Emit e;
    memset(&e, 0, sizeof e);
    e.flags = flags;
    arena_init(&e.arena);
    buf_add(&e.str.bytes, "", 1, 1);   /* offset 0: the empty string */
    PolicyNode node;
    memset(&node, 0, sizeof node);
    if (n->has_guid) {
        guid_parse(n->guid, 36, node.machine_guid);
    }
    node.flags = r->node_flags;
    node.settings_first = 0;
    node.settings_count = r->nglobal;
    if (r->hostname) {
        node.hostname = intern(&e.str, r->hostname->z, r->hostname->n);
    }
    if (n->has_stream) {
        node.stream_file = intern(&e.str, "stream.conf", 11);
    }
    if (n->has_netdata) {
        node.netdata_file = intern(&e.str, "netdata.conf", 12);
    }
    for (uint32_t i = 0; i < r->nglobal; i++) {
        add_setting(&e, &r->global[i]);
    }
    add_owners(&e, r->api, r->napi, &e.keys_api);
    add_owners(&e, r->machine, r->nmachine, &e.keys_machine);
    Buf index = { 0 };
    build_index(&index, &e.keys_api, &e.keys_machine);

    struct { uint32_t id; Buf *b; const void *one; size_t onesize; uint32_t rec; } secs[] = {
        { POLICY_SEC_STRINGS, &e.str.bytes, NULL, 0, 1 },
        { POLICY_SEC_NODE, NULL, &node, sizeof node, sizeof node },
        { POLICY_SEC_SETTINGS, &e.settings, NULL, 0, sizeof(PolicySetting) },
        { POLICY_SEC_APIKEYS, &e.keys_api, NULL, 0, sizeof(PolicyKey) },
        { POLICY_SEC_MACHINES, &e.keys_machine, NULL, 0, sizeof(PolicyKey) },
        { POLICY_SEC_PROGRAMS, &e.programs, NULL, 0, 1 },
        { POLICY_SEC_DESTS, &e.dests, NULL, 0, sizeof(PolicyDest) },
        { POLICY_SEC_LISTENERS, &e.listeners, NULL, 0, sizeof(PolicyListener) },
        { POLICY_SEC_LINES, &e.lines, NULL, 0, 4 },
        { POLICY_SEC_KEYINDEX, &index, NULL, 0, 1 },
    };
    uint32_t nsec = 10;
    if (flags & EMIT_STRIP) {
        secs[8] = secs[9];   /* no LINES */
        nsec = 9;
    }
    Buf file = { 0 };
    PolicyHeader h;
    memset(&h, 0, sizeof h);
    buf_add(&file, NULL, sizeof h, 8);
    size_t table = buf_add(&file, NULL, nsec * sizeof(PolicySection), 8);
    PolicySection st[10];
    for (uint32_t i = 0; i < nsec; i++) {
        const void *data = secs[i].b ? (const void *)secs[i].b->p : secs[i].one;
        size_t len = secs[i].b ? secs[i].b->n : secs[i].onesize;
        st[i].id = secs[i].id;
        st[i].off = (uint32_t)buf_add(&file, data, len, 8);
        st[i].size = (uint32_t)len;
        st[i].count = (uint32_t)(len / secs[i].rec);
        if (secs[i].b && secs[i].b->oom) {
            file.oom = 1;
        }
    }
    buf_add(&file, NULL, 0, 8);   /* the body ends 8-aligned */
    size_t body = file.n;
    if (signed_policy) {
        buf_add(&file, NULL, sizeof(PolicySig), 8);
    }
    int bad = file.oom || e.str.bytes.oom || e.programs.oom || index.oom || file.n > UINT32_MAX;
    if (!bad) {
        memcpy(h.magic, POLICY_MAGIC, 8);
        h.version_major = POLICY_VERSION_MAJOR;
        h.version_minor = POLICY_VERSION_MINOR;
        h.header_size = sizeof h;
        h.file_size = file.n;
        h.body_size = body;
        h.schema_hash = SCHEMA_HASH;
        h.flags = signed_policy ? POLICY_SIGNED : 0;
        h.nsections = nsec;
        h.sections_off = (uint32_t)table;
        memcpy(file.p, &h, sizeof h);
        memcpy(file.p + table, st, nsec * sizeof st[0]);
        h.checksum = XXH3_64bits(file.p, body);   /* the field is still zero here */
        memcpy(file.p + offsetof(PolicyHeader, checksum), &h.checksum, sizeof h.checksum);
    }
    free_emit(&e);
    free(index.p);
    if (bad) {
        free(file.p);
        *why = file.n > UINT32_MAX ? "the policy would be larger than 4 GiB" : "out of memory";
        return -1;
    }
    *out = file.p;
    *size = file.n;
    return 0;
}

int emit_write_file(const char *path, const void *buf, size_t n, const char **why)
{
    static char reason[512];
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16), *dircopy = strdup(path);
    if (!tmp || !dircopy) {
        free(tmp);
        free(dircopy);
        *why = "out of memory";
        return -1;
    }
    snprintf(tmp, plen + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(reason, sizeof reason, "cannot create a file next to '%s': %s", path,
                 strerror(errno));
        *why = reason;
        free(tmp);
        free(dircopy);
        return -1;
    }
    const uint8_t *p = buf;
    size_t left = n;
    int err = 0;
    while (left && !err) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            err = w < 0 ? errno : EIO;
            break;
        }
        p += w;
        left -= (size_t)w;
    }
    if (!err && fchmod(fd, 0644) != 0) {
        err = errno;
    }
    if (!err && fsync(fd) != 0) {
        err = errno;
    }
    if (close(fd) != 0 && !err) {
        err = errno;
    }
    if (!err && rename(tmp, path) != 0) {
        err = errno;
    }
    if (err) {
        unlink(tmp);
        snprintf(reason, sizeof reason, "cannot write '%s': %s", path, strerror(err));
        *why = reason;
        free(tmp);
        free(dircopy);
        return -1;
    }
    int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);   /* make the rename itself durable */
        close(dfd);
    }
    free(tmp);
    free(dircopy);
    return 0;
}

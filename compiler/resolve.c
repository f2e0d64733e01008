/*
** resolve.c - compute effective settings and their origins for the policy (see resolve.h).
*/
#include "resolve.h"

#include <stdlib.h>
#include <string.h>

#include "dest.h"
#include "guid.h"
#include "policy_view.h"
#include "types.h"

static const char *const mode_names[] = { "none", "ram", "map", "save", "alloc", "dbengine" };

/* Convert text as Netdata reads it; INHERIT is the three-state value kept on a bad word. */
static int convert(Arena *a, const SchemaKey *row, const char *z, size_t n, int inherit,
                   RSetting *s)
{
    s->vtype = (uint8_t)policy_vtype_of(row->type);
    s->raw = z;
    s->rawlen = (uint32_t)n;
    switch (s->vtype) {
    case VAL_BOOL:
        s->num = types_bool(z, n);
        s->text = s->num ? "yes" : "no";
        break;
    case VAL_BOOL3:
        s->num = types_bool3(z, n, inherit);
        s->text = s->num == 2 ? "auto" : s->num ? "yes" : "no";
        break;
    case VAL_INT: {
        size_t used;
        int over;
        s->num = types_int(z, n, &used, &over);
        s->text = arena_printf(a, "%lld", (long long)s->num);
        break;
    }
    case VAL_MEMMODE:
        s->num = POLICY_MODE_SAVE;   /* Netdata: an unknown name means save */
        for (int i = 0; i <= POLICY_MODE_DBENGINE; i++) {
            if (strlen(mode_names[i]) == n && memcmp(z, mode_names[i], n) == 0) {
                s->num = i;
            }
        }
        s->text = mode_names[s->num];
        break;
    default:
        s->text = arena_strndup(a, z, n);
        break;
    }
    if (!s->text) {
        return -1;
    }
    s->tlen = (uint32_t)strlen(s->text);
    if (s->vtype == VAL_DEST) {
        DestList dl;
        dest_parse_list(z, n, DEST_STREAM, &dl);
        s->num = dl.tls;
        s->dest_flavor = DEST_STREAM;
    }
    return 0;
}

static int from_entry(Arena *a, const SchemaKey *row, const Entry *e, uint8_t origin,
                      RSetting *s)
{
    memset(s, 0, sizeof *s);
    s->key = row->order;
    s->origin = origin;
    s->line = e->key.line;
    return convert(a, row, e->val.z, e->val.n, 0, s);
}

/* A literal default, or a computed one ("(hostname)") kept as text; 1 when there is none. */
static int from_default(Arena *a, const SchemaKey *row, RSetting *s)
{
    memset(s, 0, sizeof *s);
    s->key = row->order;
    if (!row->dflt) {
        return 1;
    }
    if (row->dflt[0] == '(') {
        s->origin = ORIGIN_COMPUTED;
        s->vtype = VAL_STR;
        s->text = row->dflt;
        s->tlen = (uint32_t)strlen(row->dflt);
        return 0;
    }
    s->origin = ORIGIN_DEFAULT;
    return convert(a, row, row->dflt, strlen(row->dflt), 0, s) == 0 ? 0 : -1;
}

static const RSetting *find(const RSetting *v, uint32_t n, unsigned key)
{
    for (uint32_t i = 0; i < n; i++) {
        if (v[i].key == key) {
            return &v[i];
        }
    }
    return NULL;
}

/* "([sec] key)" -> the global setting it names. */
static const RSetting *inherited(const Resolved *r, const char *dflt)
{
    const char *rb = strchr(dflt, ']');
    if (!dflt || dflt[0] != '(' || dflt[1] != '[' || !rb || rb[1] != ' ') {
        return NULL;
    }
    size_t sn = (size_t)(rb - dflt - 2), kn = strlen(rb + 2) - 1;
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *row = &schema_keys[schema_by_order[i]];
        const char *sec = schema_sections[row->sec].name;
        if (strlen(sec) == sn && memcmp(sec, dflt + 2, sn) == 0 && strlen(row->name) == kn &&
            memcmp(row->name, rb + 2, kn) == 0) {
            return find(r->global, r->nglobal, row->order);
        }
    }
    return NULL;
}

static int global_row(const SchemaKey *row)
{
    const SchemaSection *sec = &schema_sections[row->sec];
    return row->sec == SEC_STREAM || (sec->conf == CONF_NETDATA && (row->flags & SK_STREAMING) &&
                                      !row->moved_sec);
}

static int resolve_globals(const Node *n, Arena *a, Resolved *r)
{
    r->global = arena_alloc(a, SCHEMA_NKEYS * sizeof *r->global);
    if (!r->global) {
        return -1;
    }
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *row = &schema_keys[schema_by_order[i]];
        if (!global_row(row)) {
            continue;
        }
        ConfKind conf = schema_sections[row->sec].conf;
        const Entry *e = node_entry(n, conf, schema_sections[row->sec].name, row->name);
        RSetting *s = &r->global[r->nglobal];
        int rc = e ? from_entry(a, row, e, conf == CONF_STREAM ? ORIGIN_STREAM : ORIGIN_NETDATA, s)
                   : from_default(a, row, s);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            r->nglobal++;
        }
    }
    /* Netdata turns streaming off when enabled lacks a destination or an api key. */
    const RSetting *en = find(r->global, r->nglobal, schema_find(SEC_STREAM, "enabled", 7)->order);
    const RSetting *de = find(r->global, r->nglobal,
                              schema_find(SEC_STREAM, "destination", 11)->order);
    const RSetting *ak = find(r->global, r->nglobal, schema_find(SEC_STREAM, "api key", 7)->order);
    if (en && en->num && de && de->tlen && ak && ak->tlen) {
        r->node_flags |= NODE_SENDER_ENABLED;
    }
    if (de && de->num) {
        r->node_flags |= NODE_SENDER_TLS;
    }
    /* [db] retention as Netdata uses it: clamped to 5..31536000 and, for ram and alloc, rounded
       up to whole 4 KiB pages of 4-byte samples (3600 -> 4096). save and map add a file header
       whose size we do not model, so their value stays as written. */
    const RSetting *mode = find(r->global, r->nglobal, schema_find(SEC_DB, "mode", 4)->order);
    RSetting *ret = (RSetting *)find(r->global, r->nglobal,
                                     schema_find(SEC_DB, "retention", 9)->order);
    if (mode && ret && (mode->num == POLICY_MODE_RAM || mode->num == POLICY_MODE_ALLOC)) {
        int64_t v = ret->num < 5 ? 5 : ret->num > 31536000 ? 31536000 : ret->num;
        v = (v + 1023) / 1024 * 1024;
        if (v != ret->num) {
            ret->num = v;
            ret->text = arena_printf(a, "%lld", (long long)v);
            if (!ret->text) {
                return -1;
            }
            ret->tlen = (uint32_t)strlen(ret->text);
        }
    }
    r->db_mode = mode ? (int)mode->num : POLICY_MODE_DBENGINE;
    return 0;
}

static int cmp_setting(const void *pa, const void *pb)
{
    const RSetting *a = pa, *b = pb;
    return (a->key > b->key) - (a->key < b->key);
}

static int resolve_owner(const Node *n, Arena *a, const Resolved *r, const Section *sec,
                         ROwner *o)
{
    int machine = sec->kind == SEC_MACHINE;
    int mtype_default = 0, menabled_default = 0;
    const Model *m = &n->stream;
    o->sec = sec;
    guid_parse(sec->name.z, sec->name.n, o->bin);
    o->s = arena_alloc(a, schema_sections[sec->kind].nkeys * sizeof *o->s + sizeof *o->s);
    if (!o->s) {
        return -1;
    }
    const SchemaSection *ss = &schema_sections[sec->kind];
    /* the section's own entries by row (validation set e->row), without a lookup per row:
       100,000 sections of mostly absent keys made those lookups the bulk of compile time */
    const Entry *by_row[128] = { 0 };
    for (const Entry *x = sec->first; x; x = x->next) {
        if (x->row && x->first_dup == x && (size_t)(x->row - schema_keys) >= ss->first &&
            (size_t)(x->row - schema_keys) - ss->first < 128) {
            by_row[x->row - schema_keys - ss->first] = x;
        }
    }
    (void)m;
    for (uint32_t i = ss->first; i < ss->first + ss->nkeys; i++) {
        const SchemaKey *row = &schema_keys[i];
        const Entry *e = i - ss->first < 128 ? by_row[i - ss->first] : NULL;
        RSetting *s = &o->s[o->n];
        int rc;
        if (e) {
            rc = from_entry(a, row, e->winner, machine ? ORIGIN_MACHINE : ORIGIN_APIKEY, s);
        } else if (row->dflt && row->dflt[0] == '(') {
            const RSetting *g = machine ? NULL : inherited(r, row->dflt);
            RSetting fixed;
            if (g && strcmp(row->dflt, "([db] retention)") == 0 &&
                (r->db_mode == POLICY_MODE_DBENGINE || r->db_mode == POLICY_MODE_NONE)) {
                /* Netdata does not read retention for dbengine or none: history is 3600 */
                memset(&fixed, 0, sizeof fixed);
                fixed.origin = ORIGIN_DEFAULT;
                fixed.vtype = VAL_INT;
                fixed.num = 3600;
                fixed.text = "3600";
                fixed.tlen = 4;
                g = &fixed;
            }
            if (!g) {
                continue;   /* resolved at connect time (machine) or computed on the target */
            }
            *s = *g;
            s->key = row->order;
            /* 'health enabled by default' (yes/no/auto) inherits a plain boolean: same value,
               this row's type */
            s->vtype = (uint8_t)policy_vtype_of(row->type);
            if (s->vtype == VAL_DEST && s->num) {
                DestList dl;   /* Netdata hands proxies [stream] destination already cut */
                dest_parse_list(s->raw, s->rawlen, DEST_STREAM, &dl);
                s->rawlen = s->tlen = (uint32_t)dl.cut_n;
                s->text = arena_strndup(a, s->raw, dl.cut_n);
                if (!s->text) {
                    return -1;
                }
            }
            if (strcmp(row->dflt, "([stream] enabled)") == 0) {
                s->num = (r->node_flags & NODE_SENDER_ENABLED) != 0;   /* after the check */
                s->text = s->num ? "yes" : "no";
                s->tlen = (uint32_t)strlen(s->text);
            }
            rc = 0;
        } else {
            rc = from_default(a, row, s);
            if (machine && rc == 0) {
                /* machine defaults (type machine, enabled yes, allow from *) are implied by
                   the table and the flags below: not storing them keeps 100,000 machine
                   sections small and fast to verify */
                if (strcmp(row->name, "type") == 0) {
                    mtype_default = 1;
                } else if (strcmp(row->name, "enabled") == 0) {
                    menabled_default = (int)s->num;
                }
                continue;
            }
        }
        if (rc < 0) {
            return -1;
        }
        if (rc == 0) {
            if (s->vtype == VAL_DEST && s->origin != ORIGIN_STREAM) {
                s->dest_flavor = DEST_PROXY;   /* a proxy destination keeps ':SSL' in the port */
                s->num = 0;
            }
            o->n++;
        }
    }
    qsort(o->s, o->n, sizeof *o->s, cmp_setting);
    const RSetting *type = find(o->s, o->n, schema_find(sec->kind, "type", 4)->order);
    const RSetting *en = find(o->s, o->n, schema_find(sec->kind, "enabled", 7)->order);
    const char *want = machine ? "machine" : "api";
    if ((type && type->tlen == strlen(want) && memcmp(type->text, want, type->tlen) == 0) ||
        (!type && mtype_default)) {
        o->flags |= KEY_TYPE_OK;
    }
    if ((en && en->num) || (!en && menabled_default)) {
        o->flags |= KEY_ENABLED;
    }
    return 0;
}

int resolve_node(const Node *n, Arena *a, Resolved *r)
{
    memset(r, 0, sizeof *r);
    if (resolve_globals(n, a, r) != 0) {
        return -1;
    }
    if (n->has_guid) {
        r->node_flags |= NODE_HAS_GUID;
    }
    if (n->has_stream) {
        r->node_flags |= NODE_HAS_STREAM_CONF;
    }
    if (n->has_netdata) {
        r->node_flags |= NODE_HAS_NETDATA_CONF;
        const Entry *h = node_entry(n, CONF_NETDATA, "global", "hostname");
        r->hostname = h ? &h->val : NULL;
    }
    if (!n->has_stream) {
        return 0;
    }
    uint32_t napi = 0, nm = 0;
    for (const Section *s = n->stream.first; s; s = s->next) {
        napi += s->kind == SEC_API;
        nm += s->kind == SEC_MACHINE;
    }
    r->api = arena_alloc(a, (napi + 1) * sizeof *r->api);
    r->machine = arena_alloc(a, (nm + 1) * sizeof *r->machine);
    if (!r->api || !r->machine) {
        return -1;
    }
    for (const Section *s = n->stream.first; s; s = s->next) {
        if (s->kind != SEC_API && s->kind != SEC_MACHINE) {
            continue;
        }
        ROwner *o = s->kind == SEC_API ? &r->api[r->napi++] : &r->machine[r->nmachine++];
        if (resolve_owner(n, a, r, s, o) != 0) {
            return -1;
        }
    }
    return 0;
}

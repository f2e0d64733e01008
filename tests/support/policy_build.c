/*
** policy_build.c - the hand-built sample policy of policy_build.h. It follows
** docs/policy-format.md directly (it does not use compiler/emit.c): header, section table,
** sections in id order each 8-byte aligned with zero padding, body padded to 8, then the
** optional signature trailer; the checksum is XXH3-64 of the body with the field zero.
*/
#include "policy_build.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "arena.h"
#include "guid.h"
#include "match.h"
#include "pattern.h"
#include "schema_tables.h"
#include "testutil.h"

#define MAXS 32

typedef struct Build {
    char str[2048];
    uint32_t nstr;
    PolicySetting set[MAXS];
    uint32_t line[MAXS];
    uint32_t nset;
    PolicyKey api[2], mach[2];
    uint32_t napi, nmach;
    uint8_t prog[8192];
    uint32_t nprog;
    PolicyDest dest[2];
    PolicyListener lis[2];
    PolicyNode node;
    Arena arena;
} Build;

static void die(const char *what)
{
    fprintf(stderr, "policy_build: %s\n", what);
    abort();
}

uint16_t policy_build_key_id(const char *section, const char *key)
{
    for (unsigned i = 0; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *row = &schema_keys[schema_by_order[i]];
        if (strcmp(schema_sections[row->sec].name, section) == 0 && strcmp(row->name, key) == 0) {
            return (uint16_t)i;
        }
    }
    die("unknown schema row");
    return 0;
}

static PolicyStr str(Build *b, const char *z)
{
    PolicyStr s = { 0, (uint32_t)strlen(z) };
    if (s.len == 0) {
        return s;   /* offset 0 holds the empty string */
    }
    if (b->nstr + s.len + 1 > sizeof b->str) {
        die("string table full");
    }
    s.off = b->nstr;
    memcpy(b->str + b->nstr, z, s.len + 1);
    b->nstr += s.len + 1;
    return s;
}

/* Compile pattern Z into the programs area (8-aligned); returns its offset, *LEN its size. */
static uint32_t prog(Build *b, const char *z, uint32_t *len)
{
    PatList pl;
    size_t n = 0;
    void *p = pattern_parse(&b->arena, z, strlen(z), &pl) == 0
                  ? pattern_compile(&b->arena, &pl, PATTERN_AUTO, &n) : NULL;
    uint32_t at = (b->nprog + 7) & ~7u;
    if (!p || at + n > sizeof b->prog) {
        die("cannot compile a pattern");
    }
    memcpy(b->prog + at, p, n);
    b->nprog = at + (uint32_t)n;
    *len = (uint32_t)n;
    return at;
}

static PolicySetting *set(Build *b, const char *sec, const char *key, int origin, int vtype,
                          int64_t num, const char *text)
{
    if (b->nset == MAXS) {
        die("settings full");
    }
    PolicySetting *s = &b->set[b->nset];
    memset(s, 0, sizeof *s);
    s->key = policy_build_key_id(sec, key);
    s->origin = (uint8_t)origin;
    s->vtype = (uint8_t)vtype;
    s->num = num;
    s->text = str(b, text);
    b->line[b->nset] = 10 + b->nset;
    b->nset++;
    return s;
}

static int cmp_set(const void *a, const void *b)
{
    const PolicySetting *x = a, *y = b;
    return (x->key > y->key) - (x->key < y->key);
}

/* Settings from FIRST to the end belong to one owner: sort them by key id. */
static void close_owner(Build *b, uint32_t first, uint32_t *out_first, uint32_t *out_count)
{
    qsort(b->set + first, b->nset - first, sizeof b->set[0], cmp_set);
    *out_first = first;
    *out_count = b->nset - first;
}

static void key(Build *b, PolicyKey *k, const char *name, uint32_t flags, uint32_t line)
{
    memset(k, 0, sizeof *k);
    if (guid_parse_case(name, strlen(name), k->bin, &k->upper) != 0) {
        die("bad GUID");
    }
    k->text = str(b, name);
    k->flags = flags;
    k->line = line;
}

static void contents(Build *b)
{
    uint32_t len, first;
    b->nstr = 1;   /* "" */
    memset(&b->node, 0, sizeof b->node);
    guid_parse(PB_NODE_GUID, 36, b->node.machine_guid);
    b->node.flags = NODE_HAS_GUID | NODE_HAS_STREAM_CONF | NODE_HAS_NETDATA_CONF |
                    NODE_SENDER_ENABLED | NODE_SENDER_TLS;
    b->node.hostname = str(b, "node1");
    b->node.stream_file = str(b, "stream.conf");
    b->node.netdata_file = str(b, "netdata.conf");

    memset(b->dest, 0, sizeof b->dest);
    b->dest[0] = (PolicyDest){ 0, 0, str(b, "tcp:10.0.0.1:19999:SSL"), str(b, "10.0.0.1"),
                               str(b, ""), str(b, "19999") };
    memset(b->lis, 0, sizeof b->lis);
    b->lis[0].acl = 16;
    b->lis[0].ssl = 2;
    b->lis[0].host = str(b, "127.0.0.1");
    b->lis[0].port = str(b, "19999");

    set(b, "stream", "enabled", ORIGIN_STREAM, VAL_BOOL, 1, "yes");
    set(b, "stream", "destination", ORIGIN_STREAM, VAL_DEST, 1, "tcp:10.0.0.1:19999:SSL")
        ->aux_len = 1;
    set(b, "stream", "api key", ORIGIN_STREAM, VAL_STR, 0, PB_API_KEY);
    PolicySetting *s = set(b, "stream", "send charts matching", ORIGIN_STREAM, VAL_PATTERN, 0,
                           "apps.* !system.* *");
    s->aux_off = prog(b, "apps.* !system.* *", &len);
    s->aux_len = len;
    set(b, "db", "mode", ORIGIN_NETDATA, VAL_MEMMODE, POLICY_MODE_DBENGINE, "dbengine");
    set(b, "db", "dbengine multihost disk space MB", ORIGIN_COMPUTED, VAL_STR, 0,
        "(256 on a fresh node)");
    set(b, "web", "bind to", ORIGIN_NETDATA, VAL_BIND, 0, "127.0.0.1:19999=streaming^SSL=force")
        ->aux_len = 1;
    set(b, "web", "allow streaming from", ORIGIN_NETDATA, VAL_PATTERN, 0, "");
    set(b, "health", "enabled", ORIGIN_DEFAULT, VAL_BOOL, 1, "yes");
    close_owner(b, 0, &b->node.settings_first, &b->node.settings_count);

    uint32_t shared_off, shared_len;
    first = b->nset;
    key(b, &b->api[0], PB_API_KEY, KEY_TYPE_OK | KEY_ENABLED, 3);
    set(b, "api", "type", ORIGIN_APIKEY, VAL_STR, 0, "api");
    set(b, "api", "enabled", ORIGIN_APIKEY, VAL_BOOL, 1, "yes");
    s = set(b, "api", "allow from", ORIGIN_APIKEY, VAL_PATTERN, 0, "10.* localhost");
    s->aux_off = shared_off = prog(b, "10.* localhost", &shared_len);
    s->aux_len = shared_len;
    set(b, "api", "health enabled by default", ORIGIN_APIKEY, VAL_BOOL3, 2, "auto");
    set(b, "api", "default history", ORIGIN_NETDATA, VAL_INT, 3600, "3600");
    set(b, "api", "default memory mode", ORIGIN_APIKEY, VAL_MEMMODE, POLICY_MODE_RAM, "ram");
    close_owner(b, first, &b->api[0].settings_first, &b->api[0].settings_count);
    b->napi = 1;

    /* 'A' < 'a': the upper-case name sorts first among the two equal binary forms */
    first = b->nset;
    key(b, &b->mach[0], PB_MACHINE_UPPER, KEY_TYPE_OK | KEY_ENABLED, 9);
    set(b, "machine", "type", ORIGIN_MACHINE, VAL_STR, 0, "machine");
    set(b, "machine", "enabled", ORIGIN_DEFAULT, VAL_BOOL, 1, "yes");
    s = set(b, "machine", "allow from", ORIGIN_MACHINE, VAL_PATTERN, 0, "!10.1.* *");
    s->aux_off = prog(b, "!10.1.* *", &len);
    s->aux_len = len;
    close_owner(b, first, &b->mach[0].settings_first, &b->mach[0].settings_count);
    first = b->nset;
    key(b, &b->mach[1], PB_MACHINE_LOWER, KEY_TYPE_OK, 14);
    set(b, "machine", "type", ORIGIN_MACHINE, VAL_STR, 0, "machine");
    set(b, "machine", "enabled", ORIGIN_MACHINE, VAL_BOOL, 0, "no");
    s = set(b, "machine", "allow from", ORIGIN_MACHINE, VAL_PATTERN, 0, "10.* localhost");
    s->aux_off = shared_off;   /* one program shared by two settings */
    s->aux_len = shared_len;
    set(b, "machine", "history", ORIGIN_MACHINE, VAL_INT, 100, "100");
    close_owner(b, first, &b->mach[1].settings_first, &b->mach[1].settings_count);
    b->nmach = 2;
}

static size_t put(uint8_t *out, size_t at, const void *data, size_t n)
{
    memset(out + at, 0, ((at + 7) & ~(size_t)7) - at);
    at = (at + 7) & ~(size_t)7;
    if (data && n) {
        memcpy(out + at, data, n);
    }
    return at;
}

void policy_build_fix_checksum(uint8_t *p, size_t n)
{
    PolicyHeader h;
    if (n < sizeof h) {
        return;
    }
    memcpy(&h, p, sizeof h);
    if (h.body_size < sizeof h || h.body_size > n) {
        return;
    }
    uint8_t *copy = malloc(h.body_size);
    if (!copy) {
        die("out of memory");
    }
    memcpy(copy, p, h.body_size);
    memset(copy + offsetof(PolicyHeader, checksum), 0, sizeof h.checksum);
    h.checksum = XXH3_64bits(copy, h.body_size);
    memcpy(p + offsetof(PolicyHeader, checksum), &h.checksum, sizeof h.checksum);
    free(copy);
}

PolicySection *policy_build_section(uint8_t *p, uint32_t id)
{
    PolicyHeader *h = (PolicyHeader *)p;
    PolicySection *t = (PolicySection *)(p + h->sections_off);
    for (uint32_t i = 0; i < h->nsections; i++) {
        if (t[i].id == id) {
            return &t[i];
        }
    }
    return NULL;
}

uint8_t *policy_build_sample(unsigned flags, size_t *n)
{
    static const char extra[] = "a section of format 1.1";
    Build *b = calloc(1, sizeof *b);
    uint8_t *out = calloc(1, 65536);
    if (!b || !out) {
        die("out of memory");
    }
    arena_init(&b->arena);
    contents(b);
    if (flags & PB_STRIP) {
        b->api[0].line = b->mach[0].line = b->mach[1].line = 0;
    }
    struct { uint32_t id; const void *p; uint32_t size, count; } sec[] = {
        { POLICY_SEC_STRINGS, b->str, b->nstr, b->nstr },
        { POLICY_SEC_NODE, &b->node, sizeof b->node, 1 },
        { POLICY_SEC_SETTINGS, b->set, b->nset * sizeof(PolicySetting), b->nset },
        { POLICY_SEC_APIKEYS, b->api, b->napi * sizeof(PolicyKey), b->napi },
        { POLICY_SEC_MACHINES, b->mach, b->nmach * sizeof(PolicyKey), b->nmach },
        { POLICY_SEC_PROGRAMS, b->prog, b->nprog, b->nprog },
        { POLICY_SEC_DESTS, b->dest, sizeof(PolicyDest), 1 },
        { POLICY_SEC_LISTENERS, b->lis, sizeof(PolicyListener), 1 },
        { POLICY_SEC_LINES, b->line, b->nset * 4, b->nset },
        { POLICY_SEC__LAST + 1, extra, sizeof extra, sizeof extra },   /* unknown to 1.0 */
    };
    uint32_t nsec = (flags & PB_STRIP) ? 8 : 9;
    if (flags & PB_NEWER) {
        if (nsec == 8) {
            sec[8] = sec[9];
        }
        nsec++;
    }
    PolicyHeader h;
    memset(&h, 0, sizeof h);
    size_t at = sizeof h;
    size_t table = put(out, at, NULL, nsec * sizeof(PolicySection));
    at = table + nsec * sizeof(PolicySection);
    PolicySection st[10];
    for (uint32_t i = 0; i < nsec; i++) {
        st[i].id = sec[i].id;
        st[i].off = (uint32_t)put(out, at, sec[i].p, sec[i].size);
        st[i].size = sec[i].size;
        st[i].count = sec[i].count;
        at = st[i].off + sec[i].size;
    }
    size_t body = put(out, at, NULL, 0);
    size_t total = body;
    if (flags & PB_SIGNED) {
        PolicySig sig;
        memcpy(sig.magic, POLICY_SIG_MAGIC, 8);
        sig.algorithm = 1;
        sig.len = 64;
        for (int i = 0; i < 64; i++) {
            sig.sig[i] = (uint8_t)(0xA5 ^ i);
        }
        memcpy(out + body, &sig, sizeof sig);
        total += sizeof sig;
    }
    memcpy(h.magic, POLICY_MAGIC, 8);
    h.version_major = POLICY_VERSION_MAJOR;
    h.version_minor = (flags & PB_NEWER) ? POLICY_VERSION_MINOR + 1 : POLICY_VERSION_MINOR;
    h.header_size = sizeof h;
    h.file_size = total;
    h.body_size = body;
    h.schema_hash = SCHEMA_HASH;
    h.flags = (flags & PB_SIGNED) ? POLICY_SIGNED : 0;
    h.nsections = nsec;
    h.sections_off = (uint32_t)table;
    memcpy(out, &h, sizeof h);
    memcpy(out + table, st, nsec * sizeof st[0]);
    policy_build_fix_checksum(out, total);
    arena_free(&b->arena);
    free(b);
    uint8_t *exact = malloc(total);   /* malloc: 16-byte aligned */
    if (!exact) {
        die("out of memory");
    }
    memcpy(exact, out, total);
    free(out);
    *n = total;
    return exact;
}

const char *policy_build_load(const uint8_t *p, size_t n, PolicyView *v)
{
    static char keep[256];
    uint8_t *c = testutil_dup_exact(p, n);
    PolicyView tmp;
    const char *why = policy_view_init(v ? v : &tmp, c, n);
    if (why) {
        snprintf(keep, sizeof keep, "%s", why);
    }
    free(c);
    return why ? keep : NULL;
}

/* With a key index, a record is findable only if its slot repeats its bin and case mask: a
   flipped slot (checksum recomputed) loads but misroutes, like a forged record would. */
static int index_agrees(const PolicyView *v, int m, uint32_t i, const PolicyKey *k)
{
    const PolicyKeySlot *slots = m ? v->machine_slots : v->api_slots;
    uint32_t cap = m ? v->machine_cap : v->api_cap;
    if (!slots) {
        return 1;
    }
    int seen = 0;
    for (uint32_t j = 0; j < cap; j++) {
        if (slots[j].rec == i + 1) {
            if (seen || slots[j].upper != k->upper || memcmp(slots[j].bin, k->bin, 16) != 0) {
                return 0;
            }
            seen = 1;
        } else if (slots[j].rec && slots[j].upper == k->upper &&
                   memcmp(slots[j].bin, k->bin, 16) == 0) {
            return 0;   /* another slot claims this key first */
        }
    }
    return seen;
}

const char *policy_build_walk(const PolicyView *v)
{
    static const char *const probes[] = { "localhost", "10.1.2.3", "apps.cpu", "system.load",
                                          "x", "" };
    static char msg[512];
    for (int m = 0; m < 2; m++) {
        const PolicyKey *t = m ? v->machines : v->apikeys;
        uint32_t nk = m ? v->nmachines : v->napikeys;
        const char *kind = m ? "machine" : "api key";
        for (uint32_t i = 0; i < nk + 1; i++) {
            const PolicyKey *k = i < nk ? &t[i] : NULL;   /* last round: the node */
            if (k) {
                /* a forged name that disagrees with its binary form loads (not checked, see
                   policy_records.c) but is never found; a consistent one must find itself */
                const char *z = policy_str(v, k->text);
                uint8_t bin[16];
                uint32_t upper;
                const PolicyKey *found = policy_find_key(v, m, z, k->text.len);
                if (guid_parse_case(z, k->text.len, bin, &upper) == 0 &&
                    memcmp(bin, k->bin, 16) == 0 && upper == k->upper &&
                    index_agrees(v, m, i, k) && found != k) {
                    snprintf(msg, sizeof msg, "%s %u '%s': policy_find_key found %p, want %p",
                             kind, i, testutil_esc(z, k->text.len), (const void *)found,
                             (const void *)k);
                    return msg;
                }
            }
            uint32_t first = k ? k->settings_first : v->node->settings_first;
            uint32_t cnt = k ? k->settings_count : v->node->settings_count;
            for (uint32_t j = first; j < first + cnt; j++) {
                const PolicySetting *s = &v->settings[j];
                const PolicySetting *found = policy_find_setting(v, k, s->key);
                if (found != s) {
                    char owner[32] = "node";
                    if (k) {
                        snprintf(owner, sizeof owner, "%s %u", kind, i);
                    }
                    snprintf(msg, sizeof msg, "%s: policy_find_setting(key %u) found %p, want "
                             "setting %u at %p", owner, (unsigned)s->key, (const void *)found, j,
                             (const void *)s);
                    return msg;
                }
                (void)strlen(policy_str(v, s->text));
                (void)policy_setting_line(v, s);
                const void *prog = policy_program(v, s);
                for (size_t q = 0; prog && q < sizeof probes / sizeof probes[0]; q++) {
                    (void)match_run(prog, probes[q], strlen(probes[q]));
                }
            }
        }
    }
    return NULL;
}

/*
** policy_records.c - the second half of policy_view_init(): every record of every known
** section of a policy blob whose header, checksum, schema hash and section table passed
** (common/policy_view.c). After these checks every PolicyStr of the blob names a NUL-terminated
** string inside STRINGS, every range (settings, destinations, listeners, programs) lies inside
** its table, every compiled pattern passed pattern_prog_verify(), every value type fits its
** schema row, and the key tables and each owner's settings are sorted for binary search.
** It does not check signatures or anything about the network or the file system.
*/
#include "policy_records.h"

#include <stdio.h>
#include <string.h>

#include "guid.h"
#include "pattern_prog.h"
#include "schema_tables.h"

#define NODE_FLAGS_ALL (NODE_HAS_GUID | NODE_HAS_STREAM_CONF | NODE_HAS_NETDATA_CONF | \
                        NODE_SENDER_ENABLED | NODE_SENDER_TLS)
#define KEY_FLAGS_ALL (KEY_TYPE_OK | KEY_ENABLED)
#define LISTENER_ACL_ALL 63u     /* BIND_ALL of compiler/dest.h: six permission bits */
#define PROTO_MAX 2              /* tcp, udp, unix */
#define SSL_MAX 2                /* default, optional, force */

static const char *const val_name[VAL__MAX + 1] = {
    "?", "int", "bool", "bool3", "string", "memory mode", "pattern", "destination", "bind",
};

/* S names a NUL-terminated string of the string table. */
static int str_ok(const PolicyView *v, PolicyStr s)
{
    uint64_t end = (uint64_t)s.off + s.len;
    return end < v->strings_size && v->strings[end] == '\0';
}

/* WHAT (and record I, unless I < 0) refers to a string that is not in the table. */
static const char *bad_str(const char *what, long i, PolicyStr s)
{
    char at[24] = "";
    if (i >= 0) {
        snprintf(at, sizeof at, " %ld", i);
    }
    return policy_why("%s%s: string (offset %u, length %u) is outside the string table or "
                      "not NUL-terminated", what, at, s.off, s.len);
}

static const char *check_strings(const PolicyView *v)
{
    if (v->strings_size == 0 || v->strings[v->strings_size - 1] != '\0') {
        return "string table is empty or does not end with a NUL";
    }
    return NULL;
}

static const char *check_node(PolicyCheck *c)
{
    const PolicyView *v = &c->v;
    const PolicyNode *nd = v->node;
    if (c->sec[POLICY_SEC_NODE]->count != 1) {
        return policy_why("node section holds %u records, expected 1",
                          c->sec[POLICY_SEC_NODE]->count);
    }
    if (nd->flags & ~(uint32_t)NODE_FLAGS_ALL) {
        return policy_why("node flags 0x%x have unknown bits", nd->flags);
    }
    if (nd->reserved) {
        return "node reserved field is not zero";
    }
    if (!(nd->flags & NODE_HAS_GUID)) {
        static const uint8_t zero[16];
        if (memcmp(nd->machine_guid, zero, sizeof zero) != 0) {
            return "node machine guid is set but the node flags say it is unknown";
        }
    }
    if ((uint64_t)nd->settings_first + nd->settings_count > v->nsettings) {
        return "node settings range is outside the settings table";
    }
    if (!str_ok(v, nd->hostname)) {
        return bad_str("node hostname", -1, nd->hostname);
    }
    if (!str_ok(v, nd->stream_file)) {
        return bad_str("node stream file", -1, nd->stream_file);
    }
    if (!str_ok(v, nd->netdata_file)) {
        return bad_str("node netdata file", -1, nd->netdata_file);
    }
    return NULL;
}

/* The payload of setting I of type VT: number range and the aux range. */
static const char *check_payload(const PolicyView *v, uint32_t i, const PolicySetting *s,
                                 uint64_t *verified)
{
    uint64_t end = (uint64_t)s->aux_off + s->aux_len;
    switch (s->vtype) {
    case VAL_BOOL:
    case VAL_BOOL3:
    case VAL_MEMMODE: {
        int64_t max = s->vtype == VAL_BOOL ? 1 : s->vtype == VAL_BOOL3 ? 2 : POLICY_MODE_DBENGINE;
        if (s->num < 0 || s->num > max) {
            return policy_why("setting %u: %s value %lld is out of range", i, val_name[s->vtype],
                              (long long)s->num);
        }
    }
        /* fall through */
    case VAL_INT:
    case VAL_STR:
        if (s->aux_off || s->aux_len) {
            return policy_why("setting %u: unused aux fields are not zero", i);
        }
        return NULL;
    case VAL_PATTERN:
        if (s->aux_len == 0) {
            return s->aux_off ? policy_why("setting %u: empty pattern with a non-zero offset", i)
                              : NULL;
        }
        if (s->aux_off % POLICY_ALIGN) {
            return policy_why("setting %u: pattern program is not 8-byte aligned", i);
        }
        if (end > v->programs_size) {
            return policy_why("setting %u: pattern program (offset %u, %u bytes) is outside "
                              "the programs area", i, s->aux_off, s->aux_len);
        }
        if (*verified != (end << 32 | s->aux_off)) {   /* shared programs: verify once in a row */
            const char *why = pattern_prog_verify(v->programs + s->aux_off, s->aux_len);
            if (why) {
                return policy_why("setting %u: %s", i, why);
            }
            *verified = end << 32 | s->aux_off;
        }
        return NULL;
    case VAL_DEST:
        if (s->num < 0 || s->num > 1) {
            return policy_why("setting %u: destination TLS flag %lld is not 0 or 1", i,
                              (long long)s->num);
        }
        if (end > v->ndests) {
            return policy_why("setting %u: destinations %u..%llu are outside the table of %u", i,
                              s->aux_off, (unsigned long long)end, v->ndests);
        }
        return NULL;
    default: /* VAL_BIND */
        if (end > v->nlisteners) {
            return policy_why("setting %u: listeners %u..%llu are outside the table of %u", i,
                              s->aux_off, (unsigned long long)end, v->nlisteners);
        }
        return NULL;
    }
}

const char *policy_check_settings(PolicyCheck *c, uint32_t from, uint32_t to)
{
    const PolicyView *v = &c->v;
    uint64_t verified = 0;
    for (uint32_t i = from; i < to && i < v->nsettings; i++) {
        const PolicySetting *s = &v->settings[i];
        if (s->key >= SCHEMA_NKEYS) {
            return policy_why("setting %u: key id %u is out of range (the schema has %u keys)", i,
                              s->key, (unsigned)SCHEMA_NKEYS);
        }
        const SchemaKey *row = &schema_keys[schema_by_order[s->key]];
        if (s->origin > ORIGIN__MAX) {
            return policy_why("setting %u ('%s'): unknown origin %u", i, row->name, s->origin);
        }
        if (s->vtype < 1 || s->vtype > VAL__MAX) {
            return policy_why("setting %u ('%s'): unknown value type %u", i, row->name, s->vtype);
        }
        if (s->reserved) {
            return policy_why("setting %u ('%s'): reserved field is not zero", i, row->name);
        }
        unsigned want = policy_vtype_of(row->type);
        if (s->vtype != want && !(s->vtype == VAL_STR && s->origin == ORIGIN_COMPUTED)) {
            return policy_why("setting %u ('%s'): value type %s does not match the key's type %s",
                              i, row->name, val_name[s->vtype], val_name[want]);
        }
        if (!str_ok(v, s->text)) {
            return bad_str("setting", i, s->text);
        }
        const char *why = check_payload(v, i, s, &verified);
        if (why) {
            return why;
        }
    }
    return NULL;
}

/* Settings [FIRST, FIRST+COUNT) strictly ascending by key id; COUNT already in bounds. */
static int ascending(const PolicyView *v, uint32_t first, uint32_t count)
{
    for (uint32_t j = 1; j < count; j++) {
        if (v->settings[first + j].key <= v->settings[first + j - 1].key) {
            return 0;
        }
    }
    return 1;
}

static int cmp_keys(const PolicyView *v, const PolicyKey *a, const PolicyKey *b)
{
    int r = memcmp(a->bin, b->bin, sizeof a->bin);
    if (r) {
        return r;
    }
    uint32_t n = a->text.len < b->text.len ? a->text.len : b->text.len;
    r = memcmp(v->strings + a->text.off, v->strings + b->text.off, n);
    return r ? r : (a->text.len > b->text.len) - (a->text.len < b->text.len);
}

/* An API-key or machine table: names, binary forms, ranges, flags, order. *OWNED adds up
   the settings the owners claim. */
static const char *check_keys(const PolicyView *v, const PolicyKey *t, uint32_t n,
                              const char *what, uint64_t *owned)
{
    for (uint32_t i = 0; i < n; i++) {
        const PolicyKey *k = &t[i];
        if (!str_ok(v, k->text)) {
            return bad_str(what, i, k->text);
        }
        /* Only the length: re-parsing 110,000 names was a third of the load time, and a
           name that disagrees with its binary form cannot hurt: a lookup compares both, so
           such a section is merely never found. The checksum guards against corruption. */
        if (k->text.len != 36) {
            return policy_why("%s %u: name is not a valid GUID", what, i);
        }
        if ((uint64_t)k->settings_first + k->settings_count > v->nsettings) {
            return policy_why("%s %u: settings range is outside the settings table", what, i);
        }
        if (k->reserved) {
            return policy_why("%s %u: reserved field is not zero", what, i);
        }
        if (k->flags & ~(uint32_t)KEY_FLAGS_ALL) {
            return policy_why("%s %u: flags 0x%x have unknown bits", what, i, k->flags);
        }
        if (i && cmp_keys(v, &t[i - 1], k) >= 0) {
            return policy_why("%s table is not strictly sorted at entry %u", what, i);
        }
        *owned += k->settings_count;   /* owners may not share settings: verify stays linear */
        if (*owned > v->nsettings) {
            return policy_why("%s %u: settings ranges claim %llu settings in all, the table holds %u",
                              what, i, (unsigned long long)*owned, v->nsettings);
        }
        if (!ascending(v, k->settings_first, k->settings_count)) {
            return policy_why("%s %u: settings are not strictly ascending by key id", what, i);
        }
    }
    return NULL;
}

static const char *check_dests(const PolicyView *v)
{
    for (uint32_t i = 0; i < v->ndests; i++) {
        const PolicyDest *d = &v->dests[i];
        if (d->proto > PROTO_MAX) {
            return policy_why("destination %u: unknown protocol %u", i, d->proto);
        }
        if (d->bracketed > 1) {
            return policy_why("destination %u: bracketed flag %u is not 0 or 1", i, d->bracketed);
        }
        if (!str_ok(v, d->entry) || !str_ok(v, d->host) || !str_ok(v, d->iface) ||
            !str_ok(v, d->port)) {
            PolicyStr bad = !str_ok(v, d->entry) ? d->entry : !str_ok(v, d->host) ? d->host
                            : !str_ok(v, d->iface) ? d->iface : d->port;
            return bad_str("destination", i, bad);
        }
    }
    return NULL;
}

static const char *check_listeners(const PolicyView *v)
{
    for (uint32_t i = 0; i < v->nlisteners; i++) {
        const PolicyListener *l = &v->listeners[i];
        if (l->proto > PROTO_MAX) {
            return policy_why("listener %u: unknown protocol %u", i, l->proto);
        }
        if (l->acl & ~LISTENER_ACL_ALL) {
            return policy_why("listener %u: permission bits 0x%x are unknown", i, l->acl);
        }
        if (l->ssl > SSL_MAX) {
            return policy_why("listener %u: unknown ssl mode %u", i, l->ssl);
        }
        if (l->wildcard > 1) {
            return policy_why("listener %u: wildcard flag %u is not 0 or 1", i, l->wildcard);
        }
        if (l->reserved[0] || l->reserved[1]) {
            return policy_why("listener %u: reserved fields are not zero", i);
        }
        if (!str_ok(v, l->host)) {
            return bad_str("listener", i, l->host);
        }
        if (!str_ok(v, l->port)) {
            return bad_str("listener", i, l->port);
        }
    }
    return NULL;
}

const char *policy_check_head(PolicyCheck *c, uint32_t settings_to)
{
    const char *why;
    if ((why = check_strings(&c->v)) || (why = check_node(c)) ||
        (why = policy_check_settings(c, 0, settings_to))) {
        return why;
    }
    return NULL;
}

const char *policy_check_tail(PolicyCheck *c)
{
    const PolicyView *v = &c->v;
    const char *why;
    uint64_t owned = v->node->settings_count;
    if (!ascending(v, v->node->settings_first, v->node->settings_count)) {
        return "node settings are not strictly ascending by key id";
    }
    if ((why = check_keys(v, v->apikeys, v->napikeys, "api key", &owned)) ||
        (why = check_keys(v, v->machines, v->nmachines, "machine", &owned))) {
        return why;
    }
    if ((why = check_dests(v)) || (why = check_listeners(v))) {
        return why;
    }
    if (c->sec[POLICY_SEC_LINES] && c->sec[POLICY_SEC_LINES]->count != v->nsettings) {
        return policy_why("line table has %u entries for %u settings",
                          c->sec[POLICY_SEC_LINES]->count, v->nsettings);
    }
    return NULL;
}

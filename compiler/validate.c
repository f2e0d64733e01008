/*
** validate.c - the generic validation loop: classify each section, then check every entry
** against its schema row (unknown, wrong section kind, value type and range).
**
** One loop serves every key; what differs per key lives in the schema rows and type_ops.
*/
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "confdir.h"
#include "guid.h"
#include "pattern.h"
#include "suggest.h"
#include "types.h"

/* Keys that Netdata's documentation or stock comments name but its code never reads. */
static const struct {
    const char *wrong, *right;
} doc_names[] = {
    { "default send charts matching", "default proxy send charts matching" },
    { "replication_step", "seconds per replication step" },
    { "replication step", "seconds per replication step" },
    { "default replication step", "seconds per replication step" },
};

static int tok_is(const Token *t, const char *w)
{
    return t->n == strlen(w) && memcmp(t->z, w, t->n) == 0;
}

static DiagLoc loc(const Model *m, const Token *t)
{
    return model_loc(m, t);
}

/* ---- section classification --------------------------------------------------------------- */

static int looks_like_guid(const Token *t)
{
    size_t hex = 0, other = 0;
    for (uint32_t i = 0; i < t->n; i++) {
        char c = t->z[i];
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
            hex++;
        } else if (c != '-' && c != '{' && c != '}' && c != ' ' && c != '\t') {
            other++;
        }
    }
    return hex >= 24 && other <= 9;   /* allows a "urn:uuid:" prefix */
}

/* Kind of a GUID section: its `type`, else the first key that only one kind reads. */
static int guid_section_kind(Model *m, Section *s, const Entry **why)
{
    Entry *t = model_find_entry(m, s, "type", 4);
    if (t) {
        t = t->winner;
        /* case-folded here so that 'Machine' is judged (and fixed) as a machine section */
        if (t->val.n == 3 && strncasecmp(t->val.z, "api", 3) == 0) {
            *why = t;
            return SEC_API;
        }
        if (t->val.n == 7 && strncasecmp(t->val.z, "machine", 7) == 0) {
            *why = t;
            return SEC_MACHINE;
        }
    }
    for (Entry *e = s->first; e; e = e->next) {
        int in_api = schema_find(SEC_API, e->key.z, e->key.n) != NULL;
        int in_machine = schema_find(SEC_MACHINE, e->key.z, e->key.n) != NULL;
        if (in_api != in_machine) {
            *why = e;
            return in_api ? SEC_API : SEC_MACHINE;
        }
    }
    *why = NULL;
    return SEC_API;
}

static void classify_stream(Model *m, Section *s)
{
    const Token *nm = &s->name;
    if (tok_is(nm, "stream")) {
        s->kind = SEC_STREAM;
        return;
    }
    if (guid_is_valid(nm->z, nm->n)) {
        const Entry *why = NULL;
        s->kind = guid_section_kind(m, s, &why);
        if (s->kind == SEC_MACHINE && guid_has_upper(nm->z, nm->n)) {
            diag_add(m->diag, DIAG_UPPER_GUID, loc(m, nm),
                     "machine GUID section [%.*s] has upper-case letters; children send their "
                     "machine GUID in lower case, so it never matches", (int)nm->n, nm->z);
        }
        return;
    }
    Suggest sg;
    suggest_begin(&sg, nm->z, nm->n);
    suggest_try(&sg, "stream");
    if (suggest_result(&sg)) {
        Diag *g = diag_add(m->diag, DIAG_UNKNOWN_SECTION, loc(m, nm),
                           "unknown section [%.*s]; did you mean [stream]? (names are exact and "
                           "case-sensitive)", (int)nm->n, nm->z);
        diag_fixit(m->diag, g, "stream", 6);
    } else if (looks_like_guid(nm)) {
        diag_add(m->diag, DIAG_BAD_GUID, loc(m, nm),
                 "section name '%.*s' is not a valid GUID (%s); a child presenting it is refused "
                 "as 'not valid GUID'", (int)nm->n, nm->z, guid_problem(nm->z, nm->n));
    } else if (tok_is(nm, "API_KEY") || tok_is(nm, "MACHINE_GUID")) {
        diag_add(m->diag, DIAG_IGNORED_SECTION, loc(m, nm),
                 "[%.*s] is the stock file's placeholder; it never matches a child (not a GUID): "
                 "name the section after a real GUID", (int)nm->n, nm->z);
    } else {
        diag_add(m->diag, DIAG_IGNORED_SECTION, loc(m, nm),
                 "section [%.*s] is neither [stream] nor a GUID; Netdata never reads it",
                 (int)nm->n, nm->z);
    }
}

static void classify_netdata(Model *m, Section *s)
{
    const Token *nm = &s->name;
    int id = schema_section_id(CONF_NETDATA, nm->z, nm->n);
    if (id >= 0) {
        s->kind = id;
        return;
    }
    Suggest sg;
    suggest_begin(&sg, nm->z, nm->n);
    for (int i = 0; i < SEC__COUNT; i++) {
        if (schema_sections[i].conf == CONF_NETDATA && !schema_sections[i].prefix) {
            suggest_try(&sg, schema_sections[i].name);
        }
    }
    const char *best = suggest_result(&sg);
    if (best) {
        Diag *g = diag_add(m->diag, DIAG_UNKNOWN_SECTION, loc(m, nm),
                           "unknown section [%.*s]; did you mean [%s]?", (int)nm->n, nm->z, best);
        diag_fixit(m->diag, g, best, strlen(best));
    } else {
        diag_add(m->diag, DIAG_IGNORED_SECTION, loc(m, nm),
                 "unknown section [%.*s]; Netdata 1.37.1 never reads it", (int)nm->n, nm->z);
    }
}

/* ---- keys --------------------------------------------------------------------------------- */

/* The machine-section name of an API-key key and back ("default history" <-> "history"). */
static const char *counterpart(int from, int to, const Token *key, char *buf, size_t cap)
{
    static const struct { const char *api, *machine; } pairs[] = {
        { "health enabled by default", "health enabled" },
    };
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        const char *a = from == SEC_API ? pairs[i].api : pairs[i].machine;
        const char *b = from == SEC_API ? pairs[i].machine : pairs[i].api;
        if (tok_is(key, a) && schema_find(to, b, strlen(b))) {
            return b;
        }
    }
    if (from == SEC_MACHINE && key->n + 8 < cap) {
        memcpy(buf, "default ", 8);
        memcpy(buf + 8, key->z, key->n);
        buf[8 + key->n] = 0;
    } else if (from == SEC_API && key->n > 8 && memcmp(key->z, "default ", 8) == 0 &&
               key->n - 8 < cap) {
        memcpy(buf, key->z + 8, key->n - 8);
        buf[key->n - 8] = 0;
    } else {
        return NULL;
    }
    return schema_find(to, buf, strlen(buf)) ? buf : NULL;
}

/* "[stream]", "an API-key section", "a machine-GUID section". */
static const char *article(const char *display)
{
    static _Thread_local char buf[4][64];
    static _Thread_local int next;
    if (display[0] == '[') {
        return display;
    }
    char *b = buf[next++ & 3];
    snprintf(b, sizeof buf[0], "%s %s", display[0] == 'A' ? "an" : "a", display);
    return b;
}

static void unknown_key(Model *m, Section *s, Entry *e)
{
    const Token *k = &e->key;
    const char *sd = schema_sections[s->kind].display;
    DiagLoc at = loc(m, k);
    if (k->z[0] == ';') {
        diag_add(m->diag, DIAG_SEMICOLON, at, "';' does not start a comment: Netdata reads a key "
                 "named '%.*s'; use '#'", (int)k->n, k->z);
        return;
    }
    for (size_t i = 0; i < sizeof doc_names / sizeof doc_names[0]; i++) {
        if (tok_is(k, doc_names[i].wrong) && schema_find(s->kind, doc_names[i].right,
                                                         strlen(doc_names[i].right))) {
            Diag *g = diag_add(m->diag, DIAG_UNKNOWN_KEY, at, "'%.*s' is named in Netdata's "
                               "documentation but never read; the key is '%s'", (int)k->n, k->z,
                               doc_names[i].right);
            diag_fixit(m->diag, g, doc_names[i].right, strlen(doc_names[i].right));
            return;
        }
    }
    /* a key of another section kind of the same file */
    const SchemaKey *other = schema_find_any(m->kind, k->z, k->n, NULL);
    if (other) {
        const char *where = schema_sections[other->sec].display;
        if ((other->sec == SEC_API || other->sec == SEC_MACHINE) &&
            schema_find(SEC_API, k->z, k->n) && schema_find(SEC_MACHINE, k->z, k->n)) {
            where = "API-key or machine-GUID section";
        }
        char buf[160];
        const char *fix = NULL;
        if ((s->kind == SEC_API || s->kind == SEC_MACHINE) &&
            (other->sec == SEC_API || other->sec == SEC_MACHINE)) {
            fix = counterpart(other->sec, s->kind, k, buf, sizeof buf);
        }
        Diag *g;
        if (fix) {
            g = diag_add(m->diag, DIAG_WRONG_SECTION, at, "'%.*s' is not read in %s; it "
                         "belongs in %s (here the key is '%s')", (int)k->n, k->z, article(sd),
                         article(where), fix);
            diag_fixit(m->diag, g, fix, strlen(fix));
        } else {
            g = diag_add(m->diag, DIAG_WRONG_SECTION, at, "'%.*s' is not read in %s; it "
                         "belongs in %s", (int)k->n, k->z, article(sd), article(where));
        }
        return;
    }
    Suggest sg;
    suggest_begin(&sg, k->z, k->n);
    const SchemaSection *ss = &schema_sections[s->kind];
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {    /* schema order, so ties go to the first row */
        const SchemaKey *row = &schema_keys[schema_by_order[i]];
        if (row->sec == s->kind) {
            suggest_try(&sg, row->name);
        }
    }
    const char *best = suggest_result(&sg);
    if (best) {
        Diag *g = diag_add(m->diag, DIAG_UNKNOWN_KEY, at, "unknown key '%.*s' in %s; did you "
                           "mean '%s'?", (int)k->n, k->z, article(ss->display), best);
        diag_fixit(m->diag, g, best, strlen(best));
    } else {
        diag_add(m->diag, DIAG_UNKNOWN_KEY, at, "unknown key '%.*s' in %s; Netdata ignores it",
                 (int)k->n, k->z, article(ss->display));
    }
}

/* "value # comment": Netdata keeps the comment as part of the value. */
static int inline_comment(Model *m, const Entry *e)
{
    const Token *v = &e->val;
    for (uint32_t i = 1; i < v->n; i++) {
        if (v->z[i] == '#' && (v->z[i - 1] == ' ' || v->z[i - 1] == '\t')) {
            Token c = { v->z + i, v->n - i, v->line, v->col + i };
            Diag *g = diag_add(m->diag, DIAG_INLINE_COMMENT, loc(m, &c), "'#' does not start a "
                               "comment after a value: Netdata reads the value of '%.*s' as "
                               "'%.*s'", (int)e->key.n, e->key.z, (int)v->n, v->z);
            diag_fixit(m->diag, g, "", 0);
            return 1;
        }
    }
    return 0;
}

static void check_value(Model *m, Entry *e, const SchemaKey *row)
{
    if (row->type != TY_ANY && inline_comment(m, e)) {
        e->flagged = 1;   /* one finding per value: the cross checks skip it */
        return;
    }
    if (row->type == TY_PATTERN) {
        PatList pl;
        if (pattern_parse(m->arena, e->val.z, e->val.n, &pl) == 0) {
            pattern_lint(m->diag, &pl, e->val.z, loc(m, &e->val));
        } else {
            m->diag->oom = 1;
        }
        return;
    }
    TypeCheck check = type_ops[row->type].check;
    Verdict v = { 0 };
    if (!check || !check(row, e->val.z, e->val.n, &v, m->arena)) {
        return;
    }
    if (v.code == DIAG_BAD_VALUE && (row->flags & SK_LENIENT)) {
        v.code = DIAG_ODD_VALUE;   /* Netdata logs it and falls back to a documented default */
    }
    Token span = e->val;
    if (v.len) {
        span.z += v.off;
        span.col += v.off;
        span.n = v.len;
    }
    Diag *g = diag_add(m->diag, v.code, loc(m, &span), "%s value '%.*s' for '%.*s': %s%s%s%s",
                       v.code == DIAG_ODD_VALUE ? "suspicious" : "invalid",
                       (int)(e->val.n > 80 ? 80 : e->val.n), e->val.z, (int)e->key.n, e->key.z,
                       v.why ? v.why : "", v.fixit && *v.fixit ? "; did you mean '" : "",
                       v.fixit && *v.fixit ? v.fixit : "", v.fixit && *v.fixit ? "'?" : "");
    if (g && v.fixit) {
        if (v.len) {   /* the fix-it replaces the whole value: widen the span */
            g->at = loc(m, &e->val);
        }
        diag_fixit(m->diag, g, v.fixit, strlen(v.fixit));
    }
}

void validate_model(Model *m)
{
    for (Section *s = m->first; s; s = s->next) {
        if (m->kind == CONF_STREAM) {
            classify_stream(m, s);
        } else {
            classify_netdata(m, s);
        }
        if (s->kind < 0) {
            continue;
        }
        s->schema = &schema_sections[s->kind];
        if (s->schema->any_keys) {
            continue;
        }
        for (Entry *e = s->first; e; e = e->next) {
            e->row = schema_find(s->kind, e->key.z, e->key.n);
            if (!e->row) {
                if (e->first_dup == e) {
                    unknown_key(m, s, e);
                }
                continue;
            }
            check_value(m, e, e->row);
        }
    }
}

/* ---- old netdata.conf names --------------------------------------------------------------- */

const Entry *node_entry(const Node *n, ConfKind conf, const char *sec, const char *key)
{
    const Model *m = conf == CONF_STREAM ? &n->stream : &n->netdata;
    if (!(conf == CONF_STREAM ? n->has_stream : n->has_netdata)) {
        return NULL;
    }
    Section *s = model_find_section(m, sec, strlen(sec));
    const Entry *e = model_find_entry(m, s, key, strlen(key));
    if (e) {
        return e->winner;
    }
    if (conf == CONF_NETDATA) {
        for (int i = 0; i < n->nmoves; i++) {
            const SchemaKey *to = n->moves[i].to;
            if (strcmp(to->name, key) == 0 && strcmp(schema_sections[to->sec].name, sec) == 0) {
                return n->moves[i].from;
            }
        }
    }
    return NULL;
}

/* Apply Netdata's start-up moves in schema order: an old key moves only if its new name is
   not set (in the file or by an earlier move); otherwise it stays behind, unused. */
void validate_moves(Node *n)
{
    Model *m = &n->netdata;
    if (!n->has_netdata) {
        return;
    }
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *row = &schema_keys[schema_by_order[i]];
        if (!row->moved_sec) {
            continue;
        }
        const char *oldsec = schema_sections[row->sec].name;
        Section *s = model_find_section(m, oldsec, strlen(oldsec));
        Entry *old = model_find_entry(m, s, row->name, strlen(row->name));
        if (!old) {
            continue;
        }
        old = old->winner;
        const Entry *now = node_entry(n, CONF_NETDATA, row->moved_sec, row->moved_key);
        if (now) {
            Diag *g = diag_add(m->diag, DIAG_SHADOWED_KEY, loc(m, &old->key),
                               "'%s' in [%s] is ignored: [%s] %s is also set and wins", row->name,
                               oldsec, row->moved_sec, row->moved_key);
            diag_note(m->diag, g, loc(m, &now->key), "[%s] %s is set here", row->moved_sec,
                      row->moved_key);
            continue;
        }
        const SchemaKey *to = schema_find(schema_section_id(CONF_NETDATA, row->moved_sec,
                                                            strlen(row->moved_sec)),
                                          row->moved_key, strlen(row->moved_key));
        if (to && n->nmoves < (int)(sizeof n->moves / sizeof n->moves[0])) {
            n->moves[n->nmoves].to = to;
            n->moves[n->nmoves].from = old;
            n->nmoves++;
        }
        diag_add(m->diag, DIAG_MOVED_KEY, loc(m, &old->key), "'%s' in [%s] is an old name; "
                 "Netdata 1.37.1 reads it as [%s] %s", row->name, oldsec, row->moved_sec,
                 row->moved_key);
    }
}

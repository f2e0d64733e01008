/*
** model.c - builders called by the grammar actions (see model.h), plus merged-view lookups.
**
** Diagnostics about line shape (lines outside sections, lines without '=', broken headers)
** are raised here because only here is the current section known.
*/
#include "model.h"

#include <string.h>

static uint32_t hash_bytes(uint32_t h, const char *z, size_t n)
{
    for (size_t i = 0; i < n; i++) {   /* FNV-1a */
        h ^= (unsigned char)z[i];
        h *= 16777619u;
    }
    return h;
}

static int tok_eq(const Token *t, const char *z, size_t n)
{
    return t->n == n && memcmp(t->z, z, n) == 0;
}

DiagLoc model_loc(const Model *m, const Token *t)
{
    DiagLoc at = { m->src, t->line, t->col, t->n ? t->n : 1 };
    return at;
}

void model_init(Model *m, Arena *a, DiagSink *d, const Source *src, ConfKind kind)
{
    memset(m, 0, sizeof *m);
    m->arena = a;
    m->diag = d;
    m->src = src;
    m->kind = kind;
}

/* ---- hash tables ---------------------------------------------------------------------- */

static int grow_sections(Model *m)
{
    uint32_t cap = m->sec_cap ? m->sec_cap * 2 : 16;
    Section **tab = arena_alloc(m->arena, cap * sizeof *tab);
    if (!tab) {
        return -1;
    }
    for (Section *s = m->first; s; s = s->next) {
        uint32_t i = hash_bytes(2166136261u, s->name.z, s->name.n) & (cap - 1);
        while (tab[i]) {
            i = (i + 1) & (cap - 1);
        }
        tab[i] = s;
    }
    m->sec_tab = tab;
    m->sec_cap = cap;
    return 0;
}

Section *model_find_section(const Model *m, const char *name, size_t n)
{
    if (!m->sec_cap) {
        return NULL;
    }
    uint32_t i = hash_bytes(2166136261u, name, n) & (m->sec_cap - 1);
    while (m->sec_tab[i]) {
        if (tok_eq(&m->sec_tab[i]->name, name, n)) {
            return m->sec_tab[i];
        }
        i = (i + 1) & (m->sec_cap - 1);
    }
    return NULL;
}

static uint32_t entry_hash(const Section *s, const char *key, size_t n)
{
    uintptr_t p = (uintptr_t)s;
    return hash_bytes(2166136261u ^ (uint32_t)(p >> 4) ^ (uint32_t)(p >> 32), key, n);
}

static int grow_entries(Model *m)
{
    uint32_t cap = m->ent_cap ? m->ent_cap * 2 : 64;
    Entry **tab = arena_alloc(m->arena, cap * sizeof *tab);
    if (!tab) {
        return -1;
    }
    for (uint32_t j = 0; j < m->ent_cap; j++) {
        Entry *e = m->ent_tab[j];
        if (!e) {
            continue;
        }
        uint32_t i = entry_hash(e->sec, e->key.z, e->key.n) & (cap - 1);
        while (tab[i]) {
            i = (i + 1) & (cap - 1);
        }
        tab[i] = e;
    }
    m->ent_tab = tab;
    m->ent_cap = cap;
    return 0;
}

/* The first entry with this key in S (the table holds first occurrences only). */
Entry *model_find_entry(const Model *m, const Section *s, const char *key, size_t n)
{
    if (!m->ent_cap || !s) {
        return NULL;
    }
    uint32_t i = entry_hash(s, key, n) & (m->ent_cap - 1);
    while (m->ent_tab[i]) {
        Entry *e = m->ent_tab[i];
        if (e->sec == s && tok_eq(&e->key, key, n)) {
            return e;
        }
        i = (i + 1) & (m->ent_cap - 1);
    }
    return NULL;
}

const Token *model_value(const Model *m, const char *sec, const char *key)
{
    Section *s = model_find_section(m, sec, strlen(sec));
    Entry *e = model_find_entry(m, s, key, strlen(key));
    return e ? &e->winner->val : NULL;
}

/* ---- grammar actions ------------------------------------------------------------------ */

void model_section(Model *m, const Token *name)
{
    Section *s = model_find_section(m, name->z, name->n);
    if (s) {
        if (!s->reopened.z) {
            s->reopened = *name;
        }
        Diag *g = diag_add(m->diag, DIAG_DUP_SECTION, model_loc(m, name),
                           "section [%.*s] is opened again; Netdata merges its keys into the "
                           "first one", (int)name->n, name->z);
        diag_note(m->diag, g, model_loc(m, &s->name), "first opened here");
        m->cur = s;
        return;
    }
    if ((m->nsections + 1) * 2 > m->sec_cap && grow_sections(m) != 0) {
        m->diag->oom = 1;
        return;
    }
    s = arena_alloc(m->arena, sizeof *s);
    if (!s) {
        m->diag->oom = 1;
        return;
    }
    s->name = *name;
    s->kind = -1;
    if (!m->first) {
        m->first = s;
    } else {
        m->last->next = s;
    }
    m->last = s;
    m->nsections++;
    uint32_t i = hash_bytes(2166136261u, name->z, name->n) & (m->sec_cap - 1);
    while (m->sec_tab[i]) {
        i = (i + 1) & (m->sec_cap - 1);
    }
    m->sec_tab[i] = s;
    m->cur = s;
}

static void outside(Model *m, const Token *t, const char *what)
{
    diag_add(m->diag, DIAG_OUTSIDE, model_loc(m, t),
             "%s before the first section header; Netdata ignores it", what);
}

void model_entry(Model *m, const Token *key, const Token *val)
{
    Section *s = m->cur;
    if (!s) {
        outside(m, key, "key");
        return;
    }
    if ((m->nent + 1) * 2 > m->ent_cap && grow_entries(m) != 0) {
        m->diag->oom = 1;
        return;
    }
    Entry *e = arena_alloc(m->arena, sizeof *e);
    if (!e) {
        m->diag->oom = 1;
        return;
    }
    e->key = *key;
    e->val = *val;
    e->sec = s;
    e->winner = e;
    if (!s->first) {
        s->first = e;
    } else {
        s->last->next = e;
    }
    s->last = e;
    s->nentries++;
    Entry *first = model_find_entry(m, s, key->z, key->n);
    if (first) {
        e->first_dup = first;
        Entry *prev = first->winner;
        first->winner = e;   /* only the first copy tracks the winner: O(1) per duplicate */
        Diag *g = diag_add(m->diag, DIAG_DUP_KEY, model_loc(m, key),
                           "'%.*s' is set again in [%.*s]; Netdata keeps this last value",
                           (int)key->n, key->z, (int)s->name.n, s->name.z);
        diag_note(m->diag, g, model_loc(m, &prev->key), "previous value '%.*s' set here",
                  (int)prev->val.n, prev->val.z);
        return;
    }
    e->first_dup = e;
    uint32_t i = entry_hash(s, key->z, key->n) & (m->ent_cap - 1);
    while (m->ent_tab[i]) {
        i = (i + 1) & (m->ent_cap - 1);
    }
    m->ent_tab[i] = e;
    m->nent++;
}

void model_empty_name(Model *m, const Token *eq)
{
    if (!m->cur) {
        outside(m, eq, "line");
        return;
    }
    diag_add(m->diag, DIAG_EMPTY_NAME, model_loc(m, eq),
             "no key name before '='; Netdata ignores this line");
}

/* A line without '=': explain the likely intent (a broken header, a ';' comment, a BOM). */
void model_no_equals(Model *m, const Token *t)
{
    const Source *src = m->src;
    int at_bom = src->bom && t->line == 1 && t->z == src->buf;
    if (at_bom) {
        Token rest = { t->z + 3, t->n - 3, t->line, t->col + 3 };
        int header = rest.n >= 2 && rest.z[0] == '[' && rest.z[rest.n - 1] == ']';
        Token bom = { t->z, 3, t->line, t->col };
        size_t k = 0;
        while (k < rest.n && (rest.z[k] == ' ' || rest.z[k] == '\t' || rest.z[k] == '\r')) {
            k++;
        }
        int harmless = k == rest.n || rest.z[k] == '#';   /* a comment or nothing: no loss */
        Diag *g = diag_add(m->diag, harmless ? DIAG_BOM_IGNORED : DIAG_BOM, model_loc(m, &bom),
                           "UTF-8 byte-order mark: Netdata does not strip it, so %s",
                           header ? "this line is not a section header and every key up to "
                                    "the next header is dropped"
                           : harmless ? "the first line is read as text outside any section "
                                        "(harmless here: it is a comment or blank)"
                                      : "the first line is not read as written");
        diag_fixit(m->diag, g, "", 0);
        return;
    }
    const char *lb = memchr(t->z, '[', t->n);
    if (t->n && t->z[0] == '[') {
        const char *rb = memchr(t->z, ']', t->n);
        Diag *g;
        if (rb) {
            Token tail = { rb + 1, (uint32_t)(t->z + t->n - rb - 1), t->line,
                           t->col + (uint32_t)(rb + 1 - t->z) };
            g = diag_add(m->diag, DIAG_BAD_HEADER, model_loc(m, &tail),
                         "text after ']' makes this line not a section header (there are no "
                         "inline comments); Netdata ignores it%s",
                         m->cur ? "" : " and drops the keys that follow");
            diag_fixit(m->diag, g, "", 0);
        } else {
            g = diag_add(m->diag, DIAG_BAD_HEADER, model_loc(m, t),
                         "section header without a closing ']'; Netdata ignores this line%s",
                         m->cur ? "" : " and drops the keys that follow");
            char *fix = arena_printf(m->arena, "%.*s]", (int)t->n, t->z);
            if (fix) {
                diag_fixit(m->diag, g, fix, strlen(fix));
            }
        }
        if (m->cur) {
            diag_note(m->diag, g, model_loc(m, &m->cur->name),
                      "keys that follow stay in the section opened here");
        }
        m->last_bad_header = *t;
        return;
    }
    (void)lb;
    if (!m->cur) {
        outside(m, t, "line");
        return;
    }
    if (t->z[0] == ';') {
        diag_add(m->diag, DIAG_SEMICOLON, model_loc(m, t),
                 "';' does not start a comment in Netdata's config files; use '#' (this line "
                 "has no '=', so Netdata ignores it)");
        return;
    }
    diag_add(m->diag, DIAG_NO_EQUALS, model_loc(m, t),
             "expected 'key = value', found '%.*s' without '='; Netdata ignores this line",
             (int)(t->n > 60 ? 60 : t->n), t->z);
}

void model_syntax_error(Model *m, const Token *tok, int code)
{
    if (!tok) {
        return;   /* parse failure after an error already reported */
    }
    diag_add(m->diag, DIAG_SYNTAX, model_loc(m, tok), "unexpected %s", lex_token_name(code));
}

/*
** test_model.c - cmocka tests for compiler/model.c through parse_source (compiler/parse.c):
** Netdata's merge rules (shared/spec config-semantics.md §1.5: a section seen again is merged
** into the first, a key seen again wins while keeping the first position), lines outside
** sections (§1.3), the diagnostics raised for each line shape, and linear behaviour on big
** files (open-addressing hash tables).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "model.h"
#include "parse.h"
#include "testutil.h"

static Arena arena;
static DiagSink sink;
static Source src;
static Model model;

static int setup(void **state)
{
    (void)state;
    arena_init(&arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&arena);
    return 0;
}

/* Parse N bytes of stream.conf text with a fresh sink; the model lives until teardown. */
static Model *parse_n(const char *text, size_t n)
{
    arena_free(&arena);
    arena_init(&arena);
    diag_init(&sink, &arena);
    assert_int_equal(source_from_mem(&src, &arena, "t.conf", text, n), 0);
    model_init(&model, &arena, &sink, &src, CONF_STREAM);
    assert_int_equal(parse_source(&model), 0);
    assert_int_equal(sink.oom, 0);
    return &model;
}

#define PARSE(lit) parse_n(lit, sizeof(lit) - 1)

static unsigned count(DiagCode code)
{
    unsigned k = 0;
    for (const Diag *g = sink.first; g; g = g->next) {
        k += g->code == code;
    }
    return k;
}

static const Diag *first_of(DiagCode code)
{
    for (const Diag *g = sink.first; g; g = g->next) {
        if (g->code == code) {
            return g;
        }
    }
    fail_msg("no diagnostic with code %d", (int)code);
    return NULL;
}

static void tok_is(const Token *t, const char *want)
{
    size_t n = strlen(want);
    if (t->n != n || memcmp(t->z, want, n) != 0) {
        fail_msg("token '%s', want '%s'", testutil_esc(t->z, t->n > 200 ? 200 : t->n),
                 testutil_esc(want, n));
    }
}

static void value_is(const Model *m, const char *sec, const char *key, const char *want)
{
    const Token *v = model_value(m, sec, key);
    if (!v) {
        fail_msg("[%s] %s is missing, want '%s'", testutil_esc(sec, strlen(sec)),
                 testutil_esc(key, strlen(key)), testutil_esc(want, strlen(want)));
    }
    tok_is(v, want);
}

static Section *section(const Model *m, const char *name)
{
    Section *s = model_find_section(m, name, strlen(name));
    if (!s) {
        fail_msg("no section [%s]", name);
    }
    return s;
}

static void test_duplicate_section_merges(void **state)
{
    (void)state;
    Model *m = PARSE("[a]\nx = 1\n[b]\ny = 2\n[a]\nz = 3\n");
    assert_int_equal(m->nsections, 2);
    Section *a = section(m, "a"), *b = section(m, "b");
    assert_ptr_equal(m->first, a);                 /* the first position is kept */
    assert_ptr_equal(a->next, b);
    assert_null(b->next);
    assert_int_equal(a->nentries, 2);
    tok_is(&a->first->key, "x");
    tok_is(&a->first->next->key, "z");             /* keys of the second [a] go to the first */
    assert_ptr_equal(a->first->next->sec, a);
    assert_ptr_equal(a->last, a->first->next);
    assert_int_equal(a->name.line, 1);
    assert_int_equal(a->reopened.line, 5);
    assert_int_equal(a->reopened.col, 2);
    tok_is(&a->reopened, "a");
    assert_int_equal(b->reopened.n, 0);
    assert_null(b->reopened.z);
    value_is(m, "a", "z", "3");
    assert_null(model_value(m, "b", "z"));
    assert_int_equal(count(DIAG_DUP_SECTION), 1);
    const Diag *g = first_of(DIAG_DUP_SECTION);
    assert_int_equal(g->at.line, 5);
    assert_non_null(g->notes);
    assert_int_equal(g->notes->at.line, 1);        /* "first opened here" */
    assert_int_equal(sink.nwarn, 1);
    assert_int_equal(sink.nerr, 0);

    /* a third header: reopened keeps the first reopening */
    m = PARSE("[a]\n[a]\n[a]\n");
    assert_int_equal(m->nsections, 1);
    assert_int_equal(section(m, "a")->reopened.line, 2);
    assert_int_equal(count(DIAG_DUP_SECTION), 2);
}

static void test_duplicate_key_last_wins(void **state)
{
    (void)state;
    Model *m = PARSE("[s]\nk = 1\nother = x\nk = 2\nk = 3\n");
    Section *s = section(m, "s");
    assert_int_equal(s->nentries, 4);              /* every entry is kept, in file order */
    Entry *first = s->first;
    tok_is(&first->key, "k");
    tok_is(&first->val, "1");
    assert_ptr_equal(first->first_dup, first);
    Entry *second = first->next->next, *third = second->next;
    assert_ptr_equal(second->first_dup, first);
    assert_ptr_equal(third->first_dup, first);
    assert_ptr_equal(first->winner, third);
    assert_ptr_equal(model_find_entry(m, s, "k", 1), first);   /* the first position */
    value_is(m, "s", "k", "3");
    value_is(m, "s", "other", "x");
    assert_int_equal(count(DIAG_DUP_KEY), 2);
    /* the note of the second duplicate names the value it replaces */
    const Diag *g = sink.first;
    while (g && !(g->code == DIAG_DUP_KEY && g->at.line == 5)) {
        g = g->next;
    }
    assert_non_null(g);
    assert_non_null(g->notes);
    assert_int_equal(g->notes->at.line, 4);
    assert_non_null(strstr(g->notes->msg, "'2'"));

    /* across merged sections (spec §1.5) */
    m = PARSE("[stream]\nenabled = yes\n[other]\nenabled = no\n[stream]\nenabled = second\n");
    value_is(m, "stream", "enabled", "second");
    value_is(m, "other", "enabled", "no");
    assert_int_equal(count(DIAG_DUP_KEY), 1);

    /* keys are case-sensitive and space-exact */
    m = PARSE("[s]\nKey = Upper\nkey = lower\nallow  from = 2\nallow from = 1\n");
    value_is(m, "s", "Key", "Upper");
    value_is(m, "s", "key", "lower");
    value_is(m, "s", "allow  from", "2");
    value_is(m, "s", "allow from", "1");
    assert_int_equal(count(DIAG_DUP_KEY), 0);
    assert_null(model_value(m, "S", "key"));
}

static void test_values(void **state)
{
    (void)state;
    Model *m = PARSE("[s]\n  destination   =   a b  \nempty =\nq = \"x y\"\nwin = a\r\n"
                     "i = yes # inline\n\tkey\tthree\t=\ttabbed\t\n");
    value_is(m, "s", "destination", "a b");
    value_is(m, "s", "empty", "");
    const Token *e = model_value(m, "s", "empty");
    assert_int_equal(e->col, 8);                   /* just after '=' */
    value_is(m, "s", "q", "\"x y\"");
    value_is(m, "s", "win", "a");
    value_is(m, "s", "i", "yes # inline");
    value_is(m, "s", "key\tthree", "tabbed");
    assert_null(model_value(m, "s", "missing"));
    assert_null(model_value(m, "missing", "q"));
    assert_int_equal(sink.n, 0);
}

static void test_outside_sections(void **state)
{
    (void)state;
    Model *m = PARSE("orphan = 1\n; x\n= v\nno equals\n# fine\n\n[s]\nk = v\n");
    assert_int_equal(m->nsections, 1);
    assert_int_equal(section(m, "s")->nentries, 1);
    assert_null(model_value(m, "", "orphan"));
    assert_int_equal(count(DIAG_OUTSIDE), 4);
    assert_int_equal(sink.n, 4);
    assert_int_equal(sink.nwarn, 4);
    assert_int_equal(first_of(DIAG_OUTSIDE)->at.line, 1);

    /* a broken header before any section: what follows stays outside */
    m = PARSE("[s] # c\nk = v\n");
    assert_int_equal(m->nsections, 0);
    assert_null(m->first);
    assert_int_equal(count(DIAG_BAD_HEADER), 1);
    assert_int_equal(count(DIAG_OUTSIDE), 1);
}

static void test_line_shapes(void **state)
{
    (void)state;
    Model *m = PARSE("[a]\nno equals here\n;foo\n= v\n# comment\n   \n; k = v\n");
    assert_int_equal(count(DIAG_NO_EQUALS), 1);
    assert_int_equal(count(DIAG_SEMICOLON), 1);
    assert_int_equal(count(DIAG_EMPTY_NAME), 1);
    assert_int_equal(count(DIAG_SYNTAX), 0);
    assert_int_equal(sink.n, 3);
    assert_int_equal(sink.nerr, 3);
    value_is(m, "a", "; k", "v");                  /* ';' is not a comment */
    assert_int_equal(first_of(DIAG_EMPTY_NAME)->at.col, 1);
    assert_int_equal(first_of(DIAG_EMPTY_NAME)->at.line, 4);

    /* "[b] # note" is not a header: the previous section stays current */
    m = PARSE("[a]\n[b] # note\nk = v\n");
    assert_int_equal(m->nsections, 1);
    value_is(m, "a", "k", "v");
    assert_int_equal(count(DIAG_BAD_HEADER), 1);
    const Diag *g = first_of(DIAG_BAD_HEADER);
    assert_int_equal(g->at.line, 2);
    assert_int_equal(g->at.col, 4);                /* the text after ']' */
    assert_int_equal(g->at.len, 7);
    assert_non_null(g->fixit);
    assert_string_equal(g->fixit, "");             /* delete it */
    assert_non_null(g->notes);
    assert_int_equal(g->notes->at.line, 1);

    /* "[b" has no closing bracket: the fix-it adds it */
    m = PARSE("[a]\n  [b\nk = v\n");
    value_is(m, "a", "k", "v");
    g = first_of(DIAG_BAD_HEADER);
    assert_string_equal(g->fixit, "[b]");
    assert_int_equal(g->at.col, 3);

    /* headers that are headers (§1.3) */
    m = PARSE("[a=b]\nk = 1\n[]\nk = 2\n[x]y]\nk = 3\n[ s ]\nk = 4\n");
    assert_int_equal(m->nsections, 4);
    value_is(m, "a=b", "k", "1");
    value_is(m, "", "k", "2");
    value_is(m, "x]y", "k", "3");
    value_is(m, " s ", "k", "4");
    assert_null(model_find_section(m, "s", 1));
    assert_int_equal(sink.n, 0);
}

static void test_bom(void **state)
{
    (void)state;
    Model *m = PARSE("\xEF\xBB\xBF[stream]\nenabled = yes\n[x]\nk = v\n");
    assert_int_equal(count(DIAG_BOM), 1);
    assert_int_equal(count(DIAG_OUTSIDE), 1);      /* enabled is dropped */
    assert_int_equal(m->nsections, 1);
    assert_null(model_find_section(m, "stream", 6));
    value_is(m, "x", "k", "v");
    const Diag *g = first_of(DIAG_BOM);
    assert_int_equal(g->at.col, 1);
    assert_int_equal(g->at.len, 3);
    assert_non_null(strstr(g->msg, "not a section header"));
}

static void test_reader_notes(void **state)
{
    (void)state;
    /* spec §1.2: "j = " + 8187 'b' + "x = y" gives key j (8187 b's) and key x */
    size_t n = 4 + 4 + 8187 + 6;
    char *p = malloc(n);
    assert_non_null(p);
    memcpy(p, "[s]\n", 4);
    memcpy(p + 4, "j = ", 4);
    memset(p + 8, 'b', 8187);
    memcpy(p + 8 + 8187, "x = y\n", 6);
    Model *m = parse_n(p, n);
    const Token *j = model_value(m, "s", "j");
    assert_non_null(j);
    assert_int_equal(j->n, 8187);
    value_is(m, "s", "x", "y");
    assert_int_equal(model_find_entry(m, section(m, "s"), "x", 1)->key.col, 8192);
    assert_int_equal(model_value(m, "s", "x")->col, 8196);
    assert_int_equal(count(DIAG_LONG_LINE), 1);
    assert_int_equal(first_of(DIAG_LONG_LINE)->at.col, 8192);
    free(p);

    /* a 20000-byte line: one long-line note, not one per cut */
    n = 4 + 20000 + 1;
    p = malloc(n);
    assert_non_null(p);
    memcpy(p, "[s]\n", 4);
    memset(p + 4, 'c', 20000);
    p[n - 1] = '\n';
    parse_n(p, n);
    assert_int_equal(count(DIAG_LONG_LINE), 1);
    assert_int_equal(count(DIAG_NO_EQUALS), 3);    /* three logical lines without '=' */
    free(p);

    m = PARSE("[s]\nk = v\0junk = 1\nz = \xff\xfe\n");
    value_is(m, "s", "k", "v");
    assert_null(model_value(m, "s", "junk = 1"));
    assert_int_equal(count(DIAG_NUL), 1);
    assert_int_equal(first_of(DIAG_NUL)->at.col, 6);
    assert_int_equal(count(DIAG_UTF8), 1);
    assert_int_equal(first_of(DIAG_UTF8)->at.col, 5);
    assert_int_equal(first_of(DIAG_UTF8)->sev, SEV_WARNING);

    PARSE("[s]\nk = caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\n");
    assert_int_equal(count(DIAG_UTF8), 0);
    PARSE("[s]\nk = \xed\xa0\x80\n");             /* a UTF-16 surrogate is not UTF-8 */
    assert_int_equal(count(DIAG_UTF8), 1);
    PARSE("[s]\nk = \xc0\xaf\n");                  /* overlong */
    assert_int_equal(count(DIAG_UTF8), 1);
    PARSE("[s]\nk = \xe2\x82\n");                  /* truncated at the end of the line */
    assert_int_equal(count(DIAG_UTF8), 1);
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_100000_keys_is_fast(void **state)
{
    (void)state;
    size_t cap = 100000 * 24 + 16, n = 0;
    char *p = malloc(cap);
    assert_non_null(p);
    n += (size_t)sprintf(p + n, "[s]\n");
    for (int i = 0; i < 100000; i++) {
        n += (size_t)sprintf(p + n, "key%d = %d\n", i, i);
    }
    double t0 = now();
    Model *m = parse_n(p, n);
    double dt = now() - t0;
    Section *s = section(m, "s");
    assert_int_equal(s->nentries, 100000);
    assert_int_equal(sink.n, 0);
    value_is(m, "s", "key0", "0");
    value_is(m, "s", "key99999", "99999");
    value_is(m, "s", "key31337", "31337");
    assert_null(model_value(m, "s", "key100000"));
    if (dt > 0.5) {
        fail_msg("100,000 keys took %.3f s", dt);
    }

    /* 20,000 sections of 5 keys, every section opened twice */
    n = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 20000; i++) {
            n += (size_t)sprintf(p + n, "[sec%d]\nk%d = %d\n", i, pass, pass);
        }
    }
    t0 = now();
    m = parse_n(p, n);
    dt = now() - t0;
    assert_int_equal(m->nsections, 20000);
    assert_int_equal(count(DIAG_DUP_SECTION), 20000);
    value_is(m, "sec19999", "k1", "1");
    value_is(m, "sec0", "k0", "0");
    if (dt > 0.5) {
        fail_msg("20,000 sections opened twice took %.3f s", dt);
    }

    /* one key set 100,000 times: O(1) per duplicate */
    n = (size_t)sprintf(p, "[s]\n");
    for (int i = 0; i < 100000; i++) {
        n += (size_t)sprintf(p + n, "k = %d\n", i);
    }
    t0 = now();
    m = parse_n(p, n);
    dt = now() - t0;
    value_is(m, "s", "k", "99999");
    assert_int_equal(count(DIAG_DUP_KEY), 99999);
    if (dt > 0.5) {
        fail_msg("100,000 duplicates took %.3f s", dt);
    }
    free(p);
}

/* Lookups take (pointer, length): bytes after n do not count. */
static void test_lookups_are_length_bounded(void **state)
{
    (void)state;
    Model *m = PARSE("[stream]\nenabled = yes\n[stream2]\nenabled = no\n");
    Section *s = model_find_section(m, "stream2", 6);
    assert_non_null(s);
    tok_is(&s->name, "stream");
    Entry *e = model_find_entry(m, s, "enabledXYZ", 7);
    assert_non_null(e);
    tok_is(&e->val, "yes");
    assert_null(model_find_entry(m, s, "enable", 6));
    assert_null(model_find_entry(m, NULL, "enabled", 7));
    assert_null(model_find_section(m, "strea", 5));

    /* an empty model */
    m = PARSE("");
    assert_null(model_find_section(m, "stream", 6));
    assert_null(model_value(m, "stream", "enabled"));
    assert_int_equal(sink.n, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplicate_section_merges),
        cmocka_unit_test(test_duplicate_key_last_wins),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_outside_sections),
        cmocka_unit_test(test_line_shapes),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_reader_notes),
        cmocka_unit_test(test_100000_keys_is_fast),
        cmocka_unit_test(test_lookups_are_length_bounded),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

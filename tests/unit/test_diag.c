/*
** test_diag.c - cmocka tests for compiler/diag.c, the sink: counts, -Werror, the --max-errors
** cap, notes, fix-its, exit status, and the code table (with the format names diag_render.h
** accepts). How the records are rendered as text, JSON and SARIF: test_diag_render.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "diag_render.h"
#include "source.h"

static Arena arena;
static DiagSink sink;
static Source src;

static int setup(void **state)
{
    (void)state;
    arena_init(&arena);
    diag_init(&sink, &arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&arena);
    return 0;
}

static void set_source(const char *path, const char *text)
{
    assert_int_equal(source_from_mem(&src, &arena, path, text, strlen(text)), 0);
}

static DiagLoc at(uint32_t line, uint32_t col, uint32_t len)
{
    DiagLoc l = { &src, line, col, len };
    return l;
}

static const DiagLoc NOWHERE = { NULL, 0, 0, 0 };

/* ---- the sink -------------------------------------------------------------------------------- */

static void test_codes_table(void **state)
{
    (void)state;
    for (int i = 0; i < DIAG__COUNT; i++) {
        assert_non_null(diag_slug[i]);
        assert_non_null(diag_rule_text[i]);
        assert_true(diag_slug[i][0] && diag_rule_text[i][0]);
        assert_true(diag_default_sev[i] <= SEV_ERROR);
        for (const char *p = diag_slug[i]; *p; p++) {
            assert_true((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-');
        }
        for (int j = 0; j < i; j++) {
            if (strcmp(diag_slug[i], diag_slug[j]) == 0) {
                fail_msg("codes %d and %d share the slug '%s'", j, i, diag_slug[i]);
            }
        }
    }
    assert_int_equal(diag_default_sev[DIAG_NOTE], SEV_NOTE);
    assert_int_equal(diag_default_sev[DIAG_TOO_MANY], SEV_ERROR);
    assert_string_equal(diag_sev_name(SEV_ERROR), "error");
    assert_string_equal(diag_sev_name(SEV_WARNING), "warning");
    assert_string_equal(diag_sev_name(SEV_NOTE), "note");
    assert_int_equal(render_format_from_name("text"), RENDER_TEXT);
    assert_int_equal(render_format_from_name("json"), RENDER_JSON);
    assert_int_equal(render_format_from_name("sarif"), RENDER_SARIF);
    assert_int_equal(render_format_from_name("JSON"), -1);
    assert_int_equal(render_format_from_name(""), -1);
}

static void test_counts_and_records(void **state)
{
    (void)state;
    set_source("t.conf", "a\nb\nc\n");
    assert_int_equal(diag_exit_status(&sink), 0);
    Diag *e1 = diag_add(&sink, DIAG_BAD_VALUE, at(1, 1, 0), "bad %d", 1);
    Diag *w1 = diag_add(&sink, DIAG_DUP_KEY, at(2, 1, 3), "dup");
    assert_int_equal(diag_exit_status(&sink), 1);
    Diag *n1 = diag_add(&sink, DIAG_NOTE, at(3, 1, 1), "a note");
    Diag *e2 = diag_add(&sink, DIAG_IO, NOWHERE, "io %s", "x");
    assert_true(e1 && w1 && n1 && e2);
    assert_true(sink.n == 4 && sink.nerr == 2 && sink.nwarn == 1);
    assert_true(e1->sev == SEV_ERROR && w1->sev == SEV_WARNING && n1->sev == SEV_NOTE);
    assert_string_equal(e1->msg, "bad 1");
    assert_int_equal(e1->at.len, 1);               /* a zero-length span shows one column */
    assert_int_equal(w1->at.len, 3);
    assert_true(e1->seq == 0 && e2->seq == 3);     /* emission order */
    assert_true(sink.first == e1 && e1->next == w1 && sink.last == e2 && !e2->next);
    assert_true(!e1->fixit && !e1->notes);
}

static void test_warnings_only_and_werror(void **state)
{
    (void)state;
    diag_add(&sink, DIAG_DUP_KEY, NOWHERE, "w");
    diag_add(&sink, DIAG_UTF8, NOWHERE, "w");
    assert_int_equal(sink.nwarn, 2);
    assert_int_equal(sink.nerr, 0);
    assert_int_equal(diag_exit_status(&sink), 0);

    DiagSink w;
    diag_init(&w, &arena);
    w.werror = 1;
    Diag *g = diag_add(&w, DIAG_DUP_KEY, NOWHERE, "promoted");
    assert_int_equal(g->sev, SEV_ERROR);
    assert_int_equal(g->code, DIAG_DUP_KEY);       /* same code, higher severity */
    Diag *nt = diag_add(&w, DIAG_NOTE, NOWHERE, "still a note");
    assert_int_equal(nt->sev, SEV_NOTE);
    assert_int_equal(w.nerr, 1);
    assert_int_equal(w.nwarn, 0);
    assert_int_equal(diag_exit_status(&w), 1);

    DiagSink o;
    diag_init(&o, &arena);
    o.oom = 1;
    assert_int_equal(diag_exit_status(&o), 1);     /* missing findings never pass */
}

static void test_max_errors_cap(void **state)
{
    (void)state;
    sink.max_errors = 3;
    diag_add(&sink, DIAG_DUP_KEY, NOWHERE, "warnings do not count");
    for (int i = 0; i < 3; i++) {
        assert_non_null(diag_add(&sink, DIAG_BAD_VALUE, NOWHERE, "e%d", i));
    }
    assert_int_equal(sink.stopped, 0);
    assert_null(diag_add(&sink, DIAG_BAD_VALUE, NOWHERE, "e3"));
    assert_int_equal(sink.stopped, 1);
    assert_null(diag_add(&sink, DIAG_BAD_VALUE, NOWHERE, "e4"));
    assert_null(diag_add(&sink, DIAG_DUP_KEY, NOWHERE, "a warning after the stop"));
    assert_null(diag_add(&sink, DIAG_NOTE, NOWHERE, "a note after the stop"));
    assert_int_equal(sink.nerr, 3);
    assert_int_equal(sink.nwarn, 1);
    assert_int_equal(sink.n, 5);                   /* 1 + 3 + exactly one too-many record */
    assert_int_equal(sink.last->code, DIAG_TOO_MANY);
    assert_non_null(strstr(sink.last->msg, "3"));
    assert_int_equal(diag_exit_status(&sink), 1);

    /* with -Werror, warnings count towards the cap */
    DiagSink w;
    diag_init(&w, &arena);
    w.werror = 1;
    w.max_errors = 2;
    assert_non_null(diag_add(&w, DIAG_DUP_KEY, NOWHERE, "w0"));
    assert_non_null(diag_add(&w, DIAG_UTF8, NOWHERE, "w1"));
    assert_null(diag_add(&w, DIAG_DUP_KEY, NOWHERE, "w2"));
    assert_int_equal(w.n, 3);
    assert_int_equal(w.last->code, DIAG_TOO_MANY);
}

static void test_notes_and_fixits(void **state)
{
    (void)state;
    set_source("t.conf", "a\nb\nc\n");
    Diag *g = diag_add(&sink, DIAG_DUP_KEY, at(3, 1, 1), "dup");
    diag_note(&sink, g, at(1, 1, 0), "first %s", "here");
    diag_note(&sink, g, at(2, 1, 2), "second");
    assert_non_null(g->notes);
    assert_string_equal(g->notes->msg, "first here");
    assert_int_equal(g->notes->at.len, 1);
    assert_string_equal(g->notes->next->msg, "second");
    assert_ptr_equal(g->last_note, g->notes->next);
    assert_null(g->notes->next->next);
    assert_int_equal(sink.n, 1);                   /* notes are not records of their own */
    assert_int_equal(sink.nwarn, 1);
    diag_note(&sink, NULL, at(1, 1, 1), "dropped");   /* on a dropped record: no-op */
    diag_fixit(&sink, NULL, "x", 1);

    char fix[] = "yes-and-more";
    diag_fixit(&sink, g, fix, 3);
    fix[0] = 'N';                                  /* a copy, cut at n */
    assert_string_equal(g->fixit, "yes");
    diag_fixit(&sink, g, "", 0);
    assert_non_null(g->fixit);
    assert_string_equal(g->fixit, "");             /* empty = delete the span */
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_codes_table),
        T(test_counts_and_records),
        T(test_warnings_only_and_werror),
        T(test_max_errors_cap),
        T(test_notes_and_fixits),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

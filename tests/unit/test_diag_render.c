/*
** test_diag_render.c - cmocka tests for compiler/diag_render.c: exact text with source line,
** caret and fix-it; JSON escaping; SARIF columns in code points; output order; the render-time
** error cap. JSON and SARIF output is checked with a small JSON parser and a strict UTF-8
** validator, since both formats promise UTF-8 JSON to their consumers. The sink the records
** come from (compiler/diag.c): test_diag.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "diag_render.h"
#include "source.h"
#include "testutil.h"

static Arena arena;
static DiagSink sink;
static Source src;
static char *out;
static size_t out_n;

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
    free(out);
    out = NULL;
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

/* Render the sink into `out` (all of begin, sink, end). */
static void render(RenderFormat format, int quiet, unsigned max_errors)
{
    free(out);
    out = NULL;
    FILE *f = open_memstream(&out, &out_n);
    assert_non_null(f);
    Render r;
    render_begin(&r, f, format);
    r.quiet = quiet;
    r.max_errors = max_errors;
    render_sink(&r, &sink);
    render_end(&r);
    assert_int_equal(fclose(f), 0);
    if (!max_errors && format == RENDER_TEXT) {
        /* the summary agrees with the sink's own counts */
        if (r.nerr != sink.nerr || r.nwarn != sink.nwarn) {
            fail_msg("rendered %lu errors and %lu warnings; the sink counted %u and %u",
                     r.nerr, r.nwarn, sink.nerr, sink.nwarn);
        }
    }
}

static void out_is(const char *want)
{
    if (strcmp(out, want) != 0) {
        fail_msg("output:\n%s\nwant:\n%s", testutil_esc(out, out_n),
                 testutil_esc(want, strlen(want)));
    }
}

static void out_has(const char *part)
{
    if (!strstr(out, part)) {
        fail_msg("output lacks '%s':\n%s", testutil_esc(part, strlen(part)),
                 testutil_esc(out, out_n));
    }
}

/* ---- a strict UTF-8 check and a small JSON syntax check ------------------------------------- */

static long bad_utf8(const unsigned char *z, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned c = z[i];
        size_t len = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        unsigned lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
        unsigned hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
        if (!len || i + len > n || (len > 1 && (z[i + 1] < lo || z[i + 1] > hi))) {
            return (long)i;
        }
        for (size_t k = 2; k < len; k++) {
            if ((z[i + k] & 0xC0) != 0x80) {
                return (long)i;
            }
        }
        i += len;
    }
    return -1;
}

static const char *jvalue(const char *p, int depth);

static const char *jws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
        p++;
    }
    return p;
}

static const char *jstring(const char *p)
{
    if (*p++ != '"') {
        return NULL;
    }
    while (*p != '"') {
        unsigned char c = (unsigned char)*p;
        if (c < 0x20) {
            return NULL;   /* raw control characters (and the end of input) are not allowed */
        }
        if (c == '\\') {
            p++;
            if (*p == 'u' && strspn(p + 1, "0123456789abcdefABCDEF") >= 4) {
                p += 5;
            } else if (*p && strchr("\"\\/bfnrt", *p)) {
                p++;
            } else {
                return NULL;
            }
        } else {
            p++;
        }
    }
    return p + 1;
}

static const char *jlist(const char *p, int depth, char close, int object)
{
    p = jws(p + 1);
    if (*p == close) {
        return p + 1;
    }
    for (;;) {
        if (object) {
            p = jstring(jws(p));
            if (!p || *(p = jws(p)) != ':') {
                return NULL;
            }
            p++;
        }
        p = jvalue(p, depth + 1);
        if (!p) {
            return NULL;
        }
        p = jws(p);
        if (*p == close) {
            return p + 1;
        }
        if (*p++ != ',') {
            return NULL;
        }
    }
}

static const char *jvalue(const char *p, int depth)
{
    p = jws(p);
    if (depth > 64) {
        return NULL;
    }
    if (*p == '{' || *p == '[') {
        return jlist(p, depth, *p == '{' ? '}' : ']', *p == '{');
    }
    if (*p == '"') {
        return jstring(p);
    }
    const char *s = p;
    p += *p == '-';
    while (*p >= '0' && *p <= '9') {
        p++;
    }
    return p > s && p[-1] != '-' ? p : NULL;   /* no true/false/null in our output */
}

static void out_is_json(void)
{
    long bad = bad_utf8((const unsigned char *)out, out_n);
    if (bad >= 0) {
        fail_msg("output is not UTF-8 at byte %ld (0x%02x):\n%s", bad,
                 (unsigned char)out[bad], testutil_esc(out, out_n));
    }
    const char *end = jvalue(out, 0);
    if (!end || *jws(end) != 0) {
        fail_msg("output is not one JSON document (stops at offset %ld):\n%s",
                 end ? (long)(end - out) : -1L, testutil_esc(out, out_n));
    }
}

/* ---- text ------------------------------------------------------------------------------------ */

static void test_text_caret_under_tab_indented_token(void **state)
{
    (void)state;
    set_source("t.conf", "[stream]\n\tenabled = 1\n");
    Diag *g = diag_add(&sink, DIAG_BAD_VALUE, at(2, 12, 1), "invalid value '%s'", "1");
    diag_fixit(&sink, g, "yes", 3);
    diag_add(&sink, DIAG_UNKNOWN_KEY, at(2, 2, 7), "unknown key");
    render(RENDER_TEXT, 0, 0);
    out_is("t.conf:2:2: error: unknown key [unknown-key]\n"
           "    2 | \tenabled = 1\n"
           "      | \t^~~~~~~\n"
           "t.conf:2:12: error: invalid value '1' [bad-value]\n"
           "    2 | \tenabled = 1\n"
           "      | \t          ^\n"
           "      | \t          yes\n"
           "2 errors, 0 warnings\n");
}

static void test_text_multibyte_and_bad_bytes(void **state)
{
    (void)state;
    set_source("t.conf", "caf\xc3\xa9 = \xe2\x82\xac x\nk = \xff\xfe\n");
    diag_add(&sink, DIAG_BAD_VALUE, at(1, 9, 3), "euro");
    diag_add(&sink, DIAG_DUP_KEY, at(1, 4, 8), "span");
    diag_add(&sink, DIAG_UTF8, at(2, 5, 2), "bytes");
    render(RENDER_TEXT, 0, 0);
    out_is("t.conf:1:4: warning: span [duplicate-key]\n"
           "    1 | caf\xc3\xa9 = \xe2\x82\xac x\n"
           "      |    ^~~~~\n"
           "t.conf:1:9: error: euro [bad-value]\n"
           "    1 | caf\xc3\xa9 = \xe2\x82\xac x\n"
           "      |        ^\n"
           "t.conf:2:5: warning: bytes [invalid-utf8]\n"
           "    2 | k = ??\n"
           "      |     ^~\n"
           "1 error, 2 warnings\n");
}

static void test_text_order_notes_quiet(void **state)
{
    (void)state;
    Source other;
    assert_int_equal(source_from_mem(&other, &arena, "b.conf", "x\n", 2), 0);
    set_source("a.conf", "1\n2\n3\n");
    DiagLoc ob = { &other, 1, 1, 1 };
    diag_add(&sink, DIAG_BAD_VALUE, ob, "b first seen");
    diag_add(&sink, DIAG_BAD_VALUE, at(3, 1, 1), "a line 3");
    Diag *g = diag_add(&sink, DIAG_DUP_KEY, at(2, 1, 1), "a line 2");
    diag_note(&sink, g, at(1, 1, 1), "its note");
    diag_add(&sink, DIAG_IO, NOWHERE, "no place");
    render(RENDER_TEXT, 1, 0);
    out_is("streamc: error: no place [io]\n"
           "b.conf:1:1: error: b first seen [bad-value]\n"
           "a.conf:2:1: warning: a line 2 [duplicate-key]\n"
           "a.conf:1:1: note: its note\n"
           "a.conf:3:1: error: a line 3 [bad-value]\n"
           "3 errors, 1 warning\n");
}

static void test_text_sink_cap_record_last(void **state)
{
    (void)state;
    set_source("t.conf", "1\n2\n3\n4\n");
    sink.max_errors = 2;
    diag_add(&sink, DIAG_BAD_VALUE, at(4, 1, 1), "e4");
    diag_add(&sink, DIAG_BAD_VALUE, at(1, 1, 1), "e1");
    diag_add(&sink, DIAG_BAD_VALUE, at(2, 1, 1), "e2");
    render(RENDER_TEXT, 1, 0);
    out_is("t.conf:1:1: error: e1 [bad-value]\n"
           "t.conf:4:1: error: e4 [bad-value]\n"
           "streamc: error: too many errors (2), stopping now [too-many-errors]\n"
           "2 errors, 0 warnings\n");
}

static void test_text_render_cap_in_output_order(void **state)
{
    (void)state;
    set_source("t.conf", "1\n2\n3\n4\n5\n");
    for (uint32_t line = 5; line >= 1; line--) {
        diag_add(&sink, DIAG_BAD_VALUE, at(line, 5, 1), "e%u", line);
    }
    diag_add(&sink, DIAG_DUP_KEY, at(3, 1, 1), "w3");
    render(RENDER_TEXT, 1, 2);
    out_is("t.conf:1:5: error: e1 [bad-value]\n"
           "t.conf:2:5: error: e2 [bad-value]\n"
           "t.conf:3:1: warning: w3 [duplicate-key]\n"
           "streamc: error: too many errors (--max-errors=2), stopping now [too-many-errors]\n"
           "2 errors, 1 warning\n");
}

static void test_text_clean_and_oom(void **state)
{
    (void)state;
    render(RENDER_TEXT, 0, 0);
    out_is("");                                    /* nothing at all for a clean run */
    sink.oom = 1;
    render(RENDER_TEXT, 0, 0);
    out_has("out of memory");
}

/* ---- JSON and SARIF -------------------------------------------------------------------------- */

static void test_json_escaping(void **state)
{
    (void)state;
    diag_add(&sink, DIAG_BAD_VALUE, NOWHERE, "%s",
             "say \"hi\" \\ back\x01\x1f\x7f\t\n\xff|caf\xc3\xa9 \xe2\x82\xac "
             "\xf0\x9f\x98\x80|\xe2\x82");
    render(RENDER_JSON, 0, 0);
    out_has("\"message\":\"say \\\"hi\\\" \\\\ back\\u0001\\u001f\\u007f\\u0009\\u000a\\ufffd"
            "|caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80|\\ufffd\\ufffd\"");
    out_has("\"errors\":1,\"warnings\":0");
    out_is_json();
}

/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF are not UTF-8 either. */
static void test_json_rejects_every_invalid_utf8(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\xc0\xaf", "\xc1\xbf", "\xe0\x80\xaf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf",
        "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
        "\xf8\x88\x80\x80\x80", "\xfe", "\x80", "\xbf\xbf",
    };
    char failed[256] = "";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        diag_init(&sink, &arena);
        diag_add(&sink, DIAG_BAD_VALUE, NOWHERE, "value '%s'", bad[i]);
        render(RENDER_JSON, 0, 0);
        if (bad_utf8((const unsigned char *)out, out_n) < 0 && strstr(out, "\\ufffd")) {
            out_is_json();
            continue;
        }
        size_t k = strlen(failed);
        for (const char *b = bad[i]; *b && k + 8 < sizeof failed; b++) {
            k += (size_t)snprintf(failed + k, sizeof failed - k, "%s\\x%02x",
                                  b == bad[i] ? " " : "", (unsigned char)*b);
        }
    }
    if (failed[0]) {
        fail_msg("invalid UTF-8 copied into JSON unescaped:%s", failed);
    }
}

static uint32_t rng = 2024u;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* Any message bytes, any file name: JSON and SARIF stay valid UTF-8 JSON. */
static void test_json_sarif_random_bytes(void **state)
{
    (void)state;
    for (int iter = 0; iter < 300; iter++) {
        char msg[48];
        size_t n = 1 + next_rand() % 40;
        for (size_t i = 0; i < n; i++) {
            msg[i] = (char)(1 + next_rand() % 255);
        }
        msg[n] = 0;
        diag_init(&sink, &arena);
        set_source(msg, msg);   /* the bytes as file name, text, message, fix-it and note */
        Diag *g = diag_add(&sink, DIAG_BAD_VALUE, at(1, 1, (uint32_t)n), "%s", msg);
        diag_fixit(&sink, g, msg, n);
        diag_note(&sink, g, at(1, 1, 1), "%s", msg);
        render(RENDER_JSON, 0, 0);
        out_is_json();
        render(RENDER_SARIF, 0, 0);
        out_is_json();
    }
}

static void test_json_fields(void **state)
{
    (void)state;
    set_source("dir/t \"x\".conf", "k = v\n");
    Diag *g = diag_add(&sink, DIAG_DUP_KEY, at(1, 5, 1), "dup");
    diag_fixit(&sink, g, "w", 1);
    diag_note(&sink, g, at(1, 1, 1), "first");
    diag_add(&sink, DIAG_IO, NOWHERE, "io");
    render(RENDER_JSON, 0, 0);
    out_is_json();
    out_has("{\"severity\":\"error\",\"code\":\"io\",\"message\":\"io\"}");
    out_has("{\"file\":\"dir/t \\\"x\\\".conf\",\"line\":1,\"column\":5,\"endColumn\":6,"
            "\"severity\":\"warning\",\"code\":\"duplicate-key\",\"message\":\"dup\","
            "\"fixit\":\"w\",\"notes\":[{\"file\":\"dir/t \\\"x\\\".conf\",\"line\":1,"
            "\"column\":1,\"message\":\"first\"}]}");
    out_has("\"errors\":1,\"warnings\":1}");

    diag_init(&sink, &arena);                      /* an empty document is valid too */
    render(RENDER_JSON, 0, 0);
    out_is_json();
    render(RENDER_SARIF, 0, 0);
    out_is_json();
}

static void test_sarif_columns_in_code_points(void **state)
{
    (void)state;
    /* 日本 = yes: 'yes' is at byte column 10, code point column 6 */
    set_source("t.conf", "\xe6\x97\xa5\xe6\x9c\xac = yes\n\xf0\x9f\x98\x80k = v\n");
    Diag *g = diag_add(&sink, DIAG_BAD_VALUE, at(1, 10, 3), "bad");
    diag_fixit(&sink, g, "no", 2);
    diag_note(&sink, g, at(2, 5, 1), "emoji first");
    render(RENDER_SARIF, 0, 0);
    out_is_json();
    out_has("\"region\":{\"startLine\":1,\"startColumn\":6,\"endColumn\":9}");
    out_has("\"region\":{\"startLine\":2,\"startColumn\":2,\"endColumn\":3}");
    out_has("\"deletedRegion\":{\"startLine\":1,\"startColumn\":6,\"endColumn\":9}");
    out_has("\"ruleId\":\"bad-value\"");
    out_has("\"columnKind\":\"unicodeCodePoints\"");
    out_has("\"relatedLocations\":[{\"id\":1,\"message\":{\"text\":\"emoji first\"},"
            "\"physicalLocation\":");
    render(RENDER_JSON, 0, 0);                     /* JSON keeps byte columns */
    out_has("\"line\":1,\"column\":10,\"endColumn\":13");
}

static void test_sarif_rules_and_cap(void **state)
{
    (void)state;
    set_source("t.conf", "1\n2\n3\n");
    for (uint32_t i = 1; i <= 3; i++) {
        diag_add(&sink, DIAG_BAD_VALUE, at(i, 1, 1), "e");
    }
    render(RENDER_SARIF, 0, 2);
    out_is_json();
    for (int i = 0; i < DIAG__COUNT; i++) {
        char rule[64];
        snprintf(rule, sizeof rule, "{\"id\":\"%s\",", diag_slug[i]);
        out_has(rule);
    }
    /* SARIF carries every result, whatever --max-errors says */
    int results = 0;
    for (const char *p = out; (p = strstr(p, "\"ruleId\":\"bad-value\"")); p++) {
        results++;
    }
    assert_int_equal(results, 3);
    assert_null(strstr(out, "\"ruleId\":\"too-many-errors\""));
    render(RENDER_JSON, 0, 2);
    out_is_json();
    out_has("\"code\":\"too-many-errors\"");
    out_has("\"errors\":2,");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_text_caret_under_tab_indented_token),
        T(test_text_multibyte_and_bad_bytes),
        T(test_text_order_notes_quiet),
        T(test_text_sink_cap_record_last),
        T(test_text_render_cap_in_output_order),
        T(test_text_clean_and_oom),
        T(test_json_escaping),
        T(test_json_rejects_every_invalid_utf8),
        T(test_json_sarif_random_bytes),
        T(test_json_fields),
        T(test_sarif_columns_in_code_points),
        T(test_sarif_rules_and_cap),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}

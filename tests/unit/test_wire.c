/*
** test_wire.c - cmocka tests for runtime/wire.c against shared/spec/stream-protocol.md §3.1 and
** 1.37.1's receiver_next_line() / quoted_strings_splitter(): framing that does not depend on how
** bytes were split across reads, CRLF, the 15359-byte line limit and the cut at 15360 bytes,
** NUL bytes, pending partial lines; word splitting with '=' separators, quotes, backslashes and
** the 20-word cap; the raw keyword; numbers read as 1.37.1's str2* helpers read them.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "wire.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_LINES 64

typedef struct Lines {
    char *text[MAX_LINES];
    size_t len[MAX_LINES];
    int cut[MAX_LINES];
    size_t n;
} Lines;

static void lines_free(Lines *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->text[i]);
    }
    l->n = 0;
}

static void drain(WireReader *r, Lines *out)
{
    char *line;
    size_t len;
    int cut;
    while ((line = wire_reader_next(r, &len, &cut))) {
        assert_true(out->n < MAX_LINES);
        assert_true(len <= WIRE_MAX_LINE);
        assert_int_equal(line[len], '\0');
        assert_int_equal(cut, len == WIRE_MAX_LINE);
        out->text[out->n] = testutil_dup_exact(line, len + 1);
        out->len[out->n] = len;
        out->cut[out->n] = cut;
        out->n++;
    }
}

/* Feed DATA in chunks of the given sizes (cycled; 0 = as much as fits), draining after each. */
static void feed(WireReader *r, const char *data, size_t n, const size_t *sizes, size_t nsizes,
                 Lines *out)
{
    size_t off = 0, k = 0;
    while (off < n) {
        size_t room;
        char *p = wire_reader_space(r, &room);
        assert_non_null(p);
        assert_true(room > 0);          /* drained: no line pending, so there is room */
        size_t want = sizes[k++ % nsizes];
        if (want == 0 || want > room) {
            want = room;
        }
        if (want > n - off) {
            want = n - off;
        }
        memcpy(p, data + off, want);
        wire_reader_commit(r, want);
        off += want;
        drain(r, out);
    }
}

static void read_all(const char *data, size_t n, const size_t *sizes, size_t nsizes, Lines *out)
{
    WireReader r;
    assert_int_equal(wire_reader_init(&r), 0);
    feed(&r, data, n, sizes, nsizes, out);
    wire_reader_free(&r);
}

static void assert_same(const Lines *a, const Lines *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->len[i], b->len[i]);
        assert_int_equal(a->cut[i], b->cut[i]);
        assert_memory_equal(a->text[i], b->text[i], a->len[i]);
    }
}

static const char session[] =
    "VARIABLE HOST active_processors = 4.0000000\n"
    "CHART \"system.uptime\" \"\" \"System Uptime\" \"seconds\" \"uptime\" \"system.uptime\" "
    "\"line\" 1000 1 \"   \" \"proc.plugin\" \"/proc/uptime\"\n"
    "DIMENSION \"uptime\" \"uptime\" \"absolute\" 1 1000 \"  \"\n"
    "BEGIN \"system.uptime\" 0\n"
    "SET \"uptime\" = 726186\n"
    "END\n"
    "\n"
    "SET x=5\r\n"
    "tail without newline";

static void test_every_split_point(void **state)
{
    (void)state;
    size_t n = sizeof(session) - 1;
    Lines ref = {0};
    size_t whole[] = {0};
    read_all(session, n, whole, 1, &ref);
    assert_int_equal(ref.n, 8);
    assert_string_equal(ref.text[0], "VARIABLE HOST active_processors = 4.0000000");
    assert_string_equal(ref.text[5], "END");
    assert_int_equal(ref.len[6], 0);
    assert_string_equal(ref.text[7], "SET x=5\r");
    for (size_t k = 1; k < n; k++) {
        Lines got = {0};
        size_t sizes[] = {k, 0};
        read_all(session, n, sizes, 2, &got);
        assert_same(&ref, &got);
        lines_free(&got);
    }
    size_t patterns[][4] = {{1}, {2, 3}, {7, 1, 13}, {64, 5, 1, 300}};
    for (size_t i = 0; i < LEN(patterns); i++) {
        Lines got = {0};
        size_t np = 0;
        while (np < 4 && patterns[i][np]) {
            np++;
        }
        read_all(session, n, patterns[i], np, &got);
        assert_same(&ref, &got);
        lines_free(&got);
    }
    lines_free(&ref);
}

static void test_pending_at_eof(void **state)
{
    (void)state;
    WireReader r;
    Lines got = {0};
    size_t whole[] = {0};
    assert_int_equal(wire_reader_init(&r), 0);
    feed(&r, "END\nBEGIN \"a.b\"", 15, whole, 1, &got);
    assert_int_equal(got.n, 1);
    assert_int_equal(wire_reader_pending(&r), 11);
    size_t len;
    int cut = 7;
    assert_null(wire_reader_next(&r, &len, &cut));
    assert_int_equal(len, 0);
    assert_int_equal(cut, 0);
    feed(&r, " 0\n", 3, whole, 1, &got);
    assert_int_equal(got.n, 2);
    assert_string_equal(got.text[1], "BEGIN \"a.b\" 0");
    assert_int_equal(wire_reader_pending(&r), 0);
    lines_free(&got);
    wire_reader_free(&r);
    wire_reader_free(&r);           /* a freed reader is zeroed: freeing again is a no-op */
}

static void test_crlf_and_nul(void **state)
{
    (void)state;
    static const char data[] = "SET \"a\" = 1\r\nSET b\0c 2\n";
    Lines got = {0};
    size_t whole[] = {0};
    read_all(data, sizeof(data) - 1, whole, 1, &got);
    assert_int_equal(got.n, 2);
    assert_int_equal(got.len[0], 12);
    assert_int_equal(got.text[0][11], '\r');
    assert_int_equal(got.len[1], 9);
    assert_memory_equal(got.text[1], "SET b\0c 2", 9);
    char *w[WIRE_MAX_WORDS];
    assert_int_equal(wire_split(got.text[0], w, WIRE_MAX_WORDS), 3);
    assert_string_equal(w[2], "1");
    lines_free(&got);
}

/* A buffer of N 'x' bytes, then TAIL. */
static char *long_line(size_t n, const char *tail, size_t *total)
{
    size_t t = strlen(tail);
    char *p = malloc(n + t);
    assert_non_null(p);
    memset(p, 'x', n);
    memcpy(p + n, tail, t);
    *total = n + t;
    return p;
}

static void test_limits(void **state)
{
    (void)state;
    size_t total, whole[] = {0}, small[] = {1000, 1};
    /* 15359 bytes + '\n': whole */
    char *p = long_line(WIRE_MAX_LINE - 1, "\nEND\n", &total);
    for (int pass = 0; pass < 2; pass++) {
        Lines got = {0};
        read_all(p, total, pass ? small : whole, pass ? 2 : 1, &got);
        assert_int_equal(got.n, 2);
        assert_int_equal(got.len[0], WIRE_MAX_LINE - 1);
        assert_int_equal(got.cut[0], 0);
        assert_string_equal(got.text[1], "END");
        lines_free(&got);
    }
    free(p);
    /* 15360 bytes + '\n': 1.37.1 copies 15360 bytes, reports the cut, then an empty line */
    p = long_line(WIRE_MAX_LINE, "\nEND\n", &total);
    Lines got = {0};
    read_all(p, total, small, 2, &got);
    assert_int_equal(got.n, 3);
    assert_int_equal(got.len[0], WIRE_MAX_LINE);
    assert_int_equal(got.cut[0], 1);
    assert_int_equal(got.len[1], 0);
    assert_int_equal(got.cut[1], 0);
    assert_string_equal(got.text[2], "END");
    lines_free(&got);
    free(p);
    /* 40000 bytes: two cut pieces, then the remainder as an ordinary line */
    p = long_line(40000, "yz\n", &total);
    for (int pass = 0; pass < 2; pass++) {
        read_all(p, total, pass ? small : whole, pass ? 2 : 1, &got);
        assert_int_equal(got.n, 3);
        assert_int_equal(got.len[0], WIRE_MAX_LINE);
        assert_int_equal(got.cut[0], 1);
        assert_int_equal(got.len[1], WIRE_MAX_LINE);
        assert_int_equal(got.cut[1], 1);
        assert_int_equal(got.len[2], 40002 - 2 * WIRE_MAX_LINE);
        assert_int_equal(got.cut[2], 0);
        assert_memory_equal(got.text[2] + got.len[2] - 2, "yz", 2);
        lines_free(&got);
    }
    free(p);
}

static void test_space_zero_only_with_line(void **state)
{
    (void)state;
    WireReader r;
    assert_int_equal(wire_reader_init(&r), 0);
    size_t n;
    char *p = wire_reader_space(&r, &n);
    assert_int_equal(n, WIRE_MAX_LINE);
    memset(p, 'a', n);
    wire_reader_commit(&r, n + 50);     /* clamped to the space */
    assert_int_equal(wire_reader_pending(&r), WIRE_MAX_LINE);
    assert_int_equal(r.truncated_pending, 1);
    wire_reader_space(&r, &n);
    assert_int_equal(n, 0);
    size_t len;
    int cut;
    assert_non_null(wire_reader_next(&r, &len, &cut));
    assert_int_equal(cut, 1);
    assert_int_equal(r.truncated_pending, 0);
    wire_reader_space(&r, &n);
    assert_int_equal(n, WIRE_MAX_LINE);
    wire_reader_free(&r);
}

/* ---- splitting -------------------------------------------------------------------------- */

typedef struct SplitCase {
    const char *line;
    size_t n;
    const char *w[4];
} SplitCase;

static const SplitCase cases[] = {
    {"SET \"x\" = 5", 3, {"SET", "x", "5"}},
    {"SET x 5", 3, {"SET", "x", "5"}},
    {"SET x=5", 3, {"SET", "x", "5"}},
    {"SET\tx==\r5\n", 3, {"SET", "x", "5"}},
    {"\"a\"b", 2, {"a", "b"}},
    {"X \"\" y", 3, {"X", "", "y"}},
    {"\"\"", 1, {""}},
    {"X a\"b c", 3, {"X", "a\"b", "c"}},            /* a quote inside a word is ordinary */
    {"X 'a \"b' c", 3, {"X", "a \"b", "c"}},        /* the other quote is ordinary */
    {"X \"a=b c\"", 2, {"X", "a=b c"}},
    {"X \"a\\\"b\" c", 3, {"X", "a\\\"b", "c"}},    /* backslash kept, \" does not close */
    {"X a\\ b", 2, {"X", "a\\ b"}},                 /* an escaped space joins */
    {"X a\\", 2, {"X", "a\\"}},                     /* backslash at the end stays */
    {"X \"open ended", 2, {"X", "open ended"}},
    {"X \"", 1, {"X"}},                             /* a lone quote at the end starts nothing */
    {"\"", 1, {""}},                                /* ... unless it is the first word */
    {"X '", 1, {"X"}},
    {"  lead  trail  ", 2, {"lead", "trail"}},
    {"", 0, {NULL}},
    {" \t\r=\n", 0, {NULL}},
    {"'' ''", 2, {"", ""}},
};

static void test_split_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(cases); i++) {
        char buf[64];
        char *w[WIRE_MAX_WORDS + 1];
        snprintf(buf, sizeof(buf), "%s", cases[i].line);
        size_t n = wire_split(buf, w, WIRE_MAX_WORDS);
        if (n != cases[i].n) {
            fail_msg("'%s': %zu words, expected %zu", cases[i].line, n, cases[i].n);
        }
        for (size_t k = 0; k < n && k < 4; k++) {
            if (strcmp(w[k], cases[i].w[k]) != 0) {
                fail_msg("'%s': word %zu is '%s', expected '%s'", cases[i].line, k, w[k],
                         cases[i].w[k]);
            }
        }
        assert_null(w[n]);
    }
}

static void test_split_cap(void **state)
{
    (void)state;
    char buf[256] = "";
    for (unsigned i = 0; i < 25; i++) {
        char t[16];
        snprintf(t, sizeof(t), "w%u ", i);
        strcat(buf, t);
    }
    char *w[WIRE_MAX_WORDS];
    assert_int_equal(wire_split(buf, w, WIRE_MAX_WORDS), WIRE_MAX_WORDS);
    assert_string_equal(w[0], "w0");
    assert_string_equal(w[19], "w19");      /* the 20th word ends at its separator */
    char one[] = "a b c";
    assert_int_equal(wire_split(one, w, 1), 1);
    assert_string_equal(w[0], "a");
    assert_int_equal(wire_split(one, w, 0), 0);
}

/* The seed sessions split exactly as the spec's examples read. */
static void test_split_spec_lines(void **state)
{
    (void)state;
    char line[] = "CHART \"system.uptime\" \"\" \"System Uptime\" \"seconds\" \"uptime\" "
                  "\"system.uptime\" \"line\" 1000 1 \"   \" \"proc.plugin\" \"/proc/uptime\"";
    char *w[WIRE_MAX_WORDS];
    assert_int_equal(wire_split(line, w, WIRE_MAX_WORDS), 13);
    assert_string_equal(w[2], "");
    assert_string_equal(w[3], "System Uptime");
    assert_string_equal(w[10], "   ");
    assert_string_equal(w[12], "/proc/uptime");
    char rset[] = "RSET \"load1\" 0.5300000 \"\"";
    assert_int_equal(wire_split(rset, w, WIRE_MAX_WORDS), 4);
    assert_string_equal(w[3], "");
    char clabel[] = "CLABEL \"_collect_plugin\" \"proc.plugin\" 536870913";
    assert_int_equal(wire_split(clabel, w, WIRE_MAX_WORDS), 4);
    assert_string_equal(w[3], "536870913");
}

/* ---- keyword and numbers (1.37.1's find_first_keyword and str2* helpers) ------------------- */

static void test_keyword(void **state)
{
    (void)state;
    size_t n;
    const char *k = wire_keyword(" \t=BEGIN \"a.b\" 0", &n);
    assert_int_equal(n, 5);
    assert_memory_equal(k, "BEGIN", 5);
    k = wire_keyword("\"BEGIN\" a.b", &n);      /* raw: the quotes are part of it */
    assert_int_equal(n, 7);
    k = wire_keyword("SET=x", &n);
    assert_int_equal(n, 3);
    wire_keyword(" \r\n= ", &n);
    assert_int_equal(n, 0);
    wire_keyword("", &n);
    assert_int_equal(n, 0);
}

static void test_numbers(void **state)
{
    (void)state;
    assert_true(wire_u64("1795608764478042") == 1795608764478042ULL);
    assert_true(wire_u64("12abc") == 12);
    assert_true(wire_u64("-5") == 0);               /* unsigned: no sign */
    assert_true(wire_u64("+5") == 0);
    assert_true(wire_u64("0x10") == 0);
    assert_true(wire_u64("18446744073709551616") == 0);     /* wraps like 1.37.1 */
    assert_true(wire_u64("1234567890123456789012345678901") ==
                wire_u64("123456789012345678901234567890"));  /* 30 digits at most */
    assert_true(wire_i64("536870913") == 536870913);
    assert_true(wire_i64("-42x") == -42);
    assert_true(wire_i64("") == 0);
    assert_int_equal(wire_int("1000"), 1000);
    assert_int_equal(wire_int("-1"), -1);
    assert_int_equal(wire_int("4294967297"), 1);    /* int arithmetic wraps mod 2^32 */
    const char *e;
    const char *v = "4.0000000";
    assert_true(wire_double(v, &e) == 4.0 && *e == '\0');
    v = "-1.25x";
    assert_true(wire_double(v, &e) == -1.25 && e == v + 5);
    v = "2e3";
    assert_true(wire_double(v, &e) == 2000.0 && *e == '\0');
    v = "nan";
    assert_true(isnan(wire_double(v, &e)) && *e == '\0');
    v = "inf";
    assert_true(isinf(wire_double(v, &e)) && *e == '\0');
    v = "0x10";                                     /* not hex: stops at 'x' */
    assert_true(wire_double(v, &e) == 0.0 && e == v + 1);
    v = "abc";
    assert_true(wire_double(v, &e) == 0.0 && e == v);
    v = "+nan";                                     /* nan only without a sign */
    assert_true(wire_double(v, &e) == 0.0 && e == v + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_pending_at_eof),
        cmocka_unit_test(test_crlf_and_nul),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_space_zero_only_with_line),
        cmocka_unit_test(test_split_cases),
        cmocka_unit_test(test_split_cap),
        cmocka_unit_test(test_split_spec_lines),
        cmocka_unit_test(test_keyword),
        cmocka_unit_test(test_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

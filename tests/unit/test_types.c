/*
** test_types.c - cmocka tests for compiler/types.c: Netdata's readers (shared/spec
** config-semantics.md §2.2 booleans, §2.3 three-state booleans, §2.4 integers as strtoll base 0,
** §2.7 memory modes), types_int against the real strtoll on 10,000 random strings, and the
** verdict (code, fix-it, span) of every type's check. Inputs are exact-size heap copies without
** a NUL, so a sanitizer build catches any read past n.
*/
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "types.h"
#include "testutil.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static Arena arena;

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

/* ---- readers ------------------------------------------------------------------------------- */

static void test_bool(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int want;
    } cases[] = {
        { "yes", 1 }, { "YES", 1 }, { "Yes", 1 }, { "true", 1 }, { "TRUE", 1 }, { "on", 1 },
        { "On", 1 }, { "auto", 1 }, { "AUTO", 1 }, { "on demand", 1 }, { "ON DEMAND", 1 },
        { "On Demand", 1 },
        { "on  demand", 0 }, { "on\tdemand", 0 }, { "ondemand", 0 }, { "1", 0 }, { "y", 0 },
        { "enabled", 0 }, { "", 0 }, { "yes please", 0 }, { "yes # comment", 0 }, { "no", 0 },
        { "false", 0 }, { "off", 0 }, { " yes", 0 }, { "yes ", 0 }, { "yess", 0 }, { "ye", 0 },
        { "t", 0 }, { "\"yes\"", 0 },
    };
    for (size_t i = 0; i < LEN(cases); i++) {
        size_t n = strlen(cases[i].in);
        char *z = testutil_dup_exact(cases[i].in, n);
        if (types_bool(z, n) != cases[i].want) {
            fail_msg("types_bool('%s') = %d, want %d", cases[i].in, types_bool(z, n),
                     cases[i].want);
        }
        free(z);
    }
    assert_int_equal(types_bool("yes please", 3), 1);   /* n bounds the value */
    assert_int_equal(types_bool("on demand", 2), 1);
}

static void test_bool3(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        int want;    /* -1: the default */
    } cases[] = {
        { "yes", 1 }, { "no", 0 }, { "auto", 2 }, { "on demand", 2 },
        { "YES", -1 }, { "Yes", -1 }, { "No", -1 }, { "true", -1 }, { "on", -1 }, { "1", -1 },
        { "0", -1 }, { "Auto", -1 }, { "AUTO", -1 }, { "", -1 }, { "On demand", -1 },
        { "on  demand", -1 }, { "false", -1 }, { "off", -1 }, { "yes ", -1 }, { "nope", -1 },
    };
    for (size_t i = 0; i < LEN(cases); i++) {
        size_t n = strlen(cases[i].in);
        char *z = testutil_dup_exact(cases[i].in, n);
        for (int dflt = 0; dflt <= 2; dflt++) {
            int want = cases[i].want < 0 ? dflt : cases[i].want;
            if (types_bool3(z, n, dflt) != want) {
                fail_msg("types_bool3('%s', default %d) = %d, want %d", cases[i].in, dflt,
                         types_bool3(z, n, dflt), want);
            }
        }
        assert_int_equal(types_bool3(z, n, 100), cases[i].want < 0 ? 100 : cases[i].want);
        free(z);
    }
}

typedef struct IntCase {
    const char *in;
    long long want;
    size_t used;
    int overflow;
} IntCase;

static const IntCase int_cases[] = {
    { "0x10", 16, 4, 0 }, { "0X1f", 31, 4, 0 }, { "010", 8, 3, 0 }, { "08", 0, 1, 0 },
    { "09", 0, 1, 0 }, { "0", 0, 1, 0 }, { "00", 0, 2, 0 }, { "-5", -5, 2, 0 }, { "+7", 7, 2, 0 },
    { "10s", 10, 2, 0 }, { "1.9", 1, 1, 0 }, { "1e3", 1, 1, 0 }, { "5m", 5, 1, 0 },
    { "abc", 0, 0, 0 }, { "", 0, 0, 0 }, { "-", 0, 0, 0 }, { "+", 0, 0, 0 }, { "+-1", 0, 0, 0 },
    { "--1", 0, 0, 0 }, { " ", 0, 0, 0 }, { " 42", 42, 3, 0 }, { "\t\n\v\f\r42", 42, 7, 0 },
    { " -0x10", -16, 6, 0 }, { "0x", 0, 1, 0 }, { "0xg", 0, 1, 0 }, { "0x 1", 0, 1, 0 },
    { "-0", 0, 2, 0 }, { "0b101", 0, 1, 0 }, { "019", 1, 2, 0 },
    { "9223372036854775807", LLONG_MAX, 19, 0 },
    { "9223372036854775808", LLONG_MAX, 19, 1 },
    { "99999999999999999999999", LLONG_MAX, 23, 1 },
    { "-9223372036854775808", LLONG_MIN, 20, 0 },
    { "-9223372036854775809", LLONG_MIN, 20, 1 },
    { "-99999999999999999999999x", LLONG_MIN, 24, 1 },
    { "0x7fffffffffffffff", LLONG_MAX, 18, 0 },
    { "0x8000000000000000", LLONG_MAX, 18, 1 },
    { "-0x8000000000000000", LLONG_MIN, 19, 0 },
    { "0777777777777777777777", LLONG_MAX, 22, 0 },
    { "01000000000000000000000", LLONG_MAX, 23, 1 },
    { "4294967296", 4294967296LL, 10, 0 },
};

static void test_int_exact(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(int_cases); i++) {
        const IntCase *c = &int_cases[i];
        size_t n = strlen(c->in), used = 999;
        int over = 7;
        char *z = testutil_dup_exact(c->in, n);
        long long x = types_int(z, n, &used, &over);
        free(z);
        if (x != c->want || used != c->used || over != c->overflow) {
            fail_msg("types_int('%s') = %lld used %zu overflow %d, want %lld used %zu overflow %d",
                     c->in, x, used, over, c->want, c->used, c->overflow);
        }
        /* the table itself agrees with the C library */
        char *end;
        errno = 0;
        long long r = strtoll(c->in, &end, 0);
        assert_true(r == c->want && (size_t)(end - c->in) == c->used);
        assert_int_equal(errno == ERANGE, c->overflow);
    }
    /* n bounds the digits */
    size_t used;
    int over;
    assert_int_equal(types_int("12345", 2, &used, &over), 12);
    assert_int_equal(used, 2);
    assert_int_equal(types_int("0x10", 2, &used, &over), 0);   /* "0x": the x is not read */
    assert_int_equal(used, 1);
}

static uint32_t rng = 4242u;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* 10,000 random short strings: value, consumed length and overflow as strtoll(s, &end, 0). */
static void test_int_against_strtoll(void **state)
{
    (void)state;
    static const char alphabet[] = "0123456789xX+- abcf.\t0123456789012345678901234567890789";
    for (int iter = 0; iter < 10000; iter++) {
        char buf[32];
        size_t n = next_rand() % 25;
        for (size_t i = 0; i < n; i++) {
            buf[i] = alphabet[next_rand() % (sizeof alphabet - 1)];
        }
        buf[n] = 0;
        char *end;
        errno = 0;
        long long want = strtoll(buf, &end, 0);
        int want_over = errno == ERANGE;
        size_t used = 999;
        int over = 7;
        char *z = testutil_dup_exact(buf, n);
        long long got = types_int(z, n, &used, &over);
        free(z);
        if (got != want || used != (size_t)(end - buf) || over != want_over) {
            fail_msg("'%s': types_int %lld used %zu overflow %d; strtoll %lld used %zu "
                     "overflow %d", buf, got, used, over, want, (size_t)(end - buf), want_over);
        }
    }
}

static void test_memmode_names(void **state)
{
    (void)state;
    static const char *const good[] = { "none", "ram", "map", "save", "alloc", "dbengine" };
    static const char *const bad[] = { "RAM", "DBENGINE", "db engine", "memory", "", "Save",
                                       "dbengine ", "ramx", "ra" };
    for (size_t i = 0; i < LEN(good); i++) {
        char *z = testutil_dup_exact(good[i], strlen(good[i]));
        assert_true(types_memmode_valid(z, strlen(good[i])));
        free(z);
    }
    for (size_t i = 0; i < LEN(bad); i++) {
        char *z = testutil_dup_exact(bad[i], strlen(bad[i]));
        if (types_memmode_valid(z, strlen(bad[i]))) {
            fail_msg("'%s' is not a memory mode", bad[i]);
        }
        free(z);
    }
}

/* ---- checks -------------------------------------------------------------------------------- */

typedef struct CheckCase {
    int sec;
    const char *key;
    const char *in;
    int bad;                /* 0: accepted */
    DiagCode code;
    const char *fixit;      /* NULL: none */
    uint32_t off, len;
    const char *why_has;    /* NULL: not checked */
} CheckCase;

#define OK(sec, key, in) { sec, key, in, 0, DIAG_IO, NULL, 0, 0, NULL }
#define BAD(sec, key, in, code, fix, why) { sec, key, in, 1, code, fix, 0, 0, why }

static const CheckCase check_cases[] = {
    /* boolean: [stream] enabled */
    OK(SEC_STREAM, "enabled", "yes"), OK(SEC_STREAM, "enabled", "No"),
    OK(SEC_STREAM, "enabled", "on demand"), OK(SEC_STREAM, "enabled", "OFF"),
    OK(SEC_STREAM, "enabled", "false"), OK(SEC_STREAM, "enabled", "Auto"),
    BAD(SEC_STREAM, "enabled", "1", DIAG_BAD_VALUE, "yes", "'no'"),
    BAD(SEC_STREAM, "enabled", "0", DIAG_BAD_VALUE, "no", NULL),
    BAD(SEC_STREAM, "enabled", "enabled", DIAG_BAD_VALUE, "yes", NULL),
    BAD(SEC_STREAM, "enabled", "disabled", DIAG_BAD_VALUE, "no", NULL),
    BAD(SEC_STREAM, "enabled", "", DIAG_BAD_VALUE, NULL, "empty"),
    BAD(SEC_STREAM, "enabled", "ys", DIAG_BAD_VALUE, "yes", NULL),
    BAD(SEC_STREAM, "enabled", "on  demand", DIAG_BAD_VALUE, NULL, NULL),
    BAD(SEC_STREAM, "enabled", "yes please", DIAG_BAD_VALUE, NULL, NULL),
    /* three-state: [MACHINE_GUID] health enabled */
    OK(SEC_MACHINE, "health enabled", "yes"), OK(SEC_MACHINE, "health enabled", "no"),
    OK(SEC_MACHINE, "health enabled", "auto"), OK(SEC_MACHINE, "health enabled", "on demand"),
    BAD(SEC_MACHINE, "health enabled", "YES", DIAG_BAD_VALUE, "yes", "case-sensitive"),
    BAD(SEC_MACHINE, "health enabled", "true", DIAG_BAD_VALUE, "yes", NULL),
    BAD(SEC_MACHINE, "health enabled", "Off", DIAG_BAD_VALUE, "no", NULL),
    BAD(SEC_MACHINE, "health enabled", "Auto", DIAG_BAD_VALUE, "auto", NULL),
    BAD(SEC_MACHINE, "health enabled", "1", DIAG_BAD_VALUE, NULL, "default"),
    BAD(SEC_MACHINE, "health enabled", "", DIAG_BAD_VALUE, NULL, NULL),
    /* integer with bounds 1..65535: [stream] default port */
    OK(SEC_STREAM, "default port", "19999"), OK(SEC_STREAM, "default port", "0x4E1F"),
    OK(SEC_STREAM, "default port", "+7"), OK(SEC_STREAM, "default port", "65535"),
    OK(SEC_STREAM, "default port", "1"),
    BAD(SEC_STREAM, "default port", "010", DIAG_ODD_VALUE, "10", "reads 8"),
    BAD(SEC_STREAM, "default port", "00017", DIAG_ODD_VALUE, "17", "reads 15"),
    BAD(SEC_STREAM, "default port", "0", DIAG_RANGE, NULL, "1..65535"),
    BAD(SEC_STREAM, "default port", "65536", DIAG_RANGE, NULL, "1..65535"),
    BAD(SEC_STREAM, "default port", "-010", DIAG_RANGE, NULL, NULL),
    BAD(SEC_STREAM, "default port", "abc", DIAG_BAD_VALUE, NULL, "reads 0"),
    BAD(SEC_STREAM, "default port", "", DIAG_BAD_VALUE, NULL, "empty"),
    BAD(SEC_STREAM, "default port", "08", DIAG_BAD_VALUE, "8", "octal"),
    BAD(SEC_STREAM, "default port", "99999999999999999999", DIAG_RANGE, NULL, "largest"),
    /* integer without bounds: [web] listen backlog */
    OK(SEC_WEB, "listen backlog", "-5"), OK(SEC_WEB, "listen backlog", "0"),
    OK(SEC_WEB, "listen backlog", "9223372036854775807"),
    BAD(SEC_WEB, "listen backlog", "00", DIAG_ODD_VALUE, "0", NULL),
    /* memory mode: [API_KEY] default memory mode */
    OK(SEC_API, "default memory mode", "dbengine"), OK(SEC_API, "default memory mode", "save"),
    OK(SEC_API, "default memory mode", "none"), OK(SEC_API, "default memory mode", "alloc"),
    BAD(SEC_API, "default memory mode", "RAM", DIAG_BAD_VALUE, "ram", "'save'"),
    BAD(SEC_API, "default memory mode", "DBENGINE", DIAG_BAD_VALUE, "dbengine", NULL),
    BAD(SEC_API, "default memory mode", "db engine", DIAG_BAD_VALUE, "dbengine", NULL),
    BAD(SEC_API, "default memory mode", "memory", DIAG_BAD_VALUE, NULL, NULL),
    BAD(SEC_API, "default memory mode", "", DIAG_BAD_VALUE, NULL, NULL),
    /* enums */
    OK(SEC_API, "type", "api"),
    BAD(SEC_API, "type", "API", DIAG_BAD_VALUE, "api", "expected 'api' (case-sensitive)"),
    BAD(SEC_API, "type", "machine", DIAG_BAD_VALUE, NULL, NULL),
    OK(SEC_WEB, "allow streaming by dns", "heuristic"),
    BAD(SEC_WEB, "allow streaming by dns", "Yes", DIAG_BAD_VALUE, "yes",
        "expected one of 'yes', 'no', 'heuristic' (case-sensitive)"),
    /* web mode */
    OK(SEC_WEB, "mode", "static-threaded"), OK(SEC_WEB, "mode", "single-threaded"),
    OK(SEC_WEB, "mode", "none"),
    BAD(SEC_WEB, "mode", "None", DIAG_BAD_VALUE, "none", NULL),
    BAD(SEC_WEB, "mode", "static-thread", DIAG_ODD_VALUE, "static-threaded", NULL),
    BAD(SEC_WEB, "mode", "multi-threaded", DIAG_ODD_VALUE, NULL, "static-threaded"),
    /* GUID: [stream] api key (emptiness is judged elsewhere) */
    OK(SEC_STREAM, "api key", ""),
    OK(SEC_STREAM, "api key", "11111111-2222-3333-4444-555555555555"),
    OK(SEC_STREAM, "api key", "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"),
    BAD(SEC_STREAM, "api key", "API_KEY", DIAG_BAD_GUID, NULL, "not valid GUID"),
    BAD(SEC_STREAM, "api key", "{11111111-2222-3333-4444-555555555555}", DIAG_BAD_GUID, NULL,
        "braces"),
    BAD(SEC_STREAM, "api key", "111111112222333344445555555555555555", DIAG_BAD_GUID, NULL,
        NULL),
    /* negative overflow saturates to the smallest value, not the largest */
    BAD(SEC_WEB, "listen backlog", "-99999999999999999999", DIAG_RANGE, NULL, "smallest"),
};

static void test_check_verdicts(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(check_cases); i++) {
        const CheckCase *c = &check_cases[i];
        const SchemaKey *k = schema_find(c->sec, c->key, strlen(c->key));
        assert_non_null(k);
        TypeCheck check = type_ops[k->type].check;
        assert_non_null(check);
        size_t n = strlen(c->in);
        char *z = testutil_dup_exact(c->in, n);
        Verdict v;
        memset(&v, 0xA5, sizeof v);
        int bad = check(k, z, n, &v, &arena);
        free(z);
        if (bad != c->bad) {
            fail_msg("%s '%s': check gives %d, want %d (%s)", c->key, c->in, bad, c->bad,
                     bad ? v.why : "accepted");
        }
        if (!bad) {
            continue;
        }
        if (v.code != c->code) {
            fail_msg("%s '%s': code %s, want %s", c->key, c->in, diag_slug[v.code],
                     diag_slug[c->code]);
        }
        if (c->fixit ? !v.fixit || strcmp(v.fixit, c->fixit) != 0 : v.fixit != NULL) {
            fail_msg("%s '%s': fix-it '%s', want '%s'", c->key, c->in,
                     v.fixit ? v.fixit : "(none)", c->fixit ? c->fixit : "(none)");
        }
        assert_non_null(v.why);
        if (c->why_has && !strstr(v.why, c->why_has)) {
            fail_msg("%s '%s': reason '%s' lacks '%s'", c->key, c->in, v.why, c->why_has);
        }
        if (v.off != c->off || v.len != c->len) {
            fail_msg("%s '%s': span %u+%u, want %u+%u", c->key, c->in, v.off, v.len, c->off,
                     c->len);
        }
    }
}

/* Trailing junk after a number: the span points at the junk, the fix-it is the number. */
static void test_int_trailing_junk(void **state)
{
    (void)state;
    static const struct {
        const char *in, *fix;
        uint32_t off, len;
        const char *why_has;
    } cases[] = {
        { "10s", "10", 2, 1, "'s'" },
        { "1.9", "1", 1, 2, "'.9'" },
        { "60 # seconds", "60", 2, 10, "reads 60" },
        { "0x", "0", 1, 1, NULL },
        { "5m", "5", 1, 1, NULL },
    };
    const SchemaKey *k = schema_find(SEC_STREAM, "timeout seconds", 15);
    assert_non_null(k);
    for (size_t i = 0; i < LEN(cases); i++) {
        Verdict v;
        memset(&v, 0, sizeof v);
        size_t n = strlen(cases[i].in);
        char *z = testutil_dup_exact(cases[i].in, n);
        assert_int_equal(type_ops[TY_INT].check(k, z, n, &v, &arena), 1);
        free(z);
        assert_int_equal(v.code, DIAG_BAD_VALUE);
        assert_non_null(v.fixit);
        assert_string_equal(v.fixit, cases[i].fix);
        if (v.off != cases[i].off || v.len != cases[i].len) {
            fail_msg("'%s': span %u+%u, want %u+%u", cases[i].in, v.off, v.len, cases[i].off,
                     cases[i].len);
        }
        if (cases[i].why_has && !strstr(v.why, cases[i].why_has)) {
            fail_msg("'%s': reason '%s' lacks '%s'", cases[i].in, v.why, cases[i].why_has);
        }
    }
}

/* One-sided bounds get their own wording. */
static void test_int_one_sided_bounds(void **state)
{
    (void)state;
    SchemaKey lo_only;
    memset(&lo_only, 0, sizeof lo_only);
    lo_only.name = "x";
    lo_only.type = TY_INT;
    lo_only.has_lo = 1;
    lo_only.lo = 5;
    SchemaKey hi_only = lo_only;
    hi_only.has_lo = 0;
    hi_only.has_hi = 1;
    hi_only.hi = 10;
    Verdict v;
    assert_int_equal(type_ops[TY_INT].check(&lo_only, "4", 1, &v, &arena), 1);
    assert_int_equal(v.code, DIAG_RANGE);
    assert_string_equal(v.why, "must be at least 5");
    assert_int_equal(type_ops[TY_INT].check(&lo_only, "5", 1, &v, &arena), 0);
    assert_int_equal(type_ops[TY_INT].check(&hi_only, "11", 2, &v, &arena), 1);
    assert_string_equal(v.why, "must be at most 10");
    assert_int_equal(type_ops[TY_INT].check(&hi_only, "-999", 4, &v, &arena), 0);
}

static void test_free_text_types_have_no_check(void **state)
{
    (void)state;
    static const int free_text[] = { TY_STRING, TY_PATH, TY_PATTERN, TY_BINDTO, TY_DEST, TY_ANY };
    for (size_t i = 0; i < LEN(free_text); i++) {
        assert_null(type_ops[free_text[i]].check);
    }
    static const int checked[] = { TY_BOOL, TY_BOOL3, TY_INT, TY_MEMMODE, TY_ENUM, TY_WEBMODE,
                                   TY_GUID };
    for (size_t i = 0; i < LEN(checked); i++) {
        assert_non_null(type_ops[checked[i]].check);
    }
    for (int t = 0; t < TY__COUNT; t++) {
        assert_non_null(type_ops[t].name);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bool),
        cmocka_unit_test(test_bool3),
        cmocka_unit_test(test_int_exact),
        cmocka_unit_test(test_int_against_strtoll),
        cmocka_unit_test(test_memmode_names),
        cmocka_unit_test(test_check_verdicts),
        cmocka_unit_test(test_int_trailing_junk),
        cmocka_unit_test(test_int_one_sided_bounds),
        cmocka_unit_test(test_free_text_types_have_no_check),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

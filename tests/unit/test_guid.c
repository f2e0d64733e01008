/*
** test_guid.c - cmocka tests for common/guid.c against shared/spec config-semantics.md §7
** (libuuid uuid_parse): exactly 36 characters, '-' at 1-based positions 9, 14, 19, 24, hex
** digits of either case elsewhere, no trimming, version/variant bits not checked; the 16-byte
** binary form; upper-case detection. Inputs are exact-size heap copies without a NUL, so a
** sanitizer build catches any read past n.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "guid.h"
#include "testutil.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static int valid(const char *s)
{
    size_t n = strlen(s);
    char *p = testutil_dup_exact(s, n);
    int v = guid_is_valid(p, n);
    const char *why = guid_problem(p, n);
    uint8_t out[16];
    int parsed = guid_parse(p, n, out);
    free(p);
    /* the three entry points must agree */
    if ((why == NULL) != (v == 1) || (parsed == 0) != (v == 1)) {
        fail_msg("'%s': is_valid %d, problem '%s', parse %d disagree", testutil_esc(s, n), v,
                 why ? why : "-", parsed);
    }
    return v;
}

static const char *const good[] = {
    "00000000-0000-0000-0000-000000000000",     /* nil GUID */
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
    "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF",
    "11111111-2222-3333-4444-555555555555",     /* no version/variant check */
    "0f0e0d0c-0b0a-0908-0706-050403020100",
    "A1B2C3D4-e5f6-ABCD-ef01-23456789AbCd",     /* mixed case */
    "8a795b0c-2311-11e6-8563-000c295076a6",
};

static const char *const bad[] = {
    "",
    "{00000000-0000-0000-0000-000000000000}",   /* braces */
    "urn:uuid:00000000-0000-0000-0000-000000000000",
    "00000000000000000000000000000000",         /* no hyphens */
    "0000000-00000-0000-0000-000000000000",     /* hyphen one early */
    "000000000-000-0000-0000-000000000000",     /* hyphen one late */
    "00000000-0000-0000-0000-00000000000",      /* 35 */
    "00000000-0000-0000-0000-0000000000000",    /* 37 */
    " 00000000-0000-0000-0000-00000000000",     /* 36 with a leading space */
    "00000000-0000-0000-0000-00000000000 ",     /* 36 with a trailing space */
    " 00000000-0000-0000-0000-000000000000",    /* 37 with a leading space */
    "00000000-0000-0000-0000-000000000000\n",
    "00000000-0000-0000-0000-000000000000\r",
    "g0000000-0000-0000-0000-000000000000",     /* non-hex letter */
    "00000000-0000-0000-0000-00000000000G",
    "00000000-0000-0000-0000-00000000000z",
    "00000000 0000 0000 0000 000000000000",
    "00000000_0000_0000_0000_000000000000",
    "00000000-0000-0000-0000-0000-0000000",     /* extra hyphen in the last group */
    "00000000-00000000-0000-0000000000000",     /* hyphen missing */
    "------------------------------------",
    "0000000--0000-0000-0000-000000000000",
    "+0000000-0000-0000-0000-000000000000",
    "00000000-0000-0000-0000-00000000000\xc3",
    "API_KEY",
    "MACHINE_GUID",
};

static void test_valid(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(good); i++) {
        if (!valid(good[i])) {
            fail_msg("'%s' should be valid", testutil_esc(good[i], strlen(good[i])));
        }
    }
}

static void test_invalid(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(bad); i++) {
        if (valid(bad[i])) {
            fail_msg("'%s' should be invalid", testutil_esc(bad[i], strlen(bad[i])));
        }
    }
}

/* Every single-character change of a valid GUID, checked against the §7 rule directly. */
static void test_every_position_every_byte(void **state)
{
    (void)state;
    char g[37];
    memcpy(g, "0123abcd-4567-89ef-ABCD-0123456789af", 37);
    for (size_t pos = 0; pos < 36; pos++) {
        for (int c = 0; c < 256; c++) {
            char buf[36];
            memcpy(buf, g, 36);
            buf[pos] = (char)c;
            int dash = pos == 8 || pos == 13 || pos == 18 || pos == 23;
            int hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            int want = dash ? c == '-' : hex;
            char *p = testutil_dup_exact(buf, 36);
            int got = guid_is_valid(p, 36);
            free(p);
            if (got != want) {
                fail_msg("byte 0x%02x at offset %zu: valid %d, want %d", c, pos, got, want);
            }
        }
    }
}

/* n bounds the input: a valid GUID followed by more bytes is valid when n says 36. */
static void test_n_bounds_the_input(void **state)
{
    (void)state;
    const char *s = "11111111-2222-3333-4444-555555555555trailing";
    assert_true(guid_is_valid(s, 36));
    assert_false(guid_is_valid(s, 37));
    assert_false(guid_is_valid(s, 35));
    assert_false(guid_is_valid(s, 0));
}

static void test_parse_bytes(void **state)
{
    (void)state;
    uint8_t out[16];
    static const uint8_t want[16] = { 0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08,
                                      0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00 };
    char *p = testutil_dup_exact("0f0e0d0c-0b0a-0908-0706-050403020100", 36);
    assert_int_equal(guid_parse(p, 36, out), 0);
    assert_memory_equal(out, want, 16);
    free(p);

    /* upper and lower case give the same bytes */
    uint8_t lo[16], up[16];
    assert_int_equal(guid_parse("a1b2c3d4-e5f6-abcd-ef01-23456789abcd", 36, lo), 0);
    assert_int_equal(guid_parse("A1B2C3D4-E5F6-ABCD-EF01-23456789ABCD", 36, up), 0);
    assert_memory_equal(lo, up, 16);
    static const uint8_t want2[16] = { 0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0xab, 0xcd,
                                       0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd };
    assert_memory_equal(lo, want2, 16);

    uint8_t ff[16];
    assert_int_equal(guid_parse("ffffffff-ffff-ffff-ffff-ffffffffffff", 36, ff), 0);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(ff[i], 0xff);
    }

    /* an invalid GUID leaves the output untouched */
    uint8_t keep[16];
    memset(keep, 0x77, 16);
    assert_int_equal(guid_parse("{0f0e0d0c-0b0a-0908-0706-05040302010}", 38, keep), -1);
    assert_int_equal(guid_parse("0f0e0d0c-0b0a-0908-0706-05040302010g", 36, keep), -1);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(keep[i], 0x77);
    }
}

static void test_has_upper(void **state)
{
    (void)state;
    assert_false(guid_has_upper("0f0e0d0c-0b0a-0908-0706-050403020100", 36));
    assert_false(guid_has_upper("abcdefab-cdef-abcd-efab-cdefabcdefab", 36));
    assert_true(guid_has_upper("0f0e0d0c-0b0a-0908-0706-05040302010A", 36));
    assert_true(guid_has_upper("F0000000-0000-0000-0000-000000000000", 36));
    assert_true(guid_has_upper("A1B2C3D4-E5F6-ABCD-EF01-23456789ABCD", 36));
    assert_false(guid_has_upper("00000000-0000-0000-0000-000000000000", 36));
    /* n bounds it: the upper-case letter past n does not count */
    assert_false(guid_has_upper("00000000-0000-0000-0000-000000000000A", 36));
    assert_false(guid_has_upper("", 0));
}

static void test_problem_reasons(void **state)
{
    (void)state;
    const char *w;
    w = guid_problem("00000000-0000-0000-0000-00000000000", 35);
    assert_non_null(w);
    assert_non_null(strstr(w, "too short"));
    w = guid_problem("00000000-0000-0000-0000-0000000000000", 37);
    assert_non_null(w);
    assert_non_null(strstr(w, "too long"));
    w = guid_problem("000000000-000-0000-0000-000000000000", 36);
    assert_non_null(w);
    assert_non_null(strstr(w, "hyphen"));
    w = guid_problem("0000000x-0000-0000-0000-000000000000", 36);
    assert_non_null(w);
    assert_non_null(strstr(w, "hexadecimal"));
    assert_null(guid_problem("00000000-0000-0000-0000-000000000000", 36));
    assert_int_equal(GUID_TEXT_LEN, 36);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_invalid),
        cmocka_unit_test(test_every_position_every_byte),
        cmocka_unit_test(test_n_bounds_the_input),
        cmocka_unit_test(test_parse_bytes),
        cmocka_unit_test(test_has_upper),
        cmocka_unit_test(test_problem_reasons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

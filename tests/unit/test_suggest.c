/*
** test_suggest.c - cmocka tests for compiler/suggest.c: case-folded edit distance (Levenshtein
** plus adjacent transpositions, "optimal string alignment") with an upper bound, checked against
** a plain full-matrix reference on random words; the limit
** min(3, max(1, n/3)) of STYLE.md §5, and the did-you-mean choice: ties keep the earlier
** candidate, far words give nothing, the word itself is never suggested.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "suggest.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static unsigned dist(const char *a, const char *b, unsigned max)
{
    return suggest_distance(a, strlen(a), b, strlen(b), max);
}

static void test_distances(void **state)
{
    (void)state;
    static const struct {
        const char *a, *b;
        unsigned d;
    } cases[] = {
        { "", "", 0 },
        { "", "abc", 3 },
        { "abc", "", 3 },
        { "kitten", "sitting", 3 },
        { "flaw", "lawn", 2 },
        { "ab", "ba", 1 },                         /* an adjacent transposition is one edit */
        { "wbe", "web", 1 },
        { "enalbed", "enabled", 1 },
        { "abc", "ca", 3 },                        /* OSA: no edit of a transposed pair */
        { "abc", "bca", 2 },
        { "destinaton", "destination", 1 },
        { "enabeld", "enabled", 1 },
        { "timeout", "timeout seconds", 8 },
        { "allow  from", "allow from", 1 },        /* doubled spaces are not folded */
        { "api key", "api_key", 1 },
        { "ENABLED", "enabled", 0 },               /* ASCII case folded */
        { "Send Charts Matching", "send charts matching", 0 },
        { "\xc3\x89t\xc3\xa9", "\xc3\xa9t\xc3\xa9", 1 },   /* non-ASCII is not folded */
        { "[", "{", 1 },                           /* 0x5B/0x7B differ by 32 but are not letters */
        { "@", "`", 1 },
        { "same", "same", 0 },
    };
    for (size_t i = 0; i < LEN(cases); i++) {
        unsigned got = dist(cases[i].a, cases[i].b, 20);
        if (got != cases[i].d) {
            fail_msg("'%s' / '%s': distance %u, want %u", cases[i].a, cases[i].b, got,
                     cases[i].d);
        }
        /* symmetric, and bounded: max+1 once the distance exceeds max */
        assert_int_equal(dist(cases[i].b, cases[i].a, 20), got);
        for (unsigned max = 0; max < 5; max++) {
            unsigned want = got > max ? max + 1 : got;
            unsigned b = dist(cases[i].a, cases[i].b, max);
            if (b != want) {
                fail_msg("'%s' / '%s' with max %u: %u, want %u", cases[i].a, cases[i].b, max, b,
                         want);
            }
        }
    }
}

/* Plain full-matrix optimal string alignment distance with ASCII case folding: the reference. */
static unsigned ref_distance(const char *a, size_t an, const char *b, size_t bn)
{
    unsigned m[20][20];
    for (size_t i = 0; i <= an; i++) {
        m[i][0] = (unsigned)i;
    }
    for (size_t j = 0; j <= bn; j++) {
        m[0][j] = (unsigned)j;
    }
    for (size_t i = 1; i <= an; i++) {
        for (size_t j = 1; j <= bn; j++) {
            unsigned char x = (unsigned char)a[i - 1], y = (unsigned char)b[j - 1];
            x = x >= 'A' && x <= 'Z' ? (unsigned char)(x + 32) : x;
            y = y >= 'A' && y <= 'Z' ? (unsigned char)(y + 32) : y;
            unsigned v = m[i - 1][j - 1] + (x != y);
            if (m[i - 1][j] + 1 < v) {
                v = m[i - 1][j] + 1;
            }
            if (m[i][j - 1] + 1 < v) {
                v = m[i][j - 1] + 1;
            }
            if (i > 1 && j > 1) {
                unsigned char pa = (unsigned char)a[i - 2], pb = (unsigned char)b[j - 2];
                pa = pa >= 'A' && pa <= 'Z' ? (unsigned char)(pa + 32) : pa;
                pb = pb >= 'A' && pb <= 'Z' ? (unsigned char)(pb + 32) : pb;
                if (x == pb && pa == y && m[i - 2][j - 2] + 1 < v) {
                    v = m[i - 2][j - 2] + 1;
                }
            }
            m[i][j] = v;
        }
    }
    return m[an][bn];
}

static uint32_t rng = 12345u;

static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* The early exit must never change the answer: compare with the reference. */
static void test_random_against_reference(void **state)
{
    (void)state;
    static const char alphabet[] = "abAB c-";
    for (int iter = 0; iter < 50000; iter++) {
        char a[20], b[20];
        size_t an = next_rand() % 12, bn = next_rand() % 12;
        for (size_t i = 0; i < an; i++) {
            a[i] = alphabet[next_rand() % (sizeof alphabet - 1)];
        }
        for (size_t i = 0; i < bn; i++) {
            b[i] = alphabet[next_rand() % (sizeof alphabet - 1)];
        }
        unsigned max = next_rand() % 6;
        unsigned ref = ref_distance(a, an, b, bn);
        unsigned want = ref > max ? max + 1 : ref;
        unsigned got = suggest_distance(a, an, b, bn, max);
        if (got != want) {
            fail_msg("'%.*s' / '%.*s' max %u: %u, want %u", (int)an, a, (int)bn, b, max, got,
                     want);
        }
    }
}

/* Inputs are (pointer, length): nothing past n is read (exact-size heap copies for ASan). */
static void test_lengths_bound_the_input(void **state)
{
    (void)state;
    char *a = malloc(7), *b = malloc(7);
    assert_non_null(a);
    assert_non_null(b);
    memcpy(a, "enabled", 7);
    memcpy(b, "enablex", 7);
    assert_int_equal(suggest_distance(a, 7, b, 7, 3), 1);
    assert_int_equal(suggest_distance(a, 6, b, 6, 3), 0);
    assert_int_equal(suggest_distance(a, 0, b, 7, 3), 4);   /* 7 > max: max + 1 */
    free(a);
    free(b);
}

static void test_limit(void **state)
{
    (void)state;
    static const unsigned want[] = { 1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3 };
    for (size_t n = 0; n < LEN(want); n++) {
        if (suggest_limit(n) != want[n]) {
            fail_msg("limit(%zu) = %u, want %u", n, suggest_limit(n), want[n]);
        }
    }
    assert_int_equal(suggest_limit(100), 3);
    assert_int_equal(suggest_limit(SIZE_MAX), 3);
}

static const char *best(const char *word, const char *const *cands)
{
    Suggest s;
    suggest_begin(&s, word, strlen(word));
    for (size_t i = 0; cands[i]; i++) {
        suggest_try(&s, cands[i]);
    }
    return suggest_result(&s);
}

static void expect(const char *word, const char *const *cands, const char *want)
{
    const char *got = best(word, cands);
    if (want ? !got || strcmp(got, want) != 0 : got != NULL) {
        fail_msg("'%s': suggested '%s', want '%s'", word, got ? got : "(none)",
                 want ? want : "(none)");
    }
}

static void test_choice(void **state)
{
    (void)state;
    static const char *const stream_keys[] = {
        "enabled", "destination", "api key", "timeout seconds", "default port",
        "send charts matching", "buffer size bytes", "reconnect delay seconds",
        "initial clock resync iterations", "enable compression",
        "ssl skip certificate verification", "CApath", "CAfile", NULL,
    };
    expect("destinaton", stream_keys, "destination");
    expect("enabeled", stream_keys, "enabled");
    expect("Enabled", stream_keys, "enabled");      /* case only: distance 0 */
    expect("ENABLED", stream_keys, "enabled");
    expect("api_key", stream_keys, "api key");
    expect("apikey", stream_keys, "api key");
    expect("timeout second", stream_keys, "timeout seconds");
    expect("cafile", stream_keys, "CAfile");
    expect("compression", stream_keys, NULL);       /* too far from "enable compression" */
    expect("xyz", stream_keys, NULL);
    expect("", stream_keys, NULL);
    expect("hostname", stream_keys, NULL);

    /* the closest wins, whatever its position */
    static const char *const closer_later[] = { "abcdxx", "abcdex", NULL };
    expect("abcdef", closer_later, "abcdex");

    /* a swapped pair of letters is one edit (STYLE.md: "wbe" -> "web") */
    static const char *const sections[] = { "global", "db", "web", "health", NULL };
    expect("wbe", sections, "web");
    expect("helath", sections, "health");
    expect("bd", sections, "db");

    /* ties go to the earlier candidate */
    static const char *const tie1[] = { "bat", "hat", NULL };
    static const char *const tie2[] = { "hat", "bat", NULL };
    expect("cat", tie1, "bat");
    expect("cat", tie2, "hat");

    /* the word itself is never suggested; a case variant is */
    static const char *const self[] = { "enabled", NULL };
    expect("enabled", self, NULL);
    static const char *const self2[] = { "enabled", "enable", NULL };
    expect("enabled", self2, "enable");
    static const char *const upper[] = { "Enabled", NULL };
    expect("enabled", upper, "Enabled");

    /* the limit depends on the word's length: 5 bytes allow 1 edit, 6 bytes allow 2 */
    static const char *const c5[] = { "abxye", NULL };
    expect("abcde", c5, NULL);
    static const char *const c6[] = { "abxyef", NULL };
    expect("abcdef", c6, "abxyef");
    static const char *const c9[] = { "abcxyzghi", NULL };
    expect("abcdefghi", c9, "abcxyzghi");
    static const char *const c12[] = { "abcdwxyzijkl", NULL };
    expect("abcdefghijkl", c12, NULL);              /* 4 edits: over the cap of 3 */

    /* nothing tried yet */
    Suggest s;
    suggest_begin(&s, "word", 4);
    assert_null(suggest_result(&s));
    assert_int_equal(s.limit, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distances),
        cmocka_unit_test(test_random_against_reference),
        cmocka_unit_test(test_lengths_bound_the_input),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
** test_pattern.c - cmocka tests for compiler/pattern.c, common/pattern_prog.c and
** runtime/match.c: every simple-pattern vector of shared/spec config-semantics.md §5.6 (the
** label-set ones excepted) and §5.7, run through the compiled program in LINEAR, INDEXED and
** AUTO modes and through the reference matcher (tests/support/ref_pattern.c); a differential
** test of 100,000 random patterns against the reference; refusal of corrupted and truncated
** programs; pattern_lint findings and pattern_covers. Programs under test are copied into
** exact-size heap buffers, so a sanitizer build catches any read past the program's end.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "diag.h"
#include "match.h"
#include "pattern.h"
#include "pattern_prog.h"
#include "ref_pattern.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ----------------------------------------------------------------------------- */

/* Parse and compile Z in MODE; the program must pass the verifier. Returns an exact-size heap
   copy (caller frees) and its size in *SIZE. */
static void *compile_exact(const char *z, int mode, size_t *size)
{
    Arena a;
    PatList pl;
    arena_init(&a);
    if (pattern_parse(&a, z, strlen(z), &pl) != 0) {
        fail_msg("'%s': pattern_parse failed", z);
    }
    size_t n = 0;
    void *prog = pattern_compile(&a, &pl, mode, &n);
    if (!prog) {
        fail_msg("'%s': pattern_compile(mode %d) returned NULL", z, mode);
    }
    const char *why = pattern_prog_verify(prog, n);
    if (why) {
        fail_msg("'%s': mode %d: verifier refuses a fresh program: %s", z, mode, why);
    }
    void *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, prog, n);
    arena_free(&a);
    *size = n;
    return copy;
}

static const char *const mode_name[] = { "auto", "linear", "indexed" };
static const char *const verdict[] = { "none", "positive", "negative" };

/* Match S through every mode and the reference; all must agree, on the verdict and on the
   deciding term. Returns the verdict. */
static int check_all(const char *pat, const char *s)
{
    RefPattern *ref = ref_pattern_create(pat);
    int want = ref_pattern_match(ref, s);
    long want_term = ref_pattern_first_term(ref, s);
    ref_pattern_free(ref);
    for (int mode = PATTERN_AUTO; mode <= PATTERN_INDEXED; mode++) {
        size_t n;
        void *prog = compile_exact(pat, mode, &n);
        int got = (int)match_run(prog, s, strlen(s));
        long got_term = match_first_term(prog, s, strlen(s));
        free(prog);
        if (got != want || got_term != want_term) {
            fail_msg("pattern '%s' string '%s': %s gives %s (term %ld), reference %s (term %ld)",
                     pat, s, mode_name[mode], verdict[got % 3], got_term, verdict[want % 3],
                     want_term);
        }
    }
    return want;
}

/* ---- spec vectors ------------------------------------------------------------------------ */

typedef struct Vec {
    const char *pat, *s;
    int want;                /* spec: 1 matched (positive), 0 not matched */
} Vec;

static const Vec spec_vectors[] = {
    /* §5.6: README, `netdata -W simple-pattern`, streaming README, exporting tests */
    { "*foobar* !foo* !*bar *", "hello world", 1 },
    { "*foobar* !foo* !*bar *", "hello world bar", 0 },
    { "*foobar* !foo* !*bar *", "hello world foobar", 1 },
    { "!*bad* *", "this is bad", 0 },
    { "!*bad* *", "good", 1 },
    { "!veth0 veth*", "veth12", 1 },
    { "!veth0 veth*", "veth0", 0 },
    { "!/path/*/*.ext /path/*.ext", "/path/test.ext", 1 },
    { "!/path/*/*.ext /path/*.ext", "/path/sub/test.ext", 0 },
    { "!10.1.2.3 10.*", "10.1.2.3", 0 },
    { "!10.1.2.3 10.*", "10.1.2.4", 1 },
    { "*", "any_chart", 1 },
    { "*", "anyt_host", 1 },
    { "!*", "localhost", 0 },
    { "!*", "chart_id", 0 },
    { "!*", "chart_name", 0 },
    /* §5.6: the Go matcher's tests, C syntax */
    { "*foobar", "foobar", 1 },
    { "*foobar", "foo foobar", 1 },
    { "*foobar", "foobar baz", 0 },
    { "", "foobar", 0 },
    { "   ", "foobar", 0 },
    { "hello* !*world *", "hello", 1 },
    { "hello* !*world *", "hello world", 1 },
    { "hello* !*world *", "Hello world", 0 },
    { "hello* !*world *", "Hello world!", 1 },
    { "Business* !Business\\ Secret", "Business Secret", 1 },
    { "!Business\\ Secret Business*", "Business Secret", 0 },
    { "!Business\\ Secret Cost\\ Center Business*", "Cost Center", 1 },
    { "!Business\\ Secret Cost\\ Center Business*", "Cost", 0 },
    /* §5.7: derived vectors */
    { "*", "", 0 },
    { "!*", "", 0 },
    { "", "anything", 0 },
    { "   ", "anything", 0 },
    { "!", "anything", 0 },
    { "!", "!", 0 },
    { "foo !", "foo", 1 },
    { "! foo", "foo", 1 },
    { "a ! b", "b", 1 },
    { "!!foo", "!foo", 0 },
    { "!!foo", "foo", 0 },
    { "\\!foo", "!foo", 1 },
    { "\\!foo", "foo", 0 },
    { "!* *", "x", 0 },
    { "* !*", "x", 1 },
    { "foo !foo", "foo", 1 },
    { "!foo*", "bar", 0 },
    { "foo bar", "foo bar", 0 },
    { "foo\\ bar", "foo bar", 1 },
    { "*\\ *", "a b", 1 },
    { "a|b", "a", 0 },
    { "a|b", "a|b", 1 },
    { "a,b", "a", 0 },
    { "a,b", "a,b", 1 },
    { "Foo", "foo", 0 },
    { "foo*", "FOObar", 0 },
    { "foo", "foobar", 0 },
    { "foo", "foo", 1 },
    { "foo*", "foo", 1 },
    { "*foo", "foo", 1 },
    { "*foo*", "foo", 1 },
    { "*foo*", "xfooy", 1 },
    { "foo*bar", "foobar", 1 },
    { "foo*bar", "foo-bar-bar", 1 },
    { "foo*bar", "foobarx", 0 },
    { "a*a", "a", 0 },
    { "a*a", "aa", 1 },
    { "a*b*c", "acb", 0 },
    { "a*b*c", "abxbc", 1 },
    { "*a*b*", "ba", 0 },
    { "*o*o*o*", "ooo", 1 },
    { "*o*o*o*", "oo", 0 },
    { "**", "anything", 1 },
    { "**foo", "xfoo", 0 },
    { "**foo", "x*foo", 1 },
    { "**foo", "*foo", 1 },
    { "foo**", "foobar", 1 },
    { "a**b", "axb", 0 },
    { "a**b", "a*b", 1 },
    { "a**b", "ax*b", 1 },
    { "***", "abc", 0 },
    { "***", "a*c", 1 },
    { "*a**b", "a*b", 1 },
    { "*a**b", "ab", 0 },
    { "a\\*b", "axb", 1 },
    { "a\\*b", "a*b", 1 },
    { "foo\\", "foo", 1 },
    { "\\\\", "\\", 1 },
    { "*!*", "a!b", 1 },
    { "10.*", "10.0.0.1", 1 },
    { "10.*", "110.0.0.1", 0 },
    { "*.1", "10.0.0.1", 1 },
    { "system.*", "system", 0 },
    { "  foo  ", "foo", 1 },
    { "a   b", "b", 1 },
    { "localhost *", "localhost", 1 },
    { "*\xc3\xa9", "caf\xc3\xa9", 1 },
    { "*", " ", 1 },
    { "!**", "anything", 0 },
    { "fd*", "fd12:3456::1", 1 },
    { "172.1*", "172.100.0.1", 1 },
    { "UNKNOWN", "UNKNOWN", 1 },
};

/* The reference alone first: if it disagrees with the spec, the differential test is moot. */
static void test_reference_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(spec_vectors); i++) {
        const Vec *v = &spec_vectors[i];
        RefPattern *p = ref_pattern_create(v->pat);
        int got = ref_pattern_match(p, v->s) == REF_POSITIVE;
        ref_pattern_free(p);
        if (got != v->want) {
            fail_msg("reference: '%s' on '%s' gives %d, spec %d", v->pat, v->s, got, v->want);
        }
    }
}

static void test_spec_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(spec_vectors); i++) {
        const Vec *v = &spec_vectors[i];
        int got = check_all(v->pat, v->s) == MATCH_POSITIVE;
        if (got != v->want) {
            fail_msg("'%s' on '%s' gives %d, spec %d", v->pat, v->s, got, v->want);
        }
    }
}

/* Verdicts the spec implies beyond 0/1: which of the 0s are exclusions. */
static void test_spec_tristate(void **state)
{
    (void)state;
    assert_int_equal(check_all("*foobar* !foo* !*bar *", "hello world bar"), MATCH_NEGATIVE);
    assert_int_equal(check_all("!10.1.2.3 10.*", "10.1.2.3"), MATCH_NEGATIVE);
    assert_int_equal(check_all("!!foo", "!foo"), MATCH_NEGATIVE);
    assert_int_equal(check_all("!foo*", "bar"), MATCH_NONE);
    assert_int_equal(check_all("!* *", "x"), MATCH_NEGATIVE);
    assert_int_equal(check_all("!*", ""), MATCH_NONE);
    assert_int_equal(check_all("foo bar", "foo bar"), MATCH_NONE);
    /* NUL-free strings with every byte value, embedded in a long exact list */
    char pat[4096], s[8];
    size_t k = 0;
    for (int c = 1; c < 256; c++) {
        if (c == ' ' || (c >= '\t' && c <= '\r') || c == '\\' || c == '!' || c == '*') {
            continue;
        }
        pat[k++] = 'x';
        pat[k++] = (char)c;
        pat[k++] = ' ';
    }
    pat[k] = '\0';
    for (int c = 1; c < 256; c++) {
        snprintf(s, sizeof s, "x%c", c);
        check_all(pat, s);
    }
}

#include "test_pattern_gen.inc"

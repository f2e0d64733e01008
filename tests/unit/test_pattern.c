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
    { "*foobar* !foo* !*bar *", "hello world foobar", 1 }, { "!*bad* *", "this is bad", 0 },
    { "!*bad* *", "good", 1 }, { "!veth0 veth*", "veth12", 1 }, { "!veth0 veth*", "veth0", 0 },
    { "!/path/*/*.ext /path/*.ext", "/path/test.ext", 1 },
    { "!/path/*/*.ext /path/*.ext", "/path/sub/test.ext", 0 }, { "!10.1.2.3 10.*", "10.1.2.3", 0 },
    { "!10.1.2.3 10.*", "10.1.2.4", 1 }, { "*", "any_chart", 1 }, { "*", "anyt_host", 1 },
    { "!*", "localhost", 0 }, { "!*", "chart_id", 0 }, { "!*", "chart_name", 0 },
    /* §5.6: the Go matcher's tests, C syntax */
    { "*foobar", "foobar", 1 }, { "*foobar", "foo foobar", 1 }, { "*foobar", "foobar baz", 0 },
    { "", "foobar", 0 }, { "   ", "foobar", 0 }, { "hello* !*world *", "hello", 1 },
    { "hello* !*world *", "hello world", 1 }, { "hello* !*world *", "Hello world", 0 },
    { "hello* !*world *", "Hello world!", 1 },
    { "Business* !Business\\ Secret", "Business Secret", 1 },
    { "!Business\\ Secret Business*", "Business Secret", 0 },
    { "!Business\\ Secret Cost\\ Center Business*", "Cost Center", 1 },
    { "!Business\\ Secret Cost\\ Center Business*", "Cost", 0 },
    /* §5.7: derived vectors */
    { "*", "", 0 }, { "!*", "", 0 }, { "", "anything", 0 }, { "   ", "anything", 0 },
    { "!", "anything", 0 }, { "!", "!", 0 }, { "foo !", "foo", 1 }, { "! foo", "foo", 1 },
    { "a ! b", "b", 1 }, { "!!foo", "!foo", 0 }, { "!!foo", "foo", 0 }, { "\\!foo", "!foo", 1 },
    { "\\!foo", "foo", 0 }, { "!* *", "x", 0 }, { "* !*", "x", 1 }, { "foo !foo", "foo", 1 },
    { "!foo*", "bar", 0 }, { "foo bar", "foo bar", 0 }, { "foo\\ bar", "foo bar", 1 },
    { "*\\ *", "a b", 1 }, { "a|b", "a", 0 }, { "a|b", "a|b", 1 }, { "a,b", "a", 0 },
    { "a,b", "a,b", 1 }, { "Foo", "foo", 0 }, { "foo*", "FOObar", 0 }, { "foo", "foobar", 0 },
    { "foo", "foo", 1 }, { "foo*", "foo", 1 }, { "*foo", "foo", 1 }, { "*foo*", "foo", 1 },
    { "*foo*", "xfooy", 1 }, { "foo*bar", "foobar", 1 }, { "foo*bar", "foo-bar-bar", 1 },
    { "foo*bar", "foobarx", 0 }, { "a*a", "a", 0 }, { "a*a", "aa", 1 }, { "a*b*c", "acb", 0 },
    { "a*b*c", "abxbc", 1 }, { "*a*b*", "ba", 0 }, { "*o*o*o*", "ooo", 1 }, { "*o*o*o*", "oo", 0 },
    { "**", "anything", 1 }, { "**foo", "xfoo", 0 }, { "**foo", "x*foo", 1 },
    { "**foo", "*foo", 1 }, { "foo**", "foobar", 1 }, { "a**b", "axb", 0 }, { "a**b", "a*b", 1 },
    { "a**b", "ax*b", 1 }, { "***", "abc", 0 }, { "***", "a*c", 1 }, { "*a**b", "a*b", 1 },
    { "*a**b", "ab", 0 }, { "a\\*b", "axb", 1 }, { "a\\*b", "a*b", 1 }, { "foo\\", "foo", 1 },
    { "\\\\", "\\", 1 }, { "*!*", "a!b", 1 }, { "10.*", "10.0.0.1", 1 }, { "10.*", "110.0.0.1", 0 },
    { "*.1", "10.0.0.1", 1 }, { "system.*", "system", 0 }, { "  foo  ", "foo", 1 },
    { "a   b", "b", 1 }, { "localhost *", "localhost", 1 }, { "*\xc3\xa9", "caf\xc3\xa9", 1 },
    { "*", " ", 1 }, { "!**", "anything", 0 }, { "fd*", "fd12:3456::1", 1 },
    { "172.1*", "172.100.0.1", 1 }, { "UNKNOWN", "UNKNOWN", 1 },
};

/* The reference alone first (if it disagrees with the spec, the differential test is moot),
   then every mode against it. */
static void test_spec_vectors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(spec_vectors); i++) {
        const Vec *v = &spec_vectors[i];
        RefPattern *p = ref_pattern_create(v->pat);
        int ref = ref_pattern_match(p, v->s) == REF_POSITIVE;
        ref_pattern_free(p);
        int got = check_all(v->pat, v->s) == MATCH_POSITIVE;
        if (ref != v->want || got != v->want) {
            fail_msg("'%s' on '%s': reference %d, compiled %d, spec %d", v->pat, v->s, ref, got,
                     v->want);
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
        int listed = !(c == ' ' || (c >= '\t' && c <= '\r') || c == '\\' || c == '!' || c == '*');
        assert_int_equal(check_all(pat, s), listed ? MATCH_POSITIVE : MATCH_NONE);
    }
}

/* A chain longer than PatTerm.npieces (u16) can count: "a*" x 65535 then "b" is 65,536 pieces
   (a 131,071-byte pattern, which `streamc match` accepts as one argument). Netdata walks the
   whole chain, so 65,535 a's without the final 'b' must not match; refusing the pattern is
   fine too. No reference here: its recursion would be 65,536 frames deep. */
static void test_huge_chain(void **state)
{
    (void)state;
    size_t k = 65535;
    char *pat = malloc(2 * k + 2), *s = malloc(k + 2);
    assert_non_null(pat);
    assert_non_null(s);
    for (size_t i = 0; i < k; i++) {
        pat[2 * i] = 'a';
        pat[2 * i + 1] = '*';
        s[i] = 'a';
    }
    memcpy(pat + 2 * k, "b", 2);
    for (int mode = PATTERN_LINEAR; mode <= PATTERN_INDEXED; mode++) {
        Arena a;
        PatList pl;
        size_t n = 0;
        arena_init(&a);
        const void *prog = pattern_parse(&a, pat, 2 * k + 1, &pl) == 0
                           ? pattern_compile(&a, &pl, mode, &n) : NULL;
        if (!prog || pattern_prog_verify(prog, n)) {
            arena_free(&a);         /* refusing such a pattern is a fine answer */
            continue;
        }
        memcpy(s + k, "b", 2);
        assert_int_equal(match_run(prog, s, k + 1), MATCH_POSITIVE);
        s[k] = '\0';
        if (match_run(prog, s, k) != MATCH_NONE) {
            arena_free(&a);
            free(s);
            free(pat);
            fail_msg("%s: 'a*' x 65535 + 'b' matches 65535 a's without a 'b': the chain was "
                     "cut at 65535 pieces (PatTerm.npieces is u16)", mode_name[mode]);
        }
        arena_free(&a);
    }
    free(s);
    free(pat);
}

/* ---- differential test ------------------------------------------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(uint32_t n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)((rng_state >> 11) % n);
}

/* Biased toward the characters that matter: stars, bangs, backslashes, separators. */
static const char *const atoms[] = {
    "*", "*", "*", "*", "!", "\\", " ", "a", "a", "b", "b", ".", "1", "0", "ab", "10.1", "cpu",
    "a.b", "apps.", "192.168.", "\\ ", "**", "\t", "\n", "\r\f\v", "\xc3\xa9", "\\\\", "!!",
};
static const char str_chars[] = "ab.10*! \\";

typedef struct Buf {
    char z[8192];
    size_t n;
} Buf;

static void put(Buf *b, const char *z)
{
    size_t k = strlen(z);
    if (b->n + k < sizeof b->z) {
        memcpy(b->z + b->n, z, k);
        b->n += k;
        b->z[b->n] = '\0';
    }
}

static void put_literal(Buf *b, int len)
{
    char t[2] = { 0, 0 };
    for (int i = 0; i < len; i++) {
        t[0] = "ab.10c"[rnd(6)];
        put(b, t);
    }
}

/* A word of a long list: mostly exact/prefix/suffix terms (the index), some general ones. */
static void put_list_word(Buf *b)
{
    if (rnd(10) < 3) {
        put(b, "!");
    }
    uint32_t k = rnd(20);
    if (k < 8) {
        put_literal(b, 1 + (int)rnd(4));
    } else if (k < 12) {
        put_literal(b, (int)rnd(4));
        put(b, "*");
    } else if (k < 16) {
        put(b, "*");
        put_literal(b, (int)rnd(4));
    } else if (k < 19) {
        for (int i = 1 + (int)rnd(4); i > 0; i--) {
            put(b, atoms[rnd(LEN(atoms))]);
        }
    } else {
        put(b, rnd(2) ? "*" : "**");
    }
}

static void gen_pattern(Buf *b)
{
    b->n = 0;
    b->z[0] = '\0';
    int long_list = rnd(10) == 0;
    int words = long_list ? 20 + (int)rnd(181) : 1 + (int)rnd(12);
    for (int w = 0; w < words; w++) {
        if (w > 0) {
            static const char *const seps[] = { " ", " ", " ", "  ", "\t", " ! ", "\n\v" };
            put(b, seps[rnd(LEN(seps))]);
        }
        if (long_list) {
            put_list_word(b);
            continue;
        }
        if (rnd(4) == 0) {
            put(b, "!");
        }
        for (int i = 1 + (int)rnd(6); i > 0; i--) {
            put(b, atoms[rnd(LEN(atoms))]);
        }
    }
}

/* A string that has a fair chance to match: a word's text with each '*' replaced. */
static void gen_string(Buf *b, const PatList *pl)
{
    char t[2] = { 0, 0 };
    b->n = 0;
    b->z[0] = '\0';
    if (!pl->n || rnd(3) == 0) {
        for (int i = (int)rnd(11); i > 0; i--) {
            t[0] = str_chars[rnd(sizeof str_chars - 1)];
            put(b, t);
        }
        return;
    }
    const PatWord *w = &pl->w[rnd(pl->n)];
    if (rnd(8) == 0) {
        put_literal(b, 1);
    }
    for (uint32_t i = 0; i < w->n; i++) {
        if (w->text[i] == '*' && rnd(5) != 0) {
            for (int k = (int)rnd(4); k > 0; k--) {
                t[0] = str_chars[rnd(sizeof str_chars - 1)];
                put(b, t);
            }
        } else {
            t[0] = w->text[i] ? w->text[i] : 'z';
            put(b, t);
        }
    }
    if (rnd(8) == 0) {
        put_literal(b, 1);
    }
}

#define DIFF_PATTERNS 100000
#define DIFF_STRINGS 8

static void test_differential(void **state)
{
    (void)state;
    static Buf pat, s;
    unsigned long checks = 0, verdicts[3] = { 0, 0, 0 }, indexed_long = 0;
    rng_state = 0x5eed5eed12345678ull;
    for (int iter = 0; iter < DIFF_PATTERNS; iter++) {
        gen_pattern(&pat);
        Arena a;
        PatList pl;
        arena_init(&a);
        assert_int_equal(pattern_parse(&a, pat.z, pat.n, &pl), 0);
        RefPattern *ref = ref_pattern_create(pat.z);
        if (ref_pattern_count(ref) != pl.n) {
            fail_msg("'%s': %u words, reference %lu", pat.z, pl.n, ref_pattern_count(ref));
        }
        size_t nl = 0, ni = 0;
        const void *lin = pattern_compile(&a, &pl, PATTERN_LINEAR, &nl);
        const void *idx = pattern_compile(&a, &pl, PATTERN_INDEXED, &ni);
        assert_non_null(lin);
        assert_non_null(idx);
        const char *why = pattern_prog_verify(lin, nl);
        why = why ? why : pattern_prog_verify(idx, ni);
        if (why) {
            fail_msg("'%s': verifier refuses a fresh program: %s", pat.z, why);
        }
        indexed_long += pl.n >= 20 && (((const PatHeader *)idx)->flags & PAT_INDEXED);
        for (int k = 0; k < DIFF_STRINGS; k++) {
            gen_string(&s, &pl);
            int want = ref_pattern_match(ref, s.z);
            long term = ref_pattern_first_term(ref, s.z);
            int gl = (int)match_run(lin, s.z, s.n), gi = (int)match_run(idx, s.z, s.n);
            long tl = match_first_term(lin, s.z, s.n), ti = match_first_term(idx, s.z, s.n);
            if (gl != want || gi != want || tl != term || ti != term) {
                fail_msg("pattern '%s' string '%s': linear %s (term %ld), indexed %s (term %ld), "
                         "reference %s (term %ld)", pat.z, s.z, verdict[gl % 3], tl,
                         verdict[gi % 3], ti, verdict[want % 3], term);
            }
            /* pattern_covers must be sound: no earlier term covers the deciding one */
            for (long i = 0; i < term; i++) {
                if (pattern_covers(&pl.w[i], &pl.w[term])) {
                    fail_msg("pattern '%s': pattern_covers says term %ld covers term %ld, but "
                             "'%s' matches only the latter", pat.z, i, term, s.z);
                }
            }
            verdicts[want]++;
            checks++;
        }
        ref_pattern_free(ref);
        arena_free(&a);
    }
    print_message("differential: %d patterns, %lu strings: %lu none, %lu positive, "
                  "%lu negative; %lu long lists compiled with an index\n", DIFF_PATTERNS, checks,
                  verdicts[0], verdicts[1], verdicts[2], indexed_long);
    assert_true(verdicts[1] > checks / 20 && verdicts[2] > checks / 50);
    assert_true(indexed_long > DIFF_PATTERNS / 20);
}

/* ---- corrupted programs ------------------------------------------------------------------ */

static const char *const probe_strings[] = {
    "", "a", "10.1.2.3", "192.168.1.1", "host.local", "abc", "xbady", "a*b", "aaaaaaaaaaaaaaaa",
};

/* PROG (N bytes, exact-size heap copy) passed the verifier: running it must be safe. */
static void run_probes(const void *prog, size_t n)
{
    uint32_t nterms = n >= sizeof(PatHeader) ? ((const PatHeader *)prog)->nterms : 0;
    for (size_t i = 0; i < LEN(probe_strings); i++) {
        const char *s = probe_strings[i];
        int r = (int)match_run(prog, s, strlen(s));
        long t = match_first_term(prog, s, strlen(s));
        assert_true(r >= MATCH_NONE && r <= MATCH_NEGATIVE);
        assert_true(t >= -1 && t < (long)nterms);
        assert_true((t == -1) == (r == MATCH_NONE));
    }
}

static void test_corrupted_programs(void **state)
{
    (void)state;
    static Buf big;
    big.n = 0;
    rng_state = 42;
    for (int w = 0; w < 60; w++) {
        put_list_word(&big);
        put(&big, " ");
    }
    const char *pats[] = { "!10.1.2.3 10.* 192.168.* *.local !*bad* a*b*c", big.z, "", "*",
                           "a**b !x*y*z foo" };
    static const uint8_t flips[] = { 0x01, 0x02, 0x10, 0x80, 0xFF };
    unsigned long accepted = 0, tried = 0;
    for (size_t p = 0; p < LEN(pats); p++) {
        for (int mode = PATTERN_LINEAR; mode <= PATTERN_INDEXED; mode++) {
            size_t n;
            uint8_t *prog = compile_exact(pats[p], mode, &n);
            run_probes(prog, n);
            for (size_t len = 0; len < n; len++) {
                uint8_t *cut = malloc(len ? len : 1);
                assert_non_null(cut);
                memcpy(cut, prog, len);
                if (!pattern_prog_verify(cut, len)) {
                    fail_msg("'%s' (%s): program truncated to %zu of %zu bytes accepted",
                             pats[p], mode_name[mode], len, n);
                }
                free(cut);
            }
            uint8_t *bad = malloc(n);
            assert_non_null(bad);
            for (size_t i = 0; i < n; i++) {
                for (size_t f = 0; f < LEN(flips); f++) {
                    memcpy(bad, prog, n);
                    bad[i] ^= flips[f];
                    tried++;
                    if (!pattern_prog_verify(bad, n)) {
                        accepted++;
                        run_probes(bad, n);
                    }
                }
            }
            free(bad);
            free(prog);
        }
    }
    print_message("corruption: %lu flipped programs, %lu accepted and run safely\n", tried,
                  accepted);
}

/* ---- lint -------------------------------------------------------------------------------- */

typedef struct LintCase {
    const char *pat;
    int code, code2;         /* the expected findings (-1: none), in any order */
    uint32_t col;            /* their column when the pattern starts at column 1 (0: any) */
} LintCase;

#define SHADOWED DIAG_PAT_SHADOWED
#define STARSTAR DIAG_PAT_STARSTAR

static const LintCase lint_cases[] = {
    { "* !apps.cpu", SHADOWED, -1, 3 },             { "10.* !10.1.*", SHADOWED, -1, 6 },
    { "localhost 10.* !10.1.2.3", SHADOWED, -1, 16 },   /* 10.* decides first */
    { "*.1 !10.0.0.1", SHADOWED, -1, 5 },           { "10.*.5 !10.1.1.5", SHADOWED, -1, 8 },
    { "a*b*c !axbyc", SHADOWED, -1, 7 },            { "foo* foo*bar", SHADOWED, -1, 6 },
    { "foo* foobar*", SHADOWED, -1, 6 },            { "*bar *foobar", SHADOWED, -1, 6 },
    { "*a* a*", SHADOWED, -1, 5 },                  { "* foo", SHADOWED, -1, 3 },
    { "!* *", SHADOWED, -1, 4 },                    { "* !*", SHADOWED, -1, 3 },
    { "!x* !y* * xa", SHADOWED, -1, 11 },           { "*foo **foo", SHADOWED, STARSTAR, 6 },
    { "foo foo", DIAG_PAT_DUPLICATE, -1, 5 },       { "a b !c a", DIAG_PAT_DUPLICATE, -1, 8 },
    { "!foo bar !foo *", DIAG_PAT_DUPLICATE, -1, 10 },
    { "foo !", DIAG_PAT_LONE_BANG, -1, 5 },         { "! foo", DIAG_PAT_LONE_BANG, -1, 1 },
    { "a ! b", DIAG_PAT_LONE_BANG, -1, 3 },         { "**foo", STARSTAR, -1, 1 },
    { "x a**b", STARSTAR, -1, 3 },                  { "***", STARSTAR, -1, 1 },
    { "a**b a*b", STARSTAR, -1, 1 },                /* a*b is broader: not shadowed */
    { "!foo* !bar", DIAG_PAT_NEG_ONLY, -1, 0 },     { "!*", -1, -1, 0 },   /* deny-all */
    /* good patterns: nothing to say */
    { "!10.1.2.3 10.*", -1, -1, 0 },                { "localhost 10.* 192.168.*", -1, -1, 0 },
    { "!apps.* !users.* !groups.* !cgroup_* system.* disk.* net.* mem.* cpu.* *", -1, -1, 0 },
    { "*foobar* !foo* !*bar *", -1, -1, 0 },        { "!veth0 veth*", -1, -1, 0 },
    { "foo*bar foo*", -1, -1, 0 },                  { "*foo *bar a*b b*a", -1, -1, 0 },
    { "!/path/*/*.ext /path/*.ext", -1, -1, 0 },    { "*", -1, -1, 0 },
};

/* Each pattern is placed at line 7, column 10, so spans must be offset from LOC. */
static void test_lint(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t i = 0; i < LEN(lint_cases); i++) {
        const LintCase *c = &lint_cases[i];
        Arena a;
        DiagSink d;
        PatList pl;
        arena_init(&a);
        diag_init(&d, &a);
        assert_int_equal(pattern_parse(&a, c->pat, strlen(c->pat), &pl), 0);
        DiagLoc loc = { NULL, 7, 10, (uint32_t)strlen(c->pat) };
        pattern_lint(&d, &pl, c->pat, loc);
        int want[2] = { c->code, c->code2 }, ok = d.n == (uint32_t)(c->code >= 0) + (c->code2 >= 0);
        for (const Diag *g = d.first; g && ok; g = g->next) {
            int k = (int)g->code == want[0] ? 0 : (int)g->code == want[1] ? 1 : -1;
            ok = k >= 0 && g->at.line == 7 && (c->col == 0 || g->at.col == 9 + c->col);
            want[k < 0 ? 0 : k] = -2;       /* each expected finding once */
        }
        if (!ok) {
            print_error("'%s': want %s%s%s at column %u; got %u finding(s):\n", c->pat,
                        c->code < 0 ? "nothing" : diag_slug[c->code], c->code2 < 0 ? "" : " + ",
                        c->code2 < 0 ? "" : diag_slug[c->code2], c->col, d.n);
            for (const Diag *g = d.first; g; g = g->next) {
                print_error("    col %u len %u [%s] %s\n", g->at.col - 9, g->at.len,
                            diag_slug[g->code], g->msg);
            }
            bad++;
        }
        arena_free(&a);
    }
    assert_int_equal(bad, 0);
}

/* ---- pattern_covers ---------------------------------------------------------------------- */

typedef struct CoverCase {
    const char *i, *j;
    int want;                /* 1: must say covered; 0: must not (it is not) */
} CoverCase;

static const CoverCase cover_cases[] = {
    { "*", "foo", 1 },       { "*", "*a*b", 1 },        { "**", "x", 1 },
    { "foo*", "foobar", 1 }, { "foo*", "foo*bar", 1 },  { "foo*", "foobar*", 1 },
    { "*bar", "*foobar", 1 }, { "*bar", "foobar", 1 },  { "*o*", "foo", 1 },
    { "*o*", "*o*", 1 },     { "10.*", "10.1.2.3", 1 }, { "a*b*c", "axbyc", 1 },
    { "foo", "foo", 1 },     { "*a*", "a*", 1 },        { "*.1", "10.0.0.1", 1 },
    { "*foo", "**foo", 1 },    { "10.*.5", "10.1.1.5", 1 },
    { "foo", "*", 0 },       { "foo*", "fo*", 0 },      { "foo*", "*foo", 0 },
    { "**foo", "*foo", 0 },  { "a**b", "a*b", 0 },      { "***", "*", 0 },
    { "*a*b*", "ba", 0 },    { "a*a", "a", 0 },         { "*o*o*", "*o*", 0 },
    { "foo", "Foo", 0 },     { "10.*", "110.0.0.1", 0 }, { "foo", "foobar", 0 },
    { "foo*bar", "foo*", 0 }, { "*a*", "*b*", 0 },       { "a*", "*", 0 },
};

static void test_covers(void **state)
{
    (void)state;
    int bad = 0;
    for (size_t k = 0; k < LEN(cover_cases); k++) {
        const CoverCase *c = &cover_cases[k];
        char pat[64];
        Arena a;
        PatList pl;
        snprintf(pat, sizeof pat, "%s %s", c->i, c->j);
        arena_init(&a);
        assert_int_equal(pattern_parse(&a, pat, strlen(pat), &pl), 0);
        assert_int_equal(pl.n, 2);
        int got = pattern_covers(&pl.w[0], &pl.w[1]) != 0;
        arena_free(&a);
        if (got != c->want) {
            print_error("pattern_covers('%s', '%s') = %d, want %d\n", c->i, c->j, got, c->want);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vectors),
        cmocka_unit_test(test_spec_tristate),
        cmocka_unit_test(test_huge_chain),
        cmocka_unit_test(test_differential),
        cmocka_unit_test(test_corrupted_programs),
        cmocka_unit_test(test_lint),
        cmocka_unit_test(test_covers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

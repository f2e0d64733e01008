/*
** fuzz_pattern.c - libFuzzer target for compiler/pattern.c, common/pattern_prog.c and
** runtime/match.c, checked against the reference matcher (tests/support/ref_pattern.c).
**
** Input: the pattern text, then the first '\n' or 0x00, then the string to match (up to its
** first NUL, as Netdata's strlen sees it). With no separator the whole input is the pattern.
** The pattern is parsed, linted, compiled LINEAR, INDEXED and AUTO; every program must pass
** pattern_prog_verify; the string and each word's own text are matched by every program and
** by the reference, and verdicts and deciding terms must agree; no earlier term may "cover"
** the deciding one (pattern_covers must be sound). Any disagreement prints the case and
** calls abort(). Inputs are exact-size copies, so ASan catches reads past their end.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "diag.h"
#include "match.h"
#include "pattern.h"
#include "pattern_prog.h"
#include "ref_pattern.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_WORD_PROBES 16

typedef struct Progs {
    void *p[3];              /* AUTO, LINEAR, INDEXED: exact-size heap copies */
} Progs;

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        abort();
    }
    return p;
}

static void die(const char *what, const char *pat, const char *s, size_t n)
{
    fprintf(stderr, "fuzz_pattern: %s\n  pattern: '%s'\n  string:  '%.*s'\n", what, pat,
            (int)n, s);
    abort();
}

/* Match S[0..N) (no NUL inside; SZ is a NUL-terminated copy) everywhere; all must agree. */
static void check_string(const Progs *pr, const RefPattern *ref, const PatList *pl,
                         const char *pat, const char *s, size_t n)
{
    char *sz = xmalloc(n + 1);
    char *exact = xmalloc(n);
    memcpy(sz, s, n);
    sz[n] = '\0';
    memcpy(exact, s, n);
    int want = ref_pattern_match(ref, sz);
    long term = ref_pattern_first_term(ref, sz);
    for (int m = 0; m < 3; m++) {
        int got = (int)match_run(pr->p[m], exact, n);
        long t = match_first_term(pr->p[m], exact, n);
        if (got != want || t != term) {
            fprintf(stderr, "fuzz_pattern: mode %d: verdict %d term %ld, reference %d term %ld\n",
                    m, got, t, want, term);
            die("compiled program disagrees with the reference", pat, s, n);
        }
    }
    if ((term < 0) != (want == REF_NONE) || term >= (long)pl->n) {
        die("reference term index out of range", pat, s, n);
    }
    for (long i = 0; i < term; i++) {
        if (pattern_covers(&pl->w[i], &pl->w[term])) {
            fprintf(stderr, "fuzz_pattern: term %ld said to cover term %ld\n", i, term);
            die("pattern_covers is unsound", pat, s, n);
        }
    }
    free(exact);
    free(sz);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    size_t pn = 0;
    while (pn < size && in[pn] != '\n' && in[pn] != '\0') {
        pn++;
    }
    const char *str = pn < size ? in + pn + 1 : in + size;
    size_t sn = 0;
    while (str + sn < in + size && str[sn] != '\0') {
        sn++;
    }

    char *pat = xmalloc(pn);            /* exact size: what pattern_parse sees */
    char *patz = xmalloc(pn + 1);       /* NUL-terminated: what Netdata sees */
    memcpy(pat, in, pn);
    memcpy(patz, in, pn);
    patz[pn] = '\0';

    Arena a;
    DiagSink d;
    PatList pl;
    arena_init(&a);
    diag_init(&d, &a);
    if (pattern_parse(&a, pat, pn, &pl) != 0) {
        die("pattern_parse failed", patz, "", 0);
    }
    RefPattern *ref = ref_pattern_create(patz);
    if (ref_pattern_count(ref) != pl.n) {
        die("word count differs from the reference", patz, "", 0);
    }
    DiagLoc loc = { NULL, 1, 1, 1 };
    pattern_lint(&d, &pl, pat, loc);

    Progs pr;
    static const int modes[3] = { PATTERN_AUTO, PATTERN_LINEAR, PATTERN_INDEXED };
    for (int m = 0; m < 3; m++) {
        size_t n = 0;
        const void *prog = pattern_compile(&a, &pl, modes[m], &n);
        if (!prog) {
            die("pattern_compile failed", patz, "", 0);
        }
        const char *why = pattern_prog_verify(prog, n);
        if (why) {
            die(why, patz, "", 0);
        }
        if (n > sizeof(PatHeader) && !pattern_prog_verify(prog, n - 1)) {
            die("verifier accepts a truncated program", patz, "", 0);
        }
        pr.p[m] = xmalloc(n);
        memcpy(pr.p[m], prog, n);
    }

    check_string(&pr, ref, &pl, patz, str, sn);
    for (uint32_t i = 0; i < pl.n && i < MAX_WORD_PROBES; i++) {
        const PatWord *w = &pl.w[i];
        size_t k = 0;
        while (k < w->n && w->text[k] != '\0') {
            k++;
        }
        check_string(&pr, ref, &pl, patz, w->text, k);     /* literal stars and all */
        if (k > 1) {
            check_string(&pr, ref, &pl, patz, w->text + 1, k - 1);
        }
    }

    for (int m = 0; m < 3; m++) {
        free(pr.p[m]);
    }
    ref_pattern_free(ref);
    arena_free(&a);
    free(patz);
    free(pat);
    return 0;
}

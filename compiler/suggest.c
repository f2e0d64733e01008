/*
** suggest.c - bounded edit distance and did-you-mean selection (see suggest.h).
**
** Internal spaces are significant (Netdata keys contain them); ASCII case is folded, so a
** candidate that differs only by case is distance 0, which is what makes "Enabled" suggest
** "enabled".
*/
#include "suggest.h"

#include <string.h>

#define WORD_MAX 128

static unsigned char fold(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c + 32) : c;
}

unsigned suggest_distance(const char *a, size_t an, const char *b, size_t bn, unsigned max)
{
    if (an > WORD_MAX || bn > WORD_MAX) {
        return max + 1;
    }
    if ((an > bn ? an - bn : bn - an) > max) {
        return max + 1;
    }
    /* Optimal string alignment: Levenshtein plus adjacent transpositions ("wbe" -> "web"
       is one edit), over three rolling rows. */
    unsigned rows[3][WORD_MAX + 1];
    unsigned *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= bn; j++) {
        prev[j] = (unsigned)j;
    }
    for (size_t i = 1; i <= an; i++) {
        unsigned best = (unsigned)i;
        cur[0] = (unsigned)i;
        unsigned char ca = fold((unsigned char)a[i - 1]);
        for (size_t j = 1; j <= bn; j++) {
            unsigned char cb = fold((unsigned char)b[j - 1]);
            unsigned v = prev[j - 1] + (ca == cb ? 0 : 1);
            if (prev[j] + 1 < v) {
                v = prev[j] + 1;
            }
            if (cur[j - 1] + 1 < v) {
                v = cur[j - 1] + 1;
            }
            if (i > 1 && j > 1 && ca == fold((unsigned char)b[j - 2]) &&
                fold((unsigned char)a[i - 2]) == cb && prev2[j - 2] + 1 < v) {
                v = prev2[j - 2] + 1;
            }
            cur[j] = v;
            if (v < best) {
                best = v;
            }
        }
        if (best > max + 1) {
            return max + 1;   /* a transposition can save at most one more edit later */
        }
        unsigned *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[bn] > max ? max + 1 : prev[bn];
}

unsigned suggest_limit(size_t n)
{
    size_t t = n / 3;
    if (t < 1) {
        t = 1;
    }
    return t > 3 ? 3 : (unsigned)t;
}

void suggest_begin(Suggest *s, const char *word, size_t n)
{
    s->word = word;
    s->n = n;
    s->limit = suggest_limit(n);
    s->best = NULL;
    s->best_d = s->limit + 1;
}

void suggest_try(Suggest *s, const char *cand)
{
    size_t cn = strlen(cand);
    if (cn == s->n && memcmp(cand, s->word, cn) == 0) {
        return;   /* never suggest the word itself */
    }
    unsigned d = suggest_distance(s->word, s->n, cand, cn, s->limit);
    if (d < s->best_d) {
        s->best_d = d;
        s->best = cand;
    }
}

const char *suggest_result(const Suggest *s)
{
    return s->best_d <= s->limit ? s->best : NULL;
}

/*
** suggest.c - bounded edit distance and did-you-mean selection (see suggest.h).
**
** Internal spaces are significant (Netdata keys contain them), but a candidate that differs
** only by case or by doubled spaces is distance 0 after folding, which is what makes
** "Enabled" suggest "enabled".
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
    unsigned row[WORD_MAX + 1];
    for (size_t j = 0; j <= bn; j++) {
        row[j] = (unsigned)j;
    }
    for (size_t i = 1; i <= an; i++) {
        unsigned diag = row[0], best = (unsigned)i;
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= bn; j++) {
            unsigned up = row[j];
            unsigned cost = fold((unsigned char)a[i - 1]) == fold((unsigned char)b[j - 1]) ? 0 : 1;
            unsigned v = diag + cost;
            if (up + 1 < v) {
                v = up + 1;
            }
            if (row[j - 1] + 1 < v) {
                v = row[j - 1] + 1;
            }
            row[j] = v;
            diag = up;
            if (v < best) {
                best = v;
            }
        }
        if (best > max) {
            return max + 1;   /* every path already costs more than allowed */
        }
    }
    return row[bn] > max ? max + 1 : row[bn];
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

/*
** suggest.h - "did you mean": bounded, case-folded edit distance over a list of candidates.
*/
#ifndef STREAMC_SUGGEST_H
#define STREAMC_SUGGEST_H

#include <stddef.h>

/* Edit distance (Levenshtein plus adjacent transpositions) of a and b with ASCII case
   folded, or max+1 once it exceeds max. */
unsigned suggest_distance(const char *a, size_t an, const char *b, size_t bn, unsigned max);

/* The style rule's threshold for a word of n bytes: min(3, max(1, n/3)). */
unsigned suggest_limit(size_t n);

/* Incremental best-candidate search: ties keep the earlier candidate (schema order). */
typedef struct Suggest {
    const char *word;
    size_t n;
    unsigned limit;
    const char *best;
    unsigned best_d;
} Suggest;

void suggest_begin(Suggest *s, const char *word, size_t n);
void suggest_try(Suggest *s, const char *cand);
const char *suggest_result(const Suggest *s);   /* NULL when nothing is close enough */

#endif

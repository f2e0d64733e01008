/*
** match.h - run a compiled simple pattern (common/pattern_prog.h) against a string.
**
** The program must have passed pattern_prog_verify(). No allocation, no recursion.
*/
#ifndef STREAMC_MATCH_H
#define STREAMC_MATCH_H

#include <stddef.h>

typedef enum {
    MATCH_NONE = 0,       /* no term matched */
    MATCH_POSITIVE = 1,   /* the first matching term is positive */
    MATCH_NEGATIVE = 2,   /* the first matching term is negative ("excluded") */
} MatchResult;

MatchResult match_run(const void *prog, const char *s, size_t n);
/* Index of the deciding term (for explain and lint), or -1. */
long match_first_term(const void *prog, const char *s, size_t n);

#endif

/*
** ref_pattern.h - reference matcher for Netdata 1.37.1 simple patterns, written from the spec
** (shared/spec/config-semantics.md section 5) only, independently of compiler/pattern.c and
** runtime/match.c. It mirrors Netdata's own structure: a linked list of terms, each a
** recursive chain of pieces, matched with strcmp/strncmp/strstr on NUL-terminated strings.
** It is the baseline of the differential tests, the fuzzer and the match bench; it is never
** linked into streamc. It allocates with malloc and does not aim to be fast.
*/
#ifndef STREAMC_REF_PATTERN_H
#define STREAMC_REF_PATTERN_H

typedef struct RefPattern RefPattern;

enum { REF_NONE = 0, REF_POSITIVE = 1, REF_NEGATIVE = 2 };

/* Parse TEXT (NUL-terminated) with the default separators (space \t \r \n \f \v). Returns NULL
   for "no pattern" (NULL/empty text, only separators and lone '!'). The caller owns the
   result. Test support: aborts when malloc fails, so NULL always means "no pattern". */
RefPattern *ref_pattern_create(const char *text);

/* As ref_pattern_create, with custom separators SEPS (NULL or "" = the defaults); custom
   separators replace the defaults, as in Netdata. */
RefPattern *ref_pattern_create_sep(const char *text, const char *seps);

/* Match S (NUL-terminated) against P: REF_NONE, REF_POSITIVE or REF_NEGATIVE. A NULL P, a
   NULL S and the empty string give REF_NONE. */
int ref_pattern_match(const RefPattern *p, const char *s);

/* Index (0-based, in pattern order) of the term that decides for S, or -1. */
long ref_pattern_first_term(const RefPattern *p, const char *s);

/* Number of terms (words) in P; 0 for NULL. */
unsigned long ref_pattern_count(const RefPattern *p);

/* Free P and everything it owns; NULL is a no-op. */
void ref_pattern_free(RefPattern *p);

#endif

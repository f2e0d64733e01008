/*
** match.c - execute compiled simple patterns with Netdata 1.37.1's semantics.
**
** A term is a chain of pieces. Each piece must fit in the remaining text; a prefix piece
** consumes its text from the front, a substring piece consumes up to and including the
** leftmost occurrence (no other occurrence is ever tried, as in Netdata), suffix and exact
** pieces end the chain. Matching is byte-wise and case-sensitive.
*/
#include "match.h"

#include <string.h>

#include "pattern_prog.h"

#define AT(prog, off, type) ((const type *)((const char *)(prog) + (off)))

static const char *find(const char *s, size_t n, const char *w, size_t wn)
{
    if (wn == 1) {
        return memchr(s, w[0], n);
    }
    return memmem(s, n, w, wn);
}

/* First-byte checks before memcmp: most non-matching terms fail on their first byte. */
static inline int same(const char *a, const char *b, size_t n)
{
    return n == 0 || (a[0] == b[0] && memcmp(a, b, n) == 0);
}

static int chain_matches(const PatHeader *h, const PatTerm *t, const char *s, size_t n)
{
    const PatPiece *pc = AT(h, h->pieces_off, PatPiece) + t->first_piece;
    const char *str = AT(h, h->strings_off, char);
    for (uint32_t i = 0; i < t->npieces; i++) {
        const char *w = str + pc[i].off;
        size_t wn = pc[i].len;
        int last = i + 1 == t->npieces;
        if (wn > n) {
            return 0;
        }
        switch (pc[i].mode) {
        case PIECE_EXACT:
            return wn == n && same(s, w, n);
        case PIECE_SUFFIX:
            return wn == 0 || (s[n - 1] == w[wn - 1] && memcmp(s + n - wn, w, wn) == 0);
        case PIECE_PREFIX:
            if (!same(s, w, wn)) {
                return 0;
            }
            s += wn;
            n -= wn;
            break;
        default: { /* PIECE_SUBSTRING */
            if (wn == 0) {
                return 1;
            }
            const char *at = find(s, n, w, wn);
            if (!at) {
                return 0;
            }
            n -= (size_t)(at - s) + wn;
            s = at + wn;
            break;
        }
        }
        if (last) {
            return 1;
        }
    }
    return 1;
}

static uint32_t lookup(const PatHeader *h, uint32_t kind, const char *s, size_t n)
{
    uint32_t hv = pattern_hash(kind, s, n), mask = h->hash_cap - 1;
    const PatSlot *tab = AT(h, h->hash_off, PatSlot);
    const char *str = AT(h, h->strings_off, char);
    for (uint32_t i = hv & mask;; i = (i + 1) & mask) {
        const PatSlot *sl = &tab[i];
        if (!sl->hash) {
            return PAT_NONE_TERM;
        }
        if (sl->hash == hv && sl->kind == kind && sl->len == n && memcmp(str + sl->off, s, n) == 0) {
            return sl->term;
        }
    }
}

/* One single-piece term, inlined: the common shape of config patterns. */
static inline int piece_matches(const PatPiece *p, const char *str, const char *s, size_t n)
{
    const char *w = str + p->off;
    size_t wn = p->len;
    if (wn > n) {
        return 0;
    }
    switch (p->mode) {
    case PIECE_EXACT:
        return wn == n && same(s, w, n);
    case PIECE_PREFIX:
        return same(s, w, wn);
    case PIECE_SUFFIX:
        return wn == 0 || (s[n - 1] == w[wn - 1] && memcmp(s + n - wn, w, wn) == 0);
    default:
        return wn == 0 || find(s, n, w, wn) != NULL;
    }
}

static inline long first_term(const PatHeader *h, const char *s, size_t n)
{
    if (!s || n == 0 || (h->flags & PAT_EMPTY)) {
        return -1;
    }
    const PatTerm *terms = AT(h, h->terms_off, PatTerm);
    if (!(h->flags & PAT_INDEXED)) {
        const PatPiece *pcs = AT(h, h->pieces_off, PatPiece);
        const char *str = AT(h, h->strings_off, char);
        for (uint32_t i = 0; i < h->nterms; i++) {
            const PatTerm *t = &terms[i];
            if (t->kind == TERM_ALL) {
                return (long)i;   /* a match-all term needs no walk: s is not empty */
            }
            if (t->npieces == 1 ? piece_matches(&pcs[t->first_piece], str, s, n)
                                : chain_matches(h, t, s, n)) {
                return (long)i;
            }
        }
        return -1;
    }
    uint32_t best = h->all_term, t;
    if (h->hash_cap) {
        if (h->nexact && (t = lookup(h, TERM_EXACT, s, n)) < best) {
            best = t;
        }
        const uint32_t *pl = AT(h, h->prefix_lens_off, uint32_t);
        for (uint32_t i = 0; i < h->nprefix_lens && pl[i] <= n; i++) {
            if ((t = lookup(h, TERM_PREFIX, s, pl[i])) < best) {
                best = t;
            }
        }
        const uint32_t *sfl = AT(h, h->suffix_lens_off, uint32_t);
        for (uint32_t i = 0; i < h->nsuffix_lens && sfl[i] <= n; i++) {
            if ((t = lookup(h, TERM_SUFFIX, s + n - sfl[i], sfl[i])) < best) {
                best = t;
            }
        }
    }
    const uint32_t *g = AT(h, h->general_off, uint32_t);
    for (uint32_t i = 0; i < h->ngeneral && g[i] < best; i++) {
        if (chain_matches(h, &terms[g[i]], s, n)) {
            best = g[i];
            break;
        }
    }
    return best == PAT_NONE_TERM ? -1 : (long)best;
}

long match_first_term(const void *prog, const char *s, size_t n)
{
    return first_term(prog, s, n);
}

MatchResult match_run(const void *prog, const char *s, size_t n)
{
    long t = first_term(prog, s, n);
    if (t < 0) {
        return MATCH_NONE;
    }
    const PatHeader *h = prog;
    return AT(h, h->terms_off, PatTerm)[t].negative ? MATCH_NEGATIVE : MATCH_POSITIVE;
}

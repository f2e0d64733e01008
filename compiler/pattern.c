/*
** pattern.c - parse, lint and compile Netdata simple patterns (see pattern.h).
**
** Word splitting (Netdata 1.37.1, config patterns): separators are space, \t, \r, \n, \f, \v;
** a backslash copies the next byte literally (a trailing one is dropped); one leading '!'
** negates, unless a separator or the end follows it, in which case it produces no word.
** Chains: the first '*' after the word's leading stars and after at least one other byte,
** when it is not the last byte, starts the next piece; each piece is then a substring
** (*x*), suffix (*x), prefix (x*) or exact (x) match, one star removed from each end.
*/
#include "pattern.h"

#include <string.h>

static int is_sep(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

/* Cut WORD into pieces (at most n of them, one per star). */
static int build_chain(Arena *a, PatWord *w)
{
    const char *z = w->text;
    uint32_t n = w->n, cnt = 0;
    PatWordPiece *pc = arena_alloc(a, (n + 1) * sizeof *pc);
    if (!pc) {
        return -1;
    }
    uint32_t s = 0;
    for (;;) {
        uint32_t c = s, end;
        int more = 0;
        while (c < n && z[c] == '*') {
            c++;
        }
        while (c < n && z[c] != '*') {
            c++;
        }
        if (c < n && c + 1 < n) {
            end = c + 1;        /* this piece keeps its trailing star */
            more = 1;
        } else {
            end = n;
        }
        const char *p = z + s;
        uint32_t len = end - s;
        if (len >= 2 && p[0] == '*' && p[len - 1] == '*') {
            pc[cnt] = (PatWordPiece){ PIECE_SUBSTRING, p + 1, len - 2 };
        } else if (len >= 1 && p[0] == '*') {
            pc[cnt] = (PatWordPiece){ PIECE_SUFFIX, p + 1, len - 1 };
        } else if (len >= 1 && p[len - 1] == '*') {
            pc[cnt] = (PatWordPiece){ PIECE_PREFIX, p, len - 1 };
        } else {
            pc[cnt] = (PatWordPiece){ PIECE_EXACT, p, len };
        }
        cnt++;
        if (!more) {
            break;
        }
        s = c;                  /* the next piece starts at that star */
    }
    w->pieces = pc;
    w->npieces = cnt;
    if (cnt == 1) {
        const PatWordPiece *p0 = &pc[0];
        w->kind = p0->mode == PIECE_EXACT ? TERM_EXACT
                  : p0->mode == PIECE_PREFIX ? TERM_PREFIX
                  : p0->n == 0 ? TERM_ALL
                  : p0->mode == PIECE_SUFFIX ? TERM_SUFFIX : TERM_GENERAL;
    } else {
        w->kind = TERM_GENERAL;
    }
    return 0;
}

int pattern_parse(Arena *a, const char *z, size_t n, PatList *out)
{
    memset(out, 0, sizeof *out);
    if (n > UINT32_MAX / 2) {
        return -1;
    }
    uint32_t maxw = (uint32_t)n / 2 + 1;
    out->w = arena_alloc(a, maxw * sizeof *out->w);
    out->lone_bangs = arena_alloc(a, maxw * sizeof *out->lone_bangs);
    char *buf = arena_alloc(a, n + 1);
    if (!out->w || !out->lone_bangs || !buf) {
        return -1;
    }
    size_t i = 0;
    while (i < n) {
        while (i < n && is_sep(z[i])) {
            i++;
        }
        if (i == n) {
            break;
        }
        size_t start = i;
        int neg = 0;
        if (z[i] == '!') {
            if (i + 1 == n || is_sep(z[i + 1])) {
                out->lone_bangs[out->nlone++] = (uint32_t)i;
                i++;
                continue;
            }
            neg = 1;
            i++;
        }
        char *w = buf;
        size_t k = 0;
        while (i < n && !is_sep(z[i])) {
            if (z[i] == '\\') {
                if (i + 1 < n) {
                    w[k++] = z[i + 1];
                }
                i += 2;
            } else {
                w[k++] = z[i++];
            }
        }
        if (i > n) {
            i = n;
        }
        buf += k;
        if (k == 0) {
            continue;               /* "\" alone, or "!\" */
        }
        PatWord *pw = &out->w[out->n++];
        pw->off = (uint32_t)start;
        pw->len = (uint32_t)(i - start);
        pw->negative = neg;
        pw->text = w;
        pw->n = (uint32_t)k;
        if (build_chain(a, pw) != 0) {
            return -1;
        }
    }
    return 0;
}

/* ---- compile ------------------------------------------------------------------------------ */

/* An index pays when keyed terms are many per hash lookup it costs: one exact lookup plus one
   per distinct prefix and suffix length (bench/bench_match: a 10-term send list with 4 prefix
   lengths is faster linear; a 1,000-term allow list is 25x faster indexed). */
#define INDEX_MIN_TERMS 8
#define INDEX_KEYS_PER_LOOKUP 4

static uint32_t align4(uint32_t x)
{
    return (x + 3) & ~3u;
}

static void add_len(uint32_t *lens, uint32_t *n, uint32_t len)
{
    uint32_t i = 0;
    while (i < *n && lens[i] < len) {
        i++;
    }
    if (i < *n && lens[i] == len) {
        return;
    }
    memmove(lens + i + 1, lens + i, (*n - i) * sizeof *lens);
    lens[i] = len;
    (*n)++;
}

/* Distinct text lengths of single-piece terms of KIND (each costs one hash lookup); lengths
   from 4096 up are counted once each, which only overestimates. Linear in the term count. */
static uint32_t distinct_lens(const PatList *l, uint8_t kind)
{
    uint64_t seen[4096 / 64] = { 0 };
    uint32_t n = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        if (l->w[i].kind != kind) {
            continue;
        }
        uint32_t len = l->w[i].pieces[0].n;
        if (len >= 4096) {
            n++;
        } else if (!(seen[len / 64] >> (len % 64) & 1)) {
            seen[len / 64] |= 1ull << (len % 64);
            n++;
        }
    }
    return n;
}

void *pattern_compile(Arena *a, const PatList *l, int mode, size_t *size)
{
    uint32_t npieces = 0, nstr = 0, nkeys = 0, ngeneral = 0, all = PAT_NONE_TERM;
    for (uint32_t i = 0; i < l->n; i++) {
        npieces += l->w[i].npieces;
        for (uint32_t k = 0; k < l->w[i].npieces; k++) {
            nstr += l->w[i].pieces[k].n;
        }
        uint8_t kind = l->w[i].kind;
        nkeys += kind == TERM_EXACT || kind == TERM_PREFIX || kind == TERM_SUFFIX;
        ngeneral += kind == TERM_GENERAL;
        if (kind == TERM_ALL && all == PAT_NONE_TERM) {
            all = i;
        }
    }
    uint32_t nlookups = 1 + distinct_lens(l, TERM_PREFIX) + distinct_lens(l, TERM_SUFFIX);
    int indexed = mode == PATTERN_INDEXED ||
                  (mode == PATTERN_AUTO && l->n >= INDEX_MIN_TERMS &&
                   nkeys >= INDEX_KEYS_PER_LOOKUP * nlookups);
    uint32_t cap = 0;
    if (indexed && nkeys) {
        cap = 4;
        while (cap < nkeys * 2 + 1) {
            cap *= 2;
        }
    }
    uint32_t nlens_max = indexed ? nkeys : 0;
    PatHeader h = { 0 };
    h.magic = PAT_MAGIC;
    h.flags = (l->n == 0 ? PAT_EMPTY : 0) | (indexed ? PAT_INDEXED : 0);
    h.nterms = l->n;
    h.terms_off = sizeof h;
    h.npieces = npieces;
    h.pieces_off = h.terms_off + l->n * (uint32_t)sizeof(PatTerm);
    h.hash_cap = cap;
    h.hash_off = h.pieces_off + npieces * (uint32_t)sizeof(PatPiece);
    h.prefix_lens_off = h.hash_off + cap * (uint32_t)sizeof(PatSlot);
    h.suffix_lens_off = h.prefix_lens_off + nlens_max * 4;  /* fixed below once counted */
    h.general_off = h.suffix_lens_off + nlens_max * 4;
    h.ngeneral = indexed ? ngeneral : 0;
    h.strings_off = h.general_off + h.ngeneral * 4;
    h.strings_len = nstr;
    h.all_term = indexed ? all : PAT_NONE_TERM;
    h.size = align4(h.strings_off + nstr);
    char *p = arena_alloc(a, h.size);
    if (!p) {
        return NULL;
    }
    PatTerm *terms = (PatTerm *)(p + h.terms_off);
    PatPiece *pieces = (PatPiece *)(p + h.pieces_off);
    PatSlot *slots = (PatSlot *)(p + h.hash_off);
    uint32_t *plens = (uint32_t *)(p + h.prefix_lens_off);
    uint32_t *slens = (uint32_t *)(p + h.suffix_lens_off);
    uint32_t *gen = (uint32_t *)(p + h.general_off);
    char *str = p + h.strings_off;
    uint32_t pi = 0, so = 0, gi = 0;
    for (uint32_t i = 0; i < l->n; i++) {
        const PatWord *w = &l->w[i];
        terms[i] = (PatTerm){ pi, w->npieces, (uint8_t)w->negative, w->kind, 0 };
        for (uint32_t k = 0; k < w->npieces; k++) {
            pieces[pi++] = (PatPiece){ w->pieces[k].mode, so, w->pieces[k].n };
            memcpy(str + so, w->pieces[k].z, w->pieces[k].n);
            so += w->pieces[k].n;
        }
        if (!indexed) {
            continue;
        }
        if (w->kind == TERM_GENERAL) {
            gen[gi++] = i;
        } else if (w->kind != TERM_ALL) {
            const PatPiece *pc = &pieces[terms[i].first_piece];
            uint32_t hv = pattern_hash(w->kind, str + pc->off, pc->len), m = cap - 1, j;
            for (j = hv & m; slots[j].hash; j = (j + 1) & m) {
                if (slots[j].hash == hv && slots[j].kind == w->kind && slots[j].len == pc->len &&
                    memcmp(str + slots[j].off, str + pc->off, pc->len) == 0) {
                    break;          /* an earlier term has this key: it has the smaller index */
                }
            }
            if (!slots[j].hash) {
                slots[j] = (PatSlot){ hv, w->kind, pc->off, pc->len, i };
                h.nexact += w->kind == TERM_EXACT;
            }
            if (w->kind == TERM_PREFIX) {
                add_len(plens, &h.nprefix_lens, pc->len);
            } else if (w->kind == TERM_SUFFIX) {
                add_len(slens, &h.nsuffix_lens, pc->len);
            }
        }
    }
    memcpy(p, &h, sizeof h);
    *size = h.size;
    return p;
}

/* ---- lint --------------------------------------------------------------------------------- */

static int same_chain(const PatWord *a, const PatWord *b)
{
    if (a->npieces != b->npieces) {
        return 0;
    }
    for (uint32_t k = 0; k < a->npieces; k++) {
        const PatWordPiece *x = &a->pieces[k], *y = &b->pieces[k];
        if (x->mode != y->mode || x->n != y->n || memcmp(x->z, y->z, x->n) != 0) {
            return 0;
        }
    }
    return 1;
}

static int starts_with(const char *z, uint32_t n, const char *p, uint32_t pn)
{
    return pn <= n && memcmp(z, p, pn) == 0;
}

static int ends_with(const char *z, uint32_t n, const char *p, uint32_t pn)
{
    return pn <= n && memcmp(z + n - pn, p, pn) == 0;
}

/* Does word W match the string Z? The runtime's chain walk, over the parsed pieces (used
   only by lint, where the pattern is not compiled yet). */
static int word_matches(const PatWord *w, const char *z, size_t n)
{
    for (uint32_t k = 0; k < w->npieces; k++) {
        const PatWordPiece *p = &w->pieces[k];
        if (p->n > n) {
            return 0;
        }
        if (p->mode == PIECE_EXACT) {
            return p->n == n && memcmp(z, p->z, n) == 0;
        }
        if (p->mode == PIECE_SUFFIX) {
            return memcmp(z + n - p->n, p->z, p->n) == 0;
        }
        const char *at = p->mode == PIECE_PREFIX ? (memcmp(z, p->z, p->n) == 0 ? z : NULL)
                         : p->n == 0 ? z : memmem(z, n, p->z, p->n);
        if (!at) {
            return 0;
        }
        if (p->mode == PIECE_SUBSTRING && p->n == 0) {
            return 1;
        }
        n -= (size_t)(at - z) + p->n;
        z = at + p->n;
    }
    return 1;
}

int pattern_covers(const PatWord *i, const PatWord *j)
{
    if (i->kind == TERM_ALL || same_chain(i, j)) {
        return 1;
    }
    if (j->kind == TERM_EXACT) {
        return j->n > 0 && word_matches(i, j->pieces[0].z, j->pieces[0].n);   /* one string */
    }
    if (i->npieces != 1) {
        return 0;
    }
    const PatWordPiece *p = &i->pieces[0], *first = &j->pieces[0];
    const PatWordPiece *last = &j->pieces[j->npieces - 1];
    switch (p->mode) {
    case PIECE_PREFIX:
        return (first->mode == PIECE_EXACT || first->mode == PIECE_PREFIX) &&
               starts_with(first->z, first->n, p->z, p->n);
    case PIECE_SUFFIX:
        return (last->mode == PIECE_SUFFIX || (j->npieces == 1 && last->mode == PIECE_EXACT)) &&
               ends_with(last->z, last->n, p->z, p->n);
    case PIECE_SUBSTRING:
        for (uint32_t k = 0; k < j->npieces; k++) {
            if (p->n <= j->pieces[k].n && memmem(j->pieces[k].z, j->pieces[k].n, p->z, p->n)) {
                return 1;
            }
        }
        return 0;
    default:
        return 0;
    }
}

static DiagLoc span(DiagLoc loc, uint32_t off, uint32_t len)
{
    loc.col += off;
    loc.len = len ? len : 1;
    return loc;
}

void pattern_lint(DiagSink *d, const PatList *l, const char *z, DiagLoc loc)
{
    for (uint32_t b = 0; b < l->nlone; b++) {
        Diag *g = diag_add(d, DIAG_PAT_LONE_BANG, span(loc, l->lone_bangs[b], 1),
                           "a '!' followed by a space negates nothing; Netdata drops it (write "
                           "'!word' without a space)");
        diag_fixit(d, g, "", 0);
    }
    uint32_t nneg = 0, neg_all = 0;
    int after_all = 0;
    for (uint32_t j = 0; j < l->n; j++) {
        const PatWord *w = &l->w[j];
        DiagLoc at = span(loc, w->off, w->len);
        nneg += (uint32_t)w->negative;
        neg_all += w->negative && w->kind == TERM_ALL;
        const char *ss = memmem(w->text, w->n, "**", 2);
        if (ss && w->kind != TERM_ALL) {
            diag_add(d, DIAG_PAT_STARSTAR, at, "'**' is not a wider wildcard: in '%.*s' Netdata "
                     "matches a literal '*' next to it (or nothing extra at the end); use a "
                     "single '*'", (int)w->len, z + w->off);
        }
        for (uint32_t i = 0; i < j && !after_all; i++) {
            const PatWord *e = &l->w[i];
            if (!pattern_covers(e, w)) {
                continue;
            }
            if (e->kind == TERM_ALL) {
                /* one finding for everything after a match-all term, not one per term */
                const PatWord *lw = &l->w[l->n - 1];
                Diag *g = diag_add(d, DIAG_PAT_SHADOWED, span(loc, w->off, lw->off + lw->len -
                                                              w->off),
                                   "%u term%s after '%.*s' can never decide anything: it already "
                                   "matches every string (the first matching term wins); move "
                                   "it to the end", l->n - j, l->n - j == 1 ? "" : "s",
                                   (int)e->len, z + e->off);
                diag_note(d, g, span(loc, e->off, e->len), "the match-all term");
                after_all = 1;
                break;
            }
            DiagLoc prev = span(loc, e->off, e->len);
            Diag *g;
            if (e->negative == w->negative && same_chain(e, w)) {
                g = diag_add(d, DIAG_PAT_DUPLICATE, at, "term '%.*s' repeats an earlier term",
                             (int)w->len, z + w->off);
            } else {
                g = diag_add(d, DIAG_PAT_SHADOWED, at, "term can never decide anything: an "
                             "earlier term already matches every string it matches (the first "
                             "matching term wins)");
            }
            diag_note(d, g, prev, "the earlier term");
            break;
        }
    }
    if (l->n && nneg == l->n && !neg_all) {   /* '!*' says "nobody" on purpose */
        diag_add(d, DIAG_PAT_NEG_ONLY, span(loc, l->w[0].off, l->w[l->n - 1].off +
                                                               l->w[l->n - 1].len - l->w[0].off),
                 "only negative terms: this pattern matches nothing; append ' *' to match "
                 "everything else");
    }
}

/*
** ref_pattern.c - reference matcher for Netdata 1.37.1 simple patterns (see ref_pattern.h).
**
** Written from shared/spec/config-semantics.md section 5 alone, on purpose in the shape of
** Netdata's own code rather than streamc's: the word is unescaped into a scratch buffer, each
** word becomes a recursive chain of heap nodes (the buffer is cut in place while the chain is
** built), and matching walks the chain with strcmp/strncmp/strstr, checking the piece length
** against the remaining length at every step. No indexing, no cleverness: this is the
** "straightforward implementation" every test and bench compares streamc against.
** It does not do Netdata's "wildcarded" extraction, which no config pattern uses.
*/
#include "ref_pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { REF_EXACT = 0, REF_PREFIX = 1, REF_SUFFIX = 2, REF_SUBSTRING = 3 };

/* One piece of a chain; the first piece of a chain is also a term of the list. */
typedef struct RefNode {
    char *match;             /* literal text, NUL-terminated ("" for match-everything) */
    size_t len;              /* strlen(match) */
    int mode;                /* REF_EXACT .. REF_SUBSTRING */
    int negative;            /* on the first piece of a term only */
    struct RefNode *child;   /* rest of the chain */
    struct RefNode *next;    /* next term (first pieces only) */
} RefNode;

struct RefPattern {
    RefNode *first;
    unsigned long count;
};

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n, size);
    if (!p) {
        fputs("ref_pattern: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    size_t n = strlen(s);
    char *p = xcalloc(n + 1, 1);
    memcpy(p, s, n);
    return p;
}

static void free_chain(RefNode *m)
{
    while (m) {
        RefNode *child = m->child;
        free(m->match);
        free(m);
        m = child;
    }
}

/* Turn the word STR (writable, cut in place) into a chain (spec 5.2). The split point is the
   first '*' after the leading stars; it belongs to both the piece (as its last char) and the
   child (as its first). */
static RefNode *parse_piece(char *str)
{
    char *s = str;
    char *c = str;
    RefNode *child = NULL;

    while (*c == '*') {
        c++;
    }
    while (*c && *c != '*') {
        c++;
    }
    if (*c == '*' && c[1] != '\0') {
        child = parse_piece(c);     /* parses a copy of the tail before we cut it */
        c[1] = '\0';
    }

    int mode;
    size_t len = strlen(s);
    if (len >= 2 && s[0] == '*' && s[len - 1] == '*') {
        s[len - 1] = '\0';
        s++;
        mode = REF_SUBSTRING;
    } else if (len >= 1 && s[0] == '*') {
        s++;
        mode = REF_SUFFIX;
    } else if (len >= 1 && s[len - 1] == '*') {
        s[len - 1] = '\0';
        mode = REF_PREFIX;
    } else {
        mode = REF_EXACT;
    }

    RefNode *m = xcalloc(1, sizeof *m);
    m->match = xstrdup(s);
    m->len = strlen(s);
    m->mode = *s ? mode : REF_SUBSTRING;   /* nothing left: an empty substring, matches all */
    m->child = child;
    return m;
}

RefPattern *ref_pattern_create_sep(const char *text, const char *seps)
{
    if (!text || !*text) {
        return NULL;
    }
    unsigned char issep[256] = {0};
    if (seps && *seps) {
        for (const char *q = seps; *q; q++) {
            issep[(unsigned char)*q] = 1;
        }
    } else {
        issep[' '] = issep['\t'] = issep['\r'] = issep['\n'] = issep['\f'] = issep['\v'] = 1;
    }

    RefPattern *p = xcalloc(1, sizeof *p);
    RefNode *last = NULL;
    char *buf = xcalloc(strlen(text) + 1, 1);
    const char *s = text;

    while (*s) {
        char *c = buf;
        int negative = 0;

        while (issep[(unsigned char)*s]) {
            s++;
        }
        if (*s == '!') {
            negative = 1;
            s++;
        }
        if (!*s) {
            break;
        }

        int escape = 0;
        while (*s) {
            if (*s == '\\' && !escape) {
                escape = 1;
                s++;
            } else if (issep[(unsigned char)*s] && !escape) {
                s++;
                break;
            } else {
                *c++ = *s++;
                escape = 0;
            }
        }
        *c = '\0';
        if (!*buf) {
            continue;               /* '!' then a separator, or an empty word: no term */
        }

        RefNode *m = parse_piece(buf);
        m->negative = negative;
        if (last) {
            last->next = m;
        } else {
            p->first = m;
        }
        last = m;
        p->count++;
    }
    free(buf);

    if (!p->first) {
        free(p);
        return NULL;
    }
    return p;
}

RefPattern *ref_pattern_create(const char *text)
{
    return ref_pattern_create_sep(text, NULL);
}

/* Does the chain starting at M match STR, whose strlen is LEN? (spec 5.3) */
static int match_piece(const RefNode *m, const char *str, size_t len)
{
    if (m->len > len) {
        return 0;
    }
    switch (m->mode) {
    case REF_SUBSTRING: {
        if (m->len == 0) {
            return 1;
        }
        const char *at = strstr(str, m->match);   /* leftmost occurrence only */
        if (!at) {
            return 0;
        }
        if (!m->child) {
            return 1;
        }
        return match_piece(m->child, at + m->len, len - (size_t)(at - str) - m->len);
    }
    case REF_PREFIX:
        if (strncmp(str, m->match, m->len) != 0) {
            return 0;
        }
        if (!m->child) {
            return 1;
        }
        return match_piece(m->child, str + m->len, len - m->len);
    case REF_SUFFIX:
        return strcmp(str + len - m->len, m->match) == 0 && !m->child;
    default:
        return strcmp(str, m->match) == 0 && !m->child;
    }
}

long ref_pattern_first_term(const RefPattern *p, const char *s)
{
    if (!p || !s || !*s) {
        return -1;
    }
    size_t len = strlen(s);
    long i = 0;
    for (const RefNode *m = p->first; m; m = m->next, i++) {
        if (match_piece(m, s, len)) {
            return i;
        }
    }
    return -1;
}

int ref_pattern_match(const RefPattern *p, const char *s)
{
    if (!p || !s || !*s) {
        return REF_NONE;
    }
    size_t len = strlen(s);
    for (const RefNode *m = p->first; m; m = m->next) {
        if (match_piece(m, s, len)) {
            return m->negative ? REF_NEGATIVE : REF_POSITIVE;
        }
    }
    return REF_NONE;
}

unsigned long ref_pattern_count(const RefPattern *p)
{
    return p ? p->count : 0;
}

void ref_pattern_free(RefPattern *p)
{
    if (!p) {
        return;
    }
    RefNode *m = p->first;
    while (m) {
        RefNode *next = m->next;
        free_chain(m);
        m = next;
    }
    free(p);
}

/*
** parse.c - the one loop that feeds tokens to the Lemon push parser (as sqlite3RunParser).
**
** Per logical line: report what Netdata's line reader does to it (cut at 8191 bytes, NUL,
** bytes that are not UTF-8), then tokenize it and push the tokens. At end of input push 0.
*/
#include "parse.h"

#include <stdlib.h>

void *ConfParseAlloc(void *(*alloc)(size_t), Model *pM);
void ConfParseFree(void *p, void (*dealloc)(void *));
void ConfParse(void *p, int code, Token tok);

/* Offset of the first byte that is not well-formed UTF-8, or -1. */
static long bad_utf8(const unsigned char *z, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (z[i] < 0x80) {
            i++;   /* the common case stays out of the decoder */
            continue;
        }
        size_t k = source_utf8_len(z + i, n - i);
        if (!k) {
            return (long)i;
        }
        i += k;
    }
    return -1;
}

static int blank(const SrcLine *L)
{
    for (uint32_t i = 0; i < L->n; i++) {
        char c = L->z[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '\v' && c != '\f') {
            return 0;
        }
    }
    return 1;
}

static void line_notes(Model *m, const SrcLine *L, int *reported_cut)
{
    const Source *src = m->src;
    if (L->flags & SRC_CONT && !blank(L) && !*reported_cut) {
        *reported_cut = 1;   /* once per physical line, and only if bytes are really cut off */
        DiagLoc at = { src, L->line, L->col0 + 1, 1 };
        diag_add(m->diag, DIAG_LONG_LINE, at,
                 "line is longer than %u bytes: Netdata cuts it here and reads the rest as a "
                 "separate line", SOURCE_READ_MAX);
    }
    if (L->flags & SRC_NUL) {
        DiagLoc at = { src, L->line, L->col0 + L->nul_off + 1, 1 };
        diag_add(m->diag, DIAG_NUL, at, "NUL byte: Netdata ignores the rest of this line");
    }
    long bad = bad_utf8((const unsigned char *)L->z, L->n);
    if (bad >= 0) {
        DiagLoc at = { src, L->line, L->col0 + (uint32_t)bad + 1, 1 };
        diag_add(m->diag, DIAG_UTF8, at,
                 "byte 0x%02X is not valid UTF-8 (Netdata passes the bytes through unchanged)",
                 (unsigned char)L->z[bad]);
    }
}

int parse_source(Model *m)
{
    void *p = ConfParseAlloc(malloc, m);
    if (!p) {
        m->diag->oom = 1;
        return -1;
    }
    const Source *src = m->src;
    int reported_cut = 0;
    for (size_t i = 0; i < src->nlines && !m->diag->stopped; i++) {
        const SrcLine *L = &src->lines[i];
        int codes[5];
        Token toks[5];
        if (!(L->flags & SRC_CONT)) {
            reported_cut = 0;
        }
        line_notes(m, L, &reported_cut);
        int n = lex_line(L, codes, toks);
        for (int k = 0; k < n; k++) {
            ConfParse(p, codes[k], toks[k]);
        }
    }
    Token end = { src->buf + src->len, 0, (uint32_t)src->nphys, 1 };
    ConfParse(p, 0, end);
    ConfParseFree(p, free);
    return m->diag->oom ? -1 : 0;
}

/*
** lex.c - turn one logical line into tokens for the Lemon parser (see lex.h).
**
** The DFA in grammar/conf_lex.re only classifies the line; this file trims (C isspace, as
** Netdata) and stamps each token with its line and column in the physical line.
*/
#include "lex.h"

#include <string.h>

/* ORDER TK_: one display name per token code; test_lex checks none is missing. */
static const char *const tok_names[LEX_NTOKENS] = {
    [0] = "end of input",
    [TK_NL] = "end of line",
    [TK_SECTION] = "section header",
    [TK_KEY] = "key",
    [TK_EQ] = "'='",
    [TK_VALUE] = "value",
    [TK_TEXT] = "text",
    [TK_ILLEGAL] = "illegal line",
};

const char *lex_token_name(int code)
{
    if (code < 0 || code >= LEX_NTOKENS || !tok_names[code]) {
        return "unknown token";
    }
    return tok_names[code];
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static Token make(const SrcLine *L, uint32_t off, uint32_t n)
{
    Token t = { L->z + off, n, L->line, L->col0 + off + 1 };
    return t;
}

/* Trim [b, e) of the line; return the trimmed token. */
static Token trimmed(const SrcLine *L, uint32_t b, uint32_t e)
{
    while (b < e && is_ws((unsigned char)L->z[b])) {
        b++;
    }
    while (e > b && is_ws((unsigned char)L->z[e - 1])) {
        e--;
    }
    return make(L, b, e - b);
}

int lex_line(const SrcLine *L, int codes[5], Token toks[5])
{
    /* The DFA wants a NUL sentinel; the line is at most 8191 bytes so a stack copy is cheap. */
    char buf[SOURCE_READ_MAX + 1];
    memcpy(buf, L->z, L->n);
    buf[L->n] = 0;
    uint32_t eq = 0;
    int k = 0;
    switch (lex_classify(buf, &eq)) {
    case LC_BLANK:
    case LC_COMMENT:
        return 0;
    case LC_HEADER: {
        Token t = trimmed(L, 0, L->n);         /* "[...]" with the brackets */
        codes[k] = TK_SECTION;
        toks[k++] = make(L, (uint32_t)(t.z - L->z) + 1, t.n - 2);
        break;
    }
    case LC_KEYVAL: {
        Token name = trimmed(L, 0, eq);
        Token val = trimmed(L, eq + 1, L->n);
        if (val.n == 0) {
            val = make(L, eq + 1, 0);          /* point just after '=' */
        }
        if (name.n) {
            codes[k] = TK_KEY;
            toks[k++] = name;
        }
        codes[k] = TK_EQ;
        toks[k++] = make(L, eq, 1);
        codes[k] = TK_VALUE;
        toks[k++] = val;
        break;
    }
    case LC_TEXT:
        codes[k] = TK_TEXT;
        toks[k++] = trimmed(L, 0, L->n);
        break;
    default:
        codes[k] = TK_ILLEGAL;
        toks[k++] = make(L, 0, L->n);
        break;
    }
    codes[k] = TK_NL;
    toks[k++] = make(L, L->n, 0);
    return k;
}

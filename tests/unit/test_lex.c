/*
** test_lex.c - cmocka tests for grammar/conf_lex.re (lex_classify) and compiler/lex.c
** (lex_line, lex_token_name): every row of shared/spec config-semantics.md §1.7 and the rules
** of §1.3 (check order, header before '=', trimming with C isspace only, no inline comments),
** token line/column stamping, and the display name of every TK_ code.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lex.h"
#include "testutil.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* One expected token: code, text, 1-based column (0: do not check). */
typedef struct Tk {
    int code;
    const char *text;
    uint32_t col;
} Tk;

typedef struct LexCase {
    const char *in;
    int cls;                /* LC_* */
    Tk t[5];                /* up to the NL token; code 0 ends the list */
} LexCase;

#define NL_AT(c) { TK_NL, "", c }

static const LexCase cases[] = {
    /* §1.7 table */
    { "orphan = 1", LC_KEYVAL,
      { { TK_KEY, "orphan", 1 }, { TK_EQ, "=", 8 }, { TK_VALUE, "1", 10 }, NL_AT(11) } },
    { "   # indented comment", LC_COMMENT, { { 0, NULL, 0 } } },
    { "; enabled2 = yes", LC_KEYVAL,
      { { TK_KEY, "; enabled2", 1 }, { TK_EQ, "=", 12 }, { TK_VALUE, "yes", 14 }, NL_AT(17) } },
    { "enabled = yes # inline", LC_KEYVAL,
      { { TK_KEY, "enabled", 1 }, { TK_EQ, "=", 9 }, { TK_VALUE, "yes # inline", 11 },
        NL_AT(23) } },
    { "  destination   =   a b  ", LC_KEYVAL,
      { { TK_KEY, "destination", 3 }, { TK_EQ, "=", 17 }, { TK_VALUE, "a b", 21 }, NL_AT(26) } },
    { "key=value=more", LC_KEYVAL,
      { { TK_KEY, "key", 1 }, { TK_EQ, "=", 4 }, { TK_VALUE, "value=more", 5 }, NL_AT(15) } },
    { "= novalue", LC_KEYVAL,
      { { TK_EQ, "=", 1 }, { TK_VALUE, "novalue", 3 }, NL_AT(10) } },
    { "empty =", LC_KEYVAL,
      { { TK_KEY, "empty", 1 }, { TK_EQ, "=", 7 }, { TK_VALUE, "", 8 }, NL_AT(8) } },
    { "empty =   \t", LC_KEYVAL,     /* empty value: the column just after '=' */
      { { TK_KEY, "empty", 1 }, { TK_EQ, "=", 7 }, { TK_VALUE, "", 8 }, NL_AT(12) } },
    { "multi = line1 \\", LC_KEYVAL,
      { { TK_KEY, "multi", 1 }, { TK_EQ, "=", 7 }, { TK_VALUE, "line1 \\", 9 } } },
    { "continued = x", LC_KEYVAL,
      { { TK_KEY, "continued", 1 }, { TK_EQ, "=", 11 }, { TK_VALUE, "x", 13 } } },
    { "win = a\r", LC_KEYVAL,
      { { TK_KEY, "win", 1 }, { TK_EQ, "=", 5 }, { TK_VALUE, "a", 7 }, NL_AT(9) } },
    { "Key = Upper", LC_KEYVAL,
      { { TK_KEY, "Key", 1 }, { TK_EQ, "=", 5 }, { TK_VALUE, "Upper", 7 } } },
    { "\tkey\tthree\t=\ttabbed\t", LC_KEYVAL,
      { { TK_KEY, "key\tthree", 2 }, { TK_EQ, "=", 12 }, { TK_VALUE, "tabbed", 14 }, NL_AT(21) } },
    { "quoted = \"hello world\"", LC_KEYVAL,
      { { TK_KEY, "quoted", 1 }, { TK_EQ, "=", 8 }, { TK_VALUE, "\"hello world\"", 10 } } },
    /* §1.3 headers: '[' first and ']' last after trimming, name verbatim */
    { "[stream]", LC_HEADER, { { TK_SECTION, "stream", 2 }, NL_AT(9) } },
    { "[a=b]", LC_HEADER, { { TK_SECTION, "a=b", 2 }, NL_AT(6) } },
    { "[]", LC_HEADER, { { TK_SECTION, "", 2 }, NL_AT(3) } },
    { "[a]b]", LC_HEADER, { { TK_SECTION, "a]b", 2 }, NL_AT(6) } },
    { "[ stream ]", LC_HEADER, { { TK_SECTION, " stream ", 2 } } },
    { "[[x]]", LC_HEADER, { { TK_SECTION, "[x]", 2 } } },
    { "[#]", LC_HEADER, { { TK_SECTION, "#", 2 } } },
    { "  \t[stream]\v\f\r ", LC_HEADER, { { TK_SECTION, "stream", 5 }, NL_AT(16) } },
    { "[a] = [b]", LC_HEADER, { { TK_SECTION, "a] = [b", 2 } } },
    { "[stream] # note", LC_TEXT, { { TK_TEXT, "[stream] # note", 1 }, NL_AT(16) } },
    { "[stream", LC_TEXT, { { TK_TEXT, "[stream", 1 } } },
    { "  stream]  ", LC_TEXT, { { TK_TEXT, "stream]", 3 }, NL_AT(12) } },
    { "[stream]\xa0", LC_TEXT, { { TK_TEXT, "[stream]\xa0", 1 } } },   /* 0xA0 not blank */
    { "[a=b] x", LC_KEYVAL,       /* not a header: split at the first '=' */
      { { TK_KEY, "[a", 1 }, { TK_EQ, "=", 3 }, { TK_VALUE, "b] x", 4 } } },
    { "[stream = yes", LC_KEYVAL,
      { { TK_KEY, "[stream", 1 }, { TK_EQ, "=", 9 }, { TK_VALUE, "yes", 11 } } },
    /* comments: only '#' first */
    { "#", LC_COMMENT, { { 0, NULL, 0 } } },
    { "# a = b", LC_COMMENT, { { 0, NULL, 0 } } },
    { "\v\f\r\t# [x]", LC_COMMENT, { { 0, NULL, 0 } } },
    { "a # b = c", LC_KEYVAL, { { TK_KEY, "a # b", 1 }, { TK_EQ, "=", 7 }, { TK_VALUE, "c", 9 } } },
    { ";foo", LC_TEXT, { { TK_TEXT, ";foo", 1 } } },
    { "; x = y", LC_KEYVAL, { { TK_KEY, "; x", 1 }, { TK_EQ, "=", 5 }, { TK_VALUE, "y", 7 } } },
    { "\xc2\xa0# x", LC_TEXT, { { TK_TEXT, "\xc2\xa0# x", 1 } } },
    /* blank lines: C isspace only */
    { "", LC_BLANK, { { 0, NULL, 0 } } },
    { "   ", LC_BLANK, { { 0, NULL, 0 } } },
    { " \t\v\f\r\n", LC_BLANK, { { 0, NULL, 0 } } },
    { "\xa0", LC_TEXT, { { TK_TEXT, "\xa0", 1 } } },
    { "\x85", LC_TEXT, { { TK_TEXT, "\x85", 1 } } },
    { "\x1c", LC_TEXT, { { TK_TEXT, "\x1c", 1 } } },   /* FS is not isspace in C */
    /* keys: trimming with \v \f \r; 0x80+ bytes kept */
    { "\v key \f= \r val \r", LC_KEYVAL,
      { { TK_KEY, "key", 3 }, { TK_EQ, "=", 8 }, { TK_VALUE, "val", 12 } } },
    { "\xa0key = v\xa0", LC_KEYVAL,
      { { TK_KEY, "\xa0key", 1 }, { TK_EQ, "=", 6 }, { TK_VALUE, "v\xa0", 8 } } },
    { "caf\xc3\xa9 = \xe2\x82\xac", LC_KEYVAL,
      { { TK_KEY, "caf\xc3\xa9", 1 }, { TK_EQ, "=", 7 }, { TK_VALUE, "\xe2\x82\xac", 9 } } },
    { "allow  from = *", LC_KEYVAL,
      { { TK_KEY, "allow  from", 1 }, { TK_EQ, "=", 13 }, { TK_VALUE, "*", 15 } } },
    { "=", LC_KEYVAL, { { TK_EQ, "=", 1 }, { TK_VALUE, "", 2 }, NL_AT(2) } },
    { "  =  ", LC_KEYVAL, { { TK_EQ, "=", 3 }, { TK_VALUE, "", 4 }, NL_AT(6) } },
    { "==", LC_KEYVAL, { { TK_EQ, "=", 1 }, { TK_VALUE, "=", 2 } } },
    { "a = b=c", LC_KEYVAL, { { TK_KEY, "a", 1 }, { TK_EQ, "=", 3 }, { TK_VALUE, "b=c", 5 } } },
    { "no equals here", LC_TEXT, { { TK_TEXT, "no equals here", 1 }, NL_AT(15) } },
    { "  text with  spaces \t", LC_TEXT, { { TK_TEXT, "text with  spaces", 3 } } },
};

static void check_tokens(const LexCase *c, const SrcLine *L, uint32_t col0)
{
    int codes[5];
    Token toks[5];
    int n = lex_line(L, codes, toks);
    int want = 0;
    while (want < 5 && c->t[want].code) {
        want++;
    }
    /* a list without its NL row still ends with NL */
    int want_nl = want == 0 ? 0 : c->t[want - 1].code == TK_NL ? want : want + 1;
    if (n != want_nl) {
        fail_msg("'%s': %d tokens, want %d", testutil_esc(c->in, strlen(c->in)), n, want_nl);
    }
    for (int i = 0; i < want; i++) {
        const Tk *w = &c->t[i];
        size_t wn = strlen(w->text);
        if (codes[i] != w->code || toks[i].n != wn || memcmp(toks[i].z, w->text, wn) != 0) {
            fail_msg("'%s': token %d is %s '%s', want %s '%s'",
                     testutil_esc(c->in, strlen(c->in)), i, lex_token_name(codes[i]),
                     testutil_esc(toks[i].z, toks[i].n),
                     lex_token_name(w->code), testutil_esc(w->text, wn));
        }
        if (w->col && toks[i].col != w->col + col0) {
            fail_msg("'%s': token %d at column %u, want %u", testutil_esc(c->in, strlen(c->in)), i,
                     toks[i].col,
                     w->col + col0);
        }
        if (toks[i].line != L->line) {
            fail_msg("'%s': token %d on line %u, want %u", testutil_esc(c->in, strlen(c->in)), i,
                     toks[i].line, L->line);
        }
        /* every token is a view into the line */
        assert_true(toks[i].z >= L->z && toks[i].z + toks[i].n <= L->z + L->n);
    }
    if (n) {
        assert_int_equal(codes[n - 1], TK_NL);
        assert_int_equal(toks[n - 1].n, 0);
        assert_int_equal(toks[n - 1].col, col0 + L->n + 1);
    }
}

static void test_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(cases); i++) {
        const LexCase *c = &cases[i];
        uint32_t eq = 12345;
        int cls = lex_classify(c->in, &eq);
        if (cls != c->cls) {
            fail_msg("'%s': class %d, want %d", testutil_esc(c->in, strlen(c->in)), cls, c->cls);
        }
        if (cls == LC_KEYVAL) {
            const char *first = strchr(c->in, '=');
            assert_non_null(first);
            assert_int_equal(eq, (uint32_t)(first - c->in));
        }
        /* the line as a view without a NUL after it, at line 1 column 1 and elsewhere */
        size_t n = strlen(c->in);
        char *z = malloc(n ? n : 1);
        assert_non_null(z);
        memcpy(z, c->in, n);
        SrcLine L = { z, (uint32_t)n, 1, 0, 0, 0 };
        check_tokens(c, &L, 0);
        SrcLine L2 = { z, (uint32_t)n, 4242, 8191, SRC_CONT, 0 };
        check_tokens(c, &L2, 8191);
        free(z);
    }
}

/* The logical line is L->n bytes: bytes after it (the rest of the buffer) do not count. */
static void test_line_is_bounded_by_n(void **state)
{
    (void)state;
    const char *buf = "key = value = more\nnext = 1";
    SrcLine L = { buf, 9, 3, 0, 0, 0 };           /* "key = val" */
    int codes[5];
    Token toks[5];
    int n = lex_line(&L, codes, toks);
    assert_int_equal(n, 4);
    assert_int_equal(codes[2], TK_VALUE);
    assert_int_equal(toks[2].n, 3);
    assert_memory_equal(toks[2].z, "val", 3);
    assert_int_equal(toks[0].line, 3);
}

/* The longest logical line (8191 bytes) fits the lexer's buffer. */
static void test_longest_line(void **state)
{
    (void)state;
    char *z = malloc(SOURCE_READ_MAX);
    assert_non_null(z);
    memset(z, 'v', SOURCE_READ_MAX);
    memcpy(z, "j = ", 4);
    SrcLine L = { z, SOURCE_READ_MAX, 1, 0, SRC_CUT, 0 };
    int codes[5];
    Token toks[5];
    assert_int_equal(lex_line(&L, codes, toks), 4);
    assert_int_equal(codes[2], TK_VALUE);
    assert_int_equal(toks[2].n, SOURCE_READ_MAX - 4);
    assert_int_equal(toks[2].col, 5);
    z[SOURCE_READ_MAX - 1] = ']';
    z[0] = '[';
    z[1] = 'x';
    z[2] = 'x';
    z[3] = 'x';
    assert_int_equal(lex_line(&L, codes, toks), 2);
    assert_int_equal(codes[0], TK_SECTION);
    assert_int_equal(toks[0].n, SOURCE_READ_MAX - 2);
    free(z);
}

/* Every byte value as the first, middle and last character of a line. */
static void test_every_byte(void **state)
{
    (void)state;
    for (int c = 1; c < 256; c++) {
        char line[8] = { 'a', ' ', (char)c, ' ', 'b', 0 };
        uint32_t eq = 0;
        int cls = lex_classify(line, &eq);
        int want = c == '=' ? LC_KEYVAL : LC_TEXT;
        if (cls != want) {
            fail_msg("'a \\x%02x b': class %d, want %d", c, cls, want);
        }
        char one[2] = { (char)c, 0 };
        int ws = c == ' ' || (c >= '\t' && c <= '\r');
        cls = lex_classify(one, &eq);
        want = ws ? LC_BLANK : c == '#' ? LC_COMMENT : c == '=' ? LC_KEYVAL : LC_TEXT;
        if (cls != want) {
            fail_msg("byte 0x%02x alone: class %d, want %d", c, cls, want);
        }
        char hdr[8] = { '[', 'x', ']', (char)c, 0 };
        cls = lex_classify(hdr, &eq);
        want = ws ? LC_HEADER : c == '=' ? LC_KEYVAL : c == ']' ? LC_HEADER : LC_TEXT;
        if (cls != want) {
            fail_msg("'[x]' + 0x%02x: class %d, want %d", c, cls, want);
        }
    }
}

static void test_token_names(void **state)
{
    (void)state;
    assert_int_equal(LEX_NTOKENS, TK_ILLEGAL + 1);
    for (int code = 0; code <= TK_ILLEGAL; code++) {
        const char *name = lex_token_name(code);
        assert_non_null(name);
        if (strcmp(name, "unknown token") == 0 || name[0] == 0) {
            fail_msg("token code %d has no display name", code);
        }
        for (int other = 0; other < code; other++) {
            if (strcmp(name, lex_token_name(other)) == 0) {
                fail_msg("token codes %d and %d share the name '%s'", other, code, name);
            }
        }
    }
    assert_string_equal(lex_token_name(-1), "unknown token");
    assert_string_equal(lex_token_name(LEX_NTOKENS), "unknown token");
    assert_string_equal(lex_token_name(1000000), "unknown token");
    assert_string_equal(lex_token_name(TK_NL), "end of line");
    assert_string_equal(lex_token_name(0), "end of input");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_line_is_bounded_by_n),
        cmocka_unit_test(test_longest_line),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_token_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
** lex.h - tokens of the config dialect and the per-line tokenizer over generated re2c code.
**
** A Token is a view {z, n} into the loaded Source plus its 1-based line and byte column.
** Token codes (TK_*) come from the Lemon grammar (build/gen/conf_parse.h).
*/
#ifndef STREAMC_LEX_H
#define STREAMC_LEX_H

#include <stdint.h>

#include "conf_parse.h"
#include "source.h"

typedef struct Token {
    const char *z;
    uint32_t n;
    uint32_t line, col;
} Token;

/* Line classes found by the re2c DFA. */
enum { LC_BLANK, LC_COMMENT, LC_HEADER, LC_KEYVAL, LC_TEXT, LC_ILLEGAL };

/* Classify a NUL-terminated line; for LC_KEYVAL *eq is the offset of the first '='. */
int lex_classify(const char *line, uint32_t *eq);

/* Tokenize one logical line into at most 5 tokens (codes in codes[], values in toks[]).
   Blank and comment lines give 0 tokens. Returns the count. */
int lex_line(const SrcLine *L, int codes[5], Token toks[5]);

/* Display name of a token code ("end of line", "section header", ...). */
const char *lex_token_name(int code);
#define LEX_NTOKENS (TK_ILLEGAL + 1)

#endif

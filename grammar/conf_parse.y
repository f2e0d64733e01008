/*
** conf_parse.y - Lemon grammar of Netdata's INI dialect (netdata.conf, stream.conf).
**
** The lexer hands over whole classified lines, so the grammar is a list of line shapes.
** Every action is one call into compiler/model.c; `error NL` resynchronises at the end of
** the line so one bad line never hides the rest.
*/
%name ConfParse
%token_prefix TK_
%token_type {Token}
%extra_context {Model *pM}
%syntax_error { model_syntax_error(pM, &TOKEN, yymajor); }
%parse_failure { model_syntax_error(pM, NULL, 0); }
%include {
#include <assert.h>
#include "lex.h"
#include "model.h"
}

/* ORDER TK_: keep this list in step with tok_names[] in compiler/lex.c. */
%token NL SECTION KEY EQ VALUE TEXT ILLEGAL.

conf ::= lines.
lines ::= .
lines ::= lines line.

/* ---- one logical line ------------------------------------------------------------------- */
line ::= SECTION(S) NL.            { model_section(pM, &S); }
line ::= KEY(K) EQ VALUE(V) NL.    { model_entry(pM, &K, &V); }
line ::= EQ(E) VALUE NL.           { model_empty_name(pM, &E); }
line ::= TEXT(T) NL.               { model_no_equals(pM, &T); }
line ::= error NL.

/*
** conf_lex.re - classify one logical line of Netdata's INI dialect (re2c).
**
** Input: the line's bytes followed by a NUL sentinel (the line itself never holds a NUL: the
** source layer already cut it there, as Netdata's string handling does). Output: the line class
** and, for key lines, the offset of the first '='. Rule order and longest-match reproduce
** Netdata's check order: blank, '#' comment, "[...]" header (before the '=' check, so "[a=b]"
** is a header), then split at the first '='. Trimming and token stamping happen in lex.c.
*/
#include "lex.h"

int lex_classify(const char *line, uint32_t *eq)
{
    const unsigned char *YYCURSOR = (const unsigned char *)line, *YYMARKER;
    const unsigned char *start = YYCURSOR;
    /*!re2c
        re2c:define:YYCTYPE = "unsigned char";
        re2c:yyfill:enable = 0;

        ws   = [ \t\n\v\f\r];
        end  = "\x00";
        byte = [^\x00];

        ws* end                        { return LC_BLANK; }
        ws* "#" byte* end              { return LC_COMMENT; }
        ws* "[" byte* "]" ws* end      { return LC_HEADER; }
        [^=\x00]* "="                  { *eq = (uint32_t)(YYCURSOR - start - 1); return LC_KEYVAL; }
        [^=\x00]* end                  { return LC_TEXT; }
        *                              { return LC_ILLEGAL; }
    */
}

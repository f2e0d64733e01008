/*
** diag_render.h - print diagnostic records as gcc-style text, JSON or SARIF 2.1.0.
**
** Output may span many sinks (one per checked node): begin, then one render_sink per sink,
** then end, so JSON and SARIF stay one document.
*/
#ifndef STREAMC_DIAG_RENDER_H
#define STREAMC_DIAG_RENDER_H

#include <stdint.h>
#include <stdio.h>

#include "diag.h"

typedef enum { RENDER_TEXT, RENDER_JSON, RENDER_SARIF } RenderFormat;

typedef struct Render {
    FILE *out;
    RenderFormat format;
    unsigned long results, nerr, nwarn;
    int quiet;                   /* text: no source lines and carets */
    unsigned max_errors;         /* stop after this many errors in output order; 0 = all */
    int capped;
} Render;

void render_begin(Render *r, FILE *out, RenderFormat format);
void render_sink(Render *r, DiagSink *d);     /* sorts d's records by place */
void render_end(Render *r);
int render_format_from_name(const char *name); /* -1 when unknown */

#endif

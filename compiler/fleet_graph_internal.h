/*
** fleet_graph_internal.h - what fleet_graph.c (the vertex model, text escaping, DOT) and
** fleet_graph_html.c (layered layout, SVG, the HTML page) share. Not an API: fleet.h declares
** fleet_graph_dot and fleet_graph_html.
*/
#ifndef STREAMC_FLEET_GRAPH_INTERNAL_H
#define STREAMC_FLEET_GRAPH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "arena.h"
#include "fleet.h"

#define FLEET_GRAPH_NONE UINT32_MAX     /* Graph.target of a skipped edge */

/* How each verdict class (fleet_graph_vclass) is drawn, the same in both formats. */
typedef struct GraphVerdictStyle {
    const char *name;           /* CSS class and table text */
    const char *colour;
    const char *meaning;
} GraphVerdictStyle;

extern const GraphVerdictStyle fleet_graph_verdicts[EDGE_UNRESOLVED + 1];

typedef struct Graph {
    const Fleet *f;
    Arena arena;                /* all scratch memory; the caller frees it with arena_free */
    size_t nv;                  /* f->nnodes + nun */
    size_t nun;                 /* distinct unresolved destinations */
    const char **uname;         /* [nun] their text; vertex f->nnodes + i */
    uint32_t *target;           /* [nedges] vertex the edge points to; FLEET_GRAPH_NONE: skipped */
    uint32_t *indeg, *outdeg;   /* [nv] counted over drawn-or-not edges, self-loops included */
} Graph;

/* A vertex or an edge to sort by (depth, text, index). */
typedef struct GraphKey {
    const char *s;
    uint32_t depth;
    uint32_t i;
} GraphKey;

/* fleet_graph.c: the vertex model (see its header for what the vertices are) */
int fleet_graph_build(Graph *g, const Fleet *f);
void *fleet_graph_scratch(Graph *g, size_t n, size_t size);
int fleet_graph_key_cmp(const void *a, const void *b);
const char *fleet_graph_vname(const Graph *g, uint32_t v);
unsigned fleet_graph_vclass(EdgeVerdict v);
/* fleet_graph.c: user text escaped for HTML */
void fleet_graph_html_str(FILE *out, const char *s, size_t max);

#endif

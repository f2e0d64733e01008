/*
** fleet_graph.c - the topology of an analysed fleet as Graphviz DOT (`streamc fleet
** --graph=dot`), and what the HTML page of fleet_graph_html.c (`--graph=html`) draws from: the
** vertex model, the verdict colours and the escaping of user text (fleet_graph_internal.h).
**
** Both formats read only f->nodes and f->edges (filled by fleet_load/fleet_analyse); neither
** simulates, loads or reports anything. The vertices are the fleet's nodes, then one vertex per
** distinct unresolved destination text (edges with parent -1, or a parent index outside the
** fleet), sorted by that text. Edges whose child index is outside the fleet are skipped. Output
** depends only on the Fleet, so the same Fleet gives the same bytes.
**
** DOT: node nI (label = name, box when something streams to it, ellipse otherwise), uJ for
** unresolved destinations (dashed grey box labelled with the destination), one edge per FleetEdge
** coloured by verdict (ok green, warn orange, refused red, unresolved grey dashed), proxied edges
** bold, tooltip = reason. Bytes that are not UTF-8 become U+FFFD in both formats. Scratch memory
** comes from a local arena; if it runs out, a valid document says so.
*/
#include "fleet_graph_internal.h"

#include <stdlib.h>
#include <string.h>

const GraphVerdictStyle fleet_graph_verdicts[EDGE_UNRESOLVED + 1] = {
    [EDGE_OK] = { "ok", "#2e7d32", "accepted" },
    [EDGE_WARN] = { "warn", "#ef6c00", "accepted, with a finding" },
    [EDGE_REFUSED] = { "refused", "#c62828", "refused" },
    [EDGE_UNRESOLVED] = { "unresolved", "#9e9e9e", "destination not in the fleet" },
};

static const char *str(const char *s)
{
    return s ? s : "";
}

/* The verdict class of V: the verdict, anything out of range drawn as unresolved. */
unsigned fleet_graph_vclass(EdgeVerdict v)
{
    return (unsigned)v <= EDGE_UNRESOLVED ? (unsigned)v : EDGE_UNRESOLVED;
}

/* N + 1 elements of SIZE bytes from G's arena, zeroed as arena_alloc gives them; NULL when the
   size overflows or the arena is out of memory. */
void *fleet_graph_scratch(Graph *g, size_t n, size_t size)
{
    return n + 1 > SIZE_MAX / size ? NULL : arena_alloc(&g->arena, (n + 1) * size);
}

/* qsort order of GraphKey: (depth, text, index); unresolved grouping uses depth 0 throughout. */
int fleet_graph_key_cmp(const void *a, const void *b)
{
    const GraphKey *x = a, *y = b;
    if (x->depth != y->depth) {
        return x->depth < y->depth ? -1 : 1;
    }
    int c = strcmp(x->s, y->s);
    if (c != 0) {
        return c;
    }
    return (x->i > y->i) - (x->i < y->i);
}

/* Fill G for F: vertices, edge targets and degrees, in G's own arena, which the caller frees
   with arena_free(&g->arena) whatever the result. 0 ok, -1 out of memory or too large. */
int fleet_graph_build(Graph *g, const Fleet *f)
{
    memset(g, 0, sizeof *g);
    g->f = f;
    arena_init(&g->arena);
    size_t nn = f->nnodes, ne = f->nedges;
    if (nn >= FLEET_GRAPH_NONE / 2 || ne >= FLEET_GRAPH_NONE / 2) {
        return -1;
    }
    g->target = fleet_graph_scratch(g, ne, sizeof *g->target);
    GraphKey *keys = fleet_graph_scratch(g, ne, sizeof *keys);
    g->uname = fleet_graph_scratch(g, ne, sizeof *g->uname);
    if (!g->target || !keys || !g->uname) {
        return -1;
    }
    size_t nk = 0;
    for (size_t e = 0; e < ne; e++) {
        const FleetEdge *E = &f->edges[e];
        g->target[e] = FLEET_GRAPH_NONE;
        if (E->child >= nn) {
            continue;
        }
        if (E->parent < 0 || (size_t)E->parent >= nn) {
            keys[nk++] = (GraphKey){ str(E->dest), 0, (uint32_t)e };
        } else {
            g->target[e] = (uint32_t)E->parent;
        }
    }
    qsort(keys, nk, sizeof *keys, fleet_graph_key_cmp);
    for (size_t k = 0; k < nk; k++) {
        if (k == 0 || strcmp(keys[k].s, keys[k - 1].s) != 0) {
            g->uname[g->nun++] = keys[k].s;
        }
        g->target[keys[k].i] = (uint32_t)(nn + g->nun - 1);
    }
    g->nv = nn + g->nun;
    g->indeg = fleet_graph_scratch(g, g->nv, sizeof *g->indeg);
    g->outdeg = fleet_graph_scratch(g, g->nv, sizeof *g->outdeg);
    if (!g->indeg || !g->outdeg) {
        return -1;
    }
    for (size_t e = 0; e < ne; e++) {
        if (g->target[e] != FLEET_GRAPH_NONE) {
            g->outdeg[f->edges[e].child]++;
            g->indeg[g->target[e]]++;
        }
    }
    return 0;
}

/* The text vertex V is drawn with: the node's name, or the unresolved destination. */
const char *fleet_graph_vname(const Graph *g, uint32_t v)
{
    return v < g->f->nnodes ? str(g->f->nodes[v].name) : g->uname[v - g->f->nnodes];
}

/* Length of the well-formed UTF-8 sequence at S (1..4), 0 when malformed. */
static size_t utf8_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xc2 && c <= 0xdf) {
        n = 2, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, min = 0x10000;
    } else {
        return 0;
    }
    unsigned cp = c & (0x3fu >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;                       /* also stops at the NUL */
        }
        cp = cp << 6 | (s[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }
    return n;
}

/* Replacement text for byte C in HTML (& < > " ' as entities) or in a DOT string (quote and
   backslash escaped, so no \N or \G expansion; newline as \n); other control bytes become a
   space; NULL: copy C. */
static const char *rep_for(unsigned char c, int html)
{
    static const char *const rep[2][128] = {
        { ['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n" },
        { ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;" },
    };
    if (c >= 0x80 || (c == '\n' && html)) {
        return NULL;
    }
    return rep[html][c] ? rep[html][c] : c < 0x20 || c == 0x7f ? " " : NULL;
}

/* S escaped for HTML text or a DOT string (HTML), malformed UTF-8 as U+FFFD; at most MAX code
   points (0: all), then an ellipsis. */
static void put_text(FILE *out, const char *s, size_t max, int html)
{
    const unsigned char *p = (const unsigned char *)str(s);
    for (size_t cps = 0; *p; cps++) {
        if (max && cps == max) {
            fputs("\xe2\x80\xa6", out);
            return;
        }
        size_t n = utf8_len(p);
        const char *rep = n > 0 ? rep_for(*p, html) : html ? "&#xFFFD;" : "\xef\xbf\xbd";
        if (rep) {
            fputs(rep, out);
        } else {
            fwrite(p, 1, n, out);
        }
        p += n > 0 ? n : 1;
    }
}

/* S as HTML text (entities for & < > " '), malformed UTF-8 as U+FFFD; at most MAX code points
   (0: all), then an ellipsis. */
void fleet_graph_html_str(FILE *out, const char *s, size_t max)
{
    put_text(out, s, max, 1);
}

static void dot_str(FILE *out, const char *s)
{
    fputc('"', out);
    put_text(out, s, 0, 0);
    fputc('"', out);
}

/* ---------------------------------------------------------------- DOT */

static void dot_vertex(FILE *out, const Graph *g, uint32_t v)
{
    if (v < g->f->nnodes) {
        fprintf(out, "n%lu", (unsigned long)v);
    } else {
        fprintf(out, "u%lu", (unsigned long)(v - g->f->nnodes));
    }
}

void fleet_graph_dot(const Fleet *f, FILE *out)
{
    Graph g;
    fputs("digraph fleet {\n    rankdir=LR;\n    node [fontname=\"Helvetica\", fontsize=10];\n",
          out);
    if (fleet_graph_build(&g, f) != 0) {
        fputs("    /* out of memory: topology not drawn */\n}\n", out);
        arena_free(&g.arena);
        return;
    }
    for (uint32_t v = 0; v < g.nv; v++) {
        fputs("    ", out);
        dot_vertex(out, &g, v);
        fputs(" [label=", out);
        dot_str(out, fleet_graph_vname(&g, v));
        if (v < f->nnodes) {
            fprintf(out, ", shape=%s];\n", g.indeg[v] > 0 ? "box" : "ellipse");
        } else {
            fprintf(out, ", shape=box, style=dashed, color=\"%s\"];\n",
                    fleet_graph_verdicts[EDGE_UNRESOLVED].colour);
        }
    }
    for (size_t e = 0; e < f->nedges; e++) {
        const FleetEdge *E = &f->edges[e];
        if (g.target[e] == FLEET_GRAPH_NONE) {
            continue;
        }
        unsigned c = fleet_graph_vclass(E->verdict);
        fputs("    ", out);
        dot_vertex(out, &g, E->child);
        fputs(" -> ", out);
        dot_vertex(out, &g, g.target[e]);
        fprintf(out, " [color=\"%s\"", fleet_graph_verdicts[c].colour);
        if (c == EDGE_UNRESOLVED || E->proxied) {
            fprintf(out, ", style=\"%s%s%s\"", c == EDGE_UNRESOLVED ? "dashed" : "",
                    c == EDGE_UNRESOLVED && E->proxied ? "," : "", E->proxied ? "bold" : "");
        }
        fputs(", tooltip=", out);
        dot_str(out, E->reason);
        fputs("];\n", out);
    }
    fputs("}\n", out);
    arena_free(&g.arena);
}

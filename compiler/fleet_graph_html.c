/*
** fleet_graph_html.c - the topology of an analysed fleet as one self-contained HTML page
** (`streamc fleet --graph=html`), drawn from the vertex model of fleet_graph.c
** (fleet_graph_internal.h); the same vertices, edges, verdict colours and escaping as the DOT.
**
** Inline CSS and inline SVG only (no script, font or network). Layout is layered: a vertex's
** column is its longest-path depth from the sources (Kahn's order; when only cycles remain, the
** lowest-index vertex left is taken next and its unprocessed incoming edges are ignored), vertices
** in a column sorted by name, columns taller than COL_ROWS wrapped into sub-columns. Every node and
** edge carries an SVG <title> (native hover tooltip). At most SVG_MAX vertices are drawn: every
** receiver and unresolved destination first, then senders in fleet order; the page says so and
** the edge table below the drawing always lists every edge. All user text is HTML-escaped.
** Everything is O((V + E) log(V + E)). Scratch memory comes from the graph's arena; if it runs
** out, the page says so and still lists every edge.
*/
#include "fleet_graph_internal.h"

#include <stdlib.h>
#include <string.h>

#define SVG_MAX 2000            /* vertices drawn at most */
#define COL_ROWS 40             /* vertices per (sub-)column before wrapping */
#define NODE_W 150
#define NODE_H 26
#define COL_W 220
#define ROW_H 36
#define MARGIN 24
#define LABEL_MAX 20            /* code points shown in a box; the <title> has the whole name */

static const GraphVerdictStyle *const verdicts = fleet_graph_verdicts;    /* fleet_graph.c */

typedef struct Layout {
    int *x, *y;                 /* [nv] top-left of the box; x == 0: not drawn */
    int width, height;
    size_t drawn;
} Layout;

/* Longest-path depth from the sources (self-loops ignored); cycles broken as the header says. */
static uint32_t *depths(Graph *g)
{
    const Fleet *f = g->f;
    uint32_t *depth = fleet_graph_scratch(g, g->nv, sizeof *depth);
    uint32_t *kin = fleet_graph_scratch(g, g->nv, sizeof *kin);
    uint32_t *start = fleet_graph_scratch(g, g->nv + 1, sizeof *start);
    uint32_t *adj = fleet_graph_scratch(g, f->nedges, sizeof *adj);
    uint32_t *queue = fleet_graph_scratch(g, g->nv, sizeof *queue);
    unsigned char *done = fleet_graph_scratch(g, g->nv, 1);
    if (!depth || !kin || !start || !adj || !queue || !done) {
        return NULL;
    }
    for (uint32_t v = 0; v < g->nv; v++) {
        start[v + 1] = start[v] + g->outdeg[v];
    }
    uint32_t *fill = queue;                 /* borrowed as a cursor; the queue overwrites it */
    for (size_t e = 0; e < f->nedges; e++) {
        uint32_t c = f->edges[e].child, t = g->target[e];
        if (t != FLEET_GRAPH_NONE) {
            adj[start[c] + fill[c]++] = t;
            kin[t] += t != c;
        }
    }
    size_t head = 0, tail = 0, scan = 0;
    for (uint32_t v = 0; v < g->nv; v++) {
        if (kin[v] == 0) {
            queue[tail++] = v;
        }
    }
    for (size_t processed = 0; processed < g->nv; processed++) {
        if (head == tail) {                 /* only cycles left: take the lowest index */
            while (done[scan] || kin[scan] == 0) {
                scan++;
            }
            queue[tail++] = (uint32_t)scan;
        }
        uint32_t v = queue[head++];
        done[v] = 1;
        for (uint32_t k = start[v]; k < start[v + 1]; k++) {
            uint32_t w = adj[k];
            if (w == v || done[w]) {
                continue;
            }
            if (depth[w] < depth[v] + 1) {
                depth[w] = depth[v] + 1;
            }
            if (--kin[w] == 0) {
                queue[tail++] = w;
            }
        }
    }
    return depth;
}

static int layout(Graph *g, Layout *L)
{
    memset(L, 0, sizeof *L);
    uint32_t *depth = depths(g);
    GraphKey *keys = fleet_graph_scratch(g, g->nv, sizeof *keys);
    L->x = fleet_graph_scratch(g, g->nv, sizeof *L->x);
    L->y = fleet_graph_scratch(g, g->nv, sizeof *L->y);
    if (!depth || !keys || !L->x || !L->y) {
        return -1;
    }
    /* Choose: receivers and unresolved destinations first, then senders, each in index order. */
    size_t nk = 0;
    for (int pass = 0; pass < 2; pass++) {
        for (uint32_t v = 0; v < g->nv && nk < SVG_MAX; v++) {
            if ((g->indeg[v] > 0) == (pass == 0)) {
                keys[nk++] = (GraphKey){ fleet_graph_vname(g, v), depth[v], v };
            }
        }
    }
    qsort(keys, nk, sizeof *keys, fleet_graph_key_cmp);
    L->drawn = nk;
    int col = 0, maxrows = 0;
    for (size_t k = 0; k < nk;) {
        size_t end = k;
        while (end < nk && keys[end].depth == keys[k].depth) {
            end++;
        }
        size_t n = end - k;
        for (size_t i = 0; i < n; i++) {
            size_t rows = n - i / COL_ROWS * COL_ROWS;
            rows = rows < COL_ROWS ? rows : COL_ROWS;
            int off = (COL_ROWS - (int)rows) * ROW_H / 2;
            uint32_t v = keys[k + i].i;
            L->x[v] = MARGIN + (col + (int)(i / COL_ROWS)) * COL_W;
            L->y[v] = MARGIN + off + (int)(i % COL_ROWS) * ROW_H;
        }
        col += (int)((n + COL_ROWS - 1) / COL_ROWS);
        maxrows = n > COL_ROWS ? COL_ROWS : (int)n > maxrows ? (int)n : maxrows;
        k = end;
    }
    /* Columns were centred on COL_ROWS rows; move everything up to the tallest column. */
    int lift = (COL_ROWS - maxrows) * ROW_H / 2;
    for (uint32_t v = 0; v < g->nv; v++) {
        if (L->x[v] > 0) {
            L->y[v] -= lift;
        }
    }
    L->width = 2 * MARGIN + (col > 0 ? (col - 1) * COL_W + NODE_W : 160) + 60;
    L->height = 2 * MARGIN + (maxrows > 0 ? maxrows * ROW_H : ROW_H) + 2 * ROW_H;
    return 0;
}

typedef struct Pair {
    uint64_t ends;              /* child << 32 | target */
    uint32_t e;
} Pair;

static int pair_cmp(const void *a, const void *b)
{
    const Pair *x = a, *y = b;
    if (x->ends != y->ends) {
        return x->ends < y->ends ? -1 : 1;
    }
    return (x->e > y->e) - (x->e < y->e);
}

/* Ordinal of each drawn edge among the drawn edges with the same ends (to bend parallels apart). */
static uint32_t *parallels(Graph *g, const Layout *L)
{
    const Fleet *f = g->f;
    Pair *pairs = fleet_graph_scratch(g, f->nedges, sizeof *pairs);
    uint32_t *ord = fleet_graph_scratch(g, f->nedges, sizeof *ord);
    if (!pairs || !ord) {
        return NULL;
    }
    size_t np = 0;
    for (size_t e = 0; e < f->nedges; e++) {
        uint32_t t = g->target[e];
        if (t != FLEET_GRAPH_NONE && L->x[t] > 0 && L->x[f->edges[e].child] > 0) {
            pairs[np++] = (Pair){ (uint64_t)f->edges[e].child << 32 | t, (uint32_t)e };
        }
    }
    qsort(pairs, np, sizeof *pairs, pair_cmp);
    for (size_t k = 0; k < np; k++) {
        int same = k > 0 && pairs[k].ends == pairs[k - 1].ends;
        ord[pairs[k].e] = same ? ord[pairs[k - 1].e] + 1 : 0;
    }
    return ord;
}

static void html_edge(FILE *out, const Graph *g, const Layout *L, size_t e, uint32_t ord)
{
    const FleetEdge *E = &g->f->edges[e];
    uint32_t s = E->child, t = g->target[e];
    unsigned c = fleet_graph_vclass(E->verdict);
    ord = ord < 8 ? ord : 8;                /* many parallels share the outermost curve */
    int bend = (int)(ord % 2 ? -1 : 1) * (int)((ord + 1) / 2) * 14;
    fprintf(out, "<path class=\"e %s%s\" marker-end=\"url(#a-%s)\" d=\"", verdicts[c].name,
            E->proxied ? " proxied" : "", verdicts[c].name);
    int cy = L->y[s] + NODE_H / 2;
    if (s == t) {
        int xr = L->x[s] + NODE_W, r = 30 + (int)ord * 10;
        fprintf(out, "M%d,%d C%d,%d %d,%d %d,%d", xr, cy - 6, xr + r, cy - r, xr + r, cy + r,
                xr + 2, cy + 6);
    } else if (L->x[t] > L->x[s]) {
        int sx = L->x[s] + NODE_W, tx = L->x[t] - 2, ty = L->y[t] + NODE_H / 2;
        fprintf(out, "M%d,%d Q%d,%d %d,%d", sx, cy, (sx + tx) / 2, (cy + ty) / 2 + bend, tx, ty);
    } else {                                /* back or sideways: arc under both boxes */
        int sx = L->x[s] + NODE_W / 2, tx = L->x[t] + NODE_W / 2;
        int sy = L->y[s] + NODE_H, ty = L->y[t] + NODE_H + 2;
        int low = (sy > ty ? sy : ty) + ROW_H + bend / 2;
        fprintf(out, "M%d,%d Q%d,%d %d,%d", sx, sy, (sx + tx) / 2, low, tx, ty);
    }
    fputs("\"><title>", out);
    fleet_graph_html_str(out, fleet_graph_vname(g, s), 0);
    fputs(" \xe2\x86\x92 ", out);
    fleet_graph_html_str(out, E->dest, 0);
    if (t < g->f->nnodes) {
        fputs(" (", out);
        fleet_graph_html_str(out, fleet_graph_vname(g, t), 0);
        fputs(")", out);
    }
    fprintf(out, ": %s%s\n", verdicts[c].name, E->proxied ? ", proxied" : "");
    fleet_graph_html_str(out, E->reason, 0);
    fputs("</title></path>\n", out);
}

static void html_node(FILE *out, const Graph *g, const Layout *L, uint32_t v)
{
    const Fleet *f = g->f;
    int unresolved = v >= f->nnodes, bad = !unresolved && !f->nodes[v].ok;
    fprintf(out, "<g class=\"n%s%s\"><title>", unresolved ? " dest" : g->indeg[v] ? " recv" : "",
            bad ? " bad" : "");
    fleet_graph_html_str(out, fleet_graph_vname(g, v), 0);
    if (unresolved) {
        fprintf(out, "\nnot a node of the fleet; %lu edge(s) point here",
                (unsigned long)g->indeg[v]);
    } else {
        fprintf(out, "\nreceives %lu edge(s), sends %lu%s", (unsigned long)g->indeg[v],
                (unsigned long)g->outdeg[v], bad ? "\nits configuration did not compile" : "");
    }
    fprintf(out, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"%d\"/>",
            L->x[v], L->y[v], NODE_W, NODE_H, g->indeg[v] || unresolved ? 2 : NODE_H / 2);
    fprintf(out, "<text x=\"%d\" y=\"%d\">", L->x[v] + NODE_W / 2, L->y[v] + NODE_H / 2 + 4);
    fleet_graph_html_str(out, fleet_graph_vname(g, v), LABEL_MAX);
    fputs("</text></g>\n", out);
}

static const char css[] =
    "body{font:14px system-ui,sans-serif;margin:16px;color:#222}\n"
    ".wrap{overflow:auto;border:1px solid #ddd;max-height:80vh}\n"
    "svg text{font:11px system-ui,sans-serif;fill:#222;text-anchor:middle}\n"
    ".e{fill:none;stroke-width:1.6}\n.e:hover{stroke-width:4}\n"
    ".e.proxied{stroke-width:3.4}\n.e.unresolved{stroke-dasharray:5 4}\n"
    ".n rect{fill:#fff;stroke:#555}\n.n.recv rect{fill:#eef3fb}\n"
    ".n.dest rect{fill:#fafafa;stroke:#9e9e9e;stroke-dasharray:4 3}\n"
    ".n.bad rect{stroke:#c62828;stroke-width:2}\n"
    ".legend{list-style:none;padding:0}\n.legend li{display:inline-block;margin-right:18px}\n"
    "table{border-collapse:collapse;margin-top:16px}\n"
    "td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}\n"
    "td.v{font-weight:bold}\n.tag{font-size:11px;color:#555;margin-left:4px}\n";

static void html_head(FILE *out, const Fleet *f)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n", out);
    fputs("<title>streamc fleet: ", out);
    fleet_graph_html_str(out, f->path, 0);
    fprintf(out, "</title>\n<style>\n%s", css);
    for (unsigned c = 0; c <= EDGE_UNRESOLVED; c++) {
        fprintf(out, ".e.%s{stroke:%s}\ntr.%s td.v{color:%s}\n", verdicts[c].name,
                verdicts[c].colour, verdicts[c].name, verdicts[c].colour);
    }
    fputs("</style>\n</head>\n<body>\n<h1>streamc fleet: ", out);
    fleet_graph_html_str(out, f->path, 0);
    fputs("</h1>\n", out);
}

static void html_legend(FILE *out, const Fleet *f)
{
    size_t count[EDGE_UNRESOLVED + 1] = { 0 };
    for (size_t e = 0; e < f->nedges; e++) {
        count[fleet_graph_vclass(f->edges[e].verdict)]++;
    }
    fprintf(out, "<p>%lu node(s), %lu edge(s).</p>\n<ul class=\"legend\">\n",
            (unsigned long)f->nnodes, (unsigned long)f->nedges);
    for (unsigned c = 0; c <= EDGE_UNRESOLVED; c++) {
        fprintf(out, "<li><svg width=\"36\" height=\"10\"><path class=\"e %s\" d=\"M0,5 L36,5\"/>"
                "</svg> %s: %s (%lu)</li>\n", verdicts[c].name, verdicts[c].name,
                verdicts[c].meaning, (unsigned long)count[c]);
    }
    fputs("<li><svg width=\"36\" height=\"10\"><path class=\"e ok proxied\" d=\"M0,5 L36,5\"/>"
          "</svg> thick: a proxy forwarding</li>\n<li>square box: receives; round: only sends;"
          " dashed: destination outside the fleet; red outline: did not compile</li>\n</ul>\n",
          out);
}

static void html_table(FILE *out, const Fleet *f)
{
    fputs("<table>\n<thead><tr><th>#</th><th>child</th><th>destination</th><th>parent</th>"
          "<th>verdict</th><th>reason</th></tr></thead>\n<tbody>\n", out);
    for (size_t e = 0; e < f->nedges; e++) {
        const FleetEdge *E = &f->edges[e];
        unsigned c = fleet_graph_vclass(E->verdict);
        fprintf(out, "<tr class=\"%s\"><td>%lu</td><td>", verdicts[c].name, (unsigned long)e + 1);
        fleet_graph_html_str(out, E->child < f->nnodes ? f->nodes[E->child].name : "?", 0);
        fputs("</td><td>", out);
        fleet_graph_html_str(out, E->dest, 0);
        fputs("</td><td>", out);
        if (E->parent >= 0 && (size_t)E->parent < f->nnodes) {
            fleet_graph_html_str(out, f->nodes[E->parent].name, 0);
        } else {
            fputs("\xe2\x80\x94", out);
        }
        fprintf(out, "</td><td class=\"v\">%s%s</td><td>", verdicts[c].name,
                E->proxied ? "<span class=\"tag\">proxied</span>" : "");
        fleet_graph_html_str(out, E->reason, 0);
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

void fleet_graph_html(const Fleet *f, FILE *out)
{
    Graph g;
    Layout L;
    html_head(out, f);
    html_legend(out, f);
    uint32_t *ord = NULL;
    if (fleet_graph_build(&g, f) != 0 || layout(&g, &L) != 0 || !(ord = parallels(&g, &L))) {
        fputs("<p class=\"note\">out of memory: the topology is not drawn.</p>\n", out);
        fputs("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"1\" height=\"1\"></svg>\n", out);
        html_table(out, f);
        fputs("</body>\n</html>\n", out);
        arena_free(&g.arena);
        return;
    }
    if (L.drawn < g.nv) {
        fprintf(out, "<p class=\"note\">The drawing shows %lu of %lu vertices (every receiver and"
                " unresolved destination first, then senders in fleet order) and only the edges"
                " between them; the table lists every edge.</p>\n",
                (unsigned long)L.drawn, (unsigned long)g.nv);
    }
    fprintf(out, "<div class=\"wrap\">\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
            " height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"fleet topology\">\n",
            L.width, L.height, L.width, L.height);
    fputs("<defs>\n", out);
    for (unsigned c = 0; c <= EDGE_UNRESOLVED; c++) {
        fprintf(out, "<marker id=\"a-%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\""
                " markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10"
                " z\" fill=\"%s\"/></marker>\n", verdicts[c].name, verdicts[c].colour);
    }
    fputs("</defs>\n", out);
    if (g.nv == 0) {
        fprintf(out, "<text x=\"%d\" y=\"%d\">(no nodes)</text>\n", L.width / 2, L.height / 2);
    }
    for (size_t e = 0; e < f->nedges; e++) {
        uint32_t t = g.target[e];
        if (t != FLEET_GRAPH_NONE && L.x[t] > 0 && L.x[f->edges[e].child] > 0) {
            html_edge(out, &g, &L, e, ord[e]);
        }
    }
    for (uint32_t v = 0; v < g.nv; v++) {
        if (L.x[v] > 0) {
            html_node(out, &g, &L, v);
        }
    }
    fputs("</svg>\n</div>\n", out);
    html_table(out, f);
    fputs("</body>\n</html>\n", out);
    arena_free(&g.arena);
}

/*
** fleet_out.c - the per-child verdict lines of `streamc fleet` (fleet.h). The findings are
** rendered by the caller with diag_render; the topology graphs live in fleet_graph.c (DOT)
** and fleet_graph_html.c (HTML).
*/
#include <stdlib.h>

#include "fleet.h"

static const char *const verdict_name[] = { "accepted", "accepted", "refused", "unresolved" };

/*
** One line per node left out (configuration errors), then one per edge in simulation order:
**   CHILD -> PARENT (DEST): accepted
**   CHILD -> PARENT (DEST): accepted: REASON          (accepted with a warning)
**   CHILD -> PARENT (DEST): refused: REASON
**   CHILD -> ? (DEST): unresolved: REASON
**   CHILD via PROXY -> PARENT (DEST): ...             (a proxy forwarding CHILD)
*/
void fleet_print_verdicts(const Fleet *f, FILE *out)
{
    for (size_t i = 0; i < f->nnodes; i++) {
        const FleetNode *n = &f->nodes[i];
        if (!n->ok) {
            fprintf(out, "%s: excluded: %s\n", n->name, n->loaded ? "configuration has errors"
                                                                  : "no config directory");
        }
    }
    for (size_t i = 0; i < f->nedges; i++) {
        const FleetEdge *e = &f->edges[i];
        const char *origin = f->nodes[e->origin].name;
        if (e->proxied) {
            fprintf(out, "%s via %s", origin, f->nodes[e->child].name);
        } else {
            fputs(origin, out);
        }
        fprintf(out, " -> %s (%s): %s", e->parent >= 0 ? f->nodes[e->parent].name : "?",
                e->dest ? e->dest : "", verdict_name[e->verdict & 3]);
        if (e->verdict != EDGE_OK && e->reason && *e->reason) {
            fprintf(out, ": %s", e->reason);
        }
        fputc('\n', out);
    }
}

static void json_text(FILE *out, const char *z)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(z ? z : ""); *p; p++) {
        if (*p == '"' || *p == '\\') {
            fprintf(out, "\\%c", *p);
        } else if (*p < 0x20 || *p == 0x7F) {
            fprintf(out, "\\u%04x", *p);
        } else {
            fputc(*p, out);   /* names and entries come from UTF-8-checked files */
        }
    }
    fputc('"', out);
}

static const char *const verdict_slug[] = { "ok", "warn", "refused", "unresolved" };

/*
** The edges and the streaming nodes as JSON object members, for `--format=json`:
**   "edges":[{"child":ORIGIN,"sender":NODE,"parent":NODE|null,"destination":TEXT,
**             "verdict":"ok|warn|refused|unresolved","reason":TEXT,"proxied":BOOL},...],
**   "children":[{"name":NODE,"verdict":"accepted|refused"},...]
** (a child is accepted when one of its own destinations accepts it).
*/
void fleet_print_json(const Fleet *f, FILE *out)
{
    fputs("\"edges\":[", out);
    for (size_t i = 0; i < f->nedges; i++) {
        const FleetEdge *e = &f->edges[i];
        fputs(i ? ",\n  {\"child\":" : "\n  {\"child\":", out);
        json_text(out, f->nodes[e->origin].name);
        fputs(",\"sender\":", out);
        json_text(out, f->nodes[e->child].name);
        fputs(",\"parent\":", out);
        if (e->parent >= 0) {
            json_text(out, f->nodes[e->parent].name);
        } else {
            fputs("null", out);
        }
        fputs(",\"destination\":", out);
        json_text(out, e->dest);
        fprintf(out, ",\"verdict\":\"%s\",\"reason\":", verdict_slug[e->verdict & 3]);
        json_text(out, e->reason);
        fprintf(out, ",\"proxied\":%s}", e->proxied ? "true" : "false");
    }
    fputs("],\"children\":[", out);
    unsigned char *st = calloc(f->nnodes + 1, 1);   /* bit 1: has an edge, bit 2: accepted */
    for (size_t i = 0; st && i < f->nedges; i++) {
        const FleetEdge *e = &f->edges[i];
        if (!e->proxied) {
            st[e->child] |= (unsigned char)(1 | (e->verdict == EDGE_OK || e->verdict == EDGE_WARN
                                                 ? 2 : 0));
        }
    }
    int first = 1;
    for (size_t n = 0; st && n < f->nnodes; n++) {
        int direct = st[n] & 1, ok = st[n] & 2;
        if (!direct) {
            continue;
        }
        fputs(first ? "\n  {\"name\":" : ",\n  {\"name\":", out);
        json_text(out, f->nodes[n].name);
        fprintf(out, ",\"verdict\":\"%s\"}", ok ? "accepted" : "refused");
        first = 0;
    }
    free(st);
    fputs("]", out);
}

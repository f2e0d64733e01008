/*
** diag_render.c - one record list, three renderings (see diag_render.h).
**
** Text follows gcc: "file:line:col: severity: message [slug]", then the source line, a caret
** under the span and the fix-it. Tabs are copied so the caret lines up; bytes that are not
** printable UTF-8 are shown as '?', one column each.
*/
#include "diag_render.h"

#include <stdlib.h>
#include <string.h>

#include "source.h"

#define STREAMC_VERSION "0.1.0"
#define ECHO_WINDOW 160

/* ---- ordering ------------------------------------------------------------------------------ */

typedef struct SortRec {
    Diag *g;
    unsigned src_rank;
} SortRec;

static int cmp_rec(const void *pa, const void *pb)
{
    const SortRec *a = pa, *b = pb;
    if (a->src_rank != b->src_rank) {
        return a->src_rank < b->src_rank ? -1 : 1;
    }
    if (a->g->at.line != b->g->at.line) {
        return a->g->at.line < b->g->at.line ? -1 : 1;
    }
    if (a->g->at.col != b->g->at.col) {
        return a->g->at.col < b->g->at.col ? -1 : 1;
    }
    return a->g->seq < b->g->seq ? -1 : a->g->seq > b->g->seq;
}

/* Records of a sink sorted by (source in first-seen order, line, column, emission). */
static SortRec *sorted(DiagSink *d)
{
    SortRec *v = arena_alloc(d->arena, (d->n + 1) * sizeof *v);
    const void *seen[64];
    unsigned nseen = 0, i = 0;
    if (!v) {
        return NULL;
    }
    for (Diag *g = d->first; g; g = g->next, i++) {
        unsigned rank = 0;
        if (g->at.src) {
            unsigned k;
            for (k = 0; k < nseen && seen[k] != g->at.src; k++) {
            }
            if (k == nseen && nseen < 64) {
                seen[nseen++] = g->at.src;
            }
            rank = k + 1;
        }
        if (g->code == DIAG_TOO_MANY) {
            rank = 1000;
        }
        v[i].g = g;
        v[i].src_rank = rank;
    }
    qsort(v, d->n, sizeof *v, cmp_rec);
    return v;
}

/* ---- text ---------------------------------------------------------------------------------- */

/* Length of the printable UTF-8 character at z (1..4), or 0 if the byte is not printable. */
static size_t char_len(const unsigned char *z, size_t n)
{
    if (z[0] < 0x80) {
        return z[0] == '\t' || (z[0] >= 0x20 && z[0] < 0x7F) ? 1 : 0;
    }
    return source_utf8_len(z, n);
}

static void echo_line(FILE *f, const DiagLoc *at, const char *fixit)
{
    size_t n;
    const char *line = source_phys_line(at->src, at->line, &n);
    if (!line) {
        return;
    }
    size_t c0 = at->col - 1, span = at->len;
    if (c0 > n) {
        c0 = n;
    }
    if (c0 + span > n) {
        span = n > c0 ? n - c0 : 0;
    }
    size_t from = c0 > ECHO_WINDOW / 2 ? c0 - ECHO_WINDOW / 4 : 0;
    size_t to = n - from > ECHO_WINDOW ? from + ECHO_WINDOW : n;
    if (to < c0 + span) {
        to = c0 + span < n ? c0 + span : n;
    }
    /* source line */
    fprintf(f, "%5u | %s", at->line, from ? "..." : "");
    const unsigned char *u = (const unsigned char *)line;
    for (size_t i = from; i < to;) {
        size_t k = char_len(u + i, to - i);
        if (k) {
            fwrite(u + i, 1, k, f);
            i += k;
        } else {
            fputc('?', f);
            i++;
        }
    }
    fprintf(f, "%s\n", to < n ? "..." : "");
    /* caret line: one output column per echoed character, tabs copied */
    fprintf(f, "      | %s", from ? "   " : "");
    for (size_t i = from; i < c0;) {
        size_t k = char_len(u + i, c0 - i);
        fputc(u[i] == '\t' ? '\t' : ' ', f);
        i += k ? k : 1;
    }
    fputc('^', f);
    size_t first = c0 < n ? char_len(u + c0, n - c0) : 1;
    for (size_t i = c0 + (first ? first : 1); i < c0 + span;) {
        size_t k = char_len(u + i, c0 + span - i);
        fputc('~', f);
        i += k ? k : 1;
    }
    fputc('\n', f);
    if (fixit && *fixit) {
        fprintf(f, "      | %s", from ? "   " : "");
        for (size_t i = from; i < c0;) {
            size_t k = char_len(u + i, c0 - i);
            fputc(u[i] == '\t' ? '\t' : ' ', f);
            i += k ? k : 1;
        }
        fprintf(f, "%s\n", fixit);
    }
}

static void text_one(Render *r, const DiagLoc *at, Severity sev, const char *msg,
                     const char *slug, const char *fixit)
{
    FILE *f = r->out;
    if (at->src) {
        fprintf(f, "%s:%u:%u: ", at->src->path, at->line, at->col);
    } else {
        fputs("streamc: ", f);
    }
    fprintf(f, "%s: %s", diag_sev_name(sev), msg);
    if (slug) {
        fprintf(f, " [%s]", slug);
    }
    fputc('\n', f);
    if (at->src && !r->quiet) {
        echo_line(f, at, fixit);
    }
}

/* ---- JSON helpers ---------------------------------------------------------------------------- */

static void json_str(FILE *f, const char *z)
{
    const unsigned char *u = (const unsigned char *)(z ? z : "");
    size_t n = strlen((const char *)u);
    fputc('"', f);
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        if (c == '"' || c == '\\') {
            fprintf(f, "\\%c", c);
            i++;
        } else if (c < 0x20 || c == 0x7F) {
            fprintf(f, "\\u%04x", c);
            i++;
        } else if (c < 0x80) {
            fputc(c, f);
            i++;
        } else {
            size_t k = char_len(u + i, n - i);
            if (k) {
                fwrite(u + i, 1, k, f);
                i += k;
            } else {
                fputs("\\ufffd", f);   /* JSON must be UTF-8 */
                i++;
            }
        }
    }
    fputc('"', f);
}

/* SARIF columns count Unicode code points; ours count bytes. */
static unsigned cp_col(const DiagLoc *at, unsigned bytecol)
{
    size_t n;
    const char *line = source_phys_line(at->src, at->line, &n);
    if (!line) {
        return bytecol;
    }
    unsigned cp = 1;
    for (size_t i = 0; i + 1 < bytecol && i < n; i++) {
        if (((unsigned char)line[i] & 0xC0) != 0x80) {
            cp++;
        }
    }
    return cp;
}

static void uri(FILE *f, const char *path)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("/-._~", *p)) {
            fputc(*p, f);
        } else {
            fprintf(f, "%%%02X", *p);
        }
    }
    fputc('"', f);
}

/* "physicalLocation":{...} without surrounding braces, so callers can add siblings. */
static void sarif_region(FILE *f, const DiagLoc *at)
{
    fputs("\"physicalLocation\":{\"artifactLocation\":{\"uri\":", f);
    uri(f, at->src->path);
    fprintf(f, "},\"region\":{\"startLine\":%u,\"startColumn\":%u,\"endColumn\":%u}}", at->line,
            cp_col(at, at->col), cp_col(at, at->col + at->len));
}

static void json_one(Render *r, const Diag *g)
{
    FILE *f = r->out;
    fputs(r->results ? ",\n    {" : "\n    {", f);
    if (g->at.src) {
        fputs("\"file\":", f);
        json_str(f, g->at.src->path);
        fprintf(f, ",\"line\":%u,\"column\":%u,\"endColumn\":%u,", g->at.line, g->at.col,
                g->at.col + g->at.len);
    }
    fprintf(f, "\"severity\":\"%s\",\"code\":\"%s\",\"message\":", diag_sev_name(g->sev),
            diag_slug[g->code]);
    json_str(f, g->msg);
    if (g->fixit) {
        fputs(",\"fixit\":", f);
        json_str(f, g->fixit);
    }
    if (g->notes) {
        fputs(",\"notes\":[", f);
        for (const DiagNote *nt = g->notes; nt; nt = nt->next) {
            fputs(nt == g->notes ? "{" : ",{", f);
            if (nt->at.src) {
                fputs("\"file\":", f);
                json_str(f, nt->at.src->path);
                fprintf(f, ",\"line\":%u,\"column\":%u,", nt->at.line, nt->at.col);
            }
            fputs("\"message\":", f);
            json_str(f, nt->msg);
            fputc('}', f);
        }
        fputc(']', f);
    }
    fputc('}', f);
}

static void sarif_one(Render *r, const Diag *g)
{
    FILE *f = r->out;
    const char *level = g->sev == SEV_ERROR ? "error" : g->sev == SEV_WARNING ? "warning" : "note";
    fputs(r->results ? ",\n        {" : "\n        {", f);
    fprintf(f, "\"ruleId\":\"%s\",\"ruleIndex\":%d,\"level\":\"%s\",\"message\":{\"text\":",
            diag_slug[g->code], (int)g->code, level);
    json_str(f, g->msg);
    fputc('}', f);
    if (g->at.src) {
        fputs(",\"locations\":[{", f);
        sarif_region(f, &g->at);
        fputs("}]", f);
    } else {
        /* code scanning wants a location on every result: name the file when there is one */
        fputs(",\"locations\":[{\"physicalLocation\":{\"artifactLocation\":{\"uri\":", f);
        uri(f, g->file ? g->file : ".");
        fputs("}}}]", f);
    }
    if (g->notes) {
        fputs(",\"relatedLocations\":[", f);
        int id = 1;
        for (const DiagNote *nt = g->notes; nt; nt = nt->next) {
            if (!nt->at.src) {
                continue;
            }
            fprintf(f, "%s{\"id\":%d,\"message\":{\"text\":", id > 1 ? "," : "", id);
            json_str(f, nt->msg);
            fputs("},", f);
            sarif_region(f, &nt->at);
            fputc('}', f);
            id++;
        }
        fputc(']', f);
    }
    if (g->fixit && g->at.src) {
        fputs(",\"fixes\":[{\"description\":{\"text\":", f);
        char desc[200];
        snprintf(desc, sizeof desc, "replace with '%s'", g->fixit);
        json_str(f, *g->fixit ? desc : "delete");
        fputs("},\"artifactChanges\":[{\"artifactLocation\":{\"uri\":", f);
        uri(f, g->at.src->path);
        fprintf(f, "},\"replacements\":[{\"deletedRegion\":{\"startLine\":%u,\"startColumn\":%u,"
                "\"endColumn\":%u},\"insertedContent\":{\"text\":", g->at.line,
                cp_col(&g->at, g->at.col), cp_col(&g->at, g->at.col + g->at.len));
        json_str(f, g->fixit);
        fputs("}}]}]}]", f);
    }
    fputc('}', f);
}

/* ---- driver -------------------------------------------------------------------------------- */

int render_format_from_name(const char *name)
{
    static const char *const names[] = { "text", "json", "sarif", NULL };
    for (int i = 0; names[i]; i++) {
        if (strcmp(name, names[i]) == 0) {
            return i;
        }
    }
    return -1;
}

void render_begin(Render *r, FILE *out, RenderFormat format)
{
    memset(r, 0, sizeof *r);
    r->out = out;
    r->format = format;
    if (format == RENDER_JSON) {
        fputs("{\"tool\":\"streamc\",\"version\":\"" STREAMC_VERSION "\",\"diagnostics\":[", out);
    } else if (format == RENDER_SARIF) {
        fputs("{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\","
              "\"runs\":[{\"tool\":{\"driver\":{\"name\":\"streamc\",\"version\":\"" STREAMC_VERSION
              "\",\"informationUri\":\"https://github.com/netdata/netdata\",\"rules\":[", out);
        for (int i = 0; i < DIAG__COUNT; i++) {
            const char *lv = diag_default_sev[i] == SEV_ERROR ? "error"
                             : diag_default_sev[i] == SEV_WARNING ? "warning" : "note";
            fprintf(out, "%s\n      {\"id\":\"%s\",\"shortDescription\":{\"text\":", i ? "," : "",
                    diag_slug[i]);
            json_str(out, diag_rule_text[i]);
            fprintf(out, "},\"defaultConfiguration\":{\"level\":\"%s\"}}", lv);
        }
        fputs("]}},\"columnKind\":\"unicodeCodePoints\",\"results\":[", out);
    }
}

/* The --max-errors cap counts errors in output order, across every sink of the run. */
static int over_cap(Render *r, const Diag *g)
{
    if (r->format == RENDER_SARIF) {
        return 0;   /* SARIF carries every result: code scanning pages them itself */
    }
    if (r->capped) {
        return 1;
    }
    if (g->sev != SEV_ERROR || !r->max_errors || r->nerr < r->max_errors) {
        return 0;
    }
    r->capped = 1;
    Diag cap = { 0 };
    cap.code = DIAG_TOO_MANY;
    cap.sev = SEV_ERROR;
    char msg[96];
    snprintf(msg, sizeof msg, "too many errors (--max-errors=%u), stopping now", r->max_errors);
    cap.msg = msg;
    if (r->format == RENDER_TEXT) {
        text_one(r, &cap.at, SEV_ERROR, msg, diag_slug[DIAG_TOO_MANY], NULL);
    } else if (r->format == RENDER_JSON) {
        json_one(r, &cap);
    } else {
        sarif_one(r, &cap);
    }
    r->results++;
    return 1;
}

void render_sink(Render *r, DiagSink *d)
{
    SortRec *v = sorted(d);
    if (!v) {
        d->oom = 1;   /* still print every record, in emission order */
    }
    const Diag *next = d->first;
    for (uint32_t i = 0; i < d->n && (v || next); i++) {
        const Diag *g = v ? v[i].g : next;
        next = g->next;
        if (over_cap(r, g)) {
            break;
        }
        if (r->format == RENDER_TEXT) {
            text_one(r, &g->at, g->sev, g->msg, diag_slug[g->code], g->fixit);
            for (const DiagNote *nt = g->notes; nt; nt = nt->next) {
                text_one(r, &nt->at, SEV_NOTE, nt->msg, NULL, NULL);
            }
        } else if (r->format == RENDER_JSON) {
            json_one(r, g);
        } else {
            sarif_one(r, g);
        }
        r->results++;
        r->nerr += g->sev == SEV_ERROR && g->code != DIAG_TOO_MANY;
        r->nwarn += g->sev == SEV_WARNING;
    }
    if (d->oom) {
        fputs(r->format == RENDER_TEXT ? "streamc: error: out of memory; some findings may be "
                                         "missing\n" : "", r->out);
    }
}

void render_end(Render *r)
{
    FILE *f = r->out;
    if (r->format == RENDER_JSON) {
        fprintf(f, "%s],\"errors\":%lu,\"warnings\":%lu}\n", r->results ? "\n  " : "", r->nerr,
                r->nwarn);
    } else if (r->format == RENDER_SARIF) {
        fputs(r->results ? "\n      ]}]}\n" : "]}]}\n", f);
    } else if (r->nerr || r->nwarn) {
        fprintf(f, "%lu error%s, %lu warning%s\n", r->nerr, r->nerr == 1 ? "" : "s", r->nwarn,
                r->nwarn == 1 ? "" : "s");
    }
}

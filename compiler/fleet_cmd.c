/*
** fleet_cmd.c - `streamc fleet [--format=text|json|sarif] [--graph=dot|html] [-Werror]
** MANIFEST|DIR`: load and simulate a fleet (fleet.h), print the verdict lines (text only),
** then the findings. JSON is the renderer's document plus "edges" and "children" members;
** SARIF is the findings only. --graph prints the topology (fleet_graph.c: DOT,
** fleet_graph_html.c: HTML) instead of both.
** Exit status: 0 every child streams; 1 some child is refused by every destination it has,
** or an error finding other than the refusal of one pair (a node's configuration, the
** manifest, duplicate GUIDs, proxy loops), or with -Werror any finding; 2 usage or a manifest
** (or fleet directory) that cannot be read.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag_render.h"
#include "fleet.h"

int cmd_fleet(int argc, char **argv);

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "streamc: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'streamc help'.\n");
    return 2;
}

/* 1 when D holds an error other than a refusal of one pair: a child that another destination
   accepts still streams (fleet_status decides about refusals); 0 otherwise. */
static int other_errors(const DiagSink *d)
{
    for (const Diag *g = d->first; g; g = g->next) {
        if (g->sev == SEV_ERROR && g->code != DIAG_FLEET_REFUSED && g->code != DIAG_FLEET_TLS) {
            return 1;
        }
    }
    return d->oom;
}

/* The renderer's JSON document with the fleet's edges and children added as members. */
static void render_json(const Fleet *f, DiagSink *d)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *mem = open_memstream(&buf, &n);
    Render r;
    render_begin(&r, mem ? mem : stdout, RENDER_JSON);
    render_sink(&r, d);
    render_end(&r);
    if (!mem) {
        return;
    }
    fclose(mem);
    while (n && buf[n - 1] != '}') {
        n--;
    }
    n -= n > 0;   /* reopen the document: drop its closing brace */
    fwrite(buf, 1, n, stdout);
    fputs(",\n", stdout);
    fleet_print_json(f, stdout);
    fputs("}\n", stdout);
    free(buf);
}

int cmd_fleet(int argc, char **argv)
{
    RenderFormat format = RENDER_TEXT;
    const char *path = NULL, *graph = NULL;
    int werror = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "--format=", 9) == 0 || (strcmp(a, "--format") == 0 && i + 1 < argc)) {
            const char *v = a[8] == '=' ? a + 9 : argv[++i];
            int fm = render_format_from_name(v);
            if (fm < 0) {
                return usage("unknown format '%s': expected text, json or sarif", v);
            }
            format = (RenderFormat)fm;
        } else if (strncmp(a, "--graph=", 8) == 0 || (strcmp(a, "--graph") == 0 && i + 1 < argc)) {
            graph = a[7] == '=' ? a + 8 : argv[++i];
            if (strcmp(graph, "dot") != 0 && strcmp(graph, "html") != 0) {
                return usage("unknown graph '%s': expected dot or html", graph);
            }
        } else if (strcmp(a, "-Werror") == 0) {
            werror = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option '%s'", a);
        } else if (path) {
            return usage("fleet takes one manifest or directory, not '%s' too", a);
        } else {
            path = a;
        }
    }
    if (!path) {
        return usage("%s", "fleet needs a fleet manifest or a directory of node directories");
    }
    Arena a;
    DiagSink d;
    Fleet f;
    arena_init(&a);
    diag_init(&d, &a);
    d.werror = werror;
    int rc = fleet_load(&f, &a, &d, path);
    if (rc == 0) {
        fleet_analyse(&f);
    }
    if (rc == 0 && graph) {
        (strcmp(graph, "dot") == 0 ? fleet_graph_dot : fleet_graph_html)(&f, stdout);
    } else if (format == RENDER_JSON && rc == 0) {
        render_json(&f, &d);
    } else {
        if (rc == 0 && format == RENDER_TEXT) {
            fleet_print_verdicts(&f, stdout);
        }
        Render r;
        render_begin(&r, stdout, format);
        render_sink(&r, &d);
        render_end(&r);
    }
    int status = rc != 0 ? 2 : werror ? diag_exit_status(&d) : other_errors(&d);
    if (status == 0 && fleet_status(&f)) {
        status = 1;
    }
    fleet_free(&f);
    arena_free(&a);
    if (fflush(stdout) != 0) {
        return 2;
    }
    return status;
}

/*
** test_fleet_graph.c - cmocka tests for compiler/fleet_graph.c and fleet_graph_html.c: the DOT
** and HTML topology of a Fleet built by hand (no loader, no simulator): exact DOT for a small
** fleet with every verdict, a proxy, a self-loop and unresolved destinations; DOT and HTML
** escaping of hostile names (quotes, backslashes, newlines, markup, malformed UTF-8); a small
** self-contained well-formedness checker for the HTML (balanced elements, every <title> closed,
** no raw '<', '>' or '&' from user text); empty fleets, cycles, malformed edges, determinism,
** and 10,000 nodes in under a second.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fleet.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

typedef struct EdgeRow {
    uint32_t child;
    int32_t parent;
    const char *dest;
    EdgeVerdict verdict;
    const char *reason;
    int proxied;
} EdgeRow;

/* A Fleet over NAMES and ROWS (heap; fleet_done frees it). */
static Fleet fleet_make(const char *const *names, size_t nn, const EdgeRow *rows, size_t ne)
{
    Fleet f;
    memset(&f, 0, sizeof f);
    f.path = "fleet.conf";
    f.nodes = calloc(nn + 1, sizeof *f.nodes);
    f.edges = calloc(ne + 1, sizeof *f.edges);
    assert_non_null(f.nodes);
    assert_non_null(f.edges);
    for (size_t i = 0; i < nn; i++) {
        f.nodes[i].name = names[i];
        f.nodes[i].ok = 1;
    }
    for (size_t e = 0; e < ne; e++) {
        f.edges[e] = (FleetEdge){ .child = rows[e].child, .parent = rows[e].parent,
                                  .dest = rows[e].dest, .verdict = rows[e].verdict,
                                  .reason = rows[e].reason, .proxied = rows[e].proxied };
    }
    f.nnodes = nn;
    f.nedges = ne;
    return f;
}

static void fleet_done(Fleet *f)
{
    free(f->nodes);
    free(f->edges);
}

/* Render with FN into a heap string (free it). */
static char *render(void (*fn)(const Fleet *, FILE *), const Fleet *f, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    assert_non_null(out);
    fn(f, out);
    assert_int_equal(fclose(out), 0);
    if (len) {
        *len = n;
    }
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle)) {
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------- the markup checker */

static int is_void(const char *name, size_t n)
{
    return (n == 4 && memcmp(name, "meta", 4) == 0) || (n == 2 && memcmp(name, "br", 2) == 0);
}

/* NULL when DOC is well formed enough: every element closed in order (void elements and "/>"
   aside), <style> content skipped, attribute quotes balanced, and in text no '>' and no '&' that
   does not start one of the entities fleet_graph.c writes. Else what is wrong, at *AT. */
static const char *markup_problem(const char *doc, size_t *at)
{
    static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;", "&#xFFFD;" };
    const char *open[64];
    size_t olen[64], depth = 0;
    const char *p = doc;
    for (; *p; p++) {
        *at = (size_t)(p - doc);
        if (*p == '>') {
            return "raw '>' in text";
        }
        if (*p == '&') {
            size_t k = 0;
            while (k < LEN(ents) && strncmp(p, ents[k], strlen(ents[k])) != 0) {
                k++;
            }
            if (k == LEN(ents)) {
                return "raw '&' in text";
            }
            continue;
        }
        if (*p != '<') {
            continue;
        }
        if (p[1] == '!') {
            p = strchr(p, '>');
            if (!p) {
                return "unterminated <!";
            }
            continue;
        }
        int closing = p[1] == '/';
        const char *name = p + 1 + closing;
        size_t n = strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789");
        if (n == 0) {
            return "raw '<' in text";
        }
        const char *end = name + n;
        int quoted = 0;
        for (; *end && (quoted || *end != '>'); end++) {
            if (*end == '<') {
                return "'<' inside a tag";
            }
            quoted ^= *end == '"';
        }
        if (!*end) {
            return "unterminated tag";
        }
        if (closing) {
            if (depth == 0 || olen[depth - 1] != n || memcmp(open[depth - 1], name, n) != 0) {
                return "close tag does not match the open element";
            }
            depth--;
        } else if (end[-1] != '/' && !is_void(name, n)) {
            if (depth == LEN(open)) {
                return "nested too deep";
            }
            open[depth] = name;
            olen[depth++] = n;
            if (n == 5 && memcmp(name, "style", 5) == 0) {
                end = strstr(end, "</style>");
                if (!end) {
                    return "unclosed <style>";
                }
                end--;
            }
        }
        p = end;
    }
    *at = (size_t)(p - doc);
    return depth ? "element left open at the end" : NULL;
}

static void assert_well_formed(const char *doc)
{
    size_t at = 0;
    const char *why = markup_problem(doc, &at);
    if (why) {
        fprintf(stderr, "markup: %s at %zu: %.60s\n", why, at, doc + (at > 20 ? at - 20 : 0));
    }
    assert_null(why);
    assert_int_equal(count(doc, "<svg"), count(doc, "</svg>"));
    assert_int_equal(count(doc, "<title>"), count(doc, "</title>"));
    assert_int_equal(count(doc, "<table>"), 1);
    assert_int_equal(count(doc, "</table>"), 1);
    /* self-contained: no script, no external reference */
    assert_null(strstr(doc, "<script"));
    assert_null(strstr(doc, "src="));
    assert_null(strstr(doc, "href="));
    assert_null(strstr(doc, "@import"));
    assert_null(strstr(doc, "url(http"));
}

static void test_checker_catches_problems(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "<p>a<b</p>", "<p>a>b</p>", "<p>a&b</p>", "<p><title>x</p>", "<svg><g></svg></g>",
        "<p title=\"a<b\">x</p>", "<p>", "</p>",
    };
    size_t at;
    for (size_t i = 0; i < LEN(bad); i++) {
        assert_non_null(markup_problem(bad[i], &at));
    }
    assert_null(markup_problem("<!DOCTYPE html><p title=\"a>b\">&lt;&amp;<br><i/></p>", &at));
}

/* ---------------------------------------------------------------- a small fleet */

static const char *const small_names[] = {
    "child1", "proxy", "parent", "a\"b<c>&", "lonely",
};

static const EdgeRow small_rows[] = {
    { 0, 1, "proxy.lan:19999", EDGE_OK, "accepted by api key 'k1'", 0 },
    { 0, 2, "parent.lan:19999:SSL", EDGE_WARN, "tls certificate is not verified", 0 },
    { 3, 2, "parent.lan", EDGE_REFUSED, "api key 'x\\y' is not enabled\non the parent", 0 },
    { 1, 2, "parent.lan", EDGE_OK, "accepted", 1 },
    { 1, 1, "127.0.0.1:19999", EDGE_REFUSED, "a proxy forwarding to itself", 1 },
    { 0, -1, "nowhere.example:19999", EDGE_UNRESOLVED, "not a node of the fleet", 0 },
    { 3, -1, "nowhere.example:19999", EDGE_UNRESOLVED, "not a node of the fleet", 0 },
    { 1, -1, "10.9.9.9", EDGE_UNRESOLVED, "not a node of the fleet", 1 },
};

static const char small_dot[] =
    "digraph fleet {\n"
    "    rankdir=LR;\n"
    "    node [fontname=\"Helvetica\", fontsize=10];\n"
    "    n0 [label=\"child1\", shape=ellipse];\n"
    "    n1 [label=\"proxy\", shape=box];\n"
    "    n2 [label=\"parent\", shape=box];\n"
    "    n3 [label=\"a\\\"b<c>&\", shape=ellipse];\n"
    "    n4 [label=\"lonely\", shape=ellipse];\n"
    "    u0 [label=\"10.9.9.9\", shape=box, style=dashed, color=\"#9e9e9e\"];\n"
    "    u1 [label=\"nowhere.example:19999\", shape=box, style=dashed, color=\"#9e9e9e\"];\n"
    "    n0 -> n1 [color=\"#2e7d32\", tooltip=\"accepted by api key 'k1'\"];\n"
    "    n0 -> n2 [color=\"#ef6c00\", tooltip=\"tls certificate is not verified\"];\n"
    "    n3 -> n2 [color=\"#c62828\","
    " tooltip=\"api key 'x\\\\y' is not enabled\\non the parent\"];\n"
    "    n1 -> n2 [color=\"#2e7d32\", style=\"bold\", tooltip=\"accepted\"];\n"
    "    n1 -> n1 [color=\"#c62828\", style=\"bold\", tooltip=\"a proxy forwarding to itself\"];\n"
    "    n0 -> u1 [color=\"#9e9e9e\", style=\"dashed\", tooltip=\"not a node of the fleet\"];\n"
    "    n3 -> u1 [color=\"#9e9e9e\", style=\"dashed\", tooltip=\"not a node of the fleet\"];\n"
    "    n1 -> u0 [color=\"#9e9e9e\", style=\"dashed,bold\","
    " tooltip=\"not a node of the fleet\"];\n"
    "}\n";

static void test_dot_small_fleet(void **state)
{
    (void)state;
    Fleet f = fleet_make(small_names, LEN(small_names), small_rows, LEN(small_rows));
    char *dot = render(fleet_graph_dot, &f, NULL);
    assert_string_equal(dot, small_dot);
    char *again = render(fleet_graph_dot, &f, NULL);
    assert_string_equal(dot, again);
    free(dot);
    free(again);
    fleet_done(&f);
}

static void test_dot_empty(void **state)
{
    (void)state;
    Fleet f = fleet_make(NULL, 0, NULL, 0);
    char *dot = render(fleet_graph_dot, &f, NULL);
    assert_string_equal(dot, "digraph fleet {\n    rankdir=LR;\n"
                             "    node [fontname=\"Helvetica\", fontsize=10];\n}\n");
    free(dot);
    fleet_done(&f);
}

/* Quotes and backslashes escaped (so "\N" stays literal), newline as \n, other control bytes as
   spaces, malformed UTF-8 as U+FFFD, valid UTF-8 kept; NULL strings are empty. */
static void test_dot_escaping(void **state)
{
    (void)state;
    const char *names[] = { "x\\N\"y", "tab\there\r", "caf\xc3\xa9 \xff\xc3", NULL };
    EdgeRow rows[] = { { 0, 1, NULL, EDGE_OK, NULL, 0 }, { 2, -1, NULL, 99, "r", 0 } };
    Fleet f = fleet_make(names, LEN(names), rows, LEN(rows));
    char *dot = render(fleet_graph_dot, &f, NULL);
    assert_non_null(strstr(dot, "n0 [label=\"x\\\\N\\\"y\", shape=ellipse];\n"));
    assert_non_null(strstr(dot, "n1 [label=\"tab here \", shape=box];\n"));
    assert_non_null(strstr(dot, "n2 [label=\"caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd\","
                                " shape=ellipse];\n"));
    assert_non_null(strstr(dot, "n3 [label=\"\", shape=ellipse];\n"));
    assert_non_null(strstr(dot, "u0 [label=\"\", shape=box"));
    assert_non_null(strstr(dot, "n0 -> n1 [color=\"#2e7d32\", tooltip=\"\"];\n"));
    /* a verdict out of range is drawn as unresolved */
    assert_non_null(strstr(dot, "n2 -> u0 [color=\"#9e9e9e\", style=\"dashed\","
                                " tooltip=\"r\"];\n"));
    free(dot);
    fleet_done(&f);
}

/* An edge whose child is outside the fleet is skipped; a parent outside it is unresolved. */
static void test_malformed_edges(void **state)
{
    (void)state;
    const char *names[] = { "a" };
    EdgeRow rows[] = { { 7, 0, "x", EDGE_OK, "r", 0 }, { 0, 5, "y", EDGE_REFUSED, "r", 0 } };
    Fleet f = fleet_make(names, LEN(names), rows, LEN(rows));
    char *dot = render(fleet_graph_dot, &f, NULL);
    assert_string_equal(dot, "digraph fleet {\n    rankdir=LR;\n"
                             "    node [fontname=\"Helvetica\", fontsize=10];\n"
                             "    n0 [label=\"a\", shape=ellipse];\n"
                             "    u0 [label=\"y\", shape=box, style=dashed, color=\"#9e9e9e\"];\n"
                             "    n0 -> u0 [color=\"#c62828\", tooltip=\"r\"];\n}\n");
    char *html = render(fleet_graph_html, &f, NULL);
    assert_well_formed(html);
    assert_int_equal(count(html, "<tr class="), 2);        /* the table lists both */
    assert_int_equal(count(html, "<path class=\"e refused\""), 2);  /* legend + the drawn one */
    free(html);
    free(dot);
    fleet_done(&f);
}

/* ---------------------------------------------------------------- HTML */

static void test_html_small_fleet(void **state)
{
    (void)state;
    Fleet f = fleet_make(small_names, LEN(small_names), small_rows, LEN(small_rows));
    f.path = "<fleet & 'co'>.conf";
    f.nodes[4].ok = 0;
    char *html = render(fleet_graph_html, &f, NULL);
    assert_well_formed(html);
    assert_true(strncmp(html, "<!DOCTYPE html>\n", 16) == 0);
    assert_non_null(strstr(html, "<title>streamc fleet: &lt;fleet &amp; &#39;co&#39;&gt;.conf"));
    /* the hostile name only ever appears escaped */
    assert_null(strstr(html, "a\"b<c>"));
    /* node title and label, two edge titles, two table rows */
    assert_int_equal(count(html, "a&quot;b&lt;c&gt;&amp;"), 2 + 2 + 2);
    assert_non_null(strstr(html, "x\\y&#39; is not enabled\non the parent</title>"));
    /* one <g> per vertex (5 nodes, 2 unresolved), one drawn path per edge + 5 legend paths */
    assert_int_equal(count(html, "<g class=\"n"), 7);
    assert_int_equal(count(html, "<g class=\"n recv\">"), 2);
    assert_int_equal(count(html, "<g class=\"n dest\">"), 2);
    assert_int_equal(count(html, "<g class=\"n bad\">"), 1);
    assert_int_equal(count(html, "<path class=\"e "), LEN(small_rows) + 5);
    assert_int_equal(count(html, "marker-end=\"url(#a-"), LEN(small_rows));
    assert_int_equal(count(html, "<path class=\"e unresolved proxied\""), 1);
    assert_int_equal(count(html, "<path class=\"e refused proxied\" marker-end=\"url(#a-refused)\""
                                 " d=\"M"), 1);
    /* every drawn edge and node has a hover title; the <head> has one more */
    assert_int_equal(count(html, "<title>"), 1 + 7 + LEN(small_rows));
    assert_non_null(strstr(html, "<title>proxy \xe2\x86\x92 127.0.0.1:19999 (proxy): refused,"
                                 " proxied\na proxy forwarding to itself</title>"));
    assert_non_null(strstr(html, "ok: accepted (2)"));
    assert_non_null(strstr(html, "unresolved: destination not in the fleet (3)"));
    /* the table: one row per edge, in order */
    assert_int_equal(count(html, "<tr class="), LEN(small_rows));
    assert_non_null(strstr(html, "<tr class=\"warn\"><td>2</td><td>child1</td><td>"
                                 "parent.lan:19999:SSL</td><td>parent</td><td class=\"v\">warn"
                                 "</td><td>tls certificate is not verified</td></tr>"));
    assert_non_null(strstr(html, "<td>10.9.9.9</td><td>\xe2\x80\x94</td><td class=\"v\">"
                                 "unresolved<span class=\"tag\">proxied</span></td>"));
    assert_null(strstr(html, "The drawing shows"));
    char *again = render(fleet_graph_html, &f, NULL);
    assert_string_equal(html, again);
    free(again);
    free(html);
    fleet_done(&f);
}

static void test_html_empty_and_edgeless(void **state)
{
    (void)state;
    Fleet f = fleet_make(NULL, 0, NULL, 0);
    f.path = NULL;
    char *html = render(fleet_graph_html, &f, NULL);
    assert_well_formed(html);
    assert_non_null(strstr(html, "(no nodes)"));
    assert_int_equal(count(html, "<tr class="), 0);
    free(html);
    fleet_done(&f);

    const char *names[] = { "solo", "caf\xc3\xa9-with-a-very-long-name-\xff-indeed" };
    f = fleet_make(names, LEN(names), NULL, 0);
    html = render(fleet_graph_html, &f, NULL);
    assert_well_formed(html);
    assert_int_equal(count(html, "<g class=\"n\">"), 2);
    /* the label is cut at 20 code points; the title keeps the whole name */
    assert_non_null(strstr(html, ">caf\xc3\xa9-with-a-very-lon\xe2\x80\xa6</text>"));
    assert_non_null(strstr(html, "<title>caf\xc3\xa9-with-a-very-long-name-&#xFFFD;-indeed\n"));
    free(html);
    fleet_done(&f);
}

/* a -> b -> c -> a, plus c -> c and d -> b: every vertex drawn once, all edges drawn. */
static void test_html_cycles(void **state)
{
    (void)state;
    const char *names[] = { "a", "b", "c", "d" };
    EdgeRow rows[] = {
        { 0, 1, "b", EDGE_OK, "r", 1 }, { 1, 2, "c", EDGE_OK, "r", 1 },
        { 2, 0, "a", EDGE_WARN, "r", 1 }, { 2, 2, "c", EDGE_REFUSED, "loop", 1 },
        { 3, 1, "b", EDGE_OK, "r", 0 }, { 3, 1, "b:19998", EDGE_OK, "r", 0 },
    };
    Fleet f = fleet_make(names, LEN(names), rows, LEN(rows));
    char *html = render(fleet_graph_html, &f, NULL);
    assert_well_formed(html);
    assert_int_equal(count(html, "<g class=\"n"), 4);
    assert_int_equal(count(html, "marker-end="), LEN(rows));
    char *dot = render(fleet_graph_dot, &f, NULL);
    assert_int_equal(count(dot, " -> "), LEN(rows));
    assert_int_equal(count(dot, "shape=box"), 3);
    free(dot);
    free(html);
    fleet_done(&f);
}

/* ---------------------------------------------------------------- scale */

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 9,970 children -> 20 proxies -> 10 parents, every 50th child also to an unknown host; then a
   10,000-node ring (longest-path depth up to 9,999). Both formats in well under a second each. */
static void test_ten_thousand_nodes(void **state)
{
    (void)state;
    enum { N = 10000, PARENTS = 10, PROXIES = 20 };
    char (*names)[16] = calloc(N, sizeof *names);
    const char **np = calloc(N, sizeof *np);
    EdgeRow *rows = calloc(2 * N, sizeof *rows);
    assert_non_null(names);
    assert_non_null(np);
    assert_non_null(rows);
    size_t ne = 0;
    for (uint32_t i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "node%05u", (unsigned)(N - 1 - i));
        np[i] = names[i];
        if (i < PARENTS) {
            continue;
        }
        uint32_t to = i < PARENTS + PROXIES ? i % PARENTS : PARENTS + i % PROXIES;
        rows[ne++] = (EdgeRow){ i, (int32_t)to, "dest", (EdgeVerdict)(i % 3), "reason",
                                i < PARENTS + PROXIES };
        if (i % 50 == 0) {
            rows[ne++] = (EdgeRow){ i, -1, i % 100 ? "x.example" : "y.example", EDGE_UNRESOLVED,
                                    "not in the fleet", 0 };
        }
    }
    for (int ring = 0; ring < 2; ring++) {
        Fleet f = fleet_make(np, N, rows, ne);
        double t0 = seconds();
        size_t dlen = 0, hlen = 0;
        char *dot = render(fleet_graph_dot, &f, &dlen);
        double t1 = seconds();
        char *html = render(fleet_graph_html, &f, &hlen);
        double t2 = seconds();
        printf("  %s: dot %zu bytes %.3f s, html %zu bytes %.3f s\n", ring ? "ring" : "tree", dlen,
               t1 - t0, hlen, t2 - t1);
        assert_true(t1 - t0 < 1.0);
        assert_true(t2 - t1 < 1.0);
        assert_int_equal(count(dot, " -> "), ne);
        assert_well_formed(html);
        assert_int_equal(count(html, "<tr class="), ne);
        assert_int_equal(count(html, "<g class=\"n"), 2000);
        assert_non_null(strstr(html, "The drawing shows 2000 of"));
        free(dot);
        free(html);
        fleet_done(&f);
        ne = 0;
        for (uint32_t i = 0; i < N; i++) {
            rows[ne++] = (EdgeRow){ i, (int32_t)((i + 1) % N), "next", EDGE_OK, "r", 1 };
        }
    }
    free(rows);
    free(np);
    free(names);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checker_catches_problems),
        cmocka_unit_test(test_dot_small_fleet),
        cmocka_unit_test(test_dot_empty),
        cmocka_unit_test(test_dot_escaping),
        cmocka_unit_test(test_malformed_edges),
        cmocka_unit_test(test_html_small_fleet),
        cmocka_unit_test(test_html_empty_and_edgeless),
        cmocka_unit_test(test_html_cycles),
        cmocka_unit_test(test_ten_thousand_nodes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
** test_ingest.c - cmocka tests for runtime/ingest.c against shared/spec/stream-protocol.md §3
** and §5 (and the 1.37.1 handlers they cite): the §9.1 and §9.2 sessions applied to a real
** RrdHost give the charts, dimensions, updates and stored values the real parent showed; every
** line that ends a 1.37.1 session ends it here with 1.37.1's exact log text; VARIABLE notes and
** host variables; host labels, CLAIMED_ID, chart labels; FUNCTION_RESULT blocks; replication
** lines; our deliberate differences (CLABEL crash inputs, unknown-command note, bounds).
** Lines go through wire.c first, as the receiver sends them. Clock values are fixed.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest.h"
#include "policy_format.h"
#include "rrd.h"
#include "wire.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define S 1000000ULL
#define T0 (1700000000ULL * S)
#define GUID "11111111-2222-3333-4444-555555555555"
#define GUID2 "6b1f7a3e-2c4d-4e5f-8a9b-0c1d2e3f4a5b"

typedef struct Fx {
    RrdDb *db;
    RrdHost *h;
    Ingest in;
} Fx;

static int fx_setup(void **state)
{
    Fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    RrdHostConfig cfg = {.memory_mode = POLICY_MODE_RAM, .history = 3600, .update_every = 1};
    f->db = rrd_db_new("parent", "00000000-0000-0000-0000-00000000000a", &cfg, NULL);
    assert_non_null(f->db);
    f->h = rrd_host_create(f->db, GUID, "child", &cfg);
    assert_non_null(f->h);
    ingest_init(&f->in, f->h);
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    Fx *f = *state;
    ingest_reset(&f->in);
    rrd_db_free(f->db);
    free(f);
    return 0;
}

/* Every line of TEXT through a WireReader into ingest_line at NOW; stops at a disconnect. */
static IngestStatus feed(Fx *f, const char *text, uint64_t now)
{
    WireReader r;
    assert_int_equal(wire_reader_init(&r), 0);
    size_t n = strlen(text), off = 0, room, len;
    IngestStatus st = INGEST_OK;
    int cut;
    while (off < n && st == INGEST_OK) {
        char *p = wire_reader_space(&r, &room);
        size_t k = n - off < room ? n - off : room;
        memcpy(p, text + off, k);
        wire_reader_commit(&r, k);
        off += k;
        char *line;
        while (st == INGEST_OK && (line = wire_reader_next(&r, &len, &cut))) {
            st = ingest_line(&f->in, line, len, now);
        }
    }
    wire_reader_free(&r);
    return st;
}

static void feed_ok(Fx *f, const char *text, uint64_t now)
{
    if (feed(f, text, now) != INGEST_OK) {
        fail_msg("disconnected: err '%s', note '%s'", f->in.err, f->in.note);
    }
}

static double at(RrdHost *h, RrdDim *d, uint64_t t_ut)
{
    StoragePoint p;
    int64_t t = (int64_t)(t_ut / S);
    if (h->ops->query(d->sd, t, t, &p, 1) != 1) {
        fail_msg("no slot at %lld", (long long)t);
    }
    return p.v;
}

static void assert_near(double got, double want)
{
    if (!(fabs(got - want) < 1e-3)) {
        fail_msg("got %.6f, want %.6f", got, want);
    }
}

static const char *label(const RrdLabels *l, const char *name)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) == 0) {
            return l->v[i].value;
        }
    }
    return NULL;
}

static RrdDim *dim(RrdHost *h, const char *chart, const char *id)
{
    RrdChart *c = rrd_chart_find(h, chart);
    assert_non_null(c);
    RrdDim *d = rrd_dim_find(c, id);
    assert_non_null(d);
    return d;
}

/* ---- the spec's sessions ----------------------------------------------------------------- */

static const char s91_c1[] =
    "VARIABLE HOST active_processors = 4.0000000\n"
    "CHART \"system.uptime\" \"\" \"System Uptime\" \"seconds\" \"uptime\" \"system.uptime\" "
    "\"line\" 1000 1 \"   \" \"proc.plugin\" \"/proc/uptime\"\n"
    "DIMENSION \"uptime\" \"uptime\" \"absolute\" 1 1000 \"  \"\n"
    "BEGIN \"system.uptime\" 0\n"
    "SET \"uptime\" = 726186\n"
    "END\n"
    "CHART \"system.load\" \"\" \"System Load Average\" \"load\" \"load\" \"system.load\" "
    "\"line\" 100 1 \"   \" \"proc.plugin\" \"/proc/loadavg\"\n"
    "DIMENSION \"load1\" \"load1\" \"absolute\" 1 1000 \"  \"\n"
    "DIMENSION \"load5\" \"load5\" \"absolute\" 1 1000 \"  \"\n"
    "DIMENSION \"load15\" \"load15\" \"absolute\" 1 1000 \"  \"\n"
    "BEGIN \"system.load\" 0\n"
    "SET \"load1\" = 580\n"
    "SET \"load5\" = 650\n"
    "SET \"load15\" = 360\n"
    "END\n";
static const char s91_c2[] =
    "BEGIN \"system.uptime\" 0\nSET \"uptime\" = 727183\nEND\n"
    "BEGIN \"system.load\" 0\nSET \"load1\" = 530\nSET \"load5\" = 640\nSET \"load15\" = 360\n"
    "END\n";
static const char s91_c3[] =
    "BEGIN \"system.uptime\" 0\nSET \"uptime\" = 728183\nEND\n"
    "BEGIN \"system.load\" 0\nSET \"load1\" = 490\nSET \"load5\" = 630\nSET \"load15\" = 360\n"
    "END\n";

static void test_session_91(void **state)
{
    Fx *f = *state;
    feed_ok(f, s91_c1, T0);
    feed_ok(f, s91_c2, T0 + S);
    feed_ok(f, s91_c3, T0 + 2 * S);
    assert_int_equal(f->h->ncharts, 2);
    RrdChart *up = rrd_chart_find(f->h, "system.uptime");
    RrdChart *load = rrd_chart_find(f->h, "system.load");
    assert_non_null(up);
    assert_non_null(load);
    assert_int_equal(up->ndims, 1);
    assert_int_equal(load->ndims, 3);
    assert_string_equal(up->title, "System Uptime");
    assert_string_equal(up->plugin, "proc.plugin");
    assert_string_equal(load->module, "/proc/loadavg");
    assert_int_equal(load->priority, 100);
    assert_int_equal(up->counter, 3);
    assert_int_equal(f->in.updates, 6);
    assert_int_equal(f->in.lines, 15 + 8 + 8);
    assert_null(f->in.cur);
    assert_string_equal(label(&f->h->host_vars, "active_processors"), "4.0000000");
    /* the real parent stored 727.183 and 728.183, and 0.53/0.64/0.36 then 0.49/0.63/0.36 */
    assert_near(at(f->h, dim(f->h, "system.uptime", "uptime"), T0 + S), 727.183);
    assert_near(at(f->h, dim(f->h, "system.uptime", "uptime"), T0 + 2 * S), 728.183);
    const char *ids[] = {"load1", "load5", "load15"};
    const double want[2][3] = {{0.53, 0.64, 0.36}, {0.49, 0.63, 0.36}};
    for (int t = 0; t < 2; t++) {
        for (int i = 0; i < 3; i++) {
            assert_near(at(f->h, dim(f->h, "system.load", ids[i]), T0 + (uint64_t)(t + 1) * S),
                        want[t][i]);
        }
    }
}

static const char s92_c1[] =
    "CHART \"edge.temperature\" \"\" \"Board temperature\" \"Celsius\" \"sensors\" "
    "\"edge.temperature\" \"line\" 1000 1 \"\" \"edgeagent\" \"sensors\"\n"
    "DIMENSION \"cpu\" \"cpu\" \"absolute\" 1 1000 \"\"\n"
    "DIMENSION \"board\" \"board\" \"absolute\" 1 1000 \"\"\n"
    "CHART \"edge.packets\" \"\" \"Packets\" \"packets/s\" \"network\" \"edge.packets\" \"area\" "
    "1001 1 \"\" \"edgeagent\" \"net\"\n"
    "DIMENSION \"received\" \"received\" \"incremental\" 1 1 \"\"\n"
    "DIMENSION \"sent\" \"sent\" \"incremental\" -1 1 \"\"\n"
    "BEGIN \"edge.temperature\" 0\nSET \"cpu\" = 48250\nSET \"board\" = 39125\nEND\n"
    "BEGIN \"edge.packets\" 0\nSET \"received\" = 1000000\nSET \"sent\" = 400000\nEND\n";
static const char s92_c2[] =
    "BEGIN \"edge.temperature\" 1000000\nSET \"cpu\" = 48500\nSET \"board\" = 39125\nEND\n"
    "BEGIN \"edge.packets\" 1000000\nSET \"received\" = 1000250\nSET \"sent\" = 400100\nEND\n";
static const char s92_c3[] =
    "BEGIN \"edge.temperature\" 1000000\nSET \"cpu\" = 49000\nSET \"board\" = 39250\nEND\n"
    "BEGIN \"edge.packets\" 1000000\nSET \"received\" = 1000510\nSET \"sent\" = 400190\nEND\n";

static void test_session_92(void **state)
{
    Fx *f = *state;
    feed_ok(f, s92_c1, T0);
    feed_ok(f, s92_c2, T0 + S);
    feed_ok(f, s92_c3, T0 + 2 * S);
    assert_int_equal(f->h->ncharts, 2);
    assert_int_equal(f->in.updates, 6);
    RrdChart *pk = rrd_chart_find(f->h, "edge.packets");
    assert_int_equal(pk->chart_type, RRD_CHART_AREA);
    assert_int_equal(dim(f->h, "edge.packets", "sent")->multiplier, -1);
    assert_int_equal(dim(f->h, "edge.packets", "sent")->algorithm, RRD_ALG_INCREMENTAL);
    assert_near(at(f->h, dim(f->h, "edge.temperature", "cpu"), T0 + S), 48.5);
    assert_near(at(f->h, dim(f->h, "edge.temperature", "board"), T0 + S), 39.125);
    assert_near(at(f->h, dim(f->h, "edge.temperature", "cpu"), T0 + 2 * S), 49);
    assert_near(at(f->h, dim(f->h, "edge.temperature", "board"), T0 + 2 * S), 39.25);
    assert_true(at(f->h, dim(f->h, "edge.packets", "received"), T0 + 2 * S) > 0);
    assert_true(at(f->h, dim(f->h, "edge.packets", "sent"), T0 + 2 * S) < 0);
}

/* ---- every line that ends a session ------------------------------------------------------ */

typedef struct ErrCase {
    const char *setup;           /* lines applied first (must be accepted) */
    const char *line;
    const char *err;             /* exact; NULL: only checks the prefix in `note` */
    const char *note;            /* a substring of note, or NULL */
} ErrCase;

#define DEF "CHART a.b '' t u\nDIMENSION d\n"
#define H "PLUGINSD: 'host:child"

static const ErrCase errs[] = {
    {"", "HOST_DEFINE x", "", "unknown command 'HOST_DEFINE'"},
    {"", "begin a.b 0", "", "unknown command 'begin'"},
    {DEF, "\"BEGIN\" a.b", "", "unknown command '\"BEGIN\"'"},
    {"", "FUNCTION_RESULT_END", "", "unknown command 'FUNCTION_RESULT_END'"},
    {"", "BEGIN2 a.b", "", "unknown"},
    {DEF "BEGIN a.b\n", "SET", H "/chart:a.b' got a SET, without a dimension.", NULL},
    {DEF "BEGIN a.b\n", "SET \"\" = 1", H "/chart:a.b' got a SET, without a dimension.", NULL},
    {DEF "BEGIN a.b\n", "SET zz = 1",
     H "/chart:a.b/dim:zz' got a SET but dimension does not exist.", NULL},
    {DEF, "BEGIN x.y 0", H "/chart:x.y' got a BEGIN but chart does not exist.", NULL},
    {DEF, "BEGIN", H "' got a BEGIN without a chart id.", NULL},
    {DEF, "BEGIN ''", H "' got a BEGIN without a chart id.", NULL},
    {"", "SET d = 1", "PLUGINSD: command SET requires a chart defined via command CHART, but is "
     "not set.", NULL},
    {DEF "BEGIN a.b\nEND\n", "END", "PLUGINSD: command END requires a chart defined via command "
     "BEGIN, but is not set.", NULL},
    {"", "DIMENSION d", "PLUGINSD: command DIMENSION requires a chart defined via command CHART, "
     "but is not set.", NULL},
    {"", "CHART", H "' requested a CHART, without a type.id. Disabling it.", NULL},
    {"", "CHART ab", H "' requested a CHART, without a type.id. Disabling it.", NULL},
    {"", "CHART .b", H "' requested a CHART, without a type.id. Disabling it.", NULL},
    {"", "CHART a.", H "' requested a CHART, without a type.id. Disabling it.", NULL},
    {DEF, "DIMENSION", H "/chart:a.b' got a DIMENSION, without an id. Disabling it.", NULL},
    {"", "DISABLE", "PLUGINSD: plugin called DISABLE. Disabling it.", NULL},
    {"", "VARIABLE", H "/chart:UNSET' got a VARIABLE without a variable name. Disabling it.", NULL},
    {DEF, "VARIABLE HOST", H "/chart:a.b' got a VARIABLE without a variable name. Disabling it.",
     NULL},
    {"", "VARIABLE CHART x = 1", H "/chart:UNSET' cannot update CHART VARIABLE 'x' without a "
     "chart", NULL},
    {"", "LABEL a 1", "PLUGINSD: ignoring malformed or empty LABEL command.", NULL},
    {"", "CLAIMED_ID", "Command CLAIMED_ID came malformed, uuid = '[unset]', claim_id = '[unset]'",
     NULL},
    {"", "CLAIMED_ID " GUID, "Command CLAIMED_ID came malformed, uuid = '" GUID "', claim_id = "
     "'[unset]'", NULL},
    {"", "CLAIMED_ID x NULL", "1st parameter (host GUID) to CLAIMED_ID command is not valid GUID. "
     "Received: \"x\".", NULL},
    {"", "CLAIMED_ID " GUID " null", "2nd parameter (Claim ID) to CLAIMED_ID command is not valid "
     "GUID. Received: \"null\".", NULL},
    {DEF, "CLABEL a", "Ignoring malformed or empty CHART LABEL command.", NULL},
    {DEF, "CLABEL a b ''", "Ignoring malformed or empty CHART LABEL command.", NULL},
    {DEF, "CLABEL a b", H "' got a CLABEL without a label source (Netdata 1.37.1 crashes on this); "
     "disconnecting", NULL},
    {"", "CLABEL a b 1", H "' got a CLABEL without a chart defined via CHART or BEGIN (Netdata "
     "1.37.1 crashes on this); disconnecting", NULL},
    {"", "CLABEL_COMMIT", "PLUGINSD: command CLABEL_COMMIT requires a chart defined via command "
     "BEGIN, but is not set.", NULL},
    {DEF, "CLABEL_COMMIT", H "' got CLABEL_COMMIT, without a CHART or BEGIN. Ignoring it.", NULL},
    {DEF, "FUNCTION f", H "/chart:a.b' got a FUNCTION, without providing the required data "
     "(global = 'no', name = 'f', timeout = '(unset)', help = '(unset)'). Ignoring it.", NULL},
    {"", "FUNCTION GLOBAL f 10", H "/chart:(unset)' got a FUNCTION, without providing the "
     "required data (global = 'yes', name = 'f', timeout = '10', help = '(unset)'). Ignoring it.",
     NULL},
    {"", "CHART_DEFINITION_END 1 2 3", "PLUGINSD: command CHART_DEFINITION_END requires a chart "
     "defined via command CHART, but is not set.", NULL},
    {DEF, "RBEGIN x.y", H "/chart:x.y' got a RBEGIN but chart does not exist.", NULL},
    {"", "RBEGIN ''", "PLUGINSD: command RBEGIN requires a chart defined via command RBEGIN, but "
     "is not set.", NULL},
    {"", "RSET d 1 ''", "PLUGINSD: command RSET requires a chart defined via command RBEGIN, but "
     "is not set.", NULL},
    {DEF "RBEGIN a.b 1700000000 1700000001 1700000001\n", "RSET zz 1 ''",
     H "/chart:a.b/dim:zz' got a RSET but dimension does not exist.", NULL},
    {DEF "RBEGIN a.b\n", "RDSTATE zz 1 2 3 4", H "/chart:a.b/dim:zz' got a RDSTATE but dimension "
     "does not exist.", NULL},
    {"", "RSSTATE 1 2", "PLUGINSD: command RSSTATE requires a chart defined via command RBEGIN, "
     "but is not set.", NULL},
    {DEF "RBEGIN a.b\n", "REND 1 2 3 true 5", "REPLAY: malformed REND command", NULL},
    {"", "REND 1 2 3 true 5 6 7", "PLUGINSD: command REND requires a chart defined via command "
     "RBEGIN, but is not set.", NULL},
    {DEF "FLUSH\n", "SET d = 1", "PLUGINSD: command SET requires a chart defined via command "
     "CHART, but is not set.", NULL},
    /* ours: bounds 1.37.1 does not have */
    {"", "CHART a.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "x"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxx", NULL, "chart id longer than 200 bytes"},
};

static void test_errors(void **state)
{
    (void)state;
    for (size_t i = 0; i < LEN(errs); i++) {
        void *st;
        fx_setup(&st);
        Fx *f = st;
        if (feed(f, errs[i].setup, T0) != INGEST_OK) {
            fail_msg("case %zu: setup disconnected: '%s'", i, f->in.err);
        }
        char line[512];
        snprintf(line, sizeof(line), "%s", errs[i].line);
        IngestStatus rc = ingest_line(&f->in, line, strlen(line), T0);
        if (rc != INGEST_DISCONNECT) {
            fail_msg("case %zu '%s': not disconnected", i, errs[i].line);
        }
        if (errs[i].err && strcmp(f->in.err, errs[i].err) != 0) {
            fail_msg("case %zu '%s':\n got  '%s'\n want '%s'", i, errs[i].line, f->in.err,
                     errs[i].err);
        }
        const char *where = errs[i].err ? f->in.note : f->in.err;
        if (errs[i].note && !strstr(where, errs[i].note)) {
            fail_msg("case %zu '%s': '%s' lacks '%s'", i, errs[i].line, where, errs[i].note);
        }
        fx_teardown(&st);
    }
}

/* ---- accepted lines ---------------------------------------------------------------------- */

static void test_ignored_lines(void **state)
{
    Fx *f = *state;
    char *lines[] = {"", "   ", "\t\r", "=", " = = "};
    for (size_t i = 0; i < LEN(lines); i++) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%s", lines[i]);
        assert_int_equal(ingest_line(&f->in, buf, strlen(buf), T0), INGEST_OK);
        assert_string_equal(f->in.err, "");
        assert_string_equal(f->in.note, "");
    }
    assert_int_equal(f->in.lines, LEN(lines));
    /* the line ends at its first NUL, as 1.37.1's C string does */
    char nul[] = "FLUSH\0HOST_DEFINE";
    assert_int_equal(ingest_line(&f->in, nul, sizeof(nul) - 1, T0), INGEST_OK);
    /* words past the 20th are dropped, SET value via strtoll(v, NULL, 0), empty value ignored */
    feed_ok(f, DEF "BEGIN a.b 0\nSET d = 0x10 a b c d e f g h i j k l m n o p q r s t u v\n",
            T0);
    RrdDim *d = dim(f->h, "a.b", "d");
    assert_int_equal(d->collected, 16);
    assert_int_equal(d->updated, 1);
    feed_ok(f, "SET d = 010\n", T0);
    assert_int_equal(d->collected, 8);
    feed_ok(f, "SET d = ''\nSET d\nSET d=\n", T0);
    assert_int_equal(d->collected, 8);
    feed_ok(f, "SET d = -9223372036854775809\n", T0);  /* strtoll saturates */
    assert_true(d->collected == INT64_MIN);
    feed_ok(f, "END\n", T0);
    assert_int_equal(f->in.updates, 1);
}

static void test_variable(void **state)
{
    Fx *f = *state;
    char l1[] = "VARIABLE HOST x =";
    assert_int_equal(ingest_line(&f->in, l1, strlen(l1), T0), INGEST_OK);
    assert_string_equal(f->in.note, H "/chart:UNSET' cannot set HOST VARIABLE 'x' to an empty "
                        "value");
    assert_null(label(&f->h->host_vars, "x"));
    feed_ok(f, "VARIABLE y = -1.5\nVARIABLE GLOBAL z = 2e3\n", T0);
    assert_string_equal(label(&f->h->host_vars, "y"), "-1.5000000");
    assert_string_equal(label(&f->h->host_vars, "z"), "2000.0000000");
    char l2[] = "VARIABLE HOST w = 4.5abc";
    assert_int_equal(ingest_line(&f->in, l2, strlen(l2), T0), INGEST_OK);
    assert_string_equal(f->in.note, H "/chart:UNSET' the value '4.5abc' of VARIABLE 'w' has "
                        "leftovers: 'abc'");
    assert_string_equal(label(&f->h->host_vars, "w"), "4.5000000");
    char l3[] = "VARIABLE HOST v = abc";
    assert_int_equal(ingest_line(&f->in, l3, strlen(l3), T0), INGEST_OK);
    assert_string_equal(f->in.note, H "/chart:UNSET' the value 'abc' of VARIABLE 'v' cannot be "
                        "parsed as a number");
    /* with a current chart and no scope the variable is the chart's (not a host variable) */
    feed_ok(f, DEF "VARIABLE q = 1\nVARIABLE CHART r = 2\nVARIABLE LOCAL s =\n", T0);
    assert_string_equal(f->in.note, H "/chart:a.b' cannot set CHART VARIABLE 's' to an empty "
                        "value");
    assert_null(label(&f->h->host_vars, "q"));
    assert_null(label(&f->h->host_vars, "r"));
}

static void test_labels_claim_clabel(void **state)
{
    Fx *f = *state;
    feed_ok(f, "OVERWRITE labels\n", T0);           /* no LABEL yet: labels left alone */
    assert_int_equal(f->h->labels.n, 0);
    feed_ok(f, "LABEL \"_os\" = 1 \"linux\"\nLABEL \"k\" = 536870913 \"a b\" c  d\n", T0);
    assert_int_equal(f->h->labels.n, 0);            /* staged until OVERWRITE */
    feed_ok(f, "OVERWRITE labels\n", T0);
    assert_int_equal(f->h->labels.n, 2);
    assert_string_equal(label(&f->h->labels, "_os"), "linux");
    assert_string_equal(label(&f->h->labels, "k"), "a b c d");
    assert_int_equal(f->h->labels.v[1].source, 536870913);
    feed_ok(f, "LABEL x = 2 y\nOVERWRITE labels\n", T0);   /* OVERWRITE replaces the set */
    assert_int_equal(f->h->labels.n, 1);
    assert_string_equal(label(&f->h->labels, "x"), "y");

    feed_ok(f, "CLAIMED_ID " GUID " " GUID2 "\n", T0);
    assert_string_equal(f->h->claimed_id, GUID2);
    feed_ok(f, "CLAIMED_ID " GUID " NULL\n", T0);
    assert_null(f->h->claimed_id);
    char other[] = "CLAIMED_ID " GUID2 " NULL";
    assert_int_equal(ingest_line(&f->in, other, strlen(other), T0), INGEST_OK);
    assert_string_equal(f->in.note, "Claim ID is for host \"" GUID2 "\" but it came over "
                        "connection for \"" GUID "\"");

    feed_ok(f, "CHART a.b '' t u\nCLABEL \"_collect_plugin\" \"proc.plugin\" 536870913\n"
            "CLABEL \"_collect_module\" \"/proc/uptime\" 536870913\nCLABEL_COMMIT\n"
            "DIMENSION d\n", T0);
    RrdChart *c = rrd_chart_find(f->h, "a.b");
    assert_int_equal(c->labels.n, 2);
    assert_string_equal(label(&c->labels, "_collect_module"), "/proc/uptime");
    /* a redefinition that resends one label drops the other at the commit */
    feed_ok(f, "CHART a.b '' t u\nCLABEL \"_collect_plugin\" \"x\" 1\n", T0);
    assert_int_equal(c->labels.n, 2);               /* applied at once, as 1.37.1 does */
    feed_ok(f, "CLABEL_COMMIT\n", T0);
    assert_int_equal(c->labels.n, 1);
    assert_string_equal(label(&c->labels, "_collect_plugin"), "x");
    /* staged state is dropped on reset (ASan checks nothing leaks) */
    feed_ok(f, "LABEL q = 1 r\nCLABEL n v 1\n", T0);
    ingest_reset(&f->in);
    assert_null(f->in.cur);
    assert_null(f->in.clabel_chart);
    assert_int_equal(f->in.host_labels.n, 0);
}

static void test_function_result(void **state)
{
    Fx *f = *state;
    feed_ok(f, "FUNCTION_RESULT_BEGIN \"8a1b\" 404 \"application/json\" 0\n"
            "{\"status\":404,\"error_message\":\"Failed to route request to collector\"}\n"
            "DISABLE\nHOST_DEFINE x\n\nBEGIN nochart\n FUNCTION_RESULT_ENDX\n"
            "FUNCTION_RESULT_END\n", T0);
    assert_int_equal(f->in.function_result_lines, 6);
    assert_int_equal(f->in.in_function_result, 0);
    char l[] = "FUNCTION_RESULT_BEGIN";
    assert_int_equal(ingest_line(&f->in, l, strlen(l), T0), INGEST_OK);
    assert_string_equal(f->in.note, "got a FUNCTION_RESULT_BEGIN without providing the required "
                        "data (key = '(unset)', status = '(unset)', format = '(unset)', expires = "
                        "'(unset)').");
    feed_ok(f, "x\n  FUNCTION_RESULT_END  extra\n" DEF "FUNCTION GLOBAL \"f\" 10 \"help\"\n"
            "FUNCTION \"g\" 10 \"help\"\n", T0);
    assert_int_equal(f->in.in_function_result, 0);
    char k[] = "FUNCTION_RESULT_BEGIN tx 200 text/plain 0";
    assert_int_equal(ingest_line(&f->in, k, strlen(k), T0), INGEST_OK);
    assert_string_equal(f->in.note, "got a FUNCTION_RESULT_BEGIN for transaction 'tx', but the "
                        "transaction is not found.");
}

static void test_replication(void **state)
{
    Fx *f = *state;
    uint64_t now = 1795608764ULL * S;
    feed_ok(f, "CHART \"system.uptime\" \"\" \"Uptime\" \"seconds\" \"uptime\" \"system.uptime\" "
            "\"line\" 1000 1 \"   \" \"proc.plugin\" \"/proc/uptime\"\n"
            "DIMENSION \"uptime\" \"uptime\" \"absolute\" 1 1000 \"  \"\n"
            "CHART_DEFINITION_END 1795608763 1795608764 1795608764\n"
            "RBEGIN \"system.uptime\"\n"
            "RDSTATE \"uptime\" 1795608764478042 1052225 1052.2250000 0.0000000\n"
            "RSSTATE 1795608764500000 1795608764000000\n"
            "REND 1 1795608764 1795608764 true 1795608763 1795608764 1795608764\n", now);
    assert_null(f->in.cur);
    assert_int_equal(f->in.updates, 1);
    feed_ok(f, "RBEGIN \"system.uptime\"\nRBEGIN '' 1795608760 1795608761 1795608764\n"
            "RSET \"uptime\" 0.5300000 \"\"\nRSET \"uptime\" NAN \"E\"\n"
            "REND 1 1795608435 1795608535 false 1795608437 1795608457 1795608540\n", now);
    assert_int_equal(f->in.updates, 2);
    /* a window in the future disables RSET: noted, dimension not even looked at */
    char l[] = "RBEGIN system.uptime 1795609000 1795609001 1795608764";
    assert_int_equal(ingest_line(&f->in, l, strlen(l), now), INGEST_OK);
    assert_string_equal(f->in.note, "PLUGINSD REPLAY ERROR: 'host:child/chart:system.uptime' got "
                        "a RBEGIN from 1795609000 to 1795609001, but timestamps are invalid (now "
                        "is 1795608764 [child wall clock], tolerance 2). Ignoring RSET");
    char r[] = "RSET nosuchdim 1 ''";
    assert_int_equal(ingest_line(&f->in, r, strlen(r), now), INGEST_OK);
    assert_string_equal(f->in.note, "PLUGINSD: 'host:child/chart:system.uptime' got a RSET but it "
                        "is disabled by RBEGIN errors");
    char c[] = "CHART_DEFINITION_END 5";
    assert_int_equal(ingest_line(&f->in, c, strlen(c), now), INGEST_OK);
    assert_string_equal(f->in.note, "PLUGINSD REPLAY ERROR: 'host:child/chart:system.uptime' got "
                        "a CHART_DEFINITION_END with malformed timings (first time 5, last time "
                        "0, world time 1795608764).");
}

/* ---- our bounds (1.37.1 has none): notes or our own disconnect line ----------------------- */

static void test_bounds(void **state)
{
    Fx *f = *state;
    char line[300];
    feed_ok(f, DEF, T0);
    for (int i = 0; i <= RRD_MAX_LABELS; i++) {
        const char *fmt[] = {"LABEL l%d = 1 v", "VARIABLE HOST v%d = 1", "CLABEL c%d v 1"};
        for (int k = 0; k < 3; k++) {
            snprintf(line, sizeof(line), fmt[k], i);
            assert_int_equal(ingest_line(&f->in, line, strlen(line), T0), INGEST_OK);
            if (i < RRD_MAX_LABELS) {
                assert_string_equal(f->in.note, "");
            }
        }
    }
    snprintf(line, sizeof(line), "LABEL l%d = 1 v", RRD_MAX_LABELS);
    assert_int_equal(ingest_line(&f->in, line, strlen(line), T0), INGEST_OK);
    assert_string_equal(f->in.note, H "' cannot keep host label 'l256': more than 256 labels");
    snprintf(line, sizeof(line), "VARIABLE HOST v%d = 1", RRD_MAX_LABELS);
    assert_int_equal(ingest_line(&f->in, line, strlen(line), T0), INGEST_OK);
    assert_string_equal(f->in.note, H "' cannot find/create HOST VARIABLE 'v256'");
    snprintf(line, sizeof(line), "CLABEL c%d v 1", RRD_MAX_LABELS);
    assert_int_equal(ingest_line(&f->in, line, strlen(line), T0), INGEST_OK);
    assert_string_equal(f->in.note, H "/chart:a.b' cannot keep chart label 'c256': more than 256 "
                        "labels");
    feed_ok(f, "OVERWRITE labels\nCLABEL_COMMIT\n", T0);
    assert_int_equal(f->h->labels.n, RRD_MAX_LABELS);
    assert_int_equal(rrd_chart_find(f->h, "a.b")->labels.n, RRD_MAX_LABELS);
    /* a dimension id over 200 bytes: our own line; control bytes in it are shown as '?' */
    memset(line, 'x', sizeof(line));
    memcpy(line, "DIMENSION \x01", 11);
    line[sizeof(line) - 1] = '\0';
    assert_int_equal(ingest_line(&f->in, line, strlen(line), T0), INGEST_DISCONNECT);
    assert_non_null(strstr(f->in.err, "DIMENSION '?xxx"));
    assert_non_null(strstr(f->in.err, "xxx...' that cannot be stored: dimension id longer than "
                           "200 bytes; disconnecting"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_session_91, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_session_92, fx_setup, fx_teardown),
        cmocka_unit_test(test_errors),
        cmocka_unit_test_setup_teardown(test_ignored_lines, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_variable, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_labels_claim_clabel, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_function_result, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_replication, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bounds, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

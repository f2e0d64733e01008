/*
** ingest.c - applies the lines of a Netdata 1.37.1 child's command stream to an RrdHost
** (ingest.h). One row per keyword in `commands`; each handler reads its words the way 1.37.1's
** pluginsd_parser.c / receiver.c handler does, and leaves 1.37.1's log text in in->err when the
** line ends the session, or in in->note when 1.37.1 logs and goes on.
**
** Does not: read sockets, log, or call FUNCTIONs; REPLAY_CHART requests for the child are only
** queued (in->out), replication itself is ingest_repl.c's. Deliberate differences from 1.37.1, each marked "differs:" below: the two
** CLABEL inputs that crash 1.37.1 disconnect instead; our own bounds (rrd.h) disconnect with our
** own line; an unknown keyword also gets a note (1.37.1 logs nothing).
*/
#include "ingest.h"
#include "ingest_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guid.h"
#include "wire.h"

#define CLIP 104                 /* clip()'s buffer */

typedef IngestStatus (*CommandFn)(Ingest *in, char **w, size_t n);

typedef struct Command {
    const char *name;
    CommandFn fn;
    const char *needs;           /* the command that must have made a chart current, or NULL */
} Command;

/* ---- helpers ----------------------------------------------------------------------------- */

IngestStatus ig_fail(Ingest *in, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->err, sizeof(in->err), fmt, ap);
    va_end(ap);
    return INGEST_DISCONNECT;
}

void ig_note(Ingest *in, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->note, sizeof(in->note), fmt, ap);
    va_end(ap);
}

/* Like 1.37.1's get_word(): NULL past the last word. */
const char *ig_word(char **w, size_t n, size_t i)
{
    return i < n ? w[i] : NULL;
}

const char *ig_host(const Ingest *in)
{
    return in->h->hostname ? in->h->hostname : "";
}

/* The N bytes at S for our own messages: at most 100, control bytes as '?', "..." when cut. */
static const char *clip(char dst[CLIP], const char *s, size_t n)
{
    size_t i = 0;
    for (; i < n && i < 100; i++) {
        unsigned char c = (unsigned char)s[i];
        dst[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    memcpy(dst + i, i < n ? "..." : "", i < n ? 4 : 1);
    return dst;
}

/* The current chart, or NULL with 1.37.1's message in err. */
RrdChart *ig_require_chart(Ingest *in, const char *cmd, const char *parent)
{
    if (!in->cur) {
        ig_fail(in, "PLUGINSD: command %s requires a chart defined via command %s, but is not set.",
             cmd, parent);
    }
    return in->cur;
}

RrdChart *ig_find_chart(Ingest *in, const char *id, const char *cmd)
{
    if (!id || !*id) {
        ig_fail(in, "PLUGINSD: 'host:%s' got a %s without a chart id.", ig_host(in), cmd);
        return NULL;
    }
    RrdChart *c = rrd_chart_find(in->h, id);
    if (!c) {
        ig_fail(in, "PLUGINSD: 'host:%s/chart:%s' got a %s but chart does not exist.", ig_host(in),
             id, cmd);
    }
    return c;
}

RrdDim *ig_find_dim(Ingest *in, RrdChart *c, const char *id, const char *cmd)
{
    if (!id || !*id) {
        ig_fail(in, "PLUGINSD: 'host:%s/chart:%s' got a %s, without a dimension.", ig_host(in),
             c->id, cmd);
        return NULL;
    }
    RrdDim *d = in->next_dim_chart == c && in->next_dim && rrd_same(in->next_dim->id, id)
                    ? in->next_dim : rrd_dim_find(c, id);
    if (d) {
        in->next_dim = d->next;
        in->next_dim_chart = c;
    } else {
        ig_fail(in, "PLUGINSD: 'host:%s/chart:%s/dim:%s' got a %s but dimension does not exist.",
             ig_host(in), c->id, id, cmd);
    }
    return d;
}

/* ---- definitions ------------------------------------------------------------------------- */

static IngestStatus cmd_chart(Ingest *in, char **w, size_t n)
{
    const char *type = ig_word(w, n, 1), *name = ig_word(w, n, 2), *prio = ig_word(w, n, 8);
    const char *every = ig_word(w, n, 9), *plugin = ig_word(w, n, 11);
    const char *dot = type ? strchr(type, '.') : NULL;
    if (!dot || dot == type || !dot[1]) {
        return ig_fail(in, "PLUGINSD: 'host:%s' requested a CHART, without a type.id. Disabling it.",
                    ig_host(in));
    }
    /* the name rules ("type." prefix, NULL, equal to the id) are rrd_chart_upsert's */
    RrdChartDef def = {
        .id = type,
        .name = name,
        .title = ig_word(w, n, 3) ? ig_word(w, n, 3) : "",
        .units = ig_word(w, n, 4) ? ig_word(w, n, 4) : "unknown",
        .family = ig_word(w, n, 5) && *ig_word(w, n, 5) ? ig_word(w, n, 5) : NULL,
        .context = ig_word(w, n, 6) && *ig_word(w, n, 6) ? ig_word(w, n, 6) : NULL,
        .chart_type = ig_word(w, n, 7),
        .priority = prio && *prio ? wire_int(prio) : 1000,
        .update_every = every && *every ? wire_int(every) : 0,    /* 0: the node default */
        .options = ig_word(w, n, 10),
        .plugin = plugin && *plugin ? plugin : in->peer,
        .module = ig_word(w, n, 12),
    };
    const char *why = NULL;
    RrdChart *c = rrd_chart_upsert(in->h, &def, &why);
    if (!c) {
        /* differs: 1.37.1 has no chart limit and cuts ids at 200 bytes silently */
        char id[CLIP];
        return ig_fail(in, "PLUGINSD: 'host:%s' requested a CHART '%s' that cannot be stored: %s; "
                    "disconnecting", ig_host(in), clip(id, type, strlen(type)),
                    why ? why : "unknown reason");
    }
    in->cur = c;
    return INGEST_OK;
}

static IngestStatus cmd_dimension(Ingest *in, char **w, size_t n)
{
    RrdChart *c = in->cur;
    const char *id = ig_word(w, n, 1), *alg = ig_word(w, n, 3);
    const char *mul = ig_word(w, n, 4), *div = ig_word(w, n, 5);
    if (!id) {
        return ig_fail(in, "PLUGINSD: 'host:%s/chart:%s' got a DIMENSION, without an id. Disabling "
                    "it.", ig_host(in), c->id);
    }
    RrdDimDef def = {
        .id = id,
        .name = ig_word(w, n, 2),
        .algorithm = alg && *alg ? alg : "absolute",
        .multiplier = mul && *mul ? strtol(mul, NULL, 0) : 1,   /* rrd makes 0 into 1 */
        .divisor = div && *div ? strtol(div, NULL, 0) : 1,
        .options = ig_word(w, n, 6),
    };
    const char *why = NULL;
    if (!rrd_dim_upsert(in->h, c, &def, &why)) {
        /* differs: 1.37.1 has no dimension limit */
        char d[CLIP];
        return ig_fail(in, "PLUGINSD: 'host:%s/chart:%s' requested a DIMENSION '%s' that cannot be "
                    "stored: %s; disconnecting", ig_host(in), c->id, clip(d, id, strlen(id)),
                    why ? why : "unknown reason");
    }
    return INGEST_OK;
}

static IngestStatus cmd_clabel(Ingest *in, char **w, size_t n)
{
    const char *name = ig_word(w, n, 1), *value = ig_word(w, n, 2), *source = ig_word(w, n, 3);
    if (!name || !value) {
        return ig_fail(in, "Ignoring malformed or empty CHART LABEL command.");
    }
    if (!source) {
        /* differs: 1.37.1 reads the missing word and crashes */
        return ig_fail(in, "PLUGINSD: 'host:%s' got a CLABEL without a label source (Netdata 1.37.1 "
                    "crashes on this); disconnecting", ig_host(in));
    }
    if (!*source) {
        return ig_fail(in, "Ignoring malformed or empty CHART LABEL command.");
    }
    if (!in->clabel_chart) {
        if (!in->cur) {
            /* differs: 1.37.1 dereferences the missing chart and crashes */
            return ig_fail(in, "PLUGINSD: 'host:%s' got a CLABEL without a chart defined via CHART "
                        "or BEGIN (Netdata 1.37.1 crashes on this); disconnecting", ig_host(in));
        }
        in->clabel_chart = in->cur;     /* 1.37.1 keeps adding to this chart until the commit */
        rrd_labels_clear(&in->chart_labels);
    }
    uint32_t src = (uint32_t)wire_i64(source);
    /* applied at once (1.37.1 adds to the live labels); the commit drops the ones not resent */
    if (rrd_labels_set(&in->clabel_chart->labels, name, value, src) != 0 ||
        rrd_labels_set(&in->chart_labels, name, value, src) != 0) {
        char a[CLIP];
        ig_note(in, "PLUGINSD: 'host:%s/chart:%s' cannot keep chart label '%s': more than %d labels",
             ig_host(in), in->clabel_chart->id, clip(a, name, strlen(name)), RRD_MAX_LABELS);
    }
    return INGEST_OK;
}

static IngestStatus cmd_clabel_commit(Ingest *in, char **w, size_t n)
{
    (void)w, (void)n;
    if (!in->clabel_chart) {
        return ig_fail(in, "PLUGINSD: 'host:%s' got CLABEL_COMMIT, without a CHART or BEGIN. "
                    "Ignoring it.", ig_host(in));
    }
    rrd_labels_commit(&in->clabel_chart->labels, &in->chart_labels);
    in->clabel_chart->def_gen++;        /* a sender sends the definition (and labels) again */
    in->clabel_chart = NULL;
    return INGEST_OK;
}

static IngestStatus cmd_function(Ingest *in, char **w, size_t n)
{
    int global = n >= 2 && strcmp(w[1], "GLOBAL") == 0;
    size_t i = 1 + (size_t)global;
    const char *name = ig_word(w, n, i), *timeout = ig_word(w, n, i + 1), *help = ig_word(w, n, i + 2);
    RrdChart *c = global ? NULL : in->cur;
    if (!global && !c) {
        ig_note(in, "PLUGINSD: command FUNCTION requires a chart defined via command CHART, but is "
             "not set.");
    }
    if (!timeout || !name || !help) {
        return ig_fail(in, "PLUGINSD: 'host:%s/chart:%s' got a FUNCTION, without providing the "
                    "required data (global = '%s', name = '%s', timeout = '%s', help = '%s'). "
                    "Ignoring it.", ig_host(in), c ? c->id : "(unset)", c ? "no" : "yes",
                    name ? name : "(unset)", timeout ? timeout : "(unset)",
                    help ? help : "(unset)");
    }
    return INGEST_OK;       /* we never call functions: the declaration is not kept */
}

/* ---- collection -------------------------------------------------------------------------- */

static IngestStatus cmd_begin(Ingest *in, char **w, size_t n)
{
    const char *us = ig_word(w, n, 2);
    RrdChart *c = ig_find_chart(in, ig_word(w, n, 1), "BEGIN");
    if (!c) {
        return INGEST_DISCONNECT;
    }
    in->cur = c;
    in->next_dim = c->dims;
    in->next_dim_chart = c;
    rrd_chart_begin(c, us && *us ? wire_u64(us) : 0);
    return INGEST_OK;
}

static IngestStatus cmd_set(Ingest *in, char **w, size_t n)
{
    RrdChart *c = in->cur;
    RrdDim *d = ig_find_dim(in, c, ig_word(w, n, 1), "SET");
    if (!d) {
        return INGEST_DISCONNECT;
    }
    const char *v = ig_word(w, n, 2);
    if (v && *v) {                      /* an empty value leaves a gap */
        rrd_dim_set(d, wire_strtoll(v));
    }
    return INGEST_OK;
}

static IngestStatus cmd_end(Ingest *in, char **w, size_t n)
{
    (void)w, (void)n;
    RrdChart *c = in->cur;
    in->cur = NULL;
    in->updates++;
    rrd_chart_end(in->h, c, in->now_ut);
    return INGEST_OK;
}

static IngestStatus cmd_variable(Ingest *in, char **w, size_t n)
{
    const char *name = ig_word(w, n, 1), *value = ig_word(w, n, 2);
    RrdChart *c = in->cur;
    const char *cid = c ? c->id : "UNSET";
    int global = c == NULL;
    if (name && *name) {
        int host = strcmp(name, "GLOBAL") == 0 || strcmp(name, "HOST") == 0;
        if (host || strcmp(name, "LOCAL") == 0 || strcmp(name, "CHART") == 0) {
            global = host;
            name = ig_word(w, n, 2);
            value = ig_word(w, n, 3);
        }
    }
    if (!name || !*name) {
        return ig_fail(in, "PLUGINSD: 'host:%s/chart:%s' got a VARIABLE without a variable name. "
                    "Disabling it.", ig_host(in), cid);
    }
    if (!value || !*value) {
        ig_note(in, "PLUGINSD: 'host:%s/chart:%s' cannot set %s VARIABLE '%s' to an empty value",
             ig_host(in), cid, global ? "HOST" : "CHART", name);
        return INGEST_OK;
    }
    if (!global && !c) {
        return ig_fail(in, "PLUGINSD: 'host:%s/chart:%s' cannot update CHART VARIABLE '%s' without a "
                    "chart", ig_host(in), cid, name);
    }
    const char *end = value;
    double v = wire_double(value, &end);
    if (*end) {
        if (end == value) {
            ig_note(in, "PLUGINSD: 'host:%s/chart:%s' the value '%s' of VARIABLE '%s' cannot be "
                 "parsed as a number", ig_host(in), cid, value, name);
        } else {
            ig_note(in, "PLUGINSD: 'host:%s/chart:%s' the value '%s' of VARIABLE '%s' has leftovers: "
                 "'%s'", ig_host(in), cid, value, name, end);
        }
    }
    if (global) {
        char text[64];
        snprintf(text, sizeof(text), "%.7f", v);
        if (rrd_labels_set(&in->h->host_vars, name, text, 0) != 0) {
            ig_note(in, "PLUGINSD: 'host:%s' cannot find/create HOST VARIABLE '%s'", ig_host(in),
                 name);
        }
    }
    /* chart variables are only used by health checks, which streamd does not run: not kept */
    return INGEST_OK;
}

/* ---- host metadata ----------------------------------------------------------------------- */

static IngestStatus cmd_label(Ingest *in, char **w, size_t n)
{
    const char *name = ig_word(w, n, 1), *source = ig_word(w, n, 2);
    char *value = n > 3 ? w[3] : NULL;
    if (!name || !source || !value) {
        return ig_fail(in, "PLUGINSD: ignoring malformed or empty LABEL command.");
    }
    if (n > 4) {
        /* 1.37.1 rebuilds the value from words 3.. joined by single spaces; the words lie in
           order in the line with at least one byte between them, so the join fits in place */
        char *d = value + strlen(value);
        for (size_t i = 4; i < n; i++) {
            size_t k = strlen(w[i]);
            *d++ = ' ';
            memmove(d, w[i], k);
            d += k;
        }
        *d = '\0';
    }
    in->host_labels_started = 1;
    if (rrd_labels_set(&in->host_labels, name, value, (uint32_t)wire_i64(source)) != 0) {
        char a[CLIP];
        ig_note(in, "PLUGINSD: 'host:%s' cannot keep host label '%s': more than %d labels",
             ig_host(in), clip(a, name, strlen(name)), RRD_MAX_LABELS);
    }
    return INGEST_OK;
}

static IngestStatus cmd_overwrite(Ingest *in, char **w, size_t n)
{
    (void)w, (void)n;
    if (in->host_labels_started) {       /* without a LABEL, 1.37.1 leaves the labels alone */
        rrd_labels_commit(&in->h->labels, &in->host_labels);
        in->host_labels_started = 0;
    }
    return INGEST_OK;
}

static IngestStatus cmd_claimed_id(Ingest *in, char **w, size_t n)
{
    const char *guid = ig_word(w, n, 1), *claim = ig_word(w, n, 2);
    if (!guid || !claim) {
        return ig_fail(in, "Command CLAIMED_ID came malformed, uuid = '%s', claim_id = '%s'",
                    guid ? guid : "[unset]", claim ? claim : "[unset]");
    }
    if (!guid_is_valid(guid, strlen(guid))) {
        return ig_fail(in, "1st parameter (host GUID) to CLAIMED_ID command is not valid GUID. "
                    "Received: \"%s\".", guid);
    }
    int null = strcmp(claim, "NULL") == 0;
    if (!null && !guid_is_valid(claim, strlen(claim))) {
        return ig_fail(in, "2nd parameter (Claim ID) to CLAIMED_ID command is not valid GUID. "
                    "Received: \"%s\".", claim);
    }
    if (strcmp(guid, in->h->guid) != 0) {
        ig_note(in, "Claim ID is for host \"%s\" but it came over connection for \"%s\"", guid,
             in->h->guid);
        return INGEST_OK;
    }
    free(in->h->claimed_id);            /* 37 bytes at most, replaced: bounded */
    in->h->claimed_id = null ? NULL : strdup(claim);
    return INGEST_OK;
}

/* ---- functions, flush, disable ----------------------------------------------------------- */

/* streamd never calls a function, so every result is for an unknown transaction (1.37.1 logs
   that and swallows the payload up to FUNCTION_RESULT_END without keeping it). */
static IngestStatus cmd_function_result_begin(Ingest *in, char **w, size_t n)
{
    const char *key = ig_word(w, n, 1), *status = ig_word(w, n, 2);
    const char *format = ig_word(w, n, 3), *expires = ig_word(w, n, 4);
    if (!key || !*key || !status || !*status || !format || !*format || !expires || !*expires) {
        ig_note(in, "got a FUNCTION_RESULT_BEGIN without providing the required data (key = '%s', "
             "status = '%s', format = '%s', expires = '%s').", key ? key : "(unset)",
             status ? status : "(unset)", format ? format : "(unset)",
             expires ? expires : "(unset)");
    } else {
        ig_note(in, "got a FUNCTION_RESULT_BEGIN for transaction '%s', but the transaction is not "
             "found.", key);
    }
    in->in_function_result = 1;
    return INGEST_OK;
}

static IngestStatus cmd_flush(Ingest *in, char **w, size_t n)
{
    (void)w, (void)n;
    in->cur = NULL;
    in->rset_enabled = 0;
    return INGEST_OK;
}

static IngestStatus cmd_disable(Ingest *in, char **w, size_t n)
{
    (void)w, (void)n;
    return ig_fail(in, "PLUGINSD: plugin called DISABLE. Disabling it.");
}

/* ---- dispatch ---------------------------------------------------------------------------- */

/* Every keyword a 1.37.1 streaming parser knows; anything else ends the session. */
static const Command commands[] = {   /* SET, BEGIN, END first: lookup() relies on it */
    {"SET", cmd_set, "CHART"},
    {"BEGIN", cmd_begin, NULL},
    {"END", cmd_end, "BEGIN"},
    {"CHART", cmd_chart, NULL},
    {"DIMENSION", cmd_dimension, "CHART"},
    {"VARIABLE", cmd_variable, NULL},
    {"CLABEL", cmd_clabel, NULL},
    {"CLABEL_COMMIT", cmd_clabel_commit, "BEGIN"},
    {"CHART_DEFINITION_END", ig_chart_definition_end, "CHART"},
    {"LABEL", cmd_label, NULL},
    {"OVERWRITE", cmd_overwrite, NULL},
    {"CLAIMED_ID", cmd_claimed_id, NULL},
    {"FUNCTION", cmd_function, NULL},
    {"FUNCTION_RESULT_BEGIN", cmd_function_result_begin, NULL},
    {"RBEGIN", ig_rbegin, NULL},
    {"RSET", ig_rset, "RBEGIN"},
    {"RDSTATE", ig_rdstate, "RBEGIN"},
    {"RSSTATE", ig_rsstate, "RBEGIN"},
    {"REND", ig_rend, NULL},
    {"FLUSH", cmd_flush, NULL},
    {"DISABLE", cmd_disable, NULL},
};

static const Command *lookup(const char *kw, size_t n)
{
    /* nearly every line is SET, END or BEGIN: the table's first three rows, found by shape */
    if (n == 3 && kw[0] == 'S' && kw[1] == 'E' && kw[2] == 'T') {
        return &commands[0];
    }
    if (n == 3 && kw[0] == 'E' && kw[1] == 'N' && kw[2] == 'D') {
        return &commands[2];
    }
    if (n == 5 && memcmp(kw, "BEGIN", 5) == 0) {
        return &commands[1];
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strncmp(commands[i].name, kw, n) == 0 && commands[i].name[n] == '\0') {
            return &commands[i];
        }
    }
    return NULL;
}

void ingest_init(Ingest *in, RrdHost *h)
{
    memset(in, 0, sizeof(*in));
    in->h = h;
}

/*
** Apply LINE (ingest.h). Like 1.37.1's parser_action(): the keyword is the line's first run of
** non-separator bytes taken raw (so a quoted keyword is unknown), matched case-sensitively; a
** line with no keyword is ignored; inside a FUNCTION_RESULT block only a keyword of
** FUNCTION_RESULT_END counts. Returns INGEST_DISCONNECT with err set ("" for an unknown keyword,
** whose explanation goes to note).
*/
IngestStatus ingest_line(Ingest *in, char *line, size_t len, uint64_t now_ut)
{
    (void)len;                          /* 1.37.1 sees the line up to its first NUL */
    in->err[0] = '\0';
    in->note[0] = '\0';
    in->lines++;

    size_t kwlen;
    const char *kw = wire_keyword(line, &kwlen);
    if (in->in_function_result) {
        if (kwlen == 19 && memcmp(kw, "FUNCTION_RESULT_END", 19) == 0) {
            in->in_function_result = 0;
        } else {
            in->function_result_lines++;
        }
        return INGEST_OK;
    }
    if (kwlen == 0) {
        return INGEST_OK;
    }
    const Command *cmd = lookup(kw, kwlen);
    if (!cmd) {
        /* differs: 1.37.1 release builds log nothing; the note says why the session ends */
        char k[CLIP];
        ig_note(in, "PLUGINSD: 'host:%s' sent unknown command '%s'; disconnecting", ig_host(in),
             clip(k, kw, kwlen));
        return INGEST_DISCONNECT;
    }
    char *words[WIRE_MAX_WORDS];
    size_t n = wire_split(line, words, WIRE_MAX_WORDS);
    if (cmd->needs && !ig_require_chart(in, cmd->name, cmd->needs)) {
        return INGEST_DISCONNECT;
    }
    in->now_ut = now_ut;
    return cmd->fn(in, words, n);
}

void ingest_reset(Ingest *in)
{
    in->cur = NULL;
    rrd_labels_clear(&in->host_labels);
    in->host_labels_started = 0;
    rrd_labels_clear(&in->chart_labels);
    in->clabel_chart = NULL;
    in->in_function_result = 0;
    in->rset_enabled = 0;
    in->repl_end_t = 0;
}

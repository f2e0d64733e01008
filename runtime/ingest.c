/*
** ingest.c - applies the lines of a Netdata 1.37.1 child's command stream to an RrdHost
** (ingest.h). One row per keyword in `commands`; each handler reads its words the way 1.37.1's
** pluginsd_parser.c / receiver.c handler does, and leaves 1.37.1's log text in in->err when the
** line ends the session, or in in->note when 1.37.1 logs and goes on.
**
** Does not: read sockets, log, answer the child (no REPLAY_CHART, no FUNCTION calls), or store
** replicated samples. Deliberate differences from 1.37.1, each marked "differs:" below: the two
** CLABEL inputs that crash 1.37.1 disconnect instead; our own bounds (rrd.h) disconnect with our
** own line; an unknown keyword also gets a note (1.37.1 logs nothing).
*/
#include "ingest.h"

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

__attribute__((format(printf, 2, 3)))
static IngestStatus fail(Ingest *in, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->err, sizeof(in->err), fmt, ap);
    va_end(ap);
    return INGEST_DISCONNECT;
}

__attribute__((format(printf, 2, 3)))
static void note(Ingest *in, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->note, sizeof(in->note), fmt, ap);
    va_end(ap);
}

/* Like 1.37.1's get_word(): NULL past the last word. */
static const char *word(char **w, size_t n, size_t i)
{
    return i < n ? w[i] : NULL;
}

static const char *host_name(const Ingest *in)
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
static RrdChart *require_chart(Ingest *in, const char *cmd, const char *parent)
{
    if (!in->cur) {
        fail(in, "PLUGINSD: command %s requires a chart defined via command %s, but is not set.",
             cmd, parent);
    }
    return in->cur;
}

static RrdChart *find_chart(Ingest *in, const char *id, const char *cmd)
{
    if (!id || !*id) {
        fail(in, "PLUGINSD: 'host:%s' got a %s without a chart id.", host_name(in), cmd);
        return NULL;
    }
    RrdChart *c = rrd_chart_find(in->h, id);
    if (!c) {
        fail(in, "PLUGINSD: 'host:%s/chart:%s' got a %s but chart does not exist.", host_name(in),
             id, cmd);
    }
    return c;
}

static RrdDim *find_dim(Ingest *in, RrdChart *c, const char *id, const char *cmd)
{
    if (!id || !*id) {
        fail(in, "PLUGINSD: 'host:%s/chart:%s' got a %s, without a dimension.", host_name(in),
             c->id, cmd);
        return NULL;
    }
    RrdDim *d = in->next_dim_chart == c && in->next_dim && rrd_same(in->next_dim->id, id)
                    ? in->next_dim : rrd_dim_find(c, id);
    if (d) {
        in->next_dim = d->next;
        in->next_dim_chart = c;
    } else {
        fail(in, "PLUGINSD: 'host:%s/chart:%s/dim:%s' got a %s but dimension does not exist.",
             host_name(in), c->id, id, cmd);
    }
    return d;
}

/* ---- definitions ------------------------------------------------------------------------- */

static IngestStatus cmd_chart(Ingest *in, char **w, size_t n)
{
    const char *type = word(w, n, 1), *name = word(w, n, 2), *prio = word(w, n, 8);
    const char *every = word(w, n, 9), *plugin = word(w, n, 11);
    const char *dot = type ? strchr(type, '.') : NULL;
    if (!dot || dot == type || !dot[1]) {
        return fail(in, "PLUGINSD: 'host:%s' requested a CHART, without a type.id. Disabling it.",
                    host_name(in));
    }
    /* the name rules ("type." prefix, NULL, equal to the id) are rrd_chart_upsert's */
    RrdChartDef def = {
        .id = type,
        .name = name,
        .title = word(w, n, 3) ? word(w, n, 3) : "",
        .units = word(w, n, 4) ? word(w, n, 4) : "unknown",
        .family = word(w, n, 5) && *word(w, n, 5) ? word(w, n, 5) : NULL,
        .context = word(w, n, 6) && *word(w, n, 6) ? word(w, n, 6) : NULL,
        .chart_type = word(w, n, 7),
        .priority = prio && *prio ? wire_int(prio) : 1000,
        .update_every = every && *every ? wire_int(every) : 0,    /* 0: the node default */
        .options = word(w, n, 10),
        .plugin = plugin && *plugin ? plugin : in->peer,
        .module = word(w, n, 12),
    };
    const char *why = NULL;
    RrdChart *c = rrd_chart_upsert(in->h, &def, &why);
    if (!c) {
        /* differs: 1.37.1 has no chart limit and cuts ids at 200 bytes silently */
        char id[CLIP];
        return fail(in, "PLUGINSD: 'host:%s' requested a CHART '%s' that cannot be stored: %s; "
                    "disconnecting", host_name(in), clip(id, type, strlen(type)),
                    why ? why : "unknown reason");
    }
    in->cur = c;
    return INGEST_OK;
}

static IngestStatus cmd_dimension(Ingest *in, char **w, size_t n)
{
    RrdChart *c = in->cur;
    const char *id = word(w, n, 1), *alg = word(w, n, 3);
    const char *mul = word(w, n, 4), *div = word(w, n, 5);
    if (!id) {
        return fail(in, "PLUGINSD: 'host:%s/chart:%s' got a DIMENSION, without an id. Disabling "
                    "it.", host_name(in), c->id);
    }
    RrdDimDef def = {
        .id = id,
        .name = word(w, n, 2),
        .algorithm = alg && *alg ? alg : "absolute",
        .multiplier = mul && *mul ? strtol(mul, NULL, 0) : 1,   /* rrd makes 0 into 1 */
        .divisor = div && *div ? strtol(div, NULL, 0) : 1,
        .options = word(w, n, 6),
    };
    const char *why = NULL;
    if (!rrd_dim_upsert(in->h, c, &def, &why)) {
        /* differs: 1.37.1 has no dimension limit */
        char d[CLIP];
        return fail(in, "PLUGINSD: 'host:%s/chart:%s' requested a DIMENSION '%s' that cannot be "
                    "stored: %s; disconnecting", host_name(in), c->id, clip(d, id, strlen(id)),
                    why ? why : "unknown reason");
    }
    return INGEST_OK;
}

static IngestStatus cmd_clabel(Ingest *in, char **w, size_t n)
{
    const char *name = word(w, n, 1), *value = word(w, n, 2), *source = word(w, n, 3);
    if (!name || !value) {
        return fail(in, "Ignoring malformed or empty CHART LABEL command.");
    }
    if (!source) {
        /* differs: 1.37.1 reads the missing word and crashes */
        return fail(in, "PLUGINSD: 'host:%s' got a CLABEL without a label source (Netdata 1.37.1 "
                    "crashes on this); disconnecting", host_name(in));
    }
    if (!*source) {
        return fail(in, "Ignoring malformed or empty CHART LABEL command.");
    }
    if (!in->clabel_chart) {
        if (!in->cur) {
            /* differs: 1.37.1 dereferences the missing chart and crashes */
            return fail(in, "PLUGINSD: 'host:%s' got a CLABEL without a chart defined via CHART "
                        "or BEGIN (Netdata 1.37.1 crashes on this); disconnecting", host_name(in));
        }
        in->clabel_chart = in->cur;     /* 1.37.1 keeps adding to this chart until the commit */
        rrd_labels_clear(&in->chart_labels);
    }
    uint32_t src = (uint32_t)wire_i64(source);
    /* applied at once (1.37.1 adds to the live labels); the commit drops the ones not resent */
    if (rrd_labels_set(&in->clabel_chart->labels, name, value, src) != 0 ||
        rrd_labels_set(&in->chart_labels, name, value, src) != 0) {
        char a[CLIP];
        note(in, "PLUGINSD: 'host:%s/chart:%s' cannot keep chart label '%s': more than %d labels",
             host_name(in), in->clabel_chart->id, clip(a, name, strlen(name)), RRD_MAX_LABELS);
    }
    return INGEST_OK;
}

static IngestStatus cmd_clabel_commit(Ingest *in, char **w, size_t n)
{
    (void)w, (void)n;
    if (!in->clabel_chart) {
        return fail(in, "PLUGINSD: 'host:%s' got CLABEL_COMMIT, without a CHART or BEGIN. "
                    "Ignoring it.", host_name(in));
    }
    rrd_labels_commit(&in->clabel_chart->labels, &in->chart_labels);
    in->clabel_chart->def_gen++;        /* a sender sends the definition (and labels) again */
    in->clabel_chart = NULL;
    return INGEST_OK;
}

/* Replication is never negotiated by streamd, so a real child does not send this; 1.37.1 would
   answer with REPLAY_CHART, we accept it silently after the same checks. */
static IngestStatus cmd_chart_definition_end(Ingest *in, char **w, size_t n)
{
    RrdChart *c = in->cur;
    const char *f = word(w, n, 1), *l = word(w, n, 2), *t = word(w, n, 3);
    long long first = f && *f ? (long long)wire_u64(f) : 0;
    long long last = l && *l ? (long long)wire_u64(l) : 0;
    long long world = t && *t ? (long long)wire_u64(t) : (long long)(in->now_ut / 1000000);
    if ((first || last) && (!first || !last)) {
        note(in, "PLUGINSD REPLAY ERROR: 'host:%s/chart:%s' got a CHART_DEFINITION_END with "
             "malformed timings (first time %lld, last time %lld, world time %lld).",
             host_name(in), c->id, first, last, world);
    }
    return INGEST_OK;
}

static IngestStatus cmd_function(Ingest *in, char **w, size_t n)
{
    int global = n >= 2 && strcmp(w[1], "GLOBAL") == 0;
    size_t i = 1 + (size_t)global;
    const char *name = word(w, n, i), *timeout = word(w, n, i + 1), *help = word(w, n, i + 2);
    RrdChart *c = global ? NULL : in->cur;
    if (!global && !c) {
        note(in, "PLUGINSD: command FUNCTION requires a chart defined via command CHART, but is "
             "not set.");
    }
    if (!timeout || !name || !help) {
        return fail(in, "PLUGINSD: 'host:%s/chart:%s' got a FUNCTION, without providing the "
                    "required data (global = '%s', name = '%s', timeout = '%s', help = '%s'). "
                    "Ignoring it.", host_name(in), c ? c->id : "(unset)", c ? "no" : "yes",
                    name ? name : "(unset)", timeout ? timeout : "(unset)",
                    help ? help : "(unset)");
    }
    return INGEST_OK;       /* we never call functions: the declaration is not kept */
}

/* ---- collection -------------------------------------------------------------------------- */

static IngestStatus cmd_begin(Ingest *in, char **w, size_t n)
{
    const char *us = word(w, n, 2);
    RrdChart *c = find_chart(in, word(w, n, 1), "BEGIN");
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
    RrdDim *d = find_dim(in, c, word(w, n, 1), "SET");
    if (!d) {
        return INGEST_DISCONNECT;
    }
    const char *v = word(w, n, 2);
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
    const char *name = word(w, n, 1), *value = word(w, n, 2);
    RrdChart *c = in->cur;
    const char *cid = c ? c->id : "UNSET";
    int global = c == NULL;
    if (name && *name) {
        int host = strcmp(name, "GLOBAL") == 0 || strcmp(name, "HOST") == 0;
        if (host || strcmp(name, "LOCAL") == 0 || strcmp(name, "CHART") == 0) {
            global = host;
            name = word(w, n, 2);
            value = word(w, n, 3);
        }
    }
    if (!name || !*name) {
        return fail(in, "PLUGINSD: 'host:%s/chart:%s' got a VARIABLE without a variable name. "
                    "Disabling it.", host_name(in), cid);
    }
    if (!value || !*value) {
        note(in, "PLUGINSD: 'host:%s/chart:%s' cannot set %s VARIABLE '%s' to an empty value",
             host_name(in), cid, global ? "HOST" : "CHART", name);
        return INGEST_OK;
    }
    if (!global && !c) {
        return fail(in, "PLUGINSD: 'host:%s/chart:%s' cannot update CHART VARIABLE '%s' without a "
                    "chart", host_name(in), cid, name);
    }
    const char *end = value;
    double v = wire_double(value, &end);
    if (*end) {
        if (end == value) {
            note(in, "PLUGINSD: 'host:%s/chart:%s' the value '%s' of VARIABLE '%s' cannot be "
                 "parsed as a number", host_name(in), cid, value, name);
        } else {
            note(in, "PLUGINSD: 'host:%s/chart:%s' the value '%s' of VARIABLE '%s' has leftovers: "
                 "'%s'", host_name(in), cid, value, name, end);
        }
    }
    if (global) {
        char text[64];
        snprintf(text, sizeof(text), "%.7f", v);
        if (rrd_labels_set(&in->h->host_vars, name, text, 0) != 0) {
            note(in, "PLUGINSD: 'host:%s' cannot find/create HOST VARIABLE '%s'", host_name(in),
                 name);
        }
    }
    /* chart variables are only used by health checks, which streamd does not run: not kept */
    return INGEST_OK;
}

/* ---- host metadata ----------------------------------------------------------------------- */

static IngestStatus cmd_label(Ingest *in, char **w, size_t n)
{
    const char *name = word(w, n, 1), *source = word(w, n, 2);
    char *value = n > 3 ? w[3] : NULL;
    if (!name || !source || !value) {
        return fail(in, "PLUGINSD: ignoring malformed or empty LABEL command.");
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
        note(in, "PLUGINSD: 'host:%s' cannot keep host label '%s': more than %d labels",
             host_name(in), clip(a, name, strlen(name)), RRD_MAX_LABELS);
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
    const char *guid = word(w, n, 1), *claim = word(w, n, 2);
    if (!guid || !claim) {
        return fail(in, "Command CLAIMED_ID came malformed, uuid = '%s', claim_id = '%s'",
                    guid ? guid : "[unset]", claim ? claim : "[unset]");
    }
    if (!guid_is_valid(guid, strlen(guid))) {
        return fail(in, "1st parameter (host GUID) to CLAIMED_ID command is not valid GUID. "
                    "Received: \"%s\".", guid);
    }
    int null = strcmp(claim, "NULL") == 0;
    if (!null && !guid_is_valid(claim, strlen(claim))) {
        return fail(in, "2nd parameter (Claim ID) to CLAIMED_ID command is not valid GUID. "
                    "Received: \"%s\".", claim);
    }
    if (strcmp(guid, in->h->guid) != 0) {
        note(in, "Claim ID is for host \"%s\" but it came over connection for \"%s\"", guid,
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
    const char *key = word(w, n, 1), *status = word(w, n, 2);
    const char *format = word(w, n, 3), *expires = word(w, n, 4);
    if (!key || !*key || !status || !*status || !format || !*format || !expires || !*expires) {
        note(in, "got a FUNCTION_RESULT_BEGIN without providing the required data (key = '%s', "
             "status = '%s', format = '%s', expires = '%s').", key ? key : "(unset)",
             status ? status : "(unset)", format ? format : "(unset)",
             expires ? expires : "(unset)");
    } else {
        note(in, "got a FUNCTION_RESULT_BEGIN for transaction '%s', but the transaction is not "
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
    return fail(in, "PLUGINSD: plugin called DISABLE. Disabling it.");
}

/* ---- replication (§3.7) -------------------------------------------------------------------
** streamd does not negotiate REPLICATION, but 1.37.1 accepts these lines on any connection.
** We run 1.37.1's checks (unknown chart or dimension, missing RBEGIN, short REND: disconnect;
** the RBEGIN time window decides whether RSET looks at its dimension) and drop the samples and
** collection state they carry: rrd.h has no way to store a sample at a given time. */

static IngestStatus cmd_rbegin(Ingest *in, char **w, size_t n)
{
    const char *id = word(w, n, 1), *s_txt = word(w, n, 2), *e_txt = word(w, n, 3);
    const char *now_txt = word(w, n, 4);
    RrdChart *c = (!id || !*id) ? require_chart(in, "RBEGIN", "RBEGIN")
                                : find_chart(in, id, "RBEGIN");
    if (!c) {
        return INGEST_DISCONNECT;
    }
    in->cur = c;
    in->rset_enabled = 0;
    if (s_txt && e_txt) {
        int64_t start = (int64_t)wire_u64(s_txt), end = (int64_t)wire_u64(e_txt);
        int64_t wall = 0, tol = 0;
        int from_child = 0;
        if (now_txt) {
            wall = (int64_t)wire_u64(now_txt);
            tol = (int64_t)c->update_every + 1;
            from_child = 1;
        }
        if (wall <= 0) {
            wall = (int64_t)(in->now_ut / 1000000);
            tol = (int64_t)c->update_every + 5;
            from_child = 0;
        }
        int64_t lim = (int64_t)((uint64_t)wall + (uint64_t)tol);   /* wraps as 1.37.1's does */
        if (start && end && start < lim && end < lim && start < end) {
            in->rset_enabled = 1;
            return INGEST_OK;
        }
        note(in, "PLUGINSD REPLAY ERROR: 'host:%s/chart:%s' got a RBEGIN from %lld to %lld, but "
             "timestamps are invalid (now is %lld [%s], tolerance %lld). Ignoring RSET",
             host_name(in), c->id, (long long)start, (long long)end, (long long)wall,
             from_child ? "child wall clock" : "parent wall clock", (long long)tol);
    }
    return INGEST_OK;
}

static IngestStatus cmd_rset(Ingest *in, char **w, size_t n)
{
    RrdChart *c = in->cur;
    if (!in->rset_enabled) {
        note(in, "PLUGINSD: 'host:%s/chart:%s' got a RSET but it is disabled by RBEGIN errors",
             host_name(in), c->id);
        return INGEST_OK;
    }
    return find_dim(in, c, word(w, n, 1), "RSET") ? INGEST_OK : INGEST_DISCONNECT;
}

static IngestStatus cmd_rdstate(Ingest *in, char **w, size_t n)
{
    return find_dim(in, in->cur, word(w, n, 1), "RDSTATE") ? INGEST_OK : INGEST_DISCONNECT;
}

/* RSSTATE (the table checked the chart; the state is not kept) */
static IngestStatus cmd_accept(Ingest *in, char **w, size_t n)
{
    (void)in, (void)w, (void)n;
    return INGEST_OK;
}

static IngestStatus cmd_rend(Ingest *in, char **w, size_t n)
{
    (void)w;
    if (n < 7) {
        return fail(in, "REPLAY: malformed REND command");
    }
    if (!require_chart(in, "REND", "RBEGIN")) {
        return INGEST_DISCONNECT;
    }
    in->cur = NULL;
    in->updates++;                      /* 1.37.1 counts a REND as a completed update */
    in->rset_enabled = 0;
    return INGEST_OK;
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
    {"CHART_DEFINITION_END", cmd_chart_definition_end, "CHART"},
    {"LABEL", cmd_label, NULL},
    {"OVERWRITE", cmd_overwrite, NULL},
    {"CLAIMED_ID", cmd_claimed_id, NULL},
    {"FUNCTION", cmd_function, NULL},
    {"FUNCTION_RESULT_BEGIN", cmd_function_result_begin, NULL},
    {"RBEGIN", cmd_rbegin, NULL},
    {"RSET", cmd_rset, "RBEGIN"},
    {"RDSTATE", cmd_rdstate, "RBEGIN"},
    {"RSSTATE", cmd_accept, "RBEGIN"},
    {"REND", cmd_rend, NULL},
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
        note(in, "PLUGINSD: 'host:%s' sent unknown command '%s'; disconnecting", host_name(in),
             clip(k, kw, kwlen));
        return INGEST_DISCONNECT;
    }
    char *words[WIRE_MAX_WORDS];
    size_t n = wire_split(line, words, WIRE_MAX_WORDS);
    if (cmd->needs && !require_chart(in, cmd->name, cmd->needs)) {
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
}

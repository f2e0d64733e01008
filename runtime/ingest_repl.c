/*
** ingest_repl.c - replication on the parent side (shared/spec/stream-protocol.md §3.7), as a
** 1.37.1 parent runs it (streaming/replication.c replicate_chart_request, pluginsd_parser.c):
**
**   child  CHART ... DIMENSION ... CHART_DEFINITION_END first last now
**   parent REPLAY_CHART "id" "true|false" after before      (what the parent is missing)
**   child  RBEGIN "id" / RBEGIN '' start end now / RSET dim value flags ... / RDSTATE ... /
**          RSSTATE ... / REND update_every first last start_streaming after before now
**   parent (start_streaming false) the next REPLAY_CHART, until a REND says true; a 1.37.1
**          child holds back BEGIN/SET/END for the chart until then.
**
** Without REPLICATION negotiated (in->repl 0) the lines are still checked as 1.37.1 checks them
** and their data dropped, as before. A replicated point is stored at its end time when that is
** after everything the dimension holds (storage appends only forwards); a point whose span is
** not the chart's update every is dropped (1.37.1 would change the chart's update every).
*/
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ingest_internal.h"
#include "wire.h"

#define USEC 1000000ull

/* A value as 1.37.1's str2ndd reads it (RSET, RDSTATE). */
static double number(const char *s)
{
    const char *end;
    return wire_double(s, &end);
}

/* replicate_chart_request() of 1.37.1: what to ask the child for, given its retention (FIRST,
   LAST, its clock WORLD) and the previous request (PREV_AFTER, PREV_BEFORE; 0 0: none). */
static void request(Ingest *in, RrdChart *c, int64_t first, int64_t last, int64_t world,
                    int64_t prev_after, int64_t prev_before)
{
    (void)world;
    RrdHost *h = in->h;
    int64_t now = (int64_t)(in->now_ut / USEC), local_first, local_last;
    rrd_chart_range(h, c, &local_first, &local_last);
    if (local_last > now) {
        local_last = now;
    }
    int64_t gap_from = prev_after && prev_before ? prev_before
                       : local_last ? local_last : now - h->cfg.repl_seconds;
    int64_t after = 0, before = 0;
    int start = 1;
    if (h->cfg.replication && last && c->ndims && first > 0 && first <= last &&
        local_last <= last) {
        after = first > gap_from ? first : gap_from;
        before = now - after > h->cfg.repl_step ? after + h->cfg.repl_step : now;
        before = before > last ? last : before;
        after = after > before ? before : after;
        start = now - after <= h->cfg.repl_step || before == last;
    }
    c->repl_active = !start;
    if (in->out) {
        sbuf_printf(in->out, "REPLAY_CHART \"%s\" \"%s\" %llu %llu\n", c->id,
                    start ? "true" : "false", (unsigned long long)after,
                    (unsigned long long)before);
    }
}

IngestStatus ig_chart_definition_end(Ingest *in, char **w, size_t n)
{
    RrdChart *c = in->cur;
    const char *f = ig_word(w, n, 1), *l = ig_word(w, n, 2), *t = ig_word(w, n, 3);
    long long first = f && *f ? (long long)wire_u64(f) : 0;
    long long last = l && *l ? (long long)wire_u64(l) : 0;
    long long world = t && *t ? (long long)wire_u64(t) : (long long)(in->now_ut / USEC);
    if ((first || last) && (!first || !last)) {
        ig_note(in, "PLUGINSD REPLAY ERROR: 'host:%s/chart:%s' got a CHART_DEFINITION_END with "
                "malformed timings (first time %lld, last time %lld, world time %lld).",
                ig_host(in), c->id, first, last, world);
    }
    if (in->repl && !c->repl_active) {
        request(in, c, first, last, world, 0, 0);
    }
    return INGEST_OK;
}

IngestStatus ig_rbegin(Ingest *in, char **w, size_t n)
{
    const char *id = ig_word(w, n, 1), *s_txt = ig_word(w, n, 2), *e_txt = ig_word(w, n, 3);
    const char *now_txt = ig_word(w, n, 4);
    RrdChart *c = (!id || !*id) ? ig_require_chart(in, "RBEGIN", "RBEGIN")
                                : ig_find_chart(in, id, "RBEGIN");
    if (!c) {
        return INGEST_DISCONNECT;
    }
    in->cur = c;
    in->rset_enabled = 0;
    in->repl_end_t = 0;
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
            wall = (int64_t)(in->now_ut / USEC);
            tol = (int64_t)c->update_every + 5;
            from_child = 0;
        }
        int64_t lim = (int64_t)((uint64_t)wall + (uint64_t)tol);   /* wraps as 1.37.1's does */
        if (start && end && start < lim && end < lim && start < end) {
            in->rset_enabled = 1;
            if (in->repl && end - start == c->update_every) {
                /* the chart's clock moves to the point, as 1.37.1's RBEGIN moves it */
                in->repl_end_t = end;
                c->last_collected_ut = (uint64_t)end * USEC;
                c->last_stored_ut = (uint64_t)end * USEC;
                c->counter++;
                c->counter_done++;
            }
            return INGEST_OK;
        }
        ig_note(in, "PLUGINSD REPLAY ERROR: 'host:%s/chart:%s' got a RBEGIN from %lld to %lld, "
                "but timestamps are invalid (now is %lld [%s], tolerance %lld). Ignoring RSET",
                ig_host(in), c->id, (long long)start, (long long)end, (long long)wall,
                from_child ? "child wall clock" : "parent wall clock", (long long)tol);
    }
    return INGEST_OK;
}

IngestStatus ig_rset(Ingest *in, char **w, size_t n)
{
    RrdChart *c = in->cur;
    if (!in->rset_enabled) {
        ig_note(in, "PLUGINSD: 'host:%s/chart:%s' got a RSET but it is disabled by RBEGIN errors",
                ig_host(in), c->id);
        return INGEST_OK;
    }
    RrdDim *d = ig_find_dim(in, c, ig_word(w, n, 1), "RSET");
    if (!d) {
        return INGEST_DISCONNECT;
    }
    if (!in->repl_end_t) {
        return INGEST_OK;
    }
    const char *v_txt = ig_word(w, n, 2), *flags = ig_word(w, n, 3);
    double v = v_txt && *v_txt ? number(v_txt) : NAN;
    if (flags && strchr(flags, 'E')) {
        v = NAN;
    }
    v = isfinite(v) ? v : NAN;
    rrd_dim_store_replicated(in->h, c, d, in->repl_end_t, v);
    return INGEST_OK;
}

IngestStatus ig_rdstate(Ingest *in, char **w, size_t n)
{
    RrdDim *d = ig_find_dim(in, in->cur, ig_word(w, n, 1), "RDSTATE");
    if (!d) {
        return INGEST_DISCONNECT;
    }
    if (in->repl) {
        /* the child's collection state, so that its next collection continues from it */
        const char *lc = ig_word(w, n, 3), *calc = ig_word(w, n, 4), *st = ig_word(w, n, 5);
        d->last_collected = d->collected = lc ? wire_i64(lc) : 0;
        d->last_calculated = calc ? number(calc) : 0;
        d->last_stored = st ? number(st) : 0;
    }
    return INGEST_OK;
}

IngestStatus ig_rsstate(Ingest *in, char **w, size_t n)
{
    RrdChart *c = in->cur;
    if (in->repl) {
        const char *lc = ig_word(w, n, 1), *lu = ig_word(w, n, 2);
        uint64_t collected = lc ? wire_u64(lc) : 0, updated = lu ? wire_u64(lu) : 0;
        c->last_collected_ut = collected > c->last_collected_ut ? collected : c->last_collected_ut;
        c->last_stored_ut = updated > c->last_stored_ut ? updated : c->last_stored_ut;
        c->counter++;
        c->counter_done++;
    }
    return INGEST_OK;
}

IngestStatus ig_rend(Ingest *in, char **w, size_t n)
{
    if (n < 7) {
        return ig_fail(in, "REPLAY: malformed REND command");
    }
    RrdChart *c = ig_require_chart(in, "REND", "RBEGIN");
    if (!c) {
        return INGEST_DISCONNECT;
    }
    in->cur = NULL;
    in->updates++;                      /* 1.37.1 counts a REND as a completed update */
    in->rset_enabled = 0;
    in->repl_end_t = 0;
    c->counter++;
    c->counter_done++;
    if (!in->repl) {
        return INGEST_OK;
    }
    int64_t first = (int64_t)wire_u64(w[2]), last = (int64_t)wire_u64(w[3]);
    int start = strcmp(w[4], "true") == 0;
    int64_t after = (int64_t)wire_u64(w[5]), before = (int64_t)wire_u64(w[6]);
    const char *t = ig_word(w, n, 7);
    int64_t world = t && *t ? (int64_t)wire_u64(t) : (int64_t)(in->now_ut / USEC);
    if (start) {
        c->repl_active = 0;             /* the child streams the chart from now on */
        return INGEST_OK;
    }
    request(in, c, first, last, world, after, before);
    return INGEST_OK;
}

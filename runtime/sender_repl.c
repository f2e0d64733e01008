/*
** sender_repl.c - the child's side of replication (sender_repl.h): the definition's last line
** and the answers to REPLAY_CHART, from the host's storage engine.
**
** 1.37.1's rules kept (replication.c replicate_chart_response/replicate_chart_timeframe):
**   - the range asked for is clamped to what the chart holds: after to its first entry, before
**     to its last update (the whole rest when the parent says start streaming);
**   - streaming starts when asked, or when the answer reaches the chart's last update, or when
**     the request was "0 0" (nothing to fetch), unless the wall clock moved to another second
**     while answering;
**   - one RBEGIN '' per slot where at least one dimension has a value; the others get
**     `RSET "<dim>" NAN "E"`;
**   - RDSTATE/RSSTATE (the collection state that lets the parent continue interpolating) only
**     when streaming starts.
** Three differences, all so that nothing is lost: values are printed with enough digits to
** read back exactly (1.37.1 prints 7 decimals, so 0.00000004 became 0.0000000); an answer
** that would not fit the send buffer is cut at a slot and does not start streaming, so the
** parent asks again from there (1.37.1 would overflow its buffer and reconnect); and a range
** that starts at the chart's oldest slot includes that slot (1.37.1 answers for (after,
** before], and a parent with nothing of the chart asks from the child's first entry, so a
** 1.37.1 child never sends its first point).
*/
#include "sender_repl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

#define USEC 1000000LL
#define REPL_TOLERANCE_S 2       /* 1.37.1: a first entry up to 2 s ahead is not "future" */
#define REPL_POINT_BYTES 48      /* RBEGIN '' <start> <end> <now>, a generous line */
#define REPL_SET_BYTES 32        /* RSET "" <value> "" around the dimension's id */

/* A value that reads back exactly: 9 significant digits hold every float the engines keep,
   17 any double (collection state). NAN and infinities as 1.37.1's printf writes them. */
static void put_value(Sbuf *b, double v)
{
    if (isnan(v)) {
        sbuf_puts(b, "nan");
    } else if (isinf(v)) {
        sbuf_puts(b, v < 0 ? "-inf" : "inf");
    } else if ((double)(float)v == v) {
        sbuf_printf(b, "%.9g", v);
    } else {
        sbuf_printf(b, "%.17g", v);
    }
}

/* rrdset_first_entry_t: the oldest slot any dimension holds (0: none). */
static int64_t chart_first(RrdHost *h, RrdChart *c)
{
    int64_t first, last;
    rrd_chart_range(h, c, &first, &last);
    return first;
}

/* st->last_updated, else rrdset_last_entry_t: the newest slot (0: none). */
static int64_t chart_last(RrdHost *h, RrdChart *c)
{
    int64_t first, last;
    if (c->last_stored_ut) {
        return (int64_t)(c->last_stored_ut / USEC);
    }
    rrd_chart_range(h, c, &first, &last);
    return last;
}

void sender_repl_definition_end(Sbuf *b, RrdHost *h, RrdChart *c, int64_t now)
{
    int64_t first = chart_first(h, c), last = chart_last(h, c);
    last = last > now ? now : last;
    if (first && last && first >= last) {
        first = last - c->update_every;
    }
    if (!first && last) {
        first = last;
    }
    sbuf_printf(b, "CHART_DEFINITION_END %lld %lld %lld\n", (long long)first, (long long)last,
                (long long)now);
}

/* One dimension's points of the range, oldest first, and where the merge stands. */
typedef struct DimPoints {
    StoragePoint *p;
    size_t n, i;
} DimPoints;

/* The next slot after the merge position of D that holds a value (INT64_MAX: none). */
static int64_t next_valued(DimPoints *d)
{
    while (d->i < d->n && isnan(d->p[d->i].v)) {
        d->i++;
    }
    return d->i < d->n ? d->p[d->i].t : INT64_MAX;
}

/* replicate_chart_timeframe: the points of (AFTER, BEFORE]. Returns the last slot answered for
   (BEFORE itself unless cut); *POINTS and *CUT say what was written. */
static int64_t timeframe(Sbuf *b, RrdHost *h, RrdChart *c, int64_t after, int64_t before,
                         int64_t wall, size_t max_bytes, size_t *points, int *cut)
{
    int64_t ue = c->update_every;
    size_t row = REPL_POINT_BYTES, nd = 0;
    for (RrdDim *d = c->dims; d; d = d->next, nd++) {
        row += REPL_SET_BYTES + strlen(d->id);
    }
    size_t budget = max_bytes < SENDER_REPL_MIN_BYTES ? SENDER_REPL_MIN_BYTES : max_bytes;
    int64_t slots = (int64_t)(budget / row) > 0 ? (int64_t)(budget / row) : 1;
    int64_t end = before;
    if ((before - after) / ue > slots) {
        end = after + slots * ue;        /* slots on the grid after AFTER, at most SLOTS */
        *cut = 1;
    }
    DimPoints *dp = nd ? calloc(nd, sizeof *dp) : NULL;
    size_t cap = (size_t)((end - after) / ue + 2);
    size_t k = 0;
    for (RrdDim *d = c->dims; dp && d; d = d->next, k++) {
        dp[k].p = malloc(cap * sizeof *dp[k].p);
        if (dp[k].p && d->sd && h->ops) {
            dp[k].n = h->ops->query(d->sd, after + 1, end, dp[k].p, cap);
        }
    }
    for (;;) {
        int64_t t = INT64_MAX;
        for (k = 0; dp && k < nd; k++) {
            int64_t n = next_valued(&dp[k]);
            t = n < t ? n : t;
        }
        if (t == INT64_MAX || t > end || t - ue > wall + 1 || t > wall + ue + 1) {
            break;                       /* no more values, or a slot in the future */
        }
        sbuf_printf(b, "RBEGIN '' %lld %lld %lld\n", (long long)(t - ue), (long long)t,
                    (long long)wall);
        k = 0;
        for (RrdDim *d = c->dims; d; d = d->next, k++) {
            DimPoints *x = &dp[k];
            if (x->i < x->n && x->p[x->i].t == t) {
                sbuf_printf(b, "RSET \"%s\" ", d->id);
                put_value(b, x->p[x->i].v);
                sbuf_puts(b, " \"\"\n");
                x->i++;
            } else {
                sbuf_printf(b, "RSET \"%s\" NAN \"E\"\n", d->id);
            }
        }
        ++*points;
    }
    for (k = 0; dp && k < nd; k++) {
        free(dp[k].p);
    }
    free(dp);
    return end;
}

/* replicate_chart_collection_state: what the parent needs to go on interpolating. */
static void collection_state(Sbuf *b, RrdChart *c)
{
    for (RrdDim *d = c->dims; d; d = d->next) {
        sbuf_printf(b, "RDSTATE \"%s\" %llu %lld ", d->id, (unsigned long long)c->last_collected_ut,
                    (long long)d->last_collected);
        put_value(b, d->last_calculated);
        sbuf_putc(b, ' ');
        put_value(b, d->last_stored);
        sbuf_putc(b, '\n');
    }
    sbuf_printf(b, "RSSTATE %llu %llu\n", (unsigned long long)c->last_collected_ut,
                (unsigned long long)c->last_stored_ut);
}

void sender_repl_answer(Sbuf *b, RrdHost *h, RrdChart *c, int start, int64_t after,
                        int64_t before, int64_t (*clock)(void), size_t max_bytes,
                        SenderReplAnswer *out)
{
    memset(out, 0, sizeof *out);
    int64_t now = clock();
    int64_t first = chart_first(h, c);
    first = first > now + REPL_TOLERANCE_S ? now : first;
    int64_t last = chart_last(h, c);
    last = !last ? now : last > now + REPL_TOLERANCE_S ? now : last;
    int64_t q_after = after < first ? first : after;
    int64_t q_before = before > last ? last : before;
    if (start) {
        q_before = last;
    }
    if (q_after > q_before) {
        int64_t x = q_after;
        q_after = q_before;
        q_before = x;
    }
    int streaming = start || q_before == last || !after || !before;
    sbuf_printf(b, "RBEGIN \"%s\"\n", c->id);
    if (after && before) {
        if (streaming && last > q_before) {
            q_before = last;
        }
        /* (after, before], except that a range starting at our oldest slot includes it: a
           parent asks from there when it has nothing of ours, so it cannot hold that slot */
        int64_t from = first && q_after <= first ? first - 1 : q_after;
        before = timeframe(b, h, c, from, q_before, now, max_bytes, &out->points, &out->cut);
        streaming = streaming && !out->cut;
    } else {
        after = before = 0;
        streaming = 1;
    }
    int64_t world = clock();
    if (streaming && now < world) {
        streaming = 0;                   /* a second passed: the parent asks for the rest */
    }
    if (streaming) {
        collection_state(b, c);
    }
    sbuf_printf(b, "REND %d %lld %lld %s %lld %lld %lld\n", c->update_every, (long long)first,
                (long long)last, streaming ? "true" : "false", (long long)after,
                (long long)before, (long long)world);
    out->start_streaming = streaming;
    out->first = first;
    out->last = last;
    out->after = after;
    out->before = before;
}

int sender_repl_parse(char **words, size_t n, const char **chart_id, int *start,
                      int64_t *after, int64_t *before)
{
    if (n < 5 || !words[1] || !words[2] || !words[3] || !words[4]) {
        return -1;
    }
    *chart_id = words[1];
    *start = strcmp(words[2], "true") == 0;
    long long a = wire_strtoll(words[3]), z = wire_strtoll(words[4]);
    *after = a < 0 ? 0 : (int64_t)a;     /* no time is before the epoch: keeps sums in range */
    *before = z < 0 ? 0 : (int64_t)z;
    return 0;
}

/*
** rrd_collect.c - one collection of one chart (BEGIN, SET..., END) turned into stored points on
** the chart's update_every grid, following Netdata 1.37.1 (collectors/plugins.d/pluginsd_parser.c
** pluginsd_begin/pluginsd_end with the receiver's trust_durations = 1, and database/rrdset.c
** rrdset_timed_next/rrdset_timed_done/rrdset_done_interpolate). It does not parse lines and does
** not own storage: points go to the host's engine through h->ops.
**
** The rules, and the Netdata facts they rest on:
**
** Time base. BEGIN's µs are applied at END (the parent's BEGIN and END arrive in one batch, so
** "now" is the same instant to within the batch). On a chart never completed (counter 0) BEGIN
** does nothing. Otherwise the interval is BEGIN's µs, except: when the chart or one of its
** dimensions was (re)defined since the last collection (Netdata's SYNC_CLOCK flag, set by every
** CHART, every new dimension and every changed one), or the µs is 0, the interval is measured on
** our clock as |now - last collection time|; and after a reset (no last collection time) it is
** one update_every. The collection time is then the previous one plus the interval.
**
** Priming. The first END anchors the chart on our clock: collection time = now rounded down to
** update_every seconds plus 0.5 s (plus 0 with store_first), last stored slot = that second
** rounded down to update_every (one slot earlier with store_first). Nothing is stored unless
** store_first, and even then the slot is empty because no dimension has two collections yet.
**
** Values (rrdset_timed_done, phase 1; only dimensions that got a SET this round):
**   absolute:  raw * mult / div
**   pct-abs-row: 100 * raw / sum(raw of updated dims), 0 when the sum is 0 (mult/div unused)
**   incremental: 0 until the dimension's second SET; else (raw - last) * mult / div; when
**     (uint64)last > (uint64)raw it is an overflow if cap - last + raw < cap/100*10 (cap is
**     2^32-1 unless the largest |raw| ever seen exceeds 2^32-1, then 2^64-1), counted as that
**     delta, else a reset counted as 0. noreset/nooverflow only mark the point in Netdata's
**     storage flags; the value is the same, so they change nothing here.
**   pct-inc-row: 0 until the second SET; a dimension that went down first has its last raw set
**     to the new one (delta 0); then 100 * delta / (sum raw - sum last raw), 0 when that is 0.
**   Dimensions without a SET get 0 and their slots are stored empty.
**
** Interpolation (rrdset_done_interpolate). For each grid slot S with last stored < S <= now:
**   incremental: part = calc * (S - prev) / (now - prev), calc -= part, the stored value is
**     (part + carried) / update_every where `carried` is the remainder carried from the previous
**     collection (and is then 0); prev = the previous collection time, then the previous slot.
**     So the stored value is a per-second rate whatever update_every is. The remainder left after
**     the last slot is carried to the next collection (not after the priming one).
**   others: the last slot crossed gets calc itself; an earlier slot S gets the line from
**     (prev, previous value) to (now, calc) evaluated at S, where prev is as above: Netdata
**     moves the line's start to each slot it passes but keeps the previous value there.
**   A slot is stored empty when the round is not stored (priming), the dimension got no SET,
**     has fewer than two SETs since its reset, or when 3 or more slots remain to be filled
**     counting this one (Netdata's "gap when lost iterations above" = 1, plus 2): a collection
**     that jumps k >= 3 slots stores k-2 empty slots and interpolates the last two.
**
** Resets (rrdset_reset): when the interval exceeds the engine's entries * update_every, or the
** collection time runs more than that ahead of the last stored slot, the chart forgets its times
** and counters and primes again. entries = history clamped to [5, 86400*365], rounded up to a
** 4 KiB page of 4-byte samples for ram/save/map (Netdata's align_entries_to_pagesize); dbengine
** uses 1024 and skips the first check; memory mode none stores nothing and skips both.
*/
#include <math.h>
#include <stdint.h>

#include "policy_format.h"
#include "rrd.h"

#define USEC 1000000ULL
#define GAP_ITERATIONS 3        /* Netdata: gap_when_lost_iterations_above (1) + 2 */
#define PAGE_SAMPLES 1024       /* a 4 KiB page of 4-byte storage numbers */

static uint64_t absdiff(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* Netdata's st->entries for a chart of this host (only used for the reset thresholds). */
static uint64_t netdata_entries(const RrdHost *h)
{
    int mode = h->cfg.memory_mode;
    long n = h->cfg.history;
    if (mode == POLICY_MODE_DBENGINE) {
        return PAGE_SAMPLES;
    }
    n = n < 5 ? 5 : n > 86400L * 365 ? 86400L * 365 : n;
    if (mode == POLICY_MODE_RAM || mode == POLICY_MODE_SAVE || mode == POLICY_MODE_MAP) {
        n = (n + PAGE_SAMPLES - 1) / PAGE_SAMPLES * PAGE_SAMPLES;
    }
    return (uint64_t)n;
}

/* Netdata's rrdset_reset: the chart primes again; the dims need two SETs again. */
static void chart_reset(RrdChart *c)
{
    c->last_collected_ut = 0;
    c->last_stored_ut = 0;
    c->counter = 0;
    c->counter_done = 0;
    for (RrdDim *d = c->dims; d; d = d->next) {
        d->collections = 0;
    }
}

/* The first collection time: NOW rounded down to the grid, then +0.5 s (0 with store_first). */
static uint64_t anchor_collected(const RrdChart *c, uint64_t now_ut)
{
    uint64_t s = now_ut / USEC, ue = (uint64_t)c->update_every;
    s -= s % ue;
    return s * USEC + ((c->flags & RRD_CHART_STORE_FIRST) ? 0 : USEC / 2);
}

/* The last stored slot before the first store: the collection's second on the grid. */
static uint64_t anchor_stored(const RrdChart *c)
{
    uint64_t s = c->last_collected_ut / USEC, ue = (uint64_t)c->update_every;
    if ((c->flags & RRD_CHART_STORE_FIRST) && s >= ue) {
        s -= ue;
    }
    s -= s % ue;
    return s * USEC;
}

/* BEGIN "<id>" <usec>: only remembered; the interval is worked out at END (see the top). */
void rrd_chart_begin(RrdChart *c, uint64_t usec)
{
    c->in_collection = 1;
    c->begin_usec = usec;
}

/* SET: the raw integer of D for the current collection (a second SET overwrites the first). */
void rrd_dim_set(RrdDim *d, int64_t raw)
{
    d->collected = raw;
    d->updated = 1;
    d->collections++;
    int64_t a = raw >= 0 ? raw : (raw == INT64_MIN ? INT64_MAX : -raw);
    if (a > d->collected_max) {
        d->collected_max = a;
    }
}

/* Phase 1: the calculated value of every dimension from this round's raw values. */
static void calculate(RrdChart *c)
{
    /* Netdata sums in signed 64 bits; wrap-around arithmetic gives the same bits without UB */
    uint64_t total = 0, last_total = 0;
    for (RrdDim *d = c->dims; d; d = d->next) {
        if (!d->updated) {
            continue;
        }
        if (d->algorithm == RRD_ALG_PCENT_INC_ROW && d->last_collected > d->collected) {
            d->last_collected = d->collected;
        }
        last_total += (uint64_t)d->last_collected;
        total += (uint64_t)d->collected;
        d->flags &= ~(unsigned)RRD_DIM_OBSOLETE;     /* collected, so not obsolete */
    }
    for (RrdDim *d = c->dims; d; d = d->next) {
        double mul = (double)d->multiplier, div = (double)d->divisor;
        uint64_t raw = (uint64_t)d->collected, last = (uint64_t)d->last_collected;
        if (!d->updated) {
            d->calculated = 0;
            continue;
        }
        switch (d->algorithm) {
        case RRD_ALG_PCENT_ABS_ROW:
            d->calculated = total ? 100.0 * (double)d->collected / (double)(int64_t)total : 0;
            break;
        case RRD_ALG_INCREMENTAL:
            if (d->collections <= 1) {
                d->calculated = 0;
            } else if (last > raw) {
                uint64_t cap = (uint64_t)d->collected_max > 0xFFFFFFFFULL ? UINT64_MAX
                                                                          : 0xFFFFFFFFULL;
                uint64_t delta = cap - last + raw;
                if (delta < cap / 100 * 10) {
                    d->calculated += (double)delta * mul / div;
                }
            } else {
                d->calculated += (double)(int64_t)(raw - last) * mul / div;
            }
            break;
        case RRD_ALG_PCENT_INC_ROW:
            if (d->collections <= 1 || total == last_total) {
                d->calculated = 0;
            } else {
                d->calculated = 100.0 * (double)(int64_t)(raw - last) /
                                (double)(int64_t)(total - last_total);
            }
            break;
        default:
            d->calculated = (double)d->collected * mul / div;
            break;
        }
    }
}

typedef struct Round {
    uint64_t ue_ut, last_collect_ut, now_collect_ut, last_stored_ut, next_store_ut;
    int store;
} Round;

/* Phase 2: store every grid slot from the one after the last stored up to now. */
static void interpolate(RrdHost *h, RrdChart *c, Round *r)
{
    int64_t iterations = (int64_t)((r->now_collect_ut - r->last_stored_ut) / r->ue_ut);
    if (r->now_collect_ut % r->ue_ut == 0) {
        iterations++;
    }
    uint64_t prev = r->last_collect_ut;
    for (uint64_t slot = r->next_store_ut; slot <= r->now_collect_ut;
         prev = slot, slot += r->ue_ut, iterations--) {
        /* a slot before the previous collection (a child whose replicated state says it
           collected past its last stored slot: a 1.37.1 child under load does) gets step 0,
           the value at that collection, instead of an unsigned wrap to ~1.8e19 */
        double span = (double)(r->now_collect_ut - prev);
        double step = slot > prev ? (double)(slot - prev) : 0.0;
        for (RrdDim *d = c->dims; d; d = d->next) {
            double v;
            if (d->algorithm == RRD_ALG_INCREMENTAL) {
                v = span > 0 ? d->calculated * step / span : d->calculated;
                d->calculated -= v;
                v += d->last_calculated;
                d->last_calculated = 0;
                v /= (double)c->update_every;
            } else if (iterations == 1 || span <= 0) {
                v = d->calculated;
            } else {
                v = (d->calculated - d->last_calculated) * step / span + d->last_calculated;
            }
            if (r->store && d->updated && d->collections > 1 && iterations < GAP_ITERATIONS) {
                d->last_stored = v;
            } else {
                v = NAN;
                if (r->store) {
                    d->last_stored = NAN;
                }
            }
            h->ops->append(d->sd, (int64_t)(slot / USEC), v);
        }
        c->counter_done++;
        c->last_stored_ut = slot;
    }
}

void rrd_dim_store_replicated(RrdHost *h, RrdChart *c, RrdDim *d, int64_t t, double v)
{
    d->collections++;
    d->last_stored = v;
    if (!h->ops || !d->sd || t <= 0 || t % c->update_every != 0 || t <= h->ops->last_t(d->sd)) {
        return;
    }
    h->ops->append(d->sd, t, v);
}

/*
** END at wall clock NOW_UT (µs) for chart C of host H (host lock held): works out the collection
** time, computes each dimension, stores the grid slots passed, and clears the round (rules at the
** top of this file).
*/
void rrd_chart_end(RrdHost *h, RrdChart *c, uint64_t now_ut)
{
    int mode = h->cfg.memory_mode;
    Round r = {.ue_ut = (uint64_t)c->update_every * USEC, .store = 1};
    int first = 0;
    uint64_t limit = netdata_entries(h) * r.ue_ut;

    /* what BEGIN does in Netdata (pluginsd_begin -> rrdset_next_usec[_unfiltered]) */
    uint64_t interval = 0;
    if (c->counter) {
        interval = c->begin_usec;
        if (!c->last_collected_ut || !interval || c->sync_clock) {
            c->sync_clock = 0;
            interval = c->last_collected_ut ? absdiff(now_ut, c->last_collected_ut) : r.ue_ut;
        }
    }

    c->flags &= ~(unsigned)RRD_CHART_OBSOLETE;       /* collected, so not obsolete */
    if (mode != POLICY_MODE_DBENGINE && mode != POLICY_MODE_NONE && interval > limit) {
        chart_reset(c);
        interval = r.ue_ut;
        r.store = 0;
        first = 1;
    }
    if (!c->last_collected_ut) {
        c->last_collected_ut = anchor_collected(c, now_ut);
        r.last_collect_ut = c->last_collected_ut - r.ue_ut;
        r.store = 0;
        first = 1;
    } else {
        r.last_collect_ut = c->last_collected_ut;
        c->last_collected_ut += interval;
    }

    if (mode != POLICY_MODE_NONE) {
        if (!c->last_stored_ut) {
            c->last_stored_ut = anchor_stored(c);
            r.store = 0;
            first = 1;
        }
        if (absdiff(c->last_collected_ut, c->last_stored_ut) > limit) {
            chart_reset(c);                 /* Netdata stores nothing now and primes next END */
            c->last_stored_ut = anchor_stored(c);
            r.store = 0;
            first = 1;
        }
        r.now_collect_ut = c->last_collected_ut;
        r.last_stored_ut = c->last_stored_ut;
        if (!c->counter) {
            if (mode == POLICY_MODE_DBENGINE) {
                c->last_stored_ut = anchor_stored(c);
                r.last_stored_ut = c->last_stored_ut;
            }
            r.next_store_ut = r.last_stored_ut + r.ue_ut;
            if (c->flags & RRD_CHART_STORE_FIRST) {
                r.store = 1;
                r.last_collect_ut = r.next_store_ut - r.ue_ut;
            } else {
                r.store = 0;
            }
        }
        r.next_store_ut = r.last_stored_ut + r.ue_ut;
    }
    c->counter++;

    calculate(c);
    if (mode != POLICY_MODE_NONE && r.now_collect_ut >= r.last_stored_ut) {
        interpolate(h, c, &r);
    }

    if (h->push) {
        h->push(h, c, interval);        /* upstream: the raw values of this round */
    }
    for (RrdDim *d = c->dims; d; d = d->next) {
        if (!d->updated) {
            continue;
        }
        d->last_collected = d->collected;
        if (d->algorithm != RRD_ALG_INCREMENTAL) {
            d->last_calculated = d->calculated;
        } else if (!first) {
            d->last_calculated += d->calculated;    /* the part not yet stored carries over */
        }
        d->calculated = 0;
        d->collected = 0;
        d->updated = 0;
    }
    c->in_collection = 0;
    c->begin_usec = 0;
    h->updates++;
}

/*
** gorilla_group.c - the dbengine's group pages (layout in gorilla.h): the dimensions of one
** percentage chart coded together. Netdata's percentage-of-*-row algorithms (and streamd's
** /proc CPU charts) store every dimension of a row as 100 * b_j / t, where the b_j are the
** row's counter deltas and t is their sum. Coded one dimension at a time (the RATIO mode),
** each page carries its own copy of t and every dimension its numerator; coded as a group, t
** travels once and the largest dimension costs nothing (its b is t minus the others). The
** same for a chart whose dimensions add up to a constant (Netdata's and streamd's system.ram:
** free + used + cached + buffers = MemTotal): one dimension is that constant minus the others.
** A group page exists only when one of these structures holds (the encoder checks every
** value, exactly); otherwise the caller writes ordinary pages. Pure functions like gorilla.c.
*/
#include "gorilla.h"

#include <math.h>
#include <string.h>

#include "gorilla_bits.h"

#define GROUP_BYTE 0x80u            /* first byte: 0x80 | flags; a page's is mode << 4 <= 0x50 */
#define SUM_BYTE 0x90u              /* a constant-sum group: 0x90 | flags */
#define SUM_MAX 1099511627776.0     /* 2^40 > 64 keys below 2^31: bound of the constant */
#define ESCAPE_SHARE 32u            /* give up when more than 1 / 32 of the rows escape */
#define NEAR_STEPS 3                /* multiples of the row's denominator tried each side */

typedef struct Group {
    const GorillaPage *p;
    uint32_t k;
    uint8_t zero[GORILLA_GROUP_MAX];   /* member holds +0.0 in every present slot */
} Group;

/* B[j] for every member at denominator T when they all fit it and sum to it. */
static int row_fits(const Group *g, uint32_t i, int64_t t, int64_t *b)
{
    int64_t sum = 0;
    if (t < 1 || t > (int64_t)RATIO_TMAX) {
        return 0;
    }
    for (uint32_t j = 0; j < g->k; j++) {
        float v = g->p[j].v[i];
        b[j] = 0;
        if (!g->zero[j] && !gorilla_ratio_fits(fbits(v), (double)v, t, &b[j])) {
            return 0;
        }
        sum += b[j];
    }
    return sum == t;
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b) {
        int64_t r = a % b;
        a = b;
        b = r;
    }
    return a;
}

/*
** The denominator of row I: PT (the previous one) or a neighbour when the row fits it, else the
** multiple of the least common multiple of the members' smallest denominators nearest to PT
** (a row's true t is such a multiple, and it moves little from row to row). 0: the row is no
** such set of percentages (it is escaped).
*/
static int64_t row_pick(const Group *g, uint32_t i, int64_t pt, int64_t *b)
{
    static const int8_t near[] = {0, 1, -1, 2, -2};
    double sum = 0;
    for (uint32_t j = 0; j < g->k; j++) {
        sum += g->p[j].v[i];
    }
    if (!(fabs(sum - 100.0) < 1e-3)) {
        return 0;                   /* cheap refusal of rows that are not percentages */
    }
    for (unsigned n = 0; pt && n < sizeof near; n++) {
        if (row_fits(g, i, pt + near[n], b)) {
            return pt + near[n];
        }
    }
    int64_t l = 1;
    for (uint32_t j = 0; j < g->k; j++) {
        float v = g->p[j].v[i];
        if (g->zero[j] || v == 0.0f) {
            continue;
        }
        int64_t d = gorilla_ratio_den(v);
        if (!d) {
            return 0;
        }
        l = l / gcd64(l, d) * d;
        if (l > (int64_t)RATIO_TMAX) {
            return 0;
        }
    }
    int64_t m0 = pt ? llrint((double)pt / (double)l) : 1;
    m0 = m0 < 1 ? 1 : m0;
    for (int s = 0; s <= 2 * NEAR_STEPS; s++) {
        int64_t m = m0 + (s & 1 ? (s + 1) / 2 : -(s / 2));
        if (m >= 1 && row_fits(g, i, m * l, b)) {
            return m * l;
        }
    }
    return 0;
}

typedef struct GroupPlan {
    int64_t t0;
    uint32_t implied;
    Widths wt, wb;
    uint64_t bits;
} GroupPlan;

/* Pass 1: every row's pick, histograms; the implied member is the one the others cost most
   without. Returns 0, or -1 when too many rows escape (the group does not qualify). */
static int group_plan(const Group *g, uint32_t present, GroupPlan *gp)
{
    CodeHist ht = {{0}}, hb[GORILLA_GROUP_MAX];
    uint64_t cost[GORILLA_GROUP_MAX] = {0}, esc = 0;
    int64_t b[GORILLA_GROUP_MAX], pb[GORILLA_GROUP_MAX] = {0}, pt = 0, t0 = 0;
    memset(hb, 0, g->k * sizeof hb[0]);
    const float *v0 = g->p[0].v;
    uint32_t count = g->p[0].count, nz = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (v0[i] != v0[i]) {
            continue;
        }
        int64_t t = row_pick(g, i, pt, b);
        if (!t) {
            if (++esc > present / ESCAPE_SHARE) {
                return -1;
            }
            continue;
        }
        if (!pt) {
            pt = t0 = t;
        }
        code_count(&ht, zz(t - pt));
        for (uint32_t j = 0; j < g->k; j++) {
            if (!g->zero[j]) {
                uint64_t z = zz(b[j] - gorilla_ratio_predict(pb[j], pt, t));
                code_count(&hb[j], z);
                cost[j] += code_floor(z);
            }
            pb[j] = b[j];
        }
        pt = t;
    }
    if (!t0) {
        return -1;
    }
    gp->t0 = t0;
    gp->implied = g->k;
    for (uint32_t j = 0; j < g->k; j++) {
        nz += !g->zero[j];
        if (!g->zero[j] && (gp->implied == g->k || cost[j] > cost[gp->implied])) {
            gp->implied = j;
        }
    }
    CodeHist all = {{0}};
    for (uint32_t j = 0; j < g->k; j++) {
        for (unsigned l = 0; j != gp->implied && !g->zero[j] && l < CODE_HIST; l++) {
            all.cum[l] += hb[j].cum[l];
        }
    }
    gp->bits = 6 * 8 + 5 + bit_len((uint64_t)t0) + gorilla_code_plan(&ht, 0, &gp->wt)
             + gorilla_code_plan(&all, 1, &gp->wb) + esc * (4 + 32 * (uint64_t)nz);
    return 0;
}

/* Pass 2: the bit stream, making the same picks. */
static void group_write(const Group *g, const GroupPlan *gp, BitW *w)
{
    int64_t b[GORILLA_GROUP_MAX], pb[GORILLA_GROUP_MAX] = {0}, pt = gp->t0;
    int started = 0;                /* before the first coded row, picks start afresh (as in
                                       the plan); the decoder's previous t is t0 meanwhile */
    widths_put(w, gp->wt);
    widths_put(w, gp->wb);
    bw_put(w, bit_len((uint64_t)gp->t0), 5);
    bw_put(w, (uint64_t)gp->t0, bit_len((uint64_t)gp->t0));
    const float *v0 = g->p[0].v;
    for (uint32_t i = 0; i < g->p[0].count; i++) {
        if (v0[i] != v0[i]) {
            continue;
        }
        int64_t t = row_pick(g, i, started ? pt : 0, b);
        if (!t) {
            bw_put(w, 15, 4);
            for (uint32_t j = 0; j < g->k; j++) {
                if (!g->zero[j]) {
                    bw_put(w, fbits(g->p[j].v[i]), 32);
                }
            }
            continue;
        }
        code_put(w, gp->wt, zz(t - pt));
        for (uint32_t j = 0; j < g->k; j++) {
            if (!g->zero[j] && j != gp->implied) {
                code_put(w, gp->wb, zz(b[j] - gorilla_ratio_predict(pb[j], pt, t)));
            }
            pb[j] = b[j];
        }
        pt = t;
        started = 1;
    }
    bw_end(w);
}

/* The members share the grid and the empty slots; ZERO marks the all-+0.0 ones. */
static int group_shape(Group *g, uint32_t *present)
{
    const GorillaPage *p = g->p;
    if (g->k < 2 || g->k > GORILLA_GROUP_MAX || !p[0].count || p[0].count > GORILLA_MAX_POINTS
        || !p[0].update_every) {
        return -1;
    }
    *present = 0;
    for (uint32_t j = 0; j < g->k; j++) {
        if (p[j].first_t != p[0].first_t || p[j].update_every != p[0].update_every
            || p[j].count != p[0].count) {
            return -1;
        }
        g->zero[j] = 1;
        for (uint32_t i = 0; i < p[0].count; i++) {
            int empty = p[0].v[i] != p[0].v[i];
            if (empty != (p[j].v[i] != p[j].v[i])) {
                return -1;
            }
            if (!empty && fbits(p[j].v[i]) != 0) {
                g->zero[j] = 0;
            }
            *present += !empty && j == 0;
        }
    }
    return *present ? 0 : -1;
}

/* ---- constant-sum groups --------------------------------------------------------------------- */

typedef struct SumPlan {
    unsigned si;                    /* the scale of every key (gorilla_int_scales) */
    int64_t sum;                    /* of every row's keys */
    uint32_t implied;
    Widths w;
    uint64_t bits;
} SumPlan;

static int64_t sum_key(float v, double scale)
{
    return llrint((double)v * scale);
}

/* Whether every present value of every non-zero member is an integer key below 2^31 at SCALE
   that reads back bit-identical, and every row's keys add up to the same *SUM. */
static int sum_fits(const Group *g, double scale, int64_t *sum)
{
    const float *v0 = g->p[0].v;
    int have = 0;
    for (uint32_t i = 0; i < g->p[0].count; i++) {
        if (v0[i] != v0[i]) {
            continue;
        }
        int64_t row = 0;
        for (uint32_t j = 0; j < g->k; j++) {
            float v = g->p[j].v[i];
            if (g->zero[j]) {
                continue;
            }
            if (!(fabs((double)v * scale) < INT_LIMIT - 1)) {
                return 0;               /* checked first: llrint of it is then defined */
            }
            int64_t key = sum_key(v, scale);
            if (fbits((float)((double)key / scale)) != fbits(v)) {
                return 0;
            }
            row += key;
        }
        if (have && row != *sum) {
            return 0;
        }
        *sum = row;
        have = 1;
    }
    return have;
}

/* The first scale under which the group is a constant sum, the implied member (the one whose
   key deltas cost most) and the cost of the others. 0, or -1 when it is no such group. */
static int sum_plan(const Group *g, SumPlan *sp)
{
    unsigned si = 0;
    while (si < GORILLA_INT_SCALES && !sum_fits(g, gorilla_int_scales[si], &sp->sum)) {
        si++;
    }
    if (si == GORILLA_INT_SCALES) {
        return -1;
    }
    sp->si = si;
    double scale = gorilla_int_scales[si];
    CodeHist hb[GORILLA_GROUP_MAX];
    uint64_t cost[GORILLA_GROUP_MAX] = {0};
    memset(hb, 0, g->k * sizeof hb[0]);
    sp->implied = g->k;
    for (uint32_t j = 0; j < g->k; j++) {
        int64_t prev = 0;
        for (uint32_t i = 0; !g->zero[j] && i < g->p[0].count; i++) {
            float v = g->p[j].v[i];
            if (v == v) {
                uint64_t z = zz(sum_key(v, scale) - prev);
                code_count(&hb[j], z);
                cost[j] += code_floor(z);
                prev = sum_key(v, scale);
            }
        }
        if (!g->zero[j] && (sp->implied == g->k || cost[j] > cost[sp->implied])) {
            sp->implied = j;
        }
    }
    if (sp->implied == g->k) {
        return -1;
    }
    CodeHist all = {{0}};
    for (uint32_t j = 0; j < g->k; j++) {
        for (unsigned l = 0; j != sp->implied && !g->zero[j] && l < CODE_HIST; l++) {
            all.cum[l] += hb[j].cum[l];
        }
    }
    sp->bits = 3 * 8 + gorilla_code_plan(&all, 1, &sp->w);
    return 0;
}

static void sum_write(const Group *g, const SumPlan *sp, BitW *w)
{
    int64_t prev[GORILLA_GROUP_MAX] = {0};
    double scale = gorilla_int_scales[sp->si];
    widths_put(w, sp->w);
    for (uint32_t i = 0; i < g->p[0].count; i++) {
        if (g->p[0].v[i] != g->p[0].v[i]) {
            continue;
        }
        for (uint32_t j = 0; j < g->k; j++) {
            if (!g->zero[j] && j != sp->implied) {
                int64_t key = sum_key(g->p[j].v[i], scale);
                code_put(w, sp->w, zz(key - prev[j]));
                prev[j] = key;
            }
        }
    }
    bw_end(w);
}

static int sum_read(BitR *r, const uint8_t *zero, uint32_t k, uint32_t implied, unsigned si,
                    int64_t sum, float *out, uint32_t count)
{
    Widths w;
    int64_t key[GORILLA_GROUP_MAX] = {0};
    double scale = gorilla_int_scales[si];
    if (widths_get(r, &w)) {
        return -1;
    }
    for (uint32_t i = 0; i < count && !r->bad; i++) {
        if (out[i] != out[i]) {
            continue;
        }
        int64_t rest = sum;
        for (uint32_t j = 0; j < k; j++) {
            if (!zero[j] && j != implied) {
                key[j] += unzz(code_get(r, w, NULL));
                if (!(fabs((double)key[j]) < INT_LIMIT)) {
                    return -1;
                }
                rest -= key[j];
            }
        }
        if (!(fabs((double)rest) < INT_LIMIT)) {
            return -1;
        }
        key[implied] = rest;
        for (uint32_t j = 0; j < k; j++) {
            out[(size_t)j * count + i] = zero[j] ? 0.0f : (float)((double)key[j] / scale);
        }
    }
    return br_done(r) ? 0 : -1;
}

/* ---- framing --------------------------------------------------------------------------------- */

size_t gorilla_group_encode(const GorillaPage *p, uint32_t k, size_t limit, uint8_t *out,
                            size_t cap)
{
    Group g = {.p = p, .k = k};
    GroupPlan gp;
    SumPlan sp;
    uint32_t present, implied;
    uint64_t bits;
    int ratio;
    if (group_shape(&g, &present) != 0) {
        return 0;
    }
    if ((ratio = group_plan(&g, present, &gp) == 0)) {
        implied = gp.implied;
        bits = gp.bits;
    } else if (sum_plan(&g, &sp) == 0) {
        implied = sp.implied;
        bits = sp.bits;
    } else {
        return 0;
    }
    uint8_t head[80];
    size_t n = 0;
    head[n++] = (uint8_t)((ratio ? GROUP_BYTE : SUM_BYTE) | (present < p[0].count ? 1 : 0));
    n += gorilla_uv_put(head + n, zz(p[0].first_t));
    n += gorilla_uv_put(head + n, p[0].update_every);
    n += gorilla_uv_put(head + n, p[0].count);
    n += gorilla_uv_put(head + n, k);
    n += gorilla_uv_put(head + n, implied);
    memset(head + n, 0, (k + 7) / 8);
    for (uint32_t j = 0; j < k; j++) {
        head[n + j / 8] |= (uint8_t)(g.zero[j] << (j % 8));
    }
    n += (k + 7) / 8;
    if (!ratio) {
        head[n++] = (uint8_t)sp.si;
        n += gorilla_uv_put(head + n, zz(sp.sum));
    }
    if (n > cap || n + (bits + 7) / 8 >= limit) {
        return 0;
    }
    memcpy(out, head, n);
    if (present < p[0].count) {
        size_t r = gorilla_runs_write(p[0].v, p[0].count, out + n, cap - n);
        if (!r) {
            return 0;
        }
        n += r;
    }
    BitW w = {.p = out + n, .cap = cap - n};
    if (ratio) {
        group_write(&g, &gp, &w);
    } else {
        sum_write(&g, &sp, &w);
    }
    if (w.n > cap - n || n + w.n >= limit) {
        return 0;
    }
    return n + w.n;
}

int gorilla_group_peek(const uint8_t *in, size_t len, GorillaHeader *h, uint32_t *k)
{
    size_t pos = 1;
    uint64_t t, ue, count, members;
    if (len < 1 || ((in[0] & 0xfe) != GROUP_BYTE && (in[0] & 0xfe) != SUM_BYTE)
        || gorilla_uv_get(in, len, &pos, &t)
        || gorilla_uv_get(in, len, &pos, &ue) || gorilla_uv_get(in, len, &pos, &count)
        || gorilla_uv_get(in, len, &pos, &members) || ue < 1 || ue > UINT32_MAX || count < 1
        || count > GORILLA_MAX_POINTS || members < 2 || members > GORILLA_GROUP_MAX) {
        return -1;
    }
    *h = (GorillaHeader){unzz(t), (uint32_t)ue, (uint32_t)count,
                         (in[0] & 0xfe) == GROUP_BYTE ? GORILLA_RATIO : GORILLA_INT};
    *k = (uint32_t)members;
    return 0;
}

/* Decode the bit stream of R into the K member rows of OUT (slot i of member j at
   OUT[j * COUNT + i]; member 0's row already marks the empty slots). */
static int group_read(BitR *r, const uint8_t *zero, uint32_t k, uint32_t implied, float *out,
                      uint32_t count)
{
    Widths wt, wb;
    int64_t pb[GORILLA_GROUP_MAX] = {0}, b[GORILLA_GROUP_MAX];
    if (widths_get(r, &wt) || widths_get(r, &wb)) {
        return -1;
    }
    unsigned len = br_get(r, 5);
    int64_t pt = len ? br_get(r, len) : 0;
    if (len > 21 || pt < 1 || pt > (int64_t)RATIO_TMAX) {
        return -1;
    }
    for (uint32_t i = 0; i < count && !r->bad; i++) {
        if (out[i] != out[i]) {
            continue;
        }
        int esc = 0;
        int64_t t = pt + unzz(code_get(r, wt, &esc));
        if (esc) {
            for (uint32_t j = 0; j < k; j++) {
                uint32_t x = zero[j] ? 0 : br_get(r, 32);
                if ((x & 0x7fffffffu) > 0x7f800000u) {
                    return -1;      /* a NaN would empty one member's slot, not all of them */
                }
                out[(size_t)j * count + i] = bitsf(x);
            }
            continue;
        }
        if (t < 1 || t > (int64_t)RATIO_TMAX) {
            return -1;
        }
        int64_t rest = t;
        for (uint32_t j = 0; j < k; j++) {
            b[j] = 0;
            if (!zero[j] && j != implied) {
                b[j] = gorilla_ratio_predict(pb[j], pt, t) + unzz(code_get(r, wb, NULL));
                if (!(fabs((double)b[j]) < RATIO_BMAX)) {
                    return -1;
                }
                rest -= b[j];
            }
        }
        if (!(fabs((double)rest) < RATIO_BMAX)) {
            return -1;
        }
        b[implied] = rest;
        for (uint32_t j = 0; j < k; j++) {
            out[(size_t)j * count + i] = zero[j] ? 0.0f : gorilla_ratio_value(b[j], t);
            pb[j] = b[j];
        }
        pt = t;
    }
    return br_done(r) ? 0 : -1;
}

int gorilla_group_decode(const uint8_t *in, size_t len, GorillaHeader *h, uint32_t *k,
                         float *out, size_t max)
{
    size_t pos = 1;
    uint64_t skip, implied;
    if (gorilla_group_peek(in, len, h, k) != 0 || (size_t)*k * h->count > max) {
        return -1;
    }
    for (int f = 0; f < 4; f++) {
        gorilla_uv_get(in, len, &pos, &skip);      /* checked by the peek */
    }
    uint32_t count = h->count;
    if (gorilla_uv_get(in, len, &pos, &implied) || implied >= *k || len - pos < (*k + 7) / 8) {
        return -1;
    }
    uint8_t zero[GORILLA_GROUP_MAX];
    for (uint32_t j = 0; j < *k; j++) {
        zero[j] = (in[pos + j / 8] >> (j % 8)) & 1;
    }
    if ((*k % 8 && in[pos + *k / 8] >> (*k % 8)) || zero[implied]) {
        return -1;                  /* stray mask bits; the implied member cannot be zero */
    }
    pos += (*k + 7) / 8;
    int ratio = (in[0] & 0xfe) == GROUP_BYTE;
    uint64_t zsum = 0;
    unsigned si = 0;
    if (!ratio) {
        if (pos >= len || (si = in[pos++]) >= GORILLA_INT_SCALES
            || gorilla_uv_get(in, len, &pos, &zsum) || !(fabs((double)unzz(zsum)) < SUM_MAX)) {
            return -1;
        }
    }
    long present = count;
    if (in[0] & 1) {
        if ((present = gorilla_runs_read(in, len, &pos, out, count)) <= 0 || present == count) {
            return -1;
        }
    } else {
        memset(out, 0, count * sizeof *out);
    }
    for (uint32_t j = 1; j < *k; j++) {
        memcpy(out + (size_t)j * count, out, count * sizeof *out);
    }
    BitR r = {.p = in + pos, .n = len - pos};
    return ratio ? group_read(&r, zero, *k, (uint32_t)implied, out, count)
                 : sum_read(&r, zero, *k, (uint32_t)implied, si, unzz(zsum), out, count);
}

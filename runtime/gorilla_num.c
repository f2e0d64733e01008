/*
** gorilla_num.c - the dbengine page codec's integer modes (byte layout in gorilla.h, helpers in
** gorilla_bits.h): INT codes each value as an integer key (the value times a power of ten or
** two, or the float's bits folded to grow with the value) by zigzag deltas; RATIO codes each
** value as 100 * b / t with integers b and t (what a percentage of two counter deltas is, as
** Netdata's percentage-of-*-row algorithms and streamd's /proc collectors compute it), the
** denominator t by deltas and the numerator b by its distance from the one the previous ratio
** predicts at the new denominator. Both are exact: a value is coded only when its key reads
** back bit-identical; RATIO codes the others raw after an escape. It does not frame pages nor
** pick between modes (gorilla.c does).
*/
#include <math.h>

#include "gorilla_bits.h"

/* ---- the prefix code's widths ---------------------------------------------------------------- */

uint64_t gorilla_code_plan(CodeHist *h, int long_form, Widths *w)
{
    uint64_t *cum = h->cum;
    for (unsigned l = 1; l < CODE_HIST; l++) {
        cum[l] += cum[l - 1];
    }
    uint64_t best = UINT64_MAX, zero = cum[1], all = cum[CODE_HIST - 1];
    unsigned top = 1;               /* the longest value; wider classes only cost more */
    while (top < CODE_WIDTH_MAX && cum[top + 1] != all) {
        top++;
    }
    unsigned amax = top < CODE_WIDTH_MAX - 2 ? top : CODE_WIDTH_MAX - 2;
    *w = (Widths){CODE_WIDTH_MAX - 2, CODE_WIDTH_MAX - 1, CODE_WIDTH_MAX};
    for (unsigned a = 1; a <= amax; a++) {
        uint64_t ca = (cum[a + 1] - zero) * (2 + a);
        for (unsigned b = a + 1; b <= amax + 1 && ca < best; b++) {
            uint64_t cb = ca + (cum[b + 1] - cum[a + 1]) * (3 + b);
            for (unsigned c = b + 1; c <= amax + 2 && cb < best; c++) {
                if (!long_form && cum[c + 1] != all) {
                    continue;               /* C must cover every length */
                }
                uint64_t bits = zero + cb + (cum[c + 1] - cum[b + 1]) * (4 + c)
                              + (all - cum[c + 1]) * (4 + CODE_LONG);
                if (bits < best) {
                    best = bits;
                    *w = (Widths){a, b, c};
                }
            }
        }
    }
    return best == UINT64_MAX ? UINT64_MAX / 4 : best;    /* no widths fit: never chosen */
}

/* ---- INT ------------------------------------------------------------------------------------- */

#define INT_FBITS 15u               /* the "scale" coding the float bits themselves */
#define INT_DOD 0x10u               /* in the scale byte: second differences (format 2) */

/* Candidate scales, smallest first (a smaller scale gives smaller integers). */
const double gorilla_int_scales[GORILLA_INT_SCALES] = {1,    2,    4,     8,      10,     16,
                                                       100,  1000, 1024,  10000,  100000, 1000000};
#define int_scales gorilla_int_scales
#define NSCALES GORILLA_INT_SCALES

static double int_value(int64_t i, unsigned si)
{
    return (double)i / int_scales[si];
}

/* The first scale under which every present value is an integer below 2^31 that reads back
   bit-identical, or -1. */
static int int_scale(const float *v, uint32_t count)
{
    for (unsigned si = 0; si < NSCALES; si++) {
        uint32_t i = 0;
        for (; i < count; i++) {
            if (v[i] != v[i]) {
                continue;
            }
            double m = (double)v[i] * int_scales[si];
            if (!(fabs(m) < INT_LIMIT - 1)) {     /* so the rounded integer is below 2^31 */
                break;
            }
            if (fbits((float)int_value(llrint(m), si)) != fbits(v[i])) {
                break;
            }
        }
        if (i == count) {
            return (int)si;
        }
    }
    return -1;
}

/* The float's bits as an integer that grows with the value (sign-magnitude folded), so that
   close values have small deltas even across a power of two, where XOR is expensive. */
static uint32_t mono(uint32_t x)
{
    return (x & 0x80000000u) ? ~x : x | 0x80000000u;
}

static uint32_t unmono(uint32_t m)
{
    return (m & 0x80000000u) ? m & 0x7fffffffu : ~m;
}

static int64_t int_key(float v, unsigned si)
{
    return si == INT_FBITS ? (int64_t)mono(fbits(v)) : llrint((double)v * int_scales[si]);
}

/* Bytes of the INT stream at scale SI with its cheapest widths (*W), parameters included;
   DOD: code second differences (a counter's steady step costs nothing) instead of deltas. */
static size_t int_size(const float *v, uint32_t count, unsigned si, int dod, Widths *w)
{
    CodeHist h = {{0}};
    int64_t prev = 0, step = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (v[i] == v[i]) {
            int64_t k = int_key(v[i], si), d = k - prev;
            code_count(&h, zz(dod ? d - step : d));
            prev = k;
            step = d;
        }
    }
    return (size_t)((gorilla_code_plan(&h, 1, w) + 7) / 8) + 4;
}

size_t gorilla_int_plan(const float *v, uint32_t count, size_t limit, IntPlan *p)
{
    size_t best = SIZE_MAX, n;
    Widths w;
    int si = int_scale(v, count);
    for (int dod = 0; dod < 2; dod++) {
        if (si >= 0 && (n = int_size(v, count, (unsigned)si, dod, &w)) < limit) {
            best = limit = n;
            *p = (IntPlan){(unsigned)si, w, dod};
        }
        if ((n = int_size(v, count, INT_FBITS, dod, &w)) < limit) {
            best = limit = n;
            *p = (IntPlan){INT_FBITS, w, dod};
        }
    }
    return best;
}

void gorilla_int_write(const float *v, uint32_t count, const IntPlan *p, BitW *w)
{
    int64_t prev = 0, step = 0;
    bw_put(w, p->si | (p->dod ? INT_DOD : 0), 8);
    widths_put(w, p->w);
    for (uint32_t i = 0; i < count; i++) {
        if (v[i] == v[i]) {
            int64_t k = int_key(v[i], p->si), d = k - prev;
            code_put(w, p->w, zz(p->dod ? d - step : d));
            prev = k;
            step = d;
        }
    }
    bw_end(w);
}

/* OUT: NAN for empty slots, anything else for the present ones (overwritten). */
int gorilla_int_read(BitR *r, float *out, uint32_t count)
{
    unsigned si = br_get(r, 8), dod = si & INT_DOD;
    Widths tab;
    si &= ~INT_DOD;
    if (widths_get(r, &tab) || (si >= NSCALES && si != INT_FBITS)) {
        return -1;
    }
    int64_t k = 0, step = 0;
    for (uint32_t i = 0; i < count && !r->bad; i++) {
        if (out[i] != out[i]) {
            continue;
        }
        int64_t z = unzz(code_get(r, tab, NULL));
        if (dod) {
            z += step;              /* keys stay below 2^32 (checked), so no overflow */
            step = z;
        }
        k += z;
        if (si == INT_FBITS) {
            if (k < 0 || k > (int64_t)UINT32_MAX) {
                return -1;
            }
            out[i] = bitsf(unmono((uint32_t)k));
            continue;
        }
        if (k <= -(int64_t)INT_LIMIT || k >= (int64_t)INT_LIMIT) {
            return -1;
        }
        out[i] = (float)int_value(k, si);
    }
    return br_done(r) ? 0 : -1;
}

/* ---- RATIO ------------------------------------------------------------------------------------
** Value = (float)(100.0 * b / t), b and t integers, 1 <= t <= RATIO_TMAX, |b| < 2^31 - 1:
** the expression (and its double rounding) of the collectors, so a collected percentage comes
** back bit-identical. Per present value, in the bit stream after the parameters (widths of the t
** code, widths of the b code, t0 as 5 bits of length + its bits):
**   code(zigzag(t - previous t)) then code(zigzag(b - predicted b)), where predicted b =
**   llrint(previous b * t / previous t) (0 and t0 before the first value), or '1111' (the
**   t code's escape) + the 32 bits of the float; an escape leaves the previous t and b as they
**   were. The encoder keeps t steady: the previous t when it fits, else a neighbour, else a
**   multiple of the value's smallest denominator (continued fractions) nearest to it. */
#define RATIO_SEARCH 4096u          /* largest smallest-denominator the encoder looks for:
                                       above ~2^12 nearly every float is such a ratio */
#define RATIO_T0_VALUES 16u         /* t0 = the largest denominator of the first values */
#define RATIO_PROBE 64u             /* plan: check the running cost every so many values */
#define ESC_BITS (4u + 32u)

float gorilla_ratio_value(int64_t b, int64_t t)
{
    return (float)(100.0 * (double)b / (double)t);
}

/* B for denominator T when 100 * B / T gives back the float of bits X exactly. */
int gorilla_ratio_fits(uint32_t x, double v, int64_t t, int64_t *b)
{
    double m = v * (double)t * 0.01;          /* a guess of B; the check below decides */
    if (!(fabs(m) < RATIO_BMAX)) {
        return 0;
    }
    int64_t k = llrint(m);
    if (fbits(gorilla_ratio_value(k, t)) != x) {
        return 0;
    }
    *b = k;
    return 1;
}

/* The smallest denominator (<= RATIO_SEARCH) of F, or 0: the first convergent of |F| / 100
   that fits, then the smallest semiconvergent before it that still fits (they approach it
   monotonically, so a binary search finds it). */
uint32_t gorilla_ratio_den(float f)
{
    uint32_t x = fbits(f);
    double v = (double)f, y = fabs(v) / 100.0;
    int64_t q0 = 1, q1 = 0, b;
    for (int k = 0; k < 48 && y < 1e12; k++) {
        int64_t a = (int64_t)floor(y), lo = 1, hi = a;
        if (q1 && a > (int64_t)(RATIO_SEARCH - q0) / q1) {
            hi = (int64_t)(RATIO_SEARCH - q0) / q1;      /* the largest that is in range */
        }
        if (hi >= 1 || !q1) {
            int64_t qh = q1 ? hi * q1 + q0 : 1;
            if (gorilla_ratio_fits(x, v, qh, &b)) {
                while (q1 && lo < hi) {
                    int64_t mid = lo + (hi - lo) / 2;
                    if (gorilla_ratio_fits(x, v, mid * q1 + q0, &b)) {
                        hi = mid;
                    } else {
                        lo = mid + 1;
                    }
                }
                return (uint32_t)(q1 ? hi * q1 + q0 : 1);
            }
        }
        if (hi < a) {
            return 0;                       /* the next convergents are out of range */
        }
        int64_t q2 = a * q1 + q0;
        q0 = q1;
        q1 = q2;
        double frac = y - (double)a;
        if (!(frac > 0)) {
            return 0;
        }
        y = 1.0 / frac;
    }
    return 0;
}

typedef struct RatioState {
    int64_t t, b;
} RatioState;

int64_t gorilla_ratio_predict(int64_t b, int64_t pt, int64_t t)
{
    double p = (double)b * (double)t / (double)pt;
    return fabs(p) < RATIO_BMAX ? llrint(p) : 0;
}

static int64_t ratio_predict(const RatioState *s, int64_t t)
{
    return gorilla_ratio_predict(s->b, s->t, t);
}

/* The (t, b) the encoder codes F with, from state S; 0 when F goes raw. */
static int ratio_pick(float f, const RatioState *s, RatioState *o)
{
    static const int8_t near[] = {0, 1, -1, 2, -2};
    uint32_t x = fbits(f);
    double v = (double)f;
    for (unsigned k = 0; k < sizeof near; k++) {
        int64_t t = s->t + near[k];
        if (t >= 1 && t <= (int64_t)RATIO_TMAX && gorilla_ratio_fits(x, v, t, &o->b)) {
            o->t = t;
            return 1;
        }
    }
    int64_t d = gorilla_ratio_den(f);
    if (!d) {
        return 0;
    }
    int64_t m = llrint((double)s->t / (double)d);
    o->t = m > 1 && m * d <= (int64_t)RATIO_TMAX ? m * d : d;
    if (gorilla_ratio_fits(x, v, o->t, &o->b)) {
        return 1;
    }
    o->t = d;
    return gorilla_ratio_fits(x, v, d, &o->b);
}

/* t0: the largest smallest-denominator among the first present values (0: none is a ratio). */
static uint32_t ratio_t0(const float *v, uint32_t count)
{
    uint32_t t0 = 0, seen = 0;
    for (uint32_t i = 0; i < count && seen < RATIO_T0_VALUES; i++) {
        if (v[i] == v[i]) {
            uint32_t d = gorilla_ratio_den(v[i]);
            t0 = d > t0 ? d : t0;
            seen++;
        }
    }
    return t0;
}

size_t gorilla_ratio_plan(const float *v, uint32_t count, size_t limit, RatioPlan *p)
{
    uint32_t t0 = ratio_t0(v, count), present = 0, seen = 0;
    if (!t0) {
        return SIZE_MAX;
    }
    for (uint32_t i = 0; i < count; i++) {
        present += v[i] == v[i];
    }
    CodeHist ht = {{0}}, hb = {{0}};
    RatioState s = {t0, 0}, o;
    uint64_t floor_bits = 0, esc = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (v[i] != v[i]) {
            continue;
        }
        if (ratio_pick(v[i], &s, &o)) {
            uint64_t zt = zz(o.t - s.t), zb = zz(o.b - ratio_predict(&s, o.t));
            code_count(&ht, zt);
            code_count(&hb, zb);
            floor_bits += code_floor(zt) + code_floor(zb);
            s = o;
        } else {
            esc++;
            floor_bits += ESC_BITS;
        }
        /* give up once even the cheapest widths would not beat LIMIT at this pace */
        if (++seen % RATIO_PROBE == 0 && floor_bits * present / seen >= 8 * (uint64_t)limit) {
            return SIZE_MAX;
        }
    }
    p->t0 = t0;
    uint64_t bits = 6 * 8 + 5 + bit_len(t0) + gorilla_code_plan(&ht, 0, &p->wt)
                  + gorilla_code_plan(&hb, 1, &p->wb) + esc * ESC_BITS;
    size_t bytes = (size_t)((bits + 7) / 8);
    return bytes < limit ? bytes : SIZE_MAX;
}

void gorilla_ratio_write(const float *v, uint32_t count, const RatioPlan *p, BitW *w)
{
    RatioState s = {p->t0, 0}, o;
    widths_put(w, p->wt);
    widths_put(w, p->wb);
    bw_put(w, bit_len(p->t0), 5);
    bw_put(w, p->t0, bit_len(p->t0));
    for (uint32_t i = 0; i < count; i++) {
        if (v[i] != v[i]) {
            continue;
        }
        if (ratio_pick(v[i], &s, &o)) {
            code_put(w, p->wt, zz(o.t - s.t));
            code_put(w, p->wb, zz(o.b - ratio_predict(&s, o.t)));
            s = o;
        } else {
            bw_put(w, 15, 4);
            bw_put(w, fbits(v[i]), 32);
        }
    }
    bw_end(w);
}

int gorilla_ratio_read(BitR *r, float *out, uint32_t count)
{
    Widths wt, wb;
    if (widths_get(r, &wt) || widths_get(r, &wb)) {
        return -1;
    }
    unsigned len = br_get(r, 5);
    RatioState s = {len ? br_get(r, len) : 0, 0};
    if (len > 21 || s.t < 1 || s.t > (int64_t)RATIO_TMAX) {
        return -1;
    }
    for (uint32_t i = 0; i < count && !r->bad; i++) {
        if (out[i] != out[i]) {
            continue;
        }
        int esc = 0;
        int64_t t = s.t + unzz(code_get(r, wt, &esc));
        if (esc) {
            out[i] = bitsf(br_get(r, 32));
            continue;
        }
        if (t < 1 || t > (int64_t)RATIO_TMAX) {
            return -1;
        }
        int64_t b = ratio_predict(&s, t) + unzz(code_get(r, wb, NULL));
        if (!(fabs((double)b) < RATIO_BMAX)) {
            return -1;
        }
        out[i] = gorilla_ratio_value(b, t);
        s = (RatioState){t, b};
    }
    return br_done(r) ? 0 : -1;
}

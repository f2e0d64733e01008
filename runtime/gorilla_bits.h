/*
** gorilla_bits.h - internals of the dbengine page codec, shared by its two files (not an
** interface for anything else; gorilla.h is):
**   gorilla.c      page framing (header, empty-slot runs), mode choice, CONST/XOR/RAW
**   gorilla_num.c  the modes that code integers: INT (scaled integers or float bits) and RATIO
**                  (percentages 100 * b / t of integers)
** Here: the MSB-first bit writer and bounds-checked reader, zigzag, float bits, and the
** four-class prefix code both integer modes use for zigzag deltas.
*/
#ifndef STREAMC_GORILLA_BITS_H
#define STREAMC_GORILLA_BITS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* ---- bit writer: MSB first; counts bytes even past CAP (CAP 0 = a dry run) ------------------- */

typedef struct BitW {
    uint8_t *p;
    size_t cap, n;
    uint64_t acc;
    unsigned nb;
} BitW;

static inline void bw_put(BitW *w, uint64_t v, unsigned bits)   /* bits 1..32, v < 2^bits */
{
    w->acc = (w->acc << bits) | v;
    w->nb += bits;
    while (w->nb >= 8) {
        w->nb -= 8;
        if (w->n < w->cap) {
            w->p[w->n] = (uint8_t)(w->acc >> w->nb);
        }
        w->n++;
    }
}

static inline void bw_end(BitW *w)
{
    if (w->nb) {
        bw_put(w, 0, 8 - w->nb);
    }
}

/* ---- bit reader over untrusted bytes: past the end it sets BAD and reads zeros -------------- */

typedef struct BitR {
    const uint8_t *p;
    size_t n, pos;
    uint64_t acc;
    unsigned nb;
    int bad;
} BitR;

static inline uint32_t br_get(BitR *r, unsigned bits)          /* bits 1..32 */
{
    while (r->nb < bits) {
        if (r->pos >= r->n) {
            r->bad = 1;
            return 0;
        }
        r->acc = (r->acc << 8) | r->p[r->pos++];
        r->nb += 8;
    }
    r->nb -= bits;
    return (uint32_t)((r->acc >> r->nb) & ((1ull << bits) - 1));
}

/* The stream ended exactly: every byte used, padding bits zero. */
static inline int br_done(const BitR *r)
{
    return !r->bad && r->pos == r->n && (r->acc & ((1ull << r->nb) - 1)) == 0;
}

/* ---- numbers --------------------------------------------------------------------------------- */

static inline uint64_t zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t unzz(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline uint32_t fbits(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    return x;
}

static inline float bitsf(uint32_t x)
{
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

static inline unsigned bit_len(uint64_t z)
{
    return z ? 64 - (unsigned)__builtin_clzll(z) : 0;
}

/* ---- the prefix code of zigzag deltas --------------------------------------------------------
** A value z of bit length L is '0' (z = 0), '10' + A bits, '110' + B bits, '1110' + C bits, or
** '1111' + 34 bits (the long form; a stream without it uses '1111' as its own escape). The
** widths (1 <= A < B < C <= CODE_WIDTH_MAX) travel with the page, chosen per page as the
** cheapest for its values. */
#define CODE_WIDTH_MAX 30u
#define CODE_LONG 34u
#define CODE_HIST 36u              /* bit lengths 0..34, plus one */

typedef struct Widths {
    unsigned a, b, c;
} Widths;

/* Histogram of bit lengths: cum[l + 1] counts the values of length l (gorilla_code_plan turns
   it into prefix sums). */
typedef struct CodeHist {
    uint64_t cum[CODE_HIST];
} CodeHist;

static inline void code_count(CodeHist *h, uint64_t z)
{
    h->cum[bit_len(z) + 1]++;
}

/* The fewest bits any widths give Z (a plan's estimate before the widths are chosen). */
static inline uint64_t code_floor(uint64_t z)
{
    return z ? bit_len(z) + 2 : 1;
}

static inline void code_put(BitW *w, Widths t, uint64_t z)
{
    unsigned len = bit_len(z);
    if (len == 0) {
        bw_put(w, 0, 1);
    } else if (len <= t.a) {
        bw_put(w, (2ull << t.a) | z, 2 + t.a);
    } else if (len <= t.b) {
        bw_put(w, (6ull << t.b) | z, 3 + t.b);
    } else if (len <= t.c) {
        bw_put(w, (14ull << t.c) | z, 4 + t.c);
    } else {
        bw_put(w, (15u << 2) | (z >> 32), 6);
        bw_put(w, z & 0xffffffffu, 32);
    }
}

/* The next value; *ESC (when not NULL) is set for '1111', which then has nothing after it. */
static inline uint64_t code_get(BitR *r, Widths t, int *esc)
{
    if (!br_get(r, 1)) {
        return 0;
    }
    if (!br_get(r, 1)) {
        return br_get(r, t.a);
    }
    if (!br_get(r, 1)) {
        return br_get(r, t.b);
    }
    if (!br_get(r, 1)) {
        return br_get(r, t.c);
    }
    if (esc) {
        *esc = 1;
        return 0;
    }
    uint64_t z = (uint64_t)br_get(r, 2) << 32;
    return z | br_get(r, 32);
}

static inline void widths_put(BitW *w, Widths t)
{
    bw_put(w, t.a, 8);
    bw_put(w, t.b, 8);
    bw_put(w, t.c, 8);
}

/* Widths read back; -1 when they break 1 <= A < B < C <= CODE_WIDTH_MAX. */
static inline int widths_get(BitR *r, Widths *t)
{
    t->a = br_get(r, 8);
    t->b = br_get(r, 8);
    t->c = br_get(r, 8);
    return t->a < 1 || t->b <= t->a || t->c <= t->b || t->c > CODE_WIDTH_MAX ? -1 : 0;
}

/* gorilla_num.c: the cheapest widths for the values counted in H into *W; returns their bits.
   LONG 0: no long form, so C must cover every length counted (the caller's escapes are priced
   by the caller). */
uint64_t gorilla_code_plan(CodeHist *h, int long_form, Widths *w);

/* ---- gorilla.c: header varints and the empty-slot runs, shared with gorilla_group.c --------- */

size_t gorilla_uv_put(uint8_t *p, uint64_t v);                              /* LEB128 */
int gorilla_uv_get(const uint8_t *p, size_t len, size_t *pos, uint64_t *v);  /* 0 or -1 */
/* Runs of present/empty slots of V (NaN = empty), as gorilla.h lays them out: bytes, or 0 when
   CAP is too small. */
size_t gorilla_runs_write(const float *v, uint32_t count, uint8_t *out, size_t cap);
/* Marks OUT: NAN for empty slots, 0 for present ones. Returns the present count or -1. */
long gorilla_runs_read(const uint8_t *in, size_t len, size_t *pos, float *out, uint32_t count);

/* ---- the integer modes (gorilla_num.c); each bit stream starts with its own parameters ------ */

typedef struct IntPlan {
    unsigned si;                    /* scale index, or INT_FBITS */
    Widths w;
    int dod;                        /* second differences instead of deltas */
} IntPlan;

typedef struct RatioPlan {
    uint32_t t0;                    /* the denominator the first search starts from */
    Widths wt, wb;                  /* codes of denominator deltas and numerator residuals */
} RatioPlan;

/* INT's scales (a key is v * scale) and the bound of a key's magnitude; shared with the SUM
   groups of gorilla_group.c. */
#define GORILLA_INT_SCALES 12u
#define INT_LIMIT 2147483648.0      /* |v * scale| below 2^31: deltas fit 33 bits */
extern const double gorilla_int_scales[GORILLA_INT_SCALES];

/* Bytes of the INT mode's stream for the present values of V[0..COUNT) with its best key (*P:
   an exact scale, else the float bits), or SIZE_MAX when neither is below LIMIT bytes. */
size_t gorilla_int_plan(const float *v, uint32_t count, size_t limit, IntPlan *p);
void gorilla_int_write(const float *v, uint32_t count, const IntPlan *p, BitW *w);
int gorilla_int_read(BitR *r, float *out, uint32_t count);

/* The same for the RATIO mode; SIZE_MAX when it does not apply or is not below LIMIT (it gives
   up early on values that are not such ratios, so trying it is cheap). */
size_t gorilla_ratio_plan(const float *v, uint32_t count, size_t limit, RatioPlan *p);
void gorilla_ratio_write(const float *v, uint32_t count, const RatioPlan *p, BitW *w);
int gorilla_ratio_read(BitR *r, float *out, uint32_t count);

/* RATIO's arithmetic, shared with gorilla_group.c: the value of (B, T); whether the float of
   bits X (value V) is such a value with denominator T (*B its numerator); its smallest
   denominator up to 4,096 (0: none); the numerator the previous (B, PT) predicts at T. */
#define RATIO_TMAX (1u << 20)       /* bound of t (checked when decoding) */
#define RATIO_BMAX 2147483647.0     /* bound of |b| */
float gorilla_ratio_value(int64_t b, int64_t t);
int gorilla_ratio_fits(uint32_t x, double v, int64_t t, int64_t *b);
uint32_t gorilla_ratio_den(float f);
int64_t gorilla_ratio_predict(int64_t b, int64_t pt, int64_t t);

#endif

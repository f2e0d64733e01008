/*
** gorilla.c - the dbengine page codec (gorilla.h has the byte layout). Encoding measures each
** candidate value encoding with a dry run of the same bit writer (no output, only a count),
** then writes the smallest; decoding reads untrusted bytes through bounds-checked readers and
** refuses anything that is not exactly one well-formed page.
*/
#include "gorilla.h"

#include <math.h>
#include <string.h>

#define HDR_MAX 19u                 /* mode byte + three varints */
#define INT_LIMIT 2147483648.0      /* |v * scale| below 2^31: deltas fit 33 bits */

/* Candidate scales of the INT mode, smallest first (a smaller scale gives smaller integers). */
static const double int_scales[] = {1, 2, 4, 8, 10, 16, 100, 1000, 1024, 10000, 100000, 1000000};
#define NSCALES (sizeof int_scales / sizeof int_scales[0])
#define SCALE_FBITS 15u             /* INT "scale" coding the float bits themselves */

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

static void bw_end(BitW *w)
{
    if (w->nb) {
        bw_put(w, 0, 8 - w->nb);
    }
}

/* ---- bit reader over untrusted bytes --------------------------------------------------------- */

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
static int br_done(const BitR *r)
{
    return !r->bad && r->pos == r->n && (r->acc & ((1ull << r->nb) - 1)) == 0;
}

/* ---- varints --------------------------------------------------------------------------------- */

static size_t put_uv(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static int get_uv(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*pos >= len) {
            return -1;
        }
        uint8_t b = p[(*pos)++];
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static uint64_t zz(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static int64_t unzz(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static void put_le32(uint8_t *p, uint32_t x)
{
    p[0] = (uint8_t)x;
    p[1] = (uint8_t)(x >> 8);
    p[2] = (uint8_t)(x >> 16);
    p[3] = (uint8_t)(x >> 24);
}

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t fbits(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    return x;
}

static float bitsf(uint32_t x)
{
    float f;
    memcpy(&f, &x, sizeof f);
    return f;
}

/* ---- value encodings (over the present slots only: NaN slots are skipped) -------------------- */

static void xor_write(const float *v, uint32_t count, BitW *w)
{
    uint32_t prev = 0;
    unsigned pl = 33, pt = 0;               /* previous window; pl 33 = none yet */
    int first = 1;
    for (uint32_t i = 0; i < count; i++) {
        if (v[i] != v[i]) {
            continue;
        }
        uint32_t x = fbits(v[i]);
        if (first) {
            bw_put(w, x, 32);
            prev = x;
            first = 0;
            continue;
        }
        uint32_t d = x ^ prev;
        prev = x;
        if (!d) {
            bw_put(w, 0, 1);
            continue;
        }
        unsigned l = (unsigned)__builtin_clz(d), t = (unsigned)__builtin_ctz(d);
        if (pl <= 32 && l >= pl && t >= pt) {
            bw_put(w, 2, 2);
            bw_put(w, d >> pt, 32 - pl - pt);
        } else {
            unsigned len = 32 - l - t;
            bw_put(w, (3u << 10) | (l << 5) | (len - 1), 12);
            bw_put(w, d >> t, len);
            pl = l;
            pt = t;
        }
    }
    bw_end(w);
}

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
            int64_t k = llrint(m);
            if (fbits((float)int_value(k, si)) != fbits(v[i])) {
                break;
            }
        }
        if (i == count) {
            return (int)si;
        }
    }
    return -1;
}

/* The INT mode's prefix code for a zigzag delta z of bit length L: '0' (z = 0), '10' + A bits,
   '110' + B bits, '1110' + C bits or '1111' + 34 bits. The page carries its widths
   (1 <= A < B < C <= WIDTH_MAX), chosen by the encoder as the cheapest for its deltas. */
#define WIDTH_MAX 30u

typedef struct Widths {
    unsigned a, b, c;
} Widths;

static unsigned bit_len(uint64_t z)
{
    return z ? 64 - (unsigned)__builtin_clzll(z) : 0;
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

/* The integer the INT mode codes for V at scale SI (SCALE_FBITS: mono of its bits). */
static int64_t int_key(float v, unsigned si)
{
    return si == SCALE_FBITS ? (int64_t)mono(fbits(v)) : llrint((double)v * int_scales[si]);
}

/* Bytes of the INT encoding at scale SI with its cheapest widths (*W), the 4 bytes of scale and
   widths included. Every (A, B, C) is tried in O(1) over prefix sums of the bit lengths. */
static size_t int_plan(const float *v, uint32_t count, unsigned si, Widths *w)
{
    uint64_t cum[36] = {0};         /* cum[l] = deltas of bit length < l */
    int64_t prev = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (v[i] == v[i]) {
            int64_t k = int_key(v[i], si);
            cum[bit_len(zz(k - prev)) + 1]++;
            prev = k;
        }
    }
    for (unsigned l = 1; l < 36; l++) {
        cum[l] += cum[l - 1];
    }
    uint64_t best = UINT64_MAX, zero = cum[1], all = cum[35];
    for (unsigned a = 1; a <= WIDTH_MAX - 2; a++) {
        uint64_t ca = (cum[a + 1] - zero) * (2 + a);
        for (unsigned b = a + 1; b <= WIDTH_MAX - 1 && ca < best; b++) {
            uint64_t cb = ca + (cum[b + 1] - cum[a + 1]) * (3 + b);
            for (unsigned c = b + 1; c <= WIDTH_MAX && cb < best; c++) {
                uint64_t bits = zero + cb + (cum[c + 1] - cum[b + 1]) * (4 + c)
                              + (all - cum[c + 1]) * 38;
                if (bits < best) {
                    best = bits;
                    *w = (Widths){a, b, c};
                }
            }
        }
    }
    return (size_t)((best + 7) / 8) + 4;
}

static void int_write(const float *v, uint32_t count, unsigned si, Widths tab, BitW *w)
{
    int64_t prev = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (v[i] != v[i]) {
            continue;
        }
        int64_t k = int_key(v[i], si);
        uint64_t z = zz(k - prev);
        unsigned len = bit_len(z);
        prev = k;
        if (len == 0) {
            bw_put(w, 0, 1);
        } else if (len <= tab.a) {
            bw_put(w, (2ull << tab.a) | z, 2 + tab.a);
        } else if (len <= tab.b) {
            bw_put(w, (6ull << tab.b) | z, 3 + tab.b);
        } else if (len <= tab.c) {
            bw_put(w, (14ull << tab.c) | z, 4 + tab.c);
        } else {
            bw_put(w, (15u << 2) | (z >> 32), 6);
            bw_put(w, z & 0xffffffffu, 32);
        }
    }
    bw_end(w);
}

/* ---- encode ---------------------------------------------------------------------------------- */

size_t gorilla_bound(uint32_t count)
{
    return HDR_MAX + 4 + 7 * (size_t)count + 1;
}

static size_t write_runs(const float *v, uint32_t count, uint8_t *out, size_t cap)
{
    uint8_t tmp[10];
    size_t n = 0, nruns = 0;
    /* two passes: count the runs, then write them */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            size_t k = put_uv(tmp, nruns);
            if (n + k > cap) {
                return 0;
            }
            memcpy(out + n, tmp, k);
            n += k;
        }
        int empty = 0;
        uint32_t run = 0;
        for (uint32_t i = 0; i <= count; i++) {
            int e = i < count ? v[i] != v[i] : !empty;
            if (i < count && e == empty) {
                run++;
                continue;
            }
            if (pass == 0) {
                nruns++;
            } else {
                size_t k = put_uv(tmp, run);
                if (n + k > cap) {
                    return 0;
                }
                memcpy(out + n, tmp, k);
                n += k;
            }
            empty = e;
            run = 1;
        }
    }
    return n;
}

size_t gorilla_encode(const GorillaPage *p, uint8_t *out, size_t cap)
{
    if (!p->count || p->count > GORILLA_MAX_POINTS || !p->update_every || cap < HDR_MAX) {
        return 0;
    }
    const float *v = p->v;
    uint32_t present = 0, c0 = 0;
    int same = 1;
    for (uint32_t i = 0; i < p->count; i++) {
        if (v[i] != v[i]) {
            continue;
        }
        if (!present) {
            c0 = fbits(v[i]);
        } else if (fbits(v[i]) != c0) {
            same = 0;
        }
        present++;
    }
    int mode = GORILLA_RAW, si = -1;
    Widths widths = {0};
    size_t vbytes = 4 * (size_t)present;
    if (!present) {
        mode = GORILLA_EMPTY;
        vbytes = 0;
    } else if (same) {
        mode = GORILLA_CONST;
        vbytes = 4;
    } else {
        BitW dry = {0};
        xor_write(v, p->count, &dry);
        if (dry.n < vbytes) {
            mode = GORILLA_XOR;
            vbytes = dry.n;
        }
        size_t ib;
        Widths w2;
        int s2 = int_scale(v, p->count);
        if (s2 >= 0 && (ib = int_plan(v, p->count, (unsigned)s2, &w2)) < vbytes) {
            mode = GORILLA_INT;
            vbytes = ib;
            si = s2;
            widths = w2;
        }
        if ((ib = int_plan(v, p->count, SCALE_FBITS, &w2)) < vbytes) {
            mode = GORILLA_INT;
            vbytes = ib;
            si = SCALE_FBITS;
            widths = w2;
        }
    }
    size_t n = 0;
    out[n++] = (uint8_t)(mode << 4 | (present < p->count ? 1 : 0));
    n += put_uv(out + n, zz(p->first_t));
    n += put_uv(out + n, p->update_every);
    n += put_uv(out + n, p->count);
    if (present < p->count) {
        size_t k = write_runs(v, p->count, out + n, cap - n);
        if (!k) {
            return 0;
        }
        n += k;
    }
    if (vbytes > cap - n) {
        return 0;
    }
    BitW w = {.p = out + n, .cap = cap - n};
    switch (mode) {
    case GORILLA_CONST:
        put_le32(out + n, c0);
        break;
    case GORILLA_XOR:
        xor_write(v, p->count, &w);
        break;
    case GORILLA_INT:
        out[n] = (uint8_t)si;
        out[n + 1] = (uint8_t)widths.a;
        out[n + 2] = (uint8_t)widths.b;
        out[n + 3] = (uint8_t)widths.c;
        w.p += 4;
        w.cap -= 4;
        int_write(v, p->count, (unsigned)si, widths, &w);
        break;
    case GORILLA_RAW:
        for (uint32_t i = 0, j = 0; i < p->count; i++) {
            if (v[i] == v[i]) {
                put_le32(out + n + 4 * j++, fbits(v[i]));
            }
        }
        break;
    default:
        break;
    }
    return n + vbytes;
}

/* ---- decode ---------------------------------------------------------------------------------- */

static int parse_header(const uint8_t *in, size_t len, GorillaHeader *h, size_t *pos)
{
    uint64_t t, ue, count;
    if (len < 1) {
        return -1;
    }
    *pos = 1;
    h->mode = in[0] >> 4;
    if ((in[0] & 0x0e) || h->mode >= GORILLA_MODES
        || get_uv(in, len, pos, &t) || get_uv(in, len, pos, &ue) || get_uv(in, len, pos, &count)
        || ue < 1 || ue > UINT32_MAX || count < 1 || count > GORILLA_MAX_POINTS) {
        return -1;
    }
    h->first_t = unzz(t);
    h->update_every = (uint32_t)ue;
    h->count = (uint32_t)count;
    return 0;
}

int gorilla_peek(const uint8_t *in, size_t len, GorillaHeader *h)
{
    size_t pos;
    return parse_header(in, len, h, &pos);
}

/* Marks OUT: NAN for empty slots, 0 for present ones. Returns the present count or -1. */
static long read_runs(const uint8_t *in, size_t len, size_t *pos, float *out, uint32_t count)
{
    uint64_t nruns, run;
    if (get_uv(in, len, pos, &nruns) || nruns > (uint64_t)count + 1) {
        return -1;
    }
    uint32_t at = 0;
    long present = 0;
    for (uint64_t r = 0; r < nruns; r++) {
        if (get_uv(in, len, pos, &run) || run > count - at) {
            return -1;
        }
        float fill = (r & 1) ? NAN : 0.0f;
        for (uint32_t i = 0; i < run; i++) {
            out[at + i] = fill;
        }
        present += (r & 1) ? 0 : (long)run;
        at += (uint32_t)run;
    }
    return at == count ? present : -1;
}

static int xor_read(BitR *r, float *out, uint32_t count)
{
    uint32_t x = 0;
    unsigned pl = 33, pt = 0;
    int first = 1;
    for (uint32_t i = 0; i < count && !r->bad; i++) {
        if (out[i] != out[i]) {
            continue;
        }
        if (first) {
            x = br_get(r, 32);
            first = 0;
        } else if (br_get(r, 1)) {
            if (!br_get(r, 1)) {
                if (pl > 32) {
                    return -1;
                }
                x ^= br_get(r, 32 - pl - pt) << pt;
            } else {
                unsigned l = br_get(r, 5), len = br_get(r, 5) + 1;
                if (l + len > 32) {
                    return -1;
                }
                pl = l;
                pt = 32 - l - len;
                x ^= br_get(r, len) << pt;
            }
        }
        out[i] = bitsf(x);
    }
    return br_done(r) ? 0 : -1;
}

static int int_read(BitR *r, float *out, uint32_t count, unsigned si, Widths tab)
{
    int64_t k = 0;
    for (uint32_t i = 0; i < count && !r->bad; i++) {
        if (out[i] != out[i]) {
            continue;
        }
        uint64_t z = 0;
        if (br_get(r, 1)) {
            if (!br_get(r, 1)) {
                z = br_get(r, tab.a);
            } else if (!br_get(r, 1)) {
                z = br_get(r, tab.b);
            } else if (!br_get(r, 1)) {
                z = br_get(r, tab.c);
            } else {
                z = (uint64_t)br_get(r, 2) << 32;
                z |= br_get(r, 32);
            }
        }
        k += unzz(z);
        if (si == SCALE_FBITS) {
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

int gorilla_decode(const uint8_t *in, size_t len, GorillaHeader *h, float *out, uint32_t max)
{
    size_t pos;
    if (parse_header(in, len, h, &pos) || h->count > max) {
        return -1;
    }
    uint32_t count = h->count;
    long present = count;
    if (in[0] & 1) {
        if ((present = read_runs(in, len, &pos, out, count)) < 0 || present == count) {
            return -1;
        }
    } else {
        memset(out, 0, count * sizeof *out);
    }
    size_t rest = len - pos;
    if ((h->mode == GORILLA_EMPTY) != (present == 0)) {
        return -1;
    }
    switch (h->mode) {
    case GORILLA_EMPTY:
        return rest == 0 ? 0 : -1;
    case GORILLA_CONST: {
        if (rest != 4) {
            return -1;
        }
        uint32_t x = get_le32(in + pos);
        for (uint32_t i = 0; i < count; i++) {
            if (out[i] == out[i]) {
                out[i] = bitsf(x);
            }
        }
        return 0;
    }
    case GORILLA_RAW: {
        if (rest != 4 * (size_t)present) {
            return -1;
        }
        const uint8_t *b = in + pos;
        for (uint32_t i = 0; i < count; i++) {
            if (out[i] == out[i]) {
                out[i] = bitsf(get_le32(b));
                b += 4;
            }
        }
        return 0;
    }
    case GORILLA_XOR: {
        BitR r = {.p = in + pos, .n = rest};
        return xor_read(&r, out, count);
    }
    case GORILLA_INT: {
        if (rest < 4) {
            return -1;
        }
        unsigned si = in[pos];
        Widths tab = {in[pos + 1], in[pos + 2], in[pos + 3]};
        if ((si >= NSCALES && si != SCALE_FBITS) || tab.a < 1 || tab.b <= tab.a
            || tab.c <= tab.b || tab.c > WIDTH_MAX) {
            return -1;
        }
        BitR r = {.p = in + pos + 4, .n = rest - 4};
        return int_read(&r, out, count, si, tab);
    }
    default:
        return -1;
    }
}

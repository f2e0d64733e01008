/*
** gorilla.c - the dbengine page codec (gorilla.h has the byte layout): page framing (header,
** empty-slot runs), the choice of a mode, and the CONST, XOR and RAW modes; the integer modes
** INT and RATIO are in gorilla_num.c. Encoding measures each candidate value encoding with a
** dry run of the same bit writer (no output, only a count), then writes the smallest; decoding
** reads untrusted bytes through bounds-checked readers and refuses anything that is not
** exactly one well-formed page.
*/
#include "gorilla.h"

#include <math.h>
#include <string.h>

#include "gorilla_bits.h"

#define HDR_MAX 19u                 /* mode byte + three varints */

/* ---- varints --------------------------------------------------------------------------------- */

size_t gorilla_uv_put(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

int gorilla_uv_get(const uint8_t *p, size_t len, size_t *pos, uint64_t *v)
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

/* ---- encode ---------------------------------------------------------------------------------- */

size_t gorilla_bound(uint32_t count)
{
    return HDR_MAX + 4 + 7 * (size_t)count + 1;
}

size_t gorilla_runs_write(const float *v, uint32_t count, uint8_t *out, size_t cap)
{
    uint8_t tmp[10];
    size_t n = 0, nruns = 0;
    /* two passes: count the runs, then write them */
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) {
            size_t k = gorilla_uv_put(tmp, nruns);
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
                size_t k = gorilla_uv_put(tmp, run);
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
    int mode = GORILLA_RAW;
    IntPlan ip = {0};
    RatioPlan rp = {0};
    size_t vbytes = 4 * (size_t)present, m;
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
        if ((m = gorilla_int_plan(v, p->count, vbytes, &ip)) < vbytes) {
            mode = GORILLA_INT;
            vbytes = m;
        }
        if ((m = gorilla_ratio_plan(v, p->count, vbytes, &rp)) < vbytes) {
            mode = GORILLA_RATIO;
            vbytes = m;
        }
    }
    size_t n = 0;
    out[n++] = (uint8_t)(mode << 4 | (present < p->count ? 1 : 0));
    n += gorilla_uv_put(out + n, zz(p->first_t));
    n += gorilla_uv_put(out + n, p->update_every);
    n += gorilla_uv_put(out + n, p->count);
    if (present < p->count) {
        size_t k = gorilla_runs_write(v, p->count, out + n, cap - n);
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
        gorilla_int_write(v, p->count, &ip, &w);
        break;
    case GORILLA_RATIO:
        gorilla_ratio_write(v, p->count, &rp, &w);
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
        || gorilla_uv_get(in, len, pos, &t) || gorilla_uv_get(in, len, pos, &ue) || gorilla_uv_get(in, len, pos, &count)
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
long gorilla_runs_read(const uint8_t *in, size_t len, size_t *pos, float *out, uint32_t count)
{
    uint64_t nruns, run;
    if (gorilla_uv_get(in, len, pos, &nruns) || nruns > (uint64_t)count + 1) {
        return -1;
    }
    uint32_t at = 0;
    long present = 0;
    for (uint64_t r = 0; r < nruns; r++) {
        if (gorilla_uv_get(in, len, pos, &run) || run > count - at) {
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

int gorilla_decode(const uint8_t *in, size_t len, GorillaHeader *h, float *out, uint32_t max)
{
    size_t pos;
    if (parse_header(in, len, h, &pos) || h->count > max) {
        return -1;
    }
    uint32_t count = h->count;
    long present = count;
    if (in[0] & 1) {
        if ((present = gorilla_runs_read(in, len, &pos, out, count)) < 0 || present == count) {
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
    case GORILLA_INT:
    case GORILLA_RATIO: {
        BitR r = {.p = in + pos, .n = rest};
        return h->mode == GORILLA_INT ? gorilla_int_read(&r, out, count)
                                      : gorilla_ratio_read(&r, out, count);
    }
    default:
        return -1;
    }
}

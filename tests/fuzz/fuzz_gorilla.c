/*
** fuzz_gorilla.c - libFuzzer target for runtime/gorilla*.c, the dbengine page codec. Three uses
** of the same bytes: (1) decoded as an encoded page: a refusal is fine, an accepted page must
** have a sane header, re-encode within gorilla_bound and decode again to the same slots (NaN
** stays empty, every value keeps its bits); (2) taken as a page to encode: 8 bytes first_t, 1
** byte update_every, then raw floats, which must round-trip exactly; (3) the bytes after those 9
** as (numerator, denominator) pairs of percentages (the RATIO mode), which must round-trip too.
** ASan catches any read past the exact-size input libFuzzer hands over.
*/
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gorilla.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static float out[GORILLA_MAX_POINTS], again[GORILLA_MAX_POINTS];
static uint8_t enc[24 + 7 * GORILLA_MAX_POINTS + 64];

static void check(int ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

static void same_slots(const float *a, const float *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        check(a[i] != a[i] ? b[i] != b[i] : memcmp(&a[i], &b[i], sizeof a[i]) == 0);
    }
}

/* Encode P, decode it back, compare with P's slots. */
static void round_trip(const GorillaPage *p)
{
    GorillaHeader h;
    size_t n = gorilla_encode(p, enc, sizeof enc);
    check(n > 0 && n <= gorilla_bound(p->count) && n <= sizeof enc);
    check(gorilla_decode(enc, n, &h, again, GORILLA_MAX_POINTS) == 0);
    check(h.first_t == p->first_t && h.update_every == p->update_every && h.count == p->count);
    same_slots(p->v, again, p->count);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GorillaHeader h, peek;
    if (gorilla_decode(data, size, &h, out, GORILLA_MAX_POINTS) == 0) {
        check(gorilla_peek(data, size, &peek) == 0);
        check(peek.first_t == h.first_t && peek.count == h.count && peek.mode == h.mode);
        check(h.count >= 1 && h.count <= GORILLA_MAX_POINTS && h.update_every >= 1);
        check(h.mode >= 0 && h.mode < GORILLA_MODES);
        GorillaPage p = {h.first_t, h.update_every, h.count, out};
        round_trip(&p);
    }
    if (size >= 13) {
        static float in[GORILLA_MAX_POINTS];
        uint32_t count = (uint32_t)((size - 9) / 4);
        count = count > GORILLA_MAX_POINTS ? GORILLA_MAX_POINTS : count;
        int64_t t;
        memcpy(&t, data, sizeof t);
        memcpy(in, data + 9, count * sizeof *in);
        GorillaPage p = {t, data[8] ? data[8] : 1, count, in};
        round_trip(&p);
        /* (3) the same bytes as percentages 100 * b / t of small integers, as collectors make
           them (the RATIO mode), with a raw float wherever a byte pair says so */
        count = (uint32_t)((size - 9) / 2);
        count = count > GORILLA_MAX_POINTS ? GORILLA_MAX_POINTS : count;
        for (uint32_t i = 0; i < count; i++) {
            uint8_t b = data[9 + 2 * i], d = data[10 + 2 * i];
            in[i] = d == 0xff ? (float)b * 0.37f
                              : (float)(100.0 * (double)(int8_t)b / (double)(90 + d % 32));
        }
        p.count = count;
        round_trip(&p);
    }
    return 0;
}

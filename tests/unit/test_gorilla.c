/*
** test_gorilla.c - cmocka tests for runtime/gorilla.c, the dbengine page codec: exact round
** trips (float bits, -0, infinities, denormals, NaN as empty slots) for every mode (RATIO: the
** percentages collectors compute, with raw escapes in between), the mode the
** encoder picks for typical series, the size bound, headers (peek), and refusal of malformed
** input: every truncation, trailing bytes, bad header fields, and random byte flips (which
** must either decode to a well-formed page or be refused, never read out of bounds).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gorilla.h"
#include "gorilla_bits.h"
#include "testutil.h"

#define N 1024

static float vals[N], back[N];
static uint8_t buf[32 + 8 * N];

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/* The percentage a collector computes from counter deltas B of T (percentage-of-*-row). */
static float pct(int64_t b, int64_t t)
{
    return (float)(100.0 * (double)b / (double)t);
}

/* Encode VALS[0..count), decode, compare bit for bit; returns the encoded size. */
static size_t round_trip(int64_t first_t, uint32_t ue, uint32_t count, int want_mode)
{
    GorillaPage p = {first_t, ue, count, vals};
    size_t n = gorilla_encode(&p, buf, sizeof buf);
    assert_true(n > 0);
    assert_true(n <= gorilla_bound(count));
    GorillaHeader h;
    assert_int_equal(gorilla_peek(buf, n, &h), 0);
    assert_int_equal(h.first_t, first_t);
    assert_int_equal(h.update_every, ue);
    assert_int_equal(h.count, count);
    if (want_mode >= 0) {
        assert_int_equal(h.mode, want_mode);
    }
    memset(back, 0x55, sizeof back);
    assert_int_equal(gorilla_decode(buf, n, &h, back, N), 0);
    for (uint32_t i = 0; i < count; i++) {
        if (isnan(vals[i])) {
            assert_true(isnan(back[i]));
        } else {
            assert_int_equal(fbits(back[i]), fbits(vals[i]));
        }
    }
    /* every shorter prefix is refused, and so is a trailing byte */
    for (size_t k = 0; k < n; k++) {
        assert_int_equal(gorilla_decode(buf, k, &h, back, N), -1);
    }
    buf[n] = 0;
    assert_int_equal(gorilla_decode(buf, n + 1, &h, back, N), -1);
    /* too small an output buffer is refused */
    if (count > 1) {
        assert_int_equal(gorilla_decode(buf, n, &h, back, count - 1), -1);
    }
    return n;
}

static void test_modes(void **state)
{
    (void)state;
    for (int i = 0; i < N; i++) {
        vals[i] = 42.5f;
    }
    assert_true(round_trip(1700000000, 1, N, GORILLA_CONST) < 16);
    for (int i = 0; i < N; i++) {
        vals[i] = NAN;
    }
    assert_true(round_trip(100, 5, N, GORILLA_EMPTY) < 16);
    for (int i = 0; i < N; i++) {
        vals[i] = (float)(1000 + i * 7);            /* integers: INT */
    }
    round_trip(-5, 2, N, GORILLA_INT);
    int k = 5000;
    for (int i = 0; i < N; i++) {
        k += (int)(rnd() % 21) - 10;
        vals[i] = (float)k / 100.0f;                /* two decimals: INT at scale 100 */
    }
    round_trip(0, 1, N, GORILLA_INT);
    int64_t ms = 452467;
    for (int i = 0; i < N; i++) {
        ms += 1000 + (int64_t)(rnd() % 3) - 1;
        vals[i] = (float)((double)ms / 1000.0);     /* uptime: second differences of INT */
    }
    size_t steady = round_trip(0, 1, N, GORILLA_INT);
    assert_true(steady < N / 2);                    /* deltas would cost ~14 bits a slot */
    assert_int_equal(buf[5] & 0x10, 0x10);          /* the scale byte's second-difference bit */
    for (int i = 0; i < N; i++) {
        vals[i] = 50.0f + (float)sin(i * 0.01) * 3.0f + (float)(rnd() % 1000) * 1e-4f;
    }
    /* XOR, or INT at scale 1e6: every float in [32, 64) is some k / 1e6 rounded */
    size_t before = round_trip(INT64_MAX - 10, 1, N, -1);
    GorillaHeader h;
    assert_int_equal(gorilla_peek(buf, before, &h), 0);
    assert_true(h.mode == GORILLA_XOR || h.mode == GORILLA_INT);
    for (int i = 0; i < N; i++) {
        vals[i] = 1e-3f + (float)sin(i * 0.01) * 1e-4f + (float)(rnd() % 1000) * 1e-9f;
    }
    before = round_trip(0, 1, N, GORILLA_INT);      /* the float bits as integers */
    for (int i = 0; i < N; i++) {
        vals[i] = (i & 1) ? -3.7f : 3.7f;           /* a sign flip: 3 bits in XOR */
    }
    round_trip(0, 1, N, GORILLA_XOR);
    for (int i = 0; i < N; i++) {
        uint32_t x = rnd();
        memcpy(&vals[i], &x, 4);
        if (isnan(vals[i])) {
            vals[i] = 1.0f;
        }
    }
    round_trip(INT64_MIN, 1000, N, GORILLA_RAW);
}

static void test_special_values(void **state)
{
    (void)state;
    const float special[] = {0.0f, -0.0f, INFINITY, -INFINITY, 1e-45f, -1e-45f, 3.4e38f,
                             -3.4e38f, 2147483520.0f, -2147483520.0f, 0.1f, 1.0f / 3.0f};
    size_t ns = sizeof special / sizeof special[0];
    for (uint32_t count = 1; count <= 64; count++) {
        for (uint32_t i = 0; i < count; i++) {
            vals[i] = (rnd() % 5 == 0) ? NAN : special[rnd() % ns];
        }
        round_trip(rnd(), 1 + rnd() % 60, count, -1);
    }
    /* -0 and 0 differ in bits: not CONST, and -0 comes back as -0 */
    vals[0] = 0.0f;
    vals[1] = -0.0f;
    round_trip(1, 1, 2, -1);
    /* integers near the INT limit */
    vals[0] = 2147483520.0f;
    vals[1] = -2147483520.0f;
    vals[2] = 0;
    round_trip(1, 1, 3, -1);
}

static void test_gaps(void **state)
{
    (void)state;
    for (int pattern = 0; pattern < 6; pattern++) {
        for (int i = 0; i < N; i++) {
            int empty = pattern == 0 ? i % 2 : pattern == 1 ? i < 10 : pattern == 2 ? i >= N - 3
                      : pattern == 3 ? (i / 100) % 2 : pattern == 4 ? rnd() % 3 == 0 : i != 500;
            vals[i] = empty ? NAN : (float)(i % 17);
        }
        round_trip(1000, 1, N, -1);
    }
    /* a single slot */
    vals[0] = 7;
    round_trip(5, 1, 1, GORILLA_CONST);
    vals[0] = NAN;
    round_trip(5, 1, 1, GORILLA_EMPTY);
}

static void test_invalid_encode(void **state)
{
    (void)state;
    GorillaPage p = {0, 1, 0, vals};
    assert_int_equal(gorilla_encode(&p, buf, sizeof buf), 0);
    p.count = GORILLA_MAX_POINTS + 1;
    assert_int_equal(gorilla_encode(&p, buf, sizeof buf), 0);
    p.count = 10;
    p.update_every = 0;
    assert_int_equal(gorilla_encode(&p, buf, sizeof buf), 0);
    p.update_every = 1;
    for (int i = 0; i < 10; i++) {
        vals[i] = (float)rnd();
    }
    assert_int_equal(gorilla_encode(&p, buf, 5), 0);
    size_t n = gorilla_encode(&p, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(gorilla_encode(&p, buf, n - 1), 0);
    assert_int_equal(gorilla_encode(&p, buf, n), n);
}

static void test_malformed(void **state)
{
    (void)state;
    GorillaHeader h;
    const uint8_t bad_mode[] = {0x70, 0, 1, 1, 0};
    assert_int_equal(gorilla_decode(bad_mode, sizeof bad_mode, &h, back, N), -1);
    const uint8_t bad_flags[] = {0x12, 0, 1, 1, 0, 0, 0, 0};
    assert_int_equal(gorilla_decode(bad_flags, sizeof bad_flags, &h, back, N), -1);
    const uint8_t zero_ue[] = {0x10, 0, 0, 1, 0, 0, 0, 0};
    assert_int_equal(gorilla_peek(zero_ue, sizeof zero_ue, &h), -1);
    const uint8_t zero_count[] = {0x10, 0, 1, 0, 0, 0, 0, 0};
    assert_int_equal(gorilla_peek(zero_count, sizeof zero_count, &h), -1);
    const uint8_t long_varint[] = {0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                   0xff, 0x01, 1, 1};
    assert_int_equal(gorilla_peek(long_varint, sizeof long_varint, &h), -1);
    const uint8_t const_ok[] = {0x10, 0, 1, 1, 0, 0, 0x80, 0x3f};
    assert_int_equal(gorilla_decode(const_ok, sizeof const_ok, &h, back, N), 0);
    assert_true(back[0] == 1.0f);
    /* EMPTY mode with present slots, CONST with none */
    const uint8_t empty_bad[] = {0x00, 0, 1, 1};
    assert_int_equal(gorilla_decode(empty_bad, sizeof empty_bad, &h, back, N), -1);
    const uint8_t const_none[] = {0x11, 0, 1, 1, 2, 0, 1, 0, 0, 0x80, 0x3f};
    assert_int_equal(gorilla_decode(const_none, sizeof const_none, &h, back, N), -1);
    /* runs that do not add up */
    const uint8_t runs_bad[] = {0x11, 0, 1, 4, 2, 1, 2, 0, 0, 0x80, 0x3f};
    assert_int_equal(gorilla_decode(runs_bad, sizeof runs_bad, &h, back, N), -1);
    /* INT: a scale index out of range, widths not increasing or too wide, a good one */
    const uint8_t scale_bad[] = {0x30, 0, 1, 1, 0x0e, 1, 2, 3, 0};
    assert_int_equal(gorilla_decode(scale_bad, sizeof scale_bad, &h, back, N), -1);
    const uint8_t widths_bad[] = {0x30, 0, 1, 1, 0, 5, 3, 9, 0};
    assert_int_equal(gorilla_decode(widths_bad, sizeof widths_bad, &h, back, N), -1);
    const uint8_t widths_wide[] = {0x30, 0, 1, 1, 0, 5, 9, 31, 0};
    assert_int_equal(gorilla_decode(widths_wide, sizeof widths_wide, &h, back, N), -1);
    const uint8_t int_ok[] = {0x30, 0, 1, 1, 0, 4, 8, 16, 0xa8};   /* '10' + 4 bits: z = 10 */
    assert_int_equal(gorilla_decode(int_ok, sizeof int_ok, &h, back, N), 0);
    assert_true(back[0] == 5.0f);
    /* second differences: 5, then +0 on the step of 5 -> 10 (without the bit: 5, 5); a scale
       of 14 | 0x10 and an unknown bit are bad */
    const uint8_t int_dod[] = {0x30, 0, 1, 2, 0x10, 4, 8, 16, 0xa8};
    assert_int_equal(gorilla_decode(int_dod, sizeof int_dod, &h, back, N), 0);
    assert_true(back[0] == 5.0f && back[1] == 10.0f);
    const uint8_t int_dod_bad[] = {0x30, 0, 1, 2, 0x1e, 4, 8, 16, 0xa8};
    assert_int_equal(gorilla_decode(int_dod_bad, sizeof int_dod_bad, &h, back, N), -1);
    const uint8_t int_flag_bad[] = {0x30, 0, 1, 2, 0x20, 4, 8, 16, 0xa8};
    assert_int_equal(gorilla_decode(int_flag_bad, sizeof int_flag_bad, &h, back, N), -1);
    /* RATIO: widths (1,2,3) for t, (2,4,8) for b; t0 = 100 (L = 7); one value: t delta 0,
       b = 0 + zigzag 100 = 50 -> 50 % */
    const uint8_t ratio_ok[] = {0x50, 0, 1, 1, 1, 2, 3, 2, 4, 8, 0x3e, 0x47, 0x32, 0x00};
    assert_int_equal(gorilla_decode(ratio_ok, sizeof ratio_ok, &h, back, N), 0);
    assert_true(back[0] == 50.0f);
    const uint8_t ratio_t0_zero[] = {0x50, 0, 1, 1, 1, 2, 3, 2, 4, 8, 0x03, 0x99, 0x00};
    assert_int_equal(gorilla_decode(ratio_t0_zero, sizeof ratio_t0_zero, &h, back, N), -1);
    const uint8_t ratio_t0_big[] = {0x50, 0, 1, 1, 1, 2, 3, 2, 4, 8, 0xac, 0, 0, 0x5c, 0xc8};
    assert_int_equal(gorilla_decode(ratio_t0_big, sizeof ratio_t0_big, &h, back, N), -1);
    const uint8_t ratio_t_low[] = {0x50, 0, 1, 1, 1, 2, 3, 2, 4, 8, 0x0e, 0x80};
    assert_int_equal(gorilla_decode(ratio_t_low, sizeof ratio_t_low, &h, back, N), -1);
    const uint8_t ratio_widths[] = {0x50, 0, 1, 1, 1, 2, 3, 2, 2, 8, 0x3e, 0x47, 0x32, 0x00};
    assert_int_equal(gorilla_decode(ratio_widths, sizeof ratio_widths, &h, back, N), -1);
    const uint8_t ratio_raw[] = {0x50, 0, 1, 1, 1, 2, 3, 2, 4, 8, 0x3e, 0x4f, 0x80, 0, 0, 0};
    assert_int_equal(gorilla_decode(ratio_raw, sizeof ratio_raw, &h, back, N), 0);
    assert_int_equal(fbits(back[0]), 0x80000000u);             /* the escape: -0 raw */
    assert_int_equal(gorilla_peek(NULL, 0, &h), -1);
}

static void test_flips(void **state)
{
    (void)state;
    for (int round = 0; round < 2000; round++) {
        uint32_t count = 1 + rnd() % 300;
        int kind = (int)(rnd() % 5);
        for (uint32_t i = 0; i < count; i++) {
            vals[i] = rnd() % 7 == 0 ? NAN : kind == 0 ? (float)(rnd() % 50)
                    : kind == 1 ? (float)i * 0.25f : kind == 2 ? (float)rnd() * 1e-3f
                    : kind == 3 ? pct(rnd() % 30, 99 + rnd() % 3) : 3.0f;
        }
        GorillaPage p = {rnd(), 1 + rnd() % 10, count, vals};
        size_t n = gorilla_encode(&p, buf, sizeof buf);
        assert_true(n > 0);
        for (int k = 0; k < 4; k++) {
            uint8_t *copy = testutil_dup_exact(buf, n);
            copy[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
            GorillaHeader h;
            if (gorilla_decode(copy, n, &h, back, N) == 0) {
                assert_true(h.count >= 1 && h.count <= N && h.update_every >= 1);
            }
            free(copy);
        }
    }
}

/* RATIO: CPU-like percentages round-trip bit for bit and cost far less than the float bits;
   values that are no such ratio (interpolated, -0, infinities, NaN gaps) go raw in between. */
static void test_ratio_mode(void **state)
{
    (void)state;
    for (int kind = 0; kind < 6; kind++) {
        size_t total = 0;
        for (int page = 0; page < 20; page++) {
            int64_t b = 0;
            for (int i = 0; i < N; i++) {
                int64_t t = 100 + (int64_t)(rnd() % 3) - 1;
                b = kind == 1 ? t - (int64_t)(rnd() % 10)           /* idle */
                  : kind == 2 ? (rnd() % 20 ? 0 : 1 + rnd() % 3)     /* iowait: mostly 0 */
                  : kind == 3 ? -(int64_t)(rnd() % 9)                /* negative */
                  : (int64_t)(rnd() % 9);                            /* user */
                if (kind == 4) {                                     /* whole-system row */
                    t = 200 + (int64_t)(rnd() % 5) - 2;
                    b = (int64_t)(rnd() % 40);
                }
                vals[i] = pct(b, t);
                if (kind == 5) {                                     /* t doubles, halves */
                    t = i % 300 < 100 ? 100 : i % 300 < 200 ? 200 : 50;
                    vals[i] = rnd() % 50 == 0 ? 33.3333f : rnd() % 60 == 0 ? NAN
                            : rnd() % 70 == 0 ? -0.0f : rnd() % 80 == 0 ? INFINITY
                            : pct((int64_t)(rnd() % (uint32_t)t), t);
                }
            }
            total += round_trip(page * N, 1, N, kind == 2 ? -1 : GORILLA_RATIO);
        }
        double bps = (double)total / (20.0 * N);
        printf("gorilla ratio kind %d: %.3f bytes/sample\n", kind, bps);
        assert_true(bps < (kind == 2 ? 0.4 : 1.8));
    }
    /* one slot, a first value of 0, a first value that is no ratio */
    vals[0] = pct(37, 101);
    round_trip(0, 1, 1, -1);
    vals[0] = 0.0f;
    vals[1] = pct(37, 101);
    vals[2] = pct(36, 99);
    round_trip(0, 1, 3, -1);
    vals[0] = 1.0f / 3.0f;
    round_trip(0, 1, 3, -1);
    /* denominators near the encoder's search limit and above it */
    for (int i = 0; i < N; i++) {
        int64_t t = i < N / 2 ? 4093 : 9973;
        vals[i] = pct((int64_t)(rnd() % (uint32_t)t), t);
    }
    round_trip(0, 1, N, -1);
}

/* The cheapest widths of the delta code, against a search of every (A, B, C). */
static uint64_t code_bits(const uint64_t *cnt, Widths w, int long_form)
{
    uint64_t bits = 0;
    for (unsigned l = 0; l <= CODE_LONG; l++) {
        uint64_t n = cnt[l];
        if (!n) {
            continue;
        }
        if (!long_form && l > w.c) {
            return UINT64_MAX;
        }
        bits += n * (l == 0 ? 1 : l <= w.a ? 2 + w.a : l <= w.b ? 3 + w.b : l <= w.c ? 4 + w.c
                     : 4 + CODE_LONG);
    }
    return bits;
}

static void test_code_plan(void **state)
{
    (void)state;
    for (int round = 0; round < 500; round++) {
        uint64_t cnt[CODE_LONG + 1] = {0};
        unsigned longest = rnd() % (CODE_LONG + 1);
        int long_form = longest > CODE_WIDTH_MAX || rnd() % 2;
        for (int k = 0; k < 1 + (int)(rnd() % 6); k++) {
            cnt[rnd() % (longest + 1)] += 1 + rnd() % 100;
        }
        uint64_t best = UINT64_MAX, b;
        for (unsigned x = 1; x <= CODE_WIDTH_MAX - 2; x++) {
            for (unsigned y = x + 1; y <= CODE_WIDTH_MAX - 1; y++) {
                for (unsigned z = y + 1; z <= CODE_WIDTH_MAX; z++) {
                    if ((b = code_bits(cnt, (Widths){x, y, z}, long_form)) < best) {
                        best = b;
                    }
                }
            }
        }
        CodeHist h = {{0}};
        for (unsigned l = 0; l <= CODE_LONG; l++) {
            h.cum[l + 1] = cnt[l];
        }
        Widths w;
        assert_int_equal(gorilla_code_plan(&h, long_form, &w), best);
        assert_int_equal(code_bits(cnt, w, long_form), best);
    }
}

/* Bytes per sample for synthetic series (reported, and loosely bounded). */
static void test_ratio(void **state)
{
    (void)state;
    const char *names[] = {"constant", "counter rate", "gauge with noise", "sparse spikes"};
    for (int kind = 0; kind < 4; kind++) {
        size_t total = 0, samples = 0;
        double acc = 0;
        for (int page = 0; page < 50; page++) {
            for (int i = 0; i < N; i++) {
                int64_t t = page * N + i;
                vals[i] = kind == 0 ? 1.0f : kind == 1 ? (float)(1000 + rnd() % 64)
                        : kind == 2 ? (float)(40.0 + 10.0 * sin((double)t / 300.0)
                                              + (double)(rnd() % 100) / 100.0)
                        : (rnd() % 50 == 0 ? (float)(rnd() % 1000) : 0.0f);
                acc += vals[i];
            }
            total += round_trip(page * N, 1, N, -1);
            samples += N;
        }
        double bps = (double)total / (double)samples;
        printf("gorilla %-18s %.3f bytes/sample\n", names[kind], bps);
        assert_true(bps < (kind == 0 ? 0.02 : kind == 1 ? 1.3 : kind == 2 ? 3.0 : 0.5));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_modes),
        cmocka_unit_test(test_special_values),
        cmocka_unit_test(test_gaps),
        cmocka_unit_test(test_invalid_encode),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_flips),
        cmocka_unit_test(test_ratio_mode),
        cmocka_unit_test(test_code_plan),
        cmocka_unit_test(test_ratio),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
** test_gorilla_group.c - cmocka tests for runtime/gorilla_group.c, the group pages of
** percentage charts and of charts with a constant sum: exact round trips of CPU-like rows (a
** varying row total, all-zero members, empty slots, rows that are no percentages escaped raw)
** and of system.ram-like rows, the size against one page per
** member, refusal to encode what is not one chart's rows (other shapes, non-percentages, too
** few or too many members, LIMIT), and refusal of malformed input: every truncation, trailing
** bytes, bad header fields, stray zero-mask bits, random byte flips (a flipped page decodes to
** something well-formed or is refused; ASan checks the reads).
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
#define K 10

static float vals[K][N];
static float back[K * N];
static uint8_t buf[1 << 17], one[8 * N];
static GorillaPage pages[K];

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/*
** Rows as a 2-CPU system.cpu chart makes them: K members, the row total t ~ 200 jiffies a
** second with a little jitter; member 0 (idle) takes what the others leave. ZEROS members at the
** end hold 0 throughout (guest, irq...). GAP: slots [100, 110) empty in every member.
*/
static void cpu_rows(uint32_t count, uint32_t zeros, int gap)
{
    for (uint32_t i = 0; i < count; i++) {
        int64_t t = 198 + rnd() % 5, left = t, b[K];
        for (uint32_t j = 1; j < K; j++) {
            b[j] = j >= K - zeros ? 0 : (int64_t)(rnd() % (uint32_t)(left / 4 + 1));
            left -= b[j];
        }
        b[0] = left;
        for (uint32_t j = 0; j < K; j++) {
            vals[j][i] = gap && i >= 100 && i < 110 ? NAN
                                                    : (float)(100.0 * (double)b[j] / (double)t);
        }
    }
    for (uint32_t j = 0; j < K; j++) {
        pages[j] = (GorillaPage){1700000000, 1, count, vals[j]};
    }
}

/* Encode PAGES[0..k), decode, compare bit for bit; every prefix and a trailing byte are refused.
   Returns the encoded size. */
static size_t group_round_trip(uint32_t k)
{
    size_t n = gorilla_group_encode(pages, k, SIZE_MAX, buf, sizeof buf);
    assert_true(n > 0);
    GorillaHeader h;
    uint32_t got = 0;
    assert_int_equal(gorilla_group_peek(buf, n, &h, &got), 0);
    assert_int_equal(got, k);
    assert_int_equal(h.first_t, pages[0].first_t);
    assert_int_equal(h.count, pages[0].count);
    memset(back, 0x55, sizeof back);
    assert_int_equal(gorilla_group_decode(buf, n, &h, &got, back, K * N), 0);
    for (uint32_t j = 0; j < k; j++) {
        for (uint32_t i = 0; i < h.count; i++) {
            float a = vals[j][i], b = back[(size_t)j * h.count + i];
            if (isnan(a)) {
                assert_true(isnan(b));
            } else {
                assert_int_equal(fbits(b), fbits(a));
            }
        }
    }
    for (size_t p = 0; p < n; p++) {
        assert_int_equal(gorilla_group_decode(buf, p, &h, &got, back, K * N), -1);
    }
    buf[n] = 0;
    assert_int_equal(gorilla_group_decode(buf, n + 1, &h, &got, back, K * N), -1);
    assert_int_equal(gorilla_group_decode(buf, n, &h, &got, back, (size_t)k * h.count - 1), -1);
    return n;
}

/* One page per member, as the dbengine writes them otherwise (20-byte record header each). */
static size_t pages_cost(uint32_t k)
{
    size_t total = 0;
    for (uint32_t j = 0; j < k; j++) {
        total += 20 + gorilla_encode(&pages[j], one, sizeof one);
    }
    return total;
}

static void test_cpu_rows(void **state)
{
    (void)state;
    cpu_rows(N, 3, 0);
    size_t g = group_round_trip(K), p = pages_cost(K);
    printf("  group of %u x %u CPU rows: %zu bytes, one page each: %zu bytes\n", K, N, g, p);
    assert_true(g + 20 + 4 * K < p * 3 / 4);   /* at least a quarter smaller */
    cpu_rows(N, 0, 1);
    group_round_trip(K);
    cpu_rows(300, K - 2, 0);                   /* two members left: all zero but idle, user */
    group_round_trip(K);
    cpu_rows(1, 0, 0);                         /* members 0 and 1 alone do not sum to 100 */
    assert_int_equal(gorilla_group_encode(pages, 2, SIZE_MAX, buf, sizeof buf), 0);
    cpu_rows(1, K - 2, 0);
    group_round_trip(2);                       /* with an all-zero rest they do */
}

/* A system.ram chart: free, used, cached, buffers in MiB (kB / 1024) adding up to MemTotal in
   every row; rows with empty slots; the group is a constant-sum one (mode INT) and smaller than
   the four pages. One value off by a kB and it is no such group. */
static void test_sum_rows(void **state)
{
    (void)state;
    const int64_t total = 8192000;      /* kB: below 2^24, so kB / 1024 is an exact float */
    for (uint32_t i = 0; i < N; i++) {
        int64_t free_kb = 5000000 + (int64_t)(rnd() % 50000), cached = 2000000 + i * 3;
        int64_t buffers = 100000 + (int64_t)(rnd() % 8) * 4;
        int64_t kb[4] = {free_kb, total - free_kb - cached - buffers, cached, buffers};
        for (uint32_t j = 0; j < 4; j++) {
            vals[j][i] = i % 97 == 5 ? NAN : (float)((double)kb[j] / 1024.0);
        }
    }
    for (uint32_t j = 0; j < 4; j++) {
        pages[j] = (GorillaPage){1700000000, 1, N, vals[j]};
    }
    size_t g = group_round_trip(4), p = pages_cost(4);
    GorillaHeader h;
    uint32_t k;
    assert_int_equal(gorilla_group_peek(buf, g, &h, &k), 0);
    assert_int_equal(h.mode, GORILLA_INT);
    printf("  system.ram-like group of 4 x %u: %zu bytes, one page each: %zu bytes\n", N, g, p);
    assert_true(g + 20 + 16 < p);
    for (size_t at = 0; at < 40 && at < g; at++) {   /* the header's every byte, broken */
        uint8_t *c = testutil_dup_exact(buf, g);
        c[at] ^= 0xff;
        if (gorilla_group_decode(c, g, &h, &k, back, K * N) == 0) {
            assert_true(k >= 2 && k <= GORILLA_GROUP_MAX && (size_t)k * h.count <= K * N);
        }
        free(c);
    }
    vals[1][200] += 1.0f / 1024.0f;
    assert_int_equal(gorilla_group_encode(pages, 4, SIZE_MAX, buf, sizeof buf), 0);
}

/* A row that is no set of percentages (an interpolated slot, -0) is kept raw; rows around it
   are coded as usual. Too many such rows and the group is refused. */
static void test_escapes(void **state)
{
    (void)state;
    cpu_rows(N, 2, 0);
    vals[0][5] = 33.3f;
    vals[1][5] = 66.7f;
    vals[2][700] = -0.0f;
    group_round_trip(K);
    for (uint32_t i = 0; i < N; i += 16) {
        vals[1][i] = vals[1][i] + 0.01f;
    }
    assert_int_equal(gorilla_group_encode(pages, K, SIZE_MAX, buf, sizeof buf), 0);
}

static void test_refusals(void **state)
{
    (void)state;
    cpu_rows(64, 0, 0);
    assert_int_equal(gorilla_group_encode(pages, 1, SIZE_MAX, buf, sizeof buf), 0);
    assert_int_equal(gorilla_group_encode(pages, GORILLA_GROUP_MAX + 1, SIZE_MAX, buf,
                                          sizeof buf), 0);
    size_t n = gorilla_group_encode(pages, K, SIZE_MAX, buf, sizeof buf);
    assert_true(n > 0);
    assert_int_equal(gorilla_group_encode(pages, K, n, buf, sizeof buf), 0);   /* LIMIT */
    assert_int_equal(gorilla_group_encode(pages, K, SIZE_MAX, buf, n - 1), 0);  /* CAP */
    pages[3].first_t++;
    assert_int_equal(gorilla_group_encode(pages, K, SIZE_MAX, buf, sizeof buf), 0);
    pages[3].first_t--;
    pages[3].count--;
    assert_int_equal(gorilla_group_encode(pages, K, SIZE_MAX, buf, sizeof buf), 0);
    pages[3].count++;
    vals[4][10] = NAN;                         /* empty slots differ */
    assert_int_equal(gorilla_group_encode(pages, K, SIZE_MAX, buf, sizeof buf), 0);
    for (uint32_t j = 0; j < K; j++) {         /* memory in MiB: no percentages */
        for (uint32_t i = 0; i < 64; i++) {
            vals[j][i] = (float)(1000 + rnd() % 5000) / 1024.0f;
        }
    }
    assert_int_equal(gorilla_group_encode(pages, K, SIZE_MAX, buf, sizeof buf), 0);
    for (uint32_t j = 0; j < K; j++) {         /* every slot empty */
        for (uint32_t i = 0; i < 64; i++) {
            vals[j][i] = NAN;
        }
    }
    assert_int_equal(gorilla_group_encode(pages, K, SIZE_MAX, buf, sizeof buf), 0);
}

static void test_malformed(void **state)
{
    (void)state;
    GorillaHeader h;
    uint32_t k;
    cpu_rows(40, 2, 0);
    size_t n = gorilla_group_encode(pages, K, SIZE_MAX, buf, sizeof buf);
    assert_true(n > 10);
    /* header: 0x80 | flags, first_t (5 bytes), ue, count, k, implied, two mask bytes */
    uint8_t *c = testutil_dup_exact(buf, n);
    c[0] = 0x50;                               /* a page's mode byte */
    assert_int_equal(gorilla_group_decode(c, n, &h, &k, back, K * N), -1);
    c[0] = 0x82;                               /* an unknown flag */
    assert_int_equal(gorilla_group_decode(c, n, &h, &k, back, K * N), -1);
    free(c);
    const uint8_t one_member[] = {0x80, 0, 1, 1, 1, 0, 0};
    assert_int_equal(gorilla_group_peek(one_member, sizeof one_member, &h, &k), -1);
    const uint8_t too_many[] = {0x80, 0, 1, 1, 65, 0};
    assert_int_equal(gorilla_group_peek(too_many, sizeof too_many, &h, &k), -1);
    const uint8_t zero_ue[] = {0x80, 0, 0, 1, 2, 0, 0};
    assert_int_equal(gorilla_group_peek(zero_ue, sizeof zero_ue, &h, &k), -1);
    /* implied out of range; implied member marked zero; a mask bit past K */
    const uint8_t implied_big[] = {0x80, 0, 1, 1, 2, 2, 0, 1, 2, 3, 2, 4, 8, 0};
    assert_int_equal(gorilla_group_decode(implied_big, sizeof implied_big, &h, &k, back, N), -1);
    const uint8_t implied_zero[] = {0x80, 0, 1, 1, 2, 0, 1, 1, 2, 3, 2, 4, 8, 0};
    assert_int_equal(gorilla_group_decode(implied_zero, sizeof implied_zero, &h, &k, back, N),
                     -1);
    const uint8_t stray_mask[] = {0x80, 0, 1, 1, 2, 0, 4, 1, 2, 3, 2, 4, 8, 0};
    assert_int_equal(gorilla_group_decode(stray_mask, sizeof stray_mask, &h, &k, back, N), -1);
    assert_int_equal(gorilla_group_peek(NULL, 0, &h, &k), -1);
    /* found by fuzz_gorilla: a raw row whose first member's bits are a NaN (an empty slot in one
       member only) is refused */
    static const uint8_t nan_raw[] = {
        0x80, 0x0c, 0x01, 0x60, 0x03, 0x02, 0x00, 0x05, 0x06, 0x09, 0x04, 0x05, 0x06, 0x42, 0xff,
        0xff, 0xff, 0x00, 0xff, 0xff, 0xff, 0xff, 0x12, 0xba, 0x52, 0x9c, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0xe0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x01, 0x00, 0x52, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xbd, 0xa5, 0x52, 0xe0,
        0x06, 0x00, 0x00, 0x00, 0x00, 0xe0, 0xad, 0xe0, 0x1d, 0x52, 0xe0, 0xad, 0x1d, 0x52, 0xe0};
    assert_int_equal(gorilla_group_decode(nan_raw, sizeof nan_raw, &h, &k, back, K * N), -1);
    /* a page is no group and a group no page */
    assert_int_equal(gorilla_decode(buf, n, &h, back, N), -1);
    uint8_t page[64];
    float v = 1.0f;
    GorillaPage p = {0, 1, 1, &v};
    size_t pn = gorilla_encode(&p, page, sizeof page);
    assert_int_equal(gorilla_group_decode(page, pn, &h, &k, back, N), -1);
}

static void test_flips(void **state)
{
    (void)state;
    GorillaHeader h;
    uint32_t k;
    for (int round = 0; round < 300; round++) {
        cpu_rows(1 + rnd() % 200, rnd() % 4, rnd() % 2);
        size_t n = gorilla_group_encode(pages, K, SIZE_MAX, buf, sizeof buf);
        if (!n) {
            continue;
        }
        for (int f = 0; f < 8; f++) {
            uint8_t *c = testutil_dup_exact(buf, n);
            c[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
            if (gorilla_group_decode(c, n, &h, &k, back, K * N) == 0) {
                assert_true(k >= 2 && k <= GORILLA_GROUP_MAX && h.count >= 1
                            && (size_t)k * h.count <= K * N && h.update_every >= 1);
            }
            free(c);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_rows),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_sum_rows),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_flips),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
** fuzz_gorilla.c - libFuzzer target for runtime/gorilla*.c, the dbengine page codec. Three uses
** of the same bytes: (1) decoded as an encoded page: a refusal is fine, an accepted page must
** have a sane header, re-encode within gorilla_bound and decode again to the same slots (NaN
** stays empty, every value keeps its bits); (2) taken as a page to encode: 8 bytes first_t, 1
** byte update_every, then raw floats, which must round-trip exactly; (3) the bytes after those 9
** as (numerator, denominator) pairs of percentages (the RATIO mode), which must round-trip too.
** Two more for the group pages (gorilla_group.c): (4) the bytes decoded as a group page of
** either kind (percentages, a constant sum): a refusal is fine, an accepted one must agree with
** its peek, have 2..GORILLA_GROUP_MAX members with member 0's empty slots, and when the
** encoder takes its members again (it may refuse, e.g. too many raw rows) decode to the same
** slots; (5) a group built from the bytes: byte 0
** picks K (2..10), bit j of byte 1 makes member j all zero, then per row a control byte (0xff:
** an empty row, else b_j >>= its low 3 bits) and K bytes b_j; member j holds 100 * b_j / t, t the
** sum of the b_j (t = 0: an empty row). Such rows (t <= 2,550) are what the group exists for:
** the encoder must take them whenever a row is present, and they must round-trip exactly.
** ASan catches any read past the exact-size input libFuzzer hands over.
*/
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gorilla.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GROUP_ROWS 1024u          /* rows of the built groups (5), to keep runs fast */
#define GROUP_FLOATS ((size_t)GORILLA_GROUP_MAX * GORILLA_MAX_POINTS)

static float out[GORILLA_MAX_POINTS], again[GORILLA_MAX_POINTS];
static uint8_t enc[24 + 7 * GORILLA_MAX_POINTS + 64];
/* Group pages (16 MiB of floats each): per slot at most 3 bytes of runs and 34 bits per member
   plus 4 (a row's widest codes, or its raw escape), so 8 + 5 K bytes is room to spare. */
static float gout[GROUP_FLOATS], gagain[GROUP_FLOATS];
static uint8_t genc[64 + (size_t)GORILLA_MAX_POINTS * (8 + 5 * GORILLA_GROUP_MAX)];

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

/* The K members of a group whose slot i of member j is V[j * COUNT + i], as pages. */
static void group_pages(GorillaPage *pg, uint32_t k, int64_t first_t, uint32_t update_every,
                        uint32_t count, const float *v)
{
    for (uint32_t j = 0; j < k; j++) {
        pg[j] = (GorillaPage){first_t, update_every, count, v + (size_t)j * count};
    }
}

/* Encode the K members of PG as a group page; when the encoder takes them (MUST: it has to),
   decode them back and compare every slot. */
static void group_round_trip(const GorillaPage *pg, uint32_t k, int must)
{
    GorillaHeader h;
    uint32_t k2 = 0;
    size_t n = gorilla_group_encode(pg, k, SIZE_MAX, genc, sizeof genc);
    check(n > 0 || !must);
    if (n == 0) {
        return;
    }
    check(n <= sizeof genc);
    check(gorilla_group_decode(genc, n, &h, &k2, gagain, GROUP_FLOATS) == 0);
    check(k2 == k && h.first_t == pg[0].first_t && h.update_every == pg[0].update_every
          && h.count == pg[0].count && (h.mode == GORILLA_RATIO || h.mode == GORILLA_INT));
    for (uint32_t j = 0; j < k; j++) {
        same_slots(pg[j].v, gagain + (size_t)j * h.count, h.count);
    }
}

/* (4) DATA as a group page. */
static void group_decoded(const uint8_t *data, size_t size)
{
    static GorillaPage pg[GORILLA_GROUP_MAX];
    GorillaHeader h, peek;
    uint32_t k = 0, pk = 0;
    if (gorilla_group_decode(data, size, &h, &k, gout, GROUP_FLOATS) != 0) {
        return;
    }
    check(gorilla_group_peek(data, size, &peek, &pk) == 0);
    check(peek.first_t == h.first_t && peek.count == h.count && pk == k);
    check(k >= 2 && k <= GORILLA_GROUP_MAX && h.count >= 1 && h.count <= GORILLA_MAX_POINTS);
    check(h.update_every >= 1 && (h.mode == GORILLA_RATIO || h.mode == GORILLA_INT));
    for (uint32_t j = 1; j < k; j++) {
        for (uint32_t i = 0; i < h.count; i++) {
            float a = gout[i], b = gout[(size_t)j * h.count + i];
            check((a != a) == (b != b));
        }
    }
    group_pages(pg, k, h.first_t, h.update_every, h.count, gout);
    group_round_trip(pg, k, 0);
}

/* (5) A group of percentage rows built from DATA (the layout in the comment on top). */
static void group_built(const uint8_t *data, size_t size)
{
    static GorillaPage pg[GORILLA_GROUP_MAX];
    static float v[GORILLA_GROUP_MAX * GROUP_ROWS];
    uint32_t k = 2 + data[0] % 9, zero = data[1], present = 0;
    size_t rows = (size - 2) / (1 + k);
    rows = rows > GROUP_ROWS ? GROUP_ROWS : rows;
    if (rows == 0) {
        return;
    }
    if ((zero & ((1u << k) - 1)) == ((1u << k) - 1)) {
        zero &= ~1u;                /* not every member: then no row has a total */
    }
    for (size_t i = 0; i < rows; i++) {
        const uint8_t *r = data + 2 + i * (1 + k);
        uint32_t b[GORILLA_GROUP_MAX], t = 0;
        for (uint32_t j = 0; j < k; j++) {
            b[j] = zero >> j & 1 ? 0 : (uint32_t)r[1 + j] >> (r[0] & 7);
            t += b[j];
        }
        for (uint32_t j = 0; j < k; j++) {
            v[j * rows + i] = r[0] == 0xff || t == 0 ? NAN
                                                     : (float)(100.0 * (double)b[j] / (double)t);
        }
        present += r[0] != 0xff && t != 0;
    }
    int64_t first_t = (int64_t)data[0] << 24 | (int64_t)data[1] << 8 | (int64_t)rows;
    group_pages(pg, k, first_t, 1 + data[1] % 5, (uint32_t)rows, v);
    if (present == 0) {
        check(gorilla_group_encode(pg, k, SIZE_MAX, genc, sizeof genc) == 0);
        return;
    }
    group_round_trip(pg, k, 1);
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
    group_decoded(data, size);
    if (size >= 2) {
        group_built(data, size);
    }
    return 0;
}

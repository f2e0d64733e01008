/*
** gorilla.h - the dbengine page codec: one dimension's run of slots on a regular time grid,
** encoded into a self-describing byte string and back. Pure functions: no I/O, no allocation,
** no globals. It does not checksum (the data file does) and does not know about dimensions.
**
** Layout of an encoded page (integers little-endian, "uv" = LEB128 unsigned varint):
**   u8  mode << 4 | flags          flags bit 0: some slots are empty
**   uv  zigzag(first_t)            time of slot 0 (seconds)
**   uv  update_every               grid step (>= 1)
**   uv  count                      slots (1..GORILLA_MAX_POINTS)
**   [flags bit 0]  uv runs, then RUNS uv lengths alternating present, empty, present, ...
**                  (the first may be 0; lengths sum to count)
**   values of the present slots, by mode:
**     EMPTY  nothing (no slot holds a value)
**     CONST  4 bytes: the float every present slot holds (bit-identical)
**     XOR    Gorilla bit stream, MSB first: 32-bit first value, then per value
**            '0' same as previous | '10' + bits inside the previous window |
**            '11' + 5 bits leading zeros + 5 bits (length-1) + length bits
**     INT    u8 scale index, u8 A, u8 B, u8 C (1 <= A < B < C <= 30), then a bit stream of
**            the zigzag deltas of integer keys (the first from 0): '0' zero | '10'+A |
**            '110'+B | '1110'+C | '1111'+34 bits; the encoder picks the cheapest widths.
**            Scale index 0..11: key = v * scale (1, 2, 4, 8, 10, 16, 100, 1000, 1024, 1e4, 1e5,
**            1e6), integers below 2^31 with an exact round trip checked when encoding; 15: key
**            = the float's bits folded so that they grow with the value (close values, small
**            deltas, even across a power of two where XOR is costly). Scale index | 0x10
**            (format 2): the codes are of second differences (delta - previous delta, the
**            first previous delta 0), for counters with a steady step
**     RAW    4 bytes per value (the bound; chosen only when nothing else is smaller)
**     RATIO  (format 2) each value as (float)(100.0 * b / t), b and t integers, 1 <= t <= 2^20,
**            |b| < 2^31 - 1: the percentages of counter deltas collectors compute. A bit
**            stream: u8 At, Bt, Ct, u8 Ab, Bb, Cb (widths as INT's), 5 bits L + L bits t0 (the
**            first previous t; previous b starts at 0), then per present value the code above
**            of zigzag(t - previous t), where '1111' means "raw" (32 float bits follow; the
**            previous t and b stay), else the code of zigzag(b - llrint(previous b * t /
**            previous t)) follows (the prediction is 0 when its magnitude reaches 2^31 - 1).
** The encoder tries the modes that apply and keeps the smallest. A decoded page gives back the
** exact float bits of every present value, and NAN for every empty slot.
**
** A group page (gorilla_group.c, format 3) holds K pages of one percentage chart on the same
** slots, where every row is 100 * b_j / t with sum b_j = t (Netdata's percentage-of-*-row):
**   u8  0x80 | flags (bit 0: some slots are empty, the same in every member)
**   uv  zigzag(first_t) | uv update_every | uv count | uv K (2..GORILLA_GROUP_MAX)
**   uv  the implied member (its b is t minus the others'; never a zero member)
**   ceil(K / 8) bytes: bit j set = member j holds +0.0 in every present slot (nothing coded)
**   [flags bit 0]  the runs, as above
**   a bit stream: u8 At, Bt, Ct, u8 Ab, Bb, Cb, 5 bits L + L bits t0, then per present row the
**   code of zigzag(t - previous t) (no long form), where '1111' means "raw": 32 float bits of
**   every non-zero member follow (never a NaN) and the previous t and b stay; else, for each
**   non-zero member but the implied one, the code of zigzag(b_j - llrint(previous b_j * t /
**   previous t)).
** A constant-sum group page (same file format) holds K pages whose values are all integer keys
** at one of INT's scales (key = v * scale, read back bit-identical) adding up to the same S in
** every row (a stacked chart of a fixed total, e.g. system.ram):
**   u8  0x90 | flags; then the same header, implied member and zero mask as above
**   u8  the scale index (0..11) | uv zigzag(S) (|S| < 2^40)
**   [flags bit 0]  the runs
**   a bit stream: u8 A, B, C, then per present row, for each non-zero member but the implied
**   one, INT's code (with its long form) of zigzag(key - previous key of that member, from 0);
**   the implied member's key is S minus the others'.
*/
#ifndef STREAMC_GORILLA_H
#define STREAMC_GORILLA_H

#include <stddef.h>
#include <stdint.h>

#define GORILLA_MAX_POINTS 65535u
#define GORILLA_GROUP_MAX 64u      /* members of a group page */

enum { GORILLA_EMPTY, GORILLA_CONST, GORILLA_XOR, GORILLA_INT, GORILLA_RAW, GORILLA_RATIO,
       GORILLA_MODES };

typedef struct GorillaPage {
    int64_t first_t;            /* time of slot 0 */
    uint32_t update_every;      /* seconds between slots, >= 1 */
    uint32_t count;             /* slots, 1..GORILLA_MAX_POINTS */
    const float *v;             /* COUNT values; NAN (any NaN) = empty slot */
} GorillaPage;

typedef struct GorillaHeader {
    int64_t first_t;
    uint32_t update_every;
    uint32_t count;
    int mode;                   /* GORILLA_* */
} GorillaHeader;

/* Largest encoding of a page of COUNT slots: a buffer this size always suffices. */
size_t gorilla_bound(uint32_t count);

/* Encode P into OUT (CAP bytes). Returns the bytes written, or 0 when P is invalid (count 0 or
   over GORILLA_MAX_POINTS, update_every 0) or CAP is below what the page needs. */
size_t gorilla_encode(const GorillaPage *p, uint8_t *out, size_t cap);

/* Parse only the header of the LEN bytes at IN into *H. 0, or -1 when malformed. */
int gorilla_peek(const uint8_t *in, size_t len, GorillaHeader *h);

/* Decode the LEN bytes at IN: *H gets the header, OUT[0..h->count) the slots (NAN = empty).
   MAX is OUT's capacity. 0, or -1 when the bytes are malformed, truncated, have trailing
   garbage, or hold more than MAX slots (OUT may then be partly written). */
int gorilla_decode(const uint8_t *in, size_t len, GorillaHeader *h, float *out, uint32_t max);

/* Encode the K pages P[0..K) (one first_t, update_every, count and set of empty slots) as one
   group page into OUT (CAP bytes). Returns its bytes, or 0 when the pages are neither
   percentages of one row (rows that are not, up to 1 in 32, are kept raw) nor of a constant
   sum, differ in shape, or the group would not be below LIMIT bytes (the caller's cost of
   writing them one by one). */
size_t gorilla_group_encode(const GorillaPage *p, uint32_t k, size_t limit, uint8_t *out,
                            size_t cap);

/* The header of a group page (*H; mode GORILLA_RATIO for percentages, GORILLA_INT for a
   constant sum) and its member count *K. 0, or -1. */
int gorilla_group_peek(const uint8_t *in, size_t len, GorillaHeader *h, uint32_t *k);

/* Decode a group page: slot i of member j into OUT[j * h->count + i] (NAN = empty). MAX is
   OUT's capacity in floats. 0, or -1 when malformed, truncated, trailing garbage or too big. */
int gorilla_group_decode(const uint8_t *in, size_t len, GorillaHeader *h, uint32_t *k,
                         float *out, size_t max);

#endif

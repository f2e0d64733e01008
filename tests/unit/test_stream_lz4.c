/*
** test_stream_lz4.c - cmocka tests for runtime/stream_lz4.c against stream-protocol §4 and the
** ring rules in stream_lz4.h, over whole streams: round trips of several MB of collection text
** (both rings wrapping many times) fed whole, per frame, byte by byte and in random pieces; a
** stream made as a 1.37.1 child makes it (a reference encoder written here with the raw LZ4 API);
** our frames decoded as a 1.37.1 parent decodes them (a reference decoder written here). Single
** frames (plain text, broken input, the output-pending rule, encoder limits, reset):
** test_stream_lz4_frames.c; the helpers both use: stream_lz4_testutil.h.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lz4.h>

#include "stream_lz4.h"
#include "stream_lz4_testutil.h"

/* N bytes of BEGIN/SET/END collection text as a 1.37.1 child writes it, numbers varying. */
static char *make_text(size_t n, uint32_t seed)
{
    static const char *const charts[] = {"system.cpu", "system.ram", "disk.sda", "net.eth0",
                                         "apps.cpu", "ipv4.sockstat_tcp_sockets"};
    Buf b = {0};
    char line[128];
    while (b.n < n) {
        size_t c = rnd(&seed) % (sizeof charts / sizeof charts[0]);
        int k = snprintf(line, sizeof line, "BEGIN \"%s\" %llu\n", charts[c],
                         (unsigned long long)(1000000 + rnd(&seed) % 2000));
        buf_add(&b, line, (size_t)k);
        for (uint32_t i = 0, dims = 1 + rnd(&seed) % 12; i < dims; i++) {
            uint32_t v = rnd(&seed);
            k = snprintf(line, sizeof line, "SET \"dim%u\" = %u\n", i, v >> (v % 29));
            buf_add(&b, line, (size_t)k);
        }
        buf_add(&b, "END\n", 4);
    }
    return (char *)b.p;
}

enum { PIECE_FRAME, PIECE_BYTE, PIECE_RANDOM };

/* Decode S with a fresh decoder in pieces of the given kind; check text and counters. */
static void decode_check(const Stream *s, int kind, const char *text, size_t n)
{
    StreamLz4Decoder d;
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    Buf out = {0};
    uint32_t seed = 12345;
    size_t wraps = 0, at = 0, off = 0;
    for (size_t i = 0; off < s->wire.n; i++) {
        size_t k = kind == PIECE_FRAME ? s->flen[i] : kind == PIECE_BYTE ? 1
                                                                         : 1 + rnd(&seed) % 40000;
        k = k < s->wire.n - off ? k : s->wire.n - off;
        size_t before = out.n;
        assert_int_equal(push_all(&d, s->wire.p + off, k, &out), 0);
        if (kind == PIECE_FRAME) {      /* one frame in, exactly its text out */
            assert_int_equal(out.n - before, s->plen[i]);
        }
        wraps += d.write_at < at;
        at = d.write_at;
        off += k;
    }
    expect_same(&out, text, n);
    assert_true(n < TEXT_BYTES || wraps >= MIN_WRAPS);
    assert_int_equal(d.frames, s->n);
    assert_int_equal(d.bytes_in, s->wire.n);
    assert_int_equal(d.bytes_out, n);
    free(out.p);
    stream_lz4_decoder_free(&d);
}

/* ---- round trips ---------------------------------------------------------------------------- */

static void test_round_trip(void **state)
{
    (void)state;
    char *text = make_text(TEXT_BYTES, 0xC0FFEEu);
    Stream s = {0};
    encode_ours(&s, text, TEXT_BYTES, 99);
    assert_true(s.wire.n < TEXT_BYTES / 2);     /* it did compress */
    decode_check(&s, PIECE_FRAME, text, TEXT_BYTES);
    decode_check(&s, PIECE_BYTE, text, TEXT_BYTES);
    decode_check(&s, PIECE_RANDOM, text, TEXT_BYTES);
    stream_free(&s);

    /* four letters at random: short matches everywhere, so a ring byte out of place shows */
    uint32_t seed = 5;
    for (size_t i = 0; i < TEXT_BYTES; i++) {
        text[i] = "ab \n"[rnd(&seed) % 4];
    }
    Stream t = {0};
    encode_ours(&t, text, TEXT_BYTES, 11);
    decode_check(&t, PIECE_RANDOM, text, TEXT_BYTES);
    stream_free(&t);
    free(text);
}

/*
** A 1.37.1 child's encoder, from its description: LZ4_compress_fast_continue over an
** input ring of LZ4_DECODER_RING_BUFFER_SIZE(2 * 16384) bytes whose write position restarts at 0
** once it reaches (size - 16384); blocks of up to 16384 plain bytes.
*/
static void test_decode_netdata_child(void **state)
{
    (void)state;
    char *text = make_text(TEXT_BYTES, 0xBADC0DEu);
    const size_t size = LZ4_DECODER_RING_BUFFER_SIZE(2 * STREAM_LZ4_MAX_PLAIN);
    char *ring = malloc(size);
    LZ4_stream_t *lz = LZ4_createStream();
    assert_non_null(ring);
    assert_non_null(lz);
    uint8_t frame[STREAM_LZ4_HEADER + LZ4_COMPRESSBOUND(STREAM_LZ4_MAX_PLAIN)];
    Stream s = {0};
    uint32_t seed = 7;
    size_t pos = 0, wraps = 0;
    for (size_t off = 0; off < TEXT_BYTES;) {
        size_t k = next_chunk(&seed, text + off, TEXT_BYTES - off, STREAM_LZ4_MAX_PLAIN);
        memcpy(ring + pos, text + off, k);
        int z = LZ4_compress_fast_continue(lz, ring + pos, (char *)frame + STREAM_LZ4_HEADER,
                                           (int)k, (int)(sizeof frame - STREAM_LZ4_HEADER), 1);
        assert_true(z > 0 && z <= (int)STREAM_LZ4_MAX_BLOCK);
        put_header(frame, (size_t)z);
        stream_add(&s, frame, STREAM_LZ4_HEADER + (size_t)z, k);
        pos += k;
        if (pos >= size - STREAM_LZ4_MAX_PLAIN) {
            pos = 0;
            wraps++;
        }
        off += k;
    }
    assert_true(wraps >= MIN_WRAPS);
    decode_check(&s, PIECE_FRAME, text, TEXT_BYTES);
    decode_check(&s, PIECE_RANDOM, text, TEXT_BYTES);
    LZ4_freeStream(lz);
    free(ring);
    stream_free(&s);
    free(text);
}

/*
** Our frames read by a 1.37.1 parent's decoder, from its description: a ring of
** LZ4_DECODER_RING_BUFFER_SIZE(16384) bytes whose write position restarts at 0 when, before a
** block, it is at least half the ring; LZ4_decompress_safe_continue with room (size - write_at).
** Returns the decoded text in OUT, 0, or -1 at a frame that does not decode.
*/
static int netdata_parent_decode(const Stream *s, Buf *out, size_t *wraps)
{
    const size_t size = LZ4_DECODER_RING_BUFFER_SIZE(STREAM_LZ4_MAX_PLAIN);
    char *ring = malloc(size);
    LZ4_streamDecode_t *lz = LZ4_createStreamDecode();
    assert_non_null(ring);
    assert_non_null(lz);
    size_t write_at = 0, off = 0;
    int rc = 0;
    *wraps = 0;
    for (size_t i = 0; i < s->n && rc == 0; off += s->flen[i++]) {
        const uint8_t *h = s->wire.p + off;
        size_t len = (size_t)(h[1] & 0x7F) | (size_t)(h[2] & 0x7F) << 7;
        assert_true(h[0] == 0xFA && h[3] == '\n' && len + STREAM_LZ4_HEADER == s->flen[i]);
        if (write_at >= size / 2) {
            write_at = 0;
            ++*wraps;
        }
        int k = LZ4_decompress_safe_continue(lz, (const char *)h + STREAM_LZ4_HEADER,
                                             ring + write_at, (int)len, (int)(size - write_at));
        if (k <= 0) {
            rc = -1;
        } else {
            buf_add(out, ring + write_at, (size_t)k);
            write_at += (size_t)k;
        }
    }
    LZ4_freeStreamDecode(lz);
    free(ring);
    return rc;
}

static void test_netdata_parent_decodes_ours(void **state)
{
    (void)state;
    char *text = make_text(TEXT_BYTES, 0x5EEDu);
    Stream s = {0};
    encode_ours(&s, text, TEXT_BYTES, 3);
    Buf out = {0};
    size_t wraps;
    assert_int_equal(netdata_parent_decode(&s, &out, &wraps), 0);
    expect_same(&out, text, TEXT_BYTES);
    assert_true(wraps >= MIN_WRAPS);
    free(out.p);
    stream_free(&s);

    /* Control: the same text compressed as one contiguous stream (matches up to 64 KiB back)
       does not survive that ring, so the check above can fail. */
    LZ4_stream_t *lz = LZ4_createStream();
    assert_non_null(lz);
    uint8_t frame[STREAM_LZ4_HEADER + LZ4_COMPRESSBOUND(STREAM_LZ4_MAX_ENCODE)];
    Stream flat = {0};
    uint32_t seed = 3;
    for (size_t off = 0, k; off < TEXT_BYTES; off += k) {
        k = next_chunk(&seed, text + off, TEXT_BYTES - off, STREAM_LZ4_MAX_ENCODE);
        int z = LZ4_compress_fast_continue(lz, text + off, (char *)frame + STREAM_LZ4_HEADER,
                                           (int)k, (int)(sizeof frame - STREAM_LZ4_HEADER), 1);
        assert_true(z > 0 && z <= (int)STREAM_LZ4_MAX_BLOCK);
        put_header(frame, (size_t)z);
        stream_add(&flat, frame, STREAM_LZ4_HEADER + (size_t)z, k);
    }
    Buf bad = {0};
    assert_false(netdata_parent_decode(&flat, &bad, &wraps) == 0 && bad.n == TEXT_BYTES &&
                 memcmp(bad.p, text, TEXT_BYTES) == 0);
    decode_check(&flat, PIECE_RANDOM, text, TEXT_BYTES);     /* ours is LZ4's general ring */
    free(bad.p);
    stream_free(&flat);
    LZ4_freeStream(lz);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_decode_netdata_child),
        cmocka_unit_test(test_netdata_parent_decodes_ours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

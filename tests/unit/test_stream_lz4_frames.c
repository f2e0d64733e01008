/*
** test_stream_lz4_frames.c - cmocka tests for runtime/stream_lz4.c one frame at a time, against
** stream-protocol §4: plain text and length-0 headers passed through 4 bytes at a time, a frame
** header read within text; corrupt, oversized and truncated blocks; the output-pending rule
** (push takes nothing until the output is taken, take() in parts); encoder limits,
** incompressible input and reset; the counters. Whole streams and 1.37.1 interoperability:
** test_stream_lz4.c; the helpers both use: stream_lz4_testutil.h.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lz4.h>

#include "stream_lz4.h"
#include "stream_lz4_testutil.h"

/* ---- plain text in a compressed stream ------------------------------------------------------ */

/* One frame of TEXT from a fresh encoder into S. */
static void one_frame(Stream *s, const char *text)
{
    encode_ours(s, text, strlen(text), 1);
    assert_int_equal(s->n, 1);
}

static void test_plain_text(void **state)
{
    (void)state;
    static const char body[] = "BEGIN \"system.cpu\" 1000000\nSET \"user\" = 12\nEND\n";
    Stream f = {0};
    one_frame(&f, body);
    static const uint8_t not_headers[] = {
        'S', 'E', 'T', ' ', 'x', ' ', '=', ' ', '1', '0', '0', '\n',   /* "SET x = 100\n" */
        0xFA, 0x80, 0x80, '\n',         /* length 0: text */
        0xFA, 0x85, 0x80, 'x',          /* no '\n' */
        0xFA, 0x05, 0x80, '\n',         /* a length byte without bit 7 */
        0xFB, 0x85, 0x80, '\n',
    };
    Buf in = {0}, out = {0};
    buf_add(&in, not_headers, sizeof not_headers);
    buf_add(&in, f.wire.p, f.wire.n);
    buf_add(&in, "END\n", 4);

    StreamLz4Decoder d;
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    size_t off = 0;
    for (size_t i = 0; i < sizeof not_headers / 4; i++) {   /* 4 bytes in, the same 4 out */
        assert_int_equal(stream_lz4_decoder_push(&d, in.p + off, in.n - off), 4);
        assert_int_equal(drain(&d, &out), 4);
        assert_memory_equal(out.p + off, in.p + off, 4);
        off += 4;
    }
    assert_int_equal(d.frames, 0);
    assert_int_equal(stream_lz4_decoder_push(&d, in.p + off, in.n - off), f.wire.n);
    assert_int_equal(drain(&d, &out), strlen(body));
    assert_int_equal(push_all(&d, in.p + off + f.wire.n, 4, &out), 0);
    Buf want = {0};
    buf_add(&want, not_headers, sizeof not_headers);
    buf_add(&want, body, strlen(body));
    buf_add(&want, "END\n", 4);
    expect_same(&out, (const char *)want.p, want.n);
    assert_int_equal(d.frames, 1);
    assert_int_equal(d.bytes_in, in.n);
    assert_int_equal(d.bytes_out, want.n);
    stream_lz4_decoder_free(&d);

    /* 10 bytes of text: the frame header is then read within text, as 1.37.1 reads it */
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    out.n = 0;
    assert_int_equal(push_all(&d, (const uint8_t *)"SET x = 1\n", 10, &out), 0);
    assert_int_equal(out.n, 8);
    assert_int_equal(push_all(&d, f.wire.p, 2, &out), 0);
    assert_int_equal(out.n, 12);
    assert_memory_equal(out.p, "SET x = 1\n\xFA", 11);
    assert_int_equal(out.p[11], f.wire.p[1]);
    stream_lz4_decoder_free(&d);
    free(in.p);
    free(out.p);
    free(want.p);
    stream_free(&f);
}

/* ---- broken input --------------------------------------------------------------------------- */

/* A frame of the first N bytes of a repetitive text made by LZ4_compress_default. */
static size_t raw_frame(uint8_t *frame, size_t cap, size_t n)
{
    char *text = malloc(n);
    assert_non_null(text);
    for (size_t i = 0; i < n; i++) {
        text[i] = "SET \"user\" = 1\n"[i % 15];
    }
    int z = LZ4_compress_default(text, (char *)frame + STREAM_LZ4_HEADER, (int)n,
                                 (int)(cap - STREAM_LZ4_HEADER));
    free(text);
    assert_true(z > 0 && z <= (int)STREAM_LZ4_MAX_BLOCK);
    put_header(frame, (size_t)z);
    return STREAM_LZ4_HEADER + (size_t)z;
}

static void test_broken(void **state)
{
    (void)state;
    StreamLz4Decoder d;
    Buf out = {0};
    static const char body[] = "BEGIN \"disk.sda\" 1000000\nSET \"reads\" = 5\nSET \"writes\" = 9\n"
                               "END\nBEGIN \"disk.sda\" 1000000\nSET \"reads\" = 6\nEND\n";
    Stream f = {0};
    one_frame(&f, body);

    /* corrupt payload: every byte after the first flipped */
    uint8_t bad[256];
    assert_true(f.wire.n <= sizeof bad);
    memcpy(bad, f.wire.p, f.wire.n);
    for (size_t i = STREAM_LZ4_HEADER + 1; i < f.wire.n; i++) {
        bad[i] ^= 0xFF;
    }
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    assert_int_equal(stream_lz4_decoder_push(&d, bad, f.wire.n), -1);
    assert_int_equal(d.frames, 0);
    stream_lz4_decoder_free(&d);

    /* a block of more than 16384 plain bytes; exactly 16384 is still one frame */
    uint8_t big[STREAM_LZ4_HEADER + LZ4_COMPRESSBOUND(20000)];
    size_t n = raw_frame(big, sizeof big, 20000);
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    assert_int_equal(stream_lz4_decoder_push(&d, big, n), -1);
    stream_lz4_decoder_free(&d);
    n = raw_frame(big, sizeof big, STREAM_LZ4_MAX_PLAIN);
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    assert_int_equal(push_all(&d, big, n, &out), 0);
    assert_int_equal(out.n, STREAM_LZ4_MAX_PLAIN);
    stream_lz4_decoder_free(&d);

    /* a truncated frame: taken, no output, until the rest comes */
    out.n = 0;
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    size_t at = 0;
    for (; at + 7 < f.wire.n; at += 7) {
        assert_int_equal(stream_lz4_decoder_push(&d, f.wire.p + at, 7), 7);
        assert_int_equal(drain(&d, &out), 0);
    }
    assert_int_equal(stream_lz4_decoder_push(&d, f.wire.p + at, f.wire.n - at), f.wire.n - at);
    assert_int_equal(drain(&d, &out), strlen(body));
    assert_memory_equal(out.p, body, strlen(body));
    stream_lz4_decoder_free(&d);

    /* output pending: push takes nothing until it is all taken; take() in parts */
    Buf two = {0};
    buf_add(&two, f.wire.p, f.wire.n);
    buf_add(&two, "abcd", 4);
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    size_t len;
    stream_lz4_decoder_take(&d, 0);         /* nothing pending yet: no-ops */
    stream_lz4_decoder_take(&d, 3);
    assert_null(stream_lz4_decoder_output(&d, &len));
    assert_int_equal(len, 0);
    assert_int_equal(stream_lz4_decoder_push(&d, two.p, two.n), f.wire.n);   /* one piece */
    assert_int_equal(stream_lz4_decoder_push(&d, two.p + f.wire.n, 4), 0);
    const char *o = stream_lz4_decoder_output(&d, &len);
    assert_int_equal(len, strlen(body));
    stream_lz4_decoder_take(&d, 5);
    const char *o2 = stream_lz4_decoder_output(&d, &len);
    assert_ptr_equal(o2, o + 5);
    assert_int_equal(len, strlen(body) - 5);
    assert_memory_equal(o2, body + 5, len);
    assert_int_equal(stream_lz4_decoder_push(&d, two.p + f.wire.n, 4), 0);
    stream_lz4_decoder_take(&d, len - 1);
    assert_int_equal(stream_lz4_decoder_push(&d, two.p + f.wire.n, 4), 0);
    stream_lz4_decoder_take(&d, 100);       /* more than pending: all of it */
    assert_null(stream_lz4_decoder_output(&d, &len));
    assert_int_equal(len, 0);
    assert_int_equal(stream_lz4_decoder_push(&d, two.p + f.wire.n, 4), 4);
    o = stream_lz4_decoder_output(&d, &len);
    assert_int_equal(len, 4);
    assert_memory_equal(o, "abcd", 4);
    stream_lz4_decoder_free(&d);
    free(two.p);
    free(out.p);
    stream_free(&f);
}

/* ---- encoder limits ------------------------------------------------------------------------- */

static void test_encoder_limits(void **state)
{
    (void)state;
    StreamLz4Encoder e;
    assert_int_equal(stream_lz4_encoder_init(&e), 0);
    enum { N = STREAM_LZ4_MAX_ENCODE };
    static char plain[N + 1];
    static uint8_t frame[STREAM_LZ4_HEADER + LZ4_COMPRESSBOUND(N + 1)];
    uint32_t seed = 42;
    assert_int_equal(stream_lz4_encode(&e, plain, 0, frame, sizeof frame), 0);
    assert_int_equal(stream_lz4_encode(&e, plain, N + 1, frame, sizeof frame), 0);
    assert_int_equal(stream_lz4_encode(&e, plain, 100, frame, stream_lz4_frame_bound(100) - 1), 0);
    assert_int_equal(e.frames + e.bytes_in + e.bytes_out, 0);
    assert_true(stream_lz4_frame_bound(N) <= STREAM_LZ4_HEADER + STREAM_LZ4_MAX_BLOCK);

    /* incompressible blocks of the largest size still fit 14 bits, and decode back */
    StreamLz4Decoder d;
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    Buf out = {0};
    for (int i = 0; i < 12; i++) {
        for (size_t k = 0; k < N; k++) {
            plain[k] = (char)rnd(&seed);
        }
        size_t f = stream_lz4_encode(&e, plain, N, frame, stream_lz4_frame_bound(N));
        size_t len = (size_t)(frame[1] & 0x7F) | (size_t)(frame[2] & 0x7F) << 7;
        assert_true(f > N && len + STREAM_LZ4_HEADER == f);
        out.n = 0;
        assert_int_equal(push_all(&d, frame, f, &out), 0);
        assert_int_equal(out.n, N);
        assert_memory_equal(out.p, plain, N);
    }
    stream_lz4_decoder_free(&d);

    /* after a reset, a fresh decoder reads the frames; the same text again would otherwise be
       one back reference into text that decoder never saw */
    static const char body[] = "BEGIN \"net.eth0\" 1000000\nSET \"received\" = 1234567\nEND\n";
    size_t f = stream_lz4_encode(&e, body, strlen(body), frame, sizeof frame);
    assert_true(f > 0);
    stream_lz4_encoder_reset(&e);
    assert_int_equal(e.pos, 0);
    assert_int_equal(stream_lz4_decoder_init(&d), 0);
    out.n = 0;
    for (int i = 0; i < 3; i++) {
        f = stream_lz4_encode(&e, body, strlen(body), frame, sizeof frame);
        assert_int_equal(push_all(&d, frame, f, &out), 0);
    }
    assert_int_equal(out.n, 3 * strlen(body));
    for (int i = 0; i < 3; i++) {
        assert_memory_equal(out.p + i * strlen(body), body, strlen(body));
    }
    assert_int_equal(e.frames, 12 + 1 + 3);
    assert_int_equal(e.bytes_in, 12 * (size_t)N + 4 * strlen(body));
    stream_lz4_decoder_free(&d);
    stream_lz4_encoder_free(&e);
    free(out.p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_encoder_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

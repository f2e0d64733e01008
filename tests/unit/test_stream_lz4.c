/*
** test_stream_lz4.c - cmocka tests for runtime/stream_lz4.c against stream-protocol §4 and the
** ring rules in stream_lz4.h: round trips of several MB of collection text (both rings wrapping
** many times) fed whole, per frame, byte by byte and in random pieces; a stream made as a 1.37.1
** child makes it (a reference encoder written here with the raw LZ4 API); our frames decoded as a
** 1.37.1 parent decodes them (a reference decoder written here); plain text and length-0 headers
** passed through 4 bytes at a time; corrupt, oversized and truncated blocks; the output-pending
** rule; encoder limits, incompressible input and reset; the counters.
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
#include "testutil.h"

#define TEXT_BYTES (4u << 20)
#define MIN_WRAPS 20

/* ---- helpers -------------------------------------------------------------------------------- */

typedef struct Buf {
    uint8_t *p;
    size_t n, cap;
} Buf;

static void buf_add(Buf *b, const void *p, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        if (!b->p) {
            testutil_die("out of memory (%zu bytes)", b->cap);
        }
    }
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

/* Frames back to back in WIRE; frame I is FLEN[I] bytes carrying PLEN[I] plain bytes. */
typedef struct Stream {
    Buf wire;
    size_t *flen, *plen;
    size_t n, cap;
} Stream;

static void stream_add(Stream *s, const uint8_t *frame, size_t flen, size_t plen)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->flen = realloc(s->flen, s->cap * sizeof *s->flen);
        s->plen = realloc(s->plen, s->cap * sizeof *s->plen);
        if (!s->flen || !s->plen) {
            testutil_die("out of memory (%zu frames)", s->cap);
        }
    }
    buf_add(&s->wire, frame, flen);
    s->flen[s->n] = flen;
    s->plen[s->n] = plen;
    s->n++;
}

static void stream_free(Stream *s)
{
    free(s->wire.p);
    free(s->flen);
    free(s->plen);
}

static uint32_t rnd(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

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

/* The next chunk of TEXT (LEFT bytes) of at most MAX bytes: a random limit, cut after its last
   newline as a sender cuts text three times in four, else anywhere. */
static size_t next_chunk(uint32_t *r, const char *text, size_t left, size_t max)
{
    size_t k = rnd(r) % 4 == 0 ? max : 1 + rnd(r) % max;
    k = k < left ? k : left;
    if (k < left && rnd(r) % 4) {
        const char *nl = memrchr(text, '\n', k);
        k = nl ? (size_t)(nl - text) + 1 : k;
    }
    return k;
}

/* TEXT (N bytes) framed by a fresh encoder of ours into S; checks bounds, ring restarts (at
   least MIN_WRAPS for TEXT_BYTES of text) and the encoder's counters. */
static void encode_ours(Stream *s, const char *text, size_t n, uint32_t seed)
{
    StreamLz4Encoder e;
    assert_int_equal(stream_lz4_encoder_init(&e), 0);
    uint8_t frame[STREAM_LZ4_HEADER + LZ4_COMPRESSBOUND(STREAM_LZ4_MAX_ENCODE)];
    size_t wraps = 0, pos = 0;
    for (size_t off = 0; off < n;) {
        size_t k = next_chunk(&seed, text + off, n - off, STREAM_LZ4_MAX_ENCODE);
        size_t f = stream_lz4_encode(&e, text + off, k, frame, sizeof frame);
        assert_true(f > STREAM_LZ4_HEADER && f <= stream_lz4_frame_bound(k));
        wraps += e.pos < pos;
        pos = e.pos;
        stream_add(s, frame, f, k);
        off += k;
    }
    assert_true(n < TEXT_BYTES || wraps >= MIN_WRAPS);
    assert_int_equal(e.frames, s->n);
    assert_int_equal(e.bytes_in, n);
    assert_int_equal(e.bytes_out, s->wire.n);
    stream_lz4_encoder_free(&e);
}

static void expect_same(const Buf *got, const char *want, size_t n)
{
    size_t i = 0;
    while (i < n && i < got->n && got->p[i] == (uint8_t)want[i]) {
        i++;
    }
    if (i < n || got->n != n) {
        fail_msg("decoded %zu bytes, want %zu; first difference at %zu", got->n, n, i);
    }
}

/* Take all pending output of D into OUT; returns its length. */
static size_t drain(StreamLz4Decoder *d, Buf *out)
{
    size_t len;
    const char *o = stream_lz4_decoder_output(d, &len);
    assert_true(len <= STREAM_LZ4_MAX_PLAIN);
    assert_true((o != NULL) == (len > 0));
    if (len) {
        buf_add(out, o, len);
        stream_lz4_decoder_take(d, len);
    }
    return len;
}

/* Push the N bytes at IN, taking all output after every push; -1 when a push fails. Since
   output is always taken, every push must take at least one byte. */
static int push_all(StreamLz4Decoder *d, const uint8_t *in, size_t n, Buf *out)
{
    for (size_t off = 0; off < n;) {
        ssize_t r = stream_lz4_decoder_push(d, in + off, n - off);
        if (r < 0) {
            return -1;
        }
        assert_true(r > 0 && (size_t)r <= n - off);
        off += (size_t)r;
        drain(d, out);
    }
    return 0;
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

static void put_header(uint8_t *h, size_t len)
{
    h[0] = 0xFA;
    h[1] = (uint8_t)(0x80 | (len & 0x7F));
    h[2] = (uint8_t)(0x80 | ((len >> 7) & 0x7F));
    h[3] = '\n';
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
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_decode_netdata_child),
        cmocka_unit_test(test_netdata_parent_decodes_ours),
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_broken),
        cmocka_unit_test(test_encoder_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

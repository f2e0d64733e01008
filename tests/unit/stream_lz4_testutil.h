/*
** stream_lz4_testutil.h - what test_stream_lz4.c (round trips and 1.37.1 interoperability over
** megabytes of text) and test_stream_lz4_frames.c (plain text, broken frames, the output-pending
** rule, encoder limits) share: a growable byte buffer, a stream of frames that remembers each
** frame's wire and plain length, the xorshift generator, a sender's chunking of text, a run of
** our encoder over a text (bounds, ring restarts and counters checked), pushing into our decoder
** while taking all its output, and the 4-byte frame header. cmocka code for those two tests
** only. The functions are plain static, as in the one file they came from, and both tests use
** every one (-Wunused-function says so if one stops): declared inline, GCC 12 inlines buf_add
** into test_plain_text and reports -Warray-bounds on the path where testutil_die would return.
*/
#ifndef STREAMC_STREAM_LZ4_TESTUTIL_H
#define STREAMC_STREAM_LZ4_TESTUTIL_H

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

/* The text size of the stream tests; over that much text, both rings restart MIN_WRAPS times or
   more (encode_ours checks it for ours). */
#define TEXT_BYTES (4u << 20)
#define MIN_WRAPS 20

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

static void put_header(uint8_t *h, size_t len)
{
    h[0] = 0xFA;
    h[1] = (uint8_t)(0x80 | (len & 0x7F));
    h[2] = (uint8_t)(0x80 | ((len >> 7) & 0x7F));
    h[3] = '\n';
}

#endif

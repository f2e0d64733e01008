/*
** fuzz_lz4.c - libFuzzer target for runtime/stream_lz4.c. The input is used twice.
**
** As a compressed stream from a child: a fresh decoder is fed the input in pieces whose sizes
** come from a generator seeded by the first two input bytes (which are fed too), until a push
** returns -1 or the input ends. Output is taken in parts of generated sizes, with a push in
** between each part, which must take nothing while output is pending.
**
** As plain text: the input, repeated (each pass with its bytes changed so that stale ring
** contents differ from the right ones) to about 96 KiB, so both rings restart, is cut into chunks
** of generated sizes up to STREAM_LZ4_MAX_ENCODE bytes (a chunk may span passes); one encoder
** frames them and one decoder reads the frames back in generated pieces.
**
** Traps when: a push takes more than offered, or nothing with no output pending; an output is
** longer than 16384 bytes, or without a new frame is not exactly the last 4 bytes taken; the
** counters disagree with what was pushed and taken; an encode fails, exceeds its bound or
** announces a length other than its own; a frame does not give back its chunk exactly.
** Everything is freed each run (leaks are found).
*/
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "stream_lz4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ROUND_TRIP_BYTES (96u * 1024u)
#define MAX_PASSES 64u
#define MAX_FRAMES 1024u        /* bounds a run made of tiny chunks */

static char chunk[STREAM_LZ4_MAX_ENCODE];
static uint8_t frame[STREAM_LZ4_HEADER + STREAM_LZ4_MAX_BLOCK];

static void check(int ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

/* A size in 1..MAX from a small generator: span chosen by MODE, seeded by the caller. */
static size_t gen_size(uint32_t *seed, unsigned mode, size_t max)
{
    static const size_t span[] = {1, 3, 17, 300, 5000, 70000};
    *seed = *seed * 1103515245u + 12345u;
    size_t k = 1 + (size_t)((*seed >> 8) % span[mode % 6]);
    return k < max ? k : max;
}

/* ---- the input as a compressed stream ------------------------------------------------------- */

static void decode_input(const uint8_t *data, size_t size, uint32_t seed, unsigned mode)
{
    StreamLz4Decoder d;
    check(stream_lz4_decoder_init(&d) == 0);
    size_t off = 0;
    uint64_t taken = 0;
    while (off < size) {
        size_t k = gen_size(&seed, mode, size - off);
        uint64_t frames = d.frames;
        ssize_t r = stream_lz4_decoder_push(&d, data + off, k);
        if (r < 0) {
            break;
        }
        check(r > 0 && (size_t)r <= k);     /* all output was taken before */
        off += (size_t)r;
        size_t len;
        const char *o = stream_lz4_decoder_output(&d, &len);
        check(len <= STREAM_LZ4_MAX_PLAIN && (o != NULL) == (len > 0));
        if (len && d.frames == frames) {      /* 4 bytes that were not a header */
            check(len == STREAM_LZ4_HEADER && off >= 4 && memcmp(o, data + off - 4, 4) == 0);
        }
        check(d.frames <= frames + 1 && (len > 0 || d.frames == frames));
        while (len) {
            size_t part = gen_size(&seed, mode >> 3, len);
            stream_lz4_decoder_take(&d, part);
            taken += part;
            const char *rest = stream_lz4_decoder_output(&d, &len);
            check(len == 0 || rest == o + part);
            o = rest;
            if (len && off < size) {
                check(stream_lz4_decoder_push(&d, data + off, size - off) == 0);
            }
        }
    }
    check(d.bytes_out == taken);
    check(off == size ? d.bytes_in == size : d.bytes_in <= size);
    check(d.frames * (STREAM_LZ4_HEADER + 1) <= d.bytes_in);
    stream_lz4_decoder_free(&d);
}

/* ---- the input as plain text ---------------------------------------------------------------- */

static void decode_frame(StreamLz4Decoder *d, size_t f, size_t n, uint32_t *seed, unsigned mode)
{
    size_t off = 0, got = 0;
    while (off < f) {
        ssize_t r = stream_lz4_decoder_push(d, frame + off, gen_size(seed, mode, f - off));
        check(r > 0);
        off += (size_t)r;
        size_t len;
        const char *o = stream_lz4_decoder_output(d, &len);
        check(len == 0 || (off == f && len == n && memcmp(o, chunk, n) == 0));
        stream_lz4_decoder_take(d, len);
        got += len;
    }
    check(got == n);
}

static void round_trip(const uint8_t *data, size_t size, uint32_t seed, unsigned mode)
{
    StreamLz4Encoder e;
    StreamLz4Decoder d;
    check(stream_lz4_encoder_init(&e) == 0);
    check(stream_lz4_decoder_init(&d) == 0);
    size_t passes = size ? (ROUND_TRIP_BYTES + size - 1) / size : 0;
    size_t total = (passes < MAX_PASSES ? passes : MAX_PASSES) * size, sent = 0;
    while (sent < total && e.frames < MAX_FRAMES) {     /* a chunk may span passes */
        size_t n = gen_size(&seed, 2 + (mode >> 1) % 4, total - sent);
        n = n < STREAM_LZ4_MAX_ENCODE ? n : STREAM_LZ4_MAX_ENCODE;
        for (size_t i = 0; i < n; i++) {
            chunk[i] = (char)(data[(sent + i) % size] ^ (uint8_t)((sent + i) / size * 0x9Du));
        }
        size_t f = stream_lz4_encode(&e, chunk, n, frame, stream_lz4_frame_bound(n));
        check(f > STREAM_LZ4_HEADER && f <= stream_lz4_frame_bound(n));
        size_t len = (size_t)(frame[1] & 0x7F) | (size_t)(frame[2] & 0x7F) << 7;
        check(frame[0] == 0xFA && frame[3] == '\n' && len + STREAM_LZ4_HEADER == f);
        decode_frame(&d, f, n, &seed, mode >> 3);
        sent += n;
    }
    check(e.frames == d.frames && e.bytes_in == sent && d.bytes_out == sent);
    check(e.bytes_out == d.bytes_in);
    stream_lz4_decoder_free(&d);
    stream_lz4_encoder_free(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint32_t seed = size > 1 ? (uint32_t)data[0] << 8 | data[1] : 7;
    unsigned mode = size > 0 ? data[0] : 0;
    decode_input(data, size, seed, mode);
    round_trip(data, size, seed, mode);
    return 0;
}

/*
** bench_lz4.c - the LZ4 framing of a compressed stream (runtime/stream_lz4.c) on a child's
** real command stream, against the way Netdata 1.37.1's child frames the same text, both
** measured in the same run: bytes on the wire (frames / text) and MB/s of text encoded and
** decoded on one core.
**
** Usage: bench_lz4 [STREAM]   (default build/bench/nd_wire.txt, a real Netdata 1.37.1 child's
**                              15 minutes as `bench/record_netdata.py --wire` records them;
**                              without it, bench/data/proc_metrics.bin's values are turned into
**                              BEGIN/SET/END text, so the bench always runs)
**
** ours      stream_lz4_encode: frames of at most STREAM_LZ4_MAX_ENCODE bytes cut at the last
**           newline, an input ring laid out like a 1.37.1 parent's decoding ring (restart at
**           40,967 bytes: the history is shorter than 64 KiB after a restart); decoded by
**           stream_lz4_decoder_push.
** baseline  what a 1.37.1 child does (stream-protocol §4): frames of at most 16,384 bytes cut
**           at the last newline, LZ4_compress_fast_continue over an input ring of
**           LZ4_DECODER_RING_BUFFER_SIZE(32768) bytes restarting when fewer than 16,384 bytes
**           are left; decoded into a contiguous buffer with LZ4_decompress_safe_continue.
** Each figure is the best of 5 runs over the whole text. Before timing, both decoded texts are
** compared with the input; a difference is an error (exit 1). Not a test: figures never gate.
*/
#include <lz4.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stream_lz4.h"

#define RUNS 5
#define ND_MAX 16384u
#define ND_RING LZ4_DECODER_RING_BUFFER_SIZE(2 * ND_MAX)

typedef struct Text {
    char *s;
    size_t n;
} Text;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The next frame's text at P (N left): at most MAX bytes, cut after the last newline. */
static size_t cut(const char *p, size_t n, size_t max)
{
    if (n <= max) {
        return n;
    }
    const char *nl = memrchr(p, '\n', max);
    return nl ? (size_t)(nl - p) + 1 : max;
}

static int read_file(const char *path, Text *t)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        return -1;
    }
    size_t cap = 1 << 20;
    t->s = malloc(cap);
    t->n = 0;
    size_t k;
    while (t->s && (k = fread(t->s + t->n, 1, cap - t->n, f)) > 0) {
        t->n += k;
        if (t->n == cap) {
            cap *= 2;
            char *grown = realloc(t->s, cap);
            if (!grown) {
                free(t->s);
                t->s = NULL;
            }
            t->s = grown;
        }
    }
    fclose(f);
    if (!t->s) {
        return -1;
    }
    const char *body = memmem(t->s, t->n, "\r\n\r\n", 4);   /* skip the STREAM request */
    if (body) {
        size_t skip = (size_t)(body + 4 - t->s);
        memmove(t->s, t->s + skip, t->n - skip);
        t->n -= skip;
    }
    return 0;
}

/* proc_metrics.bin (record_proc.py's format) as a 1 s BEGIN/SET/END stream of integers. */
static int synthesize(const char *path, Text *t)
{
    FILE *f = fopen(path, "rb");
    char magic[8];
    uint32_t hdr[4];
    if (!f || fread(magic, 1, 8, f) != 8 || memcmp(magic, "SCBENCH1", 8) != 0 ||
        fread(hdr, 4, 4, f) != 4) {
        if (f) {
            fclose(f);
        }
        return -1;
    }
    uint32_t series = hdr[0], rows = hdr[1];
    char **names = calloc(series, sizeof *names);
    float *v = malloc((size_t)series * rows * sizeof *v);
    for (uint32_t i = 0; names && i < series; i++) {
        char buf[512];
        size_t k = 0;
        int c;
        while ((c = fgetc(f)) > 0 && k + 1 < sizeof buf) {
            buf[k++] = (char)c;
        }
        buf[k] = 0;
        names[i] = strdup(buf);
    }
    int ok = v && fread(v, sizeof *v, (size_t)series * rows, f) == (size_t)series * rows;
    fclose(f);
    size_t line = 0;                /* one row of every series: the names and ~60 bytes each */
    for (uint32_t i = 0; names && i < series; i++) {
        line += (names[i] ? strlen(names[i]) : 0) + 64;
    }
    size_t cap = line * rows + 4096;
    t->s = ok && names ? malloc(cap) : NULL;
    t->n = 0;
    for (uint32_t r = 0; t->s && r < rows; r++) {
        for (uint32_t i = 0; i < series; i++) {
            int64_t x = v[(size_t)i * rows + r] == v[(size_t)i * rows + r]
                        ? (int64_t)(v[(size_t)i * rows + r] * 1000) : 0;
            t->n += (size_t)snprintf(t->s + t->n, cap - t->n,
                                     "BEGIN \"%s\" 1000000\nSET \"v\" = %lld\nEND\n",
                                     names[i] ? names[i] : "?", (long long)x);
        }
    }
    for (uint32_t i = 0; names && i < series; i++) {
        free(names[i]);
    }
    free(names);
    free(v);
    return t->s ? 0 : -1;
}

/* ---- the two sides -------------------------------------------------------------------------- */

typedef struct Wire {
    uint8_t *b;
    size_t n, cap;
    size_t frames;
} Wire;

static void ours_encode(const Text *t, Wire *w)
{
    StreamLz4Encoder e;
    if (stream_lz4_encoder_init(&e) != 0) {
        exit(1);
    }
    w->n = w->frames = 0;
    for (size_t off = 0; off < t->n;) {
        size_t k = cut(t->s + off, t->n - off, STREAM_LZ4_MAX_ENCODE);
        size_t f = stream_lz4_encode(&e, t->s + off, k, w->b + w->n, w->cap - w->n);
        if (!f) {
            exit(1);
        }
        w->n += f;
        w->frames++;
        off += k;
    }
    stream_lz4_encoder_free(&e);
}

static size_t ours_decode(const Wire *w, char *out, size_t cap)
{
    StreamLz4Decoder d;
    if (stream_lz4_decoder_init(&d) != 0) {
        exit(1);
    }
    size_t n = 0;
    for (size_t off = 0; off < w->n;) {
        ssize_t used = stream_lz4_decoder_push(&d, w->b + off, w->n - off);
        size_t len;
        const char *o = stream_lz4_decoder_output(&d, &len);
        if (used < 0 || n + len > cap) {
            exit(1);
        }
        memcpy(out + n, o, len);
        n += len;
        stream_lz4_decoder_take(&d, len);
        off += (size_t)used;
    }
    stream_lz4_decoder_free(&d);
    return n;
}

static void nd_encode(const Text *t, Wire *w)
{
    LZ4_stream_t *lz = LZ4_createStream();
    char *ring = malloc(ND_RING);
    size_t pos = 0;
    if (!lz || !ring) {
        exit(1);
    }
    w->n = w->frames = 0;
    for (size_t off = 0; off < t->n;) {
        size_t k = cut(t->s + off, t->n - off, ND_MAX);
        memcpy(ring + pos, t->s + off, k);
        int c = LZ4_compress_fast_continue(lz, ring + pos, (char *)w->b + w->n + 4, (int)k,
                                           (int)(w->cap - w->n - 4), 1);
        if (c <= 0 || c > 16383) {
            exit(1);
        }
        w->b[w->n] = 0xFA;
        w->b[w->n + 1] = (uint8_t)(0x80 | (c & 0x7F));
        w->b[w->n + 2] = (uint8_t)(0x80 | ((c >> 7) & 0x7F));
        w->b[w->n + 3] = '\n';
        w->n += (size_t)c + 4;
        w->frames++;
        pos += k;
        if (pos >= ND_RING - ND_MAX) {
            pos = 0;
        }
        off += k;
    }
    free(ring);
    LZ4_freeStream(lz);
}

static size_t nd_decode(const Wire *w, char *out, size_t cap)
{
    LZ4_streamDecode_t *lz = LZ4_createStreamDecode();
    size_t n = 0;
    for (size_t off = 0; lz && off + 4 <= w->n;) {
        size_t len = (size_t)(w->b[off + 1] & 0x7F) | ((size_t)(w->b[off + 2] & 0x7F) << 7);
        int k = LZ4_decompress_safe_continue(lz, (const char *)w->b + off + 4, out + n, (int)len,
                                             (int)(cap - n));
        if (k <= 0) {
            exit(1);
        }
        n += (size_t)k;
        off += 4 + len;
    }
    LZ4_freeStreamDecode(lz);
    return n;
}

/* ---- main ----------------------------------------------------------------------------------- */

typedef struct Side {
    const char *name;
    void (*encode)(const Text *, Wire *);
    size_t (*decode)(const Wire *, char *, size_t);
    Wire w;
    double enc_s, dec_s;
} Side;

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : "build/bench/nd_wire.txt";
    Text t = {0};
    const char *what = path;
    if (read_file(path, &t) != 0) {
        if (argc > 1 || synthesize("bench/data/proc_metrics.bin", &t) != 0) {
            fprintf(stderr, "bench_lz4: cannot read %s\n", path);
            return 1;
        }
        what = "bench/data/proc_metrics.bin as BEGIN/SET/END text (no recorded stream)";
    }
    Side sides[2] = { { "ours (stream_lz4.c)", ours_encode, ours_decode, {0}, 1e9, 1e9 },
                      { "1.37.1 child's framing", nd_encode, nd_decode, {0}, 1e9, 1e9 } };
    char *out = malloc(t.n + ND_MAX);
    for (int i = 0; i < 2; i++) {
        sides[i].w.cap = t.n + t.n / 100 + 4096;
        sides[i].w.b = malloc(sides[i].w.cap);
        if (!sides[i].w.b || !out) {
            return 1;
        }
        sides[i].encode(&t, &sides[i].w);
        size_t n = sides[i].decode(&sides[i].w, out, t.n + ND_MAX);
        if (n != t.n || memcmp(out, t.s, t.n) != 0) {
            fprintf(stderr, "bench_lz4: %s: the decoded text differs from the input\n",
                    sides[i].name);
            return 1;
        }
    }
    for (int r = 0; r < RUNS; r++) {
        for (int i = 0; i < 2; i++) {
            double a = now_s();
            sides[i].encode(&t, &sides[i].w);
            double b = now_s();
            sides[i].decode(&sides[i].w, out, t.n + ND_MAX);
            double c = now_s();
            sides[i].enc_s = b - a < sides[i].enc_s ? b - a : sides[i].enc_s;
            sides[i].dec_s = c - b < sides[i].dec_s ? c - b : sides[i].dec_s;
        }
    }
    printf("bench_lz4: %s: %zu bytes of stream text\n", what, t.n);
    for (int i = 0; i < 2; i++) {
        Side *s = &sides[i];
        printf("  %-24s %zu frames, %zu bytes = %.2f%% of the text (%.1fx); encode %.0f MB/s, "
               "decode %.0f MB/s of text\n", s->name, s->w.frames, s->w.n,
               100.0 * (double)s->w.n / (double)t.n, (double)t.n / (double)s->w.n,
               (double)t.n / s->enc_s / 1e6, (double)t.n / s->dec_s / 1e6);
    }
    printf("RESULT bench=lz4 text=%zu ours=%zu netdata=%zu size_ratio=%.4f "
           "enc_ratio=%.3f dec_ratio=%.3f\n", t.n, sides[0].w.n, sides[1].w.n,
           (double)sides[0].w.n / (double)sides[1].w.n, sides[1].enc_s / sides[0].enc_s,
           sides[1].dec_s / sides[0].dec_s);
    for (int i = 0; i < 2; i++) {
        free(sides[i].w.b);
    }
    free(out);
    free(t.s);
    return 0;
}

/*
** stream_lz4.c - LZ4 frames of a compressed stream, decoded (parent) and encoded (child); the
** format and the ring rules are in stream_lz4.h.
*/
#include "stream_lz4.h"

#include <lz4.h>
#include <stdlib.h>
#include <string.h>

/* A ring any compliant source can be decoded into (lz4.h, LZ4_decoderRingBufferSize). */
#define DECODER_RING LZ4_DECODER_RING_BUFFER_SIZE(STREAM_LZ4_MAX_PLAIN)
/* A 1.37.1 parent's decoding ring and the point where it starts again at 0. */
#define PEER_RING LZ4_DECODER_RING_BUFFER_SIZE(STREAM_LZ4_MAX_PLAIN)
#define PEER_RESTART (PEER_RING / 2)

/* ---- decoder ------------------------------------------------------------------------------ */

int stream_lz4_decoder_init(StreamLz4Decoder *d)
{
    memset(d, 0, sizeof *d);
    d->lz = LZ4_createStreamDecode();
    d->ring = malloc(DECODER_RING);
    d->block = malloc(STREAM_LZ4_MAX_BLOCK);
    d->ring_size = DECODER_RING;
    return d->lz && d->ring && d->block ? 0 : -1;
}

void stream_lz4_decoder_free(StreamLz4Decoder *d)
{
    if (d->lz) {
        LZ4_freeStreamDecode(d->lz);
    }
    free(d->ring);
    free(d->block);
    memset(d, 0, sizeof *d);
}

/* The length a frame header announces, 0 when the 4 bytes are not one (then they are text). */
static size_t header_length(const uint8_t h[STREAM_LZ4_HEADER])
{
    if (h[0] != 0xFA || !(h[1] & 0x80) || !(h[2] & 0x80) || h[3] != '\n') {
        return 0;
    }
    return (size_t)(h[1] & 0x7F) | ((size_t)(h[2] & 0x7F) << 7);
}

static int decode_block(StreamLz4Decoder *d)
{
    if (d->ring_size - d->write_at < STREAM_LZ4_MAX_PLAIN) {
        d->write_at = 0;
    }
    char *dst = d->ring + d->write_at;
    int n = LZ4_decompress_safe_continue(d->lz, (const char *)d->block, dst, (int)d->need,
                                         (int)STREAM_LZ4_MAX_PLAIN);
    if (n <= 0) {
        return -1;   /* corrupt, or more than one frame's worth of text: 1.37.1 ends too */
    }
    d->write_at += (size_t)n;
    d->out = dst;
    d->out_len = (size_t)n;
    d->frames++;
    d->bytes_out += (uint64_t)n;
    d->need = d->have = 0;
    return 0;
}

ssize_t stream_lz4_decoder_push(StreamLz4Decoder *d, const uint8_t *in, size_t n)
{
    size_t used = 0;
    while (used < n && !d->out_len) {
        if (d->need) {
            size_t k = d->need - d->have < n - used ? d->need - d->have : n - used;
            memcpy(d->block + d->have, in + used, k);
            d->have += k;
            used += k;
            if (d->have == d->need && decode_block(d) != 0) {
                d->bytes_in += used;
                return -1;
            }
            continue;
        }
        d->hdr[d->hdr_len++] = in[used++];
        if (d->hdr_len < STREAM_LZ4_HEADER) {
            continue;
        }
        d->hdr_len = 0;
        d->need = header_length(d->hdr);
        if (!d->need) {
            d->out = (const char *)d->hdr;   /* not a frame: 1.37.1 takes the 4 bytes as text */
            d->out_len = STREAM_LZ4_HEADER;
            d->bytes_out += STREAM_LZ4_HEADER;
        }
    }
    d->bytes_in += used;
    return (ssize_t)used;
}

const char *stream_lz4_decoder_output(const StreamLz4Decoder *d, size_t *len)
{
    *len = d->out_len;
    return d->out_len ? d->out : NULL;
}

void stream_lz4_decoder_take(StreamLz4Decoder *d, size_t n)
{
    n = n < d->out_len ? n : d->out_len;
    if (n) {          /* out is NULL before the first output, and NULL + 0 is undefined */
        d->out += n;
        d->out_len -= n;
    }
}

/* ---- encoder ------------------------------------------------------------------------------ */

size_t stream_lz4_frame_bound(size_t n)
{
    return STREAM_LZ4_HEADER + (size_t)LZ4_COMPRESSBOUND(n);
}

int stream_lz4_encoder_init(StreamLz4Encoder *e)
{
    memset(e, 0, sizeof *e);
    e->lz = LZ4_createStream();
    e->ring = calloc(1, PEER_RING);
    e->ring_size = PEER_RING;
    return e->lz && e->ring ? 0 : -1;
}

void stream_lz4_encoder_reset(StreamLz4Encoder *e)
{
    LZ4_resetStream_fast(e->lz);
    e->pos = 0;
}

void stream_lz4_encoder_free(StreamLz4Encoder *e)
{
    if (e->lz) {
        LZ4_freeStream(e->lz);
    }
    free(e->ring);
    memset(e, 0, sizeof *e);
}

size_t stream_lz4_encode(StreamLz4Encoder *e, const char *plain, size_t n, uint8_t *out,
                         size_t cap)
{
    if (!n || n > STREAM_LZ4_MAX_ENCODE || cap < stream_lz4_frame_bound(n)) {
        return 0;
    }
    if (e->pos >= PEER_RESTART) {
        e->pos = 0;   /* where a 1.37.1 parent's decoder starts again (see the header) */
    }
    char *src = e->ring + e->pos;
    memcpy(src, plain, n);
    int k = LZ4_compress_fast_continue(e->lz, src, (char *)out + STREAM_LZ4_HEADER, (int)n,
                                       (int)(cap - STREAM_LZ4_HEADER), 1);
    if (k <= 0 || (size_t)k > STREAM_LZ4_MAX_BLOCK) {
        return 0;     /* cannot happen below STREAM_LZ4_MAX_ENCODE; the stream is then unusable */
    }
    e->pos += n;
    out[0] = 0xFA;
    out[1] = (uint8_t)(0x80 | (k & 0x7F));
    out[2] = (uint8_t)(0x80 | ((k >> 7) & 0x7F));
    out[3] = '\n';
    e->frames++;
    e->bytes_in += n;
    e->bytes_out += (uint64_t)k + STREAM_LZ4_HEADER;
    return (size_t)k + STREAM_LZ4_HEADER;
}

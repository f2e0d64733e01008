/*
** stream_lz4.h - the LZ4 framing of Netdata 1.37.1's compressed streams (shared/spec/
** stream-protocol.md §4), both ways. Only child -> parent bytes are ever compressed, from the
** byte after the prompt on, when both sides negotiated COMPRESSION (bit 1024 or version 5).
**
** A frame is a 4-byte header, 0xFA, 0x80 | (len & 0x7F), 0x80 | ((len >> 7) & 0x7F), '\n',
** then LEN (1..16383) bytes of one LZ4 block made with the streaming API: a block may copy from
** the last 64 KiB of plain text of earlier frames. A block holds at most 16384 plain bytes.
**
** Decoder (the parent): as 1.37.1 reads it, 4 bytes that are not a header (or a header of
** length 0) are plain text and the next 4 bytes are looked at again; a block that does not
** decode, or decodes to more than 16384 bytes, is an error (the session ends). Its ring is
** LZ4's documented minimum for any compliant source (64 KiB + 14 + 16 KiB, restarting at 0 when
** fewer than 16 KiB are left), so it decodes 1.37.1's encoder and ours alike.
**
** Encoder (the child): its input ring is laid out exactly like a 1.37.1 parent's decoding ring
** (the same size, restarting at 0 once half of it is used, before a block): the two rings then
** hold the same bytes at the same places, which is LZ4's "synchronized" rule, and LZ4's encoder
** never refers to bytes a later block overwrote. A bigger ring would let matches reach text a
** 1.37.1 parent has already overwritten (it restarts at 40,967 bytes, below 64 KiB).
** Pure code: no I/O, no logging.
*/
#ifndef STREAMC_STREAM_LZ4_H
#define STREAMC_STREAM_LZ4_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define STREAM_LZ4_MAX_PLAIN 16384u       /* 1.37.1's COMPRESSION_MAX_MSG_SIZE */
#define STREAM_LZ4_HEADER 4u
#define STREAM_LZ4_MAX_BLOCK 16383u       /* 14 bits of length */
/* Plain bytes the encoder takes per frame: even an incompressible block then fits 14 bits. */
#define STREAM_LZ4_MAX_ENCODE 16256u

typedef struct StreamLz4Decoder {
    void *lz;                   /* LZ4_streamDecode_t */
    char *ring;
    size_t ring_size, write_at;
    uint8_t hdr[STREAM_LZ4_HEADER];
    size_t hdr_len;
    uint8_t *block;             /* STREAM_LZ4_MAX_BLOCK bytes */
    size_t need, have;          /* need > 0: a block of NEED bytes is being read */
    const char *out;            /* decoded (or passed-through) bytes not yet taken */
    size_t out_len;
    uint64_t frames, bytes_in, bytes_out;
} StreamLz4Decoder;

/* 0, or -1 when out of memory (D is then safe to free). */
int stream_lz4_decoder_init(StreamLz4Decoder *d);
void stream_lz4_decoder_free(StreamLz4Decoder *d);
/* Take bytes from IN (N of them) until one piece of plain text is ready or IN is used up.
   Returns the bytes taken (0 while output is pending: take it first), or -1 when a block does
   not decode (the stream is then unusable). */
ssize_t stream_lz4_decoder_push(StreamLz4Decoder *d, const uint8_t *in, size_t n);
/* The pending plain text (*LEN bytes; NULL and 0 when none). */
const char *stream_lz4_decoder_output(const StreamLz4Decoder *d, size_t *len);
/* N bytes of the pending plain text were used. */
void stream_lz4_decoder_take(StreamLz4Decoder *d, size_t n);

typedef struct StreamLz4Encoder {
    void *lz;                   /* LZ4_stream_t */
    char *ring;
    size_t ring_size, pos;
    uint64_t frames, bytes_in, bytes_out;
} StreamLz4Encoder;

/* Largest frame for N plain bytes (N <= STREAM_LZ4_MAX_ENCODE). */
size_t stream_lz4_frame_bound(size_t n);
int stream_lz4_encoder_init(StreamLz4Encoder *e);
/* Forget every earlier frame: a new connection's stream starts. */
void stream_lz4_encoder_reset(StreamLz4Encoder *e);
void stream_lz4_encoder_free(StreamLz4Encoder *e);
/* One frame of the N (1..STREAM_LZ4_MAX_ENCODE) bytes at PLAIN into OUT (CAP bytes, at least
   stream_lz4_frame_bound(N)). Returns the frame's bytes, or 0 when N or CAP is out of range. */
size_t stream_lz4_encode(StreamLz4Encoder *e, const char *plain, size_t n, uint8_t *out,
                         size_t cap);

#endif

/*
** stream_caps.h - Netdata 1.37.1 streaming capability negotiation (stream-protocol §2.3, §2.4,
** §8): the `ver` URL parameter -> a capability set (Netdata's conversion, clearing rules and the
** AND with the local set), the prompt a parent writes for a set, the names Netdata logs for a
** set, and, for the child side, how a 1.37.1 child reads the parent's reply.
**
** Pure: no I/O, no allocation. Does not decide admission (admit.c) or read the socket.
*/
#ifndef STREAMC_STREAM_CAPS_H
#define STREAMC_STREAM_CAPS_H

#include <stddef.h>
#include <stdint.h>

enum {
    STREAM_CAP_V1 = 8,
    STREAM_CAP_V2 = 16,
    STREAM_CAP_VN = 32,
    STREAM_CAP_VCAPS = 64,
    STREAM_CAP_HLABELS = 128,
    STREAM_CAP_CLAIM = 256,
    STREAM_CAP_CLABELS = 512,
    STREAM_CAP_COMPRESSION = 1024,
    STREAM_CAP_FUNCTIONS = 2048,
    STREAM_CAP_REPLICATION = 4096,
    STREAM_CAP_BINARY = 8192
};

/* What streamd implements fully: no functions, replication or binary. COMPRESSION (LZ4,
   stream_lz4.h) is added per link where the settings allow it. */
#define STREAM_CAPS_OURS                                                                        \
    ((uint64_t)(STREAM_CAP_V1 | STREAM_CAP_V2 | STREAM_CAP_VN | STREAM_CAP_VCAPS               \
                | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM | STREAM_CAP_CLABELS))

/* A 1.37.1 agent's own set: every bit 3..13 (16376); without LZ4 compression 15352. */
#define STREAM_CAPS_NETDATA ((uint64_t)16376)
#define STREAM_CAPS_NETDATA_NO_LZ4 ((uint64_t)15352)

/* The prompts and the known refusals (exact bytes, sent without a terminator). */
#define STREAM_PROMPT_V1 "Hit me baby, push them over..."
#define STREAM_PROMPT_V2 "Hit me baby, push them over and bring the host labels..."
#define STREAM_PROMPT_VN "Hit me baby, push them over with the version="
#define STREAM_REPLY_LOCALHOST_TEXT "Don't hit me baby, you are trying to stream my localhost back"
#define STREAM_REPLY_ALREADY_TEXT "This GUID is already streaming to this server"
#define STREAM_REPLY_DENIED_TEXT "You are not permitted to access this. Check the logs for more info."

/* Netdata's conversion of a version number (as it holds it: int32) to capabilities, with the
   clearing rules (VCAPS clears V1/V2/VN, VN clears V1/V2, V2 clears V1) and the AND with OWN.
   Used by both sides: the parent on `ver`, the child on the number in the VN reply. */
uint64_t stream_caps_from_version(int32_t version, uint64_t own);

/* The parent's reading of the `ver` parameter: VER is the decoded value (NULL or "" = absent,
   which also covers a request with only NETDATA_PROTOCOL_VERSION), read with strtoul(.., 0)
   and cut to int32 as Netdata does, then stream_caps_from_version. */
uint64_t stream_caps_from_ver(const char *ver, uint64_t own);

/* The number after "version=" in the parent's reply for CAPS, or 0 when the reply is the V1 or
   V2 prompt: VCAPS -> CAPS itself; VN -> 5 with COMPRESSION, else 4 with CLABELS, else 3. */
uint64_t stream_caps_reply_version(uint64_t caps);

/* The exact prompt bytes for CAPS (no terminator counted): VCAPS -> VN prefix + CAPS in decimal,
   VN -> VN prefix + 3/4/5, V2 -> the V2 prompt, else the V1 prompt. Returns the bytes written
   (at most CAP; a NUL follows only when there is room). */
size_t stream_caps_prompt(uint64_t caps, char *out, size_t cap);

/* "VCAPS HLABELS ... " as Netdata logs the set, each name with a trailing space; returns the
   bytes written as stream_caps_prompt does ("" for an empty set). */
size_t stream_caps_names(uint64_t caps, char *out, size_t cap);

/* Child side: how a 1.37.1 child classifies the parent's reply. */
typedef enum {
    STREAM_REPLY_UNKNOWN = 0,   /* "remote node response is not understood, is it Netdata?" */
    STREAM_REPLY_OK,            /* a prompt with a usable version */
    STREAM_REPLY_BAD_VERSION,   /* the VN prefix with a number below 1 */
    STREAM_REPLY_LOCALHOST,     /* "... stream my localhost back" */
    STREAM_REPLY_ALREADY,       /* "This GUID is already streaming to this server" */
    STREAM_REPLY_DENIED         /* "You are not permitted to access this. ..." */
} StreamReplyKind;

/* Read the reply BUF[0..n) (one recv) the way a 1.37.1 child does: longer than the VN prefix
   and shorter than prefix + 30 and starting with it -> the number after it (decimal, optional
   '-', at most 29 digits read, stops at the first non-digit); otherwise an exact match of a
   fixed string (the bare 45-byte prefix itself is such a string and means version 3). Returns
   the version (> 0: 1 = V1 prompt, 2 = V2, else the VN number), or 0 when
   not OK; *KIND (may be NULL) gets the class and *POSTPONE_S (may be NULL) the seconds a 1.37.1
   child waits before trying this destination again (0 after success). */
int32_t stream_caps_parse_reply(const char *buf, size_t n, StreamReplyKind *kind,
                                int *postpone_s);

/* The text a 1.37.1 child logs for KIND (NULL for STREAM_REPLY_OK/BAD_VERSION). */
const char *stream_caps_reply_error(StreamReplyKind kind);

#endif

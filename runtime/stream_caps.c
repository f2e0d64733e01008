/*
** stream_caps.c - Netdata 1.37.1 capability negotiation (stream-protocol §2.3, §2.4, §8), from
** streaming/rrdpush.c (convert_stream_version_to_capabilities, stream_capabilities_to_vn,
** stream_capabilities_to_string), streaming/receiver.c (the prompt) and streaming/sender.c
** (rrdpush_sender_validate_response), checked against the lab table of the real 1.37.1 parent.
**
** Does not: read sockets, log, or decide anything about admission.
*/
#include "stream_caps.h"

#include <stdlib.h>
#include <string.h>

/* Netdata's STREAM_OLD_VERSION_* numbers: 3 claim, 4 chart labels, 5 compression. */
enum { OLD_CLAIM = 3, OLD_CLABELS = 4, OLD_COMPRESSION = 5 };

uint64_t stream_caps_from_version(int32_t version, uint64_t own)
{
    uint64_t caps;
    if (version <= 1) {
        caps = STREAM_CAP_V1;
    } else if (version < OLD_CLAIM) {
        caps = STREAM_CAP_V2 | STREAM_CAP_HLABELS;
    } else if (version == OLD_CLAIM) {
        caps = STREAM_CAP_VN | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM;
    } else if (version == OLD_CLABELS) {
        caps = STREAM_CAP_VN | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM | STREAM_CAP_CLABELS;
    } else if (version == OLD_COMPRESSION) {
        /* COMPRESSION only if the local side has it: the AND below does that */
        caps = STREAM_CAP_VN | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM | STREAM_CAP_CLABELS
             | STREAM_CAP_COMPRESSION;
    } else {
        caps = (uint32_t)version;
    }
    if (caps & STREAM_CAP_VCAPS) {
        caps &= ~(uint64_t)(STREAM_CAP_V1 | STREAM_CAP_V2 | STREAM_CAP_VN);
    }
    if (caps & STREAM_CAP_VN) {
        caps &= ~(uint64_t)(STREAM_CAP_V1 | STREAM_CAP_V2);
    }
    if (caps & STREAM_CAP_V2) {
        caps &= ~(uint64_t)STREAM_CAP_V1;
    }
    return caps & own;
}

/*
** The parent skips an empty `ver` (so it counts as absent), reads a present one with
** strtoul(.., 0) (hex "0x40" and octal "0100" work, "-1" wraps) and hands the result to a
** function taking int32_t, so only the low 32 bits count and bit 31 makes it negative (V1).
*/
uint64_t stream_caps_from_ver(const char *ver, uint64_t own)
{
    if (!ver || !*ver) {
        return stream_caps_from_version(0, own);
    }
    unsigned long v = strtoul(ver, NULL, 0);
    return stream_caps_from_version((int32_t)(uint32_t)v, own);
}

uint64_t stream_caps_reply_version(uint64_t caps)
{
    if (caps & STREAM_CAP_VCAPS) {
        return caps;
    }
    if (caps & STREAM_CAP_VN) {
        return (caps & STREAM_CAP_COMPRESSION) ? OLD_COMPRESSION
             : (caps & STREAM_CAP_CLABELS)     ? OLD_CLABELS
                                               : OLD_CLAIM;
    }
    return 0;
}

/* Append Z to OUT[0..cap) at *N: bytes past CAP are dropped, NUL only when there is room. */
static void put(char *out, size_t cap, size_t *n, const char *z, size_t len)
{
    size_t k = *n < cap ? cap - *n : 0;
    k = len < k ? len : k;
    if (k) {
        memcpy(out + *n, z, k);
    }
    *n += k;
    if (*n < cap) {
        out[*n] = '\0';
    }
}

size_t stream_caps_prompt(uint64_t caps, char *out, size_t cap)
{
    size_t n = 0;
    if (caps & (STREAM_CAP_VCAPS | STREAM_CAP_VN)) {
        char num[24], *p = num + sizeof(num);
        uint64_t v = stream_caps_reply_version(caps);
        do {
            *--p = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        put(out, cap, &n, STREAM_PROMPT_VN, sizeof(STREAM_PROMPT_VN) - 1);
        put(out, cap, &n, p, (size_t)(num + sizeof(num) - p));
    } else if (caps & STREAM_CAP_V2) {
        put(out, cap, &n, STREAM_PROMPT_V2, sizeof(STREAM_PROMPT_V2) - 1);
    } else {
        put(out, cap, &n, STREAM_PROMPT_V1, sizeof(STREAM_PROMPT_V1) - 1);
    }
    return n;
}

static const struct {
    uint64_t bit;
    const char *name;
} cap_names[] = {
    {STREAM_CAP_V1, "V1 "},
    {STREAM_CAP_V2, "V2 "},
    {STREAM_CAP_VN, "VN "},
    {STREAM_CAP_VCAPS, "VCAPS "},
    {STREAM_CAP_HLABELS, "HLABELS "},
    {STREAM_CAP_CLAIM, "CLAIM "},
    {STREAM_CAP_CLABELS, "CLABELS "},
    {STREAM_CAP_COMPRESSION, "COMPRESSION "},
    {STREAM_CAP_FUNCTIONS, "FUNCTIONS "},
    {STREAM_CAP_REPLICATION, "REPLICATION "},
    {STREAM_CAP_BINARY, "BINARY "},
};

size_t stream_caps_names(uint64_t caps, char *out, size_t cap)
{
    size_t n = 0;
    if (cap) {
        out[0] = '\0';
    }
    for (size_t i = 0; i < sizeof(cap_names) / sizeof(cap_names[0]); i++) {
        if (caps & cap_names[i].bit) {
            put(out, cap, &n, cap_names[i].name, strlen(cap_names[i].name));
        }
    }
    return n;
}

/* ---- child side -------------------------------------------------------------------------- */

static const struct {
    const char *text;
    int32_t version;
    StreamReplyKind kind;
    int postpone;
} replies[] = {
    {STREAM_PROMPT_V2, 2, STREAM_REPLY_OK, 0},
    {STREAM_PROMPT_V1, 1, STREAM_REPLY_OK, 0},
    {STREAM_REPLY_LOCALHOST_TEXT, 0, STREAM_REPLY_LOCALHOST, 3600},
    {STREAM_REPLY_ALREADY_TEXT, 0, STREAM_REPLY_ALREADY, 120},
    {STREAM_REPLY_DENIED_TEXT, 0, STREAM_REPLY_DENIED, 60},
};

/* Netdata's str2i: optional '-', then decimal digits up to 30 characters from the start, with
   int overflow wrapping as the 1.37.1 build does. */
static int32_t str2i(const char *s, size_t n)
{
    size_t i = 0;
    int neg = n > 0 && s[0] == '-';
    uint32_t v = 0;
    i += (size_t)neg;
    for (; i < n && i < 30 && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10u + (uint32_t)(s[i] - '0');
    }
    return (int32_t)(neg ? 0u - v : v);
}

int32_t stream_caps_parse_reply(const char *buf, size_t n, StreamReplyKind *kind,
                                int *postpone_s)
{
    size_t plen = sizeof(STREAM_PROMPT_VN) - 1;
    StreamReplyKind k = STREAM_REPLY_UNKNOWN;
    int32_t version = 0;
    int post = 60;
    if (n > plen && n < plen + 30 && memcmp(buf, STREAM_PROMPT_VN, plen) == 0) {
        /* the child NUL-terminates what it received, so a NUL ends the number */
        const char *nul = memchr(buf + plen, '\0', n - plen);
        version = str2i(buf + plen, nul ? (size_t)(nul - buf - plen) : n - plen);
        k = version >= 1 ? STREAM_REPLY_OK : STREAM_REPLY_BAD_VERSION;
        post = 0;       /* the VN row of 1.37.1's table has no postpone (and no message) */
    } else if (n == plen && memcmp(buf, STREAM_PROMPT_VN, plen) == 0) {
        k = STREAM_REPLY_OK;    /* the bare prefix matches the VN row exactly: version 3 */
        version = OLD_CLAIM;
        post = 0;
    } else {
        for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
            size_t len = strlen(replies[i].text);
            if (n == len && memcmp(buf, replies[i].text, len) == 0) {
                k = replies[i].kind;
                version = replies[i].version;
                post = replies[i].postpone;
                break;
            }
        }
    }
    if (k != STREAM_REPLY_OK) {
        version = 0;
    }
    if (kind) {
        *kind = k;
    }
    if (postpone_s) {
        *postpone_s = post;
    }
    return version;
}

const char *stream_caps_reply_error(StreamReplyKind kind)
{
    switch (kind) {
    case STREAM_REPLY_UNKNOWN: return "remote node response is not understood, is it Netdata?";
    case STREAM_REPLY_LOCALHOST:
        return "remote server rejected this stream, the host we are trying to stream is its "
               "localhost";
    case STREAM_REPLY_ALREADY:
        return "remote server rejected this stream, the host we are trying to stream is already "
               "streamed to it";
    case STREAM_REPLY_DENIED:
        return "remote server denied access, probably we don't have the right API key?";
    case STREAM_REPLY_OK:
    case STREAM_REPLY_BAD_VERSION: break;
    }
    return NULL;
}

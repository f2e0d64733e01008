/*
** sender_fmt.h - the bytes a streamd sender writes (stream-protocol §2.1, §3.2, §3.3): the
** STREAM request, chart definitions, collections and the host-label block, plus the bounded
** send buffer they go into. Pure: no sockets, no locks.
*/
#ifndef STREAMC_SENDER_FMT_H
#define STREAMC_SENDER_FMT_H

#include <stddef.h>
#include <stdint.h>

#include "rrd.h"
#include "sbuf.h"

/* The sender's output buffer: bytes [r, w) are pending. It grows on demand up to MAX bytes;
   an append that does not fit is refused whole (Netdata's "buffer full"). */
typedef struct SendBuf {
    char *b;
    size_t r, w, cap, max;
} SendBuf;

/* 0 appended, -1 it does not fit in MAX, -2 out of memory. */
int sendbuf_append(SendBuf *sb, const char *p, size_t n);
void sendbuf_consume(SendBuf *sb, size_t n);
static inline size_t sendbuf_pending(const SendBuf *sb) { return sb->w - sb->r; }
void sendbuf_reset(SendBuf *sb);        /* drop pending bytes, keep the memory */
void sendbuf_free(SendBuf *sb);

/* What the request says about the host being sent. */
typedef struct SenderHostInfo {
    const char *api_key;
    int update_every;            /* the sending node's update every */
    uint64_t caps;               /* the `ver` we offer */
    const char *program_version; /* User-Agent: streamd/<this> */
    int no_system_info;          /* leave out the NETDATA_* pairs (a request that is too big) */
} SenderHostInfo;

/* Append VALUE percent-encoded for the STREAM query: the parent URL-decodes the whole query
   before splitting it, so '&' can never be carried (it is dropped) and bytes below 0x20 are
   dropped (the parent refuses them), each byte of ill-formed UTF-8 becomes '?' (the parent
   refuses that too); everything else but [A-Za-z0-9._~-] is %XX. */
void sender_url_encode(Sbuf *b, const char *value);

/* The whole STREAM request for H (stream-protocol §2.1: the parameters in 1.37.1's order,
   hops = H's hops + 1, then H's NETDATA_* system info, then NETDATA_PROTOCOL_VERSION=1.1). */
void sender_fmt_request(Sbuf *b, const RrdHost *h, const SenderHostInfo *info);

/* CHART [+ CLABELs + CLABEL_COMMIT when CLABELS] + every DIMENSION, as 1.37.1 writes them. */
void sender_fmt_definition(Sbuf *b, const RrdChart *c, int clabels);
/* BEGIN "<id>" <usec> + SET "<dim>" = <raw> for each dimension collected + END. */
void sender_fmt_collection(Sbuf *b, const RrdChart *c, uint64_t usec);
/* LABEL "<name>" = <source> "<value>" per host label, then OVERWRITE labels. */
void sender_fmt_host_labels(Sbuf *b, const RrdHost *h);

/* The node's own description for its handshake: os, time zone, uname and os-release facts
   as NETDATA_* system info (what a 1.37.1 child reports). Under H's lock. */
void sender_describe_localhost(RrdHost *h);

#endif

/*
** sender.h - streamd as a Netdata child: one sender per streamed host (the node's own host when
** [stream] is enabled, and each child host a proxy forwards), all driven by one event-loop
** thread. A sender walks its destination list as 1.37.1 does (sender_dest.h), connects
** without blocking, speaks TLS when the [stream] destination had ':SSL', sends the STREAM
** request, reads the reply (stream_caps.h), then streams chart definitions and collections
** from a bounded buffer.
**
** Data path: rrd_chart_end() calls the host's push hook under the host lock; the hook formats
** the chart's definition (first time on a connection, or after it changed) and the collection
** straight into the sender's buffer. Nothing is buffered while a sender is not connected
** (Netdata drops that data too; replication is not offered).
*/
#ifndef STREAMC_SENDER_H
#define STREAMC_SENDER_H

#include <stddef.h>
#include <stdint.h>

#include "policy_view.h"
#include "rrd.h"

/* [stream] values every sender of a node uses (config-semantics §3.2: never per key/GUID). */
typedef struct SenderGlobal {
    long timeout_s;              /* connect, request and reply timeout; idle guard */
    long default_port;
    size_t buffer_size;          /* buffer size bytes */
    long reconnect_delay_s;
    long resync_iterations;      /* initial clock resync iterations */
    int update_every;            /* the node's update every (sent as update_every=) */
    int tls;                     /* the [stream] destination had ':SSL': TLS for every sender */
    int tls_skip_verify;         /* ssl skip certificate verification */
    int compression;             /* enable compression: offer LZ4 (stream_lz4.h) */
    const char *ca_file, *ca_path;   /* NULL: not set */
} SenderGlobal;

typedef struct SenderLoop SenderLoop;
typedef struct Sender Sender;

/* Read the [stream] values from the policy. */
void sender_global_from_policy(const PolicyView *v, SenderGlobal *g);

/* The loop thread. NULL with WHY filled on failure. */
SenderLoop *sender_loop_start(const SenderGlobal *g, char *why, size_t cap);
/* Stop the thread, close every connection, free every sender. NULL is a no-op. */
void sender_loop_stop(SenderLoop *l);

/* What one sender sends where. Strings and arrays are copied. */
typedef struct SenderTarget {
    const PolicyDest *dests;     /* parsed destination entries (in the policy) */
    uint32_t ndests;
    const PolicyView *v;         /* for the entries' strings */
    const char *dest_text;       /* the list as configured, for log lines */
    const char *api_key;
    const void *charts_prog;     /* compiled send charts matching; NULL: see charts_none */
    int charts_none;             /* the pattern is empty: no chart is sent (as 1.37.1) */
} SenderTarget;

/* Start streaming host H (caller holds H's lock). Sets H->sender and H->push. 0 ok, -1 no
   memory. A host that already has a sender keeps it. */
int sender_attach(SenderLoop *l, RrdHost *h, const SenderTarget *t);
/* The same from policy settings: DEST (VAL_DEST), API_KEY text, CHARTS (VAL_PATTERN; NULL:
   every chart). 1: attached, 0: nothing to do (empty destination or key; logged), -1 error. */
int sender_attach_settings(SenderLoop *l, const PolicyView *v, RrdHost *h,
                           const PolicySetting *dest, const char *api_key,
                           const PolicySetting *charts);
/* streamd's own host when [stream] is enabled (caller holds H's lock): same return values. */
int sender_attach_local(SenderLoop *l, const PolicyView *v, RrdHost *h);
/* Stop streaming H (caller holds H's lock): the connection is closed by the loop. */
void sender_detach(SenderLoop *l, RrdHost *h);

/* Counters of one sender, for tests and the API. */
typedef struct SenderStats {
    int connected;
    char connected_to[256];
    uint64_t connections, bytes_sent, buffer_full;
    size_t buffer_used, buffer_max;
    int compressed;                  /* the current link is LZ4 */
    uint64_t plain_bytes, lz4_bytes; /* through the encoder, every link of this sender */
    uint64_t repl_answers, repl_points;  /* REPLAY_CHART answers and their points, every link */
} SenderStats;
int sender_stats(RrdHost *h, SenderStats *out);   /* caller holds H's lock; -1: no sender */

#endif

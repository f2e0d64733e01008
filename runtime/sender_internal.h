/*
** sender_internal.h - what sender.c (the loop, attach/detach, the push hook), sender_conn.c
** (one sender's connection state machine, up to the handshake) and sender_stream.c (an
** established link) share.
**
** Locks: a producer holds the host lock, then takes Sender.mu. The loop thread may take a
** host lock and then Sender.mu, never the other way round. SenderLoop.mu guards the list.
*/
#ifndef STREAMC_SENDER_INTERNAL_H
#define STREAMC_SENDER_INTERNAL_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "sbuf.h"
#include "sender.h"
#include "sender_dest.h"
#include "sender_fmt.h"
#include "stream_lz4.h"

/* Queue N bytes of stream text at P for the parent, as LZ4 frames when the link negotiated
   COMPRESSION (under s->mu). 0, or -1 when the buffer cannot take them (the caller marks an
   overflow: the connection restarts, so a compressed stream never goes on with a gap). */
int sender_queue(Sender *s, const char *p, size_t n);
/* The LZ4 encoder of S, made on its first compressed link and reset for every new one (the
   parent's decoder starts empty). 0 when out of memory (loop thread). */
int sender_lz4_start(Sender *s);

/* sender_conn.c: the socket (or TLS) I/O of S, non-blocking; whether errno says "try later";
   close a link that worked (the next pass starts at once). */
ssize_t sender_io_write(Sender *s, const void *p, size_t n);
ssize_t sender_io_read(Sender *s, void *p, size_t n);
int sender_would_block(void);
void sender_connection_lost(Sender *s, int64_t now);

/* sender_stream.c (loop thread): one turn of an established link (read the parent's commands,
   answer replication requests while the send buffer is at most half full, write); forget the
   queued replication requests (a new connection). */
void sender_step_streaming(Sender *s, int64_t now);
void sender_repl_drop(Sender *s);

enum { SS_IDLE, SS_RESOLVING, SS_CONNECTING, SS_TLS, SS_REQUEST, SS_REPLY, SS_STREAMING };

#define SENDER_REPLY_MAX 8192    /* 1.37.1 reads the reply into an 8 KiB buffer */
#define SENDER_READ_MAX 8192     /* parent -> child lines */
#define SENDER_LOG_UNKNOWN 10    /* parent lines logged per connection */
#define SENDER_READ_TURN 65536   /* parent bytes read per loop turn */
#define SENDER_REQUEST_MAX 8192  /* the STREAM request; a parent decodes at most 8 KiB */

struct Sender {
    SenderLoop *loop;
    RrdHost *h;                  /* hosts are never freed while the registry lives */
    char hostname[256];          /* for log lines */
    char *api_key, *dest_text;
    const void *prog;            /* send charts matching, NULL: every chart (unless none) */
    int none;                    /* an empty pattern: nothing is sent */
    SenderDests d;

    /* shared with producers, under mu */
    pthread_mutex_t mu;
    SendBuf buf;
    Sbuf scratch;
    int ready;                   /* connected and handshaken: producers may append */
    uint64_t conn_gen;           /* bumped on every established connection */
    uint64_t caps;               /* negotiated */
    int overflow;                /* an append did not fit */
    StreamLz4Encoder *lz4;       /* COMPRESSION: every byte queued goes through it */
    uint8_t *zframe;             /* one frame being made (stream_lz4_frame_bound of the max) */
    uint64_t bytes_sent, connections, buffer_full;

    /* the loop thread only */
    int detached;                /* under loop->mu: the loop frees it */
    int state;
    int fd;
    SSL *ssl;
    int64_t deadline_ms, next_attempt_ms, last_traffic_ms;
    size_t walk;                 /* next entry of the current pass */
    size_t cur;                  /* entry being connected */
    SenderLookup *lookup;        /* a name being resolved (SS_RESOLVING) */
    SenderAddr addrs[SENDER_MAX_ADDRS];
    int naddrs, addr_i;
    char connected_to[256];
    Sbuf req;
    size_t req_off;
    char reply[SENDER_REPLY_MAX + 1];
    size_t reply_len;
    char rd[SENDER_READ_MAX + 1];
    size_t rd_len;
    unsigned long unknown_lines; /* parent lines seen on this connection */
    int more;                    /* the last turn stopped reading before EAGAIN */
    uint64_t sent_on_conn, send_attempts;
    /* replication requests of this connection not answered yet (sender_stream.c): charts in
       arrival order, each at most once (RrdChart.repl_queued == conn_gen) */
    RrdChart **rq;
    size_t rq_head, rq_n, rq_cap;
    Sbuf repl;                   /* one answer being made */
    uint64_t repl_answers, repl_points;
    struct Sender *next;
};

struct SenderLoop {
    SenderGlobal g;
    SSL_CTX *tls;                /* NULL without ':SSL' */
    pthread_t thread;
    int started;
    int ep, evfd;
    pthread_mutex_t mu;
    Sender *list;
    SenderLookup *zombies;       /* lookups glibc could not cancel yet (loop thread only) */
    volatile int stop;
};

int64_t sender_now_ms(void);
void sender_wake(SenderLoop *l);
/* Move S forward as far as it can go without blocking (loop thread). */
void sender_drive(Sender *s, int64_t now_ms);
/* Free a lookup, or park it on the loop's list until glibc is done with it. */
void sender_lookup_release(SenderLoop *l, SenderLookup *lk);
/* Close S's socket and forget the connection (loop thread). */
void sender_close(Sender *s);
/* Milliseconds until S needs the loop again without I/O (timers), or -1 for none. */
int64_t sender_next_timer(const Sender *s, int64_t now_ms);

#endif

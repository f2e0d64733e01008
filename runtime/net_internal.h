/*
** net_internal.h - shared by net.c (loops, connections) and net_listen.c (listeners). Not an
** API: everything else uses net.h.
*/
#ifndef STREAMC_NET_INTERNAL_H
#define STREAMC_NET_INTERNAL_H

#include <pthread.h>

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "net.h"
#include "policy_format.h"
#include "receiver.h"

#define NET_MAX_LISTENERS 64
#define NET_MAX_LOOPS 16

typedef struct Listener {
    int fd;
    const PolicyListener *pl;    /* NULL: Netdata's default `*` listener */
    int unix_sock;
    char port[32];               /* the port as the policy names it (admission) */
    char what[300];              /* for logs */
} Listener;

typedef struct Conn Conn;

typedef struct Loop {
    int id;
    int ep;                      /* epoll */
    int wake;                    /* eventfd: net_stop() */
    pthread_t th;
    int started;
    struct Net *net;
    Conn *conns;                 /* every connection of this loop (timeouts, shutdown) */
    long nconns;
} Loop;

struct Net {
    Streamd *sd;
    Listener listeners[NET_MAX_LISTENERS];
    int nlisteners;
    Loop loops[NET_MAX_LOOPS];
    int nloops;
};

int net_open_listeners(Net *n);

/* One connection (net_conn.c); it lives on the list of the loop that accepted it. */
enum { ST_DETECT, ST_TLS, ST_REQUEST, ST_STREAM, ST_WRITE };

struct Conn {
    int fd;
    int state;
    Loop *loop;
    const Listener *l;
    SSL *ssl;
    int want_write;              /* OpenSSL waits for EPOLLOUT */
    ConnPeer peer;
    char *in;                    /* the request being read (HTTP_MAX_REQUEST bytes) */
    size_t in_len;
    size_t req_len;              /* bytes of IN the request being answered takes */
    int keep;                    /* keep-alive: read the next request once OUT is written */
    int kept;                    /* requests answered with keep-alive on this connection */
    char *out;                   /* pending output; the connection closes once it drained */
    size_t out_len, out_off;
    Receiver *rx;
    uint8_t *zin;                /* a compressed link's raw bytes (ZIN_SIZE), read and decoded */
    int64_t since, last_io;
    unsigned events;
    Conn *prev, *next;
};

/* Close C: detach its receiver (WHY: Netdata's log text, or NULL), unlink and free it. */
void net_conn_close(Conn *c, const char *why);
/* Make whatever progress C's state allows after an epoll wake-up. */
void net_conn_step(Conn *c);

#endif

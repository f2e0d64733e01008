/*
** net_internal.h - shared by net.c (loops, connections) and net_listen.c (listeners). Not an
** API: everything else uses net.h.
*/
#ifndef STREAMC_NET_INTERNAL_H
#define STREAMC_NET_INTERNAL_H

#include <pthread.h>

#include "net.h"
#include "policy_format.h"

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

#endif

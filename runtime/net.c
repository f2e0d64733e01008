/*
** net.c - streamd's event loops (net.h).
**
** Each loop thread owns an epoll set holding every listener (EPOLLEXCLUSIVE, so one loop
** wakes per connection) and the connections it accepted; a connection never moves between
** loops, so its state needs no lock. Level-triggered: a loop that stops reading early is
** woken again, which keeps one busy child from starving the others. The loop also wakes once
** a second for timeouts: 60 s for the first request, 600 s of silence on a stream (Netdata's
** receive timeout), and receivers that a newer connection for the same host replaced.
**
** What one connection does once woken is net_conn.c's.
*/
#include "net_internal.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admit.h"
#include "log.h"
#include "receiver.h"
#include "rrd_meta.h"

#define FIRST_REQUEST_TIMEOUT 60   /* [web] timeout for first request (default) */
#define STREAM_TIMEOUT 600         /* the receiver's socket timeout in 1.37.1 */

/* ---- accept ---------------------------------------------------------------------------------- */

static void accept_one(Loop *lp, const Listener *l)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int fd = accept4(l->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        return;   /* another loop took it, or the peer went away */
    }
    Conn *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        return;
    }
    c->fd = fd;
    c->loop = lp;
    c->l = l;
    c->since = c->last_io = receiver_now_s();
    c->peer.unix_sock = l->unix_sock;
    c->peer.local_port = l->unix_sock ? NULL : l->port;
    if (l->unix_sock) {
        snprintf(c->peer.ip, sizeof c->peer.ip, "localhost");
        snprintf(c->peer.port, sizeof c->peer.port, "0");
    } else if (getnameinfo((struct sockaddr *)&ss, sl, c->peer.ip, sizeof c->peer.ip,
                           c->peer.port, sizeof c->peer.port,
                           NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(c->peer.ip, sizeof c->peer.ip, "UNKNOWN");
    }
    /* [web] allow connections from, at accept time: admission's web checks with an empty
       request stop there when the client is not allowed to connect at all. */
    AdmitRequest ar;
    admit_request_init(&ar);
    ar.client_ip = c->peer.ip;
    ar.client_port = c->peer.port;
    ar.local_port = c->peer.local_port;
    AdmitResult res = admit_stream(lp->net->sd->v, &ar);
    if (res.code == ADMIT_CONNECTION_DENIED) {
        log_lines(LOG_ERR, res.log);
        close(fd);
        free(c);
        return;
    }
    c->state = lp->net->sd->tls && !l->unix_sock ? ST_DETECT : ST_REQUEST;
    c->next = lp->conns;
    if (lp->conns) {
        lp->conns->prev = c;
    }
    lp->conns = c;
    lp->nconns++;
    struct epoll_event e = { .events = EPOLLIN, .data.ptr = c };
    c->events = EPOLLIN;
    if (epoll_ctl(lp->ep, EPOLL_CTL_ADD, fd, &e) != 0) {
        net_conn_close(c, NULL);
    }
}

/* ---- the loop -------------------------------------------------------------------------------- */

static void timeouts(Loop *lp)
{
    int64_t now = receiver_now_s();
    Conn *next;
    for (Conn *c = lp->conns; c; c = next) {
        next = c->next;
        if (c->state == ST_STREAM) {
            if (receiver_replaced(c->rx)) {
                net_conn_close(c, NULL);
            } else if (now - c->last_io > STREAM_TIMEOUT) {
                net_conn_close(c, "STREAM: read_stream() failed to read from socket!");
            }
        } else if (now - c->since > FIRST_REQUEST_TIMEOUT) {
            net_conn_close(c, NULL);
        }
    }
}

/* Listener entries are tagged by pointing into the listener array; the wake fd by the loop. */
static void *loop_main(void *arg)
{
    Loop *lp = arg;
    Net *n = lp->net;
    struct epoll_event ev[64];
    int64_t last_tick = receiver_now_s();
    while (!n->sd->stop) {
        int k = epoll_wait(lp->ep, ev, 64, 1000);
        for (int i = 0; i < k; i++) {
            void *p = ev[i].data.ptr;
            if (p == lp) {
                uint64_t v;
                ssize_t r = read(lp->wake, &v, sizeof v);
                (void)r;
                continue;
            }
            if (p >= (void *)n->listeners && p < (void *)(n->listeners + n->nlisteners)) {
                accept_one(lp, p);
                continue;
            }
            net_conn_step(p);
        }
        int64_t now = receiver_now_s();
        if (now != last_tick) {
            last_tick = now;
            timeouts(lp);
            if (lp->id == 0) {
                rrd_meta_flush(n->sd->db);   /* new chart definitions of persistent hosts */
            }
        }
    }
    while (lp->conns) {
        net_conn_close(lp->conns, NULL);
    }
    return NULL;
}

Net *net_open(Streamd *sd, char *why, size_t whycap)
{
    Net *n = calloc(1, sizeof *n);
    if (!n) {
        snprintf(why, whycap, "out of memory");
        return NULL;
    }
    n->sd = sd;
    if (net_open_listeners(n) != 0) {
        snprintf(why, whycap, "none of the [web] bind to listeners could be opened");
        net_free(n);
        return NULL;
    }
    n->nloops = sd->threads < 1 ? 1 : sd->threads > NET_MAX_LOOPS ? NET_MAX_LOOPS : sd->threads;
    for (int i = 0; i < n->nloops; i++) {
        Loop *lp = &n->loops[i];
        lp->id = i;
        lp->net = n;
        lp->ep = epoll_create1(EPOLL_CLOEXEC);
        lp->wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (lp->ep < 0 || lp->wake < 0) {
            snprintf(why, whycap, "epoll/eventfd: %s", strerror(errno));
            n->nloops = i + 1;
            net_free(n);
            return NULL;
        }
        struct epoll_event e = { .events = EPOLLIN, .data.ptr = lp };
        epoll_ctl(lp->ep, EPOLL_CTL_ADD, lp->wake, &e);
        for (int j = 0; j < n->nlisteners; j++) {
            struct epoll_event le = { .events = EPOLLIN | EPOLLEXCLUSIVE,
                                      .data.ptr = &n->listeners[j] };
            epoll_ctl(lp->ep, EPOLL_CTL_ADD, n->listeners[j].fd, &le);
        }
    }
    return n;
}

int net_start(Net *n)
{
    for (int i = 0; i < n->nloops; i++) {
        if (pthread_create(&n->loops[i].th, NULL, loop_main, &n->loops[i]) != 0) {
            return -1;
        }
        n->loops[i].started = 1;
    }
    return 0;
}

void net_stop(Net *n)
{
    n->sd->stop = 1;
    for (int i = 0; i < n->nloops; i++) {
        uint64_t one = 1;
        ssize_t w = write(n->loops[i].wake, &one, sizeof one);
        (void)w;
    }
}

void net_join(Net *n)
{
    for (int i = 0; i < n->nloops; i++) {
        if (n->loops[i].started) {
            pthread_join(n->loops[i].th, NULL);
            n->loops[i].started = 0;
        }
    }
}

void net_free(Net *n)
{
    if (!n) {
        return;
    }
    for (int i = 0; i < n->nloops; i++) {
        if (n->loops[i].ep >= 0) {
            close(n->loops[i].ep);
        }
        if (n->loops[i].wake >= 0) {
            close(n->loops[i].wake);
        }
    }
    for (int j = 0; j < n->nlisteners; j++) {
        close(n->listeners[j].fd);
    }
    free(n);
}

int net_listener_count(const Net *n)
{
    return n->nlisteners;
}

/*
** net_conn.c - one connection of streamd's event loops (net.c): [TLS detection + handshake] ->
** first request -> either an API answer (written, then closed: Connection: close) or a stream
** (the prompt, then lines until EOF or error; through the LZ4 decoder when the link is
** compressed). Runs on the loop thread that accepted the connection; no locks of its own.
*/
#include "net_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "admit.h"
#include "http_api.h"
#include "http_req.h"
#include "log.h"
#include "receiver.h"
#include "tls.h"

#define READS_PER_EVENT 64

static Streamd *sd_of(const Conn *c)
{
    return c->loop->net->sd;
}

/* ---- connection lifetime ------------------------------------------------------------------ */

void net_conn_close(Conn *c, const char *why)
{
    Loop *lp = c->loop;
    if (c->rx) {
        receiver_detach(sd_of(c), c->rx, why);
        free(c->rx);
    }
    if (c->ssl) {
        SSL_free(c->ssl);
    }
    epoll_ctl(lp->ep, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c->zin);
    if (c->prev) {
        c->prev->next = c->next;
    } else {
        lp->conns = c->next;
    }
    if (c->next) {
        c->next->prev = c->prev;
    }
    lp->nconns--;
    free(c);
}

static void set_events(Conn *c, unsigned ev)
{
    if (ev == c->events) {
        return;
    }
    struct epoll_event e = { .events = ev, .data.ptr = c };
    epoll_ctl(c->loop->ep, EPOLL_CTL_MOD, c->fd, &e);
    c->events = ev;
}

static ssize_t conn_read(Conn *c, void *buf, size_t n)
{
    if (c->ssl) {
        return tls_read(c->ssl, buf, n, &c->want_write);
    }
    ssize_t r;
    do {
        r = recv(c->fd, buf, n, 0);
    } while (r < 0 && errno == EINTR);
    return r;
}

static ssize_t conn_write(Conn *c, const void *buf, size_t n)
{
    if (c->ssl) {
        return tls_write(c->ssl, buf, n, &c->want_write);
    }
    ssize_t r;
    do {
        r = send(c->fd, buf, n, MSG_NOSIGNAL);
    } while (r < 0 && errno == EINTR);
    return r;
}

/* Write what is pending; 1 drained, 0 waiting for EPOLLOUT, -1 failed. */
static int flush_out(Conn *c)
{
    while (c->out_off < c->out_len) {
        ssize_t w = conn_write(c, c->out + c->out_off, c->out_len - c->out_off);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_events(c, c->ssl && !c->want_write ? EPOLLIN : EPOLLOUT);
                return 0;
            }
            return -1;
        }
        c->out_off += (size_t)w;
    }
    return 1;
}

/* OUT was written: close, or with keep-alive wait for the next request. Bytes a client sent
   after the answered request are already in IN: the loop is asked to come back at once
   (EPOLLOUT of a writable socket) instead of recursing, so pipelined requests cannot grow the
   stack. */
static void reply_done(Conn *c)
{
    if (!c->keep) {
        net_conn_close(c, NULL);
        return;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
    c->keep = 0;
    c->state = ST_REQUEST;
    c->since = receiver_now_s();          /* the first-request timeout is the idle timeout */
    set_events(c, c->in_len ? EPOLLIN | EPOLLOUT : EPOLLIN);
}

/* Queue BUF (taking ownership); once it is written, close, or with KEEP (keep-alive) go on
   with the next request. */
static void reply(Conn *c, char *buf, size_t n, int keep)
{
    free(c->out);
    c->out = buf;
    c->out_len = n;
    c->out_off = 0;
    c->state = ST_WRITE;
    c->keep = keep && c->in;
    if (c->keep) {
        c->kept++;
        size_t rest = c->in_len > c->req_len ? c->in_len - c->req_len : 0;
        memmove(c->in, c->in + c->in_len - rest, rest);
        c->in_len = rest;
    } else {
        free(c->in);
        c->in = NULL;
    }
    int rc = flush_out(c);
    if (rc < 0) {
        net_conn_close(c, NULL);
    } else if (rc > 0) {
        reply_done(c);
    }
}

static void reply_and_close(Conn *c, char *buf, size_t n)
{
    reply(c, buf, n, 0);
}

static void error_page(Conn *c, int status, const char *body)
{
    char *buf = malloc(1024);
    if (!buf) {
        net_conn_close(c, NULL);
        return;
    }
    size_t n = http_error_page(buf, 1024, status, body);
    reply_and_close(c, buf, n < 1024 ? n : 1023);
}

/* ---- the first request --------------------------------------------------------------------- */

static void serve_api(Conn *c, const HttpRequest *q)
{
    Streamd *sd = sd_of(c);
    /* A port in SSL "default" or "force" mode with a certificate redirects plain HTTP
       (config-semantics §4.3); unix sockets never redirect. */
    if (sd->tls && !c->ssl && !c->peer.unix_sock && (!c->l->pl || c->l->pl->ssl != 1)) {
        char loc[HTTP_MAX_REQUEST + 64];
        snprintf(loc, sizeof loc, "Location: https://%s%s%s%s\r\n", q->host ? q->host : "localhost",
                 q->path ? q->path : "/", *q->query ? "?" : "", q->query);
        HttpResp hr = { .status = 301, .extra = loc };
        size_t cap = strlen(loc) + 1024;
        char *buf = malloc(cap);
        if (!buf) {
            net_conn_close(c, NULL);
            return;
        }
        size_t n = http_resp_write(buf, cap, &hr);
        reply_and_close(c, buf, n);
        return;
    }
    AdmitRequest ar;
    admit_request_init(&ar);
    ar.client_ip = c->peer.ip;
    ar.client_port = c->peer.port;
    ar.local_port = c->peer.local_port;
    ar.tls = c->peer.tls;
    if (!admit_api_allowed(sd->v, &ar, c->peer.unix_sock)) {
        error_page(c, 403, "You are not allowed to access this resource.");
        return;
    }
    HttpApiResponse resp;
    http_api_handle(sd->db, q, receiver_now_s(), &resp);
    char head[1024];
    /* keep-alive as 1.37.1: only when the request asked for it */
    size_t hn = http_resp_header(head, sizeof head, resp.status, resp.content_type,
                                 resp.body.len, q->keep_alive);
    if (hn >= sizeof head) {
        hn = sizeof head - 1;
    }
    char *buf = malloc(hn + resp.body.len + 1);
    if (!buf) {
        http_api_response_free(&resp);
        net_conn_close(c, NULL);
        return;
    }
    memcpy(buf, head, hn);
    if (resp.body.len) {
        memcpy(buf + hn, resp.body.s, resp.body.len);
    }
    size_t total = hn + resp.body.len;
    http_api_response_free(&resp);
    reply(c, buf, total, q->keep_alive);
}

static void serve_stream(Conn *c, const HttpRequest *q)
{
    Receiver *rx = calloc(1, sizeof *rx);
    char reply[1024];
    size_t n = 0;
    if (!rx) {
        net_conn_close(c, NULL);
        return;
    }
    int ok = receiver_handshake(sd_of(c), q, &c->peer, rx, reply, sizeof reply, &n);
    if (!ok) {
        free(rx);
        char *buf = n ? malloc(n) : NULL;
        if (n && !buf) {
            net_conn_close(c, NULL);
            return;
        }
        if (n) {
            memcpy(buf, reply, n);
        }
        reply_and_close(c, buf, n);
        return;
    }
    c->rx = rx;
    free(c->in);
    c->in = NULL;
    /* The prompt goes out in one write (a 1.37.1 child reads it with one recv): the socket's
       buffer is empty at this point, so a short write means the peer is gone. */
    ssize_t w = conn_write(c, reply, n);
    if (w != (ssize_t)n) {
        net_conn_close(c, "STREAM: cannot send the prompt to the child");
        return;
    }
    c->state = ST_STREAM;
    c->last_io = receiver_now_s();
    set_events(c, EPOLLIN);
}

static void handle_request(Conn *c, size_t hlen)
{
    HttpRequest *q = malloc(sizeof *q);
    if (!q) {
        net_conn_close(c, NULL);
        return;
    }
    c->req_len = hlen;
    /* The first request is read as 1.37.1 reads a connection's first read (bytes after its
       header decide a 400); one after a keep-alive answer is taken on its own, so that
       pipelined requests are answered in order (1.37.1 drops them). */
    http_req_parse(q, c->in, hlen, c->kept ? 0 : c->in_len - hlen);
    if (q->hang) {
        net_conn_close(c, NULL);   /* Netdata never answers these; we do not wait for its timeout */
    } else if (q->method == HTTP_M_OPTIONS && !q->bad) {
        HttpResp hr = { .status = 200, .body_len = 2, .options_reply = 1 };
        char *buf = malloc(2048);
        if (!buf) {
            net_conn_close(c, NULL);
        } else {
            size_t n = http_resp_write(buf, 2046, &hr);
            memcpy(buf + n, "OK", 2);
            reply_and_close(c, buf, n + 2);
        }
    } else if (q->bad) {
        error_page(c, q->bad_status, q->bad_body);
    } else if (q->method == HTTP_M_STREAM) {
        serve_stream(c, q);
    } else if (q->method == HTTP_M_GET) {
        serve_api(c, q);
    } else {
        error_page(c, 400, HTTP_BODY_NOT_UNDERSTOOD);
    }
    free(q);
}

/* ---- per-state progress -------------------------------------------------------------------- */

/* Act on the bytes in IN: 1 when a request was handled or the connection closed, 0 when
   more bytes are needed. */
static int parse_request(Conn *c)
{
    long hlen = http_req_header_len(c->in, c->in_len);
    if (hlen < 0) {
        net_conn_close(c, NULL);
        return 1;
    }
    if (hlen == 0 && http_req_early_bad(c->in, c->in_len)) {
        error_page(c, 400, HTTP_BODY_NOT_UNDERSTOOD);   /* a bad method, as soon as seen */
        return 1;
    }
    if (hlen > 0) {
        handle_request(c, (size_t)hlen);
        return 1;
    }
    return 0;
}

static void step_request(Conn *c)
{
    if (!c->in && !(c->in = malloc(HTTP_MAX_REQUEST))) {
        net_conn_close(c, NULL);
        return;
    }
    if (c->in_len && parse_request(c)) {
        return;                        /* a pipelined request after a keep-alive answer */
    }
    for (;;) {
        if (c->in_len == HTTP_MAX_REQUEST) {
            net_conn_close(c, NULL);   /* too long: Netdata resets the connection, no page */
            return;
        }
        ssize_t r = conn_read(c, c->in + c->in_len, HTTP_MAX_REQUEST - c->in_len);
        if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            net_conn_close(c, NULL);
            return;
        }
        if (r < 0) {
            set_events(c, c->want_write ? EPOLLOUT : EPOLLIN);
            return;
        }
        c->in_len += (size_t)r;
        if (parse_request(c)) {
            return;
        }
    }
}

#define ZIN_SIZE 16384

/* Send what the receiver queued for the child (REPLAY_CHART lines). 0 on progress or when the
   socket is full (EPOLLOUT then brings us back), -1 when the connection was closed. */
static int send_to_child(Conn *c)
{
    Receiver *rx = c->rx;
    if (rx->out.overflow) {
        net_conn_close(c, "STREAM: the child does not read what the parent sends; closing.");
        return -1;
    }
    while (rx->out_off < rx->out.len) {
        ssize_t w = conn_write(c, rx->out.s + rx->out_off, rx->out.len - rx->out_off);
        if (w < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_events(c, EPOLLIN | EPOLLOUT);
                return 0;
            }
            net_conn_close(c, "STREAM: cannot send to the child.");
            return -1;
        }
        rx->out_off += (size_t)w;
    }
    sbuf_reset(&rx->out);
    rx->out_off = 0;
    if (c->events & EPOLLOUT) {
        set_events(c, EPOLLIN);
    }
    return 0;
}

/* Hand the N raw bytes at c->zin through the LZ4 decoder to the command stream. 0, or -1 when
   the connection was closed. */
static int feed_compressed(Conn *c, size_t n)
{
    StreamLz4Decoder *z = c->rx->lz4;
    size_t off = 0;
    for (;;) {
        size_t olen;
        const char *o = stream_lz4_decoder_output(z, &olen);
        if (olen) {
            size_t room;
            char *p = wire_reader_space(&c->rx->rd, &room);
            if (!room) {
                net_conn_close(c, "STREAM: the receive buffer is full");   /* lines are cut first */
                return -1;
            }
            size_t k = olen < room ? olen : room;
            memcpy(p, o, k);
            wire_reader_commit(&c->rx->rd, k);
            stream_lz4_decoder_take(z, k);
            if (receiver_process(sd_of(c), c->rx) != 0) {
                net_conn_close(c, NULL);
                return -1;
            }
            if (c->rx->out.len && send_to_child(c) != 0) {
                return -1;
            }
            continue;
        }
        if (off == n) {
            return 0;
        }
        ssize_t used = stream_lz4_decoder_push(z, c->zin + off, n - off);
        if (used < 0) {
            net_conn_close(c, "STREAM: a compressed block from the child does not decode "
                          "(corrupt LZ4 stream).");
            return -1;
        }
        off += (size_t)used;
    }
}

static void step_stream(Conn *c)
{
    Streamd *sd = sd_of(c);
    if (receiver_replaced(c->rx)) {
        net_conn_close(c, NULL);
        return;
    }
    if (c->rx->lz4 && !c->zin && !(c->zin = malloc(ZIN_SIZE))) {
        net_conn_close(c, "STREAM: out of memory");
        return;
    }
    if (c->rx->out.len && send_to_child(c) != 0) {
        return;
    }
    for (int i = 0; i < READS_PER_EVENT || c->ssl; i++) {
        size_t room;
        char *p = c->zin ? (char *)c->zin : wire_reader_space(&c->rx->rd, &room);
        room = c->zin ? ZIN_SIZE : room;
        if (!room) {
            net_conn_close(c, "STREAM: the receive buffer is full");   /* cannot happen: lines are cut */
            return;
        }
        ssize_t r = conn_read(c, p, room);
        if (r == 0) {
            net_conn_close(c, "STREAM: read_stream(): EOF while reading data from socket!");
            return;
        }
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_events(c, c->want_write || c->rx->out.len ? EPOLLIN | EPOLLOUT : EPOLLIN);
                return;
            }
            net_conn_close(c, "STREAM: read_stream() failed to read from socket!");
            return;
        }
        c->last_io = receiver_now_s();
        if (c->zin) {
            if (feed_compressed(c, (size_t)r) != 0) {
                return;
            }
            continue;
        }
        wire_reader_commit(&c->rx->rd, (size_t)r);
        if (receiver_process(sd, c->rx) != 0) {
            net_conn_close(c, NULL);
            return;
        }
        if (c->rx->out.len && send_to_child(c) != 0) {
            return;
        }
    }
}

void net_conn_step(Conn *c)
{
    if (c->state == ST_DETECT) {
        int t = tls_detect(c->fd);
        if (t == -1) {
            return;
        }
        if (t == -2) {
            net_conn_close(c, NULL);
            return;
        }
        if (t == 1) {
            c->ssl = SSL_new(sd_of(c)->tls);
            if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
                net_conn_close(c, NULL);
                return;
            }
            c->peer.tls = 1;
            c->state = ST_TLS;
        } else {
            c->state = ST_REQUEST;
        }
    }
    if (c->state == ST_TLS) {
        int rc = tls_accept(c->ssl, &c->want_write);
        if (rc < 0) {
            log_line(LOG_ERR, "SSL: handshake with [%s]:%s failed: %s", c->peer.ip, c->peer.port,
                     tls_error());
            net_conn_close(c, NULL);
            return;
        }
        if (rc == 0) {
            set_events(c, c->want_write ? EPOLLOUT : EPOLLIN);
            return;
        }
        c->state = ST_REQUEST;
        set_events(c, EPOLLIN);
    }
    if (c->state == ST_REQUEST) {
        step_request(c);
    } else if (c->state == ST_STREAM) {
        step_stream(c);
    } else if (c->state == ST_WRITE) {
        int rc = flush_out(c);
        if (rc < 0) {
            net_conn_close(c, NULL);
        } else if (rc > 0) {
            reply_done(c);
        }
    }
}

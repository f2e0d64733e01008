/*
** sender_conn.c - one sender's connection, driven by the loop thread without blocking
** (sender_internal.h). The observable behaviour is 1.37.1's blocking sequence (stream-protocol
** §2.3, §2.6, §5; config-semantics §6.4):
**
**   pass:     walk the list from the start, skip postponed entries ("skipping destination ...");
**             try every resolved address of an entry; a plain TCP failure postpones nothing;
**             nothing connected -> "could not connect to parent node at this time." and wait
**             `reconnect delay seconds`.
**   connect:  the entry moves to the end of the list. TLS (when ':SSL'): a failed handshake or
**             an unverified certificate postpones the entry 300 s. The request must be sent
**             within `timeout seconds` (else 60 s), the reply must come within it (else 30 s);
**             a refusal postpones as the reply table says. Every failed handshake then waits
**             `reconnect delay seconds` too.
**   stream:   (sender_stream.c) buffer full, a send error, the parent closing, or nothing sent
**             or received for `timeout seconds` -> close and reconnect at once (no delay).
**
** Log lines are 1.37.1's texts with "STREAM <host> [send to <dest>]: " in front.
**
** One deliberate difference: 1.37.1 treats a parent that closes or resets the connection
** before the reply like a timeout and postpones that entry 30 s (60 s while sending the
** request). A parent being restarted does exactly that (the dying listener still completes the
** TCP handshake), so its children would stay away 30 s. Here only a real timeout postpones; a
** closed connection is a failed attempt (reconnect delay).
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "sender_internal.h"
#include "stream_caps.h"
#include "tls.h"

#define SENDER_PROGRAM_VERSION "0.1"   /* User-Agent: streamd/0.1 */
/* 1.37.1's STREAM_HANDSHAKE codes, shown in "skipping destination ... (code: N, ...)" */
enum { HS_BAD_HANDSHAKE = -1, HS_LOCALHOST = -2, HS_ALREADY = -3, HS_DENIED = -4,
       HS_SEND_TIMEOUT = -5, HS_RECEIVE_TIMEOUT = -6, HS_INVALID_CERT = -7, HS_SSL_ERROR = -8 };

#define POSTPONE_SSL_S 300
#define POSTPONE_SEND_S 60
#define POSTPONE_REPLY_S 30

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* The `ver` we offer: VCAPS, host and chart labels, replication (always, as a 1.37.1 child:
   `enable replication` is a parent's setting), and LZ4 unless [stream] turns it off. */
static uint64_t offered_caps(const SenderGlobal *g)
{
    return STREAM_CAP_VCAPS | STREAM_CAP_HLABELS | STREAM_CAP_CLABELS | STREAM_CAP_REPLICATION
           | (g->compression ? STREAM_CAP_COMPRESSION : 0);
}

void sender_close(Sender *s)
{
    pthread_mutex_lock(&s->mu);
    s->ready = 0;
    sendbuf_reset(&s->buf);        /* 1.37.1 empties the buffer before each connection */
    s->overflow = 0;
    pthread_mutex_unlock(&s->mu);
    if (s->ssl) {
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    if (s->fd >= 0) {
        close(s->fd);              /* also leaves the epoll set */
        s->fd = -1;
    }
    if (s->lookup) {
        sender_lookup_release(s->loop, s->lookup);
        s->lookup = NULL;
    }
    s->state = SS_IDLE;
    s->reply_len = s->rd_len = 0;
}

/* A failed connection attempt: wait `reconnect delay seconds` before the next pass. */
static void attempt_failed(Sender *s, int64_t now)
{
    sender_close(s);
    s->next_attempt_ms = now + s->loop->g.reconnect_delay_s * 1000;
}

/* A working connection ended: the next pass starts at once. */
void sender_connection_lost(Sender *s, int64_t now)
{
    sender_close(s);
    s->next_attempt_ms = now;
}

static void postpone(Sender *s, int seconds, const char *why, int code)
{
    SenderDest *e = &s->d.e[s->d.n - 1];   /* the connected entry moved to the end */
    e->postpone_until = now_s() + seconds;
    e->last_error = why;
    e->last_code = code;
}

/* Start a non-blocking connect to the current address. 1 connected, 0 in progress, -1 failed. */
static int start_connect(Sender *s)
{
    const SenderAddr *a = &s->addrs[s->addr_i];
    s->fd = socket(a->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        return -1;
    }
    if (connect(s->fd, (const struct sockaddr *)&a->sa, a->len) == 0) {
        return 1;
    }
    return errno == EINPROGRESS || errno == EAGAIN ? 0 : -1;
}

static void register_fd(Sender *s)
{
    struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
                              .data.ptr = s };
    epoll_ctl(s->loop->ep, EPOLL_CTL_ADD, s->fd, &ev);
}

static void connected(Sender *s, int64_t now);

/* Try entries from s->walk on, each address in turn, until a connect is under way or done. */
static void try_entries(Sender *s, int64_t now)
{
    const SenderGlobal *g = &s->loop->g;
    for (;;) {
        if (s->fd >= 0) {
            close(s->fd);
            s->fd = -1;
        }
        if (s->naddrs > 0 && ++s->addr_i < s->naddrs) {
            /* the next address of the same entry */
        } else {
            s->naddrs = 0;
            if (s->walk >= s->d.n) {
                log_line(LOG_ERR, "STREAM %s [send to %s]: could not connect to parent node at "
                         "this time.", s->hostname, s->dest_text);
                attempt_failed(s, now);
                return;
            }
            SenderDest *e = &s->d.e[s->walk];
            int64_t t = now_s();
            if (e->postpone_until > t) {
                log_line(LOG_INFO, "STREAM %s: skipping destination '%s' (default port: %ld) "
                         "due to last error (code: %d, %s), will retry it in %d seconds",
                         s->hostname, e->text, g->default_port, e->last_code,
                         e->last_error ? e->last_error : "unset reason description",
                         (int)(e->postpone_until - t));
                s->walk++;
                continue;
            }
            log_line(LOG_INFO, "STREAM %s: attempting to connect to '%s' (default port: %ld)...",
                     s->hostname, e->text, g->default_port);
            char why[256];
            s->cur = s->walk++;
            s->naddrs = sender_lookup_start(&s->lookup, e, g->default_port, s->addrs, why,
                                            sizeof why);
            if (s->naddrs < 0) {
                log_line(LOG_ERR, "STREAM %s: %s", s->hostname, why);
                s->naddrs = 0;
                continue;
            }
            if (s->naddrs == 0) {          /* a name: glibc resolves it in its own thread */
                s->state = SS_RESOLVING;
                s->deadline_ms = now + g->timeout_s * 1000;
                return;
            }
            s->addr_i = 0;
        }
        int rc = start_connect(s);
        if (rc == 1) {
            connected(s, now);
            return;
        }
        if (rc == 0) {
            s->state = SS_CONNECTING;
            s->deadline_ms = now + g->timeout_s * 1000;
            register_fd(s);
            return;
        }
    }
}

static void start_pass(Sender *s, int64_t now)
{
    s->walk = 0;
    s->naddrs = 0;
    s->fd = -1;
    try_entries(s, now);
}

/* The TCP connection is up: rotate, then TLS or the request. */
static void connected(Sender *s, int64_t now)
{
    SenderGlobal *g = &s->loop->g;
    register_fd(s);                /* EEXIST when the connect was under way: already watched */
    size_t i = s->cur;
    s->walk = s->d.n;              /* this pass is over whatever the handshake says */
    snprintf(s->connected_to, sizeof s->connected_to, "%s", s->d.e[i].text);
    sender_dests_rotate(&s->d, i);
    log_line(LOG_INFO, "STREAM %s [send to %s]: initializing communication...", s->hostname,
             s->connected_to);
    s->deadline_ms = now + g->timeout_s * 1000;
    if (s->loop->tls) {
        const SenderDest *e = &s->d.e[s->d.n - 1];
        s->ssl = tls_client_conn(s->loop->tls, s->fd, e->proto == 2 ? NULL : e->host);
        if (!s->ssl) {
            log_line(LOG_ERR, "Failed to allocate SSL structure.");
            attempt_failed(s, now);
            return;
        }
        s->state = SS_TLS;
    } else {
        s->state = SS_REQUEST;
    }
    sbuf_reset(&s->req);
    SenderHostInfo info = { s->api_key, g->update_every, offered_caps(g),
                            SENDER_PROGRAM_VERSION, 0 };
    pthread_mutex_lock(&s->h->lock);
    sender_fmt_request(&s->req, s->h, &info);
    if (s->req.overflow || s->req.len > SENDER_REQUEST_MAX) {
        /* a parent reads at most 16 KiB (8 KiB decoded): a child's huge system info would make
           every attempt time out, so it is left out */
        log_line(LOG_ERR, "STREAM %s [send to %s]: the STREAM request is over %d bytes; sent "
                 "without the host's system info", s->hostname, s->connected_to,
                 SENDER_REQUEST_MAX);
        sbuf_reset(&s->req);
        s->req.overflow = 0;
        info.no_system_info = 1;
        sender_fmt_request(&s->req, s->h, &info);
    }
    pthread_mutex_unlock(&s->h->lock);
    s->req_off = 0;
}

ssize_t sender_io_write(Sender *s, const void *p, size_t n)
{
    if (s->ssl) {
        int ww;
        return tls_write(s->ssl, p, n, &ww);
    }
    return send(s->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
}

ssize_t sender_io_read(Sender *s, void *p, size_t n)
{
    if (s->ssl) {
        int ww;
        return tls_read(s->ssl, p, n, &ww);
    }
    return recv(s->fd, p, n, MSG_DONTWAIT);
}

int sender_would_block(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
}

static void step_resolving(Sender *s, int64_t now)
{
    char why[256];
    const SenderDest *e = &s->d.e[s->cur];
    int n = sender_lookup_poll(s->lookup, e, s->addrs, why, sizeof why);
    if (n == 0 && now < s->deadline_ms) {
        return;
    }
    sender_lookup_release(s->loop, s->lookup);
    s->lookup = NULL;
    s->state = SS_IDLE;
    if (n == 0) {
        snprintf(why, sizeof why, "cannot resolve host '%s': no answer within %ld seconds",
                 e->host, s->loop->g.timeout_s);
    }
    if (n <= 0) {
        log_line(LOG_ERR, "STREAM %s: %s", s->hostname, why);
        s->naddrs = 0;
    } else {
        s->naddrs = n;
        s->addr_i = -1;            /* try_entries moves to the first address */
    }
    try_entries(s, now);
}

static void step_connecting(Sender *s, int64_t now)
{
    struct pollfd p = { .fd = s->fd, .events = POLLOUT };
    if (poll(&p, 1, 0) == 1) {
        int err = 0;
        socklen_t l = sizeof err;
        if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &l) == 0 && err == 0) {
            connected(s, now);
            return;
        }
    } else if (now < s->deadline_ms) {
        return;
    }
    try_entries(s, now);           /* refused, unreachable or timed out: the next address */
}

static void step_tls(Sender *s, int64_t now)
{
    int ww = 0;
    int rc = tls_connect(s->ssl, &ww);
    if (rc == 0 && now < s->deadline_ms) {
        return;
    }
    if (rc != 1) {
        log_line(LOG_ERR, "STREAM %s [send to %s]: SSL cannot connect with the server:  %s ",
                 s->hostname, s->connected_to, rc == 0 ? "handshake timed out" : tls_error());
        postpone(s, POSTPONE_SSL_S, "SSL error", HS_SSL_ERROR);
        attempt_failed(s, now);
        return;
    }
    if (!s->loop->g.tls_skip_verify) {
        const char *bad = tls_client_verified(s->ssl);
        if (bad) {
            log_line(LOG_ERR, "STREAM %s [send to %s]: Closing the stream connection, because the "
                     "server SSL certificate is not valid (%s).", s->hostname, s->connected_to,
                     bad);
            postpone(s, POSTPONE_SSL_S, "invalid SSL certificate", HS_INVALID_CERT);
            attempt_failed(s, now);
            return;
        }
    }
    s->state = SS_REQUEST;
}

static void step_request(Sender *s, int64_t now)
{
    size_t len = s->req.len;
    while (s->req_off < len) {
        ssize_t n = sender_io_write(s, s->req.s + s->req_off, len - s->req_off);
        if (n > 0) {
            s->req_off += (size_t)n;
            continue;
        }
        if (n < 0 && sender_would_block() && now < s->deadline_ms) {
            return;
        }
        log_line(LOG_ERR, "STREAM %s [send to %s]: failed to send HTTP header to remote netdata.",
                 s->hostname, s->connected_to);
        if (now >= s->deadline_ms) {   /* only a timeout postpones (see the top of the file) */
            postpone(s, POSTPONE_SEND_S, "timeout while sending request", HS_SEND_TIMEOUT);
        }
        attempt_failed(s, now);
        return;
    }
    log_line(LOG_INFO, "STREAM %s [send to %s]: waiting response from remote netdata...",
             s->hostname, s->connected_to);
    s->state = SS_REPLY;
    s->reply_len = 0;
    s->deadline_ms = now + s->loop->g.timeout_s * 1000;
}

/* 1 when the bytes so far are a strict prefix of a reply a parent writes in one piece: one
   more read is worth waiting for (TLS records and segments may split a write). */
static int partial_reply(const char *b, size_t n)
{
    static const char *const known[] = { STREAM_PROMPT_V1, STREAM_PROMPT_V2, STREAM_PROMPT_VN,
                                         STREAM_REPLY_LOCALHOST_TEXT, STREAM_REPLY_ALREADY_TEXT,
                                         STREAM_REPLY_DENIED_TEXT };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t k = strlen(known[i]);
        if (n < k && memcmp(b, known[i], n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void established(Sender *s, int64_t now, int32_t version);


static void step_reply(Sender *s, int64_t now)
{
    for (;;) {
        ssize_t n = sender_io_read(s, s->reply + s->reply_len, SENDER_REPLY_MAX - s->reply_len);
        if (n > 0) {
            s->reply_len += (size_t)n;
            if (partial_reply(s->reply, s->reply_len) && s->reply_len < SENDER_REPLY_MAX) {
                continue;
            }
            break;
        }
        if (n < 0 && sender_would_block() && now < s->deadline_ms) {
            return;
        }
        if (s->reply_len) {
            break;
        }
        log_line(LOG_ERR, "STREAM %s [send to %s]: remote netdata does not respond.",
                 s->hostname, s->connected_to);
        if (now >= s->deadline_ms) {
            postpone(s, POSTPONE_REPLY_S, "timeout while expecting first response",
                     HS_RECEIVE_TIMEOUT);
        }
        attempt_failed(s, now);
        return;
    }
    s->reply[s->reply_len] = 0;
    StreamReplyKind kind;
    int post = 60;
    int32_t version = stream_caps_parse_reply(s->reply, s->reply_len, &kind, &post);
    if (kind != STREAM_REPLY_OK) {
        const char *why = stream_caps_reply_error(kind);
        if (!why) {
            why = "remote node response is not understood, is it Netdata?";
        }
        log_line(LOG_ERR, "STREAM %s [send to %s]: %s.", s->hostname, s->connected_to, why);
        postpone(s, post, why, kind == STREAM_REPLY_LOCALHOST ? HS_LOCALHOST
                              : kind == STREAM_REPLY_ALREADY ? HS_ALREADY
                              : kind == STREAM_REPLY_DENIED ? HS_DENIED : HS_BAD_HANDSHAKE);
        attempt_failed(s, now);
        return;
    }
    established(s, now, version);
}

static void established(Sender *s, int64_t now, int32_t version)
{
    uint64_t offered = offered_caps(&s->loop->g);
    /* 1.37.1 ANDs with its own set only; we never switch on a feature we did not offer */
    uint64_t caps = stream_caps_from_version(version, offered | STREAM_CAPS_OURS) & (offered | 56);
    if ((caps & STREAM_CAP_COMPRESSION) && !sender_lz4_start(s)) {
        log_line(LOG_ERR, "STREAM %s [send to %s]: out of memory for compression; "
                 "disconnecting.", s->hostname, s->connected_to);
        attempt_failed(s, now);
        return;
    }
    SenderDest *e = &s->d.e[s->d.n - 1];
    e->postpone_until = 0;
    e->last_error = NULL;
    char names[256];
    stream_caps_names(caps, names, sizeof names);
    log_line(LOG_INFO, "STREAM %s [send to %s]: established link with negotiated capabilities: %s",
             s->hostname, s->connected_to, names);
    Sbuf labels;
    sbuf_init(&labels, 1u << 20);
    if (caps & STREAM_CAP_HLABELS) {
        pthread_mutex_lock(&s->h->lock);
        sender_fmt_host_labels(&labels, s->h);
    }
    /* process-wide, so that a sender attached again for the same host (a proxied child that
       reconnected) never meets a chart marked as defined on a connection of its predecessor */
    static uint64_t connections_ever;
    uint64_t gen = __atomic_add_fetch(&connections_ever, 1, __ATOMIC_RELAXED);
    pthread_mutex_lock(&s->mu);
    s->caps = caps;
    s->conn_gen = gen;
    sendbuf_reset(&s->buf);
    s->overflow = 0;
    if (labels.len && !labels.overflow) {
        sender_queue(s, labels.s, labels.len);
    }
    s->ready = 1;
    s->connections++;
    pthread_mutex_unlock(&s->mu);
    if (caps & STREAM_CAP_HLABELS) {
        pthread_mutex_unlock(&s->h->lock);
    }
    sbuf_free(&labels);
    s->state = SS_STREAMING;
    s->last_traffic_ms = now;
    s->sent_on_conn = 0;
    s->send_attempts = 0;
    s->rd_len = 0;
    s->unknown_lines = 0;
    sender_repl_drop(s);
    log_line(LOG_INFO, "STREAM %s [send to %s]: enabling metrics streaming...", s->hostname,
             s->connected_to);
}

void sender_drive(Sender *s, int64_t now)
{
    /* a step that moved on may be able to go further at once (connected -> TLS -> request) */
    for (int i = 0; i < 6; i++) {
        int before = s->state;
        switch (s->state) {
        case SS_IDLE:
            if (now < s->next_attempt_ms) {
                return;
            }
            start_pass(s, now);
            break;
        case SS_RESOLVING:
            step_resolving(s, now);
            break;
        case SS_CONNECTING:
            step_connecting(s, now);
            break;
        case SS_TLS:
            step_tls(s, now);
            break;
        case SS_REQUEST:
            step_request(s, now);
            break;
        case SS_REPLY:
            step_reply(s, now);
            break;
        default:
            sender_step_streaming(s, now);
            return;
        }
        if (s->state == before && s->state != SS_IDLE) {
            return;
        }
    }
}

int64_t sender_next_timer(const Sender *s, int64_t now)
{
    if (s->state == SS_IDLE) {
        return s->next_attempt_ms > now ? s->next_attempt_ms - now : 0;
    }
    if (s->state == SS_RESOLVING) {
        return 10;                 /* glibc's lookup has no descriptor to wait on: poll it */
    }
    if (s->state == SS_STREAMING) {
        if (s->more) {
            return 0;              /* unread bytes are waiting: no new edge will say so */
        }
        int64_t t = s->last_traffic_ms + s->loop->g.timeout_s * 1000 + 1 - now;
        return t > 0 ? t : 0;
    }
    return s->deadline_ms > now ? s->deadline_ms - now : 0;
}

/*
** sender.c - the senders' event loop, attach/detach, and the push hook that rrd_chart_end()
** calls (sender.h). One thread runs every sender: an edge-triggered epoll set for the
** sockets, an eventfd that producers ring when a buffer goes from empty to not empty, and a
** timeout that is the nearest sender timer (at most one second).
*/
#include "sender.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "admit.h"
#include "log.h"
#include "match.h"
#include "schema_tables.h"
#include "sender_internal.h"
#include "sender_repl.h"
#include "stream_caps.h"
#include "tls.h"

#define SENDER_ADAPT_TIMES 3     /* 1.37.1 raises the buffer to 3x a message that is too big */

int64_t sender_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void sender_wake(SenderLoop *l)
{
    uint64_t one = 1;
    ssize_t n = write(l->evfd, &one, sizeof one);
    (void)n;
}

/* ---- [stream] values ------------------------------------------------------------------------ */

static const PolicySetting *stream_setting(const PolicyView *v, const char *name)
{
    return admit_global(v, SEC_STREAM, name);
}

static long stream_num(const PolicyView *v, const char *name, long dflt)
{
    const PolicySetting *s = stream_setting(v, name);
    return s && (s->vtype == VAL_INT || s->vtype == VAL_BOOL) ? (long)s->num : dflt;
}

static const char *stream_text(const PolicyView *v, const char *name)
{
    const PolicySetting *s = stream_setting(v, name);
    return s && s->origin != ORIGIN_DEFAULT ? policy_str(v, s->text) : NULL;
}

void sender_global_from_policy(const PolicyView *v, SenderGlobal *g)
{
    memset(g, 0, sizeof *g);
    g->timeout_s = stream_num(v, "timeout seconds", 600);
    g->default_port = stream_num(v, "default port", 19999);
    long b = stream_num(v, "buffer size bytes", 10485760);
    g->buffer_size = b > 0 ? (size_t)b : 1;
    g->reconnect_delay_s = stream_num(v, "reconnect delay seconds", 5);
    g->resync_iterations = stream_num(v, "initial clock resync iterations", 60);
    g->tls = (v->node->flags & NODE_SENDER_TLS) != 0;
    g->tls_skip_verify = (int)stream_num(v, "ssl skip certificate verification", 0);
    g->compression = (int)stream_num(v, "enable compression", 1);
    g->ca_file = stream_text(v, "CAfile");
    g->ca_path = stream_text(v, "CApath");
    const PolicySetting *ue = admit_global(v, SEC_DB, "update every");
    g->update_every = ue && ue->num > 0 ? (int)ue->num : 1;
    /* a year at most: the millisecond timers must not overflow */
    g->timeout_s = g->timeout_s < 1 ? 1 : g->timeout_s > 31536000 ? 31536000 : g->timeout_s;
    g->reconnect_delay_s = g->reconnect_delay_s < 0 ? 0
                           : g->reconnect_delay_s > 31536000 ? 31536000 : g->reconnect_delay_s;
}

/* ---- the push hook (producers, under the host lock) ----------------------------------------- */

int sender_queue(Sender *s, const char *p, size_t n)
{
    if (!(s->caps & STREAM_CAP_COMPRESSION)) {
        return sendbuf_append(&s->buf, p, n);
    }
    while (n) {
        /* as 1.37.1 without BINARY: a frame ends at the last newline that fits */
        size_t k = n;
        if (k > STREAM_LZ4_MAX_ENCODE) {
            k = STREAM_LZ4_MAX_ENCODE;
            const char *nl = memrchr(p, '\n', k);
            k = nl ? (size_t)(nl - p) + 1 : k;
        }
        size_t f = stream_lz4_encode(s->lz4, p, k, s->zframe,
                                     stream_lz4_frame_bound(STREAM_LZ4_MAX_ENCODE));
        if (!f || sendbuf_append(&s->buf, (const char *)s->zframe, f) != 0) {
            return -1;
        }
        p += k;
        n -= k;
    }
    return 0;
}

/* The LZ4 encoder of S, made on its first compressed link and reset for every new one (the
   parent's decoder starts empty). 0 when out of memory. */
int sender_lz4_start(Sender *s)
{
    if (!s->lz4) {
        s->lz4 = malloc(sizeof *s->lz4);
        s->zframe = malloc(stream_lz4_frame_bound(STREAM_LZ4_MAX_ENCODE));
        if (!s->lz4 || !s->zframe || stream_lz4_encoder_init(s->lz4) != 0) {
            if (s->lz4) {
                stream_lz4_encoder_free(s->lz4);
            }
            free(s->lz4);
            free(s->zframe);
            s->lz4 = NULL;
            s->zframe = NULL;
            return 0;
        }
    }
    pthread_mutex_lock(&s->mu);
    stream_lz4_encoder_reset(s->lz4);
    pthread_mutex_unlock(&s->mu);
    return 1;
}

static int wanted(const Sender *s, RrdChart *c)
{
    if (!c->send_match) {
        int yes = s->none ? 0 : !s->prog ||
                  match_run(s->prog, c->id, strlen(c->id)) == MATCH_POSITIVE ||
                  (c->name && match_run(s->prog, c->name, strlen(c->name)) == MATCH_POSITIVE);
        c->send_match = yes ? 1 : 2;
    }
    return c->send_match == 1;
}

static void push(RrdHost *h, RrdChart *c, uint64_t interval_ut)
{
    Sender *s = h->sender;
    if (!s || !__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE) || !wanted(s, c)) {
        return;
    }
    pthread_mutex_lock(&s->mu);
    if (!s->ready || s->overflow) {
        pthread_mutex_unlock(&s->mu);
        return;
    }
    Sbuf *b = &s->scratch;
    sbuf_reset(b);
    int repl = (s->caps & STREAM_CAP_REPLICATION) != 0;
    if (c->sent_conn != s->conn_gen || c->sent_def_gen != c->def_gen) {
        sender_fmt_definition(b, c, (s->caps & STREAM_CAP_CLABELS) != 0);
        if (repl) {
            /* 1.37.1: the parent answers with REPLAY_CHART; the chart's collections wait until
               a REND of ours starts streaming (sender_stream.c) */
            sender_repl_definition_end(b, h, c, (int64_t)time(NULL));
            c->repl_done_conn = 0;
        }
        c->sent_conn = s->conn_gen;
        c->sent_def_gen = c->def_gen;
        /* 1.37.1: BEGIN carries 0 until the collection time passes the definition's time plus
           `initial clock resync iterations` x update every */
        c->resync_left = (uint32_t)s->loop->g.resync_iterations + 1;
    }
    if (!repl || c->repl_done_conn == s->conn_gen) {
        /* with REPLICATION 1.37.1 always sends the interval */
        uint64_t usec = 0;
        if (c->resync_left && !repl) {
            c->resync_left--;
        } else {
            usec = interval_ut;
        }
        sender_fmt_collection(b, c, usec);
    }
    if (!b->len) {
        pthread_mutex_unlock(&s->mu);      /* held back: nothing to say this time */
        return;
    }
    int wake = 0;
    if (b->overflow) {
        s->overflow = 1;
        wake = 1;
    } else {
        if (s->buf.max < (b->len + 1) * SENDER_ADAPT_TIMES) {
            log_line(LOG_INFO, "STREAM %s [send to %s]: max buffer size of %zu is too small for "
                     "a data message of size %zu. Increasing the max buffer size to %d times "
                     "the max data message size.", s->hostname, s->connected_to, s->buf.max,
                     b->len + 1, SENDER_ADAPT_TIMES);
            s->buf.max = (b->len + 1) * SENDER_ADAPT_TIMES;
        }
        wake = sendbuf_pending(&s->buf) == 0;
        if (sender_queue(s, b->s, b->len) != 0) {
            s->overflow = 1;
            wake = 1;
            c->sent_conn = 0;      /* the definition did not go out */
        }
    }
    pthread_mutex_unlock(&s->mu);
    if (wake) {
        sender_wake(s->loop);
    }
}

/* ---- attach / detach ------------------------------------------------------------------------ */

static void sender_free(Sender *s)
{
    sender_close(s);
    sender_dests_free(&s->d);
    sendbuf_free(&s->buf);
    if (s->lz4) {
        stream_lz4_encoder_free(s->lz4);
        free(s->lz4);
    }
    free(s->zframe);
    sbuf_free(&s->scratch);
    sbuf_free(&s->req);
    sbuf_free(&s->repl);
    free(s->rq);
    free(s->api_key);
    free(s->dest_text);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

int sender_attach(SenderLoop *l, RrdHost *h, const SenderTarget *t)
{
    if (h->sender) {
        return 0;
    }
    Sender *s = calloc(1, sizeof *s);
    if (!s) {
        return -1;
    }
    s->loop = l;
    s->h = h;
    s->fd = -1;
    snprintf(s->hostname, sizeof s->hostname, "%s", h->hostname ? h->hostname : h->guid);
    s->api_key = strdup(t->api_key ? t->api_key : "");
    s->dest_text = strdup(t->dest_text ? t->dest_text : "");
    s->prog = t->charts_prog;
    s->none = t->charts_none;
    pthread_mutex_init(&s->mu, NULL);
    s->buf.max = l->g.buffer_size;
    sbuf_init(&s->scratch, (size_t)1 << 30);
    sbuf_init(&s->req, 16384);
    sbuf_init(&s->repl, (size_t)1 << 30);
    if (!s->api_key || !s->dest_text || sender_dests_init(&s->d, t->v, t->dests, t->ndests)) {
        sender_free(s);
        return -1;
    }
    for (RrdChart *c = h->charts; c; c = c->next) {
        c->send_match = 0;         /* this sender's pattern decides again */
    }
    log_line(LOG_INFO, "STREAM %s [send]: streaming to '%s' (%u destination(s))", s->hostname,
             s->dest_text, t->ndests);
    h->sender = s;
    h->push = push;
    pthread_mutex_lock(&l->mu);
    s->next = l->list;
    l->list = s;
    pthread_mutex_unlock(&l->mu);
    sender_wake(l);
    return 0;
}

int sender_attach_settings(SenderLoop *l, const PolicyView *v, RrdHost *h,
                           const PolicySetting *dest, const char *api_key,
                           const PolicySetting *charts)
{
    const char *dt = dest ? policy_str(v, dest->text) : "";
    if (!dest || dest->vtype != VAL_DEST || dest->aux_len == 0 || !*dt || !api_key || !*api_key) {
        log_line(LOG_ERR, "STREAM %s [send]: not streaming: %s is empty",
                 h->hostname ? h->hostname : h->guid,
                 !dest || !*dt || !dest->aux_len ? "the destination" : "the api key");
        return 0;
    }
    if (!h->guid[0]) {
        log_line(LOG_ERR, "STREAM %s [send]: not streaming: the host has no machine GUID",
                 h->hostname ? h->hostname : "?");
        return 0;
    }
    SenderTarget t = { v->dests + dest->aux_off, dest->aux_len, v, dt, api_key, NULL, 0 };
    if (charts && charts->vtype == VAL_PATTERN) {
        t.charts_prog = policy_program(v, charts);
        t.charts_none = t.charts_prog == NULL;
    }
    return sender_attach(l, h, &t) == 0 ? 1 : -1;
}

int sender_attach_local(SenderLoop *l, const PolicyView *v, RrdHost *h)
{
    if (!(v->node->flags & NODE_SENDER_ENABLED)) {
        return 0;
    }
    const PolicySetting *key = stream_setting(v, "api key");
    return sender_attach_settings(l, v, h, stream_setting(v, "destination"),
                                  key ? policy_str(v, key->text) : "",
                                  stream_setting(v, "send charts matching"));
}

void sender_detach(SenderLoop *l, RrdHost *h)
{
    Sender *s = h->sender;
    if (!s) {
        return;
    }
    h->sender = NULL;
    h->push = NULL;
    pthread_mutex_lock(&l->mu);
    s->detached = 1;
    pthread_mutex_unlock(&l->mu);
    sender_wake(l);
}

int sender_stats(RrdHost *h, SenderStats *o)
{
    Sender *s = h->sender;
    if (!s) {
        return -1;
    }
    memset(o, 0, sizeof *o);
    pthread_mutex_lock(&s->mu);
    o->connected = s->ready;
    snprintf(o->connected_to, sizeof o->connected_to, "%s", s->ready ? s->connected_to : "");
    o->connections = s->connections;
    o->bytes_sent = s->bytes_sent;
    o->buffer_full = s->buffer_full;
    o->buffer_used = sendbuf_pending(&s->buf);
    o->buffer_max = s->buf.max;
    o->compressed = s->ready && (s->caps & STREAM_CAP_COMPRESSION);
    o->repl_answers = s->repl_answers;
    o->repl_points = s->repl_points;
    if (s->lz4) {
        o->plain_bytes = s->lz4->bytes_in;
        o->lz4_bytes = s->lz4->bytes_out;
    }
    pthread_mutex_unlock(&s->mu);
    return 0;
}

/* ---- the loop ------------------------------------------------------------------------------- */

void sender_lookup_release(SenderLoop *l, SenderLookup *lk)
{
    if (lk && !sender_lookup_free(lk)) {
        lk->next = l->zombies;
        l->zombies = lk;
    }
}

/* Free the parked lookups glibc has finished with; WAIT: block until every one is done. */
static void reap_lookups(SenderLoop *l, int wait)
{
    SenderLookup **pp = &l->zombies;
    while (*pp) {
        SenderLookup *lk = *pp;
        if (wait) {
            const struct gaicb *one[1] = { &lk->cb };
            while (gai_error(&lk->cb) == EAI_INPROGRESS) {
                gai_suspend(one, 1, NULL);
            }
        }
        if (gai_error(&lk->cb) != EAI_INPROGRESS) {
            *pp = lk->next;
            sender_lookup_free(lk);
            continue;
        }
        pp = &lk->next;
    }
}

static void *loop_main(void *arg)
{
    SenderLoop *l = arg;
    struct epoll_event ev[64];
    int timeout = 0;
    while (!l->stop) {
        int n = epoll_wait(l->ep, ev, 64, timeout);
        for (int i = 0; i < n; i++) {
            if (ev[i].data.ptr == NULL) {
                uint64_t v;
                ssize_t r = read(l->evfd, &v, sizeof v);
                (void)r;
            }
        }
        int64_t now = sender_now_ms(), next = 1000;
        pthread_mutex_lock(&l->mu);
        Sender **pp = &l->list, *first;
        while (*pp) {
            Sender *s = *pp;
            if (s->detached) {
                *pp = s->next;
                log_line(LOG_INFO, "STREAM %s [send]: sender stopped", s->hostname);
                sender_free(s);
                continue;
            }
            pp = &s->next;
        }
        first = l->list;
        pthread_mutex_unlock(&l->mu);
        reap_lookups(l, 0);
        /* senders are added at the head and freed only here, so walking without the lock is
           safe; a sender detached meanwhile is freed on the next round */
        for (Sender *s = first; s; s = s->next) {
            sender_drive(s, now);
            int64_t t = sender_next_timer(s, sender_now_ms());
            if (t < next) {
                next = t;
            }
        }
        timeout = (int)(next < 0 ? 0 : next);
    }
    return NULL;
}

SenderLoop *sender_loop_start(const SenderGlobal *g, char *why, size_t cap)
{
    SenderLoop *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(why, cap, "out of memory");
        return NULL;
    }
    l->g = *g;
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    pthread_mutex_init(&l->mu, NULL);
    if (l->ep < 0 || l->evfd < 0) {
        snprintf(why, cap, "cannot create the sender's event loop: %s", strerror(errno));
        sender_loop_stop(l);
        return NULL;
    }
    struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };
    epoll_ctl(l->ep, EPOLL_CTL_ADD, l->evfd, &e);
    if (g->tls) {
        char w[512];
        l->tls = tls_client_new(g->ca_file, g->ca_path, w, sizeof w);
        if (w[0]) {
            log_line(LOG_ERR, "STREAM: %s", w);
        }
        if (!l->tls) {
            snprintf(why, cap, "%s", w);
            sender_loop_stop(l);
            return NULL;
        }
    }
    if (pthread_create(&l->thread, NULL, loop_main, l) != 0) {
        snprintf(why, cap, "cannot start the sender thread");
        sender_loop_stop(l);
        return NULL;
    }
    l->started = 1;
    return l;
}

void sender_loop_stop(SenderLoop *l)
{
    if (!l) {
        return;
    }
    if (l->started) {
        l->stop = 1;
        sender_wake(l);
        pthread_join(l->thread, NULL);
    }
    while (l->list) {
        Sender *s = l->list;
        l->list = s->next;
        sender_free(s);
    }
    reap_lookups(l, 1);
    if (l->ep >= 0) {
        close(l->ep);
    }
    if (l->evfd >= 0) {
        close(l->evfd);
    }
    SSL_CTX_free(l->tls);
    pthread_mutex_destroy(&l->mu);
    free(l);
}

/*
** sender_stream.c - an established link of a streamd child, on the loop thread
** (sender_internal.h): reading what the parent sends, answering its replication requests, and
** writing the send buffer; the idle guard. A 1.37.1 parent sends REPLAY_CHART (after each CHART_DEFINITION_END
** and each REND that did not start streaming) and FUNCTION (only for functions a child
** declared; streamd declares none). As 1.37.1's execute_commands: REPLAY_CHART is queued and
** answered; an incomplete one is logged and ignored; anything else is logged as an unknown
** command and ignored, never a reason to disconnect.
**
** Answers go out while the send buffer is at most half full (1.37.1's limit for replication),
** so collections keep their room; the rest wait for the buffer to drain. A chart is queued
** once: a newer request for it replaces the older one's range, as 1.37.1's request dictionary
** does. The queue belongs to one connection and is dropped with it.
*/
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "sender_internal.h"
#include "sender_repl.h"
#include "stream_caps.h"
#include "wire.h"

#define CMD_WORDS 8

static int64_t wall_clock_s(void)
{
    return (int64_t)time(NULL);
}

/* Log lines about the parent's commands: the first SENDER_LOG_UNKNOWN of a connection, then
   one line saying the rest are only counted, so a hostile parent cannot fill the log. */
__attribute__((format(printf, 2, 3)))
static void log_cmd(Sender *s, const char *fmt, ...)
{
    if (++s->unknown_lines > SENDER_LOG_UNKNOWN) {
        return;
    }
    char text[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    log_line(LOG_ERR, "STREAM %s [send to %s]%s", s->hostname, s->connected_to, text);
    if (s->unknown_lines == SENDER_LOG_UNKNOWN) {
        log_line(LOG_ERR, "STREAM %s [send to %s] further unknown commands on this connection "
                 "are not logged", s->hostname, s->connected_to);
    }
}

/* The parent's bytes made printable for our log. */
static void printable(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src ? src : "(unset)");
    for (char *w = dst; *w; w++) {
        *w = (unsigned char)*w < 0x20 || *w == 0x7f ? '?' : *w;
    }
}

static void queue_request(Sender *s, char **w, size_t n)
{
    const char *id;
    int start;
    int64_t after, before;
    char shown[4][64];
    if (sender_repl_parse(w, n, &id, &start, &after, &before) != 0) {
        for (int i = 0; i < 4; i++) {
            printable(shown[i], sizeof shown[i], i + 1 < (int)n ? w[i + 1] : NULL);
        }
        log_cmd(s, " REPLAY_CHART command is incomplete (chart=%s, start_streaming=%s, "
                "after=%s, before=%s)", shown[0], shown[1], shown[2], shown[3]);
        return;
    }
    pthread_mutex_lock(&s->h->lock);
    RrdChart *c = rrd_chart_find(s->h, id);
    if (!c) {
        pthread_mutex_unlock(&s->h->lock);
        printable(shown[0], sizeof shown[0], id);
        log_cmd(s, ": cannot find chart '%s' to replicate", shown[0]);
        return;
    }
    c->repl_after = after;
    c->repl_before = before;
    c->repl_start = (uint8_t)start;
    if (c->repl_queued != s->conn_gen) {
        if (s->rq_n == s->rq_cap && s->rq_head) {
            /* answered entries go: a parent that asks again for what it just got while the
               buffer never drains must not grow the array (pending <= one per chart) */
            memmove(s->rq, s->rq + s->rq_head, (s->rq_n - s->rq_head) * sizeof *s->rq);
            s->rq_n -= s->rq_head;
            s->rq_head = 0;
        }
        if (s->rq_n == s->rq_cap) {
            size_t cap = s->rq_cap ? s->rq_cap * 2 : 64;
            RrdChart **q = realloc(s->rq, cap * sizeof *q);
            if (!q) {
                pthread_mutex_unlock(&s->h->lock);
                log_line(LOG_ERR, "STREAM %s [send to %s]: out of memory for a replication "
                         "request of '%s'", s->hostname, s->connected_to, c->id);
                return;
            }
            s->rq = q;
            s->rq_cap = cap;
        }
        s->rq[s->rq_n++] = c;        /* pending at most once per chart */
        c->repl_queued = s->conn_gen;
    }
    pthread_mutex_unlock(&s->h->lock);
}

static void parent_lines(Sender *s)
{
    char *p = s->rd, *end = s->rd + s->rd_len, *nl;
    *end = 0;
    while (p < end && (nl = memchr(p, '\n', (size_t)(end - p)))) {
        *nl = 0;
        char *w[CMD_WORDS + 1];
        size_t n = wire_split(p, w, CMD_WORDS);
        if (n && strcmp(w[0], "REPLAY_CHART") == 0 && (s->caps & STREAM_CAP_REPLICATION)) {
            queue_request(s, w, n);
        } else {
            char word[64];
            printable(word, sizeof word, n && *w[0] ? w[0] : NULL);
            log_cmd(s, " received unknown command over connection: %s", word);
        }
        p = nl + 1;
    }
    if (p < end && p != s->rd) {
        memmove(s->rd, p, (size_t)(end - p));
    }
    s->rd_len = (size_t)(end - p);
    if (s->rd_len == SENDER_READ_MAX) {
        s->rd_len = 0;             /* a line longer than the buffer: dropped */
    }
}

static int repl_run(Sender *s)
{
    int queued = 0;
    while (s->rq_head < s->rq_n) {
        pthread_mutex_lock(&s->mu);
        size_t pending = sendbuf_pending(&s->buf), max = s->buf.max;
        int live = s->ready && !s->overflow;
        pthread_mutex_unlock(&s->mu);
        if (!live || pending > max / 2) {
            return queued;
        }
        RrdChart *c = s->rq[s->rq_head++];
        pthread_mutex_lock(&s->h->lock);
        if (c->repl_queued == s->conn_gen) {
            c->repl_queued = 0;
            SenderReplAnswer a;
            sbuf_reset(&s->repl);
            sender_repl_answer(&s->repl, s->h, c, c->repl_start, c->repl_after,
                               c->repl_before, wall_clock_s, max / 4, &a);
            pthread_mutex_lock(&s->mu);
            if (s->repl.overflow || sender_queue(s, s->repl.s, s->repl.len) != 0) {
                s->overflow = 1;         /* step_streaming restarts the connection */
            } else {
                s->repl_answers++;
                s->repl_points += a.points;
                queued = 1;
                if (a.start_streaming) {
                    c->repl_done_conn = s->conn_gen;    /* its collections go out again */
                }
            }
            pthread_mutex_unlock(&s->mu);
        }
        pthread_mutex_unlock(&s->h->lock);
    }
    s->rq_head = s->rq_n = 0;
    return queued;
}

void sender_repl_drop(Sender *s)
{
    s->rq_head = s->rq_n = 0;      /* the charts' repl_queued name an older connection now */
}

/* The buffer-full check and the writes of one turn: 0 when the connection was lost. */
static int write_pending(Sender *s, int64_t now)
{
    pthread_mutex_lock(&s->mu);
    if (s->overflow) {
        size_t allocated = s->buf.cap;
        s->buffer_full++;
        pthread_mutex_unlock(&s->mu);
        log_line(LOG_ERR, "STREAM %s [send to %s]: buffer full (allocated %zu bytes) after "
                 "sending %llu bytes. Restarting connection", s->hostname, s->connected_to,
                 allocated, (unsigned long long)s->sent_on_conn);
        sender_connection_lost(s, now);
        return 0;
    }
    while (sendbuf_pending(&s->buf)) {
        s->send_attempts++;
        ssize_t n = sender_io_write(s, s->buf.b + s->buf.r, sendbuf_pending(&s->buf));
        if (n > 0) {
            sendbuf_consume(&s->buf, (size_t)n);
            s->sent_on_conn += (uint64_t)n;
            s->bytes_sent += (uint64_t)n;
            s->last_traffic_ms = now;
            continue;
        }
        if (n < 0 && sender_would_block()) {
            break;
        }
        pthread_mutex_unlock(&s->mu);
        log_line(LOG_ERR, "STREAM %s [send to %s]: failed to send metrics - closing connection - "
                 "we have sent %llu bytes on this connection.", s->hostname, s->connected_to,
                 (unsigned long long)s->sent_on_conn);
        sender_connection_lost(s, now);
        return 0;
    }
    pthread_mutex_unlock(&s->mu);
    return 1;
}

void sender_step_streaming(Sender *s, int64_t now)
{
    const SenderGlobal *g = &s->loop->g;
    s->more = 0;
    for (size_t got = 0;;) {
        if (got >= SENDER_READ_TURN) {
            s->more = 1;           /* a parent that never pauses must not hold the loop */
            break;
        }
        ssize_t n = sender_io_read(s, s->rd + s->rd_len, SENDER_READ_MAX - s->rd_len);
        if (n > 0) {
            got += (size_t)n;
            s->rd_len += (size_t)n;
            s->last_traffic_ms = now;
            parent_lines(s);
            continue;
        }
        if (n < 0 && sender_would_block()) {
            break;
        }
        if (n == 0 || errno == ECONNRESET) {
            log_line(LOG_ERR, "STREAM %s [send to %s]: connection closed by far end.",
                     s->hostname, s->connected_to);
        } else {
            log_line(LOG_ERR, "STREAM %s [send to %s]: error during receive (%zd) - closing "
                     "connection.", s->hostname, s->connected_to, n);
        }
        sender_connection_lost(s, now);
        return;
    }
    if (!write_pending(s, now)) {
        return;
    }
    for (int round = 0; round < 8 && s->rq_head < s->rq_n; round++) {
        int queued = repl_run(s);
        if (!write_pending(s, now)) {
            return;
        }
        if (!queued) {
            break;
        }
    }
    if (s->rq_head < s->rq_n && !s->more) {
        pthread_mutex_lock(&s->mu);
        s->more = sendbuf_pending(&s->buf) <= s->buf.max / 2;   /* room: answer on the next turn */
        pthread_mutex_unlock(&s->mu);
    }
    if (now - s->last_traffic_ms > g->timeout_s * 1000) {
        log_line(LOG_ERR, "STREAM %s [send to %s]: could not send metrics for %ld seconds - "
                 "closing connection - we have sent %llu bytes on this connection via %llu send "
                 "attempts.", s->hostname, s->connected_to, g->timeout_s,
                 (unsigned long long)s->sent_on_conn, (unsigned long long)s->send_attempts);
        sender_connection_lost(s, now);
    }
}

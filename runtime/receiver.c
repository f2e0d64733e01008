/*
** receiver.c - the parent side of a streaming connection (receiver.h).
**
** The handshake runs under the registry lock from the "already connected" check to the
** attach, so two connections for one new GUID cannot both win (Netdata's check 15 race has
** no loser here: the second one simply sees the first as connected). Nothing here allocates
** in proportion to the policy: admission reads the mapped policy in place.
*/
#include "receiver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admit.h"
#include "child_cfg.h"
#include "log.h"
#include "sender.h"
#include "stream_caps.h"

int64_t receiver_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec;
}

static void set_str(char **dst, const char *v)
{
    char *copy = v ? strdup(v) : NULL;
    if (v && !copy) {
        return;   /* out of memory: keep the old value rather than lose the field */
    }
    free(*dst);
    *dst = copy;
}

/* The handshake's description of the host (Netdata updates it on every connection). */
static void describe_host(RrdHost *h, const HttpRequest *q, uint64_t caps)
{
    set_str(&h->hostname, q->hostname);
    set_str(&h->registry_hostname, q->registry_hostname ? q->registry_hostname : q->hostname);
    set_str(&h->os, q->os ? q->os : "unknown");
    set_str(&h->timezone, q->timezone ? q->timezone : "unknown");
    set_str(&h->abbrev_timezone, q->abbrev_timezone ? q->abbrev_timezone : "UTC");
    set_str(&h->tags, q->tags);
    if (!h->api_key || strcmp(h->api_key, q->key) != 0) {
        set_str(&h->api_key, q->key);
        rrd_host_meta_dirty(h);
    }
    h->utc_offset = q->utc_offset;
    h->hops = q->hops;
    h->update_every = (int)q->update_every;
    h->ml_capable = (int)q->ml_capable;
    h->ml_enabled = (int)q->ml_enabled;
    h->mc_version = (int)q->mc_version;
    h->capabilities = caps;
    if (q->user_agent) {
        const char *slash = strchr(q->user_agent, '/');
        size_t n = slash ? (size_t)(slash - q->user_agent) : strlen(q->user_agent);
        char name[128];
        snprintf(name, sizeof name, "%.*s", (int)n, q->user_agent);
        set_str(&h->program_name, name);
        set_str(&h->program_version, slash ? slash + 1 : "");
    }
    rrd_labels_clear(&h->system_info);
    for (size_t i = 0; i < q->nparams; i++) {
        if (strncmp(q->params[i].name, "NETDATA_", 8) == 0) {
            rrd_labels_set(&h->system_info, q->params[i].name, q->params[i].value, 0);
        }
    }
}

/* Admission with the live state; under db->lock. */
static AdmitResult decide(Streamd *sd, const HttpRequest *q, const ConnPeer *p, RrdHost **hostp)
{
    AdmitRequest ar;
    admit_request_init(&ar);
    ar.client_ip = p->ip;
    ar.client_port = p->port;
    ar.local_port = p->local_port;
    ar.tls = p->tls;
    ar.key = q->key;
    ar.hostname = q->hostname;
    ar.machine_guid = q->machine_guid;
    int64_t now = receiver_now_s();
    RrdHost *h = q->machine_guid ? rrd_host_find_guid(sd->db, q->machine_guid) : NULL;
    if (h && h->connected) {
        ar.existing_age = now - h->last_data_s;
        ar.existing_hostname = h->hostname;
    }
    ar.key_type_mem = sticky_get(&sd->sticky, q->key);
    ar.machine_type_mem = sticky_get(&sd->sticky, q->machine_guid);
    pthread_mutex_lock(&sd->rate_mu);
    ar.rate_elapsed = sd->rate_last < 0 ? -1 : now - sd->rate_last;
    AdmitResult res = admit_stream(sd->v, &ar);
    if (res.rate_reset || (res.code == ADMIT_TOO_BUSY && sd->rate_last < 0)) {
        sd->rate_last = now;   /* the timer starts at the first request that reaches it */
    }
    pthread_mutex_unlock(&sd->rate_mu);
    if ((res.key_type_set && sticky_set(&sd->sticky, q->key, res.key_type_set) != 0) ||
        (res.machine_type_set && sticky_set(&sd->sticky, q->machine_guid,
                                            res.machine_type_set) != 0)) {
        if (!sd->sticky.full_logged) {
            sd->sticky.full_logged = 1;
            log_line(LOG_ERR, "STREAM: %d section types remembered; Netdata's sticky-type "
                     "behaviour is no longer reproduced for new GUIDs", STICKY_MAX);
        }
    }
    *hostp = h;
    return res;
}

static void log_access(Streamd *sd, const AdmitResult *res)
{
    if (!res->access[0]) {
        return;
    }
    unsigned long n = __atomic_add_fetch(&sd->requests, 1, __ATOMIC_RELAXED);
    const char *tid = strstr(res->access, "<tid>");
    if (tid) {
        log_line(LOG_INFO, "%.*s%lu%s", (int)(tid - res->access), res->access, n, tid + 5);
    } else {
        log_line(LOG_INFO, "%s", res->access);
    }
}

static size_t copy_reply(char *out, size_t cap, const char *text)
{
    size_t n = strlen(text);
    if (n > cap) {
        n = cap;
    }
    memcpy(out, text, n);
    return n;
}

int receiver_handshake(Streamd *sd, const HttpRequest *q, const ConnPeer *p, Receiver *r,
                       char *reply, size_t cap, size_t *len)
{
    char ip[64];
    admit_rewrite_ip(p->ip, ip, sizeof ip);
    *len = 0;
    pthread_mutex_lock(&sd->db->lock);
    RrdHost *h = NULL;
    AdmitResult res = decide(sd, q, p, &h);
    if (res.code == ADMIT_OK || res.code >= ADMIT_NO_KEY) {
        /* 1.37.1 logs these only once the web server's checks passed (port permission, TLS,
           allow streaming from) and the request reaches the streaming code */
        log_line(LOG_INFO, "STREAM [receive from [%s]:%s]: clients wants to STREAM metrics.", ip,
                 p->port);
        for (size_t i = 0; i < q->nunused; i++) {
            log_line(LOG_INFO, "STREAM [receive from [%s]:%s]: request has parameter '%s', "
                     "which is not used.", ip, p->port, q->unused[i]);
        }
    }
    if (!res.accepted) {
        pthread_mutex_unlock(&sd->db->lock);
        log_lines(LOG_ERR, res.log);
        log_access(sd, &res);
        if (res.code == ADMIT_SSL_FORCED) {
            *len = http_error_page(reply, cap, 400, HTTP_BODY_NOT_UNDERSTOOD);
        } else if (res.reply) {
            *len = copy_reply(reply, cap, res.reply);   /* raw: no status line, no headers */
        }
        return 0;
    }
    if (res.log[0]) {
        log_lines(LOG_ERR, res.log);   /* "existing connection is dead ..., accepting" */
    }
    if (!h) {
        RrdHostConfig cfg;
        child_cfg_resolve(sd->v, q->key, q->machine_guid, &cfg);
        h = rrd_host_create(sd->db, q->machine_guid, q->hostname, &cfg);
        if (!h) {
            pthread_mutex_unlock(&sd->db->lock);
            log_line(LOG_ERR, "STREAM %s [receive from [%s]:%s]: failed to find/create host "
                     "structure.", q->hostname, ip, p->port);
            return 0;   /* Netdata's check 15: the socket is just closed */
        }
        static const char *const modes[] = { "none", "ram", "map", "save", "alloc", "dbengine" };
        int m = cfg.memory_mode >= 0 && cfg.memory_mode <= 5 ? cfg.memory_mode : 1;
        log_line(LOG_INFO, "STREAM %s [receive from [%s]:%s]: new host, memory mode %s%s, "
                 "history %ld", q->hostname, ip, p->port, modes[m],
                 h->storage_fallback ? " (not implemented yet: kept in ram)" : "", cfg.history);
    }
    /* compression as this child's key and GUID sections say now (the host may be older) */
    RrdHostConfig now_cfg;
    child_cfg_resolve(sd->v, q->key, q->machine_guid, &now_cfg);
    uint64_t caps = stream_caps_from_ver(q->ver, STREAM_CAPS_OURS
                                         | (now_cfg.compression ? STREAM_CAP_COMPRESSION : 0)
                                         | (now_cfg.replication ? STREAM_CAP_REPLICATION : 0));
    r->lz4 = NULL;
    if ((caps & STREAM_CAP_COMPRESSION) && (!(r->lz4 = malloc(sizeof *r->lz4))
                                            || stream_lz4_decoder_init(r->lz4) != 0)) {
        if (r->lz4) {
            stream_lz4_decoder_free(r->lz4);
            free(r->lz4);
            r->lz4 = NULL;
        }
        caps &= ~(uint64_t)STREAM_CAP_COMPRESSION;   /* out of memory: plain text then */
    }
    pthread_mutex_lock(&h->lock);
    describe_host(h, q, caps);
    int64_t now = receiver_now_s();
    h->connected = 1;
    h->connections++;
    h->last_data_s = now;
    h->connected_since_s = now;
    r->gen = __atomic_add_fetch(&h->receiver_gen, 1, __ATOMIC_ACQ_REL);
    if (sd->senders && h->cfg.proxy_enabled && !h->is_localhost &&
        sender_attach_settings(sd->senders, sd->v, h, h->cfg.proxy_dest_setting,
                               h->cfg.proxy_api_key, h->cfg.proxy_send_setting) < 0) {
        log_line(LOG_ERR, "STREAM %s [send]: out of memory: not forwarded", q->hostname);
    }
    pthread_mutex_unlock(&h->lock);
    pthread_mutex_unlock(&sd->db->lock);

    r->host = h;
    r->peer = *p;
    snprintf(r->ip, sizeof r->ip, "%s", ip);
    ingest_init(&r->in, h);
    sbuf_init(&r->out, RECEIVER_OUT_MAX);
    r->out_off = 0;
    r->in.repl = (caps & STREAM_CAP_REPLICATION) != 0;
    r->in.out = &r->out;
    snprintf(r->peer_text, sizeof r->peer_text, "%s:%s", p->ip, p->port);
    r->in.peer = r->peer_text;   /* the default plugin of a CHART that names none */
    if (wire_reader_init(&r->rd) != 0) {
        log_line(LOG_ERR, "STREAM %s [receive from [%s]:%s]: out of memory.", q->hostname, ip,
                 p->port);
        receiver_detach(sd, r, NULL);
        return 0;
    }
    log_access(sd, &res);
    *len = stream_caps_prompt(caps, reply, cap);
    if (*len > cap) {
        *len = cap;
    }
    char names[256];
    stream_caps_names(caps, names, sizeof names);
    log_line(LOG_INFO, "STREAM %s [receive from [%s]:%s]: established link with negotiated "
             "capabilities: %s", q->hostname, ip, p->port, names);
    log_line(LOG_INFO, "STREAM %s [receive from [%s]:%s]: receiving metrics...", q->hostname, ip,
             p->port);
    return 1;
}

int receiver_replaced(const Receiver *r)
{
    return r->host && __atomic_load_n(&r->host->receiver_gen, __ATOMIC_ACQUIRE) != r->gen;
}

int receiver_process(Streamd *sd, Receiver *r)
{
    (void)sd;
    RrdHost *h = r->host;
    int rc = 0;
    char *line;
    size_t len;
    int cut;
    pthread_mutex_lock(&h->lock);
    h->last_data_s = receiver_now_s();
    uint64_t now = rrd_now_ut();
    while ((line = wire_reader_next(&r->rd, &len, &cut))) {
        if (cut) {
            log_line(LOG_ERR, "%s", WIRE_TRUNCATED_LOG);
        }
        IngestStatus st = ingest_line(&r->in, line, len, now);   /* counts h->updates */
        if (r->in.note[0]) {
            log_line(LOG_INFO, "STREAM %s [receive from [%s]:%s]: %s", h->hostname, r->ip,
                     r->peer.port, r->in.note);
        }
        if (st != INGEST_OK) {
            if (r->in.err[0]) {
                log_line(LOG_ERR, "%s", r->in.err);
            }
            rc = -1;
            break;
        }
    }
    pthread_mutex_unlock(&h->lock);
    return rc;
}

void receiver_detach(Streamd *sd, Receiver *r, const char *why)
{
    RrdHost *h = r->host;
    if (!h) {
        return;
    }
    if (why) {
        log_line(LOG_ERR, "%s", why);
    }
    pthread_mutex_lock(&h->lock);
    ingest_reset(&r->in);
    if (__atomic_load_n(&h->receiver_gen, __ATOMIC_ACQUIRE) == r->gen) {
        h->connected = 0;
        h->disconnected_since_s = receiver_now_s();
        if (sd->senders) {
            sender_detach(sd->senders, h);   /* 1.37.1 stops the onward sender too */
        }
    }
    log_line(LOG_ERR, "STREAM %s [receive from [%s]:%s]: disconnected (completed %llu updates).",
             h->hostname, r->ip, r->peer.port, (unsigned long long)r->in.updates);
    pthread_mutex_unlock(&h->lock);
    wire_reader_free(&r->rd);
    sbuf_free(&r->out);
    if (r->lz4) {
        stream_lz4_decoder_free(r->lz4);
        free(r->lz4);
        r->lz4 = NULL;
    }
    r->host = NULL;
}

/*
** streamd.c - the runtime's entry point: map and verify a compiled policy (never a .conf),
** build the host registry with the node's own host, open the listeners, run the event loops,
** and stop cleanly on SIGTERM/SIGINT (SIGHUP reopens the log).
**
** Signals are blocked in every thread and taken synchronously by the main thread with
** sigwait(), so no handler runs inside the loops and shutdown needs no async-signal tricks.
*/
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#include "admit.h"
#include "child_cfg.h"
#include "collectors.h"
#include "log.h"
#include "net.h"
#include "rrd_meta.h"
#include "schema_tables.h"
#include "sender.h"
#include "sender_fmt.h"
#include "storage.h"
#include "streamd.h"
#include "tls.h"

static int usage(const char *msg)
{
    if (msg) {
        fprintf(stderr, "streamd: %s\n", msg);
    }
    fprintf(stderr,
            "usage: streamd --policy FILE [--data-dir DIR] [--log FILE] [--threads N]\n"
            "               [--no-collectors] [--plugins-dir DIR]\n"
            "  --policy FILE   a policy compiled by `streamc compile` (mapped, verified)\n"
            "  --data-dir DIR  where persistent storage engines keep their files\n"
            "  --log FILE      append the log here (default: stderr); SIGHUP reopens it\n"
            "  --threads N     event loops (default: the number of CPUs, at most 16)\n"
            "  --no-collectors no /proc charts for this node (plugins still run with --plugins-dir)\n"
            "  --plugins-dir DIR  run the *.plugin executables of DIR (plugins.d protocol)\n");
    return 2;
}

/* A global's text; a computed default is stored in parentheses ("(/etc/netdata/ssl/key.pem)"):
   that is the path Netdata computes on a stock install, so it is used without them. */
static const char *global_text(const PolicyView *v, unsigned sec, const char *name, char *buf,
                               size_t cap)
{
    const PolicySetting *s = admit_global(v, sec, name);
    const char *t = s ? policy_str(v, s->text) : NULL;
    size_t n = t ? strlen(t) : 0;
    if (n >= 2 && t[0] == '(' && t[n - 1] == ')' && n - 1 <= cap) {
        memcpy(buf, t + 1, n - 2);
        buf[n - 2] = 0;
        return buf;
    }
    return t;
}

static void guid_text(const uint8_t b[16], char out[37])
{
    static const char hex[] = "0123456789abcdef";
    int k = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            out[k++] = '-';
        }
        out[k++] = hex[b[i] >> 4];
        out[k++] = hex[b[i] & 15];
    }
    out[k] = 0;
}

static long global_num(const PolicyView *v, unsigned sec, const char *name, long dflt)
{
    const PolicySetting *s = admit_global(v, sec, name);
    return s && s->vtype == VAL_INT ? (long)s->num : dflt;
}

/* [web] ssl certificate / ssl key; their defaults name files in Netdata's config dir. */
static void open_tls(Streamd *sd)
{
    char cb[4096], kb[4096];
    const char *cert = global_text(sd->v, SEC_WEB, "ssl certificate", cb, sizeof cb);
    const char *key = global_text(sd->v, SEC_WEB, "ssl key", kb, sizeof kb);
    const char *why = NULL;
    cert = cert ? cert : "/etc/netdata/ssl/cert.pem";
    key = key ? key : "/etc/netdata/ssl/key.pem";
    sd->tls = tls_server_new(cert, key, &why);
    if (sd->tls) {
        log_line(LOG_INFO, "SSL: TLS enabled with certificate %s", cert);
    } else {
        log_line(LOG_INFO, "SSL: no TLS (%s: %s, %s); serving plain connections only", why, cert,
                 key);
    }
}

/* A reloaded host's settings: what the policy gives its key and GUID today. */
static int reload_cfg(void *ctx, const char *key, const char *guid, RrdHostConfig *out)
{
    Streamd *sd = ctx;
    child_cfg_resolve(sd->v, key, guid, out);
    return 0;
}

/* The senders' loop (proxied children need it even when the node itself does not stream) and
   the node's own sender when [stream] is enabled. A loop that cannot start is logged: the node
   still works as a parent. */
static void start_senders(Streamd *sd)
{
    SenderGlobal g;
    char why[512];
    sender_global_from_policy(sd->v, &g);
    sd->senders = sender_loop_start(&g, why, sizeof why);
    if (!sd->senders) {
        log_line(LOG_ERR, "STREAM: cannot start the senders: %s; nothing is streamed upstream",
                 why);
        return;
    }
    RrdHost *h = sd->db->localhost;
    pthread_mutex_lock(&h->lock);
    sender_describe_localhost(h);
    if (sender_attach_local(sd->senders, sd->v, h) < 0) {
        log_line(LOG_ERR, "STREAM %s [send]: out of memory", h->hostname);
    }
    pthread_mutex_unlock(&h->lock);
}

int main(int argc, char **argv)
{
    const char *policy = NULL, *logf = NULL, *data_dir = NULL;
    const char *plugins_dir = NULL;
    int collect = 1;
    long threads = sysconf(_SC_NPROCESSORS_ONLN);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(NULL);
            return 0;
        }
        if (strcmp(a, "--no-collectors") == 0) {
            collect = 0;
            continue;
        }
        if (i + 1 >= argc) {
            return usage("missing value after an option");
        }
        if (strcmp(a, "--policy") == 0) {
            policy = argv[++i];
        } else if (strcmp(a, "--log") == 0) {
            logf = argv[++i];
        } else if (strcmp(a, "--plugins-dir") == 0) {
            plugins_dir = argv[++i];
        } else if (strcmp(a, "--data-dir") == 0) {
            data_dir = argv[++i];
        } else if (strcmp(a, "--threads") == 0) {
            char *end;
            threads = strtol(argv[++i], &end, 10);
            if (*end || threads < 1 || threads > 16) {
                return usage("--threads takes 1..16");
            }
        } else {
            return usage("unknown option");
        }
    }
    if (!policy) {
        return usage("--policy is required");
    }
    if (threads < 1) {
        threads = 1;
    }
    if (log_open(logf) != 0) {
        fprintf(stderr, "streamd: cannot open log %s: %s\n", logf, strerror(errno));
        return 2;
    }
    Streamd sd;
    memset(&sd, 0, sizeof sd);
    const char *why = NULL;
    if (policy_open(&sd.policy, policy, &why) != 0) {
        fprintf(stderr, "streamd: %s: %s\n", policy, why);
        if (logf) {
            log_line(LOG_ERR, "policy %s refused: %s", policy, why);
        }
        log_close();
        return 2;
    }
    sd.v = &sd.policy.v;
    sd.data_dir = data_dir;
    sd.threads = (int)(threads > 16 ? 16 : threads);
    sd.rate_last = -1;
    pthread_mutex_init(&sd.rate_mu, NULL);

    char guid[37] = "";
    if (sd.v->node->flags & NODE_HAS_GUID) {
        guid_text(sd.v->node->machine_guid, guid);
    }
    const char *hostname = policy_str(sd.v, sd.v->node->hostname);
    char hbuf[256];
    if (!*hostname) {
        hostname = gethostname(hbuf, sizeof hbuf) == 0 ? hbuf : "localhost";
        hbuf[sizeof hbuf - 1] = 0;
    }
    StorageGlobal sg = { global_num(sd.v, SEC_DB, "dbengine page cache size MB", 32),
                         global_num(sd.v, SEC_DB, "dbengine multihost disk space MB", 256) };
    storage_configure(&sg);
    RrdHostConfig local;
    child_cfg_local(sd.v, &local);
    sd.db = rrd_db_new(hostname, guid, &local, data_dir);
    if (!sd.db) {
        fprintf(stderr, "streamd: out of memory\n");
        policy_close(&sd.policy);
        return 1;
    }
    open_tls(&sd);
    if (data_dir) {
        int n = rrd_meta_load(sd.db, reload_cfg, &sd);
        log_line(LOG_INFO, "STORAGE: %d host(s) reloaded from %s", n, data_dir);
    }
    start_senders(&sd);

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    Collectors *col = NULL;

    char nwhy[256];
    Net *net = net_open(&sd, nwhy, sizeof nwhy);
    int rc = 0;
    if (!net) {
        fprintf(stderr, "streamd: %s\n", nwhy);
        if (logf) {
            log_line(LOG_ERR, "%s", nwhy);
        }
        rc = 1;
    } else if (net_start(net) != 0) {
        log_line(LOG_ERR, "cannot start the event loops");
        net_stop(net);
        rc = 1;
    } else {
        log_line(LOG_INFO, "streamd: host '%s' (machine GUID %s), policy %s, %d loop(s), "
                 "%d listener(s): ready", hostname, *guid ? guid : "unknown", policy, sd.threads,
                 net_listener_count(net));
        /* after the mask (the collector thread inherits it; plugins get theirs reset) and
           after the listeners: a parent answers first, then starts collecting for itself */
        col = collect || plugins_dir
                  ? collectors_start(sd.db, plugins_dir, local.update_every, collect) : NULL;
        for (;;) {
            int sig = 0;
            if (sigwait(&sigs, &sig) != 0) {
                continue;
            }
            if (sig == SIGHUP) {
                if (log_reopen() != 0) {
                    log_line(LOG_ERR, "cannot reopen the log: %s", strerror(errno));
                }
                continue;
            }
            log_line(LOG_INFO, "streamd: signal %d, shutting down", sig);
            break;
        }
        net_stop(net);
    }
    if (net) {
        net_join(net);
        net_free(net);
    }
    collectors_stop(col);
    sender_loop_stop(sd.senders);   /* after every producer (receivers, collectors) stopped */
    rrd_meta_flush(sd.db);
    rrd_db_free(sd.db);
    sticky_free(&sd.sticky);
    tls_server_free(sd.tls);
    policy_close(&sd.policy);
    pthread_mutex_destroy(&sd.rate_mu);
    log_line(LOG_INFO, "streamd: stopped");
    log_close();
    return rc;
}

/*
** loadgen.c - synthetic Netdata 1.37.1 children on loopback, for the receiver benches
** (bench/bench_streamd.py): the command line, the ingest and idle modes. The child side of the
** streaming protocol (the STREAM request with ver=64, CHART/DIMENSION, BEGIN/SET/END) is in
** loadgen_proto.c, the startup mode in loadgen_startup.c, the text buffer in growbuf.c.
** It does not parse anything the parent sends after the prompt; it reads and discards it.
**
**   loadgen ingest  -p PORT -k KEY [-c CHILDREN] [-n CHARTS] [-m DIMS] [-s SECONDS]
**       Each child (one thread and one connection each) defines CHARTS x DIMS, then writes
**       BEGIN/SET/END blocks as fast as the socket takes them for SECONDS. Every BEGIN carries
**       1000000 us, so the parent advances the chart by one second per END and stores one
**       point per dimension (spec 3.4; the chart's timeline runs ahead of the wall clock).
**       Values change on every block. Then it half-closes (shutdown SHUT_WR) and waits for the
**       parent to close the connection: the parent has then parsed every byte, so
**       samples / (EOF - start) is the rate the parent accepted, not merely what the kernel
**       buffered.
**   loadgen idle -p PORT -k KEY -c CHILDREN [-n CHARTS] [-m DIMS] [--hold SECONDS]
**       CHILDREN connections, each with its own GUID: handshake, CHARTS x DIMS defined, one
**       collection, then idle. Prints "READY connected=N failed=F" once all attempts are done
**       and stays connected until its stdin reaches EOF (or SIGTERM/SIGINT, or --hold).
**   loadgen startup -p PORT -k KEY [--timeout S] [--stop-timeout S] [--out FILE] -- CMD ARGS
**       posix_spawn CMD (absolute path), then poll 127.0.0.1:PORT until it accepts a TCP
**       connection AND answers a STREAM handshake with the prompt; report both times from
**       the spawn, then stop CMD (TERM, KILL after --stop-timeout) and its own child
**       processes, found by parent PID before the TERM (never by name).
**
** Loopback only (-H must be a 127.x.x.x address). One "RESULT mode=... k=v ..." line goes to
** stdout; progress and errors go to stderr. Exit 0 on success, 1 on failure, 2 on usage.
*/
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "growbuf.h"
#include "loadgen.h"

#define MAX_DIMS 1000
#define MAX_CHARTS 100000
#define MAX_CHILDREN 60000
#define SEND_CHUNK (128 * 1024)

typedef struct Child {
    const Opts *o;
    unsigned idx;
    int fd;
    pthread_barrier_t *ready;
    double t_sent, t_eof;
    uint64_t blocks, bytes, from_parent;
    int connected, drained, failed;
    char why[200];
} Child;

volatile sig_atomic_t loadgen_stop;        /* see loadgen.h */

static void on_signal(int sig)
{
    (void)sig;
    loadgen_stop = 1;
}

/*
** Seconds on CLOCK_MONOTONIC: for intervals only.
*/
double loadgen_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/*
** Sleep S seconds; a signal ends the sleep early (no SA_RESTART), so loops see loadgen_stop.
*/
void loadgen_sleep(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

/* ---- ingest ------------------------------------------------------------------------------ */

static void *ingest_child(void *arg)
{
    Child *ch = arg;
    const Opts *o = ch->o;
    GrowBuf b = { 0 };
    ch->fd = loadgen_open_child(o, ch->idx, ch->why, sizeof ch->why);
    if (ch->fd >= 0) {
        loadgen_define_charts(&b, o->charts, o->dims);
        if (loadgen_send_all(ch->fd, b.p, b.len) != 0) {
            snprintf(ch->why, sizeof ch->why, "send definitions: %s", strerror(errno));
            close(ch->fd);
            ch->fd = -1;
        }
        ch->bytes += b.len;
    }
    ch->connected = ch->fd >= 0;
    pthread_barrier_wait(ch->ready);        /* every child starts sending at the same moment */
    if (!ch->connected) {
        ch->failed = 1;
        free(b.p);
        return NULL;
    }
    double deadline = loadgen_now() + o->seconds;    /* all children leave the barrier together */
    uint64_t it = 0;
    unsigned c = 0;
    size_t room = 64 + (size_t)o->dims * 40;
    while (!loadgen_stop) {
        b.len = 0;
        uint64_t nb = 0;
        while (b.len + room < SEND_CHUNK) {
            loadgen_block(&b, c, o->dims, it);
            nb++;
            if (++c == o->charts) {
                c = 0;
                it++;
            }
        }
        if (loadgen_send_all(ch->fd, b.p, b.len) != 0) {
            snprintf(ch->why, sizeof ch->why, "send data after %llu blocks: %s",
                     (unsigned long long)ch->blocks, strerror(errno));
            ch->failed = 1;
            break;
        }
        ch->blocks += nb;
        ch->bytes += b.len;
        if (loadgen_now() >= deadline) {
            break;
        }
    }
    ch->t_sent = loadgen_now();
    free(b.p);
    /* half-close, then wait until the parent has read everything and closed its side */
    shutdown(ch->fd, SHUT_WR);
    double end = ch->t_sent + o->drain_timeout;
    char sink[4096];
    for (;;) {
        double left = end - loadgen_now();
        if (left <= 0 || loadgen_stop) {
            if (!ch->why[0]) {
                snprintf(ch->why, sizeof ch->why, "parent did not close within %.0f s",
                         o->drain_timeout);
            }
            break;
        }
        struct pollfd p = { ch->fd, POLLIN, 0 };
        int pr = poll(&p, 1, (int)(left * 1000) + 1);
        if (pr <= 0) {
            continue;
        }
        ssize_t r = recv(ch->fd, sink, sizeof sink, 0);
        if (r > 0) {
            ch->from_parent += (uint64_t)r;
            continue;
        }
        if (r < 0 && errno == EINTR) {
            continue;
        }
        ch->t_eof = loadgen_now();
        ch->drained = 1;
        break;
    }
    close(ch->fd);
    return NULL;
}

static double cpu_self(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
}

static int run_ingest(const Opts *o)
{
    Child *ch = calloc(o->children, sizeof *ch);
    pthread_t *th = calloc(o->children, sizeof *th);
    pthread_barrier_t ready;
    if (!ch || !th || pthread_barrier_init(&ready, NULL, o->children + 1) != 0) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    for (unsigned i = 0; i < o->children; i++) {
        ch[i] = (Child){ .o = o, .idx = i, .fd = -1, .ready = &ready };
        if (pthread_create(&th[i], NULL, ingest_child, &ch[i]) != 0) {
            fprintf(stderr, "loadgen: pthread_create failed\n");
            exit(1);
        }
    }
    /* the children connect and send their definitions, then the barrier starts the clock */
    double cpu0 = cpu_self();
    pthread_barrier_wait(&ready);
    double t_start = loadgen_now();
    uint64_t blocks = 0, bytes = 0, from_parent = 0;
    unsigned connected = 0, drained = 0, failed = 0;
    double t_sent = 0, t_eof = 0;
    for (unsigned i = 0; i < o->children; i++) {
        pthread_join(th[i], NULL);
        blocks += ch[i].blocks;
        bytes += ch[i].bytes;
        from_parent += ch[i].from_parent;
        connected += (unsigned)ch[i].connected;
        drained += (unsigned)ch[i].drained;
        failed += (unsigned)ch[i].failed;
        t_sent = ch[i].t_sent > t_sent ? ch[i].t_sent : t_sent;
        t_eof = ch[i].t_eof > t_eof ? ch[i].t_eof : t_eof;
        if (ch[i].why[0]) {
            fprintf(stderr, "loadgen: child %u: %s\n", i, ch[i].why);
        }
    }
    double cpu = cpu_self() - cpu0;
    uint64_t samples = blocks * o->dims;
    double send_s = t_sent - t_start;
    double total_s = drained == connected && connected ? t_eof - t_start : 0;
    printf("RESULT mode=ingest children=%u charts=%u dims=%u seconds=%.1f connected=%u "
           "failed=%u drained=%u blocks=%llu samples=%llu bytes=%llu from_parent=%llu "
           "send_s=%.4f total_s=%.4f rate_sent=%.0f rate_accepted=%.0f loadgen_cpu_s=%.3f\n",
           o->children, o->charts, o->dims, o->seconds, connected, failed, drained,
           (unsigned long long)blocks, (unsigned long long)samples, (unsigned long long)bytes,
           (unsigned long long)from_parent, send_s, total_s,
           send_s > 0 ? (double)samples / send_s : 0.0,
           total_s > 0 ? (double)samples / total_s : 0.0, cpu);
    fflush(stdout);
    pthread_barrier_destroy(&ready);
    free(ch);
    free(th);
    return connected == o->children && !failed && drained == connected ? 0 : 1;
}

/* ---- idle --------------------------------------------------------------------------------- */

typedef struct IdleWork {
    const Opts *o;
    int *fds;
    unsigned first, step;
    unsigned failed;
    char why[200];
} IdleWork;

static void *idle_connect(void *arg)
{
    IdleWork *w = arg;
    const Opts *o = w->o;
    GrowBuf b = { 0 };
    loadgen_define_charts(&b, o->charts, o->dims);
    for (unsigned c = 0; c < o->charts; c++) {
        loadgen_block(&b, c, o->dims, 0);
    }
    for (unsigned i = w->first; i < o->children && !loadgen_stop; i += w->step) {
        char why[200];
        int fd = loadgen_open_child(o, i, why, sizeof why);
        if (fd >= 0 && loadgen_send_all(fd, b.p, b.len) != 0) {
            snprintf(why, sizeof why, "send definitions: %s", strerror(errno));
            close(fd);
            fd = -1;
        }
        if (fd < 0) {
            if (!w->failed++) {
                snprintf(w->why, sizeof w->why, "child %u: %.170s", i, why);
            }
        }
        w->fds[i] = fd;
    }
    free(b.p);
    return NULL;
}

static int run_idle(const Opts *o)
{
    int *fds = malloc(o->children * sizeof *fds);
    struct pollfd *pf = malloc((o->children + 1) * sizeof *pf);
    unsigned nth = o->children < 8 ? o->children : 8;
    IdleWork w[8];
    pthread_t th[8];
    if (!fds || !pf) {
        fprintf(stderr, "loadgen: out of memory\n");
        return 1;
    }
    for (unsigned i = 0; i < o->children; i++) {
        fds[i] = -1;
    }
    double t0 = loadgen_now();
    for (unsigned t = 0; t < nth; t++) {
        w[t] = (IdleWork){ .o = o, .fds = fds, .first = t, .step = nth };
        pthread_create(&th[t], NULL, idle_connect, &w[t]);
    }
    unsigned failed = 0, connected = 0, dropped = 0;
    for (unsigned t = 0; t < nth; t++) {
        pthread_join(th[t], NULL);
        failed += w[t].failed;
        if (w[t].why[0]) {
            fprintf(stderr, "loadgen: %s\n", w[t].why);
        }
    }
    for (unsigned i = 0; i < o->children; i++) {
        connected += fds[i] >= 0;
    }
    double connect_s = loadgen_now() - t0;
    printf("READY connected=%u failed=%u connect_s=%.3f\n", connected, failed, connect_s);
    fflush(stdout);
    /* hold: stdin EOF (or a signal, or --hold) ends it; a parent closing a child is counted */
    pf[0] = (struct pollfd){ 0, POLLIN, 0 };
    for (unsigned i = 0; i < o->children; i++) {
        pf[i + 1] = (struct pollfd){ fds[i], POLLIN, 0 };
    }
    double end = loadgen_now() + o->hold;
    char sink[4096];
    while (!loadgen_stop) {
        double left = end - loadgen_now();
        if (left <= 0) {
            break;
        }
        int n = poll(pf, o->children + 1, (int)(left * 1000) + 1);
        if (n < 0 && errno != EINTR) {
            break;
        }
        if (n <= 0) {
            continue;
        }
        if (pf[0].revents) {
            ssize_t r = read(0, sink, sizeof sink);
            if (r <= 0 || memchr(sink, 'q', (size_t)r)) {
                break;
            }
        }
        for (unsigned i = 0; i < o->children; i++) {
            if (pf[i + 1].revents) {
                ssize_t r = recv(pf[i + 1].fd, sink, sizeof sink, 0);
                if (r <= 0 && !(r < 0 && errno == EINTR)) {
                    dropped++;
                    close(pf[i + 1].fd);
                    fds[i] = -1;
                    pf[i + 1].fd = -1;
                }
            }
        }
    }
    for (unsigned i = 0; i < o->children; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    printf("RESULT mode=idle children=%u charts=%u dims=%u connected=%u failed=%u dropped=%u "
           "connect_s=%.3f\n", o->children, o->charts, o->dims, connected, failed, dropped,
           connect_s);
    fflush(stdout);
    free(fds);
    free(pf);
    return connected == o->children && !dropped ? 0 : 1;
}
/* ---- command line ------------------------------------------------------------------------- */

static int usage(const char *msg)
{
    if (msg) {
        fprintf(stderr, "loadgen: %s\n", msg);
    }
    fprintf(stderr,
            "usage: loadgen ingest  -p PORT -k KEY [-c CHILDREN] [-n CHARTS] [-m DIMS] "
            "[-s SECONDS] [--drain-timeout S]\n"
            "       loadgen idle    -p PORT -k KEY -c CHILDREN [-n CHARTS] [-m DIMS] "
            "[--hold S]\n"
            "       loadgen startup -p PORT -k KEY [--timeout S] [--stop-timeout S] "
            "[--out FILE] -- CMD [ARGS...]\n"
            "common: [-H 127.x.x.x] (loopback only; default 127.0.0.1)\n");
    return 2;
}

static int num(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || v < lo || v > hi) {
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return usage(NULL);
    }
    const char *mode = argv[1];
    Opts o = { .children = 1, .charts = 100, .dims = 10, .seconds = 5, .hold = 600,
               .timeout = 60, .stop_timeout = 20, .drain_timeout = 60 };
    const char *host = "127.0.0.1";
    double port = 0, v;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            o.cmd = argv + i + 1;
            break;
        }
        if (i + 1 >= argc) {
            return usage("an option lacks its value");
        }
        const char *val = argv[++i];
        if (!strcmp(a, "-H")) {
            host = val;
        } else if (!strcmp(a, "-p")) {
            if (num(val, 1, 65535, &port)) {
                return usage("bad port");
            }
        } else if (!strcmp(a, "-k")) {
            o.key = val;
        } else if (!strcmp(a, "-c")) {
            if (num(val, 1, MAX_CHILDREN, &v)) {
                return usage("bad -c");
            }
            o.children = (unsigned)v;
        } else if (!strcmp(a, "-n")) {
            if (num(val, 1, MAX_CHARTS, &v)) {
                return usage("bad -n");
            }
            o.charts = (unsigned)v;
        } else if (!strcmp(a, "-m")) {
            if (num(val, 1, MAX_DIMS, &v)) {
                return usage("bad -m");
            }
            o.dims = (unsigned)v;
        } else if (!strcmp(a, "-s")) {
            if (num(val, 0.01, 3600, &o.seconds)) {
                return usage("bad -s");
            }
        } else if (!strcmp(a, "--hold")) {
            if (num(val, 0, 86400, &o.hold)) {
                return usage("bad --hold");
            }
        } else if (!strcmp(a, "--timeout")) {
            if (num(val, 0.1, 3600, &o.timeout)) {
                return usage("bad --timeout");
            }
        } else if (!strcmp(a, "--stop-timeout")) {
            if (num(val, 0.1, 3600, &o.stop_timeout)) {
                return usage("bad --stop-timeout");
            }
        } else if (!strcmp(a, "--drain-timeout")) {
            if (num(val, 0.1, 3600, &o.drain_timeout)) {
                return usage("bad --drain-timeout");
            }
        } else if (!strcmp(a, "--out")) {
            o.out = val;
        } else {
            return usage("unknown option");
        }
    }
    o.addr.sin_family = AF_INET;
    o.addr.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &o.addr.sin_addr) != 1 ||
        (ntohl(o.addr.sin_addr.s_addr) >> 24) != 127) {
        return usage("-H must be a numeric loopback address (127.x.x.x)");
    }
    if (!port || !o.key) {
        return usage("-p and -k are required");
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    o.run = (uint32_t)(ts.tv_nsec ^ (ts.tv_sec << 12) ^ ((long)getpid() << 20));

    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;          /* no SA_RESTART: poll and nanosleep return EINTR */
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* one descriptor per idle child, plus a margin */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)o.children + 64) {
        rl.rlim_cur = (rlim_t)o.children + 64 < rl.rlim_max ? (rlim_t)o.children + 64
                                                              : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    if (!strcmp(mode, "ingest")) {
        return run_ingest(&o);
    }
    if (!strcmp(mode, "idle")) {
        return run_idle(&o);
    }
    if (!strcmp(mode, "startup")) {
        if (!o.cmd || !o.cmd[0] || o.cmd[0][0] != '/') {
            return usage("startup needs -- CMD with an absolute path");
        }
        return loadgen_startup(&o);
    }
    return usage("unknown mode");
}

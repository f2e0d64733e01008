/*
** loadgen.c - synthetic Netdata 1.37.1 children on loopback, for the receiver benches
** (bench/bench_streamd.py). It speaks the minimal child side of the streaming protocol
** (/work/shared/spec/stream-protocol.md sections 2.1, 3.2 and 9.2): the STREAM request with
** ver=64 (no compression, no replication), CHART/DIMENSION definitions, then BEGIN/SET/END.
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
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define PROMPT "Hit me baby, push them over"
#define MAX_DIMS 1000
#define MAX_CHARTS 100000
#define MAX_CHILDREN 60000
#define SEND_CHUNK (128 * 1024)
#define IO_TIMEOUT_S 30

typedef struct Opts {
    struct sockaddr_in addr;
    const char *key;
    unsigned children, charts, dims;
    double seconds, hold, timeout, stop_timeout, drain_timeout;
    const char *out;
    char **cmd;
    uint32_t run;                  /* per-invocation GUID prefix: reruns never collide */
} Opts;

typedef struct Buf {
    char *p;
    size_t len, cap;
} Buf;

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

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_s(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

/* ---- text building ---------------------------------------------------------------------- */

static void buf_need(Buf *b, size_t n)
{
    if (b->len + n <= b->cap) {
        return;
    }
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n) {
        cap *= 2;
    }
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "loadgen: out of memory\n");
        exit(1);
    }
    b->p = p;
    b->cap = cap;
}

static void put(Buf *b, const char *s, size_t n)
{
    buf_need(b, n);
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void puts_(Buf *b, const char *s)
{
    put(b, s, strlen(s));
}

static void put_u64(Buf *b, uint64_t v)
{
    char tmp[24];
    int i = (int)sizeof tmp;
    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(b, tmp + i, sizeof tmp - (size_t)i);
}

/* chart ids "lg.c00042", dimension ids "d007": fixed shapes, all [A-Za-z0-9_.] */
static void put_chart_id(Buf *b, unsigned c)
{
    char id[16];
    int n = snprintf(id, sizeof id, "lg.c%05u", c);
    put(b, id, (size_t)n);
}

static void put_dim_id(Buf *b, unsigned d)
{
    char id[8] = { 'd', (char)('0' + d / 100 % 10), (char)('0' + d / 10 % 10),
                   (char)('0' + d % 10), 0 };
    put(b, id, 4);
}

static void make_guid(uint32_t run, unsigned i, char out[37])
{
    snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012x", (unsigned)run, (i >> 16) & 0xffffu,
             (i >> 4) & 0xfffu, i & 0xfu, i * 2654435761u);
}

static size_t handshake(const Opts *o, unsigned i, char *out, size_t cap)
{
    char guid[37];
    make_guid(o->run, i, guid);
    int n = snprintf(out, cap,
                     "STREAM key=%s&hostname=lg-%08x-%u&registry_hostname=lg-%08x-%u"
                     "&machine_guid=%s&update_every=1&os=linux&timezone=UTC"
                     "&abbrev_timezone=UTC&utc_offset=0&hops=1&ml_capable=0&ml_enabled=0"
                     "&mc_version=0&ver=64&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\n"
                     "User-Agent: loadgen/1\r\nAccept: */*\r\n\r\n",
                     o->key, (unsigned)o->run, i, (unsigned)o->run, i, guid);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static void define_charts(Buf *b, unsigned charts, unsigned dims)
{
    for (unsigned c = 0; c < charts; c++) {
        puts_(b, "CHART \"");
        put_chart_id(b, c);
        puts_(b, "\" \"\" \"loadgen chart\" \"units\" \"loadgen\" \"");
        put_chart_id(b, c);
        puts_(b, "\" \"line\" ");
        put_u64(b, 1000 + c);
        puts_(b, " 1 \"\" \"loadgen\" \"lg\"\n");
        for (unsigned d = 0; d < dims; d++) {
            puts_(b, "DIMENSION \"");
            put_dim_id(b, d);
            puts_(b, "\" \"");
            put_dim_id(b, d);
            puts_(b, "\" \"absolute\" 1 1 \"\"\n");
        }
    }
}

/* One BEGIN/SET.../END block of chart C at iteration IT; values never start with 0 (octal). */
static void block(Buf *b, unsigned c, unsigned dims, uint64_t it)
{
    puts_(b, "BEGIN \"");
    put_chart_id(b, c);
    puts_(b, "\" 1000000\n");
    for (unsigned d = 0; d < dims; d++) {
        puts_(b, "SET \"");
        put_dim_id(b, d);
        puts_(b, "\" = ");
        put_u64(b, 1000000 + (it * 7919 + c * 131 + d * 17) % 1000000);
        put(b, "\n", 1);
    }
    puts_(b, "END\n");
}

/* ---- sockets ------------------------------------------------------------------------------ */

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void set_timeouts(int fd, double s)
{
    struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/* Connect child I, send its request, read the prompt. Returns the fd, or -1 with WHY set. */
static int open_child(const Opts *o, unsigned i, char *why, size_t whylen)
{
    char req[1024], rep[512];
    size_t n = handshake(o, i, req, sizeof req);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        return -1;
    }
    set_timeouts(fd, IO_TIMEOUT_S);
    if (connect(fd, (const struct sockaddr *)&o->addr, sizeof o->addr) != 0) {
        snprintf(why, whylen, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (!n || write_all(fd, req, n) != 0) {
        snprintf(why, whylen, "send request: %s", strerror(errno));
        close(fd);
        return -1;
    }
    /* the parent sends the prompt in one write with no terminator; allow it to trickle */
    size_t got = 0;
    while (got < sizeof PROMPT - 1) {
        ssize_t r = recv(fd, rep + got, sizeof rep - 1 - got, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) {
                continue;
            }
            rep[got] = 0;
            snprintf(why, whylen, "no prompt (%.40s) after '%.100s'",
                     r == 0 ? "closed" : strerror(errno), rep);
            close(fd);
            return -1;
        }
        got += (size_t)r;
        if (memcmp(rep, PROMPT, got < sizeof PROMPT - 1 ? got : sizeof PROMPT - 1) != 0) {
            break;
        }
    }
    rep[got] = 0;
    if (strncmp(rep, PROMPT, sizeof PROMPT - 1) != 0) {
        snprintf(why, whylen, "refused: '%.150s'", rep);
        close(fd);
        return -1;
    }
    return fd;
}

/* ---- ingest ------------------------------------------------------------------------------ */

static void *ingest_child(void *arg)
{
    Child *ch = arg;
    const Opts *o = ch->o;
    Buf b = { 0 };
    ch->fd = open_child(o, ch->idx, ch->why, sizeof ch->why);
    if (ch->fd >= 0) {
        define_charts(&b, o->charts, o->dims);
        if (write_all(ch->fd, b.p, b.len) != 0) {
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
    double deadline = now_s() + o->seconds;    /* all children leave the barrier together */
    uint64_t it = 0;
    unsigned c = 0;
    size_t room = 64 + (size_t)o->dims * 40;
    while (!stop_flag) {
        b.len = 0;
        uint64_t nb = 0;
        while (b.len + room < SEND_CHUNK) {
            block(&b, c, o->dims, it);
            nb++;
            if (++c == o->charts) {
                c = 0;
                it++;
            }
        }
        if (write_all(ch->fd, b.p, b.len) != 0) {
            snprintf(ch->why, sizeof ch->why, "send data after %llu blocks: %s",
                     (unsigned long long)ch->blocks, strerror(errno));
            ch->failed = 1;
            break;
        }
        ch->blocks += nb;
        ch->bytes += b.len;
        if (now_s() >= deadline) {
            break;
        }
    }
    ch->t_sent = now_s();
    free(b.p);
    /* half-close, then wait until the parent has read everything and closed its side */
    shutdown(ch->fd, SHUT_WR);
    double end = ch->t_sent + o->drain_timeout;
    char sink[4096];
    for (;;) {
        double left = end - now_s();
        if (left <= 0 || stop_flag) {
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
        ch->t_eof = now_s();
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
    double t_start = now_s();
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
    Buf b = { 0 };
    define_charts(&b, o->charts, o->dims);
    for (unsigned c = 0; c < o->charts; c++) {
        block(&b, c, o->dims, 0);
    }
    for (unsigned i = w->first; i < o->children && !stop_flag; i += w->step) {
        char why[200];
        int fd = open_child(o, i, why, sizeof why);
        if (fd >= 0 && write_all(fd, b.p, b.len) != 0) {
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
    double t0 = now_s();
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
    double connect_s = now_s() - t0;
    printf("READY connected=%u failed=%u connect_s=%.3f\n", connected, failed, connect_s);
    fflush(stdout);
    /* hold: stdin EOF (or a signal, or --hold) ends it; a parent closing a child is counted */
    pf[0] = (struct pollfd){ 0, POLLIN, 0 };
    for (unsigned i = 0; i < o->children; i++) {
        pf[i + 1] = (struct pollfd){ fds[i], POLLIN, 0 };
    }
    double end = now_s() + o->hold;
    char sink[4096];
    while (!stop_flag) {
        double left = end - now_s();
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

/* ---- startup ------------------------------------------------------------------------------ */

/* field 22 (start time) of /proc/PID/stat, 0 when gone; PPID (field 4) into *PPID */
static unsigned long long proc_start(int pid, int *ppid)
{
    char path[64], s[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    size_t n = fread(s, 1, sizeof s - 1, f);
    fclose(f);
    s[n] = 0;
    char *p = strrchr(s, ')');
    char st;
    int pp;
    unsigned long long start = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
       stime cutime cstime priority nice threads itrealvalue starttime */
    if (!p || sscanf(p + 2, "%c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d "
                            "%*d %*d %*d %llu", &st, &pp, &start) != 3 || st == 'Z') {
        return 0;
    }
    if (ppid) {
        *ppid = pp;
    }
    return start;
}

typedef struct Kid {
    int pid;
    unsigned long long start;
} Kid;

static unsigned find_kids(int parent, Kid *kids, unsigned max)
{
    unsigned n = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && n < max && (e = readdir(d)) != NULL) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 1) {
            continue;
        }
        int pp = 0;
        unsigned long long st = proc_start((int)pid, &pp);
        if (st && pp == parent) {
            kids[n++] = (Kid){ (int)pid, st };
        }
    }
    if (d) {
        closedir(d);
    }
    return n;
}

/* TERM, wait up to TIMEOUT, KILL; then the same for its child processes (by the PIDs and
   start times recorded before the TERM, so a reused PID is never hit). Returns stop seconds. */
static double stop_server(int pid, double timeout)
{
    Kid kids[64];
    unsigned nk = find_kids(pid, kids, 64);
    double t0 = now_s();
    kill(pid, SIGTERM);
    int status;
    int done = 0;
    while (now_s() - t0 < timeout) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            done = 1;
            break;
        }
        sleep_s(0.005);
    }
    if (!done) {
        fprintf(stderr, "loadgen: pid %d still running after %.0f s: KILL\n", pid, timeout);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    double secs = now_s() - t0;
    for (unsigned k = 0; k < nk; k++) {
        if (proc_start(kids[k].pid, NULL) == kids[k].start) {
            kill(kids[k].pid, SIGTERM);
        }
    }
    for (unsigned k = 0; k < nk; k++) {
        for (int i = 0; i < 100 && proc_start(kids[k].pid, NULL) == kids[k].start; i++) {
            sleep_s(0.01);
        }
        if (proc_start(kids[k].pid, NULL) == kids[k].start) {
            kill(kids[k].pid, SIGKILL);
        }
    }
    /* as a subreaper we inherited its orphans: reap them so none is left a zombie */
    for (int i = 0; i < 100; i++) {
        int r = waitpid(-1, &status, WNOHANG);
        if (r < 0) {
            break;
        }
        if (r == 0) {
            sleep_s(0.01);
        }
    }
    return secs;
}

static int run_startup(const Opts *o)
{
    char req[1024], rep[256];
    size_t reqn = handshake(o, 0, req, sizeof req);
    /* the server's own child processes (Netdata's spawn server) become ours when it exits */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, o->out ? o->out : "/dev/null",
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int pid;
    double t0 = now_s();
    int rc = posix_spawn(&pid, o->cmd[0], &fa, NULL, o->cmd, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "loadgen: cannot run %s: %s\n", o->cmd[0], strerror(rc));
        return 1;
    }
    double t_listen = 0, t_ready = 0;
    unsigned attempts = 0;
    const char *fail = NULL;
    rep[0] = 0;
    while (!t_ready) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid) {
            fprintf(stderr, "loadgen: %s exited (status 0x%x) before it answered\n", o->cmd[0],
                    status);
            return 1;
        }
        if (stop_flag) {
            fail = "interrupted";
            break;
        }
        if (now_s() - t0 > o->timeout) {
            fail = "timeout";
            break;
        }
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            fail = "socket";
            break;
        }
        attempts++;
        int c = connect(fd, (const struct sockaddr *)&o->addr, sizeof o->addr);
        if (c != 0 && errno == EINPROGRESS) {
            struct pollfd p = { fd, POLLOUT, 0 };
            int err = 0;
            socklen_t el = sizeof err;
            if (poll(&p, 1, 200) == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
                err == 0) {
                c = 0;
            }
        }
        if (c != 0) {
            close(fd);
            sleep_s(0.0002);
            continue;
        }
        if (!t_listen) {
            t_listen = now_s();
        }
        if (write_all(fd, req, reqn) != 0) {
            close(fd);
            sleep_s(0.0005);
            continue;
        }
        /* wait for the reply; a parent that is still initialising answers late or closes */
        size_t got = 0;
        double until = now_s() + 2.0;
        while (got < sizeof PROMPT - 1 && now_s() < until && !stop_flag) {
            struct pollfd p = { fd, POLLIN, 0 };
            if (poll(&p, 1, 20) <= 0) {
                if (waitpid(pid, &status, WNOHANG) == pid) {
                    fprintf(stderr, "loadgen: %s exited (status 0x%x) before it answered\n",
                            o->cmd[0], status);
                    return 1;
                }
                continue;
            }
            ssize_t r = recv(fd, rep + got, sizeof rep - 1 - got, 0);
            if (r <= 0) {
                break;
            }
            got += (size_t)r;
        }
        rep[got] = 0;
        close(fd);
        if (strncmp(rep, PROMPT, sizeof PROMPT - 1) == 0) {
            t_ready = now_s();
        } else {
            sleep_s(0.0005);
        }
    }
    if (fail) {
        fprintf(stderr, "loadgen: %s: no prompt on 127.0.0.1:%u after %.1f s (%u attempts; "
                "listening: %s; last reply '%s')\n", fail, ntohs(o->addr.sin_port),
                now_s() - t0, attempts, t_listen ? "yes" : "no", rep);
    } else {
        printf("RESULT mode=startup pid=%d accept_ms=%.3f ready_ms=%.3f attempts=%u\n", pid,
               (t_listen - t0) * 1e3, (t_ready - t0) * 1e3, attempts);
        fflush(stdout);
    }
    double st = stop_server(pid, o->stop_timeout);
    fprintf(stderr, "loadgen: stopped pid %d in %.3f s\n", pid, st);
    return fail ? 1 : 0;
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
        return run_startup(&o);
    }
    return usage("unknown mode");
}

/*
** plugins.c - the plugins.d runner (plugins.h). Each plugin is a small state machine:
**   IDLE (due at next_ms) -> RUNNING (stdout/stderr polled) -> STOPPING (SIGTERM sent, waiting to
**   reap; SIGKILL at kill_ms) -> IDLE again after the restart delay, or DISABLED.
** Facts from Netdata 1.37.1 (collectors/plugins.d/plugins_d.c, pluginsd_parser.c,
** libnetdata/popen/popen.c, daemon/analytics.c set_global_environment):
**  - a plugin is a file whose name ends in ".plugin" (longer than the suffix); the directory is
**    scanned for new ones every 60 s; it runs as `PATH UPDATE_EVERY` with stdin and stdout on
**    pipes (stdin stays open: 1.37.1 writes FUNCTION calls there, apps.plugin exits on its EOF),
**    signal mask cleared and signal dispositions reset;
**  - stdout is parsed until EOF or a parser error, then the plugin gets SIGTERM and is reaped;
**    DISABLE and the errors that call PLUGINSD_DISABLE_PLUGIN() also disable it for good;
**  - otherwise plugins_restart_delay() decides (exit status; SIGTERM counts as 0).
** Differences: the plugin runs in its own process group (stopping it also stops its children);
** a run that does not exit within 5 s of SIGTERM gets SIGKILL (1.37.1 waits forever); stderr is
** read into our log (1.37.1 lets the plugin write to its own error.log), at most 100 lines a
** minute per plugin; the NETDATA_*_DIR variables come from our environment when set there.
*/
#include "plugins.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ingest.h"
#include "log.h"
#include "plugins_spawn.h"
#include "wire.h"

#define SUFFIX ".plugin"
#define KILL_GRACE_MS 5000
#define REAP_POLL_MS 50
#define READ_BUDGET (256 * 1024)     /* bytes of one plugin per plugins_run: others get a turn */
#define ERR_LINE 1024
#define LOG_LINES_PER_MIN 100

enum { P_IDLE, P_RUNNING, P_STOPPING, P_DISABLED };

typedef struct Plugin {
    char *name, *path;           /* "x.plugin", DIR/x.plugin */
    int state;
    pid_t pid;
    int in, out, err;            /* our pipe ends, -1 when closed */
    int out_idx, err_idx;        /* their slots in the last plugins_pollfds, -1 none */
    WireReader rd;
    Ingest ing;
    size_t successful, failures;
    int disable;                 /* the run ended in a way that disables it */
    uint64_t next_ms, kill_ms;
    char ebuf[ERR_LINE];
    size_t elen;
    uint64_t log_window_ms;
    unsigned log_lines, log_dropped;
} Plugin;

struct Plugins {
    RrdHost *h;
    char *dir;
    int update_every;
    char **env;                  /* owned strings, NULL-terminated */
    Plugin *p[PLUGINS_MAX];
    size_t n;
    uint64_t scan_ms;            /* next directory scan */
    int dir_errno;               /* last opendir() failure logged */
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- restart policy -------------------------------------------------------------------------- */

int plugins_restart_delay(int exit_code, size_t successful, size_t failures, int update_every)
{
    int ue = update_every > 0 ? update_every : 1;
    if (failures > PLUGINS_SERIAL_FAILURES) {
        return -1;               /* differs: 1.37.1 keeps restarting a once-useful exit-0 plugin */
    }
    if (exit_code == 0) {
        return successful ? ue : 10 * ue;
    }
    if (exit_code == -1 || !successful) {
        return -1;
    }
    return 10 * ue;
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

/* ---- logging --------------------------------------------------------------------------------- */

/* Log TEXT for P unless its budget of LOG_LINES_PER_MIN lines this minute is spent. */
static void plog(Plugin *p, int level, const char *text)
{
    uint64_t t = now_ms();
    if (t >= p->log_window_ms + 60000) {
        if (p->log_dropped) {
            log_line(LOG_INFO, "PLUGINSD[%s]: %u log lines suppressed", p->name, p->log_dropped);
        }
        p->log_window_ms = t;
        p->log_lines = p->log_dropped = 0;
    }
    if (p->log_lines >= LOG_LINES_PER_MIN) {
        p->log_dropped++;
        return;
    }
    p->log_lines++;
    log_line(level, "PLUGINSD[%s]: %s", p->name, text);
}

static void err_flush(Plugin *p)
{
    if (p->elen) {
        p->ebuf[p->elen] = 0;
        plog(p, LOG_INFO, p->ebuf);
        p->elen = 0;
    }
}

/* Read what the plugin wrote to stderr: one log line per line (control bytes as '?'). At most
   16 reads per call, so a chatty plugin cannot hold the thread; the next poll brings us back. */
static void read_err(Plugin *p)
{
    char b[4096];
    for (int round = 0; p->err >= 0 && round < 16; round++) {
        ssize_t r = read(p->err, b, sizeof b);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0 && errno == EAGAIN) {
            return;
        }
        if (r <= 0) {
            err_flush(p);        /* EOF or error */
            close_fd(&p->err);
            return;
        }
        for (ssize_t i = 0; i < r; i++) {
            unsigned char c = (unsigned char)b[i];
            if (c == '\n' || p->elen == ERR_LINE - 1) {
                err_flush(p);
                if (c == '\n') {
                    continue;
                }
            }
            p->ebuf[p->elen++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        }
    }
}

/* ---- one plugin's process -------------------------------------------------------------------- */

static void start(Plugins *ps, Plugin *p)
{
    char msg[600];
    PluginsChild ch;
    if (wire_reader_init(&p->rd) != 0) {
        p->next_ms = now_ms() + 10000u * (unsigned)ps->update_every;
        return;
    }
    int rc = plugins_spawn(p->path, ps->update_every, ps->env, &ch);
    if (rc != 0) {
        wire_reader_free(&p->rd);
        snprintf(msg, sizeof msg, "cannot start '%s': %s. Disabling it.", p->path, strerror(rc));
        plog(p, LOG_ERR, msg);
        p->state = P_DISABLED;
        return;
    }
    p->pid = ch.pid;
    p->in = ch.in;
    p->out = ch.out;
    p->err = ch.err;
    ingest_init(&p->ing, ps->h);
    p->ing.peer = p->name;       /* CHART's default plugin name: the file name, as 1.37.1 */
    p->disable = 0;
    p->state = P_RUNNING;
    snprintf(msg, sizeof msg, "connected to '%s' running on pid %d", p->path, (int)p->pid);
    plog(p, LOG_INFO, msg);
}

/* End of the run's output (EOF, read error, parser error; LEVEL LOG_INFO: we are stopping):
   SIGTERM and wait to reap. */
static void finish(Plugins *ps, Plugin *p, int level)
{
    char msg[600];
    size_t count = (size_t)p->ing.updates;
    snprintf(msg, sizeof msg, "'%s' (pid %d) disconnected after %zu successful data collections "
             "(ENDs).", p->path, (int)p->pid, count);
    plog(p, level, msg);
    if (count) {
        p->successful += count;
        p->failures = 0;
    } else {
        p->failures++;
    }
    pthread_mutex_lock(&ps->h->lock);
    ingest_reset(&p->ing);
    pthread_mutex_unlock(&ps->h->lock);
    wire_reader_free(&p->rd);
    close_fd(&p->in);
    close_fd(&p->out);
    plugins_signal(p->pid, SIGTERM);
    p->state = P_STOPPING;
    p->kill_ms = now_ms() + KILL_GRACE_MS;
}

/* A stopping plugin that exited: decide what comes next. */
static void reaped(Plugins *ps, Plugin *p, int status)
{
    char msg[700];
    int rc = plugins_exit_code(status);
    read_err(p);
    err_flush(p);
    close_fd(&p->err);           /* a child of the plugin may still hold it */
    p->pid = 0;
    int delay = p->disable ? -1
                           : plugins_restart_delay(rc, p->successful, p->failures,
                                                   ps->update_every);
    if (p->disable) {
        snprintf(msg, sizeof msg, "'%s' exited with code %d. Will not start it again - it is "
                 "disabled.", p->path, rc);
        p->state = P_DISABLED;
    } else if (delay < 0) {
        snprintf(msg, sizeof msg, "'%s' exited with code %d after %zu successful data "
                 "collections (%zu runs in a row without any). Disabling it.", p->path, rc,
                 p->successful, p->failures);
        p->state = P_DISABLED;
    } else {
        snprintf(msg, sizeof msg, "'%s' exited with code %d. Starting it again in %d s.",
                 p->path, rc, delay);
        p->state = P_IDLE;
        p->next_ms = now_ms() + 1000u * (unsigned)delay;
    }
    plog(p, delay < 0 ? LOG_ERR : LOG_INFO, msg);
}

/* 1.37.1 disables a plugin (never restarts it) on every parser error except an unknown
   keyword, a bad FUNCTION and a malformed REND, which only end the run. */
static int disables(const Ingest *in)
{
    return in->err[0] && !strstr(in->err, "FUNCTION") &&
           strncmp(in->err, "REPLAY: malformed", 17) != 0;
}

/* rrdset_update_permanent_labels(): every local chart carries its plugin and module as labels
   (source RRDLABEL_SRC_AUTO; an empty value is sanitized to "[none]"); a CLABEL_COMMIT does not
   remove them. */
static void permanent_labels(RrdChart *c)
{
    if (c) {
        rrd_labels_set(&c->labels, "_collect_plugin", *c->plugin ? c->plugin : "[none]", 1);
        rrd_labels_set(&c->labels, "_collect_module", *c->module ? c->module : "[none]", 1);
    }
}

/* Apply every complete line; 0 ok, -1 the run ends (logged). */
static int drain(Plugins *ps, Plugin *p)
{
    size_t len;
    int trunc, rc = 0;
    char *line;
    uint64_t now = rrd_now_ut();
    pthread_mutex_lock(&ps->h->lock);
    while (rc == 0 && (line = wire_reader_next(&p->rd, &len, &trunc))) {
        size_t kn;
        const char *kw = wire_keyword(line, &kn);
        int chart = kn == 5 && memcmp(kw, "CHART", 5) == 0;
        RrdChart *committed = kn == 13 && memcmp(kw, "CLABEL_COMMIT", 13) == 0
                                  ? p->ing.clabel_chart : NULL;
        IngestStatus st = ingest_line(&p->ing, line, len, now);
        if (st == INGEST_OK) {
            permanent_labels(chart ? p->ing.cur : committed);
        }
        if (p->ing.note[0]) {
            plog(p, LOG_INFO, p->ing.note);
        }
        if (st == INGEST_DISCONNECT) {
            if (p->ing.err[0]) {
                plog(p, LOG_ERR, p->ing.err);
            }
            p->disable = disables(&p->ing);
            rc = -1;
        }
    }
    pthread_mutex_unlock(&ps->h->lock);
    return rc;
}

static void read_out(Plugins *ps, Plugin *p)
{
    size_t budget = READ_BUDGET;
    while (p->state == P_RUNNING && budget > 0) {
        size_t room = 0;
        char *space = wire_reader_space(&p->rd, &room);
        if (!room) {
            finish(ps, p, LOG_ERR);
            return;
        }
        ssize_t r = read(p->out, space, room);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0 && errno == EAGAIN) {
            return;
        }
        if (r <= 0) {
            if (r == 0 && wire_reader_pending(&p->rd)) {
                space[0] = '\n';  /* fgets() hands the last line over without its '\n' */
                wire_reader_commit(&p->rd, 1);
                drain(ps, p);
            }
            finish(ps, p, LOG_ERR);
            return;
        }
        wire_reader_commit(&p->rd, (size_t)r);
        budget = (size_t)r >= budget ? 0 : budget - (size_t)r;
        if (drain(ps, p) != 0) {
            finish(ps, p, LOG_ERR);
        }
    }
}

/* ---- the directory --------------------------------------------------------------------------- */

static void scan(Plugins *ps)
{
    DIR *d = opendir(ps->dir);
    if (!d) {
        if (ps->dir_errno != errno) {
            ps->dir_errno = errno;
            log_line(LOG_ERR, "PLUGINSD: cannot open plugins directory '%s': %s", ps->dir,
                     strerror(errno));
        }
        return;
    }
    ps->dir_errno = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name), sl = strlen(SUFFIX);
        if (len <= sl || strcmp(e->d_name + len - sl, SUFFIX) != 0) {
            continue;
        }
        size_t i = 0;
        while (i < ps->n && strcmp(ps->p[i]->name, e->d_name) != 0) {
            i++;
        }
        if (i < ps->n) {
            continue;            /* known (running, waiting or disabled) */
        }
        if (ps->n == PLUGINS_MAX) {
            log_line(LOG_ERR, "PLUGINSD: more than %d plugins in '%s': '%s' is not run",
                     PLUGINS_MAX, ps->dir, e->d_name);
            continue;
        }
        Plugin *p = calloc(1, sizeof *p);
        size_t plen = strlen(ps->dir) + len + 2;
        char *path = malloc(plen);
        char *name = strdup(e->d_name);
        if (!p || !path || !name) {
            free(p), free(path), free(name);
            break;
        }
        snprintf(path, plen, "%s/%s", ps->dir, e->d_name);
        p->name = name;
        p->path = path;
        p->in = p->out = p->err = p->out_idx = p->err_idx = -1;
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
            plog(p, LOG_INFO, "not an executable file: not run");
            p->state = P_DISABLED;
        } else {
            p->state = P_IDLE;
            p->next_ms = 0;
        }
        ps->p[ps->n++] = p;
    }
    closedir(d);
}

/* ---- API ------------------------------------------------------------------------------------- */

Plugins *plugins_new(RrdHost *h, const char *dir, int update_every)
{
    Plugins *ps = calloc(1, sizeof *ps);
    if (!ps) {
        return NULL;
    }
    ps->h = h;
    ps->update_every = update_every > 0 ? update_every : 1;
    ps->dir = strdup(dir);
    ps->env = ps->dir ? plugins_env_new(h->hostname, dir, ps->update_every) : NULL;
    if (!ps->env) {
        free(ps->dir);
        free(ps);
        return NULL;
    }
    return ps;
}

size_t plugins_pollfds(Plugins *ps, struct pollfd *fds, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < ps->n; i++) {
        Plugin *p = ps->p[i];
        p->out_idx = p->err_idx = -1;
        if (p->state == P_RUNNING && p->out >= 0 && n < cap) {
            fds[n] = (struct pollfd){.fd = p->out, .events = POLLIN};
            p->out_idx = (int)n++;
        }
        if ((p->state == P_RUNNING || p->state == P_STOPPING) && p->err >= 0 && n < cap) {
            fds[n] = (struct pollfd){.fd = p->err, .events = POLLIN};
            p->err_idx = (int)n++;
        }
    }
    return n;
}

void plugins_run(Plugins *ps, const struct pollfd *fds, size_t n)
{
    uint64_t t = now_ms();
    if (t >= ps->scan_ms) {
        scan(ps);
        ps->scan_ms = t + PLUGINS_SCAN_EVERY * 1000u;
    }
    for (size_t i = 0; i < ps->n; i++) {
        Plugin *p = ps->p[i];
        if (p->err_idx >= 0 && (size_t)p->err_idx < n && fds[p->err_idx].revents) {
            read_err(p);
        }
        if (p->out_idx >= 0 && (size_t)p->out_idx < n && fds[p->out_idx].revents &&
            p->state == P_RUNNING) {
            read_out(ps, p);
        }
        p->out_idx = p->err_idx = -1;
        if (p->state == P_STOPPING) {
            int status = 0;
            pid_t r = waitpid(p->pid, &status, WNOHANG);
            if (r == p->pid || (r < 0 && errno == ECHILD)) {
                reaped(ps, p, r == p->pid ? status : 0);
            } else if (now_ms() >= p->kill_ms) {
                plugins_signal(p->pid, SIGKILL);
                p->kill_ms = now_ms() + KILL_GRACE_MS;
            }
        }
        if (p->state == P_IDLE && now_ms() >= p->next_ms) {
            start(ps, p);
        }
    }
}

int plugins_timeout_ms(const Plugins *ps)
{
    uint64_t t = now_ms(), next = ps->scan_ms;
    for (size_t i = 0; i < ps->n; i++) {
        const Plugin *p = ps->p[i];
        if (p->state == P_STOPPING) {
            next = next < t + REAP_POLL_MS ? next : t + REAP_POLL_MS;
        } else if (p->state == P_IDLE) {
            next = next < p->next_ms ? next : p->next_ms;
        }
    }
    return next <= t ? 0 : next - t > 60000 ? 60000 : (int)(next - t);
}

void plugins_free(Plugins *ps)
{
    if (!ps) {
        return;
    }
    for (size_t i = 0; i < ps->n; i++) {
        if (ps->p[i]->state == P_RUNNING) {
            finish(ps, ps->p[i], LOG_INFO);   /* SIGTERM */
        }
    }
    /* reap within the grace period, then SIGKILL and reap (bounded: 2 x grace) */
    uint64_t kill_at = now_ms() + KILL_GRACE_MS, give_up = kill_at + KILL_GRACE_MS;
    int left = 1, killed = 0;
    while (left && now_ms() < give_up) {
        left = 0;
        for (size_t i = 0; i < ps->n; i++) {
            Plugin *p = ps->p[i];
            int status = 0;
            if (p->state != P_STOPPING) {
                continue;
            }
            pid_t r = waitpid(p->pid, &status, WNOHANG);
            if (r == p->pid || (r < 0 && errno == ECHILD)) {
                read_err(p);
                close_fd(&p->err);
                log_line(LOG_INFO, "PLUGINSD[%s]: stopped (pid %d)", p->name, (int)p->pid);
                p->state = P_DISABLED;
                continue;
            }
            if (!killed && now_ms() >= kill_at) {
                plugins_signal(p->pid, SIGKILL);
            }
            left = 1;
        }
        killed |= now_ms() >= kill_at;
        if (left) {
            struct timespec ts = {0, 20 * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
    for (size_t i = 0; i < ps->n; i++) {
        Plugin *p = ps->p[i];
        if (p->state == P_STOPPING) {
            log_line(LOG_ERR, "PLUGINSD[%s]: pid %d did not exit after SIGKILL", p->name,
                     (int)p->pid);
        }
        close_fd(&p->err);
        free(p->name);
        free(p->path);
        free(p);
    }
    plugins_env_free(ps->env);
    free(ps->dir);
    free(ps);
}

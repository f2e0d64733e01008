/*
** loadgen_startup.c - `loadgen startup`: posix_spawn a server, poll 127.0.0.1:PORT until it
** accepts a TCP connection AND answers a STREAM handshake with the prompt, report both times
** from the spawn, then stop it (TERM, KILL after --stop-timeout) and its own child processes,
** found by parent PID before the TERM (never by name).
**
** Does not: send charts or data (loadgen.c's ingest and idle modes do), or look for processes
** it did not start or inherit.
*/
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "loadgen.h"

extern char **environ;

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
    double t0 = loadgen_now();
    kill(pid, SIGTERM);
    int status;
    int done = 0;
    while (loadgen_now() - t0 < timeout) {
        if (waitpid(pid, &status, WNOHANG) == pid) {
            done = 1;
            break;
        }
        loadgen_sleep(0.005);
    }
    if (!done) {
        fprintf(stderr, "loadgen: pid %d still running after %.0f s: KILL\n", pid, timeout);
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    double secs = loadgen_now() - t0;
    for (unsigned k = 0; k < nk; k++) {
        if (proc_start(kids[k].pid, NULL) == kids[k].start) {
            kill(kids[k].pid, SIGTERM);
        }
    }
    for (unsigned k = 0; k < nk; k++) {
        for (int i = 0; i < 100 && proc_start(kids[k].pid, NULL) == kids[k].start; i++) {
            loadgen_sleep(0.01);
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
            loadgen_sleep(0.01);
        }
    }
    return secs;
}

/*
** The startup mode: o->cmd (absolute path) is spawned with stdin /dev/null and stdout and
** stderr appended to o->out (or /dev/null). One RESULT line on stdout on success. Returns the
** exit status: 0, or 1 (a message on stderr) when CMD exits, or does not answer within
** o->timeout.
*/
int loadgen_startup(const Opts *o)
{
    char req[1024], rep[256];
    size_t reqn = loadgen_request(o, 0, req, sizeof req);
    /* the server's own child processes (Netdata's spawn server) become ours when it exits */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, o->out ? o->out : "/dev/null",
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    int pid;
    double t0 = loadgen_now();
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
        if (loadgen_stop) {
            fail = "interrupted";
            break;
        }
        if (loadgen_now() - t0 > o->timeout) {
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
            loadgen_sleep(0.0002);
            continue;
        }
        if (!t_listen) {
            t_listen = loadgen_now();
        }
        if (loadgen_send_all(fd, req, reqn) != 0) {
            close(fd);
            loadgen_sleep(0.0005);
            continue;
        }
        /* wait for the reply; a parent that is still initialising answers late or closes */
        size_t got = 0;
        double until = loadgen_now() + 2.0;
        while (got < sizeof LOADGEN_PROMPT - 1 && loadgen_now() < until && !loadgen_stop) {
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
        if (strncmp(rep, LOADGEN_PROMPT, sizeof LOADGEN_PROMPT - 1) == 0) {
            t_ready = loadgen_now();
        } else {
            loadgen_sleep(0.0005);
        }
    }
    if (fail) {
        fprintf(stderr, "loadgen: %s: no prompt on 127.0.0.1:%u after %.1f s (%u attempts; "
                "listening: %s; last reply '%s')\n", fail, ntohs(o->addr.sin_port),
                loadgen_now() - t0, attempts, t_listen ? "yes" : "no", rep);
    } else {
        printf("RESULT mode=startup pid=%d accept_ms=%.3f ready_ms=%.3f attempts=%u\n", pid,
               (t_listen - t0) * 1e3, (t_ready - t0) * 1e3, attempts);
        fflush(stdout);
    }
    double st = stop_server(pid, o->stop_timeout);
    fprintf(stderr, "loadgen: stopped pid %d in %.3f s\n", pid, st);
    return fail ? 1 : 0;
}

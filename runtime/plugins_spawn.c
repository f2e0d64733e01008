/*
** plugins_spawn.c - a plugin's process (plugins_spawn.h). Facts from Netdata 1.37.1:
** libnetdata/popen/popen.c (posix_spawn with stdin and stdout on pipes, the signal mask cleared
** and dispositions reset, every other descriptor closed at exec; netdata_pclose's exit codes),
** plugins_d.c (the command is "exec PATH UPDATE_EVERY ..."), daemon/analytics.c
** set_global_environment (the NETDATA_* variables; directory defaults of a Debian install).
** Differences: stderr is a pipe too (our log reads it); a process group per plugin.
*/
#include "plugins_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http_api.h"

#define MAX_ENV 1024

static int env_add(char **env, size_t *n, const char *key, const char *value)
{
    size_t len = strlen(key) + strlen(value) + 2;
    char *s = *n + 1 < MAX_ENV ? malloc(len) : NULL;
    if (!s) {
        return -1;
    }
    snprintf(s, len, "%s=%s", key, value);
    env[(*n)++] = s;
    return 0;
}

void plugins_env_free(char **env)
{
    for (size_t i = 0; env && env[i]; i++) {
        free(env[i]);
    }
    free(env);
}

char **plugins_env_new(const char *hostname, const char *dir, int update_every)
{
    static const char *const dirs[][2] = {
        {"NETDATA_CONFIG_DIR", "/etc/netdata"},
        {"NETDATA_USER_CONFIG_DIR", "/etc/netdata"},
        {"NETDATA_STOCK_CONFIG_DIR", "/usr/lib/netdata/conf.d"},
        {"NETDATA_CACHE_DIR", "/var/cache/netdata"},
        {"NETDATA_LIB_DIR", "/var/lib/netdata"},
        {"NETDATA_LOG_DIR", "/var/log/netdata"},
        {"NETDATA_LOCK_DIR", "/var/lib/netdata/lock"},
        {"NETDATA_HOST_PREFIX", ""},
        {"NETDATA_USER_PLUGINS_DIRS", ""},
    };
    static const char *const ours[] = {"NETDATA_UPDATE_EVERY=", "NETDATA_VERSION=",
                                       "NETDATA_HOSTNAME=", "NETDATA_PLUGINS_DIR="};
    char **env = calloc(MAX_ENV, sizeof *env);
    size_t n = 0;
    int rc = env ? 0 : -1;
    /* room is kept for ours: a huge environment loses its tail, never our variables */
    for (char **e = environ; rc == 0 && e && *e && n + 16 < MAX_ENV; e++) {
        int skip = 0;
        for (size_t i = 0; i < sizeof ours / sizeof ours[0]; i++) {
            skip |= strncmp(*e, ours[i], strlen(ours[i])) == 0;
        }
        if (!skip) {
            rc = (env[n] = strdup(*e)) ? 0 : -1;
            n += rc == 0;
        }
    }
    char ue[16];
    snprintf(ue, sizeof ue, "%d", update_every);
    rc = rc ? rc : env_add(env, &n, "NETDATA_UPDATE_EVERY", ue);
    rc = rc ? rc : env_add(env, &n, "NETDATA_VERSION", HTTP_API_COMPAT_VERSION);
    rc = rc ? rc : env_add(env, &n, "NETDATA_HOSTNAME", hostname ? hostname : "");
    rc = rc ? rc : env_add(env, &n, "NETDATA_PLUGINS_DIR", dir);
    for (size_t i = 0; rc == 0 && i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!getenv(dirs[i][0])) {
            rc = env_add(env, &n, dirs[i][0], dirs[i][1]);
        }
    }
    if (rc != 0) {
        plugins_env_free(env);
        return NULL;
    }
    return env;
}

static void close_pair(int p[2])
{
    for (int i = 0; i < 2; i++) {
        if (p[i] >= 0) {
            close(p[i]);
        }
    }
}

int plugins_spawn(const char *path, int update_every, char **env, PluginsChild *out)
{
    int in[2] = {-1, -1}, o[2] = {-1, -1}, e[2] = {-1, -1};
    if (pipe2(in, O_CLOEXEC) || pipe2(o, O_CLOEXEC) || pipe2(e, O_CLOEXEC)) {
        int err = errno;
        close_pair(in), close_pair(o), close_pair(e);
        return err;
    }
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, o[1], 1);
    posix_spawn_file_actions_adddup2(&fa, e[1], 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);   /* our sockets stay ours */
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setsigmask(&at, &none);      /* streamd's threads block TERM/INT/HUP */
    posix_spawnattr_setsigdefault(&at, &all);    /* and ignore PIPE */
    posix_spawnattr_setpgroup(&at, 0);
    char ue[16];
    snprintf(ue, sizeof ue, "%d", update_every);
    char *argv[] = {(char *)path, ue, NULL};
    pid_t pid = 0;
    int rc = posix_spawn(&pid, path, &fa, &at, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(in[0]), close(o[1]), close(e[1]);
    if (rc != 0) {
        close(in[1]), close(o[0]), close(e[0]);
        return rc;
    }
    fcntl(o[0], F_SETFL, fcntl(o[0], F_GETFL) | O_NONBLOCK);
    fcntl(e[0], F_SETFL, fcntl(e[0], F_GETFL) | O_NONBLOCK);
    *out = (PluginsChild){.pid = pid, .in = in[1], .out = o[0], .err = e[0]};
    return 0;
}

void plugins_signal(pid_t pid, int sig)
{
    if (pid > 1 && kill(-pid, sig) != 0) {
        kill(pid, sig);
    }
}

int plugins_exit_code(int status)
{
    if (WIFEXITED(status)) {
        return WEXITSTATUS(status);
    }
    if (WIFSIGNALED(status)) {
        return WCOREDUMP(status) ? -2 : WTERMSIG(status) == SIGTERM ? 0 : -1;
    }
    return 0;
}

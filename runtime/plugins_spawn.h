/*
** plugins_spawn.h - the operating-system side of the plugins.d runner (plugins.c): the
** environment Netdata 1.37.1 gives a plugin, starting one as a child process on pipes, signalling
** its process group, and what 1.37.1 makes of its exit (exit code, restart delay).
*/
#ifndef STREAMC_PLUGINS_SPAWN_H
#define STREAMC_PLUGINS_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

typedef struct PluginsChild {
    pid_t pid;
    int in, out, err;            /* our ends: stdin (write), stdout and stderr (read, O_NONBLOCK) */
} PluginsChild;

/* Our environment without NETDATA_UPDATE_EVERY/VERSION/HOSTNAME/PLUGINS_DIR, plus those and,
   unless our environment already sets them, 1.37.1's default NETDATA_*_DIR variables. A
   NULL-terminated array of owned strings, or NULL when out of memory. */
char **plugins_env_new(const char *hostname, const char *dir, int update_every);
void plugins_env_free(char **env);

/* Start PATH with argv {PATH, UPDATE_EVERY} and ENV, in its own process group, with an empty
   signal mask and default dispositions, stdin/stdout/stderr on pipes and no other descriptor of
   ours. 0 and *OUT filled, else an errno value (nothing left open). */
int plugins_spawn(const char *path, int update_every, char **env, PluginsChild *out);

/* SIG to the process group of PID (PID itself if that fails); nothing for PID <= 1. */
void plugins_signal(pid_t pid, int sig);

/* 1.37.1's netdata_pclose() result for a wait STATUS: the exit status; 0 when killed by
   SIGTERM; -1 by another signal; -2 core dump. */
int plugins_exit_code(int status);

#endif

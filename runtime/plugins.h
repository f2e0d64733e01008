/*
** plugins.h - the plugins.d runner: every executable `*.plugin` file of one directory runs as a
** child process (argv[1] = update every, NETDATA_* environment as Netdata 1.37.1 sets it), its
** stdout is read non-blocking and applied line by line to the node's own host with ingest.h (the
** plugins.d text protocol is the streaming grammar), its stderr goes to our log. A plugin that
** exits, sends DISABLE or breaks the grammar is handled as 1.37.1's plugins_d.c handles it
** (restart after update_every or 10 x update_every seconds, or never), with one added bound: 10
** runs in a row without a completed collection disable it whatever its exit code.
**
** Threading: driven by one thread (collectors.c) through a poll loop: plugins_pollfds, poll,
** plugins_run. Host data is touched only under h->lock.
** Memory per plugin: one WireReader (15 KiB), a 1 KiB stderr line, its Ingest; at most
** PLUGINS_MAX plugins. Processes run in their own process group and are stopped with SIGTERM,
** then SIGKILL, and always reaped.
*/
#ifndef STREAMC_PLUGINS_H
#define STREAMC_PLUGINS_H

#include <poll.h>
#include <stddef.h>

#include "rrd.h"

#define PLUGINS_MAX 64
#define PLUGINS_MAX_FDS (2 * PLUGINS_MAX)
#define PLUGINS_SCAN_EVERY 60        /* s: Netdata's [plugins] check for new plugins every */
#define PLUGINS_SERIAL_FAILURES 10   /* Netdata's SERIAL_FAILURES_THRESHOLD */

typedef struct Plugins Plugins;

/* A runner for the plugins of DIR feeding H (the node's own host). Plugins start at the first
   plugins_run. NULL when out of memory. DIR is copied. */
Plugins *plugins_new(RrdHost *h, const char *dir, int update_every);
/* The descriptors to poll for (at most CAP); remembered for the next plugins_run. */
size_t plugins_pollfds(Plugins *ps, struct pollfd *fds, size_t cap);
/* Handle the poll results FDS[0..N) of the last plugins_pollfds (N may be 0 after a timeout):
   read and apply output, reap exits, start due plugins, rescan the directory when due. */
void plugins_run(Plugins *ps, const struct pollfd *fds, size_t n);
/* Milliseconds until plugins_run has timed work (a restart, a kill deadline, a rescan). */
int plugins_timeout_ms(const Plugins *ps);
/* Stop every plugin (SIGTERM, SIGKILL after a grace period, reap) and free PS. NULL: no-op. */
void plugins_free(Plugins *ps);

/*
** Netdata 1.37.1's decision after a plugin's run ended (plugins_d.c): EXIT_CODE as its
** netdata_pclose() reports it (the exit status; 0 when killed by SIGTERM; -1 by another signal;
** -2 core dump), SUCCESSFUL = completed collections over all runs, FAILURES = runs in a row with
** none (this run counted). Returns the seconds to wait before starting it again, or -1: disabled.
*/
int plugins_restart_delay(int exit_code, size_t successful, size_t failures, int update_every);

#endif

/*
** collectors.h - streamd's own data collection for the node's host (db->localhost): the /proc
** charts of Netdata 1.37.1's proc.plugin (system.cpu, cpu.cpuN, system.load, system.ram,
** system.net, system.io, system.processes and a few cheap extras, with proc.plugin's ids, names,
** algorithms, units, families, contexts and priorities) every update_every seconds, and the
** plugins.d runner (plugins.h). One thread does both; its data shows in the HTTP API like a
** child's.
*/
#ifndef STREAMC_COLLECTORS_H
#define STREAMC_COLLECTORS_H

#include "rrd.h"

typedef struct Collectors Collectors;

/* Start collecting /proc (when PROC) into DB->localhost every UPDATE_EVERY s (<= 0: 1), and
   run the plugins of PLUGINS_DIR (NULL: none). NULL when the thread cannot start (logged). */
Collectors *collectors_start(RrdDb *db, const char *plugins_dir, int update_every, int proc);
/* Stop the thread and every plugin (reaped), free C. NULL: no-op. Call before rrd_db_free. */
void collectors_stop(Collectors *c);

#endif

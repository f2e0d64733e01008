/*
** rrd_meta.h - what a parent must remember about a host across restarts when the host's data
** survives them (memory modes save, map, dbengine): its GUID, hostname, the API key it came
** with, and every chart and dimension definition, so that its stored data can be queried
** again right after a restart, before (or without) the child reconnecting. One text file per
** host, <data dir>/<guid>/host.meta, written atomically and checksummed; a file that fails its
** checksum is logged and ignored (the engines' data stays on disk).
*/
#ifndef STREAMC_RRD_META_H
#define STREAMC_RRD_META_H

#include "rrd.h"

/* The settings a reloaded host gets: the policy's answer for KEY/GUID. 0 ok, -1 skip it. */
typedef int (*RrdMetaResolve)(void *ctx, const char *key, const char *guid, RrdHostConfig *out);

/* 1 when H keeps data across restarts (a persistent engine with a data directory). */
int rrd_meta_persistent(const RrdDb *db, const RrdHost *h);
/* Save the metadata of every persistent host whose definitions changed. Takes the locks. */
void rrd_meta_flush(RrdDb *db);
/* Recreate every host found in the data directory (not connected). Returns the number of
   hosts loaded. */
int rrd_meta_load(RrdDb *db, RrdMetaResolve resolve, void *ctx);

#endif

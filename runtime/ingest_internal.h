/*
** ingest_internal.h - shared by ingest.c (the command table and most commands) and
** ingest_repl.c (CHART_DEFINITION_END and the replication commands). Not an API: ingest.h is.
*/
#ifndef STREAMC_INGEST_INTERNAL_H
#define STREAMC_INGEST_INTERNAL_H

#include "ingest.h"

/* 1.37.1's log line for a line that ends the session: into in->err; returns INGEST_DISCONNECT. */
IngestStatus ig_fail(Ingest *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A line 1.37.1 logs and goes on after: into in->note. */
void ig_note(Ingest *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Like 1.37.1's get_word(): NULL past the last word. */
const char *ig_word(char **w, size_t n, size_t i);
const char *ig_host(const Ingest *in);
/* The current chart, or NULL with 1.37.1's message in err. */
RrdChart *ig_require_chart(Ingest *in, const char *cmd, const char *parent);
RrdChart *ig_find_chart(Ingest *in, const char *id, const char *cmd);
RrdDim *ig_find_dim(Ingest *in, RrdChart *c, const char *id, const char *cmd);

/* ingest_repl.c */
IngestStatus ig_chart_definition_end(Ingest *in, char **w, size_t n);
IngestStatus ig_rbegin(Ingest *in, char **w, size_t n);
IngestStatus ig_rset(Ingest *in, char **w, size_t n);
IngestStatus ig_rdstate(Ingest *in, char **w, size_t n);
IngestStatus ig_rsstate(Ingest *in, char **w, size_t n);
IngestStatus ig_rend(Ingest *in, char **w, size_t n);

#endif

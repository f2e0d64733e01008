/*
** ingest.h - the command interpreter of a receiving parent: applies one line of a Netdata
** 1.37.1 child's command stream (shared/spec/stream-protocol.md §3.2, §3.7, §5) to an RrdHost.
** Every line that ends the session in 1.37.1 ends it here too, with 1.37.1's log text in err.
**
** Threading: one Ingest per connection; ingest_line runs under the host's lock. ingest_init and
** ingest_reset touch only the Ingest (and memory it owns), never the host.
** Memory: staged labels go through rrd_labels_set (bounded by RRD_MAX_LABELS); nothing else is
** allocated per line. ingest_reset frees what the Ingest holds.
*/
#ifndef STREAMC_INGEST_H
#define STREAMC_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "rrd.h"
#include "sbuf.h"

typedef enum { INGEST_OK = 0, INGEST_DISCONNECT = 1 } IngestStatus;

typedef struct Ingest {
    RrdHost *h;
    RrdChart *cur;               /* the chart CHART/BEGIN/RBEGIN made current; NULL after END */
    /* the exact log line when a line ends the session ("" when Netdata logs nothing) */
    char err[600];
    /* a non-fatal log line for this line (e.g. VARIABLE empty value), "" when none; also our
       own explanation for a disconnect Netdata does not log (unknown command) */
    char note[600];
    uint64_t lines;              /* lines given to ingest_line */
    uint64_t updates;            /* completed END and REND: 1.37.1's "completed N updates" */
    uint64_t now_ut;             /* the NOW_UT of the line being applied */
    const char *peer;            /* "ip:port" of the child, or NULL: CHART's default plugin */
    /* host labels: LABEL stages, OVERWRITE replaces h->labels (only once a LABEL came) */
    RrdLabels host_labels;
    int host_labels_started;
    /* chart labels: CLABEL applies to clabel_chart and stages; CLABEL_COMMIT drops the rest */
    RrdLabels chart_labels;
    RrdChart *clabel_chart;
    /* FUNCTION_RESULT_BEGIN .. FUNCTION_RESULT_END: every line in between is swallowed */
    int in_function_result;
    uint64_t function_result_lines;
    /* replication (ingest_repl.c): with REPLICATION negotiated (repl), CHART_DEFINITION_END
       and REND ask the child for missing data with REPLAY_CHART lines appended to OUT (the
       receiver sends them); RSETs are stored at the RBEGIN point's end time */
    int repl;                    /* REPLICATION negotiated on this connection */
    Sbuf *out;                   /* lines for the child; NULL: nothing is ever sent */
    int rset_enabled;            /* the last RBEGIN had a valid time window */
    int64_t repl_end_t;          /* the current RBEGIN point's end time (s), 0: none */
    /* children send a collection's SETs in definition order: the dimension after the last one
       set is tried before a search (the chart it belongs to guards against redefinitions) */
    RrdDim *next_dim;
    RrdChart *next_dim_chart;
} Ingest;

/* Start a connection's interpreter for H (the caller may then set in->peer). */
void ingest_init(Ingest *in, RrdHost *h);
/* Apply one line (modifiable, NUL-terminated; LEN bytes before the NUL, and like 1.37.1 the
   line ends at its first NUL byte). The caller holds h->lock. NOW_UT = wall clock µs.
   Returns INGEST_DISCONNECT when 1.37.1 would end the session (err holds its log line). */
IngestStatus ingest_line(Ingest *in, char *line, size_t len, uint64_t now_ut);
/* Connection ended: forget the current chart and staged state, free staged labels. Counters
   stay for the "completed N updates" log line. Safe to call more than once. */
void ingest_reset(Ingest *in);

#endif

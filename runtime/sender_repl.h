/*
** sender_repl.h - streamd as a child answering its parent's replication requests
** (stream-protocol §3.7), as a 1.37.1 child does (streaming/rrdpush.c
** rrdpush_send_chart_definition, streaming/replication.c replicate_chart_response):
**
**   child  CHART ... DIMENSION ... CHART_DEFINITION_END <first> <last> <now>   then holds back
**          the chart's BEGIN/SET/END
**   parent REPLAY_CHART "<id>" "<true|false>" <after> <before>
**   child  RBEGIN "<id>", per stored point RBEGIN '' <start> <end> <now> + one RSET per
**          dimension, [RDSTATE per dimension + RSSTATE], REND ... <start_streaming> ...
**   parent (start_streaming false) the next REPLAY_CHART, until a REND says true; from then on
**          the chart's collections go out again.
**
** The answers read the host's storage engine, so they hold what the node's memory mode kept
** (nothing for `none`, the last `history` slots for ram). Pure formatting and queries here;
** the queue and the socket are sender_conn.c's. Everything runs under the host lock.
*/
#ifndef STREAMC_SENDER_REPL_H
#define STREAMC_SENDER_REPL_H

#include <stddef.h>
#include <stdint.h>

#include "rrd.h"
#include "sbuf.h"

/* The smallest answer budget: one point of a very wide chart must always fit. */
#define SENDER_REPL_MIN_BYTES 65536

/* What one answer said (for the caller and the tests). */
typedef struct SenderReplAnswer {
    int start_streaming;         /* REND's flag: the chart's collections may go out again */
    int64_t first, last;         /* the child's retention, as REND reports it */
    int64_t after, before;       /* REND's after and before */
    size_t points;               /* RBEGIN '' lines */
    int cut;                     /* the range did not fit MAX_BYTES: answered up to `before` */
} SenderReplAnswer;

/* CHART_DEFINITION_END <first> <last> <now> for C of H (NOW: wall clock, s). */
void sender_repl_definition_end(Sbuf *b, RrdHost *h, RrdChart *c, int64_t now);

/* Append to B the whole answer to REPLAY_CHART for C of H: START, AFTER, BEFORE as the parent
   sent them. CLOCK gives the wall clock in seconds (read before and after the points, as
   1.37.1 does: an answer that spans a second change does not start streaming). The points are
   cut so that the answer stays near MAX_BYTES (at least SENDER_REPL_MIN_BYTES); a cut answer
   never starts streaming, so the parent asks for the rest. */
void sender_repl_answer(Sbuf *b, RrdHost *h, RrdChart *c, int start, int64_t after,
                        int64_t before, int64_t (*clock)(void), size_t max_bytes,
                        SenderReplAnswer *out);

/* A REPLAY_CHART line split into WORDS (wire_split): 0 and the fields, or -1 when a field is
   missing (1.37.1 logs "command is incomplete" and ignores it). */
int sender_repl_parse(char **words, size_t n, const char **chart_id, int *start,
                      int64_t *after, int64_t *before);

#endif

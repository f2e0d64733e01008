/*
** confdir.h - one node's configuration: its stream.conf, netdata.conf and machine GUID,
** loaded, parsed, validated and cross-checked.
*/
#ifndef STREAMC_CONFDIR_H
#define STREAMC_CONFDIR_H

#include "model.h"
#include "schema.h"

typedef struct NodeInput {
    const char *dir;            /* a config directory (like /etc/netdata), or NULL */
    const char *stream_conf;    /* explicit files override the directory's */
    const char *netdata_conf;
    const char *machine_guid;   /* a GUID, or a path to a GUID file */
} NodeInput;

/* An old netdata.conf key that Netdata moves to its new name at start-up. */
typedef struct Move {
    const SchemaKey *to;
    const Entry *from;
} Move;

typedef struct Node {
    Source ssrc, nsrc, gsrc;
    int has_stream, has_netdata, has_gsrc;
    Model stream, netdata;
    Move moves[SCHEMA_NMOVED];   /* one per old name at most: none is ever dropped */
    int nmoves;
    char guid[37];              /* the node's own machine GUID (lower case) when known */
    int has_guid;
    int io_error;               /* a file could not be read: exit status 2 */
} Node;

/* Load and check one node. Diagnostics go to D. 0 done; -1 an input could not be read. */
int node_check(Node *n, Arena *a, DiagSink *d, const NodeInput *in);

/* The value Netdata uses for [SEC] KEY (netdata.conf: after moving old names), or NULL. */
const Entry *node_entry(const Node *n, ConfKind conf, const char *sec, const char *key);

/* validate.c */
void validate_model(Model *m);
void validate_moves(Node *n);
/* checks.c */
void checks_run(Node *n);

#endif

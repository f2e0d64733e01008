/*
** fleet.h - many nodes' configurations checked against each other (streamc fleet).
**
** A fleet is a manifest (same INI dialect as Netdata's files) with one section per node, or a
** directory of node directories each holding a small metadata file. Every node is checked and
** compiled in memory (the same pipeline as `streamc compile`), then every child -> destination
** pair is resolved to a node of the fleet and simulated with the admission function of
** runtime/admit.c (the one `streamc explain` uses), plus the TLS outcome and topology checks.
** Findings are Diag records (diag_codes.def) that cite both sides with notes.
*/
#ifndef STREAMC_FLEET_H
#define STREAMC_FLEET_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "confdir.h"
#include "policy_view.h"
#include "resolve.h"

typedef struct FleetNode {
    const char *name;            /* the manifest section (or directory) name */
    DiagLoc where;               /* its manifest section header (or metadata file) */
    NodeInput in;                /* config directory / files / GUID as the manifest gives them */
    const char **from;           /* addresses it connects from (IPs as a parent sees them) */
    size_t nfrom;
    const char **reach;          /* names, IPs, host:port and unix paths it is reachable at */
    size_t nreach;
    const char *reverse_dns;     /* the name a parent's reverse+forward DNS gives its address;
                                    NULL: the lookup fails */
    Node node;                   /* checked configuration (sources kept for file:line) */
    int ok;                      /* checked without errors and compiled */
    uint8_t *blob;               /* its compiled policy (malloc'd), viewed by VIEW */
    size_t blob_size;
    PolicyView view;
    const char *hostname;        /* [global] hostname, else the node name (sent as hostname=) */
    const char *base;            /* directory relative paths of its entries start from */
    int loaded;                  /* node_check ran (the manifest gave a config directory) */
    DiagLoc from_at;             /* its `connects from` entry (else WHERE) */
} FleetNode;

typedef enum {
    EDGE_OK,                     /* the child would be accepted */
    EDGE_WARN,                   /* accepted, with a finding (e.g. TLS verification skipped) */
    EDGE_REFUSED,                /* the parent (or the TLS handshake) refuses it */
    EDGE_UNRESOLVED              /* the destination is not a node of the fleet */
} EdgeVerdict;

typedef struct FleetEdge {
    uint32_t child;              /* node index of the sender (a child, or a proxy forwarding) */
    int32_t parent;              /* node index of the receiver, -1 when unresolved */
    const char *dest;            /* the destination entry as written */
    EdgeVerdict verdict;
    const char *reason;          /* one line: why (the refusal reason, the TLS outcome, ...) */
    int proxied;                 /* a proxy forwarding its children's hosts */
    uint32_t origin;             /* the node whose metrics travel (CHILD unless proxied) */
} FleetEdge;

typedef struct Fleet {
    Arena *arena;
    DiagSink *diag;
    const char *path;            /* the manifest or directory */
    Source manifest;             /* the manifest text (diagnostics point into it) */
    FleetNode *nodes;
    size_t nnodes;
    FleetEdge *edges;
    size_t nedges;
    size_t cap_edges;            /* room in EDGES (arena; grown by copying) */
} Fleet;

/* Load a manifest file or a directory of node directories, check and compile every node.
   0 ok; -1 the manifest itself could not be read (reported in D). */
int fleet_load(Fleet *f, Arena *a, DiagSink *d, const char *path);
/* Simulate every child -> destination pair and the topology; fills edges, adds findings. */
void fleet_analyse(Fleet *f);
/* Exit status: 1 when any child would be refused by every destination it has, else 0. */
int fleet_status(const Fleet *f);
void fleet_free(Fleet *f);       /* the blobs; the arena is the caller's */

/* Output (fleet_out.c): a verdict line per child then the findings are rendered by the caller
   with diag_render; these print the topology. */
void fleet_print_verdicts(const Fleet *f, FILE *out);
/* The members "edges":[...],"children":[...] (no braces) for the JSON document. */
void fleet_print_json(const Fleet *f, FILE *out);
/* The topology as Graphviz DOT (fleet_graph.c) or as one self-contained HTML page
   (fleet_graph_html.c). */
void fleet_graph_dot(const Fleet *f, FILE *out);
void fleet_graph_html(const Fleet *f, FILE *out);

#endif

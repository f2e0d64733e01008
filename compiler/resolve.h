/*
** resolve.h - effective settings of a checked node, with where each value came from:
** Netdata's precedence netdata.conf -> [stream] -> API-key section -> machine-GUID section,
** resolved at compile time as far as the semantics allow (see docs/policy-format.md).
**
** Global settings: every [stream] row and every netdata.conf row that streaming depends on.
** API-key sections: every API-key row, effective after inheritance. Machine sections: only
** the rows they set, plus type/enabled/allow from defaults; the rest is inherited from the
** API key a child presents, which only the connection tells.
*/
#ifndef STREAMC_RESOLVE_H
#define STREAMC_RESOLVE_H

#include <stdint.h>

#include "confdir.h"
#include "policy_format.h"

typedef struct RSetting {
    uint16_t key;            /* schema row-order index */
    uint8_t origin;          /* ORIGIN_* */
    uint8_t vtype;           /* VAL_* */
    uint32_t line;           /* 0 for defaults */
    int64_t num;
    const char *text;        /* canonical text (arena or schema) */
    uint32_t tlen;
    const char *raw;         /* for patterns, destinations, bind lists: the text to compile */
    uint32_t rawlen;
    uint8_t dest_flavor;     /* DEST_STREAM or DEST_PROXY for VAL_DEST */
} RSetting;

typedef struct ROwner {
    const Section *sec;
    uint8_t bin[16];
    uint32_t flags;          /* KEY_* */
    RSetting *s;             /* ascending key */
    uint32_t n;
} ROwner;

typedef struct Resolved {
    RSetting *global;
    uint32_t nglobal;
    ROwner *api, *machine;
    uint32_t napi, nmachine;
    uint32_t node_flags;     /* NODE_* */
    int db_mode;             /* POLICY_MODE_* of [db] mode */
    const Token *hostname;   /* [global] hostname when set */
} Resolved;

/* Resolve N (already checked) into R, memory from A. 0 ok, -1 out of memory. */
int resolve_node(const Node *n, Arena *a, Resolved *r);

#endif

/*
** fleet_sim.h - internal to the fleet simulation: its state, one hop of a stream, and the
** helpers fleet_sim.c (pairs, proxy chains) and fleet_topo.c (fleet-wide checks) share.
*/
#ifndef STREAMC_FLEET_SIM_H
#define STREAMC_FLEET_SIM_H

#include "admit.h"
#include "dest.h"
#include "fleet.h"

typedef struct Sim {
    Fleet *f;
    DiagSink *d;
    const char **guid;           /* per node: the machine GUID it sends (placeholder if none) */
    const char **ip;             /* per node: the address a parent sees it connect from */
    const char **dport;          /* per node: [stream] default port as text */
    uint8_t *tls_cert;           /* per node: serves TLS (key and certificate present) */
    uint8_t *dupguid;            /* per node: another node has the same GUID */
    uint8_t *reached;            /* per node: some stream is accepted by it */
    uint8_t *rate_noted, *sends_noted;
} Sim;

/* One sender's attempt to deliver one host (its own, or a child's it forwards). */
typedef struct Hop {
    uint32_t sender, origin;
    int proxied, tls;
    const char *key;             /* api key sent */
    const char *list;            /* destination list text */
    DestFlavor flavor;
    DiagLoc dest_at, key_at;     /* the list's and the key's value in the sender's files */
    const char *default_port;
} Hop;

const PolicySetting *fleet_global(const FleetNode *n, unsigned sec, const char *key);
const char *fleet_text(const FleetNode *n, const PolicySetting *s);
const char *fleet_key_name(const PolicySetting *s);
DiagLoc fleet_setting_loc(const FleetNode *n, const PolicySetting *s, int value);
DiagLoc fleet_key_loc(const FleetNode *n, const PolicyKey *k);
const PolicySetting *fleet_layer(const FleetNode *p, const AdmitSection *ks,
                                 const AdmitSection *ms, const char *mname, const char *aname,
                                 const char *gname, int *global);

/* fleet_topo.c */
void fleet_check_guids(Sim *s);
void fleet_check_sends(Sim *s, const FleetNode *n, const PolicySetting *pat, const char *host);
void fleet_check_storage(Sim *s, const Hop *h, uint32_t parent, DiagLoc at);
void fleet_check_topology(Sim *s);

#endif

/*
** fleet_sim.c - every child -> destination pair of a loaded fleet (fleet.h), simulated in the
** order a real Netdata 1.37.1 child and parent go through it, then proxy chains.
**
** One destination entry: resolved to a node by its `reachable at` list (host or IP, case
** folded; a host:port entry also needs the port; a unix path needs the same path); then the
** parent's admission decision from runtime/admit.c (admit_stream, the function streamd and
** `streamc explain` run) for the request the child would send: its `connects from` address,
** api key, machine GUID and hostname. The TLS outcome sits between the web server's accept-time
** checks and the request: child ':SSL' against a parent that serves a certificate or not, and
** the child's verification settings. A refusal by the rate limit is a note, and the request
** is decided again as a later retry. Two nodes with the same GUID at one parent: the second
** is asked with a live receiver for that GUID (409). An accepted child whose parent forwards
** it (proxy enabled, destination and api key of its machine/API-key layer) is followed to the
** next parent; a chain that comes back to a node it passed is a loop. Topology checks and the
** setting helpers are in fleet_topo.c. Nothing here prints.
*/
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "admit.h"
#include "dest.h"
#include "fleet.h"
#include "fleet_sim.h"
#include "schema_tables.h"

#define MAX_HOPS 16

/* ---- state --------------------------------------------------------------------------------- */

static size_t add_edge(Sim *s, uint32_t sender, uint32_t origin, const DestEntry *e)
{
    Fleet *f = s->f;
    if (f->nedges == f->cap_edges) {
        size_t cap = f->cap_edges ? 2 * f->cap_edges : 64;
        FleetEdge *v = arena_alloc(f->arena, cap * sizeof *v);
        if (!v) {
            s->d->oom = 1;
            return SIZE_MAX;
        }
        if (f->nedges) {
            memcpy(v, f->edges, f->nedges * sizeof *v);
        }
        f->edges = v;
        f->cap_edges = cap;
    }
    FleetEdge *E = &f->edges[f->nedges];
    memset(E, 0, sizeof *E);
    E->child = sender;
    E->origin = origin;
    E->parent = -1;
    E->proxied = sender != origin;
    E->dest = arena_strndup(f->arena, e->z, e->n);
    E->reason = "";
    return f->nedges++;
}

static int serves_tls(const FleetNode *p)
{
    static const char *const keys[2] = { "ssl key", "ssl certificate" };
    static const char *const dflt[2] = { "ssl/key.pem", "ssl/cert.pem" };
    for (int i = 0; i < 2; i++) {
        const Entry *e = node_entry(&p->node, CONF_NETDATA, "web", keys[i]);
        struct stat st;
        char path[4096];
        if (e) {
            if (!e->val.n) {
                return 0;
            }
            continue;   /* a path on the target machine: taken as present */
        }
        snprintf(path, sizeof path, "%s/%s", p->in.dir ? p->in.dir : ".", dflt[i]);
        if (stat(path, &st) != 0) {
            return 0;
        }
    }
    return 1;
}

/* ---- resolving a destination entry to a node --------------------------------------------- */

typedef struct Reach {
    int unix_path;
    const char *host;
    size_t host_n;
    const char *port;
    size_t port_n;
} Reach;

static Reach parse_reach(const char *z)
{
    Reach r = { 0, z, strlen(z), "", 0 };
    if (strncmp(z, "unix:", 5) == 0 || z[0] == '/') {
        r.unix_path = 1;
        r.host = z[0] == '/' ? z : z + 5;
        r.host_n = strlen(r.host);
        return r;
    }
    const char *colon = strrchr(z, ':');
    if (z[0] == '[') {
        const char *rb = strchr(z, ']');
        r.host = z + 1;
        r.host_n = rb ? (size_t)(rb - z - 1) : strlen(z + 1);
        if (rb && rb[1] == ':') {
            r.port = rb + 2;
            r.port_n = strlen(rb + 2);
        }
    } else if (colon && colon == strchr(z, ':')) {   /* one colon: host:port */
        r.host_n = (size_t)(colon - z);
        r.port = colon + 1;
        r.port_n = strlen(colon + 1);
    }
    return r;
}

/* The node E reaches (sender's default port DPORT), or -1; *PORT is the port it connects to. */
static int32_t resolve_entry(const Sim *s, const DestEntry *e, const char *dport,
                             const char **port, size_t *port_n)
{
    *port = e->port_n ? e->port : dport;
    *port_n = e->port_n ? e->port_n : strlen(dport);
    for (size_t i = 0; i < s->f->nnodes; i++) {
        const FleetNode *n = &s->f->nodes[i];
        for (size_t k = 0; k < n->nreach; k++) {
            Reach r = parse_reach(n->reach[k]);
            if (r.unix_path != (e->proto == DEST_UNIX) || r.host_n != e->host_n) {
                continue;
            }
            int same = r.unix_path ? memcmp(r.host, e->host, r.host_n) == 0
                                   : strncasecmp(r.host, e->host, r.host_n) == 0;
            if (same && (r.unix_path || !r.port_n ||
                         (r.port_n == *port_n && memcmp(r.port, *port, r.port_n) == 0))) {
                return (int32_t)i;
            }
        }
    }
    return -1;
}

/* ---- one destination entry ---------------------------------------------------------------- */

static DiagLoc entry_loc(const Hop *h, const DestEntry *e)
{
    DiagLoc at = h->dest_at;
    if (at.src) {
        at.col += (uint32_t)e->off;
        at.len = (uint32_t)(e->n ? e->n : 1);
    }
    return at;
}

static const char *who(Sim *s, const Hop *h)
{
    const FleetNode *o = &s->f->nodes[h->origin];
    return h->proxied ? arena_printf(s->f->arena, "'%s' (forwarded by '%s')", o->name,
                                     s->f->nodes[h->sender].name)
                      : arena_printf(s->f->arena, "'%s'", o->name);
}

static void set_verdict(Sim *s, size_t ei, EdgeVerdict v, const char *reason)
{
    s->f->edges[ei].verdict = v;
    s->f->edges[ei].reason = reason ? reason : "";
}

/* The parent's deciding setting (or the section whose defaults decided) as a note. */
static void note_deciding(Sim *s, Diag *g, const FleetNode *p, const AdmitResult *r)
{
    DiagLoc at = fleet_setting_loc(p, r->setting, 0);
    if (r->setting && at.src) {
        diag_note(s->d, g, at, "on '%s': %s = %s", p->name, fleet_key_name(r->setting),
                  fleet_text(p, r->setting));
    } else if (r->owner) {
        diag_note(s->d, g, fleet_key_loc(p, r->owner), "on '%s': section [%s] does not set "
                  "it; Netdata's default decides", p->name, policy_str(&p->view, r->owner->text));
    } else if (r->code >= ADMIT_KEY_NOT_API && r->code <= ADMIT_MACHINE_NOT_FROM_IP) {
        DiagLoc none = { p->node.has_stream ? &p->node.ssrc : NULL, 1, 1, 1 };
        diag_note(s->d, g, none, "on '%s': stream.conf has no section for it; Netdata's "
                  "defaults decide (an unknown API key is not enabled)", p->name);
    }
}

/* A second node with this GUID streaming into P: the running receiver it would meet. A node
   holds one connection, to the first destination that accepts it (the rest are failover), so
   only a twin's first accepted edge counts: a clone with the same failover list lands on the
   parent the first one does not hold. */
static const FleetNode *live_twin(const Sim *s, int32_t p, uint32_t origin)
{
    if (!s->dupguid[origin]) {
        return NULL;
    }
    for (size_t i = 0; i < s->f->nedges; i++) {
        const FleetEdge *E = &s->f->edges[i];
        if (E->origin == origin || (E->verdict != EDGE_OK && E->verdict != EDGE_WARN) ||
            strcmp(s->guid[E->origin], s->guid[origin]) != 0) {
            continue;
        }
        int first = 1;   /* is E the twin's first accepted edge? */
        for (size_t k = 0; k < i && first; k++) {
            const FleetEdge *F = &s->f->edges[k];
            first = !(F->origin == E->origin && F->child == E->child &&
                      (F->verdict == EDGE_OK || F->verdict == EDGE_WARN));
        }
        if (first && E->parent == p) {
            return &s->f->nodes[E->origin];
        }
    }
    return NULL;
}

/* TLS between the hop's sender and P; 0 refused (finding added), 1 fine, 2 fine with a warning. */
static int tls_outcome(Sim *s, const Hop *h, size_t ei, uint32_t p, DiagLoc at)
{
    const FleetNode *c = &s->f->nodes[h->sender], *pn = &s->f->nodes[p];
    if (!h->tls) {
        return 1;
    }
    if (!s->tls_cert[p]) {
        Diag *g = diag_add(s->d, DIAG_FLEET_TLS, at, "%s asks '%s' for TLS (':SSL') but '%s' "
                           "serves no certificate ([web] ssl key and ssl certificate): the "
                           "handshake fails and the destination is held for 300 s", who(s, h),
                           pn->name, pn->name);
        diag_note(s->d, g, fleet_setting_loc(pn, fleet_global(pn, SEC_WEB, "bind to"), 0),
                  "on '%s': its listeners", pn->name);
        set_verdict(s, ei, EDGE_REFUSED, "TLS handshake fails: the parent serves no certificate");
        return 0;
    }
    const PolicySetting *skip = fleet_global(c, SEC_STREAM, "ssl skip certificate verification");
    const PolicySetting *cafile = fleet_global(c, SEC_STREAM, "CAfile");
    const PolicySetting *capath = fleet_global(c, SEC_STREAM, "CApath");
    int has_ca = (cafile && cafile->origin != ORIGIN_DEFAULT) ||
                 (capath && capath->origin != ORIGIN_DEFAULT);
    if (skip && skip->num) {
        diag_add(s->d, DIAG_FLEET_TLS_VERIFY, fleet_setting_loc(c, skip, 0), "%s streams to '%s' "
                 "over TLS without checking its certificate: anyone on the path can pose as "
                 "the parent", who(s, h), pn->name);
        set_verdict(s, ei, EDGE_WARN, "TLS without certificate verification");
        return 2;
    }
    if (has_ca) {
        const PolicySetting *ca = cafile && cafile->origin != ORIGIN_DEFAULT ? cafile : capath;
        diag_add(s->d, DIAG_FLEET_TLS_VERIFY, fleet_setting_loc(c, ca, 0), "%s verifies '%s''s "
                 "certificate against %s '%s': the stream works only if that CA signed it "
                 "(streamc cannot check certificates)", who(s, h), pn->name,
                 fleet_key_name(ca), fleet_text(c, ca));
        set_verdict(s, ei, EDGE_WARN, "TLS verification depends on the CA");
        return 2;
    }
    /* Not a refusal: a certificate from a public CA verifies against the system store, and
       streamc cannot see certificates. A warning says what the stream depends on. */
    Diag *g = diag_add(s->d, DIAG_FLEET_TLS_VERIFY, at, "%s verifies '%s''s certificate "
                       "against the system CA store (no CAfile or CApath): unless a public CA "
                       "signed it, the handshake fails and the destination is held for 300 s",
                       who(s, h), pn->name);
    diag_note(s->d, g, at, "set [stream] CAfile to the parent's CA, or ssl skip certificate "
              "verification = yes");
    set_verdict(s, ei, EDGE_WARN, "TLS verification depends on the system CA store");
    return 2;
}

static int has_unix_listener(const FleetNode *p, const DestEntry *e)
{
    const PolicySetting *b = fleet_global(p, SEC_WEB, "bind to");
    for (uint32_t i = 0; b && b->vtype == VAL_BIND && i < b->aux_len; i++) {
        const PolicyListener *l = &p->view.listeners[b->aux_off + i];
        const char *path = policy_str(&p->view, l->host);
        if (l->proto == DEST_UNIX && strlen(path) == e->host_n &&
            memcmp(path, e->host, e->host_n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Simulate entry E of hop H; returns the edge index (SIZE_MAX when out of memory). */
static size_t sim_entry(Sim *s, const Hop *h, const DestEntry *e, const uint32_t *path,
                        int depth)
{
    Fleet *f = s->f;
    size_t ei = add_edge(s, h->sender, h->origin, e);
    DiagLoc at = entry_loc(h, e);
    const char *port;
    size_t port_n;
    if (ei == SIZE_MAX) {
        return ei;
    }
    int32_t p = resolve_entry(s, e, h->default_port, &port, &port_n);
    f->edges[ei].parent = p;
    if (p < 0) {
        diag_add(s->d, DIAG_FLEET_UNRESOLVED, at, "destination '%.*s' of %s is no node of the "
                 "fleet (no 'reachable at' matches it)", (int)e->n, e->z, who(s, h));
        set_verdict(s, ei, EDGE_UNRESOLVED, "outside the fleet");
        return ei;
    }
    const FleetNode *pn = &f->nodes[p];
    for (int i = 1; i <= depth; i++) {
        if (path[i] == (uint32_t)p || (h->proxied && path[0] == (uint32_t)p)) {
            Diag *g = diag_add(s->d, DIAG_FLEET_PROXY_LOOP, at, "%s goes back to '%s', which "
                               "it already passed: a proxy loop", who(s, h), pn->name);
            for (int k = 0; k <= depth; k++) {
                diag_note(s->d, g, f->nodes[path[k]].where, "hop %d: '%s'", k,
                          f->nodes[path[k]].name);
            }
            set_verdict(s, ei, EDGE_REFUSED, "proxy loop");
            return ei;
        }
    }
    if (!pn->ok) {
        Diag *g = diag_add(s->d, DIAG_FLEET_EXCLUDED, at, "destination '%.*s' of %s is node "
                           "'%s', which is not simulated: its configuration has errors",
                           (int)e->n, e->z, who(s, h), pn->name);
        diag_note(s->d, g, pn->where, "node '%s'", pn->name);
        set_verdict(s, ei, EDGE_REFUSED, "configuration has errors");
        return ei;
    }
    if (e->proto == DEST_UDP || (e->proto == DEST_UNIX && !has_unix_listener(pn, e))) {
        diag_add(s->d, DIAG_FLEET_REFUSED, at, "%s cannot stream to '%s' at '%.*s': %s",
                 who(s, h), pn->name, (int)e->n, e->z, e->proto == DEST_UDP
                 ? "parents accept only TCP and unix streams"
                 : "its [web] bind to has no unix: entry with this path");
        set_verdict(s, ei, EDGE_REFUSED, e->proto == DEST_UDP ? "udp is not a stream"
                                                              : "no unix listener at that path");
        return ei;
    }
    AdmitRequest q;
    admit_request_init(&q);
    char portbuf[64];
    snprintf(portbuf, sizeof portbuf, "%.*s", (int)port_n, port);
    q.client_ip = e->proto == DEST_UNIX ? "localhost" : s->ip[h->sender];
    q.local_port = e->proto == DEST_UNIX ? NULL : portbuf;
    q.tls = h->tls;
    q.key = h->key;
    q.hostname = f->nodes[h->origin].hostname;
    q.machine_guid = s->guid[h->origin];
    q.dns_name = e->proto == DEST_UNIX ? NULL : f->nodes[h->sender].reverse_dns;
    const FleetNode *twin = live_twin(s, p, h->origin);
    if (twin) {
        q.existing_age = 0;
        q.existing_hostname = twin->hostname;
    }
    AdmitResult r = admit_stream(&pn->view, &q);
    int pre_tls = r.code == ADMIT_WEB_DISABLED || r.code == ADMIT_NO_LISTENER ||
                  r.code == ADMIT_CONNECTION_DENIED;
    int tls = 1;
    if (!pre_tls && (tls = tls_outcome(s, h, ei, (uint32_t)p, at)) == 0) {
        return ei;
    }
    if (r.code == ADMIT_TOO_BUSY) {
        const PolicySetting *rate = r.setting;
        if (!s->rate_noted[p]) {
            s->rate_noted[p] = 1;
            Diag *g = diag_add(s->d, DIAG_FLEET_RATE, at, "'%s' accepts one streaming request "
                               "every %lld s: the first request after it starts is refused "
                               "(HTTP 503) and %s is accepted on a later retry", pn->name,
                               rate ? (long long)rate->num : 0LL, who(s, h));
            note_deciding(s, g, pn, &r);
        }
        q.rate_elapsed = rate ? rate->num : 0;
        r = admit_stream(&pn->view, &q);
    }
    if (!r.accepted) {
        char status[32] = "";
        if (r.http_status) {
            snprintf(status, sizeof status, " (HTTP %d)", r.http_status);
        }
        Diag *g = diag_add(s->d, DIAG_FLEET_REFUSED, at, "%s is refused by '%s' at '%.*s': "
                           "%s%s", who(s, h), pn->name, (int)e->n, e->z,
                           admit_code_name(r.code), status);
        note_deciding(s, g, pn, &r);
        if (r.code >= ADMIT_NO_KEY && r.code <= ADMIT_KEY_NOT_FROM_IP && h->key_at.src) {
            diag_note(s->d, g, h->key_at, "%s sends api key '%s'", who(s, h), h->key);
        }
        if (r.code == ADMIT_CONNECTION_DENIED || r.code == ADMIT_STREAMING_DENIED ||
            r.code == ADMIT_KEY_NOT_FROM_IP || r.code == ADMIT_MACHINE_NOT_FROM_IP) {
            const FleetNode *sn = &f->nodes[h->sender];
            diag_note(s->d, g, sn->from_at.src ? sn->from_at : sn->where, "'%s' connects from '%s' (the parent "
                      "sees '%s')", f->nodes[h->sender].name, q.client_ip, r.ip);
        }
        if (twin) {
            diag_note(s->d, g, twin->where, "'%s' has the same machine GUID and is already "
                      "streaming to '%s'", twin->name, pn->name);
        }
        set_verdict(s, ei, EDGE_REFUSED, admit_code_name(r.code));
        return ei;
    }
    if (tls != 2) {
        set_verdict(s, ei, EDGE_OK, NULL);
    }
    s->reached[p] = 1;
    fleet_check_storage(s, h, (uint32_t)p, at);
    return ei;
}

/* ---- hops and proxy chains ----------------------------------------------------------------- */

static void follow(Sim *s, uint32_t p, const Hop *in, uint32_t *path, int depth);

/* Every entry of H's list; accepted ones are followed when the parent forwards. */
static int sim_hop(Sim *s, const Hop *h, uint32_t *path, int depth)
{
    DestList dl;
    int ok = 0;
    dest_parse_list(h->list, strlen(h->list), h->flavor, &dl);
    for (size_t i = 0; i < dl.n; i++) {
        size_t ei = sim_entry(s, h, &dl.e[i], path, depth);
        if (ei == SIZE_MAX) {
            return ok;
        }
        const FleetEdge *E = &s->f->edges[ei];
        if (E->verdict == EDGE_OK || E->verdict == EDGE_WARN) {
            ok = 1;
            follow(s, (uint32_t)E->parent, h, path, depth);
        }
    }
    return ok;
}

/* Parent P accepted IN's origin: forward it when its layer says so. */
static void follow(Sim *s, uint32_t p, const Hop *in, uint32_t *path, int depth)
{
    const FleetNode *pn = &s->f->nodes[p];
    if (depth + 1 >= MAX_HOPS) {
        return;
    }
    AdmitSection ks, ms;
    admit_section(&pn->view, 0, in->key, &ks);
    admit_section(&pn->view, 1, s->guid[in->origin], &ms);
    int ge, gd, gk, gp;
    const PolicySetting *pe = fleet_layer(pn, &ks, &ms, "proxy enabled", "default proxy enabled",
                                          "enabled", &ge);
    const PolicySetting *pd = fleet_layer(pn, &ks, &ms, "proxy destination",
                                          "default proxy destination", "destination", &gd);
    const PolicySetting *pk = fleet_layer(pn, &ks, &ms, "proxy api key", "default proxy api key",
                                          "api key", &gk);
    const PolicySetting *pp = fleet_layer(pn, &ks, &ms, "proxy send charts matching",
                                          "default proxy send charts matching",
                                          "send charts matching", &gp);
    int enabled = ge ? (pn->view.node->flags & NODE_SENDER_ENABLED) != 0 : pe && pe->num;
    const char *dest = fleet_text(pn, pd), *key = fleet_text(pn, pk);
    if (!enabled) {
        return;
    }
    if (!*dest || !*key) {
        if (pe && (pe->origin == ORIGIN_MACHINE || pe->origin == ORIGIN_APIKEY)) {
            diag_add(s->d, DIAG_FLEET_DEAD_END, fleet_setting_loc(pn, pe, 0), "'%s' is to "
                     "forward '%s' but has no proxy %s: the chain ends here", pn->name,
                     s->f->nodes[in->origin].name, *dest ? "api key" : "destination");
        }
        return;
    }
    fleet_check_sends(s, pn, pp, s->f->nodes[in->origin].name);
    Hop h;
    memset(&h, 0, sizeof h);
    h.sender = p;
    h.origin = in->origin;
    h.proxied = 1;
    h.key = key;
    h.tls = (pn->view.node->flags & NODE_SENDER_TLS) != 0;
    h.list = dest;
    h.flavor = pd->origin == ORIGIN_STREAM ? DEST_STREAM : DEST_PROXY;
    h.dest_at = fleet_setting_loc(pn, pd, 1);
    h.key_at = fleet_setting_loc(pn, pk, 1);
    h.default_port = s->dport[p];
    (void)gd;
    (void)gk;
    (void)gp;
    path[depth + 1] = p;
    sim_hop(s, &h, path, depth + 1);
}

/* Every node that streams: its own destinations, then the chains they start. */
static void sim_children(Sim *s)
{
    Fleet *f = s->f;
    uint32_t path[MAX_HOPS + 1];
    for (size_t i = 0; i < f->nnodes; i++) {
        const FleetNode *c = &f->nodes[i];
        if (!c->ok || !(c->view.node->flags & NODE_SENDER_ENABLED)) {
            continue;
        }
        const PolicySetting *dest = fleet_global(c, SEC_STREAM, "destination");
        const PolicySetting *key = fleet_global(c, SEC_STREAM, "api key");
        Hop h;
        memset(&h, 0, sizeof h);
        h.sender = h.origin = (uint32_t)i;
        h.key = fleet_text(c, key);
        h.tls = (c->view.node->flags & NODE_SENDER_TLS) != 0;
        h.list = fleet_text(c, dest);
        h.flavor = DEST_STREAM;
        h.dest_at = fleet_setting_loc(c, dest, 1);
        h.key_at = fleet_setting_loc(c, key, 1);
        h.default_port = s->dport[i];
        fleet_check_sends(s, c, fleet_global(c, SEC_STREAM, "send charts matching"), c->name);
        path[0] = (uint32_t)i;
        size_t before = f->nedges;
        int resolved = 0;
        int ok = sim_hop(s, &h, path, 0);
        for (size_t k = before; k < f->nedges; k++) {
            resolved |= f->edges[k].child == i && f->edges[k].verdict != EDGE_UNRESOLVED;
        }
        /* destinations that are all outside the fleet are warnings already: nothing in the
           fleet refused the child, so it is not called "never streams" */
        if (!ok && resolved) {
            Diag *g = diag_add(s->d, DIAG_FLEET_NEVER, h.dest_at, "'%s' never streams: no "
                               "destination accepts it", c->name);
            diag_note(s->d, g, c->where, "node '%s'", c->name);
        }
    }
}

static int sim_init(Sim *s, Fleet *f)
{
    memset(s, 0, sizeof *s);
    s->f = f;
    s->d = f->diag;
    size_t n = f->nnodes + 1;
    s->guid = arena_alloc(f->arena, n * sizeof *s->guid);
    s->ip = arena_alloc(f->arena, n * sizeof *s->ip);
    s->dport = arena_alloc(f->arena, n * sizeof *s->dport);
    s->tls_cert = arena_alloc(f->arena, n);
    s->dupguid = arena_alloc(f->arena, n);
    s->reached = arena_alloc(f->arena, n);
    s->rate_noted = arena_alloc(f->arena, n);
    s->sends_noted = arena_alloc(f->arena, n);
    if (!s->guid || !s->ip || !s->dport || !s->tls_cert || !s->dupguid || !s->reached ||
        !s->rate_noted || !s->sends_noted) {
        s->d->oom = 1;
        return -1;
    }
    for (size_t i = 0; i < f->nnodes; i++) {
        FleetNode *c = &f->nodes[i];
        s->guid[i] = c->node.has_guid ? c->node.guid
                                      : arena_printf(f->arena, "00000000-0000-4000-8000-%012zx",
                                                     i + 1);
        s->ip[i] = c->nfrom ? c->from[0] : "192.0.2.1";   /* TEST-NET-1: nothing specific */
        if (!c->ok) {
            s->dport[i] = "19999";
            continue;
        }
        const PolicySetting *dp = fleet_global(c, SEC_STREAM, "default port");
        s->dport[i] = arena_printf(f->arena, "%lld", dp ? (long long)dp->num : 19999LL);
        s->tls_cert[i] = (uint8_t)serves_tls(c);
        if (!s->guid[i] || !s->dport[i]) {
            s->d->oom = 1;
            return -1;
        }
        if (c->view.node->flags & NODE_SENDER_ENABLED) {
            if (!c->node.has_guid) {
                diag_add(s->d, DIAG_FLEET_NO_GUID, c->where, "node '%s' streams but has no "
                         "machine GUID: Netdata makes a new one at its first start, so no "
                         "machine section can name it; simulated as '%s'", c->name, s->guid[i]);
            }
            if (!c->nfrom) {
                diag_add(s->d, DIAG_FLEET_NO_ADDRESS, c->where, "node '%s' streams but has no "
                         "'connects from': allow lists are checked with %s, which only "
                         "patterns like '*' match", c->name, s->ip[i]);
            }
        }
    }
    return 0;
}

/* Simulate every child -> destination pair and the topology of F; fills F's edges. */
void fleet_analyse(Fleet *f)
{
    Sim s;
    if (sim_init(&s, f) != 0) {
        return;
    }
    fleet_check_guids(&s);
    sim_children(&s);
    fleet_check_topology(&s);
}

/* 1 when some streaming node has destinations and none of them accepts it, else 0. */
int fleet_status(const Fleet *f)
{
    unsigned char *st = calloc(f->nnodes + 1, 1);   /* bit 1: has an edge, bit 2: accepted */
    int status = 0;
    if (!st) {
        return 1;
    }
    for (size_t k = 0; k < f->nedges; k++) {
        const FleetEdge *E = &f->edges[k];
        if (!E->proxied) {
            st[E->child] |= (unsigned char)(1 | (E->verdict == EDGE_OK || E->verdict == EDGE_WARN
                                                 ? 2 : 0));
        }
    }
    for (size_t i = 0; i < f->nnodes; i++) {
        status |= st[i] == 1;
    }
    free(st);
    return status;
}

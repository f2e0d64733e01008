/*
** admit.c - Netdata 1.37.1's decision on an incoming STREAM request (see admit.h), computed
** from a verified policy. Texts are the parent's own, byte for byte (stream-protocol §2.2, §6;
** config-semantics §3.6, §4.2). No allocation, no I/O, no clock: a running parent's state
** (rate timer, receivers, DNS answers) arrives in the request.
**
** Listener choice when the request names no port: the first TCP `bind to` entry that allows
** streaming and, for a plain connection, is not ^SSL=force; else the first that allows
** streaming; else the first TCP entry. Only ports are compared (a child reaches a wildcard
** bind on any address; host-specific binds are not told apart).
*/
#include "admit.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "guid.h"
#include "match.h"
#include "pattern_prog.h"
#include "schema_tables.h"

enum { BIND_DASHBOARD_BIT = 1, BIND_STREAMING_BIT = 16, SSL_FORCE = 2, PROTO_TCP = 0 };   /* compiler/dest.h values */

/* One row per AdmitCode, in enum order. */
static const struct Outcome {
    int status;
    const char *reply, *tag, *name;
} outcomes[ADMIT__COUNT] = {
#define DENIED "You are not permitted to access this. Check the logs for more info."
    { 0, NULL, "CONNECTED", "accepted" },
    { 0, NULL, NULL, "the web server is off ([web] mode = none)" },
    { 0, NULL, NULL, "no [web] bind to entry listens on this port" },
    { 0, NULL, NULL, "[web] allow connections from does not admit the client" },
    { 400, "I don't understand you...\r\n", NULL,
      "the port is ^SSL=force and the connection is not TLS" },
    { 403, "You are not allowed to access this resource.", NULL,
      "the port's bind to permissions lack 'streaming'" },
    { 403, "You are not allowed to access this resource.", NULL,
      "[web] allow streaming from does not admit the client" },
    { 401, DENIED, "ACCESS DENIED - NO KEY", "the request has no API key" },
    { 401, DENIED, "ACCESS DENIED - NO HOSTNAME", "the request has no hostname" },
    { 401, DENIED, "ACCESS DENIED - NO MACHINE GUID", "the request has no machine GUID" },
    { 401, DENIED, "ACCESS DENIED - INVALID KEY", "the API key is not a valid GUID" },
    { 401, DENIED, "ACCESS DENIED - INVALID MACHINE GUID", "the machine GUID is not a valid GUID" },
    { 401, DENIED, "ACCESS DENIED - API KEY GIVEN IS NOT API KEY",
      "the API key's section type is not 'api'" },
    { 401, DENIED, "ACCESS DENIED - KEY NOT ENABLED", "the API key is not enabled" },
    { 401, DENIED, "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP",
      "the API key's allow from does not match the client IP" },
    { 401, DENIED, "ACCESS DENIED - MACHINE GUID GIVEN IS NOT A MACHINE GUID",
      "the machine GUID's section type is not 'machine'" },
    { 401, DENIED, "ACCESS DENIED - MACHINE GUID NOT ENABLED", "the machine GUID is not enabled" },
    { 401, DENIED, "ACCESS DENIED - MACHINE GUID NOT ALLOWED FROM THIS IP",
      "the machine GUID's allow from does not match the client IP" },
    { 503, "The server is too busy now to accept this request. Try later.", NULL,
      "the accept-rate limit refuses it" },
    { 409, "This GUID is already streaming to this server", "REJECTED - ALREADY CONNECTED",
      "this machine GUID already has a live receiver" },
    { 200, "Don't hit me baby, you are trying to stream my localhost back",
      "DENIED - ATTEMPT TO RECEIVE METRICS FROM MACHINE_GUID IDENTICAL TO PARENT",
      "the machine GUID is the parent's own" },
#undef DENIED
};

/* The static description of CODE; "?" for a value outside the enum. */
const char *admit_code_name(AdmitCode code)
{
    return (unsigned)code < ADMIT__COUNT ? outcomes[code].name : "?";
}

/* Row-order index (the policy's key id) of row NAME in schema section SEC, or ADMIT_NO_ROW.
   A scan of that section's rows only (a few dozen). */
unsigned admit_row(unsigned sec, const char *name)
{
    if (sec >= SEC__COUNT) {
        return ADMIT_NO_ROW;
    }
    const SchemaSection *s = &schema_sections[sec];
    for (unsigned i = s->first; i < (unsigned)s->first + s->nkeys; i++) {
        if (strcmp(schema_keys[i].name, name) == 0) {
            return schema_keys[i].order;
        }
    }
    return ADMIT_NO_ROW;
}

/* Zero *R, then mark the runtime state as a fresh parent's (no receiver, no rate timer). */
void admit_request_init(AdmitRequest *r)
{
    memset(r, 0, sizeof *r);
    r->rate_elapsed = -1;
    r->existing_age = -1;
}

/* Copy IP (NULL reads as "") rewritten as Netdata does into OUT, cut to CAP - 1 bytes. */
void admit_rewrite_ip(const char *ip, char *out, size_t cap)
{
    if (!cap) {
        return;
    }
    ip = ip ? ip : "";
    /* accept_socket(): the localhost test runs on getnameinfo()'s text, before the ::ffff:
       strip, so ::ffff:127.0.0.1 ends up as 127.0.0.1, not localhost */
    if (strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0) {
        ip = "localhost";
    } else if (strncmp(ip, "::ffff:", 7) == 0) {
        ip += 7;
    }
    snprintf(out, cap, "%s", ip);
}

const PolicySetting *admit_global(const PolicyView *v, unsigned sec, const char *name)
{
    unsigned id = admit_row(sec, name);
    return id == ADMIT_NO_ROW ? NULL : policy_find_setting(v, NULL, id);
}

/* A setting's pattern program, NULL for "no pattern" (Netdata's NULL: callers allow all). */
static const void *program(const PolicyView *v, const PolicySetting *s)
{
    const void *p = s ? policy_program(v, s) : NULL;
    return p && !(((const PatHeader *)p)->flags & PAT_EMPTY) ? p : NULL;
}

static int positive(const void *prog, const char *s)
{
    return match_run(prog, s, strlen(s)) == MATCH_POSITIVE;
}

/* simple_pattern_is_potential_name(): any letter or wildcard, and no ':', over every piece
   of every term; an exact piece "localhost" does not count. */
static int potential_name(const void *prog)
{
    const PatHeader *h = prog;
    const PatTerm *t = (const PatTerm *)((const char *)prog + h->terms_off);
    const PatPiece *pc = (const PatPiece *)((const char *)prog + h->pieces_off);
    const char *str = (const char *)prog + h->strings_off;
    int alpha = 0, colon = 0, wild = 0;
    for (uint32_t i = 0; i < h->nterms; i++) {
        for (uint32_t k = 0; k < t[i].npieces; k++) {
            const PatPiece *p = &pc[t[i].first_piece + k];
            const char *z = str + p->off;
            if (p->mode == PIECE_EXACT && p->len == 9 && memcmp(z, "localhost", 9) == 0) {
                continue;
            }
            for (uint32_t j = 0; j < p->len; j++) {
                unsigned char c = (unsigned char)z[j];
                alpha |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                colon |= c == ':';
            }
            wild |= p->mode != PIECE_EXACT;
        }
    }
    return (alpha || wild) && !colon;
}

/* A web-level access list: its pattern and DNS rows and the name its log lines use. */
typedef struct Acl {
    unsigned sec;
    const char *from, *dns, *what;
} Acl;

static int dns_allowed(const PolicyView *v, const Acl *a, const void *prog)
{
    const PolicySetting *s = admit_global(v, a->sec, a->dns);
    const char *t = s ? policy_str(v, s->text) : "heuristic";
    if (strcmp(t, "yes") == 0) {
        return 1;
    }
    if (strcmp(t, "no") == 0) {
        return 0;
    }
    return potential_name(prog);   /* "heuristic", and anything else (logged by Netdata) */
}

typedef struct Ctx {
    const PolicyView *v;
    const AdmitRequest *req;
    AdmitResult *res;
    const char *port;            /* the client's port as logged */
    const char *host;            /* Netdata's client_host: NULL until a lookup ran */
} Ctx;

static void add_log(AdmitResult *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add_log(AdmitResult *res, const char *fmt, ...)
{
    size_t n = strlen(res->log);
    if (n + 2 >= sizeof res->log) {
        return;
    }
    if (n) {
        res->log[n++] = '\n';
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->log + n, sizeof res->log - n, fmt, ap);
    va_end(ap);
}

/* connection_allowed(): the IP first; then, when DNS may be used and no lookup ran yet, the
   reverse name (a failed lookup refuses and leaves "UNKNOWN" for the later checks). */
static int acl_check(Ctx *c, const Acl *a, const PolicySetting **setting)
{
    const PolicySetting *s = admit_global(c->v, a->sec, a->from);
    const void *prog = program(c->v, s);
    *setting = s;
    if (!prog || positive(prog, c->res->ip)) {
        return 1;
    }
    if (!c->host && dns_allowed(c->v, a, prog)) {
        c->res->dns_used = 1;
        if (!c->req->dns_name) {
            add_log(c->res, "Incoming %s on '%s' does not match a numeric pattern, and host "
                    "could not be resolved (err=Name or service not known)", a->what, c->res->ip);
            c->host = "UNKNOWN";
            return 0;
        }
        c->host = c->req->dns_name;
    }
    return positive(prog, c->host ? c->host : "");
}

static const PolicyListener *pick_listener(const PolicyView *v, const AdmitRequest *req,
                                           int *found)
{
    const PolicySetting *bind = admit_global(v, SEC_WEB, "bind to");
    const PolicySetting *dport = admit_global(v, SEC_WEB, "default port");
    char dflt[24];
    snprintf(dflt, sizeof dflt, "%lld", dport ? (long long)dport->num : 19999LL);
    *found = 0;
    if (!bind || bind->vtype != VAL_BIND) {
        *found = 1;   /* no bind list in the policy: Netdata's `*`, every permission */
        return NULL;
    }
    const PolicyListener *best[3] = { NULL, NULL, NULL };
    for (uint32_t i = 0; i < bind->aux_len; i++) {
        const PolicyListener *l = &v->listeners[bind->aux_off + i];
        const char *p = policy_str(v, l->port);
        if (l->proto != PROTO_TCP || (req->local_port && strcmp(*p ? p : dflt,
                                                                req->local_port) != 0)) {
            continue;
        }
        int streams = (l->acl & BIND_STREAMING_BIT) != 0;
        int usable = streams && (req->tls || l->ssl != SSL_FORCE);
        int rank = usable ? 0 : streams ? 1 : 2;
        if (!best[rank]) {
            best[rank] = l;
        }
    }
    for (int r = 0; r < 3; r++) {
        if (best[r]) {
            *found = 1;
            return best[r];
        }
    }
    return NULL;
}

static void refuse(Ctx *c, AdmitCode code)
{
    c->res->code = code;
    c->res->accepted = code == ADMIT_OK;
    c->res->http_status = outcomes[code].status;
    c->res->reply = outcomes[code].reply;
    c->res->tag = outcomes[code].tag;
}

static void access_line(Ctx *c, const char *host, const char *guid)
{
    const AdmitRequest *q = c->req;
    const char *k = q->key && *q->key ? q->key : "-";
    snprintf(c->res->access, sizeof c->res->access,
             "STREAM: <tid> '[%s]:%s' '%s' host '%s' api key '%s' machine guid '%s'", c->res->ip,
             c->port, c->res->tag, host && *host ? host : "-", k, guid && *guid ? guid : "-");
}

#define PREFIX "STREAM [receive from [%s]:%s]: "

/* The web server's part: listener, accept-time ACL, TLS, permissions. 1 when passed. */
static int web_checks(Ctx *c)
{
    const PolicyView *v = c->v;
    AdmitResult *res = c->res;
    const PolicySetting *mode = admit_global(v, SEC_WEB, "mode");
    if (mode && strcmp(policy_str(v, mode->text), "none") == 0) {
        res->setting = mode;
        refuse(c, ADMIT_WEB_DISABLED);
        return 0;
    }
    int found;
    res->listener = pick_listener(v, c->req, &found);
    if (!found) {
        res->setting = admit_global(v, SEC_WEB, "bind to");
        refuse(c, ADMIT_NO_LISTENER);
        return 0;
    }
    static const Acl conn = { SEC_WEB, "allow connections from", "allow connections by dns",
                              "connection" };
    /* web_client_update_acl_matches(), right after accept: every list in this order, sharing
       one DNS answer (the netdata.conf list comes after streaming and cannot matter) */
    static const Acl acls[] = {
        { SEC_WEB, "allow dashboard from", "allow dashboard by dns", "dashboard" },
        { SEC_REGISTRY, "allow from", "allow by dns", "registry" },
        { SEC_WEB, "allow badges from", "allow badges by dns", "badges" },
        { SEC_WEB, "allow management from", "allow management by dns", "management" },
        { SEC_WEB, "allow streaming from", "allow streaming by dns", "streaming" },
    };
    const PolicySetting *s;
    if (!acl_check(c, &conn, &s)) {
        res->setting = s;
        add_log(res, "Permission denied for client '%s', port '%s'", res->ip, c->port);
        refuse(c, ADMIT_CONNECTION_DENIED);
        return 0;
    }
    int streaming = 1;
    for (size_t i = 0; i < sizeof acls / sizeof acls[0]; i++) {
        streaming = acl_check(c, &acls[i], &s);   /* the last one is streaming's */
    }
    const PolicyListener *l = res->listener;
    if (l && l->ssl == SSL_FORCE && !c->req->tls) {
        res->setting = admit_global(v, SEC_WEB, "bind to");
        refuse(c, ADMIT_SSL_FORCED);
        return 0;
    }
    if (l && !(l->acl & BIND_STREAMING_BIT)) {
        res->setting = admit_global(v, SEC_WEB, "bind to");
        refuse(c, ADMIT_PORT_NO_STREAMING);
        return 0;
    }
    if (!streaming) {
        res->setting = s;
        refuse(c, ADMIT_STREAMING_DENIED);
        return 0;
    }
    return 1;
}

/*
** How Netdata reads section NAME in ROLE (0 API key, 1 machine GUID) from policy V, into *O.
** Looked up exactly (case kept) in the role's table, then in the other kind's table; a
** section found there is read with this role's defaults for what it does not write (its
** `type`, `enabled`, `allow from` written in the file still count). Absent: the defaults.
** *O points into V; nothing is allocated.
*/
void admit_section(const PolicyView *v, int role, const char *name, AdmitSection *o)
{
    memset(o, 0, sizeof *o);
    const char *want = role ? "machine" : "api";
    o->type = want;
    o->type_ok = 1;
    o->enabled = role != 0;   /* enabled: API key default no, machine default yes */
    size_t n = name ? strlen(name) : 0;
    const PolicyKey *p = n ? policy_find_key(v, role, name, n) : NULL;
    if (!p && n) {
        p = policy_find_key(v, !role, name, n);
        o->other_table = p != NULL;
    }
    o->p = p;
    if (!p) {
        return;   /* Netdata creates the section in memory with the defaults */
    }
    unsigned sec = (role != 0) != (o->other_table != 0) ? SEC_MACHINE : SEC_API;
    o->type_s = policy_find_setting(v, p, admit_row(sec, "type"));
    o->enabled_s = policy_find_setting(v, p, admit_row(sec, "enabled"));
    o->allow_s = policy_find_setting(v, p, admit_row(sec, "allow from"));
    if (o->other_table) {
        /* what the section does not write reads with this role's defaults (and sticks, §2.8) */
        o->type_s = o->type_s && o->type_s->origin != ORIGIN_DEFAULT ? o->type_s : NULL;
        o->enabled_s = o->enabled_s && o->enabled_s->origin != ORIGIN_DEFAULT ? o->enabled_s
                                                                              : NULL;
        o->allow_s = o->allow_s && o->allow_s->origin != ORIGIN_DEFAULT ? o->allow_s : NULL;
        if (o->enabled_s) {
            o->enabled = o->enabled_s->num != 0;
        }
    } else {
        o->enabled = (p->flags & KEY_ENABLED) != 0;
        o->type_ok = (p->flags & KEY_TYPE_OK) != 0;
    }
    if (o->type_s) {
        const char *t = policy_str(v, o->type_s->text);
        o->type = *t ? t : "unknown";
        o->type_ok = o->other_table ? strcmp(o->type, want) == 0 : o->type_ok;
    }
    o->allow = program(v, o->allow_s);
}

/* The 401 checks on one section: type, enabled, allow from. 1 when passed. */
static int section_checks(Ctx *c, int role, const AdmitSection *s)
{
    AdmitResult *res = c->res;
    const char *name = role ? c->req->machine_guid : c->req->key;
    const char *what = role ? "machine GUID" : "API key";
    res->owner = s->p;
    if (!s->type_ok) {
        res->setting = s->type_s;
        res->type_seen = s->type;
        refuse(c, role ? ADMIT_MACHINE_NOT_MACHINE : ADMIT_KEY_NOT_API);
        add_log(res, PREFIX "%s '%s' is a %s GUID. Forbidding access.", res->ip, c->port, what,
                name, s->type);
        return 0;
    }
    if (!s->enabled) {
        res->setting = s->enabled_s;
        refuse(c, role ? ADMIT_MACHINE_NOT_ENABLED : ADMIT_KEY_NOT_ENABLED);
        add_log(res, PREFIX "%s '%s' is not allowed. Forbidding access.", res->ip, c->port, what,
                name);
        return 0;
    }
    if (s->allow && !positive(s->allow, res->ip)) {
        res->setting = s->allow_s;
        refuse(c, role ? ADMIT_MACHINE_NOT_FROM_IP : ADMIT_KEY_NOT_FROM_IP);
        add_log(res, PREFIX "%s '%s' is not permitted from this IP. Forbidding access.", res->ip,
                c->port, role ? "Machine GUID" : "API key", name);
        return 0;
    }
    res->owner = NULL;
    return 1;
}

/* Netdata creates a looked-up section's `type` in memory with the asking role's default, so a
   GUID keeps the type of the role that first asked for it until the parent restarts. A type
   the policy writes always wins. MEM: what the running parent remembers; *SET: what this
   lookup makes it remember. */
static void sticky(Ctx *c, AdmitSection *s, const char *mem, const char *want, const char **set)
{
    (void)c;
    if (s->type_s && s->type_s->origin != ORIGIN_DEFAULT) {
        return;
    }
    if (mem) {
        s->type = mem;
        s->type_ok = strcmp(mem, want) == 0;
    } else {
        *set = want;
    }
}

/* rrdpush_receiver_thread_spawn(): URL parameters, then the two sections. 1 when passed. */
static int stream_checks(Ctx *c)
{
    const AdmitRequest *q = c->req;
    AdmitResult *res = c->res;
    const char *ip = res->ip;
    static const struct {
        AdmitCode code;
        const char *text;
    } missing[] = {
        { ADMIT_NO_KEY, "request without an API key" },
        { ADMIT_NO_HOSTNAME, "request without a hostname" },
        { ADMIT_NO_MACHINE_GUID, "request without a machine GUID" },
    };
    const char *params[] = { q->key, q->hostname, q->machine_guid };
    for (int i = 0; i < 3; i++) {
        if (!params[i] || !*params[i]) {
            refuse(c, missing[i].code);
            add_log(res, PREFIX "%s. Forbidding access.", ip, c->port, missing[i].text);
            return 0;
        }
    }
    if (!guid_is_valid(q->key, strlen(q->key))) {
        refuse(c, ADMIT_INVALID_KEY);
        add_log(res, "Registry: GUID '%s' is not a valid GUID.", q->key);
        add_log(res, PREFIX "API key '%s' is not valid GUID (use the command uuidgen to generate "
                "one). Forbidding access.", ip, c->port, q->key);
        return 0;
    }
    if (!guid_is_valid(q->machine_guid, strlen(q->machine_guid))) {
        refuse(c, ADMIT_INVALID_MACHINE_GUID);
        add_log(res, "Registry: GUID '%s' is not a valid GUID.", q->machine_guid);
        add_log(res, PREFIX "machine GUID '%s' is not GUID. Forbidding access.", ip, c->port,
                q->machine_guid);
        return 0;
    }
    AdmitSection ks, ms;
    admit_section(c->v, 0, q->key, &ks);
    admit_section(c->v, 1, q->machine_guid, &ms);
    res->key = ks.p;
    res->key_in_machines = ks.other_table;
    res->machine = ms.p;
    res->machine_in_apikeys = ms.other_table;
    sticky(c, &ks, q->key_type_mem, "api", &res->key_type_set);
    if (strcmp(q->key, q->machine_guid) == 0) {
        /* One section read twice: the API-key check stored its `type` (default api) in it, so
           the machine check reads that stored value, not its own default (spec 2.8, 3.1). */
        ms = ks;
        ms.type = ks.type;
        ms.type_ok = strcmp(ms.type, "machine") == 0;
    }
    if (!section_checks(c, 0, &ks)) {
        return 0;
    }
    if (strcmp(q->key, q->machine_guid) != 0) {
        sticky(c, &ms, q->machine_type_mem, "machine", &res->machine_type_set);
    }
    return section_checks(c, 1, &ms);
}

/* Rate limit, existing receiver, own GUID. 1 when accepted. */
static int late_checks(Ctx *c)
{
    const AdmitRequest *q = c->req;
    AdmitResult *res = c->res;
    const PolicySetting *rate = admit_global(c->v, SEC_WEB, "accept a streaming request every seconds");
    if (rate && rate->num > 0) {
        int64_t elapsed = q->rate_elapsed < 0 ? 0 : q->rate_elapsed;   /* timer starts now */
        if (elapsed < rate->num) {
            res->setting = rate;
            refuse(c, ADMIT_TOO_BUSY);
            add_log(res, PREFIX "too busy to accept new streaming request. Will be allowed in "
                    "%lld secs.", res->ip, c->port, (long long)(rate->num - elapsed));
            return 0;
        }
        res->rate_reset = 1;
    }
    const char *old = q->existing_hostname && *q->existing_hostname ? q->existing_hostname
                                                                     : q->hostname;
    if (q->existing_age >= 0) {
        const char *state = q->existing_age > 30 ? "dead (" : "active (within last ";
        add_log(res, "STREAM %s [receive from [%s]:%s]: multiple connections for same host "
                "detected - existing connection is %s%lld sec), %s new connection.", old, res->ip,
                c->port, state, (long long)q->existing_age,
                q->existing_age > 30 ? "accepting" : "rejecting");
        if (q->existing_age <= 30) {
            refuse(c, ADMIT_ALREADY_CONNECTED);
            access_line(c, old, q->machine_guid);
            return 0;
        }
    }
    const PolicyNode *node = c->v->node;
    uint8_t bin[16];
    size_t gn = strlen(q->machine_guid);
    if ((node->flags & NODE_HAS_GUID) && guid_parse(q->machine_guid, gn, bin) == 0 &&
        memcmp(bin, node->machine_guid, 16) == 0 && !guid_has_upper(q->machine_guid, gn)) {
        refuse(c, ADMIT_OWN_GUID);
        add_log(res, "STREAM %s [receive from %s:%s]: denied to receive metrics, machine GUID "
                "[%s] is my own. Did you copy the parent/proxy machine GUID to a child, or is "
                "this an inter-agent loop?", q->hostname, res->ip, c->port, q->machine_guid);
        return 0;
    }
    return 1;
}

/*
** The decision of a Netdata 1.37.1 parent with policy V (verified by policy_view_init) on the
** STREAM request REQ. Runs the checks in Netdata's order and stops at the first refusal; the
** result holds the outcome, Netdata's reply and log texts, and what decided. Its pointers
** refer to V, to REQ's strings or to static text: keep V and REQ alive while using it.
** Never fails, never allocates; safe to call from any thread.
*/
AdmitResult admit_stream(const PolicyView *v, const AdmitRequest *req)
{
    AdmitResult res;
    memset(&res, 0, sizeof res);
    admit_rewrite_ip(req->client_ip, res.ip, sizeof res.ip);
    Ctx c = { v, req, &res, req->client_port ? req->client_port : "<port>", NULL };
    if (!web_checks(&c)) {
        return res;
    }
    if (!stream_checks(&c)) {
        access_line(&c, req->hostname, req->machine_guid);
        return res;
    }
    if (late_checks(&c)) {
        refuse(&c, ADMIT_OK);
        res.setting = NULL;
        res.owner = NULL;
        access_line(&c, req->hostname, req->machine_guid);
    } else if (res.code == ADMIT_OWN_GUID) {
        access_line(&c, req->hostname, req->machine_guid);
    }
    return res;
}

/*
** Whether the web server lets the client of REQ use the HTTP API (Netdata's dashboard ACL):
** the port's `bind to` permissions must include `dashboard` (a unix socket has them all) and
** `[web] allow dashboard from` must admit the client (no DNS: a lookup counts as failed).
*/
int admit_api_allowed(const PolicyView *v, const AdmitRequest *req, int unix_sock)
{
    AdmitResult res;
    memset(&res, 0, sizeof res);
    admit_rewrite_ip(req->client_ip, res.ip, sizeof res.ip);
    Ctx c = { v, req, &res, req->client_port ? req->client_port : "<port>", NULL };
    if (!unix_sock) {
        int found;
        const PolicyListener *l = pick_listener(v, req, &found);
        if (l && !(l->acl & BIND_DASHBOARD_BIT)) {
            return 0;
        }
    }
    static const Acl dash = { SEC_WEB, "allow dashboard from", "allow dashboard by dns",
                              "dashboard" };
    const PolicySetting *s;
    return acl_check(&c, &dash, &s);
}

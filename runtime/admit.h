/*
** admit.h - the decision a Netdata 1.37.1 parent takes on an incoming STREAM request, read
** from a verified policy: accepted, or refused with Netdata's exact reply, HTTP status,
** access-log tag and error-log line. One function serves streamd (every connection),
** `streamc explain` and `streamc fleet`.
**
** The checks run in Netdata's order (config-semantics §3.6, stream-protocol §2.2, §2.2a, §6):
** web server on, a listener on the port, [web] allow connections from (accept time), the
** port's ^SSL=force, the port's streaming permission and [web] allow streaming from, the URL
** parameters, the API-key section (type, enabled, allow from), the machine section (type,
** enabled, allow from), the accept-rate limit, an existing receiver, the parent's own GUID.
** State that only a running parent has (rate timer, existing receivers, DNS answers) comes
** in the request; nothing here allocates, prints, resolves names or reads a clock.
*/
#ifndef STREAMC_ADMIT_H
#define STREAMC_ADMIT_H

#include <stddef.h>
#include <stdint.h>

#include "policy_view.h"

typedef enum {
    ADMIT_OK = 0,
    ADMIT_WEB_DISABLED,          /* [web] mode = none: nothing listens */
    ADMIT_NO_LISTENER,           /* no TCP `bind to` entry on the requested port */
    ADMIT_CONNECTION_DENIED,     /* [web] allow connections from: socket closed at accept */
    ADMIT_SSL_FORCED,            /* ^SSL=force port, plain connection: HTTP 400 */
    ADMIT_PORT_NO_STREAMING,     /* the port's permissions lack `streaming`: HTTP 403 */
    ADMIT_STREAMING_DENIED,      /* [web] allow streaming from: HTTP 403 */
    ADMIT_NO_KEY,                /* the 401 refusals, in Netdata's order */
    ADMIT_NO_HOSTNAME,
    ADMIT_NO_MACHINE_GUID,
    ADMIT_INVALID_KEY,
    ADMIT_INVALID_MACHINE_GUID,
    ADMIT_KEY_NOT_API,
    ADMIT_KEY_NOT_ENABLED,
    ADMIT_KEY_NOT_FROM_IP,
    ADMIT_MACHINE_NOT_MACHINE,
    ADMIT_MACHINE_NOT_ENABLED,
    ADMIT_MACHINE_NOT_FROM_IP,
    ADMIT_TOO_BUSY,              /* accept-rate limit: HTTP 503 */
    ADMIT_ALREADY_CONNECTED,     /* a live receiver for this GUID: HTTP 409 */
    ADMIT_OWN_GUID,              /* the parent's own machine GUID (receiver thread) */
    ADMIT__COUNT
} AdmitCode;

typedef struct AdmitRequest {
    const char *client_ip;       /* as getnameinfo() gives it, before Netdata's rewrite */
    const char *client_port;     /* the peer's port for log lines; NULL prints "<port>" */
    const char *local_port;      /* the port the child connected to; NULL: pick (see admit.c) */
    int tls;                     /* the connection is TLS */
    const char *key;             /* URL parameters after decoding; NULL or "" = absent */
    const char *hostname;
    const char *machine_guid;
    const char *dns_name;        /* the client's name by reverse DNS, confirmed by a forward
                                    lookup ("UNKNOWN" when not confirmed); NULL: the reverse
                                    lookup fails */
    int64_t rate_elapsed;        /* seconds since the rate timer was last reset; < 0: no
                                    request has reached the rate check yet (fresh parent) */
    int64_t existing_age;        /* seconds since this GUID's current receiver last got data;
                                    < 0: no receiver */
    const char *existing_hostname;   /* that receiver's host name (its log line names it) */
    /* Netdata's sticky section types (stream-protocol §2.2a): the type a running parent set in
       memory for the key's / machine GUID's section when an earlier request looked it up in
       the other role; NULL: none. Used only when the policy does not write the type. */
    const char *key_type_mem, *machine_type_mem;
} AdmitRequest;

/* A request for a fresh parent: no receivers, rate timer not started, DNS fails. */
void admit_request_init(AdmitRequest *r);

typedef struct AdmitResult {
    int accepted;
    AdmitCode code;
    int http_status;             /* 0: no HTTP reply at all (connection refused or closed) */
    const char *reply;           /* the exact bytes the parent sends; NULL: none */
    const char *tag;             /* access-log tag ("ACCESS DENIED - NO KEY"), NULL: none */
    char ip[64];                 /* the client IP as Netdata matches and logs it */
    char log[768];               /* exact error-log line(s), '\n'-separated, "" when none */
    char access[512];            /* the access-log line ("STREAM: <tid> ..."), "" when none */
    const PolicyListener *listener;  /* the listener the request came in on, if any */
    const PolicyKey *key;        /* the section named by the API key (any table), or NULL */
    const PolicyKey *machine;    /* the section named by the machine GUID, or NULL */
    int key_in_machines;         /* `key` was found in the machine table (and vice versa) */
    int machine_in_apikeys;
    const PolicyKey *owner;      /* owner of `setting` (NULL: node-wide) */
    const PolicySetting *setting;    /* the deciding setting, NULL when a default or none */
    const char *type_seen;       /* for *_NOT_API / *_NOT_MACHINE: the type Netdata read */
    int dns_used;                /* a reverse lookup was needed for a web-level check */
    int rate_reset;              /* passed the rate check: the caller resets its rate timer */
    /* The types this request set in a running parent's memory (sections whose type the policy
       does not write): remember them for later requests. NULL: nothing to remember. */
    const char *key_type_set, *machine_type_set;
} AdmitResult;

/* Decide on REQ with the policy V (verified). The result is complete in itself: texts point
   into V, REQ's strings or static storage, or sit in the result's own buffers. */
AdmitResult admit_stream(const PolicyView *v, const AdmitRequest *req);

/* 1 when the web server lets REQ's client use the HTTP API: the port's `dashboard` permission
   (not checked for a unix socket) and [web] allow dashboard from. */
int admit_api_allowed(const PolicyView *v, const AdmitRequest *req, int unix_sock);

/* Netdata's client-IP rewrite: 127.0.0.1 and ::1 -> localhost, then ::ffff:a.b.c.d ->
   a.b.c.d. Writes at most CAP bytes (NUL included) to OUT. */
void admit_rewrite_ip(const char *ip, char *out, size_t cap);

/* Row-order index of schema row SEC/NAME (SEC_* from schema_tables.h), or ADMIT_NO_ROW. */
#define ADMIT_NO_ROW 0xFFFFu
unsigned admit_row(unsigned sec, const char *name);
/* The node's global setting SEC/NAME ([stream], netdata.conf), or NULL when not stored. */
const PolicySetting *admit_global(const PolicyView *v, unsigned sec, const char *name);

/* A short, lower-case description of CODE ("API key section is not enabled"). */
const char *admit_code_name(AdmitCode code);

/* The effective view of a GUID section as Netdata reads it in ROLE (0 API key, 1 machine
   GUID): found in either table (a section of the other kind is read with this role's
   defaults for what it does not set), or absent (defaults). */
typedef struct AdmitSection {
    const PolicyKey *p;          /* NULL: no such section */
    int other_table;             /* P comes from the other kind's table */
    const char *type;            /* the type Netdata reads ("unknown" for an empty value) */
    int type_ok;
    int enabled;
    const void *allow;           /* program of `allow from`; NULL: no restriction */
    const PolicySetting *type_s, *enabled_s, *allow_s;   /* NULL: built-in default */
} AdmitSection;

void admit_section(const PolicyView *v, int role, const char *name, AdmitSection *out);

#endif

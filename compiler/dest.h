/*
** dest.h - parse Netdata v1.37.1 address lists the way the agent does: the stream.conf
** `destination` / `proxy destination` lists (connect side) and the netdata.conf `[web] bind to`
** list (listen side).
**
** Every result is a view into the caller's bytes; nothing is allocated, nothing is resolved
** (no DNS, no interface or service look-ups), nothing is printed. The parsers never fail, because
** Netdata never rejects a list: whatever looks wrong is reported by the *_problem() helpers as a
** short reason fragment for the linter. Input is read only within [s, s + n). Netdata keeps
** these values as C strings, so a NUL byte ends the list there, and the bytes after it are
** ignored here too.
*/
#ifndef STREAMC_DEST_H
#define STREAMC_DEST_H

#include <stddef.h>

#define DEST_MAX_ENTRIES 64     /* entries kept in DestList.e / BindList.e; `total` counts all */

/* One destination entry, views into the caller's string (no allocation). Empty views point
   inside the entry (never NULL), so they may be passed to memcmp. */
typedef enum { DEST_TCP, DEST_UDP, DEST_UNIX } DestProto;
typedef struct DestEntry {
    DestProto proto;
    const char *z; size_t n;          /* the whole entry text as written (after list splitting) */
    const char *host; size_t host_n;  /* host (without [ ]) or unix path */
    const char *iface; size_t iface_n;/* after %, 0 length if none */
    const char *port; size_t port_n;  /* text after the port colon; 0 length = default port */
    int bracketed;                    /* host was written as [v6] */
    int ignored_n;                    /* bytes silently ignored after ']' (see below) */
    size_t off;                       /* byte offset of the entry inside the list string */
} DestEntry;
/* ignored_n: v1.37.1 only looks at the byte right after ']'. When it is neither '%' nor ':',
   everything from there to the end of the entry is ignored, including a later ':PORT' (the
   default port is used). So `[::1]junk:19999` has host `::1`, no port, ignored_n = 10. */

typedef struct DestList {
    int tls;              /* 1 when the list (a [stream] destination) contained ':SSL' */
    size_t ssl_off;       /* offset of the first ':SSL' when tls, else 0 */
    size_t cut_n;         /* length of the string Netdata keeps (whole length if no :SSL) */
    size_t n;             /* entries parsed from the kept part */
    DestEntry e[64];      /* first 64 entries; `total` counts all */
    size_t total;
} DestList;

/* [stream] destination vs proxy destination */
typedef enum { DEST_STREAM = 0, DEST_PROXY = 1 } DestFlavor;

/* Split and parse a destination list. Never fails: Netdata never rejects a list; problems are
   findings. s may be NULL when n is 0. */
void dest_parse_list(const char *s, size_t n, DestFlavor flavor, DestList *out);

/* A problem with one entry, for the linter: NULL when fine, else a short reason fragment
   (lower case, no final period). A fragment that quotes user text lives in a per-thread buffer
   that the next dest_entry_problem() or bind_entry_problem() call in the same thread reuses. */
const char *dest_entry_problem(const DestEntry *e);

/* [web] bind to */
enum { BIND_DASHBOARD = 1, BIND_REGISTRY = 2, BIND_BADGES = 4, BIND_MANAGEMENT = 8,
       BIND_STREAMING = 16, BIND_NETDATA_CONF = 32, BIND_ALL = 63 };
typedef enum { BIND_SSL_DEFAULT, BIND_SSL_OPTIONAL, BIND_SSL_FORCE } BindSsl;
typedef struct BindEntry {
    DestProto proto; const char *z; size_t n; size_t off;
    const char *host; size_t host_n; int wildcard; int bracketed;
    const char *iface; size_t iface_n; const char *port; size_t port_n;
    unsigned acl;            /* BIND_* bits */
    BindSsl ssl;
    int has_eq;              /* an '=' list was given */
    /* first ACL name that is not one of the six (Netdata ignores it); NULL when none */
    const char *bad_acl; size_t bad_acl_n;
} BindEntry;
typedef struct BindList { size_t n, total; BindEntry e[64]; } BindList;

/* Split and parse a `bind to` list (same splitting as destinations; no ':SSL' handling).
   Never fails. s may be NULL when n is 0. */
void bind_parse_list(const char *s, size_t n, BindList *out);

/* Like dest_entry_problem(), for one `bind to` entry (same buffer rules). */
const char *bind_entry_problem(const BindEntry *e);

#endif

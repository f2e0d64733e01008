/*
** sender_dest.h - one sender's destination list as Netdata 1.37.1 keeps it
** (config-semantics §6.4): entries in list order, each with its own "postponed until" time and
** last error; a pass walks the list from the start and skips postponed entries; the entry that
** accepted the TCP connection moves to the end, so the next pass starts with the one after it.
** Plus the address resolution of one entry (getaddrinfo, %interface scope, unix paths).
*/
#ifndef STREAMC_SENDER_DEST_H
#define STREAMC_SENDER_DEST_H

#include <stddef.h>
#include <stdint.h>
#include <netdb.h>
#include <sys/socket.h>

#include "policy_view.h"

typedef struct SenderDest {
    char *text;                  /* the entry as written (log lines, connected_to) */
    int proto;                   /* 0 tcp, 1 udp, 2 unix */
    char *host, *iface, *port;   /* port "" = default port */
    int64_t postpone_until;      /* wall-clock seconds; 0: not postponed */
    const char *last_error;      /* static text of the last handshake error */
    int last_code;
} SenderDest;

typedef struct SenderDests {
    SenderDest *e;               /* in the current order */
    size_t n;
} SenderDests;

/* Copy N parsed entries from the policy. 0 ok, -1 out of memory (nothing kept). */
int sender_dests_init(SenderDests *d, const PolicyView *v, const PolicyDest *pd, uint32_t n);
void sender_dests_free(SenderDests *d);

/* Move entry I to the end of the list (it accepted a connection). */
void sender_dests_rotate(SenderDests *d, size_t i);

/* One resolved address. */
typedef struct SenderAddr {
    struct sockaddr_storage sa;
    socklen_t len;
    int family, socktype;
} SenderAddr;

#define SENDER_MAX_ADDRS 16

/* Resolve entry E (port: E's or DEFAULT_PORT) into at most SENDER_MAX_ADDRS addresses, in
   getaddrinfo's order. Returns how many (>= 1), or -1 with WHY filled. */
int sender_dest_resolve(const SenderDest *e, long default_port, SenderAddr *out, char *why,
                        size_t cap);

/* The same without blocking: address literals and unix paths are answered at once; a name
   goes to glibc's resolver thread (getaddrinfo_a), so a slow DNS server never stalls the
   loop. Start: > 0 addresses in OUT (*L NULL), -1 refused/failed (WHY), 0 under way (*L set;
   poll it). */
typedef struct SenderLookup {
    struct gaicb cb;
    struct addrinfo hints;
    char *host;
    char port[64];
    struct SenderLookup *next;   /* the loop's list of lookups that could not be cancelled */
} SenderLookup;

int sender_lookup_start(SenderLookup **l, const SenderDest *e, long default_port,
                        SenderAddr *out, char *why, size_t cap);
/* 0 still running, > 0 addresses in OUT, -1 failed (WHY). Call sender_lookup_free after. */
int sender_lookup_poll(SenderLookup *l, const SenderDest *e, SenderAddr *out, char *why,
                       size_t cap);
/* Cancel and free: 1 done, 0 the lookup is still running and cannot be cancelled (keep it and
   call again later). NULL: 1. */
int sender_lookup_free(SenderLookup *l);

#endif

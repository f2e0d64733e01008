/*
** sender_dest.c - destination list and resolution for the sender (sender_dest.h).
*/
#include "sender_dest.h"

#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

static void dest_free(SenderDest *e)
{
    free(e->text);
    free(e->host);
    free(e->iface);
    free(e->port);
}

int sender_dests_init(SenderDests *d, const PolicyView *v, const PolicyDest *pd, uint32_t n)
{
    memset(d, 0, sizeof *d);
    if (n == 0) {
        return 0;
    }
    d->e = calloc(n, sizeof *d->e);
    if (!d->e) {
        return -1;
    }
    for (uint32_t i = 0; i < n; i++) {
        SenderDest *e = &d->e[i];
        e->proto = (int)pd[i].proto;
        e->text = strdup(policy_str(v, pd[i].entry));
        e->host = strdup(policy_str(v, pd[i].host));
        e->iface = strdup(policy_str(v, pd[i].iface));
        e->port = strdup(policy_str(v, pd[i].port));
        d->n = i + 1;
        if (!e->text || !e->host || !e->iface || !e->port) {
            sender_dests_free(d);
            return -1;
        }
    }
    return 0;
}

void sender_dests_free(SenderDests *d)
{
    for (size_t i = 0; i < d->n; i++) {
        dest_free(&d->e[i]);
    }
    free(d->e);
    d->e = NULL;
    d->n = 0;
}

void sender_dests_rotate(SenderDests *d, size_t i)
{
    if (i >= d->n || i == d->n - 1) {   /* not i + 1 >= n: that wraps for i = SIZE_MAX */
        return;
    }
    SenderDest keep = d->e[i];
    memmove(&d->e[i], &d->e[i + 1], (d->n - i - 1) * sizeof *d->e);
    d->e[d->n - 1] = keep;
}

/* The entry's port text, or DEFAULT_PORT. */
static void port_text(const SenderDest *e, long default_port, char *port, size_t cap)
{
    if (*e->port) {
        snprintf(port, cap, "%s", e->port);
    } else {
        snprintf(port, cap, "%ld", default_port);
    }
}

/* Unix paths, udp and empty hosts need no lookup: 1 (unix, one address), -1 (refused), 0 (a
   TCP host to look up). */
static int no_lookup(const SenderDest *e, SenderAddr *out, char *why, size_t cap)
{
    if (e->proto == 2) {
        struct sockaddr_un *un = (struct sockaddr_un *)&out[0].sa;
        memset(out, 0, sizeof *out);
        if (strlen(e->host) >= sizeof un->sun_path) {
            snprintf(why, cap, "unix socket path is too long");
            return -1;
        }
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, e->host);
        out[0].len = (socklen_t)sizeof *un;
        out[0].family = AF_UNIX;
        out[0].socktype = SOCK_STREAM;
        return 1;
    }
    if (e->proto == 1) {
        snprintf(why, cap, "udp destinations cannot carry a stream (a parent only listens on "
                 "TCP and unix sockets)");
        return -1;
    }
    if (!*e->host) {
        snprintf(why, cap, "destination does not specify a host");
        return -1;
    }
    return 0;
}

/* getaddrinfo's answer RES (RC) for E into OUT: how many, or -1 with WHY. Frees RES. */
static int collect(const SenderDest *e, const char *port, int rc, struct addrinfo *res,
                   SenderAddr *out, char *why, size_t cap)
{
    if (rc != 0) {
        snprintf(why, cap, "cannot resolve host '%s', port '%s': %s", e->host, port,
                 gai_strerror(rc));
        return -1;
    }
    unsigned scope = *e->iface ? if_nametoindex(e->iface) : 0;
    int n = 0;
    for (struct addrinfo *a = res; a && n < SENDER_MAX_ADDRS; a = a->ai_next) {
        if (a->ai_addrlen > sizeof out[n].sa) {
            continue;
        }
        memset(&out[n], 0, sizeof out[n]);
        memcpy(&out[n].sa, a->ai_addr, a->ai_addrlen);
        out[n].len = a->ai_addrlen;
        out[n].family = a->ai_family;
        out[n].socktype = a->ai_socktype;
        if (a->ai_family == AF_INET6 && scope) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out[n].sa;
            if (!s6->sin6_scope_id) {
                s6->sin6_scope_id = scope;   /* used only when the address has none */
            }
        }
        n++;
    }
    freeaddrinfo(res);
    if (n == 0) {
        snprintf(why, cap, "host '%s' has no usable address", e->host);
        return -1;
    }
    return n;
}

static void tcp_hints(struct addrinfo *h, int flags)
{
    memset(h, 0, sizeof *h);
    h->ai_family = AF_UNSPEC;
    h->ai_socktype = SOCK_STREAM;
    h->ai_protocol = IPPROTO_TCP;
    h->ai_flags = flags;
}

int sender_dest_resolve(const SenderDest *e, long default_port, SenderAddr *out, char *why,
                        size_t cap)
{
    int k = no_lookup(e, out, why, cap);
    if (k != 0) {
        return k;
    }
    char port[64];
    port_text(e, default_port, port, sizeof port);
    struct addrinfo hints, *res = NULL;
    tcp_hints(&hints, 0);
    int rc = getaddrinfo(e->host, port, &hints, &res);
    return collect(e, port, rc, res, out, why, cap);
}

/* ---- without blocking the loop -------------------------------------------------------------- */

int sender_lookup_start(SenderLookup **lp, const SenderDest *e, long default_port,
                        SenderAddr *out, char *why, size_t cap)
{
    *lp = NULL;
    int k = no_lookup(e, out, why, cap);
    if (k != 0) {
        return k;
    }
    char port[64];
    port_text(e, default_port, port, sizeof port);
    /* an address literal needs no name service: answered here (a service name in the port
       comes from /etc/services) */
    struct addrinfo hints, *res = NULL;
    tcp_hints(&hints, AI_NUMERICHOST);
    int rc = getaddrinfo(e->host, port, &hints, &res);
    if (rc != EAI_NONAME) {
        return collect(e, port, rc, res, out, why, cap);
    }
    SenderLookup *l = calloc(1, sizeof *l);
    if (!l || !(l->host = strdup(e->host))) {
        free(l);
        snprintf(why, cap, "out of memory");
        return -1;
    }
    snprintf(l->port, sizeof l->port, "%s", port);
    tcp_hints(&l->hints, 0);
    l->cb.ar_name = l->host;
    l->cb.ar_service = l->port;
    l->cb.ar_request = &l->hints;
    struct gaicb *list[1] = { &l->cb };
    rc = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
    if (rc != 0) {
        snprintf(why, cap, "cannot resolve host '%s': %s", e->host, gai_strerror(rc));
        free(l->host);
        free(l);
        return -1;
    }
    *lp = l;
    return 0;
}

int sender_lookup_poll(SenderLookup *l, const SenderDest *e, SenderAddr *out, char *why,
                       size_t cap)
{
    int rc = gai_error(&l->cb);
    if (rc == EAI_INPROGRESS) {
        return 0;
    }
    int n = collect(e, l->port, rc, rc == 0 ? l->cb.ar_result : NULL, out, why, cap);
    l->cb.ar_result = NULL;
    return n;
}

int sender_lookup_free(SenderLookup *l)
{
    if (!l) {
        return 1;
    }
    if (gai_error(&l->cb) == EAI_INPROGRESS && gai_cancel(&l->cb) != EAI_CANCELED) {
        return 0;                 /* still running in glibc's thread: the caller keeps it */
    }
    if (l->cb.ar_result) {
        freeaddrinfo(l->cb.ar_result);
    }
    free(l->host);
    free(l);
    return 1;
}

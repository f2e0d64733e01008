/*
** sender_dest.c - destination list and resolution for the sender (sender_dest.h).
*/
#include "sender_dest.h"

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

int sender_dest_resolve(const SenderDest *e, long default_port, SenderAddr *out, char *why,
                        size_t cap)
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
    char port[64];
    if (*e->port) {
        snprintf(port, sizeof port, "%s", e->port);
    } else {
        snprintf(port, sizeof port, "%ld", default_port);
    }
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_protocol = IPPROTO_TCP;
    int rc = getaddrinfo(e->host, port, &hints, &res);
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

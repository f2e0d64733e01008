/*
** net_listen.c - open the listeners of the policy's [web] bind to (config-semantics §4.3):
** tcp host:port (a wildcard host opens separate IPv4 and IPv6-only sockets, a name listens
** on every address it resolves to), unix:PATH (the old file removed, mode 0777), udp entries
** are logged and skipped (nothing streams over UDP). No bind list means Netdata's `*` on the
** default port; [web] mode = none means no listener at all.
*/
#include "net_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "admit.h"
#include "log.h"
#include "schema_tables.h"

enum { PROTO_TCP = 0, PROTO_UDP = 1, PROTO_UNIX = 2 };   /* compiler/dest.h values */

static int add(Net *n, int fd, const PolicyListener *pl, const char *port, int unix_sock,
               const char *what)
{
    if (n->nlisteners == NET_MAX_LISTENERS) {
        close(fd);
        log_line(LOG_ERR, "LISTENER: too many listeners, %s skipped", what);
        return -1;
    }
    Listener *l = &n->listeners[n->nlisteners++];
    l->fd = fd;
    l->pl = pl;
    l->unix_sock = unix_sock;
    snprintf(l->port, sizeof l->port, "%s", port);
    snprintf(l->what, sizeof l->what, "%s", what);
    log_line(LOG_INFO, "LISTENER: listening on %s", what);
    return 0;
}

static int open_unix(Net *n, const PolicyListener *pl, const char *path, int backlog)
{
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof sa);
    sa.sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sa.sun_path) {
        log_line(LOG_ERR, "LISTENER: unix socket path too long: %s", path);
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -1;
    }
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, backlog) != 0) {
        log_line(LOG_ERR, "LISTENER: cannot listen on unix:%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    chmod(path, 0777);
    char what[300];
    snprintf(what, sizeof what, "unix:%s", path);
    return add(n, fd, pl, "", 1, what);
}

static int open_tcp(Net *n, const PolicyListener *pl, const char *host, const char *port,
                    int backlog)
{
    int wildcard = !*host || host[0] == '*' || strcmp(host, "any") == 0 ||
                   strcmp(host, "all") == 0;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int rc = getaddrinfo(wildcard ? NULL : host, port, &hints, &res);
    if (rc != 0) {
        log_line(LOG_ERR, "LISTENER: cannot resolve '%s' port '%s': %s", host, port,
                 gai_strerror(rc));
        return -1;
    }
    int opened = 0;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) {
            continue;
        }
        int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (ai->ai_family == AF_INET6) {
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        }
        char ahost[NI_MAXHOST], aport[NI_MAXSERV], what[300];
        getnameinfo(ai->ai_addr, ai->ai_addrlen, ahost, sizeof ahost, aport, sizeof aport,
                    NI_NUMERICHOST | NI_NUMERICSERV);
        snprintf(what, sizeof what, ai->ai_family == AF_INET6 ? "[%s]:%s" : "%s:%s", ahost,
                 aport);
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, backlog) != 0) {
            log_line(LOG_ERR, "LISTENER: cannot listen on %s: %s", what, strerror(errno));
            close(fd);
            continue;
        }
        if (add(n, fd, pl, port, 0, what) == 0) {
            opened++;
        }
    }
    freeaddrinfo(res);
    return opened ? 0 : -1;
}

int net_open_listeners(Net *n)
{
    const PolicyView *v = n->sd->v;
    const PolicySetting *mode = admit_global(v, SEC_WEB, "mode");
    if (mode && strcmp(policy_str(v, mode->text), "none") == 0) {
        log_line(LOG_INFO, "LISTENER: [web] mode = none: no listener (nothing can stream in)");
        return 0;
    }
    const PolicySetting *dport = admit_global(v, SEC_WEB, "default port");
    const PolicySetting *bl = admit_global(v, SEC_WEB, "listen backlog");
    int backlog = bl && bl->num > 0 && bl->num < 65536 ? (int)bl->num : 4096;
    char dflt[24];
    snprintf(dflt, sizeof dflt, "%lld", dport ? (long long)dport->num : 19999LL);
    const PolicySetting *bind = admit_global(v, SEC_WEB, "bind to");
    int configured = 0;
    if (!bind || bind->vtype != VAL_BIND) {
        configured = 1;
        open_tcp(n, NULL, "*", dflt, backlog);
    } else {
        for (uint32_t i = 0; i < bind->aux_len; i++) {
            const PolicyListener *pl = &v->listeners[bind->aux_off + i];
            const char *host = policy_str(v, pl->host), *port = policy_str(v, pl->port);
            configured++;
            if (pl->proto == PROTO_UNIX) {
                open_unix(n, pl, host, backlog);
            } else if (pl->proto == PROTO_UDP) {
                log_line(LOG_ERR, "LISTENER: udp:%s:%s skipped: streaming and the API need TCP",
                         host, *port ? port : dflt);
            } else {
                open_tcp(n, pl, host, *port ? port : dflt, backlog);
            }
        }
    }
    return configured && n->nlisteners == 0 ? -1 : 0;
}

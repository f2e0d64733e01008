/*
** net.h - streamd's sockets: the listeners of the policy's [web] bind to, and event loops
** (one epoll per thread, no thread per connection) that carry each connection from accept
** through TLS detection, the first request (STREAM handshake or an HTTP API call) and, for
** an accepted stream, the command stream until it ends.
*/
#ifndef STREAMC_NET_H
#define STREAMC_NET_H

#include "streamd.h"

typedef struct Net Net;

/* Open every listener of the policy. NULL with *WHY (static text) when none could be opened
   while some were configured; a policy with [web] mode = none gets a Net without listeners. */
Net *net_open(Streamd *sd, char *why, size_t whycap);
/* Run SD->threads loops until net_stop(); returns when every loop has finished. */
int net_start(Net *n);
void net_stop(Net *n);       /* async-signal-safe: writes the loops' wake-up eventfds */
void net_join(Net *n);
void net_free(Net *n);
/* Listeners opened (for the start-up log and tests). */
int net_listener_count(const Net *n);

#endif

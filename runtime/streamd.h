/*
** streamd.h - the state one streamd process shares between its event loops: the verified
** policy, the hosts it receives, the TLS context, and the parent-wide admission state
** Netdata keeps (the accept-rate timer, the access-log request counter).
*/
#ifndef STREAMC_STREAMD_H
#define STREAMC_STREAMD_H

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdint.h>

#include "policy.h"
#include "rrd.h"
#include "sticky.h"

typedef struct Streamd {
    Policy policy;
    const PolicyView *v;
    RrdDb *db;
    SSL_CTX *tls;                /* NULL: no certificate configured (plain only) */
    const char *data_dir;
    pthread_mutex_t rate_mu;
    int64_t rate_last;           /* when the accept-rate timer was last reset; -1: not started */
    StickyTable sticky;          /* remembered section types; under db->lock */
    unsigned long requests;      /* access-log request number (atomic) */
    struct SenderLoop *senders;  /* the upstream senders (own host, proxied children) */
    int threads;
    volatile int stop;
} Streamd;

#endif

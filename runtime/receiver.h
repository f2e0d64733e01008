/*
** receiver.h - the parent side of one streaming connection: the STREAM handshake (admission
** by admit_stream() with the live state only a running parent has, the host attached or
** created with the settings the policy gives that child, the prompt for the capabilities we
** implement), then the command stream applied to the host, then the detach.
** Socket-free: net.c moves the bytes.
*/
#ifndef STREAMC_RECEIVER_H
#define STREAMC_RECEIVER_H

#include <stddef.h>
#include <stdint.h>

#include "http_req.h"
#include "ingest.h"
#include "stream_lz4.h"
#include "streamd.h"
#include "wire.h"

#define RECEIVER_OUT_MAX (1u << 20)   /* lines queued for a child that does not read them */

typedef struct ConnPeer {
    char ip[64];                 /* numeric, as getnameinfo gives it ("localhost" for unix) */
    char port[16];
    const char *local_port;      /* the listener's port text (admission picks the listener) */
    int tls;
    int unix_sock;
} ConnPeer;

typedef struct Receiver {
    RrdHost *host;
    uint64_t gen;                /* host->receiver_gen when we attached */
    Ingest in;
    WireReader rd;
    StreamLz4Decoder *lz4;       /* COMPRESSION negotiated: every byte goes through it */
    Sbuf out;                    /* lines for the child (REPLAY_CHART), sent from OUT_OFF on */
    size_t out_off;
    ConnPeer peer;
    char ip[64];                 /* the client as Netdata logs it (after the localhost rewrite) */
    char peer_text[96];          /* "ip:port" */
} Receiver;

/* Decide on the STREAM request REQ from PEER. Writes the bytes to send into REPLY (at most CAP;
   *LEN may be 0: close without a word). Returns 1 when accepted (R is attached and ready), 0
   when refused. Logs what Netdata logs. */
int receiver_handshake(Streamd *sd, const HttpRequest *req, const ConnPeer *peer, Receiver *r,
                       char *reply, size_t cap, size_t *len);

/* Apply every complete line in R->rd. 0: go on; -1: the session ends (logged). */
int receiver_process(Streamd *sd, Receiver *r);

/* 1 when a newer receiver took over this host (we must close). */
int receiver_replaced(const Receiver *r);

/* The connection ended; WHY is Netdata's log text for it (NULL: none). Frees R's buffers. */
void receiver_detach(Streamd *sd, Receiver *r, const char *why);

/* Seconds since the epoch. */
int64_t receiver_now_s(void);

#endif

/*
** loadgen.h - what the modules of bench/loadgen share: the options, the stop flag and clock
** (loadgen.c), the child side of the protocol (loadgen_proto.c) and the startup mode
** (loadgen_startup.c). Not an API: loadgen is one standalone program (libc + pthreads).
*/
#ifndef STREAMC_LOADGEN_H
#define STREAMC_LOADGEN_H

#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "growbuf.h"

#define LOADGEN_PROMPT "Hit me baby, push them over"

typedef struct Opts {
    struct sockaddr_in addr;
    const char *key;
    unsigned children, charts, dims;
    double seconds, hold, timeout, stop_timeout, drain_timeout;
    const char *out;
    char **cmd;
    uint32_t run;                  /* per-invocation GUID prefix: reruns never collide */
} Opts;

/* loadgen.c */
extern volatile sig_atomic_t loadgen_stop;     /* set by SIGTERM/SIGINT: every mode winds down */
double loadgen_now(void);                      /* CLOCK_MONOTONIC seconds */
void loadgen_sleep(double s);

/* loadgen_proto.c */
size_t loadgen_request(const Opts *o, unsigned i, char *out, size_t cap);
void loadgen_define_charts(GrowBuf *b, unsigned charts, unsigned dims);
void loadgen_block(GrowBuf *b, unsigned c, unsigned dims, uint64_t it);
int loadgen_send_all(int fd, const char *p, size_t n);
int loadgen_open_child(const Opts *o, unsigned i, char *why, size_t whylen);

/* loadgen_startup.c */
int loadgen_startup(const Opts *o);

#endif

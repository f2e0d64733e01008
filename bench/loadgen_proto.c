/*
** loadgen_proto.c - the child side of the Netdata 1.37.1 streaming protocol as loadgen speaks
** it (/work/shared/spec/stream-protocol.md sections 2.1, 3.2 and 9.2): the STREAM request with
** ver=64 (no compression, no replication), connecting and reading the prompt, CHART/DIMENSION
** definitions and BEGIN/SET/END blocks.
**
** Does not: parse anything the parent sends after the prompt (the modes read and discard it),
** or decide when to send; loadgen.c and loadgen_startup.c drive these.
*/
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "loadgen.h"

#define IO_TIMEOUT_S 30

/* chart ids "lg.c00042", dimension ids "d007": fixed shapes, all [A-Za-z0-9_.]; the option
   limits (charts <= 100000, dims <= 1000) keep every index within its digits */
static void put_chart_id(GrowBuf *b, unsigned c)
{
    growbuf_str(b, "lg.c");
    growbuf_pad(b, c, 5);
}

static void put_dim_id(GrowBuf *b, unsigned d)
{
    growbuf_str(b, "d");
    growbuf_pad(b, d, 3);
}

static void make_guid(uint32_t run, unsigned i, char out[37])
{
    snprintf(out, 37, "%08x-%04x-4%03x-8%03x-%012x", (unsigned)run, (i >> 16) & 0xffffu,
             (i >> 4) & 0xfffu, i & 0xfu, i * 2654435761u);
}

/*
** The STREAM request of child I (its own GUID and hostname under o->run) into OUT[CAP].
** Returns its length, or 0 when it does not fit.
*/
size_t loadgen_request(const Opts *o, unsigned i, char *out, size_t cap)
{
    char guid[37];
    make_guid(o->run, i, guid);
    int n = snprintf(out, cap,
                     "STREAM key=%s&hostname=lg-%08x-%u&registry_hostname=lg-%08x-%u"
                     "&machine_guid=%s&update_every=1&os=linux&timezone=UTC"
                     "&abbrev_timezone=UTC&utc_offset=0&hops=1&ml_capable=0&ml_enabled=0"
                     "&mc_version=0&ver=64&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\n"
                     "User-Agent: loadgen/1\r\nAccept: */*\r\n\r\n",
                     o->key, (unsigned)o->run, i, (unsigned)o->run, i, guid);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

/*
** Append the CHART and DIMENSION lines of CHARTS charts of DIMS dimensions each to B.
*/
void loadgen_define_charts(GrowBuf *b, unsigned charts, unsigned dims)
{
    for (unsigned c = 0; c < charts; c++) {
        growbuf_str(b, "CHART \"");
        put_chart_id(b, c);
        growbuf_str(b, "\" \"\" \"loadgen chart\" \"units\" \"loadgen\" \"");
        put_chart_id(b, c);
        growbuf_str(b, "\" \"line\" ");
        growbuf_u64(b, 1000 + c);
        growbuf_str(b, " 1 \"\" \"loadgen\" \"lg\"\n");
        for (unsigned d = 0; d < dims; d++) {
            growbuf_str(b, "DIMENSION \"");
            put_dim_id(b, d);
            growbuf_str(b, "\" \"");
            put_dim_id(b, d);
            growbuf_str(b, "\" \"absolute\" 1 1 \"\"\n");
        }
    }
}

/*
** Append one BEGIN/SET.../END block of chart C at iteration IT to B. BEGIN carries 1000000 us,
** so the parent stores one point per dimension per block; values never start with 0 (octal).
*/
void loadgen_block(GrowBuf *b, unsigned c, unsigned dims, uint64_t it)
{
    growbuf_str(b, "BEGIN \"");
    put_chart_id(b, c);
    growbuf_str(b, "\" 1000000\n");
    for (unsigned d = 0; d < dims; d++) {
        growbuf_str(b, "SET \"");
        put_dim_id(b, d);
        growbuf_str(b, "\" = ");
        growbuf_u64(b, 1000000 + (it * 7919 + c * 131 + d * 17) % 1000000);
        growbuf_put(b, "\n", 1);
    }
    growbuf_str(b, "END\n");
}

/*
** Send all N bytes at P on the socket FD (blocking; no SIGPIPE). 0, or -1 with errno set.
*/
int loadgen_send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void set_timeouts(int fd, double s)
{
    struct timeval tv = { (time_t)s, (suseconds_t)((s - (double)(time_t)s) * 1e6) };
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
}

/*
** Connect child I to o->addr, send its request, read the prompt. Returns the blocking socket
** (send/receive timeouts of IO_TIMEOUT_S; the caller closes it), or -1 with WHY set.
*/
int loadgen_open_child(const Opts *o, unsigned i, char *why, size_t whylen)
{
    char req[1024], rep[512];
    size_t n = loadgen_request(o, i, req, sizeof req);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(why, whylen, "socket: %s", strerror(errno));
        return -1;
    }
    set_timeouts(fd, IO_TIMEOUT_S);
    if (connect(fd, (const struct sockaddr *)&o->addr, sizeof o->addr) != 0) {
        snprintf(why, whylen, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (!n || loadgen_send_all(fd, req, n) != 0) {
        snprintf(why, whylen, "send request: %s", strerror(errno));
        close(fd);
        return -1;
    }
    /* the parent sends the prompt in one write with no terminator; allow it to trickle */
    size_t got = 0;
    while (got < sizeof LOADGEN_PROMPT - 1) {
        ssize_t r = recv(fd, rep + got, sizeof rep - 1 - got, 0);
        if (r <= 0) {
            if (r < 0 && errno == EINTR) {
                continue;
            }
            rep[got] = 0;
            snprintf(why, whylen, "no prompt (%.40s) after '%.100s'",
                     r == 0 ? "closed" : strerror(errno), rep);
            close(fd);
            return -1;
        }
        got += (size_t)r;
        if (memcmp(rep, LOADGEN_PROMPT, got < sizeof LOADGEN_PROMPT - 1 ? got :
                   sizeof LOADGEN_PROMPT - 1) != 0) {
            break;
        }
    }
    rep[got] = 0;
    if (strncmp(rep, LOADGEN_PROMPT, sizeof LOADGEN_PROMPT - 1) != 0) {
        snprintf(why, whylen, "refused: '%.150s'", rep);
        close(fd);
        return -1;
    }
    return fd;
}

/*
** http_req.h - the first request on a streamd connection, read the way Netdata 1.37.1's web
** server reads it: framing (complete only at "\r\n\r\n", at most 16383 bytes in the first read),
** the method ("STREAM ", "GET " or "OPTIONS ", exactly), the query URL-decoded as a whole and
** then split on '&' and the first '=' (url_decode_r's quirks included: '+' -> space, an invalid
** escape such as "%zz" still decodes to some byte, an escape that yields a non-printable byte or
** broken UTF-8 is a 400), the headers Netdata looks at (Connection, User-Agent, Host, Origin,
** Accept-Encoding), and Netdata-identical response headers and error pages.
**
** Files: http_req.c reads the request (framing, method, headers, URL, parameters); http_resp.c
** writes the response headers and error pages.
**
** Pure: no I/O, no allocation, no clock except the Date header when HttpResp.now is 0.
** Everything decoded lives in HttpRequest.scratch; every pointer in a parsed request points into
** scratch or at a static string, so an HttpRequest may outlive the receive buffer.
**
** Does not: decide admission (runtime/admit.c), negotiate capabilities (stream_caps.c), route
** API paths (http_api.c), or touch sockets (net*).
*/
#ifndef STREAMC_HTTP_REQ_H
#define STREAMC_HTTP_REQ_H

#include <stddef.h>

#define HTTP_MAX_REQUEST 16384      /* Netdata's NETDATA_WEB_REQUEST_MAX_SIZE */
#define HTTP_URL_SIZE 8192          /* Netdata's NETDATA_WEB_REQUEST_URL_SIZE (decoded URL) */
#define HTTP_MAX_PARAMS 64
#define HTTP_MAX_UNUSED 16

/* The two 400 bodies of Netdata 1.37.1 (stream-protocol §2.2a). */
#define HTTP_BODY_NOT_UNDERSTOOD "I don't understand you...\r\n"
#define HTTP_BODY_URL_INVALID "URL not valid. I don't understand you...\r\n"

/* Length of the header block (through "\r\n\r\n") in BUF[0..n), 0 when incomplete, -1 when it
   cannot complete within HTTP_MAX_REQUEST. Netdata's first read takes at most
   HTTP_MAX_REQUEST - 1 bytes, so that is the longest header block it parses; a longer request is
   echoed back and the socket reset, no page (lab): on -1 close without a reply. */
long http_req_header_len(const char *buf, size_t n);

/* Nonzero when the bytes received so far already get Netdata's 400 "I don't understand you"
   page, before the request is complete: Netdata checks the method ("GET ", "OPTIONS ", "STREAM "
   exactly) on every read, so "G" alone or "stream " is refused at once. 0 when N is 0. */
int http_req_early_bad(const char *buf, size_t n);

/* HTTP_M_OPTIONS: Netdata answers "OK" (200) with CORS headers, see HttpResp.options_reply. */
typedef enum { HTTP_M_STREAM, HTTP_M_GET, HTTP_M_OTHER, HTTP_M_OPTIONS } HttpMethod;

typedef struct HttpParam {
    const char *name, *value;
} HttpParam;

typedef struct HttpRequest {
    HttpMethod method;
    int bad;                    /* nonzero: answer with http_error_page(bad_status, bad_body) */
    int bad_status;
    const char *bad_body;
    const char *path;           /* GET: decoded path without query ("/api/v1/data");
                                   OPTIONS: the whole decoded URL; else "" */
    const char *query;          /* GET: raw query string after '?' (or "%3f"), "" when none */
    HttpParam params[HTTP_MAX_PARAMS];
    size_t nparams;             /* STREAM: decoded pairs in order (last wins on lookup);
                                   GET: decoded query pairs */
    const char *user_agent;     /* NULL when absent (read for every method; Netdata keeps it
                                   for STREAM only) */
    int keep_alive;             /* a Connection header containing "keep-alive" (any case) */
    const char *host;           /* Host header (first 1024 bytes), NULL when absent */
    /* STREAM convenience, after decode (NULL when absent/empty): */
    const char *key, *hostname, *registry_hostname, *machine_guid, *os, *timezone,
        *abbrev_timezone, *tags, *ver;
    /* parsed like Netdata (strtoul/strtol base 0); defaults from the spec table: update_every
       0 = "parent's default", utc_offset 0, hops 1, ml_capable 0, ml_enabled 0, mc_version 0 */
    long update_every, utc_offset, hops, ml_capable, ml_enabled, mc_version;
    const char *unused[HTTP_MAX_UNUSED];
    size_t nunused;             /* names Netdata logs as "request has parameter ... which is not
                                   used" (first HTTP_MAX_UNUSED, in order) */
    /* additions to the agreed API: */
    const char *origin;         /* Origin header (first 1024 bytes), NULL when absent: echoed in
                                   Access-Control-Allow-Origin (HttpResp.origin) */
    int accept_gzip;            /* Accept-Encoding contains "gzip" */
    int hang;                   /* with bad: Netdata never answers this request; it waits for
                                   more bytes (a NUL byte, no " HTTP/", a header line without
                                   ':') until the peer or a timeout closes; close silently */
    int update_every_set;       /* update_every was sent (else 1 is Netdata's [db] default) */
    size_t params_dropped;      /* pairs beyond HTTP_MAX_PARAMS (still applied to the fields) */
    char scratch[HTTP_MAX_REQUEST + 8192];  /* decoded copies live here */
} HttpRequest;

/* Parse the header block BUF[0..hlen) (from http_req_header_len); EXTRA = bytes that followed it
   in the same read (Netdata answers 400 then). Never fails hard: malformed -> r->bad set.
   BUF[0..hlen + extra) must be readable. Exactly as Netdata's first read: when the whole buffer
   still ends in "\r\n\r\n" the request is accepted and the bytes after the first header end
   are dropped (lab); a request that arrives over several reads is answered by 1.37.1 with an echo
   of its first part (a bug, lab), so streamd should pass extra only for the read that completed
   the header. */
void http_req_parse(HttpRequest *r, const char *buf, size_t hlen, size_t extra);

/* The value of the last parameter called NAME, NULL when absent. */
const char *http_req_param(const HttpRequest *r, const char *name);

/* ---- responses (http_resp.c) ---------------------------------------------------------- */

#define HTTP_CT_TEXT "text/plain; charset=utf-8"
#define HTTP_CT_HTML "text/html; charset=utf-8"
#define HTTP_CT_JSON "application/json; charset=utf-8"

typedef enum { HTTP_TK_NONE, HTTP_TK_N, HTTP_TK_TRACKING } HttpTk;

/* Everything Netdata's web_client_build_http_header varies on; zero = Netdata's default. */
typedef struct HttpResp {
    int status;
    const char *content_type;   /* NULL = HTTP_CT_TEXT */
    size_t body_len;            /* 0: no Content-Length line at all (as Netdata) */
    int keep_alive;             /* "Connection: keep-alive" instead of "close" */
    long long now;              /* response time, epoch seconds; 0 = time(NULL) */
    long long date;             /* Date header; 0 = now */
    long long expires;          /* Expires header; 0 = now + update_every (no-cache) or 86400 */
    int update_every;           /* Netdata's localhost update every; 0 = 1 */
    int cacheable;              /* 200 only: "Cache-Control: public" (else no-cache + Pragma) */
    const char *origin;         /* Access-Control-Allow-Origin; NULL = "*" */
    HttpTk tk;                  /* [web] respect do not track policy = yes: HTTP_TK_N, or
                                   HTTP_TK_TRACKING when the API requires tracking; stock: none */
    const char *x_frame_options;    /* [web] x-frame-options response header; NULL/"" none */
    const char *extra;          /* custom header lines, each ending "\r\n" (e.g. Location) */
    int options_reply;          /* OPTIONS: CORS lines instead of Cache-Control/Expires */
    int gzip, chunked;          /* Content-Encoding: gzip; Transfer-Encoding: chunked */
} HttpResp;

/* The response header for H; returns bytes written (cut to CAP - 1, NUL-terminated when
   CAP > 0). Header order: status, Connection, Server, Access-Control-Allow-Origin,
   Access-Control-Allow-Credentials, Content-Type, Date, X-Frame-Options, Tk, Cache-Control
   (+Pragma), Expires, custom, Content-Encoding, Content-Length, blank line. */
size_t http_resp_write(char *out, size_t cap, const HttpResp *h);

/* Netdata-identical response header ("HTTP/1.1 200 OK\r\n...") for STATUS, CONTENT_TYPE and
   body length with every other HttpResp field at its default (stock Netdata: no Tk header, Date
   now, no-cache); returns bytes written (truncates safely; NUL-terminated when CAP > 0). */
size_t http_resp_header(char *out, size_t cap, int status, const char *content_type,
                        size_t body_len, int keep_alive);

/* A full error page (header + body) as Netdata 1.37.1 sends it for STATUS with BODY
   (text/plain, no-cache, Connection: close); returns bytes written like http_resp_header. */
size_t http_error_page(char *out, size_t cap, int status, const char *body);

/* The same with every header field from H (body_len is taken from BODY). */
size_t http_error_page_at(char *out, size_t cap, const HttpResp *h, const char *body);

/* Netdata's reason phrase for STATUS ("OK", "Bad Request", ...). */
const char *http_status_text(int status);

#endif

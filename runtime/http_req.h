/*
** http_req.h - the first request on a streamd connection, read the way Netdata 1.37.1's web
** server reads it: framing (complete only at "\r\n\r\n", 16384-byte cap), the method ("STREAM "
** exactly, or GET), the query URL-decoded as a whole and then split on '&' and the first '='
** (Netdata's url_decode_r quirks included: '+' -> space, an invalid escape such as "%zz" still
** decodes to some byte, an escape that yields a non-printable byte or broken UTF-8 is a 400),
** the headers Netdata looks at (User-Agent, Connection, Host), and Netdata-identical response
** headers and error pages.
**
** Pure: no I/O, no allocation, no clock except the Date header of http_resp_header. Everything
** decoded lives in HttpRequest.scratch; every pointer in a parsed request points into scratch
** or at a static string.
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
   cannot complete within HTTP_MAX_REQUEST. */
long http_req_header_len(const char *buf, size_t n);

typedef enum { HTTP_M_STREAM, HTTP_M_GET, HTTP_M_OTHER } HttpMethod;

typedef struct HttpParam {
    const char *name, *value;
} HttpParam;

typedef struct HttpRequest {
    HttpMethod method;
    int bad;                    /* nonzero: answer with http_error_page(bad_status, bad_body) */
    int bad_status;
    const char *bad_body;
    const char *path;           /* GET: decoded path without query ("/api/v1/data") */
    const char *query;          /* GET: raw query string after '?', "" when none */
    HttpParam params[HTTP_MAX_PARAMS];
    size_t nparams;             /* STREAM: decoded pairs in order (last wins on lookup);
                                   GET: decoded query pairs */
    const char *user_agent;     /* NULL when absent */
    int keep_alive;             /* "Connection: keep-alive" was sent */
    const char *host;           /* Host header, NULL when absent */
    /* STREAM convenience, after decode (NULL when absent/empty): */
    const char *key, *hostname, *registry_hostname, *machine_guid, *os, *timezone,
        *abbrev_timezone, *tags, *ver;
    /* parsed like Netdata (strtoul/strtol base 0); defaults from the spec table: update_every
       0 = "parent's default", utc_offset 0, hops 1, ml_capable 0, ml_enabled 0, mc_version 0 */
    long update_every, utc_offset, hops, ml_capable, ml_enabled, mc_version;
    const char *unused[HTTP_MAX_UNUSED];
    size_t nunused;             /* names Netdata logs as "request has parameter ... which is not
                                   used" (first HTTP_MAX_UNUSED, in order) */
    char scratch[HTTP_MAX_REQUEST + 8192];  /* decoded copies live here */
} HttpRequest;

/* Parse the header block BUF[0..hlen) (from http_req_header_len); EXTRA = bytes that followed it
   in the same read (Netdata answers 400 then). Never fails hard: malformed -> r->bad set. */
void http_req_parse(HttpRequest *r, const char *buf, size_t hlen, size_t extra);

/* The value of the last parameter called NAME, NULL when absent. */
const char *http_req_param(const HttpRequest *r, const char *name);

/* Netdata-identical response header ("HTTP/1.1 200 OK\r\n...") for STATUS, CONTENT_TYPE and
   body length; returns bytes written (truncates safely; OUT is NUL-terminated when CAP > 0). */
size_t http_resp_header(char *out, size_t cap, int status, const char *content_type,
                        size_t body_len, int keep_alive);

/* A full error page (header + body) as Netdata 1.37.1 sends it for STATUS with BODY. */
size_t http_error_page(char *out, size_t cap, int status, const char *body);

/* Netdata's reason phrase for STATUS ("OK", "Bad Request", ...). */
const char *http_status_text(int status);

#endif

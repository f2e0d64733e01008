/*
** http_resp.c - the response headers and error pages Netdata 1.37.1's web server writes
** (web/server/web_client.c web_client_build_http_header), byte for byte: header order, the
** fixed Server line, CORS lines, Date and Expires as gmtime in the C locale, Cache-Control (or
** an OPTIONS reply's CORS lines), Content-Length only when there is a body. Facts come from
** reading that code and from the real 1.37.1 parent's replies (stream-protocol §2.2a). The
** request side is http_req.c; the two share only http_req.h.
**
** No I/O, no allocation; the clock only when HttpResp.now is 0. Output is cut at the caller's
** capacity and stays NUL-terminated.
**
** Does not: parse requests, choose the status or body (net_conn.c, receiver.c, http_api*.c) or
** write to sockets.
*/
#include "http_req.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char *http_status_text(int status)
{
    static const char *const ranges[] = {"Informational", "Successful", "Redirection",
                                         "Bad Request", "Server Error"};
    switch (status) {
    case 200: return "OK";
    case 301: return "Moved Permanently";
    case 307: return "Temporary Redirect";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 412: return "Preconditions Failed";
    default: return status >= 100 && status < 600 ? ranges[status / 100 - 1] : "Undefined Error";
    }
}

typedef struct Out {
    char *p;
    size_t cap, n;
} Out;

/* Append like snprintf, cutting at CAP - 1 and keeping OUT NUL-terminated. */
static void outf(Out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(Out *o, const char *fmt, ...)
{
    if (o->n + 1 >= o->cap) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->p + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k > 0) {
        o->n = o->n + (size_t)k < o->cap ? o->n + (size_t)k : o->cap - 1;
    }
}

/* strftime "%a, %d %b %Y %H:%M:%S %Z" of gmtime in the C locale, without depending on it. */
static void outdate(Out *o, const char *name, long long t)
{
    static const char days[] = "SunMonTueWedThuFriSat", mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm)) {
        memset(&tm, 0, sizeof(tm));
    }
    outf(o, "%s: %.3s, %02d %.3s %04d %02d:%02d:%02d GMT\r\n", name, days + 3 * (tm.tm_wday % 7),
         tm.tm_mday, mon + 3 * (tm.tm_mon % 12), tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
         tm.tm_sec);
}

size_t http_resp_write(char *out, size_t cap, const HttpResp *h)
{
    Out o = {out, cap, 0};
    long long now = h->now ? h->now : (long long)time(NULL);
    int nocache = h->status != 200 || !h->cacheable;
    if (cap) {
        out[0] = '\0';
    }
    outf(&o, "HTTP/1.1 %d %s\r\nConnection: %s\r\nServer: Netdata Embedded HTTP Server v1.37.1\r\n"
         "Access-Control-Allow-Origin: %s\r\nAccess-Control-Allow-Credentials: true\r\n"
         "Content-Type: %s\r\n", h->status, http_status_text(h->status),
         h->keep_alive ? "keep-alive" : "close", h->origin ? h->origin : "*",
         h->content_type ? h->content_type : HTTP_CT_TEXT);
    outdate(&o, "Date", h->date ? h->date : now);
    if (h->x_frame_options && *h->x_frame_options) {
        outf(&o, "X-Frame-Options: %s\r\n", h->x_frame_options);
    }
    if (h->tk != HTTP_TK_NONE) {
        outf(&o, "Tk: %s\r\n", h->tk == HTTP_TK_TRACKING ? "T;cookies" : "N");
    }
    if (h->options_reply) {
        outf(&o, "Access-Control-Allow-Methods: GET, OPTIONS\r\n"
                 "Access-Control-Allow-Headers: accept, x-requested-with, origin, content-type, "
                 "cookie, pragma, cache-control, x-auth-token\r\n"
                 "Access-Control-Max-Age: 1209600\r\n");
    } else {
        outf(&o, "Cache-Control: %s\r\n", nocache ? "no-cache, no-store, must-revalidate\r\n"
                                                    "Pragma: no-cache" : "public");
        int after = nocache ? (h->update_every > 0 ? h->update_every : 1) : 86400;
        outdate(&o, "Expires", h->expires ? h->expires : now + after);
    }
    outf(&o, "%s%s", h->extra ? h->extra : "", h->gzip ? "Content-Encoding: gzip\r\n" : "");
    if (h->chunked) {
        outf(&o, "Transfer-Encoding: chunked\r\n");
    } else if (h->body_len) {                       /* no length: Netdata sends none */
        outf(&o, "Content-Length: %zu\r\n", h->body_len);
    }
    outf(&o, "\r\n");
    return o.n;
}

size_t http_resp_header(char *out, size_t cap, int status, const char *content_type,
                        size_t body_len, int keep_alive)
{
    HttpResp h = {.status = status, .content_type = content_type, .body_len = body_len,
                  .keep_alive = keep_alive};
    return http_resp_write(out, cap, &h);
}

size_t http_error_page_at(char *out, size_t cap, const HttpResp *h, const char *body)
{
    HttpResp hh = *h;
    hh.body_len = strlen(body);
    Out o = {out, cap, http_resp_write(out, cap, &hh)};
    outf(&o, "%s", body);
    return o.n;
}

size_t http_error_page(char *out, size_t cap, int status, const char *body)
{
    HttpResp h = {.status = status, .content_type = HTTP_CT_TEXT};
    return http_error_page_at(out, cap, &h, body);
}

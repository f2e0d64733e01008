/*
** http_api.h - the Netdata 1.37.1-compatible HTTP API of streamd over the metrics model
** (rrd.h): /api/v1/info, /api/v1/charts, /api/v1/chart, /api/v1/data and
** /api/v1/allmetrics?format=prometheus|prometheus_all_hosts, each also under /host/NAME/ (NAME =
** hostname or machine GUID). Same paths, JSON shapes, number formatting and error texts as
** Netdata 1.37.1; the header of each .c file lists what it serves and every difference. Bodies
** only: the caller writes the status line and headers (http_req.h).
**
** Locking: db->lock is held only to find hosts (and to copy the host list); each host's lock is
** held while that host is read; two locks are never held at once.
**
** Files: http_api.c routes and renders info/charts/chart; http_api_data.c runs /data queries;
** http_api_prom.c renders allmetrics.
*/
#ifndef STREAMC_HTTP_API_H
#define STREAMC_HTTP_API_H

#include <stddef.h>
#include <stdint.h>

#include "http_req.h"
#include "rrd.h"
#include "sbuf.h"

/* Largest body served; a larger one becomes a 500 (Netdata has no bound). */
#define HTTP_API_MAX_BODY ((size_t)256 << 20)
/* Largest /data result, rows x dimensions (Netdata has no bound): 400 beyond it. */
#define HTTP_API_MAX_CELLS ((size_t)4 << 20)
/* The "version" streamd reports for a host that did not tell its own (localhost): the
   Netdata release whose API and protocol it speaks, so version-gated scripts behave. */
#define HTTP_API_COMPAT_VERSION "v1.37.1"

#define HTTP_API_CT_JSON "application/json; charset=utf-8"
#define HTTP_API_CT_TEXT "text/plain; charset=utf-8"
#define HTTP_API_CT_HTML "text/html; charset=utf-8"
#define HTTP_API_CT_PROMETHEUS "text/plain; version=0.0.4"

typedef struct HttpApiResponse {
    int status;                  /* 200, 400, 404 or 500 */
    const char *content_type;    /* one of HTTP_API_CT_* (static) */
    Sbuf body;
} HttpApiResponse;

/* Serve GET REQ (decoded path + decoded query params) from DB. NOW_S = wall clock seconds.
   Fills OUT (initialised here; free it with http_api_response_free). Never fails: an oversized
   or out-of-memory body becomes a 500 with a short text. */
void http_api_handle(RrdDb *db, const HttpRequest *req, int64_t now_s, HttpApiResponse *out);
void http_api_response_free(HttpApiResponse *out);

/* ---- shared by http_api.c and http_api_data.c ------------------------------------------------ */

/* The value of the last query parameter NAME with a non-empty value (Netdata skips empty
   ones), or NULL. */
const char *http_api_param(const HttpRequest *req, const char *name);
/* Replace OUT's body with TEXT (+ ARG HTML-escaped when not NULL) and set STATUS/CT. */
void http_api_error(HttpApiResponse *out, int status, const char *ct, const char *text,
                    const char *arg);
/* A malloc'd copy of DB's host list (under db->lock), *N entries; NULL with *N = 0 when empty
   or out of memory. Hosts are never freed while DB lives, so the pointers stay valid. */
RrdHost **http_api_hosts(RrdDb *db, size_t *n);

/* Write V as Netdata's print_netdata_double does (up to 7 decimals, trailing zeros dropped,
   "-" kept on negative values that round to 0) into BUF (>= 64 bytes); returns the length.
   NaN/inf: "null". */
size_t http_api_fmt_number(char *buf, double v);
/* Oldest and newest stored time over C's dimensions (0, 0 when nothing is stored). Under the
   host lock. */
void http_api_chart_range(const RrdHost *h, const RrdChart *c, int64_t *first, int64_t *last);
/* Netdata's name of memory mode MODE (POLICY_MODE_*). */
const char *http_api_mode_name(int mode);
/* IND "KEY": "VALUE" (VALUE JSON-escaped; NULL prints null), then TAIL. */
void http_api_kv_str(Sbuf *b, const char *ind, const char *key, const char *val,
                     const char *tail);
/* The host's update every: the child's, else the node default, at least 1. */
int http_api_update_every(const RrdHost *h);
/* The "streamd" object of /api/v1/info for H (host lock held). */
void http_api_info_streamd(Sbuf *b, const RrdHost *h, int64_t now_s);

/* Netdata's simple_pattern_matches: PAT is words split by ",|" and whitespace, '*' matches any
   run, a '!' word excludes; the first word that matches TEXT decides; none: 0. */
int http_api_pattern_match(const char *pat, const char *text);

/* /api/v1/data for host H (its lock held by the caller). */
void http_api_data(RrdHost *h, const HttpRequest *req, int64_t now_s, HttpApiResponse *out);
/* /api/v1/allmetrics for host H, or every host of DB for format=prometheus_all_hosts (takes the
   host locks itself). */
void http_api_allmetrics(RrdDb *db, RrdHost *h, const HttpRequest *req, int64_t now_s,
                         HttpApiResponse *out);

#endif

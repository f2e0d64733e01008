/*
** fuzz_sender.c - libFuzzer target for the sender's child side: runtime/stream_caps.c reading
** a parent's reply, and runtime/sender_fmt.c writing the STREAM request, a chart definition,
** a collection and the host-label block from hostile text (a proxied child's host name, labels,
** system info, chart words).
**
** The whole input is also a parent's command stream: each REPLAY_CHART line for a chart of a
** fixed child is answered (runtime/sender_repl.c), with a byte budget from the first byte.
** Traps when the answer is not RBEGIN "<id>", points with rising end times inside the range
** and one RSET per dimension each, state lines only when streaming starts, and a REND that
** says what was returned; when it is over its budget; or when a parent (ingest.c) refuses any
** of its lines.
**
** The whole input is first a parent's reply. Then it is cut at NUL bytes into up to NPIECES
** strings that fill a host and a chart by hand (missing pieces are "").
**
** Traps when: a reply is OK without a version >= 1, or kind, version and postpone disagree
** (postpone one of 0, 30, 60, 120, 3600 as a 1.37.1 child waits; 0 only for OK and for the VN
** prefix with a number below 1); the request does not end with
** its only "\r\n\r\n", has a byte outside 0x21..0x7E in its query, or its query, URL-decoded as a
** 1.37.1 parent decodes it before splitting on '&', does not give back exactly the parameters
** in order with each value as sent minus '&' and control bytes (so no value carries an '&');
** a definition, collection or label line has an odd number of '"', or wire_split (the
** parent's splitter) does not give its keyword and words back, each as the value with '"' as
** '\'', line breaks as spaces and a final odd '\\' dropped.
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rrd.h"
#include "sbuf.h"
#include "ingest.h"
#include "policy_format.h"
#include "rrd_testutil.h"
#include "sender_fmt.h"
#include "sender_repl.h"
#include "stream_caps.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NPIECES 32
#define NSYS 4          /* system-info pairs */
#define NLAB 3          /* host labels and chart labels */
#define NDIM 3

static void check(int ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

/* ---- the reply ------------------------------------------------------------------------------ */

static void check_reply(const uint8_t *data, size_t size)
{
    StreamReplyKind kind = (StreamReplyKind)99;
    int postpone = -1;
    int32_t v = stream_caps_parse_reply((const char *)data, size, &kind, &postpone);
    check(v == stream_caps_parse_reply((const char *)data, size, NULL, NULL));
    check(v >= 0);
    check(postpone == 0 || postpone == 30 || postpone == 60 || postpone == 120 ||
          postpone == 3600);
    if (v > 0) {
        check(kind == STREAM_REPLY_OK && postpone == 0);
        size_t pl = strlen(STREAM_PROMPT_VN);
        int exact1 = size == strlen(STREAM_PROMPT_V1) && !memcmp(data, STREAM_PROMPT_V1, size);
        int exact2 = size == strlen(STREAM_PROMPT_V2) && !memcmp(data, STREAM_PROMPT_V2, size);
        check(exact1 || exact2 || (size >= pl && !memcmp(data, STREAM_PROMPT_VN, pl)));
        check(!exact1 || v == 1);
        check(!exact2 || v == 2);
        return;
    }
    check(kind != STREAM_REPLY_OK);
    switch (kind) {
    case STREAM_REPLY_LOCALHOST:
        check(postpone == 3600 && stream_caps_reply_error(kind) != NULL);
        break;
    case STREAM_REPLY_ALREADY:
        check(postpone == 120 && stream_caps_reply_error(kind) != NULL);
        break;
    case STREAM_REPLY_DENIED:
    case STREAM_REPLY_UNKNOWN:
        check(postpone == 60 && stream_caps_reply_error(kind) != NULL);
        break;
    case STREAM_REPLY_BAD_VERSION:      /* the VN row of 1.37.1's table has no postpone */
        check(postpone == 0 && size > strlen(STREAM_PROMPT_VN) &&
              memcmp(data, STREAM_PROMPT_VN, strlen(STREAM_PROMPT_VN)) == 0);
        break;
    default:
        check(0);
    }
}

/* ---- the request ------------------------------------------------------------------------------ */

/* What the parent should read back for a value: '&' and control bytes dropped. */
/* What the parent decodes for V: '&' and control bytes gone, each byte of ill-formed UTF-8
   (sbuf_utf8_len, tested on its own in test_sbuf) as '?'. */
static void expect_value(Sbuf *b, const char *v)
{
    size_t left = strlen(v);
    for (const unsigned char *p = (const unsigned char *)v; *p;) {
        size_t k = *p >= 0x80 ? sbuf_utf8_len(p, left) : 1;
        if (k == 0) {
            sbuf_putc(b, '?');
            k = 1;
        } else if (k > 1) {
            sbuf_append(b, (const char *)p, k);
        } else if (*p != '&' && *p >= 0x20 && *p != 0x7f) {
            sbuf_putc(b, (char)*p);
        }
        p += k;
        left -= k;
    }
}

static int hexval(int c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                          : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void check_request(const RrdHost *h, const SenderHostInfo *in)
{
    Sbuf b, want, dec;
    sbuf_init(&b, 1 << 22);
    sbuf_init(&want, 1 << 22);
    sbuf_init(&dec, 1 << 22);
    sender_fmt_request(&b, h, in);
    check(!b.overflow);
    const char *s = sbuf_str(&b);
    const char *end = strstr(s, "\r\n\r\n");
    check(end != NULL && end + 4 == s + b.len);
    check(strncmp(s, "STREAM ", 7) == 0);
    const char *q = s + 7, *http = strstr(q, " HTTP/1.1\r\nUser-Agent: streamd/");
    check(http != NULL);
    for (const char *p = q; p < http; p++) {
        check((unsigned char)*p > 0x20 && (unsigned char)*p < 0x7f);
    }
    check(strcmp(http, " HTTP/1.1\r\nUser-Agent: streamd/1.0\r\nAccept: */*\r\n\r\n") == 0);

    /* the parent: decode the whole query, then split on '&' */
    for (const char *p = q; p < http; p++) {
        int hi, lo;
        if (*p == '%' && p + 2 < http && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0) {
            char c = (char)(hi << 4 | lo);
            check((unsigned char)c >= 0x20 && c != 0x7f);   /* never a control byte */
            sbuf_putc(&dec, c);
            p += 2;
        } else {
            check(*p != '%' && *p != '+');                 /* every escape is complete */
            sbuf_putc(&dec, *p);
        }
    }
    char num[64];
    sbuf_puts(&want, "key=");
    expect_value(&want, in->api_key);
    const char *const strs[][2] = {
        {"hostname", h->hostname},
        {"registry_hostname", h->registry_hostname ? h->registry_hostname : h->hostname},
        {"machine_guid", h->guid},
    };
    for (size_t i = 0; i < 3; i++) {
        sbuf_printf(&want, "&%s=", strs[i][0]);
        expect_value(&want, strs[i][1]);
    }
    sbuf_printf(&want, "&update_every=%d&os=", in->update_every);
    expect_value(&want, h->os ? h->os : "linux");
    sbuf_puts(&want, "&timezone=");
    expect_value(&want, h->timezone ? h->timezone : "UTC");
    sbuf_puts(&want, "&abbrev_timezone=");
    expect_value(&want, h->abbrev_timezone ? h->abbrev_timezone : "UTC");
    snprintf(num, sizeof num, "&utc_offset=%ld&hops=%ld", h->utc_offset,
             (h->is_localhost ? 0 : h->hops) + 1);
    sbuf_puts(&want, num);
    sbuf_printf(&want, "&ml_capable=%d&ml_enabled=%d&mc_version=%d&tags=", h->ml_capable,
                h->ml_enabled, h->mc_version);
    expect_value(&want, h->tags ? h->tags : "");
    sbuf_printf(&want, "&ver=%llu", (unsigned long long)in->caps);
    for (size_t i = 0; i < h->system_info.n; i++) {
        if (strcmp(h->system_info.v[i].name, "NETDATA_PROTOCOL_VERSION") != 0) {
            sbuf_putc(&want, '&');
            expect_value(&want, h->system_info.v[i].name);
            sbuf_putc(&want, '=');
            expect_value(&want, h->system_info.v[i].value);
        }
    }
    sbuf_puts(&want, "&NETDATA_PROTOCOL_VERSION=1.1");
    check(!want.overflow && !dec.overflow);
    check(want.len == dec.len && memcmp(sbuf_str(&want), sbuf_str(&dec), dec.len) == 0);
    /* a 1.37.1 parent refuses a query that does not decode to well-formed UTF-8 */
    for (size_t i = 0; i < dec.len;) {
        size_t k = sbuf_utf8_len((const unsigned char *)dec.s + i, dec.len - i);
        check(k > 0);
        i += k;
    }
    /* '&' only between pairs: as many pairs as parameters */
    size_t amps = 0;
    for (const char *p = sbuf_str(&dec); *p; p++) {
        amps += *p == '&';
    }
    size_t forwarded = 0;
    for (size_t i = 0; i < h->system_info.n; i++) {
        forwarded += strcmp(h->system_info.v[i].name, "NETDATA_PROTOCOL_VERSION") != 0;
    }
    check(amps == 15 + forwarded);
    sbuf_free(&b);
    sbuf_free(&want);
    sbuf_free(&dec);
}

/* ---- definition lines ----------------------------------------------------------------------- */

/* The word the parent reads for V: '"' as '\'', CR/LF as ' ', a final odd '\\' dropped. */
static int same_word(const char *word, const char *v)
{
    v = v ? v : "";
    size_t n = strlen(v), k = 0;
    while (k < n && v[n - 1 - k] == '\\') {
        k++;
    }
    n -= k & 1;
    if (strlen(word) != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = v[i] == '"' ? '\'' : v[i] == '\n' || v[i] == '\r' ? ' ' : v[i];
        if (word[i] != c) {
            return 0;
        }
    }
    return 1;
}

typedef struct Lines {
    char *text;          /* a writable copy, lines NUL-terminated in place */
    char *line[64];
    size_t n;
} Lines;

static void split_lines(Lines *l, const Sbuf *b)
{
    check(!b->overflow && b->len > 0 && b->s[b->len - 1] == '\n');
    l->text = malloc(b->len + 1);
    check(l->text != NULL);
    memcpy(l->text, b->s, b->len + 1);
    l->n = 0;
    for (char *p = l->text; *p;) {
        char *nl = strchr(p, '\n');
        check(nl != NULL && l->n < 64);
        *nl = '\0';
        size_t quotes = 0;
        for (char *c = p; c < nl; c++) {
            quotes += *c == '"';
        }
        check(quotes % 2 == 0);
        l->line[l->n++] = p;
        p = nl + 1;
    }
}

static size_t words(char *line, char **w)
{
    size_t n = wire_split(line, w, WIRE_MAX_WORDS);
    check(n <= WIRE_MAX_WORDS);
    return n;
}

static void check_definition(const RrdChart *c, int clabels)
{
    Sbuf b;
    sbuf_init(&b, 1 << 22);
    sender_fmt_definition(&b, c, clabels);
    Lines l;
    split_lines(&l, &b);
    char *w[WIRE_MAX_WORDS];
    size_t i = 0;
    check(words(l.line[i++], w) == 13 && strcmp(w[0], "CHART") == 0);
    check(same_word(w[1], c->id) && same_word(w[3], c->title) && same_word(w[4], c->units) &&
          same_word(w[5], c->family) && same_word(w[6], c->context) &&
          same_word(w[11], c->plugin) && same_word(w[12], c->module));
    const char *name = "";               /* without "type.", "" when it is the id */
    if (c->name && strcmp(c->name, c->id) != 0) {
        name = strchr(c->name, '.') ? strchr(c->name, '.') + 1 : "";
    }
    check(same_word(w[2], name));
    if (clabels && c->labels.n) {
        for (size_t k = 0; k < c->labels.n; k++) {
            check(i < l.n && words(l.line[i++], w) == 4 && strcmp(w[0], "CLABEL") == 0);
            check(same_word(w[1], c->labels.v[k].name) && same_word(w[2], c->labels.v[k].value));
            check(strtoul(w[3], NULL, 10) == c->labels.v[k].source);
        }
        check(i < l.n && words(l.line[i++], w) == 1 && strcmp(w[0], "CLABEL_COMMIT") == 0);
    }
    for (const RrdDim *d = c->dims; d; d = d->next) {
        check(i < l.n && words(l.line[i++], w) == 7 && strcmp(w[0], "DIMENSION") == 0);
        check(same_word(w[1], d->id) && same_word(w[2], d->name));
    }
    check(i == l.n);
    free(l.text);
    sbuf_reset(&b);

    sender_fmt_collection(&b, c, 1000000);
    split_lines(&l, &b);
    i = 0;
    check(words(l.line[i++], w) == 3 && strcmp(w[0], "BEGIN") == 0 && same_word(w[1], c->id));
    for (const RrdDim *d = c->dims; d; d = d->next) {
        if (d->updated) {
            check(i < l.n && words(l.line[i++], w) == 3 && strcmp(w[0], "SET") == 0);
            check(same_word(w[1], d->id) && strtoll(w[2], NULL, 10) == d->collected);
        }
    }
    check(i + 1 == l.n && words(l.line[i], w) == 1 && strcmp(w[0], "END") == 0);
    free(l.text);
    sbuf_free(&b);
}

static void check_host_labels(const RrdHost *h)
{
    Sbuf b;
    sbuf_init(&b, 1 << 22);
    sender_fmt_host_labels(&b, h);
    Lines l;
    split_lines(&l, &b);
    char *w[WIRE_MAX_WORDS];
    check(l.n == h->labels.n + 1);
    for (size_t k = 0; k < h->labels.n; k++) {
        check(words(l.line[k], w) == 4 && strcmp(w[0], "LABEL") == 0);
        check(same_word(w[1], h->labels.v[k].name) && same_word(w[3], h->labels.v[k].value));
        check(strtoul(w[2], NULL, 10) == h->labels.v[k].source);
    }
    check(words(l.line[h->labels.n], w) == 2 && strcmp(w[0], "OVERWRITE") == 0);
    free(l.text);
    sbuf_free(&b);
}

/* ---- replication requests (sender_repl.c) --------------------------------------------------- */

#define REPL_T0 1700000000LL
#define REPL_N 300

static int64_t repl_clock(void)
{
    return REPL_T0 + REPL_N;
}

/* A child with two charts collected REPL_N times (made once: answers only read it). */
static RrdFixture *repl_child(void)
{
    static RrdFixture *f;
    if (f) {
        return f;
    }
    f = rrd_testutil_open(POLICY_MODE_RAM, 3600, 1);
    const char *ids[2] = {"sys.t", "x.y"};
    for (int k = 0; k < 2; k++) {
        const char *why;
        RrdChartDef cd = {.id = ids[k], .title = "t", .units = "u", .family = "f",
                          .context = ids[k], .chart_type = "line", .priority = 1,
                          .update_every = k + 1};
        RrdChart *c = rrd_chart_upsert(f->h, &cd, &why);
        RrdDimDef a = {.id = "a", .algorithm = "absolute"};
        RrdDimDef b = {.id = "b", .algorithm = "incremental"};
        check(c && rrd_dim_upsert(f->h, c, &a, &why) && rrd_dim_upsert(f->h, c, &b, &why));
        for (int i = 0; i < REPL_N / (k + 1); i++) {
            rrd_chart_begin(c, i ? (uint64_t)(k + 1) * 1000000u : 0);
            if (i % 7 != 3) {
                rrd_dim_set(c->dims, (int64_t)i * 5);
            }
            rrd_dim_set(c->dims->next, (int64_t)i * i);
            rrd_chart_end(f->h, c, ((uint64_t)REPL_T0 + (uint64_t)i * (k + 1)) * 1000000u + 1);
        }
    }
    return f;
}

/* The lines of B in a writable copy (*TEXT, freed by the caller with the array). */
static char **answer_lines(const Sbuf *b, char **text, size_t *n)
{
    *text = malloc(b->len + 1);
    char **v = malloc((b->len + 1) * sizeof *v);
    check(*text && v);
    memcpy(*text, b->s, b->len + 1);
    *n = 0;
    for (char *p = *text, *nl; *p; p = nl + 1) {
        nl = strchr(p, '\n');
        check(nl != NULL);
        *nl = '\0';
        v[(*n)++] = p;
    }
    return v;
}

/* Each input line that is a REPLAY_CHART for a known chart is answered; the answer must be
   RBEGIN "<id>", points with strictly rising end times inside the range, one RSET per
   dimension each, optional state, one REND that agrees with what was returned, within its
   byte budget, and every line of it must be accepted by a parent (ingest.c). */
static void check_replay(const uint8_t *data, size_t size, size_t budget)
{
    RrdFixture *kid = repl_child();
    char *text = malloc(size + 1);
    check(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : NULL) {
        nl = strchr(line, '\n');
        if (nl) {
            *nl = '\0';
        }
        char *w[9];
        size_t n = wire_split(line, w, 8);
        const char *id;
        int start;
        int64_t after, before;
        if (!n || strcmp(w[0], "REPLAY_CHART") != 0 ||
            sender_repl_parse(w, n, &id, &start, &after, &before) != 0) {
            continue;
        }
        RrdChart *c = rrd_chart_find(kid->h, id);
        if (!c) {
            continue;
        }
        Sbuf b;
        sbuf_init(&b, 1u << 26);
        SenderReplAnswer a;
        sender_repl_answer(&b, kid->h, c, start, after, before, repl_clock, budget, &a);
        check(!b.overflow && b.len > 0 && b.s[b.len - 1] == '\n');
        check(b.len <= (budget < SENDER_REPL_MIN_BYTES ? SENDER_REPL_MIN_BYTES : budget) + 4096);
        check(!a.cut || !a.start_streaming);
        char *text_copy, *lw[WIRE_MAX_WORDS + 1];
        size_t nl_n;
        char **ln = answer_lines(&b, &text_copy, &nl_n);
        check(nl_n >= 2 && words(ln[0], lw) == 2 && strcmp(lw[0], "RBEGIN") == 0 &&
              strcmp(lw[1], c->id) == 0);
        size_t points = 0, sets = 0, states = 0;
        int64_t prev_end = 0;
        for (size_t i = 1; i + 1 < nl_n; i++) {
            size_t k = words(ln[i], lw);
            if (strcmp(lw[0], "RBEGIN") == 0) {
                check(k == 5 && states == 0 && sets == points * c->ndims);
                int64_t st = (int64_t)wire_u64(lw[2]), en = (int64_t)wire_u64(lw[3]);
                check(en - st == c->update_every && en > prev_end && en <= a.before);
                prev_end = en;
                points++;
            } else if (strcmp(lw[0], "RSET") == 0) {
                check(k == 4 && points > 0 && states == 0);
                sets++;
            } else {
                check(strcmp(lw[0], "RDSTATE") == 0 || strcmp(lw[0], "RSSTATE") == 0);
                states++;
            }
        }
        check(points == a.points && sets == points * c->ndims);
        check(states == (a.start_streaming ? c->ndims + 1 : 0));
        check(words(ln[nl_n - 1], lw) == 8 && strcmp(lw[0], "REND") == 0);
        check(strcmp(lw[4], a.start_streaming ? "true" : "false") == 0);
        check((int64_t)wire_u64(lw[5]) == a.after && (int64_t)wire_u64(lw[6]) == a.before);

        /* a parent takes every line */
        RrdFixture *par = rrd_testutil_open(POLICY_MODE_RAM, 600, 1);
        Ingest in;
        Sbuf def, out;
        ingest_init(&in, par->h);
        sbuf_init(&def, 1u << 16);
        sbuf_init(&out, 1u << 16);
        in.repl = 1;
        in.out = &out;
        par->h->cfg.replication = 1;
        sender_fmt_definition(&def, c, 0);
        Lines dl;
        split_lines(&dl, &def);
        uint64_t now_ut = (uint64_t)repl_clock() * 1000000u;
        for (size_t i = 0; i < dl.n; i++) {
            check(ingest_line(&in, dl.line[i], strlen(dl.line[i]), now_ut) == INGEST_OK);
        }
        free(text_copy);
        free(ln);
        ln = answer_lines(&b, &text_copy, &nl_n);   /* words() above cut the lines up */
        for (size_t i = 0; i < nl_n; i++) {
            check(ingest_line(&in, ln[i], strlen(ln[i]), now_ut) == INGEST_OK);
        }
        free(dl.text);
        free(text_copy);
        free(ln);
        ingest_reset(&in);
        sbuf_free(&def);
        sbuf_free(&out);
        rrd_testutil_close(par);
        sbuf_free(&b);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_reply(data, size);
    check_replay(data, size, size ? (size_t)data[0] * 64 : 0);

    /* NUL-separated pieces, as C strings */
    char *copy = malloc(size + 1);
    check(copy != NULL);
    memcpy(copy, data, size);
    copy[size] = '\0';
    const char *p[NPIECES];
    size_t np = 0;
    for (char *s = copy; np < NPIECES;) {
        p[np++] = s;
        s += strlen(s);
        if (s >= copy + size) {
            break;
        }
        s++;
    }
    while (np < NPIECES) {
        p[np++] = "";
    }
    unsigned flags = size ? data[size - 1] : 0;   /* numbers and switches from the last byte */

    RrdHost h;
    memset(&h, 0, sizeof h);
    size_t gl = strlen(p[0]) < sizeof h.guid - 1 ? strlen(p[0]) : sizeof h.guid - 1;
    memcpy(h.guid, p[0], gl);
    h.hostname = (char *)p[1];
    h.registry_hostname = flags & 1 ? (char *)p[2] : NULL;
    h.os = flags & 2 ? (char *)p[3] : NULL;
    h.timezone = (char *)p[4];
    h.abbrev_timezone = (char *)p[5];
    h.tags = flags & 4 ? (char *)p[6] : NULL;
    h.is_localhost = (flags & 8) != 0;
    h.hops = (long)(flags >> 4) - 3;
    h.utc_offset = -(long)flags * 60;
    RrdLabel sys[NSYS + 1], lab[NLAB], clab[NLAB];
    char sysname[NSYS][64];
    for (size_t i = 0; i < NSYS; i++) {
        /* a proxied child's NETDATA_* names, one of them the protocol version */
        snprintf(sysname[i], sizeof sysname[i], "NETDATA_%s", p[7 + 2 * i]);
        sys[i] = (RrdLabel){sysname[i], (char *)p[8 + 2 * i], 0};
    }
    sys[NSYS] = (RrdLabel){(char *)"NETDATA_PROTOCOL_VERSION", (char *)p[15], 0};
    h.system_info = (RrdLabels){sys, NSYS + 1};
    for (size_t i = 0; i < NLAB; i++) {
        lab[i] = (RrdLabel){(char *)p[16 + i], (char *)p[19 + i], (uint32_t)(flags * (i + 1))};
        clab[i] = (RrdLabel){(char *)p[19 + i], (char *)p[16 + i], (uint32_t)i};
    }
    h.labels = (RrdLabels){lab, flags % (NLAB + 1)};
    SenderHostInfo in = {p[22], (int)(flags % 7), flags * 64u, "1.0", 0};
    check_request(&h, &in);
    check_host_labels(&h);

    RrdDim dims[NDIM];
    memset(dims, 0, sizeof dims);
    for (size_t i = 0; i < NDIM; i++) {
        dims[i].id = (char *)p[23 + i];
        dims[i].name = (char *)p[26 + i];
        dims[i].algorithm = (int)(flags + i) % 6 - 1;
        dims[i].multiplier = (int64_t)flags - 100;
        dims[i].divisor = (int64_t)i + 1;
        dims[i].flags = flags >> i;
        dims[i].updated = (flags >> (i + 2)) & 1;
        dims[i].collected = (int64_t)(((uint64_t)flags << 56) - i);
        dims[i].next = i + 1 < NDIM ? &dims[i + 1] : NULL;
    }
    RrdChart c;
    memset(&c, 0, sizeof c);
    c.id = (char *)p[29];
    c.name = flags & 16 ? (char *)p[30] : flags & 32 ? c.id : NULL;
    c.title = (char *)p[31];
    c.units = (char *)p[4];
    c.family = (char *)p[5];
    c.context = (char *)p[1];
    c.plugin = (char *)p[2];
    c.module = flags & 64 ? (char *)p[3] : NULL;
    c.chart_type = (int)(flags % 5) - 1;
    c.priority = (long)flags * 1000 - 7;
    c.update_every = (int)flags;
    c.flags = flags;
    c.labels = (RrdLabels){clab, (flags >> 2) % (NLAB + 1)};
    c.dims = flags & 128 ? NULL : dims;
    check_definition(&c, flags & 1);
    check_definition(&c, 1);
    free(copy);
    return 0;
}

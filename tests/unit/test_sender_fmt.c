/*
** test_sender_fmt.c - cmocka tests for runtime/sender_fmt.c against stream-protocol §2.1 (the
** STREAM request: parameter order, hops, URL encoding, system info, headers), §3.2/§3.3 (CHART,
** DIMENSION, CLABEL, BEGIN/SET/END, LABEL/OVERWRITE exactly as a 1.37.1 child writes them) and
** the bounded SendBuf (refusal whole, order across compaction, reset, out of memory).
** Hosts, charts and dimensions are built through runtime/rrd.h as the receiver builds them.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy_format.h"
#include "rrd.h"
#include "sender_fmt.h"
#include "testutil.h"

#define LOCAL_GUID "11111111-2222-3333-4444-555555555555"
#define CHILD_GUID "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define API_KEY "11111111-0000-0000-0000-000000000001"

/* The out-of-memory test asks for 2^60 bytes: under ASan that must be a NULL, not an abort. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "allocator_may_return_null=1";
}

static void expect_text(const Sbuf *b, const char *want)
{
    assert_false(b->overflow);
    if (strcmp(sbuf_str(b), want) != 0) {
        fail_msg("got\n%s\nwant\n%s", testutil_esc(b->s, b->len),
                 testutil_esc(want, strlen(want)));
    }
}

static void set(char **dst, const char *v)
{
    free(*dst);
    *dst = strdup(v);
    assert_non_null(*dst);
}

static RrdDb *new_db(void)
{
    RrdHostConfig cfg = {.memory_mode = POLICY_MODE_RAM, .history = 60, .update_every = 1};
    RrdDb *db = rrd_db_new("my host", LOCAL_GUID, &cfg, NULL);
    assert_non_null(db);
    return db;
}

static const SenderHostInfo info = {API_KEY, 1, 64, "1.2.3", 0};

/* ---- URL encoding ------------------------------------------------------------------------- */

static const char *enc(Sbuf *b, const char *v)
{
    sbuf_reset(b);
    sender_url_encode(b, v);
    assert_false(b->overflow);
    return sbuf_str(b);
}

static void test_url_encode(void **state)
{
    (void)state;
    Sbuf b;
    sbuf_init(&b, 4096);
    assert_string_equal(enc(&b, "AZaz09._~-"), "AZaz09._~-");
    assert_string_equal(enc(&b, "my host"), "my%20host");
    assert_string_equal(enc(&b, "Debian GNU/Linux"), "Debian%20GNU%2FLinux");
    assert_string_equal(enc(&b, "caf\xc3\xa9 \xe2\x82\xac"), "caf%C3%A9%20%E2%82%AC");
    assert_string_equal(enc(&b, "a&b&&c&"), "abc");              /* '&' can never be carried */
    assert_string_equal(enc(&b, "x\x01\ty\r\nz\x1f\x7f!"), "xyz%21"); /* control bytes dropped */
    assert_string_equal(enc(&b, "+=%?#\"'"), "%2B%3D%25%3F%23%22%27");
    /* ill-formed UTF-8 (the parent would refuse the request): each bad byte becomes '?' */
    assert_string_equal(enc(&b, "\xff\x80"), "%3F%3F");
    assert_string_equal(enc(&b, "a\xc3"), "a%3F");                   /* truncated sequence */
    assert_string_equal(enc(&b, "\xc0\xafx\xc3\xa9"), "%3F%3Fx%C3%A9");  /* overlong, then ok */
    assert_string_equal(enc(&b, "\xed\xa0\x80"), "%3F%3F%3F");     /* a surrogate */
    assert_string_equal(enc(&b, ""), "");
    assert_string_equal(enc(&b, NULL), "");
    sbuf_free(&b);
}

/* ---- the STREAM request ------------------------------------------------------------------- */

static void test_request_exact(void **state)
{
    (void)state;
    RrdDb *db = new_db();
    RrdHost *h = db->localhost;
    set(&h->os, "linux");
    set(&h->timezone, "Europe/Athens");
    set(&h->abbrev_timezone, "EET");
    h->utc_offset = 7200;
    h->hops = 5;                                   /* ignored for localhost: hops=1 */
    h->ml_capable = 1;
    set(&h->tags, "a b&c");
    assert_int_equal(rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_OS_NAME",
                                    "Debian GNU/Linux", 0), 0);
    assert_int_equal(rrd_labels_set(&h->system_info, "NETDATA_PROTOCOL_VERSION", "9.9", 0), 0);
    assert_int_equal(rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_OS_VERSION",
                                    "12 (bookworm)", 0), 0);
    assert_int_equal(rrd_labels_set(&h->system_info, "NETDATA_HOST_IS_K8S_NODE", "false", 0), 0);
    Sbuf b;
    sbuf_init(&b, 16384);
    sender_fmt_request(&b, h, &info);
    expect_text(&b,
                "STREAM key=" API_KEY "&hostname=my%20host&registry_hostname=my%20host"
                "&machine_guid=" LOCAL_GUID "&update_every=1&os=linux"
                "&timezone=Europe%2FAthens&abbrev_timezone=EET&utc_offset=7200&hops=1"
                "&ml_capable=1&ml_enabled=0&mc_version=0&tags=a%20bc&ver=64"
                "&NETDATA_SYSTEM_OS_NAME=Debian%20GNU%2FLinux"
                "&NETDATA_SYSTEM_OS_VERSION=12%20%28bookworm%29"
                "&NETDATA_HOST_IS_K8S_NODE=false"
                "&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\n"
                "User-Agent: streamd/1.2.3\r\n"
                "Accept: */*\r\n"
                "\r\n");
    sbuf_free(&b);
    rrd_db_free(db);
}

static void test_request_child_host(void **state)
{
    (void)state;
    RrdDb *db = new_db();
    RrdHostConfig cfg = {.memory_mode = POLICY_MODE_RAM, .history = 60, .update_every = 1};
    RrdHost *h = rrd_host_create(db, CHILD_GUID, "child-1", &cfg);
    assert_non_null(h);
    h->hops = 2;                                   /* a grandchild of ours: we send 3 */
    set(&h->registry_hostname, "reg name");
    h->utc_offset = -3600;
    SenderHostInfo in = {"k&ey", 2, 16376, NULL, 0};
    Sbuf b;
    sbuf_init(&b, 16384);
    sender_fmt_request(&b, h, &in);
    /* defaults for what the host does not know; no system info: only the protocol version */
    expect_text(&b,
                "STREAM key=key&hostname=child-1&registry_hostname=reg%20name"
                "&machine_guid=" CHILD_GUID "&update_every=2&os=linux&timezone=UTC"
                "&abbrev_timezone=UTC&utc_offset=-3600&hops=3&ml_capable=0&ml_enabled=0"
                "&mc_version=0&tags=&ver=16376&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\n"
                "User-Agent: streamd/0\r\nAccept: */*\r\n\r\n");
    h->hops = 0;
    sbuf_reset(&b);
    sender_fmt_request(&b, h, &in);
    assert_non_null(strstr(sbuf_str(&b), "&hops=1&"));
    /* no_system_info (a request that would be too big) leaves out every NETDATA_* pair but
       the protocol version */
    assert_int_equal(rrd_labels_set(&h->system_info, "NETDATA_SYSTEM_OS_NAME", "Debian", 0), 0);
    sbuf_reset(&b);
    sender_fmt_request(&b, h, &in);
    assert_non_null(strstr(sbuf_str(&b), "&NETDATA_SYSTEM_OS_NAME=Debian&"));
    in.no_system_info = 1;
    sbuf_reset(&b);
    sender_fmt_request(&b, h, &in);
    assert_null(strstr(sbuf_str(&b), "NETDATA_SYSTEM_OS_NAME"));
    assert_non_null(strstr(sbuf_str(&b), "&ver=16376&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\n"));
    sbuf_free(&b);
    rrd_db_free(db);
}

static size_t count(const char *s, const char *what)
{
    size_t n = 0;
    for (const char *p = strstr(s, what); p; p = strstr(p + 1, what)) {
        n++;
    }
    return n;
}

/* A real host description: the request has the shape a 1.37.1 parent needs and stays small. */
static void test_request_localhost_described(void **state)
{
    (void)state;
    RrdDb *db = new_db();
    RrdHost *h = db->localhost;
    sender_describe_localhost(h);
    assert_int_equal(rrd_labels_set(&h->system_info, "NETDATA_PROTOCOL_VERSION", "1.1", 0), 0);
    Sbuf b;
    sbuf_init(&b, 16384);
    sender_fmt_request(&b, h, &info);
    assert_false(b.overflow);
    const char *s = sbuf_str(&b);
    assert_true(b.len < 4096);                     /* well under the parent's 8 KiB */
    static const char head[] = "STREAM key=" API_KEY "&hostname=my%20host&";
    assert_int_equal(strncmp(s, head, sizeof head - 1), 0);
    assert_non_null(strstr(s, "&NETDATA_SYSTEM_KERNEL_NAME="));
    assert_int_equal(count(s, "NETDATA_PROTOCOL_VERSION"), 1);
    assert_int_equal(count(s, "\r\n\r\n"), 1);
    assert_int_equal(strcmp(s + b.len - 4, "\r\n\r\n"), 0);
    assert_non_null(strstr(s, "&NETDATA_PROTOCOL_VERSION=1.1 HTTP/1.1\r\nUser-Agent: streamd/"));
    assert_null(strstr(s, "eep-alive"));
    assert_null(strstr(s, "Connection"));
    /* one space before HTTP/1.1 and none in the query */
    const char *q = strstr(s, " HTTP/1.1\r\n");
    assert_non_null(q);
    assert_ptr_equal(strchr(s + 7, ' '), q);
    for (const char *p = s; p < q; p++) {
        assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    }
    sbuf_free(&b);
    rrd_db_free(db);
}

/* ---- definitions -------------------------------------------------------------------------- */

typedef struct Fx {
    RrdDb *db;
    RrdHost *h;
    Sbuf b;
} Fx;

static int fx_setup(void **state)
{
    Fx *fx = calloc(1, sizeof *fx);
    if (!fx) {
        return -1;
    }
    fx->db = new_db();
    fx->h = fx->db->localhost;
    sbuf_init(&fx->b, 1 << 20);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    Fx *fx = *state;
    sbuf_free(&fx->b);
    rrd_db_free(fx->db);
    free(fx);
    return 0;
}

static RrdChart *chart(Fx *fx, const char *id, const char *name, const char *type,
                       const char *options)
{
    RrdChartDef d = {id, name, "Total CPU", "percentage", "cpu", "system.cpu", type, 100, 1,
                     options, "proc.plugin", "/proc/stat"};
    const char *why = NULL;
    RrdChart *c = rrd_chart_upsert(fx->h, &d, &why);
    if (!c) {
        fail_msg("chart %s: %s", id, why);
    }
    return c;
}

static RrdDim *dim(Fx *fx, RrdChart *c, const char *id, const char *name, const char *alg,
                   int64_t mul, int64_t div, const char *options)
{
    RrdDimDef d = {id, name, alg, mul, div, options};
    const char *why = NULL;
    RrdDim *r = rrd_dim_upsert(fx->h, c, &d, &why);
    if (!r) {
        fail_msg("dimension %s: %s", id, why);
    }
    return r;
}

static const char *def(Fx *fx, const RrdChart *c, int clabels)
{
    sbuf_reset(&fx->b);
    sender_fmt_definition(&fx->b, c, clabels);
    assert_false(fx->b.overflow);
    return sbuf_str(&fx->b);
}

static void test_definition_exact(void **state)
{
    Fx *fx = *state;
    RrdChart *c = chart(fx, "system.cpu", "", "stacked", "");
    dim(fx, c, "user", "", "incremental", 1, 100, "");
    dim(fx, c, "system", "sys", "percentage-of-incremental-row", -1, 0, "hidden");
    dim(fx, c, "nice", "nice", "percentage-of-absolute-row", 7, 3, "obsolete noreset");
    dim(fx, c, "idle", "idle", "bogus", 0, 1, "obsolete hidden noreset");
    dim(fx, c, "abs", "abs", "absolute", 1, 1, "nooverflow");
    expect_text(&fx->b, "");
    sender_fmt_definition(&fx->b, c, 1);           /* clabels on, no labels: no CLABEL_COMMIT */
    expect_text(&fx->b,
                "CHART \"system.cpu\" \"\" \"Total CPU\" \"percentage\" \"cpu\" \"system.cpu\" "
                "\"stacked\" 100 1 \"   \" \"proc.plugin\" \"/proc/stat\"\n"
                "DIMENSION \"user\" \"user\" \"incremental\" 1 100 \"  \"\n"
                "DIMENSION \"system\" \"sys\" \"percentage-of-incremental-row\" -1 1 \" hidden \"\n"
                "DIMENSION \"nice\" \"nice\" \"percentage-of-absolute-row\" 7 3 "
                "\"obsolete  noreset\"\n"
                "DIMENSION \"idle\" \"idle\" \"absolute\" 1 1 \"obsolete hidden noreset\"\n"
                "DIMENSION \"abs\" \"abs\" \"absolute\" 1 1 \"  noreset\"\n");
}

static void test_definition_names(void **state)
{
    Fx *fx = *state;
    static const struct {
        const char *id, *name, *want;
    } rows[] = {
        {"disk.sda", "", ""},
        {"disk.sda", "sda", ""},                   /* the id part: no separate name */
        {"disk.sda", "disk.sda", ""},              /* the whole id */
        {"disk.sda", "NULL", ""},
        {"disk.sda", "(NULL)", ""},
        {"disk.sda", "disk.root_fs", "root_fs"},   /* "type." is not sent */
        {"disk.sda", "root_fs", "root_fs"},
        {"disk.sda", "other.x", "other.x"},        /* another type's prefix stays */
        {"disk.sda", "a.b.c", "a.b.c"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        RrdChart *c = chart(fx, rows[i].id, rows[i].name, "line", "");
        char want[256];
        snprintf(want, sizeof want, "CHART \"%s\" \"%s\" \"Total CPU\"", rows[i].id, rows[i].want);
        const char *got = def(fx, c, 0);
        if (strncmp(got, want, strlen(want)) != 0) {
            fail_msg("name '%s': got %s, want %s...", rows[i].name, got, want);
        }
    }
    /* a chart filled by hand: no name and NULL words, then a name equal to the id */
    RrdChart hand = {.id = "t.i", .title = "x", .plugin = "p", .module = "m"};
    assert_string_equal(def(fx, &hand, 1),
                        "CHART \"t.i\" \"\" \"x\" \"\" \"\" \"\" \"line\" 0 0 \"   \" \"p\" \"m\"\n");
    hand.chart_type = 7;                           /* out of range: line */
    hand.name = "t.i";
    assert_string_equal(def(fx, &hand, 1),
                        "CHART \"t.i\" \"\" \"x\" \"\" \"\" \"\" \"line\" 0 0 \"   \" \"p\" \"m\"\n");
}

static void test_definition_options(void **state)
{
    Fx *fx = *state;
    static const struct {
        const char *options, *type, *want;
    } rows[] = {
        {"", "line", "\"line\" 100 1 \"   \""},
        {"obsolete", "area", "\"area\" 100 1 \"obsolete   \""},
        {"detail", "stacked", "\"stacked\" 100 1 \" detail  \""},
        {"store_first", "nonsense", "\"line\" 100 1 \"  store_first \""},
        {"hidden", "line", "\"line\" 100 1 \"   hidden\""},
        {"hidden obsolete store_first detail", "line",
         "\"line\" 100 1 \"obsolete detail store_first hidden\""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        RrdChart *c = chart(fx, "net.eth0", "", rows[i].type, rows[i].options);
        const char *got = def(fx, c, 0);
        if (!strstr(got, rows[i].want)) {
            fail_msg("options '%s': got %s, want ...%s...", rows[i].options, got, rows[i].want);
        }
    }
    /* priority and update every as numbers */
    RrdChartDef d = {"net.eth1", "", "t", "u", "f", "c", "line", -5, 10, "", "", ""};
    const char *why;
    RrdChart *c = rrd_chart_upsert(fx->h, &d, &why);
    assert_non_null(c);
    assert_string_equal(def(fx, c, 0), "CHART \"net.eth1\" \"\" \"t\" \"u\" \"f\" \"c\" \"line\" "
                                       "-5 10 \"   \" \"\" \"\"\n");
}

static void test_definition_labels_quotes(void **state)
{
    Fx *fx = *state;
    RrdChartDef d = {"app.q", "", "say \"hi\"", "\"u\"", "f", "c", "line", 1, 1, "",
                     "plug\"in", "mod"};
    const char *why;
    RrdChart *c = rrd_chart_upsert(fx->h, &d, &why);
    assert_non_null(c);
    dim(fx, c, "d\"1", "n\"1", "absolute", 1, 1, "");
    const char *chart_line = "CHART \"app.q\" \"\" \"say 'hi'\" \"'u'\" \"f\" \"c\" \"line\" 1 1 "
                             "\"   \" \"plug'in\" \"mod\"\n";
    const char *dim_line = "DIMENSION \"d'1\" \"n'1\" \"absolute\" 1 1 \"  \"\n";
    char want[1024];

    /* no labels: never CLABEL_COMMIT */
    snprintf(want, sizeof want, "%s%s", chart_line, dim_line);
    assert_string_equal(def(fx, c, 1), want);
    assert_string_equal(def(fx, c, 0), want);

    assert_int_equal(rrd_labels_set(&c->labels, "mount", "/", 1), 0);
    assert_int_equal(rrd_labels_set(&c->labels, "de\"v", "sd\"a\"", 536870913u), 0);
    snprintf(want, sizeof want, "%sCLABEL \"mount\" \"/\" 1\nCLABEL \"de'v\" \"sd'a'\" 536870913\n"
             "CLABEL_COMMIT\n%s", chart_line, dim_line);
    assert_string_equal(def(fx, c, 1), want);
    /* clabels not negotiated: no CLABEL at all */
    snprintf(want, sizeof want, "%s%s", chart_line, dim_line);
    assert_string_equal(def(fx, c, 0), want);
}

/* A value that ends in a backslash must not escape the closing quote on the parent (Netdata's
   splitter skips the byte after a '\\'); a new line inside a value must not end the line. */
static void test_definition_backslash_newline(void **state)
{
    Fx *fx = *state;
    RrdChart hand = {.id = "t.i", .title = "C:\\", .units = "a\\\\", .family = "b\\\\\\",
                     .context = "x\\y", .plugin = "l1\nl2", .module = "\r\n"};
    const char *got = def(fx, &hand, 0);
    assert_string_equal(got, "CHART \"t.i\" \"\" \"C:\" \"a\\\\\" \"b\\\\\" \"x\\y\" \"line\" 0 0 "
                             "\"   \" \"l1 l2\" \"  \"\n");
}

/* ---- collections and host labels ------------------------------------------------------------ */

static void test_collection(void **state)
{
    Fx *fx = *state;
    RrdChart *c = chart(fx, "system.cpu", "", "line", "");
    RrdDim *a = dim(fx, c, "user", "", "incremental", 1, 1, "");
    dim(fx, c, "system", "", "incremental", 1, 1, "");
    RrdDim *n = dim(fx, c, "nice", "", "incremental", 1, 1, "");
    rrd_chart_begin(c, 0);
    rrd_dim_set(a, 12345);
    rrd_dim_set(n, -7);
    sbuf_reset(&fx->b);
    sender_fmt_collection(&fx->b, c, 1000000);
    expect_text(&fx->b, "BEGIN \"system.cpu\" 1000000\nSET \"user\" = 12345\n"
                        "SET \"nice\" = -7\nEND\n");
    rrd_chart_end(fx->h, c, rrd_now_ut());         /* the round is cleared: nothing updated */
    sbuf_reset(&fx->b);
    sender_fmt_collection(&fx->b, c, 0);
    expect_text(&fx->b, "BEGIN \"system.cpu\" 0\nEND\n");
    rrd_chart_begin(c, 0);
    rrd_dim_set(a, INT64_MIN);
    rrd_dim_set(a, INT64_MAX);                     /* the second SET wins */
    sbuf_reset(&fx->b);
    sender_fmt_collection(&fx->b, c, UINT64_MAX);
    expect_text(&fx->b, "BEGIN \"system.cpu\" 18446744073709551615\n"
                        "SET \"user\" = 9223372036854775807\nEND\n");
}

static void test_host_labels(void **state)
{
    Fx *fx = *state;
    sbuf_reset(&fx->b);
    sender_fmt_host_labels(&fx->b, fx->h);
    expect_text(&fx->b, "OVERWRITE labels\n");
    assert_int_equal(rrd_labels_set(&fx->h->labels, "_os_name", "Debian GNU/Linux", 1), 0);
    assert_int_equal(rrd_labels_set(&fx->h->labels, "role", "db \"primary\"", 2), 0);
    assert_int_equal(rrd_labels_set(&fx->h->labels, "_is_k8s", "false", 536870913u), 0);
    sbuf_reset(&fx->b);
    sender_fmt_host_labels(&fx->b, fx->h);
    expect_text(&fx->b, "LABEL \"_os_name\" = 1 \"Debian GNU/Linux\"\n"
                        "LABEL \"role\" = 2 \"db 'primary'\"\n"
                        "LABEL \"_is_k8s\" = 536870913 \"false\"\n"
                        "OVERWRITE labels\n");
}

/* ---- SendBuf ------------------------------------------------------------------------------ */

static void expect_pending(const SendBuf *sb, const char *want)
{
    size_t n = strlen(want);
    assert_int_equal(sendbuf_pending(sb), n);
    if (n && memcmp(sb->b + sb->r, want, n) != 0) {
        fail_msg("pending '%s', want '%s'", testutil_esc(sb->b + sb->r, n), want);
    }
}

static void test_sendbuf_bounded(void **state)
{
    (void)state;
    SendBuf sb = {.max = 10};
    assert_int_equal(sendbuf_append(&sb, "", 0), 0);          /* nothing on a fresh buffer */
    expect_pending(&sb, "");
    assert_int_equal(sendbuf_append(&sb, "0123456789A", 11), -1); /* larger than max */
    expect_pending(&sb, "");
    assert_int_equal(sendbuf_append(&sb, "abcdef", 6), 0);
    assert_int_equal(sendbuf_append(&sb, "ghijk", 5), -1);    /* refused whole */
    expect_pending(&sb, "abcdef");
    assert_int_equal(sendbuf_append(&sb, "ghij", 4), 0);      /* exactly full */
    expect_pending(&sb, "abcdefghij");
    assert_int_equal(sendbuf_append(&sb, "k", 1), -1);
    assert_int_equal(sendbuf_append(&sb, "", 0), 0);
    assert_true(sb.cap <= sb.max);
    /* a length that wraps pending + n around must be refused, not copied */
    assert_int_equal(sendbuf_append(&sb, "x", SIZE_MAX - 5), -1);
    assert_int_equal(sendbuf_append(&sb, "x", SIZE_MAX), -1);
    expect_pending(&sb, "abcdefghij");
    sendbuf_consume(&sb, 4);
    expect_pending(&sb, "efghij");
    assert_int_equal(sendbuf_append(&sb, "klmn", 4), 0);      /* slides down, no growth */
    expect_pending(&sb, "efghijklmn");
    assert_true(sb.cap <= sb.max);
    sendbuf_consume(&sb, 100);                                /* more than pending: all */
    expect_pending(&sb, "");
    assert_int_equal(sb.r, 0);
    assert_int_equal(sb.w, 0);
    sendbuf_free(&sb);
    assert_null(sb.b);
    sendbuf_free(&sb);                                        /* twice is fine */
}

static void test_sendbuf_reset(void **state)
{
    (void)state;
    SendBuf sb = {.max = 1 << 20};
    assert_int_equal(sendbuf_append(&sb, "hello world", 11), 0);
    sendbuf_consume(&sb, 3);
    char *mem = sb.b;
    size_t cap = sb.cap;
    sendbuf_reset(&sb);
    expect_pending(&sb, "");
    assert_ptr_equal(sb.b, mem);                              /* the memory is kept */
    assert_int_equal(sb.cap, cap);
    assert_int_equal(sendbuf_append(&sb, "again", 5), 0);
    expect_pending(&sb, "again");
    sendbuf_free(&sb);
}

/* Many cycles of appends and consumes of odd sizes: the bytes come out in the order they went
   in, through growth, slides and refusals, and the buffer never passes its maximum. */
static void test_sendbuf_order(void **state)
{
    (void)state;
    static const size_t maxes[] = {1, 7, 64, 16384, 40000};
    for (size_t m = 0; m < sizeof maxes / sizeof maxes[0]; m++) {
        SendBuf sb = {.max = maxes[m]};
        uint32_t seed = 12345;
        uint8_t in_next = 0, out_next = 0;
        size_t in_total = 0, out_total = 0, refused = 0;
        char chunk[50000];
        for (int i = 0; i < 20000; i++) {
            seed = seed * 1103515245u + 12345u;
            size_t n = 1 + (seed >> 8) % (maxes[m] < 3000 ? maxes[m] + 2 : 3000);
            size_t before = sendbuf_pending(&sb);
            uint8_t v = in_next;
            for (size_t k = 0; k < n; k++) {
                chunk[k] = (char)v++;
            }
            int rc = sendbuf_append(&sb, chunk, n);
            if (before + n <= sb.max) {
                assert_int_equal(rc, 0);
                in_next = v;
                in_total += n;
            } else {
                assert_int_equal(rc, -1);
                assert_int_equal(sendbuf_pending(&sb), before);
                refused++;
            }
            assert_true(sb.cap <= sb.max);
            assert_true(sb.r <= sb.w && sb.w <= sb.cap);
            seed = seed * 1103515245u + 12345u;
            size_t c = (seed >> 8) % (sendbuf_pending(&sb) + 2);
            c = c < sendbuf_pending(&sb) ? c : sendbuf_pending(&sb);
            for (size_t k = 0; k < c; k++) {
                if ((uint8_t)sb.b[sb.r + k] != out_next) {
                    fail_msg("max %zu, cycle %d: byte %zu is %u, want %u", sb.max, i,
                             out_total + k, (uint8_t)sb.b[sb.r + k], out_next);
                }
                out_next++;
            }
            sendbuf_consume(&sb, c);
            out_total += c;
            assert_int_equal(in_total - out_total, sendbuf_pending(&sb));
        }
        assert_true(in_total > 0);
        assert_true(refused > 0 || maxes[m] > 3000);
        sendbuf_free(&sb);
    }
}

/* realloc that cannot succeed (2^60 bytes): -2 and the pending bytes untouched. */
static void test_sendbuf_oom(void **state)
{
    (void)state;
    SendBuf sb = {.max = (size_t)1 << 62};
    assert_int_equal(sendbuf_append(&sb, "abc", 3), 0);
    sendbuf_consume(&sb, 1);
    assert_int_equal(sendbuf_append(&sb, "x", (size_t)1 << 60), -2);
    expect_pending(&sb, "bc");
    assert_int_equal(sendbuf_append(&sb, "d", 1), 0);
    expect_pending(&sb, "bcd");
    sendbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_encode),
        cmocka_unit_test(test_request_exact),
        cmocka_unit_test(test_request_child_host),
        cmocka_unit_test(test_request_localhost_described),
        cmocka_unit_test_setup_teardown(test_definition_exact, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_definition_names, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_definition_options, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_definition_labels_quotes, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_definition_backslash_newline, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_collection, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_host_labels, fx_setup, fx_teardown),
        cmocka_unit_test(test_sendbuf_bounded),
        cmocka_unit_test(test_sendbuf_reset),
        cmocka_unit_test(test_sendbuf_order),
        cmocka_unit_test(test_sendbuf_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

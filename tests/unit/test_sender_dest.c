/*
** test_sender_dest.c - cmocka tests for runtime/sender_dest.c against config-semantics §6: the
** list copied from a compiled policy (streamc compiles a stream.conf written here; $STREAMC,
** else ./streamc), rotation (the entry that connected moves to the end), and resolution of one
** entry: unix paths, numeric TCP hosts with and without a port, the default port, service names,
** the %interface scope id (used only when the address has none), refusals (udp, empty host,
** long unix path, a name that does not resolve).
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"
#include "policy_build.h"
#include "sender_dest.h"
#include "testutil.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- rotation ------------------------------------------------------------------------------ */

static void fill(SenderDests *d, SenderDest *e, size_t n)
{
    static const char *const names[] = {"a", "b", "c", "d", "e"};
    memset(e, 0, n * sizeof *e);
    for (size_t i = 0; i < n; i++) {
        e[i].text = (char *)names[i];
        e[i].postpone_until = (int64_t)i * 100;   /* state travels with its entry */
        e[i].last_code = (int)i;
    }
    d->e = e;
    d->n = n;
}

static void expect_order(const SenderDests *d, const char *want)
{
    char got[16] = "";
    for (size_t i = 0; i < d->n; i++) {
        strcat(got, d->e[i].text);
        assert_int_equal(d->e[i].postpone_until, (int64_t)(d->e[i].text[0] - 'a') * 100);
        assert_int_equal(d->e[i].last_code, d->e[i].text[0] - 'a');
    }
    assert_string_equal(got, want);
}

static void test_rotate(void **state)
{
    (void)state;
    SenderDest e[5];
    SenderDests d;
    fill(&d, e, 4);
    sender_dests_rotate(&d, 1);                   /* middle */
    expect_order(&d, "acdb");
    sender_dests_rotate(&d, 3);                   /* last: stays */
    expect_order(&d, "acdb");
    sender_dests_rotate(&d, 0);                   /* first */
    expect_order(&d, "cdba");
    sender_dests_rotate(&d, 2);
    expect_order(&d, "cdab");
    sender_dests_rotate(&d, 4);                   /* out of range: nothing */
    sender_dests_rotate(&d, (size_t)-1);
    expect_order(&d, "cdab");

    /* a full rotation cycle: connecting to the first each time walks the list round */
    fill(&d, e, 5);
    static const char *const cycle[] = {"bcdea", "cdeab", "deabc", "eabcd", "abcde"};
    for (size_t i = 0; i < LEN(cycle); i++) {
        sender_dests_rotate(&d, 0);
        expect_order(&d, cycle[i]);
    }

    fill(&d, e, 1);                               /* one entry */
    sender_dests_rotate(&d, 0);
    expect_order(&d, "a");
    fill(&d, e, 2);
    sender_dests_rotate(&d, 0);
    expect_order(&d, "ba");

    SenderDests none = {NULL, 0};                 /* empty list */
    sender_dests_rotate(&none, 0);
    assert_int_equal(none.n, 0);
}

/* ---- init from a compiled policy ------------------------------------------------------------- */

static void compile(const char *dir, const char *destination, Policy *p)
{
    char conf[1024], cmd[1024], out[256];
    snprintf(conf, sizeof conf,
             "[stream]\n    enabled = yes\n"
             "    api key = 11111111-0000-0000-0000-000000000001\n"
             "    destination = %s\n", destination);
    testutil_write_file(dir, "stream.conf", conf, strlen(conf));
    testutil_write_file(dir, "netdata.conf", "[global]\n    hostname = c1\n", 27);
    testutil_write_file(dir, "netdata.public.unique.id", "33333333-0000-0000-0000-0000000000ff",
                        36);
    snprintf(out, sizeof out, "%s/out.policy", dir);
    if (testutil_streamc_compile(dir, out, cmd, sizeof cmd) != 0) {
        fail_msg("cannot compile %s (is $STREAMC a streamc binary?): %s", dir, cmd);
    }
    const char *why = NULL;
    if (policy_open(p, out, &why) != 0) {
        fail_msg("%s: %s", out, why);
    }
}

static void test_init_from_policy(void **state)
{
    (void)state;
    char *dir = testutil_temp_dir("test_sender_dest");
    Policy p;
    compile(dir, "tcp:127.0.0.1:19998 unix:/run/p.sock, [::1]%lo:http  localhost /abs/path", &p);
    const PolicySetting *s =
        policy_find_setting(&p.v, NULL, policy_build_key_id("stream", "destination"));
    assert_non_null(s);
    assert_int_equal(s->vtype, VAL_DEST);
    SenderDests d;
    assert_int_equal(sender_dests_init(&d, &p.v, p.v.dests + s->aux_off, s->aux_len), 0);
    policy_close(&p);                             /* the list keeps its own copies */
    static const struct {
        const char *text;
        int proto;
        const char *host, *iface, *port;
    } want[] = {
        {"tcp:127.0.0.1:19998", 0, "127.0.0.1", "", "19998"},
        {"unix:/run/p.sock", 2, "/run/p.sock", "", ""},
        {"[::1]%lo:http", 0, "::1", "lo", "http"},
        {"localhost", 0, "localhost", "", ""},
        {"/abs/path", 2, "/abs/path", "", ""},
    };
    assert_int_equal(d.n, LEN(want));
    for (size_t i = 0; i < LEN(want); i++) {
        assert_string_equal(d.e[i].text, want[i].text);
        assert_int_equal(d.e[i].proto, want[i].proto);
        assert_string_equal(d.e[i].host, want[i].host);
        assert_string_equal(d.e[i].iface, want[i].iface);
        assert_string_equal(d.e[i].port, want[i].port);
        assert_int_equal(d.e[i].postpone_until, 0);
        assert_null(d.e[i].last_error);
    }
    sender_dests_rotate(&d, 0);
    assert_string_equal(d.e[0].text, "unix:/run/p.sock");
    assert_string_equal(d.e[4].text, "tcp:127.0.0.1:19998");
    sender_dests_free(&d);
    assert_null(d.e);
    assert_int_equal(d.n, 0);
    sender_dests_free(&d);                        /* twice is fine */

    assert_int_equal(sender_dests_init(&d, &p.v, NULL, 0), 0);   /* nothing: an empty list */
    assert_int_equal(d.n, 0);
    assert_null(d.e);
    sender_dests_free(&d);
    testutil_rm_tree(dir);
    free(dir);
}

/* ---- resolution ---------------------------------------------------------------------------- */

static SenderDest entry(int proto, const char *host, const char *iface, const char *port)
{
    SenderDest e = {(char *)"text", proto, (char *)host, (char *)iface, (char *)port, 0, NULL, 0};
    return e;
}

static int resolve(SenderDest e, SenderAddr *out, char *why)
{
    why[0] = '\0';
    return sender_dest_resolve(&e, 19999, out, why, 256);
}

static void test_resolve_unix(void **state)
{
    (void)state;
    SenderAddr a[SENDER_MAX_ADDRS];
    char why[256];
    assert_int_equal(resolve(entry(2, "/run/netdata/stream.sock", "", ""), a, why), 1);
    const struct sockaddr_un *un = (const struct sockaddr_un *)&a[0].sa;
    assert_int_equal(a[0].family, AF_UNIX);
    assert_int_equal(a[0].socktype, SOCK_STREAM);
    assert_int_equal(un->sun_family, AF_UNIX);
    assert_string_equal(un->sun_path, "/run/netdata/stream.sock");
    assert_int_equal(a[0].len, sizeof *un);

    char path[sizeof un->sun_path + 8];
    memset(path, 'x', sizeof path);
    path[0] = '/';
    path[sizeof un->sun_path - 1] = '\0';         /* the longest path that fits, NUL included */
    assert_int_equal(resolve(entry(2, path, "", ""), a, why), 1);
    assert_string_equal(((const struct sockaddr_un *)&a[0].sa)->sun_path, path);
    path[sizeof un->sun_path - 1] = 'x';
    path[sizeof un->sun_path] = '\0';             /* one more: refused */
    assert_int_equal(resolve(entry(2, path, "", ""), a, why), -1);
    assert_string_equal(why, "unix socket path is too long");
    path[sizeof path - 1] = '\0';
    assert_int_equal(resolve(entry(2, path, "", ""), a, why), -1);
}

static void expect_in4(const SenderAddr *a, const char *ip, unsigned port)
{
    const struct sockaddr_in *in = (const struct sockaddr_in *)&a->sa;
    char buf[INET_ADDRSTRLEN];
    assert_int_equal(a->family, AF_INET);
    assert_int_equal(in->sin_family, AF_INET);
    assert_int_equal(a->socktype, SOCK_STREAM);
    assert_int_equal(a->len, sizeof *in);
    assert_non_null(inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf));
    assert_string_equal(buf, ip);
    assert_int_equal(ntohs(in->sin_port), port);
}

static void test_resolve_tcp_ipv4(void **state)
{
    (void)state;
    SenderAddr a[SENDER_MAX_ADDRS];
    char why[256];
    assert_int_equal(resolve(entry(0, "127.0.0.1", "", "19998"), a, why), 1);
    expect_in4(&a[0], "127.0.0.1", 19998);
    assert_int_equal(resolve(entry(0, "127.0.0.1", "", ""), a, why), 1);   /* default port */
    expect_in4(&a[0], "127.0.0.1", 19999);
    SenderDest e = entry(0, "10.1.2.3", "", "");
    assert_int_equal(sender_dest_resolve(&e, 7, a, why, sizeof why), 1);
    expect_in4(&a[0], "10.1.2.3", 7);
    assert_int_equal(resolve(entry(0, "127.0.0.1", "", "http"), a, why), 1); /* service name */
    expect_in4(&a[0], "127.0.0.1", 80);
    assert_int_equal(resolve(entry(0, "127.0.0.1", "", "no-such-service-x"), a, why), -1);
    assert_non_null(strstr(why, "cannot resolve host '127.0.0.1', port 'no-such-service-x'"));
    assert_int_equal(resolve(entry(0, "127.0.0.1", "", "19999:SSL"), a, why), -1);
    assert_non_null(strstr(why, "port '19999:SSL'"));
}

static void expect_in6(const SenderAddr *a, const char *ip, unsigned port, uint32_t scope)
{
    const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)&a->sa;
    char buf[INET6_ADDRSTRLEN];
    assert_int_equal(a->family, AF_INET6);
    assert_int_equal(in->sin6_family, AF_INET6);
    assert_int_equal(a->len, sizeof *in);
    assert_non_null(inet_ntop(AF_INET6, &in->sin6_addr, buf, sizeof buf));
    assert_string_equal(buf, ip);
    assert_int_equal(ntohs(in->sin6_port), port);
    assert_int_equal(in->sin6_scope_id, scope);
}

static void test_resolve_ipv6_scope(void **state)
{
    (void)state;
    SenderAddr a[SENDER_MAX_ADDRS];
    char why[256];
    unsigned lo = if_nametoindex("lo");
    if (lo == 0) {
        skip();                                   /* no loopback interface in this sandbox */
    }
    assert_int_equal(resolve(entry(0, "::1", "", "19998"), a, why), 1);
    expect_in6(&a[0], "::1", 19998, 0);
    assert_int_equal(resolve(entry(0, "::1", "lo", ""), a, why), 1);      /* [::1]%lo */
    expect_in6(&a[0], "::1", 19999, lo);
    assert_int_equal(resolve(entry(0, "::1", "no-such-if0", "1"), a, why), 1); /* ignored */
    expect_in6(&a[0], "::1", 1, 0);
    /* the address carries its own scope: the interface is not used */
    assert_int_equal(resolve(entry(0, "fe80::1%77", "lo", "5"), a, why), 1);
    expect_in6(&a[0], "fe80::1", 5, 77);
    assert_int_equal(resolve(entry(0, "fe80::1", "lo", "5"), a, why), 1);
    expect_in6(&a[0], "fe80::1", 5, lo);
    /* an interface never touches an IPv4 address */
    assert_int_equal(resolve(entry(0, "127.0.0.1", "lo", ""), a, why), 1);
    expect_in4(&a[0], "127.0.0.1", 19999);
}

static void test_resolve_refused(void **state)
{
    (void)state;
    SenderAddr a[SENDER_MAX_ADDRS];
    char why[256];
    assert_int_equal(resolve(entry(1, "10.0.0.1", "", "19999"), a, why), -1);
    assert_non_null(strstr(why, "udp destinations cannot carry a stream"));
    assert_int_equal(resolve(entry(0, "", "", "19999"), a, why), -1);
    assert_string_equal(why, "destination does not specify a host");
    assert_int_equal(resolve(entry(0, "", "lo", ""), a, why), -1);
    assert_string_equal(why, "destination does not specify a host");
    /* a tiny WHY buffer is cut, never overrun */
    char small[8];
    SenderDest e = entry(0, "", "", "");
    assert_int_equal(sender_dest_resolve(&e, 19999, a, small, sizeof small), -1);
    assert_string_equal(small, "destina");
}

/* A name under .invalid never resolves (RFC 6761). In a child process with an alarm, so a
   resolver that waits for an unreachable server cannot hang the suite. */
static void test_resolve_unresolvable(void **state)
{
    (void)state;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        alarm(10);
        SenderAddr a[SENDER_MAX_ADDRS];
        char why[256];
        int rc = resolve(entry(0, "streamd-test.invalid", "", "19999"), a, why);
        _exit(rc == -1 && strstr(why, "cannot resolve host 'streamd-test.invalid', port '19999'")
                  ? 0 : 1);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM) {
        print_message("the resolver did not answer within 10 s: not a sender_dest fault\n");
        skip();
    }
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* The non-blocking lookup: literals and unix paths answer at once, a name goes to glibc's
   thread and is polled; both give what the blocking call gives. */
static void test_lookup_async(void **state)
{
    (void)state;
    SenderAddr a[SENDER_MAX_ADDRS], b[SENDER_MAX_ADDRS];
    char why[256];
    SenderLookup *l = (SenderLookup *)1;
    SenderDest lit = entry(0, "127.0.0.1", "", "4242");
    assert_int_equal(sender_lookup_start(&l, &lit, 19999, a, why, sizeof why), 1);
    assert_null(l);
    assert_int_equal(ntohs(((struct sockaddr_in *)&a[0].sa)->sin_port), 4242);
    SenderDest ux = entry(2, "/tmp/x.sock", "", "");
    assert_int_equal(sender_lookup_start(&l, &ux, 19999, a, why, sizeof why), 1);
    assert_null(l);
    SenderDest udp = entry(1, "127.0.0.1", "", "");
    assert_int_equal(sender_lookup_start(&l, &udp, 19999, a, why, sizeof why), -1);
    assert_null(l);
    SenderDest name = entry(0, "localhost", "", "");
    int n = sender_lookup_start(&l, &name, 19999, a, why, sizeof why);
    assert_int_equal(n, 0);
    assert_non_null(l);
    for (int i = 0; i < 5000 && n == 0; i++) {          /* at most 5 s */
        n = sender_lookup_poll(l, &name, a, why, sizeof why);
        if (n == 0) {
            usleep(1000);
        }
    }
    assert_int_equal(sender_lookup_free(l), 1);
    int m = sender_dest_resolve(&name, 19999, b, why, sizeof why);
    assert_true(n > 0);
    assert_int_equal(n, m);
    for (int i = 0; i < n; i++) {
        assert_int_equal(a[i].len, b[i].len);
        assert_memory_equal(&a[i].sa, &b[i].sa, a[i].len);
    }
    /* cancelling a lookup just started never loses it: freed now or reported as running */
    n = sender_lookup_start(&l, &name, 19999, a, why, sizeof why);
    assert_int_equal(n, 0);
    while (!sender_lookup_free(l)) {
        usleep(1000);
    }
    assert_int_equal(sender_lookup_free(NULL), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_init_from_policy),
        cmocka_unit_test(test_resolve_unix),
        cmocka_unit_test(test_resolve_tcp_ipv4),
        cmocka_unit_test(test_resolve_ipv6_scope),
        cmocka_unit_test(test_resolve_refused),
        cmocka_unit_test(test_resolve_unresolvable),
        cmocka_unit_test(test_lookup_async),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

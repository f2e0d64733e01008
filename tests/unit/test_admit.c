/*
** test_admit.c - cmocka tests for runtime/admit.c: every refusal of a Netdata 1.37.1 parent
** in the order the parent checks, with its exact reply, HTTP status, error-log and access-log
** text (stream-protocol §2.2, §2.2a, §6; config-semantics §3.6, §4.2). The policies are
** compiled from config directories written here, by the streamc binary ($STREAMC, else
** ./streamc), then opened with runtime/policy.c as streamd opens them.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "admit.h"
#include "policy.h"
#include "schema_tables.h"
#include "testutil.h"

#define KEY_OK "11111111-0000-0000-0000-000000000001"
#define KEY_OFF "11111111-0000-0000-0000-000000000002"
#define KEY_MACHINE "11111111-0000-0000-0000-000000000003"   /* type = machine */
#define KEY_NET "11111111-0000-0000-0000-000000000004"       /* allow from = 10.1.* */
#define KEY_LOOP "11111111-0000-0000-0000-000000000005"      /* allow from = 127.0.0.1 */
#define KEY_UPPER "AAAAAAAA-0000-0000-0000-000000000006"     /* section written upper case */
#define M_OK "22222222-0000-0000-0000-0000000000a0"
#define M_OFF "22222222-0000-0000-0000-0000000000a1"
#define M_FROM "22222222-0000-0000-0000-0000000000a2"        /* allow from = 10.9.9.9 */
#define M_API "22222222-0000-0000-0000-0000000000a3"         /* type = api */
#define M_UNTYPED "22222222-0000-0000-0000-0000000000a4"     /* only `enabled`: an API section */
#define M_HIST "22222222-0000-0000-0000-0000000000a5"        /* only `history`: a machine section */
#define NODE "33333333-0000-0000-0000-0000000000ff"
#define DENIED "You are not permitted to access this. Check the logs for more info."
#define PFX "STREAM [receive from [10.1.1.1]:5555]: "

static const char *parent_stream =
    "[stream]\n    enabled = no\n"
    "[" KEY_OK "]\n    enabled = yes\n    allow from = localhost 10.*\n"
    "[" KEY_OFF "]\n    type = api\n    enabled = no\n"
    "[" KEY_MACHINE "]\n    type = machine\n    enabled = yes\n"
    "[" KEY_NET "]\n    enabled = yes\n    allow from = 10.1.*\n"
    "[" KEY_LOOP "]\n    enabled = yes\n    allow from = 127.0.0.1\n"
    "[" KEY_UPPER "]\n    type = api\n    enabled = yes\n"
    "[" M_OFF "]\n    type = machine\n    enabled = no\n"
    "[" M_FROM "]\n    type = machine\n    allow from = 10.9.9.9\n"
    "[" M_API "]\n    type = api\n    enabled = yes\n"
    "[" M_UNTYPED "]\n    enabled = yes\n"
    "[" M_HIST "]\n    history = 100\n";

static const char *parent_netdata =
    "[global]\n    hostname = p1\n"
    "[web]\n"
    "    bind to = *:19999=dashboard|streaming *:20000=dashboard *:20001=streaming^SSL=force\n"
    "    allow connections from = !10.1.2.3 localhost 10.* 192.168.*\n"
    "    allow streaming from = localhost 10.*\n"
    "    allow streaming by dns = no\n";

static const char *busy_netdata =
    "[web]\n    mode = static-threaded\n    accept a streaming request every seconds = 10\n";

static const char *off_stream = "[stream]\n    enabled = no\n";   /* check refuses enabled keys */
static const char *off_netdata = "[web]\n    mode = none\n";

typedef struct Fixture {
    char dir[64];
    Policy parent, busy, off;
} Fixture;

/* Compile a config directory DIR/NAME and open the result into P. */
static void compile(const Fixture *fx, const char *name, const char *stream, const char *netdata,
                    Policy *p)
{
    char dir[128], cmd[512], out[160];
    snprintf(dir, sizeof dir, "%s/%s", fx->dir, name);
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", dir);
    assert_int_equal(system(cmd), 0);
    testutil_write_file(dir, "stream.conf", stream, strlen(stream));
    testutil_write_file(dir, "netdata.conf", netdata, strlen(netdata));
    testutil_write_file(dir, "netdata.public.unique.id", NODE, strlen(NODE));
    snprintf(out, sizeof out, "%s/%s.policy", fx->dir, name);
    if (testutil_streamc_compile(dir, out, cmd, sizeof cmd) != 0) {
        fail_msg("cannot compile %s (is $STREAMC a streamc binary?): %s", dir, cmd);
    }
    const char *why = NULL;
    if (policy_open(p, out, &why) != 0) {
        fail_msg("%s: %s", out, why);
    }
}

static int setup(void **state)
{
    Fixture *fx = calloc(1, sizeof *fx);
    if (!fx) {
        return -1;
    }
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_admit.XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    compile(fx, "parent", parent_stream, parent_netdata, &fx->parent);
    compile(fx, "busy", parent_stream, busy_netdata, &fx->busy);
    compile(fx, "off", off_stream, off_netdata, &fx->off);
    return 0;
}

static int teardown(void **state)
{
    Fixture *fx = *state;
    char cmd[128];
    if (!fx) {
        return 0;
    }
    policy_close(&fx->parent);
    policy_close(&fx->busy);
    policy_close(&fx->off);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    int rc = system(cmd);
    free(fx);
    return rc == 0 ? 0 : -1;
}

static AdmitRequest req(const char *ip, const char *key, const char *guid)
{
    AdmitRequest r;
    admit_request_init(&r);
    r.client_ip = ip;
    r.client_port = "5555";
    r.key = key;
    r.hostname = "child1";
    r.machine_guid = guid;
    return r;
}

/* The result's code, status, reply and error log must be exactly these. */
static AdmitResult expect(const Policy *p, const AdmitRequest *r, AdmitCode code, int status,
                          const char *reply, const char *log)
{
    AdmitResult res = admit_stream(&p->v, r);
    if (res.code != code) {
        fail_msg("expected '%s', got '%s' (log: %s)", admit_code_name(code),
                 admit_code_name(res.code), res.log);
    }
    assert_int_equal(res.accepted, code == ADMIT_OK);
    assert_int_equal(res.http_status, status);
    if (reply) {
        assert_non_null(res.reply);
        assert_string_equal(res.reply, reply);
    } else {
        assert_null(res.reply);
    }
    if (log) {
        assert_string_equal(res.log, log);
    }
    return res;
}

/* Every refusal, in the order the parent checks: each request passes every earlier check. */
static void test_refusals_in_order(void **state)
{
    Fixture *fx = *state;
    const Policy *p = &fx->parent;
    AdmitRequest r = req("10.1.1.1", KEY_OK, M_OK);
    AdmitResult res;

    r = req("10.1.1.1", KEY_OK, M_OK);
    expect(&fx->off, &r, ADMIT_WEB_DISABLED, 0, NULL, "");

    r.local_port = "30000";
    expect(p, &r, ADMIT_NO_LISTENER, 0, NULL, "");

    r = req("8.8.8.8", KEY_OK, M_OK);   /* not matched; DNS on (heuristic), lookup fails */
    res = expect(p, &r, ADMIT_CONNECTION_DENIED, 0, NULL,
                 "Incoming connection on '8.8.8.8' does not match a numeric pattern, and host "
                 "could not be resolved (err=Name or service not known)\n"
                 "Permission denied for client '8.8.8.8', port '5555'");
    assert_int_equal(res.dns_used, 1);
    assert_string_equal(res.access, "");

    r = req("10.1.1.1", KEY_OK, M_OK);
    r.local_port = "20001";
    expect(p, &r, ADMIT_SSL_FORCED, 400, "I don't understand you...\r\n", "");
    r.tls = 1;
    expect(p, &r, ADMIT_OK, 0, NULL, "");

    r = req("10.1.1.1", KEY_OK, M_OK);
    r.local_port = "20000";
    expect(p, &r, ADMIT_PORT_NO_STREAMING, 403, "You are not allowed to access this resource.",
           "");

    r = req("192.168.1.1", KEY_OK, M_OK);
    res = expect(p, &r, ADMIT_STREAMING_DENIED, 403,
                 "You are not allowed to access this resource.", "");
    assert_non_null(res.setting);

    r = req("10.1.1.1", "", M_OK);
    res = expect(p, &r, ADMIT_NO_KEY, 401, DENIED,
                 PFX "request without an API key. Forbidding access.");
    assert_string_equal(res.tag, "ACCESS DENIED - NO KEY");
    assert_string_equal(res.access, "STREAM: <tid> '[10.1.1.1]:5555' 'ACCESS DENIED - NO KEY' "
                        "host 'child1' api key '-' machine guid '" M_OK "'");

    r = req("10.1.1.1", KEY_OK, M_OK);
    r.hostname = NULL;
    res = expect(p, &r, ADMIT_NO_HOSTNAME, 401, DENIED,
                 PFX "request without a hostname. Forbidding access.");
    assert_string_equal(res.tag, "ACCESS DENIED - NO HOSTNAME");

    r = req("10.1.1.1", KEY_OK, "");
    res = expect(p, &r, ADMIT_NO_MACHINE_GUID, 401, DENIED,
                 PFX "request without a machine GUID. Forbidding access.");
    assert_string_equal(res.tag, "ACCESS DENIED - NO MACHINE GUID");

    r = req("10.1.1.1", "{" KEY_OK "}", M_OK);
    res = expect(p, &r, ADMIT_INVALID_KEY, 401, DENIED,
                 "Registry: GUID '{" KEY_OK "}' is not a valid GUID.\n"
                 PFX "API key '{" KEY_OK "}' is not valid GUID (use the command uuidgen to "
                 "generate one). Forbidding access.");
    assert_string_equal(res.tag, "ACCESS DENIED - INVALID KEY");

    r = req("10.1.1.1", KEY_OK, "22222222000000000000000000000000");
    res = expect(p, &r, ADMIT_INVALID_MACHINE_GUID, 401, DENIED,
                 "Registry: GUID '22222222000000000000000000000000' is not a valid GUID.\n"
                 PFX "machine GUID '22222222000000000000000000000000' is not GUID. Forbidding "
                 "access.");
    assert_string_equal(res.tag, "ACCESS DENIED - INVALID MACHINE GUID");

    r = req("10.1.1.1", KEY_MACHINE, M_OK);
    res = expect(p, &r, ADMIT_KEY_NOT_API, 401, DENIED,
                 PFX "API key '" KEY_MACHINE "' is a machine GUID. Forbidding access.");
    assert_string_equal(res.tag, "ACCESS DENIED - API KEY GIVEN IS NOT API KEY");
    assert_string_equal(res.type_seen, "machine");
    assert_non_null(res.setting);

    r = req("10.1.1.1", KEY_OFF, M_OK);
    res = expect(p, &r, ADMIT_KEY_NOT_ENABLED, 401, DENIED,
                 PFX "API key '" KEY_OFF "' is not allowed. Forbidding access.");
    assert_string_equal(res.tag, "ACCESS DENIED - KEY NOT ENABLED");
    assert_non_null(res.setting);
    assert_int_equal(res.setting->num, 0);

    r = req("10.2.2.2", KEY_NET, M_OK);
    res = expect(p, &r, ADMIT_KEY_NOT_FROM_IP, 401, DENIED,
                 "STREAM [receive from [10.2.2.2]:5555]: API key '" KEY_NET "' is not permitted "
                 "from this IP. Forbidding access.");
    assert_string_equal(res.tag, "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP");

    r = req("10.1.1.1", KEY_OK, M_API);
    res = expect(p, &r, ADMIT_MACHINE_NOT_MACHINE, 401, DENIED,
                 PFX "machine GUID '" M_API "' is a api GUID. Forbidding access.");
    assert_string_equal(res.tag, "ACCESS DENIED - MACHINE GUID GIVEN IS NOT A MACHINE GUID");
    assert_int_equal(res.machine_in_apikeys, 1);

    r = req("10.1.1.1", KEY_OK, M_OFF);
    res = expect(p, &r, ADMIT_MACHINE_NOT_ENABLED, 401, DENIED,
                 PFX "machine GUID '" M_OFF "' is not allowed. Forbidding access.");
    assert_string_equal(res.tag, "ACCESS DENIED - MACHINE GUID NOT ENABLED");

    r = req("10.1.1.1", KEY_OK, M_FROM);
    res = expect(p, &r, ADMIT_MACHINE_NOT_FROM_IP, 401, DENIED,
                 PFX "Machine GUID '" M_FROM "' is not permitted from this IP. Forbidding "
                 "access.");
    assert_string_equal(res.tag, "ACCESS DENIED - MACHINE GUID NOT ALLOWED FROM THIS IP");

    r = req("10.1.1.1", KEY_OK, M_OK);
    res = expect(&fx->busy, &r, ADMIT_TOO_BUSY, 503,
                 "The server is too busy now to accept this request. Try later.",
                 PFX "too busy to accept new streaming request. Will be allowed in 10 secs.");
    assert_null(res.tag);
    assert_string_equal(res.access, "");

    r.existing_age = 5;
    r.existing_hostname = "old-name";
    res = expect(p, &r, ADMIT_ALREADY_CONNECTED, 409,
                 "This GUID is already streaming to this server",
                 "STREAM old-name [receive from [10.1.1.1]:5555]: multiple connections for same "
                 "host detected - existing connection is active (within last 5 sec), rejecting "
                 "new connection.");
    assert_string_equal(res.access, "STREAM: <tid> '[10.1.1.1]:5555' 'REJECTED - ALREADY "
                        "CONNECTED' host 'old-name' api key '" KEY_OK "' machine guid '" M_OK
                        "'");

    r = req("10.1.1.1", KEY_OK, NODE);
    res = expect(p, &r, ADMIT_OWN_GUID, 200,
                 "Don't hit me baby, you are trying to stream my localhost back",
                 "STREAM child1 [receive from 10.1.1.1:5555]: denied to receive metrics, machine "
                 "GUID [" NODE "] is my own. Did you copy the parent/proxy machine GUID to a "
                 "child, or is this an inter-agent loop?");
    assert_string_equal(res.tag, "DENIED - ATTEMPT TO RECEIVE METRICS FROM MACHINE_GUID "
                        "IDENTICAL TO PARENT");

    r = req("10.1.1.1", KEY_OK, M_OK);
    res = expect(p, &r, ADMIT_OK, 0, NULL, "");
    assert_string_equal(res.tag, "CONNECTED");
    assert_string_equal(res.access, "STREAM: <tid> '[10.1.1.1]:5555' 'CONNECTED' host 'child1' "
                        "api key '" KEY_OK "' machine guid '" M_OK "'");
    assert_non_null(res.key);
    assert_null(res.machine);   /* no section: Netdata's defaults */
}

static void test_ip_rewrite(void **state)
{
    Fixture *fx = *state;
    char out[64];
    static const char *const cases[][2] = {
        { "127.0.0.1", "localhost" }, { "::1", "localhost" }, { "::ffff:10.1.2.3", "10.1.2.3" },
        { "::ffff:127.0.0.1", "127.0.0.1" }, { "10.0.0.1", "10.0.0.1" }, { "fe80::1", "fe80::1" },
        { "127.0.0.2", "127.0.0.2" }, { "UNKNOWN", "UNKNOWN" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        admit_rewrite_ip(cases[i][0], out, sizeof out);
        assert_string_equal(out, cases[i][1]);
    }
    admit_rewrite_ip("0123456789", out, 5);
    assert_string_equal(out, "0123");
    /* `allow from = 127.0.0.1` never matches a local child: it is seen as localhost */
    AdmitRequest r = req("127.0.0.1", KEY_LOOP, M_OK);
    AdmitResult res = expect(&fx->parent, &r, ADMIT_KEY_NOT_FROM_IP, 401, DENIED,
                             "STREAM [receive from [localhost]:5555]: API key '" KEY_LOOP "' is "
                             "not permitted from this IP. Forbidding access.");
    assert_string_equal(res.ip, "localhost");
    r.client_ip = "::ffff:127.0.0.1";   /* 127.0.0.1, not localhost: the web lists refuse it */
    res = expect(&fx->parent, &r, ADMIT_CONNECTION_DENIED, 0, NULL, NULL);
    assert_string_equal(res.ip, "127.0.0.1");
    r = req("::1", KEY_OK, M_OK);
    expect(&fx->parent, &r, ADMIT_OK, 0, NULL, "");
}

static void test_lookups_are_exact(void **state)
{
    Fixture *fx = *state;
    const Policy *p = &fx->parent;
    /* an upper-case key matches only an upper-case section, byte for byte */
    AdmitRequest r = req("10.1.1.1", "aaaaaaaa-0000-0000-0000-000000000006", M_OK);
    expect(p, &r, ADMIT_KEY_NOT_ENABLED, 401, DENIED, NULL);
    r.key = KEY_UPPER;
    expect(p, &r, ADMIT_OK, 0, NULL, "");
    /* the parent's own GUID in upper case is another host (check 14 is case-sensitive) */
    r = req("10.1.1.1", KEY_OK, "33333333-0000-0000-0000-0000000000FF");
    expect(p, &r, ADMIT_OK, 0, NULL, "");
    /* a section written as an API key (only `enabled`) serves as a machine GUID too */
    r = req("10.1.1.1", KEY_OK, M_UNTYPED);
    AdmitResult res = expect(p, &r, ADMIT_OK, 0, NULL, "");
    assert_int_equal(res.machine_in_apikeys, 1);
    /* a machine section used as an API key: its explicit type refuses it, and without one
       `enabled` reads the API-key default no */
    r = req("10.1.1.1", M_FROM, M_OK);
    res = expect(p, &r, ADMIT_KEY_NOT_API, 401, DENIED, NULL);
    assert_int_equal(res.key_in_machines, 1);
    r = req("10.1.1.1", M_HIST, M_OK);
    res = expect(p, &r, ADMIT_KEY_NOT_ENABLED, 401, DENIED, NULL);
    assert_int_equal(res.key_in_machines, 1);
    assert_null(res.setting);   /* the default, not a setting of the section */
}

static void test_runtime_state(void **state)
{
    Fixture *fx = *state;
    AdmitRequest r = req("10.1.1.1", KEY_OK, M_OK);
    r.rate_elapsed = 4;
    AdmitResult res = expect(&fx->busy, &r, ADMIT_TOO_BUSY, 503, 
                             "The server is too busy now to accept this request. Try later.",
                             PFX "too busy to accept new streaming request. Will be allowed in 6 "
                             "secs.");
    assert_int_equal(res.rate_reset, 0);
    r.rate_elapsed = 10;
    res = expect(&fx->busy, &r, ADMIT_OK, 0, NULL, "");
    assert_int_equal(res.rate_reset, 1);
    /* refusals before the rate check leave the timer alone */
    r.key = KEY_OFF;
    res = expect(&fx->busy, &r, ADMIT_KEY_NOT_ENABLED, 401, DENIED, NULL);
    assert_int_equal(res.rate_reset, 0);
    /* a receiver silent for more than 30 s is replaced */
    r = req("10.1.1.1", KEY_OK, M_OK);
    r.existing_age = 30;
    expect(&fx->parent, &r, ADMIT_ALREADY_CONNECTED, 409, 
           "This GUID is already streaming to this server", NULL);
    r.existing_age = 31;
    expect(&fx->parent, &r, ADMIT_OK, 0, NULL,
           "STREAM child1 [receive from [10.1.1.1]:5555]: multiple connections for same host "
           "detected - existing connection is dead (31 sec), accepting new connection.");
}

static void test_dns(void **state)
{
    Fixture *fx = *state;
    /* `!10.1.2.3 ...` with DNS on: a negative IP match falls through to the name */
    AdmitRequest r = req("10.1.2.3", KEY_OK, M_OK);
    AdmitResult res = expect(&fx->parent, &r, ADMIT_CONNECTION_DENIED, 0, NULL, NULL);
    assert_int_equal(res.dns_used, 1);
    r.dns_name = "UNKNOWN";   /* forward lookup did not confirm: no word matches UNKNOWN */
    expect(&fx->parent, &r, ADMIT_CONNECTION_DENIED, 0, NULL,
           "Permission denied for client '10.1.2.3', port '5555'");
    r.dns_name = "10.example";   /* confirmed name matching 10.*; streaming reuses it */
    expect(&fx->parent, &r, ADMIT_OK, 0, NULL, "");
    r.dns_name = NULL;
    r.client_ip = "10.1.2.4";
    res = expect(&fx->parent, &r, ADMIT_OK, 0, NULL, "");
    assert_int_equal(res.dns_used, 0);
}

static void test_names(void **state)
{
    (void)state;
    for (int c = 0; c < ADMIT__COUNT; c++) {
        assert_non_null(admit_code_name((AdmitCode)c));
        assert_string_not_equal(admit_code_name((AdmitCode)c), "?");
    }
    assert_string_equal(admit_code_name(ADMIT__COUNT), "?");
    assert_int_not_equal(admit_row(SEC_WEB, "bind to"), ADMIT_NO_ROW);
    assert_int_equal(admit_row(SEC_WEB, "no such key"), ADMIT_NO_ROW);
    assert_int_equal(admit_row(SEC__COUNT, "bind to"), ADMIT_NO_ROW);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refusals_in_order),
        cmocka_unit_test(test_ip_rewrite),
        cmocka_unit_test(test_lookups_are_exact),
        cmocka_unit_test(test_runtime_state),
        cmocka_unit_test(test_dns),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

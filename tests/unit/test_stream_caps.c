/*
** test_stream_caps.c - cmocka tests for runtime/stream_caps.c against stream-protocol §2.3, §2.4
** and §8: every row of the lab table (the real 1.37.1 parent's reply to each `ver`), computed
** with Netdata's own capability set and with streamd's (STREAM_CAPS_OURS), the log names, and a
** 1.37.1 child's reading of the parent's reply.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stream_caps.h"
#include "testutil.h"

static const char *prompt(uint64_t caps)
{
    static char buf[128];
    size_t n = stream_caps_prompt(caps, buf, sizeof(buf));
    assert_true(n < sizeof(buf));
    assert_int_equal(strlen(buf), n);
    return buf;
}

#define VN STREAM_PROMPT_VN

/* ver (NULL = absent) -> what the real parent replied (lab) and what streamd replies. */
static const struct {
    const char *ver;
    const char *netdata;        /* with STREAM_CAPS_NETDATA (the Debian build, LZ4 on) */
    const char *ours;           /* with STREAM_CAPS_OURS */
    uint64_t ours_caps;
} lab[] = {
    {NULL, STREAM_PROMPT_V1, STREAM_PROMPT_V1, STREAM_CAP_V1},
    {"1", STREAM_PROMPT_V1, STREAM_PROMPT_V1, STREAM_CAP_V1},
    {"0", STREAM_PROMPT_V1, STREAM_PROMPT_V1, STREAM_CAP_V1},
    {"6", STREAM_PROMPT_V1, STREAM_PROMPT_V1, 0},           /* bits 1|2: nothing left */
    {"2", STREAM_PROMPT_V2, STREAM_PROMPT_V2, STREAM_CAP_V2 | STREAM_CAP_HLABELS},
    {"3", VN "3", VN "3", STREAM_CAP_VN | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM},
    {"4", VN "4", VN "4", STREAM_CAP_VN | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM | STREAM_CAP_CLABELS},
    {"5", VN "5", VN "4", STREAM_CAP_VN | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM | STREAM_CAP_CLABELS},
    {"64", VN "64", VN "64", STREAM_CAP_VCAPS},
    {"192", VN "192", VN "192", STREAM_CAP_VCAPS | STREAM_CAP_HLABELS},
    {"4160", VN "4160", VN "64", STREAM_CAP_VCAPS},
    {"16376", VN "16320", VN "960",
     STREAM_CAP_VCAPS | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM | STREAM_CAP_CLABELS},
    {"15352", VN "15296", VN "960",
     STREAM_CAP_VCAPS | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM | STREAM_CAP_CLABELS},
    {"32768", STREAM_PROMPT_V1, STREAM_PROMPT_V1, 0},
};

static void test_lab_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(lab) / sizeof(lab[0]); i++) {
        uint64_t nd = stream_caps_from_ver(lab[i].ver, STREAM_CAPS_NETDATA);
        uint64_t us = stream_caps_from_ver(lab[i].ver, STREAM_CAPS_OURS);
        const char *v = lab[i].ver ? lab[i].ver : "(none)";
        if (strcmp(prompt(nd), lab[i].netdata) != 0) {
            fail_msg("ver=%s: netdata set gives '%s', lab '%s'", v, prompt(nd), lab[i].netdata);
        }
        if (strcmp(prompt(us), lab[i].ours) != 0) {
            fail_msg("ver=%s: ours gives '%s', want '%s'", v, prompt(us), lab[i].ours);
        }
        assert_int_equal(us, lab[i].ours_caps);
        /* never echo a bit the child did not offer (as a bitmask; ver 2..5 are not masks) */
        if (lab[i].ver && (us & STREAM_CAP_VCAPS)) {
            uint64_t offered = strtoull(lab[i].ver, NULL, 0);
            assert_int_equal(stream_caps_reply_version(us) & ~offered, 0);
        }
    }
}

static void test_conversion(void **state)
{
    (void)state;
    const uint64_t all = STREAM_CAPS_NETDATA;
    assert_int_equal(STREAM_CAPS_NETDATA, 16376);
    assert_int_equal(STREAM_CAPS_NETDATA_NO_LZ4, 16376 - STREAM_CAP_COMPRESSION);
    assert_int_equal(STREAM_CAPS_OURS, 1016);
    /* ver=5 without compression on the local side: VN + 4 */
    assert_int_equal(stream_caps_from_ver("5", STREAM_CAPS_NETDATA_NO_LZ4),
                     STREAM_CAP_VN | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM | STREAM_CAP_CLABELS);
    assert_string_equal(prompt(stream_caps_from_ver("5", STREAM_CAPS_NETDATA_NO_LZ4)), VN "4");
    /* empty ver is skipped by the parent: absent */
    assert_int_equal(stream_caps_from_ver("", all), STREAM_CAP_V1);
    /* strtoul base 0, then int32_t */
    assert_int_equal(stream_caps_from_ver("0x40", all), STREAM_CAP_VCAPS);
    assert_int_equal(stream_caps_from_ver("0100", all), STREAM_CAP_VCAPS);
    assert_int_equal(stream_caps_from_ver("abc", all), STREAM_CAP_V1);
    assert_int_equal(stream_caps_from_ver("64abc", all), STREAM_CAP_VCAPS);
    assert_int_equal(stream_caps_from_ver("-1", all), STREAM_CAP_V1);
    assert_int_equal(stream_caps_from_ver("4294967360", all), STREAM_CAP_VCAPS);    /* 2^32+64 */
    assert_int_equal(stream_caps_from_ver("2147483712", all), STREAM_CAP_V1);       /* bit 31 */
    /* clearing rules */
    assert_int_equal(stream_caps_from_version(8 | 16 | 32 | 64, all), STREAM_CAP_VCAPS);
    assert_int_equal(stream_caps_from_version(8 | 16 | 32, all), STREAM_CAP_VN);
    assert_int_equal(stream_caps_from_version(8 | 16, all), STREAM_CAP_V2);
    assert_int_equal(stream_caps_from_version(8 | 128, all), STREAM_CAP_V1 | STREAM_CAP_HLABELS);
    assert_int_equal(stream_caps_from_version(1 << 20, all), 0);
    /* VN reply numbers */
    assert_int_equal(stream_caps_reply_version(STREAM_CAP_VN), 3);
    assert_int_equal(stream_caps_reply_version(STREAM_CAP_VN | STREAM_CAP_CLABELS), 4);
    assert_int_equal(stream_caps_reply_version(STREAM_CAP_VN | STREAM_CAP_COMPRESSION), 5);
    assert_int_equal(stream_caps_reply_version(STREAM_CAP_V2), 0);
    assert_int_equal(stream_caps_reply_version(STREAM_CAP_VCAPS | 512), 576);
}

static void test_prompt_bytes(void **state)
{
    (void)state;
    assert_int_equal(strlen(STREAM_PROMPT_V1), 30);
    assert_int_equal(strlen(STREAM_PROMPT_V2), 56);
    assert_int_equal(strlen(STREAM_PROMPT_VN), 45);
    char out[64];
    memset(out, 'x', sizeof(out));
    assert_int_equal(stream_caps_prompt(STREAM_CAP_VCAPS, out, 47), 47);   /* no room for NUL */
    assert_memory_equal(out, VN "64", 47);
    assert_int_equal(out[47], 'x');
    assert_int_equal(stream_caps_prompt(STREAM_CAP_VCAPS, out, 10), 10);
    assert_int_equal(stream_caps_prompt(STREAM_CAP_VCAPS, out, 0), 0);
    assert_string_equal(prompt(0), STREAM_PROMPT_V1);
    assert_string_equal(prompt(STREAM_CAP_HLABELS), STREAM_PROMPT_V1);
}

static void test_names(void **state)
{
    (void)state;
    char out[256];
    stream_caps_names(STREAM_CAP_VCAPS, out, sizeof(out));
    assert_string_equal(out, "VCAPS ");                     /* §6: as logged */
    stream_caps_names(STREAM_CAP_V1, out, sizeof(out));
    assert_string_equal(out, "V1 ");
    stream_caps_names(stream_caps_from_ver("16376", STREAM_CAPS_NETDATA), out, sizeof(out));
    assert_string_equal(out, "VCAPS HLABELS CLAIM CLABELS COMPRESSION FUNCTIONS REPLICATION "
                             "BINARY ");
    assert_int_equal(stream_caps_names(STREAM_CAPS_NETDATA | STREAM_CAP_V2, out, sizeof(out)),
                     strlen("V1 V2 VN VCAPS HLABELS CLAIM CLABELS COMPRESSION FUNCTIONS "
                            "REPLICATION BINARY "));
    assert_int_equal(stream_caps_names(0, out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(stream_caps_names(STREAM_CAP_VCAPS | STREAM_CAP_CLAIM, out, 8), 8);
    assert_memory_equal(out, "VCAPS CL", 8);
}

static int32_t reply(const char *s, StreamReplyKind *k, int *post)
{
    size_t n = strlen(s);
    char *p = testutil_dup_exact(s, n);
    int32_t v = stream_caps_parse_reply(p, n, k, post);
    free(p);
    return v;
}

static void test_child_reply(void **state)
{
    (void)state;
    StreamReplyKind k;
    int post;
    assert_int_equal(reply(VN "64", &k, &post), 64);
    assert_int_equal(k, STREAM_REPLY_OK);
    assert_int_equal(post, 0);
    assert_int_equal(reply(VN "16320", &k, NULL), 16320);
    assert_int_equal(reply(VN "5", NULL, NULL), 5);
    assert_int_equal(reply(VN "64abc", &k, NULL), 64);      /* stops at the first non-digit */
    assert_int_equal(reply(STREAM_PROMPT_V1, &k, NULL), 1);
    assert_int_equal(reply(STREAM_PROMPT_V2, &k, NULL), 2);
    assert_int_equal(reply(VN, &k, NULL), 3);               /* the bare prefix is the VN row */
    assert_int_equal(k, STREAM_REPLY_OK);
    assert_int_equal(reply(VN "0", &k, &post), 0);
    assert_int_equal(k, STREAM_REPLY_BAD_VERSION);
    assert_int_equal(post, 0);
    assert_int_equal(reply(VN "-5", &k, NULL), 0);
    assert_int_equal(k, STREAM_REPLY_BAD_VERSION);
    assert_int_equal(reply(STREAM_REPLY_LOCALHOST_TEXT, &k, &post), 0);
    assert_int_equal(k, STREAM_REPLY_LOCALHOST);
    assert_int_equal(post, 3600);
    assert_int_equal(reply(STREAM_REPLY_ALREADY_TEXT, &k, &post), 0);
    assert_int_equal(k, STREAM_REPLY_ALREADY);
    assert_int_equal(post, 120);
    assert_int_equal(reply(STREAM_REPLY_DENIED_TEXT, &k, &post), 0);
    assert_int_equal(k, STREAM_REPLY_DENIED);
    assert_int_equal(post, 60);
    /* "anything else": the 503 text, an HTTP page, a partial prompt, a prompt + newline */
    const char *other[] = {"The server is too busy now to accept this request. Try later.",
                           "HTTP/1.1 400 Bad Request\r\n", "Hit me baby, push them over..\n",
                           "Hit me baby, push them over...\n", "", "Hit me baby"};
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        assert_int_equal(reply(other[i], &k, &post), 0);
        assert_int_equal(k, STREAM_REPLY_UNKNOWN);
        assert_int_equal(post, 60);
    }
    /* the VN form must be 46..74 bytes: 30 digits is too long */
    char longer[128];
    snprintf(longer, sizeof(longer), "%s%s", VN, "000000000000000000000000000064");
    assert_int_equal(reply(longer, &k, NULL), 0);
    assert_int_equal(k, STREAM_REPLY_UNKNOWN);
    longer[strlen(longer) - 1] = '\0';                      /* 29 digits: read, = 6 */
    assert_int_equal(reply(longer, &k, NULL), 6);
    assert_string_equal(stream_caps_reply_error(STREAM_REPLY_UNKNOWN),
                        "remote node response is not understood, is it Netdata?");
    assert_null(stream_caps_reply_error(STREAM_REPLY_OK));
    /* the child runs the number through the same conversion with its own set */
    assert_int_equal(stream_caps_from_version(reply(VN "16320", NULL, NULL), STREAM_CAPS_OURS),
                     STREAM_CAP_VCAPS | STREAM_CAP_HLABELS | STREAM_CAP_CLAIM | STREAM_CAP_CLABELS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lab_table),
        cmocka_unit_test(test_conversion),
        cmocka_unit_test(test_prompt_bytes),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_child_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
** test_policy.c - cmocka tests for the policy loader: common/policy_view.c (+ policy_records.c)
** and runtime/policy.c. A hand-built sample (tests/support/policy_build.c) must load and read
** back through every accessor; one mutation per refusal reason must be refused with that reason
** (mutations behind the checksum get a recomputed checksum, so the check they aim at is the one
** that fires); policy_open maps a file and refuses a bad one. Flips, truncations and the fuzz
** seeds are in test_policy_flip.c. Blobs under test are exact-size heap copies, so a sanitizer
** build catches any read past the end.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "match.h"
#include "policy.h"
#include "policy_build.h"
#include "policy_view.h"
#include "schema_tables.h"
#include "testutil.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- helpers ----------------------------------------------------------------------------- */

static void refused_at(const uint8_t *p, size_t n, const char *want, int line)
{
    const char *why = policy_build_load(p, n, NULL);
    if (!why) {
        fail_msg("line %d: accepted, expected a refusal with '%s'", line, want);
    }
    if (!strstr(why, want)) {
        fail_msg("line %d: refused with '%s', expected '%s'", line, why, want);
    }
    if (strchr(why, '\n') || why[strlen(why) - 1] == '.') {
        fail_msg("line %d: reason '%s' is not one line without a period", line, why);
    }
}

/* Refused with a reason containing WANT, or accepted when WANT is NULL. */
static void expect_at(const uint8_t *p, size_t n, const char *want, int line)
{
    if (want) {
        refused_at(p, n, want, line);
        return;
    }
    const char *why = policy_build_load(p, n, NULL);
    if (why) {
        fail_msg("line %d: refused: %s", line, why);
    }
}

#define H(p) ((PolicyHeader *)(p))
#define AT(p, id, type) ((type *)((p) + policy_build_section((p), (id))->off))
#define NODE(p) AT(p, POLICY_SEC_NODE, PolicyNode)
#define SET(p, i) (AT(p, POLICY_SEC_SETTINGS, PolicySetting) + (i))
#define API(p, i) (AT(p, POLICY_SEC_APIKEYS, PolicyKey) + (i))
#define MACH(p, i) (AT(p, POLICY_SEC_MACHINES, PolicyKey) + (i))
#define DEST(p, i) (AT(p, POLICY_SEC_DESTS, PolicyDest) + (i))
#define LIS(p, i) (AT(p, POLICY_SEC_LISTENERS, PolicyListener) + (i))
#define SEC(p, id) policy_build_section((p), (id))

/* Mutate a fresh sample with STMT (p, n in scope); FIX: recompute the checksum; then expect a
   refusal whose reason contains WANT (NULL: expect acceptance). */
#define CASE(flags, fix, stmt, want)                                                            \
    do {                                                                                        \
        size_t n;                                                                               \
        uint8_t *p = policy_build_sample((flags), &n);                                          \
        stmt;                                                                                   \
        if (fix) {                                                                              \
            policy_build_fix_checksum(p, n);                                                    \
        }                                                                                       \
        expect_at(p, n, (want), __LINE__);                                                      \
        free(p);                                                                                \
    } while (0)

/* Index of the first setting with key SEC/KEY in the sample. */
static uint32_t set_of(uint8_t *p, const char *sec, const char *key)
{
    uint16_t id = policy_build_key_id(sec, key);
    uint32_t n = SEC(p, POLICY_SEC_SETTINGS)->count;
    for (uint32_t i = 0; i < n; i++) {
        if (SET(p, i)->key == id) {
            return i;
        }
    }
    fail_msg("no setting %s/%s in the sample", sec, key);
    return 0;
}

static void swap_settings(uint8_t *p, uint32_t a, uint32_t b)
{
    PolicySetting t = *SET(p, a);
    *SET(p, a) = *SET(p, b);
    *SET(p, b) = t;
}

/* Swap entries A and B of the section table. */
static void swap_sections(uint8_t *p, uint32_t a, uint32_t b)
{
    PolicySection *t = (PolicySection *)(p + H(p)->sections_off);
    PolicySection x = t[a];
    t[a] = t[b];
    t[b] = x;
}

/* ---- the sample loads and reads back ------------------------------------------------------ */

static void test_sample_loads(void **state)
{
    (void)state;
    static const unsigned variants[] = { 0, PB_SIGNED, PB_STRIP, PB_NEWER, PB_SIGNED | PB_STRIP,
                                         PB_NEWER | PB_STRIP };
    for (size_t i = 0; i < LEN(variants); i++) {
        size_t n;
        uint8_t *p = policy_build_sample(variants[i], &n);
        PolicyView v;
        const char *why = policy_view_init(&v, p, n);
        if (why) {
            fail_msg("variant %u refused: %s", variants[i], why);
        }
        assert_int_equal(v.napikeys, 1);
        assert_int_equal(v.nmachines, 2);
        assert_int_equal(v.ndests, 1);
        assert_int_equal(v.nlisteners, 1);
        assert_int_equal(v.nsettings, 22);
        assert_true((v.lines == NULL) == ((variants[i] & PB_STRIP) != 0));
        const char *bad = policy_build_walk(&v);
        if (bad) {
            fail_msg("variant %u: %s", variants[i], bad);
        }
        free(p);
    }
}

static void test_accessors(void **state)
{
    (void)state;
    size_t n;
    uint8_t *p = policy_build_sample(0, &n);
    PolicyView v;
    assert_null(policy_view_init(&v, p, n));
    assert_string_equal(policy_str(&v, v.node->hostname), "node1");
    assert_string_equal(policy_str(&v, (PolicyStr){ v.strings_size, 0 }), "");   /* foreign */

    /* keys: exact text, case kept; equal binary forms told apart by text */
    const PolicyKey *up = policy_find_key(&v, 1, PB_MACHINE_UPPER, 36);
    const PolicyKey *lo = policy_find_key(&v, 1, PB_MACHINE_LOWER, 36);
    assert_non_null(up);
    assert_non_null(lo);
    assert_ptr_not_equal(up, lo);
    assert_string_equal(policy_str(&v, up->text), PB_MACHINE_UPPER);
    assert_string_equal(policy_str(&v, lo->text), PB_MACHINE_LOWER);
    assert_null(policy_find_key(&v, 1, "aaaaaaaa-bbbb-cccc-dddd-EEEEEEEEEEEE", 36));
    assert_null(policy_find_key(&v, 1, PB_API_KEY, 36));          /* wrong table */
    assert_null(policy_find_key(&v, 1, PB_MACHINE_LOWER, 35));    /* not a GUID */
    assert_null(policy_find_key(&v, 1, "not a guid", 10));
    const PolicyKey *api = policy_find_key(&v, 0, PB_API_KEY, 36);
    assert_non_null(api);
    assert_int_equal(api->flags, KEY_TYPE_OK | KEY_ENABLED);
    assert_int_equal(lo->flags, KEY_TYPE_OK);

    /* settings: node globals, an API key's, a machine's; absent ones */
    const PolicySetting *s = policy_find_setting(&v, NULL, policy_build_key_id("db", "mode"));
    assert_non_null(s);
    assert_int_equal(s->num, POLICY_MODE_DBENGINE);
    assert_string_equal(policy_str(&v, s->text), "dbengine");
    assert_null(policy_find_setting(&v, NULL, policy_build_key_id("api", "enabled")));
    assert_null(policy_find_setting(&v, NULL, SCHEMA_NKEYS + 5));
    s = policy_find_setting(&v, lo, policy_build_key_id("machine", "history"));
    assert_non_null(s);
    assert_int_equal(s->num, 100);
    assert_null(policy_find_setting(&v, up, policy_build_key_id("machine", "history")));
    s = policy_find_setting(&v, NULL, policy_build_key_id("stream", "destination"));
    assert_non_null(s);
    assert_int_equal(s->aux_len, 1);
    assert_string_equal(policy_str(&v, v.dests[s->aux_off].host), "10.0.0.1");
    s = policy_find_setting(&v, NULL, policy_build_key_id("web", "bind to"));
    assert_int_equal(v.listeners[s->aux_off].ssl, 2);

    /* programs: present, absent (empty pattern), not a pattern; shared */
    const PolicySetting *allow = policy_find_setting(&v, api, policy_build_key_id("api", "allow from"));
    const void *prog = policy_program(&v, allow);
    assert_non_null(prog);
    assert_int_equal(match_run(prog, "localhost", 9), MATCH_POSITIVE);
    assert_int_equal(match_run(prog, "10.9.9.9", 8), MATCH_POSITIVE);
    assert_int_equal(match_run(prog, "192.168.1.1", 11), MATCH_NONE);
    const PolicySetting *m_allow = policy_find_setting(&v, lo,
                                                       policy_build_key_id("machine", "allow from"));
    assert_ptr_equal(policy_program(&v, m_allow), prog);
    prog = policy_program(&v, policy_find_setting(&v, up, m_allow->key));
    assert_int_equal(match_run(prog, "10.1.0.7", 8), MATCH_NEGATIVE);
    assert_int_equal(match_run(prog, "10.2.0.7", 8), MATCH_POSITIVE);
    s = policy_find_setting(&v, NULL, policy_build_key_id("web", "allow streaming from"));
    assert_non_null(s);
    assert_null(policy_program(&v, s));
    assert_null(policy_program(&v, policy_find_setting(&v, NULL,
                                                       policy_build_key_id("db", "mode"))));

    /* lines: from LINES, 0 for a record outside the table */
    assert_int_equal(policy_setting_line(&v, &v.settings[0]), 10);
    PolicySetting outside = v.settings[0];
    assert_int_equal(policy_setting_line(&v, &outside), 0);
    free(p);

    p = policy_build_sample(PB_STRIP, &n);
    assert_null(policy_view_init(&v, p, n));
    assert_int_equal(policy_setting_line(&v, &v.settings[0]), 0);
    free(p);
}

/* ---- one mutation per refusal reason ---------------------------------------------------- */

static void test_refuse_header(void **state)
{
    (void)state;
    {
    size_t n;
    uint8_t *p = policy_build_sample(0, &n);
    uint8_t *odd = malloc(n + 8);
    assert_non_null(odd);
    memcpy(odd + 4, p, n);
    PolicyView v;
    memset(&v, 0x5A, sizeof v);
    PolicyView before = v;
    assert_string_equal(policy_view_init(&v, odd + 4, n), "policy buffer is not 8-byte aligned");
    assert_memory_equal(&v, &before, sizeof v);   /* untouched on failure */
    free(odd);
    refused_at(p, 10, "file is 10 bytes: shorter than the 64-byte header", __LINE__);
    refused_at(p, 0, "file is 0 bytes: shorter than the 64-byte header", __LINE__);
    refused_at(p, n - 8, "truncated: file is", __LINE__);
    uint8_t *longer = calloc(1, n + 8);
    assert_non_null(longer);
    memcpy(longer, p, n);
    refused_at(longer, n + 8, "its header says", __LINE__);
    free(longer);
    free(p);
    }

    CASE(0, 0, p[0] = 'X', "bad magic: not a streamc policy");
    CASE(0, 1, H(p)->version_major = 2, "format version 2.0 is not supported (this build reads 1.x)");
    CASE(0, 1, H(p)->version_major = 0, "format version 0.0 is not supported");
    CASE(0, 1, H(p)->version_minor = 7, NULL);   /* newer minor, no unknown section: fine */
    CASE(0, 1, H(p)->header_size = 72, "header size is 72 bytes, expected 64");
    CASE(0, 1, H(p)->file_size += 8, "truncated: file is");
    CASE(0, 1, H(p)->flags |= 2, "unknown header flags 0x2");
    CASE(0, 1, H(p)->body_size -= 8, "body size");
    CASE(0, 1, H(p)->flags |= POLICY_SIGNED, "does not fit a signed file");
    CASE(PB_SIGNED, 1, H(p)->flags = 0, "does not fit an unsigned file");
    CASE(PB_SIGNED, 0, p[n - 80] = 'x', "bad signature trailer magic");
    CASE(PB_SIGNED, 0, p[n - 72] = 2, "signature algorithm 2 is not supported (1 = Ed25519)");
    CASE(PB_SIGNED, 0, p[n - 68] = 63, "signature length is 63 bytes, expected 64");
    CASE(PB_SIGNED, 0, p[n - 1] ^= 1, NULL);   /* signature bytes: not this layer's business */
    CASE(0, 1, H(p)->reserved[1] = 1, "reserved header fields are not zero");
    CASE(0, 0, p[n - 1] ^= 1, "checksum mismatch: the file is corrupted");
    CASE(0, 0, H(p)->checksum ^= 1, "checksum mismatch: the file is corrupted");
    CASE(0, 1, H(p)->schema_hash ^= 1, "compiled for a different key schema (0x");

    /* a body shorter than a header: a signed file of 100 bytes */
    uint8_t small[104] __attribute__((aligned(8)));
    memset(small, 0, sizeof small);
    size_t sn;
    uint8_t *sp = policy_build_sample(PB_SIGNED, &sn);
    memcpy(small, sp, sizeof(PolicyHeader));
    free(sp);
    H(small)->file_size = 100;
    H(small)->body_size = 20;
    refused_at(small, 100, "body size 20 does not fit a signed file of 100 bytes", __LINE__);
    /* a signed file shorter than a trailer: file_size - 80 must not wrap into a valid size */
    H(small)->file_size = 70;
    H(small)->body_size = (uint64_t)70 - sizeof(PolicySig);
    refused_at(small, 70, "does not fit a signed file of 70 bytes", __LINE__);
}

static void test_refuse_sections(void **state)
{
    (void)state;
    CASE(0, 1, H(p)->sections_off += 4, "section table is not 8-byte aligned");
    CASE(0, 1, H(p)->sections_off = 32, "section table overlaps the header");
    CASE(0, 1, H(p)->nsections = 1u << 28, "section table runs past the end of the body");
    CASE(0, 1, SEC(p, 2)->id = 1, "section 1 appears twice");
    CASE(0, 1, swap_sections(p, 7, 8), "sections are not sorted by id (8 after 9)");
    CASE(0, 1, SEC(p, 1)->off += 4, "section 1 is not 8-byte aligned");
    CASE(0, 1, (SEC(p, 6)->size += 1u << 20, SEC(p, 6)->count += 1u << 20),
         "section 6 runs past the end of the body");
    CASE(0, 1, SEC(p, 1)->off = H(p)->sections_off, "section 1 overlaps the header or the section");
    CASE(0, 1, (SEC(p, 1)->off = 0, SEC(p, 1)->size = 8, SEC(p, 1)->count = 8),
         "section 1 overlaps the header");
    CASE(0, 1, SEC(p, 9)->id = 11, "section id 11 is unknown in format 1.0");
    CASE(0, 1, SEC(p, 1)->id = 0, "section id 0 is unknown in format 1.0");
    CASE(PB_NEWER, 1, H(p)->version_minor = 0, "section id 11 is unknown in format 1.0");
    CASE(0, 1, SEC(p, 3)->count -= 1, "section 3 (settings) is 704 bytes, expected 21 records of 32");
    CASE(0, 1, SEC(p, 1)->count -= 1, "section 1 (strings) is");
    CASE(0, 1, SEC(p, 7)->off = SEC(p, 8)->off, "sections 7 and 8 overlap");
    CASE(0, 1, SEC(p, 2)->off = SEC(p, 1)->off, "sections 1 and 2 overlap");
    CASE(0, 1, H(p)->nsections = 7, "required section 8 (listeners) is missing");
    CASE(0, 1, H(p)->nsections = 8, NULL);   /* LINES is optional */
    CASE(0, 1, H(p)->nsections = 0, "required section 1 (strings) is missing");
    CASE(0, 1, (SEC(p, 1)->size = 0, SEC(p, 1)->count = 0), "string table is empty");
}

static void test_refuse_records(void **state)
{
    (void)state;
    /* strings and node */
    CASE(0, 1, p[SEC(p, 1)->off + SEC(p, 1)->size - 1] = 'x', "does not end with a NUL");
    CASE(0, 1, (SEC(p, 2)->size = 0, SEC(p, 2)->count = 0), "node section holds 0 records");
    CASE(0, 1, NODE(p)->flags |= 64, "node flags 0x5f have unknown bits");
    CASE(0, 1, NODE(p)->reserved = 1, "node reserved field is not zero");
    CASE(0, 1, NODE(p)->flags &= ~(uint32_t)NODE_HAS_GUID, "node machine guid is set but");
    CASE(0, 1, NODE(p)->settings_count = 23, "node settings range is outside the settings table");
    CASE(0, 1, NODE(p)->settings_first = UINT32_MAX, "node settings range is outside");
    CASE(0, 1, NODE(p)->hostname.off = SEC(p, 1)->size, "node hostname: string (offset");
    CASE(0, 1, NODE(p)->hostname.len -= 1, "not NUL-terminated");
    CASE(0, 1, NODE(p)->hostname.len = UINT32_MAX, "node hostname: string");
    CASE(0, 1, NODE(p)->stream_file.len += 1, "node stream file: string");
    CASE(0, 1, NODE(p)->netdata_file.off = UINT32_MAX, "node netdata file: string");

    /* settings: fields */
    CASE(0, 1, SET(p, 0)->key = SCHEMA_NKEYS, "is out of range (the schema has");
    CASE(0, 1, SET(p, 0)->origin = ORIGIN__MAX + 1, "setting 0 ('enabled'): unknown origin 6");
    CASE(0, 1, SET(p, 0)->vtype = 0, "unknown value type 0");
    CASE(0, 1, SET(p, 0)->vtype = VAL__MAX + 1, "unknown value type 9");
    CASE(0, 1, SET(p, 0)->reserved = 1, "setting 0 ('enabled'): reserved field is not zero");
    CASE(0, 1, SET(p, 0)->vtype = VAL_INT, "value type int does not match the key's type bool");
    CASE(0, 1, SET(p, 0)->vtype = VAL_STR, "value type string does not match the key's type bool");
    CASE(0, 1, (SET(p, 0)->vtype = VAL_STR, SET(p, 0)->origin = ORIGIN_COMPUTED), NULL);
    CASE(0, 1, SET(p, 0)->text.off = SEC(p, 1)->size + 100, "setting 0: string (offset");
    CASE(0, 1, SET(p, 0)->num = 2, "setting 0: bool value 2 is out of range");
    CASE(0, 1, SET(p, 0)->num = -1, "setting 0: bool value -1 is out of range");
    CASE(0, 1, SET(p, set_of(p, "api", "health enabled by default"))->num = 3,
         "bool3 value 3 is out of range");
    CASE(0, 1, SET(p, set_of(p, "db", "mode"))->num = POLICY_MODE_DBENGINE + 1,
         "memory mode value 6 is out of range");
    CASE(0, 1, SET(p, 0)->aux_off = 8, "setting 0: unused aux fields are not zero");
    CASE(0, 1, SET(p, set_of(p, "db", "mode"))->aux_len = 1, "unused aux fields are not zero");
    CASE(0, 1, SET(p, set_of(p, "stream", "api key"))->aux_len = 1, "unused aux fields");

    /* settings: patterns, destinations, listeners */
    uint32_t pat = 0;
    CASE(0, 1, (pat = set_of(p, "stream", "send charts matching"), SET(p, pat)->aux_len = 0,
                SET(p, pat)->aux_off = 8), "empty pattern with a non-zero offset");
    CASE(0, 1, SET(p, set_of(p, "stream", "send charts matching"))->aux_off += 4,
         "pattern program is not 8-byte aligned");
    CASE(0, 1, SET(p, set_of(p, "stream", "send charts matching"))->aux_off =
                   (SEC(p, 6)->size + 7) & ~7u, "is outside the programs area");
    CASE(0, 1, SET(p, set_of(p, "stream", "send charts matching"))->aux_len = UINT32_MAX,
         "is outside the programs area");
    CASE(0, 1, SET(p, set_of(p, "stream", "send charts matching"))->aux_len -= 4,
         "pattern program size does not match");
    CASE(0, 1, p[SEC(p, 6)->off + SET(p, set_of(p, "stream", "send charts matching"))->aux_off] ^= 1,
         "pattern program has a bad magic number");
    CASE(0, 1, p[SEC(p, 6)->off + SET(p, set_of(p, "machine", "history") - 1)->aux_off + 8] = 9,
         "pattern program has unknown flags");   /* the program shared by two settings */
    CASE(0, 1, SET(p, set_of(p, "stream", "destination"))->num = 2,
         "destination TLS flag 2 is not 0 or 1");
    CASE(0, 1, SET(p, set_of(p, "stream", "destination"))->aux_len = 2,
         "destinations 0..2 are outside the table of 1");
    CASE(0, 1, SET(p, set_of(p, "stream", "destination"))->aux_off = UINT32_MAX,
         "are outside the table of 1");
    CASE(0, 1, SET(p, set_of(p, "web", "bind to"))->aux_off = 1,
         "listeners 1..2 are outside the table of 1");

    /* order and ranges */
    CASE(0, 1, swap_settings(p, 0, 1), "node settings are not strictly ascending by key id");
    CASE(0, 1, swap_settings(p, 9, 10), "api key 0: settings are not strictly ascending");
    CASE(0, 1, swap_settings(p, 19, 20), "machine 1: settings are not strictly ascending");
    CASE(0, 1, (MACH(p, 0)->settings_first = 18, MACH(p, 0)->settings_count = 4),
         "machine 1: settings ranges claim 23 settings in all, the table holds 22");
    CASE(0, 1, MACH(p, 1)->settings_count = 5, "machine 1: settings range is outside");

    /* key tables */
    CASE(0, 1, API(p, 0)->text.len = 35, "api key 0: string (offset");
    /* A name that disagrees with its binary form is deliberately not refused (re-parsing every
       name was a third of the load time); such a section is only never found. */
    CASE(0, 1, API(p, 0)->flags = 4, "api key 0: flags 0x4 have unknown bits");
    CASE(0, 1, MACH(p, 1)->settings_first = UINT32_MAX, "machine 1: settings range is outside");
    CASE(0, 1, (MACH(p, 0)->text = MACH(p, 1)->text), "machine table is not strictly sorted at entry 1");
    CASE(0, 1, (MACH(p, 1)->text = MACH(p, 0)->text), "machine table is not strictly sorted");

    /* destinations, listeners, lines */
    CASE(0, 1, DEST(p, 0)->proto = 3, "destination 0: unknown protocol 3");
    CASE(0, 1, DEST(p, 0)->bracketed = 2, "destination 0: bracketed flag 2 is not 0 or 1");
    CASE(0, 1, DEST(p, 0)->entry.len += 1, "destination 0: string");
    CASE(0, 1, DEST(p, 0)->port.off = UINT32_MAX - 2, "destination 0: string");
    CASE(0, 1, DEST(p, 0)->iface.len = 1, "destination 0: string");
    CASE(0, 1, LIS(p, 0)->proto = 3, "listener 0: unknown protocol 3");
    CASE(0, 1, LIS(p, 0)->acl = 64, "listener 0: permission bits 0x40 are unknown");
    CASE(0, 1, LIS(p, 0)->ssl = 3, "listener 0: unknown ssl mode 3");
    CASE(0, 1, LIS(p, 0)->wildcard = 2, "listener 0: wildcard flag 2 is not 0 or 1");
    CASE(0, 1, LIS(p, 0)->reserved[0] = 1, "listener 0: reserved fields are not zero");
    CASE(0, 1, LIS(p, 0)->host.len += 1, "listener 0: string");
    CASE(0, 1, LIS(p, 0)->port.off += 1, "listener 0: string");
    CASE(0, 1, (SEC(p, 9)->count -= 1, SEC(p, 9)->size -= 4),
         "line table has 21 entries for 22 settings");
}

/* ---- runtime/policy.c ----------------------------------------------------------------- */

static void test_open(void **state)
{
    (void)state;
    char *dir = testutil_temp_dir("test_policy");
    char path[4200];
    size_t n;
    uint8_t *p = policy_build_sample(PB_SIGNED, &n);
    Policy pol;
    const char *why = NULL;
    memset(&pol, 0, sizeof pol);
    policy_close(&pol);   /* a zeroed Policy */

    snprintf(path, sizeof path, "%s/node.policy", dir);
    testutil_write_file(NULL, path, p, n);
    assert_int_equal(policy_open(&pol, path, &why), 0);
    assert_int_equal(pol.map_size, n);
    assert_int_equal(pol.v.nmachines, 2);
    const char *bad = policy_build_walk(&pol.v);
    if (bad) {
        fail_msg("%s: %s", path, bad);
    }
    policy_close(&pol);
    policy_close(&pol);   /* twice */
    assert_null(pol.map);

    p[200] ^= 0x10;
    testutil_write_file(NULL, path, p, n);
    assert_int_equal(policy_open(&pol, path, &why), -1);
    assert_string_equal(why, "checksum mismatch: the file is corrupted");
    assert_null(pol.map);

    testutil_write_file(NULL, path, p, 0);
    assert_int_equal(policy_open(&pol, path, &why), -1);
    assert_string_equal(why, "file is 0 bytes: shorter than the 64-byte header");
    testutil_write_file(NULL, path, p, 63);
    assert_int_equal(policy_open(&pol, path, &why), -1);
    assert_string_equal(why, "file is 63 bytes: shorter than the 64-byte header");
    assert_int_equal(policy_open(&pol, dir, &why), -1);
    assert_string_equal(why, "not a regular file");
    snprintf(path, sizeof path, "%s/missing.policy", dir);
    assert_int_equal(policy_open(&pol, path, &why), -1);
    assert_string_equal(why, "cannot open: No such file or directory");
    assert_int_equal(policy_open(&pol, "/dev/null", &why), -1);
    assert_string_equal(why, "not a regular file");

    snprintf(path, sizeof path, "%s/node.policy", dir);
    remove(path);
    remove(dir);
    free(dir);
    free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_loads),
        cmocka_unit_test(test_accessors),
        cmocka_unit_test(test_refuse_header),
        cmocka_unit_test(test_refuse_sections),
        cmocka_unit_test(test_refuse_records),
        cmocka_unit_test(test_open),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

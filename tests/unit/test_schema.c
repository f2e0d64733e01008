/*
** test_schema.c - cmocka tests for compiler/schema.c and the consistency of the generated
** tables (build/gen/schema_tables.c): lookups of every row, section ids for literal and prefix
** sections, iteration over rows of one name, sort orders the binary searches rely on, bounds,
** enum tables, and every literal default passing its own type check.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "schema.h"
#include "types.h"
#include "testutil.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

static int name_cmp(const char *a, const char *b)
{
    return strcmp(a, b);   /* bytewise, shorter first on a common prefix: as schema.c */
}

/* ---- the tables themselves ------------------------------------------------------------------ */

static void test_sections_cover_rows(void **state)
{
    (void)state;
    size_t covered = 0;
    for (int i = 0; i < SEC__COUNT; i++) {
        const SchemaSection *s = &schema_sections[i];
        assert_non_null(s->name);
        assert_non_null(s->display);
        assert_true(s->conf == CONF_STREAM || s->conf == CONF_NETDATA);
        assert_true((size_t)s->first + s->nkeys <= SCHEMA_NKEYS);
        for (size_t k = s->first; k < (size_t)s->first + s->nkeys; k++) {
            if (schema_keys[k].sec != i) {
                fail_msg("row %zu '%s' is in section %d, listed under [%s]", k,
                         schema_keys[k].name, schema_keys[k].sec, s->name);
            }
        }
        covered += s->nkeys;
        if (s->prefix) {
            assert_true(strlen(s->name) > 0);
        }
    }
    assert_int_equal(covered, SCHEMA_NKEYS);       /* every row belongs to exactly one section */
}

static void test_rows_sorted(void **state)
{
    (void)state;
    for (size_t i = 1; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *a = &schema_keys[i - 1], *b = &schema_keys[i];
        if (a->sec > b->sec || (a->sec == b->sec && name_cmp(a->name, b->name) >= 0)) {
            fail_msg("rows %zu '%s' and %zu '%s' are not sorted by (section, name)", i - 1,
                     a->name, i, b->name);
        }
    }
    /* by_name: a permutation sorted by name */
    unsigned char seen[SCHEMA_NKEYS] = { 0 };
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
        assert_true(schema_by_name[i] < SCHEMA_NKEYS);
        assert_int_equal(seen[schema_by_name[i]], 0);
        seen[schema_by_name[i]] = 1;
        if (i && name_cmp(schema_keys[schema_by_name[i - 1]].name,
                          schema_keys[schema_by_name[i]].name) > 0) {
            fail_msg("schema_by_name is not sorted at %zu", i);
        }
    }
    /* by_order: a permutation, row i in dump order has order i */
    memset(seen, 0, sizeof seen);
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
        uint16_t k = schema_by_order[i];
        assert_true(k < SCHEMA_NKEYS);
        assert_int_equal(seen[k], 0);
        seen[k] = 1;
        assert_int_equal(schema_keys[k].order, i);
    }
}

static void test_rows_well_formed(void **state)
{
    (void)state;
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *k = &schema_keys[i];
        assert_non_null(k->name);
        assert_true(k->name[0] != 0);
        assert_true(k->type < TY__COUNT);
        assert_non_null(k->doc);
        if (k->has_lo && k->has_hi && k->lo > k->hi) {
            fail_msg("'%s': bounds %lld..%lld", k->name, k->lo, k->hi);
        }
        if ((k->has_lo || k->has_hi) && k->type != TY_INT) {
            fail_msg("'%s': bounds on a %s", k->name, schema_type_name(k->type));
        }
        if ((k->type == TY_ENUM) != (k->values != NULL)) {
            fail_msg("'%s': enum values %p on a %s", k->name, (const void *)k->values,
                     schema_type_name(k->type));
        }
        if (k->values) {
            assert_non_null(k->values[0]);
            for (size_t a = 0; k->values[a]; a++) {
                for (size_t b = 0; b < a; b++) {
                    if (strcmp(k->values[a], k->values[b]) == 0) {
                        fail_msg("'%s': enum value '%s' twice", k->name, k->values[a]);
                    }
                }
            }
        }
        /* a moved key names an existing target row */
        assert_true((k->moved_sec == NULL) == (k->moved_key == NULL));
        if (k->moved_sec) {
            int sec = schema_section_id(CONF_NETDATA, k->moved_sec, strlen(k->moved_sec));
            if (sec < 0 || !schema_find(sec, k->moved_key, strlen(k->moved_key))) {
                fail_msg("'%s' moves to [%s] %s, which is not a row", k->name, k->moved_sec,
                         k->moved_key);
            }
        }
    }
}

/* Every default written as a literal value must pass its own type's check. */
static void test_defaults_pass_their_type(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    int checked = 0;
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *k = &schema_keys[i];
        if (!k->dflt || k->dflt[0] == '(' || !type_ops[k->type].check) {
            continue;
        }
        Verdict v;
        memset(&v, 0, sizeof v);
        if (type_ops[k->type].check(k, k->dflt, strlen(k->dflt), &v, &a)) {
            fail_msg("[%s] %s: default '%s' fails its %s check: %s", schema_sections[k->sec].name,
                     k->name, k->dflt, type_ops[k->type].name, v.why ? v.why : "?");
        }
        checked++;
    }
    assert_true(checked > 50);
    arena_free(&a);
}

/* ---- lookups -------------------------------------------------------------------------------- */

static void test_find_every_row(void **state)
{
    (void)state;
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *k = &schema_keys[i];
        assert_ptr_equal(schema_find(k->sec, k->name, strlen(k->name)), k);
        /* n bounds the key */
        char buf[256];
        snprintf(buf, sizeof buf, "%sXYZ", k->name);
        assert_ptr_equal(schema_find(k->sec, buf, strlen(k->name)), k);
        assert_null(schema_find(k->sec, buf, strlen(buf)));
        if (strlen(k->name) > 1) {
            const SchemaKey *shorter = schema_find(k->sec, k->name, strlen(k->name) - 1);
            assert_true(shorter == NULL || strlen(shorter->name) == strlen(k->name) - 1);
        }
    }
}

static void test_find_stream_conf_kinds(void **state)
{
    (void)state;
    static const struct {
        int sec;
        const char *key;
        int type;
    } rows[] = {
        { SEC_STREAM, "enabled", TY_BOOL },
        { SEC_STREAM, "destination", TY_DEST },
        { SEC_STREAM, "api key", TY_GUID },
        { SEC_STREAM, "timeout seconds", TY_INT },
        { SEC_STREAM, "send charts matching", TY_PATTERN },
        { SEC_STREAM, "CAfile", TY_PATH },
        { SEC_API, "enabled", TY_BOOL },
        { SEC_API, "allow from", TY_PATTERN },
        { SEC_API, "default memory mode", TY_MEMMODE },
        { SEC_API, "health enabled by default", TY_BOOL3 },
        { SEC_API, "type", TY_ENUM },
        { SEC_MACHINE, "memory mode", TY_MEMMODE },
        { SEC_MACHINE, "health enabled", TY_BOOL3 },
        { SEC_MACHINE, "history", TY_INT },
        { SEC_MACHINE, "proxy api key", TY_GUID },
        { SEC_MACHINE, "host tags", TY_ANY },
        { SEC_DB, "mode", TY_MEMMODE },
        { SEC_WEB, "mode", TY_WEBMODE },
        { SEC_WEB, "bind to", TY_BINDTO },
        { SEC_GLOBAL, "hostname", TY_STRING },
    };
    for (size_t i = 0; i < LEN(rows); i++) {
        const SchemaKey *k = schema_find(rows[i].sec, rows[i].key, strlen(rows[i].key));
        if (!k) {
            fail_msg("no row [%s] %s", schema_sections[rows[i].sec].name, rows[i].key);
        }
        assert_string_equal(k->name, rows[i].key);
        assert_int_equal(k->sec, rows[i].sec);
        assert_int_equal(k->type, rows[i].type);
    }
    assert_string_equal(schema_find(SEC_STREAM, "enabled", 7)->dflt, "no");
    assert_string_equal(schema_find(SEC_MACHINE, "enabled", 7)->dflt, "yes");
}

static void test_find_unknown(void **state)
{
    (void)state;
    static const char *const unknown[] = {
        "enable", "Enabled", "ENABLED", "enabled ", " enabled", "enabledx", "destinaton",
        "allow from", "history", "", "api_key", "apikey", "api  key", "\xff",
    };
    for (size_t i = 0; i < LEN(unknown); i++) {
        if (schema_find(SEC_STREAM, unknown[i], strlen(unknown[i]))) {
            fail_msg("'%s' found in [stream]", testutil_esc(unknown[i], strlen(unknown[i])));
        }
    }
    assert_null(schema_find(-1, "enabled", 7));
    assert_null(schema_find(SEC__COUNT, "enabled", 7));
    assert_null(schema_find(SEC_HOST_LABELS, "anything", 8));   /* a section without rows */
    assert_null(schema_find(SEC_HOST_LABELS, "", 0));
}

static void test_section_ids(void **state)
{
    (void)state;
    static const struct {
        ConfKind conf;
        const char *name;
        int want;
    } ids[] = {
        { CONF_STREAM, "stream", SEC_STREAM },
        { CONF_NETDATA, "stream", -1 },
        { CONF_STREAM, "db", -1 },
        { CONF_NETDATA, "db", SEC_DB },
        { CONF_NETDATA, "global", SEC_GLOBAL },
        { CONF_NETDATA, "Global", -1 },
        { CONF_NETDATA, "global ", -1 },
        { CONF_NETDATA, " global", -1 },
        { CONF_NETDATA, "", -1 },
        { CONF_NETDATA, "web", SEC_WEB },
        { CONF_NETDATA, "environment variables", SEC_ENVIRONMENT_VARIABLES },
        { CONF_NETDATA, "plugin:proc", SEC_PLUGIN_PROC },
        { CONF_NETDATA, "plugin:proc:diskspace", SEC_PLUGIN_PROC_DISKSPACE },
        { CONF_NETDATA, "plugin:proc:diskspace:/", SEC_PLUGIN_PROC_DISKSPACE_PREFIX },
        { CONF_NETDATA, "plugin:proc:/proc/diskstats:sda", SEC_PLUGIN_PROC_PROC_DISKSTATS_PREFIX },
        { CONF_NETDATA, "plugin:proc:/proc/net/dev:eth0", SEC_PLUGIN_PROC_PROC_NET_DEV_PREFIX },
        { CONF_NETDATA, "plugin:proc:/sys/class/infiniband:mlx",
          SEC_PLUGIN_PROC_SYS_CLASS_INFINIBAND_PREFIX },
        { CONF_NETDATA, "plugin:proc:/proc/stat", SEC_PLUGIN_PROC_PREFIX },
        { CONF_NETDATA, "plugin:python.d", SEC_PLUGIN_PREFIX },
        { CONF_NETDATA, "plugin:freebsd:kern.cp_time", SEC_PLUGIN_FREEBSD_PREFIX },
        { CONF_NETDATA, "plugin:macos:sysctl", SEC_PLUGIN_MACOS_PREFIX },
        { CONF_NETDATA, "plugin:cgroups", SEC_PLUGIN_CGROUPS },
        { CONF_NETDATA, "plugins", SEC_PLUGINS },
        { CONF_NETDATA, "plugin", -1 },
        { CONF_NETDATA, "Plugin:proc", -1 },
        { CONF_STREAM, "plugin:proc", -1 },
    };
    for (size_t i = 0; i < LEN(ids); i++) {
        int got = schema_section_id(ids[i].conf, ids[i].name, strlen(ids[i].name));
        if (got != ids[i].want) {
            fail_msg("'%s' (conf %d): section %d, want %d", ids[i].name, (int)ids[i].conf, got,
                     ids[i].want);
        }
    }
    /* n bounds the name */
    assert_int_equal(schema_section_id(CONF_NETDATA, "globalXYZ", 6), SEC_GLOBAL);
    assert_int_equal(schema_section_id(CONF_NETDATA, "glob", 4), -1);
}

/* Every section maps to itself: a literal by its name, a prefix by name + any suffix (no
   shorter prefix row earlier in the table shadows a longer one). */
static void test_every_section_finds_itself(void **state)
{
    (void)state;
    for (int i = 0; i < SEC__COUNT; i++) {
        const SchemaSection *s = &schema_sections[i];
        char buf[128];
        snprintf(buf, sizeof buf, "%s%s", s->name, s->prefix ? "zz" : "");
        int got = schema_section_id((ConfKind)s->conf, buf, strlen(buf));
        if (s->conf == CONF_STREAM && i != SEC_STREAM) {
            continue;   /* API-key and machine sections are found by GUID, not by name */
        }
        if (got != i) {
            fail_msg("'%s' maps to section %d, want %d", buf, got, i);
        }
    }
}

static void test_find_any(void **state)
{
    (void)state;
    /* "enabled": three stream.conf kinds, three netdata.conf sections */
    int secs[8], n = 0;
    for (const SchemaKey *k = schema_find_any(CONF_STREAM, "enabled", 7, NULL); k;
         k = schema_find_any(CONF_STREAM, "enabled", 7, k)) {
        assert_string_equal(k->name, "enabled");
        assert_true(n < 8);
        secs[n++] = k->sec;
    }
    assert_int_equal(n, 3);
    int mask = 0;
    for (int i = 0; i < n; i++) {
        mask |= 1 << secs[i];
    }
    assert_int_equal(mask, (1 << SEC_STREAM) | (1 << SEC_API) | (1 << SEC_MACHINE));
    n = 0;
    mask = 0;
    for (const SchemaKey *k = schema_find_any(CONF_NETDATA, "enabled", 7, NULL); k;
         k = schema_find_any(CONF_NETDATA, "enabled", 7, k)) {
        assert_true(n < 8);
        n++;
        mask |= 1 << k->sec;
    }
    assert_int_equal(n, 3);
    assert_int_equal(mask, (1 << SEC_HEALTH) | (1 << SEC_REGISTRY) | (1 << SEC_STATSD));

    const SchemaKey *h = schema_find_any(CONF_STREAM, "history", 7, NULL);
    assert_non_null(h);
    assert_int_equal(h->sec, SEC_MACHINE);
    assert_null(schema_find_any(CONF_STREAM, "history", 7, h));
    h = schema_find_any(CONF_NETDATA, "history", 7, NULL);
    assert_non_null(h);
    assert_int_equal(h->sec, SEC_GLOBAL);
    assert_null(schema_find_any(CONF_STREAM, "no such key", 11, NULL));
    assert_null(schema_find_any(CONF_STREAM, "", 0, NULL));
    assert_null(schema_find_any(CONF_STREAM, "enable", 6, NULL));
    assert_null(schema_find_any(CONF_STREAM, "enabledz", 8, NULL));
    assert_null(schema_find_any(CONF_NETDATA, "api key", 7, NULL));
    /* n bounds the key here too */
    h = schema_find_any(CONF_STREAM, "api keys", 7, NULL);
    assert_non_null(h);
    assert_string_equal(h->name, "api key");
}

/* For every row, iterating its name over its file yields it exactly once, and yields exactly
   the rows of that name in that file. */
static void test_find_any_every_row(void **state)
{
    (void)state;
    for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *row = &schema_keys[i];
        ConfKind conf = (ConfKind)schema_sections[row->sec].conf;
        size_t want = 0;
        for (size_t j = 0; j < SCHEMA_NKEYS; j++) {
            want += strcmp(schema_keys[j].name, row->name) == 0 &&
                    schema_sections[schema_keys[j].sec].conf == conf;
        }
        size_t got = 0, self = 0;
        size_t n = strlen(row->name);
        for (const SchemaKey *k = schema_find_any(conf, row->name, n, NULL); k;
             k = schema_find_any(conf, row->name, n, k)) {
            assert_string_equal(k->name, row->name);
            assert_int_equal(schema_sections[k->sec].conf, conf);
            got++;
            self += k == row;
            assert_true(got <= want);
        }
        if (got != want || self != 1) {
            fail_msg("'%s': %zu rows found (%zu of them itself), want %zu", row->name, got, self,
                     want);
        }
    }
}

static void test_type_names(void **state)
{
    (void)state;
    for (int t = 0; t < TY__COUNT; t++) {
        const char *name = schema_type_name(t);
        assert_string_not_equal(name, "value");
        assert_string_equal(name, type_ops[t].name);   /* one name per type everywhere */
        for (int u = 0; u < t; u++) {
            assert_string_not_equal(name, schema_type_name(u));
        }
    }
    assert_string_equal(schema_type_name(-1), "value");
    assert_string_equal(schema_type_name(TY__COUNT), "value");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sections_cover_rows),
        cmocka_unit_test(test_rows_sorted),
        cmocka_unit_test(test_rows_well_formed),
        cmocka_unit_test(test_defaults_pass_their_type),
        cmocka_unit_test(test_find_every_row),
        cmocka_unit_test(test_find_stream_conf_kinds),
        cmocka_unit_test(test_find_unknown),
        cmocka_unit_test(test_section_ids),
        cmocka_unit_test(test_every_section_finds_itself),
        cmocka_unit_test(test_find_any),
        cmocka_unit_test(test_find_any_every_row),
        cmocka_unit_test(test_type_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

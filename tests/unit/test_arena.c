/*
** test_arena.c - cmocka tests for compiler/arena.c: 16-byte alignment, zero fill, big blocks,
** strndup/printf, the arena_fail_after hook, and an allocation-failure loop that runs a whole
** node_check (load, parse, validate, cross-check, render) with the arena failing after n
** allocations for n = 0, 1, 2, ... until a run no longer hits the failure. Every run must
** return normally, and must either report DiagSink.oom or give exactly the normal result.
** The asan variant also checks that nothing leaks on any of those paths.
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

#include "arena.h"
#include "confdir.h"
#include "diag_render.h"
#include "source.h"
#include "testutil.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- basic allocation --------------------------------------------------------------------- */

static void test_alignment_zero_fill_no_overlap(void **state)
{
    (void)state;
    static const size_t sizes[] = { 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 100, 1000, 4095, 40000 };
    unsigned char *ptrs[LEN(sizes) * 8];
    size_t lens[LEN(sizes) * 8];
    Arena a;
    arena_init(&a);
    size_t k = 0, want_used = 0;
    for (int round = 0; round < 8; round++) {
        for (size_t i = 0; i < LEN(sizes); i++, k++) {
            unsigned char *p = arena_alloc(&a, sizes[i]);
            assert_non_null(p);
            assert_int_equal((uintptr_t)p % 16, 0);
            for (size_t j = 0; j < sizes[i]; j++) {
                if (p[j] != 0) {
                    fail_msg("allocation %zu of %zu bytes not zero at %zu", k, sizes[i], j);
                }
            }
            memset(p, (int)(k & 0xFF), sizes[i]);   /* a later block must not overlap it */
            ptrs[k] = p;
            lens[k] = sizes[i];
            want_used += (sizes[i] + 15) & ~(size_t)15;
        }
    }
    for (size_t i = 0; i < k; i++) {
        for (size_t j = 0; j < lens[i]; j++) {
            if (ptrs[i][j] != (unsigned char)(i & 0xFF)) {
                fail_msg("block %zu was overwritten at byte %zu", i, j);
            }
        }
    }
    assert_int_equal(a.used, want_used);
    arena_free(&a);
    assert_null(a.head);
    assert_int_equal(a.used, 0);
    /* reusable after free */
    unsigned char *p = arena_alloc(&a, 24);
    assert_non_null(p);
    assert_int_equal(p[23], 0);
    arena_free(&a);
}

static void test_zero_and_huge_sizes(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    void *z = arena_alloc(&a, 0);
    assert_non_null(z);
    assert_int_equal((uintptr_t)z % 16, 0);
    assert_null(arena_alloc(&a, SIZE_MAX));          /* refused, not wrapped around */
    assert_null(arena_alloc(&a, SIZE_MAX - 8));
    assert_null(arena_alloc(&a, SIZE_MAX / 2 + 1));
    char *p = arena_alloc(&a, 10);                   /* still usable afterwards */
    assert_non_null(p);
    arena_free(&a);
}

static void test_big_blocks(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    unsigned char *small1 = arena_alloc(&a, 16);
    assert_non_null(small1);
    size_t big_n = (size_t)3 << 20;                  /* larger than any chunk */
    unsigned char *big = arena_alloc(&a, big_n);
    assert_non_null(big);
    assert_int_equal((uintptr_t)big % 16, 0);
    assert_int_equal(big[0], 0);
    assert_int_equal(big[big_n - 1], 0);
    memset(big, 0x5A, big_n);                        /* the whole block is writable (ASan) */
    /* the current chunk keeps filling: the next small block follows the first one */
    unsigned char *small2 = arena_alloc(&a, 16);
    assert_ptr_equal(small2, small1 + 16);
    /* many big blocks in a row, each zeroed and distinct */
    unsigned char *prev = big;
    for (int i = 0; i < 5; i++) {
        unsigned char *b = arena_alloc(&a, (size_t)(200 + i) * 1024);
        assert_non_null(b);
        assert_true(b != prev);
        assert_int_equal(b[(size_t)(200 + i) * 1024 - 1], 0);
        memset(b, i, (size_t)(200 + i) * 1024);
        prev = b;
    }
    assert_int_equal(big[12345], 0x5A);
    /* fill several default-size chunks with small blocks */
    for (int i = 0; i < 20000; i++) {
        char *s = arena_alloc(&a, 40);
        assert_non_null(s);
        s[39] = 1;
    }
    arena_free(&a);
}

static void test_strndup(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    char *src = malloc(11);                          /* exact size, no NUL: no read past n */
    assert_non_null(src);
    memcpy(src, "hello world", 11);
    char *p = arena_strndup(&a, src, 5);
    assert_string_equal(p, "hello");
    char *q = arena_strndup(&a, src, 11);
    assert_string_equal(q, "hello world");
    src[0] = 'J';                                    /* a copy, not a view */
    assert_string_equal(q, "hello world");
    char *e = arena_strndup(&a, src, 0);
    assert_non_null(e);
    assert_string_equal(e, "");
    assert_int_equal((uintptr_t)p % 16, 0);
    free(src);
    arena_free(&a);
}

static void test_printf(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    assert_string_equal(arena_printf(&a, "%s-%d-%05.1f-%.*s", "x", 42, 3.14159, 3, "abcdef"),
                        "x-42-003.1-abc");
    assert_string_equal(arena_printf(&a, "%s", ""), "");
    assert_string_equal(arena_printf(&a, "%lld %zu %%", -9223372036854775807LL - 1, (size_t)7),
                        "-9223372036854775808 7 %");
    /* longer than a chunk: the va_list is used twice (measure, then print) */
    char *big = arena_printf(&a, "<%*s>", 100000, "z");
    assert_non_null(big);
    assert_int_equal(strlen(big), 100002);
    assert_int_equal(big[0], '<');
    assert_int_equal(big[100000], 'z');
    assert_int_equal(big[100001], '>');
    arena_free(&a);
}

static void test_fail_after(void **state)
{
    (void)state;
    Arena a;
    arena_init(&a);
    assert_int_equal(a.fail_after, -1);
    arena_fail_after(&a, 3);
    assert_non_null(arena_alloc(&a, 8));
    assert_non_null(arena_strndup(&a, "ab", 2));
    assert_non_null(arena_printf(&a, "%d", 1));
    assert_null(arena_alloc(&a, 8));                 /* the 4th allocation fails ... */
    assert_null(arena_alloc(&a, 1));                 /* ... and every one after it */
    assert_null(arena_strndup(&a, "ab", 2));
    assert_null(arena_printf(&a, "%s", "x"));
    arena_fail_after(&a, -1);                        /* back to normal */
    assert_non_null(arena_alloc(&a, 8));
    arena_fail_after(&a, 0);                         /* the very first one fails */
    assert_null(arena_alloc(&a, 0));
    arena_free(&a);

    /* a fresh arena failing at once holds no memory at all */
    arena_init(&a);
    arena_fail_after(&a, 0);
    assert_null(arena_alloc(&a, 100));
    assert_null(a.head);
    arena_free(&a);

    /* big blocks count like small ones */
    arena_init(&a);
    arena_fail_after(&a, 1);
    assert_non_null(arena_alloc(&a, (size_t)1 << 20));
    assert_null(arena_alloc(&a, 16));
    arena_free(&a);
}

/* ---- allocation-failure loop over a whole node_check ---------------------------------------- */

static const char stream_conf[] =
    "# stream.conf of a child that is also a parent\n"
    "[stream]\n"
    "    enabled = yes\n"
    "    destination = tcp:parent1:19999 parent2:SSL parent3\n"
    "    api key = 11111111-2222-3333-4444-555555555555\n"
    "    timeout seconds = 060\n"
    "    default port = 70000\n"
    "    buffer size bytes = 10s\n"
    "    enable compression = 1\n"
    "    ssl skip certificate verification = yes\n"
    "    send charts matching = \n"
    "    destinaton = typo\n"
    "    enabled = yes # inline\n"
    "; not a comment\n"
    "    ; key = value\n"
    "no equals sign here\n"
    "= no name\n"
    "[stream] # trailing text\n"
    "[stream\n"
    "[11111111-2222-3333-4444-555555555555]\n"
    "    enabled = yes\n"
    "    type = API\n"
    "    allow from = 127.0.0.1 10.* !10.1.2.3\n"
    "    default memory mode = RAM\n"
    "    health enabled by default = YES\n"
    "    default history = 3\n"
    "    default proxy destination = p1:SSL\n"
    "    history = 3600\n"
    "[AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE]\n"
    "    type = machine\n"
    "    memory mode = none\n"
    "    health enabled = yes\n"
    "    proxy destination = ::1\n"
    "[0f0e0d0c-0b0a-0908-0706-050403020100]\n"
    "    memory mode = none\n"
    "[{12345678-1234-1234-1234-123456789abc}]\n"
    "    enabled = yes\n"
    "[API_KEY]\n"
    "    enabled = no\n"
    "[strem]\n"
    "    x = y\n"
    "[stream]\n"
    "    api key = not-a-guid\n"
    "    caf\xc3\xa9 = \xff\xfe\n";

static const char netdata_conf[] =
    "[global]\n"
    "    memory mode = none\n"
    "    history = 7200\n"
    "    bind socket to IP = 127.0.0.1\n"
    "    update every = 0\n"
    "[db]\n"
    "    mode = none\n"
    "    storage tiers = 9\n"
    "    dbengine tier 1 backfill = New\n"
    "[web]\n"
    "    mode = none\n"
    "    bind to = 10.0.0.1:19999=dashboard ^SSL=force [::1]:bad\n"
    "    gzip compression level = 10\n"
    "[health]\n"
    "    enabled = yes\n"
    "[helth]\n"
    "    enabled = yes\n"
    "[plugin:proc:/proc/diskstats:sda]\n"
    "    enable performance metrics = yes\n"
    "[plugin:proc]\n"
    "    /proc/stat = yes\n";

static char *tmpdir;   /* malloc'd by testutil_temp_dir */

static void remove_file(const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    unlink(path);
}

typedef struct RunResult {
    int rc, status, oom, io_error, completed;
    uint32_t n, nerr, nwarn;
    char *text;             /* the text rendering (malloc'd) */
} RunResult;

static Node node;   /* large: keep it off the stack */

/* One node_check with the arena failing after FAIL_AFTER allocations (-1: never), then
   rendered in all three formats (text kept for comparison). */
static RunResult run_once(long fail_after, FILE *devnull, unsigned max_errors, int werror)
{
    Arena a;
    DiagSink d;
    RunResult r;
    NodeInput in = { tmpdir, NULL, NULL, NULL };
    arena_init(&a);
    arena_fail_after(&a, fail_after);
    diag_init(&d, &a);
    d.max_errors = max_errors;
    d.werror = werror;
    r.rc = node_check(&node, &a, &d, &in);
    r.completed = fail_after < 0 || a.fail_after > 0;   /* the budget was never used up */
    arena_fail_after(&a, -1);   /* rendering under failure has its own test below */
    size_t text_n = 0;
    r.text = NULL;
    FILE *mem = open_memstream(&r.text, &text_n);
    assert_non_null(mem);
    for (int f = RENDER_TEXT; f <= RENDER_SARIF; f++) {
        Render rd;
        render_begin(&rd, f == RENDER_TEXT ? mem : devnull, (RenderFormat)f);
        render_sink(&rd, &d);
        render_end(&rd);
    }
    fclose(mem);
    r.status = diag_exit_status(&d);
    r.oom = d.oom;
    r.io_error = node.io_error;
    r.n = d.n;
    r.nerr = d.nerr;
    r.nwarn = d.nwarn;
    arena_free(&a);
    return r;
}

static int make_confdir(void **state)
{
    (void)state;
    tmpdir = testutil_temp_dir("streamc_arena");
    testutil_write_file(tmpdir, "stream.conf", stream_conf, sizeof stream_conf - 1);
    testutil_write_file(tmpdir, "netdata.conf", netdata_conf, sizeof netdata_conf - 1);
    testutil_write_file(tmpdir, "netdata.public.unique.id",
                        "0f0e0d0c-0b0a-0908-0706-050403020100\n", 37);
    return 0;
}

static int remove_confdir(void **state)
{
    (void)state;
    remove_file("stream.conf");
    remove_file("netdata.conf");
    remove_file("netdata.public.unique.id");
    int rc = rmdir(tmpdir);
    free(tmpdir);
    tmpdir = NULL;
    return rc;
}

static void failure_loop(unsigned max_errors, int werror)
{
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    RunResult base = run_once(-1, devnull, max_errors, werror);
    assert_int_equal(base.rc, 0);
    assert_int_equal(base.oom, 0);
    assert_int_equal(base.io_error, 0);
    assert_int_equal(base.status, 1);
    long n;
    int oom_runs = 0;
    char bad[600] = "";
    for (n = 0; n < 200000 && !bad[0]; n++) {
        RunResult r = run_once(n, devnull, max_errors, werror);
        if (r.oom) {
            oom_runs++;
            if (r.status != 1 || !strstr(r.text, "out of memory")) {
                snprintf(bad, sizeof bad, "failing after %ld allocations: oom, but exit status "
                         "%d and a text output that does not say so:\n%s", n, r.status,
                         testutil_esc(r.text, strlen(r.text) > 300 ? 300 : strlen(r.text)));
            }
        } else if (r.rc != base.rc || r.n != base.n || r.nerr != base.nerr ||
                   r.nwarn != base.nwarn || r.io_error != base.io_error) {
            snprintf(bad, sizeof bad, "failing after %ld allocations: no oom flag, but rc %d "
                     "io_error %d and %u records (%u errors, %u warnings) instead of rc %d "
                     "io_error %d and %u (%u, %u)", n, r.rc, r.io_error, r.n, r.nerr, r.nwarn,
                     base.rc, base.io_error, base.n, base.nerr, base.nwarn);
        } else if (strcmp(r.text, base.text) != 0) {
            snprintf(bad, sizeof bad, "failing after %ld allocations: no oom flag and the same "
                     "records, but a different text output:\n%s", n,
                     testutil_esc(r.text, strlen(r.text) > 300 ? 300 : strlen(r.text)));
        }
        free(r.text);
        if (r.completed) {
            break;
        }
    }
    free(base.text);
    fclose(devnull);
    if (bad[0]) {
        fail_msg("%s", bad);
    }
    assert_true(n < 200000);
    assert_true(n > 20);                             /* a real run allocates more than this */
    assert_true(oom_runs > 0);
}

static void test_failure_loop_node_check(void **state)
{
    (void)state;
    FILE *devnull = fopen("/dev/null", "w");
    assert_non_null(devnull);
    RunResult base = run_once(-1, devnull, 0, 0);
    fclose(devnull);
    free(base.text);
    assert_true(base.nerr > 10);                     /* the config really exercises the checks */
    assert_true(base.nwarn > 3);
    failure_loop(0, 0);
}

static void test_failure_loop_capped_werror(void **state)
{
    (void)state;
    failure_loop(7, 1);                              /* the too-many record is allocated too */
}

/* Odd bytes and shapes: a BOM, a line cut at 8191 bytes, a NUL, bad UTF-8, old netdata.conf
   names that move, an invalid machine GUID file. */
static void test_failure_loop_odd_files(void **state)
{
    (void)state;
    static const char head[] = "\xEF\xBB\xBF[stream]\nenabled = yes\n[stream]\n"
                               "    enabled = yes\n    destination = ";
    static const char tail[] = " = y\n    api key = 0f0e0d0c\0 junk\n"
                               "[11111111-2222-3333-4444-555555555555]\n    enabled = maybe\n"
                               "    default memory mode = \xc3\x28\n";
    size_t n = sizeof head - 1 + 9000 + sizeof tail - 1;
    char *text = malloc(n);
    assert_non_null(text);
    memcpy(text, head, sizeof head - 1);
    memset(text + sizeof head - 1, 'x', 9000);
    memcpy(text + sizeof head - 1 + 9000, tail, sizeof tail - 1);
    testutil_write_file(tmpdir, "stream.conf", text, n);
    free(text);
    static const char nd[] = "[global]\n    memory mode = ram\n    history = 100\n"
                             "    bind socket to IP = 127.0.0.1\n    bind to = *\n"
                             "[web]\n    default port = 0x4E1F\n[db]\n    update every = 2\n"
                             "[global]\n    update every = 1\n";
    testutil_write_file(tmpdir, "netdata.conf", nd, sizeof nd - 1);
    testutil_write_file(tmpdir, "netdata.public.unique.id", "not-a-guid\n", 11);
    failure_loop(0, 0);
}

/* The renderer allocates from the sink's arena too (to sort the records). When that fails it
   must still show the findings, or at least say that memory ran out: never print nothing. */
static void test_failure_loop_render(void **state)
{
    (void)state;
    Arena a;
    DiagSink d;
    Source src;
    arena_init(&a);
    diag_init(&d, &a);
    static const char text[] = "[stream]\n    enabled = 1\n    destinaton = x\n";
    assert_int_equal(source_from_mem(&src, &a, "stream.conf", text, sizeof text - 1), 0);
    DiagLoc l2 = { &src, 2, 15, 1 }, l3 = { &src, 3, 5, 10 };
    diag_add(&d, DIAG_UNKNOWN_KEY, l3, "unknown key 'destinaton'");
    diag_add(&d, DIAG_BAD_VALUE, l2, "invalid value '1'");
    char *base = NULL, *got = NULL, bad[256] = "";
    size_t base_n = 0, got_n = 0;
    for (long n = -1; n < 50; n++) {
        arena_fail_after(&a, n);
        FILE *mem = open_memstream(n < 0 ? &base : &got, n < 0 ? &base_n : &got_n);
        assert_non_null(mem);
        Render r;
        render_begin(&r, mem, RENDER_TEXT);
        render_sink(&r, &d);
        render_end(&r);
        fclose(mem);
        int done = n >= 0 && a.fail_after > 0;
        if (n >= 0 && strcmp(got, base) != 0 && !strstr(got, "out of memory")) {
            snprintf(bad, sizeof bad, "rendering with the arena failing after %ld allocations "
                     "printed '%s' instead of the findings or an out-of-memory notice", n,
                     testutil_esc(got, strlen(got) > 100 ? 100 : strlen(got)));
            done = 1;
        }
        if (n >= 0) {
            free(got);
            got = NULL;
        }
        if (done) {
            break;
        }
    }
    int found = strstr(base, "destinaton") != NULL;
    free(base);
    arena_free(&a);   /* clean up before failing, so the asan run reports only the finding */
    assert_true(found);
    if (bad[0]) {
        fail_msg("%s", bad);
    }
}

/* The --max-errors record is allocated too: if its message cannot be, the sink must say so
   (oom) rather than keep a record without a message. */
static void test_failure_in_cap_record(void **state)
{
    (void)state;
    char bad[256] = "";
    for (long k = 0; k < 3; k++) {
        Arena a;
        DiagSink d;
        DiagLoc nowhere = { NULL, 0, 0, 0 };
        arena_init(&a);
        diag_init(&d, &a);
        d.max_errors = 1;
        assert_non_null(diag_add(&d, DIAG_BAD_VALUE, nowhere, "first"));
        arena_fail_after(&a, k);                 /* k allocations left for the cap record */
        assert_null(diag_add(&d, DIAG_BAD_VALUE, nowhere, "second"));
        int capped = d.last && d.last->code == DIAG_TOO_MANY;
        if (!d.oom && (!capped || !d.last->msg)) {
            size_t o = strlen(bad);
            snprintf(bad + o, sizeof bad - o, "; %ld allocation(s) left: no oom flag and %s", k,
                     capped ? "a too-many record without a message" : "no too-many record");
        }
        arena_free(&a);
    }
    if (bad[0]) {
        fail_msg("the --max-errors record under allocation failure%s", bad);
    }
}

/* A fix-it that cannot be copied is a lost finding detail: the sink must say so. */
static void test_failure_in_fixit(void **state)
{
    (void)state;
    Arena a;
    DiagSink d;
    DiagLoc nowhere = { NULL, 0, 0, 0 };
    arena_init(&a);
    diag_init(&d, &a);
    Diag *g = diag_add(&d, DIAG_UNKNOWN_KEY, nowhere, "unknown key 'destinaton'");
    assert_non_null(g);
    arena_fail_after(&a, 0);
    diag_fixit(&d, g, "destination", 11);
    int ok = g->fixit != NULL || d.oom;
    arena_free(&a);
    if (!ok) {
        fail_msg("diag_fixit could not copy the fix-it: it is silently dropped (no oom flag)");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment_zero_fill_no_overlap),
        cmocka_unit_test(test_zero_and_huge_sizes),
        cmocka_unit_test(test_big_blocks),
        cmocka_unit_test(test_strndup),
        cmocka_unit_test(test_printf),
        cmocka_unit_test(test_fail_after),
        cmocka_unit_test_setup_teardown(test_failure_loop_node_check, make_confdir,
                                        remove_confdir),
        cmocka_unit_test_setup_teardown(test_failure_loop_capped_werror, make_confdir,
                                        remove_confdir),
        cmocka_unit_test_setup_teardown(test_failure_loop_odd_files, make_confdir,
                                        remove_confdir),
        cmocka_unit_test(test_failure_loop_render),
        cmocka_unit_test(test_failure_in_cap_record),
        cmocka_unit_test(test_failure_in_fixit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

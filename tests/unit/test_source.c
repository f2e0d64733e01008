/*
** test_source.c - cmocka tests for compiler/source.c: the logical lines of shared/spec
** config-semantics.md §1.2 (Netdata's fgets into an 8192-byte buffer: at most 8191 bytes per
** read, newline included; a NUL ends the logical line), CRLF, a last line without newline, the
** empty file, the BOM flag, source_phys_line, and source_load on real files.
*/
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "source.h"

static Arena arena;
static Source src;

static int setup(void **state)
{
    (void)state;
    arena_init(&arena);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_free(&arena);
    return 0;
}

#define LOAD(lit) load(lit, sizeof(lit) - 1)

static void load(const char *data, size_t n)
{
    assert_int_equal(source_from_mem(&src, &arena, "t.conf", data, n), 0);
    assert_int_equal(src.len, n);
    assert_int_equal(src.buf[n], 0);     /* the copy is NUL-terminated */
}

/* Logical line I: its text, physical line, column offset and flags. */
static void check_line(size_t i, const char *text, size_t n, uint32_t line, uint32_t col0,
                       uint32_t flags)
{
    assert_true(i < src.nlines);
    const SrcLine *L = &src.lines[i];
    if (L->n != n || memcmp(L->z, text, n) != 0 || L->line != line || L->col0 != col0 ||
        L->flags != flags) {
        fail_msg("line %zu: n %u line %u col0 %u flags %u, want n %zu line %u col0 %u flags %u",
                 i, L->n, L->line, L->col0, L->flags, n, line, col0, flags);
    }
    /* z must point into the buffer at the physical line start + col0 */
    assert_ptr_equal(L->z, src.buf + src.phys[line - 1] + col0);
}

static void test_simple_lines(void **state)
{
    (void)state;
    LOAD("[stream]\n  enabled = yes\n\n# c\n");
    assert_int_equal(src.nlines, 4);
    assert_int_equal(src.nphys, 5);       /* the empty line after the last newline */
    check_line(0, "[stream]", 8, 1, 0, 0);
    check_line(1, "  enabled = yes", 15, 2, 0, 0);
    check_line(2, "", 0, 3, 0, 0);
    check_line(3, "# c", 3, 4, 0, 0);
    assert_int_equal(src.bom, 0);
    assert_string_equal(src.path, "t.conf");
}

static void test_last_line_without_newline(void **state)
{
    (void)state;
    LOAD("a\nb");
    assert_int_equal(src.nlines, 2);
    assert_int_equal(src.nphys, 2);
    check_line(0, "a", 1, 1, 0, 0);
    check_line(1, "b", 1, 2, 0, 0);
}

static void test_empty_and_newline_only(void **state)
{
    (void)state;
    LOAD("");
    assert_int_equal(src.nlines, 0);
    assert_int_equal(src.nphys, 1);
    size_t n = 99;
    const char *z = source_phys_line(&src, 1, &n);
    assert_non_null(z);
    assert_int_equal(n, 0);
    assert_null(source_phys_line(&src, 2, &n));

    LOAD("\n");
    assert_int_equal(src.nlines, 1);
    check_line(0, "", 0, 1, 0, 0);
    assert_int_equal(src.nphys, 2);

    LOAD("\n\n\n");
    assert_int_equal(src.nlines, 3);
    check_line(2, "", 0, 3, 0, 0);
}

static void test_crlf(void **state)
{
    (void)state;
    LOAD("win = a\r\nb\r\n\r\n");
    assert_int_equal(src.nlines, 3);
    check_line(0, "win = a\r", 8, 1, 0, 0);   /* '\r' stays in the line; lex trims it */
    check_line(1, "b\r", 2, 2, 0, 0);
    check_line(2, "\r", 1, 3, 0, 0);
    size_t n;
    const char *z = source_phys_line(&src, 1, &n);
    assert_int_equal(n, 7);
    assert_memory_equal(z, "win = a", 7);
    z = source_phys_line(&src, 3, &n);
    assert_int_equal(n, 0);
    /* a lone '\r' at end of file is stripped too, an inner one is not */
    LOAD("x\ry\r");
    z = source_phys_line(&src, 1, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(z, "x\ry", 3);
}

static void test_phys_line_range(void **state)
{
    (void)state;
    LOAD("one\ntwo\nthree");
    size_t n = 0;
    assert_null(source_phys_line(&src, 0, &n));
    assert_null(source_phys_line(&src, 4, &n));
    assert_null(source_phys_line(&src, UINT32_MAX, &n));
    const char *z = source_phys_line(&src, 2, &n);
    assert_int_equal(n, 3);
    assert_memory_equal(z, "two", 3);
    z = source_phys_line(&src, 3, &n);
    assert_int_equal(n, 5);
    assert_memory_equal(z, "three", 5);
}

/* A buffer of N bytes of C, optionally followed by TAIL. Freed by the caller. */
static char *filled(size_t n, char c, const char *tail, size_t *total)
{
    size_t tn = tail ? strlen(tail) : 0;
    char *p = malloc(n + tn + 1);
    assert_non_null(p);
    memset(p, c, n);
    if (tn) {
        memcpy(p + n, tail, tn);
    }
    *total = n + tn;
    return p;
}

static void test_8190_plus_newline_is_one_line(void **state)
{
    (void)state;
    size_t n;
    char *p = filled(8190, 'a', "\nnext\n", &n);
    load(p, n);
    assert_int_equal(src.nlines, 2);
    check_line(0, p, 8190, 1, 0, 0);
    check_line(1, "next", 4, 2, 0, 0);
    free(p);
}

static void test_8191_plus_newline_gives_empty_line(void **state)
{
    (void)state;
    size_t n;
    char *p = filled(SOURCE_READ_MAX, 'a', "\nnext\n", &n);
    load(p, n);
    assert_int_equal(src.nlines, 3);
    check_line(0, p, 8191, 1, 0, SRC_CUT);
    check_line(1, "", 0, 1, 8191, SRC_CONT);   /* just the newline */
    check_line(2, "next", 4, 2, 0, 0);
    size_t pn;
    source_phys_line(&src, 1, &pn);
    assert_int_equal(pn, 8191);
    free(p);
}

static void test_8191_at_end_of_file(void **state)
{
    (void)state;
    size_t n;
    char *p = filled(SOURCE_READ_MAX, 'a', NULL, &n);
    load(p, n);
    assert_int_equal(src.nlines, 1);
    check_line(0, p, 8191, 1, 0, 0);           /* nothing follows: not cut */
    free(p);
    p = filled(SOURCE_READ_MAX + 1, 'a', NULL, &n);
    load(p, n);
    assert_int_equal(src.nlines, 2);
    check_line(0, p, 8191, 1, 0, SRC_CUT);
    check_line(1, "a", 1, 1, 8191, SRC_CONT);
    free(p);
}

static void test_20000_byte_line(void **state)
{
    (void)state;
    size_t n;
    char *p = filled(20000, 'b', "\nx = y\n", &n);
    for (size_t i = 0; i < 20000; i++) {
        p[i] = (char)('a' + i % 26);
    }
    load(p, n);
    assert_int_equal(src.nlines, 4);
    check_line(0, p, 8191, 1, 0, SRC_CUT);
    check_line(1, p + 8191, 8191, 1, 8191, SRC_CUT | SRC_CONT);
    check_line(2, p + 16382, 20000 - 16382, 1, 16382, SRC_CONT);
    check_line(3, "x = y", 5, 2, 0, 0);
    free(p);

    /* the same line at end of file, without a newline */
    p = filled(20000, 'c', NULL, &n);
    load(p, n);
    assert_int_equal(src.nlines, 3);
    check_line(2, p, 20000 - 16382, 1, 16382, SRC_CONT);
    free(p);

    /* exactly two reads of content and then the newline: a third, empty read */
    p = filled(2 * SOURCE_READ_MAX, 'd', "\n", &n);
    load(p, n);
    assert_int_equal(src.nlines, 3);
    check_line(1, p, 8191, 1, 8191, SRC_CUT | SRC_CONT);
    check_line(2, "", 0, 1, 16382, SRC_CONT);
    free(p);
}

/* spec §1.2: "j = " + 8187 'b' + "x = y" is a key j AND a key x */
static void test_spec_split_example(void **state)
{
    (void)state;
    size_t n;
    char *p = filled(4 + 8187, 'b', "x = y\n", &n);
    memcpy(p, "j = ", 4);
    load(p, n);
    assert_int_equal(src.nlines, 2);
    check_line(0, p, 8191, 1, 0, SRC_CUT);
    check_line(1, "x = y", 5, 1, 8191, SRC_CONT);
    free(p);
}

static void test_nul_truncates(void **state)
{
    (void)state;
    LOAD("ab\0cd\nef");
    assert_int_equal(src.nlines, 2);
    check_line(0, "ab", 2, 1, 0, SRC_NUL);
    assert_int_equal(src.lines[0].nul_off, 2);
    check_line(1, "ef", 2, 2, 0, 0);
    assert_int_equal(src.lines[1].nul_off, 0);

    LOAD("\0\n");                       /* NUL first: empty content */
    check_line(0, "", 0, 1, 0, SRC_NUL);
    assert_int_equal(src.lines[0].nul_off, 0);

    LOAD("k = v\0\0\0");                /* NUL at end of file, no newline */
    assert_int_equal(src.nlines, 1);
    check_line(0, "k = v", 5, 1, 0, SRC_NUL);
    assert_int_equal(src.lines[0].nul_off, 5);

    /* a NUL in a cut line: it ends that read only; the next read starts at byte 8191 */
    size_t n;
    char *p = filled(9000, 'q', "\n", &n);
    p[10] = 0;
    p[8191 + 5] = 0;
    load(p, n);
    assert_int_equal(src.nlines, 2);
    check_line(0, p, 10, 1, 0, SRC_NUL | SRC_CUT);
    assert_int_equal(src.lines[0].nul_off, 10);
    check_line(1, p + 8191, 5, 1, 8191, SRC_NUL | SRC_CONT);
    assert_int_equal(src.lines[1].nul_off, 5);
    free(p);
}

static void test_bom_flag(void **state)
{
    (void)state;
    LOAD("\xEF\xBB\xBF[stream]\n");
    assert_int_equal(src.bom, 1);
    check_line(0, "\xEF\xBB\xBF[stream]", 11, 1, 0, 0);   /* not removed */
    LOAD("\xEF\xBB\xBF");
    assert_int_equal(src.bom, 1);
    LOAD("\xEF\xBB");
    assert_int_equal(src.bom, 0);
    LOAD("x\xEF\xBB\xBF");
    assert_int_equal(src.bom, 0);
    LOAD("\xEF\xBF\xBB");
    assert_int_equal(src.bom, 0);
}

static void test_copy_is_private(void **state)
{
    (void)state;
    char data[] = "[a]\nk = v\n";
    assert_int_equal(source_from_mem(&src, &arena, "m", data, sizeof data - 1), 0);
    data[1] = 'X';
    assert_int_equal(src.lines[0].z[1], 'a');
}

static void test_many_lines(void **state)
{
    (void)state;
    size_t n = 100000 * 4;
    char *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < 100000; i++) {
        memcpy(p + 4 * i, i % 2 ? "ab\n\n" : "a\r\n\n", 4);
    }
    load(p, n);
    assert_int_equal(src.nlines, 200000);
    assert_int_equal(src.nphys, 200001);
    check_line(199998, "ab", 2, 199999, 0, 0);
    check_line(199999, "", 0, 200000, 0, 0);
    size_t pn;
    const char *z = source_phys_line(&src, 199997, &pn);
    assert_int_equal(pn, 1);
    assert_int_equal(z[0], 'a');
    free(p);
}

static void test_load_file(void **state)
{
    (void)state;
    char path[] = "/tmp/streamc_source_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char text[] = "[stream]\r\n\tenabled = yes\n\0tail";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    const char *err = NULL;
    Source s2;
    assert_int_equal(source_load(&s2, &arena, path, NULL, &err), 0);
    assert_string_equal(s2.path, path);
    assert_int_equal(s2.len, sizeof text - 1);
    assert_memory_equal(s2.buf, text, sizeof text - 1);
    assert_int_equal(s2.nlines, 3);
    assert_int_equal(s2.lines[2].flags, SRC_NUL);
    assert_int_equal(source_load(&s2, &arena, path, "shown.conf", &err), 0);
    assert_string_equal(s2.path, "shown.conf");

    /* an empty file */
    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(source_load(&s2, &arena, path, NULL, &err), 0);
    assert_int_equal(s2.len, 0);
    assert_int_equal(s2.nlines, 0);
    unlink(path);

    err = NULL;
    assert_int_equal(source_load(&s2, &arena, path, NULL, &err), -1);   /* gone now */
    assert_non_null(err);
    err = NULL;
    assert_int_equal(source_load(&s2, &arena, "/tmp", NULL, &err), -1);
    assert_non_null(err);
    assert_string_equal(err, "is a directory");
}

/* Files over 64 MiB are refused with a reason, before anything is read. */
static void test_too_large(void **state)
{
    (void)state;
    char path[] = "/tmp/streamc_big_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)SOURCE_FILE_MAX + 1), 0);   /* sparse */
    close(fd);
    const char *err = NULL;
    Source s2;
    int rc = source_load(&s2, &arena, path, NULL, &err);
    unlink(path);
    assert_int_equal(rc, -1);
    assert_non_null(err);
    assert_non_null(strstr(err, "64 MiB"));
    char one = 'x';   /* the length is checked before the bytes are touched */
    assert_int_equal(source_from_mem(&s2, &arena, "m", &one, (size_t)SOURCE_FILE_MAX + 1), -1);
}

/* /proc files report size 0 but have content: read until EOF, not st_size. */
static void test_load_proc_file(void **state)
{
    (void)state;
    const char *err = NULL;
    Source s2;
    if (access("/proc/self/status", R_OK) != 0) {
        skip();
    }
    assert_int_equal(source_load(&s2, &arena, "/proc/self/status", NULL, &err), 0);
    assert_true(s2.len > 100);
    assert_true(s2.nlines > 5);
    assert_memory_equal(s2.lines[0].z, "Name:", 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simple_lines),
        cmocka_unit_test(test_last_line_without_newline),
        cmocka_unit_test(test_empty_and_newline_only),
        cmocka_unit_test(test_crlf),
        cmocka_unit_test(test_phys_line_range),
        cmocka_unit_test(test_8190_plus_newline_is_one_line),
        cmocka_unit_test(test_8191_plus_newline_gives_empty_line),
        cmocka_unit_test(test_8191_at_end_of_file),
        cmocka_unit_test(test_20000_byte_line),
        cmocka_unit_test(test_spec_split_example),
        cmocka_unit_test(test_nul_truncates),
        cmocka_unit_test(test_bom_flag),
        cmocka_unit_test(test_copy_is_private),
        cmocka_unit_test(test_many_lines),
        cmocka_unit_test(test_load_file),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_load_proc_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}

/*
** testutil.c - the shared unit-test helpers of testutil.h. No cmocka here (this file is also
** linked into fuzzers and benches): failures print "testutil: ..." and abort.
*/
#include "testutil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <ftw.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define ESC_SIZE 16384
#define ESC_TAIL 32   /* room kept for the "...(+K bytes)" marker */

void testutil_die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("testutil: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

const char *testutil_esc(const char *z, size_t n)
{
    static char buf[4][ESC_SIZE];
    static unsigned k;
    char *b = buf[k++ & 3];
    size_t o = 0, i = 0;
    for (; i < n && o + 4 + ESC_TAIL < ESC_SIZE; i++) {
        unsigned char c = (unsigned char)z[i];
        if ((c >= 0x20 && c < 0x7F) || c == '\n') {
            b[o++] = (char)c;
        } else {
            o += (size_t)snprintf(b + o, ESC_SIZE - o, "\\x%02x", c);
        }
    }
    if (i < n) {
        o += (size_t)snprintf(b + o, ESC_SIZE - o, "...(+%zu bytes)", n - i);
    }
    b[o] = 0;
    return b;
}

void *testutil_dup_exact(const void *p, size_t n)
{
    void *q = malloc(n ? n : 1);
    if (!q) {
        testutil_die("out of memory copying %zu bytes", n);
    }
    if (n) {
        memcpy(q, p, n);
    }
    return q;
}

char *testutil_temp_dir(const char *name)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp) {
        tmp = "/tmp";
    }
    size_t size = strlen(tmp) + strlen(name) + 9;   /* '/', ".XXXXXX", NUL */
    char *dir = malloc(size);
    if (!dir) {
        testutil_die("out of memory for a temporary directory name");
    }
    snprintf(dir, size, "%s/%s.XXXXXX", tmp, name);
    if (!mkdtemp(dir)) {
        testutil_die("mkdtemp '%s': %s", dir, strerror(errno));
    }
    return dir;
}

void testutil_write_file(const char *dir, const char *name, const void *data, size_t n)
{
    char *path;
    if (dir) {
        size_t size = strlen(dir) + strlen(name) + 2;
        path = malloc(size);
        if (!path) {
            testutil_die("out of memory for a path");
        }
        snprintf(path, size, "%s/%s", dir, name);
    } else {
        path = testutil_dup_exact(name, strlen(name) + 1);
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        testutil_die("cannot create '%s': %s", path, strerror(errno));
    }
    if (fwrite(data, 1, n, f) != n) {
        testutil_die("cannot write %zu bytes to '%s': %s", n, path, strerror(errno));
    }
    if (fclose(f) != 0) {
        testutil_die("cannot close '%s': %s", path, strerror(errno));
    }
    free(path);
}

unsigned char *testutil_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    long size = -1;
    if (!f || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        testutil_die("cannot read '%s': %s", path, strerror(errno));
    }
    unsigned char *b = malloc(size ? (size_t)size : 1);
    if (!b) {
        testutil_die("out of memory for the %ld bytes of '%s'", size, path);
    }
    if (fread(b, 1, (size_t)size, f) != (size_t)size) {
        testutil_die("cannot read the %ld bytes of '%s'", size, path);
    }
    fclose(f);
    *n = (size_t)size;
    return b;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

void testutil_rm_tree(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *testutil_take_log(const char *path)
{
    FILE *f = fopen(path, "r");
    char *s = calloc(1, 1 << 16);
    if (!s) {
        abort();
    }
    if (f) {
        size_t n = fread(s, 1, (1 << 16) - 1, f);
        s[n] = 0;
        fclose(f);
    }
    unlink(path);
    if (log_open(path) != 0) {
        abort();
    }
    return s;
}

static char log_path[4096];   /* testutil_log_to's file, read by testutil_log_has */

void testutil_log_to(const char *dir)
{
    snprintf(log_path, sizeof log_path, "%s/test.log", dir);
    unlink(log_path);
    if (log_open(log_path) != 0) {
        testutil_die("cannot open the log '%s'", log_path);
    }
}

int testutil_log_has(const char *needle)
{
    FILE *f = log_path[0] ? fopen(log_path, "r") : NULL;
    char line[2048];
    int found = 0;
    while (f && !found && fgets(line, sizeof line, f)) {
        found = strstr(line, needle) != NULL;
    }
    if (f) {
        fclose(f);
    }
    return found;
}

int testutil_streamc_compile(const char *confdir, const char *out, char *cmd, size_t cap)
{
    const char *streamc = getenv("STREAMC");
    snprintf(cmd, cap, "'%s' compile '%s' -o '%s' >/dev/null 2>&1",
             streamc && *streamc ? streamc : "./streamc", confdir, out);
    return system(cmd);
}

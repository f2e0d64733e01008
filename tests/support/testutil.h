/*
** testutil.h - test support: small helpers the unit tests share (printable copies of bytes for
** failure messages, exact-size heap copies, temporary directories and files). Linked into unit
** tests, fuzzers and benches, so no function here calls cmocka: an internal failure (out of
** memory, a file that cannot be written) prints a message naming the cause and aborts. The one
** macro, TESTUTIL_ASSERT_NO_REASON, expands to cmocka code and so only in the unit tests that use
** it. Never linked into streamc or streamd.
*/
#ifndef STREAMC_TESTUTIL_H
#define STREAMC_TESTUTIL_H

#include <stddef.h>

/* In a cmocka test: fail, printing the reason, when REASON (a const char * expression, evaluated
   once) is not NULL. Support helpers that check answers return NULL or a reason instead of
   asserting, since they are linked where there is no cmocka; this turns the reason into a cmocka
   failure at the caller's line. */
#define TESTUTIL_ASSERT_NO_REASON(reason)                                                          \
    do {                                                                                           \
        const char *testutil_why_ = (reason);                                                      \
        if (testutil_why_) {                                                                       \
            fail_msg("%s", testutil_why_);                                                         \
        }                                                                                          \
    } while (0)

/* Print "testutil: " and the printf-style message to stderr, then abort: for a step a test
   cannot go on without (memory, a temporary file), never for a wrong answer. */
void testutil_die(const char *fmt, ...);

/* A printable-ASCII copy of the N bytes at Z for failure messages (tests/run.py reads them as
   UTF-8): bytes 0x20..0x7E and '\n' as they are, any other byte as \xHH. Output that does not
   fit is cut at a character boundary and ends in "...(+K bytes)". Returns one of 4 rotating
   static 16 KiB buffers, so up to 4 results may be used in one printf. Z may be NULL when N
   is 0. */
const char *testutil_esc(const char *z, size_t n);

/* A malloc'd copy of exactly N bytes of P (no NUL added), so reading P[N] of the copy is a heap
   overflow under ASan. The caller frees it. Aborts when out of memory. */
void *testutil_dup_exact(const void *p, size_t n);

/* A fresh directory "$TMPDIR/NAME.XXXXXX" (TMPDIR unset or empty: /tmp) made by mkdtemp; the
   malloc'd path is the caller's to free (the directory too). Aborts on failure. */
char *testutil_temp_dir(const char *name);

/* Write N bytes of DATA to DIR/NAME (DIR NULL: NAME is the whole path), replacing the file.
   Aborts, naming the path and the error, when any step fails. */
void testutil_write_file(const char *dir, const char *name, const void *data, size_t n);

/* The whole file PATH in a malloc'd buffer of exactly *N bytes (the caller frees it). Aborts,
   naming the path and the error, when it cannot be read. */
unsigned char *testutil_read_file(const char *path, size_t *n);

/* Remove DIR and everything below it (no links followed). */
void testutil_rm_tree(const char *dir);

/* Run `$STREAMC compile CONFDIR -o OUT` ($STREAMC unset or empty: ./streamc), output discarded.
   The command line goes to CMD (CAP bytes) for failure messages. Returns system()'s status
   (0: compiled). */
int testutil_streamc_compile(const char *confdir, const char *out, char *cmd, size_t cap);

/* The text of the streamd log file PATH so far (malloc'd, NUL-terminated, at most 64 KiB);
   the log then restarts empty at PATH (log_open). */
char *testutil_take_log(const char *path);

/* Log (log_open) to DIR/test.log, emptied first, for testutil_log_has; aborts when it cannot be
   opened. The log keeps growing until the next call (testutil_take_log is the variant that
   empties it on every read). */
void testutil_log_to(const char *dir);

/* Whether a line of the log testutil_log_to opened last holds NEEDLE (lines are read up to
   2 KiB at a time). 0 when there is no such log. */
int testutil_log_has(const char *needle);

#endif

/*
** test_policy_flip.c - cmocka tests that the policy loader (common/policy_view.c +
** policy_records.c) refuses damage: every single-bit flip and 0xFF flip of every byte, and every
** truncation, of the hand-built sample (unsigned, signed, stripped; tests/support/policy_build.c)
** and of `streamc compile examples/parent` must be refused, except flips of signature bytes,
** which must load to the same view; with the checksum recomputed after each flip, whatever loads
** must read back consistently. The committed seeds of tests/fuzz/corpus/blob must still load
** (POLICY_WRITE_SEEDS=DIR rewrites them). Blobs under test are exact-size heap copies, so a
** sanitizer build catches any read past the end. Loading and refusal reasons: test_policy.c.
*/
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "policy_build.h"
#include "policy_view.h"
#include "testutil.h"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- every flip, every truncation ----------------------------------------------------------- */

typedef struct Tally {
    size_t flips, refused, sig_loaded, truncs, fixed, fixed_loaded;
} Tally;

/* Same effective view: the same counts and the same places, relative to each base. */
static void same_view(const PolicyView *a, const PolicyView *b)
{
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->nsettings, b->nsettings);
    assert_int_equal(a->napikeys, b->napikeys);
    assert_int_equal(a->nmachines, b->nmachines);
    assert_int_equal(a->programs_size, b->programs_size);
    assert_int_equal((const uint8_t *)a->settings - a->base, (const uint8_t *)b->settings - b->base);
    assert_int_equal((const uint8_t *)a->strings - a->base, (const uint8_t *)b->strings - b->base);
    uint64_t body = a->h->body_size;
    assert_memory_equal(a->base, b->base, body);
}

/* Flip every bit and every whole byte of P (N bytes), one at a time, then truncate it at every
   length; each must be refused, except flips of the 64 signature bytes of a signed policy,
   which must load to the same view. Then flip every byte with the checksum recomputed: what
   loads must read back consistently. */
static void flip_truncate(const uint8_t *orig, size_t n, const char *what, Tally *t)
{
    PolicyView want, got;
    uint8_t *p = testutil_dup_exact(orig, n);
    if (policy_view_init(&want, orig, n)) {
        fail_msg("%s: the original does not load", what);
    }
    uint64_t body = ((const PolicyHeader *)orig)->body_size;
    for (size_t i = 0; i < n; i++) {
        for (int b = 0; b <= 8; b++) {
            uint8_t mask = b == 8 ? 0xFF : (uint8_t)(1u << b);
            p[i] ^= mask;
            const char *why = policy_view_init(&got, p, n);
            t->flips++;
            if (why) {
                t->refused++;
            } else if (i >= body + offsetof(PolicySig, sig)) {
                same_view(&want, &got);
                t->sig_loaded++;
            } else {
                fail_msg("%s: flipping byte %zu with 0x%02x loads", what, i, mask);
            }
            p[i] ^= mask;
        }
    }
    for (size_t len = 0; len < n; len++) {
        uint8_t *c = testutil_dup_exact(orig, len);
        if (!policy_view_init(&got, c, len)) {
            fail_msg("%s: truncated to %zu bytes, it loads", what, len);
        }
        free(c);
        t->truncs++;
    }
    for (size_t i = 0; i < body; i++) {
        if (i >= offsetof(PolicyHeader, checksum) && i < offsetof(PolicyHeader, schema_hash)) {
            continue;
        }
        memcpy(p, orig, n);
        p[i] ^= 0xFF;
        policy_build_fix_checksum(p, n);
        t->fixed++;
        if (!policy_view_init(&got, p, n)) {
            const char *bad = policy_build_walk(&got);
            if (bad) {
                fail_msg("%s: byte %zu flipped with 0xFF, checksum recomputed: %s", what, i, bad);
            }
            t->fixed_loaded++;
        }
    }
    free(p);
}

static void report(const char *what, const Tally *t, size_t n)
{
    print_message("%s (%zu bytes): %zu flips, %zu refused, %zu signature flips loaded the same "
                  "view; %zu truncations refused; %zu flips with the checksum recomputed, "
                  "%zu loaded and read back\n", what, n, t->flips, t->refused, t->sig_loaded,
                  t->truncs, t->fixed, t->fixed_loaded);
}

static void test_flip_truncate_sample(void **state)
{
    (void)state;
    static const struct { unsigned flags; const char *name; } v[] = {
        { 0, "sample" }, { PB_SIGNED, "signed sample" }, { PB_STRIP, "stripped sample" },
        { PB_NEWER | PB_SIGNED, "signed 1.1 sample" },
    };
    for (size_t i = 0; i < LEN(v); i++) {
        size_t n;
        uint8_t *p = policy_build_sample(v[i].flags, &n);
        Tally t = { 0 };
        flip_truncate(p, n, v[i].name, &t);
        assert_int_equal(t.sig_loaded, (v[i].flags & PB_SIGNED) ? 64 * 9 : 0);
        report(v[i].name, &t, n);
        free(p);
    }
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fail_msg("cannot read %s", path);
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *p = malloc(sz > 0 ? (size_t)sz : 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)sz, f), (size_t)sz);
    fclose(f);
    *n = (size_t)sz;
    return p;
}

/* A fresh Ed25519 private key in PEM at PATH. */
static void make_key(const char *path)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_non_null(key);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
    assert_int_equal(fclose(f), 0);
    EVP_PKEY_free(key);
}

/* `streamc compile examples/parent` (plain, --strip, --sign) into a fresh temporary
   directory; the signed one has a real trailer, whose 64 signature bytes may flip and load. */
static void test_flip_truncate_compiled(void **state)
{
    (void)state;
    const char *streamc = getenv("STREAMC");
    const char *root = getenv("STREAMC_ROOT");
    static const char *const opts[] = { "", "--strip ", "--sign " };
    static const char *const names[] = { "compiled examples/parent",
                                         "compiled examples/parent --strip",
                                         "compiled examples/parent --sign" };
    char *dir = testutil_temp_dir("test_policy_flip");
    char key[4200];
    snprintf(key, sizeof key, "%s/key.pem", dir);
    make_key(key);
    for (size_t i = 0; i < LEN(opts); i++) {
        char cmd[13000], path[4200];
        snprintf(path, sizeof path, "%s/parent%zu.policy", dir, i);
        snprintf(cmd, sizeof cmd, "'%s' compile %s%s%s-o '%s' '%s/examples/parent' >/dev/null 2>&1",
                 streamc ? streamc : "./streamc", opts[i], i == 2 ? key : "", i == 2 ? " " : "",
                 path, root ? root : ".");
        int rc = system(cmd);
        if (rc != 0) {
            fail_msg("'%s' failed (status %d)", cmd, rc);
        }
        size_t n;
        uint8_t *p = read_file(path, &n);
        PolicyView v;
        const char *why = policy_view_init(&v, p, n);
        if (why) {
            fail_msg("compiled examples/parent %srefused: %s", opts[i], why);
        }
        assert_true(v.napikeys > 0 && v.nmachines > 0);
        const char *bad = policy_build_walk(&v);
        if (bad) {
            fail_msg("%s: %s", names[i], bad);
        }
        assert_int_equal((v.h->flags & POLICY_SIGNED) != 0, i == 2);
        Tally t = { 0 };
        flip_truncate(p, n, names[i], &t);
        assert_int_equal(t.sig_loaded, i == 2 ? 64 * 9 : 0);
        report(names[i], &t, n);
        free(p);
        remove(path);
    }
    remove(key);
    remove(dir);
    free(dir);
}

/* ---- the fuzz seeds -------------------------------------------------------------------- */

/* The fuzz_blob input convention: a mode byte (1 fix the checksum, 2 fix the sizes), then the
   blob. Writes SEED to DIR/NAME with MODE. */
static void write_seed(const char *dir, const char *name, unsigned mode, const uint8_t *p,
                       size_t n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    uint8_t *c = malloc(n + 1);
    assert_non_null(c);
    c[0] = (uint8_t)mode;
    memcpy(c + 1, p, n);
    testutil_write_file(NULL, path, c, n + 1);
    free(c);
}

/* POLICY_WRITE_SEEDS=DIR: write the seeds of tests/fuzz/corpus/blob (the hand-built samples and
   compiled examples, each as is and in checksum-fixing mode). Otherwise: every committed seed
   must still load (as fuzz_blob would see it), or the fuzzer starts from refused inputs after a
   format change, so its runs stop at the first refusal and prove little. */
static void test_fuzz_seeds(void **state)
{
    (void)state;
    const char *root = getenv("STREAMC_ROOT");
    const char *out = getenv("POLICY_WRITE_SEEDS");
    if (out) {
        static const struct { unsigned flags; const char *name; } hand[] = {
            { 0, "hand_sample" }, { PB_SIGNED, "hand_signed" }, { PB_STRIP, "hand_stripped" },
            { PB_NEWER, "hand_newer" },
        };
        static const char *const ex[] = { "child", "parent", "proxy", "tls-parent" };
        char name[64], cmd[9000], path[4200];
        for (size_t i = 0; i < LEN(hand); i++) {
            size_t n;
            uint8_t *p = policy_build_sample(hand[i].flags, &n);
            write_seed(out, hand[i].name, 0, p, n);
            snprintf(name, sizeof name, "%s_fix", hand[i].name);
            write_seed(out, name, 3, p, n);
            free(p);
        }
        char *dir = testutil_temp_dir("test_policy_flip");
        for (size_t i = 0; i <= LEN(ex); i++) {
            const char *e = i < LEN(ex) ? ex[i] : "parent";
            snprintf(path, sizeof path, "%s/seed.policy", dir);
            snprintf(cmd, sizeof cmd, "'%s' compile %s-o '%s' '%s/examples/%s' >/dev/null 2>&1",
                     getenv("STREAMC") ? getenv("STREAMC") : "./streamc",
                     i < LEN(ex) ? "" : "--strip ", path, root ? root : ".", e);
            assert_int_equal(system(cmd), 0);
            size_t n;
            uint8_t *p = read_file(path, &n);
            snprintf(name, sizeof name, "compiled_%s%s", e, i < LEN(ex) ? "" : "-strip");
            write_seed(out, name, 0, p, n);
            snprintf(name, sizeof name, "compiled_%s%s_fix", e, i < LEN(ex) ? "" : "-strip");
            write_seed(out, name, 3, p, n);
            free(p);
            remove(path);
        }
        remove(dir);
        free(dir);
        return;
    }
    static const char *const seeds[] = {
        "hand_sample", "hand_signed", "hand_stripped", "hand_newer", "compiled_child",
        "compiled_parent", "compiled_parent-strip", "compiled_proxy", "compiled_tls-parent",
    };
    for (size_t i = 0; i < LEN(seeds); i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/tests/fuzz/corpus/blob/%s", root ? root : ".", seeds[i]);
        size_t n;
        uint8_t *c = read_file(path, &n);
        assert_true(n > 1);
        const char *why = policy_build_load(c + 1, n - 1, NULL);
        if (why) {
            fail_msg("fuzz seed %s no longer loads (%s): regenerate the seeds with "
                     "POLICY_WRITE_SEEDS=tests/fuzz/corpus/blob build/normal/test/test_policy_flip",
                     seeds[i], why);
        }
        free(c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flip_truncate_sample),
        cmocka_unit_test(test_flip_truncate_compiled),
        cmocka_unit_test(test_fuzz_seeds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

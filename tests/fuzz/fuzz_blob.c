/*
** fuzz_blob.c - libFuzzer target for the policy loader (common/policy_view.c,
** common/policy_records.c) and the accessors and matcher behind it.
**
** Input: one mode byte, then the blob. The blob is copied into an exact-size malloc'd buffer
** (8-byte aligned, so ASan catches any read past its end). Mode bits: 2 = set file_size to the
** blob's length and body_size to match (minus the signature trailer when POLICY_SIGNED);
** 1 = recompute the XXH3 checksum over the mutated body. Without bit 1 nearly every mutation
** dies at the checksum, which is the point of the checksum; with it, the structural checks
** behind it get fuzzed. A blob that loads is read back completely: every key through
** policy_find_key on its own text (must find itself), every setting through
** policy_find_setting (must find itself), every string, line and program (through match_run
** with a few strings). Any inconsistency calls abort().
*/
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "match.h"
#include "pattern_prog.h"
#include "guid.h"
#include "policy_view.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { MODE_FIX_CHECKSUM = 1, MODE_FIX_SIZES = 2 };

static void die(const char *what)
{
    fprintf(stderr, "fuzz_blob: %s\n", what);
    abort();
}

static void fix_sizes(uint8_t *p, size_t n)
{
    PolicyHeader h;
    memcpy(&h, p, sizeof h);
    h.file_size = n;
    h.body_size = (h.flags & POLICY_SIGNED) && n >= sizeof(PolicySig) ? n - sizeof(PolicySig) : n;
    memcpy(p, &h, sizeof h);
}

static void fix_checksum(uint8_t *p, size_t n)
{
    PolicyHeader h;
    memcpy(&h, p, sizeof h);
    if (h.body_size < sizeof h || h.body_size > n) {
        return;
    }
    uint64_t zero = 0, sum;
    memcpy(p + offsetof(PolicyHeader, checksum), &zero, sizeof zero);
    sum = XXH3_64bits(p, h.body_size);
    memcpy(p + offsetof(PolicyHeader, checksum), &sum, sizeof sum);
}

static void probe(const void *prog, const char *s)
{
    size_t n = strlen(s);
    MatchResult r = match_run(prog, s, n);
    long t = match_first_term(prog, s, n);
    if ((r == MATCH_NONE) != (t < 0)) {
        die("match_run and match_first_term disagree");
    }
}

static void walk_owner(const PolicyView *v, const PolicyKey *k)
{
    static const char *const strings[] = { "localhost", "10.1.2.3", "apps.cpu", "x", "" };
    uint32_t first = k ? k->settings_first : v->node->settings_first;
    uint32_t n = k ? k->settings_count : v->node->settings_count;
    for (uint32_t j = first; j < first + n; j++) {
        const PolicySetting *s = &v->settings[j];
        if (policy_find_setting(v, k, s->key) != s) {
            die("policy_find_setting does not find a setting of its owner");
        }
        const char *text = policy_str(v, s->text);
        if (text[s->text.len] != '\0') {
            die("setting text is not terminated where its length says");
        }
        (void)policy_setting_line(v, s);
        const void *prog = policy_program(v, s);
        if (prog) {
            if (pattern_prog_verify(prog, s->aux_len) != NULL) {
                die("a loaded policy holds an invalid program");
            }
            for (size_t q = 0; q < sizeof strings / sizeof strings[0]; q++) {
                probe(prog, strings[q]);
            }
            probe(prog, text);
        }
        if (s->vtype == VAL_DEST) {
            for (uint32_t d = s->aux_off; d < s->aux_off + s->aux_len; d++) {
                (void)strlen(policy_str(v, v->dests[d].host));
                (void)strlen(policy_str(v, v->dests[d].port));
            }
        } else if (s->vtype == VAL_BIND) {
            for (uint32_t l = s->aux_off; l < s->aux_off + s->aux_len; l++) {
                (void)strlen(policy_str(v, v->listeners[l].host));
            }
        }
    }
}

static void walk(const PolicyView *v)
{
    walk_owner(v, NULL);
    (void)strlen(policy_str(v, v->node->hostname));
    for (int m = 0; m < 2; m++) {
        const PolicyKey *t = m ? v->machines : v->apikeys;
        uint32_t n = m ? v->nmachines : v->napikeys;
        for (uint32_t i = 0; i < n; i++) {
            /* a name is checked by length only (policy_records.c), and a crafted index may
               send lookups elsewhere: a consistent name must find a record with its own
               (bin, case mask); an inconsistent one must merely not crash */
            const char *z = policy_str(v, t[i].text);
            const PolicyKey *f = policy_find_key(v, m, z, t[i].text.len);
            uint8_t bin[16];
            uint32_t upper;
            int consistent = guid_parse_case(z, t[i].text.len, bin, &upper) == 0 &&
                             memcmp(bin, t[i].bin, 16) == 0 && upper == t[i].upper;
            if (consistent && (!f || memcmp(f->bin, bin, 16) != 0 || f->upper != upper) &&
                !v->api_slots) {
                die("policy_find_key does not find a key by its own text");
            }
            walk_owner(v, &t[i]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    unsigned mode = data[0];
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);   /* malloc: 16-byte aligned, exact size */
    if (!p) {
        return 0;
    }
    memcpy(p, data + 1, n);
    if (n >= sizeof(PolicyHeader)) {
        if (mode & MODE_FIX_SIZES) {
            fix_sizes(p, n);
        }
        if (mode & MODE_FIX_CHECKSUM) {
            fix_checksum(p, n);
        }
    }
    PolicyView v;
    const char *why = policy_view_init(&v, p, n);
    if (!why) {
        walk(&v);
        PolicyView again;
        if (policy_view_init(&again, p, n) != NULL || memcmp(&again, &v, sizeof v) != 0) {
            die("a second verification disagrees");
        }
    } else if (why[0] == '\0' || strchr(why, '\n')) {
        die("a reason must be one non-empty line");
    }
    free(p);
    return 0;
}

/*
** policy_build.h - test support: a small, valid policy blob laid out by hand, independently of
** compiler/emit.c, so the loader's tests and fuzz seeds do not depend on the emitter. It holds
** a node with global settings of every value type (a computed default, a pattern, an empty
** pattern, a destination, a listener), one API key, two machine sections whose names differ
** only in case (same 16-byte form), compiled patterns, and optionally a signature trailer, no
** LINES section, or an extra section of a newer minor version. Never linked into streamc.
*/
#ifndef STREAMC_POLICY_BUILD_H
#define STREAMC_POLICY_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "policy_format.h"
#include "policy_view.h"

enum {
    PB_SIGNED = 1,    /* POLICY_SIGNED and a PolicySig trailer (signature bytes are filler) */
    PB_STRIP = 2,     /* no LINES section, key lines 0 */
    PB_NEWER = 4,     /* version 1.1 with an extra section id 10 (unknown to this reader) */
};

#define PB_API_KEY "11111111-2222-3333-4444-555555555555"
#define PB_MACHINE_UPPER "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"
#define PB_MACHINE_LOWER "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define PB_NODE_GUID "0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"

/* The sample blob (FLAGS: PB_*) in a malloc'd, 8-aligned buffer of exactly *N bytes. Aborts
   when out of memory. The caller frees it. */
uint8_t *policy_build_sample(unsigned flags, size_t *n);

/* Recompute the header checksum of the blob P (N bytes) after a change; a no-op when the
   header or body_size does not fit in N. Independent of common/policy_view.c. */
void policy_build_fix_checksum(uint8_t *p, size_t n);

/* The schema row-order index of SECTION/KEY (e.g. "stream", "enabled"); aborts when unknown. */
uint16_t policy_build_key_id(const char *section, const char *key);

/* The section table entry ID of the blob P, or NULL. P must hold a whole header. */
PolicySection *policy_build_section(uint8_t *p, uint32_t id);


/* policy_view_init over an exact-size heap copy of P (N bytes), so a sanitizer build catches any
   read past N; the copy is freed before returning (V, when not NULL, is filled but points into
   freed memory). NULL when it loads, else the reason in a static buffer valid until the next
   call. Aborts when out of memory. */
const char *policy_build_load(const uint8_t *p, size_t n, PolicyView *v);

/* Read every record of the verified view V through the accessors (every key, then the node: each
   setting's text, line and compiled pattern, run against a few probes); the answers must agree
   with the tables (a verified blob is sorted and unique, so every lookup finds its own record).
   NULL when they agree, else a description of the first disagreement in a static buffer valid
   until the next call. */
const char *policy_build_walk(const PolicyView *v);

#endif

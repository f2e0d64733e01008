/*
** policy_view.h - a verified, typed view of a policy blob, shared by the runtime loader
** (runtime/policy.c, over a read-only mmap) and streamc (dump, explain, verify).
**
** policy_view_init() checks the blob completely (header, checksum, schema, every section,
** every record, every offset, every compiled pattern) before filling the view; afterwards the
** accessors read without checks and without copying.
*/
#ifndef STREAMC_POLICY_VIEW_H
#define STREAMC_POLICY_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "policy_format.h"
#include "schema_tables.h"

typedef struct PolicyView {
    const uint8_t *base;
    size_t size;
    const PolicyHeader *h;
    const char *strings;
    uint32_t strings_size;
    const PolicyNode *node;
    const PolicySetting *settings;
    uint32_t nsettings;
    const PolicyKey *apikeys, *machines;
    uint32_t napikeys, nmachines;
    const uint8_t *programs;
    uint32_t programs_size;
    const PolicyDest *dests;
    uint32_t ndests;
    const PolicyListener *listeners;
    uint32_t nlisteners;
    const uint32_t *lines;               /* NULL in a stripped policy */
    const PolicyKeySlot *api_slots, *machine_slots;   /* key index; NULL: binary search */
    uint32_t api_cap, machine_cap;
} PolicyView;

/* The VAL_* a setting of a schema row of type SCHEMA_TYPE (TY_*) is stored as. Inline: the
   verifier asks it for every setting of a 400,000-setting policy. */
static inline unsigned policy_vtype_of(unsigned schema_type)
{
    switch (schema_type) {
    case TY_BOOL:
        return VAL_BOOL;
    case TY_BOOL3:
        return VAL_BOOL3;
    case TY_INT:
        return VAL_INT;
    case TY_MEMMODE:
        return VAL_MEMMODE;
    case TY_PATTERN:
        return VAL_PATTERN;
    case TY_DEST:
        return VAL_DEST;
    case TY_BINDTO:
        return VAL_BIND;
    default:
        return VAL_STR;
    }
}

/* Home-slot hash of a 16-byte key for POLICY_SEC_KEYINDEX (writer and reader share it). */
uint32_t policy_key_hash(const uint8_t bin[16]);

/* Verify N bytes at BUF (8-byte aligned) and fill V. NULL when valid, else a one-line reason
   ("checksum mismatch", "truncated: ...", ...). V is untouched on failure. */
const char *policy_view_init(PolicyView *v, const void *buf, size_t n);

const char *policy_str(const PolicyView *v, PolicyStr s);            /* NUL-terminated */
/* Exact-text lookup of a section (binary search on the 16-byte form, then exact text). */
const PolicyKey *policy_find_key(const PolicyView *v, int machines, const char *text, size_t n);
/* Setting KEY_ID (schema row-order index) of OWNER (NULL: the node's global settings). */
const PolicySetting *policy_find_setting(const PolicyView *v, const PolicyKey *owner,
                                         unsigned key_id);
const void *policy_program(const PolicyView *v, const PolicySetting *s);   /* NULL: no pattern */
uint32_t policy_setting_line(const PolicyView *v, const PolicySetting *s); /* 0 if unknown */

#endif

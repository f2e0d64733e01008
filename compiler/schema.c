/*
** schema.c - binary searches over the generated, sorted schema tables.
*/
#include "schema.h"

#include <string.h>

static int cmp_name(const char *z, size_t n, const char *name)
{
    size_t m = strlen(name);
    int c = memcmp(z, name, n < m ? n : m);
    if (c) {
        return c;
    }
    return n < m ? -1 : n > m ? 1 : 0;
}

int schema_section_id(ConfKind conf, const char *name, size_t n)
{
    for (int i = 0; i < SEC__COUNT; i++) {
        const SchemaSection *s = &schema_sections[i];
        if (s->conf != conf || s->prefix) {
            continue;
        }
        if (cmp_name(name, n, s->name) == 0) {
            return i;
        }
    }
    for (int i = 0; i < SEC__COUNT; i++) {
        const SchemaSection *s = &schema_sections[i];
        size_t m = strlen(s->name);
        if (s->conf == conf && s->prefix && n >= m && memcmp(name, s->name, m) == 0) {
            return i;
        }
    }
    return -1;
}

const SchemaKey *schema_find(int sec, const char *key, size_t n)
{
    if (sec < 0 || sec >= SEC__COUNT) {
        return NULL;
    }
    size_t lo = schema_sections[sec].first, hi = lo + schema_sections[sec].nkeys;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = cmp_name(key, n, schema_keys[mid].name);
        if (c == 0) {
            return &schema_keys[mid];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

const SchemaKey *schema_find_any(ConfKind conf, const char *key, size_t n, const SchemaKey *prev)
{
    size_t lo = 0, hi = SCHEMA_NKEYS;
    if (prev) {
        /* continue after prev in the by-name index */
        for (size_t i = 0; i < SCHEMA_NKEYS; i++) {
            if (&schema_keys[schema_by_name[i]] == prev) {
                lo = i + 1;
                break;
            }
        }
    } else {
        while (lo < hi) {   /* lower bound of KEY in the by-name index */
            size_t mid = lo + (hi - lo) / 2;
            if (cmp_name(key, n, schema_keys[schema_by_name[mid]].name) > 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
    }
    for (size_t i = lo; i < SCHEMA_NKEYS; i++) {
        const SchemaKey *k = &schema_keys[schema_by_name[i]];
        if (cmp_name(key, n, k->name) != 0) {
            return NULL;
        }
        if (schema_sections[k->sec].conf == conf) {
            return k;
        }
    }
    return NULL;
}

const char *schema_type_name(int type)
{
    static const char *const names[TY__COUNT] = {
        [TY_BOOL] = "boolean", [TY_BOOL3] = "yes/no/auto", [TY_INT] = "integer",
        [TY_STRING] = "string", [TY_PATH] = "path", [TY_PATTERN] = "simple pattern",
        [TY_MEMMODE] = "memory mode", [TY_ENUM] = "choice", [TY_BINDTO] = "bind list",
        [TY_WEBMODE] = "web mode", [TY_DEST] = "destination list", [TY_GUID] = "GUID",
        [TY_ANY] = "text",
    };
    return type >= 0 && type < TY__COUNT && names[type] ? names[type] : "value";
}

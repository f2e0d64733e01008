/*
** types.h - one TypeOps row per schema type: check a value the way Netdata reads it.
**
** A check returns 0 when the value is fine, else fills a Verdict: which diagnostic, a short
** reason fragment (what Netdata will do), an optional fix-it, and the byte span inside the
** value. The caller (validate.c) adds file, line, key and value so every message reads alike.
** The readers (types_bool, types_int, ...) give the value Netdata would use.
*/
#ifndef STREAMC_TYPES_H
#define STREAMC_TYPES_H

#include <stddef.h>

#include "arena.h"
#include "diag.h"
#include "schema.h"

typedef struct Verdict {
    DiagCode code;
    const char *why;
    const char *fixit;     /* replacement for the whole value, or NULL */
    uint32_t off, len;     /* span inside the value; len 0 = the whole value */
} Verdict;

typedef int (*TypeCheck)(const SchemaKey *k, const char *z, size_t n, Verdict *v, Arena *a);

typedef struct TypeOps {
    const char *name;
    TypeCheck check;       /* NULL: any text is fine */
} TypeOps;

extern const TypeOps type_ops[TY__COUNT];

/* Netdata's readers. */
int types_bool(const char *z, size_t n);                 /* appconfig_get_boolean: 1 or 0 */
int types_bool3(const char *z, size_t n, int dflt);      /* 0 no, 1 yes, 2 auto; else dflt */
long long types_int(const char *z, size_t n, size_t *used, int *overflow); /* strtoll(.., 0) */
int types_memmode_valid(const char *z, size_t n);

#endif

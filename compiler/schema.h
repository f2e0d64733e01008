/*
** schema.h - lookups over the generated schema tables (build/gen/schema_tables.c).
*/
#ifndef STREAMC_SCHEMA_H
#define STREAMC_SCHEMA_H

#include <stddef.h>

#include "model.h"
#include "schema_tables.h"

/* Section kind by exact name for a file kind (literal names first, then prefix rows); -1 none. */
int schema_section_id(ConfKind conf, const char *name, size_t n);
/* Row for KEY in section kind SEC (binary search), or NULL. */
const SchemaKey *schema_find(int sec, const char *key, size_t n);
/* Iterate rows named KEY in any section of CONF: pass NULL first, then the previous result. */
const SchemaKey *schema_find_any(ConfKind conf, const char *key, size_t n, const SchemaKey *prev);
const char *schema_type_name(int type);

#endif

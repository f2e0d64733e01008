/*
** emit.h - lay out a resolved node as a policy blob (common/policy_format.h) and write it
** atomically. Same input, same bytes: no timestamps, tables sorted, strings interned in a
** fixed traversal order.
*/
#ifndef STREAMC_EMIT_H
#define STREAMC_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "resolve.h"

enum { EMIT_STRIP = 1 };   /* leave out source lines (LINES section, key header lines) */

/* Build the body (and room for a signature trailer when SIGNED) in malloc'd memory: *out owns
   it (free()). The header's checksum is set. 0 ok; -1 with *why. */
int emit_policy(const Node *n, const Resolved *r, unsigned flags, int signed_policy,
                uint8_t **out, size_t *size, const char **why);

/* Write BUF to PATH atomically: a temporary file in the same directory, fsync, rename, fsync of
   the directory. Nothing is left behind on failure. 0 ok; -1 with *why. */
int emit_write_file(const char *path, const void *buf, size_t n, const char **why);

#endif

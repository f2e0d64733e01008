/*
** policy.h - the runtime's policy loader: memory-map a compiled policy read-only and verify it
** completely (common/policy_view.c) before anything reads it. streamd never parses a config
** file; a policy that opened is a policy that is valid. Signatures are not checked here.
*/
#ifndef STREAMC_POLICY_H
#define STREAMC_POLICY_H

#include <stddef.h>

#include "policy_view.h"

typedef struct Policy {
    PolicyView v;        /* valid after policy_open() returned 0 */
    void *map;           /* the read-only mapping, NULL when none */
    size_t map_size;
} Policy;

#define POLICY_MAX_FILE_SIZE ((size_t)1 << 30)   /* 1 GiB: larger files are refused */

int policy_open(Policy *p, const char *path, const char **why);
void policy_close(Policy *p);

#endif

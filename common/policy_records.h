/*
** policy_records.h - internal to common/policy_view.c and common/policy_records.c: the state of
** one policy_view_init() run and the record checks that follow the section table. Not an API:
** everything else uses policy_view.h.
*/
#ifndef STREAMC_POLICY_RECORDS_H
#define STREAMC_POLICY_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include "policy_view.h"

typedef struct PolicyCheck {
    const uint8_t *base;
    size_t n;
    uint64_t body;                                   /* body_size */
    const PolicyHeader *h;
    const PolicySection *sec[POLICY_SEC__LAST + 1];  /* known sections by id, NULL if absent */
    PolicyView v;                                    /* filled before the record checks */
} PolicyCheck;

/* Every record of every known section (C->v filled, sections in bounds), in the order a
   serial check meets them: policy_check_head (strings, node, settings [0, SETTINGS_TO)), then
   the settings [SETTINGS_TO, nsettings) (policy_check_settings, possibly on another thread),
   then policy_check_tail (ownership, key tables, destinations, listeners, lines). Each returns
   NULL or the first reason. */
const char *policy_check_head(PolicyCheck *c, uint32_t settings_to);
const char *policy_check_tail(PolicyCheck *c);
/* Settings [FROM, TO): NULL or the first reason. Reads only C->v; safe on another thread
   (its reason text lives in that thread's buffer: copy it before the thread ends). */
const char *policy_check_settings(PolicyCheck *c, uint32_t from, uint32_t to);

/* Format a reason into the thread-local buffer policy_view_init() returns. */
const char *policy_why(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif

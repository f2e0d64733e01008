/*
** guid.h - Netdata's GUID rule (libuuid uuid_parse, util-linux 2.38.1) and 16-byte binary form.
**
** Valid: exactly 36 bytes, '-' at offsets 8, 13, 18, 23, hex digits (either case) elsewhere.
** Version and variant bits are not checked. Nothing is trimmed or normalised.
*/
#ifndef STREAMC_GUID_H
#define STREAMC_GUID_H

#include <stddef.h>
#include <stdint.h>

#define GUID_TEXT_LEN 36

int guid_is_valid(const char *z, size_t n);            /* 1 valid, 0 not */
int guid_parse(const char *z, size_t n, uint8_t out[16]); /* 0 ok, -1 invalid */
int guid_has_upper(const char *z, size_t n);           /* 1 if a hex letter is upper case */
/* guid_parse plus *UPPER: bit i set when the i-th hex digit is an upper-case letter, so
   (bytes, upper) identify the exact text. */
int guid_parse_case(const char *z, size_t n, uint8_t out[16], uint32_t *upper);
const char *guid_problem(const char *z, size_t n);     /* NULL when valid, else a reason fragment */

#endif

/*
** guid.c - GUID validation and parsing exactly as libuuid's uuid_parse accepts them.
*/
#include "guid.h"

#include <string.h>
#include <strings.h>

/* 0..15 for a hex digit, -1 otherwise: a table, because policy loading parses 100,000s */
static const signed char hex_table[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15,
    ['f'] = 16, ['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};   /* stored +1 so that the zero-filled rest means "not hex" */

static int hexval(unsigned char c)
{
    return hex_table[c] - 1;
}

static int is_dash_pos(size_t i)
{
    return i == 8 || i == 13 || i == 18 || i == 23;
}

int guid_is_valid(const char *z, size_t n)
{
    return guid_problem(z, n) == NULL;
}

const char *guid_problem(const char *z, size_t n)
{
    if (n >= 2 && z[0] == '{') {
        return "braces are not part of a GUID";
    }
    if (n >= 9 && strncasecmp(z, "urn:uuid:", 9) == 0) {
        return "the 'urn:uuid:' prefix is not part of a GUID";
    }
    if (n == 32 && !memchr(z, '-', n)) {
        return "the hyphens are missing (8-4-4-4-12)";
    }
    if (n && (z[0] == ' ' || z[0] == '\t' || z[n - 1] == ' ' || z[n - 1] == '\t')) {
        return "leading or trailing whitespace is not trimmed";
    }
    if (n != GUID_TEXT_LEN) {
        return n < GUID_TEXT_LEN ? "too short: a GUID has 36 characters (8-4-4-4-12)"
                                 : "too long: a GUID has 36 characters (8-4-4-4-12)";
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)z[i];
        if (is_dash_pos(i)) {
            if (c != '-') {
                return "hyphens must be at positions 9, 14, 19 and 24 (8-4-4-4-12)";
            }
        } else if (c == '-') {
            return "a hyphen is out of place: the groups are 8-4-4-4-12 hex digits";
        } else if (hexval(c) < 0) {
            return "only hexadecimal digits and hyphens are allowed";
        }
    }
    return NULL;
}

int guid_parse(const char *z, size_t n, uint8_t out[16])
{
    if (n != GUID_TEXT_LEN || z[8] != '-' || z[13] != '-' || z[18] != '-' || z[23] != '-') {
        return -1;
    }
    static const uint8_t pos[16] = { 0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34 };
    uint8_t tmp[16];
    int bad = 0;
    for (int k = 0; k < 16; k++) {
        int hi = hexval((unsigned char)z[pos[k]]), lo = hexval((unsigned char)z[pos[k] + 1]);
        bad |= hi | lo;   /* -1 sets the sign bit */
        tmp[k] = (uint8_t)((hi & 15) << 4 | (lo & 15));
    }
    if (bad < 0) {
        return -1;        /* OUT stays untouched */
    }
    memcpy(out, tmp, 16);
    return 0;
}

int guid_has_upper(const char *z, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (z[i] >= 'A' && z[i] <= 'F') {
            return 1;
        }
    }
    return 0;
}

int guid_parse_case(const char *z, size_t n, uint8_t out[16], uint32_t *upper)
{
    if (guid_parse(z, n, out) != 0) {
        return -1;
    }
    uint32_t u = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        if (z[i] == '-') {
            continue;
        }
        u |= (uint32_t)(z[i] >= 'A' && z[i] <= 'F') << k;
        k++;
    }
    *upper = u;
    return 0;
}

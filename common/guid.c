/*
** guid.c - GUID validation and parsing exactly as libuuid's uuid_parse accepts them.
*/
#include "guid.h"

#include <string.h>
#include <strings.h>

static int hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
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
        } else if (hexval(c) < 0) {
            return "only hexadecimal digits and hyphens are allowed";
        }
    }
    return NULL;
}

int guid_parse(const char *z, size_t n, uint8_t out[16])
{
    if (!guid_is_valid(z, n)) {
        return -1;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_dash_pos(i)) {
            continue;
        }
        int hi = hexval((unsigned char)z[i]);
        int lo = hexval((unsigned char)z[i + 1]);
        out[k++] = (uint8_t)(hi << 4 | lo);
        i++;
    }
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

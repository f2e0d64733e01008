/*
** types.c - value checks per schema type, mirroring how Netdata 1.37.1 converts each value.
**
** Netdata never rejects a value: it converts it (a bad boolean is false, a bad number is 0,
** a bad memory mode is 'save'). So each reason says what Netdata will do instead.
*/
#include "types.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include "guid.h"
#include "suggest.h"

static int ieq(const char *z, size_t n, const char *w)
{
    return strlen(w) == n && strncasecmp(z, w, n) == 0;
}

static int eq(const char *z, size_t n, const char *w)
{
    return strlen(w) == n && memcmp(z, w, n) == 0;
}

static int fail(Verdict *v, DiagCode code, const char *why, const char *fixit)
{
    v->code = code;
    v->why = why;
    v->fixit = fixit;
    v->off = v->len = 0;
    return 1;
}

/* ---- readers ---------------------------------------------------------------------------- */

int types_bool(const char *z, size_t n)
{
    return ieq(z, n, "yes") || ieq(z, n, "true") || ieq(z, n, "on") || ieq(z, n, "auto") ||
           ieq(z, n, "on demand");
}

int types_bool3(const char *z, size_t n, int dflt)
{
    if (eq(z, n, "yes")) {
        return 1;
    }
    if (eq(z, n, "no")) {
        return 0;
    }
    if (eq(z, n, "auto") || eq(z, n, "on demand")) {
        return 2;
    }
    return dflt;
}

static int digit_val(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'Z') {
        return c - 'A' + 10;
    }
    return 99;
}

long long types_int(const char *z, size_t n, size_t *used, int *overflow)
{
    size_t i = 0;
    int neg = 0, base = 10;
    *overflow = 0;
    while (i < n && (z[i] == ' ' || (z[i] >= '\t' && z[i] <= '\r'))) {
        i++;
    }
    if (i < n && (z[i] == '+' || z[i] == '-')) {
        neg = z[i] == '-';
        i++;
    }
    if (i + 1 < n && z[i] == '0' && (z[i + 1] == 'x' || z[i + 1] == 'X') && i + 2 < n &&
        digit_val(z[i + 2]) < 16) {
        base = 16;
        i += 2;
    } else if (i < n && z[i] == '0') {
        base = 8;
    }
    size_t start = i;
    unsigned long long acc = 0, lim = neg ? (unsigned long long)LLONG_MAX + 1 : LLONG_MAX;
    for (; i < n && digit_val(z[i]) < base; i++) {
        unsigned d = (unsigned)digit_val(z[i]);
        if (acc > (lim - d) / (unsigned)base) {
            *overflow = 1;
            acc = lim;
        } else if (!*overflow) {
            acc = acc * (unsigned)base + d;
        }
    }
    if (i == start) {
        *used = 0;   /* strtoll: no conversion */
        return 0;
    }
    *used = i;
    if (neg) {
        return acc > (unsigned long long)LLONG_MAX ? LLONG_MIN : -(long long)acc;
    }
    return (long long)acc;
}

int types_memmode_valid(const char *z, size_t n)
{
    static const char *const modes[] = { "none", "ram", "map", "save", "alloc", "dbengine", NULL };
    for (int i = 0; modes[i]; i++) {
        if (eq(z, n, modes[i])) {
            return 1;
        }
    }
    return 0;
}

/* ---- checks ----------------------------------------------------------------------------- */

static int check_bool(const SchemaKey *k, const char *z, size_t n, Verdict *v, Arena *a)
{
    (void)k;
    (void)a;
    if (types_bool(z, n) || ieq(z, n, "no") || ieq(z, n, "false") || ieq(z, n, "off")) {
        return 0;
    }
    if (n == 0) {
        return fail(v, DIAG_BAD_VALUE, "an empty value reads as 'no'; expected yes or no", NULL);
    }
    static const char *const yes_like[] = { "1", "y", "t", "enable", "enabled", "active", NULL };
    static const char *const no_like[] = { "0", "n", "f", "disable", "disabled", "none", NULL };
    for (int i = 0; yes_like[i]; i++) {
        if (ieq(z, n, yes_like[i])) {
            return fail(v, DIAG_BAD_VALUE, "Netdata reads it as 'no'; expected yes or no", "yes");
        }
    }
    for (int i = 0; no_like[i]; i++) {
        if (ieq(z, n, no_like[i])) {
            return fail(v, DIAG_BAD_VALUE, "Netdata reads it as 'no' (by accident); expected yes "
                        "or no", "no");
        }
    }
    Suggest s;
    static const char *const words[] = { "yes", "no", "true", "false", "on", "off", "auto", NULL };
    suggest_begin(&s, z, n);
    for (int i = 0; words[i]; i++) {
        suggest_try(&s, words[i]);
    }
    return fail(v, DIAG_BAD_VALUE, "Netdata reads anything but yes, true, on, auto or on demand as 'no'; "
                "expected yes or no", suggest_result(&s));
}

static int check_bool3(const SchemaKey *k, const char *z, size_t n, Verdict *v, Arena *a)
{
    (void)k;
    (void)a;
    if (types_bool3(z, n, -1) >= 0) {
        return 0;
    }
    const char *fix = NULL;
    if (ieq(z, n, "yes") || ieq(z, n, "true") || ieq(z, n, "on")) {
        fix = "yes";
    } else if (ieq(z, n, "no") || ieq(z, n, "false") || ieq(z, n, "off")) {
        fix = "no";
    } else if (ieq(z, n, "auto")) {
        fix = "auto";
    }
    return fail(v, DIAG_BAD_VALUE, "this key takes exactly yes, no or auto (case-sensitive); "
                "Netdata ignores anything else and keeps the inherited default", fix);
}

static int check_int(const SchemaKey *k, const char *z, size_t n, Verdict *v, Arena *a)
{
    size_t used;
    int over;
    long long x = types_int(z, n, &used, &over);
    if (used == 0) {
        return fail(v, DIAG_BAD_VALUE, n ? "not a number: Netdata reads 0"
                                         : "an empty value reads as 0; expected a number", NULL);
    }
    if (over) {
        return fail(v, DIAG_RANGE, x < 0 ? "too small: Netdata saturates it to the smallest 64-bit "
                                           "value" : "too large: Netdata saturates it to the "
                                           "largest 64-bit value", NULL);
    }
    size_t sg = (z[0] == '+' || z[0] == '-') ? 1 : 0;
    if (used < n && z[sg] == '0' && used == sg + 1 && (z[used] == '8' || z[used] == '9')) {
        size_t j = sg;
        while (j + 1 < n && z[j] == '0') {
            j++;
        }
        v->code = DIAG_BAD_VALUE;
        v->why = arena_printf(a, "a leading 0 makes the number octal and %c is not an octal "
                              "digit: Netdata reads 0", z[used]);
        v->fixit = arena_printf(a, "%.*s%.*s", (int)sg, z, (int)(n - j), z + j);
        v->off = v->len = 0;
        return 1;
    }
    if (used < n) {
        char *fix = arena_printf(a, "%lld", x);
        v->code = DIAG_BAD_VALUE;
        v->why = arena_printf(a, "expected a whole number; Netdata ignores '%.*s' and reads %lld",
                              (int)(n - used > 20 ? 20 : n - used), z + used, x);
        v->fixit = fix;
        v->off = (uint32_t)used;
        v->len = (uint32_t)(n - used);
        return 1;
    }
    if ((k->has_lo && x < k->lo) || (k->has_hi && x > k->hi)) {
        const char *why = k->has_lo && k->has_hi
                              ? arena_printf(a, "out of range %lld..%lld", k->lo, k->hi)
                          : k->has_lo ? arena_printf(a, "must be at least %lld", k->lo)
                                      : arena_printf(a, "must be at most %lld", k->hi);
        return fail(v, DIAG_RANGE, why, NULL);
    }
    /* strtoll base 0: a leading zero means octal, which is almost never what was meant */
    size_t i = (z[0] == '+' || z[0] == '-') ? 1 : 0;
    if (n - i > 1 && z[i] == '0' && z[i + 1] != 'x' && z[i + 1] != 'X') {
        size_t j = i;
        while (j + 1 < n && z[j] == '0') {
            j++;
        }
        v->code = DIAG_ODD_VALUE;
        v->why = arena_printf(a, "a leading 0 makes the number octal: Netdata reads %lld", x);
        v->fixit = arena_printf(a, "%.*s%.*s", (int)i, z, (int)(n - j), z + j);
        v->off = v->len = 0;
        return 1;
    }
    return 0;
}

static int check_memmode(const SchemaKey *k, const char *z, size_t n, Verdict *v, Arena *a)
{
    (void)k;
    (void)a;
    if (types_memmode_valid(z, n)) {
        return 0;
    }
    static const char *const modes[] = { "dbengine", "ram", "save", "map", "none", "alloc", NULL };
    Suggest s;
    suggest_begin(&s, z, n);
    for (int i = 0; modes[i]; i++) {
        suggest_try(&s, modes[i]);
    }
    return fail(v, DIAG_BAD_VALUE, "unknown memory mode, Netdata uses 'save' instead; expected "
                "dbengine, ram, save, map, none or alloc (case-sensitive)", suggest_result(&s));
}

static int check_enum(const SchemaKey *k, const char *z, size_t n, Verdict *v, Arena *a)
{
    if (!k->values) {
        return 0;
    }
    Suggest s;
    suggest_begin(&s, z, n);
    size_t len = 0;
    for (int i = 0; k->values[i]; i++) {
        if (eq(z, n, k->values[i])) {
            return 0;
        }
        suggest_try(&s, k->values[i]);
        len += strlen(k->values[i]) + 4;
    }
    char *list = arena_alloc(a, len + 1);
    if (list) {
        for (int i = 0; k->values[i]; i++) {
            strcat(list, i ? ", '" : "'");
            strcat(list, k->values[i]);
            strcat(list, "'");
        }
    }
    const char *why = arena_printf(a, "expected %s%s (case-sensitive)",
                                   k->values[1] ? "one of " : "", list ? list : "");
    return fail(v, DIAG_BAD_VALUE, why, suggest_result(&s));
}

static int check_webmode(const SchemaKey *k, const char *z, size_t n, Verdict *v, Arena *a)
{
    (void)k;
    (void)a;
    if (eq(z, n, "none") || eq(z, n, "static-threaded") || eq(z, n, "single-threaded")) {
        return 0;
    }
    if (ieq(z, n, "none")) {
        return fail(v, DIAG_BAD_VALUE, "only exactly 'none' turns the web server off; Netdata "
                    "runs it static-threaded", "none");
    }
    Suggest s;
    suggest_begin(&s, z, n);
    suggest_try(&s, "static-threaded");
    suggest_try(&s, "single-threaded");
    suggest_try(&s, "none");
    return fail(v, DIAG_ODD_VALUE, "Netdata runs the web server static-threaded for any value "
                "but 'none'", suggest_result(&s));
}

static int check_guid(const SchemaKey *k, const char *z, size_t n, Verdict *v, Arena *a)
{
    (void)k;
    if (n == 0) {
        return 0;   /* emptiness is judged by the cross-field checks */
    }
    const char *why = guid_problem(z, n);
    if (!why) {
        return 0;
    }
    return fail(v, DIAG_BAD_GUID, arena_printf(a, "API keys must be GUIDs (%s); the parent "
                "refuses it as 'not valid GUID'", why), NULL);
}

const TypeOps type_ops[TY__COUNT] = {
    [TY_BOOL] = { "boolean", check_bool },
    [TY_BOOL3] = { "yes/no/auto", check_bool3 },
    [TY_INT] = { "integer", check_int },
    [TY_STRING] = { "string", NULL },
    [TY_PATH] = { "path", NULL },
    [TY_PATTERN] = { "simple pattern", NULL },
    [TY_MEMMODE] = { "memory mode", check_memmode },
    [TY_ENUM] = { "choice", check_enum },
    [TY_BINDTO] = { "bind list", NULL },
    [TY_WEBMODE] = { "web mode", check_webmode },
    [TY_DEST] = { "destination list", NULL },
    [TY_GUID] = { "GUID", check_guid },
    [TY_ANY] = { "text", NULL },
};

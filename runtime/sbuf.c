/*
** sbuf.c - the bounded string builder of sbuf.h. Growth doubles the allocation, never past
** max + 1 bytes; a dropped append leaves the text as it was before it.
*/
#include "sbuf.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SBUF_MIN_CAP 256

/*
** Make room for N more bytes plus the NUL. Returns 0, or -1 after setting the overflow flag
** when that would pass B->max or memory runs out (B is unchanged then).
*/
static int reserve(Sbuf *b, size_t n)
{
    if (b->overflow) {
        return -1;
    }
    if (n > b->max - b->len) {
        b->overflow = 1;
        return -1;
    }
    size_t need = b->len + n + 1;
    if (need <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : SBUF_MIN_CAP;
    while (cap < need) {
        cap = cap > (SIZE_MAX / 2) ? need : cap * 2;
    }
    if (cap > b->max + 1) {
        cap = b->max + 1;
    }
    char *s = realloc(b->s, cap);
    if (!s) {
        b->overflow = 1;
        return -1;
    }
    b->s = s;
    b->cap = cap;
    return 0;
}

/* An empty builder bounded by MAX bytes; nothing is allocated until the first append. */
void sbuf_init(Sbuf *b, size_t max)
{
    b->s = NULL;
    b->len = b->cap = 0;
    b->max = max;
    b->overflow = 0;
}

/* Release B's memory; B stays usable as an empty builder with the same bound. */
void sbuf_free(Sbuf *b)
{
    if (!b) {
        return;
    }
    free(b->s);
    sbuf_init(b, b->max);
}

/* Empty B and clear its overflow flag; the allocation is kept for reuse. */
void sbuf_reset(Sbuf *b)
{
    b->len = 0;
    b->overflow = 0;
    if (b->s) {
        b->s[0] = '\0';
    }
}

/* Append the N bytes at P (which may hold NULs); dropped whole when they do not fit. */
void sbuf_append(Sbuf *b, const char *p, size_t n)
{
    if (reserve(b, n) != 0) {
        return;
    }
    if (n) {
        memcpy(b->s + b->len, p, n);
    }
    b->len += n;
    b->s[b->len] = '\0';
}

/* Append the C string S (NULL: nothing). */
void sbuf_puts(Sbuf *b, const char *s)
{
    if (s) {
        sbuf_append(b, s, strlen(s));
    }
}

/* Append one byte. */
void sbuf_putc(Sbuf *b, char c)
{
    sbuf_append(b, &c, 1);
}

/* Append printf(FMT, ...); a result that does not fit is dropped whole. */
void sbuf_printf(Sbuf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->overflow = 1;
        return;
    }
    if ((size_t)n < sizeof small) {
        sbuf_append(b, small, (size_t)n);
        return;
    }
    if (reserve(b, (size_t)n) != 0) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/*
** The length (1..4) of the well-formed UTF-8 sequence starting at P with N bytes available,
** or 0 when it is ill-formed (Unicode table 3-7: no overlongs, no surrogates, <= U+10FFFF).
*/
size_t sbuf_utf8_len(const unsigned char *p, size_t n)
{
    if (n == 0) {
        return 0;
    }
    unsigned c = p[0];
    if (c < 0x80) {
        return 1;
    }
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return 0;
    }
    if (n < len || p[1] < lo || p[1] > hi) {
        return 0;
    }
    for (size_t i = 2; i < len; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) {
            return 0;
        }
    }
    return len;
}

/* Append S escaped as the body of a JSON string (rules in sbuf.h). */
void sbuf_json_esc(Sbuf *b, const char *s)
{
    if (!s) {
        return;
    }
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    size_t run = 0;                  /* bytes at p[0..run) that need no escaping */
    while (run < n) {
        unsigned c = p[run];
        size_t ok = 0;
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            ok = 1;
        } else if (c >= 0x80) {
            ok = sbuf_utf8_len(p + run, n - run);
        }
        if (ok) {
            run += ok;
            continue;
        }
        sbuf_append(b, (const char *)p, run);
        p += run;
        n -= run;
        run = 0;
        const char *esc = NULL;
        switch (c) {
        case '"': esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default: break;
        }
        if (esc) {
            sbuf_puts(b, esc);
        } else if (c < 0x80) {
            sbuf_printf(b, "\\u%04x", c);
        } else {
            sbuf_puts(b, "\\ufffd");
        }
        p++;
        n--;
    }
    sbuf_append(b, (const char *)p, run);
}

/* Append S as a quoted JSON string. */
void sbuf_json_str(Sbuf *b, const char *s)
{
    sbuf_putc(b, '"');
    sbuf_json_esc(b, s);
    sbuf_putc(b, '"');
}

/* Append S with Netdata's HTML escapes (error pages echo user input through this). */
void sbuf_html_esc(Sbuf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': sbuf_puts(b, "&amp;"); break;
        case '<': sbuf_puts(b, "&lt;"); break;
        case '>': sbuf_puts(b, "&gt;"); break;
        case '"': sbuf_puts(b, "&quot;"); break;
        case '/': sbuf_puts(b, "&#x2F;"); break;
        case '\'': sbuf_puts(b, "&#x27;"); break;
        default: sbuf_putc(b, *s); break;
        }
    }
}

/* B's text; "" when nothing was appended yet. */
const char *sbuf_str(const Sbuf *b)
{
    return b->s ? b->s : "";
}

/*
** wire.c - line framing and word splitting of the Netdata 1.37.1 command stream (wire.h).
**
** Does: keep one fixed buffer per connection, hand out complete lines in place, cut lines at
** WIRE_MAX_LINE bytes as 1.37.1's receiver_next_line() does, split a line into words with
** quoted_strings_splitter()'s rules. Does not: read sockets, decompress, interpret commands
** (ingest.c), or log (the caller logs WIRE_TRUNCATED_LOG).
**
** Buffer layout: data lives in buf[0 .. WIRE_MAX_LINE); buf[WIRE_MAX_LINE] is spare so a cut
** line of WIRE_MAX_LINE bytes can be NUL-terminated. A complete line's '\n' becomes its NUL.
*/
#include "wire.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Byte classes for the splitter's inner loops (a table beats a chain of compares per byte):
   SEP separates words; STOP ends an unquoted word's fast scan (a separator, NUL or a
   backslash, which the careful loop handles). */
enum { SEP = 1, STOP = 2 };
static const unsigned char cls[256] = {
    [0] = STOP, ['\\'] = STOP,
    [' '] = SEP | STOP, ['\t'] = SEP | STOP, ['\r'] = SEP | STOP, ['\n'] = SEP | STOP,
    ['='] = SEP | STOP,
};

int wire_is_space(char c)
{
    return cls[(unsigned char)c] & SEP;
}

const char *wire_keyword(const char *line, size_t *n)
{
    while (wire_is_space(*line)) {
        line++;
    }
    size_t k = 0;
    while (line[k] && !wire_is_space(line[k])) {
        k++;
    }
    *n = k;
    return line;
}

/*
** Allocate R's buffer now (a receiver always needs it). Returns 0, or -1 when out of memory;
** R is zeroed first, so wire_reader_free is safe either way.
*/
int wire_reader_init(WireReader *r)
{
    memset(r, 0, sizeof(*r));
    r->buf = malloc(WIRE_MAX_LINE + 1);
    if (!r->buf) {
        return -1;
    }
    r->cap = WIRE_MAX_LINE + 1;
    return 0;
}

/* Free R's buffer and zero R; a NULL R or a zeroed R is a no-op. */
void wire_reader_free(WireReader *r)
{
    if (!r) {
        return;
    }
    free(r->buf);
    memset(r, 0, sizeof(*r));
}

/*
** Where the next read goes: the unconsumed bytes move to the front and the rest of the data
** area is offered. *N is 0 only when WIRE_MAX_LINE bytes are waiting, and then
** wire_reader_next has a line (complete or cut) to give. NULL with *N 0 when R has no buffer.
*/
char *wire_reader_space(WireReader *r, size_t *n)
{
    *n = 0;
    if (!r->buf) {
        return NULL;
    }
    if (r->start > 0) {
        memmove(r->buf, r->buf + r->start, r->len);
        r->start = 0;
    }
    *n = WIRE_MAX_LINE - r->len;
    return r->buf + r->len;
}

/* Account N bytes read into the space; more than the space offered is clamped (a caller bug). */
void wire_reader_commit(WireReader *r, size_t n)
{
    if (!r->buf) {
        return;
    }
    size_t room = WIRE_MAX_LINE - r->start - r->len;
    r->len += n < room ? n : room;
    if (r->len == WIRE_MAX_LINE && r->start == 0) {
        /* full: a cut line is pending unless a '\n' arrived */
        r->truncated_pending =
            memchr(r->buf + r->scanned, '\n', r->len - r->scanned) == NULL;
    }
}

static void consume(WireReader *r, size_t n)
{
    r->start += n;
    r->len -= n;
    r->scanned = 0;
    r->truncated_pending = 0;
    if (r->len == 0) {
        r->start = 0;      /* nothing to move at the next wire_reader_space */
    }
}

/*
** The next line, in place. Returns NULL (and *LEN 0) when no '\n' has arrived yet and fewer
** than WIRE_MAX_LINE bytes wait. A cut line is exactly WIRE_MAX_LINE bytes long: 1.37.1 copies
** up to 15360 bytes before it looks for the newline, so a 15360-byte line followed by '\n' is
** reported cut, and the '\n' then ends an empty line.
*/
char *wire_reader_next(WireReader *r, size_t *len, int *truncated)
{
    *len = 0;
    *truncated = 0;
    if (!r->buf || r->len == 0) {
        return NULL;
    }
    char *s = r->buf + r->start;
    char *nl = memchr(s + r->scanned, '\n', r->len - r->scanned);
    if (nl) {
        size_t n = (size_t)(nl - s);
        *nl = '\0';
        consume(r, n + 1);
        *len = n;
        return s;
    }
    if (r->len >= WIRE_MAX_LINE) {
        /* start is 0 here: data never extends past WIRE_MAX_LINE */
        s[WIRE_MAX_LINE] = '\0';
        consume(r, WIRE_MAX_LINE);
        *len = WIRE_MAX_LINE;
        *truncated = 1;
        return s;
    }
    r->scanned = r->len;   /* do not scan these bytes again when more arrive */
    return NULL;
}

size_t wire_reader_pending(const WireReader *r)
{
    return r->len;
}

/*
** Split LINE in place (wire.h). Walks like quoted_strings_splitter(): skip separators; a word
** that starts with a quote runs to the same quote (separators kept), otherwise to the next
** separator; a backslash followed by a byte skips that byte (both stay in the word); the byte
** ending a word (separator or closing quote) becomes NUL. A quote right before the end of the
** line starts no word unless it is the line's first. Stops after MAX words.
*/
size_t wire_split(char *line, char **words, size_t max)
{
    char *s = line;
    size_t n = 0;

    if (max == 0) {
        return 0;
    }
    while (wire_is_space(*s)) {
        s++;
    }
    if (*s == '\0') {
        words[0] = NULL;
        return 0;
    }
    for (;;) {
        char quote = 0;
        if (*s == '"' || *s == '\'') {
            quote = *s++;
        }
        words[n++] = s;
        if (!quote) {
            while (!(cls[(unsigned char)*s] & STOP)) {
                s++;   /* the common case: plain bytes of an unquoted word */
            }
        }
        for (;;) {
            if (*s == '\0') {
                goto done;
            }
            if (*s == '\\' && s[1] != '\0') {
                s += 2;
                continue;
            }
            if (quote ? *s == quote : wire_is_space(*s)) {
                break;
            }
            s++;
        }
        *s++ = '\0';
        while (wire_is_space(*s)) {
            s++;
        }
        /* Netdata skips an opening quote before it looks for the end of the line */
        if (*s == '\0' || ((*s == '"' || *s == '\'') && s[1] == '\0') || n == max) {
            break;
        }
    }
done:
    if (n < max) {
        words[n] = NULL;
    }
    return n;
}

/* ---- numbers ------------------------------------------------------------------------------ */

long long wire_strtoll(const char *s)
{
    const char *p = s;
    int neg = *p == '-';
    p += neg;
    /* 1..18 decimal digits, no leading zero (octal), then the end: cannot overflow */
    if (*p >= '1' && *p <= '9') {
        long long v = 0;
        int k = 0;
        while (k < 18 && *p >= '0' && *p <= '9') {
            v = v * 10 + (*p++ - '0');
            k++;
        }
        if (*p == '\0') {
            return neg ? -v : v;
        }
    }
    return strtoll(s, NULL, 0);
}

static uint64_t digits(const char *s, size_t max)
{
    uint64_t v = 0;
    for (size_t i = 0; i < max && s[i] >= '0' && s[i] <= '9'; i++) {
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    return v;
}

uint64_t wire_u64(const char *s)
{
    return digits(s, 30);
}

int64_t wire_i64(const char *s)
{
    int neg = *s == '-';
    uint64_t v = digits(s + neg, 30 - (size_t)neg);
    return (int64_t)(neg ? 0 - v : v);
}

int wire_int(const char *s)
{
    return (int)(uint32_t)wire_i64(s);
}

double wire_double(const char *s, const char **end)
{
    const char *start = s;
    int neg = 0;
    if (*s == '-' || *s == '+') {
        neg = *s++ == '-';
    } else if (s[0] == 'n' && s[1] == 'a' && s[2] == 'n') {
        *end = s + 3;
        return NAN;
    } else if (s[0] == 'i' && s[1] == 'n' && s[2] == 'f') {
        *end = s + 3;
        return INFINITY;
    }
    uint64_t ip = 0, dp = 0;
    int dd = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        ip = ip * 10 + (uint64_t)(*s - '0');
    }
    if (*s == '.') {
        for (s++; *s >= '0' && *s <= '9'; s++, dd++) {
            dp = dp * 10 + (uint64_t)(*s - '0');
        }
    }
    if (*s == 'e' || *s == 'E') {
        char *e;
        double v = strtod(start, &e);
        *end = e;
        return v;
    }
    *end = s;
    double v = (double)ip + (dd ? (double)dp / pow(10.0, dd) : 0.0);
    return neg ? -v : v;
}

/*
** source.c - load a file and compute Netdata's logical lines (see source.h).
*/
#include "source.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int split_lines(Source *s, Arena *a)
{
    const char *b = s->buf;
    size_t len = s->len;
    size_t nphys = 1, maxlog = 1;
    for (size_t i = 0; i < len; i++) {
        if (b[i] == '\n') {
            nphys++;
        }
    }
    maxlog = nphys + len / SOURCE_READ_MAX + 1;
    s->phys = arena_alloc(a, nphys * sizeof *s->phys);
    s->lines = arena_alloc(a, maxlog * sizeof *s->lines);
    if (!s->phys || !s->lines) {
        return -1;
    }
    s->phys[0] = 0;
    s->nphys = 1;
    size_t pos = 0, nl = 0;
    uint32_t line = 1, line_start = 0;
    int cont = 0;
    while (pos < len) {
        size_t lim = len - pos < SOURCE_READ_MAX ? len - pos : SOURCE_READ_MAX;
        const char *nlp = memchr(b + pos, '\n', lim);
        size_t raw = nlp ? (size_t)(nlp - (b + pos)) : lim;
        SrcLine *L = &s->lines[nl++];
        L->z = b + pos;
        L->line = line;
        L->col0 = (uint32_t)(pos - line_start);
        L->flags = cont ? SRC_CONT : 0;
        const char *nul = memchr(b + pos, 0, raw);
        L->n = (uint32_t)(nul ? (size_t)(nul - (b + pos)) : raw);
        if (nul) {
            L->flags |= SRC_NUL;
            L->nul_off = L->n;
        }
        if (nlp) {
            pos += raw + 1;
            line++;
            line_start = (uint32_t)pos;
            s->phys[s->nphys++] = (uint32_t)pos;
            cont = 0;
        } else {
            pos += raw;
            if (pos < len) {
                L->flags |= SRC_CUT;
                cont = 1;
            }
        }
    }
    s->nlines = nl;
    return 0;
}

int source_from_mem(Source *s, Arena *a, const char *display, const char *data, size_t n)
{
    memset(s, 0, sizeof *s);
    if (n > SOURCE_FILE_MAX) {
        return -1;
    }
    char *buf = arena_alloc(a, n + 1);
    if (!buf) {
        return -1;
    }
    if (n) {
        memcpy(buf, data, n);
    }
    s->path = display;
    s->buf = buf;
    s->len = n;
    s->bom = n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0;
    return split_lines(s, a);
}

int source_load(Source *s, Arena *a, const char *path, const char *display, const char **err)
{
    memset(s, 0, sizeof *s);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err = strerror(errno);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *err = strerror(errno);
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        *err = "is a directory";
        close(fd);
        return -1;
    }
    if (st.st_size > (off_t)SOURCE_FILE_MAX) {
        *err = "larger than 64 MiB";
        close(fd);
        return -1;
    }
    /* Read until EOF rather than trusting st_size: pipes and /proc files report 0. */
    size_t cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096, n = 0;
    char *buf = arena_alloc(a, cap + 1);
    for (;;) {
        if (!buf) {
            *err = "out of memory";
            close(fd);
            return -2;
        }
        if (n == cap) {
            if (cap >= SOURCE_FILE_MAX) {
                *err = "larger than 64 MiB";
                close(fd);
                return -1;
            }
            char *bigger = arena_alloc(a, cap * 2 + 1);
            if (bigger) {
                memcpy(bigger, buf, n);
            }
            buf = bigger;
            cap *= 2;
            continue;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            *err = strerror(errno);
            close(fd);
            return -1;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
    }
    close(fd);
    if (n > SOURCE_FILE_MAX) {
        *err = "larger than 64 MiB";
        return -1;
    }
    buf[n] = 0;
    s->path = display ? display : path;
    s->buf = buf;
    s->len = n;
    s->bom = n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0;
    if (split_lines(s, a) != 0) {
        *err = "out of memory";
        return -2;
    }
    return 0;
}

const char *source_phys_line(const Source *s, uint32_t line, size_t *n)
{
    if (line < 1 || line > s->nphys) {
        return NULL;
    }
    size_t start = s->phys[line - 1];
    size_t end = line < s->nphys ? s->phys[line] - 1 : s->len;
    if (end > start && s->buf[end - 1] == '\r') {
        end--;
    }
    *n = end - start;
    return s->buf + start;
}

size_t source_utf8_len(const unsigned char *z, size_t n)
{
    unsigned char c = z[0];
    size_t len;
    unsigned lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
    if (c < 0x80) {
        return 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
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
    if (len > n) {
        return 0;
    }
    for (size_t k = 1; k < len; k++) {
        unsigned l = k == 1 ? lo : 0x80, h = k == 1 ? hi : 0xBF;
        if (z[k] < l || z[k] > h) {
            return 0;
        }
    }
    return len;
}

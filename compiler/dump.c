/*
** dump.c - `streamc dump POLICY`: print the effective configuration a policy holds as canonical
** stream.conf and netdata.conf text, driven by the schema tables.
**
** Canonical means: only the settings a file itself sets (origin ORIGIN_STREAM, ORIGIN_APIKEY,
** ORIGIN_MACHINE for stream.conf, ORIGIN_NETDATA for netdata.conf), as `    key = text` in
** schema row order; sections in a fixed order ([stream], API keys in table order, machines in
** table order; netdata.conf sections in schema row order), each after a one-line comment; the
** node's machine GUID as a comment. No timestamps, no source lines: the same policy always dumps
** to the same bytes, and compiling the dump gives the same policy (stripped: byte for byte).
**
** With --out-dir DIR the files are written as a config directory (stream.conf, netdata.conf and,
** when the policy knows it, the machine GUID file netdata.public.unique.id), each atomically;
** stdout then stays empty. Without it both files go to stdout, each starting with its
** `# file: NAME` line, so stdout equals the concatenation of what --out-dir writes.
**
** It does not print defaults, inherited values or computed values (explain does), nor the LINES
** section. Only policies that policy_open accepts are read.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guid.h"
#include "policy.h"
#include "schema.h"

int cmd_dump(int argc, char **argv);

enum { DUMP_STREAM = 1, DUMP_NETDATA = 2 };

typedef struct Buf {
    char *z;
    size_t n, cap;
    int oom;
} Buf;

typedef struct Dump {
    const PolicyView *v;
    char guid[GUID_TEXT_LEN + 1];       /* "" when the policy has no machine GUID */
    const char *bad;                    /* the first reason the policy cannot be dumped */
} Dump;

static void buf_add(Buf *b, const char *z, size_t n)
{
    if (b->oom) {
        return;
    }
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->n + n + 1) {
            cap *= 2;
        }
        char *p = realloc(b->z, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->z = p;
        b->cap = cap;
    }
    memcpy(b->z + b->n, z, n);
    b->n += n;
    b->z[b->n] = 0;
}

static void buf_printf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void buf_printf(Buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->oom = 1;   /* every format here is short: longer means a bug, not data */
        return;
    }
    buf_add(b, tmp, (size_t)n);
}

/* ---- settings ----------------------------------------------------------------------------- */

/* Row-order index -> setting of one owner; a key that appears twice keeps the first. */
static void index_settings(const PolicyView *v, uint32_t first, uint32_t count,
                           const PolicySetting *by_key[SCHEMA_NKEYS])
{
    memset(by_key, 0, sizeof(by_key[0]) * SCHEMA_NKEYS);
    for (uint32_t i = 0; i < count; i++) {
        const PolicySetting *s = &v->settings[first + i];
        if (s->key < SCHEMA_NKEYS && !by_key[s->key]) {
            by_key[s->key] = s;
        }
    }
}

static const SchemaKey *row_of(unsigned k)
{
    return &schema_keys[schema_by_order[k]];
}

/* Print S as `    key = text`; a text that no config line can carry makes the dump fail. */
static void put_setting(Dump *d, Buf *b, const SchemaKey *row, const PolicySetting *s)
{
    const char *z = policy_str(d->v, s->text);
    size_t n = s->text.len;
    if (strlen(z) != n || strpbrk(z, "\r\n") || (n && (z[0] == ' ' || z[0] == '\t' ||
                                                        z[n - 1] == ' ' || z[n - 1] == '\t'))) {
        if (!d->bad) {
            d->bad = "a setting's text cannot be written as a config line (line break, NUL or "
                     "surrounding blanks)";
        }
        return;
    }
    buf_printf(b, "    %s =%s", row->name, n ? " " : "");
    buf_add(b, z, n);
    buf_add(b, "\n", 1);
}

/* The settings of section kind SEC in BY_KEY whose origin is ORIGIN, in row order. */
static void put_section_settings(Dump *d, Buf *b, const PolicySetting *const *by_key, int sec,
                                 int origin)
{
    for (unsigned k = 0; k < SCHEMA_NKEYS; k++) {
        const SchemaKey *row = row_of(k);
        const PolicySetting *s = by_key[k];
        if (row->sec == sec && s && s->origin == origin) {
            put_setting(d, b, row, s);
        }
    }
}

static int count_own(const PolicySetting *const *by_key, int sec, int origin)
{
    int count = 0;
    for (unsigned k = 0; k < SCHEMA_NKEYS; k++) {
        if (row_of(k)->sec == sec && by_key[k] && by_key[k]->origin == origin) {
            count++;
        }
    }
    return count;
}

/* ---- the two files ------------------------------------------------------------------------ */

static void put_file_header(Dump *d, Buf *b, const char *name)
{
    buf_printf(b, "# file: %s\n", name);
    buf_printf(b, "# streamc dump of a policy (format %u.%u, schema %08x): the settings this "
               "file sets\n", (unsigned)d->v->h->version_major,
               (unsigned)d->v->h->version_minor, (unsigned)d->v->h->schema_hash);
    buf_printf(b, "# node machine GUID: %s\n", d->guid[0] ? d->guid : "unknown");
}

/* One API-key or machine-GUID section: header comment, [name], its own settings. */
static void put_key_section(Dump *d, Buf *b, const PolicyKey *pk, int machine,
                            const PolicySetting **by_key)
{
    const char *kind = machine ? "machine-GUID section" : "API-key section";
    const char *state = (pk->flags & KEY_ENABLED) ? "enabled" : "disabled";
    if (!(pk->flags & KEY_TYPE_OK)) {
        state = machine ? "refused, type is not 'machine'" : "refused, type is not 'api'";
    }
    const char *name = policy_str(d->v, pk->text);
    if (strlen(name) != pk->text.len || strpbrk(name, "[]\r\n")) {
        if (!d->bad) {
            d->bad = "a section name cannot be written as a config header";
        }
        return;
    }
    index_settings(d->v, pk->settings_first, pk->settings_count, by_key);
    buf_printf(b, "\n# %s: %s\n", kind, state);
    buf_printf(b, "[%s]\n", name);
    put_section_settings(d, b, by_key, machine ? SEC_MACHINE : SEC_API,
                         machine ? ORIGIN_MACHINE : ORIGIN_APIKEY);
}

static void put_stream_conf(Dump *d, Buf *b, const PolicySetting **by_key)
{
    const PolicyView *v = d->v;
    put_file_header(d, b, "stream.conf");
    index_settings(v, v->node->settings_first, v->node->settings_count, by_key);
    if (count_own(by_key, SEC_STREAM, ORIGIN_STREAM)) {
        buf_printf(b, "\n# [stream]: this node as a sender (%s)\n",
                   v->node->flags & NODE_SENDER_ENABLED ? "enabled" : "disabled");
        buf_add(b, "[stream]\n", 9);
        put_section_settings(d, b, by_key, SEC_STREAM, ORIGIN_STREAM);
    }
    for (uint32_t i = 0; i < v->napikeys; i++) {
        put_key_section(d, b, &v->apikeys[i], 0, by_key);
    }
    for (uint32_t i = 0; i < v->nmachines; i++) {
        put_key_section(d, b, &v->machines[i], 1, by_key);
    }
}

static void put_netdata_conf(Dump *d, Buf *b, const PolicySetting **by_key)
{
    const PolicyView *v = d->v;
    unsigned char done[SEC__COUNT] = { 0 };
    put_file_header(d, b, "netdata.conf");
    index_settings(v, v->node->settings_first, v->node->settings_count, by_key);
    for (unsigned k = 0; k < SCHEMA_NKEYS; k++) {
        int sec = row_of(k)->sec;
        if (done[sec] || schema_sections[sec].conf != CONF_NETDATA) {
            continue;
        }
        done[sec] = 1;   /* sections in the order their first row appears */
        if (!count_own(by_key, sec, ORIGIN_NETDATA)) {
            continue;
        }
        buf_printf(b, "\n# netdata.conf section %s\n", schema_sections[sec].display);
        buf_printf(b, "[%s]\n", schema_sections[sec].name);
        put_section_settings(d, b, by_key, sec, ORIGIN_NETDATA);
    }
}

/* Settings whose key is out of range or of the wrong section kind for their owner. */
static const char *check_owners(const PolicyView *v)
{
    const PolicyNode *nd = v->node;
    for (uint32_t i = 0; i < nd->settings_count; i++) {
        const PolicySetting *s = &v->settings[nd->settings_first + i];
        if (s->key >= SCHEMA_NKEYS) {
            return "a global setting has a key id outside this streamc's schema";
        }
        int sec = row_of(s->key)->sec;
        if (sec == SEC_API || sec == SEC_MACHINE) {
            return "a global setting belongs to an API-key or machine-GUID section";
        }
    }
    for (int m = 0; m < 2; m++) {
        const PolicyKey *keys = m ? v->machines : v->apikeys;
        uint32_t n = m ? v->nmachines : v->napikeys;
        for (uint32_t i = 0; i < n; i++) {
            for (uint32_t j = 0; j < keys[i].settings_count; j++) {
                const PolicySetting *s = &v->settings[keys[i].settings_first + j];
                if (s->key >= SCHEMA_NKEYS ||
                    row_of(s->key)->sec != (m ? SEC_MACHINE : SEC_API)) {
                    return m ? "a machine-GUID section has a setting of another section kind"
                             : "an API-key section has a setting of another section kind";
                }
            }
        }
    }
    return NULL;
}

/* ---- output ------------------------------------------------------------------------------- */

/* Write DIR/NAME atomically: DIR/.NAME.XXXXXX, fsync, rename. NULL or a reason (errno text). */
static const char *write_atomic(const char *dir, const char *name, const char *z, size_t n)
{
    char tmp[4096], path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path ||
        (size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= sizeof tmp) {
        return strerror(ENAMETOOLONG);
    }
    int fd = mkstemp(tmp);
    if (fd < 0) {
        return strerror(errno);
    }
    const char *why = NULL;
    size_t off = 0;
    while (!why && off < n) {
        ssize_t w = write(fd, z + off, n - off);
        if (w < 0 && errno != EINTR) {
            why = strerror(errno);
        } else if (w > 0) {
            off += (size_t)w;
        }
    }
    if (!why && (fchmod(fd, 0644) != 0 || fsync(fd) != 0)) {
        why = strerror(errno);
    }
    if (close(fd) != 0 && !why) {
        why = strerror(errno);
    }
    if (!why && rename(tmp, path) != 0) {
        why = strerror(errno);
    }
    if (why) {
        unlink(tmp);
    }
    return why;
}

/* Remove DIR/NAME left from an earlier dump, so the directory compiles to this policy. */
static const char *remove_stale(const char *dir, const char *name)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path) {
        return strerror(ENAMETOOLONG);
    }
    if (unlink(path) != 0 && errno != ENOENT) {
        return strerror(errno);
    }
    return NULL;
}

static int fail(const char *what, const char *arg, const char *why)
{
    fprintf(stderr, "streamc: error: %s '%s': %s\n", what, arg, why);
    return 2;
}

static int write_dir(const char *dir, const Dump *d, const Buf *files, const int *present,
                     int which)
{
    static const char *const names[] = { "stream.conf", "netdata.conf" };
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        return fail("cannot create directory", dir, strerror(errno));
    }
    for (int i = 0; i < 2; i++) {
        if (!(which & (i ? DUMP_NETDATA : DUMP_STREAM))) {
            continue;
        }
        const char *why = present[i] ? write_atomic(dir, names[i], files[i].z, files[i].n)
                                     : remove_stale(dir, names[i]);
        if (why) {
            return fail(present[i] ? "cannot write into" : "cannot remove from", dir, why);
        }
    }
    if (which == (DUMP_STREAM | DUMP_NETDATA)) {
        const char *why = d->guid[0] ? write_atomic(dir, "netdata.public.unique.id", d->guid,
                                                    GUID_TEXT_LEN)
                                     : remove_stale(dir, "netdata.public.unique.id");
        if (why) {
            return fail("cannot write into", dir, why);
        }
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);   /* the renames are durable too; a failure here loses nothing written */
        close(fd);
    }
    return 0;
}

static void guid_text(const uint8_t g[16], char out[GUID_TEXT_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            *p++ = '-';
        }
        *p++ = hex[g[i] >> 4];
        *p++ = hex[g[i] & 15];
    }
    *p = 0;
}

/*
** streamc dump POLICY [--stream-conf-only|--netdata-conf-only] [--out-dir DIR]
** Prints (or writes into DIR) the canonical configuration of POLICY. Exit status 0 done; 2 for
** a usage error, a policy that does not load (one line on stderr, nothing on stdout) or an
** output failure.
*/
int cmd_dump(int argc, char **argv)
{
    const char *path = NULL, *dir = NULL;
    int which = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--stream-conf-only") == 0) {
            which |= DUMP_STREAM;
        } else if (strcmp(a, "--netdata-conf-only") == 0) {
            which |= DUMP_NETDATA;
        } else if (strncmp(a, "--out-dir=", 10) == 0 && a[10]) {
            dir = a + 10;
        } else if (strcmp(a, "--out-dir") == 0 && i + 1 < argc) {
            dir = argv[++i];
        } else if (strcmp(a, "--out-dir") == 0) {
            fprintf(stderr, "streamc: error: option '--out-dir' needs a value\n");
            return 2;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "streamc: error: unknown option '%s'\nTry 'streamc help'.\n", a);
            return 2;
        } else if (path) {
            fprintf(stderr, "streamc: error: dump takes one policy file, not '%s' too\n", a);
            return 2;
        } else {
            path = a;
        }
    }
    if (!path) {
        fprintf(stderr, "streamc: error: dump needs a policy file\nTry 'streamc help'.\n");
        return 2;
    }
    if (which == (DUMP_STREAM | DUMP_NETDATA)) {
        fprintf(stderr, "streamc: error: --stream-conf-only and --netdata-conf-only exclude each "
                "other\n");
        return 2;
    }
    which = which ? which : DUMP_STREAM | DUMP_NETDATA;

    Policy p;
    const char *why = NULL;
    if (policy_open(&p, path, &why) != 0) {
        return fail("cannot load policy", path, why ? why : "unknown reason");
    }
    Dump d;
    memset(&d, 0, sizeof d);
    d.v = &p.v;
    if (p.v.node->flags & NODE_HAS_GUID) {
        guid_text(p.v.node->machine_guid, d.guid);
    }
    d.bad = check_owners(d.v);
    const PolicySetting *by_key[SCHEMA_NKEYS];
    Buf files[2];
    memset(files, 0, sizeof files);
    int present[2] = { (p.v.node->flags & NODE_HAS_STREAM_CONF) != 0,
                       (p.v.node->flags & NODE_HAS_NETDATA_CONF) != 0 };
    if (!d.bad) {
        if (present[0] && (which & DUMP_STREAM)) {
            put_stream_conf(&d, &files[0], by_key);
        }
        if (present[1] && (which & DUMP_NETDATA)) {
            put_netdata_conf(&d, &files[1], by_key);
        }
    }
    int status = 0;
    if (d.bad) {
        status = fail("cannot dump policy", path, d.bad);
    } else if (files[0].oom || files[1].oom) {
        status = fail("cannot dump policy", path, strerror(ENOMEM));
    } else if (dir) {
        status = write_dir(dir, &d, files, present, which);
    } else {
        for (int i = 0; i < 2; i++) {
            if (files[i].n) {
                fwrite(files[i].z, 1, files[i].n, stdout);
            }
        }
        if (fflush(stdout) != 0 || ferror(stdout)) {
            status = fail("cannot write", "stdout", strerror(errno));
        }
    }
    free(files[0].z);
    free(files[1].z);
    policy_close(&p);
    return status;
}

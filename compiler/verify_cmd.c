/*
** verify_cmd.c - `streamc verify POLICY... [--key PUB.pem]`: read each policy file, check it
** completely with policy_view_init (header, checksum, every section and offset), then the
** signature trailer's shape, and with --key the Ed25519 signature itself (policy_sign.c).
**
** Prints one line per valid file on stdout:
**     node.policy: ok (format 1.0, 3 API keys, 12 machine GUIDs, signed, signature ok)
** and one line per refused file on stderr, exit status 2:
**     streamc: error: node.policy: checksum mismatch
** It does not print the policy's contents (dump does) and never writes a file.
*/
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy_sign.h"
#include "policy_view.h"
#include "verify_cmd.h"

#define POLICY_FILE_MAX ((uint64_t)UINT32_MAX)  /* offsets are 32-bit: no policy is larger */

/* Read PATH whole into malloc'd memory (8-byte aligned, as policy_view_init wants). NULL and
   *BUF, *N set; or a reason written into ERRBUF. */
static const char *read_policy(const char *path, uint8_t **buf, size_t *n, char *errbuf,
                               size_t errlen)
{
    *buf = NULL;
    *n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(errbuf, errlen, "cannot open: %s", strerror(errno));
        return errbuf;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(errbuf, errlen, "cannot stat: %s", strerror(errno));
        close(fd);
        return errbuf;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return "not a regular file";
    }
    if ((uint64_t)st.st_size > POLICY_FILE_MAX) {
        close(fd);
        return "too large to be a policy (over 4 GiB)";
    }
    size_t size = (size_t)st.st_size;
    uint8_t *p = malloc(size ? size : 1);
    if (!p) {
        close(fd);
        return "out of memory";
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, p + got, size - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            snprintf(errbuf, errlen, "cannot read: %s", strerror(errno));
            free(p);
            close(fd);
            return errbuf;
        }
        if (r == 0) {
            break;              /* shrank while reading: verify what is there */
        }
        got += (size_t)r;
    }
    close(fd);
    *buf = p;
    *n = got;
    return NULL;
}

static const char *plural(uint32_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* Verify one file; print its line. 0 valid, 2 refused. */
static int verify_one(const char *path, const char *key)
{
    char errbuf[256];
    uint8_t *buf;
    size_t n;
    const char *why = read_policy(path, &buf, &n, errbuf, sizeof errbuf);
    PolicyView v;
    PolicySig sig;
    int is_signed = 0;
    if (!why) {
        why = policy_view_init(&v, buf, n);
    }
    if (!why) {
        is_signed = (v.h->flags & POLICY_SIGNED) != 0;
        if (key) {
            why = policy_check_signature(&v, key);
        } else if (is_signed) {
            why = policy_sig_trailer(&v, &sig);
        }
    }
    if (why) {
        fprintf(stderr, "streamc: error: %s: %s\n", path, why);
        free(buf);
        return 2;
    }
    printf("%s: ok (format %u.%u, %u %s, %u %s, %s%s)\n", path, (unsigned)v.h->version_major,
           (unsigned)v.h->version_minor, v.napikeys, plural(v.napikeys, "API key", "API keys"),
           v.nmachines, plural(v.nmachines, "machine GUID", "machine GUIDs"),
           is_signed ? "signed" : "unsigned", key ? ", signature ok" : "");
    free(buf);
    return 0;
}

static int verify_usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "streamc: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'streamc help'.\n");
    return 2;
}

/*
** streamc verify POLICY... [--key PUB.pem]. ARGV[0] is "verify"; options and files may come in
** any order ("--" ends options). Returns the exit status: 0 when every file is valid (and, with
** --key, carries a good signature by that key), 2 when any is refused or on usage errors.
*/
int cmd_verify(int argc, char **argv)
{
    const char *key = NULL;
    int nfiles = 0, status = 0, opts = 1;
    for (int pass = 0; pass < 2; pass++) {     /* options first, so --key applies to all */
        opts = 1;
        for (int i = 1; i < argc; i++) {
            const char *a = argv[i];
            if (opts && strcmp(a, "--") == 0) {
                opts = 0;
            } else if (opts && strncmp(a, "--key=", 6) == 0) {
                key = a + 6;
            } else if (opts && strcmp(a, "--key") == 0) {
                if (i + 1 >= argc) {
                    return verify_usage("option '%s' needs a value", a);
                }
                key = argv[++i];
            } else if (opts && a[0] == '-' && a[1]) {
                return verify_usage("unknown option '%s'", a);
            } else if (pass == 0) {
                nfiles++;
            } else if (verify_one(a, key) != 0) {
                status = 2;
            }
        }
        if (pass == 0 && key && !*key) {
            return verify_usage("%s", "--key needs a file name");
        }
        if (pass == 0 && nfiles == 0) {
            return verify_usage("%s", "verify needs a policy file");
        }
    }
    if (fflush(stdout) != 0) {
        return 2;
    }
    return status;
}

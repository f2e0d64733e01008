/*
** policy.c - open a compiled policy: open, fstat, mmap PROT_READ/MAP_PRIVATE, madvise, then
** policy_view_init() on the mapping. The mapping stays for the life of the Policy; the file
** descriptor is closed once mapped. streamc writes policies by rename, so a running streamd
** keeps the inode it mapped; a file truncated in place under a live mapping would raise
** SIGBUS on access, which is why compiles never write in place. Nothing here prints.
*/
#include "policy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static _Thread_local char why_buf[160];

static const char *sys_why(const char *what, int err)
{
    snprintf(why_buf, sizeof why_buf, "%s: %s", what, strerror(err));
    return why_buf;
}

/*
** Map and verify the policy at PATH into *P. Returns 0, or -1 with *WHY set to a one-line
** reason (static or thread-local text, valid until the next call in this thread) and *P
** zeroed. On success the caller owns the mapping and releases it with policy_close().
*/
int policy_open(Policy *p, const char *path, const char **why)
{
    static const uint64_t empty[1];   /* an 8-aligned stand-in for a zero-byte file */
    memset(p, 0, sizeof *p);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *why = sys_why("cannot open", errno);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        *why = sys_why("cannot stat", errno);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = "not a regular file";
        close(fd);
        return -1;
    }
    if ((uint64_t)st.st_size > POLICY_MAX_FILE_SIZE) {
        snprintf(why_buf, sizeof why_buf, "file is %lld bytes: larger than the 1 GiB limit",
                 (long long)st.st_size);
        *why = why_buf;
        close(fd);
        return -1;
    }
    size_t size = (size_t)st.st_size;
    void *map = NULL;
    if (size > 0) {
        /* MAP_POPULATE: verification reads every page, so map them all in one go instead of
           taking one fault per page (a 30 MB policy is 7,000 faults) */
        map = mmap(NULL, size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
        if (map == MAP_FAILED) {
            *why = sys_why("cannot map", errno);
            close(fd);
            return -1;
        }
        (void)madvise(map, size, MADV_WILLNEED);   /* a hint: verification reads it all */
    }
    close(fd);
    const char *bad = policy_view_init(&p->v, map ? map : (const void *)empty, size);
    if (bad) {
        if (map) {
            munmap(map, size);
        }
        memset(p, 0, sizeof *p);
        *why = bad;
        return -1;
    }
    p->map = map;
    p->map_size = size;
    return 0;
}

/* Unmap P's policy; safe on a zeroed Policy and twice in a row. */
void policy_close(Policy *p)
{
    if (p->map) {
        munmap(p->map, p->map_size);
    }
    memset(p, 0, sizeof *p);
}

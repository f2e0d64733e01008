/*
** log.c - streamd's log (log.h). The file is opened with O_APPEND so a rotated-away file is
** never written into after log_reopen(), and every line goes out in a single write().
*/
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = 2;
static char *log_path;

int log_open(const char *path)
{
    if (!path) {
        log_fd = 2;
        return 0;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        return -1;
    }
    char *copy = strdup(path);
    if (!copy) {
        close(fd);
        errno = ENOMEM;
        return -1;
    }
    pthread_mutex_lock(&log_mu);
    if (log_fd > 2) {
        close(log_fd);
    }
    free(log_path);
    log_path = copy;
    log_fd = fd;
    pthread_mutex_unlock(&log_mu);
    return 0;
}

int log_reopen(void)
{
    pthread_mutex_lock(&log_mu);
    int rc = 0;
    if (log_path) {
        int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0) {
            rc = -1;   /* keep writing to the old file rather than losing lines */
        } else {
            close(log_fd);
            log_fd = fd;
        }
    }
    pthread_mutex_unlock(&log_mu);
    return rc;
}

void log_close(void)
{
    pthread_mutex_lock(&log_mu);
    if (log_fd > 2) {
        close(log_fd);
    }
    log_fd = 2;
    free(log_path);
    log_path = NULL;
    pthread_mutex_unlock(&log_mu);
}

static void emit(int level, const char *text, size_t n)
{
    char line[2048];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    size_t k = strftime(line, sizeof line, "%Y-%m-%d %H:%M:%S: streamd: ", &tm);
    k += (size_t)snprintf(line + k, sizeof line - k, "%s: ", level == LOG_ERR ? "ERROR" : "INFO");
    if (n > sizeof line - k - 1) {
        n = sizeof line - k - 1;   /* a line is bounded; the tail of a huge one is dropped */
    }
    memcpy(line + k, text, n);
    k += n;
    line[k++] = '\n';
    pthread_mutex_lock(&log_mu);
    ssize_t w = write(log_fd, line, k);
    (void)w;   /* nowhere to report a failing log */
    pthread_mutex_unlock(&log_mu);
}

void log_line(int level, const char *fmt, ...)
{
    char text[1800];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    emit(level, text, (size_t)n < sizeof text ? (size_t)n : sizeof text - 1);
}

void log_lines(int level, const char *text)
{
    while (text && *text) {
        const char *nl = strchr(text, '\n');
        size_t n = nl ? (size_t)(nl - text) : strlen(text);
        if (n) {
            emit(level, text, n);
        }
        text += n + (nl != NULL);
    }
}

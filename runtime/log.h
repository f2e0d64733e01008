/*
** log.h - streamd's log: one line per event, "YYYY-MM-DD HH:MM:SS: streamd: LEVEL: text",
** to a file (reopened on SIGHUP, for logrotate) or to stderr. Thread-safe; a line is written
** with one write() so lines from several loops never interleave.
*/
#ifndef STREAMC_LOG_H
#define STREAMC_LOG_H

enum { LOG_ERR, LOG_INFO };

int log_open(const char *path);          /* NULL: stderr. 0 ok, -1 (errno set) */
int log_reopen(void);                    /* SIGHUP: reopen the same path */
void log_close(void);
void log_line(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* TEXT may hold several '\n'-separated lines (admit results): one log line each. */
void log_lines(int level, const char *text);

#endif

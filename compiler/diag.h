/*
** diag.h - the diagnostic sink: compiler code appends records here and never prints.
**
** Records carry a code (diag_codes.def), severity, location (source, 1-based line, byte column,
** span length), a message, an optional fix-it (replacement text for the span) and notes.
** diag_render.c turns the same records into text, JSON or SARIF.
*/
#ifndef STREAMC_DIAG_H
#define STREAMC_DIAG_H

#include <stdint.h>

#include "arena.h"

typedef enum { SEV_NOTE, SEV_WARNING, SEV_ERROR } Severity;

typedef enum {
#define X(id, slug, sev, text) id,
#include "diag_codes.def"
#undef X
    DIAG__COUNT
} DiagCode;

struct Source;

typedef struct DiagLoc {
    const struct Source *src;  /* NULL: no location (whole run) */
    uint32_t line, col, len;   /* 1-based line and byte column; len bytes underlined (>= 1) */
} DiagLoc;

typedef struct DiagNote {
    DiagLoc at;
    const char *msg;
    struct DiagNote *next;
} DiagNote;

typedef struct Diag {
    DiagCode code;
    Severity sev;
    DiagLoc at;
    const char *msg;
    const char *fixit;       /* replacement for the span, or NULL */
    const char *file;        /* for records without a source: the path they are about */
    DiagNote *notes, *last_note;
    uint32_t seq;            /* emission order, the final tie-break when sorting */
    struct Diag *next;
} Diag;

typedef struct DiagSink {
    Arena *arena;
    Diag *first, *last;
    uint32_t n, nerr, nwarn;
    uint32_t max_errors;     /* 0 = no limit */
    int werror;              /* warnings count as errors */
    int stopped;             /* the error cap was reached: further records are dropped */
    int oom;                 /* an allocation failed; some records may be missing */
} DiagSink;

extern const char *const diag_slug[DIAG__COUNT];
extern const char *const diag_rule_text[DIAG__COUNT];
extern const Severity diag_default_sev[DIAG__COUNT];

void diag_init(DiagSink *d, Arena *a);
/* Append a record with the code's default severity. Returns NULL if dropped (cap or no memory). */
Diag *diag_add(DiagSink *d, DiagCode code, DiagLoc at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_fixit(DiagSink *d, Diag *g, const char *z, size_t n);
void diag_note(DiagSink *d, Diag *g, DiagLoc at, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int diag_exit_status(const DiagSink *d);  /* 0 clean, 1 errors (or warnings with -Werror) */
const char *diag_sev_name(Severity s);

#endif

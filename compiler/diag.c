/*
** diag.c - collect diagnostics as data (see diag.h). Rendering lives in diag_render.c.
*/
#include "diag.h"

#include <stdarg.h>
#include <string.h>

const char *const diag_slug[DIAG__COUNT] = {
#define X(id, slug, sev, text) slug,
#include "diag_codes.def"
#undef X
};
const char *const diag_rule_text[DIAG__COUNT] = {
#define X(id, slug, sev, text) text,
#include "diag_codes.def"
#undef X
};
const Severity diag_default_sev[DIAG__COUNT] = {
#define X(id, slug, sev, text) sev,
#include "diag_codes.def"
#undef X
};

void diag_init(DiagSink *d, Arena *a)
{
    memset(d, 0, sizeof *d);
    d->arena = a;
}

const char *diag_sev_name(Severity s)
{
    return s == SEV_ERROR ? "error" : s == SEV_WARNING ? "warning" : "note";
}

Diag *diag_add(DiagSink *d, DiagCode code, DiagLoc at, const char *fmt, ...)
{
    if (d->stopped) {
        return NULL;
    }
    Severity sev = diag_default_sev[code];
    if (sev == SEV_WARNING && d->werror) {
        sev = SEV_ERROR;
    }
    if (sev == SEV_ERROR && d->max_errors && d->nerr >= d->max_errors) {
        d->stopped = 1;
        Diag *cap = arena_alloc(d->arena, sizeof *cap);
        const char *msg = cap ? arena_printf(d->arena, "too many errors (%u), stopping now",
                                             d->max_errors) : NULL;
        if (!cap || !msg) {
            d->oom = 1;
        } else {
            cap->code = DIAG_TOO_MANY;
            cap->sev = SEV_ERROR;
            cap->msg = msg;
            cap->seq = UINT32_MAX;   /* always rendered last */
            if (!d->first) {
                d->first = cap;
            } else {
                d->last->next = cap;
            }
            d->last = cap;
            d->n++;
        }
        return NULL;
    }
    Diag *g = arena_alloc(d->arena, sizeof *g);
    va_list ap;
    va_start(ap, fmt);
    const char *msg = g ? arena_vprintf(d->arena, fmt, ap) : NULL;
    va_end(ap);
    if (!g || !msg) {
        d->oom = 1;
        return NULL;
    }
    if (at.len == 0) {
        at.len = 1;
    }
    g->code = code;
    g->sev = sev;
    g->at = at;
    g->msg = msg;
    g->seq = d->n;
    if (!d->first) {
        d->first = g;
    } else {
        d->last->next = g;
    }
    d->last = g;
    d->n++;
    if (sev == SEV_ERROR) {
        d->nerr++;
    } else if (sev == SEV_WARNING) {
        d->nwarn++;
    }
    return g;
}

void diag_fixit(DiagSink *d, Diag *g, const char *z, size_t n)
{
    if (g) {
        g->fixit = arena_strndup(d->arena, z, n);
        if (!g->fixit) {
            d->oom = 1;
        }
    }
}

void diag_note(DiagSink *d, Diag *g, DiagLoc at, const char *fmt, ...)
{
    if (!g) {
        return;
    }
    DiagNote *nt = arena_alloc(d->arena, sizeof *nt);
    va_list ap;
    va_start(ap, fmt);
    const char *msg = nt ? arena_vprintf(d->arena, fmt, ap) : NULL;
    va_end(ap);
    if (!nt || !msg) {
        d->oom = 1;
        return;
    }
    if (at.len == 0) {
        at.len = 1;
    }
    nt->at = at;
    nt->msg = msg;
    if (!g->notes) {
        g->notes = nt;
    } else {
        g->last_note->next = nt;
    }
    g->last_note = nt;
}

int diag_exit_status(const DiagSink *d)
{
    return d->nerr > 0 || d->oom ? 1 : 0;
}

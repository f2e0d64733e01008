/*
** rrd_labels.c - the bounded name=value lists of rrd.h (host labels, chart labels, system info,
** host variables): set (replace or append), clear, and commit a staged list.
*/
#include <stdlib.h>
#include <string.h>

#include "rrd.h"

/* Replace *DST with a copy of S; on allocation failure *DST is kept. */
static int replace_str(char **dst, const char *s)
{
    char *n = strdup(s ? s : "");
    if (!n) {
        return -1;
    }
    free(*dst);
    *dst = n;
    return 0;
}

/*
** Set NAME=VALUE in L, replacing the value and source of an entry with the same name, else
** appending. Copies both strings. Returns 0, or -1 when L already holds RRD_MAX_LABELS entries
** or memory runs out (L is unchanged then).
*/
int rrd_labels_set(RrdLabels *l, const char *name, const char *value, uint32_t source)
{
    for (size_t i = 0; i < l->n; i++) {
        if (strcmp(l->v[i].name, name) == 0) {
            if (replace_str(&l->v[i].value, value) != 0) {
                return -1;
            }
            l->v[i].source = source;
            return 0;
        }
    }
    if (l->n >= RRD_MAX_LABELS) {
        return -1;
    }
    RrdLabel *v = realloc(l->v, (l->n + 1) * sizeof *v);
    if (!v) {
        return -1;
    }
    l->v = v;
    RrdLabel *e = &v[l->n];
    e->name = strdup(name ? name : "");
    e->value = strdup(value ? value : "");
    e->source = source;
    if (!e->name || !e->value) {
        free(e->name);
        free(e->value);
        return -1;
    }
    l->n++;
    return 0;
}

/* Free every entry of L and leave it empty (L itself is the caller's). */
void rrd_labels_clear(RrdLabels *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].value);
    }
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* Replace DST's entries by STAGED's (moved, not copied); STAGED is left empty. */
void rrd_labels_commit(RrdLabels *dst, RrdLabels *staged)
{
    rrd_labels_clear(dst);
    *dst = *staged;
    staged->v = NULL;
    staged->n = 0;
}

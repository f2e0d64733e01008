/*
** parse.h - drive the Lemon parser over a Source, line by line, filling a Model.
*/
#ifndef STREAMC_PARSE_H
#define STREAMC_PARSE_H

#include "model.h"

/* Parse every logical line of m->src into m. Diagnostics go to m->diag. 0 ok, -1 out of memory. */
int parse_source(Model *m);

#endif

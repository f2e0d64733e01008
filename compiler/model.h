/*
** model.h - sections and entries of one config file, built by the grammar actions.
**
** Netdata's merge rules are applied as the file is read: a section name seen again is merged
** into the first one; a key seen again in the same (merged) section overrides the earlier value
** (last wins) while keeping the first one's position. Every entry is kept for diagnostics;
** `winner` says which one Netdata uses.
*/
#ifndef STREAMC_MODEL_H
#define STREAMC_MODEL_H

#include <stdint.h>

#include "arena.h"
#include "diag.h"
#include "lex.h"
#include "source.h"

struct SchemaKey;
struct SchemaSection;

typedef struct Entry {
    Token key, val;
    struct Section *sec;
    struct Entry *next;          /* next entry of the section, file order */
    struct Entry *first_dup;     /* the first entry with this key (itself when first) */
    struct Entry *winner;        /* on the first copy: the entry Netdata keeps (the last one) */
    const struct SchemaKey *row; /* set by validation; NULL when unknown */
    int flagged;                 /* the value already has a finding that explains it */
} Entry;

typedef struct Section {
    Token name;                  /* first header with this name */
    Token reopened;              /* first later header with the same name (n = 0 if none) */
    Entry *first, *last;
    struct Section *next;
    uint32_t nentries;
    int kind;                    /* SchemaSection id after classification; -1 unknown */
    const struct SchemaSection *schema;
} Section;

typedef enum { CONF_STREAM, CONF_NETDATA } ConfKind;

typedef struct Model {
    Arena *arena;
    DiagSink *diag;
    const Source *src;
    ConfKind kind;
    Section *first, *last, *cur;
    Token last_bad_header;       /* a line meant as a header that was not one (for notes) */
    uint32_t nsections;
    /* open-addressing hash tables so hostile files with many keys stay linear */
    Section **sec_tab;
    uint32_t sec_cap;
    Entry **ent_tab;
    uint32_t ent_cap, nent;
} Model;

void model_init(Model *m, Arena *a, DiagSink *d, const Source *src, ConfKind kind);

/* Grammar actions (one per line shape). */
void model_section(Model *m, const Token *name);
void model_entry(Model *m, const Token *key, const Token *val);
void model_empty_name(Model *m, const Token *eq);
void model_no_equals(Model *m, const Token *text);
void model_syntax_error(Model *m, const Token *tok, int code);

/* Lookups over the merged view. */
Section *model_find_section(const Model *m, const char *name, size_t n);
Entry *model_find_entry(const Model *m, const Section *s, const char *key, size_t n);
/* The value Netdata uses for KEY in section NAME, or NULL when absent. */
const Token *model_value(const Model *m, const char *sec, const char *key);

DiagLoc model_loc(const Model *m, const Token *t);

#endif

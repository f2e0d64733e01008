/*
** fleet_topo.c - fleet-wide checks around the pair simulation of fleet_sim.c: machine GUIDs
** shared by two nodes, hops whose `send charts matching` lets nothing through, what a parent
** stores of a child compared with what the child keeps itself, ephemeral children whose alarms
** outlive them, and parents no node streams to; plus the helpers both files use to read a
** node's effective settings and point at their lines. Findings only; nothing here prints.
*/
#include <stdlib.h>
#include <string.h>

#include "fleet_sim.h"
#include "match.h"
#include "pattern_prog.h"
#include "schema_tables.h"

/* ---- small helpers shared with fleet_topo.c ---------------------------------------------- */

const PolicySetting *fleet_global(const FleetNode *n, unsigned sec, const char *key)
{
    unsigned id = admit_row(sec, key);
    return id == ADMIT_NO_ROW ? NULL : policy_find_setting(&n->view, NULL, id);
}

const char *fleet_text(const FleetNode *n, const PolicySetting *s)
{
    return s ? policy_str(&n->view, s->text) : "";
}

const char *fleet_key_name(const PolicySetting *s)
{
    return s && s->key < SCHEMA_NKEYS ? schema_keys[schema_by_order[s->key]].name : "?";
}

/* Location of physical line LINE of SRC: its key (VALUE 0) or its value (VALUE 1). */
static DiagLoc line_loc(const Source *src, uint32_t line, int value)
{
    DiagLoc at = { NULL, 0, 0, 0 };
    size_t n;
    const char *z = src && line ? source_phys_line(src, line, &n) : NULL;
    if (!z) {
        return at;
    }
    size_t i = 0;
    while (i < n && (z[i] == ' ' || z[i] == '\t')) {
        i++;
    }
    const char *eq = value ? memchr(z + i, '=', n - i) : NULL;
    if (eq) {
        i = (size_t)(eq - z) + 1;
        while (i < n && (z[i] == ' ' || z[i] == '\t')) {
            i++;
        }
    }
    size_t end = n;
    while (end > i && (z[end - 1] == ' ' || z[end - 1] == '\t')) {
        end--;
    }
    at.src = src;
    at.line = line;
    at.col = (uint32_t)i + 1;
    at.len = (uint32_t)(end > i ? end - i : 1);
    return at;
}

DiagLoc fleet_setting_loc(const FleetNode *n, const PolicySetting *s, int value)
{
    DiagLoc none = { NULL, 0, 0, 0 };
    if (!s || s->origin == ORIGIN_DEFAULT || s->origin == ORIGIN_COMPUTED) {
        return none;
    }
    const Source *src = s->origin == ORIGIN_NETDATA ? &n->node.nsrc : &n->node.ssrc;
    return line_loc(src, policy_setting_line(&n->view, s), value);
}

DiagLoc fleet_key_loc(const FleetNode *n, const PolicyKey *k)
{
    DiagLoc none = { NULL, 0, 0, 0 };
    return k && k->line ? line_loc(&n->node.ssrc, k->line, 0) : none;
}

/* The value a child's host gets on parent P for machine row MNAME (API-key row ANAME): its
   machine section, else its API-key section (inheritance resolved at compile time), else
   [stream] GNAME (*GLOBAL set) or NULL. */
const PolicySetting *fleet_layer(const FleetNode *p, const AdmitSection *ks,
                                 const AdmitSection *ms, const char *mname, const char *aname,
                                 const char *gname, int *global)
{
    const PolicyView *v = &p->view;
    *global = 0;
    if (ms->p && !ms->other_table) {
        const PolicySetting *m = policy_find_setting(v, ms->p, admit_row(SEC_MACHINE, mname));
        if (m && m->origin == ORIGIN_MACHINE) {
            return m;
        }
    }
    if (ks->p && !ks->other_table) {
        const PolicySetting *a = policy_find_setting(v, ks->p, admit_row(SEC_API, aname));
        if (a) {
            return a;
        }
    }
    *global = gname != NULL;
    return gname ? fleet_global(p, SEC_STREAM, gname) : NULL;
}

/* ---- duplicate machine GUIDs ---------------------------------------------------------------- */

typedef struct GuidIx {
    const char *guid;
    uint32_t i;
} GuidIx;

static int cmp_guid(const void *pa, const void *pb)
{
    const GuidIx *a = pa, *b = pb;
    int c = strcmp(a->guid, b->guid);
    return c ? c : (a->i > b->i) - (a->i < b->i);
}

static DiagLoc guid_loc(const FleetNode *n)
{
    DiagLoc at = { &n->node.gsrc, 1, 1, 36 };
    return n->node.has_gsrc ? at : n->where;
}

/* Error on every node whose GUID an earlier node (in fleet order) already has. */
void fleet_check_guids(Sim *s)
{
    const Fleet *f = s->f;
    GuidIx *ix = malloc((f->nnodes + 1) * sizeof *ix);
    size_t n = 0;
    if (!ix) {
        s->d->oom = 1;
        return;
    }
    for (size_t i = 0; i < f->nnodes; i++) {
        if (f->nodes[i].node.has_guid) {
            ix[n].guid = f->nodes[i].node.guid;
            ix[n++].i = (uint32_t)i;
        }
    }
    qsort(ix, n, sizeof *ix, cmp_guid);
    for (size_t i = 1; i < n; i++) {
        if (strcmp(ix[i - 1].guid, ix[i].guid) != 0) {
            continue;
        }
        size_t first = i - 1;
        while (first > 0 && strcmp(ix[first - 1].guid, ix[i].guid) == 0) {
            first--;
        }
        const FleetNode *a = &f->nodes[ix[first].i], *b = &f->nodes[ix[i].i];
        s->dupguid[ix[first].i] = s->dupguid[ix[i].i] = 1;
        Diag *g = diag_add(s->d, DIAG_FLEET_DUP_GUID, guid_loc(b), "nodes '%s' and '%s' have "
                           "the same machine GUID %s: a parent that both stream to refuses the "
                           "second with 409 \"already streaming\" (a cloned machine?)", a->name,
                           b->name, b->node.guid);
        diag_note(s->d, g, guid_loc(a), "'%s' has it too", a->name);
    }
    free(ix);
}

/* ---- send charts matching ------------------------------------------------------------------- */

/* A pattern that matches none of these lets (almost) nothing through. */
static const char *const common_charts[] = {
    "system.cpu", "system.load", "system.ram", "system.net", "system.io", "cpu.cpu0",
    "mem.available", "disk_space._", "net.eth0", "apps.cpu", "netdata.server_cpu", NULL
};

/* Warn (once per node) when PAT of node N sends nothing of HOST upstream. */
void fleet_check_sends(Sim *s, const FleetNode *n, const PolicySetting *pat, const char *host)
{
    size_t idx = (size_t)(n - s->f->nodes);
    if (!pat || s->sends_noted[idx]) {
        return;
    }
    const PatHeader *prog = policy_program(&n->view, pat);
    int empty = !prog || (prog->flags & PAT_EMPTY);
    for (int i = 0; !empty && common_charts[i]; i++) {
        if (match_run(prog, common_charts[i], strlen(common_charts[i])) == MATCH_POSITIVE) {
            return;
        }
    }
    s->sends_noted[idx] = 1;
    DiagLoc at = fleet_setting_loc(n, pat, 1);
    diag_add(s->d, DIAG_FLEET_SENDS_NOTHING, at.src ? at : n->where, "'%s' sends no chart of "
             "'%s' upstream: %s = '%s' %s", n->name, host, fleet_key_name(pat),
             fleet_text(n, pat), empty ? "is empty, which sends nothing"
                                       : "matches none of system.cpu, system.load, "
                                         "system.ram, disk_space._, net.eth0, ...");
}

/* ---- storage along a path ------------------------------------------------------------------- */

static int ram_like(int64_t m)
{
    return m == POLICY_MODE_RAM || m == POLICY_MODE_ALLOC || m == POLICY_MODE_SAVE ||
           m == POLICY_MODE_MAP;
}

static const char *const mode_name[] = { "none", "ram", "map", "save", "alloc", "dbengine" };

static const char *mname(int64_t m)
{
    return m >= 0 && m <= POLICY_MODE_DBENGINE ? mode_name[m] : "?";
}

/* Hop H's host was accepted by PARENT (the entry at AT): compare what each side keeps. */
void fleet_check_storage(Sim *s, const Hop *h, uint32_t parent, DiagLoc at)
{
    const FleetNode *c = &s->f->nodes[h->origin], *p = &s->f->nodes[parent];
    AdmitSection ks, ms;
    admit_section(&p->view, 0, h->key, &ks);
    admit_section(&p->view, 1, s->guid[h->origin], &ms);
    int g;
    const PolicySetting *pm = fleet_layer(p, &ks, &ms, "memory mode", "default memory mode",
                                          NULL, &g);
    const PolicySetting *ph = fleet_layer(p, &ks, &ms, "history", "default history", NULL, &g);
    const PolicySetting *hl = fleet_layer(p, &ks, &ms, "health enabled",
                                          "health enabled by default", NULL, &g);
    const PolicySetting *cm = fleet_global(c, SEC_DB, "mode");
    const PolicySetting *cr = fleet_global(c, SEC_DB, "retention");
    pm = pm ? pm : fleet_global(p, SEC_DB, "mode");
    hl = hl ? hl : fleet_global(p, SEC_HEALTH, "enabled");
    int64_t pmode = pm ? pm->num : POLICY_MODE_DBENGINE;
    int64_t cmode = cm ? cm->num : POLICY_MODE_DBENGINE;
    int64_t hist = ph ? ph->num : 3600, cret = cr ? cr->num : 3600;
    if (hist < 5) {
        hist = 5;   /* Netdata's floor; ram and alloc then fill whole 4 KiB pages */
    }
    if (pmode == POLICY_MODE_RAM || pmode == POLICY_MODE_ALLOC) {
        hist = (hist + 1023) / 1024 * 1024;
    }
    if (ram_like(pmode) && (cmode == POLICY_MODE_DBENGINE || (ram_like(cmode) && cret > hist))) {
        DiagLoc where = fleet_setting_loc(p, ph && ph->origin != ORIGIN_DEFAULT ? ph : pm, 0);
        Diag *g2 = diag_add(s->d, DIAG_FLEET_HISTORY, where.src ? where : at, "'%s' keeps only "
                            "%lld entries of '%s' (memory mode %s) while '%s' keeps %s%s: the "
                            "parent's charts of it show less history than the child's",
                            p->name, (long long)hist, c->name, mname(pmode), c->name,
                            cmode == POLICY_MODE_DBENGINE ? "a dbengine database"
                            : mname(cmode), cmode == POLICY_MODE_DBENGINE ? ""
                            : arena_printf(s->f->arena, " with %lld entries", (long long)cret));
        diag_note(s->d, g2, fleet_setting_loc(c, cm, 0), "'%s' stores its metrics in %s",
                  c->name, mname(cmode));
    }
    /* An ephemeral child keeps no database of its own (memory mode none): alarms a parent
       runs for it with health 'yes' outlive it. And the reverse mistake: a child set up as
       ephemeral on its parent (health 'auto') that still keeps a local database. */
    if (cmode == POLICY_MODE_NONE && hl && hl->num == 1) {
        DiagLoc where = fleet_setting_loc(p, hl, 0);
        Diag *g3 = diag_add(s->d, DIAG_FLEET_EPHEMERAL, where.src ? where : at, "'%s' is "
                            "ephemeral (memory mode none) but '%s' runs its alarms with health "
                            "'yes': they stay after it leaves; 'auto' stops them when it "
                            "disconnects", c->name, p->name);
        diag_note(s->d, g3, fleet_setting_loc(c, cm, 0), "'%s' keeps no database", c->name);
    } else if (hl && hl->num == 2 && (cmode == POLICY_MODE_DBENGINE ||
                                      cmode == POLICY_MODE_SAVE || cmode == POLICY_MODE_MAP)) {
        DiagLoc where = fleet_setting_loc(c, cm, 0);
        Diag *g3 = diag_add(s->d, DIAG_FLEET_EPHEMERAL, where.src ? where : at, "'%s' is set "
                            "up as ephemeral on '%s' (health 'auto') but still keeps a local "
                            "%s database: memory mode none (or ram) saves its disk", c->name,
                            p->name, mname(cmode));
        diag_note(s->d, g3, fleet_setting_loc(p, hl, 0), "health 'auto' for it here");
    }
}

/* ---- parents nobody streams to -------------------------------------------------------------- */

void fleet_check_topology(Sim *s)
{
    const Fleet *f = s->f;
    for (size_t i = 0; i < f->nnodes; i++) {
        const FleetNode *p = &f->nodes[i];
        if (!p->ok || s->reached[i]) {
            continue;
        }
        const PolicyKey *first = NULL;
        for (uint32_t k = 0; k < p->view.napikeys; k++) {
            const PolicyKey *key = &p->view.apikeys[k];
            if ((key->flags & KEY_ENABLED) && (!first || key->line < first->line)) {
                first = key;
            }
        }
        if (first) {
            DiagLoc at = fleet_key_loc(p, first);
            diag_add(s->d, DIAG_FLEET_NO_CHILDREN, at.src ? at : p->where, "'%s' accepts "
                     "children (API key [%s] is enabled) but no node of the fleet streams to "
                     "it", p->name, policy_str(&p->view, first->text));
        }
    }
}

/*
** child_cfg.c - per-child effective settings from the policy (child_cfg.h).
**
** A value is found in the first layer that has it: the machine section's own setting (origin
** [MACHINE_GUID]), the API key's row (every row of an API-key section is stored resolved, so
** no further fallback is needed when the section exists), else the row's built-in default,
** which for these rows names a global ("([db] mode)") that streamc stored resolved too.
** A section written under the other kind's name is read by key name, as Netdata reads it.
*/
#include "child_cfg.h"

#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "schema_tables.h"

static const SchemaKey *row_of(unsigned id)
{
    return id < SCHEMA_NKEYS ? &schema_keys[schema_by_order[id]] : NULL;
}

/* A value: a stored setting, or default text with a numeric reading. */
typedef struct Val {
    const PolicySetting *s;
    const char *text;
    long long num;
    int node_flag;      /* ([stream] enabled): the node's sender flag decides */
} Val;

static const PolicySetting *written(const PolicyView *v, const AdmitSection *s, unsigned sec,
                                    const char *name)
{
    unsigned id = admit_row(sec, name);
    const PolicySetting *ps = id == ADMIT_NO_ROW ? NULL : policy_find_setting(v, s->p, id);
    return ps && ps->origin != ORIGIN_DEFAULT && ps->origin != ORIGIN_COMPUTED ? ps : NULL;
}

static const char *mode_names[] = { "none", "ram", "map", "save", "alloc", "dbengine" };

static long long default_num(const SchemaKey *row, const char *t)
{
    if (row->type == TY_MEMMODE) {
        for (size_t i = 0; i < sizeof mode_names / sizeof mode_names[0]; i++) {
            if (strcmp(t, mode_names[i]) == 0) {
                return (long long)i;
            }
        }
        return POLICY_MODE_SAVE;   /* Netdata's reading of an unknown name */
    }
    if (row->type == TY_BOOL || row->type == TY_BOOL3) {
        return strcmp(t, "yes") == 0 ? 1 : strcmp(t, "auto") == 0 ? 2 : 0;
    }
    return strtoll(t, NULL, 10);
}

/* The built-in default of API row ID, following "([section] key)" to the stored global. */
static Val api_default(const PolicyView *v, unsigned id)
{
    const SchemaKey *row = row_of(id);
    const char *d = row && row->dflt ? row->dflt : "";
    Val val = { NULL, d, 0, 0 };
    if (d[0] != '(') {
        val.num = default_num(row, d);
        return val;
    }
    if (strcmp(d, "([stream] enabled)") == 0) {
        val.node_flag = 1;
        val.num = (v->node->flags & NODE_SENDER_ENABLED) != 0;
        val.text = val.num ? "yes" : "no";
        return val;
    }
    const char *rb = strchr(d, ']');
    if (d[1] != '[' || !rb || rb[1] != ' ') {
        return val;
    }
    char sec[64], key[128];
    size_t sl = (size_t)(rb - d - 2), kl = strlen(rb + 2);
    if (sl >= sizeof sec || kl < 1 || kl > sizeof key) {
        return val;
    }
    memcpy(sec, d + 2, sl);
    sec[sl] = 0;
    memcpy(key, rb + 2, kl - 1);
    key[kl - 1] = 0;
    for (unsigned i = 0; i < SEC__COUNT; i++) {
        if (strcmp(schema_sections[i].name, sec) != 0) {
            continue;
        }
        unsigned gid = admit_row(i, key);
        const PolicySetting *g = gid == ADMIT_NO_ROW ? NULL : policy_find_setting(v, NULL, gid);
        if (g) {
            val.s = g;
            val.text = policy_str(v, g->text);
            val.num = g->num;
        }
    }
    return val;
}

static Val from(const PolicyView *v, const PolicySetting *s)
{
    Val val = { s, policy_str(v, s->text), s->num, 0 };
    return val;
}

/* Machine row NAME for the child: machine layer, then the API layer of API row APINAME. */
static Val layered(const PolicyView *v, const AdmitSection *ks, const AdmitSection *ms,
                   const char *name, const char *apiname)
{
    const PolicySetting *s = NULL;
    if (ms->p && !ms->other_table) {
        s = policy_find_setting(v, ms->p, admit_row(SEC_MACHINE, name));
        s = s && s->origin == ORIGIN_MACHINE ? s : NULL;
    } else if (ms->p) {
        s = written(v, ms, SEC_API, name);
    }
    if (s) {
        return from(v, s);
    }
    unsigned api = admit_row(SEC_API, apiname);
    if (ks->p && !ks->other_table) {
        s = policy_find_setting(v, ks->p, api);
    } else if (ks->p) {
        s = written(v, ks, SEC_MACHINE, apiname);
    }
    return s ? from(v, s) : api_default(v, api);
}

static void fill(const PolicyView *v, const AdmitSection *ks, const AdmitSection *ms,
                 RrdHostConfig *o)
{
    Val mm = layered(v, ks, ms, "memory mode", "default memory mode");
    Val hi = layered(v, ks, ms, "history", "default history");
    Val he = layered(v, ks, ms, "health enabled", "health enabled by default");
    Val pa = layered(v, ks, ms, "postpone alarms on connect seconds",
                     "default postpone alarms on connect seconds");
    Val pe = layered(v, ks, ms, "proxy enabled", "default proxy enabled");
    Val pd = layered(v, ks, ms, "proxy destination", "default proxy destination");
    Val pk = layered(v, ks, ms, "proxy api key", "default proxy api key");
    Val ps = layered(v, ks, ms, "proxy send charts matching",
                     "default proxy send charts matching");
    Val co = layered(v, ks, ms, "enable compression", "enable compression");
    Val re = layered(v, ks, ms, "enable replication", "enable replication");
    Val rs = layered(v, ks, ms, "seconds to replicate", "seconds to replicate");
    Val rp = layered(v, ks, ms, "seconds per replication step", "seconds per replication step");
    o->memory_mode = (int)mm.num;
    o->history = hi.num < 5 ? 5 : (long)hi.num;   /* Netdata raises history below 5 */
    o->health = (int)he.num;
    o->postpone_alarms = (long)pa.num;
    o->proxy_enabled = (int)pe.num;
    o->proxy_destination = pd.text;
    o->proxy_api_key = pk.text;
    o->proxy_send_charts = ps.text;
    o->proxy_dest_setting = pd.s && pd.s->vtype == VAL_DEST ? pd.s : NULL;
    o->proxy_send_setting = ps.s && ps.s->vtype == VAL_PATTERN ? ps.s : NULL;
    o->compression = (int)co.num;
    o->replication = (int)re.num;
    o->repl_seconds = (long)rs.num;
    o->repl_step = rp.num > 0 ? (long)rp.num : 1;
}

static long global_num(const PolicyView *v, unsigned sec, const char *name, long dflt)
{
    const PolicySetting *s = admit_global(v, sec, name);
    return s ? (long)s->num : dflt;
}

void child_cfg_resolve(const PolicyView *v, const char *key, const char *guid, RrdHostConfig *out)
{
    AdmitSection ks, ms;
    admit_section(v, 0, key, &ks);
    admit_section(v, 1, guid, &ms);
    memset(out, 0, sizeof *out);
    fill(v, &ks, &ms, out);
    /* 1.37.1: [stream] enable compression = no turns it off for every child */
    out->compression = out->compression && global_num(v, SEC_STREAM, "enable compression", 1);
    out->update_every = (int)global_num(v, SEC_DB, "update every", 1);
    if (out->update_every < 1) {
        out->update_every = 1;
    }
}

void child_cfg_local(const PolicyView *v, RrdHostConfig *out)
{
    memset(out, 0, sizeof *out);
    out->memory_mode = (int)global_num(v, SEC_DB, "mode", POLICY_MODE_DBENGINE);
    out->history = global_num(v, SEC_DB, "retention", 3600);
    if (out->history < 5) {
        out->history = 5;
    }
    out->health = (int)global_num(v, SEC_HEALTH, "enabled", 1);
    out->update_every = (int)global_num(v, SEC_DB, "update every", 1);
    if (out->update_every < 1) {
        out->update_every = 1;
    }
    out->proxy_destination = out->proxy_api_key = out->proxy_send_charts = "";
}

/*
** explain.c - `streamc explain POLICY --api-key K --machine-guid G --from IP ...`: the decision a
** Netdata 1.37.1 parent with this policy takes on one STREAM request (runtime/admit.c, the
** same function streamd runs), then every setting that decision read and every effective
** per-child setting with where it came from, and with --chart whether this node sends that
** chart upstream (its own chart, and the child's when forwarded as a proxy).
**
** The machine layer of a child is not in the policy (it depends on the API key presented):
** it is put together here, as Netdata does at connect time, from the machine section, the
** API-key section and the globals. It does not model the first-connection stickiness of
** config-semantics §3.5: the values are those of a parent's first connection of this child.
** Exit status: 0 accepted, 1 refused, 2 usage or a policy that does not load.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "arena.h"
#include "guid.h"
#include "match.h"
#include "pattern.h"
#include "policy.h"
#include "schema_tables.h"

int cmd_explain(int argc, char **argv);

typedef struct Opts {
    const char *policy, *chart, *chart_name, *update_every;
    AdmitRequest req;
} Opts;

typedef struct Ex {
    const PolicyView *v;
    const Opts *o;
    AdmitSection ks, ms;
    const char *sfile, *nfile;
} Ex;

/* A value as shown: text, origin label and where it came from. */
typedef struct Shown {
    const char *text;
    const PolicySetting *s;       /* its record, NULL when not from the policy */
    const char *origin;           /* used when s is NULL */
} Shown;

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "streamc: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'streamc help'.\n");
    return 2;
}

static const SchemaKey *row_of(unsigned id)
{
    return id < SCHEMA_NKEYS ? &schema_keys[schema_by_order[id]] : NULL;
}

static void origin_text(const Ex *x, const PolicySetting *s, char *buf, size_t cap)
{
    static const char *const labels[] = { "default", "netdata.conf", "[stream]", "[API_KEY]",
                                          "[MACHINE_GUID]", "computed on the parent" };
    const char *label = s->origin <= ORIGIN__MAX ? labels[s->origin] : "?";
    uint32_t line = policy_setting_line(x->v, s);
    if (s->origin == ORIGIN_DEFAULT || s->origin == ORIGIN_COMPUTED || s->origin > ORIGIN__MAX) {
        snprintf(buf, cap, "%s", label);
    } else if (s->origin == ORIGIN_NETDATA) {
        snprintf(buf, cap, line ? "%s:%u" : "%s", x->nfile, line);
    } else {
        snprintf(buf, cap, line ? "%s %s:%u" : "%s %s", label, x->sfile, line);
    }
}

/* "    key = value        # origin (note)" */
static void show(const Ex *x, const char *key, const Shown *sh, const char *note)
{
    char org[128], kv[512];
    if (sh->s) {
        origin_text(x, sh->s, org, sizeof org);
    } else {
        snprintf(org, sizeof org, "%s", sh->origin ? sh->origin : "default");
    }
    snprintf(kv, sizeof kv, "%s = %s", key, sh->text && *sh->text ? sh->text : "");
    printf("    %-50s # %s%s%s%s\n", kv, org, note ? " (" : "", note ? note : "",
           note ? ")" : "");
}

static Shown from_setting(const PolicyView *v, const PolicySetting *s, const char *dflt)
{
    Shown sh = { dflt, s, NULL };
    if (s) {
        sh.text = policy_str(v, s->text);
    }
    return sh;
}

static void show_global(const Ex *x, unsigned sec, const char *key)
{
    unsigned id = admit_row(sec, key);
    const SchemaKey *row = row_of(id);
    const PolicySetting *s = id == ADMIT_NO_ROW ? NULL : policy_find_setting(x->v, NULL, id);
    Shown sh = from_setting(x->v, s, row && row->dflt ? row->dflt : "");
    char label[160];
    snprintf(label, sizeof label, "%s %s", schema_sections[sec].display, key);
    show(x, label, &sh, NULL);
}

/* ---- the per-child settings (config-semantics §3.3-§3.5) --------------------------------- */

/* The API-key row a machine row inherits from: "default X", "X by default", or X itself. */
static unsigned api_row_for(const char *mname)
{
    char buf[160];
    snprintf(buf, sizeof buf, "default %s", mname);
    unsigned id = admit_row(SEC_API, buf);
    if (id == ADMIT_NO_ROW) {
        snprintf(buf, sizeof buf, "%s by default", mname);
        id = admit_row(SEC_API, buf);
    }
    return id != ADMIT_NO_ROW ? id : admit_row(SEC_API, mname);
}

/* What a section of the other kind writes under the same key name (Netdata reads by name). */
static const PolicySetting *written_as(const Ex *x, const AdmitSection *s, unsigned other_sec,
                                       const char *name)
{
    unsigned id = admit_row(other_sec, name);
    const PolicySetting *ps = id == ADMIT_NO_ROW ? NULL : policy_find_setting(x->v, s->p, id);
    return ps && ps->origin != ORIGIN_DEFAULT && ps->origin != ORIGIN_COMPUTED ? ps : NULL;
}

/* The API-key layer's value of API row ID when the key has no API-key section of its own:
   Netdata's default for the row, which names a global setting as "([section] key)". */
static Shown api_fallback(const Ex *x, unsigned id)
{
    const SchemaKey *row = row_of(id);
    Shown sh = { row->dflt ? row->dflt : "", NULL, "default" };
    const char *d = row->dflt, *rb = d ? strchr(d, ']') : NULL;
    if (!d || d[0] != '(') {
        return sh;
    }
    sh.origin = "computed on the parent";
    if (strcmp(d, "([stream] enabled)") == 0) {
        int on = (x->v->node->flags & NODE_SENDER_ENABLED) != 0;
        sh.text = on ? "yes" : "no";
        sh.origin = "[stream] enabled after Netdata's missing-destination check";
        return sh;
    }
    if (d[1] == '[' && rb && rb[1] == ' ') {
        char sec[64], key[128];
        snprintf(sec, sizeof sec, "%.*s", (int)(rb - d - 2), d + 2);
        snprintf(key, sizeof key, "%.*s", (int)strlen(rb + 2) - 1, rb + 2);
        for (unsigned i = 0; i < SEC__COUNT; i++) {
            unsigned gid = strcmp(schema_sections[i].name, sec) == 0 ? admit_row(i, key)
                                                                     : ADMIT_NO_ROW;
            const PolicySetting *g = gid == ADMIT_NO_ROW ? NULL
                                                         : policy_find_setting(x->v, NULL, gid);
            if (g) {
                return from_setting(x->v, g, "");
            }
        }
    }
    return sh;
}

static Shown api_layer(const Ex *x, unsigned id, const char **via)
{
    const PolicySetting *s = !x->ks.p ? NULL : x->ks.other_table
        ? written_as(x, &x->ks, SEC_MACHINE, row_of(id)->name)
        : policy_find_setting(x->v, x->ks.p, id);
    *via = s ? NULL : x->ks.p ? "the key's section is a machine section"
                              : "no section for this key";
    return s ? from_setting(x->v, s, "") : api_fallback(x, id);
}

static const char *child_note(const Ex *x, const char *name, const Shown *sh)
{
    long long n = sh->text ? atoll(sh->text) : 0;
    if (strcmp(name, "update every") == 0 && n < 1) {
        return "Netdata uses 1";
    }
    if (strcmp(name, "history") == 0 && n < 5) {
        return "Netdata uses 5";
    }
    if (strcmp(name, "enable compression") == 0) {
        const PolicySetting *g = policy_find_setting(x->v, NULL,
                                                     admit_row(SEC_STREAM, "enable compression"));
        if (g && !g->num && sh->text && strcmp(sh->text, "yes") == 0) {
            return "off: [stream] enable compression = no gates every receiver";
        }
    }
    return NULL;
}

static void show_child(const Ex *x)
{
    const Opts *o = x->o;
    printf("\n# settings Netdata gives this child's host (machine layer; the API-key layer, then "
           "the globals, fill what the machine section does not set)\n");
    for (unsigned k = 0; k < SCHEMA_NKEYS; k++) {
        const SchemaKey *row = row_of(k);
        if (row->sec != SEC_MACHINE || strcmp(row->name, "type") == 0 ||
            strcmp(row->name, "enabled") == 0 || strcmp(row->name, "allow from") == 0 ||
            row->type == TY_ANY) {
            continue;
        }
        Shown sh = { NULL, NULL, NULL };
        char note[200] = "";
        const PolicySetting *m = NULL;
        if (x->ms.p && !x->ms.other_table) {
            m = policy_find_setting(x->v, x->ms.p, k);
            m = m && m->origin == ORIGIN_MACHINE ? m : NULL;
        } else if (x->ms.p) {
            m = written_as(x, &x->ms, SEC_API, row->name);
        }
        if (m) {
            sh = from_setting(x->v, m, "");
        } else if (strcmp(row->name, "update every") == 0) {
            if (o->update_every) {
                sh.text = o->update_every;
                sh.origin = "the child's update_every URL parameter";
            } else {
                sh = from_setting(x->v, policy_find_setting(x->v, NULL,
                                                            admit_row(SEC_DB, "update every")),
                                  "1");
                snprintf(note, sizeof note, "the child's update_every; this is the parent's "
                         "[db] update every, pass --update-every");
            }
        } else {
            unsigned api = api_row_for(row->name);
            const char *via = NULL;
            if (api != ADMIT_NO_ROW) {
                sh = api_layer(x, api, &via);
                snprintf(note, sizeof note, "via the API key's '%s'%s%s", row_of(api)->name,
                         via ? ": " : "", via ? via : "");
            }
        }
        const char *extra = child_note(x, row->name, &sh);
        if (extra) {
            size_t n = strlen(note);
            snprintf(note + n, sizeof note - n, "%s%s", n ? "; " : "", extra);
        }
        show(x, row->name, &sh, note[0] ? note : NULL);
    }
}

/* ---- admission settings and decision ---------------------------------------------------- */

static void show_section(const Ex *x, int role, const AdmitSection *s)
{
    const char *name = role ? x->o->req.machine_guid : x->o->req.key;
    const char *label = role ? "[MACHINE_GUID]" : "[API_KEY]";
    if (!s->p) {
        printf("\n# %s: no section [%s] in stream.conf: Netdata reads its defaults\n", label,
               name ? name : "");
    } else {
        printf("\n# %s: section [%s]", label, policy_str(x->v, s->p->text));
        if (s->p->line) {
            printf(" at %s:%u", x->sfile, s->p->line);
        }
        printf("%s\n", s->other_table ? role ? " (written as an API-key section)"
                                             : " (written as a machine-GUID section)" : "");
    }
    Shown t = from_setting(x->v, s->type_s, s->type);
    Shown e = from_setting(x->v, s->enabled_s, s->enabled ? "yes" : "no");
    Shown a = from_setting(x->v, s->allow_s, "*");
    t.text = s->type;   /* as Netdata reads it: an empty type is "unknown" */
    show(x, "type", &t, NULL);
    show(x, "enabled", &e, NULL);
    show(x, "allow from", &a, s->allow_s && !s->allow ? "empty: no restriction" : NULL);
}

/* A section whose name differs only in case: Netdata's lookup is exact. */
static void case_note(const Ex *x, int role, const char *name)
{
    char alt[GUID_TEXT_LEN + 1];
    if (!name || strlen(name) != GUID_TEXT_LEN) {
        return;
    }
    for (int upper = 0; upper < 2; upper++) {
        for (int i = 0; i <= GUID_TEXT_LEN; i++) {
            char c = name[i];
            alt[i] = upper ? (char)(c >= 'a' && c <= 'f' ? c - 32 : c)
                           : (char)(c >= 'A' && c <= 'F' ? c + 32 : c);
        }
        for (int table = 0; table < 2; table++) {
            const PolicyKey *p = strcmp(alt, name) ? policy_find_key(x->v, table, alt,
                                                                     GUID_TEXT_LEN) : NULL;
            if (p) {
                printf("note: stream.conf has [%s]", alt);
                if (p->line) {
                    printf(" (%s:%u)", x->sfile, p->line);
                }
                printf(", which differs from the %s '%s' only in case; Netdata looks sections "
                       "up exactly as received\n", role ? "machine GUID" : "API key", name);
                return;
            }
        }
    }
}

static void show_decision(const Ex *x, const AdmitResult *r)
{
    const AdmitRequest *q = &x->o->req;
    if (r->accepted) {
        printf("decision: accepted\n");
        printf("  reply:      the prompt (\"Hit me baby, push them over...\" or a versioned "
               "form, stream-protocol §2.3)\n");
    } else {
        printf("decision: refused: %s\n", admit_code_name(r->code));
        if (r->http_status) {
            printf("  http status: %d%s\n", r->http_status,
                   r->code == ADMIT_OWN_GUID ? " (in the access log; the receiver thread then "
                   "sends the raw reply and closes)" : "");
        } else {
            printf("  http status: none (the connection is refused or closed without a "
                   "reply)\n");
        }
        if (r->reply) {
            size_t n = strlen(r->reply);
            int crlf = n >= 2 && strcmp(r->reply + n - 2, "\r\n") == 0;
            printf("  reply:      %.*s%s\n", (int)(crlf ? n - 2 : n), r->reply,
                   crlf ? "\\r\\n (an HTTP/1.1 400 Bad Request page)" : "");
        }
    }
    const char *p = r->log;
    while (*p) {
        const char *nl = strchr(p, '\n');
        int n = nl ? (int)(nl - p) : (int)strlen(p);
        printf("  error log:  %.*s\n", n, p);
        p += n + (nl != NULL);
    }
    if (r->access[0]) {
        printf("  access log: %s\n", r->access);
    }
    if (r->listener) {
        static const char *const ssl[] = { "default", "optional", "force" };
        const char *h = policy_str(x->v, r->listener->host), *pt = policy_str(x->v,
                                                                              r->listener->port);
        printf("  listener:   %s:%s (streaming %s, ssl %s)\n", *h ? h : "*", *pt ? pt : "default",
               r->listener->acl & 16 ? "allowed" : "not allowed", ssl[r->listener->ssl % 3]);
    }
    if (r->setting) {
        char org[128];
        origin_text(x, r->setting, org, sizeof org);
        const SchemaKey *row = row_of(r->setting->key);
        printf("  because:    %s = %s (%s)\n", row ? row->name : "?",
               policy_str(x->v, r->setting->text), org);
    }
    if (!r->setting && r->code >= ADMIT_KEY_NOT_API && r->code <= ADMIT_MACHINE_NOT_FROM_IP) {
        printf("  because:    Netdata's default (%s)\n",
               r->owner ? "the section does not set it" : "there is no such section");
    }
    if (strcmp(r->ip, q->client_ip) != 0) {
        printf("note: Netdata sees the client IP '%s' as '%s'\n", q->client_ip, r->ip);
    }
    if (r->dns_used) {
        printf("note: a reverse DNS lookup took part; assumed %s (--dns-name NAME sets the "
               "confirmed name)\n", q->dns_name ? "its answer as given" : "that it fails");
    }
    if (r->code == ADMIT_TOO_BUSY && q->rate_elapsed < 0) {
        printf("note: while the limit is on, the first request that reaches this check after "
               "the parent starts is refused (--rate-elapsed SECONDS for a later one)\n");
    }
    if (!r->key && r->code >= ADMIT_KEY_NOT_API) {
        case_note(x, 0, q->key);
    }
    if (!r->machine && r->code >= ADMIT_KEY_NOT_API) {
        case_note(x, 1, q->machine_guid);
    }
}

static void show_admission(const Ex *x)
{
    printf("\n# the settings the decision reads, in Netdata's order\n");
    static const struct { unsigned sec; const char *key; } g[] = {
        { SEC_WEB, "mode" }, { SEC_WEB, "bind to" }, { SEC_WEB, "default port" },
        { SEC_WEB, "allow connections from" }, { SEC_WEB, "allow connections by dns" },
        { SEC_WEB, "allow streaming from" }, { SEC_WEB, "allow streaming by dns" },
    };
    for (size_t i = 0; i < sizeof g / sizeof g[0]; i++) {
        show_global(x, g[i].sec, g[i].key);
    }
    show_section(x, 0, &x->ks);
    show_section(x, 1, &x->ms);
    printf("\n");
    show_global(x, SEC_WEB, "accept a streaming request every seconds");
}

/* ---- --chart: would this node send it upstream? (config-semantics §5.5) ------------------ */

static void explain_match(const Ex *x, const PolicySetting *s, const char *what, const char *z)
{
    const void *prog = s ? policy_program(x->v, s) : NULL;
    long t = prog ? match_first_term(prog, z, strlen(z)) : -1;
    MatchResult m = prog ? match_run(prog, z, strlen(z)) : MATCH_NONE;
    printf("      %s '%s': %s", what, z, m == MATCH_POSITIVE ? "matched" : m == MATCH_NEGATIVE
           ? "excluded" : "no match");
    const char *text = s ? policy_str(x->v, s->text) : "";
    Arena a;
    PatList pl;
    arena_init(&a);
    if (t >= 0 && pattern_parse(&a, text, strlen(text), &pl) == 0 && (uint32_t)t < pl.n) {
        printf(" by '%.*s'", (int)pl.w[t].len, text + pl.w[t].off);
    }
    arena_free(&a);
    printf("\n");
}

static void chart_verdict(const Ex *x, const char *who, int sends, const char *why,
                          const char *key, const PolicySetting *pat)
{
    const char *id = x->o->chart, *name = x->o->chart_name ? x->o->chart_name : x->o->chart;
    const void *prog = pat ? policy_program(x->v, pat) : NULL;
    int hit = prog && (match_run(prog, id, strlen(id)) == MATCH_POSITIVE ||
                       match_run(prog, name, strlen(name)) == MATCH_POSITIVE);
    int anomaly = strncmp(id, "anomaly_detection.", 18) == 0;
    const char *verdict = !sends ? "not sent" : hit || anomaly ? "sent" : "not sent";
    printf("  %s: %s", who, verdict);
    if (!sends) {
        printf(" (%s)", why);
    } else if (anomaly) {
        printf(" (anomaly-detection charts skip the pattern)");
    }
    char org[128] = "default";
    if (pat) {
        origin_text(x, pat, org, sizeof org);
    }
    printf("\n    %s = %s  # %s%s\n", key, pat ? policy_str(x->v, pat->text) : "", org,
           pat && !prog ? " (empty: sends nothing)" : "");
    if (prog) {
        explain_match(x, pat, "id", id);
        explain_match(x, pat, "name", name);
    }
}

static void show_chart(const Ex *x)
{
    const PolicyView *v = x->v;
    printf("\n# chart '%s' (name '%s'): sent upstream when 'send charts matching' matches its id "
           "or its name positively\n", x->o->chart, x->o->chart_name ? x->o->chart_name
                                                                      : x->o->chart);
    int on = (v->node->flags & NODE_SENDER_ENABLED) != 0;
    const PolicySetting *own = policy_find_setting(v, NULL,
                                                   admit_row(SEC_STREAM, "send charts matching"));
    chart_verdict(x, "this node's own chart", on, "this node does not stream: [stream] enabled "
                  "is off or lacks a destination or an api key", "send charts matching", own);
    /* the child's chart, forwarded when this node proxies it */
    const char *via;
    const PolicySetting *pe = NULL, *pd = NULL, *pk = NULL, *pp = NULL;
    const char *names[] = { "proxy enabled", "proxy destination", "proxy api key",
                            "proxy send charts matching" };
    const PolicySetting **outs[] = { &pe, &pd, &pk, &pp };
    for (int i = 0; i < 4; i++) {
        unsigned mid = admit_row(SEC_MACHINE, names[i]);
        const PolicySetting *m = x->ms.p && !x->ms.other_table
                                     ? policy_find_setting(v, x->ms.p, mid) : NULL;
        if (m && m->origin == ORIGIN_MACHINE) {
            *outs[i] = m;
        } else if (x->ks.p && !x->ks.other_table) {
            *outs[i] = policy_find_setting(v, x->ks.p, api_row_for(names[i]));
        } else {
            Shown sh = api_layer(x, api_row_for(names[i]), &via);
            *outs[i] = sh.s;
        }
    }
    int fwd = pe && pe->num && pd && pd->text.len && pk && pk->text.len;
    chart_verdict(x, "this child's chart, forwarded by this node", fwd, "the child is not "
                  "proxied: proxy enabled is off or lacks a destination or an api key",
                  "proxy send charts matching", pp);
}

/* ---- command line --------------------------------------------------------------------- */

static const char *value_of(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    if (strncmp(argv[*i], name, n) != 0) {
        return NULL;
    }
    if (argv[*i][n] == '=') {
        return argv[*i] + n + 1;
    }
    if (argv[*i][n] || *i + 1 >= argc) {
        *missing = argv[*i][n] == 0;
        return NULL;
    }
    return argv[++*i];
}

static int parse_args(int argc, char **argv, Opts *o)
{
    memset(o, 0, sizeof *o);
    admit_request_init(&o->req);
    o->req.hostname = "child";
    int have_key = 0, have_guid = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int miss = 0;
        if ((v = value_of(argc, argv, &i, "--api-key", &miss))) {
            o->req.key = v;
            have_key = 1;
        } else if ((v = value_of(argc, argv, &i, "--machine-guid", &miss))) {
            o->req.machine_guid = v;
            have_guid = 1;
        } else if ((v = value_of(argc, argv, &i, "--from", &miss))) {
            o->req.client_ip = v;
        } else if ((v = value_of(argc, argv, &i, "--hostname", &miss))) {
            o->req.hostname = v;
        } else if ((v = value_of(argc, argv, &i, "--chart-name", &miss))) {
            o->chart_name = v;
        } else if ((v = value_of(argc, argv, &i, "--chart", &miss))) {
            o->chart = v;
        } else if ((v = value_of(argc, argv, &i, "--update-every", &miss))) {
            o->update_every = v;
        } else if ((v = value_of(argc, argv, &i, "--port", &miss))) {
            o->req.local_port = v;
        } else if ((v = value_of(argc, argv, &i, "--client-port", &miss))) {
            o->req.client_port = v;
        } else if ((v = value_of(argc, argv, &i, "--dns-name", &miss))) {
            o->req.dns_name = v;
        } else if ((v = value_of(argc, argv, &i, "--rate-elapsed", &miss))) {
            char *end;
            long long s = strtoll(v, &end, 10);
            if (*end || end == v || s < 0) {
                return usage("--rate-elapsed wants whole seconds, not '%s'", v);
            }
            o->req.rate_elapsed = s;
        } else if (miss) {
            return usage("option '%s' needs a value", a);
        } else if (strcmp(a, "--tls") == 0) {
            o->req.tls = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage("unknown option '%s'", a);
        } else if (!o->policy) {
            o->policy = a;
        } else {
            return usage("explain takes one policy, not also '%s'", a);
        }
    }
    if (!o->policy || !have_key || !have_guid || !o->req.client_ip) {
        return usage("%s", "explain needs POLICY, --api-key, --machine-guid and --from (an empty "
                     "value stands for a parameter the child does not send)");
    }
    if (!*o->req.client_ip) {
        return usage("%s", "--from needs the client's IP address");
    }
    if (o->chart_name && !o->chart) {
        return usage("%s", "--chart-name goes with --chart");
    }
    if (o->update_every) {
        char *end;
        strtoll(o->update_every, &end, 10);
        if (*end || end == o->update_every) {
            return usage("--update-every wants whole seconds, not '%s'", o->update_every);
        }
    }
    return 0;
}

int cmd_explain(int argc, char **argv)
{
    Opts o;
    if (parse_args(argc, argv, &o) != 0) {
        return 2;
    }
    Policy pol;
    const char *why = NULL;
    if (policy_open(&pol, o.policy, &why) != 0) {
        fprintf(stderr, "streamc: error: %s: %s\n", o.policy, why);
        return 2;
    }
    Ex x;
    memset(&x, 0, sizeof x);
    x.v = &pol.v;
    x.o = &o;
    const char *sf = policy_str(x.v, x.v->node->stream_file);
    const char *nf = policy_str(x.v, x.v->node->netdata_file);
    x.sfile = *sf ? sf : "stream.conf";
    x.nfile = *nf ? nf : "netdata.conf";
    AdmitResult r = admit_stream(x.v, &o.req);
    admit_section(x.v, 0, o.req.key, &x.ks);
    admit_section(x.v, 1, o.req.machine_guid, &x.ms);
    const char *host = policy_str(x.v, x.v->node->hostname);
    printf("# STREAM request from %s to the parent%s%s%s: api key '%s', machine guid '%s', "
           "hostname '%s'\n", o.req.client_ip, *host ? " '" : "", host, *host ? "'" : "",
           o.req.key, o.req.machine_guid, o.req.hostname);
    show_decision(&x, &r);
    show_admission(&x);
    show_child(&x);
    if (o.chart) {
        show_chart(&x);
    }
    policy_close(&pol);
    if (fflush(stdout) != 0) {
        return 2;
    }
    return r.accepted ? 0 : 1;
}

/*
** checks.c - cross-field and cross-file rules that no single schema row can express:
** streaming enabled without a destination, destinations and bind lists that cannot work,
** TLS ports without certificates, API keys on a node without a listener, and Netdata quirks
** (':SSL' cutting the list, 127.0.0.1 matched as 'localhost', mode none turning health off).
*/
#include <stdio.h>
#include <string.h>

#include "confdir.h"
#include "dest.h"
#include "pattern.h"
#include "types.h"

static DiagLoc at_entry_key(const Model *m, const Entry *e)
{
    return model_loc(m, &e->key);
}

/* A span inside an entry's value. */
static DiagLoc at_value(const Model *m, const Entry *e, size_t off, size_t n)
{
    Token t = e->val;
    t.z += off;
    t.col += (uint32_t)off;
    t.n = (uint32_t)n;
    return model_loc(m, &t);
}

static int val_is(const Entry *e, const char *w)
{
    return e && e->val.n == strlen(w) && memcmp(e->val.z, w, e->val.n) == 0;
}

static int is_true(const Entry *e)
{
    return e && types_bool(e->val.z, e->val.n);
}

static const Entry *sec_entry(const Model *m, const Section *s, const char *key)
{
    const Entry *e = model_find_entry(m, s, key, strlen(key));
    return e ? e->winner : NULL;
}

/* ---- destinations -------------------------------------------------------------------------- */

static void check_dest(Model *m, const Entry *e, DestFlavor flavor)
{
    if (e->flagged) {
        return;
    }
    DestList dl;
    dest_parse_list(e->val.z, e->val.n, flavor, &dl);
    for (size_t i = 0; i < dl.n; i++) {
        const DestEntry *d = &dl.e[i];
        const char *why = dest_entry_problem(d);
        if (why) {
            diag_add(m->diag, DIAG_BAD_DEST, at_value(m, e, d->off, d->n),
                     "destination '%.*s' cannot work: %s", (int)d->n, d->z, why);
        }
    }
    if (flavor == DEST_PROXY) {
        return;   /* a ':SSL' here is reported by dest_entry_problem: it stays in the port */
    }
    if (dl.tls && dl.cut_n < e->val.n) {
        size_t rest = dl.ssl_off + 4;
        while (rest < e->val.n && (e->val.z[rest] == ' ' || e->val.z[rest] == ',' ||
                                   e->val.z[rest] == '\t')) {
            rest++;
        }
        if (rest < e->val.n) {
            diag_add(m->diag, DIAG_DEST_SSL, at_value(m, e, rest, e->val.n - rest),
                     "Netdata 1.37.1 cuts the destination list at the first ':SSL': '%.*s' is "
                     "ignored, and TLS is used for every destination",
                     (int)(e->val.n - rest), e->val.z + rest);
        }
    }
}

static void check_stream_section(Node *n)
{
    Model *m = &n->stream;
    Section *s = model_find_section(m, "stream", 6);
    if (!s) {
        return;
    }
    const Entry *en = sec_entry(m, s, "enabled");
    const Entry *dest = sec_entry(m, s, "destination");
    const Entry *key = sec_entry(m, s, "api key");
    if (is_true(en)) {
        const char *missing = !dest || !dest->val.n ? "destination" : !key || !key->val.n ? "api key"
                                                                                          : NULL;
        if (missing) {
            diag_add(m->diag, DIAG_STREAM_INCOMPLETE, at_entry_key(m, en),
                     "streaming is enabled but '%s' is %s; Netdata logs an error and disables "
                     "streaming", missing,
                     (strcmp(missing, "destination") == 0 ? dest : key) ? "empty" : "not set");
        }
    }
    if (dest && dest->val.n) {
        check_dest(m, dest, DEST_STREAM);
        const Entry *skip = sec_entry(m, s, "ssl skip certificate verification");
        const char *ssl = memmem(dest->val.z, dest->val.n, ":SSL", 4);
        if (ssl && is_true(skip)) {
            Diag *g = diag_add(m->diag, DIAG_DEST_SSL,
                               at_value(m, dest, (size_t)(ssl - dest->val.z), 4),
                               "TLS without certificate verification: the parent's identity is "
                               "not checked");
            diag_note(m->diag, g, at_entry_key(m, skip), "verification is skipped here");
        }
    }
    const Entry *scm = sec_entry(m, s, "send charts matching");
    if (scm && scm->val.n == 0) {
        diag_add(m->diag, DIAG_EMPTY_PATTERN, at_entry_key(m, scm),
                 "an empty 'send charts matching' sends no charts at all; use '*' to send all");
    }
}

/* The words of a pattern value, split exactly as Netdata splits them (pattern.c), so these
   checks see the same words as the lint and the matcher. 0 when out of memory. */
static int words(Model *m, const Entry *e, PatList *pl)
{
    if (pattern_parse(m->arena, e->val.z, e->val.n, pl) != 0) {
        m->diag->oom = 1;
        return 0;
    }
    return 1;
}

/* ---- API-key and machine sections --------------------------------------------------------- */

static void check_allow_from(Model *m, const Entry *e)
{
    if (!e || e->flagged) {
        return;
    }
    if (e->val.n == 0) {
        diag_add(m->diag, DIAG_EMPTY_PATTERN, at_entry_key(m, e),
                 "an empty 'allow from' is no restriction at all (everyone is allowed); use '!*' "
                 "to refuse everyone or '*' to say so");
        return;
    }
    PatList pl;
    if (!words(m, e, &pl)) {
        return;
    }
    for (uint32_t i = 0; i < pl.n; i++) {
        const PatWord *w = &pl.w[i];
        if ((w->n == 9 && memcmp(w->text, "127.0.0.1", 9) == 0) ||
            (w->n == 3 && memcmp(w->text, "::1", 3) == 0)) {
            uint32_t neg = (uint32_t)w->negative;
            Diag *g = diag_add(m->diag, DIAG_LOCALHOST_IP,
                               at_value(m, e, w->off + neg, w->len - neg),
                               "Netdata matches a local child as 'localhost', never as '%.*s'; "
                               "this word matches nothing", (int)w->n, w->text);
            diag_fixit(m->diag, g, "localhost", 9);
        }
    }
}

static int api_enabled(const Model *m, const Section *s)
{
    return s->kind == SEC_API && is_true(sec_entry(m, s, "enabled"));
}

static void check_guid_sections(Node *n, const Entry *web_mode, const Entry *db_mode)
{
    Model *m = &n->stream;
    for (Section *s = m->first; s; s = s->next) {
        if (s->kind != SEC_API && s->kind != SEC_MACHINE) {
            continue;
        }
        int api = s->kind == SEC_API;
        check_allow_from(m, sec_entry(m, s, "allow from"));
        const Entry *pd = sec_entry(m, s, api ? "default proxy destination" : "proxy destination");
        if (pd && pd->val.n) {
            check_dest(m, pd, DEST_PROXY);
        }
        if (api && web_mode && api_enabled(m, s)) {
            Diag *g = diag_add(m->diag, DIAG_NO_LISTENER, model_loc(m, &s->name),
                               "API key [%.*s] is enabled, but [web] mode = none: this node has "
                               "no listener and can never receive a stream", (int)s->name.n,
                               s->name.z);
            diag_note(m->diag, g, model_loc(&n->netdata, &web_mode->key), "web server disabled here");
        }
        const Entry *mode = sec_entry(m, s, api ? "default memory mode" : "memory mode");
        const Entry *health = sec_entry(m, s, api ? "health enabled by default" : "health enabled");
        int mode_none = mode ? val_is(mode, "none") : (api && val_is(db_mode, "none"));
        if (mode_none && health && types_bool3(health->val.z, health->val.n, 0) != 0) {
            Diag *g = diag_add(m->diag, DIAG_MODE_NONE_HEALTH, at_entry_key(m, health),
                               "health is turned off for hosts with memory mode 'none', whatever "
                               "this says");
            if (mode) {
                diag_note(m->diag, g, at_entry_key(m, mode), "memory mode 'none' set here");
            }
        }
        if (!api && n->has_guid && s->name.n == 36 && memcmp(s->name.z, n->guid, 36) == 0) {
            diag_add(m->diag, DIAG_OWN_GUID, model_loc(m, &s->name),
                     "[%.*s] is this node's own machine GUID; a child presenting it is refused as "
                     "this node's localhost", (int)s->name.n, s->name.z);
        }
    }
}

/* ---- netdata.conf -------------------------------------------------------------------------- */

static int is_permission(const char *z, size_t n)
{
    static const char *const names[] = { "dashboard", "registry", "badges", "management",
                                         "streaming", "netdata.conf", NULL };
    for (int i = 0; names[i]; i++) {
        if (strlen(names[i]) == n && memcmp(z, names[i], n) == 0) {
            return 1;
        }
    }
    return 0;
}

static void check_bind_to(Node *n)
{
    Model *m = &n->netdata;
    const Entry *bt = node_entry(n, CONF_NETDATA, "web", "bind to");
    if (!bt) {
        return;
    }
    /* an old [global] name moved here lives in the same file, so the same model renders it */
    BindList bl;
    bind_parse_list(bt->val.z, bt->val.n, &bl);
    int tls = 0, streaming = 0;
    for (size_t i = 0; i < bl.n; i++) {
        const BindEntry *b = &bl.e[i];
        const char *why = bind_entry_problem(b);
        if (why) {
            diag_add(m->diag, DIAG_BAD_BIND, at_value(m, bt, b->off, b->n),
                     "bind to entry '%.*s': %s", (int)b->n, b->z, why);
        }
        if (!why && i > 0 && bl.e[i - 1].has_eq && b->off > 0 && !b->has_eq && !b->port_n &&
            bt->val.z[b->off - 1] == ',' && is_permission(b->host, b->host_n)) {
            diag_add(m->diag, DIAG_BAD_BIND, at_value(m, bt, b->off, b->n),
                     "bind to entry '%.*s': ',' separates entries, so this permission name is "
                     "read as a host to listen on (with every permission); join permissions "
                     "with '|'", (int)b->n, b->z);
        }
        tls |= b->ssl != BIND_SSL_DEFAULT;
        streaming |= (b->acl & BIND_STREAMING) != 0;
    }
    if (tls && (!node_entry(n, CONF_NETDATA, "web", "ssl key") ||
                !node_entry(n, CONF_NETDATA, "web", "ssl certificate"))) {
        const char *f = memmem(bt->val.z, bt->val.n, "^SSL=", 5);
        size_t fo = f ? (size_t)(f - bt->val.z) : 0, fl = 0;
        while (f && fo + fl < bt->val.n && !strchr(" \t,|", bt->val.z[fo + fl])) {
            fl++;
        }
        diag_add(m->diag, DIAG_TLS_NO_CERT,
                 f ? at_value(m, bt, fo, fl) : at_entry_key(m, bt),
                 "a TLS port, but [web] ssl key and ssl certificate are not both set: Netdata "
                 "looks for /etc/netdata/ssl/key.pem and cert.pem, and without them a "
                 "'^SSL=force' port refuses every stream");
    }
    if (bl.n && !streaming && n->has_stream) {
        for (Section *s = n->stream.first; s; s = s->next) {
            if (api_enabled(&n->stream, s)) {
                Diag *g = diag_add(m->diag, DIAG_NO_LISTENER, at_entry_key(m, bt),
                                   "no entry of 'bind to' allows 'streaming', but API keys are "
                                   "enabled: every child is refused with HTTP 403");
                diag_note(n->stream.diag, g, model_loc(&n->stream, &s->name),
                          "API key enabled here");
                break;
            }
        }
    }
}

/* Netdata's "heuristic" DNS mode: on when some word could be a host name (letters or a
   wildcard; an exact 'localhost' does not count) and no word holds ':' (IPv6). */
static int dns_heuristic_on(const PatList *pl)
{
    int name = 0;
    for (uint32_t i = 0; i < pl->n; i++) {
        const PatWord *w = &pl->w[i];
        if (memchr(w->text, ':', w->n)) {
            return 0;
        }
        if (w->n == 9 && memcmp(w->text, "localhost", 9) == 0) {
            continue;
        }
        for (uint32_t k = 0; k < w->n; k++) {
            char c = w->text[k];
            name |= c == '*' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        }
    }
    return name;
}

/* A positive word after word FROM that could match a host name (a letter, or a leading '*'),
   which is what lets a name check admit an address a negative word refused. */
static int later_name_word(const PatList *pl, uint32_t from)
{
    for (uint32_t i = from + 1; i < pl->n; i++) {
        const PatWord *w = &pl->w[i];
        int letter = 0;
        for (uint32_t k = 0; k < w->n; k++) {
            char c = w->text[k];
            letter |= (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        }
        if (!w->negative && (letter || w->text[0] == '*')) {
            return 1;
        }
    }
    return 0;
}

/* With DNS on, a negative word only filters the IP: the host name is tried next (spec 4.2). */
static void dns_negative(Model *m, const Entry *e, const PatList *pl, const Entry *dns,
                         const char *dnskey)
{
    for (uint32_t i = 0; i < pl->n; i++) {
        const PatWord *w = &pl->w[i];
        if (!w->negative || !later_name_word(pl, i)) {
            continue;   /* no later word can match a host name: the IP check decides */
        }
        Diag *g = diag_add(m->diag, DIAG_PAT_DNS_NEGATIVE, at_value(m, e, w->off, w->len),
                           "with DNS lookups on, '%.*s' only keeps that address out while its "
                           "host name matches no later word: Netdata tries the name next; set "
                           "'%s' to no to make it reliable", (int)w->len, e->val.z + w->off,
                           dnskey);
        if (dns) {
            diag_note(m->diag, g, at_entry_key(m, dns), "DNS lookups chosen here");
        }
        return;
    }
}

/* Netdata 1.37.1's DNS heuristic loops forever on a word with '**' after a plain prefix. */
static void check_dns_hang(Node *n)
{
    Model *m = &n->netdata;
    for (Section *s = m->first; s; s = s->next) {
        if (s->kind != SEC_WEB && s->kind != SEC_REGISTRY) {
            continue;
        }
        for (Entry *e = s->first; e; e = e->next) {
            if (e->first_dup->winner != e) {
                continue;   /* only the value Netdata keeps */
            }
            if (!e->row || e->row->type != TY_PATTERN || e->key.n < 10 ||
                memcmp(e->key.z + e->key.n - 5, " from", 5) != 0) {
                continue;
            }
            char dnskey[128];
            snprintf(dnskey, sizeof dnskey, "%.*s by dns", (int)(e->key.n - 5), e->key.z);
            const Entry *dns = sec_entry(m, s, dnskey);
            const SchemaKey *row = schema_find(s->kind, dnskey, strlen(dnskey));
            const char *mode = dns ? NULL : row && row->dflt ? row->dflt : "heuristic";
            int heuristic = dns ? !(val_is(dns, "yes") || val_is(dns, "no"))
                                : strcmp(mode, "heuristic") == 0;   /* bad values fall back */
            PatList pl;
            if (!words(m, e, &pl)) {
                continue;
            }
            int dns_on = dns ? val_is(dns, "yes") : strcmp(mode, "yes") == 0;
            if (dns_on || (heuristic && dns_heuristic_on(&pl))) {
                dns_negative(m, e, &pl, dns, dnskey);
            }
            if (!heuristic) {
                continue;
            }
            for (uint32_t i = 1; i + 1 < e->val.n; i++) {
                if (e->val.z[i] == '*' && e->val.z[i + 1] == '*' && e->val.z[i - 1] != '*' &&
                    e->val.z[i - 1] != ' ' && e->val.z[i - 1] != '\t') {
                    uint32_t b = i;
                    while (b > 0 && e->val.z[b - 1] != ' ' && e->val.z[b - 1] != '\t') {
                        b--;
                    }
                    Diag *g = diag_add(m->diag, DIAG_PAT_HANG, at_value(m, e, b, i + 2 - b),
                                       "a word with '**' after a prefix makes Netdata 1.37.1's "
                                       "DNS heuristic loop forever: the agent hangs at start-up; "
                                       "use a single '*' or set '%s' to yes or no", dnskey);
                    if (dns) {
                        diag_note(m->diag, g, at_entry_key(m, dns), "the heuristic is chosen here");
                    }
                    break;
                }
            }
        }
    }
}

void checks_run(Node *n)
{
    const Entry *web_mode = NULL, *db_mode = NULL;
    if (n->has_netdata) {
        const Entry *wm = node_entry(n, CONF_NETDATA, "web", "mode");
        web_mode = val_is(wm, "none") ? wm : NULL;
        db_mode = node_entry(n, CONF_NETDATA, "db", "mode");
        check_bind_to(n);
        check_dns_hang(n);
        const Entry *rate = node_entry(n, CONF_NETDATA, "web",
                                       "accept a streaming request every seconds");
        size_t used;
        int over;
        if (rate && types_int(rate->val.z, rate->val.n, &used, &over) > 0) {
            diag_add(n->netdata.diag, DIAG_RATE_FIRST, at_entry_key(&n->netdata, rate),
                     "Netdata 1.37.1 starts this timer at the first STREAM request, so the first "
                     "request after every start is refused ('too busy'; the child retries)");
        }
        const Entry *health = node_entry(n, CONF_NETDATA, "health", "enabled");
        if (val_is(db_mode, "none") && health && is_true(health)) {
            Diag *g = diag_add(n->netdata.diag, DIAG_MODE_NONE_HEALTH,
                               at_entry_key(&n->netdata, health),
                               "health is turned off on a node with memory mode 'none', whatever "
                               "this says");
            diag_note(n->netdata.diag, g, at_entry_key(&n->netdata, db_mode),
                      "memory mode 'none' set here");
        }
    }
    if (n->has_stream) {
        check_stream_section(n);
        check_guid_sections(n, web_mode, db_mode);
    }
}

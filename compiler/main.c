/*
** main.c - the streamc command line: a table of subcommands {name, function, usage}.
**
** Exit status everywhere: 0 clean, 1 findings at error level, 2 usage or I/O failure.
*/
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "confdir.h"
#include "diag_render.h"
#include "emit.h"
#include "policy_sign.h"
#include "verify_cmd.h"
#include "match.h"
#include "pattern.h"

typedef struct CheckOpts {
    NodeInput in;
    RenderFormat format;
    int werror, quiet;
    unsigned max_errors;
} CheckOpts;

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "streamc: error: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'streamc help'.\n");
    return 2;
}

/* "--name=value" or "--name value": the value, advancing *i; NULL if ARG is not NAME. */
static const char *opt_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (strncmp(a, name, n) != 0) {
        return NULL;
    }
    if (a[n] == '=') {
        return a + n + 1;
    }
    if (a[n] != 0) {
        return NULL;
    }
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int check_one(Render *r, const CheckOpts *o, const NodeInput *in, int *io)
{
    Arena a;
    DiagSink d;
    Node node;
    arena_init(&a);
    diag_init(&d, &a);
    d.werror = o->werror;
    if (node_check(&node, &a, &d, in) != 0) {
        *io = 1;
    }
    render_sink(r, &d);
    int status = diag_exit_status(&d);
    arena_free(&a);
    return status;
}

static int cmd_check(int argc, char **argv)
{
    CheckOpts o;
    memset(&o, 0, sizeof o);
    o.max_errors = 50;
    const char **dirs = calloc((size_t)argc + 1, sizeof *dirs);
    int ndirs = 0;
    if (!dirs) {
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if ((v = opt_value(argc, argv, &i, "--stream-conf", &missing))) {
            o.in.stream_conf = v;
        } else if ((v = opt_value(argc, argv, &i, "--netdata-conf", &missing))) {
            o.in.netdata_conf = v;
        } else if ((v = opt_value(argc, argv, &i, "--machine-guid", &missing))) {
            o.in.machine_guid = v;
        } else if ((v = opt_value(argc, argv, &i, "--format", &missing))) {
            int f = render_format_from_name(v);
            if (f < 0) {
                free(dirs);
                return usage_error("unknown format '%s': expected text, json or sarif", v);
            }
            o.format = (RenderFormat)f;
        } else if ((v = opt_value(argc, argv, &i, "--max-errors", &missing))) {
            char *end;
            long x = strtol(v, &end, 10);
            if (*end || x < 0 || x > 1000000) {
                free(dirs);
                return usage_error("--max-errors wants a number 0..1000000, not '%s'", v);
            }
            o.max_errors = (unsigned)x;
        } else if (missing) {
            free(dirs);
            return usage_error("option '%s' needs a value", a);
        } else if (strcmp(a, "-Werror") == 0) {
            o.werror = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            o.quiet = 1;
        } else if (a[0] == '-' && a[1]) {
            free(dirs);
            return usage_error("unknown option '%s'", a);
        } else {
            dirs[ndirs++] = a;
        }
    }
    int explicit = o.in.stream_conf || o.in.netdata_conf;
    if (!ndirs && !explicit) {
        free(dirs);
        return usage_error("%s", "check needs a config directory or --stream-conf/--netdata-conf");
    }
    if (explicit && ndirs > 1) {
        free(dirs);
        return usage_error("%s", "--stream-conf/--netdata-conf go with at most one directory");
    }
    Render r;
    render_begin(&r, stdout, o.format);
    r.quiet = o.quiet;
    r.max_errors = o.max_errors;
    int status = 0, io = 0;
    if (explicit || ndirs <= 1) {
        NodeInput in = o.in;
        in.dir = ndirs ? dirs[0] : NULL;
        status = check_one(&r, &o, &in, &io);
    } else {
        for (int i = 0; i < ndirs; i++) {
            NodeInput in = o.in;
            in.dir = dirs[i];
            if (check_one(&r, &o, &in, &io)) {
                status = 1;
            }
        }
    }
    render_end(&r);
    free(dirs);
    if (fflush(stdout) != 0) {
        return 2;
    }
    return io ? 2 : status;
}

/* streamc match 'PATTERN' STRING...: the compiled program, run as the runtime runs it. */
static int cmd_match(int argc, char **argv)
{
    int mode = PATTERN_AUTO, i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        if (strcmp(argv[i], "--linear") == 0) {
            mode = PATTERN_LINEAR;
        } else if (strcmp(argv[i], "--indexed") == 0) {
            mode = PATTERN_INDEXED;
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else {
            return usage_error("unknown option '%s'", argv[i]);
        }
    }
    if (i >= argc) {
        return usage_error("%s", "match needs a PATTERN and strings to match");
    }
    const char *pat = argv[i++];
    Arena a;
    arena_init(&a);
    PatList pl;
    size_t size = 0;
    void *prog = NULL;
    if (pattern_parse(&a, pat, strlen(pat), &pl) == 0) {
        prog = pattern_compile(&a, &pl, mode, &size);
    }
    const char *why = prog ? pattern_prog_verify(prog, size) : "out of memory";
    if (why) {
        fprintf(stderr, "streamc: error: %s\n", why);
        arena_free(&a);
        return 2;
    }
    if (pl.n == 0) {
        fprintf(stderr, "streamc: note: empty pattern: it matches nothing; Netdata's callers read "
                "an empty 'allow from' as allow-all and an empty 'send charts matching' as "
                "send-nothing\n");
    }
    static const char *const verdict[] = { "no match", "match", "excluded" };
    for (; i < argc; i++) {
        printf("%s\t%s\n", argv[i], verdict[match_run(prog, argv[i], strlen(argv[i]))]);
    }
    arena_free(&a);
    return fflush(stdout) == 0 ? 0 : 2;
}

/* Fill the room emit_policy left after the body with the Ed25519 signature trailer. */
static int sign_blob(uint8_t *blob, size_t size, const char *key, const char **why)
{
    PolicySig sig;
    size_t body = size - sizeof sig;
    const char *r = policy_sign_body(blob, body, key, &sig);
    if (r) {
        static char reason[300];
        snprintf(reason, sizeof reason, "cannot sign with '%s': %s", key, r);
        *why = reason;
        return -1;
    }
    memcpy(blob + body, &sig, sizeof sig);
    return 0;
}

/* streamc compile CONFDIR -o FILE: check, resolve, lay out, write atomically. */
static int cmd_compile(int argc, char **argv)
{
    NodeInput in;
    memset(&in, 0, sizeof in);
    const char *out = NULL, *sign = NULL;
    unsigned flags = 0;
    int werror = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if ((v = opt_value(argc, argv, &i, "-o", &missing)) ||
            (v = opt_value(argc, argv, &i, "--output", &missing))) {
            out = v;
        } else if ((v = opt_value(argc, argv, &i, "--stream-conf", &missing))) {
            in.stream_conf = v;
        } else if ((v = opt_value(argc, argv, &i, "--netdata-conf", &missing))) {
            in.netdata_conf = v;
        } else if ((v = opt_value(argc, argv, &i, "--machine-guid", &missing))) {
            in.machine_guid = v;
        } else if ((v = opt_value(argc, argv, &i, "--sign", &missing))) {
            sign = v;
        } else if (missing) {
            return usage_error("option '%s' needs a value", a);
        } else if (strcmp(a, "--strip") == 0) {
            flags |= EMIT_STRIP;
        } else if (strcmp(a, "-Werror") == 0) {
            werror = 1;
        } else if (a[0] == '-' && a[1]) {
            return usage_error("unknown option '%s'", a);
        } else if (in.dir) {
            return usage_error("compile takes one config directory, not '%s' too", a);
        } else {
            in.dir = a;
        }
    }
    if (!out) {
        return usage_error("%s", "compile needs -o FILE");
    }
    if (!in.dir && !in.stream_conf && !in.netdata_conf) {
        return usage_error("%s", "compile needs a config directory or --stream-conf/--netdata-conf");
    }
    Arena a;
    DiagSink d;
    Node node;
    Render r;
    arena_init(&a);
    diag_init(&d, &a);
    d.werror = werror;
    int io = node_check(&node, &a, &d, &in) != 0;
    render_begin(&r, stderr, RENDER_TEXT);
    render_sink(&r, &d);
    render_end(&r);
    int status = io ? 2 : diag_exit_status(&d);
    Resolved res;
    uint8_t *blob = NULL;
    size_t size = 0;
    const char *why = NULL;
    if (status == 0) {
        if (resolve_node(&node, &a, &res) != 0) {
            why = "out of memory";
        } else if (emit_policy(&node, &res, flags, sign != NULL, &blob, &size, &why) == 0 &&
                   sign && sign_blob(blob, size, sign, &why) != 0) {
            free(blob);
            blob = NULL;
        }
        if (blob && emit_write_file(out, blob, size, &why) != 0) {
            status = 2;
        } else if (!blob) {
            status = 2;
        }
    }
    if (status != 0) {
        /* like make's .DELETE_ON_ERROR: an old policy must not pass for the result */
        int removed = unlink(out) == 0;
        fprintf(stderr, "streamc: error: %s%s%s; '%s' not written%s\n", why ? why : "",
                why ? "" : "the configuration has errors", "", out,
                removed ? " (the previous file was removed)" : "");
    }
    free(blob);
    arena_free(&a);
    return status;
}

static int cmd_help(int argc, char **argv);
int cmd_dump(int argc, char **argv);   /* dump.c */
int cmd_explain(int argc, char **argv);   /* explain.c */
int cmd_fleet(int argc, char **argv);     /* fleet_cmd.c */

static const struct Command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *usage;
} commands[] = {
    { "check", cmd_check,
      "check [--format=text|json|sarif] [-Werror] [--max-errors=N] [-q]\n"
      "        [--stream-conf F] [--netdata-conf F] [--machine-guid G|FILE] [CONFDIR...]\n"
      "    Lint one node's stream.conf and netdata.conf (or many config directories)." },
    { "compile", cmd_compile,
      "compile [--strip] [--sign KEY.pem] [-Werror] -o FILE [--stream-conf F] [--netdata-conf F]\n"
      "        [--machine-guid G|FILE] [CONFDIR]\n"
      "    Check, then write the binary policy atomically (nothing is written on errors)." },
    { "dump", cmd_dump,
      "dump [--stream-conf-only|--netdata-conf-only] [--out-dir DIR] POLICY\n"
      "    Print the settings a policy holds as canonical stream.conf and netdata.conf text\n"
      "    (or write them into DIR); compiling that text gives the same policy." },
    { "explain", cmd_explain,
      "explain POLICY --api-key K --machine-guid G --from IP [--hostname H] [--chart ID\n"
      "        [--chart-name NAME]] [--update-every N] [--port P] [--tls] [--client-port P]\n"
      "        [--dns-name NAME] [--rate-elapsed S]\n"
      "    The decision a Netdata 1.37.1 parent with this policy takes on that STREAM request\n"
      "    (exit 0 accepted, 1 refused), every effective setting for the child with its\n"
      "    origin, and whether a chart is sent upstream." },
    { "fleet", cmd_fleet,
      "fleet [--format=text|json|sarif] [--graph=dot|html] [-Werror] MANIFEST|DIR\n"
      "    Check a fleet's configurations against each other: every child -> parent pair\n"
      "    simulated (destination, TLS, admission), proxy chains and topology; exit 1 when\n"
      "    a child would be refused." },
    { "match", cmd_match,
      "match [--linear|--indexed] 'PATTERN' STRING...\n"
      "    Match strings against a Netdata simple pattern, printing STRING<TAB>match, no match\n"
      "    or excluded (the first matching term is negative)." },
    { "verify", cmd_verify,
      "verify [--key PUB.pem] POLICY...\n"
      "    Check a policy's integrity (header, checksum, every section) and, with --key, its\n"
      "    Ed25519 signature." },
    { "help", cmd_help, "help\n    This text." },
};

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("usage: streamc COMMAND [ARGS]\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        printf("  streamc %s\n\n", commands[i].usage);
    }
    printf("Exit status: 0 clean, 1 errors found, 2 usage or I/O failure.\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        cmd_help(0, NULL);
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("streamc 0.1.0 (Netdata 1.37.1 semantics)\n");
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        return cmd_help(0, NULL);
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            return commands[i].fn(argc - 1, argv + 1);
        }
    }
    return usage_error("unknown command '%s'", argv[1]);
}

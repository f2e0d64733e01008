/*
** fuzz_fleet.c - libFuzzer target for fleet manifests: the input is written as fleet.conf next
** to three fixed node directories (a parent with two API keys, a TLS port and patterns; a plain
** child; a proxy), then loaded, simulated, and printed as verdicts, text findings, DOT and HTML
** to /dev/null. Any crash, sanitizer report or leak is a finding; the fleet's verdicts are not
** checked here (tests/integration/fleet*.sh and fleet_property.py do that).
*/
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag_render.h"
#include "fleet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static FILE *devnull;

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        abort();
    }
    fputs(text, f);
    fclose(f);
}

/* Remove the fixed node directories when the fuzzer exits (libFuzzer calls exit()). */
static void cleanup(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (dir[0] && system(cmd) != 0) {
        fprintf(stderr, "fuzz_fleet: could not remove %s\n", dir);
    }
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/fuzz_fleet.XXXXXX");
    if (!mkdtemp(dir)) {
        abort();
    }
    static const char *const dirs[] = { "parent", "child", "proxy" };
    for (int i = 0; i < 3; i++) {
        char p[128];
        snprintf(p, sizeof p, "%s/%s", dir, dirs[i]);
        mkdir(p, 0755);
    }
    put("parent/stream.conf", "[stream]\n enabled = no\n"
        "[11111111-2222-3333-4444-555555555555]\n enabled = yes\n allow from = 10.* localhost\n"
        "[22222222-2222-3333-4444-555555555555]\n enabled = yes\n allow from = !10.0.0.9 *\n"
        "[aaaaaaaa-0000-4000-8000-000000000002]\n type = machine\n memory mode = ram\n");
    put("parent/netdata.conf", "[web]\n bind to = *=dashboard|streaming *:20000=streaming^SSL=force\n"
        " ssl key = /k.pem\n ssl certificate = /c.pem\n allow streaming from = 10.* localhost\n");
    put("parent/netdata.public.unique.id", "aaaaaaaa-0000-4000-8000-000000000001");
    put("child/stream.conf", "[stream]\n enabled = yes\n destination = p.lan proxy.lan:19999\n"
        " api key = 11111111-2222-3333-4444-555555555555\n");
    put("child/netdata.conf", "[db]\n mode = dbengine\n");
    put("child/netdata.public.unique.id", "aaaaaaaa-0000-4000-8000-000000000002");
    put("proxy/stream.conf", "[stream]\n enabled = yes\n destination = p.lan:20000:SSL\n"
        " api key = 22222222-2222-3333-4444-555555555555\n ssl skip certificate verification = yes\n"
        "[11111111-2222-3333-4444-555555555555]\n enabled = yes\n default proxy enabled = yes\n");
    put("proxy/netdata.public.unique.id", "aaaaaaaa-0000-4000-8000-000000000003");
    devnull = fopen("/dev/null", "w");
    if (!devnull) {
        abort();
    }
    atexit(cleanup);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        setup();
    }
    if (size > 1 << 16) {
        return 0;   /* manifests are small; bigger inputs only slow the search down */
    }
    char path[128];
    snprintf(path, sizeof path, "%s/fleet.conf", dir);
    FILE *f = fopen(path, "wb");
    if (!f) {
        abort();
    }
    fwrite(data, 1, size, f);
    fclose(f);
    Arena a;
    DiagSink d;
    Fleet fl;
    arena_init(&a);
    diag_init(&d, &a);
    if (fleet_load(&fl, &a, &d, path) == 0) {
        fleet_analyse(&fl);
        fleet_print_verdicts(&fl, devnull);
        fleet_graph_dot(&fl, devnull);
        fleet_graph_html(&fl, devnull);
        (void)fleet_status(&fl);
    }
    Render r;
    render_begin(&r, devnull, RENDER_TEXT);
    render_sink(&r, &d);
    render_end(&r);
    fleet_free(&fl);
    arena_free(&a);
    return 0;
}

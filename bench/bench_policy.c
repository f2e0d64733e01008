/*
** bench_policy.c - the policy blob at scale: 10,000 API keys and 100,000 machine GUIDs.
**
** Usage: bench_policy [CONFDIR]     (run from the project root, as bench/run.py does)
**
** Without CONFDIR, bench/gen_policy_fleet.py writes build/bench/policy_fleet once (seeded,
** byte-identical every time). Then, in one run, best of several repetitions each:
**   compile      wall time of `build/bench/streamc compile CONFDIR -o FILE` (posix_spawn), and
**                with --sign (a key made once with `openssl genpkey -algorithm ed25519`);
**   size         of the policy file, and of the stream.conf it came from;
**   load+verify  policy_open + policy_close (mmap, every check of policy_view_init), best of 10;
**   signature    policy_check_signature on the signed policy (Ed25519 over the body);
**   lookup       ns per policy_find_key, 1e6 lookups of random existing keys (API keys and
**                machine GUIDs alike) and 1e6 of random GUIDs that are not in the policy;
**   baselines    what the same stream.conf costs without a policy:
**                1. the real Netdata 1.37.1 loading it (bench/netdata_stream_load.sh: the time
**                   appconfig_load spends from open to close of stream.conf inside the daemon);
**                   skipped with the reason when netdata or strace is not installed;
**                2. `streamc check` of the same text (parse + validate), always.
** Prints each figure with its target and its ratio to the baselines, then one "RESULT k=v ..."
** line. Exit 1 only when something cannot run (a missing binary, a refused policy), never
** because a figure misses its target: benches report, they do not gate.
*/
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "policy_sign.h"

extern char **environ;

#define FLEET "build/bench/policy_fleet"
#define POLICY_OUT "build/bench/policy_fleet.policy"
#define SIGNED_OUT "build/bench/policy_fleet.signed.policy"
#define BENCH_KEY "build/bench/policy_bench_key.pem"
#define STREAMC "build/bench/streamc"
#define ND_WORK "build/bench/netdata_baseline"
#define ND_OUT "build/bench/netdata_baseline.txt"
#define NLOOKUPS 1000000u
#define NMISSING 4096u

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Run ARGV (PATH search), stdout to OUT_PATH (NULL: /dev/null), stderr kept unless QUIET.
   Returns the exit status, 127 when it could not start, 128+N on signal N; *SECS = wall time. */
static int run(char *const argv[], const char *out_path, int quiet, double *secs)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out_path ? out_path : "/dev/null",
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (quiet) {
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    }
    pid_t pid;
    double t0 = now();
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        fprintf(stderr, "bench_policy: cannot run %s: %s\n", argv[0], strerror(rc));
        return 127;
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            return 127;
        }
    }
    if (secs) {
        *secs = now() - t0;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Best wall time of RUNS runs of ARGV that must exit with status 0; negative on failure. */
static double best_of(char *const argv[], int runs)
{
    double best = -1;
    for (int i = 0; i < runs; i++) {
        double t;
        int rc = run(argv, NULL, 1, &t);     /* warnings would cost render time: discard */
        if (rc != 0) {
            fprintf(stderr, "bench_policy: %s %s %s exited %d (run it by hand to see why)\n",
                    argv[0], argv[1], argv[2], rc);
            return -1;
        }
        if (best < 0 || t < best) {
            best = t;
        }
    }
    return best;
}

static long long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long long)st.st_size : -1;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng_next(void)              /* xorshift64*: deterministic, cheap */
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1du;
}

static void random_guid(char out[37])
{
    static const char hex[] = "0123456789abcdef";
    uint64_t a = rng_next(), b = rng_next();
    int k = 0;
    for (int i = 0; i < 32; i++) {
        if (i == 8 || i == 12 || i == 16 || i == 20) {
            out[k++] = '-';
        }
        uint64_t w = i < 16 ? a : b;
        out[k++] = hex[(w >> (4 * (i & 15))) & 15];
    }
    out[36] = 0;
}

/* ns per policy_find_key over the N (table, text) probes; *FOUND counts hits. */
static double time_lookups(const PolicyView *v, const char *const *text, const uint8_t *table,
                           uint32_t n, uint32_t *found)
{
    uint32_t hits = 0;
    double t0 = now();
    for (uint32_t i = 0; i < n; i++) {
        hits += policy_find_key(v, table[i], text[i], 36) != NULL;
    }
    double t = now() - t0;
    *found = hits;
    return t * 1e9 / n;
}

typedef struct Lookup {
    double existing_ns, missing_ns;
    uint32_t existing_found, missing_found;
} Lookup;

static int bench_lookups(const PolicyView *v, Lookup *out)
{
    uint32_t total = v->napikeys + v->nmachines;
    const char **text = malloc(NLOOKUPS * sizeof *text);
    uint8_t *table = malloc(NLOOKUPS);
    char (*missing)[37] = malloc(NMISSING * sizeof *missing);
    char (*probe)[37] = malloc(NLOOKUPS * sizeof *probe);
    if (!text || !table || !missing || !probe || total == 0) {
        free(text);
        free(table);
        free(missing);
        free(probe);
        fprintf(stderr, "bench_policy: %s\n", total ? "out of memory" : "the policy has no keys");
        return -1;
    }
    for (uint32_t i = 0; i < NLOOKUPS; i++) {       /* uniform over all sections */
        uint32_t k = (uint32_t)(rng_next() % total);
        int m = k >= v->napikeys;
        const PolicyKey *key = m ? &v->machines[k - v->napikeys] : &v->apikeys[k];
        /* a copy, read in order as from a receive buffer: the lookup, not the probe, pays */
        memcpy(probe[i], policy_str(v, key->text), 37);
        text[i] = probe[i];
        table[i] = (uint8_t)m;
    }
    out->existing_ns = time_lookups(v, text, table, NLOOKUPS, &out->existing_found);
    for (uint32_t i = 0; i < NMISSING; i++) {
        random_guid(missing[i]);
    }
    for (uint32_t i = 0; i < NLOOKUPS; i++) {
        uint32_t k = (uint32_t)(rng_next() % NMISSING);
        text[i] = missing[k];
        table[i] = (uint8_t)(rng_next() % 10 != 0);   /* machines are 10 of 11 sections */
    }
    out->missing_ns = time_lookups(v, text, table, NLOOKUPS, &out->missing_found);
    free(text);
    free(table);
    free(missing);
    free(probe);
    return 0;
}

/* Best of RUNS policy_open + policy_close of PATH, in seconds; negative when refused. */
static double bench_load(const char *path, int runs)
{
    double best = -1;
    for (int i = 0; i < runs; i++) {
        Policy p;
        const char *why = NULL;
        double t0 = now();
        int rc = policy_open(&p, path, &why);
        policy_close(&p);
        double t = now() - t0;
        if (rc != 0) {
            fprintf(stderr, "bench_policy: %s: %s\n", path, why);
            return -1;
        }
        if (best < 0 || t < best) {
            best = t;
        }
    }
    return best;
}

/* Best of RUNS policy_check_signature over the signed policy, in seconds; negative on failure. */
static double bench_signature(const char *path, const char *key, int runs)
{
    Policy p;
    const char *why = NULL;
    if (policy_open(&p, path, &why) != 0) {
        fprintf(stderr, "bench_policy: %s: %s\n", path, why);
        return -1;
    }
    double best = -1;
    for (int i = 0; i < runs && why == NULL; i++) {
        double t0 = now();
        why = policy_check_signature(&p.v, key);
        double t = now() - t0;
        if (best < 0 || t < best) {
            best = t;
        }
    }
    policy_close(&p);
    if (why) {
        fprintf(stderr, "bench_policy: %s: %s\n", path, why);
        return -1;
    }
    return best;
}

/* The real Netdata's load time of CONF (best of 3), or a negative value with *WHY set. */
static double netdata_baseline(const char *conf, char *version, size_t vlen, const char **why)
{
    char *argv[] = { "bash", "bench/netdata_stream_load.sh", (char *)conf, ND_WORK, "3", NULL };
    int rc = run(argv, ND_OUT, 0, NULL);
    if (rc == 3) {
        *why = "netdata 1.37.1 or strace is not installed";
        return -1;
    }
    FILE *f = fopen(ND_OUT, "r");
    char line[512];
    double s = -1;
    snprintf(version, vlen, "netdata");
    while (f && fgets(line, sizeof line, f)) {
        char ver[128];
        if (sscanf(line, "RESULT netdata_load_s=%lf runs=%*d version=%127s", &s, ver) >= 1) {
            snprintf(version, vlen, "%s", ver);
        }
    }
    if (f) {
        fclose(f);
    }
    if (rc != 0 || s <= 0) {
        *why = "bench/netdata_stream_load.sh failed (see its messages above)";
        return -1;
    }
    return s;
}

static const char *verdict(double x, double target)
{
    return x < target ? "met" : "MISSED";
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : FLEET;
    if (argc <= 1) {
        char *gen[] = { "python3", "bench/gen_policy_fleet.py", FLEET, NULL };
        if (run(gen, NULL, 0, NULL) != 0) {
            fprintf(stderr, "bench_policy: bench/gen_policy_fleet.py failed\n");
            return 1;
        }
    }
    if (access(STREAMC, X_OK) != 0) {
        fprintf(stderr, "bench_policy: %s is not built (ninja bench builds it)\n", STREAMC);
        return 1;
    }
    if (access(BENCH_KEY, R_OK) != 0) {
        char *gen[] = { "openssl", "genpkey", "-algorithm", "ed25519", "-out", BENCH_KEY, NULL };
        if (run(gen, NULL, 1, NULL) != 0) {
            fprintf(stderr, "bench_policy: openssl genpkey failed\n");
            return 1;
        }
    }
    char conf[4096];
    snprintf(conf, sizeof conf, "%s/stream.conf", dir);
    long long conf_size = file_size(conf);

    char *compile[] = { STREAMC, "compile", (char *)dir, "-o", POLICY_OUT, NULL };
    char *compile_signed[] = { STREAMC, "compile", (char *)dir, "-o", SIGNED_OUT,
                               "--sign", BENCH_KEY, NULL };
    char *check[] = { STREAMC, "check", "-q", (char *)dir, NULL };
    double t_compile = best_of(compile, 3);
    double t_compile_signed = t_compile < 0 ? -1 : best_of(compile_signed, 3);
    if (t_compile < 0 || t_compile_signed < 0) {
        return 1;
    }
    long long size = file_size(POLICY_OUT);
    double t_load = bench_load(POLICY_OUT, 10);
    double t_load_signed = t_load < 0 ? -1 : bench_load(SIGNED_OUT, 10);
    double t_sig = t_load_signed < 0 ? -1 : bench_signature(SIGNED_OUT, BENCH_KEY, 3);
    if (t_load < 0 || t_sig < 0) {
        return 1;
    }
    Policy p;
    const char *why = NULL;
    Lookup lk;
    if (policy_open(&p, POLICY_OUT, &why) != 0) {
        fprintf(stderr, "bench_policy: %s: %s\n", POLICY_OUT, why);
        return 1;
    }
    uint32_t napi = p.v.napikeys, nmach = p.v.nmachines;
    int lrc = bench_lookups(&p.v, &lk);
    policy_close(&p);
    if (lrc != 0) {
        return 1;
    }
    double t_check = best_of(check, 3);
    char ndver[128];
    const char *ndwhy = NULL;
    double t_nd = netdata_baseline(conf, ndver, sizeof ndver, &ndwhy);

    printf("policy: %u API keys, %u machine GUIDs from %s (%.2f MB of stream.conf)\n", napi,
           nmach, conf, (double)conf_size / 1e6);
    printf("%-44s %9.3f s    target < 1 s: %s\n", "compile (streamc compile, best of 3)",
           t_compile, verdict(t_compile, 1.0));
    printf("%-44s %9.3f s    target < 1 s: %s\n", "compile --sign (Ed25519, best of 3)",
           t_compile_signed, verdict(t_compile_signed, 1.0));
    printf("%-44s %9.2f MB   (%.0f bytes per section; signed: +80 bytes)\n", "policy size",
           (double)size / 1e6, (double)size / (napi + nmach));
    printf("%-44s %9.3f ms   target < 5 ms: %s\n", "load+verify (policy_open+close, best of 10)",
           t_load * 1e3, verdict(t_load, 0.005));
    printf("%-44s %9.3f ms   (signed policy, without the signature check)\n",
           "load+verify signed (best of 10)", t_load_signed * 1e3);
    printf("%-44s %9.3f ms   (Ed25519 over the %.2f MB body; only with --key)\n",
           "signature check (best of 3)", t_sig * 1e3, (double)size / 1e6);
    printf("%-44s %9.1f ns   target < 100 ns: %s (%u of %u found)\n",
           "lookup, existing keys (1e6 random)", lk.existing_ns, verdict(lk.existing_ns, 100),
           lk.existing_found, NLOOKUPS);
    printf("%-44s %9.1f ns   target < 100 ns: %s (%u of %u found)\n",
           "lookup, missing keys (1e6 random)", lk.missing_ns, verdict(lk.missing_ns, 100),
           lk.missing_found, NLOOKUPS);
    printf("%-44s %9.3f ms   (parse + validate of the same text, best of 3)\n",
           "baseline: streamc check", t_check * 1e3);
    if (t_nd > 0) {
        printf("%-44s %9.3f ms   (%s appconfig_load of the same stream.conf, best of 3)\n",
               "baseline: real Netdata loading stream.conf", t_nd * 1e3, ndver);
        printf("ratio: load+verify is %.0fx faster than Netdata's load of the text "
               "(%.0fx with the signature check), %.0fx faster than streamc check\n",
               t_nd / t_load, t_nd / (t_load_signed + t_sig), t_check / t_load);
    } else {
        printf("baseline: real Netdata skipped: %s\n", ndwhy);
        printf("ratio: load+verify is %.0fx faster than streamc check of the text "
               "(%.0fx with the signature check)\n", t_check / t_load,
               t_check / (t_load_signed + t_sig));
    }
    printf("RESULT api_keys=%u machines=%u conf_bytes=%lld policy_bytes=%lld compile_s=%.4f "
           "compile_signed_s=%.4f load_ms=%.4f load_signed_ms=%.4f sig_ms=%.4f "
           "lookup_hit_ns=%.1f lookup_miss_ns=%.1f check_s=%.4f netdata_load_s=%.4f\n", napi,
           nmach, conf_size, size, t_compile, t_compile_signed, t_load * 1e3,
           t_load_signed * 1e3, t_sig * 1e3, lk.existing_ns, lk.missing_ns, t_check,
           t_nd > 0 ? t_nd : -1.0);
    return 0;
}

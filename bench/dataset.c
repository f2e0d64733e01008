/*
** dataset.c - the datasets of bench/bench_storage: read a SCBENCH1 file (bench/record_proc.py's
** format), make the synthetic mix, and write a SCBENCH1 file from a dbengine host directory
** (`bench_storage --export`), so that format is known in this one file.
**
** Does not: measure anything (bench_storage.c does), or free a Dataset: a bench run keeps its
** datasets until it exits.
*/
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "policy_format.h"
#include "storage.h"

#define SYN_SERIES 1200
#define SYN_SLOTS 3600                /* one hour of 1 s slots: bench_storage's hour query fits */

/*
** Read the dataset file PATH (bench/record_proc.py's format) into *D: names and values are
** malloc'd and never freed. 0, or -1 when the file is missing, not SCBENCH1, or short (the
** caller prints the message). D->name is left as the caller set it.
*/
int dataset_load(const char *path, Dataset *d)
{
    FILE *f = fopen(path, "rb");
    uint8_t hdr[24];
    if (!f || fread(hdr, 1, sizeof hdr, f) != sizeof hdr || memcmp(hdr, "SCBENCH1", 8) != 0) {
        if (f) {
            fclose(f);
        }
        return -1;
    }
    memcpy(&d->series, hdr + 8, 4);
    memcpy(&d->samples, hdr + 12, 4);
    d->names = calloc(d->series, sizeof *d->names);
    d->v = malloc((size_t)d->series * d->samples * sizeof *d->v);
    char name[512];
    for (uint32_t s = 0; d->names && s < d->series; s++) {
        size_t n = 0;
        int c;
        while ((c = fgetc(f)) > 0 && n < sizeof name - 1) {
            name[n++] = (char)c;
        }
        name[n] = '\0';
        d->names[s] = strdup(name);
    }
    size_t want = (size_t)d->series * d->samples;
    int ok = d->names && d->v && fread(d->v, sizeof *d->v, want, f) == want;
    fclose(f);
    return ok ? 0 : -1;
}

/* ---- (b) the synthetic mix ----------------------------------------------------------------- */

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)rng;
}

/*
** Fill *D with the synthetic mix (b): SYN_SERIES series x SYN_SLOTS slots, a third each
** constant, counter (growing by 100-199 a slot) and gauge with noise; the same values on every
** run (a fixed xorshift seed).
*/
void dataset_synthetic(Dataset *d)
{
    d->name = "(b) synthetic mix";
    d->series = SYN_SERIES;
    d->samples = SYN_SLOTS;
    d->names = calloc(d->series, sizeof *d->names);
    d->v = malloc((size_t)d->series * d->samples * sizeof *d->v);
    for (uint32_t s = 0; s < d->series; s++) {
        char name[32];
        snprintf(name, sizeof name, "syn.%s%u", s % 3 == 0 ? "const" : s % 3 == 1 ? "counter"
                 : "gauge", s);
        d->names[s] = strdup(name);
        double c = (double)(rnd() % 100000), level = 10 + rnd() % 90;
        for (uint32_t i = 0; i < d->samples; i++) {
            float *v = &d->v[(size_t)s * d->samples + i];
            if (s % 3 == 0) {
                *v = (float)level;
            } else if (s % 3 == 1) {
                c += 100 + rnd() % 100;
                *v = (float)c;
            } else {
                *v = (float)(level + 10 * sin((double)i / 600 + s) + (rnd() % 1000) / 100.0);
            }
        }
    }
}

/* ---- --export: a dbengine host directory -> a dataset file --------------------------------- */

/* The distinct (chart, dimension) ids of DIR/dims.reg into *IDS (pairs of strings). */
static size_t reg_ids(const char *dir, char ***ids, uint32_t **ues)
{
    char path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/dims.reg", dir);
    FILE *f = fopen(path, "rb");
    uint8_t hdr[16], rec[16];
    size_t n = 0;
    *ids = NULL;
    *ues = NULL;
    if (!f || fread(hdr, 1, sizeof hdr, f) != sizeof hdr) {
        if (f) {
            fclose(f);
        }
        return 0;
    }
    while (fread(rec, 1, sizeof rec, f) == sizeof rec) {
        uint32_t ue, cl = (uint32_t)rec[12] | (uint32_t)rec[13] << 8;
        uint32_t dl = (uint32_t)rec[14] | (uint32_t)rec[15] << 8;
        memcpy(&ue, rec + 8, 4);
        char *c = calloc(1, cl + 1), *d = calloc(1, dl + 1);
        uint8_t chk[4];
        if (!c || !d || fread(c, 1, cl, f) != cl || fread(d, 1, dl, f) != dl
            || fread(chk, 1, 4, f) != 4) {
            free(c);
            free(d);
            break;
        }
        size_t k = 0;
        while (k < n && (strcmp((*ids)[2 * k], c) != 0 || strcmp((*ids)[2 * k + 1], d) != 0)) {
            k++;
        }
        if (k < n) {
            free(c);
            free(d);
            continue;
        }
        *ids = realloc(*ids, (n + 1) * 2 * sizeof **ids);
        *ues = realloc(*ues, (n + 1) * sizeof **ues);
        (*ids)[2 * n] = c;
        (*ids)[2 * n + 1] = d;
        (*ues)[n++] = ue;
    }
    fclose(f);
    return n;
}

/*
** --export DATA_DIR OUT: every update_every=1 dimension of the dbengine host DATA_DIR/localhost
** (what `streamd --data-dir DATA_DIR` writes for its own node) from its first to its last slot
** into OUT in record_proc.py's format (empty slots NAN), names "chart.dim". This turns a run of
** streamd's built-in collectors into dataset (a) of this bench. Returns bench_storage's exit
** status: 0, or 1 with a message on stderr.
*/
int dataset_export_dbengine(const char *data_dir, const char *out)
{
    char dir[PATH_MAX];
    char **ids;
    uint32_t *ues;
    snprintf(dir, sizeof dir, "%s/localhost/dbengine", data_dir);
    size_t n = reg_ids(dir, &ids, &ues);
    StorageConfig cfg = {.mode = POLICY_MODE_DBENGINE, .history = 3600, .data_dir = data_dir,
                         .host_guid = "localhost"};
    const StorageOps *o = &storage_dbengine_ops;
    StorageHost *h = n ? o->open_host(&cfg) : NULL;
    if (!h) {
        fprintf(stderr, "bench_storage: %s: no dbengine host with dimensions\n", dir);
        return 1;
    }
    StorageDim **dims = calloc(n, sizeof *dims);
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    uint32_t series = 0;
    for (size_t k = 0; dims && k < n; k++) {
        if (ues[k] != 1 || !(dims[k] = o->create_dim(h, ids[2 * k], ids[2 * k + 1], 1))
            || !o->last_t(dims[k])) {
            dims[k] = NULL;
            continue;
        }
        lo = o->first_t(dims[k]) < lo ? o->first_t(dims[k]) : lo;
        hi = o->last_t(dims[k]) > hi ? o->last_t(dims[k]) : hi;
        series++;
    }
    uint32_t samples = series ? (uint32_t)(hi - lo + 1) : 0;
    FILE *f = fopen(out, "wb");
    StoragePoint *p = malloc((samples + 1) * sizeof *p);
    float *v = malloc((samples + 1) * sizeof *v);
    uint32_t hdr[4] = {series, samples, 1, 0};
    int rc = !f || !p || !v || !dims || !series || fwrite("SCBENCH1", 1, 8, f) != 8
             || fwrite(hdr, 4, 4, f) != 4;
    size_t nw = rc ? 0 : n;
    if (rc) {
        fprintf(stderr, "bench_storage: cannot write %s\n", out);
    }
    for (size_t k = 0; k < nw; k++) {
        if (dims[k]) {
            fprintf(f, "%s.%s%c", ids[2 * k], ids[2 * k + 1], 0);
        }
    }
    for (size_t k = 0; k < nw; k++) {
        if (!dims[k]) {
            continue;
        }
        for (uint32_t i = 0; i < samples; i++) {
            v[i] = NAN;
        }
        size_t got = o->query(dims[k], lo, hi, p, samples);
        for (size_t i = 0; i < got; i++) {
            v[p[i].t - lo] = (float)p[i].v;
        }
        rc |= fwrite(v, sizeof *v, samples, f) != samples;
    }
    if (f) {
        rc |= fclose(f) != 0;
    }
    o->close_host(h);
    for (size_t k = 0; k < 2 * n; k++) {
        free(ids[k]);
    }
    free(ids);
    free(ues);
    free(dims);
    free(p);
    free(v);
    if (!rc) {
        printf("bench_storage: exported %u series x %u slots (t %lld..%lld) to %s\n", series,
               samples, (long long)lo, (long long)hi, out);
    }
    return rc;
}

/*
** dataset.h - the datasets of bench/bench_storage: series of float values, one per slot, as
** bench/record_proc.py records them (the SCBENCH1 file format, described in that script) or as
** dataset_synthetic() makes them. Not an API: bench_storage's own module.
*/
#ifndef STREAMC_DATASET_H
#define STREAMC_DATASET_H

#include <stdint.h>

typedef struct Dataset {
    const char *name;
    char **names;
    float *v;                       /* series-major: v[s * samples + i] */
    uint32_t series, samples;
} Dataset;

int dataset_load(const char *path, Dataset *d);
void dataset_synthetic(Dataset *d);
int dataset_export_dbengine(const char *data_dir, const char *out);

#endif

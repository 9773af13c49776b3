/*
 * Latency of one application and throughput of a batch through the C API (compare with
 * `cargo bench --bench score`, the same work through the Rust API).
 *   bench [ROWS]   (default 2000000)
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "microscore.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    size_t rows = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 2000000;
    microscore_model *model = NULL;
    if (microscore_model_default(&model, NULL) != MICROSCORE_OK) return 1;
    size_t m = microscore_model_n_inputs(model);

    /* One application, every input given by name, 4 reasons. */
    const char **names = malloc(m * sizeof *names);
    const char **texts = malloc(m * sizeof *texts);
    double *numbers = malloc(m * sizeof *numbers);
    char (*buffers)[64] = malloc(m * sizeof *buffers);
    for (size_t j = 0; j < m; j++) {
        size_t n = 0;
        microscore_model_input_name(model, j, buffers[j], sizeof buffers[j], &n, NULL);
        names[j] = buffers[j];
        texts[j] = NULL;
        numbers[j] = microscore_model_input_is_categorical(model, j) ? NAN : 1.0 + (double)j;
    }
    microscore_result r;
    const int calls = 200000;
    double t0 = now();
    for (int i = 0; i < calls; i++) microscore_score_one(model, names, numbers, texts, m, 4, &r, NULL);
    double one = (now() - t0) / calls;

    /* A batch: synthetic-looking inputs, row-major. */
    double *x = malloc(rows * m * sizeof *x);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < m; j++)
            x[i * m + j] = microscore_model_input_is_categorical(model, j) ? (double)(i % 3) : (double)((i * 7919 + j * 104729) % 1000);
    double *scores = malloc(rows * sizeof *scores);
    double *pds = malloc(rows * sizeof *pds);
    int32_t *reasons = malloc(rows * 4 * sizeof *reasons);
    double best0 = 1e9, best4 = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        t0 = now();
        microscore_score_matrix(model, x, rows, m, 0, scores, pds, NULL, NULL, rows, NULL, 0, NULL);
        double t = now() - t0;
        if (t < best0) best0 = t;
        t0 = now();
        microscore_score_matrix(model, x, rows, m, 4, scores, pds, NULL, NULL, rows, reasons, rows * 4, NULL);
        t = now() - t0;
        if (t < best4) best4 = t;
    }
    printf("C API: one application (%zu named fields, 4 reasons) %.3f us; batch of %zu rows: %.1f ms without "
           "reasons (%.1f M rows/s), %.1f ms with 4 (%.1f M rows/s); best of 5\n",
           m, one * 1e6, rows, best0 * 1e3, rows / best0 / 1e6, best4 * 1e3, rows / best4 / 1e6);
    free(names);
    free(texts);
    free(numbers);
    free(buffers);
    free(x);
    free(scores);
    free(pds);
    free(reasons);
    microscore_model_free(model);
    return 0;
}

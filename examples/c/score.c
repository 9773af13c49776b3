/*
 * Score a CSV file of applications through the microscore C API, and explain the first one.
 *
 *   score APPLICATIONS.csv [MODEL.json]      (default: the built-in model)
 *
 * Prints a header line, then one line per application to stdout: id (the model's id column,
 * empty when it has none), score, pd (%.17g: exact doubles), grade, decision (its name) and the
 * reason codes. The CSV reader (example_csv.h, beside this file) is deliberately small:
 * comma-separated, one record per line, double-quoted fields with "" for a quote (RFC 4180
 * without line breaks inside fields).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "microscore.h"

#define MAX_LINE 8192
#define MAX_COLS 256
#define K 4

#include "example_csv.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s APPLICATIONS.csv [MODEL.json]\n", argv[0]);
        return 2;
    }
    if (strcmp(microscore_version(), MICROSCORE_VERSION) != 0) {
        fprintf(stderr, "header %s but library %s\n", MICROSCORE_VERSION, microscore_version());
        return 1;
    }
    microscore_model *model = NULL;
    microscore_error *err = NULL;
    microscore_status st = argc > 2 ? microscore_model_load(argv[2], &model, &err)
                                    : microscore_model_default(&model, &err);
    if (st != MICROSCORE_OK) return fail(st, err);

    /* The model's inputs and where they are in the file. */
    size_t m = microscore_model_n_inputs(model);
    char **input_names = calloc(m, sizeof *input_names);
    for (size_t j = 0; j < m; j++) {
        size_t need = 0;
        microscore_model_input_name(model, j, NULL, 0, &need, NULL); /* size query */
        input_names[j] = malloc(need + 1);
        st = microscore_model_input_name(model, j, input_names[j], need + 1, &need, &err);
        if (st != MICROSCORE_OK) return fail(st, err);
    }
    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    char line[MAX_LINE];
    char *fields[MAX_COLS];
    if (fgets(line, sizeof line, f) == NULL) return 1;
    chomp(line);
    char header_copy[MAX_LINE];
    strcpy(header_copy, line);
    size_t ncols = split(header_copy, fields, MAX_COLS);
    long *where = malloc(m * sizeof *where);
    long id_col = -1;
    char id_name[256];
    size_t id_len = 0;
    st = microscore_model_id_column(model, id_name, sizeof id_name, &id_len, &err);
    if (st != MICROSCORE_OK) return fail(st, err);
    for (size_t c = 0; c < ncols; c++)
        if (id_len > 0 && strcmp(fields[c], id_name) == 0) id_col = (long)c;
    for (size_t j = 0; j < m; j++) {
        where[j] = -1;
        for (size_t c = 0; c < ncols; c++)
            if (strcmp(fields[c], input_names[j]) == 0) where[j] = (long)c;
    }

    /* Read every row into a row-major matrix (NaN = missing, categories as the model's index). */
    size_t cap = 1024, n = 0;
    double *x = malloc(cap * m * sizeof *x);
    char **ids = malloc(cap * sizeof *ids);
    char **cats = malloc(cap * m * sizeof *cats); /* category text of categorical inputs, or NULL */
    while (fgets(line, sizeof line, f) != NULL) {
        chomp(line);
        if (line[0] == '\0') continue;
        if (n == cap) {
            cap *= 2;
            x = realloc(x, cap * m * sizeof *x);
            ids = realloc(ids, cap * sizeof *ids);
            cats = realloc(cats, cap * m * sizeof *cats);
        }
        size_t nf = split(line, fields, MAX_COLS);
        ids[n] = strdup(id_col >= 0 && (size_t)id_col < nf ? fields[id_col] : "");
        for (size_t j = 0; j < m; j++) {
            const char *v = where[j] >= 0 && (size_t)where[j] < nf ? fields[where[j]] : "";
            double value = NAN;
            cats[n * m + j] = NULL;
            if (v[0] != '\0') {
                if (microscore_model_input_is_categorical(model, j)) {
                    int64_t index = -1;
                    st = microscore_model_category_index(model, j, v, &index, &err);
                    if (st != MICROSCORE_OK) return fail(st, err);
                    value = (double)index;
                    cats[n * m + j] = strdup(v);
                } else {
                    char *end = NULL;
                    value = strtod(v, &end);
                    while (end != NULL && (*end == ' ' || *end == '\t')) end++;
                    if (end == v || (end != NULL && *end != '\0')) {
                        fprintf(stderr, "%s, data row %zu: column %s: %s is not a number\n", argv[1], n + 1,
                                input_names[j], v);
                        return 1;
                    }
                }
            }
            x[n * m + j] = value;
        }
        n++;
    }
    fclose(f);

    /* Score the batch into buffers sized by the library. */
    size_t reasons_len = 0;
    size_t rows = microscore_output_len(n, K, &reasons_len);
    double *scores = malloc(rows * sizeof *scores);
    double *pds = malloc(rows * sizeof *pds);
    uint8_t *grades = malloc(rows);
    uint8_t *decisions = malloc(rows);
    int32_t *reasons = malloc(reasons_len * sizeof *reasons);
    st = microscore_score_matrix(model, x, n, m, K, scores, pds, grades, decisions, rows, reasons,
                                 reasons_len, &err);
    if (st != MICROSCORE_OK) return fail(st, err);

    char grade[16], code[128];
    printf("%s,score,pd,grade,decision", id_len > 0 ? id_name : "id");
    for (size_t r = 0; r < K; r++) printf(",reason_%zu", r + 1);
    printf("\n");
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        microscore_model_grade_name(model, grades[i], grade, sizeof grade, &len, NULL);
        printf("%s,%.17g,%.17g,%s,%s", ids[i], scores[i], pds[i], grade, microscore_decision_str(decisions[i]));
        for (size_t r = 0; r < K; r++) {
            int32_t feature = reasons[i * K + r];
            code[0] = '\0';
            if (feature >= 0) microscore_model_reason_code(model, (size_t)feature, code, sizeof code, &len, NULL);
            printf(",%s", code);
        }
        printf("\n");
    }

    /* The same batch column by column, categories given as text: identical results. */
    {
        double **columns = malloc(m * sizeof *columns);
        const char ***texts = malloc(m * sizeof *texts);
        for (size_t j = 0; j < m; j++) {
            columns[j] = malloc((n > 0 ? n : 1) * sizeof **columns);
            texts[j] = NULL;
            for (size_t i = 0; i < n; i++) columns[j][i] = x[i * m + j];
            if (microscore_model_input_is_categorical(model, j)) {
                texts[j] = malloc((n > 0 ? n : 1) * sizeof *texts[j]);
                for (size_t i = 0; i < n; i++) texts[j][i] = cats[i * m + j];
            }
        }
        double *col_scores = malloc(rows * sizeof *col_scores);
        int32_t *col_reasons = malloc(reasons_len * sizeof *col_reasons);
        st = microscore_score_columns(model, (const double *const *)columns, (const char *const *const *)texts, m, n,
                                      K, col_scores, NULL, NULL, NULL, rows, col_reasons, reasons_len, &err);
        if (st != MICROSCORE_OK) return fail(st, err);
        if (n > 0 && (memcmp(col_scores, scores, n * sizeof *scores) != 0 ||
                      memcmp(col_reasons, reasons, reasons_len * sizeof *reasons) != 0)) {
            fprintf(stderr, "columnar scores differ from row-major scores\n");
            return 1;
        }
        for (size_t j = 0; j < m; j++) {
            free(columns[j]);
            free((void *)texts[j]);
        }
        free(columns);
        free(texts);
        free(col_scores);
        free(col_reasons);
    }

    /* Category tables: the name of category c has index c. */
    for (size_t j = 0; j < m; j++) {
        size_t nc = microscore_model_n_categories(model, j);
        for (size_t c = 0; c < nc; c++) {
            char name[256];
            size_t len = 0;
            int64_t index = -2;
            st = microscore_model_category_name(model, j, c, name, sizeof name, &len, &err);
            if (st != MICROSCORE_OK) return fail(st, err);
            st = microscore_model_category_index(model, j, name, &index, &err);
            if (st != MICROSCORE_OK) return fail(st, err);
            if (index != (int64_t)c) {
                fprintf(stderr, "category %s of input %zu: index %lld, expected %zu\n", name, j, (long long)index, c);
                return 1;
            }
        }
    }

    /* One application by named fields (numbers, or text for categories): it must match row 1. */
    if (n > 0) {
        const char **names = malloc(m * sizeof *names);
        const char **texts = malloc(m * sizeof *texts);
        double *numbers = malloc(m * sizeof *numbers);
        for (size_t j = 0; j < m; j++) {
            names[j] = input_names[j];
            texts[j] = NULL;
            numbers[j] = x[j];
            if (microscore_model_input_is_categorical(model, j)) numbers[j] = NAN;
        }
        /* Categories by name for the one-application call. */
        FILE *again = fopen(argv[1], "r");
        char row1[MAX_LINE];
        if (again == NULL || fgets(row1, sizeof row1, again) == NULL || fgets(row1, sizeof row1, again) == NULL) return 1;
        fclose(again);
        chomp(row1);
        char *row_fields[MAX_COLS];
        size_t nf = split(row1, row_fields, MAX_COLS);
        for (size_t j = 0; j < m; j++)
            if (microscore_model_input_is_categorical(model, j) && where[j] >= 0 && (size_t)where[j] < nf &&
                row_fields[where[j]][0] != '\0')
                texts[j] = row_fields[where[j]];
        microscore_result result;
        st = microscore_score_one(model, names, numbers, texts, m, K, &result, &err);
        if (st != MICROSCORE_OK) return fail(st, err);
        if (result.score != scores[0] || result.pd != pds[0]) {
            fprintf(stderr, "one-application score %.17g differs from the batch's %.17g\n", result.score, scores[0]);
            return 1;
        }
        fprintf(stderr, "application %s: score %.2f, PD %.2f%%, %s; reasons:", ids[0], result.score,
                100.0 * result.pd, microscore_decision_str(result.decision));
        for (uint32_t r = 0; r < result.n_reasons; r++) {
            size_t len = 0;
            microscore_model_reason_code(model, (size_t)result.reasons[r], code, sizeof code, &len, NULL);
            fprintf(stderr, " %s (-%.1f)", code, result.points_lost[r]);
        }
        fprintf(stderr, "\n");
        free(names);
        free(texts);
        free(numbers);
    }

    /* Errors are values: a missing file gives MICROSCORE_IO and a message naming it. */
    microscore_model *none = NULL;
    st = microscore_model_load("/nonexistent/model.json", &none, &err);
    if (st != MICROSCORE_IO || none != NULL) {
        fprintf(stderr, "expected an I/O error, got %u\n", (unsigned)st);
        return 1;
    }
    microscore_error_free(err);
    err = NULL;
    st = microscore_score_matrix(model, x, n, m, K, scores, pds, NULL, NULL, rows > 0 ? rows - 1 : 0, NULL, 0, &err);
    if (n > 0 && st != MICROSCORE_BUFFER_TOO_SMALL) {
        fprintf(stderr, "expected BUFFER_TOO_SMALL, got %u\n", (unsigned)st);
        return 1;
    }
    microscore_error_free(err);
    microscore_model_free(NULL); /* a no-op */

    for (size_t i = 0; i < n; i++) free(ids[i]);
    for (size_t i = 0; i < n * m; i++) free(cats[i]);
    free(cats);
    for (size_t j = 0; j < m; j++) free(input_names[j]);
    free(ids);
    free(input_names);
    free(where);
    free(x);
    free(scores);
    free(pds);
    free(grades);
    free(decisions);
    free(reasons);
    microscore_model_free(model);
    return 0;
}

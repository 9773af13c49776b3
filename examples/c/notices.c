/*
 * Adverse-action notices through the microscore C API: score each application of a CSV file
 * with microscore_score_one and print, for every declined or referred one, the notice record
 * microscore_notice_json gives (the record `microscore score --adverse-action` writes), then
 * list the reason statements of the language on stderr.
 *
 *   notices APPLICATIONS.csv LANGUAGE DATE [MODEL.json]      (e.g. zh 2026-12-01)
 *
 * The CSV reader is the small one of example_csv.h (no line breaks inside fields).
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

/* The text of a string-returning call, in a buffer sized by asking first. */
static char *statement(const microscore_model *model, size_t feature, const char *language) {
    size_t need = 0;
    microscore_error *err = NULL;
    microscore_status st = microscore_model_reason_statement(model, feature, language, NULL, 0, &need, &err);
    microscore_error_free(err);
    if (st != MICROSCORE_BUFFER_TOO_SMALL) return NULL;
    char *s = malloc(need + 1);
    if (microscore_model_reason_statement(model, feature, language, s, need + 1, &need, NULL) != MICROSCORE_OK) {
        free(s);
        return NULL;
    }
    return s;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s APPLICATIONS.csv LANGUAGE DATE [MODEL.json]\n", argv[0]);
        return 2;
    }
    const char *language = argv[2], *date = argv[3];
    microscore_model *model = NULL;
    microscore_error *err = NULL;
    microscore_status st = argc > 4 ? microscore_model_load(argv[4], &model, &err)
                                    : microscore_model_default(&model, &err);
    if (st != MICROSCORE_OK) return fail(st, err);
    char id_name[256];
    size_t id_len = 0;
    st = microscore_model_id_column(model, id_name, sizeof id_name, &id_len, &err);
    if (st != MICROSCORE_OK) return fail(st, err);
    size_t m = microscore_model_n_inputs(model);
    int *categorical = malloc(m * sizeof *categorical);
    for (size_t j = 0; j < m; j++) categorical[j] = microscore_model_input_is_categorical(model, j);

    FILE *f = fopen(argv[1], "r");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    char header[MAX_LINE], line[MAX_LINE];
    char *names[MAX_COLS], *fields[MAX_COLS];
    if (fgets(header, sizeof header, f) == NULL) return 1;
    chomp(header);
    size_t ncols = split(header, names, MAX_COLS);
    /* Which header columns are categorical inputs of the model (given as text). */
    int text_col[MAX_COLS] = {0};
    long id_col = -1;
    for (size_t c = 0; c < ncols; c++) {
        if (id_len > 0 && strcmp(names[c], id_name) == 0) id_col = (long)c;
        for (size_t j = 0; j < m; j++) {
            char in[256];
            size_t n = 0;
            if (microscore_model_input_name(model, j, in, sizeof in, &n, NULL) == MICROSCORE_OK &&
                strcmp(in, names[c]) == 0)
                text_col[c] = categorical[j];
        }
    }
    const char *cnames[MAX_COLS], *texts[MAX_COLS];
    double numbers[MAX_COLS];
    size_t cap = 4096;
    char *notice = malloc(cap);
    unsigned long long record = 1, written = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        record++;
        chomp(line);
        if (line[0] == '\0') continue;
        size_t nf = split(line, fields, MAX_COLS);
        size_t n = 0;
        for (size_t c = 0; c < ncols; c++) {
            if ((long)c == id_col) continue;
            const char *v = c < nf ? fields[c] : "";
            cnames[n] = names[c];
            texts[n] = NULL;
            numbers[n] = NAN;
            if (v[0] != '\0') {
                if (text_col[c]) {
                    texts[n] = v;
                } else {
                    numbers[n] = strtod(v, NULL);
                }
            }
            n++;
        }
        microscore_result result;
        st = microscore_score_one(model, cnames, numbers, texts, n, K, &result, &err);
        if (st != MICROSCORE_OK) return fail(st, err);
        const char *id = id_col >= 0 && (size_t)id_col < nf ? fields[id_col] : NULL;
        size_t len = 0;
        st = microscore_notice_json(model, &result, id, record, language, date, notice, cap, &len, &err);
        if (st == MICROSCORE_BUFFER_TOO_SMALL) {
            microscore_error_free(err);
            err = NULL;
            cap = len + 1;
            notice = realloc(notice, cap);
            st = microscore_notice_json(model, &result, id, record, language, date, notice, cap, &len, &err);
        }
        if (st != MICROSCORE_OK) return fail(st, err);
        if (len > 0) {
            printf("%s\n", notice);
            written++;
        }
    }
    fclose(f);
    fprintf(stderr, "%llu notices; reason statements in %s:\n", written, language);
    for (size_t i = 0; i < microscore_model_n_features(model); i++) {
        char *s = statement(model, i, language);
        if (s == NULL) {
            fprintf(stderr, "no statement for feature %zu in %s\n", i, language);
            return 1;
        }
        fprintf(stderr, "  %zu. %s\n", i + 1, s);
        free(s);
    }
    /* A language the model has no statements in is an error, not an empty string. */
    st = microscore_model_reason_statement(model, 0, "fr", NULL, 0, NULL, &err);
    if (st != MICROSCORE_INVALID_ARGUMENT) {
        fprintf(stderr, "expected INVALID_ARGUMENT for a missing language, got %u\n", (unsigned)st);
        return 1;
    }
    microscore_error_free(err);
    free(notice);
    free(categorical);
    microscore_model_free(model);
    return 0;
}

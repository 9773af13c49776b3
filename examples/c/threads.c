/*
 * Several threads score with one model handle at the same time: every result must equal the
 * single-threaded one, bit for bit. Run under valgrind/helgrind or ASan by the test command.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "microscore.h"

#define THREADS 4
#define ROUNDS 500
#define APPS 3

static const char *names[] = {"business_type", "monthly_revenue", "worst_dpd_12m", "province",
                              "debt_to_income", "requested_amount", "applicant_age"};
#define N_FIELDS (sizeof names / sizeof names[0])
static const char *texts[APPS][N_FIELDS] = {
    {"livestock", NULL, NULL, "Gansu", NULL, NULL, NULL},
    {"village_retail", NULL, NULL, "Zhejiang", NULL, NULL, NULL},
    {"ecommerce_shop", NULL, NULL, "Atlantis", NULL, NULL, NULL},
};
static double numbers[APPS][N_FIELDS];
static microscore_result reference[APPS];
static const microscore_model *shared_model;

static int same(const microscore_result *a, const microscore_result *b) {
    return memcmp(&a->score, &b->score, sizeof a->score) == 0 && memcmp(&a->pd, &b->pd, sizeof a->pd) == 0 &&
           a->grade == b->grade && a->decision == b->decision && a->n_reasons == b->n_reasons &&
           memcmp(a->reasons, b->reasons, sizeof a->reasons) == 0;
}

static void *worker(void *arg) {
    long bad = 0;
    (void)arg;
    for (int round = 0; round < ROUNDS; round++) {
        for (int a = 0; a < APPS; a++) {
            microscore_result r;
            microscore_error *err = NULL;
            if (microscore_score_one(shared_model, names, numbers[a], texts[a], N_FIELDS, 4, &r, &err) !=
                    MICROSCORE_OK ||
                !same(&r, &reference[a])) {
                bad++;
            }
            microscore_error_free(err);
        }
    }
    return (void *)bad;
}

int main(void) {
    microscore_model *model = NULL;
    if (microscore_model_default(&model, NULL) != MICROSCORE_OK) return 1;
    shared_model = model;
    double values[APPS][3] = {{3000, 95, 1.4}, {12000, 0, 0.2}, {NAN, NAN, NAN}};
    for (int a = 0; a < APPS; a++) {
        for (size_t f = 0; f < N_FIELDS; f++) numbers[a][f] = NAN;
        numbers[a][1] = values[a][0];
        numbers[a][2] = values[a][1];
        numbers[a][4] = values[a][2];
        numbers[a][5] = 20000;
        numbers[a][6] = 35 + 10 * a;
        if (microscore_score_one(model, names, numbers[a], texts[a], N_FIELDS, 4, &reference[a], NULL) != MICROSCORE_OK)
            return 1;
    }
    if (!(reference[2].flags & MICROSCORE_FLAG_UNSEEN_CATEGORY) || !(reference[2].flags & MICROSCORE_FLAG_MISSING)) {
        fprintf(stderr, "expected unseen-category and missing flags\n");
        return 1;
    }
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, worker, NULL);
    long bad = 0;
    for (int t = 0; t < THREADS; t++) {
        void *result = NULL;
        pthread_join(threads[t], &result);
        bad += (long)result;
    }
    microscore_model_free(model);
    if (bad != 0) {
        fprintf(stderr, "%ld results differed between threads\n", bad);
        return 1;
    }
    printf("%d threads x %d rounds x %d applications on one handle: all identical\n", THREADS, ROUNDS, APPS);
    return 0;
}

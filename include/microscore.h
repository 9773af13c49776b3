/*
 * microscore: credit scorecards for unsecured rural microloans, C API.
 *
 * Conventions
 * - Fallible calls return a microscore_status (MICROSCORE_OK = 0; numbers never change) and,
 *   when err_out is not NULL, a microscore_error* with a readable message; free it with
 *   microscore_error_free. Out-parameters are written only on success.
 * - Handles are opaque; every *_free function accepts NULL.
 * - A microscore_model is immutable once loaded: any number of threads may score with the same
 *   handle at the same time. Free it only when no thread uses it.
 * - Strings out: the caller passes a buffer and its length; *out_n receives the length needed
 *   (without the NUL); a buffer that is too small gives MICROSCORE_BUFFER_TOO_SMALL and nothing
 *   is written, so call once with NULL to size the buffer.
 * - Batch outputs go to caller-allocated buffers; microscore_output_len tells their sizes.
 * - No Rust panic crosses this boundary: a fallible call returns MICROSCORE_PANIC instead, a
 *   count or flag (microscore_model_n_inputs, microscore_output_len, ...) returns the value it
 *   documents for a NULL model (0), and a static-string function returns "internal error".
 * - Linking: the shared library's SONAME is libmicroscore.so.0; `make -C examples install
 *   PREFIX=...` (or `cargo cinstall`) installs it with include/microscore/ and microscore.pc.
 *
 * Version: no ABI stability before 1.0; check microscore_version() against the macros below.
 */

#ifndef MICROSCORE_H
#define MICROSCORE_H

#include <stdint.h>
#include <stddef.h>
#define MICROSCORE_VERSION_MAJOR 0
#define MICROSCORE_VERSION_MINOR 1
#define MICROSCORE_VERSION_PATCH 0
#define MICROSCORE_VERSION "0.1.0"

/* Largest number of reasons per application (the size of microscore_result.reasons). */
#define MICROSCORE_MAX_REASONS 32

/* Largest n_fields of microscore_score_one (more is MICROSCORE_INVALID_ARGUMENT). */
#define MICROSCORE_MAX_FIELDS 65536

/* Flag bits of microscore_result.flags. */
#define MICROSCORE_FLAG_MISSING (1u << 0)
#define MICROSCORE_FLAG_UNSEEN_CATEGORY (1u << 1)
#define MICROSCORE_FLAG_OUT_OF_RANGE (1u << 2)
#define MICROSCORE_FLAG_NOT_FINITE (1u << 3)
#define MICROSCORE_FLAG_NOT_A_NUMBER (1u << 4)
#define MICROSCORE_FLAG_SPECIAL_VALUE (1u << 5)
#define MICROSCORE_FLAG_THIN_FILE_REFERRAL (1u << 6)
#define MICROSCORE_FLAG_ABSENT_COLUMN (1u << 7)
#define MICROSCORE_FLAG_INVALID_AMOUNT (1u << 8)


/**
 * Status of a call. The numbers are stable: new codes are only ever added.
 */
enum microscore_status
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : uint32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  /**
   * Success.
   */
  MICROSCORE_OK = 0,
  /**
   * A required pointer argument was NULL.
   */
  MICROSCORE_NULL_ARGUMENT = 1,
  /**
   * A string argument was not valid UTF-8.
   */
  MICROSCORE_INVALID_UTF8 = 2,
  /**
   * A file could not be read.
   */
  MICROSCORE_IO = 3,
  /**
   * The model file is invalid, unsupported or tampered with.
   */
  MICROSCORE_INVALID_MODEL = 4,
  /**
   * An output buffer is too small; nothing was written.
   */
  MICROSCORE_BUFFER_TOO_SMALL = 5,
  /**
   * An argument is out of range (index, length, number of reasons).
   */
  MICROSCORE_INVALID_ARGUMENT = 6,
  /**
   * An input value cannot be used: a requested amount or revenue that is negative, infinite
   * or not a number, under a policy that rejects such applications. The message names the
   * row, the column and the value; nothing is written.
   */
  MICROSCORE_INVALID_INPUT = 7,
  /**
   * A Rust panic was caught at the boundary (a bug: please report it).
   */
  MICROSCORE_PANIC = 99,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum microscore_status microscore_status;
#else
typedef uint32_t microscore_status;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

/**
 * An error: a readable message. Free with `microscore_error_free`.
 */
typedef struct microscore_error microscore_error;

/**
 * A loaded scorecard. Immutable: safe to use from many threads at once.
 */
typedef struct microscore_model microscore_model;

/**
 * The result of scoring one application.
 */
typedef struct microscore_result {
  /**
   * Total score (the sum of the feature points).
   */
  double score;
  /**
   * Probability of default.
   */
  double pd;
  /**
   * Grade index (`microscore_model_grade_name` gives its name).
   */
  uint32_t grade;
  /**
   * 0 approve, 1 refer, 2 decline.
   */
  uint32_t decision;
  /**
   * Recommended limit.
   */
  double limit;
  /**
   * Expected loss.
   */
  double expected_loss;
  /**
   * Flags (`MICROSCORE_FLAG_*` bits).
   */
  uint32_t flags;
  /**
   * Number of reasons filled in `reasons`.
   */
  uint32_t n_reasons;
  /**
   * Feature indices of the reasons, most points lost first (`microscore_model_reason_code`).
   */
  int32_t reasons[32];
  /**
   * Points lost for each reason.
   */
  double points_lost[32];
} microscore_result;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * The library version, e.g. "0.1.0" (static string).
 */
const char *microscore_version(void);

/**
 * A readable name of a status code (static string; unknown codes give "unknown status").
 */
const char *microscore_status_str(uint32_t status);

/**
 * Copy an error's message into `buf` (see the string convention above).
 */
microscore_status microscore_error_message(const struct microscore_error *err,
                                           char *buf,
                                           size_t len,
                                           size_t *out_n);

/**
 * Free an error (NULL is a no-op).
 */
void microscore_error_free(struct microscore_error *err);

/**
 * Load a model file. On success `*out` receives a handle to free with `microscore_model_free`.
 */
microscore_status microscore_model_load(const char *path,
                                        struct microscore_model **out,
                                        struct microscore_error **err_out);

/**
 * Load a model from JSON bytes in memory (`len` bytes, no NUL needed).
 */
microscore_status microscore_model_from_json(const uint8_t *json,
                                             size_t len,
                                             struct microscore_model **out,
                                             struct microscore_error **err_out);

/**
 * The built-in rural microloan model.
 */
microscore_status microscore_model_default(struct microscore_model **out,
                                           struct microscore_error **err_out);

/**
 * Free a model (NULL is a no-op). No other thread may be using it.
 */
void microscore_model_free(struct microscore_model *model);

/**
 * Number of input columns of a row-major batch (the model's features, then the policy's extra
 * columns); 0 for NULL.
 */
size_t microscore_model_n_inputs(const struct microscore_model *model);

/**
 * Number of scorecard features (the first inputs); 0 for NULL.
 */
size_t microscore_model_n_features(const struct microscore_model *model);

/**
 * Name of input column `i`.
 */
microscore_status microscore_model_input_name(const struct microscore_model *model,
                                              size_t i,
                                              char *buf,
                                              size_t len,
                                              size_t *out_n,
                                              struct microscore_error **err_out);

/**
 * Whether input column `i` is categorical (1) or numeric (0); 0 when out of range.
 */
int32_t microscore_model_input_is_categorical(const struct microscore_model *model,
                                              size_t i);

/**
 * The model's index of `category` for categorical input `i`, for row-major batches
 * (`*out = -1` when the category is unseen: it is then scored by the unseen route).
 */
microscore_status microscore_model_category_index(const struct microscore_model *model,
                                                  size_t i,
                                                  const char *category,
                                                  int64_t *out,
                                                  struct microscore_error **err_out);

/**
 * Reason code of feature `feature` (e.g. "WORST_DPD_12M").
 */
microscore_status microscore_model_reason_code(const struct microscore_model *model,
                                               size_t feature,
                                               char *buf,
                                               size_t len,
                                               size_t *out_n,
                                               struct microscore_error **err_out);

/**
 * The reason statement of feature `feature` in `language` (a tag such as "en" or "zh"; NULL
 * = "en"): what an adverse-action notice says when the feature cost the applicant points
 * (e.g. "Monthly revenue of the business"). `MICROSCORE_INVALID_ARGUMENT` when the model has no
 * statements in that language or the feature does not exist.
 */
microscore_status microscore_model_reason_statement(const struct microscore_model *model,
                                                    size_t feature,
                                                    const char *language,
                                                    char *buf,
                                                    size_t len,
                                                    size_t *out_n,
                                                    struct microscore_error **err_out);

/**
 * The adverse-action notice of an application scored by `microscore_score_one` into
 * `result`, as one JSON object (the record `microscore score --adverse-action` writes): `id`
 * (NULL = none) and `record` (its number in the caller's input), the decision, the score and
 * the model's score range, the principal reasons (up to four: score with k >= 4) with their
 * statements in `language` (NULL = "en") and points lost, the date `date` ("YYYY-MM-DD"; NULL
 * = today, UTC) and the model's checksum. An approved application has no notice: `*out_n`
 * is 0 and `buf` gets "" (when it has room for it). Same buffer rules as the other text
 * functions.
 */
microscore_status microscore_notice_json(const struct microscore_model *model,
                                         const struct microscore_result *result,
                                         const char *id,
                                         uint64_t record,
                                         const char *language,
                                         const char *date,
                                         char *buf,
                                         size_t len,
                                         size_t *out_n,
                                         struct microscore_error **err_out);

/**
 * Name of grade `grade` (e.g. "A").
 */
microscore_status microscore_model_grade_name(const struct microscore_model *model,
                                              size_t grade,
                                              char *buf,
                                              size_t len,
                                              size_t *out_n,
                                              struct microscore_error **err_out);

/**
 * Name of the model's id column (carried, never a feature): an empty string when the model
 * has none.
 */
microscore_status microscore_model_id_column(const struct microscore_model *model,
                                             char *buf,
                                             size_t len,
                                             size_t *out_n,
                                             struct microscore_error **err_out);

/**
 * The name of decision code `decision` (`microscore_result.decision`, batch decisions):
 * "approve" (0), "refer" (1) or "decline" (2); "unknown" for any other number. Never NULL;
 * the string is static.
 */
const char *microscore_decision_str(uint32_t decision);

/**
 * Score one application given as `n_fields` named fields: `names[i]` with either the text
 * `texts[i]` (when `texts` and `texts[i]` are not NULL) or the number `numbers[i]` (NaN =
 * missing); at most `MICROSCORE_MAX_FIELDS`, each name once (a repeated name is
 * `MICROSCORE_INVALID_ARGUMENT`). Fields the model does not use are ignored; an input the model reads that is not
 * among the names is scored as missing and flags the result `MICROSCORE_FLAG_ABSENT_COLUMN`
 * (pass it with NaN or a NULL text to say "missing" without the flag). A requested amount or
 * revenue the policy rejects (negative, infinite, not a number) gives
 * `MICROSCORE_INVALID_INPUT`. `k` reasons
 * (at most `MICROSCORE_MAX_REASONS`).
 */
microscore_status microscore_score_one(const struct microscore_model *model,
                                       const char *const *names,
                                       const double *numbers,
                                       const char *const *texts,
                                       size_t n_fields,
                                       size_t k,
                                       struct microscore_result *out,
                                       struct microscore_error **err_out);

/**
 * Number of grades; 0 for NULL.
 */
size_t microscore_model_n_grades(const struct microscore_model *model);

/**
 * Number of training categories of input `i` (0 for a numeric input or out of range).
 */
size_t microscore_model_n_categories(const struct microscore_model *model,
                                     size_t i);

/**
 * Name of category `c` of categorical input `i` (its index is `c` in row-major batches).
 */
microscore_status microscore_model_category_name(const struct microscore_model *model,
                                                 size_t i,
                                                 size_t c,
                                                 char *buf,
                                                 size_t len,
                                                 size_t *out_n,
                                                 struct microscore_error **err_out);

/**
 * Score `n_rows` applications given column by column: `columns[j]` points at `n_rows` doubles
 * for input `j` (NaN = missing; categorical inputs as the model's category index), or
 * `texts[j]` (when `texts` and `texts[j]` are not NULL) at `n_rows` strings for a categorical
 * input (NULL entries = missing, unknown categories = unseen). A column with neither is
 * missing for every row. Outputs as `microscore_score_matrix`; identical results.
 */
microscore_status microscore_score_columns(const struct microscore_model *model,
                                           const double *const *columns,
                                           const char *const *const *texts,
                                           size_t n_cols,
                                           size_t n_rows,
                                           size_t k,
                                           double *scores,
                                           double *pds,
                                           uint8_t *grades,
                                           uint8_t *decisions,
                                           size_t buf_len,
                                           int32_t *reasons,
                                           size_t reasons_len,
                                           struct microscore_error **err_out);

/**
 * Number of entries each output buffer of `microscore_score_matrix` needs for `n_rows` rows
 * and `k` reasons: `n_rows` for the per-row buffers and, through `reasons_len`, `n_rows * k`.
 */
size_t microscore_output_len(size_t n_rows,
                             size_t k,
                             size_t *reasons_len);

/**
 * Score `n_rows` applications given row-major in `x` (`n_rows * n_cols` doubles, `n_cols` =
 * `microscore_model_n_inputs`; NaN = missing; categorical inputs as
 * `microscore_model_category_index`, -1 = unseen) into caller buffers of `buf_len` entries
 * (`reasons`: `reasons_len` entries, `k` per row). Any output pointer may be NULL to skip it.
 * Parallel over rows; results are identical for any number of threads.
 */
microscore_status microscore_score_matrix(const struct microscore_model *model,
                                          const double *x,
                                          size_t n_rows,
                                          size_t n_cols,
                                          size_t k,
                                          double *scores,
                                          double *pds,
                                          uint8_t *grades,
                                          uint8_t *decisions,
                                          size_t buf_len,
                                          int32_t *reasons,
                                          size_t reasons_len,
                                          struct microscore_error **err_out);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* MICROSCORE_H */

//! The C ABI (feature `capi`): a thin layer over [`crate::scoring::Scorer`].
//!
//! Conventions (rustls-ffi, ONNX Runtime, LightGBM):
//! - every fallible call returns a [`microscore_status`] (stable numbers, `MICROSCORE_OK = 0`)
//!   and, when `err_out` is not NULL, an error object with a readable message, freed with
//!   [`microscore_error_free`];
//! - handles are opaque; `*_free(NULL)` is a no-op; out-parameters are written only on success;
//! - a loaded model is immutable and may be used from many threads at once;
//! - batch outputs go to caller-allocated buffers; a buffer that is too small is an error and
//!   nothing is written;
//! - no Rust panic crosses the boundary: every body runs under `catch_unwind`. A panic makes a
//!   fallible call return `MICROSCORE_PANIC`, a count or flag return the value documented for
//!   a NULL model (0), and a static-string function return "internal error";
//! - each core error kind maps to one status (the `Status` trait below, one total match per
//!   error enum).

#![allow(non_camel_case_types)]
#![allow(clippy::missing_safety_doc)]
#![allow(clippy::too_many_arguments)]

use std::ffi::{c_char, CStr};
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::model::policy::Decision;
use crate::model::Model;
use crate::scoring::{BatchOutput, Scorer, Value, MAX_REASONS};

/// Status of a call. The numbers are stable: new codes are only ever added.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum microscore_status {
    /// Success.
    MICROSCORE_OK = 0,
    /// A required pointer argument was NULL.
    MICROSCORE_NULL_ARGUMENT = 1,
    /// A string argument was not valid UTF-8.
    MICROSCORE_INVALID_UTF8 = 2,
    /// A file could not be read.
    MICROSCORE_IO = 3,
    /// The model file is invalid, unsupported or tampered with.
    MICROSCORE_INVALID_MODEL = 4,
    /// An output buffer is too small; nothing was written.
    MICROSCORE_BUFFER_TOO_SMALL = 5,
    /// An argument is out of range (index, length, number of reasons).
    MICROSCORE_INVALID_ARGUMENT = 6,
    /// An input value cannot be used: a requested amount or revenue that is negative, infinite
    /// or not a number, under a policy that rejects such applications. The message names the
    /// row, the column and the value; nothing is written.
    MICROSCORE_INVALID_INPUT = 7,
    /// A Rust panic was caught at the boundary (a bug: please report it).
    MICROSCORE_PANIC = 99,
}

use microscore_status::*;

/// An error: a readable message. Free with `microscore_error_free`.
pub struct microscore_error {
    message: String,
}

/// A loaded scorecard. Immutable: safe to use from many threads at once.
pub struct microscore_model {
    scorer: Scorer,
}

/// The result of scoring one application.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct microscore_result {
    /// Total score (the sum of the feature points).
    pub score: f64,
    /// Probability of default.
    pub pd: f64,
    /// Grade index (`microscore_model_grade_name` gives its name).
    pub grade: u32,
    /// 0 approve, 1 refer, 2 decline.
    pub decision: u32,
    /// Recommended limit.
    pub limit: f64,
    /// Expected loss.
    pub expected_loss: f64,
    /// Flags (`MICROSCORE_FLAG_*` bits).
    pub flags: u32,
    /// Number of reasons filled in `reasons`.
    pub n_reasons: u32,
    /// Feature indices of the reasons, most points lost first (`microscore_model_reason_code`).
    pub reasons: [i32; 32],
    /// Points lost for each reason.
    pub points_lost: [f64; 32],
}

/// Largest number of reasons per application.
pub const MICROSCORE_MAX_REASONS: u32 = MAX_REASONS as u32;

/// Largest `n_fields` of `microscore_score_one` (`MICROSCORE_MAX_FIELDS` in the header).
pub const MAX_FIELDS: usize = 65_536;

/// Largest `n_rows` of one batch call: every buffer of `n_rows` doubles (times `n_cols` or `k`)
/// must be a valid slice.
const MAX_ROWS: usize = (isize::MAX as usize) / 8;

fn fail(
    err_out: *mut *mut microscore_error,
    status: microscore_status,
    message: String,
) -> microscore_status {
    if !err_out.is_null() {
        // SAFETY: the caller passes either NULL or a valid pointer to a pointer.
        unsafe { *err_out = Box::into_raw(Box::new(microscore_error { message })) };
    }
    status
}

/// Run `body`, turning a panic into `MICROSCORE_PANIC`.
fn boundary(
    err_out: *mut *mut microscore_error,
    body: impl FnOnce() -> Result<(), (microscore_status, String)>,
) -> microscore_status {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => MICROSCORE_OK,
        Ok(Err((status, message))) => fail(err_out, status, message),
        Err(_) => fail(
            err_out,
            MICROSCORE_PANIC,
            "internal error: a panic was caught at the C boundary".into(),
        ),
    }
}

/// Run an export that cannot report an error (a count, a flag, a static string) under the
/// panic boundary: a panic returns `default` (the value documented for a NULL model).
fn guarded<T>(default: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(default)
}

/// The static string every string export returns if it panics.
const INTERNAL: &CStr = c"internal error";

/// An out-of-range argument, with what is wrong.
fn invalid(message: impl Into<String>) -> (microscore_status, String) {
    (MICROSCORE_INVALID_ARGUMENT, message.into())
}

/// A batch of `n_rows` rows must fit in memory's address range (`n_rows * 8` bytes).
fn check_rows(n_rows: usize) -> Result<(), (microscore_status, String)> {
    if n_rows > MAX_ROWS {
        return Err(invalid(format!(
            "n_rows = {n_rows} is larger than any buffer can be"
        )));
    }
    Ok(())
}

/// The one mapping of each core error kind to a stable status (rustls-ffi's `map_error`).
/// Every variant is named, so a new kind of error cannot reach C without a decision here.
trait Status {
    /// The status C sees for this error.
    fn status(&self) -> microscore_status;
}

impl Status for crate::scoring::ScoreError {
    fn status(&self) -> microscore_status {
        use crate::scoring::ScoreError as E;
        match self {
            // A value the caller passed that the model or its policy cannot use.
            E::InvalidAmount { .. } | E::NotNumeric(_) | E::BadCode { .. } => {
                MICROSCORE_INVALID_INPUT
            }
            E::BufferSize { .. } => MICROSCORE_BUFFER_TOO_SMALL,
            // The shape of the call: lengths, columns, the number of reasons.
            E::ColumnLength { .. }
            | E::MissingColumn(_)
            | E::MissingColumns(_)
            | E::TooManyReasons(_) => MICROSCORE_INVALID_ARGUMENT,
        }
    }
}

impl Status for crate::model::ModelError {
    fn status(&self) -> microscore_status {
        use crate::model::ModelError as E;
        match self {
            E::Io { .. } => MICROSCORE_IO,
            E::InFile { source, .. } => source.status(),
            E::Json(_) | E::Unsupported(_) | E::Invalid { .. } | E::Checksum { .. } => {
                MICROSCORE_INVALID_MODEL
            }
        }
    }
}

impl Status for crate::scoring::reasons::ReasonsError {
    fn status(&self) -> microscore_status {
        use crate::scoring::reasons::ReasonsError as E;
        match self {
            // A language or date argument that is not one, or that the model has no
            // statements for.
            E::Language(_) | E::NoLanguage { .. } | E::Date(_) => MICROSCORE_INVALID_ARGUMENT,
            // Reading a reasons file (not reachable from C today, mapped for totality).
            E::File { .. } | E::Line { .. } | E::Incomplete { .. } => MICROSCORE_INVALID_MODEL,
        }
    }
}

/// The status and message of a core error.
fn core_error(e: impl Status + std::fmt::Display) -> (microscore_status, String) {
    (e.status(), e.to_string())
}

/// At most [`MAX_REASONS`] reasons per application.
fn check_k(k: usize) -> Result<(), (microscore_status, String)> {
    if k > MAX_REASONS {
        return Err(invalid(format!("k = {k}: at most {MAX_REASONS} reasons")));
    }
    Ok(())
}

/// A batch has exactly one column per model input.
fn check_n_cols(inputs: usize, n_cols: usize) -> Result<(), (microscore_status, String)> {
    if n_cols != inputs {
        return Err(invalid(format!(
            "n_cols = {n_cols}, the model has {inputs} inputs"
        )));
    }
    Ok(())
}

fn null(name: &str) -> (microscore_status, String) {
    (
        MICROSCORE_NULL_ARGUMENT,
        format!("argument '{name}' is NULL"),
    )
}

unsafe fn str_arg<'a>(
    p: *const c_char,
    name: &str,
) -> Result<&'a str, (microscore_status, String)> {
    if p.is_null() {
        return Err(null(name));
    }
    CStr::from_ptr(p).to_str().map_err(|_| {
        (
            MICROSCORE_INVALID_UTF8,
            format!("argument '{name}' is not valid UTF-8"),
        )
    })
}

/// Copy `s` as a NUL-terminated string into `buf` (`len` bytes); `out_n` gets the bytes needed
/// (without the NUL). With `buf` NULL or too small: `MICROSCORE_BUFFER_TOO_SMALL`, nothing written.
unsafe fn copy_out(
    s: &str,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> Result<(), (microscore_status, String)> {
    if !out_n.is_null() {
        *out_n = s.len();
    }
    if buf.is_null() || len < s.len() + 1 {
        return Err((
            MICROSCORE_BUFFER_TOO_SMALL,
            format!("the buffer holds {len} bytes, {} needed", s.len() + 1),
        ));
    }
    std::ptr::copy_nonoverlapping(s.as_ptr(), buf.cast::<u8>(), s.len());
    *buf.add(s.len()) = 0;
    Ok(())
}

/// The library version, e.g. "0.1.0" (static string).
#[unsafe(no_mangle)]
pub extern "C" fn microscore_version() -> *const c_char {
    const VERSION: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(version) => version,
            Err(_) => panic!("the package version holds a NUL"),
        };
    guarded(INTERNAL, || VERSION).as_ptr()
}

/// A readable name of a status code (static string; unknown codes give "unknown status").
#[unsafe(no_mangle)]
pub extern "C" fn microscore_status_str(status: u32) -> *const c_char {
    let s: &'static CStr = guarded(INTERNAL, || match status {
        0 => c"ok",
        1 => c"NULL argument",
        2 => c"invalid UTF-8",
        3 => c"I/O error",
        4 => c"invalid model",
        5 => c"buffer too small",
        6 => c"invalid argument",
        7 => c"invalid input value",
        99 => c"internal error (panic)",
        _ => c"unknown status",
    });
    s.as_ptr()
}

/// Copy an error's message into `buf` (see the string convention above).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_error_message(
    err: *const microscore_error,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
) -> microscore_status {
    boundary(std::ptr::null_mut(), || {
        let e = err.as_ref().ok_or_else(|| null("err"))?;
        copy_out(&e.message, buf, len, out_n)
    })
}

/// Free an error (NULL is a no-op).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_error_free(err: *mut microscore_error) {
    if !err.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(err))));
    }
}

fn model_result(
    out: *mut *mut microscore_model,
    model: Result<Model, crate::model::ModelError>,
) -> Result<(), (microscore_status, String)> {
    let model = model.map_err(core_error)?;
    let handle = Box::new(microscore_model {
        scorer: Scorer::new(model),
    });
    // SAFETY: checked non-NULL by the caller of this helper.
    unsafe { *out = Box::into_raw(handle) };
    Ok(())
}

/// Load a model file. On success `*out` receives a handle to free with `microscore_model_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_load(
    path: *const c_char,
    out: *mut *mut microscore_model,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let path = str_arg(path, "path")?;
        if out.is_null() {
            return Err(null("out"));
        }
        model_result(out, Model::load(path.as_ref()))
    })
}

/// Load a model from JSON bytes in memory (`len` bytes, no NUL needed).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_from_json(
    json: *const u8,
    len: usize,
    out: *mut *mut microscore_model,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        if json.is_null() {
            return Err(null("json"));
        }
        if out.is_null() {
            return Err(null("out"));
        }
        let bytes = std::slice::from_raw_parts(json, len);
        let text = std::str::from_utf8(bytes).map_err(|_| {
            (
                MICROSCORE_INVALID_UTF8,
                "the model JSON is not valid UTF-8".to_string(),
            )
        })?;
        model_result(out, Model::from_json(text))
    })
}

/// The built-in rural microloan model.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_default(
    out: *mut *mut microscore_model,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        if out.is_null() {
            return Err(null("out"));
        }
        model_result(out, crate::model::builtin::default_model())
    })
}

/// Free a model (NULL is a no-op). No other thread may be using it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_free(model: *mut microscore_model) {
    if !model.is_null() {
        let _ = catch_unwind(AssertUnwindSafe(|| drop(Box::from_raw(model))));
    }
}

/// Number of input columns of a row-major batch (the model's features, then the policy's extra
/// columns); 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_n_inputs(model: *const microscore_model) -> usize {
    guarded(0, || {
        model.as_ref().map_or(0, |m| m.scorer.input_columns().len())
    })
}

/// Number of scorecard features (the first inputs); 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_n_features(model: *const microscore_model) -> usize {
    guarded(0, || {
        model
            .as_ref()
            .map_or(0, |m| m.scorer.model().features().len())
    })
}

/// Name of input column `i`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_input_name(
    model: *const microscore_model,
    i: usize,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        let c = m.scorer.input_columns().get(i).ok_or_else(|| {
            invalid(format!(
                "input {i} does not exist ({} inputs)",
                m.scorer.input_columns().len()
            ))
        })?;
        copy_out(&c.name, buf, len, out_n)
    })
}

/// Whether input column `i` is categorical (1) or numeric (0); 0 when out of range.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_input_is_categorical(
    model: *const microscore_model,
    i: usize,
) -> i32 {
    guarded(0, || {
        model
            .as_ref()
            .and_then(|m| m.scorer.input_columns().get(i))
            .map_or(0, |c| i32::from(c.categorical))
    })
}

/// The model's index of `category` for categorical input `i`, for row-major batches
/// (`*out = -1` when the category is unseen: it is then scored by the unseen route).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_category_index(
    model: *const microscore_model,
    i: usize,
    category: *const c_char,
    out: *mut i64,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        let category = str_arg(category, "category")?;
        if out.is_null() {
            return Err(null("out"));
        }
        if !m
            .scorer
            .input_columns()
            .get(i)
            .is_some_and(|c| c.categorical)
        {
            return Err(invalid(format!("input {i} is not categorical")));
        }
        *out = m.scorer.category_index(i, category).map_or(-1, i64::from);
        Ok(())
    })
}

/// Reason code of feature `feature` (e.g. "WORST_DPD_12M").
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_reason_code(
    model: *const microscore_model,
    feature: usize,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        let f = m
            .scorer
            .model()
            .features()
            .get(feature)
            .ok_or_else(|| invalid(format!("feature {feature} does not exist")))?;
        copy_out(&f.reason_code, buf, len, out_n)
    })
}

/// A language argument: NULL means English ("en").
unsafe fn language_arg<'a>(
    language: *const c_char,
) -> Result<&'a str, (microscore_status, String)> {
    if language.is_null() {
        Ok(crate::scoring::reasons::DEFAULT_LANGUAGE)
    } else {
        str_arg(language, "language")
    }
}

/// The reason statement of feature `feature` in `language` (a tag such as "en" or "zh"; NULL
/// = "en"): what an adverse-action notice says when the feature cost the applicant points
/// (e.g. "Monthly revenue of the business"). `MICROSCORE_INVALID_ARGUMENT` when the model has no
/// statements in that language or the feature does not exist.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_reason_statement(
    model: *const microscore_model,
    feature: usize,
    language: *const c_char,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        let language = language_arg(language)?;
        let statements = crate::scoring::reasons::statements_in(m.scorer.model(), language)
            .map_err(core_error)?;
        let s = statements
            .get(feature)
            .ok_or_else(|| invalid(format!("feature {feature} does not exist")))?;
        copy_out(s, buf, len, out_n)
    })
}

/// The adverse-action notice of an application scored by `microscore_score_one` into
/// `result`, as one JSON object (the record `microscore score --adverse-action` writes): `id`
/// (NULL = none) and `record` (its number in the caller's input), the decision, the score and
/// the model's score range, the principal reasons (up to four: score with k >= 4) with their
/// statements in `language` (NULL = "en") and points lost, the date `date` ("YYYY-MM-DD"; NULL
/// = today, UTC) and the model's checksum. An approved application has no notice: `*out_n`
/// is 0 and `buf` gets "" (when it has room for it). Same buffer rules as the other text
/// functions.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn microscore_notice_json(
    model: *const microscore_model,
    result: *const microscore_result,
    id: *const c_char,
    record: u64,
    language: *const c_char,
    date: *const c_char,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        let r = result.as_ref().ok_or_else(|| null("result"))?;
        let id = if id.is_null() {
            None
        } else {
            Some(str_arg(id, "id")?)
        };
        let language = language_arg(language)?.to_string();
        let date = if date.is_null() {
            crate::scoring::reasons::today()
        } else {
            str_arg(date, "date")?.to_string()
        };
        let maker = crate::scoring::reasons::NoticeMaker::new(
            m.scorer.model(),
            crate::scoring::reasons::NoticeSettings { language, date },
        )
        .map_err(core_error)?;
        let decision = u8::try_from(r.decision)
            .ok()
            .and_then(Decision::from_code)
            .ok_or_else(|| {
                invalid(format!(
                    "result.decision = {} is not a decision",
                    r.decision
                ))
            })?
            .as_str();
        let n = (r.n_reasons as usize).min(r.reasons.len());
        let notice = maker.notice(id, record, decision, r.score, &r.reasons[..n], |i, _| {
            r.points_lost[i]
        });
        let text = match notice {
            Some(notice) => serde_json::to_string(&notice)
                .map_err(|e| invalid(format!("the notice cannot be written: {e}")))?,
            None => String::new(),
        };
        copy_out(&text, buf, len, out_n)
    })
}

/// Name of grade `grade` (e.g. "A").
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_grade_name(
    model: *const microscore_model,
    grade: usize,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        let g = m
            .scorer
            .model()
            .grades()
            .get(grade)
            .ok_or_else(|| invalid(format!("grade {grade} does not exist")))?;
        copy_out(&g.grade, buf, len, out_n)
    })
}

/// Name of the model's id column (carried, never a feature): an empty string when the model
/// has none.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_id_column(
    model: *const microscore_model,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        copy_out(m.scorer.model().id_column().unwrap_or(""), buf, len, out_n)
    })
}

/// The name of decision code `decision` (`microscore_result.decision`, batch decisions):
/// "approve" (0), "refer" (1) or "decline" (2); "unknown" for any other number. Never NULL;
/// the string is static.
#[unsafe(no_mangle)]
pub extern "C" fn microscore_decision_str(decision: u32) -> *const c_char {
    let s: &'static CStr = guarded(INTERNAL, || {
        u8::try_from(decision)
            .ok()
            .and_then(Decision::from_code)
            .map_or(c"unknown", Decision::as_c_str)
    });
    s.as_ptr()
}

/// Score one application given as `n_fields` named fields: `names[i]` with either the text
/// `texts[i]` (when `texts` and `texts[i]` are not NULL) or the number `numbers[i]` (NaN =
/// missing); at most `MICROSCORE_MAX_FIELDS`, each name once (a repeated name is
/// `MICROSCORE_INVALID_ARGUMENT`). Fields the model does not use are ignored; an input the model reads that is not
/// among the names is scored as missing and flags the result `MICROSCORE_FLAG_ABSENT_COLUMN`
/// (pass it with NaN or a NULL text to say "missing" without the flag). A requested amount or
/// revenue the policy rejects (negative, infinite, not a number) gives
/// `MICROSCORE_INVALID_INPUT`. `k` reasons
/// (at most `MICROSCORE_MAX_REASONS`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_score_one(
    model: *const microscore_model,
    names: *const *const c_char,
    numbers: *const f64,
    texts: *const *const c_char,
    n_fields: usize,
    k: usize,
    out: *mut microscore_result,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        if out.is_null() {
            return Err(null("out"));
        }
        if n_fields > 0 && names.is_null() {
            return Err(null("names"));
        }
        if n_fields > 0 && numbers.is_null() && texts.is_null() {
            return Err(null("numbers and texts"));
        }
        check_k(k)?;
        if n_fields > MAX_FIELDS {
            return Err(invalid(format!(
                "n_fields = {n_fields}: at most {MAX_FIELDS} fields (MICROSCORE_MAX_FIELDS)"
            )));
        }
        let mut fields: Vec<(&str, Value<'_>)> = Vec::with_capacity(n_fields);
        let mut seen = std::collections::HashSet::with_capacity(n_fields);
        for i in 0..n_fields {
            let name = str_arg(*names.add(i), "names[i]")?;
            if !seen.insert(name) {
                return Err(invalid(format!(
                    "field '{name}' is given twice (names[{i}]): each field once"
                )));
            }
            let text = if texts.is_null() {
                std::ptr::null()
            } else {
                *texts.add(i)
            };
            let value = if !text.is_null() {
                Value::Text(str_arg(text, "texts[i]")?)
            } else if !numbers.is_null() {
                Value::Number(*numbers.add(i))
            } else {
                Value::Missing
            };
            fields.push((name, value));
        }
        let s = m.scorer.score_fields(&fields, k).map_err(core_error)?;
        let mut r = microscore_result {
            score: s.score,
            pd: s.pd,
            grade: s.grade_index as u32,
            decision: u32::from(s.outcome.decision.code()),
            limit: s.outcome.limit,
            expected_loss: s.outcome.expected_loss,
            flags: s.flags,
            n_reasons: s.reasons.len() as u32,
            reasons: [-1; 32],
            points_lost: [0.0; 32],
        };
        for (i, reason) in s.reasons.iter().enumerate() {
            r.reasons[i] = reason.feature as i32;
            r.points_lost[i] = reason.points_lost;
        }
        *out = r;
        Ok(())
    })
}

/// Number of grades; 0 for NULL.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_n_grades(model: *const microscore_model) -> usize {
    guarded(0, || {
        model
            .as_ref()
            .map_or(0, |m| m.scorer.model().grades().len())
    })
}

/// Number of training categories of input `i` (0 for a numeric input or out of range).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_n_categories(
    model: *const microscore_model,
    i: usize,
) -> usize {
    guarded(0, || {
        model
            .as_ref()
            .map_or(0, |m| m.scorer.category_names(i).count())
    })
}

/// Name of category `c` of categorical input `i` (its index is `c` in row-major batches).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_model_category_name(
    model: *const microscore_model,
    i: usize,
    c: usize,
    buf: *mut c_char,
    len: usize,
    out_n: *mut usize,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        let name = m
            .scorer
            .category_names(i)
            .nth(c)
            .ok_or_else(|| invalid(format!("input {i} has no category {c}")))?;
        copy_out(name, buf, len, out_n)
    })
}

/// Score `n_rows` applications given column by column: `columns[j]` points at `n_rows` doubles
/// for input `j` (NaN = missing; categorical inputs as the model's category index), or
/// `texts[j]` (when `texts` and `texts[j]` are not NULL) at `n_rows` strings for a categorical
/// input (NULL entries = missing, unknown categories = unseen). A column with neither is
/// missing for every row. Outputs as `microscore_score_matrix`; identical results.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_score_columns(
    model: *const microscore_model,
    columns: *const *const f64,
    texts: *const *const *const c_char,
    n_cols: usize,
    n_rows: usize,
    k: usize,
    scores: *mut f64,
    pds: *mut f64,
    grades: *mut u8,
    decisions: *mut u8,
    buf_len: usize,
    reasons: *mut i32,
    reasons_len: usize,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        let inputs = m.scorer.input_columns().len();
        check_n_cols(inputs, n_cols)?;
        if columns.is_null() && texts.is_null() {
            return Err(null("columns and texts"));
        }
        let o = outputs(
            n_rows,
            k,
            scores,
            pds,
            grades,
            decisions,
            buf_len,
            reasons,
            reasons_len,
        )?;
        // Text columns become index columns once (one allocation per text column, none per row).
        let mut converted: Vec<Option<Vec<f64>>> = vec![None; inputs];
        for (j, slot) in converted.iter_mut().enumerate() {
            let t = if texts.is_null() {
                std::ptr::null()
            } else {
                *texts.add(j)
            };
            if t.is_null() {
                continue;
            }
            if !m.scorer.input_columns()[j].categorical {
                return Err(invalid(format!(
                    "input {j} is numeric: give it in columns, not texts"
                )));
            }
            let mut v = Vec::new();
            v.try_reserve_exact(n_rows).map_err(|_| {
                invalid(format!(
                    "cannot allocate {n_rows} category indices for text input {j}"
                ))
            })?;
            for r in 0..n_rows {
                let p = *t.add(r);
                v.push(if p.is_null() {
                    f64::NAN
                } else {
                    m.scorer.category_code(j, str_arg(p, "texts[j][r]")?)
                });
            }
            *slot = Some(v);
        }
        let cols: Vec<Option<&[f64]>> = (0..inputs)
            .map(|j| match &converted[j] {
                Some(v) => Some(v.as_slice()),
                None => {
                    let p = if columns.is_null() {
                        std::ptr::null()
                    } else {
                        *columns.add(j)
                    };
                    (!p.is_null() && n_rows > 0).then(|| std::slice::from_raw_parts(p, n_rows))
                }
            })
            .collect();
        if n_rows == 0 {
            return Ok(());
        }
        m.scorer
            .score_columns(&cols, n_rows, o.k, o.out)
            .map_err(core_error)
    })
}

/// Caller output buffers of a batch call, checked and wrapped; `k` is 0 when `reasons` is NULL.
struct Outputs<'a> {
    out: BatchOutput<'a>,
    k: usize,
}

/// Check the batch output arguments shared by `microscore_score_matrix` and
/// `microscore_score_columns`, and wrap the buffers (nothing is written on error).
unsafe fn outputs<'a>(
    n_rows: usize,
    k: usize,
    scores: *mut f64,
    pds: *mut f64,
    grades: *mut u8,
    decisions: *mut u8,
    buf_len: usize,
    reasons: *mut i32,
    reasons_len: usize,
) -> Result<Outputs<'a>, (microscore_status, String)> {
    check_k(k)?;
    check_rows(n_rows)?;
    let needed_reasons = n_rows
        .checked_mul(k)
        .filter(|&n| n <= MAX_ROWS)
        .ok_or_else(|| invalid("n_rows * k is too large"))?;
    if buf_len < n_rows || (!reasons.is_null() && reasons_len < needed_reasons) {
        return Err((
            MICROSCORE_BUFFER_TOO_SMALL,
            format!("buffers hold {buf_len} rows and {reasons_len} reasons; {n_rows} rows and {needed_reasons} reasons needed"),
        ));
    }
    let slice = |p: *mut f64| (!p.is_null()).then(|| std::slice::from_raw_parts_mut(p, n_rows));
    let bytes = |p: *mut u8| (!p.is_null()).then(|| std::slice::from_raw_parts_mut(p, n_rows));
    let k_used = if reasons.is_null() { 0 } else { k };
    Ok(Outputs {
        out: BatchOutput {
            score: slice(scores),
            pd: slice(pds),
            grade: bytes(grades),
            decision: bytes(decisions),
            reasons: (k_used > 0).then(|| std::slice::from_raw_parts_mut(reasons, needed_reasons)),
            ..BatchOutput::default()
        },
        k: k_used,
    })
}

/// Number of entries each output buffer of `microscore_score_matrix` needs for `n_rows` rows
/// and `k` reasons: `n_rows` for the per-row buffers and, through `reasons_len`, `n_rows * k`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_output_len(
    n_rows: usize,
    k: usize,
    reasons_len: *mut usize,
) -> usize {
    guarded(0, || {
        if !reasons_len.is_null() {
            *reasons_len = n_rows.saturating_mul(k);
        }
        n_rows
    })
}

/// Score `n_rows` applications given row-major in `x` (`n_rows * n_cols` doubles, `n_cols` =
/// `microscore_model_n_inputs`; NaN = missing; categorical inputs as
/// `microscore_model_category_index`, -1 = unseen) into caller buffers of `buf_len` entries
/// (`reasons`: `reasons_len` entries, `k` per row). Any output pointer may be NULL to skip it.
/// Parallel over rows; results are identical for any number of threads.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn microscore_score_matrix(
    model: *const microscore_model,
    x: *const f64,
    n_rows: usize,
    n_cols: usize,
    k: usize,
    scores: *mut f64,
    pds: *mut f64,
    grades: *mut u8,
    decisions: *mut u8,
    buf_len: usize,
    reasons: *mut i32,
    reasons_len: usize,
    err_out: *mut *mut microscore_error,
) -> microscore_status {
    boundary(err_out, || {
        let m = model.as_ref().ok_or_else(|| null("model"))?;
        if n_rows > 0 && x.is_null() {
            return Err(null("x"));
        }
        let inputs = m.scorer.input_columns().len();
        check_n_cols(inputs, n_cols)?;
        let o = outputs(
            n_rows,
            k,
            scores,
            pds,
            grades,
            decisions,
            buf_len,
            reasons,
            reasons_len,
        )?;
        if n_rows == 0 {
            return Ok(());
        }
        let len = n_rows
            .checked_mul(n_cols)
            .filter(|&n| n <= MAX_ROWS)
            .ok_or_else(|| invalid("n_rows * n_cols is too large"))?;
        let xs = std::slice::from_raw_parts(x, len);
        m.scorer.score_matrix(xs, o.k, o.out).map_err(core_error)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    unsafe fn message(err: *mut microscore_error) -> String {
        let mut n = 0usize;
        assert_eq!(
            microscore_error_message(err, std::ptr::null_mut(), 0, &mut n),
            MICROSCORE_BUFFER_TOO_SMALL
        );
        let mut buf = vec![0 as c_char; n + 1];
        assert_eq!(
            microscore_error_message(err, buf.as_mut_ptr(), buf.len(), &mut n),
            MICROSCORE_OK
        );
        let s = CStr::from_ptr(buf.as_ptr()).to_str().unwrap().to_string();
        microscore_error_free(err);
        s
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let mut err = std::ptr::null_mut();
        let status = boundary(&mut err, || panic!("forced"));
        assert_eq!(status, MICROSCORE_PANIC);
        assert!(unsafe { message(err) }.contains("panic"));
    }

    #[test]
    fn a_panic_in_a_count_returns_its_documented_default() {
        assert_eq!(guarded(0usize, || panic!("forced")), 0);
        assert_eq!(
            guarded(INTERNAL, || -> &CStr { panic!("forced") }),
            INTERNAL
        );
        assert_eq!(guarded(0usize, || 7), 7);
    }

    #[test]
    fn each_kind_of_core_error_has_its_status() {
        use crate::model::ModelError;
        use crate::scoring::ScoreError;
        let dir =
            std::env::temp_dir().join(format!("microscore-ffi-status-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // A model file modified after training, read from a file: the checksum error inside
        // the file error is an invalid model, not an I/O error.
        let json = crate::model::builtin::default_model()
            .unwrap()
            .to_json()
            .unwrap();
        let tampered = dir.join("tampered.json");
        let changed = json.replacen("application_id", "application_ix", 1);
        std::fs::write(&tampered, &changed).unwrap();
        let e = Model::load(&tampered).unwrap_err();
        assert!(matches!(e, ModelError::InFile { .. }), "{e}");
        assert_eq!(e.status(), MICROSCORE_INVALID_MODEL, "{e}");
        let e = Model::load(&dir.join("absent.json")).unwrap_err();
        assert_eq!(e.status(), MICROSCORE_IO, "{e}");
        // Scoring: values are input errors, sizes of buffers their own status, shapes arguments.
        let e = ScoreError::BufferSize {
            name: "score",
            len: 1,
            needed: 2,
        };
        assert_eq!(e.status(), MICROSCORE_BUFFER_TOO_SMALL);
        assert_eq!(
            ScoreError::NotNumeric("x".into()).status(),
            MICROSCORE_INVALID_INPUT
        );
        assert_eq!(
            ScoreError::TooManyReasons(40).status(),
            MICROSCORE_INVALID_ARGUMENT
        );
        let (status, message) = core_error(crate::scoring::reasons::ReasonsError::Date(
            "2026-13-01".into(),
        ));
        assert_eq!(status, MICROSCORE_INVALID_ARGUMENT);
        assert!(message.contains("2026-13-01"), "{message}");
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn null_and_bad_arguments_are_errors_not_crashes() {
        unsafe {
            let mut err = std::ptr::null_mut();
            let mut model = std::ptr::null_mut();
            assert_eq!(
                microscore_model_load(std::ptr::null(), &mut model, &mut err),
                MICROSCORE_NULL_ARGUMENT
            );
            assert!(model.is_null());
            assert!(message(err).contains("'path' is NULL"));
            let bad = [0xffu8, 0xfe, 0];
            let mut err = std::ptr::null_mut();
            assert_eq!(
                microscore_model_load(bad.as_ptr().cast(), &mut model, &mut err),
                MICROSCORE_INVALID_UTF8
            );
            microscore_error_free(err);
            let json = b"{\"format\": \"microscore-scorecard\", \"format_version\": 9}";
            let mut err = std::ptr::null_mut();
            assert_eq!(
                microscore_model_from_json(json.as_ptr(), json.len(), &mut model, &mut err),
                MICROSCORE_INVALID_MODEL
            );
            assert!(message(err).contains("format_version 9"));
            // A NULL err_out is allowed.
            assert_eq!(
                microscore_model_default(std::ptr::null_mut(), std::ptr::null_mut()),
                MICROSCORE_NULL_ARGUMENT
            );
            assert_eq!(
                microscore_model_default(&mut model, std::ptr::null_mut()),
                MICROSCORE_OK
            );
            let mut r = std::mem::MaybeUninit::<microscore_result>::uninit();
            assert_eq!(
                microscore_score_one(
                    model,
                    std::ptr::null(),
                    std::ptr::null(),
                    std::ptr::null(),
                    0,
                    40,
                    r.as_mut_ptr(),
                    std::ptr::null_mut()
                ),
                MICROSCORE_INVALID_ARGUMENT
            );
            assert_eq!(
                microscore_score_one(
                    model,
                    std::ptr::null(),
                    std::ptr::null(),
                    std::ptr::null(),
                    0,
                    4,
                    r.as_mut_ptr(),
                    std::ptr::null_mut()
                ),
                MICROSCORE_OK
            );
            assert!(r.assume_init().score.is_finite());
            assert_eq!(microscore_model_n_features(std::ptr::null()), 0);
            microscore_model_free(model);
            microscore_model_free(std::ptr::null_mut());
            microscore_error_free(std::ptr::null_mut());
            assert_eq!(
                CStr::from_ptr(microscore_status_str(5)).to_str().unwrap(),
                "buffer too small"
            );
            assert_eq!(
                CStr::from_ptr(microscore_version()).to_str().unwrap(),
                env!("CARGO_PKG_VERSION")
            );
        }
    }
}

//! What the readers make of the input's rows: the scorer's inputs of the accepted rows, what
//! each carries through to the output, and the rejects (already lines of the rejects file);
//! the conversions of single values every reader shares; and the scoring of parsed rows.

use super::error::BatchError;
use super::plan::Plan;
use crate::input::{is_missing_token, NotANumber, Reject};
use crate::output::{text, Carried, Scored};
use crate::scoring::{BatchOutput, Scorer};

/// Rows parsed from one block or record batch, ready to score.
pub(super) struct Parsed<'a> {
    /// Row-major scorer inputs of the accepted rows.
    pub(super) x: Vec<f64>,
    /// What each accepted row carries through to the output, and the reader's flags.
    pub(super) metas: Vec<RowMeta<'a>>,
    /// The line (text) or row (Parquet) of each accepted row.
    pub(super) lines: Vec<u64>,
    /// Rejects, already formatted as lines of the rejects file.
    pub(super) rejects: Vec<u8>,
    pub(super) first_reject: Option<Reject>,
    /// Every reject, when the caller wants them as values (record batches out).
    pub(super) listed: Option<Vec<Reject>>,
    pub(super) read: u64,
    pub(super) rejected: u64,
    /// JSON Lines: which of the plan's keys some record of the unit has, and the keys of the
    /// unit's first record (for "did you mean").
    pub(super) keys: Option<(Vec<bool>, Vec<String>)>,
}

impl<'a> Parsed<'a> {
    /// Room for `rows` rows of `m` inputs.
    pub(super) fn with_capacity(m: usize, rows: usize) -> Parsed<'a> {
        Parsed {
            x: Vec::with_capacity(m * rows),
            metas: Vec::with_capacity(rows),
            lines: Vec::with_capacity(rows),
            rejects: Vec::new(),
            first_reject: None,
            listed: None,
            read: 0,
            rejected: 0,
            keys: None,
        }
    }

    /// Count one row read: its inputs (`values`) and output data, or its reject.
    pub(super) fn add(
        &mut self,
        line: u64,
        row: Result<RowMeta<'a>, RowError>,
        values: &[f64],
        raw: &[u8],
    ) {
        self.read += 1;
        match row {
            Ok(meta) => {
                self.x.extend_from_slice(values);
                self.metas.push(meta);
                self.lines.push(line);
            }
            Err(e) => self.reject(line, e, raw),
        }
    }

    pub(super) fn reject(&mut self, line: u64, (column, value, reason): RowError, raw: &[u8]) {
        self.rejected += 1;
        let reject = Reject {
            line,
            column,
            value,
            reason,
        };
        text::write_reject(&mut self.rejects, &reject, raw);
        if let Some(list) = &mut self.listed {
            list.push(reject.clone());
        }
        if self.first_reject.is_none() {
            self.first_reject = Some(reject);
        }
    }
}

/// What a reader makes of one accepted row besides its inputs.
pub(super) struct RowMeta<'a> {
    /// Its id and kept values.
    pub(super) carried: Carried<'a>,
    /// Flags the reader raises for the row (`absent_column` for a JSON record without a key,
    /// under the opt-in), added to the scorer's.
    pub(super) flags: u32,
}

impl<'a> AsRef<Carried<'a>> for RowMeta<'a> {
    fn as_ref(&self) -> &Carried<'a> {
        &self.carried
    }
}

pub(super) type RowError = (String, String, String);

/// A block of whole text lines.
pub(super) struct TextBlock {
    /// Line number (in the file) of the first line.
    pub(super) first_line: u64,
    /// Lines in the block (the last may lack its line break).
    pub(super) lines: usize,
    pub(super) bytes: Vec<u8>,
}

/// A row whose requested amount or revenue the policy cannot use, as a reject (when the policy
/// rejects such rows; otherwise the scorer refers them with a flag).
pub(super) fn amount_reject(scorer: &Scorer, values: &[f64]) -> Option<RowError> {
    if !scorer.rejects_amount_issues() {
        return None;
    }
    let (column, reason) = scorer.amount_issue(values)?;
    let value = scorer
        .input_columns()
        .iter()
        .position(|c| c.name == column)
        .map_or_else(String::new, |j| crate::format::number_text(values[j]));
    Some((column.to_string(), value, reason.to_string()))
}

/// The index of a category written exactly as the model has it (nothing to trim, not a missing
/// token), as the scorer's input; `None` sends the field down the general path.
#[inline]
pub(super) fn known_category(scorer: &Scorer, j: usize, b: &[u8]) -> Option<f64> {
    let (first, last) = (b.first()?, b.last()?);
    if first.is_ascii_whitespace() || last.is_ascii_whitespace() {
        return None;
    }
    let index = scorer.category_index_bytes(j, b)?;
    // A missing token is missing even if a model lists it as a category.
    if b.len() <= 4 && text_of(b).is_some_and(is_missing_token) {
        return None;
    }
    Some(f64::from(index))
}

/// One input value as the scorer's f64 (category index for categorical columns, -1 unseen);
/// numbers by the plan's dialect (a decimal comma when asked).
pub(super) fn input_value(
    scorer: &Scorer,
    plan: &Plan,
    j: usize,
    t: &str,
) -> Result<f64, NotANumber> {
    if plan.categorical[j] {
        Ok(scorer.category_code(j, t))
    } else if is_missing_token(t) {
        Ok(f64::NAN)
    } else {
        plan.dialect
            .number(t)
            .ok_or_else(|| plan.dialect.not_a_number(t))
    }
}

pub(super) fn text_of(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

/// Score the rows (row-major inputs `x`, the reader's flags in `metas`) with `k` reason
/// codes each; the plan's and the reader's flags are added to the scorer's.
pub(super) fn score_rows(
    scorer: &Scorer,
    plan: &Plan,
    x: &[f64],
    metas: &[RowMeta<'_>],
    k: usize,
    points: bool,
) -> Result<Scored, BatchError> {
    let n = metas.len();
    let nf = scorer.model().features().len();
    let mut scored = Scored {
        score: vec![0.0; n],
        pd: vec![0.0; n],
        grade: vec![0u8; n],
        decision: vec![0u8; n],
        limit: vec![0.0; n],
        expected_loss: vec![0.0; n],
        flags: vec![0u32; n],
        reasons: vec![-1i32; n * k],
        points: if points {
            vec![0.0; n * nf]
        } else {
            Vec::new()
        },
        k,
    };
    if n > 0 {
        scorer.score_matrix(
            x,
            k,
            BatchOutput {
                score: Some(&mut scored.score),
                pd: Some(&mut scored.pd),
                grade: Some(&mut scored.grade),
                decision: Some(&mut scored.decision),
                limit: Some(&mut scored.limit),
                expected_loss: Some(&mut scored.expected_loss),
                flags: Some(&mut scored.flags),
                reasons: Some(&mut scored.reasons),
                points: points.then_some(scored.points.as_mut_slice()),
                ..BatchOutput::default()
            },
        )?;
    }
    for (f, meta) in scored.flags.iter_mut().zip(metas) {
        *f |= plan.absent_flag | meta.flags;
    }
    Ok(scored)
}

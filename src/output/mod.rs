//! Writing scored applications: CSV and JSON Lines ([`text`]), Parquet files and Arrow record
//! batches ([`arrow`]).
//!
//! Every output has the same columns in the same order, given by one [`Layout`]: the id column
//! (when the model names one and the input has it), the kept input columns, the per-application
//! results ([`ResultColumn::ALL`]), the reason codes `reason_1..k`, their statements
//! `reason_1_text..` (when asked for) and the flags. Each writer walks that list; none lists the
//! columns by hand. JSON Lines gathers the reason codes, statements and flags into arrays.

use std::borrow::Cow;

use crate::model::policy::Decision;
use crate::model::Model;

pub mod arrow;
pub mod text;

/// One per-application result, in the order every output and binding gives them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultColumn {
    /// The score (sum of the features' points).
    Score,
    /// The probability of default.
    Pd,
    /// The risk grade.
    Grade,
    /// The policy's decision (`approve`, `refer`, `decline`).
    Decision,
    /// The recommended limit (no value when the policy sets none).
    Limit,
    /// The grade's annual rate (no value for a grade without one).
    AnnualRate,
    /// The expected loss of the recommended limit.
    ExpectedLoss,
}

impl ResultColumn {
    /// Every result, in output order.
    pub const ALL: [ResultColumn; 7] = [
        ResultColumn::Score,
        ResultColumn::Pd,
        ResultColumn::Grade,
        ResultColumn::Decision,
        ResultColumn::Limit,
        ResultColumn::AnnualRate,
        ResultColumn::ExpectedLoss,
    ];

    /// The column's name in every output.
    pub const fn name(self) -> &'static str {
        match self {
            ResultColumn::Score => "score",
            ResultColumn::Pd => "pd",
            ResultColumn::Grade => "grade",
            ResultColumn::Decision => "decision",
            ResultColumn::Limit => "limit",
            ResultColumn::AnnualRate => "annual_rate",
            ResultColumn::ExpectedLoss => "expected_loss",
        }
    }

    /// Whether the values are text (the grade and the decision); the others are numbers.
    pub const fn is_text(self) -> bool {
        matches!(self, ResultColumn::Grade | ResultColumn::Decision)
    }

    /// Whether every scored row has a value (the score, PD, grade and decision always do).
    pub const fn always_present(self) -> bool {
        matches!(
            self,
            ResultColumn::Score | ResultColumn::Pd | ResultColumn::Grade | ResultColumn::Decision
        )
    }
}

/// One column of an output, in [`Layout::columns`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputColumn<'a> {
    /// The id column, by its name.
    Id(&'a str),
    /// The `j`-th kept input column, by its name.
    Kept(usize, &'a str),
    /// A per-application result.
    Result(ResultColumn),
    /// The `r`-th reason code (0-based; named `reason_{r+1}`).
    Reason(usize),
    /// The `r`-th reason's statement (0-based; named `reason_{r+1}_text`).
    ReasonText(usize),
    /// The flags, `;`-separated names.
    Flags,
}

impl OutputColumn<'_> {
    /// The column's name.
    pub fn name(&self) -> Cow<'_, str> {
        match *self {
            OutputColumn::Id(name) | OutputColumn::Kept(_, name) => Cow::Borrowed(name),
            OutputColumn::Result(c) => Cow::Borrowed(c.name()),
            OutputColumn::Reason(r) => Cow::Owned(format!("reason_{}", r + 1)),
            OutputColumn::ReasonText(r) => Cow::Owned(format!("reason_{}_text", r + 1)),
            OutputColumn::Flags => Cow::Borrowed("flags"),
        }
    }
}

/// The columns an output has around the results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout<'a> {
    /// The id column's name, when the output carries it.
    pub id: Option<&'a str>,
    /// The kept input columns' names.
    pub kept: Vec<&'a str>,
    /// Reason codes per row.
    pub reasons: usize,
    /// Each feature's reason statement (model feature order), when the output carries them.
    pub texts: Option<&'a [String]>,
}

impl<'a> Layout<'a> {
    /// The output's columns, in order.
    pub fn columns(&self) -> Vec<OutputColumn<'a>> {
        self.columns_iter().collect()
    }

    /// The output's columns, in order, without collecting them.
    pub fn columns_iter(&self) -> impl Iterator<Item = OutputColumn<'a>> + '_ {
        let texts = if self.texts.is_some() {
            self.reasons
        } else {
            0
        };
        self.id
            .map(OutputColumn::Id)
            .into_iter()
            .chain(
                self.kept
                    .iter()
                    .enumerate()
                    .map(|(j, &n)| OutputColumn::Kept(j, n)),
            )
            .chain(ResultColumn::ALL.map(OutputColumn::Result))
            .chain((0..self.reasons).map(OutputColumn::Reason))
            .chain((0..texts).map(OutputColumn::ReasonText))
            .chain(std::iter::once(OutputColumn::Flags))
    }
}

/// What a row carries through from its input: its id and kept values (`None` = absent).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Carried<'a> {
    /// The id (`None` when the output has no id column, or the record has none).
    pub id: Option<Cow<'a, str>>,
    /// The kept columns' values, in [`Layout::kept`] order.
    pub keep: Vec<Option<Cow<'a, str>>>,
}

/// The scores of a run of rows, column by column: what every writer writes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scored {
    /// Scores.
    pub score: Vec<f64>,
    /// PDs.
    pub pd: Vec<f64>,
    /// Grade indices (into the model's grades).
    pub grade: Vec<u8>,
    /// Decision codes ([`Decision::code`]).
    pub decision: Vec<u8>,
    /// Recommended limits.
    pub limit: Vec<f64>,
    /// Expected losses.
    pub expected_loss: Vec<f64>,
    /// Flag bits.
    pub flags: Vec<u32>,
    /// Row-major reason codes, `k` per row (feature index, -1 = none).
    pub reasons: Vec<i32>,
    /// Row-major points of every feature (only when asked for: notices need them).
    pub points: Vec<f64>,
    /// Reason codes per row.
    pub k: usize,
}

/// A result's value in one row.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value<'a> {
    /// A number (`None`: no value).
    Number(Option<f64>),
    /// Text.
    Text(&'a str),
}

/// [`Scored`] rows read through their model: grade names, decision names, rates, reason codes.
#[derive(Debug, Clone)]
pub struct Results<'a> {
    /// The scores.
    pub scored: &'a Scored,
    model: &'a Model,
    /// Each grade's name and annual rate, by grade index.
    grades: Vec<(&'a str, Option<f64>)>,
}

impl<'a> Results<'a> {
    /// The scores of `model`.
    pub fn new(model: &'a Model, scored: &'a Scored) -> Results<'a> {
        let grades = model
            .grades()
            .iter()
            .map(|g| {
                let rate = model.policy().annual_rate.get(&g.grade).copied();
                (g.grade.as_str(), rate)
            })
            .collect();
        Results {
            scored,
            model,
            grades,
        }
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.scored.score.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value of result `c` in row `i`.
    pub fn value(&self, c: ResultColumn, i: usize) -> Value<'a> {
        let s = self.scored;
        match c {
            ResultColumn::Score => Value::Number(Some(s.score[i])),
            ResultColumn::Pd => Value::Number(Some(s.pd[i])),
            ResultColumn::Grade => Value::Text(self.grades[s.grade[i] as usize].0),
            ResultColumn::Decision => {
                Value::Text(Decision::from_code(s.decision[i]).map_or("unknown", Decision::as_str))
            }
            ResultColumn::Limit => Value::Number(Some(s.limit[i])),
            ResultColumn::AnnualRate => Value::Number(self.grades[s.grade[i] as usize].1),
            ResultColumn::ExpectedLoss => Value::Number(Some(s.expected_loss[i])),
        }
    }

    /// The feature of row `i`'s `r`-th reason code (`None` when it has fewer reasons).
    pub fn reason(&self, i: usize, r: usize) -> Option<usize> {
        let f = self.scored.reasons[i * self.scored.k + r];
        usize::try_from(f).ok()
    }

    /// The reason code of row `i`'s `r`-th reason.
    pub fn reason_code(&self, i: usize, r: usize) -> Option<&'a str> {
        self.reason(i, r)
            .map(|f| self.model.features()[f].reason_code.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_output_walks_one_column_list() {
        let texts = vec!["a".to_string(), "b".to_string()];
        let layout = Layout {
            id: Some("application_id"),
            kept: vec!["region"],
            reasons: 2,
            texts: Some(&texts),
        };
        let names: Vec<String> = layout
            .columns()
            .iter()
            .map(|c| c.name().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "application_id",
                "region",
                "score",
                "pd",
                "grade",
                "decision",
                "limit",
                "annual_rate",
                "expected_loss",
                "reason_1",
                "reason_2",
                "reason_1_text",
                "reason_2_text",
                "flags"
            ]
        );
        let bare = Layout {
            id: None,
            kept: Vec::new(),
            reasons: 0,
            texts: None,
        };
        assert_eq!(bare.columns().len(), ResultColumn::ALL.len() + 1);
    }
}

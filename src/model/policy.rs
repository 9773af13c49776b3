//! The decision policy: approve / refer / decline, the thin-file rule, the recommended loan
//! limit, risk-based pricing and expected loss.
//!
//! Two types:
//! - [`PolicySpec`] is what a user writes: a policy file (`microscore train --policy`,
//!   `microscore score --policy`), `Scorecard(policy=...)` in Python, or the `train` flags
//!   (`--approve-pd`, `--amount-column`, ...). Every key is optional: cut-offs may be given as
//!   scores or as PDs (default: approve at PD <= 5%, decline at PD > 15%), and the parts that
//!   read columns of the application (loan sizing, the thin-file rule, required columns) exist
//!   only where the spec names their columns.
//! - [`Policy`] is what a model file holds: the spec resolved against the model's scaling and
//!   grades ([`PolicySpec::resolve`]), with cut-offs as scores. Training checks every column it
//!   names against the training data ([`Policy::columns`]).
//!
//! [`CompiledPolicy::decide`] applies a policy to a scored application; it never changes the
//! score, PD or reasons. Without a limit rule the limit and the expected loss are NaN (an empty
//! cell), never invented. A requested amount or revenue that is negative or infinite is never
//! approved with a limit: such an application is rejected by the batch scorers (an error for the
//! in-memory ones), or, when the policy says `invalid_amount: "refer"`, referred with the
//! `invalid_amount` flag and no limit.
//!
//! The built-in model carries [`PolicySpec::microloan`], the policy of unsecured rural
//! microloans on the generator's columns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::model::scaling::{GradeBand, Scaling};

/// A policy that is not valid: the field (as written in a policy file) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("policy.{field}: {reason}")]
pub struct PolicyError {
    /// The field, e.g. `amount_column` or `revenue_multiple.C`.
    pub field: String,
    /// What is wrong.
    pub reason: String,
}

fn policy_error(field: impl Into<String>, reason: impl Into<String>) -> PolicyError {
    PolicyError {
        field: field.into(),
        reason: reason.into(),
    }
}

/// The decision for an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Approve automatically.
    Approve,
    /// Refer to a loan officer.
    Refer,
    /// Decline.
    Decline,
}

impl Decision {
    /// Every decision, by code.
    pub const ALL: [Decision; 3] = [Decision::Approve, Decision::Refer, Decision::Decline];

    /// The decision of a code ([`Decision::code`]); `None` for any other number.
    pub const fn from_code(code: u8) -> Option<Decision> {
        match code {
            0 => Some(Decision::Approve),
            1 => Some(Decision::Refer),
            2 => Some(Decision::Decline),
            _ => None,
        }
    }

    /// The decision's number in batch outputs and the C ABI: 0 approve, 1 refer, 2 decline.
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// [`Decision::as_str`] as a C string (for the C ABI).
    pub const fn as_c_str(self) -> &'static std::ffi::CStr {
        match self {
            Decision::Approve => c"approve",
            Decision::Refer => c"refer",
            Decision::Decline => c"decline",
        }
    }

    /// `approve`, `refer` or `decline`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Refer => "refer",
            Decision::Decline => "decline",
        }
    }
}

/// What happens to an application whose requested amount or revenue is negative or infinite
/// (or text where a number belongs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvalidAmount {
    /// Reject the row (rejects file; an error naming the row in the in-memory APIs).
    #[default]
    Reject,
    /// Refer it to a loan officer, with the `invalid_amount` flag and no limit.
    Refer,
}

impl InvalidAmount {
    fn is_reject(&self) -> bool {
        *self == InvalidAmount::Reject
    }
}

/// How to recognise an applicant with no credit history (a "thin file").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThinFileRule {
    /// The numeric column that tells.
    pub column: String,
    /// The applicant is thin-file when the column is missing (`None`) or equals this value.
    pub equals: Option<f64>,
    /// Features that only a credit history can fill: points lost on them count as "lacking
    /// history". A thin-file applicant whose score would reach the refer band with those points
    /// back is referred, never declined for lacking history alone.
    pub history_features: Vec<String>,
}

/// The loan limit rule: the smallest of the requested amount, a grade-dependent multiple of
/// monthly revenue and the product cap (each where the policy has it), rounded down to
/// `round_to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitRule {
    /// Numeric column with the requested amount (`None`: the limit is what revenue allows).
    pub requested_column: Option<String>,
    /// Numeric column with the monthly revenue (`None`: no revenue-based limit).
    pub revenue_column: Option<String>,
    /// Multiple of monthly revenue allowed per grade (every grade, when there is a revenue column).
    #[serde(default)]
    pub revenue_multiple: BTreeMap<String, f64>,
    /// Largest loan of the product (`None`: no cap).
    pub product_cap: Option<f64>,
    /// Limit when the revenue is not declared (`None`: the revenue term is left out).
    pub undeclared_revenue_cap: Option<f64>,
    /// Limits are rounded down to a multiple of this (0: not rounded).
    #[serde(default)]
    pub round_to: f64,
}

/// A decision policy, as a model file holds it (cut-offs as scores).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Scores at or above this are approved.
    pub approve_min_score: f64,
    /// Scores below this are declined; between the two cut-offs, referred.
    pub decline_below_score: f64,
    /// The thin-file rule (`None`: no such rule).
    pub thin_file: Option<ThinFileRule>,
    /// The loan limit rule (`None`: no loan sizing; limits and expected losses are empty).
    pub limit: Option<LimitRule>,
    /// Annual interest rate per grade (risk-based pricing; a grade without one has no rate).
    pub annual_rate: BTreeMap<String, f64>,
    /// Loss given default (for the expected loss PD x LGD x exposure).
    pub lgd: f64,
    /// Columns an application must not leave empty: the batch scorers reject such rows.
    pub required: Vec<String>,
    /// What happens to an application with an invalid amount or revenue.
    #[serde(default, skip_serializing_if = "InvalidAmount::is_reject")]
    pub invalid_amount: InvalidAmount,
}

fn by_grade(values: &[f64]) -> BTreeMap<String, f64> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (char::from(b'A' + i as u8).to_string(), *v))
        .collect()
}

/// A decision policy as a user writes it: a policy file, `Scorecard(policy=...)`, or the
/// `train` flags. Every key is optional; [`PolicySpec::resolve`] fills in the defaults and
/// checks it. The keys are the flags' names with underscores:
///
/// ```json
/// {
///   "approve_pd": 0.05, "decline_pd": 0.15,
///   "amount_column": "loan_amount", "revenue_column": "monthly_income",
///   "revenue_multiple": {"A": 3, "B": 2.5, "C": 2}, "product_cap": 50000, "round_to": 100,
///   "thin_file_column": "months_on_book", "history_features": ["months_on_book"],
///   "annual_rate": {"A": 0.06, "B": 0.08}, "lgd": 0.75,
///   "required": ["loan_amount"], "invalid_amount": "reject"
/// }
/// ```
///
/// Cut-offs may be scores instead (`approve_min_score`, `decline_below_score`, what
/// `microscore strategy` writes). A model file's `policy` object is a valid spec too (its
/// `limit` and `thin_file` objects stand for the flat keys).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicySpec {
    /// Approve at or below this PD (default 0.05). Not with `approve_min_score`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_pd: Option<f64>,
    /// Approve at or above this score. Not with `approve_pd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approve_min_score: Option<f64>,
    /// Decline above this PD (default 0.15). Not with `decline_below_score`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_pd: Option<f64>,
    /// Decline below this score. Not with `decline_pd`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_below_score: Option<f64>,
    /// Numeric column with the requested loan amount: turns on loan sizing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_column: Option<String>,
    /// Numeric column with the monthly revenue (needs `revenue_multiple`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_column: Option<String>,
    /// Multiple of monthly revenue allowed per grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revenue_multiple: Option<BTreeMap<String, f64>>,
    /// Largest loan of the product.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_cap: Option<f64>,
    /// Limit when the revenue is not declared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undeclared_revenue_cap: Option<f64>,
    /// Limits are rounded down to a multiple of this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round_to: Option<f64>,
    /// Numeric column telling a thin-file applicant (missing, or equal to `thin_file_equals`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thin_file_column: Option<String>,
    /// The value of `thin_file_column` that means "no history" (default: missing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thin_file_equals: Option<f64>,
    /// Features only a credit history fills (default: the thin-file column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_features: Option<Vec<String>>,
    /// Annual rate per grade.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annual_rate: Option<BTreeMap<String, f64>>,
    /// Loss given default (default 1: the whole exposure of an unsecured loan).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lgd: Option<f64>,
    /// Columns an application must fill (default: the amount column, when there is one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Vec<String>>,
    /// `reject` (default) or `refer` an application with an invalid amount or revenue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_amount: Option<InvalidAmount>,
    /// The model file's form of the loan sizing keys (not with the flat keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<LimitRule>,
    /// The model file's form of the thin-file keys (not with the flat keys).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thin_file: Option<ThinFileRule>,
}

/// Default PD at or below which an application is approved.
pub const DEFAULT_APPROVE_PD: f64 = 0.05;
/// Default PD above which an application is declined.
pub const DEFAULT_DECLINE_PD: f64 = 0.15;

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl PolicySpec {
    /// Parse a policy file (JSON); unknown keys are an error naming them.
    pub fn from_json(text: &str) -> Result<PolicySpec, PolicyError> {
        serde_json::from_str(text).map_err(|e| policy_error("(file)", e.to_string()))
    }

    /// The spec as pretty-printed JSON, with a final newline.
    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }

    /// The policy of unsecured rural microloans on the generator's columns (the built-in
    /// model's): approve at PD <= 5%, decline at PD > 15%; thin-file applicants (no
    /// `worst_dpd_12m`) never declined for lacking history alone; limit = min(requested, 3x
    /// (grade A) down to 0.5x (grade H) monthly revenue, 300,000 CNY), 10,000 CNY without
    /// declared revenue, in steps of 100; rates 6% (A) to 22% (H); LGD 75%.
    pub fn microloan() -> PolicySpec {
        PolicySpec {
            approve_pd: Some(DEFAULT_APPROVE_PD),
            decline_pd: Some(DEFAULT_DECLINE_PD),
            amount_column: Some("requested_amount".into()),
            revenue_column: Some("monthly_revenue".into()),
            revenue_multiple: Some(by_grade(&[3.0, 2.5, 2.0, 1.6, 1.2, 1.0, 0.75, 0.5])),
            product_cap: Some(300_000.0),
            undeclared_revenue_cap: Some(10_000.0),
            round_to: Some(100.0),
            thin_file_column: Some("worst_dpd_12m".into()),
            history_features: Some(vec![
                "worst_dpd_12m".into(),
                "credit_history_months".into(),
                "existing_loans".into(),
                "has_credit_history".into(),
            ]),
            annual_rate: Some(by_grade(&[
                0.06, 0.075, 0.09, 0.11, 0.135, 0.16, 0.19, 0.22,
            ])),
            lgd: Some(0.75),
            required: Some(vec!["requested_amount".into()]),
            ..PolicySpec::default()
        }
    }

    /// The spec of an existing policy (cut-offs as scores): what `microscore strategy` starts
    /// from and writes back with new cut-offs.
    pub fn of(policy: &Policy) -> PolicySpec {
        let limit = policy.limit.as_ref();
        let thin = policy.thin_file.as_ref();
        PolicySpec {
            approve_min_score: Some(policy.approve_min_score),
            decline_below_score: Some(policy.decline_below_score),
            amount_column: limit.and_then(|l| l.requested_column.clone()),
            revenue_column: limit.and_then(|l| l.revenue_column.clone()),
            revenue_multiple: limit
                .filter(|l| !l.revenue_multiple.is_empty())
                .map(|l| l.revenue_multiple.clone()),
            product_cap: limit.and_then(|l| l.product_cap),
            undeclared_revenue_cap: limit.and_then(|l| l.undeclared_revenue_cap),
            round_to: limit.map(|l| l.round_to).filter(|&r| r > 0.0),
            thin_file_column: thin.map(|t| t.column.clone()),
            thin_file_equals: thin.and_then(|t| t.equals),
            history_features: thin.map(|t| t.history_features.clone()),
            annual_rate: (!policy.annual_rate.is_empty()).then(|| policy.annual_rate.clone()),
            lgd: Some(policy.lgd),
            required: Some(policy.required.clone()),
            invalid_amount: Some(policy.invalid_amount),
            ..PolicySpec::default()
        }
    }

    /// `self` with every key that `other` sets taken from `other` (command-line flags over a
    /// policy file). Setting a flat loan-sizing or thin-file key in `other` also replaces the
    /// file's nested form of it.
    pub fn overridden_by(mut self, other: PolicySpec) -> Result<PolicySpec, PolicyError> {
        let mut base = self.flattened()?;
        let other = other.flattened()?;
        macro_rules! take {
            ($($f:ident),*) => {$(if other.$f.is_some() { base.$f = other.$f; })*};
        }
        take!(
            amount_column,
            revenue_column,
            revenue_multiple,
            product_cap,
            undeclared_revenue_cap,
            round_to,
            thin_file_column,
            thin_file_equals,
            history_features,
            annual_rate,
            lgd,
            required,
            invalid_amount
        );
        // A cut-off given one way replaces the other way.
        if other.approve_pd.is_some() || other.approve_min_score.is_some() {
            base.approve_pd = other.approve_pd;
            base.approve_min_score = other.approve_min_score;
        }
        if other.decline_pd.is_some() || other.decline_below_score.is_some() {
            base.decline_pd = other.decline_pd;
            base.decline_below_score = other.decline_below_score;
        }
        self = base;
        Ok(self)
    }

    /// The spec with its nested `limit` and `thin_file` objects moved into the flat keys.
    fn flattened(mut self) -> Result<PolicySpec, PolicyError> {
        let conflict = |flat: &str, nested: &str| {
            policy_error(
                flat,
                format!("given both as '{flat}' and inside '{nested}': keep one"),
            )
        };
        if let Some(l) = self.limit.take() {
            let flat = [
                ("amount_column", self.amount_column.is_some()),
                ("revenue_column", self.revenue_column.is_some()),
                ("revenue_multiple", self.revenue_multiple.is_some()),
                ("product_cap", self.product_cap.is_some()),
                (
                    "undeclared_revenue_cap",
                    self.undeclared_revenue_cap.is_some(),
                ),
                ("round_to", self.round_to.is_some()),
            ];
            if let Some((name, _)) = flat.iter().find(|(_, set)| *set) {
                return Err(conflict(name, "limit"));
            }
            self.amount_column = l.requested_column;
            self.revenue_column = l.revenue_column;
            self.revenue_multiple = (!l.revenue_multiple.is_empty()).then_some(l.revenue_multiple);
            self.product_cap = l.product_cap;
            self.undeclared_revenue_cap = l.undeclared_revenue_cap;
            self.round_to = Some(l.round_to).filter(|&r| r != 0.0);
        }
        if let Some(t) = self.thin_file.take() {
            let flat = [
                ("thin_file_column", self.thin_file_column.is_some()),
                ("thin_file_equals", self.thin_file_equals.is_some()),
                ("history_features", self.history_features.is_some()),
            ];
            if let Some((name, _)) = flat.iter().find(|(_, set)| *set) {
                return Err(conflict(name, "thin_file"));
            }
            self.thin_file_column = Some(t.column);
            self.thin_file_equals = t.equals;
            self.history_features = Some(t.history_features);
        }
        Ok(self)
    }

    /// The names of the columns the spec names (amount, revenue, thin-file, history features,
    /// required), as written: for a reader that must not skip them.
    pub fn column_names(&self) -> Vec<String> {
        let s = self.clone().flattened().unwrap_or_else(|_| self.clone());
        let mut out: Vec<String> = Vec::new();
        out.extend(s.amount_column);
        out.extend(s.revenue_column);
        out.extend(s.thin_file_column);
        out.extend(s.history_features.into_iter().flatten());
        out.extend(s.required.into_iter().flatten());
        out
    }

    /// The policy for a model with this `scaling` and these `grades`: cut-offs as scores (a PD
    /// cut-off becomes the score of that PD, rounded to 2 decimals), the defaults filled in,
    /// and every value checked. The columns it names are checked against the data by training.
    pub fn resolve(&self, scaling: &Scaling, grades: &[GradeBand]) -> Result<Policy, PolicyError> {
        let s = self.clone().flattened()?;
        let cut_off = |pd_name: &str,
                       pd: Option<f64>,
                       score_name: &str,
                       score: Option<f64>,
                       default_pd: f64|
         -> Result<f64, PolicyError> {
            match (pd, score) {
                (Some(_), Some(_)) => Err(policy_error(
                    pd_name,
                    format!("give '{pd_name}' or '{score_name}', not both"),
                )),
                (None, Some(x)) if x.is_finite() => Ok(x),
                (None, Some(_)) => Err(policy_error(score_name, "must be a finite score")),
                (p, None) => {
                    let p = p.unwrap_or(default_pd);
                    if p > 0.0 && p < 1.0 {
                        Ok(round2(scaling.score(p)))
                    } else {
                        Err(policy_error(
                            pd_name,
                            "must be a PD strictly between 0 and 1",
                        ))
                    }
                }
            }
        };
        let approve = cut_off(
            "approve_pd",
            s.approve_pd,
            "approve_min_score",
            s.approve_min_score,
            DEFAULT_APPROVE_PD,
        )?;
        let decline = cut_off(
            "decline_pd",
            s.decline_pd,
            "decline_below_score",
            s.decline_below_score,
            DEFAULT_DECLINE_PD,
        )?;
        let named = |v: &Option<String>, field: &str| -> Result<Option<String>, PolicyError> {
            match v {
                Some(c) if c.trim().is_empty() => {
                    Err(policy_error(field, "must name a column (it is empty)"))
                }
                other => Ok(other.clone()),
            }
        };
        let amount = named(&s.amount_column, "amount_column")?;
        let revenue = named(&s.revenue_column, "revenue_column")?;
        let limit = if amount.is_some() || revenue.is_some() {
            let multiple = s.revenue_multiple.clone().unwrap_or_default();
            if revenue.is_some() {
                if multiple.is_empty() {
                    return Err(policy_error(
                        "revenue_multiple",
                        "a revenue column needs the multiple of revenue each grade may borrow, \
                         e.g. {\"A\": 3, \"B\": 2.5, ...}",
                    ));
                }
                if let Some(g) = grades.iter().find(|g| !multiple.contains_key(&g.grade)) {
                    return Err(policy_error(
                        format!("revenue_multiple.{}", g.grade),
                        format!(
                            "missing: give a multiple for every grade ({})",
                            grade_list(grades)
                        ),
                    ));
                }
            } else if !multiple.is_empty() || s.undeclared_revenue_cap.is_some() {
                let field = if multiple.is_empty() {
                    "undeclared_revenue_cap"
                } else {
                    "revenue_multiple"
                };
                return Err(policy_error(field, "is set but no revenue_column is named"));
            }
            Some(LimitRule {
                requested_column: amount.clone(),
                revenue_column: revenue,
                revenue_multiple: multiple,
                product_cap: s.product_cap,
                undeclared_revenue_cap: s.undeclared_revenue_cap,
                round_to: s.round_to.unwrap_or(0.0),
            })
        } else {
            for (field, set) in [
                ("revenue_multiple", s.revenue_multiple.is_some()),
                ("product_cap", s.product_cap.is_some()),
                ("undeclared_revenue_cap", s.undeclared_revenue_cap.is_some()),
                ("round_to", s.round_to.is_some()),
            ] {
                if set {
                    return Err(policy_error(
                        field,
                        "is set but loan sizing is off: name amount_column or revenue_column",
                    ));
                }
            }
            None
        };
        let thin_file = match named(&s.thin_file_column, "thin_file_column")? {
            Some(column) => Some(ThinFileRule {
                history_features: s
                    .history_features
                    .clone()
                    .unwrap_or_else(|| vec![column.clone()]),
                column,
                equals: s.thin_file_equals,
            }),
            None => {
                if s.history_features.is_some() || s.thin_file_equals.is_some() {
                    let field = if s.history_features.is_some() {
                        "history_features"
                    } else {
                        "thin_file_equals"
                    };
                    return Err(policy_error(
                        field,
                        "is set but no thin_file_column is named",
                    ));
                }
                None
            }
        };
        let annual_rate = s.annual_rate.clone().unwrap_or_default();
        if let Some(g) = annual_rate
            .keys()
            .find(|g| !grades.iter().any(|b| &b.grade == *g))
        {
            return Err(policy_error(
                format!("annual_rate.{g}"),
                format!("no such grade (the model's grades: {})", grade_list(grades)),
            ));
        }
        let policy = Policy {
            approve_min_score: approve,
            decline_below_score: decline,
            thin_file,
            limit,
            annual_rate,
            lgd: s.lgd.unwrap_or(1.0),
            required: s
                .required
                .clone()
                .unwrap_or_else(|| amount.into_iter().collect()),
            invalid_amount: s.invalid_amount.unwrap_or_default(),
        };
        policy.validate()?;
        Ok(policy)
    }
}

fn grade_list(grades: &[GradeBand]) -> String {
    grades
        .iter()
        .map(|g| g.grade.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A column a policy reads, and the field that names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyColumn<'p> {
    /// The spec key that names it (`amount_column`, `required`, ...).
    pub field: &'static str,
    /// The column.
    pub name: &'p str,
    /// Whether it must hold numbers (amounts, revenue, the thin-file indicator).
    pub numeric: bool,
}

/// What the policy needs to know about a scored application.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PolicyInput {
    /// The score.
    pub score: f64,
    /// The PD.
    pub pd: f64,
    /// Index of the grade in the model's grade list.
    pub grade: usize,
    /// Points lost on the thin-file rule's history features (0 when not thin-file).
    pub history_points_lost: f64,
    /// Whether the applicant is thin-file.
    pub thin_file: bool,
    /// Requested amount (NaN when unknown).
    pub requested: f64,
    /// Monthly revenue (NaN when not declared).
    pub revenue: f64,
}

/// The policy outcome. Two outcomes are equal when every field is the same bit for bit (an
/// empty limit, NaN, equals an empty limit).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Outcome {
    /// Approve, refer or decline.
    pub decision: Decision,
    /// Whether the thin-file rule turned a decline into a referral.
    pub thin_file_referral: bool,
    /// Whether the requested amount or revenue was invalid (the application is referred
    /// without a limit, or rejected by the caller).
    pub invalid_amount: bool,
    /// Recommended limit (0 for a decline; NaN without a limit rule or with an invalid amount).
    pub limit: f64,
    /// The limit the application would get if it were granted, whatever the decision (what a
    /// strategy table sums over the approved at each cut-off); NaN as for `limit`.
    pub granted_limit: f64,
    /// Annual rate of the grade (NaN when the policy has none for it).
    pub annual_rate: f64,
    /// PD x LGD x exposure, with exposure the limit (the requested amount for a decline); NaN
    /// without a limit rule.
    pub expected_loss: f64,
}

impl PartialEq for Outcome {
    fn eq(&self, other: &Outcome) -> bool {
        self.decision == other.decision
            && self.thin_file_referral == other.thin_file_referral
            && self.invalid_amount == other.invalid_amount
            && self.limit.to_bits() == other.limit.to_bits()
            && self.granted_limit.to_bits() == other.granted_limit.to_bits()
            && self.annual_rate.to_bits() == other.annual_rate.to_bits()
            && self.expected_loss.to_bits() == other.expected_loss.to_bits()
    }
}

/// Which amount of an application is invalid, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmountIssue {
    /// True for the revenue column, false for the requested amount.
    pub revenue: bool,
    /// Why.
    pub reason: &'static str,
}

/// Why an amount given as `x` (NaN = missing) cannot be used.
pub fn amount_issue(x: f64) -> Option<&'static str> {
    if x.is_nan() {
        None
    } else if x.is_infinite() {
        Some("an amount must be a finite number")
    } else if x < 0.0 {
        Some("an amount cannot be negative")
    } else {
        None
    }
}

/// A policy resolved against a model's grades, for applying it fast (no lookups by name).
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledPolicy {
    policy: Policy,
    multiple: Vec<f64>,
    rate: Vec<f64>,
}

impl CompiledPolicy {
    /// Resolve `policy` for the grades `grades` (best first). A grade the policy does not list
    /// gets a revenue multiple of 0 and no rate (NaN).
    pub fn new(policy: &Policy, grades: &[GradeBand]) -> CompiledPolicy {
        let per_grade = |map: Option<&BTreeMap<String, f64>>, absent: f64| -> Vec<f64> {
            grades
                .iter()
                .map(|g| map.and_then(|m| m.get(&g.grade)).copied().unwrap_or(absent))
                .collect()
        };
        CompiledPolicy {
            policy: policy.clone(),
            multiple: per_grade(policy.limit.as_ref().map(|l| &l.revenue_multiple), 0.0),
            rate: per_grade(Some(&policy.annual_rate), f64::NAN),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The first invalid amount of an application, if any (the requested amount first).
    #[inline]
    pub fn amount_issue(&self, requested: f64, revenue: f64) -> Option<AmountIssue> {
        let rule = self.policy.limit.as_ref()?;
        if rule.requested_column.is_some() {
            if let Some(reason) = amount_issue(requested) {
                return Some(AmountIssue {
                    revenue: false,
                    reason,
                });
            }
        }
        if rule.revenue_column.is_some() {
            if let Some(reason) = amount_issue(revenue) {
                return Some(AmountIssue {
                    revenue: true,
                    reason,
                });
            }
        }
        None
    }

    /// The limit the application would get if it were granted (NaN without a limit rule):
    /// the smallest of the requested amount, the grade's multiple of revenue and the product
    /// cap, rounded down. Amounts must be valid ([`CompiledPolicy::amount_issue`]).
    #[inline]
    pub fn granted_limit(&self, grade: usize, requested: f64, revenue: f64) -> f64 {
        let Some(rule) = &self.policy.limit else {
            return f64::NAN;
        };
        let mut raw = if requested.is_finite() {
            requested
        } else {
            f64::INFINITY
        };
        if rule.revenue_column.is_some() {
            let by_revenue = if revenue.is_finite() {
                self.multiple.get(grade).copied().unwrap_or(0.0) * revenue
            } else {
                rule.undeclared_revenue_cap.unwrap_or(f64::INFINITY)
            };
            raw = raw.min(by_revenue);
        }
        if let Some(cap) = rule.product_cap {
            raw = raw.min(cap);
        }
        if !raw.is_finite() {
            // Nothing bounds the loan (no amount stated, no revenue term, no cap).
            return f64::NAN;
        }
        let raw = raw.max(0.0);
        if rule.round_to > 0.0 {
            (raw / rule.round_to).floor() * rule.round_to
        } else {
            raw
        }
    }

    /// Apply the policy.
    #[inline]
    pub fn decide(&self, input: &PolicyInput) -> Outcome {
        let policy = &self.policy;
        let rate = self.rate.get(input.grade).copied().unwrap_or(f64::NAN);
        if self.amount_issue(input.requested, input.revenue).is_some() {
            return Outcome {
                decision: Decision::Refer,
                thin_file_referral: false,
                invalid_amount: true,
                limit: f64::NAN,
                granted_limit: f64::NAN,
                annual_rate: rate,
                expected_loss: f64::NAN,
            };
        }
        let mut decision = if input.score >= policy.approve_min_score {
            Decision::Approve
        } else if input.score >= policy.decline_below_score {
            Decision::Refer
        } else {
            Decision::Decline
        };
        let mut thin_file_referral = false;
        if decision == Decision::Decline
            && input.thin_file
            && input.score + input.history_points_lost >= policy.decline_below_score
        {
            decision = Decision::Refer;
            thin_file_referral = true;
        }
        let granted = self.granted_limit(input.grade, input.requested, input.revenue);
        let (limit, exposure) = match &policy.limit {
            None => (f64::NAN, f64::NAN),
            Some(rule) if decision == Decision::Decline => {
                let requested = match rule.requested_column {
                    Some(_) if input.requested.is_finite() => input.requested,
                    _ => 0.0,
                };
                (0.0, requested)
            }
            Some(_) => (granted, granted),
        };
        Outcome {
            decision,
            thin_file_referral,
            invalid_amount: false,
            limit,
            granted_limit: granted,
            annual_rate: rate,
            expected_loss: input.pd * policy.lgd * exposure,
        }
    }
}

impl Policy {
    /// Check the policy: finite values, cut-offs in order, LGD in [0, 1], rates, multiples and
    /// caps >= 0, and non-empty column names.
    pub fn validate(&self) -> Result<(), PolicyError> {
        let finite = |name: &str, x: f64| {
            if x.is_finite() {
                Ok(())
            } else {
                Err(policy_error(name, "must be finite"))
            }
        };
        finite("approve_min_score", self.approve_min_score)?;
        finite("decline_below_score", self.decline_below_score)?;
        if self.decline_below_score > self.approve_min_score {
            return Err(policy_error(
                "decline_below_score",
                format!(
                    "{} must not exceed the approval cut-off {}",
                    self.decline_below_score, self.approve_min_score
                ),
            ));
        }
        if !(0.0..=1.0).contains(&self.lgd) {
            return Err(policy_error("lgd", "must be in [0, 1]"));
        }
        let non_negative = |name: String, x: f64| {
            if x.is_finite() && x >= 0.0 {
                Ok(())
            } else {
                Err(policy_error(name, "must be finite and >= 0"))
            }
        };
        if let Some(l) = &self.limit {
            if l.requested_column.is_none() && l.revenue_column.is_none() {
                return Err(policy_error(
                    "limit",
                    "names neither a requested amount nor a revenue column",
                ));
            }
            for (name, x) in [
                ("product_cap", l.product_cap),
                ("undeclared_revenue_cap", l.undeclared_revenue_cap),
                ("round_to", Some(l.round_to)),
            ] {
                if let Some(x) = x {
                    non_negative(name.into(), x)?;
                }
            }
            for (grade, m) in &l.revenue_multiple {
                non_negative(format!("revenue_multiple.{grade}"), *m)?;
            }
            if l.revenue_column.is_some() && l.revenue_multiple.is_empty() {
                return Err(policy_error(
                    "revenue_multiple",
                    "a revenue column needs a multiple per grade",
                ));
            }
        }
        for (grade, r) in &self.annual_rate {
            non_negative(format!("annual_rate.{grade}"), *r)?;
        }
        if let Some(t) = &self.thin_file {
            if t.equals.is_some_and(|v| !v.is_finite()) {
                return Err(policy_error("thin_file_equals", "must be finite"));
            }
        }
        for c in self.columns() {
            if c.name.trim().is_empty() {
                return Err(policy_error(c.field, "names an empty column"));
            }
        }
        Ok(())
    }

    /// Every column the policy reads, with the field that names it: the amount and revenue
    /// columns and the thin-file column (numeric), the history features and the required
    /// columns (any type).
    pub fn columns(&self) -> Vec<PolicyColumn<'_>> {
        fn column<'p>(field: &'static str, name: &'p str, numeric: bool) -> PolicyColumn<'p> {
            PolicyColumn {
                field,
                name,
                numeric,
            }
        }
        let mut out = Vec::new();
        if let Some(l) = &self.limit {
            out.extend(
                l.requested_column
                    .iter()
                    .map(|c| column("amount_column", c, true)),
            );
            out.extend(
                l.revenue_column
                    .iter()
                    .map(|c| column("revenue_column", c, true)),
            );
        }
        if let Some(t) = &self.thin_file {
            out.push(column("thin_file_column", &t.column, true));
            out.extend(
                t.history_features
                    .iter()
                    .map(|h| column("history_features", h, false)),
            );
        }
        out.extend(self.required.iter().map(|r| column("required", r, false)));
        out
    }

    /// One line per part of the policy saying whether it is active and how: the cut-offs (as
    /// scores and PDs), loan sizing, the thin-file rule, pricing, required columns.
    pub fn describe(&self, scaling: &Scaling) -> Vec<String> {
        let pct = |x: f64| format!("{:.2}%", 100.0 * x);
        let mut lines = vec![format!(
            "cut-offs: approve at score >= {} (PD <= {}), decline below {} (PD > {}), refer between",
            self.approve_min_score,
            pct(scaling.pd(self.approve_min_score)),
            self.decline_below_score,
            pct(scaling.pd(self.decline_below_score)),
        )];
        lines.push(match &self.limit {
            None => "loan sizing: off (no amount or revenue column mapped): limit and expected loss are empty".into(),
            Some(l) => {
                let mut parts = Vec::new();
                if let Some(c) = &l.requested_column {
                    parts.push(format!("requested amount '{c}'"));
                }
                if let Some(c) = &l.revenue_column {
                    parts.push(format!("revenue multiple of '{c}' per grade"));
                }
                if let Some(cap) = l.product_cap {
                    parts.push(format!("cap {cap}"));
                }
                format!(
                    "loan sizing: on, the smallest of {}; LGD {}; invalid amounts are {}",
                    parts.join(", "),
                    self.lgd,
                    match self.invalid_amount {
                        InvalidAmount::Reject => "rejected",
                        InvalidAmount::Refer => "referred",
                    }
                )
            }
        });
        lines.push(match &self.thin_file {
            None => "thin-file rule: off (no thin-file column mapped)".into(),
            Some(t) => format!(
                "thin-file rule: on, '{}' {} means no credit history; history features: {}",
                t.column,
                match t.equals {
                    None => "missing".to_string(),
                    Some(v) => format!("= {v}"),
                },
                t.history_features.join(", ")
            ),
        });
        lines.push(if self.annual_rate.is_empty() {
            "pricing: off (no annual rate per grade)".into()
        } else {
            format!("pricing: annual rate for grades {}", {
                self.annual_rate
                    .keys()
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        });
        lines.push(if self.required.is_empty() {
            "required columns: none".into()
        } else {
            format!("required columns: {}", self.required.join(", "))
        });
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grades() -> Vec<GradeBand> {
        crate::model::scaling::grades_from_pds(
            &Scaling::default(),
            &crate::model::scaling::DEFAULT_GRADE_PDS,
        )
        .unwrap()
    }

    fn microloan() -> Policy {
        PolicySpec::microloan()
            .resolve(&Scaling::default(), &grades())
            .unwrap()
    }

    fn decide(p: &Policy, i: &PolicyInput) -> Outcome {
        CompiledPolicy::new(p, &grades()).decide(i)
    }

    fn input(score: f64) -> PolicyInput {
        PolicyInput {
            score,
            pd: Scaling::default().pd(score),
            grade: 3,
            history_points_lost: 0.0,
            thin_file: false,
            requested: 20_000.0,
            revenue: 8_000.0,
        }
    }

    #[test]
    fn cut_offs() {
        let p = microloan();
        assert_eq!(p.approve_min_score, 572.08);
        assert_eq!(p.decline_below_score, 537.17);
        assert_eq!(decide(&p, &input(600.0)).decision, Decision::Approve);
        assert_eq!(decide(&p, &input(555.0)).decision, Decision::Refer);
        let declined = decide(&p, &input(500.0));
        assert_eq!(declined.decision, Decision::Decline);
        assert_eq!(declined.limit, 0.0);
        assert!(declined.expected_loss > 0.0);
        p.validate().unwrap();
    }

    #[test]
    fn thin_file_applicants_are_not_declined_for_lacking_history_alone() {
        let p = microloan();
        let mut i = input(p.decline_below_score - 10.0);
        i.thin_file = true;
        i.history_points_lost = 4.0;
        assert_eq!(
            decide(&p, &i).decision,
            Decision::Decline,
            "declined for more than history"
        );
        i.history_points_lost = 12.0;
        let o = decide(&p, &i);
        assert_eq!(o.decision, Decision::Refer);
        assert!(o.thin_file_referral);
        // Not thin-file: the same points do not matter.
        i.thin_file = false;
        assert_eq!(decide(&p, &i).decision, Decision::Decline);
    }

    #[test]
    fn limit_is_the_smallest_of_request_revenue_multiple_and_cap() {
        let p = microloan();
        let mut i = input(600.0);
        i.grade = 0;
        assert_eq!(decide(&p, &i).limit, 20_000.0); // requested < 3 x 8,000
        i.requested = 50_000.0;
        assert_eq!(decide(&p, &i).limit, 24_000.0); // 3 x revenue
        i.revenue = 1e9;
        i.requested = 1e9;
        assert_eq!(decide(&p, &i).limit, 300_000.0); // product cap
        i.revenue = f64::NAN;
        assert_eq!(decide(&p, &i).limit, 10_000.0); // undeclared revenue
        let o = decide(&p, &i);
        assert!((o.expected_loss - o.limit * 0.75 * i.pd).abs() < 1e-9);
        assert_eq!(o.annual_rate, 0.06);
    }

    #[test]
    fn without_a_limit_rule_limits_and_losses_are_empty_and_decisions_still_made() {
        let p = PolicySpec::default()
            .resolve(&Scaling::default(), &grades())
            .unwrap();
        assert!(p.limit.is_none() && p.thin_file.is_none() && p.required.is_empty());
        assert_eq!(p.approve_min_score, 572.08);
        for score in [650.0, 555.0, 400.0] {
            let o = decide(&p, &input(score));
            assert!(o.limit.is_nan() && o.expected_loss.is_nan() && o.annual_rate.is_nan());
        }
        assert_eq!(decide(&p, &input(400.0)).decision, Decision::Decline);
    }

    #[test]
    fn invalid_amounts_are_never_approved_with_a_limit() {
        let p = microloan();
        for bad in [-5000.0, f64::INFINITY, f64::NEG_INFINITY] {
            for (requested, revenue) in [(bad, 8000.0), (20_000.0, bad)] {
                let mut i = input(650.0);
                i.requested = requested;
                i.revenue = revenue;
                let o = decide(&p, &i);
                assert!(o.invalid_amount);
                assert_eq!(o.decision, Decision::Refer);
                assert!(o.limit.is_nan());
            }
        }
    }

    #[test]
    fn pd_cut_offs_flat_keys_and_the_model_form_resolve_alike() {
        let g = grades();
        let s = Scaling::default();
        let flat = PolicySpec::from_json(
            r#"{"approve_pd": 0.04, "decline_pd": 0.2, "amount_column": "loan",
                "product_cap": 5000, "thin_file_column": "months_on_book"}"#,
        )
        .unwrap()
        .resolve(&s, &g)
        .unwrap();
        assert_eq!(flat.approve_min_score, round2(s.score(0.04)));
        assert_eq!(flat.required, ["loan"]);
        assert_eq!(flat.lgd, 1.0);
        let t = flat.thin_file.as_ref().unwrap();
        assert_eq!(t.history_features, ["months_on_book"]);
        // The model file's own policy object is a spec that resolves to itself.
        let m = microloan();
        let again = PolicySpec::from_json(&serde_json::to_string(&m).unwrap())
            .unwrap()
            .resolve(&s, &g)
            .unwrap();
        assert_eq!(again, m);
        assert_eq!(PolicySpec::of(&m).resolve(&s, &g).unwrap(), m);
    }

    #[test]
    fn spec_errors_name_the_field() {
        let g = grades();
        let s = Scaling::default();
        let err = |json: &str| {
            PolicySpec::from_json(json)
                .and_then(|p| p.resolve(&s, &g))
                .unwrap_err()
                .to_string()
        };
        assert!(err(r#"{"approve_pd": 0.05, "approve_min_score": 600}"#).contains("not both"));
        assert!(err(r#"{"approve_pd": 1.5}"#).contains("policy.approve_pd"));
        assert!(err(r#"{"revenue_column": "rev"}"#).contains("policy.revenue_multiple"));
        assert!(err(r#"{"product_cap": 10}"#).contains("loan sizing is off"));
        assert!(err(r#"{"history_features": ["a"]}"#).contains("thin_file_column"));
        assert!(err(r#"{"annual_rate": {"Z": 0.1}}"#).contains("annual_rate.Z"));
        assert!(err(r#"{"approve_pd": 0.2, "decline_pd": 0.1}"#).contains("decline_below_score"));
        assert!(err(r#"{"amount": "x"}"#).contains("unknown field"));
        assert!(
            err(r#"{"amount_column": "a", "limit": {"requested_column": "b"}}"#)
                .contains("keep one")
        );
    }

    #[test]
    fn flags_override_a_file() {
        let file = PolicySpec::microloan();
        let flags = PolicySpec {
            approve_min_score: Some(590.0),
            amount_column: Some("loan".into()),
            ..PolicySpec::default()
        };
        let merged = file.overridden_by(flags).unwrap();
        assert_eq!(merged.approve_pd, None);
        assert_eq!(merged.approve_min_score, Some(590.0));
        assert_eq!(merged.decline_pd, Some(DEFAULT_DECLINE_PD));
        assert_eq!(merged.amount_column.as_deref(), Some("loan"));
        assert_eq!(merged.revenue_column.as_deref(), Some("monthly_revenue"));
    }
}

//! The microloan decision policy: approve / refer / decline, the thin-file rule, the recommended
//! loan limit, risk-based pricing and expected loss.
//!
//! The policy is part of the model file (`policy`), with defaults for unsecured rural
//! microloans ([`Policy::default`]), and can be replaced by a JSON policy file
//! (`microscore train --policy`, `microscore score --policy`). It is applied by [`CompiledPolicy::decide`] to a
//! scored application; it never changes the score, PD or reasons.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

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
    /// The decision's number in batch outputs and the C ABI: 0 approve, 1 refer, 2 decline.
    pub const fn code(self) -> u8 {
        self as u8
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

/// How to recognise an applicant with no credit history (a "thin file").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThinFileRule {
    /// The column that tells (default `worst_dpd_12m`).
    pub column: String,
    /// The applicant is thin-file when the column is missing (`None`, the default) or equals this value.
    pub equals: Option<f64>,
    /// Features that only a credit history can fill: points lost on them count as "lacking
    /// history". A thin-file applicant whose score would reach the refer band with those points
    /// back is referred, never declined for lacking history alone.
    pub history_features: Vec<String>,
}

/// The loan limit rule: the smallest of the requested amount, a grade-dependent multiple of
/// monthly revenue, and the product cap; rounded down to `round_to`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitRule {
    /// Column with the requested amount (default `requested_amount`).
    pub requested_column: String,
    /// Column with the monthly revenue (default `monthly_revenue`).
    pub revenue_column: String,
    /// Multiple of monthly revenue allowed per grade.
    pub revenue_multiple: BTreeMap<String, f64>,
    /// Largest loan of the product.
    pub product_cap: f64,
    /// Cap when the revenue is not declared.
    pub undeclared_revenue_cap: f64,
    /// Limits are rounded down to a multiple of this.
    pub round_to: f64,
}

/// A decision policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Scores at or above this are approved.
    pub approve_min_score: f64,
    /// Scores below this are declined; between the two cut-offs, referred.
    pub decline_below_score: f64,
    /// The thin-file rule (`None`: no such rule).
    pub thin_file: Option<ThinFileRule>,
    /// The loan limit rule.
    pub limit: LimitRule,
    /// Annual interest rate per grade (risk-based pricing).
    pub annual_rate: BTreeMap<String, f64>,
    /// Loss given default of the unsecured product.
    pub lgd: f64,
    /// Columns an application must not leave empty: a batch rejects such rows (default:
    /// `requested_amount`, without which no loan can be sized).
    pub required: Vec<String>,
}

fn by_grade(values: &[f64]) -> BTreeMap<String, f64> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (char::from(b'A' + i as u8).to_string(), *v))
        .collect()
}

impl Default for Policy {
    /// Defaults for unsecured rural microloans on the default 600 / 50:1 / 20 scale: approve at
    /// PD <= 5% (score >= 572.08), decline at PD > 15% (score < 537.17), refer between; thin-file
    /// applicants never declined for lacking history alone; limit = min(requested, 3x (grade A)
    /// down to 0.5x (grade H) monthly revenue, 300,000 CNY), 10,000 CNY without declared revenue;
    /// rates 6% (A) to 22% (H); LGD 75%.
    fn default() -> Self {
        let scale = crate::scaling::Scaling::default();
        Policy {
            approve_min_score: round2(scale.score(0.05)),
            decline_below_score: round2(scale.score(0.15)),
            thin_file: Some(ThinFileRule {
                column: "worst_dpd_12m".into(),
                equals: None,
                history_features: vec![
                    "worst_dpd_12m".into(),
                    "credit_history_months".into(),
                    "existing_loans".into(),
                    "has_credit_history".into(),
                ],
            }),
            limit: LimitRule {
                requested_column: "requested_amount".into(),
                revenue_column: "monthly_revenue".into(),
                revenue_multiple: by_grade(&[3.0, 2.5, 2.0, 1.6, 1.2, 1.0, 0.75, 0.5]),
                product_cap: 300_000.0,
                undeclared_revenue_cap: 10_000.0,
                round_to: 100.0,
            },
            annual_rate: by_grade(&[0.06, 0.075, 0.09, 0.11, 0.135, 0.16, 0.19, 0.22]),
            lgd: 0.75,
            required: vec!["requested_amount".into()],
        }
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
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

/// The policy outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Outcome {
    /// Approve, refer or decline.
    pub decision: Decision,
    /// Whether the thin-file rule turned a decline into a referral.
    pub thin_file_referral: bool,
    /// Recommended limit (0 for a decline).
    pub limit: f64,
    /// Annual rate of the grade (NaN when the policy has none for it).
    pub annual_rate: f64,
    /// PD x LGD x exposure, with exposure the limit (the requested amount for a decline).
    pub expected_loss: f64,
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
    /// gets a revenue multiple of 0 (no revenue-based limit) and no rate (NaN).
    pub fn new(policy: &Policy, grades: &[crate::scaling::GradeBand]) -> CompiledPolicy {
        CompiledPolicy {
            policy: policy.clone(),
            multiple: grades
                .iter()
                .map(|g| {
                    policy
                        .limit
                        .revenue_multiple
                        .get(&g.grade)
                        .copied()
                        .unwrap_or(0.0)
                })
                .collect(),
            rate: grades
                .iter()
                .map(|g| {
                    policy
                        .annual_rate
                        .get(&g.grade)
                        .copied()
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        }
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Apply the policy.
    #[inline]
    pub fn decide(&self, input: &PolicyInput) -> Outcome {
        let policy = &self.policy;
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
        let rule = &policy.limit;
        let limit = if decision == Decision::Decline {
            0.0
        } else {
            let by_revenue = if input.revenue.is_finite() && input.revenue >= 0.0 {
                self.multiple.get(input.grade).copied().unwrap_or(0.0) * input.revenue
            } else {
                rule.undeclared_revenue_cap
            };
            let requested = if input.requested.is_finite() && input.requested >= 0.0 {
                input.requested
            } else {
                f64::INFINITY
            };
            let raw = requested.min(by_revenue).min(rule.product_cap).max(0.0);
            if rule.round_to > 0.0 {
                (raw / rule.round_to).floor() * rule.round_to
            } else {
                raw
            }
        };
        let exposure = if decision == Decision::Decline {
            if input.requested.is_finite() {
                input.requested.max(0.0)
            } else {
                0.0
            }
        } else {
            limit
        };
        Outcome {
            decision,
            thin_file_referral,
            limit,
            annual_rate: self.rate.get(input.grade).copied().unwrap_or(f64::NAN),
            expected_loss: input.pd * policy.lgd * exposure,
        }
    }
}

impl Policy {
    /// Check the policy: finite values, cut-offs in order, LGD in [0, 1], rates and multiples >= 0.
    pub fn validate(&self) -> Result<(), String> {
        let finite = |name: &str, x: f64| {
            if x.is_finite() {
                Ok(())
            } else {
                Err(format!("policy.{name} must be finite"))
            }
        };
        finite("approve_min_score", self.approve_min_score)?;
        finite("decline_below_score", self.decline_below_score)?;
        if self.decline_below_score > self.approve_min_score {
            return Err("policy.decline_below_score must not exceed approve_min_score".into());
        }
        if !(0.0..=1.0).contains(&self.lgd) {
            return Err("policy.lgd must be in [0, 1]".into());
        }
        let l = &self.limit;
        for (name, x) in [
            ("limit.product_cap", l.product_cap),
            ("limit.undeclared_revenue_cap", l.undeclared_revenue_cap),
            ("limit.round_to", l.round_to),
        ] {
            if !(x.is_finite() && x >= 0.0) {
                return Err(format!("policy.{name} must be finite and >= 0"));
            }
        }
        for (grade, m) in &l.revenue_multiple {
            if !(m.is_finite() && *m >= 0.0) {
                return Err(format!(
                    "policy.limit.revenue_multiple.{grade} must be finite and >= 0"
                ));
            }
        }
        for (grade, r) in &self.annual_rate {
            if !(r.is_finite() && *r >= 0.0) {
                return Err(format!(
                    "policy.annual_rate.{grade} must be finite and >= 0"
                ));
            }
        }
        if let Some(t) = &self.thin_file {
            if t.equals.is_some_and(|v| !v.is_finite()) {
                return Err("policy.thin_file.equals must be finite".into());
            }
        }
        Ok(())
    }

    /// Read a policy file (JSON) and validate it.
    pub fn from_json(text: &str) -> Result<Policy, String> {
        let policy: Policy =
            serde_json::from_str(text).map_err(|e| format!("invalid policy: {e}"))?;
        policy.validate()?;
        Ok(policy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grades() -> Vec<crate::scaling::GradeBand> {
        crate::scaling::grades_from_pds(
            &crate::scaling::Scaling::default(),
            &crate::scaling::DEFAULT_GRADE_PDS,
        )
        .unwrap()
    }

    fn decide(p: &Policy, i: &PolicyInput) -> Outcome {
        CompiledPolicy::new(p, &grades()).decide(i)
    }

    fn input(score: f64) -> PolicyInput {
        PolicyInput {
            score,
            pd: crate::scaling::Scaling::default().pd(score),
            grade: 3,
            history_points_lost: 0.0,
            thin_file: false,
            requested: 20_000.0,
            revenue: 8_000.0,
        }
    }

    #[test]
    fn cut_offs() {
        let p = Policy::default();
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
        let p = Policy::default();
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
        let p = Policy::default();
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
}

//! Matching the columns a step needs against the columns the data has: exact names only, and,
//! for every absent one, a "did you mean" when the data has a name that differs only by case,
//! spaces, underscores or hyphens, or by a typo of one or two letters.
//!
//! Every scorer (the file scorer, the reports, record batches, Python) checks its input through
//! [`check_columns`], so a renamed upstream column is always an error that names it, never a
//! column silently scored as missing.

use std::fmt;

/// One absent column, with the closest name the data has, if any is close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingColumn {
    /// The column that is needed.
    pub name: String,
    /// What needs it (`feature`, `policy.amount_column`, `--keep`, ...).
    pub needed_by: String,
    /// A column of the data with nearly the same name.
    pub suggestion: Option<String>,
}

/// Columns that are needed but absent from the data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct MissingColumns {
    /// The absent columns, in the order they were asked for.
    pub missing: Vec<MissingColumn>,
}

impl MissingColumns {
    /// The names of the absent columns.
    pub fn names(&self) -> Vec<&str> {
        self.missing.iter().map(|m| m.name.as_str()).collect()
    }
}

impl fmt::Display for MissingColumns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("column(s) missing from the header: ")?;
        for (i, m) in self.missing.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(&m.name)?;
            let mut notes = Vec::new();
            if m.needed_by != "feature" {
                notes.push(format!("needed by {}", m.needed_by));
            }
            if let Some(s) = &m.suggestion {
                notes.push(format!("did you mean '{s}'?"));
            }
            if !notes.is_empty() {
                write!(f, " ({})", notes.join("; "))?;
            }
        }
        Ok(())
    }
}

/// A name reduced to what a person reads: lower case, without spaces, `_`, `-` and `.`.
fn reduced(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-' | '.' | '\t'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Edit distance (insertions, deletions, substitutions), stopping early above `limit`.
fn distance(a: &str, b: &str, limit: usize) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > limit {
        return limit + 1;
    }
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            row[j + 1] = (prev[j] + usize::from(ca != cb))
                .min(prev[j + 1] + 1)
                .min(row[j] + 1);
        }
        if row.iter().min().is_some_and(|&m| m > limit) {
            return limit + 1;
        }
        prev = row;
    }
    prev[b.len()]
}

/// The column of `available` that `name` most likely means: the same name up to case, spaces,
/// `_`, `-` and `.`; else the one name within one edit (two for names of 8 letters or more) of
/// it, when exactly one is.
pub fn suggest<'a>(name: &str, available: &[&'a str]) -> Option<&'a str> {
    let want = reduced(name);
    if want.is_empty() {
        return None;
    }
    if let Some(same) = available.iter().find(|a| reduced(a) == want) {
        return Some(same);
    }
    let limit = if want.chars().count() >= 8 { 2 } else { 1 };
    let close: Vec<&'a str> = available
        .iter()
        .copied()
        .filter(|a| distance(&reduced(a), &want, limit) <= limit)
        .collect();
    match close.as_slice() {
        [one] => Some(one),
        _ => None,
    }
}

/// Check that every needed column `(name, needed_by)` is in `available` (exact names); the
/// error lists every absent one with a suggestion where one is close. A name asked for twice
/// is reported once.
pub fn check_columns<'n>(
    needed: impl IntoIterator<Item = (&'n str, &'n str)>,
    available: &[&str],
) -> Result<(), MissingColumns> {
    let mut missing: Vec<MissingColumn> = Vec::new();
    for (name, needed_by) in needed {
        if available.contains(&name) || missing.iter().any(|m| m.name == name) {
            continue;
        }
        missing.push(MissingColumn {
            name: name.to_string(),
            needed_by: needed_by.to_string(),
            suggestion: suggest(name, available).map(str::to_string),
        });
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(MissingColumns { missing })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_for_case_spacing_and_typos() {
        let have = [
            "Monthly Revenue",
            "business_type",
            "age",
            "agency",
            "credit_amount",
        ];
        assert_eq!(suggest("monthly_revenue", &have), Some("Monthly Revenue"));
        assert_eq!(suggest("busines_type", &have), Some("business_type"));
        assert_eq!(suggest("credit_amnt", &have), Some("credit_amount"));
        // Two names within one edit of "agx": no guess.
        assert_eq!(suggest("agy", &["age", "agz"]), None);
        assert_eq!(suggest("zzz", &have), None);
    }

    #[test]
    fn every_absent_column_is_listed_once_with_what_needs_it() {
        let err = check_columns(
            [
                ("monthly_revenue", "feature"),
                ("loan", "policy.amount_column"),
                ("monthly_revenue", "feature"),
                ("age", "feature"),
            ],
            &["MONTHLY_REVENUE", "age"],
        )
        .unwrap_err();
        assert_eq!(err.names(), ["monthly_revenue", "loan"]);
        assert_eq!(
            err.to_string(),
            "column(s) missing from the header: monthly_revenue (did you mean 'MONTHLY_REVENUE'?), \
             loan (needed by policy.amount_column)"
        );
        assert!(check_columns([("age", "feature")], &["age"]).is_ok());
    }
}

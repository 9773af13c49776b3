//! Reason statements and adverse-action notices.
//!
//! A reason code says which feature cost an applicant points; a lender must tell a declined
//! applicant the principal reasons in words (US Reg B / ECOA: specific to the factors actually
//! scored, up to four), often in the applicant's language and short enough for an SMS. The
//! model file carries, per feature, a statement in any number of languages
//! ([`crate::model::Feature::statements`]): training writes an English one generated from the
//! feature name ([`default_statement`]); a lender's own words come from a reasons file
//! (`code,language,statement`, [`parse_reasons_csv`], applied by [`with_statements`]).
//!
//! [`Notice`] is the record a notice generator renders for a declined or referred application:
//! the decision, the score and its range, the up-to-four principal reasons in words, the
//! language, the model and the date.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::statements::{is_language_tag, reason_code, statement_problem};
use crate::model::Model;

pub use crate::model::statements::MAX_STATEMENT_CHARS;

/// Reasons on an adverse-action notice at most (Reg B's "no more than four" principal reasons).
pub const NOTICE_REASONS: usize = 4;

/// The language of the generated statements.
pub const DEFAULT_LANGUAGE: &str = "en";

/// Why reason statements could not be read or applied.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ReasonsError {
    /// The reasons file is not a `code,language,statement` table.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// One line of the reasons file is wrong.
    #[error("{path}, line {line}: {message}")]
    Line {
        /// The file.
        path: String,
        /// Line number (1 = the header).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// A language lacks statements for some features.
    #[error("{path}: language '{language}' has no statement for {missing} (every feature the model scores needs one in each language given)")]
    Incomplete {
        /// The file.
        path: String,
        /// The language.
        language: String,
        /// The features without a statement, comma separated.
        missing: String,
    },
    /// A language tag that is not one.
    #[error("language '{0}' is not a language tag (two or three letters, optionally with subtags: en, zh, zh-Hans, pt-BR)")]
    Language(String),
    /// The model has no statements in a language asked for.
    #[error("the model has no reason statements in '{language}' (it has: {available}); add them with a reasons file (microscore reasons --reasons-file)")]
    NoLanguage {
        /// The language asked for.
        language: String,
        /// The languages the model has.
        available: String,
    },
    /// A notice date that is not a date.
    #[error("notice date '{0}' is not a date in the form YYYY-MM-DD")]
    Date(String),
}

/// Check a language tag ([`is_language_tag`]), returned as given.
pub fn check_language(tag: &str) -> Result<&str, ReasonsError> {
    if is_language_tag(tag) {
        Ok(tag)
    } else {
        Err(ReasonsError::Language(tag.to_string()))
    }
}

/// The English statement training writes for a feature: its name in words ("monthly_revenue"
/// becomes "Monthly revenue") and that the applicant's value fell in a range that scores
/// lower than the best.
pub fn default_statement(feature: &str) -> String {
    let mut words = String::new();
    let mut prev: Option<char> = None;
    for c in feature.chars() {
        let boundary = matches!(prev, Some(p) if p.is_lowercase() && c.is_uppercase());
        if c == '_' || c == '-' || c == '.' || c.is_whitespace() {
            if !words.ends_with(' ') && !words.is_empty() {
                words.push(' ');
            }
        } else {
            if boundary {
                words.push(' ');
            }
            words.push(c);
        }
        prev = Some(c);
    }
    let words = words.trim();
    let mut chars = words.chars();
    let phrase = match chars.next() {
        Some(f) => f.to_uppercase().collect::<String>() + &chars.as_str().to_lowercase(),
        None => feature.to_string(),
    };
    format!("{phrase} in a range that scores lower")
}

/// One line of a reasons file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementRow {
    /// Line number in the file (1 = the header).
    pub line: u64,
    /// A reason code or a feature name.
    pub code: String,
    /// Language tag.
    pub language: String,
    /// The words.
    pub statement: String,
}

/// Read a reasons file: a CSV table with the columns `code`, `language` and `statement` (in
/// any order; other columns are an error), one statement per line. `path` names the file in
/// errors.
pub fn parse_reasons_csv(text: &str, path: &str) -> Result<Vec<StatementRow>, ReasonsError> {
    let file_err = |message: String| ReasonsError::File {
        path: path.to_string(),
        message,
    };
    let text = text.trim_start_matches('\u{feff}');
    // The line of a byte offset (the csv crate's own line count skips blank lines).
    let line_at = |byte: u64| {
        let bytes = text.as_bytes();
        let mut end = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        // A record's position is where reading resumed: past any blank lines before it.
        while end < bytes.len() && (bytes[end] == b'\n' || bytes[end] == b'\r') {
            end += 1;
        }
        1 + bytes[..end].iter().filter(|&&b| b == b'\n').count() as u64
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| file_err(format!("the header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name);
    let (Some(c_code), Some(c_lang), Some(c_text)) =
        (col("code"), col("language"), col("statement"))
    else {
        return Err(file_err(format!(
            "the header must name the columns code, language and statement (it has: {})",
            header.join(", ")
        )));
    };
    if header.len() != 3 {
        return Err(file_err(format!(
            "only the columns code, language and statement are read (it has: {})",
            header.join(", ")
        )));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| line_at(p.byte()));
            ReasonsError::Line {
                path: path.to_string(),
                line,
                message: format!("not a CSV record of 3 fields: {e}"),
            }
        })?;
        let line = record.position().map_or(0, |p| line_at(p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let field = |i: usize| record.get(i).unwrap_or_default().trim().to_string();
        rows.push(StatementRow {
            line,
            code: field(c_code),
            language: field(c_lang),
            statement: field(c_text),
        });
    }
    if rows.is_empty() {
        return Err(file_err("no statements (only a header)".into()));
    }
    Ok(rows)
}

/// The model with the statements of `rows` (from the file `path`): each row's code is a
/// reason code or a feature name of the model; every language given must then have a
/// statement for every feature (one the model already holds counts); a code that names a
/// protected attribute, a code or language given twice, an empty or overlong statement are
/// errors naming the line.
pub fn with_statements(
    model: &Model,
    rows: &[StatementRow],
    path: &str,
) -> Result<Model, ReasonsError> {
    let line_err = |line: u64, message: String| ReasonsError::Line {
        path: path.to_string(),
        line,
        message,
    };
    let features = model.features();
    let mut given: BTreeMap<(usize, String), u64> = BTreeMap::new();
    let mut languages: BTreeSet<String> = BTreeSet::new();
    let mut statements: Vec<BTreeMap<String, String>> =
        features.iter().map(|f| f.statements.clone()).collect();
    for row in rows {
        let protected = model
            .protected()
            .iter()
            .any(|p| p == &row.code || reason_code(p) == row.code);
        if protected {
            return Err(line_err(
                row.line,
                format!(
                    "'{}' is a protected attribute: it is never scored, so it can never be a reason",
                    row.code
                ),
            ));
        }
        let Some(f) = features
            .iter()
            .position(|f| f.reason_code == row.code || f.name == row.code)
        else {
            let names: Vec<&str> = features.iter().map(|f| f.reason_code.as_str()).collect();
            let hint = crate::input::schema::suggest(&row.code, &names)
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            return Err(line_err(
                row.line,
                format!(
                    "code '{}' is not a reason code or feature of the model{hint}",
                    row.code
                ),
            ));
        };
        check_language(&row.language).map_err(|e| line_err(row.line, e.to_string()))?;
        if let Some(problem) = statement_problem(&row.statement) {
            return Err(line_err(row.line, problem));
        }
        if let Some(first) = given.insert((f, row.language.clone()), row.line) {
            return Err(line_err(
                row.line,
                format!(
                    "a second statement for {} in '{}' (the first is on line {first})",
                    features[f].reason_code, row.language
                ),
            ));
        }
        languages.insert(row.language.clone());
        statements[f].insert(row.language.clone(), row.statement.clone());
    }
    for language in &languages {
        let missing: Vec<&str> = features
            .iter()
            .zip(&statements)
            .filter(|(_, s)| !s.contains_key(language))
            .map(|(f, _)| f.reason_code.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(ReasonsError::Incomplete {
                path: path.to_string(),
                language: language.clone(),
                missing: missing.join(", "),
            });
        }
    }
    let mut out = model.clone();
    out.set_statements(statements);
    Ok(out)
}

/// The languages a model has statements in (every feature has one in each).
pub fn languages(model: &Model) -> Vec<String> {
    let mut common: Option<BTreeSet<&String>> = None;
    for f in model.features() {
        let keys: BTreeSet<&String> = f.statements.keys().collect();
        common = Some(match common {
            None => keys,
            Some(c) => c.intersection(&keys).copied().collect(),
        });
    }
    common.unwrap_or_default().into_iter().cloned().collect()
}

/// Each feature's statement in `language`, in feature order. A model without statements (a
/// file written before they existed) gets the generated English ones.
pub fn statements_in(model: &Model, language: &str) -> Result<Vec<String>, ReasonsError> {
    check_language(language)?;
    let features = model.features();
    if language == DEFAULT_LANGUAGE && features.iter().all(|f| f.statements.is_empty()) {
        return Ok(features
            .iter()
            .map(|f| default_statement(&f.name))
            .collect());
    }
    features
        .iter()
        .map(|f| f.statements.get(language).cloned())
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| ReasonsError::NoLanguage {
            language: language.to_string(),
            available: {
                let l = languages(model);
                if l.is_empty() {
                    "none".into()
                } else {
                    l.join(", ")
                }
            },
        })
}

/// The model's statements as a reasons file (`code,language,statement`), to edit and load back.
pub fn to_reasons_csv(model: &Model) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["code", "language", "statement"]);
    for f in model.features() {
        if f.statements.is_empty() {
            let _ = w.write_record([
                f.reason_code.as_str(),
                DEFAULT_LANGUAGE,
                &default_statement(&f.name),
            ]);
        }
        for (language, text) in &f.statements {
            let _ = w.write_record([f.reason_code.as_str(), language, text]);
        }
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// A date in the form `YYYY-MM-DD`, checked (a real day of the Gregorian calendar).
pub fn check_date(date: &str) -> Result<String, ReasonsError> {
    let bad = || ReasonsError::Date(date.to_string());
    let parts: Vec<&str> = date.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let num = |s: &str| {
        s.parse::<u32>()
            .ok()
            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
    };
    let (Some(y), Some(m), Some(d)) = (num(y), num(m), num(d)) else {
        return Err(bad());
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d == 0 || d > days[(m - 1) as usize] {
        return Err(bad());
    }
    Ok(date.to_string())
}

/// Today's date (UTC) as `YYYY-MM-DD`.
pub fn today() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let z = (secs / 86_400) as i64 + 719_468;
    // Civil date from days (H. Hinnant's algorithm).
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

/// One principal reason on a notice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoticeReason {
    /// 1 = the reason that cost the most points.
    pub rank: usize,
    /// The reason code.
    pub code: String,
    /// The statement in the notice's language.
    pub statement: String,
    /// Points lost against the feature's best bin.
    pub points_lost: f64,
}

/// The score scale a notice states (the lowest and highest score the model can give).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ScoreRange {
    /// Lowest score.
    pub min: f64,
    /// Highest score.
    pub max: f64,
}

/// What a notice generator needs for one declined or referred application.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notice {
    /// The application's id (the model's id column), when the input has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Where the application is in the input: its line (CSV, JSON Lines) or row (Parquet, data
    /// frames, counted from 1).
    pub record: u64,
    /// `decline` or `refer`.
    pub decision: String,
    /// The score.
    pub score: f64,
    /// The range of scores the model gives.
    pub score_range: ScoreRange,
    /// The principal reasons (up to four), most points lost first.
    pub reasons: Vec<NoticeReason>,
    /// The statements' language.
    pub language: String,
    /// The date of the notice.
    pub date: String,
    /// The model's checksum.
    pub model: String,
}

/// Settings of the notices a run writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeSettings {
    /// Language of the statements.
    pub language: String,
    /// The date on every notice (`YYYY-MM-DD`).
    pub date: String,
}

/// What a notice is built from: the statements, the scale, the settings.
#[derive(Debug, Clone)]
pub struct NoticeMaker {
    statements: Vec<String>,
    codes: Vec<String>,
    best: Vec<f64>,
    range: ScoreRange,
    checksum: String,
    settings: NoticeSettings,
}

impl NoticeMaker {
    /// A maker for `model`, checking the language and the date.
    pub fn new(model: &Model, settings: NoticeSettings) -> Result<NoticeMaker, ReasonsError> {
        let statements = statements_in(model, &settings.language)?;
        check_date(&settings.date)?;
        let (min, max) = model.score_range();
        Ok(NoticeMaker {
            statements,
            codes: model
                .features()
                .iter()
                .map(|f| f.reason_code.clone())
                .collect(),
            best: model.features().iter().map(|f| f.max_points()).collect(),
            range: ScoreRange { min, max },
            checksum: model.checksum().to_string(),
            settings,
        })
    }

    /// The notice of one application, or `None` when it was approved. `reasons` are its
    /// reason feature indices, most points lost first (`-1` = none; the first four are used),
    /// and `points_lost(i, f)` gives the points the `i`-th reason, feature `f`, lost.
    pub fn notice(
        &self,
        id: Option<&str>,
        record: u64,
        decision: &str,
        score: f64,
        reasons: &[i32],
        points_lost: impl Fn(usize, usize) -> f64,
    ) -> Option<Notice> {
        if decision != "decline" && decision != "refer" {
            return None;
        }
        let reasons = reasons
            .iter()
            .filter_map(|&r| usize::try_from(r).ok())
            .filter(|&f| f < self.codes.len())
            .take(NOTICE_REASONS)
            .enumerate()
            .map(|(i, f)| NoticeReason {
                rank: i + 1,
                code: self.codes[f].clone(),
                statement: self.statements[f].clone(),
                points_lost: points_lost(i, f),
            })
            .collect();
        Some(Notice {
            id: id.map(str::to_string),
            record,
            decision: decision.to_string(),
            score,
            score_range: self.range,
            reasons,
            language: self.settings.language.clone(),
            date: self.settings.date.clone(),
            model: self.checksum.clone(),
        })
    }

    /// A feature's best points (what points lost are measured against).
    pub fn best_points(&self, feature: usize) -> f64 {
        self.best.get(feature).copied().unwrap_or(f64::NAN)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_statements_read_as_words() {
        assert_eq!(
            default_statement("monthly_revenue"),
            "Monthly revenue in a range that scores lower"
        );
        assert_eq!(
            default_statement("DebtToIncome"),
            "Debt to income in a range that scores lower"
        );
        assert_eq!(default_statement("A15"), "A15 in a range that scores lower");
    }

    #[test]
    fn language_tags_and_dates_are_checked() {
        for ok in ["en", "zh", "zh-Hans", "pt-BR", "yue"] {
            assert!(check_language(ok).is_ok(), "{ok}");
        }
        for bad in ["", "e", "english", "en_US", "zh-", "1a"] {
            assert!(check_language(bad).is_err(), "{bad}");
        }
        assert!(check_date("2024-02-29").is_ok());
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "24-01-01",
            "2024-1-01",
            "2024-01-00",
            "x",
        ] {
            assert!(check_date(bad).is_err(), "{bad}");
        }
        assert!(check_date(&today()).is_ok());
    }

    #[test]
    fn reasons_files_are_read_and_their_faults_named() {
        let rows = parse_reasons_csv(
            "code,language,statement\nA,en,\"Few, small\"\n\nB,zh,太少\n",
            "r.csv",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].statement, "Few, small");
        assert_eq!(rows[1].line, 4);
        let e = parse_reasons_csv("code,lang,statement\nA,en,x\n", "r.csv").unwrap_err();
        assert!(
            e.to_string().contains("code, language and statement"),
            "{e}"
        );
        let e = parse_reasons_csv("code,language,statement\n", "r.csv").unwrap_err();
        assert!(e.to_string().contains("no statements"), "{e}");
    }
}

//! The rules of what a model file says about each feature in words: its reason code and its
//! reason statements per language. Training writes them ([`crate::train`]), a reasons file
//! replaces them ([`crate::scoring::reasons`]), and loading a model checks them by these same
//! rules.

/// Longest statement accepted, in characters (a notice line, or a good part of an SMS).
pub const MAX_STATEMENT_CHARS: usize = 300;

/// Whether a language tag has the BCP 47 shape: a 2-3 letter language, then subtags of 1-8
/// letters or digits (`en`, `zh`, `zh-Hans`, `pt-BR`).
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or_default();
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// What is wrong with a statement's text, if anything: it has 1 to [`MAX_STATEMENT_CHARS`]
/// characters and no control characters.
pub fn statement_problem(text: &str) -> Option<String> {
    let n = text.chars().count();
    if n == 0 {
        Some("the statement is empty".into())
    } else if n > MAX_STATEMENT_CHARS {
        Some(format!(
            "the statement has {n} characters; at most {MAX_STATEMENT_CHARS}"
        ))
    } else if text.chars().any(char::is_control) {
        Some("the statement holds a control character (a line break, a tab)".into())
    } else {
        None
    }
}

/// The reason code of a feature: its name in upper case, other characters as `_`.
pub fn reason_code(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_have_bounded_printable_text() {
        assert_eq!(statement_problem("Revenue is low"), None);
        assert!(statement_problem("").is_some());
        assert!(statement_problem("two\nlines").is_some());
        assert!(statement_problem(&"x".repeat(MAX_STATEMENT_CHARS)).is_none());
        assert!(statement_problem(&"x".repeat(MAX_STATEMENT_CHARS + 1)).is_some());
    }

    #[test]
    fn reason_codes_are_upper_case_words() {
        assert_eq!(reason_code("monthly_revenue"), "MONTHLY_REVENUE");
        assert_eq!(reason_code("días-de.mora"), "D_AS_DE_MORA");
    }
}

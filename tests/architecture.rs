//! The tree's design, held against the code: every stage of `src/` imports only the stages
//! below it, so that imports run one way, from the entry points to the stages to the model
//! file. A new `crate::` path that runs the other way fails here, naming the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// What each top-level module of the library may name (`crate::X`), besides itself.
fn allowed() -> BTreeMap<&'static str, &'static [&'static str]> {
    const FOUNDATION: &[&str] = &["format", "guard", "metrics"];
    BTreeMap::from([
        // Shared by every stage; they name none.
        ("format", &[][..]),
        ("guard", &[][..]),
        ("metrics", &[][..]),
        // Reading files, and the number grammar.
        ("input", &["format", "guard"][..]),
        // The contract: it names no stage.
        ("model", &["input", "format", "guard", "metrics"][..]),
        (
            "scoring",
            &["model", "input", "format", "guard", "metrics"][..],
        ),
        (
            "train",
            &["model", "scoring", "input", "format", "guard", "metrics"][..],
        ),
        ("output", &["model", "scoring", "input", "format"][..]),
        (
            "batch",
            &["output", "scoring", "model", "input", "format", "guard"][..],
        ),
        ("export", &["model", "scoring", "input", "format"][..]),
        ("synth", FOUNDATION),
        (
            "report",
            &[
                "batch", "train", "scoring", "output", "model", "input", "synth", "format",
                "guard", "metrics",
            ][..],
        ),
        // The C ABI: an entry point, over the stages.
        (
            "ffi",
            &[
                "batch", "scoring", "model", "input", "output", "format", "guard", "metrics",
            ][..],
        ),
    ])
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`None` for the crate root and the binary's
/// command line, which may name anything).
fn module_of(src: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src).ok()?;
    let first = rel.components().next()?.as_os_str().to_str()?.to_string();
    let name = first.strip_suffix(".rs").unwrap_or(&first).to_string();
    (!matches!(name.as_str(), "lib" | "main" | "cli")).then_some(name)
}

/// The `crate::X` names of a line of code (comments left out, and the tests' own modules).
fn crate_names(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or_default();
    let mut names = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let name: String = after
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let before = &rest[..at];
        // `microscore::...` in a doctest is not `crate::`.
        if !before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_') && !name.is_empty() {
            names.push(name);
        }
        rest = after;
    }
    names
}

#[test]
fn imports_run_one_way_from_the_entry_points_to_the_model() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed = allowed();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    let mut seen = 0;
    for file in &files {
        let Some(module) = module_of(&src, file) else {
            continue;
        };
        let Some(may) = allowed.get(module.as_str()) else {
            wrong.push(format!(
                "{}: module '{module}' is not in this test's map of the stages; add it where it belongs",
                file.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        // Unit tests may reach anywhere (they build fixtures from other stages).
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for name in crate_names(line) {
                seen += 1;
                if name != module
                    && !may.contains(&name.as_str())
                    && allowed.contains_key(name.as_str())
                {
                    wrong.push(format!(
                        "{}:{}: '{module}' names crate::{name}, which it may not (it may name: {})",
                        file.display(),
                        n + 1,
                        may.join(", ")
                    ));
                }
            }
        }
    }
    assert!(
        seen > 100,
        "only {seen} crate:: paths found: is the test reading src/?"
    );
    assert!(
        wrong.is_empty(),
        "imports against the design:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn the_checker_sees_an_upward_import() {
    assert_eq!(crate_names("use crate::train::binning::Foo;"), ["train"]);
    assert_eq!(
        crate_names("    x = crate::model::Model::new(); // crate::batch"),
        ["model"]
    );
    assert!(crate_names("use microscore::train::x;").is_empty());
    let src = Path::new("/p/src");
    assert_eq!(
        module_of(src, Path::new("/p/src/model/bins.rs")).as_deref(),
        Some("model")
    );
    assert_eq!(
        module_of(src, Path::new("/p/src/format.rs")).as_deref(),
        Some("format")
    );
    assert_eq!(module_of(src, Path::new("/p/src/cli/train.rs")), None);
    let allowed = allowed();
    assert!(!allowed["model"].contains(&"train"));
    assert!(!allowed["input"].contains(&"model"));
}

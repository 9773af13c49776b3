//! The committed C header equals what cbindgen generates from the code now, and its version
//! macros equal the crate version. `MICROSCORE_BLESS=1 cargo test --test header_drift` rewrites it.

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).unwrap();
    let path = root.join("include/microscore.h");
    if std::env::var_os("MICROSCORE_BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/microscore.h is stale: run MICROSCORE_BLESS=1 cargo test --test header_drift"
    );
    let version = env!("CARGO_PKG_VERSION");
    let mut parts = version.split('.');
    for (name, value) in ["MAJOR", "MINOR", "PATCH"].iter().zip(&mut parts) {
        let line = format!("#define MICROSCORE_VERSION_{name} {value}");
        assert!(
            committed.contains(&line),
            "the header lacks `{line}` (crate version {version})"
        );
    }
    assert!(committed.contains(&format!("#define MICROSCORE_VERSION \"{version}\"")));
}

/// The flag macros of the header are the scorer's flags, bit for bit and name for name.
#[test]
fn header_flags_are_the_scorer_flags() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/microscore.h"))
            .unwrap();
    let defined: Vec<(String, u32)> = header
        .lines()
        .filter_map(|l| l.strip_prefix("#define MICROSCORE_FLAG_"))
        .map(|rest| {
            let (name, value) = rest.split_once(' ').unwrap();
            let bit: u32 = value
                .trim_start_matches("(1u << ")
                .trim_end_matches(')')
                .parse()
                .unwrap();
            (name.to_ascii_lowercase(), bit)
        })
        .collect();
    let expected: Vec<(String, u32)> = microscore::scoring::flags::NAMES
        .iter()
        .enumerate()
        .map(|(i, n)| (n.to_string(), i as u32))
        .collect();
    assert_eq!(defined, expected);
}

/// The header's field limit is the one the C ABI checks.
#[test]
fn header_max_fields_is_the_abi_limit() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/microscore.h"))
            .unwrap();
    let line = format!(
        "#define MICROSCORE_MAX_FIELDS {}",
        microscore::ffi::MAX_FIELDS
    );
    assert!(header.contains(&line), "{line}");
}

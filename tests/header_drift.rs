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

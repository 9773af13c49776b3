//! Cargo.lock must hold exactly one ndarray: linfa and the Python bindings (rust-numpy) exchange
//! arrays, which only works when they are the same crate version.

#[test]
fn exactly_one_ndarray_version_is_locked() {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .expect("Cargo.lock is committed at the workspace root");
    let versions: Vec<&str> = lock
        .split("[[package]]")
        .filter(|p| p.lines().any(|l| l.trim() == "name = \"ndarray\""))
        .filter_map(|p| p.lines().find_map(|l| l.trim().strip_prefix("version = ")))
        .collect();
    assert_eq!(
        versions,
        ["\"0.16.1\""],
        "Cargo.lock must lock ndarray 0.16.1 only; fix with \
         `cargo update -p ndarray@0.17.2 --precise 0.16.1`"
    );
}

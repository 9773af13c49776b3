//! Build script: gives the C library its SONAME on Linux, so that programs linked against
//! `libmicroscore.so` record `libmicroscore.so.0` and keep working across compatible upgrades
//! (the versioned file name `make -C examples install` and `cargo cinstall` install).

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let major = std::env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_default();
    // One SONAME per major version (cargo-c's `version_suffix_components = 1`, set in
    // Cargo.toml): the ABI only ever grows within it (new statuses and functions are added).
    if os == "linux" && std::env::var_os("CARGO_FEATURE_CAPI").is_some() {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libmicroscore.so.{major}");
    }
}

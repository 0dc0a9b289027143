//! Gives the shared library its SONAME, `libkpaudit.so.<ABI version>`, so
//! that a program linked against one ABI never loads another. The ABI
//! version is read from the constant the C header exports.

fn main() {
    println!("cargo:rerun-if-changed=src/ffi/result.rs");
    let source = std::fs::read_to_string("src/ffi/result.rs").expect("src/ffi/result.rs");
    let abi = source
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("pub const KPAUDIT_ABI_VERSION: u32 = ")
        })
        .and_then(|rest| rest.strip_suffix(';'))
        .expect("KPAUDIT_ABI_VERSION in src/ffi/result.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os == "linux" || os == "freebsd" || os == "android" {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libkpaudit.so.{abi}");
    }
}

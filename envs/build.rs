//! Links what the Arcade Learning Environment's static library needs when the `atari` feature
//! is on: `ale-sys` builds ALE's C++ but links neither the C++ standard library nor zlib.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_ATARI").is_some() {
        println!("cargo:rustc-link-lib=dylib=stdc++");
        println!("cargo:rustc-link-lib=dylib=z");
    }
}

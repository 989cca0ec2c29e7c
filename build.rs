//! With the `torch` feature, embeds the libtorch library directory as an rpath so that tests,
//! benches and the binary find libtorch without LD_LIBRARY_PATH. Without it, does nothing.

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var_os("CARGO_FEATURE_TORCH").is_none() {
        return;
    }
    // torch-sys (links = "tch") reports the directory it linked against as `libtorch_lib`.
    match std::env::var("DEP_TCH_LIBTORCH_LIB") {
        Ok(dir) if !dir.is_empty() => {
            if std::env::var("CARGO_CFG_TARGET_OS").as_deref() != Ok("windows") {
                println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
            }
        }
        _ => println!("cargo:warning=torch-sys reported no libtorch lib dir; set LD_LIBRARY_PATH to it to run"),
    }
}

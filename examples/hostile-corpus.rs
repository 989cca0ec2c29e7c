//! Writes lesart's hostile test corpus to a folder: `cargo run --example hostile-corpus -- DIR
//! [--full]`. The same files `tests/hostile.rs` runs `analyze` on; see tests/common/hostile.rs.

#[path = "../tests/common/hostile.rs"]
mod hostile;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: cargo run --example hostile-corpus -- DIR [--full]");
        std::process::exit(2);
    };
    let scale = if args.iter().any(|a| a == "--full") { hostile::Scale::Full } else { hostile::Scale::Small };
    let entries = hostile::write_corpus(std::path::Path::new(dir), scale);
    println!("{} inputs written to {dir}", entries.len());
}

//! Dependencies point down: a module of `src/` imports only modules below it in the pipeline's
//! order. Test code (`#[cfg(test)]` blocks and `tests.rs` files) is exempt: it may build a
//! whole pipeline to check a stage.

use std::path::{Path, PathBuf};

/// The layers from the bottom up; modules on one layer may use each other.
const LAYERS: &[&[&str]] = &[
    &["encoder"],
    &["doc", "error"],
    &["io", "guard", "stage"],
    &["ingest"],
    &["segment"],
    &["morphology"],
    &["encode"],
    &["ner"],
    &["modality"],
    &["stance"],
    &["pipeline"],
    &["report"],
    &["lib", "main"],
];

/// What `lib.rs` re-exports at the crate root, by the module it comes from.
const ROOT_NAMES: &[(&str, &str)] = &[
    ("Document", "doc"),
    ("Span", "doc"),
    ("Error", "error"),
    ("Result", "error"),
    ("Config", "pipeline"),
    ("Pipeline", "pipeline"),
    ("RunSummary", "pipeline"),
    ("Report", "report"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ readable") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to (`src/ner/eval.rs` → `ner`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src/");
    let first = rel.components().next().expect("a component").as_os_str().to_string_lossy().to_string();
    first.trim_end_matches(".rs").to_string()
}

/// The lines of a file outside its test code.
fn non_test_lines(source: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut skip_depth: Option<i64> = None;
    let mut depth = 0i64;
    let mut pending_cfg_test = false;
    for (n, line) in source.lines().enumerate() {
        let trimmed = line.trim();
        if skip_depth.is_none() && trimmed.starts_with("#[cfg(test)]") {
            pending_cfg_test = true;
            continue;
        }
        if pending_cfg_test && skip_depth.is_none() && !trimmed.starts_with("#[") {
            pending_cfg_test = false;
            if trimmed.ends_with(';') {
                continue; // `mod tests;`: the file is skipped by name
            }
            skip_depth = Some(depth);
        }
        let opens = line.matches('{').count() as i64;
        let closes = line.matches('}').count() as i64;
        depth += opens - closes;
        match skip_depth {
            Some(d) if depth <= d && closes > 0 => skip_depth = None,
            Some(_) => {}
            None => out.push((n + 1, line)),
        }
    }
    out
}

/// The crate modules a line names: `crate::x`, `use crate::{x, …}` and the root re-exports.
fn modules_named(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let inner = group.split('}').next().unwrap_or("");
            for item in inner.split(',') {
                out.extend(name_to_module(item.trim()));
            }
        } else {
            out.extend(name_to_module(rest));
        }
    }
    out
}

fn name_to_module(path: &str) -> Option<String> {
    let name: String = path.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if name.is_empty() {
        return None;
    }
    let root = ROOT_NAMES.iter().find(|(n, _)| *n == name).map(|(_, m)| m.to_string());
    Some(root.unwrap_or(name))
}

#[test]
fn every_import_points_down() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut wrong = Vec::new();
    for file in &files {
        if file.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let module = module_of(&src, file);
        let Some(own) = layer_of(&module) else {
            wrong.push(format!("{}: module {module} has no place in the layer order", file.display()));
            continue;
        };
        let source = std::fs::read_to_string(file).expect("readable");
        for (n, line) in non_test_lines(&source) {
            for used in modules_named(line) {
                match layer_of(&used) {
                    Some(layer) if layer <= own => {}
                    Some(_) => wrong.push(format!("{}:{n}: {module} imports {used}, which lies above it: {}", file.display(), line.trim())),
                    None => wrong.push(format!("{}:{n}: {used} is not a module of the layer order: {}", file.display(), line.trim())),
                }
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layer order:\n{}", wrong.join("\n"));
}

#[test]
fn the_checker_sees_grouped_imports_root_names_and_skips_test_code() {
    assert_eq!(modules_named("use crate::{doc::Span, io::Scores};"), ["doc", "io"]);
    assert_eq!(modules_named("let p = crate::Pipeline::new(&c); // crate::report"), ["pipeline"]);
    let source =
        "use crate::doc::Span;\n#[cfg(test)]\nmod tests {\n    use crate::Pipeline;\n    fn f() {\n    }\n}\nuse crate::io::Scores;\n";
    let kept: Vec<usize> = non_test_lines(source).into_iter().map(|(n, _)| n).collect();
    assert_eq!(kept, [1, 8]);
}

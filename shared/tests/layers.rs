//! The README's layer sentence, checked: the shared crate's top-level modules in the order of
//! "How a request flows", each importing only from the ones above it. Every file under
//! `shared/src/` is read; a module's imports are its `crate::…` and `super::…` paths (in `use`
//! lines and in code, tests included; comments and string literals are skipped), resolved to the
//! top-level module they name (a name `lib.rs` re-exports counts as its module).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The layers, top first: each may import from those before it, never from those after.
const LAYERS: [&str; 9] = [
    "domain",
    "maths",
    "render",
    "upstream",
    "config",
    "endpoints",
    "edge",
    "deps",
    "testing",
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The module a file is: `upstream/warm.rs` → [upstream, warm]; `maths/signal/mod.rs` →
/// [maths, signal]; `lib.rs` → [].
fn module_of(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src()).unwrap();
    let mut parts: Vec<String> = relative
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

/// The code with comments, string literals and character literals blanked out (newlines kept,
/// so line numbers still count), so that neither a doc link nor a format string's braces count.
fn code_only(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |c: char| if c == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && !ident_before(&chars, i) {
            // A raw string: r"…", r#"…"#.
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                out.push(c);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            let mut k = j + 1;
            while k < chars.len() {
                if chars[k] == '"' && (0..hashes).all(|h| chars.get(k + 1 + h) == Some(&'#')) {
                    k += 1 + hashes;
                    break;
                }
                k += 1;
            }
            out.extend(chars[i..k.min(chars.len())].iter().map(|&c| blank(c)));
            i = k;
        } else if c == '"' {
            out.push(' ');
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    out.push(' ');
                    i += 1;
                }
                if i < chars.len() {
                    out.push(blank(chars[i]));
                    i += 1;
                }
            }
            out.push(' ');
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{7f}') or a lifetime ('a, 'static).
            let end = if next == Some('\\') {
                (i + 2..chars.len()).find(|&k| chars[k] == '\'')
            } else if chars.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            match end {
                Some(end) => {
                    out.extend(chars[i..=end].iter().map(|&c| blank(c)));
                    i = end + 1;
                }
                None => {
                    out.push(c);
                    i += 1;
                }
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_ident(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

fn ident_before(chars: &[char], i: usize) -> bool {
    i > 0 && is_ident(chars[i - 1])
}

fn ident_at(chars: &[char], i: usize) -> String {
    chars[i..].iter().take_while(|c| is_ident(**c)).collect()
}

/// The first name of each item of the `{…}` group opening at `open`: `{a::b, c}` → [a, c].
fn group_heads(chars: &[char], open: usize) -> Vec<String> {
    let (mut depth, mut heads, mut expect) = (0, Vec::new(), true);
    for i in open..chars.len() {
        match chars[i] {
            '{' => {
                depth += 1;
                expect = depth == 1;
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => expect = true,
            c if expect && depth == 1 && is_ident(c) => {
                heads.push(ident_at(chars, i));
                expect = false;
            }
            _ => {}
        }
    }
    heads
}

/// One import: the line it is on and the top-level name it reaches (a module or a re-export).
struct Import {
    line: usize,
    name: String,
}

/// Every `crate::…` and `super::…` path of a file that reaches outside its top-level module.
fn imports(file: &Path) -> Vec<Import> {
    let module = module_of(file);
    let code: Vec<char> = code_only(&std::fs::read_to_string(file).unwrap())
        .chars()
        .collect();
    let (mut line, mut depth) = (1, 0);
    // Inline modules open at this point: (name, the brace depth inside them).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut found = Vec::new();
    let mut i = 0;
    while i < code.len() {
        let c = code[i];
        if c == '\n' {
            line += 1;
        } else if c == '{' {
            depth += 1;
        } else if c == '}' {
            if inline.last().is_some_and(|(_, d)| *d == depth) {
                inline.pop();
            }
            depth -= 1;
        } else if is_ident(c) && !ident_before(&code, i) {
            let word = ident_at(&code, i);
            let after = i + word.len();
            let rest: String = code[after..].iter().take(2).collect();
            if word == "mod" {
                let name_at = after
                    + code[after..]
                        .iter()
                        .take_while(|c| c.is_whitespace())
                        .count();
                let name = ident_at(&code, name_at);
                let brace = name_at + name.len();
                let brace = brace
                    + code[brace..]
                        .iter()
                        .take_while(|c| c.is_whitespace())
                        .count();
                if code.get(brace) == Some(&'{') {
                    inline.push((name, depth + 1));
                }
            } else if (word == "crate" || word == "super") && rest == "::" {
                let mut at = i;
                let mut path: Vec<String> = module
                    .iter()
                    .cloned()
                    .chain(inline.iter().map(|(n, _)| n.clone()))
                    .collect();
                if word == "crate" {
                    path.clear();
                    at = after + 2;
                } else {
                    while ident_at(&code, at) == "super" && code[at + 5..].starts_with(&[':', ':'])
                    {
                        assert!(
                            !path.is_empty(),
                            "{}:{line}: super beyond the crate",
                            file.display()
                        );
                        path.pop();
                        at += 7;
                    }
                }
                let heads = if !path.is_empty() {
                    vec![path[0].clone()]
                } else if code.get(at) == Some(&'{') {
                    group_heads(&code, at)
                } else {
                    vec![ident_at(&code, at)]
                };
                for name in heads {
                    if name != module.first().cloned().unwrap_or_default() {
                        found.push(Import { line, name });
                    }
                }
                i = at.max(i + 1);
                continue;
            }
            i = after;
            continue;
        }
        i += 1;
    }
    found
}

/// The names `lib.rs` re-exports (`pub use config::{Config, Settings};` → Config → config).
fn reexports() -> HashMap<String, String> {
    let lib = code_only(&std::fs::read_to_string(src().join("lib.rs")).unwrap());
    let mut names = HashMap::new();
    for statement in lib.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let module = path.split("::").next().unwrap().trim().to_string();
        let last = path.rsplit("::").next().unwrap();
        for name in last.trim_matches(|c| c == '{' || c == '}').split(',') {
            names.insert(name.trim().to_string(), module.clone());
        }
    }
    names
}

fn layer(name: &str) -> Option<usize> {
    LAYERS.iter().position(|l| *l == name)
}

#[test]
fn no_module_imports_from_a_layer_below_it() {
    let reexports = reexports();
    let mut wrong = Vec::new();
    let files = files(&src());
    assert!(files.len() > 50, "read {} files", files.len());
    for file in files {
        let module = module_of(&file);
        let Some(own) = module.first() else {
            continue; // lib.rs: the crate root declares every layer.
        };
        let own_layer = layer(own).unwrap_or_else(|| panic!("{own} is in no layer of LAYERS"));
        for import in imports(&file) {
            let target = reexports.get(&import.name).unwrap_or(&import.name);
            let shown = format!(
                "{}:{}: {own} imports {}",
                file.strip_prefix(src()).unwrap().display(),
                import.line,
                import.name
            );
            match layer(target) {
                Some(l) if l < own_layer => {}
                Some(_) => wrong.push(shown),
                None => wrong.push(format!("{shown}, which is no layer")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports from a layer below:\n{}",
        wrong.join("\n")
    );
}

#[test]
fn every_module_of_the_crate_is_a_layer_and_the_readme_lists_them_in_order() {
    let lib = code_only(&std::fs::read_to_string(src().join("lib.rs")).unwrap());
    let mut modules: Vec<&str> = lib
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub mod "))
        .map(|m| m.trim_end_matches(';'))
        .collect();
    modules.sort_unstable();
    let mut layers = LAYERS.to_vec();
    layers.sort_unstable();
    assert_eq!(modules, layers);

    // The tree under `shared/src/` in README's "How a request flows": its top-level entries.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .unwrap();
    let section = &readme[readme.find("## How a request flows").expect("the section")..];
    let at = section
        .find("\nshared/src/")
        .expect("the shared crate's tree");
    let tree = &section[at + 1..];
    let listed: Vec<&str> = tree
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter(|l| l.as_bytes().get(2).is_some_and(|b| b.is_ascii_lowercase()))
        .map(|l| l[2..].split(['/', '.', ' ']).next().unwrap())
        .collect();
    assert_eq!(
        listed, LAYERS,
        "README's tree under shared/src/, top to bottom"
    );
}

#[test]
fn the_reader_sees_through_comments_strings_and_inline_modules() {
    let code = code_only("let s = \"crate::edge {\"; // crate::edge\nlet c = '{'; fn f<'a>() {}");
    assert!(!code.contains("crate") && !code.contains('"'));
    assert_eq!(code.matches('{').count(), 1, "{code}");
    let chars: Vec<char> = "{Config, domain::{A, B}, upstream::X}".chars().collect();
    assert_eq!(group_heads(&chars, 0), ["Config", "domain", "upstream"]);
}

//! The shape of the code, checked: no two files of `app/src` import each other
//! (directly or round a longer loop), and `notify`, which every domain calls to
//! tell people things, calls up into none of them. Reads the sources as text:
//! every `crate::` and `super::` path outside comments counts, whether it names
//! a type, a function or a facade.
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Module = Vec<String>;

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let entries = std::fs::read_dir(dir).expect("app/src is readable");
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn module_of(src: &Path, file: &Path) -> Module {
    let rel = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut parts: Module = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
        parts.pop();
    }
    parts
}

fn without_comments(text: &str) -> String {
    text.lines()
        .map(|line| line.split("//").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every path `crate::a::b…` or `super::a…` in the text, as segments from the crate root.
fn paths_in(text: &str, me: &Module, is_mod_file: bool) -> Vec<Module> {
    let mut found = Vec::new();
    for start in ["crate::", "super::"] {
        let mut rest = text;
        while let Some(i) = rest.find(start) {
            let before = rest[..i].chars().last();
            let tail = &rest[i + start.len()..];
            rest = tail;
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let segments: Module = tail
                .split("::")
                .map(|s| {
                    s.chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .take_while(|s| !s.is_empty())
                .collect();
            let mut path = if start == "crate::" {
                Vec::new()
            } else {
                // `super` of a/b.rs is a; of a/b/mod.rs it is also a.
                let mut base = me.clone();
                if !is_mod_file || !base.is_empty() {
                    base.pop();
                }
                base
            };
            path.extend(segments);
            found.push(path);
        }
    }
    found
}

fn import_graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let modules: BTreeMap<Module, PathBuf> = files
        .iter()
        .map(|f| (module_of(&src, f), f.clone()))
        .collect();
    let mut graph = BTreeMap::new();
    for (me, file) in &modules {
        let text = without_comments(&std::fs::read_to_string(file).expect("a source file"));
        let is_mod_file = file.file_stem().is_some_and(|s| s == "mod");
        let mut targets = BTreeSet::new();
        for path in paths_in(&text, me, is_mod_file) {
            // The longest prefix of the path that is a file of ours.
            let target = (1..=path.len())
                .rev()
                .map(|n| path[..n].to_vec())
                .find(|p| modules.contains_key(p));
            if let Some(t) = target {
                if &t != me {
                    targets.insert(t);
                }
            }
        }
        graph.insert(me.clone(), targets);
    }
    graph
}

/// A loop of imports through `from`, if there is one.
fn loop_through(graph: &BTreeMap<Module, BTreeSet<Module>>, from: &Module) -> Option<Vec<Module>> {
    let mut stack = vec![(from.clone(), vec![from.clone()])];
    let mut seen = BTreeSet::new();
    while let Some((at, trail)) = stack.pop() {
        for next in graph.get(&at).into_iter().flatten() {
            if next == from {
                return Some(trail.clone());
            }
            if seen.insert(next.clone()) {
                let mut longer = trail.clone();
                longer.push(next.clone());
                stack.push((next.clone(), longer));
            }
        }
    }
    None
}

#[test]
fn no_file_imports_one_that_imports_it_back() {
    let graph = import_graph();
    assert!(graph.len() > 40, "found only {} files", graph.len());
    for module in graph.keys() {
        if let Some(trail) = loop_through(&graph, module) {
            let names: Vec<String> = trail.iter().map(|m| m.join("::")).collect();
            panic!("an import loop: {} -> back", names.join(" -> "));
        }
    }
}

#[test]
fn notify_calls_up_into_no_domain() {
    const DOMAINS: [&str; 6] = [
        "accounts",
        "alerts",
        "billing",
        "checkin",
        "connections",
        "phones",
    ];
    let graph = import_graph();
    let mut up = Vec::new();
    for (module, targets) in &graph {
        if module.first().map(String::as_str) != Some("notify") {
            continue;
        }
        for t in targets {
            if DOMAINS.contains(&t[0].as_str()) {
                up.push(format!("{} -> {}", module.join("::"), t.join("::")));
            }
        }
    }
    assert!(up.is_empty(), "notify reaches up: {up:?}");
    // And the graph sees notify's real imports (a reader that found nothing
    // would pass the check above).
    assert!(graph[&vec!["notify".to_string(), "worker".to_string()]]
        .contains(&vec!["services".to_string()]));
}

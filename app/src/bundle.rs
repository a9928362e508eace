//! The browser bundle's file names. A release build names each file after its
//! content (`pruuf.<hash>.wasm`: cargo-leptos's `hash-files`), so a browser may
//! keep it for a year and a deploy can never pair new HTML with old WASM: new
//! pages name new files. The server finds the names in `site/pkg/` once, at
//! start, and the page's `<head>` links exactly those.
use leptos::prelude::*;

/// Where the bundle is served from.
pub const PKG: &str = "/pkg";

/// The files a page needs, by name inside `/pkg/`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    pub js: String,
    pub wasm: String,
    pub css: String,
    /// The loader of the pages split out of the main WASM (`--split` builds
    /// only): the main JS imports it, so a page preloads it and the service
    /// worker keeps it for an offline start.
    pub split: Option<String>,
}

/// The split loader's name before cargo-leptos names it after its content.
const SPLIT_STEM: &str = "__wasm_split";

impl Default for Bundle {
    /// The names of an unhashed (development) build.
    fn default() -> Self {
        Bundle {
            js: "pruuf.js".into(),
            wasm: "pruuf.wasm".into(),
            css: "pruuf.css".into(),
            split: None,
        }
    }
}

impl Bundle {
    pub fn js_url(&self) -> String {
        format!("{PKG}/{}", self.js)
    }
    pub fn wasm_url(&self) -> String {
        format!("{PKG}/{}", self.wasm)
    }
    pub fn css_url(&self) -> String {
        format!("{PKG}/{}", self.css)
    }
    pub fn split_url(&self) -> Option<String> {
        self.split.as_ref().map(|s| format!("{PKG}/{s}"))
    }

    /// Every file a page loads at start, for the service worker to keep.
    pub fn urls(&self) -> Vec<String> {
        let mut urls = vec![self.css_url(), self.js_url(), self.wasm_url()];
        urls.extend(self.split_url());
        urls
    }

    /// The files a page needs, picked from the names in `/pkg/`: for each kind,
    /// the content-named file if there is one, else the plain name. Where a
    /// careless copy left two builds' files, `newest` breaks the tie.
    pub fn from_names<'a>(
        output_name: &str,
        names: impl IntoIterator<Item = (&'a str, u64)>,
    ) -> Bundle {
        let mut best: [Option<(&str, u64)>; 4] = [None, None, None, None];
        for (name, stamp) in names {
            let Some((stem, hash, ext)) = split_name(name) else {
                continue;
            };
            if hash.is_none() {
                continue;
            }
            let slot = match (stem == output_name, stem == SPLIT_STEM, ext) {
                (true, _, "js") => 0,
                (true, _, "wasm") => 1,
                (true, _, "css") => 2,
                (_, true, "js") => 3,
                _ => continue,
            };
            if best[slot].is_none_or(|(_, s)| stamp > s) {
                best[slot] = Some((name, stamp));
            }
        }
        let plain = |ext: &str| format!("{output_name}.{ext}");
        let pick =
            |slot: usize, ext: &str| best[slot].map_or_else(|| plain(ext), |(n, _)| n.to_string());
        Bundle {
            js: pick(0, "js"),
            wasm: pick(1, "wasm"),
            css: pick(2, "css"),
            split: best[3].map(|(n, _)| n.to_string()),
        }
    }
}

/// Whether a file under `/pkg/` is named after its content (so it can never
/// change: cached for a year, served cache-first by the service worker).
pub fn is_content_named(name: &str) -> bool {
    split_name(name).is_some_and(|(_, hash, _)| hash.is_some())
}

/// `stem.hash.ext` or `stem.ext`; the hash is cargo-leptos's: 22 characters of
/// URL-safe base64 (an MD5). Precompressed copies (`.br`, `.gz`) are not names
/// a page asks for.
fn split_name(name: &str) -> Option<(&str, Option<&str>, &str)> {
    let (rest, ext) = name.rsplit_once('.')?;
    if ext == "br" || ext == "gz" {
        return None;
    }
    match rest.rsplit_once('.') {
        Some((stem, hash)) if is_hash(hash) => Some((stem, Some(hash), ext)),
        _ => Some((rest, None, ext)),
    }
}

fn is_hash(s: &str) -> bool {
    s.len() == 22
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Reads the names in `pkg_dir` (the server, at start). No directory (tests
/// without a build) gives the plain names.
#[cfg(feature = "ssr")]
pub fn read(pkg_dir: &std::path::Path, output_name: &str) -> Bundle {
    let entries: Vec<(String, u64)> = std::fs::read_dir(pkg_dir)
        .map(|dir| {
            dir.filter_map(Result::ok)
                .filter_map(|e| {
                    let stamp = e
                        .metadata()
                        .and_then(|m| m.modified())
                        .ok()
                        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                        .map_or(0, |d| d.as_secs());
                    Some((e.file_name().into_string().ok()?, stamp))
                })
                .collect()
        })
        .unwrap_or_default();
    Bundle::from_names(output_name, entries.iter().map(|(n, s)| (n.as_str(), *s)))
}

/// The page's stylesheet, the preloads and the script that starts the WASM.
/// Rendered on the server only (inside the shell's `<head>`).
#[component]
pub fn BundleLinks() -> impl IntoView {
    let bundle = use_context::<Bundle>().unwrap_or_default();
    let nonce = leptos::nonce::use_nonce();
    // The same start as Leptos's own HydrationScripts, with our names.
    let start = format!(
        "import({js:?}).then(m=>m.default({{module_or_path:{wasm:?}}}).then(()=>m.hydrate()));",
        js = bundle.js_url(),
        wasm = bundle.wasm_url(),
    );
    view! {
        <link rel="stylesheet" id="leptos" href=bundle.css_url()/>
        <link rel="modulepreload" href=bundle.js_url()/>
        {bundle.split_url().map(|href| view! { <link rel="modulepreload" href=href/> })}
        <link rel="preload" href=bundle.wasm_url() r#as="fetch" r#type="application/wasm" crossorigin=""/>
        <script type="module" nonce=nonce>{start}</script>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "AbCdEfGhIjKlMnOpQrSt_-";
    const H2: &str = "ZyXwVuTsRqPoNmLkJiHg01";

    #[test]
    fn content_named_files_are_told_from_plain_ones() {
        assert!(is_content_named(&format!("pruuf.{H1}.wasm")));
        assert!(is_content_named(&format!("__wasm_split.{H1}.js")));
        assert!(!is_content_named("pruuf.wasm"));
        assert!(!is_content_named("pruuf_bg.wasm"));
        assert!(!is_content_named(&format!("pruuf.{H1}.wasm.br")));
        assert!(!is_content_named("pruuf.short.js"));
        assert!(!is_content_named(&format!("pruuf.{}.js", "a".repeat(23))));
        assert!(!is_content_named(&format!(
            "pruuf.{}.js",
            "a+b/c=d".repeat(3) + "x"
        )));
    }

    #[test]
    fn the_hashed_names_are_picked_and_plain_ones_are_the_fallback() {
        let js = format!("pruuf.{H1}.js");
        let wasm = format!("pruuf.{H2}.wasm");
        let split = format!("__wasm_split.{H1}.js");
        let chunk = format!("split___settings_view_1.{H2}.wasm");
        let names = [
            (js.as_str(), 1),
            (wasm.as_str(), 1),
            ("pruuf.css", 1),
            ("other.css", 1),
            (split.as_str(), 1),
            (chunk.as_str(), 1),
        ];
        let b = Bundle::from_names("pruuf", names);
        assert_eq!(b.js, js);
        assert_eq!(b.wasm, wasm);
        assert_eq!(b.css, "pruuf.css");
        assert_eq!(b.split.as_deref(), Some(split.as_str()));
        assert_eq!(b.wasm_url(), format!("/pkg/{wasm}"));
        assert_eq!(
            b.urls(),
            vec![
                "/pkg/pruuf.css".to_string(),
                format!("/pkg/{js}"),
                format!("/pkg/{wasm}"),
                format!("/pkg/{split}")
            ]
        );
        assert_eq!(Bundle::from_names("pruuf", []), Bundle::default());
        assert_eq!(Bundle::default().urls().len(), 3);
    }

    #[test]
    fn of_two_builds_left_side_by_side_the_newest_wins() {
        let old = format!("pruuf.{H1}.wasm");
        let new = format!("pruuf.{H2}.wasm");
        let b = Bundle::from_names("pruuf", [(new.as_str(), 20), (old.as_str(), 10)]);
        assert_eq!(b.wasm, new);
        let b = Bundle::from_names("pruuf", [(old.as_str(), 10), (new.as_str(), 20)]);
        assert_eq!(b.wasm, new);
    }
}

//! The service worker, served by the server rather than as a plain file: its
//! `BUILD` is a digest of this build's browser bundle (`/pkg/`), so every deploy
//! changes the worker's bytes, the browser installs it, and the new worker drops
//! the old build's cache (see public/sw.js). Never cached by the browser.
use app::bundle::Bundle;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::path::Path;

/// The worker as shipped, if the site has none (tests run without a build).
const SOURCE: &str = include_str!("../../public/sw.js");

/// The worker's text for the site at `site_root`, with its build stamped in and
/// the bundle's file names (to keep for an offline start) written in.
pub fn service_worker(site_root: &str, bundle: &Bundle) -> String {
    let root = Path::new(site_root);
    let source = std::fs::read_to_string(root.join("sw.js")).unwrap_or_else(|_| SOURCE.to_string());
    let files = bundle.urls().join(" ");
    source
        .replace("__PRUUF_BUILD__", &build_id(&root.join("pkg"), &source))
        .replace("__PRUUF_BUNDLE__", &files)
}

/// A digest of every file of the bundle (names and bytes, in name order) and of
/// the worker itself.
fn build_id(pkg: &Path, source: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(source.as_bytes());
    let mut files: Vec<_> = std::fs::read_dir(pkg)
        .map(|dir| dir.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        hash.update(
            file.file_name()
                .map(|n| n.as_encoded_bytes())
                .unwrap_or_default(),
        );
        hash.update(std::fs::read(&file).unwrap_or_default());
    }
    hash.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn response(script: &str) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        script.to_string(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_build_is_stamped_and_changes_with_the_bundle() {
        let dir = std::env::temp_dir().join(format!("pruuf-sw-{}", std::process::id()));
        let pkg = dir.join("pkg");
        std::fs::create_dir_all(&pkg).expect("dir");
        std::fs::write(pkg.join("pruuf.wasm"), b"one").expect("write");
        let root = dir.to_str().expect("path");
        let bundle = Bundle {
            js: "pruuf.AbCdEfGhIjKlMnOpQrSt_-.js".into(),
            ..Bundle::default()
        };
        let first = service_worker(root, &bundle);
        assert!(!first.contains("__PRUUF_BUILD__"));
        assert!(!first.contains("__PRUUF_BUNDLE__"));
        assert!(first.contains("const BUILD = '"));
        assert!(
            first.contains("/pkg/pruuf.css /pkg/pruuf.AbCdEfGhIjKlMnOpQrSt_-.js /pkg/pruuf.wasm")
        );
        assert_eq!(first, service_worker(root, &bundle), "stable");
        std::fs::write(pkg.join("pruuf.wasm"), b"two").expect("write");
        assert_ne!(
            first,
            service_worker(root, &bundle),
            "a new bundle, a new worker"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}

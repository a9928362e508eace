//! The browser bundle as the server serves it: the names the page links are the
//! content-named files of the site it was started on; each is answered from the
//! build's brotli or gzip copy by Accept-Encoding and cached for a year; an old
//! build's name is a 404 (never another build's bytes); pages are compressed on
//! the fly and always checked with the server.
use crate::common;

use pruuf_test_support::Call;
use sqlx::PgPool;
use std::path::{Path, PathBuf};

/// A site directory with one build's bundle: `hash` stands for its content.
fn site(hash: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pruuf-site-{}-{hash}", uuid::Uuid::new_v4()));
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).expect("pkg dir");
    for (ext, body) in [("js", "js"), ("wasm", "wasm"), ("css", "css")] {
        let name = format!("pruuf.{hash}.{ext}");
        std::fs::write(pkg.join(&name), format!("{body} of {hash}")).expect("file");
        std::fs::write(
            pkg.join(format!("{name}.br")),
            format!("br {body} of {hash}"),
        )
        .expect("br");
        std::fs::write(
            pkg.join(format!("{name}.gz")),
            format!("gz {body} of {hash}"),
        )
        .expect("gz");
    }
    dir
}

fn app_on(pool: PgPool, root: &Path) -> axum::Router {
    let mut options = common::leptos_options();
    options.site_root = root.to_string_lossy().into_owned().into();
    let state = server::AppState::new(options, pool, common::config(false)).expect("state");
    server::router(state)
}

const OLD: &str = "AAAAAAAAAAAAAAAAAAAAAA";
const NEW: &str = "BBBBBBBBBBBBBBBBBBBBBB";

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn pages_link_this_builds_files_which_are_compressed_and_kept_for_a_year(pool: PgPool) {
    let (old, new) = (site(OLD), site(NEW));
    let before = app_on(pool.clone(), &old);
    let after = app_on(pool, &new);

    let page = Call::get("/").send(&after).await;
    assert_eq!(page.status, 200);
    for ext in ["js", "wasm", "css"] {
        assert!(
            page.body.contains(&format!("/pkg/pruuf.{NEW}.{ext}")),
            "the page names the new build's {ext}"
        );
    }
    assert!(!page.body.contains(OLD));
    assert!(!page.body.contains("/pkg/pruuf.wasm"));
    assert!(Call::get("/")
        .send(&before)
        .await
        .body
        .contains(&format!("/pkg/pruuf.{OLD}.wasm")));

    let wasm = format!("/pkg/pruuf.{NEW}.wasm");
    let br = Call::get(&wasm)
        .header("accept-encoding", "gzip, br")
        .send(&after)
        .await;
    assert_eq!(br.status, 200);
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert_eq!(br.body, format!("br wasm of {NEW}"));
    assert_eq!(
        br.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert_eq!(br.header("vary"), Some("accept-encoding"));
    let gz = Call::get(&wasm)
        .header("accept-encoding", "gzip")
        .send(&after)
        .await;
    assert_eq!(gz.header("content-encoding"), Some("gzip"));
    assert_eq!(gz.body, format!("gz wasm of {NEW}"));
    let plain = Call::get(&wasm).send(&after).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.body, format!("wasm of {NEW}"));

    // The old build's names are gone with it.
    let gone = Call::get(&format!("/pkg/pruuf.{OLD}.wasm"))
        .send(&after)
        .await;
    assert_eq!(gone.status, 404);
    assert_ne!(
        gone.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    // The service worker keeps this build's files for an offline start.
    let worker = Call::get("/sw.js").send(&after).await;
    assert!(worker.body.contains(&format!(
        "/pkg/pruuf.{NEW}.css /pkg/pruuf.{NEW}.js /pkg/pruuf.{NEW}.wasm"
    )));

    let _ = std::fs::remove_dir_all(old);
    let _ = std::fs::remove_dir_all(new);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn pages_are_compressed_on_the_fly_and_never_cached_unchecked(pool: PgPool) {
    let app = common::app(pool, false);
    let page = Call::get("/")
        .header("accept-encoding", "br")
        .send(&app)
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-encoding"), Some("br"));
    assert_eq!(page.header("cache-control"), Some("no-cache"));
    let plain = Call::get("/").send(&app).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert!(plain.body.contains("Stay connected to loved ones"));
}

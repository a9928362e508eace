//! `/pkg/`: the browser bundle. Served from the brotli or gzip copy the release
//! build made beside each file (`cargo leptos build --release --precompress`),
//! whichever the browser accepts, else the file itself. A file named after its
//! content (`pruuf.<hash>.wasm`) can never change: browsers keep it for a year
//! without asking. Anything else (a development build's plain names) is checked
//! with the server each time.
use app::bundle::is_content_named;
use axum::{
    extract::Request,
    http::{header, HeaderValue},
    middleware::{self, Next},
    response::Response,
    Router,
};
use std::path::Path;
use tower_http::services::ServeDir;

pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The `/pkg` service for the site at `site_root`.
pub fn pkg_routes<S: Clone + Send + Sync + 'static>(site_root: &str, pkg_dir: &str) -> Router<S> {
    let dir = ServeDir::new(Path::new(site_root).join(pkg_dir))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .fallback_service(dir)
        .layer(middleware::from_fn(cache_headers))
}

async fn cache_headers(request: Request, next: Next) -> Response {
    let forever = request
        .uri()
        .path()
        .rsplit('/')
        .next()
        .is_some_and(is_content_named);
    let mut response = next.run(request).await;
    let policy = if forever && response.status().is_success() {
        IMMUTABLE
    } else {
        "no-cache"
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    // The same address answers with different bytes by Accept-Encoding.
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

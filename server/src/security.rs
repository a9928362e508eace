//! Request-level protection: the Origin check against cross-site requests, and the
//! security headers every response carries.
use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use http::{header, HeaderValue, Method, StatusCode};
use std::sync::Arc;

/// May this request change state? Safe methods always may; any other must come
/// from one of our own origins, named by `Origin` or, failing that, `Referer`.
/// A request that names neither is refused: every current browser sends `Origin`
/// on a non-GET request, and the few machine callers (webhooks) are exempted by
/// route, explicitly, in `router.rs`.
pub fn origin_allowed(
    method: &Method,
    origin: Option<&str>,
    referer: Option<&str>,
    allowed: &[String],
) -> bool {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return true;
    }
    let claimed = match (origin, referer) {
        (Some(o), _) => o.trim().to_ascii_lowercase(),
        (None, Some(r)) => match url::Url::parse(r) {
            Ok(u) => u.origin().ascii_serialization(),
            Err(_) => return false,
        },
        (None, None) => return false,
    };
    allowed.contains(&claimed)
}

pub async fn check_origin(
    State(allowed): State<Arc<Vec<String>>>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if origin_allowed(
        request.method(),
        text(header::ORIGIN),
        text(header::REFERER),
        &allowed,
    ) {
        next.run(request).await
    } else {
        tracing::warn!(method = %request.method(), path = request.uri().path(), "refused a cross-site request");
        (
            StatusCode::FORBIDDEN,
            Html(
                "<!DOCTYPE html><html lang=\"en\"><title>Not allowed \u{b7} Pruuf</title>\
                 <h1>Sorry, we didn't do that</h1>\
                 <p>This request came from another website, so Pruuf ignored it to keep \
                 your account safe. Please go to the Pruuf page and try again there.</p>\
                 <p><a href=\"/\">Go to the start page</a></p></html>",
            ),
        )
            .into_response()
    }
}

/// Headers for every response. The Content-Security-Policy is set here for every
/// response, pages included: each request gets a fresh nonce (a request extension
/// the page's shell hands to Leptos for its inline scripts), and an HTML response
/// is sent with a policy naming that nonce. Setting it here, rather than from
/// inside the render, means a page's policy never depends on the render reaching
/// the response options; anything that is not HTML gets the policy with no
/// inline scripts at all.
#[derive(Clone)]
pub struct SecurityHeaders {
    default_csp: HeaderValue,
    live_reload_port: Option<u32>,
    form_targets: String,
    hsts: bool,
}

impl SecurityHeaders {
    /// `form_targets`: origins a form may be redirected on to (Stripe's pages).
    pub fn new(hsts: bool, live_reload_port: Option<u32>, form_targets: String) -> Self {
        let policy = app::security::content_security_policy(None, live_reload_port, &form_targets);
        SecurityHeaders {
            default_csp: HeaderValue::from_str(&policy)
                .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'")),
            live_reload_port,
            form_targets,
            hsts,
        }
    }

    fn page_csp(&self, nonce: &str) -> HeaderValue {
        let policy = app::security::content_security_policy(
            Some(nonce),
            self.live_reload_port,
            &self.form_targets,
        );
        HeaderValue::from_str(&policy).unwrap_or_else(|_| self.default_csp.clone())
    }
}

/// The client's address: the socket's peer or, behind a trusted proxy, the last
/// (proxy-added) entry of the last X-Forwarded-For line. "unknown" when neither is there.
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    forwarded_for: Option<&str>,
    trust_proxy: bool,
) -> String {
    if trust_proxy {
        if let Some(ip) = forwarded_for
            .and_then(|v| v.rsplit(',').next())
            .and_then(|last| last.trim().parse::<std::net::IpAddr>().ok())
        {
            return ip.to_string();
        }
    }
    peer.map(|ip| ip.to_string())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Puts [`app::security::ClientIp`] into the request for the server functions.
pub async fn client_ip(
    State(trust_proxy): State<bool>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0.ip());
    // The proxy in front of us appends to the last line: an earlier line (or entry)
    // is whatever the client chose to send.
    let forwarded = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok());
    let ip = client_address(peer, forwarded, trust_proxy);
    request.extensions_mut().insert(app::security::ClientIp(ip));
    next.run(request).await
}

pub async fn security_headers(
    State(config): State<SecurityHeaders>,
    mut request: Request,
    next: Next,
) -> Response {
    let nonce = leptos::nonce::Nonce::new().to_string();
    request
        .extensions_mut()
        .insert(app::security::PageNonce(nonce.clone()));
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    let csp = if html {
        config.page_csp(&nonce)
    } else {
        config.default_csp.clone()
    };
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    // A page is always checked with the server (its bundle's names change with
    // every deploy); pages that say more (admin: no-store) keep their own.
    if html && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if config.hsts {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_is_the_peer_unless_a_trusted_proxy_says_otherwise() {
        let peer = Some("10.1.2.3".parse().expect("ip"));
        assert_eq!(client_address(peer, Some("1.1.1.1"), false), "10.1.2.3");
        assert_eq!(
            client_address(peer, Some("6.6.6.6, 203.0.113.9"), true),
            "203.0.113.9",
            "the proxy's own entry is the last one; earlier ones are the client's to forge"
        );
        assert_eq!(client_address(peer, Some("garbage"), true), "10.1.2.3");
        assert_eq!(client_address(None, None, false), "unknown");
    }

    fn ours() -> Vec<String> {
        vec![
            "http://127.0.0.1:3000".to_string(),
            "http://localhost:3000".to_string(),
        ]
    }

    #[test]
    fn reading_is_always_allowed() {
        assert!(origin_allowed(
            &Method::GET,
            Some("https://evil.example"),
            None,
            &ours()
        ));
        assert!(origin_allowed(&Method::HEAD, None, None, &ours()));
    }

    #[test]
    fn changes_must_come_from_our_origin() {
        assert!(origin_allowed(
            &Method::POST,
            Some("http://127.0.0.1:3000"),
            None,
            &ours()
        ));
        assert!(origin_allowed(
            &Method::POST,
            Some("http://LOCALHOST:3000"),
            None,
            &ours()
        ));
        assert!(!origin_allowed(
            &Method::POST,
            Some("https://evil.example"),
            None,
            &ours()
        ));
        assert!(!origin_allowed(
            &Method::POST,
            Some("http://127.0.0.1:3001"),
            None,
            &ours()
        ));
        assert!(!origin_allowed(
            &Method::DELETE,
            Some("null"),
            None,
            &ours()
        ));
        assert!(!origin_allowed(
            &Method::PUT,
            Some("http://127.0.0.1:3000.evil.example"),
            None,
            &ours()
        ));
    }

    #[test]
    fn referer_stands_in_for_a_missing_origin() {
        assert!(origin_allowed(
            &Method::POST,
            None,
            Some("http://127.0.0.1:3000/settings?x=1"),
            &ours()
        ));
        assert!(!origin_allowed(
            &Method::POST,
            None,
            Some("https://evil.example/http://127.0.0.1:3000"),
            &ours()
        ));
        assert!(!origin_allowed(
            &Method::POST,
            None,
            Some("not a url"),
            &ours()
        ));
        assert!(!origin_allowed(&Method::PATCH, None, None, &ours()));
    }
}

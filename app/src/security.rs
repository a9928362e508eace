//! What the pages need to know about how the site is served, and the one place the
//! Content-Security-Policy is written (pages add a per-response nonce; every other
//! response gets the same policy without one).
use leptos::prelude::*;

/// Provided to every page and server function by the server.
#[derive(Clone, Debug)]
pub struct Site {
    /// Cookies carry `Secure` (and session cookies the `__Host-` prefix).
    pub secure_cookies: bool,
    /// In development, the port of cargo-leptos's live-reload socket.
    pub live_reload_port: Option<u32>,
}

/// The client's address as the server's middleware worked it out (the socket's
/// peer, or the last proxy's X-Forwarded-For entry when behind a trusted proxy).
/// Used for per-address limits and consent records; never logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientIp(pub String);

/// The Content-Security-Policy for a response. Scripts run only from our origin or
/// with this response's nonce; WASM may compile; nothing may frame us. Forms post
/// to our origin only, and may be redirected on to `form_targets` (the payment
/// pages' origins: a plan chosen without JavaScript goes on to Stripe Checkout).
pub fn content_security_policy(
    nonce: Option<&str>,
    live_reload_port: Option<u32>,
    form_targets: &str,
) -> String {
    let script = match nonce {
        Some(n) => format!("script-src 'self' 'nonce-{n}' 'wasm-unsafe-eval'"),
        None => "script-src 'self' 'wasm-unsafe-eval'".to_string(),
    };
    let connect = match live_reload_port {
        Some(port) => format!("connect-src 'self' ws://127.0.0.1:{port} ws://localhost:{port}"),
        None => "connect-src 'self'".to_string(),
    };
    let form = format!("form-action 'self' {form_targets}");
    [
        "default-src 'self'",
        &script,
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        &connect,
        "manifest-src 'self'",
        "worker-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        form.trim_end(),
        "frame-ancestors 'none'",
    ]
    .join("; ")
}

/// This response's nonce, made by the server's middleware (a request extension),
/// which also writes the response's Content-Security-Policy with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageNonce(pub String);

/// Gives Leptos the middleware's nonce for this page's inline scripts (the
/// hydration script and the resources streamed with the page), in place of the
/// one Leptos made itself.
pub fn use_page_nonce() {
    let nonce = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<PageNonce>().cloned());
    if let Some(PageNonce(n)) = nonce {
        provide_context(leptos::nonce::Nonce::from_value(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_allow_their_nonce_and_wasm_only() {
        let p = content_security_policy(Some("abc123"), None, "");
        assert!(p.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(!p.contains("unsafe-inline"));
        assert!(p.contains("frame-ancestors 'none'"));
        assert!(p.contains("connect-src 'self'"));
        assert!(!p.contains("ws://"));
        assert!(p.contains("form-action 'self';"));
    }

    #[test]
    fn forms_may_go_on_to_the_payment_pages_only_when_named() {
        let p = content_security_policy(
            None,
            None,
            "https://checkout.stripe.com https://billing.stripe.com",
        );
        assert!(p.contains(
            "form-action 'self' https://checkout.stripe.com https://billing.stripe.com;"
        ));
    }

    #[test]
    fn live_reload_opens_only_its_socket() {
        let p = content_security_policy(None, Some(3001), "https://checkout.stripe.com");
        assert!(p.contains("connect-src 'self' ws://127.0.0.1:3001 ws://localhost:3001"));
        assert!(p.contains("script-src 'self' 'wasm-unsafe-eval'"));
    }
}

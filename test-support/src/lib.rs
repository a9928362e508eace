//! Test support: drives an in-process `axum::Router` the way a browser would, and
//! local stand-ins for web push, Twilio and Stripe that speak their real wire
//! formats on 127.0.0.1.
pub mod browser;
pub mod mailbox;
pub mod proxy;
pub mod push;
pub mod smtp;
pub mod stripe;
pub mod twilio;
use axum::{body::Body, Router};
use http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

/// Nanoseconds since 1970, only to make a stand-in's ids differ between runs:
/// a database kept across runs (the local one) has seen the last run's ids.
#[allow(clippy::disallowed_methods)]
pub(crate) fn wall_clock_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// The origin tests pretend the site is served from.
pub const ORIGIN: &str = "http://127.0.0.1:3000";

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// A request to send to the app under test.
pub struct Call {
    request: http::request::Builder,
    body: Body,
}

impl Call {
    pub fn get(path: &str) -> Self {
        Call::new(Method::GET, path)
    }

    /// A POST as our own pages send it (with our Origin).
    pub fn post(path: &str) -> Self {
        Call::new(Method::POST, path).header(header::ORIGIN.as_str(), ORIGIN)
    }

    pub fn new(method: Method, path: &str) -> Self {
        Call {
            request: Request::builder().method(method).uri(path),
            body: Body::empty(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.header(name, value);
        self
    }

    pub fn form(mut self, pairs: &[(&str, &str)]) -> Self {
        let encoded: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
            .collect();
        let body = encoded.join("&");
        self.request = self
            .request
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, body.len());
        self.body = Body::from(body);
        self
    }

    pub fn json(mut self, value: &serde_json::Value) -> Self {
        self.request = self
            .request
            .header(header::CONTENT_TYPE, "application/json");
        self.body = Body::from(value.to_string());
        self
    }

    pub fn raw_body(mut self, bytes: Vec<u8>) -> Self {
        self.body = Body::from(bytes);
        self
    }

    pub async fn send(self, app: &Router) -> Reply {
        let request = self
            .request
            .body(self.body)
            .expect("a well-formed test request");
        let response = app
            .clone()
            .oneshot(request)
            .await
            .expect("the router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("a readable body")
            .to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

pub(crate) fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

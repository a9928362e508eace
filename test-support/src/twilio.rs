//! A stand-in for Twilio on 127.0.0.1 that speaks its Messages API the way the
//! real one does: `POST /2010-04-01/Accounts/{sid}/Messages.json`, form-encoded,
//! HTTP basic auth with the account SID and auth token; it answers 201 with the
//! message's JSON (`sid` "SM…", `status` "queued"), or Twilio's error JSON
//! (`code`, `message`, `status`) when a test scripts one for a number. It also
//! makes the signed requests Twilio sends to our webhooks (an inbound text, a
//! status callback), signed as Twilio signs them (HMAC-SHA1 with the auth token
//! over the URL and the sorted parameters); this is its own implementation, not
//! the app's. It places calls too (`calls`: the Calls resource, and playing the
//! callee: answering, keys, no answer, busy, an answering machine).
mod calls;
pub use calls::{PlacedCall, Played};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::json;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// One text the stand-in took.
#[derive(Debug, Clone)]
pub struct Sent {
    pub sid: String,
    pub to: String,
    pub from: String,
    pub body: String,
    pub status_callback: String,
}

#[derive(Default)]
struct Inner {
    sent: Vec<Sent>,
    /// (HTTP status, Twilio error code) to answer next, per number (then 201).
    scripted: HashMap<String, VecDeque<(u16, Option<i64>)>>,
    calls: Vec<PlacedCall>,
}

#[derive(Clone)]
pub struct FakeTwilio {
    pub addr: SocketAddr,
    pub account_sid: String,
    pub auth_token: String,
    inner: Arc<Mutex<Inner>>,
    counter: Arc<AtomicU64>,
    /// Where the app listens, for the calls' requests.
    app_url: Arc<Mutex<Option<String>>>,
}

/// A signed webhook request: the form and its `X-Twilio-Signature`.
pub struct Signed {
    pub form: Vec<(String, String)>,
    pub signature: String,
}

impl Signed {
    pub fn pairs(&self) -> Vec<(&str, &str)> {
        self.form
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

impl FakeTwilio {
    pub const ACCOUNT_SID: &'static str = "ACtest0000000000000000000000000000";
    pub const AUTH_TOKEN: &'static str = "test-auth-token-0123456789abcdef";
    /// Our number at the stand-in (Twilio's own test number).
    pub const FROM: &'static str = "+15005550006";

    pub async fn start() -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0", None).await
    }

    /// Listens on `addr`. With `app_url` (the app's public URL) it also answers
    /// `GET /__fake/messages` (what it took, as JSON) and `POST /__fake/inbound`
    /// (`{"from": …, "body": …}`: posts a signed inbound text to the app), for
    /// the local run and the end-to-end tests.
    pub async fn start_on(addr: &str, app_url: Option<String>) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let fake = FakeTwilio {
            addr: listener.local_addr()?,
            account_sid: Self::ACCOUNT_SID.into(),
            auth_token: Self::AUTH_TOKEN.into(),
            inner: Arc::default(),
            // Message SIDs differ between runs, as Twilio's do: the app ignores
            // an inbound SID it has seen (a retry).
            counter: Arc::new(AtomicU64::new(crate::wall_clock_nanos() as u64)),
            app_url: Arc::default(),
        };
        if let Some(url) = &app_url {
            fake.set_app_url(url);
        }
        let mut app = Router::new()
            .route("/2010-04-01/Accounts/{sid}/Messages.json", post(messages))
            .route("/2010-04-01/Accounts/{sid}/Calls.json", post(calls::create))
            .with_state(fake.clone());
        if let Some(url) = app_url {
            app = app.merge(control::routes(fake.clone(), url));
        }
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(fake)
    }

    /// The base URL to configure as PRUUF_TWILIO_API_URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The variables that point the app at this stand-in.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PRUUF_TWILIO_ACCOUNT_SID", self.account_sid.clone()),
            ("PRUUF_TWILIO_AUTH_TOKEN", self.auth_token.clone()),
            ("PRUUF_TWILIO_FROM", Self::FROM.to_string()),
            ("PRUUF_TWILIO_API_URL", self.url()),
        ]
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.inner
            .lock()
            .map(|i| i.sent.clone())
            .unwrap_or_default()
    }

    pub fn sent_to(&self, number: &str) -> Vec<Sent> {
        self.sent().into_iter().filter(|s| s.to == number).collect()
    }

    /// The next answers for texts to `number`, e.g. `[(400, Some(21211))]`.
    pub fn script(&self, number: &str, answers: &[(u16, Option<i64>)]) {
        if let Ok(mut i) = self.inner.lock() {
            i.scripted
                .entry(number.to_string())
                .or_default()
                .extend(answers.iter().copied());
        }
    }

    /// HTTP basic auth with our account SID and auth token, for our account.
    fn authorised(&self, sid: &str, headers: &HeaderMap) -> bool {
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD
                .encode(format!("{}:{}", self.account_sid, self.auth_token))
        );
        sid == self.account_sid
            && headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v == expected)
    }

    fn next_sid(&self, prefix: &str) -> String {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        format!("{prefix}{n:032x}")
    }

    /// Twilio's signature, computed here independently of the app.
    pub fn sign(&self, url: &str, form: &[(String, String)]) -> String {
        let mut pairs: Vec<&(String, String)> = form.iter().collect();
        pairs.sort();
        let mut data = url.to_string();
        for (k, v) in pairs {
            data.push_str(k);
            data.push_str(v);
        }
        let mut mac = Hmac::<sha1::Sha1>::new_from_slice(self.auth_token.as_bytes())
            .expect("HMAC takes any key");
        mac.update(data.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }

    /// An inbound text from `from` to our number, as Twilio posts it to `url`.
    pub fn inbound(&self, url: &str, from: &str, body: &str) -> Signed {
        self.inbound_with_id(url, from, body, &self.next_sid("SM"))
    }

    /// The same, with a given message id (Twilio retrying a webhook).
    pub fn inbound_with_id(&self, url: &str, from: &str, body: &str, sid: &str) -> Signed {
        let form: Vec<(String, String)> = [
            ("MessageSid", sid),
            ("AccountSid", self.account_sid.as_str()),
            ("From", from),
            ("To", Self::FROM),
            ("Body", body),
            ("NumMedia", "0"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let signature = self.sign(url, &form);
        Signed { form, signature }
    }

    /// A call from `from` to our number, as Twilio posts it to `url`: the
    /// call coming in, or (with `digits`) the keys a `<Gather>` collected.
    pub fn voice(&self, url: &str, from: &str, digits: Option<&str>) -> Signed {
        let sid = self.next_sid("CA");
        let mut form: Vec<(String, String)> = [
            ("CallSid", sid.as_str()),
            ("AccountSid", self.account_sid.as_str()),
            ("From", from),
            ("To", Self::FROM),
            ("CallStatus", "in-progress"),
            ("Direction", "inbound"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Some(keys) = digits {
            form.push(("Digits".into(), keys.into()));
        }
        let signature = self.sign(url, &form);
        Signed { form, signature }
    }

    /// A status callback for a text we sent.
    pub fn status(&self, url: &str, sid: &str, status: &str, error_code: Option<&str>) -> Signed {
        let mut form: Vec<(String, String)> = [
            ("MessageSid", sid),
            ("AccountSid", self.account_sid.as_str()),
            ("MessageStatus", status),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Some(code) = error_code {
            form.push(("ErrorCode".into(), code.into()));
        }
        let signature = self.sign(url, &form);
        Signed { form, signature }
    }
}

async fn messages(
    State(fake): State<FakeTwilio>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !fake.authorised(&sid, &headers) {
        return error(401, 20003, "Authenticate");
    }
    let form: HashMap<String, String> = url_decode(&body);
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let to = get("To");
    if to.is_empty() || get("Body").is_empty() {
        return error(400, 21602, "Message body is required.");
    }
    let scripted = fake
        .inner
        .lock()
        .ok()
        .and_then(|mut i| i.scripted.get_mut(&to).and_then(VecDeque::pop_front));
    if let Some((status, code)) = scripted {
        return error(status, code.unwrap_or(20500), "scripted failure");
    }
    let message = Sent {
        sid: fake.next_sid("SM"),
        to: to.clone(),
        from: get("From"),
        body: get("Body"),
        status_callback: get("StatusCallback"),
    };
    let answer = json!({
        "sid": message.sid, "status": "queued", "to": message.to, "from": message.from,
        "body": message.body, "num_segments": "1", "account_sid": fake.account_sid,
    });
    if let Ok(mut i) = fake.inner.lock() {
        i.sent.push(message);
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}

fn error(status: u16, code: i64, message: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        Json(json!({ "code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status.as_u16() })),
    )
        .into_response()
}

fn url_decode(body: &[u8]) -> HashMap<String, String> {
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&s[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 2;
                }
                Err(_) => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A plain HTTP/1.1 POST to a local `http://host:port/path`.
pub(crate) async fn post_form(
    url: &str,
    form: &[(String, String)],
    signature: &str,
) -> std::io::Result<(u16, String)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("http only"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let body = form
        .iter()
        .map(|(k, v)| format!("{}={}", crate::encode(k), crate::encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    let request = format!(
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         X-Twilio-Signature: {signature}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(host).await?;
    stream.write_all(request.as_bytes()).await?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    let reply = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Ok((status, reply))
}

/// A chunked HTTP/1.1 body, joined (sizes count bytes, so it is read as bytes).
fn dechunk(body: &str) -> String {
    let mut bytes = body.as_bytes();
    let mut out = Vec::new();
    while let Some(line_end) = bytes.windows(2).position(|w| w == b"\r\n") {
        let size = String::from_utf8_lossy(&bytes[..line_end]);
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        let rest = &bytes[line_end + 2..];
        if n == 0 || rest.len() < n {
            break;
        }
        out.extend_from_slice(&rest[..n]);
        bytes = rest[n..].strip_prefix(b"\r\n").unwrap_or(&rest[n..]);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The stand-in's own controls, for the local run and the end-to-end tests.
mod control {
    use super::FakeTwilio;
    use axum::extract::State;
    use axum::http::StatusCode;
    use axum::response::IntoResponse;
    use axum::routing::{get, post};
    use axum::{Json, Router};
    use serde_json::{json, Value};

    pub fn routes(fake: FakeTwilio, app_url: String) -> Router {
        Router::new()
            .route("/__fake/messages", get(messages))
            .route("/__fake/inbound", post(inbound))
            .route("/__fake/script", post(script))
            .route("/__fake/calls", get(super::calls::list))
            .route("/__fake/calls/{sid}/{action}", post(super::calls::play))
            .with_state((fake, app_url))
    }

    /// `{"number": "+1…", "answers": [[400, 21408]]}`: Twilio's next answers to
    /// texts for that number (a code may be null); then it takes them again.
    async fn script(
        State((fake, _)): State<(FakeTwilio, String)>,
        Json(body): Json<Value>,
    ) -> impl IntoResponse {
        let number = body["number"].as_str().unwrap_or_default();
        let answers: Vec<(u16, Option<i64>)> = body["answers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|pair| {
                        let status = u16::try_from(pair[0].as_u64()?).ok()?;
                        Some((status, pair[1].as_i64()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        if number.is_empty() || answers.is_empty() {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "number and answers" })),
            );
        }
        fake.script(number, &answers);
        (StatusCode::OK, Json(json!({ "scripted": answers.len() })))
    }

    async fn messages(State((fake, _)): State<(FakeTwilio, String)>) -> Json<Value> {
        Json(Value::Array(
            fake.sent()
                .into_iter()
                .map(|s| json!({ "sid": s.sid, "to": s.to, "from": s.from, "body": s.body }))
                .collect(),
        ))
    }

    /// Posts a signed inbound text to the app, as Twilio would; answers the app's
    /// status and TwiML.
    async fn inbound(
        State((fake, app_url)): State<(FakeTwilio, String)>,
        Json(text): Json<Value>,
    ) -> impl IntoResponse {
        let from = text["from"].as_str().unwrap_or_default();
        let body = text["body"].as_str().unwrap_or_default();
        let url = format!("{}/webhooks/twilio/inbound", app_url.trim_end_matches('/'));
        let signed = fake.inbound(&url, from, body);
        match super::post_form(&url, &signed.form, &signed.signature).await {
            Ok((status, reply)) => (
                StatusCode::OK,
                Json(json!({ "status": status, "reply": reply })),
            ),
            Err(e) => (
                StatusCode::BAD_GATEWAY,
                Json(json!({ "error": e.to_string() })),
            ),
        }
    }
}

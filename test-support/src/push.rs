//! A stand-in push service on 127.0.0.1 that speaks the Web Push protocol (RFC
//! 8030) the way a real one does: it takes `POST /push/<id>` with an aes128gcm
//! body (RFC 8188/8291) and a VAPID `Authorization` header (RFC 8292), answers 201,
//! and keeps what it received. Each subscription it hands out has its own P-256
//! key pair and auth secret, so tests read a message back by decrypting it as the
//! browser would. A test can make a subscription answer other statuses (404, 410,
//! 429, 500, ...) to play a push service's failures.
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::{HeaderMap, StatusCode};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

/// What the service received for one subscription.
#[derive(Debug, Clone)]
pub struct Received {
    pub content_encoding: String,
    pub authorization: String,
    pub urgency: String,
    pub ttl: String,
    pub body: Vec<u8>,
}

#[derive(Default)]
struct Inner {
    received: HashMap<String, Vec<Received>>,
    /// Statuses to answer next, per subscription (then 201).
    scripted: HashMap<String, VecDeque<u16>>,
}

#[derive(Clone)]
pub struct FakePushService {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

/// A browser's subscription at the stand-in, with its private half.
pub struct FakeSubscription {
    pub id: String,
    pub endpoint: String,
    /// base64url, as `PushSubscription.getKey('p256dh')` gives it.
    pub p256dh: String,
    pub auth: String,
    keys: ece::EcKeyComponents,
    auth_secret: [u8; 16],
}

impl FakeSubscription {
    /// Decrypts a message body as the browser would.
    pub fn decrypt(&self, body: &[u8]) -> Result<String, String> {
        let plain = ece::decrypt(&self.keys, &self.auth_secret, body).map_err(|e| e.to_string())?;
        String::from_utf8(plain).map_err(|e| e.to_string())
    }
}

impl FakePushService {
    pub async fn start() -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/push/{id}", post(receive))
            .with_state(inner.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(FakePushService { addr, inner })
    }

    pub fn subscribe(&self) -> FakeSubscription {
        let (pair, auth_secret) = ece::generate_keypair_and_auth_secret().expect("P-256 key pair");
        let keys = pair.raw_components().expect("key components");
        let id = format!("{:032x}", rand_id());
        FakeSubscription {
            endpoint: format!("http://{}/push/{id}", self.addr),
            p256dh: URL_SAFE_NO_PAD.encode(pair.pub_as_raw().expect("public key")),
            auth: URL_SAFE_NO_PAD.encode(auth_secret),
            id,
            keys,
            auth_secret,
        }
    }

    /// Makes the next answers to `sub` these statuses (then 201 again).
    pub fn script(&self, sub: &FakeSubscription, statuses: &[u16]) {
        let mut inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner
            .scripted
            .insert(sub.id.clone(), statuses.iter().copied().collect());
    }

    /// Everything accepted (201) for `sub`, in order.
    pub fn received(&self, sub: &FakeSubscription) -> Vec<Received> {
        let inner = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        inner.received.get(&sub.id).cloned().unwrap_or_default()
    }
}

fn rand_id() -> u128 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(std::process::id() as u64);
    let a = h.finish();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(a);
    (u128::from(a) << 64) | u128::from(h.finish())
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    let mut inner = inner.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(status) = inner.scripted.get_mut(&id).and_then(|q| q.pop_front()) {
        return StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    }
    // A real service refuses what it could not deliver.
    let authorization = header("authorization");
    if header("content-encoding") != "aes128gcm"
        || !authorization.starts_with("vapid t=")
        || body.is_empty()
    {
        return StatusCode::BAD_REQUEST;
    }
    if body.len() > 4096 {
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    inner.received.entry(id).or_default().push(Received {
        content_encoding: header("content-encoding"),
        authorization,
        urgency: header("urgency"),
        ttl: header("ttl"),
        body: body.to_vec(),
    });
    StatusCode::CREATED
}

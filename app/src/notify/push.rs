//! Web push (server only): VAPID keys, subscriptions, and sending one message.
//! The message (RFC 8291 aes128gcm encryption, VAPID signature) is built by the
//! `web-push` crate and sent with reqwest to the subscription's push service. Tests
//! and local runs point subscriptions at the stand-in push service in the
//! test-support crate; the code here is the production code.

use super::rules::{classify_status, SendError};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use jwt_simple::algorithms::ES256KeyPair;
use sqlx::{PgConnection, PgPool};
use std::time::Duration;
use uuid::Uuid;
use web_push::{
    ContentEncoding, SubscriptionInfo, Urgency, VapidSignatureBuilder, WebPushMessageBuilder,
};

/// The server's VAPID key pair, as base64url (raw private scalar, uncompressed public point).
#[derive(Clone)]
pub struct VapidKeys {
    private_b64: String,
    pub public_b64: String,
}

impl std::fmt::Debug for VapidKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VapidKeys")
            .field("public_b64", &self.public_b64)
            .finish_non_exhaustive()
    }
}

impl VapidKeys {
    /// From a configured private key (base64url, 32 bytes).
    pub fn from_private(private_b64: &str) -> Option<Self> {
        let public = VapidSignatureBuilder::from_base64_no_sub(private_b64.trim())
            .ok()?
            .get_public_key();
        Some(VapidKeys {
            private_b64: private_b64.trim().to_string(),
            public_b64: URL_SAFE_NO_PAD.encode(public),
        })
    }

    fn generate() -> Option<Self> {
        Self::from_private(&URL_SAFE_NO_PAD.encode(ES256KeyPair::generate().to_bytes()))
    }

    /// The configured key, or the one this server generated once and stored (the
    /// first process to store it wins; every process then uses that one).
    pub async fn load_or_create(
        pool: &PgPool,
        configured: Option<&str>,
    ) -> Result<Self, sqlx::Error> {
        if let Some(keys) = configured.and_then(Self::from_private) {
            return Ok(keys);
        }
        if let Some(fresh) = Self::generate() {
            sqlx::query(
                "INSERT INTO server_settings (key, value) VALUES ('vapid_private', $1) ON CONFLICT (key) DO NOTHING",
            )
            .bind(&fresh.private_b64)
            .execute(pool)
            .await?;
        }
        let stored: String =
            sqlx::query_scalar("SELECT value FROM server_settings WHERE key = 'vapid_private'")
                .fetch_one(pool)
                .await?;
        Self::from_private(&stored)
            .ok_or_else(|| sqlx::Error::Protocol("the stored VAPID key is unusable".into()))
    }
}

/// A browser's push subscription, as the Push API gives it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscription {
    pub id: Uuid,
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// Checks a subscription's parts before it is stored: an https endpoint (http only
/// on 127.0.0.1, for the local stand-in), and keys of the right sizes.
pub fn valid_subscription(endpoint: &str, p256dh: &str, auth: &str, allow_local: bool) -> bool {
    let url_ok = match url::Url::parse(endpoint) {
        Ok(u) => {
            (u.scheme() == "https" && u.host_str().is_some())
                || (allow_local && u.scheme() == "http" && u.host_str() == Some("127.0.0.1"))
        }
        Err(_) => false,
    };
    let key = URL_SAFE_NO_PAD.decode(p256dh.trim_end_matches('=')).ok();
    let secret = URL_SAFE_NO_PAD.decode(auth.trim_end_matches('=')).ok();
    url_ok
        && endpoint.len() <= 1000
        && key.is_some_and(|k| k.len() == 65 && k[0] == 4)
        && secret.is_some_and(|s| s.len() == 16)
}

pub async fn save_subscription(
    pool: &PgPool,
    user: Uuid,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    // One owner per endpoint: a browser handed to someone else moves with them.
    sqlx::query(
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (endpoint) DO UPDATE SET user_id = $2, p256dh = $4, auth = $5",
    )
    .bind(Uuid::new_v4())
    .bind(user)
    .bind(endpoint)
    .bind(p256dh.trim_end_matches('='))
    .bind(auth.trim_end_matches('='))
    .bind(now)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn subscriptions_of(
    conn: &mut PgConnection,
    user: Uuid,
) -> sqlx::Result<Vec<Subscription>> {
    sqlx::query_as("SELECT id, endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at LIMIT 20")
        .bind(user)
        .fetch_all(conn)
        .await
}

pub async fn delete_subscription(pool: &PgPool, id: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM push_subscriptions WHERE id = $1")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// How many browsers `user` has subscribed to push.
pub async fn device_count(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT count(*) FROM push_subscriptions WHERE user_id = $1")
        .bind(user)
        .fetch_one(conn)
        .await
}

/// The channels that reach `user` now (see [`super::Channel::reachable`]).
pub async fn channels_of(conn: &mut PgConnection, user: Uuid) -> sqlx::Result<Vec<super::Channel>> {
    let (devices, sms_ok): (i64, bool) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM push_subscriptions WHERE user_id = $1),
                EXISTS (SELECT 1 FROM phones WHERE user_id = $1 AND status = 'verified')",
    )
    .bind(user)
    .fetch_one(conn)
    .await?;
    Ok(super::Channel::reachable(devices, sms_ok).collect())
}

/// Sends encrypted, VAPID-signed push messages.
#[derive(Clone)]
pub struct PushSender {
    client: reqwest::Client,
    keys: VapidKeys,
    /// The VAPID `sub` claim: a mailto: or https: URL for the push service to reach us.
    contact: String,
}

impl PushSender {
    pub fn new(keys: VapidKeys, contact: String) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .unwrap_or_default();
        PushSender {
            client,
            keys,
            contact,
        }
    }

    pub fn public_key(&self) -> &str {
        &self.keys.public_b64
    }

    /// Sends `payload` (JSON) to one subscription.
    pub async fn send(&self, sub: &Subscription, payload: &[u8]) -> PushOutcome {
        match self.try_send(sub, payload).await {
            Ok(()) => PushOutcome::Sent,
            Err((_, Some(404 | 410))) => PushOutcome::Gone,
            Err((error, _)) => PushOutcome::Failed(error),
        }
    }

    async fn try_send(
        &self,
        sub: &Subscription,
        payload: &[u8],
    ) -> Result<(), (SendError, Option<u16>)> {
        let permanent = |why: &str| (SendError::Permanent(why.into()), None);
        let info = SubscriptionInfo::new(
            sub.endpoint.as_str(),
            sub.p256dh.as_str(),
            sub.auth.as_str(),
        );
        let mut vapid = VapidSignatureBuilder::from_base64(&self.keys.private_b64, &info)
            .map_err(|_| permanent("the VAPID key is unusable"))?;
        vapid.add_claim("sub", self.contact.as_str());
        let signature = vapid
            .build()
            .map_err(|_| permanent("the VAPID signature could not be made"))?;
        let mut builder = WebPushMessageBuilder::new(&info);
        builder.set_payload(ContentEncoding::Aes128Gcm, payload);
        builder.set_vapid_signature(signature);
        builder.set_ttl(24 * 60 * 60);
        builder.set_urgency(Urgency::High);
        let message = builder
            .build()
            .map_err(|_| permanent("the subscription's keys are unusable"))?;
        let request = web_push::request_builder::build_request::<Vec<u8>>(message);
        let (parts, body) = request.into_parts();
        let mut outgoing = self.client.post(parts.uri.to_string()).body(body);
        for (name, value) in parts.headers.iter() {
            if let Ok(v) = value.to_str() {
                outgoing = outgoing.header(name.as_str(), v);
            }
        }
        let response = outgoing.send().await.map_err(|_| {
            (
                SendError::Transient("the push service did not answer".into()),
                None,
            )
        })?;
        let status = response.status().as_u16();
        classify_status(status).map_err(|e| (e, Some(status)))
    }
}

/// What became of one push message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushOutcome {
    Sent,
    /// The push service says the subscription no longer exists (404/410).
    Gone,
    Failed(SendError),
}

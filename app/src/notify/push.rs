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
/// The push services browsers subscribe with: Chrome, Edge and Android (FCM),
/// Firefox (Mozilla's autopush), Safari (Apple) and Windows (WNS). `*.x` is any
/// host under x. PRUUF_PUSH_HOSTS replaces the list.
pub const DEFAULT_PUSH_HOSTS: &[&str] = &[
    "fcm.googleapis.com",
    "*.push.services.mozilla.com",
    "*.push.apple.com",
    "*.notify.windows.com",
];

/// Whether the server may send to `endpoint`: https on the default port to a host
/// of a known push service (so a subscription cannot point Pruuf at a private
/// address, server-side request forgery), or, when Pruuf itself runs on this
/// machine (`allow_local`), a stand-in at http://127.0.0.1.
pub fn known_push_endpoint(endpoint: &str, hosts: &[String], allow_local: bool) -> bool {
    let Ok(u) = url::Url::parse(endpoint) else {
        return false;
    };
    if allow_local && u.scheme() == "http" && u.host_str() == Some("127.0.0.1") {
        return true;
    }
    let Some(url::Host::Domain(host)) = u.host() else {
        return false; // an IP address, or none
    };
    let host = host.to_ascii_lowercase();
    u.scheme() == "https"
        && u.username().is_empty()
        && u.password().is_none()
        && u.port().is_none()
        && hosts
            .iter()
            .any(|pattern| match pattern.strip_prefix("*.") {
                Some(parent) => host.ends_with(&format!(".{parent}")),
                None => host == *pattern,
            })
}

pub fn valid_subscription(
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    hosts: &[String],
    allow_local: bool,
) -> bool {
    let key = URL_SAFE_NO_PAD.decode(p256dh.trim_end_matches('=')).ok();
    let secret = URL_SAFE_NO_PAD.decode(auth.trim_end_matches('=')).ok();
    known_push_endpoint(endpoint, hosts, allow_local)
        && endpoint.len() <= 1000
        && key.is_some_and(|k| k.len() == 65 && k[0] == 4)
        && secret.is_some_and(|s| s.len() == 16)
}

/// Browsers one person may get alerts on; a new one beyond this drops the oldest.
pub const MOST_SUBSCRIPTIONS: i64 = 10;

/// Saves this browser's subscription for `user`. An endpoint belongs to one person:
/// the same person re-subscribing refreshes its keys, but another account cannot
/// take it over (that would silence the first person's alerts), and gets `false`.
pub async fn save_subscription(
    pool: &PgPool,
    user: Uuid,
    endpoint: &str,
    p256dh: &str,
    auth: &str,
    now: DateTime<Utc>,
) -> sqlx::Result<bool> {
    let mut tx = pool.begin().await?;
    let saved = sqlx::query(
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (endpoint) DO UPDATE SET p256dh = $4, auth = $5, created_at = $6
         WHERE push_subscriptions.user_id = $2",
    )
    .bind(Uuid::new_v4())
    .bind(user)
    .bind(endpoint)
    .bind(p256dh.trim_end_matches('='))
    .bind(auth.trim_end_matches('='))
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    if !saved {
        return Ok(false);
    }
    // The newest few stay; an old browser nobody uses any more goes.
    sqlx::query(
        "DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (
             SELECT id FROM push_subscriptions WHERE user_id = $1
              ORDER BY created_at DESC, id DESC LIMIT $2)",
    )
    .bind(user)
    .bind(MOST_SUBSCRIPTIONS)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(true)
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
    /// Where sends may go (see `known_push_endpoint`), checked again at each send:
    /// a subscription saved before the list changed is not trusted either.
    hosts: Vec<String>,
    allow_local: bool,
}

impl PushSender {
    pub fn new(keys: VapidKeys, contact: String, hosts: Vec<String>, allow_local: bool) -> Self {
        // A push service answers; it never sends us elsewhere.
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        PushSender {
            client,
            keys,
            contact,
            hosts,
            allow_local,
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
        if !known_push_endpoint(&sub.endpoint, &self.hosts, self.allow_local) {
            return Err(permanent("not a known push service"));
        }
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

/// Forgets every browser of `user` (they left Pruuf).
pub async fn delete_all_of(tx: &mut PgConnection, user: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM push_subscriptions WHERE user_id = $1")
        .bind(user)
        .execute(tx)
        .await
        .map(|_| ())
}

/// A push reached this subscription's service: from now on it counts as a
/// working channel (the first time only; later sends change nothing).
pub async fn mark_confirmed(pool: &PgPool, id: Uuid, now: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE push_subscriptions SET confirmed_at = $2 WHERE id = $1 AND confirmed_at IS NULL",
    )
    .bind(id)
    .bind(now)
    .execute(pool)
    .await
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts() -> Vec<String> {
        DEFAULT_PUSH_HOSTS.iter().map(|h| h.to_string()).collect()
    }

    #[test]
    fn only_known_push_services_are_sent_to() {
        let known = [
            "https://fcm.googleapis.com/fcm/send/abc",
            "https://updates.push.services.mozilla.com/wpush/v2/abc",
            "https://web.push.apple.com/QGx",
            "https://wns2-by3p.notify.windows.com/w/?token=abc",
        ];
        for e in known {
            assert!(known_push_endpoint(e, &hosts(), false), "{e}");
        }
        let refused = [
            "http://fcm.googleapis.com/fcm/send/abc",       // not https
            "https://fcm.googleapis.com:8443/fcm/send/abc", // another port
            "https://user@fcm.googleapis.com/fcm/send/abc", // credentials
            "https://evil-fcm.googleapis.com.attacker.example/x",
            "https://push.apple.com.attacker.example/x",
            "https://notpush.services.mozilla.com.evil/x",
            "https://169.254.169.254/latest/meta-data", // cloud metadata
            "https://10.0.0.5/internal",
            "https://[::1]/x",
            "https://localhost/x",
            "http://127.0.0.1:9000/push", // local only when allowed
            "not a url",
        ];
        for e in refused {
            assert!(!known_push_endpoint(e, &hosts(), false), "{e}");
        }
        assert!(known_push_endpoint(
            "http://127.0.0.1:9000/push",
            &hosts(),
            true
        ));
        assert!(!known_push_endpoint("http://10.0.0.5/push", &hosts(), true));
    }
}

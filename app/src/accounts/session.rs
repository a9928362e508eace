//! The request's side of accounts (server only): the tower-sessions session, who
//! is calling, and who is signed in. The session holds two things only: the
//! signed-in device's id, and an address whose code was just verified.
use super::rules::VERIFIED_EMAIL_LIFETIME;
use super::service::{Me, SignedInDevice};
use crate::accounts::service::Accounts;
use crate::error::AppError;
use crate::security::ClientIp;
use crate::services::{Caller, Services};
use crate::validation::Email;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

const DEVICE_KEY: &str = "device";
const VERIFIED_KEY: &str = "verified_email";
const SEEN_KEY: &str = "seen_on";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct VerifiedEmail {
    email: String,
    at: DateTime<Utc>,
}

pub fn services() -> Result<Services, AppError> {
    use_context::<Services>().ok_or_else(|| {
        tracing::error!("the services are not in the server function context");
        AppError::Internal.with_status()
    })
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|_| {
        tracing::error!("no session layer around this request");
        AppError::Internal.with_status()
    })
}

fn session_error(_: tower_sessions::session::Error) -> AppError {
    tracing::error!("the session store failed");
    AppError::Unavailable.with_status()
}

/// The caller's address (set by the server's middleware) and browser.
pub fn caller() -> Caller {
    let Some(parts) = use_context::<http::request::Parts>() else {
        return Caller::default();
    };
    let ip = parts
        .extensions
        .get::<ClientIp>()
        .map(|ip| ip.0.clone())
        .unwrap_or_else(|| "unknown".into());
    let user_agent = parts
        .headers
        .get(http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(300).collect())
        .unwrap_or_default();
    Caller { ip, user_agent }
}

/// Who is signed in on this request's device, if anyone.
pub async fn signed_in() -> Result<Option<Me>, AppError> {
    let session = session().await?;
    let services = services()?;
    let member = signed_in_on(&session, &services).await?;
    if member.is_some() {
        // The session is saved when it changes: marking the day it was last used
        // rolls its 30-day expiry forward once a day, without a write per request.
        session
            .insert(SEEN_KEY, services.clock.now().date_naive())
            .await
            .map_err(session_error)?;
    }
    Ok(member)
}

/// Who is signed in on `session`'s device, for a plain axum handler (outside a
/// server function: the export download). Does not roll the session forward.
pub async fn signed_in_on(session: &Session, services: &Services) -> Result<Option<Me>, AppError> {
    let Some(device) = session
        .get::<Uuid>(DEVICE_KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    Accounts(services).member(device).await
}

/// The signed-in person, or "please sign in".
pub async fn require_sign_in() -> Result<Me, AppError> {
    signed_in()
        .await?
        .ok_or_else(|| AppError::SignInNeeded.with_status())
}

/// Points this browser's session at a newly signed-in device, under a new session
/// id (so an id planted before log-in is worth nothing after it).
pub async fn sign_in(signed_in: SignedInDevice) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(session_error)?;
    session
        .remove::<VerifiedEmail>(VERIFIED_KEY)
        .await
        .map_err(session_error)?;
    session
        .insert(DEVICE_KEY, signed_in.device_id)
        .await
        .map_err(session_error)
}

/// Forgets this browser's session entirely.
pub async fn forget() -> Result<(), AppError> {
    session().await?.flush().await.map_err(session_error)
}

/// Remembers that this browser proved it reads `email`'s mail.
pub async fn remember_verified(email: &Email, now: DateTime<Utc>) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(
            VERIFIED_KEY,
            VerifiedEmail {
                email: email.as_str().to_string(),
                at: now,
            },
        )
        .await
        .map_err(session_error)
}

/// The address this browser verified in the last few minutes, if any.
pub async fn verified_email(now: DateTime<Utc>) -> Result<Option<Email>, AppError> {
    let session = session().await?;
    let Some(v) = session
        .get::<VerifiedEmail>(VERIFIED_KEY)
        .await
        .map_err(session_error)?
    else {
        return Ok(None);
    };
    if now - v.at > VERIFIED_EMAIL_LIFETIME {
        return Ok(None);
    }
    Ok(Email::parse(&v.email).ok())
}

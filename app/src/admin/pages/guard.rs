//! Who may use an admin server function (server only). The server's middleware
//! already answers 404 to everyone but admins on `/admin`; these checks are the
//! second lock, inside each function.
use super::super::rules::step_up_fresh;
use super::super::service::REVEAL_LIFETIME;
use crate::accounts::service::Me;
use crate::accounts::session::{require_sign_in, services, session};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const STEP_UP_KEY: &str = "admin_step_up";
const REVEAL_KEY: &str = "admin_reveal";

/// A step-up or a reveal, bound to the signed-in device it was made on: a new
/// sign-in in the same browser (a new device) starts without either.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Proof {
    device: Uuid,
    /// The person revealed (none for a step-up).
    person: Option<Uuid>,
    at: DateTime<Utc>,
}

fn store_error(_: tower_sessions::session::Error) -> AppError {
    tracing::error!("the session store failed");
    AppError::Unavailable.with_status()
}

/// The signed-in admin, or "not found" (never "forbidden": the pages are not
/// advertised).
pub async fn require_admin() -> Result<Me, AppError> {
    match require_sign_in().await {
        Ok(me) if me.is_admin => Ok(me),
        _ => Err(AppError::NotFound.with_status()),
    }
}

/// The signed-in admin whose session proved itself with an emailed code in the
/// last 12 hours; otherwise [`AppError::StepUpNeeded`].
pub async fn require_fresh_admin() -> Result<Me, AppError> {
    let me = require_admin().await?;
    let proof = session()
        .await?
        .get::<Proof>(STEP_UP_KEY)
        .await
        .map_err(store_error)?;
    let at = proof.filter(|p| p.device == me.device_id).map(|p| p.at);
    if step_up_fresh(at, services()?.clock.now()) {
        Ok(me)
    } else {
        Err(AppError::StepUpNeeded.with_status())
    }
}

/// Marks this session, on `me`'s device, as stepped up now.
pub async fn mark_stepped_up(me: &Me, now: DateTime<Utc>) -> Result<(), AppError> {
    let session = session().await?;
    session.cycle_id().await.map_err(store_error)?;
    let proof = Proof {
        device: me.device_id,
        person: None,
        at: now,
    };
    session
        .insert(STEP_UP_KEY, proof)
        .await
        .map_err(store_error)
}

/// Remembers that this admin revealed `person` (for a few minutes).
pub async fn mark_revealed(me: &Me, person: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let proof = Proof {
        device: me.device_id,
        person: Some(person),
        at: now,
    };
    session()
        .await?
        .insert(REVEAL_KEY, proof)
        .await
        .map_err(store_error)
}

/// Whether this admin, on this device, revealed `person` in the last few minutes.
pub async fn revealed(me: &Me, person: Uuid, now: DateTime<Utc>) -> Result<bool, AppError> {
    let r = session()
        .await?
        .get::<Proof>(REVEAL_KEY)
        .await
        .map_err(store_error)?;
    Ok(r.is_some_and(|r| {
        r.device == me.device_id
            && r.person == Some(person)
            && r.at <= now
            && now - r.at < REVEAL_LIFETIME
    }))
}

//! Stripe's webhook. Exempt from the Origin check (Stripe is not a page of ours);
//! instead the raw body must carry a valid `Stripe-Signature` made within the
//! last 300 seconds. Answers: 200 applied / duplicate / ignored, 400 refused
//! (bad signature: nothing changes), 500 failed (kept in the dead-letter table;
//! Stripe retries).
use crate::AppState;
use app::billing::service::Billing;
use app::billing::service::WebhookReply;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::json;

pub const WEBHOOK: &str = "/webhooks/stripe";

pub fn routes() -> Router<AppState> {
    Router::new().route(WEBHOOK, post(webhook))
}

async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Ok(payload) = std::str::from_utf8(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "not UTF-8" })),
        )
            .into_response();
    };
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    match Billing(&state.services)
        .stripe_webhook(payload, signature)
        .await
    {
        WebhookReply::Done(outcome) => (
            StatusCode::OK,
            Json(json!({ "received": true, "outcome": outcome })),
        )
            .into_response(),
        WebhookReply::Refused(why) => {
            (StatusCode::BAD_REQUEST, Json(json!({ "error": why }))).into_response()
        }
        WebhookReply::Failed => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "error": "kept for retry" })),
        )
            .into_response(),
    }
}

/// The scheduled billing jobs, inside the server like the detector: every minute
/// the pass (trial ends, grace ends, warnings), and once a day (across every
/// process: the first to claim the day runs it) the reconciliation with Stripe.
/// Off when payments are not configured: nobody can pay, so nobody is frozen.
pub fn spawn(services: app::services::Services) {
    if services.stripe.is_none() {
        tracing::info!("payments are not configured: billing jobs are off");
        return;
    }
    crate::background::every("billing", std::time::Duration::from_secs(60), move || {
        let services = services.clone();
        async move {
            match Billing(&services).billing_pass().await {
                Ok(p) if p.changed > 0 || p.warned > 0 => {
                    tracing::info!(changed = p.changed, warned = p.warned, "billing pass")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the billing pass failed; trying again"),
            }
            match Billing(&services).reconcile_if_due().await {
                Ok(Some(r)) => tracing::info!(
                    checked = r.checked,
                    fixed = r.fixed,
                    failed = r.failed,
                    "daily reconciliation with Stripe"
                ),
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "the reconciliation failed; trying again"),
            }
        }
    });
}

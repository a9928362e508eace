//! `/health`: the process answers. `/ready`: it can do its work (the database
//! answers, and the missed-check-in detector is at most a minute behind); a load
//! balancer stops sending traffic while it says 503.
use crate::AppState;
use axum::{extract::State, response::IntoResponse, Json};
use http::StatusCode;
use serde_json::json;

pub async fn health() -> impl IntoResponse {
    Json(json!({ "status": "alive" }))
}

/// The detector may be this far behind before the server says it is not ready.
const MAX_DETECTOR_LAG_SECONDS: i64 = 60;

pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if crate::db::is_reachable(&state.pool).await {
        match state.accounts.detector_lag().await {
            Ok(lag) if lag > MAX_DETECTOR_LAG_SECONDS => {
                tracing::warn!(
                    lag_seconds = lag,
                    "not ready: the missed-check-in detector is behind"
                );
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(
                        json!({ "status": "unavailable", "reason": "detector", "lag_seconds": lag }),
                    ),
                )
            }
            Ok(lag) => (
                StatusCode::OK,
                Json(json!({ "status": "ready", "detector_lag_seconds": lag })),
            ),
            Err(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": "database" })),
            ),
        }
    } else {
        tracing::warn!("not ready: the database does not answer");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "database" })),
        )
    }
}

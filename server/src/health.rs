//! `/health`: the process answers. `/ready`: it can do its work (the database
//! answers); a load balancer stops sending traffic while it says 503.
use crate::AppState;
use axum::{extract::State, response::IntoResponse, Json};
use http::StatusCode;
use serde_json::json;

pub async fn health() -> impl IntoResponse {
    Json(json!({ "status": "alive" }))
}

pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if crate::db::is_reachable(&state.pool).await {
        (StatusCode::OK, Json(json!({ "status": "ready" })))
    } else {
        tracing::warn!("not ready: the database does not answer");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "database" })),
        )
    }
}

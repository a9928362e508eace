//! Test-only routes, mounted only when the test clock is on (which a production
//! configuration refuses). They let an end-to-end test read, set and advance the
//! server's clock instead of waiting for real time.
use crate::AppState;
use axum::{extract::State, response::IntoResponse, routing::get, Json, Router};
use chrono::{DateTime, Duration, Utc};
use http::StatusCode;
use serde::Deserialize;
use serde_json::json;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MoveClock {
    /// Jump to this instant (RFC 3339).
    pub set: Option<DateTime<Utc>>,
    /// Then move forward (or back, if negative) by this many seconds.
    pub advance_seconds: Option<i64>,
}

pub fn routes() -> Router<AppState> {
    Router::new().route("/__test/clock", get(read_clock).post(move_clock))
}

async fn read_clock(State(state): State<AppState>) -> impl IntoResponse {
    Json(json!({ "now": state.clock.now() }))
}

async fn move_clock(
    State(state): State<AppState>,
    Json(body): Json<MoveClock>,
) -> impl IntoResponse {
    const TEN_YEARS: i64 = 10 * 366 * 24 * 3600;
    if let Some(to) = body.set {
        if state.clock.set(to).is_err() {
            return (
                StatusCode::CONFLICT,
                Json(json!({ "error": "the clock is not settable" })),
            );
        }
    }
    if let Some(secs) = body.advance_seconds {
        if secs.abs() > TEN_YEARS {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "advance_seconds is limited to ten years" })),
            );
        }
        if state.clock.advance(Duration::seconds(secs)).is_err() {
            return (
                StatusCode::CONFLICT,
                Json(json!({ "error": "the clock is not settable" })),
            );
        }
    }
    (StatusCode::OK, Json(json!({ "now": state.clock.now() })))
}

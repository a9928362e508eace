//! `/health`: the process answers. `/ready`: this process can do its work (the
//! database answers and its own background jobs are alive); a load balancer stops
//! sending it traffic while it says 503. Fleet-wide facts (how far behind the
//! detector is, the outbox backlog) are not readiness: one slow process must not
//! take every server out of rotation. They are exported at `/metrics`, in
//! Prometheus' text format, for this machine (loopback) or a scraper holding
//! `PRUUF_METRICS_TOKEN`.
use crate::background;
use crate::AppState;
use app::alerts::service::Alerts;
use app::notify::worker::WorkerPass;
use axum::extract::{ConnectInfo, Request, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, StatusCode};
use serde_json::json;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};

pub async fn health() -> impl IntoResponse {
    Json(json!({ "status": "alive" }))
}

pub async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if !crate::db::is_reachable(&state.pool).await {
        tracing::warn!("not ready: the database does not answer");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "database" })),
        );
    }
    let stalled = background::stalled();
    if !stalled.is_empty() {
        tracing::warn!(jobs = ?stalled, "not ready: a background job has stopped");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "reason": "jobs", "stalled": stalled })),
        );
    }
    (StatusCode::OK, Json(json!({ "status": "ready" })))
}

/// Deliveries this process handled, by channel and outcome, since it started.
fn sends() -> &'static Mutex<BTreeMap<(&'static str, &'static str), u64>> {
    static SENDS: OnceLock<Mutex<BTreeMap<(&'static str, &'static str), u64>>> = OnceLock::new();
    SENDS.get_or_init(Mutex::default)
}

/// Adds a worker pass to this process's counters.
pub fn count_sends(channel: &'static str, pass: &WorkerPass) {
    if let Ok(mut sends) = sends().lock() {
        for (outcome, n) in [
            ("sent", pass.sent),
            ("retried", pass.retried),
            ("failed", pass.failed),
            ("skipped", pass.skipped),
            ("canceled", pass.canceled),
        ] {
            *sends.entry((channel, outcome)).or_insert(0) += n as u64;
        }
    }
}

/// Who may read `/metrics`: this machine, or a holder of the token.
fn may_read_metrics(state: &AppState, request: &Request) -> bool {
    let loopback = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    let token = state.config.metrics_token.as_deref().is_some_and(|want| {
        request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|got| same_secret(got.as_bytes(), want.as_bytes()))
    });
    loopback || token
}

/// Compares two secrets in time that does not depend on where they differ.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A label value in Prometheus' text format.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

pub async fn metrics(State(state): State<AppState>, request: Request) -> Response {
    if !may_read_metrics(&state, &request) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let alerts = Alerts(&state.services);
    let (lag, backlog) = tokio::join!(
        alerts.detector_lag(),
        app::notify::outbox::backlog_by_channel_and_kind(&state.pool)
    );
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP pruuf_up 1 while this process answers.\n# TYPE pruuf_up gauge\npruuf_up 1"
    );
    if let Ok(lag) = lag {
        let _ = writeln!(
            out,
            "# HELP pruuf_detector_lag_seconds How long the oldest unhandled deadline has waited past its grace.\n\
             # TYPE pruuf_detector_lag_seconds gauge\npruuf_detector_lag_seconds {lag}"
        );
    }
    if let Ok(backlog) = backlog {
        let _ = writeln!(
            out,
            "# HELP pruuf_outbox_waiting Deliveries waiting to be handed to a provider.\n# TYPE pruuf_outbox_waiting gauge"
        );
        for (channel, kind, n) in backlog {
            let _ = writeln!(
                out,
                "pruuf_outbox_waiting{{channel=\"{}\",kind=\"{}\"}} {n}",
                label(&channel),
                label(&kind)
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP pruuf_deliveries_total Deliveries this process's workers handled, by outcome.\n# TYPE pruuf_deliveries_total counter"
    );
    if let Ok(sends) = sends().lock() {
        for ((channel, outcome), n) in sends.iter() {
            let _ = writeln!(
                out,
                "pruuf_deliveries_total{{channel=\"{channel}\",outcome=\"{outcome}\"}} {n}"
            );
        }
    }
    let _ = writeln!(
        out,
        "# HELP pruuf_job_last_pass_age_seconds Since each background job of this process last finished a pass.\n\
         # TYPE pruuf_job_last_pass_age_seconds gauge"
    );
    for (job, age) in background::last_pass_ages() {
        let _ = writeln!(
            out,
            "pruuf_job_last_pass_age_seconds{{job=\"{}\"}} {age:.1}",
            label(job)
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(
            b"a-long-token-of-24-chars!",
            b"a-long-token-of-24-chars!"
        ));
        assert!(!same_secret(
            b"a-long-token-of-24-chars!",
            b"a-long-token-of-24-chars?"
        ));
        assert!(!same_secret(b"short", b"shorter"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}

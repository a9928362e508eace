//! Every request runs to its end, whoever hangs up.
//!
//! When a client closes its connection, hyper drops the request's future wherever
//! it has got to: between a transaction's statements, or between a statement
//! being sent and its answer read. A connection can then go back to the pool
//! with its transaction still open, and the next request runs inside it
//! (PostgreSQL warns "there is already a transaction in progress"). Here each
//! request is its own task, which a hang-up does not stop: its transaction is
//! committed or rolled back before its connection serves anyone else. Only the
//! answer is thrown away. (The request body limit and the handlers' own
//! timeouts bound what such a task can cost.)
//!
//! A request that has not answered within [`REQUEST_LIMIT`] is stopped and
//! answered 503 "try again": no page or action takes more than a few seconds
//! (a mail relay's try is bounded at 20 s), and a request stuck for ever would
//! hold its task and memory for good. (Seen rarely in tests: a page render that
//! never ended while holding no database connection.)
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use std::time::Duration;
use tracing::Instrument;

/// The longest any request may run.
pub const REQUEST_LIMIT: Duration = Duration::from_secs(45);

pub async fn run_to_completion(request: Request, next: Next) -> Response {
    let span = tracing::Span::current();
    let bounded = async move { tokio::time::timeout(REQUEST_LIMIT, next.run(request)).await };
    match tokio::spawn(bounded.instrument(span)).await {
        Ok(Ok(response)) => response,
        Ok(Err(_)) => {
            tracing::error!("a request did not answer within its time limit and was stopped");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(http::header::RETRY_AFTER, "5")],
                "Sorry, that took too long. Please try again.",
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "a request's task ended without an answer");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    /// A handler that never answers is stopped at the limit with a 503 (on
    /// paused time, so the test takes no real time); a quick one is untouched.
    #[tokio::test(start_paused = true)]
    async fn a_request_that_never_answers_is_stopped_at_the_limit() {
        let app = Router::new()
            .route("/stuck", get(std::future::pending::<&'static str>))
            .route("/quick", get(|| async { "ok" }))
            .layer(axum::middleware::from_fn(run_to_completion));
        let started = tokio::time::Instant::now();
        let stuck = app
            .clone()
            .oneshot(
                Request::get("/stuck")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(stuck.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(started.elapsed(), REQUEST_LIMIT);
        let quick = app
            .oneshot(
                Request::get("/quick")
                    .body(axum::body::Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(quick.status(), StatusCode::OK);
    }
}

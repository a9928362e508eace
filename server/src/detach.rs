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
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use tracing::Instrument;

pub async fn run_to_completion(request: Request, next: Next) -> Response {
    let span = tracing::Span::current();
    match tokio::spawn(next.run(request).instrument(span)).await {
        Ok(response) => response,
        Err(e) => {
            tracing::error!(error = %e, "a request's task ended without an answer");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

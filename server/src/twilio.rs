//! Twilio's two webhooks: inbound texts and message status callbacks. Both are
//! exempt from the Origin check (Twilio is not a page of ours), and instead must
//! carry a valid `X-Twilio-Signature` (HMAC-SHA1 with our auth token over our
//! public URL of the hook and the sorted form parameters); anything else is 403
//! and changes nothing. Both answer TwiML.
use crate::AppState;
use app::phones::rules::signature_ok;
use app::phones::service::Phones;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

pub const INBOUND: &str = "/webhooks/twilio/inbound";
pub const STATUS: &str = "/webhooks/twilio/status";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(INBOUND, post(inbound))
        .route(STATUS, post(status))
}

/// The form parameters, if the request is signed by Twilio for `path`.
fn signed_params(
    state: &AppState,
    path: &str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Option<Vec<(String, String)>> {
    let twilio = state.config.twilio.as_ref()?;
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body).into_owned().collect();
    let url = format!("{}{path}", state.config.public_origin);
    let signature = headers.get("x-twilio-signature")?.to_str().ok()?;
    signature_ok(&twilio.auth_token, &url, &params, signature).then_some(params)
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> &'a str {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_default()
}

fn refused() -> Response {
    tracing::warn!("a Twilio webhook without a valid signature was refused");
    (StatusCode::FORBIDDEN, "forbidden").into_response()
}

/// TwiML: a reply text, or nothing (written by `phones::twiml`'s XML writer).
fn twiml(reply: Option<String>) -> Response {
    let body = app::phones::twiml::text_reply(reply.as_deref());
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], body).into_response()
}

async fn inbound(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(params) = signed_params(&state, INBOUND, &headers, &body) else {
        return refused();
    };
    match Phones(&state.services)
        .sms_inbound(
            param(&params, "From"),
            param(&params, "Body"),
            param(&params, "MessageSid"),
        )
        .await
    {
        Ok(reply) => twiml(reply),
        // Nothing was kept: Twilio tries again.
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    }
}

async fn status(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(params) = signed_params(&state, STATUS, &headers, &body) else {
        return refused();
    };
    let code = param(&params, "ErrorCode");
    match Phones(&state.services)
        .sms_status(
            param(&params, "MessageSid"),
            param(&params, "MessageStatus"),
            (!code.is_empty()).then_some(code),
        )
        .await
    {
        Ok(()) => twiml(None),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    }
}

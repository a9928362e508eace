//! Twilio's webhooks: inbound texts, message status callbacks, calls to
//! Pruuf's number (issue 23: a Member checks in with her PIN), and the calls
//! Pruuf places (what each says when answered, its keys, how it ended). All are
//! exempt from the Origin check (Twilio is not a page of ours), and instead must
//! carry a valid `X-Twilio-Signature` (HMAC-SHA1 with our auth token over our
//! public URL of the hook and the sorted form parameters); anything else is 403
//! and changes nothing. All answer TwiML (`app::phones::twiml`).
use crate::AppState;
use app::calls::service::Calls;
use app::notify::call::{CALL_PATH, CALL_STATUS_PATH};
use app::phones::rules::signature_ok;
use app::phones::service::{CallIn, Phones};
use app::phones::twiml;
use app::services::Caller;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;

pub const INBOUND: &str = "/webhooks/twilio/inbound";
pub const STATUS: &str = "/webhooks/twilio/status";
/// A call to Pruuf's number (the number's "A call comes in" webhook).
pub const VOICE_INCOMING: &str = "/webhooks/twilio/voice/incoming";
/// The keys she entered on that call.
pub const VOICE_PIN: &str = "/webhooks/twilio/voice/pin";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(INBOUND, post(inbound))
        .route(STATUS, post(status))
        .route(VOICE_INCOMING, post(voice_incoming))
        .route(VOICE_PIN, post(voice_pin))
        .route(&format!("{CALL_PATH}{{delivery}}"), post(call_answered))
        .route(&format!("{CALL_PATH}{{delivery}}/keys"), post(call_keys))
        .route(CALL_STATUS_PATH, post(call_status))
}

/// A call we placed was answered (by a person or a machine): what it says.
async fn call_answered(
    State(state): State<AppState>,
    Path(delivery): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("{CALL_PATH}{delivery}");
    let Some(params) = signed_params(&state, &path, &headers, &body) else {
        return refused();
    };
    let Ok(delivery) = uuid::Uuid::parse_str(&delivery) else {
        return voice(twiml::say_and_hang_up("Goodbye."));
    };
    voice(
        Calls(&state.services)
            .answered(delivery, param(&params, "AnsweredBy"))
            .await,
    )
}

/// The keys pressed on a call we placed.
async fn call_keys(
    State(state): State<AppState>,
    Path(delivery): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("{CALL_PATH}{delivery}/keys");
    let Some(params) = signed_params(&state, &path, &headers, &body) else {
        return refused();
    };
    let Ok(delivery) = uuid::Uuid::parse_str(&delivery) else {
        return voice(twiml::say_and_hang_up("Goodbye."));
    };
    voice(
        Calls(&state.services)
            .keys(delivery, param(&params, "Digits"))
            .await,
    )
}

/// How a call we placed ended (answered, no answer, busy, a machine).
async fn call_status(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(params) = signed_params(&state, CALL_STATUS_PATH, &headers, &body) else {
        return refused();
    };
    match Calls(&state.services)
        .status(
            param(&params, "CallSid"),
            param(&params, "CallStatus"),
            param(&params, "AnsweredBy"),
        )
        .await
    {
        Ok(()) => twiml(None),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "try again").into_response(),
    }
}

fn voice(twiml: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], twiml).into_response()
}

/// A call comes in: ask for her PIN.
async fn voice_incoming(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if signed_params(&state, VOICE_INCOMING, &headers, &body).is_none() {
        return refused();
    }
    let action = format!("{}{VOICE_PIN}", state.config.public_origin);
    voice(twiml::ask_pin(&action))
}

/// Her PIN: checked in, or told why not, then the call ends.
async fn voice_pin(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(params) = signed_params(&state, VOICE_PIN, &headers, &body) else {
        return refused();
    };
    let caller = Caller {
        ip: "twilio".into(),
        user_agent: "twilio voice".into(),
    };
    let answer = Phones(&state.services)
        .call_in(&caller, param(&params, "From"), param(&params, "Digits"))
        .await;
    voice(match answer {
        Ok(CallIn::CheckedIn { name }) => twiml::thank_you(&name),
        Ok(CallIn::Already { name }) => twiml::say_and_hang_up(&format!(
            "You\u{2019}ve already checked in today, {name}. Thank you. Goodbye."
        )),
        Ok(CallIn::WrongPin) => twiml::say_and_hang_up(
            "That PIN is not right. Please call again, or open Pruuf. Goodbye.",
        ),
        Ok(CallIn::Locked) => twiml::say_and_hang_up(
            "For your safety, checking in with your PIN is paused for a while. Please open Pruuf, or call again later. Goodbye.",
        ),
        Ok(CallIn::NothingToDo) => {
            twiml::say_and_hang_up("There\u{2019}s no check-in to make today. Goodbye.")
        }
        Ok(CallIn::UnknownCaller) => twiml::say_and_hang_up(
            "This phone is not set up for Pruuf check-ins. Please add it in Pruuf\u{2019}s settings. Goodbye.",
        ),
        // Nothing was kept: she can call again.
        Err(_) => twiml::say_and_hang_up(
            "Sorry, something went wrong. Please call again in a minute, or open Pruuf. Goodbye.",
        ),
    })
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

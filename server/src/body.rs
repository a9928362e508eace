//! Every request body is read whole, up to `MAX_BODY_BYTES`, before any handler
//! sees it. A body that is too large (declared or not: chunked too) answers 413,
//! and one that breaks off answers 400, both with the usual plain words: as
//! JSON for the pages' server-function calls, as a small page for a form posted
//! without JavaScript. A handler never meets a body it cannot read (which it
//! could only answer with a 500).
use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, StatusCode};
use http_body_util::{BodyExt, LengthLimitError, Limited};

pub const TOO_LARGE: &str =
    "That was more than Pruuf can take at once. Please go back, shorten it and try again.";
pub const UNREADABLE: &str = "What was sent couldn\u{2019}t be read. Please go back and try again.";

pub async fn whole_body(limit: usize, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let html = accepts_html(&parts.headers);
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return refusal(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE, html);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => {
            let bytes = collected.to_bytes();
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            refusal(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE, html)
        }
        Err(_) => refusal(StatusCode::BAD_REQUEST, UNREADABLE, html),
    }
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

/// The words as the asker reads them: an `AppError` in JSON, or a page.
fn refusal(status: StatusCode, words: &str, html: bool) -> Response {
    if html {
        let page = format!(
            "<!DOCTYPE html><html lang=\"en\"><meta charset=\"utf-8\"><title>Pruuf</title>\
             <body style=\"font-family:sans-serif;font-size:20px;line-height:1.6;color:#1c1b19;max-width:36em;margin:2em auto;padding:0 1em\">\
             <h1>Sorry</h1><p>{words}</p><p><a href=\"/\">Back to Pruuf</a></p></body></html>"
        );
        (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            page,
        )
            .into_response()
    } else {
        let json = serde_json::json!({ "Invalid": words }).to_string();
        (status, [(header::CONTENT_TYPE, "application/json")], json).into_response()
    }
}

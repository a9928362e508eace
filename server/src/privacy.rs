//! A person's data (issue 18): `GET /settings/export`, "Download my data",
//! streamed section by section as `pruuf-export-YYYY-MM-DD.json` (signed-out
//! visitors are sent to log in); and the hourly pass that purges accounts deleted
//! 30 days ago.
use crate::AppState;
use app::accounts::session::signed_in_on;
use app::privacy::rules::export_file_name;
use app::privacy::service::{Export, Privacy};
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use futures_util::StreamExt;
use http::{header, StatusCode};
use tower_sessions::Session;

pub async fn download(
    State(state): State<AppState>,
    ip: Option<axum::Extension<app::security::ClientIp>>,
    session: Session,
) -> Response {
    let services = &state.services;
    let me = match signed_in_on(&session, services).await {
        Ok(Some(me)) => me,
        Ok(None) => return Redirect::to("/login?next=%2Fsettings").into_response(),
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let caller = app::services::Caller {
        ip: ip.map_or_else(|| "unknown".into(), |i| i.0 .0.clone()),
        user_agent: String::new(),
    };
    let export = match Privacy(services).start_export(&caller, &me).await {
        Ok(export) => export,
        Err(_) => return StatusCode::SERVICE_UNAVAILABLE.into_response(),
    };
    let name = export_file_name(services.clock.now());
    // Fused: a stream that has ended may be asked again (the compression layer
    // does), and must then say "ended" again rather than panic.
    let body = Body::from_stream(futures_util::stream::unfold(Some(export), next).fuse());
    (
        [
            (
                header::CONTENT_TYPE,
                "application/json; charset=utf-8".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// One piece of the file; a failed read ends the stream with an error, so the
/// browser shows a failed download instead of a cut-short file that looks whole.
async fn next(state: Option<Export>) -> Option<(Result<String, std::io::Error>, Option<Export>)> {
    let mut export = state?;
    match export.next_piece().await {
        Ok(Some(piece)) => Some((Ok(piece), Some(export))),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "an export could not be read");
            Some((Err(std::io::Error::other("export failed")), None))
        }
    }
}

/// Every hour, erases the accounts whose 30 days since deletion have passed.
pub fn spawn_purge(services: app::services::Services) {
    crate::background::every("purge", std::time::Duration::from_secs(3600), move || {
        let services = services.clone();
        async move {
            match Privacy(&services).purge_due().await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "deleted accounts purged"),
                Err(e) => tracing::warn!(error = %e, "the purge failed; trying again next hour"),
            }
        }
    });
}

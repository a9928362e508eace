//! The admin side's server parts (issue 19): the guard that answers 404 on
//! `/admin` (pages and their server functions) to everyone but a signed-in
//! admin; the command line's `admin grant|revoke` and `audit verify`; each
//! process's heartbeat; and the daily check of the audit chain.
use crate::{config::Config, db, AppState, StartError};
use app::accounts::session::signed_in_on;
use app::admin::service::Admin;
use app::audit::service::Audit;
use app::services::Services;
use app::validation::Email;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use std::time::Duration;
use tower_sessions::Session;

/// Whether `path` is an admin page or an admin server function.
pub fn is_admin_path(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

/// Lets only signed-in admins reach `/admin…`; everyone else gets the same 404
/// page as any unknown address (the pages are not advertised). Inside the
/// session layer, so the session is known.
pub async fn guard(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if !is_admin_path(request.uri().path()) {
        return next.run(request).await;
    }
    let admin = match request.extensions().get::<Session>() {
        Some(session) => matches!(
            signed_in_on(session, &state.services).await,
            Ok(Some(me)) if me.is_admin
        ),
        None => false,
    };
    if admin {
        // Other people's details: kept by no cache, the browser's included.
        let mut response = next.run(request).await;
        response.headers_mut().insert(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
        return response;
    }
    // Rendered as an unknown address would be: the app's own "not found" page.
    *request.method_mut() = http::Method::GET;
    *request.uri_mut() = http::Uri::from_static("/not-found");
    *request.body_mut() = axum::body::Body::empty();
    let mut response = next.run(request).await;
    *response.status_mut() = http::StatusCode::NOT_FOUND;
    response
}

/// `server admin grant EMAIL` / `server admin revoke EMAIL`.
pub async fn command(args: &[String]) -> Result<(), StartError> {
    let (verb, email) = match args {
        [verb, email] if verb == "grant" || verb == "revoke" => (verb.as_str(), email),
        _ => {
            return Err(StartError::Command(
                "usage: server admin grant EMAIL | server admin revoke EMAIL".into(),
            ))
        }
    };
    let email = Email::parse(email)
        .map_err(|e| StartError::Command(format!("not an email address: {e}")))?;
    let services = services().await?;
    let admin = Admin(&services);
    admin
        .set_admin(&email, verb == "grant")
        .await
        .map_err(|e| StartError::Command(e.message()))?;
    let count = admin
        .admin_count()
        .await
        .map_err(|e| StartError::Command(e.message()))?;
    println!(
        "{} ({} admin{} now); written to the audit log",
        if verb == "grant" {
            "granted"
        } else {
            "revoked"
        },
        count,
        if count == 1 { "" } else { "s" }
    );
    Ok(())
}

/// `server audit verify`: walks the chain; fails (exit 1) at the first bad entry.
pub async fn audit(args: &[String]) -> Result<(), StartError> {
    if args != ["verify"] {
        return Err(StartError::Command("usage: server audit verify".into()));
    }
    let services = services().await?;
    let v = Audit(&services)
        .verify()
        .await
        .map_err(|e| StartError::Command(format!("cannot read the audit log: {e}")))?;
    if v.first_bad.is_some() {
        return Err(StartError::Command(v.summary()));
    }
    println!("{}", v.summary());
    Ok(())
}

async fn services() -> Result<Services, StartError> {
    let config = Config::from_env()?;
    let pool = db::connect(&config.database_url, 2).await?;
    Ok(AppState::new(crate::leptos_options()?, pool, config)?.services)
}

/// Every 15 seconds this process says it is alive, with its jobs' last passes.
pub fn spawn_heartbeat(services: Services) {
    let process = uuid::Uuid::new_v4();
    let started = services.clock.now();
    let host: String = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().chars().take(100).collect())
        .unwrap_or_else(|| "unknown".into());
    crate::background::every("heartbeat", Duration::from_secs(15), move || {
        let (services, host) = (services.clone(), host.clone());
        async move {
            let jobs: serde_json::Map<String, serde_json::Value> =
                crate::background::last_pass_ages()
                    .into_iter()
                    .map(|(job, age)| (job.to_string(), json!(age.round())))
                    .collect();
            let now = services.clock.now();
            if let Err(e) =
                app::admin::store::beat(&services.pool, process, &host, started, now, json!(jobs))
                    .await
            {
                tracing::warn!(error = %e, "the heartbeat could not be written");
            }
        }
    });
}

/// Once a day (the first process to claim the day), the audit chain is walked;
/// a broken chain is logged as an error, and shown on the Health page.
pub fn spawn_audit_check(services: Services) {
    crate::background::every("audit_check", Duration::from_secs(3600), move || {
        let services = services.clone();
        async move {
            let now = services.clock.now();
            let day = now.format("%Y-%m-%d").to_string();
            match app::billing::store::claim_job(&services.pool, "audit_check", &day, now).await {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "the audit check could not be claimed");
                    return;
                }
            }
            match Audit(&services).verify().await {
                Ok(v) => {
                    // The head is logged too: a record of it outside the database.
                    if v.first_bad.is_none() {
                        tracing::info!(entries = v.entries, head_seq = v.head_seq, head_hash = %v.head_hash, "audit chain intact");
                    } else {
                        tracing::error!(summary = %v.summary(), "the audit chain is broken");
                    }
                    let _ = app::billing::store::finish_job(
                        &services.pool,
                        "audit_check",
                        &day,
                        services.clock.now(),
                        json!({}),
                    )
                    .await;
                }
                // Left unfinished: claimed again an hour later.
                Err(e) => {
                    tracing::warn!(error = %e, "the audit check failed; trying again within the hour")
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::is_admin_path;

    #[test]
    fn admin_paths_are_recognised() {
        assert!(is_admin_path("/admin"));
        assert!(is_admin_path("/admin/people/1"));
        assert!(is_admin_path("/admin/api/admin_health"));
        assert!(!is_admin_path("/administrator"));
        assert!(!is_admin_path("/home"));
    }
}

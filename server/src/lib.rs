//! The Pruuf server: configuration, the database, the HTTP stack around the Leptos
//! app, and (in later issues) the background workers.
pub mod admin;
pub mod alerts;
mod assets;
mod background;
mod billing;
mod body;
pub mod config;
pub mod db;
mod detach;
pub mod health;
mod privacy;
mod pwa;
pub mod security;
pub mod sessions;
pub mod test_api;
mod twilio;

use app::accounts::secrets::CodeKey;
use app::services::{Services, Settings};
use app::{clock::Clock, notify::email as mail, security::Site, shell, App};
use axum::{extract::FromRef, middleware, routing::get, Router};
use config::Config;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use sqlx::PgPool;
use std::sync::Arc;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer},
    trace::TraceLayer,
};

/// Largest request body accepted anywhere (forms and server functions are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub clock: Clock,
    pub mailer: mail::Mailer,
    pub services: Services,
    pub config: Arc<Config>,
}

impl AppState {
    pub fn new(
        leptos_options: LeptosOptions,
        pool: PgPool,
        config: Config,
    ) -> Result<Self, StartError> {
        let clock = if config.test_clock {
            Clock::manual_from_now()
        } else {
            Clock::system()
        };
        let mailer = mail::Mailer::new(&config.smtp_url, &config.mail_from)?;
        let code_key = CodeKey::new(&config.secret_key).map_err(|e| {
            StartError::Config(config::ConfigError::Invalid {
                name: "PRUUF_SECRET_KEY",
                why: e.to_string(),
            })
        })?;
        let audit_key = app::audit::rules::AuditKey::new(&config.audit_key).map_err(|e| {
            StartError::Config(config::ConfigError::Invalid {
                name: "PRUUF_AUDIT_KEY",
                why: e.to_string(),
            })
        })?;
        let services = Services {
            pool: pool.clone(),
            clock: clock.clone(),
            mailer: mailer.clone(),
            settings: Arc::new(Settings {
                code_key,
                audit_key,
                public_url: config.public_origin.clone(),
                terms_version: config.terms_version.clone(),
                privacy_version: config.privacy_version.clone(),
                ip_limit_per_hour: config.ip_limit_per_hour,
                calls_per_day: config.calls_per_day,
                call_retry_minutes: config.call_retry_minutes,
                vapid_private_key: config.vapid_private_key.clone(),
                vapid_contact: format!("mailto:{}", mail_address(&config.mail_from)),
                push_hosts: config.push_hosts.clone(),
                sms_countries: config.sms_countries.clone(),
            }),
            push: Default::default(),
            sms: config
                .twilio
                .clone()
                .map(|t| Arc::new(app::notify::twilio::TwilioClient::new(t))),
            stripe: match config.stripe.clone() {
                Some(s) => Some(Arc::new(app::billing::stripe::StripeApi::new(s).map_err(
                    |e| {
                        StartError::Config(config::ConfigError::Invalid {
                            name: "PRUUF_STRIPE_SECRET_KEY",
                            why: e.to_string(),
                        })
                    },
                )?)),
                None => None,
            },
        };
        Ok(AppState {
            leptos_options,
            pool,
            clock,
            mailer,
            services,
            config: Arc::new(config),
        })
    }

    fn site(&self) -> Site {
        Site {
            secure_cookies: self.config.secure_cookies,
            live_reload_port: self
                .config
                .live_reload
                .then_some(self.leptos_options.reload_port),
        }
    }
}

/// Where a form may be redirected on to: Stripe's hosted pages (or the local
/// stand-in's), when payments are on.
fn payment_origins(config: &Config) -> String {
    match &config.stripe {
        None => String::new(),
        Some(s) => match s.api_url.as_deref().and_then(|u| url::Url::parse(u).ok()) {
            Some(u) => u.origin().ascii_serialization(),
            None => "https://checkout.stripe.com https://billing.stripe.com".into(),
        },
    }
}

/// The app's routes, walked once per process. Walking them sets a
/// process-wide flag under which any page data first asked for meanwhile waits
/// for ever (leptos_server's `SuppressResourceLoad`; leptos-rs/leptos#4773):
/// tests build a router each, side by side, while others render pages, and a
/// page now and then never finished. Once walked, the list is only copied.
static ROUTES: std::sync::OnceLock<Vec<leptos_axum::AxumRouteListing>> = std::sync::OnceLock::new();

/// The whole HTTP application. Built the same way by `main` and by the tests.
pub fn router(state: AppState) -> Router {
    let routes = ROUTES.get_or_init(|| generate_route_list(App)).clone();
    let context = {
        let (pool, clock, site) = (state.pool.clone(), state.clock.clone(), state.site());
        let (mailer, services) = (state.mailer.clone(), state.services.clone());
        move || {
            provide_context(pool.clone());
            provide_context(clock.clone());
            provide_context(site.clone());
            provide_context(mailer.clone());
            provide_context(services.clone());
        }
    };
    let options = &state.leptos_options;
    let bundle = app::bundle::read(
        &std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref()),
        &options.output_name,
    );
    // Under `cargo leptos watch` the bundle is rebuilt while the server runs:
    // its names are looked up again for every page.
    let watching = state.config.live_reload;
    let page_with_bundle = {
        let bundle = bundle.clone();
        move |options: LeptosOptions| {
            provide_context(if watching {
                app::bundle::read(
                    &std::path::Path::new(options.site_root.as_ref())
                        .join(options.site_pkg_dir.as_ref()),
                    &options.output_name,
                )
            } else {
                bundle.clone()
            });
            shell(options)
        }
    };
    let page = {
        let (options, shell) = (state.leptos_options.clone(), page_with_bundle.clone());
        move || shell(options.clone())
    };
    let allowed = Arc::new(state.config.allowed_origins.clone());
    let worker = Arc::new(pwa::service_worker(&options.site_root, &bundle));
    let pkg = assets::pkg_routes(&options.site_root, &options.site_pkg_dir);

    let mut app = Router::new()
        .route("/sw.js", get(move || async move { pwa::response(&worker) }))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(health::metrics))
        .route(app::privacy::pages::EXPORT_PATH, get(privacy::download))
        .nest_service(app::bundle::PKG, pkg)
        .leptos_routes_with_context(&state, routes, context, page)
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            page_with_bundle,
        ))
        // Inside the session layer: `/admin` is 404 to everyone but admins.
        .layer(middleware::from_fn_with_state(state.clone(), admin::guard))
        .layer(sessions::layer(&state))
        // Every route above refuses cross-site state changes.
        .layer(middleware::from_fn_with_state(
            allowed,
            security::check_origin,
        ))
        .layer(middleware::from_fn_with_state(
            state.config.trust_proxy,
            security::client_ip,
        ));

    // Routes exempt from the Origin check are added after it, here, by name.
    if state.config.test_clock {
        app = app.merge(test_api::routes());
    }
    // Twilio's webhooks: signed by Twilio (checked in the handlers), never by a page.
    app = app.merge(twilio::routes());

    // Stripe's webhook: signed by Stripe (checked in the handler), never by a page.
    app = app.merge(billing::routes());

    let headers = security::SecurityHeaders::new(
        state.config.secure_cookies,
        state.site().live_reload_port,
        payment_origins(&state.config),
    );
    app.layer(middleware::from_fn_with_state(
        headers,
        security::security_headers,
    ))
    .layer(middleware::from_fn(|request, next| {
        body::whole_body(MAX_BODY_BYTES, request, next)
    }))
    // Pages and server functions' answers, compressed as they are sent (the
    // bundle under /pkg/ is compressed once, at build time, and passes through).
    .layer(CompressionLayer::new())
    .layer(CatchPanicLayer::custom(panic_page))
    // Outside the panic catcher, inside the request's span: a request runs to its
    // end in its own task even if its client hangs up (see `detach`).
    .layer(middleware::from_fn(detach::run_to_completion))
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(
        TraceLayer::new_for_http().make_span_with(|req: &http::Request<_>| {
            let id = req
                .headers()
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            // The path only: query strings may carry codes.
            tracing::info_span!("request", id, method = %req.method(), path = req.uri().path())
        }),
    )
    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
    .with_state(state)
}

fn panic_page(_: Box<dyn std::any::Any + Send + 'static>) -> http::Response<axum::body::Body> {
    tracing::error!("a request handler panicked");
    let body = "<!DOCTYPE html><html lang=\"en\"><title>Sorry \u{b7} Pruuf</title>\
        <h1>Sorry, something went wrong</h1>\
        <p>Something went wrong on our side. Please try again in a minute.</p>\
        <p><a href=\"/\">Go to the start page</a></p></html>";
    let mut response = http::Response::new(axum::body::Body::from(body));
    *response.status_mut() = http::StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response
}

/// Why the server could not start; `main` prints it on one line.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] config::ConfigError),
    #[error("{0}")]
    Db(#[from] db::DbError),
    #[error("Leptos settings: {0}")]
    Leptos(String),
    #[error("mail settings: {0}")]
    Mail(#[from] mail::MailError),
    #[error("cannot listen on {addr}: {reason}")]
    Listen { addr: String, reason: String },
    #[error("{0}")]
    Command(String),
}

pub fn init_tracing() {
    use tracing_subscriber::{fmt, EnvFilter};
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let _ = fmt().with_env_filter(filter).with_target(false).try_init();
}

/// Reads the Leptos runtime options from `Leptos.toml` (overridden by LEPTOS_*
/// environment variables, which cargo-leptos sets).
pub fn leptos_options() -> Result<LeptosOptions, StartError> {
    let path = std::env::var("PRUUF_LEPTOS_TOML").unwrap_or_else(|_| "Leptos.toml".into());
    leptos::config::get_configuration(Some(&path))
        .map(|c| c.leptos_options)
        .map_err(|e| StartError::Leptos(format!("{path}: {e}")))
}

/// Applies the migrations and returns.
pub async fn migrate_only() -> Result<(), StartError> {
    let config = Config::from_env()?;
    let pool = db::connect(&config.database_url, 2).await?;
    db::migrate(&pool, &config.database_url).await?;
    tracing::info!(
        "migrations applied to {}",
        db::describe(&config.database_url)
    );
    Ok(())
}

/// `server dead-letters`: the Stripe events kept after a failure (oldest first);
/// `server dead-letters replay ID`: handles one again, now.
pub async fn dead_letters(args: &[String]) -> Result<(), StartError> {
    let config = Config::from_env()?;
    let pool = db::connect(&config.database_url, 2).await?;
    let state = AppState::new(leptos_options()?, pool.clone(), config)?;
    match args {
        [] => {
            let letters = app::billing::store::dead_letters(&pool, 200)
                .await
                .map_err(|e| StartError::Command(format!("cannot read the dead letters: {e}")))?;
            if letters.is_empty() {
                println!("no Stripe events waiting");
            }
            for l in letters {
                println!(
                    "{}  {}  {}  attempts={}  since={}  error={}",
                    l.id,
                    l.event_id,
                    l.type_,
                    l.attempts,
                    l.first_failed_at.format("%Y-%m-%d %H:%M UTC"),
                    l.error
                );
            }
            Ok(())
        }
        [verb, id] if verb == "replay" => {
            let id = uuid::Uuid::parse_str(id)
                .map_err(|_| StartError::Command(format!("not a dead letter id: {id}")))?;
            let outcome = app::admin::service::Admin(&state.services)
                .replay_from_command_line(id)
                .await
                .map_err(|e| StartError::Command(format!("replay failed: {}", e.message())))?;
            println!("replayed: {outcome}");
            Ok(())
        }
        _ => Err(StartError::Command(
            "usage: server dead-letters [replay ID]".into(),
        )),
    }
}

/// Starts the server and runs until SIGINT/SIGTERM, then finishes the requests in
/// flight.
pub async fn serve() -> Result<(), StartError> {
    let config = Config::from_env()?;
    let leptos_options = leptos_options()?;
    let pool = db::connect(&config.database_url, config.database_max_connections).await?;
    db::migrate(&pool, &config.database_url).await?;
    if config.test_clock {
        tracing::warn!("the test clock is on: time stands still until /__test/clock moves it");
    }
    if !mail::url_requires_tls(&config.smtp_url) {
        tracing::warn!(
            "mail goes to a local catcher (no TLS): {}",
            mail_place(&config.smtp_url)
        );
    }
    let addr = leptos_options.site_addr;
    let state = AppState::new(leptos_options, pool, config)?;
    sessions::spawn_housekeeping(state.pool.clone(), state.clock.clone());
    // The background loops get their own connections (item 9 of issue 16).
    let background = Services {
        pool: db::connect(
            &state.config.database_url,
            state.config.database_background_connections,
        )
        .await?,
        ..state.services.clone()
    };
    admin::spawn_heartbeat(background.clone());
    admin::spawn_audit_check(background.clone());
    alerts::spawn(background.clone());
    privacy::spawn_purge(background.clone());
    billing::spawn(background);
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let listen_error = |e: std::io::Error| StartError::Listen {
        addr: addr.to_string(),
        reason: e.to_string(),
    };
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(listen_error)?;
    tracing::info!("Pruuf is listening on http://{addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(listen_error)?;
    tracing::info!("Pruuf stopped");
    Ok(())
}

/// The bare address in a sender like `Pruuf <hello@pruuf.example>`.
fn mail_address(from: &str) -> String {
    from.rsplit_once('<')
        .map(|(_, rest)| rest.trim_end_matches('>').to_string())
        .unwrap_or_else(|| from.trim().to_string())
}

/// `host:port` of the relay, without credentials.
fn mail_place(smtp_url: &str) -> String {
    url::Url::parse(smtp_url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(25))))
        .unwrap_or_else(|| "(unreadable PRUUF_SMTP_URL)".into())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing the requests in flight");
}

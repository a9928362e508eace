//! The bottom of the server side: [`Services`] (what every domain's actions run
//! on) and [`facade!`], which gives a domain its own handle on them. A domain's
//! actions are methods of its facade (`Alerts(&services).detect()`), so a call
//! from one domain into another is a visible import, never a `self.` call.
use crate::accounts::secrets::CodeKey;
use crate::clock::Clock;
use crate::notify::email::Mailer;
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use std::sync::Arc;

/// What the server's configuration tells the domains.
pub struct Settings {
    pub code_key: CodeKey,
    /// The audit chain's key (`PRUUF_AUDIT_KEY`).
    pub audit_key: crate::audit::rules::AuditKey,
    /// e.g. `https://pruuf.example`, for links in mails.
    pub public_url: String,
    pub terms_version: String,
    pub privacy_version: String,
    pub ip_limit_per_hour: u32,
    /// Calls to one person in 24 hours, at most (`PRUUF_CALLS_PER_DAY`).
    pub calls_per_day: u32,
    /// Minutes before an unanswered daily call is tried again (5-30).
    pub call_retry_minutes: u32,
    /// Configured VAPID private key; `None`: made once and kept in the database.
    pub vapid_private_key: Option<String>,
    /// The VAPID contact, `mailto:` our sender address.
    pub vapid_contact: String,
    /// The push services' hosts push endpoints may name (`notify::push::DEFAULT_PUSH_HOSTS`).
    pub push_hosts: Vec<String>,
    /// The countries (ISO 3166 codes) Pruuf sends texts to (`phones::rules::DEFAULT_SMS_COUNTRIES`).
    pub sms_countries: Vec<String>,
}

impl Settings {
    /// Pruuf itself runs on this machine (development and tests): stand-ins at
    /// http://127.0.0.1 are then allowed where a real service is otherwise required.
    pub fn is_local(&self) -> bool {
        self.public_url.starts_with("http://127.0.0.1")
    }

    /// The host of the public URL, for ids such as a mail's `Message-ID`.
    pub fn mail_domain(&self) -> &str {
        let rest = self
            .public_url
            .split_once("://")
            .map_or(self.public_url.as_str(), |(_, r)| r);
        let host = rest.split(['/', ':']).next().unwrap_or_default();
        if host.is_empty() {
            "pruuf.invalid"
        } else {
            host
        }
    }
}

/// Who is asking: the client's address and browser, for limits, consent and audit.
#[derive(Debug, Clone, Default)]
pub struct Caller {
    pub ip: String,
    pub user_agent: String,
}

/// What every domain's actions run on: the database, the clock, the providers'
/// clients and the settings. Provided to every server function and background
/// loop; each domain's actions take it through that domain's facade.
#[derive(Clone)]
pub struct Services {
    pub pool: PgPool,
    pub clock: Clock,
    pub mailer: Mailer,
    pub settings: Arc<Settings>,
    /// The web push sender, made on first use (it may need the database for its key).
    pub push: Arc<tokio::sync::OnceCell<crate::notify::push::PushSender>>,
    /// The Twilio sender; `None` when SMS is not configured.
    pub sms: Option<Arc<crate::notify::twilio::TwilioClient>>,
    /// The Stripe client; `None` when payments are not configured.
    pub stripe: Option<Arc<crate::billing::stripe::StripeApi>>,
}

impl Services {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

/// Declares a domain's facade: a borrowed [`Services`] whose methods are that
/// domain's actions (and only those). It reads through to the services' fields.
macro_rules! facade {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a>(pub &'a $crate::services::Services);

        impl std::ops::Deref for $name<'_> {
            type Target = $crate::services::Services;
            fn deref(&self) -> &$crate::services::Services {
                self.0
            }
        }
    };
}
pub(crate) use facade;

//! Configuration, read once at start from environment variables (documented in
//! `.env.example`). Unset, `PRUUF_ENV` means production, which must name its own
//! services and may not enable anything meant for tests; local use sets `development`.
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environment {
    Development,
    Test,
    Production,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub environment: Environment,
    pub database_url: String,
    pub database_max_connections: u32,
    /// The detector's, the delivery workers' and billing's own pool, so a burst
    /// of requests cannot starve them (and they cannot starve requests).
    pub database_background_connections: u32,
    /// The site's own origin, e.g. `https://pruuf.example`, used by the Origin check.
    pub public_origin: String,
    /// Every origin a state-changing request may come from (the public one, and on
    /// loopback both spellings of it).
    pub allowed_origins: Vec<String>,
    /// Cookies marked `Secure` (true whenever the public URL is https).
    pub secure_cookies: bool,
    /// Time stands still and tests move it through `/__test/clock`.
    pub test_clock: bool,
    /// The SMTP relay, e.g. `smtps://user:password@smtp.example:465`.
    pub smtp_url: String,
    /// The sender of every mail, e.g. `Pruuf <hello@pruuf.example>`.
    pub mail_from: String,
    /// The VAPID private key (base64url, raw 32 bytes); without it the server
    /// makes one once and keeps it in the database.
    pub vapid_private_key: Option<String>,
    /// PRUUF_PUSH_HOSTS (comma-separated; `*.x` is any host under x): the push
    /// services' hosts a browser's subscription may name.
    pub push_hosts: Vec<String>,
    /// PRUUF_SMS_COUNTRIES (comma-separated ISO 3166 codes): where texts may go.
    pub sms_countries: Vec<String>,
    /// PRUUF_METRICS_TOKEN: lets a scraper elsewhere read `/metrics` with
    /// `Authorization: Bearer <token>` (at least 24 characters). Without it only
    /// this machine (loopback) may.
    pub metrics_token: Option<String>,
    /// Twilio (SMS): all four of PRUUF_TWILIO_ACCOUNT_SID, PRUUF_TWILIO_AUTH_TOKEN,
    /// PRUUF_TWILIO_FROM and (optionally) PRUUF_TWILIO_API_URL; without the first
    /// three, texts are off and alerts go by email and push only.
    pub twilio: Option<app::notify::twilio::TwilioSettings>,
    /// Stripe (billing): PRUUF_STRIPE_SECRET_KEY, PRUUF_STRIPE_WEBHOOK_SECRET,
    /// PRUUF_STRIPE_PRICE_MONTHLY, PRUUF_STRIPE_PRICE_ANNUAL (all or none) and,
    /// for the local stand-in only, PRUUF_STRIPE_API_URL. Without them, paying
    /// is off, and trials and grace periods are not ended (nobody can pay).
    pub stripe: Option<app::billing::stripe::StripeSettings>,
    /// Under `cargo leptos watch` (which sets LEPTOS_WATCH): pages may open the
    /// live-reload socket. Never in production.
    pub live_reload: bool,
    /// Keys the digests of one-time codes (at least 32 bytes). Production sets its
    /// own secret; locally a fixed stand-in is used.
    pub secret_key: Vec<u8>,
    /// Keys the audit log's hash chain (at least 32 bytes, PRUUF_AUDIT_KEY). Kept
    /// apart from PRUUF_SECRET_KEY, and never in the database: whoever can write
    /// to the database cannot re-hash history without it.
    pub audit_key: Vec<u8>,
    /// The versions of the Terms and the Privacy Policy people accept; raising one
    /// asks every signed-in person to accept again.
    pub terms_version: String,
    pub privacy_version: String,
    /// Log-in attempts, and code requests or checks, allowed per client address
    /// per hour (each counted separately).
    pub ip_limit_per_hour: u32,
    /// PRUUF_CALLS_PER_DAY (1-20, default 6): calls to one person in 24 hours
    /// (a Member's daily calls and their confirmation, a Contact's alert calls).
    pub calls_per_day: u32,
    /// PRUUF_CALL_RETRY_MINUTES (5-30, default 10): the wait before a daily
    /// call that was not answered is tried again.
    pub call_retry_minutes: u32,
    /// Behind a reverse proxy: the client's address is the last X-Forwarded-For entry.
    pub trust_proxy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{name} is not set; production needs it")]
    Missing { name: &'static str },
    #[error("{name} has an unusable value: {why}")]
    Invalid { name: &'static str, why: String },
    #[error("PRUUF_TEST_CLOCK is on, and a production server refuses to start with a test clock")]
    TestClockInProduction,
}

pub const DEFAULT_DATABASE_URL: &str = "postgres://pruuf@127.0.0.1:55432/pruuf";
pub const DEFAULT_PUBLIC_URL: &str = "http://127.0.0.1:3000";
/// The local mail catcher (maildev) that scripts/run.sh and scripts/test.sh start.
pub const DEFAULT_SMTP_URL: &str = "smtp://127.0.0.1:1025";
pub const DEFAULT_MAIL_FROM: &str = "Pruuf <hello@pruuf.localhost>";
/// The local stand-in for PRUUF_SECRET_KEY; production refuses it.
pub const DEV_SECRET_KEY: &str = "pruuf-local-development-secret-not-for-production";
/// The local stand-in for PRUUF_AUDIT_KEY; production refuses it.
pub const DEV_AUDIT_KEY: &str = "pruuf-local-audit-chain-key-not-for-production";
pub const DEFAULT_POLICY_VERSION: &str = "2026-11-01";

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        Self::from_lookup(|name| vars.get(name).cloned())
    }

    /// Builds the configuration from any source of variables (tests pass a map).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };

        let environment = match var("PRUUF_ENV").as_deref() {
            // Unset means production: a variable left out cannot turn on the test
            // clock, the development secret or plain SMTP. The scripts and
            // `.env.example` say `development` or `test` themselves.
            Some("development") => Environment::Development,
            Some("test") => Environment::Test,
            None | Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "PRUUF_ENV",
                    why: format!("`{other}` is not development, test or production"),
                })
            }
        };
        let production = environment == Environment::Production;
        // Production names every outside service itself; local use gets the
        // local stand-in.
        let required_in_production = |name: &'static str, local: &str| match var(name) {
            Some(value) => Ok(value),
            None if production => Err(ConfigError::Missing { name }),
            None => Ok(local.to_string()),
        };

        let database_url = required_in_production("DATABASE_URL", DEFAULT_DATABASE_URL)?;
        if !(database_url.starts_with("postgres://") || database_url.starts_with("postgresql://")) {
            return Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                why: "expected a postgres:// URL".into(),
            });
        }

        // A whole number within a range, or the default when unset.
        let number = |name: &'static str, default: u32, range: std::ops::RangeInclusive<u32>| {
            match var(name) {
                None => Ok(default),
                Some(v) => v.parse::<u32>().ok().filter(|n| range.contains(n)).ok_or(
                    ConfigError::Invalid {
                        name,
                        why: format!(
                            "expected a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    },
                ),
            }
        };
        // 1/true or 0/false, off when unset.
        let flag = |name: &'static str| match var(name).as_deref() {
            None | Some("0") | Some("false") => Ok(false),
            Some("1") | Some("true") => Ok(true),
            Some(other) => Err(ConfigError::Invalid {
                name,
                why: format!("`{other}` is not 1 or 0"),
            }),
        };

        let database_max_connections = number("PRUUF_DB_MAX_CONNECTIONS", 10, 1..=500)?;
        let database_background_connections =
            number("PRUUF_DB_BACKGROUND_CONNECTIONS", 8, 2..=100)?;

        let public_url = required_in_production("PRUUF_PUBLIC_URL", DEFAULT_PUBLIC_URL)?;
        let (public_origin, https, loopback) = parse_origin(&public_url)?;
        if production && !https {
            return Err(ConfigError::Invalid {
                name: "PRUUF_PUBLIC_URL",
                why: "production is served over https".into(),
            });
        }
        let mut allowed_origins = vec![public_origin.clone()];
        if let Some(port) = loopback {
            for host in ["127.0.0.1", "localhost"] {
                let scheme = if https { "https" } else { "http" };
                let other = format!("{scheme}://{host}:{port}");
                if !allowed_origins.contains(&other) {
                    allowed_origins.push(other);
                }
            }
        }

        let test_clock = flag("PRUUF_TEST_CLOCK")?;
        if production && test_clock {
            return Err(ConfigError::TestClockInProduction);
        }

        let smtp_url = required_in_production("PRUUF_SMTP_URL", DEFAULT_SMTP_URL)?;
        if production && !app::notify::email::url_requires_tls(&smtp_url) {
            return Err(ConfigError::Invalid {
                name: "PRUUF_SMTP_URL",
                why: "production mail goes over TLS (smtps://, or ?tls=required)".into(),
            });
        }
        let mail_from = required_in_production("PRUUF_MAIL_FROM", DEFAULT_MAIL_FROM)?;

        let live_reload = !production && var("LEPTOS_WATCH").is_some();

        let secret_key = required_in_production("PRUUF_SECRET_KEY", DEV_SECRET_KEY)?.into_bytes();
        if secret_key.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "PRUUF_SECRET_KEY",
                why: "it must be at least 32 characters (e.g. `openssl rand -hex 32`)".into(),
            });
        }
        if production && secret_key == DEV_SECRET_KEY.as_bytes() {
            return Err(ConfigError::Invalid {
                name: "PRUUF_SECRET_KEY",
                why: "production needs its own secret, not the development stand-in".into(),
            });
        }
        let audit_key = required_in_production("PRUUF_AUDIT_KEY", DEV_AUDIT_KEY)?.into_bytes();
        if audit_key.len() < 32 {
            return Err(ConfigError::Invalid {
                name: "PRUUF_AUDIT_KEY",
                why: "it must be at least 32 characters (e.g. `openssl rand -hex 32`)".into(),
            });
        }
        if production && (audit_key == DEV_AUDIT_KEY.as_bytes() || audit_key == secret_key) {
            return Err(ConfigError::Invalid {
                name: "PRUUF_AUDIT_KEY",
                why: "production needs its own audit key, unlike the development stand-in and PRUUF_SECRET_KEY".into(),
            });
        }
        let terms_version =
            var("PRUUF_TERMS_VERSION").unwrap_or_else(|| DEFAULT_POLICY_VERSION.into());
        let privacy_version =
            var("PRUUF_PRIVACY_VERSION").unwrap_or_else(|| DEFAULT_POLICY_VERSION.into());
        let ip_limit_per_hour = number(
            "PRUUF_IP_LIMIT_PER_HOUR",
            app::accounts::rules::IP_ATTEMPTS_PER_HOUR,
            1..=1_000_000,
        )?;
        let calls_per_day = number("PRUUF_CALLS_PER_DAY", 6, 1..=20)?;
        let call_retry_minutes = number("PRUUF_CALL_RETRY_MINUTES", 10, 5..=30)?;
        let trust_proxy = flag("PRUUF_TRUST_PROXY")?;
        let vapid_private_key = var("PRUUF_VAPID_PRIVATE_KEY");
        let sms_countries = list(
            var("PRUUF_SMS_COUNTRIES"),
            app::phones::rules::DEFAULT_SMS_COUNTRIES,
        )
        .into_iter()
        .map(|c| c.to_ascii_uppercase())
        .collect();
        let push_hosts = list(
            var("PRUUF_PUSH_HOSTS"),
            app::notify::push::DEFAULT_PUSH_HOSTS,
        )
        .into_iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
        let metrics_token = match var("PRUUF_METRICS_TOKEN") {
            Some(t) if t.len() < 24 => {
                return Err(ConfigError::Invalid {
                    name: "PRUUF_METRICS_TOKEN",
                    why: "use at least 24 characters".into(),
                })
            }
            other => other,
        };
        let twilio = match (
            var("PRUUF_TWILIO_ACCOUNT_SID"),
            var("PRUUF_TWILIO_AUTH_TOKEN"),
            var("PRUUF_TWILIO_FROM"),
        ) {
            (Some(account_sid), Some(auth_token), Some(from)) => {
                let from = app::phones::rules::normalise_phone(&from).map_err(|_| {
                    ConfigError::Invalid {
                        name: "PRUUF_TWILIO_FROM",
                        why: "expected a phone number, e.g. +15005550006".into(),
                    }
                })?;
                let api_url =
                    var("PRUUF_TWILIO_API_URL").unwrap_or_else(|| "https://api.twilio.com".into());
                if production && !api_url.starts_with("https://") {
                    return Err(ConfigError::Invalid {
                        name: "PRUUF_TWILIO_API_URL",
                        why: "production talks to Twilio over https".into(),
                    });
                }
                Some(app::notify::twilio::TwilioSettings {
                    account_sid,
                    auth_token,
                    from,
                    api_url,
                })
            }
            (None, None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "PRUUF_TWILIO_ACCOUNT_SID",
                    why: "set all of PRUUF_TWILIO_ACCOUNT_SID, PRUUF_TWILIO_AUTH_TOKEN and PRUUF_TWILIO_FROM, or none".into(),
                })
            }
        };
        let stripe = match (
            var("PRUUF_STRIPE_SECRET_KEY"),
            var("PRUUF_STRIPE_WEBHOOK_SECRET"),
            var("PRUUF_STRIPE_PRICE_MONTHLY"),
            var("PRUUF_STRIPE_PRICE_ANNUAL"),
        ) {
            (Some(secret_key), Some(webhook_secret), Some(price_monthly), Some(price_annual)) => {
                let api_url = var("PRUUF_STRIPE_API_URL");
                if production && api_url.is_some() {
                    return Err(ConfigError::Invalid {
                        name: "PRUUF_STRIPE_API_URL",
                        why: "production talks to Stripe's own API; unset it".into(),
                    });
                }
                Some(app::billing::stripe::StripeSettings {
                    secret_key,
                    webhook_secret,
                    price_monthly,
                    price_annual,
                    api_url,
                })
            }
            (None, None, None, None) => None,
            _ => {
                return Err(ConfigError::Invalid {
                    name: "PRUUF_STRIPE_SECRET_KEY",
                    why: "set all of PRUUF_STRIPE_SECRET_KEY, PRUUF_STRIPE_WEBHOOK_SECRET, PRUUF_STRIPE_PRICE_MONTHLY and PRUUF_STRIPE_PRICE_ANNUAL, or none".into(),
                })
            }
        };

        Ok(Config {
            environment,
            database_url,
            database_max_connections,
            database_background_connections,
            public_origin,
            allowed_origins,
            secure_cookies: https,
            test_clock,
            smtp_url,
            mail_from,
            vapid_private_key,
            push_hosts,
            sms_countries,
            metrics_token,
            twilio,
            stripe,
            live_reload,
            secret_key,
            audit_key,
            terms_version,
            privacy_version,
            ip_limit_per_hour,
            calls_per_day,
            call_retry_minutes,
            trust_proxy,
        })
    }
}

/// `https://Example.org:8443/path` → (`https://example.org:8443`, https, loopback port).
fn parse_origin(raw: &str) -> Result<(String, bool, Option<u16>), ConfigError> {
    let invalid = |why: &str| ConfigError::Invalid {
        name: "PRUUF_PUBLIC_URL",
        why: why.to_string(),
    };
    let url = url::Url::parse(raw).map_err(|_| invalid("not a URL"))?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err(invalid("expected http or https")),
    };
    let host = url
        .host_str()
        .ok_or_else(|| invalid("no host"))?
        .to_ascii_lowercase();
    let origin = url.origin().ascii_serialization();
    let loopback = matches!(host.as_str(), "127.0.0.1" | "localhost")
        .then(|| url.port_or_known_default())
        .flatten();
    Ok((origin, https, loopback))
}

/// A comma-separated list from the environment, or the default.
fn list(value: Option<String>, default: &[&str]) -> Vec<String> {
    match value {
        Some(v) => v
            .split(',')
            .map(|x| x.trim().to_string())
            .filter(|x| !x.is_empty())
            .collect(),
        None => default.iter().map(|x| x.to_string()).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration as the local scripts give it (`PRUUF_ENV=development` unless
    /// the pairs say otherwise).
    fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        map.entry("PRUUF_ENV".into())
            .or_insert_with(|| "development".into());
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn no_pruuf_env_means_production_and_its_checks() {
        let bare = Config::from_lookup(|_| None).expect_err("production needs its own settings");
        assert_eq!(
            bare,
            config(&[("PRUUF_ENV", "production")]).expect_err("no db")
        );
        let only_clock = Config::from_lookup(|k| match k {
            "DATABASE_URL" => Some("postgres://db/pruuf".into()),
            "PRUUF_PUBLIC_URL" => Some("https://pruuf.example".into()),
            "PRUUF_SMTP_URL" => Some("smtps://u:p@smtp.example:465".into()),
            "PRUUF_MAIL_FROM" => Some("Pruuf <hello@pruuf.example>".into()),
            "PRUUF_SECRET_KEY" => Some(PROD_KEY.into()),
            "PRUUF_AUDIT_KEY" => Some(PROD_AUDIT_KEY.into()),
            "PRUUF_TEST_CLOCK" => Some("1".into()),
            _ => None,
        });
        assert!(
            only_clock.is_err(),
            "the test clock is refused without PRUUF_ENV"
        );
    }

    const PROD_KEY: &str = "0123456789abcdef0123456789abcdef-production";
    const PROD_AUDIT_KEY: &str = "fedcba9876543210fedcba9876543210-audit-chain";

    #[test]
    fn production_needs_its_own_long_secret() {
        let base = [
            ("PRUUF_ENV", "production"),
            ("DATABASE_URL", "postgres://db/pruuf"),
            ("PRUUF_PUBLIC_URL", "https://pruuf.example"),
            ("PRUUF_SMTP_URL", "smtps://u:p@smtp.example:465"),
            ("PRUUF_MAIL_FROM", "Pruuf <hello@pruuf.example>"),
        ];
        assert_eq!(
            config(&base).expect_err("no key"),
            ConfigError::Missing {
                name: "PRUUF_SECRET_KEY"
            }
        );
        for bad in ["short", DEV_SECRET_KEY] {
            let with = [&base[..], &[("PRUUF_SECRET_KEY", bad)]].concat();
            assert!(matches!(
                config(&with),
                Err(ConfigError::Invalid {
                    name: "PRUUF_SECRET_KEY",
                    ..
                })
            ));
        }
        let keyed = [&base[..], &[("PRUUF_SECRET_KEY", PROD_KEY)]].concat();
        assert_eq!(
            config(&keyed).expect_err("no audit key"),
            ConfigError::Missing {
                name: "PRUUF_AUDIT_KEY"
            }
        );
        for bad in ["short", DEV_AUDIT_KEY, PROD_KEY] {
            let with = [&keyed[..], &[("PRUUF_AUDIT_KEY", bad)]].concat();
            assert!(matches!(
                config(&with),
                Err(ConfigError::Invalid {
                    name: "PRUUF_AUDIT_KEY",
                    ..
                })
            ));
        }
        let good = [&keyed[..], &[("PRUUF_AUDIT_KEY", PROD_AUDIT_KEY)]].concat();
        let c = config(&good).expect("valid");
        assert_eq!(c.secret_key, PROD_KEY.as_bytes());
        assert_eq!(c.audit_key, PROD_AUDIT_KEY.as_bytes());
    }

    #[test]
    fn limits_and_policy_versions_have_defaults_and_can_be_set() {
        let c = config(&[]).expect("defaults");
        assert_eq!(c.ip_limit_per_hour, 20);
        assert_eq!(c.terms_version, DEFAULT_POLICY_VERSION);
        assert!(!c.trust_proxy);
        let c = config(&[
            ("PRUUF_IP_LIMIT_PER_HOUR", "500"),
            ("PRUUF_TERMS_VERSION", "2027-01-01"),
            ("PRUUF_TRUST_PROXY", "1"),
        ])
        .expect("valid");
        assert_eq!(c.ip_limit_per_hour, 500);
        assert_eq!(c.terms_version, "2027-01-01");
        assert!(c.trust_proxy);
        assert!(matches!(
            config(&[("PRUUF_IP_LIMIT_PER_HOUR", "0")]),
            Err(ConfigError::Invalid {
                name: "PRUUF_IP_LIMIT_PER_HOUR",
                ..
            })
        ));
    }

    #[test]
    fn local_use_needs_nothing() {
        let c = config(&[]).expect("defaults");
        assert_eq!(c.environment, Environment::Development);
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(c.public_origin, "http://127.0.0.1:3000");
        assert_eq!(
            c.allowed_origins,
            vec!["http://127.0.0.1:3000", "http://localhost:3000"]
        );
        assert!(!c.secure_cookies);
        assert!(!c.test_clock);
        assert!(!c.live_reload);
    }

    #[test]
    fn live_reload_only_under_watch_and_never_in_production() {
        assert!(
            config(&[("LEPTOS_WATCH", "true")])
                .expect("dev")
                .live_reload
        );
        let prod = config(&[
            ("PRUUF_ENV", "production"),
            ("DATABASE_URL", "postgres://db/pruuf"),
            ("PRUUF_PUBLIC_URL", "https://pruuf.example"),
            ("PRUUF_SMTP_URL", "smtps://u:p@smtp.example:465"),
            ("PRUUF_MAIL_FROM", "Pruuf <hello@pruuf.example>"),
            ("PRUUF_SECRET_KEY", PROD_KEY),
            ("PRUUF_AUDIT_KEY", PROD_AUDIT_KEY),
            ("LEPTOS_WATCH", "true"),
        ])
        .expect("valid");
        assert!(!prod.live_reload);
    }

    #[test]
    fn production_refuses_a_test_clock() {
        let err = config(&[
            ("PRUUF_ENV", "production"),
            ("DATABASE_URL", "postgres://db/pruuf"),
            ("PRUUF_PUBLIC_URL", "https://pruuf.example"),
            ("PRUUF_TEST_CLOCK", "1"),
        ])
        .expect_err("must refuse");
        assert_eq!(err, ConfigError::TestClockInProduction);
    }

    #[test]
    fn production_names_its_database_and_https_url() {
        assert_eq!(
            config(&[("PRUUF_ENV", "production")]).expect_err("no db"),
            ConfigError::Missing {
                name: "DATABASE_URL"
            }
        );
        let err = config(&[
            ("PRUUF_ENV", "production"),
            ("DATABASE_URL", "postgres://db/pruuf"),
            ("PRUUF_PUBLIC_URL", "http://pruuf.example"),
        ])
        .expect_err("plain http");
        assert!(matches!(
            err,
            ConfigError::Invalid {
                name: "PRUUF_PUBLIC_URL",
                ..
            }
        ));

        let ok = config(&[
            ("PRUUF_ENV", "production"),
            ("DATABASE_URL", "postgres://db/pruuf"),
            ("PRUUF_PUBLIC_URL", "https://Pruuf.Example/app"),
            ("PRUUF_SMTP_URL", "smtps://u:p@smtp.example:465"),
            ("PRUUF_MAIL_FROM", "Pruuf <hello@pruuf.example>"),
            ("PRUUF_SECRET_KEY", PROD_KEY),
            ("PRUUF_AUDIT_KEY", PROD_AUDIT_KEY),
        ])
        .expect("valid");
        assert_eq!(ok.public_origin, "https://pruuf.example");
        assert_eq!(ok.allowed_origins, vec!["https://pruuf.example"]);
        assert!(ok.secure_cookies);
    }

    #[test]
    fn production_mail_is_encrypted() {
        let base = [
            ("PRUUF_ENV", "production"),
            ("DATABASE_URL", "postgres://db/pruuf"),
            ("PRUUF_PUBLIC_URL", "https://pruuf.example"),
            ("PRUUF_MAIL_FROM", "Pruuf <hello@pruuf.example>"),
            ("PRUUF_SECRET_KEY", PROD_KEY),
            ("PRUUF_AUDIT_KEY", PROD_AUDIT_KEY),
        ];
        assert_eq!(
            config(&base).expect_err("no relay"),
            ConfigError::Missing {
                name: "PRUUF_SMTP_URL"
            }
        );
        let plain = [&base[..], &[("PRUUF_SMTP_URL", "smtp://smtp.example:25")]].concat();
        assert!(matches!(
            config(&plain),
            Err(ConfigError::Invalid {
                name: "PRUUF_SMTP_URL",
                ..
            })
        ));
        let tls = [
            &base[..],
            &[("PRUUF_SMTP_URL", "smtp://smtp.example:587?tls=required")],
        ]
        .concat();
        assert!(config(&tls).is_ok());
    }

    #[test]
    fn nonsense_values_are_named() {
        assert!(matches!(
            config(&[("PRUUF_ENV", "staging")]),
            Err(ConfigError::Invalid {
                name: "PRUUF_ENV",
                ..
            })
        ));
        assert!(matches!(
            config(&[("PRUUF_TEST_CLOCK", "yes please")]),
            Err(ConfigError::Invalid {
                name: "PRUUF_TEST_CLOCK",
                ..
            })
        ));
        assert!(matches!(
            config(&[("PRUUF_DB_MAX_CONNECTIONS", "0")]),
            Err(ConfigError::Invalid {
                name: "PRUUF_DB_MAX_CONNECTIONS",
                ..
            })
        ));
        assert!(matches!(
            config(&[("DATABASE_URL", "mysql://db/pruuf")]),
            Err(ConfigError::Invalid {
                name: "DATABASE_URL",
                ..
            })
        ));
        assert!(matches!(
            config(&[("PRUUF_PUBLIC_URL", "ftp://x")]),
            Err(ConfigError::Invalid {
                name: "PRUUF_PUBLIC_URL",
                ..
            })
        ));
    }
}

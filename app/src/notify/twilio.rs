//! The Twilio sender (server only): the Messages and Calls REST APIs over HTTPS,
//! as Twilio documents them (`POST /2010-04-01/Accounts/{sid}/Messages.json` or
//! `Calls.json`, form-encoded,
//! HTTP basic auth with the account SID and auth token), with a status callback
//! so Twilio tells us when a text is delivered or fails. The base URL is
//! configurable: tests and local runs point it at the stand-in in the
//! test-support crate, which speaks the same protocol.
use super::rules::{read_twilio_error, NumberFate, SendError};

/// Twilio's settings, all from the environment.
#[derive(Clone)]
pub struct TwilioSettings {
    pub account_sid: String,
    pub auth_token: String,
    /// Our number, in E.164.
    pub from: String,
    /// `https://api.twilio.com`, or a stand-in.
    pub api_url: String,
}

impl std::fmt::Debug for TwilioSettings {
    // The token never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwilioSettings")
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// Why a text was not taken, and what it says about the number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotSent {
    pub error: SendError,
    pub fate: NumberFate,
}

pub struct TwilioClient {
    settings: TwilioSettings,
    http: reqwest::Client,
}

#[derive(serde::Deserialize)]
struct Accepted {
    sid: String,
}

#[derive(serde::Deserialize)]
struct Refused {
    code: Option<i64>,
    message: Option<String>,
}

impl TwilioClient {
    pub fn new(settings: TwilioSettings) -> Self {
        let http = reqwest::Client::builder()
            .timeout(super::rules::TWILIO_TIMEOUT)
            .build()
            .unwrap_or_default();
        TwilioClient { settings, http }
    }

    pub fn settings(&self) -> &TwilioSettings {
        &self.settings
    }

    /// Sends one text; the message id (`SM…`) when Twilio took it.
    pub async fn send(
        &self,
        to: &str,
        body: &str,
        status_callback: &str,
    ) -> Result<String, NotSent> {
        let form = [
            ("To", to),
            ("From", self.settings.from.as_str()),
            ("Body", body),
            ("StatusCallback", status_callback),
        ];
        self.create("Messages.json", &form).await
    }

    /// Places one call (Programmable Voice's Calls resource): Twilio fetches
    /// what to say from `url` when it is answered (with answering-machine
    /// detection, so a voicemail is told apart), and posts its end to
    /// `status_callback`. The call id (`CA…`) when Twilio took it.
    pub async fn call(
        &self,
        to: &str,
        url: &str,
        status_callback: &str,
    ) -> Result<String, NotSent> {
        let form = [
            ("To", to),
            ("From", self.settings.from.as_str()),
            ("Url", url),
            ("Method", "POST"),
            ("StatusCallback", status_callback),
            ("StatusCallbackMethod", "POST"),
            ("MachineDetection", "Enable"),
            // Ring for 30 seconds, as a person needs to reach the phone.
            ("Timeout", "30"),
        ];
        self.create("Calls.json", &form).await
    }

    /// Creates one resource of the account (a message, a call); its id.
    async fn create(&self, resource: &str, form: &[(&str, &str)]) -> Result<String, NotSent> {
        let url = format!(
            "{}/2010-04-01/Accounts/{}/{resource}",
            self.settings.api_url.trim_end_matches('/'),
            self.settings.account_sid
        );
        let response = self
            .http
            .post(&url)
            .basic_auth(&self.settings.account_sid, Some(&self.settings.auth_token))
            .form(form)
            .send()
            .await
            .map_err(|e| NotSent {
                error: SendError::Transient(if e.is_timeout() {
                    "Twilio did not answer in time".into()
                } else {
                    "Twilio could not be reached".into()
                }),
                fate: NumberFate::Unchanged,
            })?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        if (200..300).contains(&status) {
            return serde_json::from_str::<Accepted>(&text)
                .map(|a| a.sid)
                .map_err(|_| NotSent {
                    error: SendError::Transient("Twilio's answer could not be read".into()),
                    fate: NumberFate::Unchanged,
                });
        }
        let refused: Option<Refused> = serde_json::from_str(&text).ok();
        let code = refused.as_ref().and_then(|r| r.code);
        let (retry, fate) = read_twilio_error(status, code);
        // Twilio's message names the number; only its code and status are kept.
        let _ = refused.and_then(|r| r.message);
        let words = match code {
            Some(c) => format!("Twilio answered {status} (error {c})"),
            None => format!("Twilio answered {status}"),
        };
        Err(NotSent {
            error: if retry {
                SendError::Transient(words)
            } else {
                SendError::Permanent(words)
            },
            fate,
        })
    }
}

//! Email through a real SMTP client (lettre). Locally and in tests it talks to the
//! maildev catcher on 127.0.0.1 that the scripts start; production names its relay
//! in PRUUF_SMTP_URL (TLS required). Every mail has a plain-text and an HTML body.
//! Recipients never appear in logs.
use super::smtp::{Relay, SmtpPool};
use crate::validation::Email;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::sync::Arc;
use std::time::Duration;

/// Open connections to the relay per process: the email channel's `at_once`
/// (alerts) plus a few for sign-in codes and notices sent from requests.
const POOLED_CONNECTIONS: u32 = 40;

/// One try, from taking a connection to the relay's answer to the mail's end,
/// ends within this. A relay that accepts a connection and then stops answering
/// would otherwise hold the sender (a sign-in request, or a delivery worker's
/// slot) for ever; the try ends as a passing failure and its connection, in an
/// unknown state, is closed rather than kept.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(20);

#[derive(Debug, Clone)]
pub struct OutgoingMail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The `Message-ID` to use (with its angle brackets); `None`: a fresh one.
    pub message_id: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("PRUUF_SMTP_URL is not a usable SMTP URL")]
    BadUrl,
    #[error("PRUUF_MAIL_FROM is not a usable sender address")]
    BadSender,
    #[error("the mail could not be built")]
    Build,
    /// The relay could not be reached or refused the mail; worth trying again.
    #[error("the mail relay did not take the mail: {0}")]
    NotSent(String),
    /// The relay refused the mail for good (a 5xx: no such mailbox, say).
    #[error("the mail relay refused the mail for good: {0}")]
    Refused(String),
}

/// How mail reaches the relay.
#[derive(Clone)]
enum Transport {
    /// `smtp://`: our own pool, sockets with `TCP_NODELAY` (see `smtp`).
    Own(Arc<SmtpPool>),
    /// `smtps://`: lettre's pooled transport.
    Lettre(AsyncSmtpTransport<Tokio1Executor>),
}

/// One try's failure: whether it is final, and the relay's reply code if any.
struct Failure {
    permanent: bool,
    code: Option<String>,
}

#[derive(Clone)]
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    answer_within: Duration,
}

impl Mailer {
    pub fn new(smtp_url: &str, from: &str) -> Result<Self, MailError> {
        let from = from.parse::<Mailbox>().map_err(|_| MailError::BadSender)?;
        // Pooled connections (lettre's `pool`): built inside the Tokio runtime. As
        // many as the workers send at once, so no send waits for a connection.
        let transport = match Relay::from_url(smtp_url) {
            Some(relay) => {
                Transport::Own(Arc::new(SmtpPool::new(relay, POOLED_CONNECTIONS as usize)))
            }
            None => Transport::Lettre(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
                    .map_err(|_| MailError::BadUrl)?
                    .timeout(Some(Duration::from_secs(10)))
                    .pool_config(PoolConfig::new().max_size(POOLED_CONNECTIONS))
                    .build(),
            ),
        };
        Ok(Mailer {
            transport,
            from,
            answer_within: ANSWER_WITHIN,
        })
    }

    /// The same mailer with another limit on one try (tests use a short one).
    pub fn answering_within(mut self, limit: Duration) -> Self {
        self.answer_within = limit;
        self
    }

    /// One try, no second: what a pooled connection the relay closed costs
    /// (nothing, if the pool does its job).
    pub async fn send_once(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = self.build(mail)?;
        self.try_send(&message).await.map_err(|e| {
            let code = e.code.unwrap_or_else(|| "no answer".into());
            if e.permanent {
                MailError::Refused(code)
            } else {
                MailError::NotSent(code)
            }
        })
    }

    fn build(&self, mail: &OutgoingMail) -> Result<Message, MailError> {
        let to = mail
            .to
            .as_str()
            .parse::<Mailbox>()
            .map_err(|_| MailError::Build)?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(mail.message_id.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|_| MailError::Build)
    }

    /// One try, ended after `answer_within` whatever the relay does.
    async fn try_send(&self, message: &Message) -> Result<(), Failure> {
        match tokio::time::timeout(self.answer_within, self.try_send_unbounded(message)).await {
            Ok(outcome) => outcome,
            Err(_) => Err(Failure {
                permanent: false,
                code: None,
            }),
        }
    }

    /// One try, as long as the relay takes. Dropped mid-way (the limit), the
    /// connection in use is closed with it, never put back to rest.
    async fn try_send_unbounded(&self, message: &Message) -> Result<(), Failure> {
        match &self.transport {
            Transport::Own(pool) => pool
                .send(message.envelope(), &message.formatted())
                .await
                .map_err(|e| Failure {
                    permanent: e.is_permanent(),
                    code: e.code(),
                }),
            Transport::Lettre(t) => {
                t.send(message.clone())
                    .await
                    .map(|_| ())
                    .map_err(|e| Failure {
                        permanent: e.is_permanent(),
                        code: e.status().map(|c| c.to_string()),
                    })
            }
        }
    }

    /// Sends once, trying again up to twice on a passing failure.
    pub async fn send(&self, mail: &OutgoingMail) -> Result<(), MailError> {
        let message = self.build(mail)?;
        let mut last = String::new();
        for attempt in 1..=3u32 {
            match self.try_send(&message).await {
                Ok(()) => return Ok(()),
                Err(e) => {
                    // The reply code only: a relay's words may name the recipient.
                    last = e
                        .code
                        .map(|code| format!("the relay answered {code}"))
                        .unwrap_or_else(|| "no answer from the relay".to_string());
                    tracing::warn!(attempt, error = %last, "sending a mail failed");
                    if e.permanent {
                        tracing::error!(error = %last, "the relay refused a mail for good");
                        return Err(MailError::Refused(last));
                    }
                    if attempt < 3 {
                        tokio::time::sleep(Duration::from_millis(250 * u64::from(attempt))).await;
                    }
                }
            }
        }
        tracing::error!(error = %last, "a mail was not sent");
        Err(MailError::NotSent(last))
    }
}

/// The one HTML shell of every Pruuf mail: large type, near-black on white.
pub fn html_page(inner: &str) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><body style=\"font-family:sans-serif;font-size:18px;line-height:1.6;color:#1c1b19\">{inner}</body></html>"
    )
}

/// A large green button (a link sized for a finger and read at a glance).
/// `url` is one Pruuf built; `label` is escaped.
pub fn html_button(url: &str, label: &str) -> String {
    format!(
        "<p><a href=\"{url}\" style=\"display:inline-block;padding:16px 24px;background:#1b5e20;color:#ffffff;border-radius:12px;text-decoration:none;font-weight:700\">{}</a></p>",
        escape_html(label)
    )
}

/// Text made safe to put inside an HTML mail body.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Does this URL encrypt the connection (implicit TLS or STARTTLS required)?
pub fn url_requires_tls(smtp_url: &str) -> bool {
    smtp_url.starts_with("smtps://") || smtp_url.contains("tls=required")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_encrypted_relays_count_as_tls() {
        assert!(url_requires_tls("smtps://user:pw@smtp.example:465"));
        assert!(url_requires_tls("smtp://smtp.example:587?tls=required"));
        assert!(!url_requires_tls("smtp://127.0.0.1:1025"));
        assert!(!url_requires_tls(
            "smtp://smtp.example:587?tls=opportunistic"
        ));
    }

    // The SMTP connection pool starts a task: a Tokio runtime is needed, as in the server.
    #[tokio::test]
    async fn bad_settings_are_named() {
        assert!(matches!(
            Mailer::new("http://x", "a@b.io"),
            Err(MailError::BadUrl)
        ));
        assert!(matches!(
            Mailer::new("smtp://127.0.0.1:1025", "not an address"),
            Err(MailError::BadSender)
        ));
    }
}

//! The delivery workers (server only): each pass claims what is due on its
//! channels, sends it side by side (each channel's `at_once`, each send under its
//! deadline), and records the provider's answer. One sender per channel; adding a
//! channel is one arm of `send_one`.
use super::email::{escape_html, html_button, html_page, OutgoingMail};
use super::outbox::{self as store, ClaimedRow};
use super::rules::{self, AfterFailure, SendError};
use crate::validation::Email;
use serde_json::json;

/// Channels with a sender: each is one arm of `send_one` and one worker.
pub const CHANNELS: &[&str] = &["email", "push", "sms"];

/// What one worker pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WorkerPass {
    pub claimed: usize,
    /// Claimed, but another worker took them first (this one's claim had run out).
    pub skipped: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
}

/// What became of one claimed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Another worker took it first (this one's claim had run out).
    Skipped,
    Sent,
    Retried,
    Failed,
}

impl WorkerPass {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Skipped => self.skipped += 1,
            Outcome::Sent => self.sent += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Failed => self.failed += 1,
        }
    }
}

crate::services::facade! {
    /// The delivery workers: claim, send, record.
    Worker
}

impl<'a> Worker<'a> {
    /// The web push sender, made on first use (its key may come from the database).
    pub async fn push_sender(self) -> Result<&'a super::push::PushSender, sqlx::Error> {
        let services = self.0;
        services
            .push
            .get_or_try_init(|| async {
                let keys = super::push::VapidKeys::load_or_create(
                    &services.pool,
                    services.settings.vapid_private_key.as_deref(),
                )
                .await?;
                Ok(super::push::PushSender::new(
                    keys,
                    services.settings.vapid_contact.clone(),
                ))
            })
            .await
    }
}

impl Worker<'_> {
    /// One worker pass over `channels`: sends what is due, up to
    /// [`rules::PASS_CLAIMS`] rows (the caller runs passes until one claims none). Up to the channel's
    /// `at_once` sends run together (a mail waiting on its relay does not hold the
    /// next one), each under its deadline; a fresh claim is made as slots free up.
    pub async fn deliver(self, channels: &[&str]) -> Result<WorkerPass, sqlx::Error> {
        let at_once = channels
            .iter()
            .map(|c| rules::send_limits(c).at_once)
            .min()
            .unwrap_or(1);
        let mut pass = WorkerPass::default();
        let mut waiting = std::collections::VecDeque::new();
        // Each send is its own task: it goes on (and gives its database connection
        // back) while this loop waits for a claim.
        let mut sending = tokio::task::JoinSet::new();
        let mut drained = false;
        let mut failure = None;
        loop {
            if waiting.is_empty()
                && !drained
                && failure.is_none()
                && sending.len() < at_once
                && pass.claimed < rules::PASS_CLAIMS
            {
                let now = self.clock.now();
                match store::claim_deliveries(
                    &self.pool,
                    channels,
                    now,
                    now + rules::LEASE,
                    at_once as i64,
                )
                .await
                {
                    Ok(claimed) => {
                        drained = claimed.is_empty();
                        pass.claimed += claimed.len();
                        waiting.extend(claimed);
                    }
                    Err(e) => failure = Some(e),
                }
            }
            while sending.len() < at_once {
                let Some(d) = waiting.pop_front() else { break };
                let services = self.0.clone();
                sending.spawn(async move { Worker(&services).handle_claimed(d).await });
            }
            match sending.join_next().await {
                Some(Ok(Ok(outcome))) => pass.count(outcome),
                // The row stays claimed; its lease runs out and it is sent then.
                Some(Ok(Err(e))) => failure = Some(e),
                Some(Err(panicked)) => {
                    tracing::error!(error = %panicked, "a send panicked; its claim runs out and it is tried again")
                }
                None => break,
            }
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(pass),
        }
    }

    /// Takes one claimed delivery (the lease starts again, the try is counted),
    /// sends it and records the answer; skips it if another worker took it since.
    pub async fn send_claimed(
        self,
        d: ClaimedRow,
        pass: &mut WorkerPass,
    ) -> Result<(), sqlx::Error> {
        pass.count(self.handle_claimed(d).await?);
        Ok(())
    }

    async fn handle_claimed(self, d: ClaimedRow) -> Result<Outcome, sqlx::Error> {
        let now = self.clock.now();
        let Some(attempts) =
            store::take_delivery(&self.pool, d.id, d.attempts, now + rules::LEASE).await?
        else {
            return Ok(Outcome::Skipped);
        };
        let d = ClaimedRow { attempts, ..d };
        let limits = rules::send_limits(&d.channel);
        // Safe to drop at the deadline: a sender opens no transaction.
        let result = tokio::time::timeout(limits.deadline, self.send_one(&d))
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Transient(format!(
                    "no answer within {} s",
                    limits.deadline.as_secs()
                )))
            });
        self.record(&d, result).await
    }

    /// Records a provider's answer to one attempt.
    pub async fn record(
        self,
        d: &ClaimedRow,
        result: Result<Option<String>, SendError>,
    ) -> Result<Outcome, sqlx::Error> {
        let now = self.clock.now();
        match result {
            Ok(provider_id) => {
                store::mark_sent(&self.pool, d.id, d.attempts, provider_id.as_deref(), now).await?;
                Ok(Outcome::Sent)
            }
            Err(error) => {
                let words = match &error {
                    SendError::Transient(w) | SendError::Permanent(w) => w.clone(),
                };
                let keep_until =
                    rules::is_alert(&d.kind).then(|| d.created_at + rules::ALERT_KEEPS_TRYING);
                match rules::after_failure(&error, d.attempts, now, keep_until) {
                    AfterFailure::RetryAt(at) => {
                        tracing::warn!(delivery = %d.id, channel = %d.channel, attempt = d.attempts, error = %words, "delivery failed; will try again");
                        store::mark_retry(&self.pool, d.id, d.attempts, at, &words).await?;
                        Ok(Outcome::Retried)
                    }
                    AfterFailure::GiveUp => {
                        tracing::error!(delivery = %d.id, channel = %d.channel, attempt = d.attempts, error = %words, "delivery failed for good");
                        store::mark_failed(&self.pool, d.id, d.attempts, &words).await?;
                        Ok(Outcome::Failed)
                    }
                }
            }
        }
    }

    /// Sends one delivery by its channel. Adding a channel is one arm here.
    pub async fn send_one(self, d: &ClaimedRow) -> Result<Option<String>, SendError> {
        match d.channel.as_str() {
            "email" => self.send_email(d).await,
            "push" => self.send_push(d).await,
            "sms" => self.send_sms(d).await,
            other => Err(SendError::Permanent(format!(
                "no sender for channel {other}"
            ))),
        }
    }

    async fn send_email(self, d: &ClaimedRow) -> Result<Option<String>, SendError> {
        let to = Email::parse(&d.address)
            .map_err(|_| SendError::Permanent("unusable address".into()))?;
        let text = |k: &str| d.payload[k].as_str().unwrap_or_default().to_string();
        let (title, body, link) = (
            rules::title_of(&text("title"), d.maybe_sent),
            text("body"),
            text("link"),
        );
        let url = format!("{}{}", self.settings.public_url.trim_end_matches('/'), link);
        let action = rules::action_words(&d.kind);
        let why = if d.kind.starts_with("checked_in") {
            format!(
                "You asked to hear about every check-in. To change that: {}/settings/alerts",
                self.settings.public_url.trim_end_matches('/')
            )
        } else {
            "You get this because you look out for them on Pruuf.".to_string()
        };
        let mail = OutgoingMail {
            to,
            subject: title.clone(),
            // One id per delivery, the same on every try: a mail system that sees
            // it twice can tell it is one message.
            message_id: Some(format!("<{}@{}>", d.id, self.settings.mail_domain())),
            text: format!("{body}\n\n{action}: {url}\n\n{why}\n"),
            html: html_page(&format!(
                "<h1 style=\"font-size:24px\">{}</h1><p>{}</p>{}<p style=\"color:#3d3a35\">{}</p>",
                escape_html(&title),
                escape_html(&body),
                html_button(&url, action),
                escape_html(&why)
            )),
        };
        self.mailer
            .send(&mail)
            .await
            .map(|_| None)
            .map_err(|e| match e {
                super::email::MailError::Refused(code) => {
                    SendError::Permanent(format!("the mail relay refused it for good ({code})"))
                }
                super::email::MailError::NotSent(_) => {
                    SendError::Transient("the mail relay did not take it".into())
                }
                _ => SendError::Permanent("the mail could not be built".into()),
            })
    }

    /// Pushes to every browser of the recipient: sent when one took it; a
    /// subscription the service calls gone is deleted.
    async fn send_push(self, d: &ClaimedRow) -> Result<Option<String>, SendError> {
        use super::push::{delete_subscription, subscriptions_of, PushOutcome};
        let unavailable = |_| SendError::Transient("the database did not answer".into());
        let sender = self.push_sender().await.map_err(unavailable)?;
        let mut conn = self.pool.acquire().await.map_err(unavailable)?;
        let subs = subscriptions_of(&mut conn, d.recipient_id)
            .await
            .map_err(unavailable)?;
        drop(conn);
        let text = |k: &str| d.payload[k].as_str().unwrap_or_default().to_string();
        let mut message = json!({ "title": rules::title_of(&text("title"), d.maybe_sent), "body": text("body"), "url": text("link"), "kind": d.kind });
        // A reminder's "I'm OK" button: its token and where to post it.
        for extra in ["token", "checkin"] {
            if let Some(v) = d.payload.get(extra) {
                message[extra] = v.clone();
            }
        }
        let bytes = message.to_string().into_bytes();
        let (mut sent, mut passing) = (0, None);
        for sub in &subs {
            match sender.send(sub, &bytes).await {
                PushOutcome::Sent => sent += 1,
                PushOutcome::Gone => {
                    tracing::info!(delivery = %d.id, "a push subscription is gone; removed");
                    delete_subscription(&self.pool, sub.id)
                        .await
                        .map_err(unavailable)?;
                }
                PushOutcome::Failed(SendError::Transient(why)) => passing = Some(why),
                PushOutcome::Failed(SendError::Permanent(why)) => {
                    tracing::warn!(delivery = %d.id, error = %why, "a push subscription cannot be used");
                }
            }
        }
        match (sent, passing) {
            (n, _) if n > 0 => Ok(None),
            (_, Some(why)) => Err(SendError::Transient(why)),
            _ => Err(SendError::Permanent(
                "no browser could take the push".into(),
            )),
        }
    }

    /// Deliveries not yet sent or failed.
    pub async fn delivery_backlog(self) -> Result<i64, sqlx::Error> {
        store::backlog(&self.pool).await
    }
}

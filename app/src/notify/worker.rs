//! The delivery workers (server only): each pass claims what is due on its
//! channels, sends it side by side (each channel's `at_once`, each send under its
//! deadline), and records the provider's answer. One sender per channel; adding a
//! channel is one arm of `send_one`.
use super::email::{escape_html, html_button, html_page, OutgoingMail};
use super::outbox::{self as store, ClaimedRow};
use super::rules::{self, AfterFailure, SendError};
use super::{Channel, Kind};
use crate::validation::Email;

/// What one worker pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct WorkerPass {
    pub claimed: usize,
    /// Claimed, but another worker took them first (this one's claim had run out).
    pub skipped: usize,
    pub sent: usize,
    pub retried: usize,
    pub failed: usize,
    /// Not sent because nobody needs them any more.
    pub canceled: usize,
}

/// What became of one claimed delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Another worker took it first (this one's claim had run out).
    Skipped,
    Sent,
    Retried,
    Failed,
    Canceled,
}

impl WorkerPass {
    fn add(&mut self, other: WorkerPass) {
        self.claimed += other.claimed;
        self.skipped += other.skipped;
        self.sent += other.sent;
        self.retried += other.retried;
        self.failed += other.failed;
        self.canceled += other.canceled;
    }

    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Skipped => self.skipped += 1,
            Outcome::Sent => self.sent += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Failed => self.failed += 1,
            Outcome::Canceled => self.canceled += 1,
        }
    }
}

crate::services::facade! {
    /// The delivery workers: claim, send, record.
    Worker
}

/// What the service worker (`public/sw.js`) reads from a push: the words, where
/// a tap goes, the kind, and a reminder's "I'm OK" (its `token` and `checkin`).
#[derive(serde::Serialize)]
struct PushMessage<'a> {
    title: String,
    body: &'a str,
    url: &'a str,
    kind: Kind,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    checkin: Option<&'a str>,
    /// An alert's "I'm on it" button: where it posts, the delivery and its signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delivery: Option<uuid::Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
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
                    services.settings.push_hosts.clone(),
                    services.settings.is_local(),
                ))
            })
            .await
    }
}

impl Worker<'_> {
    /// One worker pass over `channels`: sends what is due, up to
    /// [`rules::PASS_CLAIMS`] rows (the caller runs passes until one claims
    /// none). Up to the channel's `at_once` sends run together (a mail waiting on
    /// its relay does not hold the next one), each under its deadline. Rows are
    /// taken only as slots free up (a quarter of them at a time, in one
    /// statement), so each row's lease starts as its send does; the answers that
    /// are in are recorded together, the sent ones in one statement.
    pub async fn deliver(self, channels: &[Channel]) -> Result<WorkerPass, sqlx::Error> {
        let at_once = channels
            .iter()
            .map(|&c| rules::send_limits(c).at_once)
            .min()
            .unwrap_or(1);
        let refill = (at_once / 4).max(1);
        let mut pass = WorkerPass::default();
        // Each send is its own task: it goes on while this loop takes rows or
        // records answers.
        let mut sending = tokio::task::JoinSet::new();
        let mut answered = Vec::new();
        let mut drained = false;
        let mut failure = None;
        loop {
            let free = at_once - sending.len();
            if !drained
                && failure.is_none()
                && pass.claimed < rules::PASS_CLAIMS
                && (free >= refill || sending.is_empty())
            {
                let limit = free.min(rules::PASS_CLAIMS - pass.claimed);
                let now = self.clock.now();
                match store::claim_deliveries(
                    &self.pool,
                    channels,
                    now,
                    now + rules::LEASE,
                    limit as i64,
                )
                .await
                {
                    Ok(taken) => {
                        drained = taken.len() < limit;
                        pass.claimed += taken.len();
                        for d in taken {
                            let services = self.0.clone();
                            sending.spawn(async move {
                                let answer = Worker(&services).send_within_deadline(&d).await;
                                (d, answer)
                            });
                        }
                    }
                    Err(e) => failure = Some(e),
                }
            }
            // The next answer; while some wait to be recorded, at most
            // `RECORD_WITHIN` (a slow send does not hold the quick ones' record).
            let next = if answered.is_empty() {
                sending.join_next().await
            } else {
                match tokio::time::timeout(rules::RECORD_WITHIN, sending.join_next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        self.record_into(&mut pass, &mut answered, &mut failure)
                            .await;
                        continue;
                    }
                }
            };
            let Some(first) = next else {
                break;
            };
            for joined in
                std::iter::once(first).chain(std::iter::from_fn(|| sending.try_join_next()))
            {
                match joined {
                    Ok(answer) => answered.push(answer),
                    // The row stays taken; its lease runs out and it is sent
                    // again then (labelled).
                    Err(panicked) => {
                        tracing::error!(error = %panicked, "a send panicked; its lease runs out and it is tried again")
                    }
                }
            }
            // Answers are recorded a batch at a time (one statement for the sent
            // ones): when a refill's worth is in, or nothing else is sending.
            if answered.len() >= refill || sending.is_empty() {
                self.record_into(&mut pass, &mut answered, &mut failure)
                    .await;
            }
        }
        self.record_into(&mut pass, &mut answered, &mut failure)
            .await;
        match failure {
            Some(e) => Err(e),
            None => Ok(pass),
        }
    }

    /// Records `answered` (emptying it) into `pass`; a database failure is kept
    /// in `failure` (the rows stay taken; their lease runs out and they are sent
    /// again then, labelled).
    async fn record_into(
        self,
        pass: &mut WorkerPass,
        answered: &mut Vec<(ClaimedRow, Result<Option<String>, SendError>)>,
        failure: &mut Option<sqlx::Error>,
    ) {
        if answered.is_empty() || failure.is_some() {
            return;
        }
        match self.record(std::mem::take(answered)).await {
            Ok(recorded) => pass.add(recorded),
            Err(e) => *failure = Some(e),
        }
    }

    /// One send under its channel's deadline: an endpoint that does not answer
    /// in time is a passing failure (safe to drop: a sender opens no transaction).
    pub async fn send_within_deadline(self, d: &ClaimedRow) -> Result<Option<String>, SendError> {
        let limits = rules::send_limits(d.channel);
        tokio::time::timeout(limits.deadline, self.send_one(d))
            .await
            .unwrap_or_else(|_| {
                Err(SendError::Transient(format!(
                    "no answer within {} s",
                    limits.deadline.as_secs()
                )))
            })
    }

    /// Records the providers' answers to taken rows: the sent ones in one
    /// statement, each failure as its rules say (retry, or failed for good). An
    /// answer whose row another worker took since (this one's lease ran out)
    /// changes nothing and counts as skipped.
    pub async fn record(
        self,
        answers: Vec<(ClaimedRow, Result<Option<String>, SendError>)>,
    ) -> Result<WorkerPass, sqlx::Error> {
        let now = self.clock.now();
        let mut pass = WorkerPass::default();
        let mut sent = Vec::new();
        for (d, answer) in answers {
            match answer {
                Ok(provider_id) => sent.push(store::SentTry {
                    id: d.id,
                    attempt: d.attempts,
                    provider_id,
                }),
                Err(error) => pass.count(self.record_failure(&d, &error, now).await?),
            }
        }
        let marked = store::mark_sent(&self.pool, &sent, now).await? as usize;
        pass.sent += marked;
        pass.skipped += sent.len() - marked;
        Ok(pass)
    }

    async fn record_failure(
        self,
        d: &ClaimedRow,
        error: &SendError,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Outcome, sqlx::Error> {
        let words = error.words();
        let (held, outcome) = match rules::after_failure_of(
            d.kind,
            error,
            d.attempts,
            now,
            d.created_at,
        ) {
            AfterFailure::RetryAt(at) => {
                tracing::warn!(delivery = %d.id, channel = %d.channel, attempt = d.attempts, error = %words, "delivery failed; will try again");
                let held = store::mark_retry(&self.pool, d.id, d.attempts, at, words).await?;
                (held, Outcome::Retried)
            }
            AfterFailure::GiveUp => {
                tracing::error!(delivery = %d.id, channel = %d.channel, attempt = d.attempts, error = %words, "delivery failed for good");
                let held = store::mark_failed(&self.pool, d.id, d.attempts, words).await?;
                (held, Outcome::Failed)
            }
            AfterFailure::Cancel => {
                tracing::info!(delivery = %d.id, channel = %d.channel, reason = %words, "delivery no longer needed; canceled");
                let held = store::mark_canceled(&self.pool, d.id, d.attempts, words).await?;
                (held, Outcome::Canceled)
            }
        };
        Ok(if held { outcome } else { Outcome::Skipped })
    }

    /// Sends one delivery by its channel. Adding a channel is one arm here.
    pub async fn send_one(self, d: &ClaimedRow) -> Result<Option<String>, SendError> {
        match d.channel {
            Channel::Email => self.send_email(d).await,
            Channel::Push => self.send_push(d).await,
            Channel::Sms => self.send_sms(d).await,
            Channel::Call => self.send_call(d).await,
        }
    }

    async fn send_email(self, d: &ClaimedRow) -> Result<Option<String>, SendError> {
        let to = Email::parse(&d.address)
            .map_err(|_| SendError::Permanent("unusable address".into()))?;
        let title = rules::title_of(&d.payload.title, d.maybe_sent);
        let (body, link) = (&d.payload.body, &d.payload.link);
        let base = self.settings.public_url.trim_end_matches('/');
        // An alert's button answers it without signing in: a signed link to a
        // page whose button says "I'm on it" (a mail scanner opening the link
        // changes nothing).
        let url = if d.kind.is_alert() {
            format!(
                "{base}{}{}?t={}",
                super::ANSWER_PATH,
                d.id,
                self.settings.code_key.answer_token(d.id)
            )
        } else {
            format!("{base}{link}")
        };
        let action = d.kind.action_words();
        // An alert also links to its whole page (the plan, who is told when).
        let (more_text, more_html) = if d.kind.is_alert() && !link.is_empty() {
            let whole = format!("{base}{link}");
            (
                format!("See the whole alert: {whole}\n\n"),
                format!(
                    "<p><a href=\"{}\" style=\"color:#1d4f8a;font-size:18px\">See the whole alert</a></p>",
                    escape_html(&whole)
                ),
            )
        } else {
            (String::new(), String::new())
        };
        let why = if d.kind.is_confirmation() {
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
            text: format!("{body}\n\n{action}: {url}\n\n{more_text}{why}\n"),
            html: html_page(&format!(
                "<h1 style=\"font-size:24px\">{}</h1><p>{}</p>{}{more_html}<p style=\"color:#3d3a35\">{}</p>",
                escape_html(&title),
                escape_html(body),
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
        let Some(user) = d.recipient_id else {
            return Err(SendError::Permanent(
                "a helper without an account is only texted".into(),
            ));
        };
        let subs = subscriptions_of(&mut conn, user)
            .await
            .map_err(unavailable)?;
        drop(conn);
        let message = PushMessage {
            title: rules::title_of(&d.payload.title, d.maybe_sent),
            body: &d.payload.body,
            url: &d.payload.link,
            kind: d.kind,
            // The token is made here, from the reminder's id and the server's key:
            // the outbox never holds it.
            token: d
                .payload
                .check_in
                .as_ref()
                .map(|b| self.settings.code_key.reminder_token(b.reminder)),
            checkin: d.payload.check_in.as_ref().map(|b| b.path.as_str()),
            // An alert answers "I'm on it" from the notification, signed like
            // the email's link.
            answer: d.kind.is_alert().then_some(super::ANSWER_PUSH_PATH),
            delivery: d.kind.is_alert().then_some(d.id),
            signature: d
                .kind
                .is_alert()
                .then(|| self.settings.code_key.answer_token(d.id)),
        };
        let bytes = serde_json::to_vec(&message)
            .map_err(|_| SendError::Permanent("the push could not be built".into()))?;
        let (mut sent, mut passing) = (0, None);
        for sub in &subs {
            match sender.send(sub, &bytes).await {
                PushOutcome::Sent => {
                    sent += 1;
                    // Its push service took one: this browser now counts as a
                    // way to reach them (issue 18).
                    super::push::mark_confirmed(&self.pool, sub.id, self.clock.now())
                        .await
                        .map_err(unavailable)?;
                }
                PushOutcome::Gone => {
                    tracing::info!(delivery = %d.id, "a push subscription is gone; removed");
                    delete_subscription(&self.pool, sub.id)
                        .await
                        .map_err(unavailable)?;
                }
                PushOutcome::Failed(SendError::Transient(why)) => passing = Some(why),
                PushOutcome::Failed(SendError::Permanent(why) | SendError::NotNeeded(why)) => {
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

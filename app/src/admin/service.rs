//! The admin side's actions (server only). Every change an admin makes is written
//! to the audit chain in the same transaction; revealing personal data is too.
use super::rules::{self, mask_email, mask_phone, Trouble, LIST_LIMIT, STUCK_AFTER};
use super::store::{self, DeliveryRow, PersonRow};
use super::views::*;
use crate::accounts::service::Me;
use crate::alerts::service::Alerts;
use crate::audit::service::Audit;
use crate::audit::store::{append, NewEntry};
use crate::billing::service::Billing;
use crate::error::AppError;
use crate::services::Caller;
use crate::validation::Email;
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

crate::services::facade! {
    /// What an operator can see and do.
    Admin
}

/// A time as admins read it.
pub fn utc(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn phone_masked(number: &str) -> String {
    let cc = phonenumber::parse(None, number)
        .ok()
        .map(|n| n.code().value());
    mask_phone(number, cc)
}

fn delivery_view(d: DeliveryRow) -> DeliveryView {
    DeliveryView {
        id: d.id.to_string(),
        recipient: mask_email(&d.recipient_email),
        recipient_id: d.recipient_id.to_string(),
        retryable: matches!(d.status.as_str(), "failed" | "pending"),
        kind: d.kind,
        channel: d.channel,
        status: d.status,
        attempts: d.attempts,
        lapses: d.lapses,
        created: utc(d.created_at),
        next_attempt: utc(d.next_attempt_at),
        sent: d.sent_at.map(utc),
        last_error: d.last_error,
        provider_status: d.provider_status,
    }
}

impl Admin<'_> {
    /// `server admin grant|revoke EMAIL`: the command line's only way in.
    pub async fn set_admin(self, email: &Email, on: bool) -> Result<Uuid, AppError> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let Some(user) = store::set_admin(&mut tx, email.as_str(), on).await? else {
            return Err(AppError::invalid("No account uses that address."));
        };
        append(
            &mut tx,
            &self.settings.audit_key,
            NewEntry {
                at: now,
                actor: None,
                subject: Some(user),
                event: if on { "admin.granted" } else { "admin.revoked" },
                ip: None,
                detail: json!({ "by": "command line" }),
                note: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn admin_count(self) -> Result<i64, AppError> {
        Ok(store::admin_count(&self.pool).await?)
    }

    /// Records an admin's action about `subject` (if any), in its own transaction.
    async fn audit(
        self,
        caller: &Caller,
        admin: &Me,
        subject: Option<Uuid>,
        event: &str,
        detail: serde_json::Value,
    ) -> Result<(), AppError> {
        self.record(NewEntry {
            at: self.now(),
            actor: Some(admin.user_id),
            subject,
            event,
            ip: Some(&caller.ip),
            detail,
            note: None,
        })
        .await
    }

    /// Appends `entry` in a transaction of its own.
    async fn record(self, entry: NewEntry<'_>) -> Result<(), AppError> {
        let mut tx = self.pool.begin().await?;
        append(&mut tx, &self.settings.audit_key, entry).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn health(self) -> Result<HealthView, AppError> {
        let now = self.now();
        let lag = Alerts(self.0).detector_lag().await?;
        let backlog = crate::notify::outbox::backlog_by_channel_and_kind(&self.pool).await?;
        let day_start = now
            .date_naive()
            .and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc())
            .unwrap_or(now);
        let failed_today = store::failed_since(&self.pool, day_start).await?;
        let dead_letters = store::open_dead_letters(&self.pool).await?;
        let reconciliation = match store::last_run(&self.pool, "stripe_reconcile").await? {
            None if self.stripe.is_none() => {
                "Payments are not configured: no reconciliation.".into()
            }
            None => "Not run yet (it runs once a day).".into(),
            Some((started, None, _)) => format!("Started {} and not finished.", utc(started)),
            Some((_, Some(done), summary)) => {
                let s = summary.unwrap_or_default();
                format!(
                    "{}: {} checked, {} fixed, {} failed.",
                    utc(done),
                    s["checked"].as_i64().unwrap_or(0),
                    s["fixed"].as_i64().unwrap_or(0),
                    s["failed"].as_i64().unwrap_or(0)
                )
            }
        };
        let processes = store::beats(&self.pool, 50)
            .await?
            .into_iter()
            .map(|b| ProcessView {
                process: b.process_id.simple().to_string()[..8].to_string(),
                host: b.host,
                started: utc(b.started_at),
                last_beat: utc(b.beat_at),
                beat_age_s: (now - b.beat_at).num_seconds().max(0),
                jobs: b
                    .jobs
                    .as_object()
                    .map(|m| {
                        m.iter()
                            .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(0.0).round() as i64))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        let (audit, audit_ok) = match Audit(self.0).last_verification().await? {
            None => (
                "Not checked yet (it is checked once a day).".to_string(),
                true,
            ),
            Some(v) => (
                format!("{}: {}", utc(v.at), v.summary()),
                v.first_bad.is_none(),
            ),
        };
        Ok(HealthView {
            detector_lag_s: lag,
            backlog,
            failed_today,
            dead_letters,
            reconciliation,
            processes,
            audit,
            audit_ok,
        })
    }

    /// People whose address contains `query`, or whose id it is; masked.
    /// Audited with how many matched, never what was typed (it may be an address).
    pub async fn search(
        self,
        caller: &Caller,
        admin: &Me,
        query: &str,
    ) -> Result<Vec<PersonHit>, AppError> {
        let q = query.trim();
        if q.chars().count() < 2 {
            return Err(AppError::invalid(
                "Please type at least 2 characters of an email address, or an id.",
            ));
        }
        if q.chars().count() > 254 {
            return Err(AppError::invalid("That is longer than any email address."));
        }
        let id = Uuid::parse_str(q).ok();
        let found = store::search(&self.pool, q, id, LIST_LIMIT).await?;
        let detail = json!({ "matched": found.len(), "by_id": id.is_some() });
        self.audit(caller, admin, None, "admin.searched", detail)
            .await?;
        Ok(found
            .into_iter()
            .map(|p| PersonHit {
                id: p.id.to_string(),
                email: mask_email(&p.email),
                phone: p.phone.as_deref().map(phone_masked),
                state: state_words(&p),
                joined: utc(p.created_at),
            })
            .collect())
    }

    /// One person's page; personal data in full only if `revealed`. Each look is
    /// audited.
    pub async fn person(
        self,
        caller: &Caller,
        admin: &Me,
        id: Uuid,
        revealed: bool,
    ) -> Result<PersonView, AppError> {
        let Some(p) = store::person(&self.pool, id).await? else {
            return Err(AppError::NotFound.with_status());
        };
        let detail = json!({ "revealed": revealed });
        self.audit(caller, admin, Some(id), "admin.viewed_person", detail)
            .await?;
        let connections = store::connections_of(&self.pool, id, LIST_LIMIT).await?;
        let schedule = store::schedule_of(&self.pool, id).await?;
        let misses = store::misses_of(&self.pool, id, 10).await?;
        let miss_ids: Vec<Uuid> = misses.iter().map(|m| m.id).collect();
        let mut deliveries = store::deliveries_for(&self.pool, &miss_ids, 500).await?;
        let members = connections.iter().filter(|c| c.side == "member").count();
        let contacts = connections.len() - members;
        Ok(PersonView {
            id: p.id.to_string(),
            revealed,
            email: if revealed {
                p.email.clone()
            } else {
                mask_email(&p.email)
            },
            phone: p.phone.as_deref().map(|n| {
                if revealed {
                    n.to_string()
                } else {
                    phone_masked(n)
                }
            }),
            phone_status: p.phone_status.clone(),
            name: p.name.as_deref().map(|n| {
                if revealed {
                    n.to_string()
                } else {
                    format!("{}***", n.chars().next().unwrap_or('?'))
                }
            }),
            state: state_words(&p),
            is_admin: p.is_admin,
            joined: utc(p.created_at),
            deleted: p.deleted_at.map(utc),
            time_zone: p.time_zone.clone(),
            roles: format!(
                "Checks in for {contacts} Contact{}; looks out for {members} Member{}",
                if contacts == 1 { "" } else { "s" },
                if members == 1 { "" } else { "s" },
            ),
            trial_ends: p.trial_ends_at.map(utc),
            plan: p.plan.clone(),
            subscription_status: p.subscription_status.clone(),
            stripe_customer: p.stripe_customer_id.clone(),
            stripe_subscription: p.stripe_subscription_id.clone(),
            schedule: schedule.map(|s| {
                format!(
                    "Daily by {} ({}), grace {} min, reminders {}; next deadline {}",
                    crate::checkin::store::windows_of(&s.window_times, &s.window_days)
                        .iter()
                        .map(|w| format!("{} {}", w.time.format("%H:%M"), w.days.words()))
                        .collect::<Vec<_>>()
                        .join(", "),
                    s.time_zone,
                    s.grace_min,
                    if s.reminder_on { "on" } else { "off" },
                    utc(s.next_deadline)
                )
            }),
            connections: connections
                .into_iter()
                .map(|c| ConnectionView {
                    other_id: c.other_id.to_string(),
                    other_email: mask_email(&c.other_email),
                    side: if c.side == "member" {
                        "Contact of this Member"
                    } else {
                        "Member this person looks out for"
                    }
                    .into(),
                    since: utc(c.started_at),
                    ended: c.ended_at.map(utc),
                })
                .collect(),
            misses: misses
                .into_iter()
                .map(|m| MissView {
                    id: m.id.to_string(),
                    day: m.local_day.to_string(),
                    deadline: utc(m.deadline_at),
                    detected: utc(m.detected_at),
                    acknowledged: m.acknowledged_at.map(utc),
                    deliveries: {
                        let (mine, rest): (Vec<_>, Vec<_>) =
                            deliveries.drain(..).partition(|d| d.miss_id == Some(m.id));
                        deliveries = rest;
                        mine.into_iter().map(delivery_view).collect()
                    },
                })
                .collect(),
        })
    }

    /// "Show the full email and phone": audited with the admin's reason.
    pub async fn reveal(
        self,
        caller: &Caller,
        admin: &Me,
        person: Uuid,
        reason: &str,
    ) -> Result<(), AppError> {
        let reason = rules::reason(reason).map_err(AppError::invalid)?;
        if store::person(&self.pool, person).await?.is_none() {
            return Err(AppError::NotFound.with_status());
        }
        // The reason is kept beside the chain (it may name someone), erasable.
        self.record(NewEntry {
            at: self.now(),
            actor: Some(admin.user_id),
            subject: Some(person),
            event: "admin.revealed",
            ip: Some(&caller.ip),
            detail: json!({}),
            note: Some(&reason),
        })
        .await
    }

    /// Failed or stuck deliveries, filtered.
    pub async fn deliveries(
        self,
        trouble: Trouble,
        filter: store::Filter<'_>,
    ) -> Result<Vec<DeliveryView>, AppError> {
        let rows = match trouble {
            Trouble::Failed => store::failed(&self.pool, filter, LIST_LIMIT).await?,
            Trouble::Stuck => {
                let before = self.now() - STUCK_AFTER;
                store::stuck(&self.pool, before, filter, LIST_LIMIT).await?
            }
        };
        Ok(rows.into_iter().map(delivery_view).collect())
    }

    pub async fn delivery(self, id: Uuid) -> Result<DeliveryView, AppError> {
        store::delivery(&self.pool, id)
            .await?
            .map(delivery_view)
            .ok_or_else(|| AppError::NotFound.with_status())
    }

    /// Puts failed (or waiting) deliveries back in the queue, now; audited.
    /// Answers how many went back.
    pub async fn retry(self, caller: &Caller, admin: &Me, ids: &[Uuid]) -> Result<usize, AppError> {
        if ids.is_empty() {
            return Err(AppError::invalid("Please choose at least one delivery."));
        }
        if ids.len() as i64 > LIST_LIMIT {
            return Err(AppError::invalid(
                "Please retry at most 100 deliveries at a time.",
            ));
        }
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let retried = crate::notify::outbox::retry(&mut tx, ids, now).await?;
        append(
            &mut tx,
            &self.settings.audit_key,
            NewEntry {
                at: now,
                actor: Some(admin.user_id),
                subject: None,
                event: "admin.deliveries_retried",
                ip: Some(&caller.ip),
                detail: json!({ "asked": ids.len(), "retried": retried }),
                note: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(retried.len())
    }

    pub async fn dead_letters(self) -> Result<Vec<DeadLetterView>, AppError> {
        Ok(crate::billing::store::dead_letters(&self.pool, LIST_LIMIT)
            .await?
            .into_iter()
            .map(|l| DeadLetterView {
                id: l.id.to_string(),
                event_id: l.event_id,
                event_type: l.type_,
                kind: rules::webhook_error_kind(&l.error).into(),
                error: l.error,
                attempts: l.attempts,
                since: utc(l.first_failed_at),
            })
            .collect())
    }

    /// Handles a dead-lettered Stripe event again, now; audited whatever happens.
    pub async fn replay(self, caller: &Caller, admin: &Me, id: Uuid) -> Result<String, AppError> {
        let outcome = Billing(self.0).replay_dead_letter(id).await;
        let detail = replay_detail(id, &outcome, "admin page");
        self.audit(caller, admin, None, "admin.webhook_replayed", detail)
            .await?;
        outcome
    }

    /// `server dead-letters replay ID`: the same, by the command line.
    pub async fn replay_from_command_line(self, id: Uuid) -> Result<String, AppError> {
        let outcome = Billing(self.0).replay_dead_letter(id).await;
        self.record(NewEntry {
            at: self.now(),
            actor: None,
            subject: None,
            event: "admin.webhook_replayed",
            ip: None,
            detail: replay_detail(id, &outcome, "command line"),
            note: None,
        })
        .await?;
        outcome
    }
}

fn replay_detail(id: Uuid, outcome: &Result<String, AppError>, by: &str) -> serde_json::Value {
    match outcome {
        Ok(done) => json!({ "letter": id, "outcome": done, "by": by }),
        Err(e) => {
            json!({ "letter": id, "outcome": "failed", "status": e.status().as_u16(), "by": by })
        }
    }
}

fn state_words(p: &PersonRow) -> String {
    if p.deleted_at.is_some() {
        "deleted (waiting for the purge)".into()
    } else {
        p.account_state.replace('_', " ")
    }
}

/// How long a reveal lasts on the admin's session.
pub const REVEAL_LIFETIME: Duration = Duration::minutes(10);

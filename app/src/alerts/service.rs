//! The missed-check-in detector, the delivery workers, acknowledgement and the late
//! update (server only).
//!
//! Unlike a dispatcher that marks an alert handled before sending it (so a crash
//! between the two loses it), a miss here is claimed and its deliveries written in
//! one transaction, and each delivery is marked sent only after the provider took
//! it. A worker that dies mid-send leaves its delivery leased; when the lease runs
//! out another worker sends it again. The price is a rare duplicate, never a loss.
use super::rules::{self, Due};
use super::store;
use crate::checkin::store as checkin_store;
use crate::notify::inbox::{self, NewNotification};
use crate::notify::outbox;
use crate::notify::{self, Channel, Kind, Message};
use crate::time;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// What one detector pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DetectorPass {
    pub looked_at: usize,
    pub missed: usize,
    pub deliveries: usize,
    pub realerts: usize,
    /// Contacts nobody could reach about a miss (every alert failed for good),
    /// reported to the Member's other Contacts.
    pub unreachable: usize,
    /// Member reminders claimed (sent or not) and those sent by push.
    pub reminders: usize,
    pub reminders_sent: usize,
}

/// A claimed miss about to be alerted.
struct Alerting {
    member: Uuid,
    miss: Uuid,
    deadline: DateTime<Utc>,
    zone: Tz,
}

fn zone_of(name: &str) -> Tz {
    time::parse_zone(name).unwrap_or(Tz::UTC)
}

pub const REMINDER_EXPIRED: &str =
    "This reminder is from another day. Please open Pruuf and tap \u{201c}I\u{2019}m OK\u{201d}.";

/// What is stored of a reminder token: its SHA-256, in hex.
pub fn token_hash(token: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(token.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// For a batch of (Member, zone, deadline): each zone, the Members, each
/// deadline's local day, and whether they checked in or paused that day (one
/// statement for the batch).
async fn day_facts_of<'a>(
    tx: &mut PgConnection,
    due: impl Iterator<Item = (Uuid, &'a str, DateTime<Utc>)>,
) -> Result<(Vec<Tz>, Vec<Uuid>, Vec<NaiveDate>, Vec<(Uuid, bool, bool)>), sqlx::Error> {
    let (mut zones, mut members, mut days) = (Vec::new(), Vec::new(), Vec::new());
    for (member, zone, deadline) in due {
        let zone = zone_of(zone);
        zones.push(zone);
        members.push(member);
        days.push(time::local_day(deadline, zone));
    }
    let facts = store::day_facts(tx, &members, &days).await?;
    Ok((zones, members, days, facts))
}

/// Alerts about a miss go by every channel the Contact has; email always.
fn alert_channels(r: &store::RecipientRow) -> impl Iterator<Item = Channel> {
    Channel::reachable(r.push_devices, r.sms_ok)
}

crate::services::facade! {
    /// Misses, the detector, reminders, confirmations and acknowledgement.
    Alerts
}

impl Alerts<'_> {
    /// One detector pass: claims every due miss (in batches, each batch one
    /// transaction), writes its deliveries, and moves each Member's next deadline
    /// on; then the one repeat alert for misses nobody acknowledged.
    pub async fn detect(self) -> Result<DetectorPass, sqlx::Error> {
        let mut pass = DetectorPass::default();
        loop {
            let now = self.clock.now();
            let mut tx = self.pool.begin().await?;
            let due = store::lock_due(&mut tx, now, rules::DUE_BATCH).await?;
            if due.is_empty() {
                tx.commit().await?;
                break;
            }
            pass.looked_at += due.len();
            let (zones, members, days, facts) = day_facts_of(
                &mut tx,
                due.iter()
                    .map(|d| (d.member_id, d.time_zone.as_str(), d.next_deadline)),
            )
            .await?;
            let (mut miss_members, mut miss_days, mut miss_deadlines) =
                (Vec::new(), Vec::new(), Vec::new());
            for ((d, day), (_, checked_in, paused)) in due.iter().zip(&days).zip(&facts) {
                match rules::judge_due(d.next_deadline, now, *checked_in, *paused) {
                    Due::Missed => {
                        miss_members.push(d.member_id);
                        miss_days.push(*day);
                        miss_deadlines.push(d.next_deadline);
                    }
                    Due::TooOld => {
                        tracing::warn!(member = %d.member_id, day = %day, "a miss older than the catch-up window was not alerted")
                    }
                    Due::CheckedIn | Due::Paused => {}
                }
            }
            let claimed =
                store::claim_misses(&mut tx, &miss_members, &miss_days, &miss_deadlines, now)
                    .await?;
            pass.missed += claimed.len();
            let row_of: std::collections::HashMap<Uuid, usize> = due
                .iter()
                .enumerate()
                .map(|(i, d)| (d.member_id, i))
                .collect();
            let alerts: Vec<Alerting> = claimed
                .iter()
                .filter_map(|(member, miss)| {
                    let i = *row_of.get(member)?;
                    Some(Alerting {
                        member: *member,
                        miss: *miss,
                        deadline: due[i].next_deadline,
                        zone: zones[i],
                    })
                })
                .collect();
            pass.deliveries += self
                .alert_contacts(&mut tx, &alerts, Kind::Missed, now)
                .await?;
            let next: Vec<DateTime<Utc>> = due
                .iter()
                .zip(&days)
                .zip(&zones)
                .map(|((d, day), zone)| {
                    time::deadline_on(*day + Duration::days(1), d.deadline, *zone)
                })
                .collect();
            store::set_next_deadlines(&mut tx, &members, &next).await?;
            tx.commit().await?;
        }
        // Nobody said "I'm on it" within 30 minutes: everyone once more.
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let mut again = Vec::new();
        for m in
            store::claim_unacknowledged(&mut tx, now - rules::ACK_WINDOW, now, rules::BATCH).await?
        {
            let zone = match checkin_store::schedule(&mut tx, m.member_id).await? {
                Some(s) => zone_of(&s.time_zone),
                None => Tz::UTC,
            };
            again.push(Alerting {
                member: m.member_id,
                miss: m.id,
                deadline: m.deadline_at,
                zone,
            });
        }
        pass.realerts += again.len();
        pass.deliveries += self
            .alert_contacts(&mut tx, &again, Kind::MissedAgain, now)
            .await?;
        tx.commit().await?;
        let (unreachable, told) = self.tell_unreachable(now).await?;
        pass.unreachable = unreachable;
        pass.deliveries += told;
        let (claimed, sent) = self.remind().await?;
        pass.reminders = claimed;
        pass.reminders_sent = sent;
        Ok(pass)
    }

    /// "We could not reach Tom": for each Contact whose every alert about an
    /// open miss failed for good (a bounced address, a number that cannot take
    /// texts), the Member's other Contacts are told once, by every channel they
    /// have. Returns (such Contacts, deliveries written).
    async fn tell_unreachable(self, now: DateTime<Utc>) -> Result<(usize, usize), sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let lost =
            outbox::claim_unreachable(&mut tx, now - rules::CATCH_UP, now, rules::BATCH).await?;
        let mut messages = Vec::new();
        for l in &lost {
            let who = store::contact_name(&mut tx, l.member_id, l.recipient_id)
                .await?
                .unwrap_or_else(|| "one of their Contacts".to_string());
            for r in store::recipients(&mut tx, l.member_id).await? {
                if r.contact_id == l.recipient_id || !rules::may_receive_alerts(&r.account_state) {
                    continue;
                }
                let name = &r.member_name;
                messages.push(Message {
                    to: r.contact_id,
                    member: l.member_id,
                    miss: Some(l.miss_id),
                    kind: Kind::Unreachable,
                    title: format!("We could not reach {who}"),
                    body: format!(
                        "{name} hasn\u{2019}t checked in, and we could not reach {who} to tell them. Please make sure someone checks on {name}."
                    ),
                    link: format!("/alerts/{}", l.miss_id),
                    channels: alert_channels(&r).collect(),
                    in_app: true,
                    check_in: None,
                });
            }
        }
        let written = notify::tell(&mut tx, &messages, now).await?;
        tx.commit().await?;
        if !lost.is_empty() {
            tracing::warn!(
                contacts = lost.len(),
                "Contacts could not be reached about a miss; the others were told"
            );
        }
        Ok((lost.len(), written))
    }

    /// Member reminders at deadline − lead, for those not yet checked in and not
    /// paused, by push (SMS joins with its sender). Each deadline is claimed once,
    /// sent or not. Returns (claimed, sent).
    pub async fn remind(self) -> Result<(usize, usize), sqlx::Error> {
        let (mut claimed_total, mut sent_total) = (0, 0);
        loop {
            let now = self.clock.now();
            let mut tx = self.pool.begin().await?;
            let due = store::lock_due_reminders(&mut tx, now, rules::BATCH).await?;
            if due.is_empty() {
                tx.commit().await?;
                break;
            }
            let (zones, _, days, facts) = day_facts_of(
                &mut tx,
                due.iter()
                    .map(|d| (d.member_id, d.time_zone.as_str(), d.next_deadline)),
            )
            .await?;
            let mut rows = Vec::new();
            let mut tokens = Vec::new();
            for ((d, day), (_, checked_in, paused)) in due.iter().zip(&days).zip(&facts) {
                let due_now = !checked_in && !paused;
                let send = due_now && (d.push_devices > 0 || d.sms);
                // The push's "I'm OK" names this id; its token (made from the id
                // and the server's key) is kept here only as a hash.
                let button = (due_now && d.push_devices > 0).then(Uuid::new_v4);
                rows.push(store::NewReminder {
                    member: d.member_id,
                    deadline: d.next_deadline,
                    day: *day,
                    token_hash: button
                        .map(|id| token_hash(&self.settings.code_key.reminder_token(id))),
                    sent: send,
                });
                tokens.push(button);
            }
            let claimed = store::claim_reminders(&mut tx, &rows, now).await?;
            claimed_total += claimed.len();
            let mut messages = Vec::new();
            for (((d, zone), token), row) in due.iter().zip(&zones).zip(&tokens).zip(&rows) {
                if !row.sent || !claimed.contains(&d.member_id) {
                    continue;
                }
                let by = time::clock(d.next_deadline, *zone);
                let reminder = |body: String, link: &str, channel, check_in| Message {
                    to: d.member_id,
                    member: d.member_id,
                    miss: None,
                    kind: Kind::Reminder,
                    title: "Time to check in".into(),
                    body,
                    link: link.into(),
                    channels: vec![channel],
                    in_app: false,
                    check_in,
                };
                if d.sms {
                    messages.push(reminder(
                        format!("Pruuf: time to check in. Reply OK to this text (or tap I'm OK in the app) before {by}."),
                        "",
                        Channel::Sms,
                        None,
                    ));
                }
                let Some(button) = *token else {
                    continue;
                };
                // The push carries the day's token and where "I'm OK" posts it.
                messages.push(reminder(
                    format!("Tap \u{201c}I\u{2019}m OK\u{201d} before {by} so your family knows you\u{2019}re well."),
                    "/home",
                    Channel::Push,
                    Some(notify::CheckInButton {
                        reminder: button,
                        path: super::views::REMINDER_CHECK_IN_PATH.to_string(),
                    }),
                ));
            }
            sent_total += notify::tell(&mut tx, &messages, now).await?;
            tx.commit().await?;
        }
        Ok((claimed_total, sent_total))
    }

    /// A Contact's confirmations choice, with whether this person has a device
    /// with alerts on.
    pub async fn confirm_prefs(
        self,
        user: Uuid,
    ) -> Result<(rules::ConfirmPrefs, i64), sqlx::Error> {
        let (every, channels, devices) = store::confirm_prefs(&self.pool, user).await?;
        Ok((rules::ConfirmPrefs::from_stored(every, &channels), devices))
    }

    pub async fn set_confirm_prefs(
        self,
        caller: &crate::services::Caller,
        user: Uuid,
        prefs: &rules::ConfirmPrefs,
    ) -> Result<(), sqlx::Error> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        store::set_confirm_prefs(&mut tx, user, prefs.every, &prefs.channel_names()).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(user),
            "alerts.confirmations_set",
            &caller.ip,
            json!({ "every": prefs.every, "channels": prefs.channel_names() }),
        )
        .await?;
        tx.commit().await
    }

    /// Quiet confirmations of a check-in no alert went out for, to each Contact
    /// who may receive alerts, by the channels they chose. Runs in the check-in's
    /// transaction; returns the number of deliveries.
    pub async fn confirm_check_in(
        self,
        tx: &mut PgConnection,
        member: Uuid,
        recipients: &[store::RecipientRow],
        words: &(dyn Fn(&str) -> String + Sync),
        late: bool,
        now: DateTime<Utc>,
    ) -> Result<usize, sqlx::Error> {
        let mut messages = Vec::new();
        for r in recipients {
            if !rules::may_receive_alerts(&r.account_state) {
                continue;
            }
            messages.push(Message {
                to: r.contact_id,
                member,
                miss: None,
                kind: if late {
                    Kind::CheckedInLate
                } else {
                    Kind::CheckedIn
                },
                title: format!("{} checked in", r.member_name),
                body: words(&r.member_name),
                link: format!("/people/{member}"),
                channels: rules::confirmation_channels(
                    r.confirm_every,
                    &r.confirm_channels,
                    r.push_devices,
                    r.sms_ok,
                ),
                // Shown in the notification list at once, whatever the channels.
                in_app: true,
                check_in: None,
            });
        }
        notify::tell(tx, &messages, now).await
    }

    /// Writes one delivery per Contact who may receive alerts per channel, and
    /// their in-app notification, for each alert. Returns the number of deliveries.
    async fn alert_contacts(
        self,
        tx: &mut PgConnection,
        alerts: &[Alerting],
        kind: Kind,
        now: DateTime<Utc>,
    ) -> Result<usize, sqlx::Error> {
        if alerts.is_empty() {
            return Ok(0);
        }
        let members: Vec<Uuid> = alerts.iter().map(|a| a.member).collect();
        let by_member: std::collections::HashMap<Uuid, &Alerting> =
            alerts.iter().map(|a| (a.member, a)).collect();
        let mut messages = Vec::new();
        for (member, r) in store::recipients_of(tx, &members).await? {
            if !rules::may_receive_alerts(&r.account_state) {
                continue;
            }
            let Some(a) = by_member.get(&member) else {
                continue;
            };
            let due = time::deadline_both_zones(a.deadline, a.zone, zone_of(&r.time_zone));
            let name = &r.member_name;
            let (title, body) = if kind == Kind::MissedAgain {
                (
                    format!("Still no check-in from {name}"),
                    format!("{name} hasn\u{2019}t checked in yet (due {due}), and no one has said they\u{2019}re on it. You may want to call or visit."),
                )
            } else {
                (
                    format!("{name} hasn\u{2019}t checked in today"),
                    format!("{name} hasn\u{2019}t checked in by {due}. You may want to call or visit to make sure all is well."),
                )
            };
            messages.push(Message {
                to: r.contact_id,
                member,
                miss: Some(a.miss),
                kind,
                title,
                body,
                link: format!("/alerts/{}", a.miss),
                channels: alert_channels(&r).collect(),
                in_app: true,
                check_in: None,
            });
        }
        notify::tell(tx, &messages, now).await
    }

    /// After a check-in, for every miss of the last day it answers (today's, or
    /// yesterday's after local midnight): the alerts still waiting are canceled,
    /// the miss is resolved (no repeat, no "I'm on it"), and everyone an alert
    /// may have reached hears "Update: Mum checked in at 10:40 AM (40 min late).
    /// All is well." by the same channels. Runs in the check-in's transaction;
    /// `true` if there was such a miss.
    pub async fn late_update(
        self,
        tx: &mut PgConnection,
        member: Uuid,
        recipients: &[store::RecipientRow],
        at_words: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, sqlx::Error> {
        let open = store::open_misses(tx, member, now - rules::CATCH_UP, now).await?;
        if open.is_empty() {
            return Ok(false);
        }
        let names: Vec<(Uuid, &str)> = recipients
            .iter()
            .map(|r| (r.contact_id, r.member_name.as_str()))
            .collect();
        for miss in &open {
            outbox::cancel_waiting_alerts(tx, miss.id).await?;
            store::resolve_miss(tx, miss.id, now).await?;
            let late = rules::lateness_words(time::minutes_late(now, miss.deadline_at));
            for (recipient, channel) in outbox::alerted(tx, miss.id).await? {
                let name = names
                    .iter()
                    .find(|(id, _)| *id == recipient)
                    .map(|(_, n)| *n)
                    .unwrap_or("They");
                // By the channel that carried the alert.
                let Some(channel) = notify::Channel::parse(&channel) else {
                    continue;
                };
                notify::tell(
                    tx,
                    &[Message {
                        to: recipient,
                        member,
                        miss: Some(miss.id),
                        kind: Kind::LateUpdate,
                        title: format!("Update: {name} checked in"),
                        body: format!(
                            "Update: {name} checked in at {at_words} ({late}). All is well."
                        ),
                        link: format!("/alerts/{}", miss.id),
                        channels: vec![channel],
                        in_app: false,
                        check_in: None,
                    }],
                    now,
                )
                .await?;
            }
        }
        Ok(true)
    }

    /// "Send me a test alert": one message by every channel `user` has.
    pub async fn send_test_alert(self, user: Uuid) -> Result<(), crate::error::AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        outbox::lock_recipient(&mut tx, user, Kind::Test).await?;
        let limit = rules::TEST_ALERTS;
        let sent = outbox::told_since(&mut tx, user, Kind::Test, now - limit.per).await?;
        if let Err(retry_at) = limit.check(now, &sent) {
            return Err(crate::error::AppError::Limited(crate::limits::refusal(
                &format!(
                    "We have sent you {} test alerts in the last hour.",
                    limit.most
                ),
                now,
                retry_at,
            ))
            .with_status());
        }
        let channels = notify::push::channels_of(&mut tx, user).await?;
        notify::tell(
            &mut tx,
            &[Message {
                to: user,
                member: user,
                miss: None,
                kind: Kind::Test,
                title: "A test alert from Pruuf".into(),
                body: "This is a test alert from Pruuf. If you can read this, our alerts and reminders reach you here.".into(),
                link: "/home".into(),
                channels,
                in_app: false,
                check_in: None,
            }],
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How far behind the detector is, in seconds (0 when nothing is waiting).
    pub async fn detector_lag(self) -> Result<i64, sqlx::Error> {
        let now = self.clock.now();
        Ok(store::oldest_unhandled(&self.pool, now)
            .await?
            .map(|t| (now - t).num_seconds().max(0))
            .unwrap_or(0))
    }
}

impl Alerts<'_> {
    /// The alert `miss`, for `me` if they look out for its Member.
    pub async fn alert_view(
        self,
        me: &crate::accounts::service::Me,
        miss: Uuid,
    ) -> Result<super::views::AlertView, crate::error::AppError> {
        use crate::error::AppError;
        let mut conn = self.pool.acquire().await?;
        let not_yours = || AppError::NotFound.with_status();
        let m = store::miss(&mut conn, miss).await?.ok_or_else(not_yours)?;
        let name = checkin_store::contact_calls(&mut conn, me.user_id, m.member_id)
            .await?
            .ok_or_else(not_yours)?;
        let zone = match checkin_store::schedule(&mut conn, m.member_id).await? {
            Some(s) => zone_of(&s.time_zone),
            None => Tz::UTC,
        };
        let my_zone = zone_of(&checkin_store::user_time_zone(&mut conn, me.user_id).await?);
        let due = time::deadline_both_zones(m.deadline_at, zone, my_zone);
        // Resolved by a check-in: that day's, or a later one (after midnight).
        let checked_in_at = match m.resolved_at {
            Some(at) => Some(at),
            None => checkin_store::checkin_on(&mut conn, m.member_id, m.local_day)
                .await?
                .map(|c| c.checked_in_at),
        };
        let acknowledged = match (m.acknowledged_by, m.acknowledged_at) {
            (Some(by), Some(at)) if by == me.user_id => Some(format!(
                "You said you\u{2019}re on it at {}.",
                time::clock(at, my_zone)
            )),
            (Some(by), Some(at)) => {
                let who = store::contact_name(&mut conn, m.member_id, by)
                    .await?
                    .unwrap_or_else(|| "Someone".into());
                Some(format!(
                    "{who} is on it (since {}).",
                    time::clock(at, my_zone)
                ))
            }
            _ => None,
        };
        let phone = checkin_store::phone_for_contact(&mut conn, me.user_id, m.member_id).await?;
        let trail = outbox::trail(&mut conn, miss)
            .await?
            .into_iter()
            .filter(|t| t.recipient_id == me.user_id)
            .map(|t| {
                let what = match t.kind {
                    Kind::MissedAgain => "Second alert",
                    Kind::LateUpdate => "Update",
                    Kind::Unreachable => "Notice that someone could not be reached",
                    _ => "Alert",
                };
                let how = match t.status.as_str() {
                    "sent" if t.provider_status.as_deref() == Some("delivered") => t
                        .sent_at
                        .map(|s| format!("delivered (sent at {})", time::clock(s, my_zone)))
                        .unwrap_or_else(|| "delivered".into()),
                    "sent" => t
                        .sent_at
                        .map(|s| format!("sent at {}", time::clock(s, my_zone)))
                        .unwrap_or_else(|| "sent".into()),
                    "failed" => "could not be sent".into(),
                    "canceled" if checked_in_at.is_some() => {
                        "not sent: they checked in first".into()
                    }
                    "canceled" => "not sent: someone said they\u{2019}re on it".into(),
                    _ => "sending".into(),
                };
                let by = match t.channel {
                    Channel::Sms => "text message",
                    Channel::Push => "alert on your devices",
                    Channel::Email => "email",
                };
                format!("{what} by {by}: {how}")
            })
            .collect();
        Ok(super::views::AlertView {
            id: miss.to_string(),
            headline: match checked_in_at {
                Some(at) => format!(
                    "{name} checked in at {} (late). All is well.",
                    time::clock(at, zone)
                ),
                None => format!("{name} hasn\u{2019}t checked in today. It was due {due}."),
            },
            acknowledged,
            may_acknowledge: m.acknowledged_at.is_none() && checked_in_at.is_none(),
            trail,
            name,
            phone,
        })
    }

    /// "I'm on it": the first Contact to say so is shown to the others.
    pub async fn acknowledge(
        self,
        caller: &crate::services::Caller,
        me: &crate::accounts::service::Me,
        miss: Uuid,
    ) -> Result<(), crate::error::AppError> {
        use crate::error::AppError;
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let not_yours = || AppError::NotFound.with_status();
        let m = store::miss(&mut tx, miss).await?.ok_or_else(not_yours)?;
        checkin_store::contact_calls(&mut tx, me.user_id, m.member_id)
            .await?
            .ok_or_else(not_yours)?;
        crate::billing::service::require_may_act_for_others(&mut tx, me.user_id).await?;
        if !store::acknowledge(&mut tx, miss, me.user_id, now).await? {
            // Someone else was first: nothing to change; the page says who.
            return Ok(());
        }
        let who = store::contact_name(&mut tx, m.member_id, me.user_id)
            .await?
            .unwrap_or_else(|| "Someone".into());
        for r in store::recipients(&mut tx, m.member_id).await? {
            if r.contact_id == me.user_id {
                continue;
            }
            let body = format!(
                "{who} is on it: they\u{2019}re checking on {}.",
                r.member_name
            );
            inbox::add(
                &mut tx,
                &NewNotification {
                    user: r.contact_id,
                    kind: Kind::Acknowledged,
                    about: Some(m.member_id),
                    body: &body,
                    link: Some(&format!("/alerts/{miss}")),
                },
                now,
            )
            .await?;
        }
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "alert.acknowledged",
            &caller.ip,
            json!({ "miss": miss }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

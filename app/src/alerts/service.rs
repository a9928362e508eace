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
use crate::checkin::windows;
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

/// A claimed miss about to be alerted: its first step (`step` 0), or its next
/// step or repeat.
struct Alerting {
    member: Uuid,
    miss: Uuid,
    deadline: DateTime<Utc>,
    zone: Tz,
    /// Which check-in of its day (0: the first).
    slot: i16,
    /// The step last told (0: none yet) and the repeats sent.
    step: i16,
    repeats: i16,
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

/// For a batch of (Member, zone, deadline, slot): each zone, the Members, each
/// deadline's local day, and whether they checked in for that check-in or
/// paused that day (one statement for the batch).
async fn day_facts_of<'a>(
    tx: &mut PgConnection,
    due: impl Iterator<Item = (Uuid, &'a str, DateTime<Utc>, i16)>,
) -> Result<(Vec<Tz>, Vec<Uuid>, Vec<NaiveDate>, Vec<(Uuid, bool, bool)>), sqlx::Error> {
    let (mut zones, mut members, mut days, mut slots) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (member, zone, deadline, slot) in due {
        let zone = zone_of(zone);
        zones.push(zone);
        members.push(member);
        days.push(time::local_day(deadline, zone));
        slots.push(slot);
    }
    let facts = store::day_facts(tx, &members, &days, &slots).await?;
    Ok((zones, members, days, facts))
}

/// Alerts about a miss go by every channel the Contact has; email always.
/// A Contact who chose to be called (and has a confirmed number) is also rung.
fn alert_channels(r: &store::RecipientRow) -> impl Iterator<Item = Channel> {
    Channel::reachable(r.push_devices, r.sms_ok).chain(r.call_ok.then_some(Channel::Call))
}

/// What a "1" texted back did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnItByText {
    /// Recorded; the others are told. `member`: what the Contact calls her.
    Done { member: String },
    /// Someone (`who`, or they themselves when None) was on it already.
    Already { member: String, who: Option<String> },
    /// No open alert was texted to them.
    NoAlert,
}

/// An alert call, as the Contact who answers it hears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertCall {
    /// What the Contact calls her.
    pub name: String,
    pub state: AlertCallState,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertCallState {
    Open,
    CheckedIn,
    Closed,
    /// Someone is on it: who (None: the one called).
    OnIt(Option<String>),
}

/// Something that ends or changes an alert, for everyone it reached: the
/// Contacts' words (given what each calls her) and the helpers' (given her own
/// name); `skip_helper` is the helper who did it.
pub(super) struct News<'a> {
    pub kind: Kind,
    pub to_contacts: &'a (dyn Fn(&str) -> String + Sync),
    pub to_helpers: &'a (dyn Fn(&str) -> String + Sync),
    pub skip_helper: Option<Uuid>,
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
                due.iter().map(|d| {
                    (
                        d.member_id,
                        d.time_zone.as_str(),
                        d.next_deadline,
                        d.next_slot,
                    )
                }),
            )
            .await?;
            let (mut miss_members, mut miss_days, mut miss_slots, mut miss_deadlines) =
                (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for ((d, day), (_, checked_in, paused)) in due.iter().zip(&days).zip(&facts) {
                match rules::judge_due(d.next_deadline, now, *checked_in, *paused) {
                    Due::Missed => {
                        miss_members.push(d.member_id);
                        miss_days.push(*day);
                        miss_slots.push(d.next_slot);
                        miss_deadlines.push(d.next_deadline);
                    }
                    Due::TooOld => {
                        tracing::warn!(member = %d.member_id, day = %day, "a miss older than the catch-up window was not alerted")
                    }
                    Due::CheckedIn | Due::Paused => {}
                }
            }
            let claimed = store::claim_misses(
                &mut tx,
                &miss_members,
                &miss_days,
                &miss_slots,
                &miss_deadlines,
                now,
            )
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
                        slot: due[i].next_slot,
                        step: 0,
                        repeats: 0,
                    })
                })
                .collect();
            let (written, _) = self.alert_contacts(&mut tx, &alerts, now).await?;
            pass.deliveries += written;
            // On to the check-in after this one: the day's next, or the first
            // of the next day that has one.
            let (mut next, mut next_slots) = (Vec::new(), Vec::new());
            for ((d, day), zone) in due.iter().zip(&days).zip(&zones) {
                let windows = checkin_store::windows_of(&d.window_times, &d.window_days);
                let after = windows::after(&windows, *day, d.next_slot, *zone);
                // A schedule always has a window (the table says so); were it
                // empty, the same time a day later keeps the row moving.
                let (at, slot) = after.map_or((d.next_deadline + Duration::days(1), 0), |s| {
                    (s.deadline, s.slot)
                });
                next.push(at);
                next_slots.push(slot);
            }
            store::set_next_deadlines(&mut tx, &members, &next, &next_slots).await?;
            tx.commit().await?;
        }
        // The next step of each escalation nobody has responded to, or the
        // repeat to everyone (issue 21).
        loop {
            let now = self.clock.now();
            let mut tx = self.pool.begin().await?;
            let waiting = store::lock_due_steps(&mut tx, now, rules::BATCH).await?;
            let members: Vec<Uuid> = waiting.iter().map(|m| m.member_id).collect();
            let zones = checkin_store::zones_of(&mut tx, &members).await?;
            let again: Vec<Alerting> = waiting
                .iter()
                .map(|m| Alerting {
                    member: m.member_id,
                    miss: m.id,
                    deadline: m.deadline_at,
                    zone: zones.get(&m.member_id).map_or(Tz::UTC, |z| zone_of(z)),
                    slot: m.slot,
                    step: m.step,
                    repeats: m.repeats,
                })
                .collect();
            let (written, repeats) = self.alert_contacts(&mut tx, &again, now).await?;
            pass.realerts += repeats;
            pass.deliveries += written;
            tx.commit().await?;
            if (waiting.len() as i64) < rules::BATCH {
                break;
            }
        }
        let now = self.clock.now();
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
                due.iter().map(|d| {
                    (
                        d.member_id,
                        d.time_zone.as_str(),
                        d.next_deadline,
                        d.next_slot,
                    )
                }),
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
                    rung: d.rung,
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
                let (title, sms, push) = rules::reminder_words(d.rung, &by);
                let reminder = |body: String, link: &str, channel, check_in| Message {
                    to: d.member_id,
                    member: d.member_id,
                    miss: None,
                    kind: Kind::Reminder,
                    title: title.to_string(),
                    body,
                    link: link.into(),
                    channels: vec![channel],
                    in_app: false,
                    check_in,
                };
                if d.sms {
                    messages.push(reminder(sms.clone(), "", Channel::Sms, None));
                }
                let Some(button) = *token else {
                    continue;
                };
                // The push carries the day's token and where "I'm OK" posts it.
                messages.push(reminder(
                    push,
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

    /// `user`'s quiet hours, if any.
    pub async fn quiet_hours(self, user: Uuid) -> Result<Option<rules::QuietHours>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        Ok(store::quiet_hours(&mut conn, user)
            .await?
            .map(|(from, to)| rules::QuietHours { from, to }))
    }

    /// Sets (or, with `None`, ends) `user`'s quiet hours: messages written from
    /// now on that may wait, wait (those already queued go as planned).
    pub async fn set_quiet_hours(
        self,
        caller: &crate::services::Caller,
        user: Uuid,
        quiet: Option<rules::QuietHours>,
    ) -> Result<(), sqlx::Error> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        store::set_quiet_hours(&mut tx, user, quiet.map(|q| (q.from, q.to))).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(user),
            "alerts.quiet_hours_set",
            &caller.ip,
            json!({ "on": quiet.is_some() }),
        )
        .await?;
        tx.commit().await
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

    /// Tells each alert's next step (its first, a later one, or a repeat to
    /// everyone): one delivery per Contact of that step per channel, and their
    /// in-app notification; then records where each escalation stands and when
    /// its next step is due. Returns (deliveries written, repeats sent).
    async fn alert_contacts(
        self,
        tx: &mut PgConnection,
        alerts: &[Alerting],
        now: DateTime<Utc>,
    ) -> Result<(usize, usize), sqlx::Error> {
        use super::escalation::{self, Next};
        if alerts.is_empty() {
            return Ok((0, 0));
        }
        let members: Vec<Uuid> = alerts.iter().map(|a| a.member).collect();
        let escalations = store::escalations_of(tx, &members).await?;
        let plans = crate::plan::store::plans_of(tx, &members).await?;
        let mut recipients: std::collections::HashMap<Uuid, Vec<store::RecipientRow>> =
            std::collections::HashMap::new();
        for (member, r) in store::recipients_of(tx, &members).await? {
            // A Contact who may not receive alerts holds no step: the next
            // one is not left waiting for them.
            if rules::may_receive_alerts(&r.account_state) {
                recipients.entry(member).or_default().push(r);
            }
        }
        // Helpers without an account hold a step once they have agreed.
        let mut helpers: std::collections::HashMap<Uuid, Vec<store::HelperRow>> =
            std::collections::HashMap::new();
        for h in store::helpers_of(tx, &members).await? {
            if h.status == super::helpers::HelperStatus::Agreed.as_str() {
                helpers.entry(h.member_id).or_default().push(h);
            }
        }
        let mut messages = Vec::new();
        let mut helper_texts = Vec::new();
        let (mut ids, mut steps, mut repeats, mut nexts) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let mut repeated = 0;
        for a in alerts {
            let esc = escalations.get(&a.member).copied().unwrap_or_default();
            let rs = recipients.get(&a.member).map_or(&[][..], Vec::as_slice);
            let hs = helpers.get(&a.member).map_or(&[][..], Vec::as_slice);
            let positions: Vec<Option<i16>> = rs
                .iter()
                .map(|r| r.alert_step)
                .chain(hs.iter().map(|h| h.alert_step))
                .collect();
            let (all_steps, total) = escalation::ladder(&esc, &positions);
            let (ladder, helper_ladder) = all_steps.split_at(rs.len());
            let what = if a.step == 0 {
                Some(Next::Step(1))
            } else {
                escalation::next_after(&esc, a.step, total, a.repeats, now).map(|(n, _)| n)
            };
            let (step, repeat) = match what {
                Some(Next::Step(k)) => (k, a.repeats),
                Some(Next::Repeat(n)) => (a.step, n),
                None => {
                    // The family shortened the escalation meanwhile: it has run its course.
                    ids.push(a.miss);
                    steps.push(a.step);
                    repeats.push(a.repeats);
                    nexts.push(None);
                    continue;
                }
            };
            let told_earlier = |s: i16| match what {
                Some(Next::Repeat(_)) => true,
                _ => s < step,
            };
            let told_before: Vec<&str> = rs
                .iter()
                .zip(ladder)
                .filter(|(_, s)| told_earlier(**s))
                .map(|(r, _)| r.contact_name.as_str())
                .chain(
                    hs.iter()
                        .zip(helper_ladder)
                        .filter(|(_, s)| told_earlier(**s))
                        .map(|(h, _)| h.name.as_str()),
                )
                .collect();
            let told = escalation::told_words(&told_before);
            // A helper is texted once, at their step (repeats go to the family).
            let texted: Vec<&store::HelperRow> = match what {
                Some(Next::Step(_)) => hs
                    .iter()
                    .zip(helper_ladder)
                    .filter(|(_, s)| {
                        if step == total {
                            **s >= step
                        } else {
                            **s == step
                        }
                    })
                    .map(|(h, _)| h)
                    .collect(),
                _ => Vec::new(),
            };
            if !texted.is_empty() {
                let her = store::name_for_helpers(tx, a.member).await?;
                let address = plans.get(&a.member).map(|p| p.address.as_str());
                for h in texted {
                    helper_texts.push(notify::outbox::HelperText {
                        helper: h.id,
                        member: a.member,
                        miss: Some(a.miss),
                        kind: Kind::Missed,
                        body: super::helpers::alert_words(&her, address, &told),
                    });
                }
            }
            for (r, s) in rs.iter().zip(ladder) {
                let this_step = match what {
                    Some(Next::Repeat(_)) => true,
                    // The last step tells everyone not yet told.
                    _ if step == total => *s >= step,
                    _ => *s == step,
                };
                if !this_step {
                    continue;
                }
                let due = time::deadline_both_zones(a.deadline, a.zone, zone_of(&r.time_zone));
                let name = &r.member_name;
                // A later check-in of a day says which: she may well have
                // made the morning's.
                let missed_title = if a.slot > 0 {
                    format!(
                        "{name} missed the {} check-in",
                        time::clock_with_zone(a.deadline, a.zone)
                    )
                } else {
                    format!("{name} hasn\u{2019}t checked in today")
                };
                let (kind, title, body) = match what {
                    Some(Next::Repeat(_)) => (
                        Kind::MissedAgain,
                        format!("Still no check-in from {name}"),
                        format!("{name} hasn\u{2019}t checked in yet (due {due}), and no one has said they\u{2019}re on it. {told}. You may want to call or visit."),
                    ),
                    _ if step > 1 => (
                        Kind::Missed,
                        missed_title,
                        format!("{name} hasn\u{2019}t checked in by {due}. {told}, and no one has said they\u{2019}re on it yet. Please call or visit to make sure all is well."),
                    ),
                    _ if total > 1 => (
                        Kind::Missed,
                        missed_title,
                        format!("{name} hasn\u{2019}t checked in by {due}. You\u{2019}re the first to be told; if no one responds, the next on the list will be told in {} minutes. You may want to call or visit.", esc.gap_min.unwrap_or(0)),
                    ),
                    _ => (
                        Kind::Missed,
                        missed_title,
                        format!("{name} hasn\u{2019}t checked in by {due}. You may want to call or visit to make sure all is well."),
                    ),
                };
                // What a responder needs first, from her plan (the whole plan
                // is on the alert page).
                let body = match plans.get(&a.member).and_then(|p| p.short()) {
                    Some(short) => format!("{body}\n{short}"),
                    None => body,
                };
                messages.push(Message {
                    to: r.contact_id,
                    member: a.member,
                    miss: Some(a.miss),
                    kind,
                    title,
                    body,
                    link: format!("/alerts/{}", a.miss),
                    channels: alert_channels(r).collect(),
                    in_app: true,
                    check_in: None,
                });
            }
            if matches!(what, Some(Next::Repeat(_))) {
                repeated += 1;
            }
            ids.push(a.miss);
            steps.push(step);
            repeats.push(repeat);
            nexts.push(escalation::next_after(&esc, step, total, repeat, now).map(|(_, at)| at));
        }
        store::set_steps(tx, &ids, &steps, &repeats, &nexts).await?;
        let texts = notify::text_helpers(tx, &helper_texts, now).await?;
        Ok((notify::tell(tx, &messages, now).await? + texts, repeated))
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
                let Some(channel) =
                    notify::Channel::parse(&channel).filter(|c| c.carries_updates())
                else {
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
            self.tell_helpers(
                tx,
                miss,
                None,
                &|her| format!("{her} has checked in. All is well."),
                now,
                Kind::LateUpdate,
            )
            .await?;
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
            None => checkin_store::checkins_on(&mut conn, m.member_id, m.local_day)
                .await?
                .into_iter()
                .find(|c| c.slot == m.slot)
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
            (None, Some(at)) => m.helper_on_it.as_ref().map(|who| {
                format!(
                    "{who} (by text) is on it (since {}).",
                    time::clock(at, my_zone)
                )
            }),
            _ => None,
        };
        let phone = checkin_store::phone_for_contact(&mut conn, me.user_id, m.member_id).await?;
        let closed = match (m.closed_at, m.close_outcome.as_deref()) {
            (Some(at), Some(outcome)) => {
                let who = match m.closed_by {
                    Some(by) if by == me.user_id => "you".to_string(),
                    Some(by) => store::contact_name(&mut conn, m.member_id, by)
                        .await?
                        .unwrap_or_else(|| "a Contact".into()),
                    None => "a Contact".into(),
                };
                let what = super::escalation::Outcome::parse(outcome)
                    .map(|o| o.told_words(&name, m.close_note.as_deref().unwrap_or("")))
                    .unwrap_or_default();
                Some(format!(
                    "Closed by {who} at {} \u{2014} {what}",
                    time::clock(at, my_zone)
                ))
            }
            _ => None,
        };
        let order = self
            .order_words(&mut conn, m.member_id, m.deadline_at, my_zone)
            .await?;
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
                    "sent" if t.channel == Channel::Call => format!(
                        "called{}: {}",
                        t.sent_at
                            .map(|s| format!(" at {}", time::clock(s, my_zone)))
                            .unwrap_or_default(),
                        notify::rules::call_outcome_words(t.provider_status.as_deref())
                    ),
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
                    Channel::Call => "phone call",
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
            may_acknowledge: m.acknowledged_at.is_none()
                && checked_in_at.is_none()
                && m.closed_at.is_none(),
            may_close: checked_in_at.is_none() && m.closed_at.is_none(),
            closed,
            order,
            member_id: m.member_id.to_string(),
            plan: Vec::new(),
            outcomes: super::escalation::Outcome::ALL
                .iter()
                .map(|o| (o.as_str().to_string(), o.choice_words(&name)))
                .collect(),
            trail,
            name,
            phone,
        })
    }

    /// The alert page: the alert, and the Member's plan (each view of it audited).
    pub async fn alert_page(
        self,
        caller: &crate::services::Caller,
        me: &crate::accounts::service::Me,
        miss: Uuid,
    ) -> Result<super::views::AlertView, crate::error::AppError> {
        let mut view = self.alert_view(me, miss).await?;
        let member =
            Uuid::parse_str(&view.member_id).map_err(|_| crate::error::AppError::Internal)?;
        if let Some(plan) = crate::plan::service::Plans(self.0)
            .for_alert(caller, me, member)
            .await?
        {
            view.plan = crate::plan::rules::PARTS
                .iter()
                .zip(plan.values())
                .filter(|(_, v)| !v.is_empty())
                .map(|(p, v)| (p.label.to_string(), v.to_string()))
                .collect();
        }
        Ok(view)
    }

    /// The transaction a Contact's answer to an alert ("I'm on it", closing)
    /// runs in, with the miss: only for someone who looks out for its Member
    /// (404 for anyone else) and whose account may act for others.
    async fn answering(
        self,
        me: &crate::accounts::service::Me,
        miss: Uuid,
    ) -> Result<(sqlx::Transaction<'static, sqlx::Postgres>, store::MissRow), crate::error::AppError>
    {
        let not_yours = || crate::error::AppError::NotFound.with_status();
        let mut tx = self.pool.begin().await?;
        let m = store::miss(&mut tx, miss).await?.ok_or_else(not_yours)?;
        checkin_store::contact_calls(&mut tx, me.user_id, m.member_id)
            .await?
            .ok_or_else(not_yours)?;
        crate::billing::service::require_may_act_for_others(&mut tx, me.user_id).await?;
        Ok((tx, m))
    }

    /// "I'm on it": the first Contact to say so is shown to the others.
    pub async fn acknowledge(
        self,
        caller: &crate::services::Caller,
        me: &crate::accounts::service::Me,
        miss: Uuid,
    ) -> Result<(), crate::error::AppError> {
        let (mut tx, m) = self.answering(me, miss).await?;
        // Someone else first: nothing to change; the page says who.
        self.on_it(&mut tx, &m, me.user_id, &caller.ip, "app")
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records `who`'s "I'm on it" on `m` (told `how`: the app, a text, a
    /// link), stops the escalation, tells the others and audits it; `false`
    /// (and nothing changed) if someone was first.
    async fn on_it(
        self,
        tx: &mut PgConnection,
        m: &store::MissRow,
        who: Uuid,
        ip: &str,
        how: &str,
    ) -> Result<bool, sqlx::Error> {
        let now = self.clock.now();
        if !store::acknowledge(tx, m.id, who, now).await? {
            return Ok(false);
        }
        let name = store::contact_name(tx, m.member_id, who)
            .await?
            .unwrap_or_else(|| "Someone".into());
        self.tell_everyone(
            tx,
            m,
            Some(who),
            &News {
                kind: Kind::Acknowledged,
                to_contacts: &|member| {
                    format!("{name} is on it: they\u{2019}re checking on {member}.")
                },
                to_helpers: &|her| format!("{name} is on it for {her}."),
                skip_helper: None,
            },
            now,
        )
        .await?;
        crate::audit::record(
            &self.settings.audit_key,
            tx,
            now,
            Some(who),
            "alert.acknowledged",
            ip,
            json!({ "miss": m.id, "how": how }),
        )
        .await?;
        Ok(true)
    }

    /// A "1" texted to our number by a Contact whose alert came by text: "I'm
    /// on it" for the newest open alert they were texted about (in the
    /// webhook's transaction, so a failure leaves the message to Twilio's retry).
    pub async fn on_it_by_text(
        self,
        tx: &mut PgConnection,
        user: Uuid,
    ) -> Result<OnItByText, sqlx::Error> {
        let now = self.clock.now();
        let Some(m) = store::texted_open_miss(tx, user, now - rules::CATCH_UP).await? else {
            return Ok(OnItByText::NoAlert);
        };
        let Some(member) = checkin_store::contact_calls(tx, user, m.member_id).await? else {
            return Ok(OnItByText::NoAlert);
        };
        if let Some(first) = m.acknowledged_by {
            let who = if first == user {
                None
            } else {
                store::contact_name(tx, m.member_id, first).await?
            };
            return Ok(OnItByText::Already { member, who });
        }
        if let Some(helper) = &m.helper_on_it {
            return Ok(OnItByText::Already {
                member,
                who: Some(helper.clone()),
            });
        }
        if !self.on_it(tx, &m, user, "sms", "text").await? {
            return Ok(OnItByText::Already { member, who: None });
        }
        Ok(OnItByText::Done { member })
    }

    /// What an alert call says when the Contact answers: the name they call
    /// her, and where the alert stands (still open: ask "press 1"; else what
    /// happened). None for a call that is not an alert of ours.
    pub async fn call_state(self, delivery: Uuid) -> Result<Option<AlertCall>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let Some((reader, miss)) = outbox::alert_of_delivery(&mut conn, delivery).await? else {
            return Ok(None);
        };
        let Some(m) = store::miss(&mut conn, miss).await? else {
            return Ok(None);
        };
        let Some(name) = checkin_store::contact_calls(&mut conn, reader, m.member_id).await? else {
            return Ok(None);
        };
        let state = if m.resolved_at.is_some() {
            AlertCallState::CheckedIn
        } else if m.closed_at.is_some() {
            AlertCallState::Closed
        } else if let Some(by) = m.acknowledged_by {
            AlertCallState::OnIt(if by == reader {
                None
            } else {
                store::contact_name(&mut conn, m.member_id, by).await?
            })
        } else if let Some(helper) = m.helper_on_it.clone() {
            AlertCallState::OnIt(Some(helper))
        } else {
            AlertCallState::Open
        };
        Ok(Some(AlertCall { name, state }))
    }

    /// "1" pressed on an alert call (the voice webhook, signed by Twilio): the
    /// same "I'm on it" as the app's button, told to the others; once.
    pub async fn on_it_by_call(self, delivery: Uuid) -> Result<OnItByText, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let Some((reader, miss)) = outbox::alert_of_delivery(&mut tx, delivery).await? else {
            return Ok(OnItByText::NoAlert);
        };
        let Some(m) = store::miss(&mut tx, miss).await? else {
            return Ok(OnItByText::NoAlert);
        };
        let Some(member) = checkin_store::contact_calls(&mut tx, reader, m.member_id).await? else {
            return Ok(OnItByText::NoAlert);
        };
        if m.resolved_at.is_some() || m.closed_at.is_some() {
            return Ok(OnItByText::NoAlert);
        }
        if let Some(first) = m.acknowledged_by {
            let who = if first == reader {
                None
            } else {
                store::contact_name(&mut tx, m.member_id, first).await?
            };
            return Ok(OnItByText::Already { member, who });
        }
        if let Some(helper) = &m.helper_on_it {
            return Ok(OnItByText::Already {
                member,
                who: Some(helper.clone()),
            });
        }
        if !self.on_it(&mut tx, &m, reader, "twilio", "call").await? {
            return Ok(OnItByText::Already { member, who: None });
        }
        tx.commit().await?;
        Ok(OnItByText::Done { member })
    }

    /// Tells every Contact of `m`'s Member but `by` something that ends or
    /// changes the alert: in the app, and by each channel that carried an alert
    /// to them (so a Contact woken by a text hears by text that it is handled).
    /// The helpers without an account that an alert reached are texted
    /// `news.to_helpers` (with her own name; never a Contact's note).
    pub(super) async fn tell_everyone(
        self,
        tx: &mut PgConnection,
        m: &store::MissRow,
        by: Option<Uuid>,
        news: &News<'_>,
        now: DateTime<Utc>,
    ) -> Result<usize, sqlx::Error> {
        let kind = news.kind;
        let words = news.to_contacts;
        let alerted = outbox::alerted(tx, m.id).await?;
        let mut messages = Vec::new();
        for r in store::recipients(tx, m.member_id).await? {
            if Some(r.contact_id) == by {
                continue;
            }
            let body = words(&r.member_name);
            messages.push(Message {
                to: r.contact_id,
                member: m.member_id,
                miss: Some(m.id),
                kind,
                title: body.clone(),
                body,
                link: format!("/alerts/{}", m.id),
                channels: alerted
                    .iter()
                    .filter(|(who, _)| *who == r.contact_id)
                    .filter_map(|(_, c)| Channel::parse(c))
                    .filter(|c| c.carries_updates())
                    .collect(),
                in_app: true,
                check_in: None,
            });
        }
        self.tell_helpers(tx, m, news.skip_helper, news.to_helpers, now, kind)
            .await?;
        notify::tell(tx, &messages, now).await
    }

    /// "Close this alert": what happened, told to every Contact at once; the
    /// escalation and its repeats stop, and alerts not yet sent are canceled.
    pub async fn close(
        self,
        caller: &crate::services::Caller,
        me: &crate::accounts::service::Me,
        miss: Uuid,
        outcome: super::escalation::Outcome,
        note: &str,
    ) -> Result<(), crate::error::AppError> {
        let now = self.clock.now();
        let (mut tx, m) = self.answering(me, miss).await?;
        if !store::close(&mut tx, miss, me.user_id, outcome, note, now).await? {
            // Closed already, or she checked in: the page says so.
            return Ok(());
        }
        outbox::cancel_waiting_alerts(&mut tx, miss).await?;
        let who = store::contact_name(&mut tx, m.member_id, me.user_id)
            .await?
            .unwrap_or_else(|| "Someone".into());
        self.tell_everyone(
            &mut tx,
            &m,
            Some(me.user_id),
            &News {
                kind: Kind::AlertClosed,
                to_contacts: &|name| {
                    format!(
                        "{who} closed the alert about {name}: {}.",
                        outcome.told_words(name, note).trim_end_matches('.')
                    )
                },
                to_helpers: &|her| format!("{her}'s family has closed the alert."),
                skip_helper: None,
            },
            now,
        )
        .await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "alert.closed",
            &caller.ip,
            json!({ "miss": miss, "outcome": outcome.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who is told when, for everyone to see: "Tom: at 10:15 AM", "Anna: 15
    /// minutes later, if no one has responded", then the repeats.
    pub async fn order_words(
        self,
        conn: &mut PgConnection,
        member: Uuid,
        deadline: DateTime<Utc>,
        zone: Tz,
    ) -> Result<Vec<String>, sqlx::Error> {
        use super::escalation;
        let esc = store::escalation(conn, member).await?;
        let rs: Vec<store::RecipientRow> = store::recipients(conn, member)
            .await?
            .into_iter()
            .filter(|r| rules::may_receive_alerts(&r.account_state))
            .collect();
        let hs: Vec<store::HelperRow> = store::helpers_of(conn, &[member])
            .await?
            .into_iter()
            .filter(|h| h.status == super::helpers::HelperStatus::Agreed.as_str())
            .collect();
        let positions: Vec<Option<i16>> = rs
            .iter()
            .map(|r| r.alert_step)
            .chain(hs.iter().map(|h| h.alert_step))
            .collect();
        let (ladder, total) = escalation::ladder(&esc, &positions);
        let by_text: Vec<String> = hs.iter().map(|h| format!("{} (by text)", h.name)).collect();
        let names_of: Vec<&str> = rs
            .iter()
            .map(|r| r.contact_name.as_str())
            .chain(by_text.iter().map(String::as_str))
            .collect();
        let (grace, theirs) = match checkin_store::schedule(conn, member).await? {
            Some(s) => (i64::from(s.grace_min), zone_of(&s.time_zone)),
            None => (0, zone),
        };
        let first = time::deadline_both_zones(deadline + Duration::minutes(grace), theirs, zone);
        let mut lines = Vec::new();
        for step in 1..=total {
            let names: Vec<&str> = names_of
                .iter()
                .zip(&ladder)
                .filter(|(_, s)| **s == step)
                .map(|(n, _)| *n)
                .collect();
            if names.is_empty() {
                continue;
            }
            let when = if step == 1 {
                format!("told first, at {first}")
            } else {
                format!(
                    "told {} minutes after the step before, if no one has responded",
                    esc.gap_min.unwrap_or(0)
                )
            };
            lines.push(format!("{}: {when}", escalation::names_words(&names)));
        }
        if esc.repeats > 0 {
            lines.push(format!(
                "Then everyone again every 30 minutes, up to {} times, until someone says they\u{2019}re on it.",
                esc.repeats
            ));
        }
        Ok(lines)
    }

    /// `member`'s escalation, for the Member or one of their Contacts.
    pub async fn order_view(
        self,
        me: &crate::accounts::service::Me,
        member: Uuid,
    ) -> Result<super::views::OrderView, crate::error::AppError> {
        let mut conn = self.pool.acquire().await?;
        let name = may_see_order(&mut conn, me, member).await?;
        let esc = store::escalation(&mut conn, member).await?;
        let contacts = store::recipients(&mut conn, member)
            .await?
            .into_iter()
            .map(|r| (r.contact_id.to_string(), r.contact_name, r.alert_step))
            .collect();
        let zone = zone_of(&checkin_store::user_time_zone(&mut conn, me.user_id).await?);
        let deadline = match checkin_store::schedule(&mut conn, member).await? {
            Some(s) => s.next_deadline,
            None => self.clock.now(),
        };
        let summary = self.order_words(&mut conn, member, deadline, zone).await?;
        let helpers = self.helper_views(&mut conn, member).await?;
        Ok(super::views::OrderView {
            member_id: member.to_string(),
            name,
            is_self: member == me.user_id,
            gap_min: esc.gap_min,
            repeats: esc.repeats,
            contacts,
            helpers,
            summary,
        })
    }

    /// Sets who is told first: the Member or any of their Contacts may; the
    /// Member and the other Contacts are told in the app who changed it.
    pub async fn set_order(
        self,
        caller: &crate::services::Caller,
        me: &crate::accounts::service::Me,
        member: Uuid,
        escalation: &super::escalation::Escalation,
        places: &[(Uuid, Option<i16>)],
    ) -> Result<(), crate::error::AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        may_see_order(&mut tx, me, member).await?;
        if member != me.user_id {
            crate::billing::service::require_may_act_for_others(&mut tx, me.user_id).await?;
        }
        store::set_escalation(&mut tx, member, escalation, places, me.user_id, now).await?;
        store::place_helpers(&mut tx, member, places).await?;
        let who = if member == me.user_id {
            None
        } else {
            store::contact_name(&mut tx, member, me.user_id).await?
        };
        let mut notes = Vec::new();
        if let Some(who) = &who {
            notes.push((
                member,
                format!("{who} changed who is told first if you miss a check-in."),
            ));
        }
        for r in store::recipients(&mut tx, member).await? {
            if r.contact_id == me.user_id {
                continue;
            }
            let by = who.clone().unwrap_or_else(|| r.member_name.clone());
            notes.push((
                r.contact_id,
                format!(
                    "{by} changed who is told first if {} misses a check-in.",
                    r.member_name
                ),
            ));
        }
        let messages: Vec<Message> = notes
            .into_iter()
            .map(|(to, body)| Message {
                to,
                member,
                miss: None,
                kind: Kind::ScheduleChanged,
                title: body.clone(),
                body,
                link: format!("/people/{member}/order"),
                channels: Vec::new(),
                in_app: true,
                check_in: None,
            })
            .collect();
        notify::tell(&mut tx, &messages, now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "alerts.order_set",
            &caller.ip,
            json!({
                "member": member,
                "gap_min": escalation.gap_min,
                "repeats": escalation.repeats,
                "places": places.iter().filter(|(_, p)| p.is_some()).count(),
            }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The alert an email's signed link is about, and its reader (404 for a
    /// bad signature, an unknown delivery, or a reader no longer connected).
    async fn linked_alert(
        self,
        conn: &mut PgConnection,
        delivery: Uuid,
        token: &str,
    ) -> Result<(Uuid, store::MissRow, String), crate::error::AppError> {
        let not_found = || crate::error::AppError::NotFound.with_status();
        if !self.settings.code_key.answer_token_ok(delivery, token) {
            return Err(not_found());
        }
        let (reader, miss) = outbox::alert_of_delivery(conn, delivery)
            .await?
            .ok_or_else(not_found)?;
        let m = store::miss(conn, miss).await?.ok_or_else(not_found)?;
        let name = checkin_store::contact_calls(conn, reader, m.member_id)
            .await?
            .ok_or_else(not_found)?;
        Ok((reader, m, name))
    }

    /// The page an alert email's "I'm on it" link opens (GET: changes nothing,
    /// so a mail scanner following the link answers nothing).
    pub async fn answer_view(
        self,
        delivery: Uuid,
        token: &str,
    ) -> Result<super::views::AnswerView, crate::error::AppError> {
        let mut conn = self.pool.acquire().await?;
        let (reader, m, name) = self.linked_alert(&mut conn, delivery, token).await?;
        let zone = zone_of(&checkin_store::user_time_zone(&mut conn, reader).await?);
        let state = if let Some(at) = m.resolved_at {
            Some(format!(
                "{name} checked in at {}. All is well.",
                time::clock(at, zone)
            ))
        } else if let (Some(at), Some(by)) = (m.closed_at, m.closed_by) {
            let who = store::contact_name(&mut conn, m.member_id, by)
                .await?
                .unwrap_or_else(|| "a Contact".into());
            Some(format!(
                "The alert was closed by {who} at {}.",
                time::clock(at, zone)
            ))
        } else {
            match (m.acknowledged_by, m.acknowledged_at) {
                (Some(by), Some(at)) if by == reader => Some(format!(
                    "You said you\u{2019}re on it at {}. The others know.",
                    time::clock(at, zone)
                )),
                (Some(by), Some(at)) => Some(format!(
                    "{} is on it (since {}).",
                    store::contact_name(&mut conn, m.member_id, by)
                        .await?
                        .unwrap_or_else(|| "Someone".into()),
                    time::clock(at, zone)
                )),
                (None, Some(at)) => m
                    .helper_on_it
                    .as_ref()
                    .map(|who| format!("{who} is on it (since {}).", time::clock(at, zone))),
                _ => None,
            }
        };
        Ok(super::views::AnswerView {
            headline: format!("{name} hasn\u{2019}t checked in today."),
            may_answer: state.is_none(),
            state,
            alert_link: format!("/alerts/{}", m.id),
            name,
        })
    }

    /// "I'm on it" from an alert email's signed link: once; using the link
    /// again changes nothing.
    pub async fn answer_by_link(
        self,
        caller: &crate::services::Caller,
        delivery: Uuid,
        token: &str,
    ) -> Result<(), crate::error::AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let (reader, m, _) = self.linked_alert(&mut tx, delivery, token).await?;
        let open = m.resolved_at.is_none() && m.closed_at.is_none();
        if outbox::use_answer_link(&mut tx, delivery, now).await? && open {
            self.on_it(&mut tx, &m, reader, &caller.ip, "email").await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// The Member, or one of their active Contacts: what `me` calls them (404 for
/// anyone else).
pub(super) async fn may_see_order(
    conn: &mut PgConnection,
    me: &crate::accounts::service::Me,
    member: Uuid,
) -> Result<String, crate::error::AppError> {
    if member == me.user_id {
        return Ok("You".into());
    }
    checkin_store::contact_calls(conn, me.user_id, member)
        .await?
        .ok_or_else(|| crate::error::AppError::NotFound.with_status())
}

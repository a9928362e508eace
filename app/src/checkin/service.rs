//! What each check-in action does, on the server: one transaction each, the
//! Member's schedule row locked while their day changes, and every Member id a
//! caller names checked to be theirs or one they look out for.
use super::rules::{self, DayOutcome, PauseRange, HISTORY_DAYS};
use super::store::{self, CheckinRow, NewCheckin, NewSchedule, ScheduleRow};
use super::views::*;
use super::windows::{self, Slot, Tap, Window};
use crate::accounts::service::Me;
use crate::alerts::service::{token_hash, Alerts, REMINDER_EXPIRED};
use crate::alerts::store as alert_store;
use crate::billing::service::{require_may_act_for_others, Billing};
use crate::error::AppError;
use crate::notify::inbox::{self, NewNotification};
use crate::notify::Kind;
use crate::services::Caller;
use crate::time;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// A schedule as the Member submits it, already validated.
#[derive(Debug, Clone)]
pub struct ScheduleInput {
    /// 1 to 4 check-ins a day (`windows::check`ed).
    pub windows: Vec<Window>,
    pub zone: Tz,
    pub reminder_on: bool,
    pub lead_min: u16,
    pub grace_min: u16,
}

/// Where a check-in came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Web,
    Sms,
    Push,
    /// A call to Pruuf's number from her confirmed phone, with her PIN.
    Phone,
    /// "I'm with her now": this Contact, in person, checked her in.
    Contact(Uuid),
}

impl Source {
    fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Sms => "sms",
            Source::Push => "push",
            Source::Phone => "phone",
            Source::Contact(_) => "contact",
        }
    }

    fn by(self) -> Option<Uuid> {
        match self {
            Source::Contact(who) => Some(who),
            _ => None,
        }
    }
}

const NO_SCHEDULE: &str = "Please choose your daily check-in time first.";
const NONE_TODAY: &str = "There\u{2019}s no check-in today: nothing to do. Enjoy your day.";

/// A stored zone name; `UTC` if it no longer parses (it was validated on the way in).
fn zone_of(name: &str) -> Tz {
    time::parse_zone(name).unwrap_or(Tz::UTC)
}

fn schedule_zone(s: &ScheduleRow) -> Tz {
    zone_of(&s.time_zone)
}

/// "Monday 1 December to Friday 5 December" (or one day).
fn range_words(first: NaiveDate, last: NaiveDate) -> String {
    let day = |d: NaiveDate| d.format("%A %-d %B").to_string();
    if first == last {
        day(first)
    } else {
        format!("{} to {}", day(first), day(last))
    }
}

/// What a Member's today looks like at `now`: its check-ins, and the one the
/// pages are about (the one a tap would check in, or the latest open one).
struct Today {
    zone: Tz,
    day: NaiveDate,
    /// Today's check-ins in time order (a time moved later in place), each with
    /// its check-in.
    slots: Vec<Slot>,
    checkins: Vec<Option<CheckinRow>>,
    /// The one the pages are about; `None` on a day without a check-in.
    current: Option<usize>,
    /// Its deadline (on a day without one, the next check-in's).
    deadline: DateTime<Utc>,
    grace: Duration,
    checkin: Option<CheckinRow>,
    paused: bool,
    /// Nothing is expected of the current check-in: the schedule was saved
    /// after its deadline (the first check-in is a later one, and nobody is
    /// alerted about this one), or there is none today.
    starts_tomorrow: bool,
    /// The current check-in's miss, once the detector claimed it (its alerts
    /// went out with it).
    miss: Option<crate::alerts::store::MissRow>,
}

impl Today {
    fn status(&self, now: DateTime<Utc>) -> Status {
        if self.checkin.is_some() {
            Status::CheckedIn
        } else if self.paused {
            Status::Paused
        } else if self.starts_tomorrow {
            Status::NotYet
        } else if now >= self.deadline + self.grace + Duration::minutes(1) {
            Status::Missed
        } else if !time::is_on_time(now, self.deadline) {
            Status::Late
        } else {
            Status::NotYet
        }
    }

    /// The current check-in's slot number (for its miss, its "running late").
    fn slot(&self) -> Option<i16> {
        self.current.and_then(|i| self.slots.get(i)).map(|s| s.slot)
    }

    /// On a day with more than one check-in, a line for each: its time (as
    /// `clock` writes it) and how it went.
    fn window_lines(
        &self,
        now: DateTime<Utc>,
        clock: impl Fn(DateTime<Utc>) -> String,
    ) -> Vec<String> {
        if self.slots.len() < 2 {
            return Vec::new();
        }
        self.slots
            .iter()
            .zip(&self.checkins)
            .map(|(s, c)| {
                let how = match c {
                    Some(c) if c.late => format!(
                        "checked in at {} (late)",
                        time::clock(c.checked_in_at, self.zone)
                    ),
                    Some(c) => format!("checked in at {}", time::clock(c.checked_in_at, self.zone)),
                    None if self.paused => "away today".into(),
                    None if now >= s.deadline + self.grace + Duration::minutes(1) => {
                        "missed".into()
                    }
                    None if !time::is_on_time(now, s.deadline) => "running late".into(),
                    None => "not yet".into(),
                };
                format!("{}: {how}", clock(s.deadline))
            })
            .collect()
    }
}

async fn today_of(
    conn: &mut PgConnection,
    s: &ScheduleRow,
    now: DateTime<Utc>,
) -> Result<Today, AppError> {
    let zone = schedule_zone(s);
    let day = time::local_day(now, zone);
    let slots = windows::slots_today(&s.windows(), day, zone, s.next_deadline, s.next_slot);
    let rows = store::checkins_on(conn, s.member_id, day).await?;
    let checkins: Vec<Option<CheckinRow>> = slots
        .iter()
        .map(|sl| rows.iter().find(|c| c.slot == sl.slot).cloned())
        .collect();
    let checked: Vec<bool> = checkins.iter().map(Option::is_some).collect();
    let current = match windows::tap(&slots, &checked, now) {
        Tap::Record(i) | Tap::Already(i) => Some(i),
        Tap::NoneToday => None,
    };
    let paused = !store::pauses_between(conn, s.member_id, day, day)
        .await?
        .is_empty();
    let (deadline, checkin, miss) = match current {
        Some(i) => (
            slots[i].deadline,
            checkins[i].clone(),
            // The detector's own test: a check-in is due while the schedule
            // watches it (or one before it); once a miss is claimed it moves
            // on, but the miss stays.
            crate::alerts::store::miss_on(conn, s.member_id, day, slots[i].slot).await?,
        ),
        None => (s.next_deadline, None, None),
    };
    let starts_tomorrow =
        current.is_none() || (checkin.is_none() && s.next_deadline > deadline && miss.is_none());
    Ok(Today {
        zone,
        day,
        slots,
        checkins,
        current,
        deadline,
        grace: Duration::minutes(i64::from(s.grace_min)),
        starts_tomorrow,
        miss,
        checkin,
        paused,
    })
}

/// The schedule form's rows after the first: each other window's (time, days),
/// then empty rows up to four in all.
fn schedule_rows(windows: &[Window]) -> Vec<(String, String)> {
    let mut rows: Vec<(String, String)> = windows
        .iter()
        .skip(1)
        .map(|w| {
            (
                w.time.format("%H:%M").to_string(),
                w.days.value().to_string(),
            )
        })
        .collect();
    while rows.len() < windows::MAX_PER_DAY - 1 {
        rows.push((String::new(), "every".into()));
    }
    rows
}

/// "10:00 AM EST" or "9:00 AM EST on weekdays, 11:00 AM EST on weekends and
/// 8:00 PM EST every day", each time written by `clock`.
fn windows_words(windows: &[Window], clock: impl Fn(chrono::NaiveTime) -> String) -> String {
    if let [only] = windows {
        if only.days == windows::Days::EVERY_DAY {
            return clock(only.time);
        }
    }
    let parts: Vec<String> = windows
        .iter()
        .map(|w| {
            format!(
                "{} {}",
                clock(w.time),
                if w.days == windows::Days::EVERY_DAY {
                    "every day".to_string()
                } else {
                    format!("on {}", w.days.words())
                }
            )
        })
        .collect();
    match parts.as_slice() {
        [first @ .., last] if !first.is_empty() => format!("{} and {last}", first.join(", ")),
        _ => parts.join(""),
    }
}

/// The travel question, when her browser's zone (`browser`, as last
/// reported) is not her check-ins' and she has not been asked about it: only
/// when its clock differs now (another city in the same zone is not travel),
/// and never for a plain "UTC" (what a browser that never said reads as).
fn travel_prompt(s: &ScheduleRow, browser: &str, now: DateTime<Utc>) -> Option<TravelPrompt> {
    use chrono::Offset;
    if browser == s.time_zone || browser == "UTC" || s.travel_asked_zone.as_deref() == Some(browser)
    {
        return None;
    }
    let (there, home) = (time::parse_zone(browser)?, time::parse_zone(&s.time_zone)?);
    let offset = |z: Tz| now.with_timezone(&z).offset().fix();
    (offset(there) != offset(home)).then(|| TravelPrompt {
        zone: browser.to_string(),
        place: rules::place_of(browser),
        home_place: rules::place_of(&s.time_zone),
    })
}

/// A repeat tap's answer: the check-in made already.
fn already_done(first: &CheckinRow, zone: Tz) -> CheckInDone {
    CheckInDone {
        at: time::clock(first.checked_in_at, zone),
        late: first.late,
        already: true,
    }
}

/// The check-in after the current one: the next of the day, or a later day's.
fn following(s: &ScheduleRow, today: &Today) -> DateTime<Utc> {
    match today.slot() {
        Some(slot) if !today.starts_tomorrow => {
            windows::after(&s.windows(), today.day, slot, today.zone)
                .map_or(s.next_deadline, |n| n.deadline)
        }
        _ => s.next_deadline,
    }
}

crate::services::facade! {
    /// The check-in actions: the home, schedules, checking in, pauses.
    CheckIns
}

impl CheckIns<'_> {
    /// The signed-in person's home: their own day (as a Member) and everyone
    /// they look out for (as a Contact).
    pub async fn home(self, me: &Me) -> Result<HomeView, AppError> {
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        let my_zone_name = store::user_time_zone(&mut conn, me.user_id).await?;
        let my_zone = zone_of(&my_zone_name);
        let contacts = store::contacts_of(&mut conn, me.user_id).await?;
        let schedule = store::schedule(&mut conn, me.user_id).await?;
        let my_day = match &schedule {
            Some(s) => Some(
                self.my_day(&mut conn, s, &contacts, &my_zone_name, now)
                    .await?,
            ),
            None => None,
        };
        let mut watching = Vec::new();
        for m in store::members_of(&mut conn, me.user_id).await? {
            watching.push(self.watched(&mut conn, m, my_zone, now).await?);
        }
        Ok(HomeView {
            user_id: me.user_id.to_string(),
            email: me.email.clone(),
            time_zone: my_zone_name,
            needs_consent: me.needs_consent,
            is_member: schedule.is_some() || !contacts.is_empty(),
            my_day,
            watching,
            pending: store::pending_members_of(&mut conn, me.user_id, now).await?,
            looked_out_by: contacts.iter().map(|c| c.name.clone()).collect(),
            billing: Billing(self.0)
                .home_billing(&mut conn, me.user_id, now)
                .await?,
        })
    }

    async fn my_day(
        self,
        conn: &mut PgConnection,
        s: &ScheduleRow,
        contacts: &[store::ContactRow],
        browser_zone: &str,
        now: DateTime<Utc>,
    ) -> Result<MyDay, AppError> {
        let today = today_of(conn, s, now).await?;
        let zone = today.zone;
        let next = if today.checkin.is_some() || today.paused || today.starts_tomorrow {
            following(s, &today)
        } else {
            today.deadline
        };
        let next_day = time::local_day(next, zone);
        let paused = store::pauses_from(conn, s.member_id, today.day)
            .await?
            .into_iter()
            .find(|p| p.first_day <= today.day)
            .map(|p| {
                format!(
                    "You\u{2019}re away until {}: no check-in is needed.",
                    p.last_day.format("%A %-d %B")
                )
            });
        let missed = match today.status(now) {
            Status::Late => Some(rules::LATE_WORDS.to_string()),
            Status::Missed => {
                // Told only once the detector claimed the miss (it writes the
                // alerts in the same transaction).
                let told: Vec<String> = if today.miss.is_some() {
                    contacts.iter().map(|c| c.name.clone()).collect()
                } else {
                    Vec::new()
                };
                Some(rules::missed_words(&told))
            }
            _ => None,
        };
        let may_run_late = match today.slot() {
            Some(slot) => {
                today.checkin.is_none()
                    && !today.paused
                    && !today.starts_tomorrow
                    && time::is_on_time(now, today.deadline)
                    && !store::late_day_moved(conn, s.member_id, today.day, slot).await?
            }
            None => false,
        };
        // Which check-in the button is for, when today has more than one.
        let which = match today.current {
            Some(i) if today.slots.len() > 1 && today.checkin.is_none() && !today.paused => Some(
                windows::slot_words(&time::clock(today.slots[i].deadline, zone)),
            ),
            _ => None,
        };
        Ok(MyDay {
            travel: travel_prompt(s, browser_zone, now),
            which,
            windows: today.window_lines(now, |at| time::clock(at, zone)),
            may_run_late,
            missed,
            deadline_words: format!(
                "{} at {}",
                time::day_words(next_day, today.day),
                time::clock(next, zone)
            ),
            deadline_ms: next.timestamp_millis(),
            countdown: rules::countdown_words((next - now).num_minutes()),
            checked_in_at: today.checkin.map(|c| time::clock(c.checked_in_at, zone)),
            paused,
            contacts: contacts
                .iter()
                .map(|c| PersonLink {
                    name: c.name.clone(),
                    email: c.email.clone(),
                })
                .collect(),
        })
    }

    async fn watched(
        self,
        conn: &mut PgConnection,
        m: store::WatchedRow,
        my_zone: Tz,
        now: DateTime<Utc>,
    ) -> Result<Watched, AppError> {
        let last = store::last_checkin(conn, m.member_id).await?;
        let mut alert = None;
        let mut windows_today = Vec::new();
        let (status, headline, zone) = match store::schedule(conn, m.member_id).await? {
            None => (
                Status::NoSchedule,
                format!("{} hasn\u{2019}t chosen a daily check-in time yet.", m.name),
                Tz::UTC,
            ),
            Some(s) => {
                let today = today_of(conn, &s, now).await?;
                let status = today.status(now);
                alert = today.miss.clone();
                let due = time::deadline_both_zones(today.deadline, today.zone, my_zone);
                let headline = match status {
                    Status::CheckedIn => match &today.checkin {
                        Some(c) => format!(
                            "Checked in {}at {}{}",
                            if c.source == "phone" { "by phone " } else { "" },
                            time::clock(c.checked_in_at, today.zone),
                            if c.late { " (late)" } else { "" }
                        ),
                        None => String::new(),
                    },
                    Status::Paused => "Away today: no check-in expected".into(),
                    Status::NotYet if today.starts_tomorrow => {
                        let first = s.next_deadline;
                        format!(
                            "{} check-in: {} at {}",
                            if today.current.is_some() {
                                "First"
                            } else {
                                "Next"
                            },
                            time::day_words(time::local_day(first, today.zone), today.day),
                            time::deadline_both_zones(first, today.zone, my_zone)
                        )
                    }
                    Status::NotYet => format!("Not yet. Due by {due}"),
                    Status::Late => format!("Not yet. It was due at {due}"),
                    Status::Missed => format!("Missed today\u{2019}s check-in (due {due})"),
                    Status::NoSchedule => String::new(),
                };
                windows_today = today
                    .window_lines(now, |at| time::deadline_both_zones(at, today.zone, my_zone));
                (status, headline, today.zone)
            }
        };
        let last_checkin = last.map(|c| {
            let today = time::local_day(now, zone);
            format!(
                "Last check-in: {} at {}",
                time::day_words(c.local_day, today),
                time::clock(c.checked_in_at, zone)
            )
        });
        let closed = match alert.as_ref() {
            Some(a) => match (
                a.closed_at,
                a.close_outcome
                    .as_deref()
                    .and_then(crate::alerts::escalation::Outcome::parse),
            ) {
                (Some(at), Some(outcome)) => {
                    let who = match a.closed_by {
                        Some(by) => {
                            crate::alerts::store::contact_name(conn, m.member_id, by).await?
                        }
                        None => None,
                    }
                    .unwrap_or_else(|| "a Contact".into());
                    Some(format!(
                        "Closed by {who} at {} \u{2014} {}",
                        time::clock(at, zone),
                        outcome.told_words(&m.name, a.close_note.as_deref().unwrap_or(""))
                    ))
                }
                _ => None,
            },
            None => None,
        };
        let on_it = match alert.as_ref().and_then(|a| a.acknowledged_by) {
            _ if closed.is_some() => closed,
            Some(by) => Some(format!(
                "{} is on it.",
                crate::alerts::store::contact_name(conn, m.member_id, by)
                    .await?
                    .unwrap_or_else(|| "Someone".into())
            )),
            None => alert
                .as_ref()
                .and_then(|a| a.helper_on_it.as_ref())
                .map(|who| format!("{who} is on it.")),
        };
        Ok(Watched {
            alert_href: alert.map(|a| format!("/alerts/{}", a.id)),
            on_it,
            member_id: m.member_id.to_string(),
            name: m.name,
            email: m.email,
            phone: m.phone,
            status,
            headline,
            last_checkin,
            windows: windows_today,
        })
    }

    /// The signed-in person's schedule, or the defaults (in their browser's zone)
    /// when they have not saved one.
    pub async fn my_schedule(self, me: &Me) -> Result<ScheduleView, AppError> {
        let mut conn = self.pool.acquire().await?;
        let (devices, texts) = store::reminder_reach(&mut conn, me.user_id).await?;
        let unreachable = rules::reminder_unreachable(devices, texts).map(str::to_string);
        let mut view = match store::schedule(&mut conn, me.user_id).await? {
            // The form's rows in the order she gave them (the first need not
            // be the earliest).
            Some(s) => ScheduleView {
                deadline: s
                    .windows()
                    .first()
                    .map_or(s.deadline, |w| w.time)
                    .format("%H:%M")
                    .to_string(),
                days: s
                    .windows()
                    .first()
                    .map_or("every", |w| w.days.value())
                    .to_string(),
                more: schedule_rows(&s.windows()),
                time_zone: s.time_zone,
                reminder_on: s.reminder_on,
                lead_min: s.reminder_lead_min.unsigned_abs(),
                grace_min: s.grace_min.unsigned_abs(),
                saved: true,
                unreachable: None,
            },
            None => ScheduleView {
                deadline: rules::DEFAULT_DEADLINE.into(),
                days: "every".into(),
                more: schedule_rows(&[]),
                time_zone: store::user_time_zone(&mut conn, me.user_id).await?,
                reminder_on: true,
                lead_min: rules::DEFAULT_LEAD,
                grace_min: rules::DEFAULT_GRACE,
                saved: false,
                unreachable: None,
            },
        };
        if view.reminder_on {
            view.unreachable = unreachable;
        }
        Ok(view)
    }

    /// Saves the signed-in Member's schedule. Only the Member sets their own: the
    /// function takes no Member id. Their Contacts are told of a change.
    pub async fn set_schedule(
        self,
        caller: &Caller,
        me: &Me,
        input: &ScheduleInput,
    ) -> Result<(), AppError> {
        self.save_schedule(caller, me, input, false).await
    }

    /// Saves a schedule; `travel`: she moved it to where she is, so it starts
    /// at the first check-in still ahead there (one whose time there has
    /// passed was not due where she was).
    async fn save_schedule(
        self,
        caller: &Caller,
        me: &Me,
        input: &ScheduleInput,
        travel: bool,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let old = store::schedule_for_update(&mut tx, me.user_id).await?;
        let zone = input.zone;
        let first = match &old {
            // A new schedule begins at the first check-in still ahead.
            None => windows::first_ahead(&input.windows, now, zone),
            Some(_) if travel => windows::first_ahead(&input.windows, now, zone),
            // A changed one watches today's first check-in not yet made: one
            // whose time has passed is alerted after its grace (no sooner),
            // and the one-miss-per-check-in claim keeps any from being
            // alerted twice (SPEC §5).
            // Never one at or before today's latest check-in or claimed miss:
            // a window added before them would renumber the day's slots, and
            // an alert already sent must not go out again under a new number.
            Some(_) => {
                let today = time::local_day(now, zone);
                let done = store::checkins_on(&mut tx, me.user_id, today).await?;
                let handled = done
                    .iter()
                    .map(|c| c.deadline_at)
                    .chain(alert_store::last_miss_deadline(&mut tx, me.user_id, today).await?)
                    .max();
                windows::slots_on(&input.windows, today, zone)
                    .into_iter()
                    .find(|s| {
                        !done.iter().any(|c| c.slot == s.slot)
                            && handled.is_none_or(|h| s.deadline > h)
                    })
                    .or_else(|| windows::after(&input.windows, today, i16::MAX, zone))
            }
        };
        let first = first.ok_or_else(|| AppError::invalid(rules::TIME_MESSAGE))?;
        store::save_schedule(
            &mut tx,
            &NewSchedule {
                member: me.user_id,
                windows: &input.windows,
                time_zone: zone.name(),
                reminder_on: input.reminder_on,
                reminder_lead_min: input.lead_min as i16,
                grace_min: input.grace_min as i16,
                next_deadline: first.deadline,
                next_slot: first.slot,
            },
            now,
        )
        .await?;
        let changed = old.as_ref().is_some_and(|o| {
            o.windows() != input.windows
                || o.time_zone != zone.name()
                || o.grace_min != input.grace_min as i16
        });
        if changed {
            let today = time::local_day(now, zone);
            let at = windows_words(&input.windows, |t| {
                time::clock_with_zone(time::deadline_on(today, t, zone), zone)
            });
            for c in store::contacts_of(&mut tx, me.user_id).await? {
                let body = format!(
                    "{}\u{2019}s daily check-in time is now {at}. You\u{2019}ll hear from us if {} hasn\u{2019}t checked in {} minutes after it.",
                    c.member_name, c.member_name, input.grace_min
                );
                inbox::add(
                    &mut tx,
                    &NewNotification {
                        user: c.contact_id,
                        kind: Kind::ScheduleChanged,
                        about: Some(me.user_id),
                        body: &body,
                        link: Some(&format!("/people/{}", me.user_id)),
                    },
                    now,
                )
                .await?;
            }
        }
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            if old.is_some() { "schedule.changed" } else { "schedule.set" },
            &caller.ip,
            json!({ "windows": input.windows.iter().map(|w| format!("{} {}", w.time.format("%H:%M"), w.days.value())).collect::<Vec<_>>(),
                    "time_zone": zone.name(),
                    "grace_min": input.grace_min, "reminder_on": input.reminder_on, "lead_min": input.lead_min }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Her answer to the travel question: with "use", her check-ins keep their
    /// times of day in `zone` (saved as any schedule change, so her Contacts
    /// are told and it is audited); either way she is not asked about `zone`
    /// again.
    pub async fn answer_travel(
        self,
        caller: &Caller,
        me: &Me,
        zone: Tz,
        use_it: bool,
    ) -> Result<(), AppError> {
        let mut conn = self.pool.acquire().await?;
        let s = store::schedule(&mut conn, me.user_id)
            .await?
            .ok_or_else(|| AppError::invalid(NO_SCHEDULE))?;
        drop(conn);
        if use_it {
            self.save_schedule(
                caller,
                me,
                &ScheduleInput {
                    windows: s.windows(),
                    zone,
                    reminder_on: s.reminder_on,
                    lead_min: s.reminder_lead_min.unsigned_abs(),
                    grace_min: s.grace_min.unsigned_abs(),
                },
                true,
            )
            .await?;
        }
        let mut tx = self.pool.begin().await?;
        store::set_travel_asked(&mut tx, me.user_id, zone.name()).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Remembers the zone the person's browser reports (shown to them as "your time").
    pub async fn remember_zone(self, me: &Me, zone: Tz) -> Result<(), AppError> {
        store::set_user_time_zone(&self.pool, me.user_id, zone.name()).await?;
        Ok(())
    }

    /// "I'm OK" on a reminder notification: checks its Member in, if the token is
    /// one we sent and its day is still today where they live.
    pub async fn check_in_from_reminder(self, token: &str) -> Result<CheckInDone, AppError> {
        let expired = || AppError::invalid(REMINDER_EXPIRED);
        let Some((member, day)) =
            alert_store::reminder_by_token(&self.pool, &token_hash(token)).await?
        else {
            return Err(expired());
        };
        let mut conn = self.pool.acquire().await?;
        let zone = match store::schedule(&mut conn, member).await? {
            Some(s) => zone_of(&s.time_zone),
            None => return Err(expired()),
        };
        drop(conn);
        if time::local_day(self.clock.now(), zone) != day {
            return Err(expired());
        }
        self.check_in(member, Source::Push).await
    }

    /// "I'm OK": records today's check-in for `member` at server time. A second one
    /// the same day returns the first and tells nobody.
    pub async fn check_in(self, member: Uuid, source: Source) -> Result<CheckInDone, AppError> {
        // A repeat tap is answered from what is committed: one read, no lock, no
        // transaction. (A first tap racing another is settled below, under the lock.)
        if let Some(done) = self.already_checked_in(member).await? {
            return Ok(done);
        }
        let mut tx = self.pool.begin().await?;
        let done = self.check_in_within(&mut tx, member, source).await?;
        tx.commit().await?;
        Ok(done)
    }

    /// Today's check-in, if there is one, as a repeat tap answers it.
    async fn already_checked_in(self, member: Uuid) -> Result<Option<CheckInDone>, AppError> {
        let now = self.clock.now();
        let Some((zone, windows, recent)) =
            store::zone_and_checkins_around(&self.pool, member, now.date_naive()).await?
        else {
            return Ok(None);
        };
        let zone = zone_of(&zone);
        let day = time::local_day(now, zone);
        // The slots' times only decide which is open; a moved time does not.
        let slots = windows::slots_on(&windows, day, zone);
        let today: Vec<&CheckinRow> = recent.iter().filter(|c| c.local_day == day).collect();
        let checked: Vec<bool> = slots
            .iter()
            .map(|s| today.iter().any(|c| c.slot == s.slot))
            .collect();
        Ok(match windows::tap(&slots, &checked, now) {
            Tap::Already(i) => today
                .iter()
                .find(|c| c.slot == slots[i].slot)
                .map(|first| already_done(first, zone)),
            _ => None,
        })
    }

    /// The same, in the caller's transaction: a text's "OK" records its message id
    /// in it, so a check-in that fails leaves the id unseen and Twilio's retry of
    /// the webhook is not thrown away as a duplicate.
    pub async fn check_in_within(
        self,
        tx: &mut PgConnection,
        member: Uuid,
        source: Source,
    ) -> Result<CheckInDone, AppError> {
        let now = self.clock.now();
        let s = store::schedule_for_update(&mut *tx, member)
            .await?
            .ok_or_else(|| AppError::invalid(NO_SCHEDULE))?;
        let zone = schedule_zone(&s);
        let day = time::local_day(now, zone);
        let windows = s.windows();
        let slots = windows::slots_today(&windows, day, zone, s.next_deadline, s.next_slot);
        // With one check-in a day, no read first: the insert finds an earlier
        // check-in by its unique key. With more, which one a tap is for
        // depends on those made (one read, under the schedule's lock).
        let checked: Vec<bool> = if slots.len() > 1 {
            let done = store::checkins_on(&mut *tx, member, day).await?;
            slots
                .iter()
                .map(|sl| done.iter().any(|c| c.slot == sl.slot))
                .collect()
        } else {
            vec![false; slots.len()]
        };
        let slot = match windows::tap(&slots, &checked, now) {
            Tap::Record(i) | Tap::Already(i) => slots[i],
            Tap::NoneToday => return Err(AppError::invalid(NONE_TODAY)),
        };
        let deadline = slot.deadline;
        let late = !time::is_on_time(now, deadline);
        let Some(row) = store::insert_checkin(
            &mut *tx,
            &NewCheckin {
                member,
                local_day: day,
                slot: slot.slot,
                at: now,
                deadline,
                late,
                source: source.as_str(),
                by: source.by(),
            },
        )
        .await?
        else {
            // Already checked in today (or lost a race with another tap, which
            // the row lock makes rare): the unique key kept the first one
            // (committed, so this statement sees it).
            let first = store::checkins_on(&mut *tx, member, day)
                .await?
                .into_iter()
                .find(|c| c.slot == slot.slot)
                .ok_or_else(|| AppError::Internal.with_status())?;
            return Ok(already_done(&first, zone));
        };
        // The schedule watches the check-in after this one (unless it watches
        // a later one already: a missed one's alert moved it on).
        if let Some(next) = windows::after(&windows, day, slot.slot, zone) {
            if next.deadline > s.next_deadline {
                store::set_next_deadline(&mut *tx, member, next.deadline, next.slot).await?;
            }
        }
        // A day already alerted: everyone alerted hears it is all well, by the
        // channels that carried the alert.
        let at = time::clock(row.checked_in_at, zone);
        // What the others are told: the time, and who was with her if a Contact.
        let mut told_at = at.clone();
        if let Some(helper) = source.by() {
            let helper = crate::connections::store::contact_name(&mut *tx, member, helper)
                .await?
                .unwrap_or_else(|| "A Contact".into());
            told_at = format!("{at} ({helper} is with them)");
            // She hears it too, in her notifications: her home would otherwise
            // say she checked in, with nobody to say it was Tom.
            let link = format!("/people/{member}");
            inbox::add(
                &mut *tx,
                &NewNotification {
                    user: member,
                    kind: Kind::CheckedIn,
                    about: Some(member),
                    body: &rules::checked_in_for_you_words(&helper, &at),
                    link: Some(&link),
                },
                now,
            )
            .await?;
        }
        let minutes_late = time::minutes_late(now, deadline);
        // Who hears of it, read once for everything below.
        let recipients = alert_store::recipients(&mut *tx, member).await?;
        let alerted = Alerts(self.0)
            .late_update(&mut *tx, member, &recipients, &told_at, now)
            .await?;
        let words = |name: &str| {
            if late {
                format!("{name} checked in at {told_at} ({minutes_late} min late). All is well.")
            } else {
                format!("{name} checked in at {told_at}. All is well.")
            }
        };
        // Otherwise a quiet confirmation, by each Contact's choice (the delivery
        // workers send it). Either way the notification list shows it now, all
        // in one statement. Frozen Contacts get neither (SPEC §7).
        if alerted {
            let link = format!("/people/{member}");
            let bodies: Vec<(Uuid, String)> = recipients
                .iter()
                .filter(|c| crate::alerts::rules::may_receive_alerts(&c.account_state))
                .map(|c| (c.contact_id, words(&c.member_name)))
                .collect();
            let notes: Vec<NewNotification> = bodies
                .iter()
                .map(|(user, body)| NewNotification {
                    user: *user,
                    kind: if late {
                        Kind::CheckedInLate
                    } else {
                        Kind::CheckedIn
                    },
                    about: Some(member),
                    body,
                    link: Some(&link),
                })
                .collect();
            inbox::add_many(&mut *tx, &notes, now).await?;
        } else {
            Alerts(self.0)
                .confirm_check_in(&mut *tx, member, &recipients, &words, late, now)
                .await?;
        }
        Ok(CheckInDone {
            at,
            late,
            already: false,
        })
    }

    /// "I'm with her now": a Contact who is with the Member checks her in for her.
    /// It counts as her check-in (an alert closes, everyone is told who did it);
    /// only her active Contacts who may act for others may, once a day like hers.
    pub async fn check_in_for(
        self,
        caller: &Caller,
        me: &Me,
        member: Uuid,
    ) -> Result<CheckInDone, AppError> {
        if member == me.user_id {
            return Err(AppError::invalid(
                "To check yourself in, use the big button on your home page.",
            ));
        }
        let mut tx = self.pool.begin().await?;
        store::contact_calls(&mut tx, me.user_id, member)
            .await?
            .ok_or_else(|| AppError::NotFound.with_status())?;
        require_may_act_for_others(&mut tx, me.user_id).await?;
        let done = self
            .check_in_within(&mut tx, member, Source::Contact(me.user_id))
            .await?;
        if !done.already {
            crate::audit::record_on(
                &self.settings.audit_key,
                &mut tx,
                self.clock.now(),
                me.user_id,
                member,
                "checkin.by_contact",
                &caller.ip,
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(done)
    }

    /// The "Running late today?" page: her name and today's time (404 for
    /// anyone who is not her or one of her Contacts).
    pub async fn late_view(
        self,
        me: &Me,
        member: Uuid,
    ) -> Result<super::views::LateView, AppError> {
        let mut conn = self.pool.acquire().await?;
        let name = if member == me.user_id {
            "You".to_string()
        } else {
            store::contact_calls(&mut conn, me.user_id, member)
                .await?
                .ok_or_else(|| AppError::NotFound.with_status())?
        };
        let s = store::schedule(&mut conn, member)
            .await?
            .ok_or_else(|| AppError::invalid(NO_SCHEDULE))?;
        let today = today_of(&mut conn, &s, self.clock.now()).await?;
        let moved = match today.slot() {
            Some(slot) => store::late_day_moved(&mut conn, member, today.day, slot).await?,
            None => false,
        };
        Ok(super::views::LateView {
            moved,
            member_id: member.to_string(),
            name,
            is_self: member == me.user_id,
            today: time::clock_with_zone(today.deadline, today.zone),
        })
    }

    /// "I'm running late": moves today's time `minutes` later, once, before it
    /// passes, for the Member herself or a Contact who may act for her (404 for
    /// anyone else). Her Contacts are told quietly, in the app; she is told
    /// when a Contact did it. Returns the new time, as her clock shows it.
    pub async fn running_late(
        self,
        caller: &Caller,
        me: &Me,
        member: Uuid,
        minutes: u16,
    ) -> Result<String, AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        if member != me.user_id {
            store::contact_calls(&mut tx, me.user_id, member)
                .await?
                .ok_or_else(|| AppError::NotFound.with_status())?;
            require_may_act_for_others(&mut tx, me.user_id).await?;
        }
        let s = store::schedule_for_update(&mut tx, member)
            .await?
            .ok_or_else(|| AppError::invalid(NO_SCHEDULE))?;
        // The check-in a tap would make now: the one whose time moves.
        let today = today_of(&mut tx, &s, now).await?;
        let (zone, day) = (today.zone, today.day);
        let (Some(i), false) = (today.current, today.starts_tomorrow) else {
            return Err(AppError::invalid(
                "There\u{2019}s no check-in to move today.",
            ));
        };
        let slot = today.slots[i];
        let state = rules::LateDay {
            checked_in: today.checkin.is_some(),
            paused: today.paused,
            moved: store::late_day_moved(&mut tx, member, day, slot.slot).await?,
        };
        let next_one = today.slots.get(i + 1).map(|n| n.deadline);
        let later = rules::move_later(now, slot.deadline, zone, state, minutes, next_one)
            .map_err(AppError::invalid)?;
        // The schedule watches this check-in (a tap before its time and grace
        // passed would be for it), unless the detector is behind: then it is
        // not moved, rather than skip the one watched.
        if (s.next_deadline, s.next_slot) != (slot.deadline, slot.slot) {
            return Err(AppError::invalid(
                "Today\u{2019}s time has passed. Please check in now.",
            ));
        }
        if !store::mark_late_day(
            &mut tx,
            member,
            day,
            slot.slot,
            slot.deadline,
            later,
            me.user_id,
            now,
        )
        .await?
        {
            return Err(AppError::invalid(
                "Today\u{2019}s time has already been moved once.",
            ));
        }
        store::set_next_deadline(&mut tx, member, later, slot.slot).await?;
        let by = if member == me.user_id {
            None
        } else {
            crate::connections::store::contact_name(&mut tx, member, me.user_id).await?
        };
        let new_time = time::clock_with_zone(later, zone);
        self.tell_everyone(
            &mut tx,
            me,
            member,
            Kind::ScheduleChanged,
            now,
            |name| match (name, &by) {
                (Some(name), None) => {
                    format!("{name} is running late today, and will check in by {new_time}.")
                }
                (Some(name), Some(by)) => format!(
                    "{by} says {name} is running late today: they will check in by {new_time}."
                ),
                (None, Some(by)) => format!(
                    "{by} moved your check-in today to {new_time}: you\u{2019}re running late."
                ),
                (None, None) => format!("Today\u{2019}s check-in is now by {new_time}."),
            },
        )
        .await?;
        crate::audit::record_on(
            &self.settings.audit_key,
            &mut tx,
            now,
            me.user_id,
            member,
            "checkin.running_late",
            &caller.ip,
            json!({ "minutes": minutes }),
        )
        .await?;
        tx.commit().await?;
        Ok(new_time)
    }

    /// Checks that `me` is `member` or one of their active Contacts; returns what
    /// `me` calls them.
    async fn may_see(
        self,
        conn: &mut PgConnection,
        me: &Me,
        member: Uuid,
    ) -> Result<String, AppError> {
        if member == me.user_id {
            return Ok("You".into());
        }
        store::contact_calls(conn, me.user_id, member)
            .await?
            .ok_or_else(|| {
                tracing::warn!("a check-in page for someone not connected was asked for");
                AppError::Forbidden.with_status()
            })
    }

    /// A Member's last 30 days and their pauses, for the Member or a Contact.
    pub async fn member_detail(self, me: &Me, member: Uuid) -> Result<MemberDetail, AppError> {
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        let name = self.may_see(&mut conn, me, member).await?;
        let s = store::schedule(&mut conn, member).await?;
        let zone = s.as_ref().map(schedule_zone).unwrap_or(Tz::UTC);
        let today = time::local_day(now, zone);
        let from = today - Duration::days(HISTORY_DAYS - 1);
        let checkins = store::checkins_between(&mut conn, member, from, today).await?;
        let pauses = store::pauses_between(&mut conn, member, from, today).await?;
        let handled = alert_store::handled_between(&mut conn, member, from, today).await?;
        let helpers = store::helpers_between(&mut conn, member, from, today).await?;
        let viewer_zone = if member == me.user_id {
            zone
        } else {
            zone_of(&store::user_time_zone(&mut conn, me.user_id).await?)
        };
        let today_now = match &s {
            Some(s) => Some(today_of(&mut conn, s, now).await?),
            None => None,
        };
        let first_due_today = today_now.as_ref().map(|t| !t.starts_tomorrow);
        let windows = s.as_ref().map(|s| s.windows()).unwrap_or_default();
        let is_self = member == me.user_id;
        let mut days = Vec::new();
        for back in 0..HISTORY_DAYS {
            let day = today - Duration::days(back);
            let slots = match &s {
                Some(s) => windows::slots_today(&windows, day, zone, s.next_deadline, s.next_slot),
                None => Vec::new(),
            };
            let paused = pauses
                .iter()
                .any(|p| p.first_day <= day && day <= p.last_day);
            let several = slots.len() > 1;
            // A day without a check-in (not on its weekdays) still has its row.
            let rows: Vec<Option<Slot>> = if slots.is_empty() {
                vec![None]
            } else {
                slots.into_iter().map(Some).collect()
            };
            for slot in rows {
                let n = slot.map_or(0, |sl| sl.slot);
                let checkin = checkins.iter().find(|c| c.local_day == day && c.slot == n);
                let miss = handled.iter().find(|h| h.local_day == day && h.slot == n);
                let deadline_passed = match (&s, slot) {
                    (Some(s), Some(sl)) => {
                        now >= sl.deadline + Duration::minutes(i64::from(s.grace_min) + 1)
                    }
                    _ => false,
                };
                // Today's current check-in counts when it is due (as the home
                // says); any other when its miss was claimed, or when its time
                // came after the schedule was last saved (the detector claims
                // every one of those).
                let scheduled = match (&s, slot, &today_now) {
                    (Some(_), Some(_), _) if miss.is_some() => true,
                    (Some(_), Some(sl), Some(t)) if day == today && t.slot() == Some(sl.slot) => {
                        !t.starts_tomorrow
                    }
                    (Some(s), Some(sl), _) => sl.deadline > s.updated_at,
                    _ => false,
                };
                days.push(DayView {
                    day: day.format("%A %-d %B").to_string(),
                    window: slot
                        .filter(|_| several)
                        .map(|sl| format!("{} check-in", time::clock(sl.deadline, zone))),
                    outcome: if slot.is_none() && !paused && checkin.is_none() {
                        DayOutcome::Open
                    } else {
                        DayOutcome::of(checkin.map(|c| c.late), paused, deadline_passed, scheduled)
                    },
                    at: checkin.map(|c| time::clock(c.checked_in_at, zone)),
                    handled: miss.and_then(|h| handled_words(h, &name, is_self, viewer_zone)),
                    by: helpers
                        .iter()
                        .find(|(d, sl, _)| *d == day && *sl == n)
                        .map(|(_, _, helper)| rules::helper_words(helper.as_deref(), is_self)),
                });
            }
        }
        let headline = match &s {
            None => "No daily check-in time chosen yet.".to_string(),
            Some(s) => format!(
                "Daily check-in by {}, {} minutes\u{2019} grace.",
                windows_words(&windows, |t| time::clock_with_zone(
                    time::deadline_on(today, t, zone),
                    zone
                )),
                s.grace_min
            ),
        };
        let upcoming = store::pauses_from(&mut conn, member, today).await?;
        let may_check_in_for = member != me.user_id
            && first_due_today == Some(true)
            && today_now.as_ref().is_some_and(|t| t.checkin.is_none())
            && !pauses
                .iter()
                .any(|p| p.first_day <= today && today <= p.last_day);
        Ok(MemberDetail {
            member_id: member.to_string(),
            name,
            is_self: member == me.user_id,
            headline,
            days,
            pauses: upcoming
                .into_iter()
                .map(|p| PauseView {
                    id: p.id.to_string(),
                    words: range_words(p.first_day, p.last_day),
                })
                .collect(),
            today: today.format("%Y-%m-%d").to_string(),
            may_check_in_for,
        })
    }

    /// "I'm away": pauses `member`'s check-ins for a range of days. The Member or
    /// any of their Contacts may; everyone else connected is told.
    pub async fn pause(
        self,
        caller: &Caller,
        me: &Me,
        member: Uuid,
        range: PauseRange,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        self.may_see(&mut tx, me, member).await?;
        if member != me.user_id {
            require_may_act_for_others(&mut tx, me.user_id).await?;
        }
        let s = store::schedule_for_update(&mut tx, member).await?;
        let zone = s.as_ref().map(schedule_zone).unwrap_or(Tz::UTC);
        let today = time::local_day(now, zone);
        if range.first < today {
            return Err(AppError::invalid(
                "A pause can\u{2019}t start in the past. Please choose today or a later day.",
            ));
        }
        store::insert_pause(&mut tx, member, range.first, range.last, me.user_id, now).await?;
        let words = range_words(range.first, range.last);
        self.tell_everyone(&mut tx, me, member, Kind::Paused, now, |name| match name {
            Some(name) => format!("{name} is away {words}: no check-in is expected then."),
            None => format!("Your check-ins are paused {words}: no check-in is needed then."),
        })
        .await?;
        crate::audit::store::append(
            &mut tx,
            &self.settings.audit_key,
            crate::audit::store::NewEntry {
                at: now,
                actor: Some(me.user_id),
                subject: (member != me.user_id).then_some(member),
                event: "pause.created",
                ip: Some(&caller.ip),
                detail: json!({ "first_day": range.first, "last_day": range.last }),
                note: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a pause early (or cancels one not begun).
    pub async fn end_pause(
        self,
        caller: &Caller,
        me: &Me,
        member: Uuid,
        pause: Uuid,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        self.may_see(&mut tx, me, member).await?;
        if member != me.user_id {
            require_may_act_for_others(&mut tx, me.user_id).await?;
        }
        let ended = store::cancel_pause(&mut tx, member, pause, now)
            .await?
            .ok_or_else(|| AppError::invalid("That pause isn\u{2019}t in the list any more."))?;
        let words = range_words(ended.first_day, ended.last_day);
        self.tell_everyone(&mut tx, me, member, Kind::PauseEnded, now, |name| {
            let who = name.unwrap_or("you");
            format!("The pause for {who} ({words}) has ended: daily check-ins are expected again.")
        })
        .await?;
        crate::audit::store::append(
            &mut tx,
            &self.settings.audit_key,
            crate::audit::store::NewEntry {
                at: now,
                actor: Some(me.user_id),
                subject: (member != me.user_id).then_some(member),
                event: "pause.ended",
                ip: Some(&caller.ip),
                detail: json!({ "pause": pause }),
                note: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Notifies the Member and each of their Contacts, except the one acting.
    /// `body` is given the name each Contact calls the Member, or `None` for the
    /// Member themselves.
    async fn tell_everyone(
        self,
        tx: &mut PgConnection,
        me: &Me,
        member: Uuid,
        kind: Kind,
        now: DateTime<Utc>,
        body: impl Fn(Option<&str>) -> String,
    ) -> Result<(), AppError> {
        let link = format!("/people/{member}");
        let contacts = store::contacts_of(tx, member).await?;
        let mut recipients: Vec<(Uuid, Option<String>)> = contacts
            .into_iter()
            .map(|c| (c.contact_id, Some(c.member_name)))
            .collect();
        recipients.push((member, None));
        for (user, name) in recipients.into_iter().filter(|(u, _)| *u != me.user_id) {
            let text = body(name.as_deref());
            inbox::add(
                tx,
                &NewNotification {
                    user,
                    kind,
                    about: Some(member),
                    body: &text,
                    link: Some(&link),
                },
                now,
            )
            .await?;
        }
        Ok(())
    }

    /// The newest notifications; opening the list marks them read.
    pub async fn notifications(self, me: &Me) -> Result<Vec<NotificationView>, AppError> {
        let now = self.clock.now();
        let mut conn = self.pool.acquire().await?;
        let zone = zone_of(&store::user_time_zone(&mut conn, me.user_id).await?);
        let today = time::local_day(now, zone);
        let rows = inbox::notifications_of(&mut conn, me.user_id, 50).await?;
        drop(conn);
        inbox::mark_all_read(&self.pool, me.user_id, now).await?;
        Ok(rows
            .into_iter()
            .map(|n| NotificationView {
                body: n.body,
                link: n.link,
                when: format!(
                    "{} at {}",
                    time::day_words(time::local_day(n.created_at, zone), today),
                    time::clock(n.created_at, zone)
                ),
                unread: n.read_at.is_none(),
            })
            .collect())
    }
}

/// "Closed by Tom at 11:40 AM \u{2014} Mum is fine", or "Tom was on it (11:20 AM)".
fn handled_words(
    h: &alert_store::HandledRow,
    name: &str,
    is_self: bool,
    zone: Tz,
) -> Option<String> {
    use crate::alerts::escalation::Outcome;
    if let (Some(at), Some(outcome)) = (
        h.closed_at,
        h.close_outcome.as_deref().and_then(Outcome::parse),
    ) {
        let note = h.close_note.as_deref().unwrap_or("");
        let what = if is_self {
            outcome.brief(note)
        } else {
            outcome.told_words(name, note)
        };
        let who = h.closer.as_deref().unwrap_or("a Contact");
        return Some(format!(
            "Closed by {who} at {} \u{2014} {what}",
            time::clock(at, zone)
        ));
    }
    let at = h.acknowledged_at?;
    let who = h.acknowledger.as_deref().unwrap_or("A Contact");
    Some(format!("{who} was on it ({})", time::clock(at, zone)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pause_ranges_read_as_days() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(
            range_words(d("2026-12-01"), d("2026-12-01")),
            "Tuesday 1 December"
        );
        assert_eq!(
            range_words(d("2026-12-01"), d("2026-12-04")),
            "Tuesday 1 December to Friday 4 December"
        );
    }
}

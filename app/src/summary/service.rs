//! The weekly pass: claims the Contacts whose Monday morning has come and
//! tells each, in one email (and their notifications), how each Member's week went.
use super::rules::{self, Week};
use super::store;
use crate::notify::{self, Channel, Kind, Message};
use chrono::Duration;
use serde_json::json;
use uuid::Uuid;

/// Most Contacts one pass claims (the pass runs every ten minutes).
const PER_PASS: i64 = 500;

crate::services::facade! {
    /// The weekly summary.
    Summaries
}

impl Summaries<'_> {
    /// Sends the summaries due now; returns how many Contacts were told.
    pub async fn send_weekly(self) -> Result<usize, sqlx::Error> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let due = store::claim_due(&mut tx, now, PER_PASS).await?;
        let mut messages = Vec::new();
        for (contact, start) in &due {
            let end = *start + Duration::days(6);
            let mut lines = Vec::new();
            for (member, name) in store::members_of(&mut tx, *contact).await? {
                let facts = store::week_facts(&mut tx, member, *start, end).await?;
                // Each check-in of each day counts (a day with two counts
                // two); a paused day counts once.
                let days = (0..7).flat_map(|i| {
                    let day = *start + Duration::days(i);
                    let paused = facts.pauses.iter().any(|(a, b)| *a <= day && day <= *b);
                    let mut slots: Vec<i16> = facts
                        .checkins
                        .iter()
                        .filter(|(d, _, _)| *d == day)
                        .map(|(_, s, _)| *s)
                        .chain(
                            facts
                                .missed
                                .iter()
                                .filter(|(d, _)| *d == day)
                                .map(|(_, s)| *s),
                        )
                        .collect();
                    slots.sort_unstable();
                    slots.dedup();
                    if slots.is_empty() {
                        return vec![rules::day_of(None, paused, false)];
                    }
                    slots
                        .into_iter()
                        .map(|slot| {
                            rules::day_of(
                                facts
                                    .checkins
                                    .iter()
                                    .find(|(d, s, _)| *d == day && *s == slot)
                                    .map(|(_, _, late)| *late),
                                paused,
                                facts.missed.contains(&(day, slot)),
                            )
                        })
                        .collect()
                });
                lines.push(Week::count(days).words(&name));
            }
            if lines.is_empty() {
                continue;
            }
            let title = format!("Last week: {}", rules::week_words(*start));
            messages.push(Message {
                to: *contact,
                member: *contact,
                miss: None,
                kind: Kind::WeeklySummary,
                body: format!(
                    "{title}\n{}\nYou can turn this summary off in Settings, under \u{201c}How you hear from us\u{201d}.",
                    lines.join("\n")
                ),
                title,
                link: "/home".into(),
                channels: vec![Channel::Email],
                in_app: true,
                check_in: None,
            });
        }
        let told = messages.len();
        notify::tell(&mut tx, &messages, now).await?;
        tx.commit().await?;
        Ok(told)
    }

    pub async fn weekly_on(self, user: Uuid) -> Result<bool, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        store::weekly_on(&mut conn, user).await
    }

    pub async fn set_weekly(
        self,
        caller: &crate::services::Caller,
        user: Uuid,
        on: bool,
    ) -> Result<(), sqlx::Error> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        store::set_weekly(&mut tx, user, on).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(user),
            "summary.weekly_set",
            &caller.ip,
            json!({ "on": on }),
        )
        .await?;
        tx.commit().await
    }
}

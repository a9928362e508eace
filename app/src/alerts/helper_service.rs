//! Helpers without an account (server only): adding and removing them, their
//! texted answers (YES, STOP, "1"), and texting them when their step comes or
//! when the alert they were told of is handled.
use super::helpers::{self, HelperStatus, HelperView};
use super::service::Alerts;
use super::store;
use crate::accounts::service::Me;
use crate::error::AppError;
use crate::notify::outbox::HelperText;
use crate::notify::{self, inbox, Kind};
use crate::phones::rules as phone_rules;
use crate::services::Caller;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

const NO_ALERT: &str = "Pruuf: there's no alert waiting for you. Thank you for looking out.";
const HELPER_HELP: &str =
    "Pruuf: you're on a neighbour's list. Reply 1 to an alert if you can look in, or STOP to stop texts.";
const NOT_ASKED: &str = "Pruuf: thank you. You're already on the list.";
const STARTED: &str = "Pruuf: you'll get our texts again. Reply YES to agree to help again.";

/// What a text from a helper's number meant, and what to answer.
pub enum HelperReply {
    /// The number is not a helper's: it is someone else's business.
    NotAHelper,
    Answer(Option<String>),
}

impl Alerts<'_> {
    /// `member`'s helpers, for the Member or any of her Contacts.
    pub async fn helper_views(
        self,
        conn: &mut PgConnection,
        member: Uuid,
    ) -> Result<Vec<HelperView>, sqlx::Error> {
        Ok(store::helpers_of(conn, &[member])
            .await?
            .into_iter()
            .map(|h| HelperView {
                id: h.id.to_string(),
                status: HelperStatus::parse(&h.status).unwrap_or(HelperStatus::Asked),
                name: h.name,
                number: h.number,
                place: h.alert_step,
            })
            .collect())
    }

    /// The Member herself, or one of her Contacts whose account may act for
    /// others: what `me` calls her (404 for anyone else).
    async fn may_change_list(
        self,
        tx: &mut PgConnection,
        me: &Me,
        member: Uuid,
    ) -> Result<String, AppError> {
        let name = super::service::may_see_order(tx, me, member).await?;
        if member != me.user_id {
            crate::billing::service::require_may_act_for_others(tx, me.user_id).await?;
        }
        Ok(name)
    }

    /// Adds a helper to `member`'s list and texts them once to agree. The
    /// Member is told in the app when a Contact did it.
    pub async fn add_helper(
        self,
        caller: &Caller,
        me: &Me,
        member: Uuid,
        name: &crate::validation::PersonName,
        raw_phone: &str,
        place: Option<i16>,
    ) -> Result<(), AppError> {
        if self.sms.is_none() {
            return Err(AppError::invalid(phone_rules::NO_SMS));
        }
        let number = phone_rules::normalise_phone(raw_phone).map_err(AppError::invalid)?;
        if !phone_rules::country_allowed(&number, &self.settings.sms_countries) {
            return Err(AppError::invalid(phone_rules::COUNTRY_MESSAGE));
        }
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        self.may_change_list(&mut tx, me, member).await?;
        // One Member's list is changed by one request at a time (the count holds).
        crate::locks::hold(
            &mut tx,
            crate::locks::Space::Telling,
            &format!("{member}:helpers"),
        )
        .await?;
        if store::helpers_of(&mut tx, &[member]).await?.len() >= helpers::MOST_HELPERS {
            return Err(AppError::invalid(helpers::TOO_MANY));
        }
        let (mine, theirs) =
            store::helper_asks(&mut tx, member, &number, now - helpers::ASKS_PER_MEMBER.per)
                .await?;
        let limited = helpers::ASKS_PER_MEMBER
            .check(now, &mine)
            .and_then(|()| phone_rules::VERIFY_TEXTS_PER_NUMBER.check(now, &theirs));
        if let Err(at) = limited {
            return Err(AppError::Limited(crate::limits::refusal(
                "We have sent as many of these texts as we can today.",
                now,
                at,
            ))
            .with_status());
        }
        // Someone who replied STOP to us as a helper is never texted again.
        let stopped = store::number_stopped_helping(&mut tx, &number).await?;
        let status = if stopped {
            HelperStatus::Stopped
        } else {
            HelperStatus::Asked
        };
        let Some(id) = store::add_helper(
            &mut tx,
            member,
            name.as_str(),
            &number,
            place,
            status.as_str(),
            me.user_id,
            now,
        )
        .await?
        else {
            return Err(AppError::invalid(helpers::ALREADY_ON_LIST));
        };
        let her_name = store::name_for_helpers(&mut tx, member).await?;
        let by = (member != me.user_id).then(|| me.name.clone()).flatten();
        if !stopped {
            notify::text_helpers(
                &mut tx,
                &[HelperText {
                    helper: id,
                    member,
                    miss: None,
                    kind: Kind::HelperAsk,
                    body: helpers::ask_words(&her_name, by.as_deref()),
                }],
                now,
            )
            .await?;
        }
        if member != me.user_id {
            let who = store::contact_name(&mut tx, member, me.user_id)
                .await?
                .unwrap_or_else(|| "One of your contacts".into());
            let body = format!(
                "{who} added {} to the people told if you miss a check-in. They\u{2019}ll be texted, and asked to agree first.",
                name.as_str()
            );
            inbox::add(
                &mut tx,
                &inbox::NewNotification {
                    user: member,
                    kind: Kind::ScheduleChanged,
                    about: None,
                    body: &body,
                    link: Some(&format!("/people/{member}/order")),
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
            "alerts.helper_added",
            &caller.ip,
            json!({ "member": member, "helper": id, "number": notify::sms::masked(&number) }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes a helper off `member`'s list (nothing more is sent to them).
    pub async fn remove_helper(
        self,
        caller: &Caller,
        me: &Me,
        member: Uuid,
        helper: Uuid,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        self.may_change_list(&mut tx, me, member).await?;
        if !store::remove_helper(&mut tx, member, helper).await? {
            return Err(AppError::NotFound.with_status());
        }
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "alerts.helper_removed",
            &caller.ip,
            json!({ "member": member, "helper": helper }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether `number` was asked to be a helper and has not answered (its
    /// YES is theirs to give as a helper, even if the number has an account).
    pub async fn helper_waiting(
        self,
        tx: &mut PgConnection,
        number: &str,
    ) -> Result<bool, sqlx::Error> {
        Ok(store::helpers_by_number(tx, number)
            .await?
            .iter()
            .any(|h| h.status == HelperStatus::Asked.as_str()))
    }

    /// A text from `number` (already read as `reply`), in the webhook's
    /// transaction: a helper's YES, STOP, "1" or HELP.
    pub async fn helper_reply(
        self,
        tx: &mut PgConnection,
        number: &str,
        reply: phone_rules::Reply,
    ) -> Result<HelperReply, sqlx::Error> {
        use phone_rules::Reply;
        let now = self.clock.now();
        let all = store::helpers_by_number(tx, number).await?;
        if all.is_empty() {
            return Ok(HelperReply::NotAHelper);
        }
        let answer = match reply {
            Reply::Stop => {
                store::stop_helping(tx, number, now).await?;
                // Twilio answers STOP itself; we add nothing.
                None
            }
            Reply::Start => {
                // Twilio lets texts through again; they agree again by YES.
                store::start_helping(tx, number)
                    .await?
                    .then(|| STARTED.to_string())
            }
            _ if all
                .iter()
                .all(|h| h.status == "stopped" || h.status == "removed") =>
            {
                None
            }
            Reply::Yes => {
                let agreed =
                    store::set_helpers_status(tx, number, &["asked"], "agreed", now).await?;
                let Some(first) = agreed.first() else {
                    return Ok(HelperReply::Answer(Some(NOT_ASKED.into())));
                };
                for h in &agreed {
                    let body = format!("{} agreed to be texted if you miss a check-in.", h.name);
                    inbox::add(
                        tx,
                        &inbox::NewNotification {
                            user: h.member_id,
                            kind: Kind::ScheduleChanged,
                            about: None,
                            body: &body,
                            link: Some(&format!("/people/{}/order", h.member_id)),
                        },
                        now,
                    )
                    .await?;
                }
                let her = store::name_for_helpers(tx, first.member_id).await?;
                Some(helpers::agreed_words(&her))
            }
            Reply::OnIt => Some(self.helper_on_it(tx, number, now).await?),
            Reply::Help => Some(HELPER_HELP.into()),
            _ => Some(HELPER_HELP.into()),
        };
        Ok(HelperReply::Answer(answer))
    }

    /// A helper's "1": "I'm on it" for the newest open alert they were texted.
    async fn helper_on_it(
        self,
        tx: &mut PgConnection,
        number: &str,
        now: DateTime<Utc>,
    ) -> Result<String, sqlx::Error> {
        let Some((m, h)) =
            store::helper_texted_open_miss(tx, number, now - super::rules::CATCH_UP).await?
        else {
            return Ok(NO_ALERT.into());
        };
        let her = store::name_for_helpers(tx, m.member_id).await?;
        if m.acknowledged_at.is_some() {
            if m.acknowledged_helper == Some(h.id) {
                return Ok(format!("You're already on it for {her}. Thank you."));
            }
            let who = match m.acknowledged_by {
                Some(u) => store::contact_name(tx, m.member_id, u).await?,
                None => m.helper_on_it.clone(),
            };
            return Ok(helpers::on_it_words(
                &her,
                Some(who.as_deref().unwrap_or("Someone")),
            ));
        }
        if !store::acknowledge_by_helper(tx, m.id, h.id, now).await? {
            return Ok(helpers::on_it_words(&her, Some("Someone")));
        }
        let name = h.name.clone();
        self.tell_everyone(
            tx,
            &m,
            None,
            &super::service::News {
                kind: Kind::Acknowledged,
                to_contacts: &|member| {
                    format!("{name} is on it: they\u{2019}re checking on {member}.")
                },
                to_helpers: &|her| format!("{name} is on it for {her}."),
                skip_helper: Some(h.id),
            },
            now,
        )
        .await?;
        crate::audit::record(
            &self.settings.audit_key,
            tx,
            now,
            None,
            "alert.acknowledged",
            "sms",
            json!({ "miss": m.id, "how": "text", "helper": h.id }),
        )
        .await?;
        Ok(helpers::on_it_words(&her, None))
    }

    /// Texts the agreed helpers an alert of `m` reached `news` (given her
    /// name), then that nothing more is needed. Her name is read only when
    /// someone is to be told (most families have no helper).
    pub(super) async fn tell_helpers(
        self,
        tx: &mut PgConnection,
        m: &store::MissRow,
        skip: Option<Uuid>,
        news: &(dyn Fn(&str) -> String + Sync),
        now: DateTime<Utc>,
        kind: Kind,
    ) -> Result<(), sqlx::Error> {
        let told: Vec<Uuid> = store::helpers_alerted(tx, m.id)
            .await?
            .into_iter()
            .filter(|h| Some(*h) != skip)
            .collect();
        if told.is_empty() {
            return Ok(());
        }
        let body = helpers::update_words(&news(&store::name_for_helpers(tx, m.member_id).await?));
        let texts: Vec<HelperText> = told
            .into_iter()
            .map(|helper| HelperText {
                helper,
                member: m.member_id,
                miss: Some(m.id),
                kind,
                body: body.clone(),
            })
            .collect();
        notify::text_helpers(tx, &texts, now).await?;
        Ok(())
    }
}

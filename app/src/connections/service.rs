//! What each connection action does, on the server: one transaction each, every
//! object checked to belong to the signed-in person, and mail to the other side.
use super::rules::{self, AcceptRefusal, InviteCode, InviteFacts, PersonName};
use super::store::{self, ConnectionRow, InviteRow};
use crate::accounts::rules::display_name;
use crate::accounts::service::Me;
use crate::error::AppError;
use crate::notify::email::{escape_html, html_button, html_page, OutgoingMail};
use crate::services::Caller;
use crate::validation::Email;
use serde_json::json;
use uuid::Uuid;

/// An open invitation as its join page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitePreview {
    /// The inviter's name ("Tom").
    pub from: String,
    /// The invited person will check in each day (else they will look out).
    pub for_member: bool,
    /// The address it went to, to fill in at sign-up.
    pub email: String,
}

/// Who is being invited: a Member (by a Contact) or a Contact (by a Member).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invitee {
    Member,
    Contact,
}

impl Invitee {
    pub fn parse(raw: &str) -> Result<Self, AppError> {
        match raw {
            "member" => Ok(Invitee::Member),
            "contact" => Ok(Invitee::Contact),
            _ => Err(AppError::invalid("Please choose who you are inviting.")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Invitee::Member => "member",
            Invitee::Contact => "contact",
        }
    }
}

use crate::billing::service::require_may_act_for_others;

/// Refuses, saying when to try again, once `inviter` has sent their day's
/// invitation mails or `to` has been sent its day's. Takes the inviter's lock.
async fn within_invite_limits(
    tx: &mut sqlx::PgConnection,
    inviter: Uuid,
    to: Option<&Email>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), AppError> {
    use crate::limits::refusal;
    store::lock_inviter(tx, inviter).await?;
    let mine = rules::INVITES_BY_ONE_PERSON;
    let sent = store::invite_mails_by(tx, inviter, now - mine.per).await?;
    if let Err(at) = mine.check(now, &sent) {
        let what = format!("You have sent {} invitations today.", mine.most);
        return Err(AppError::Limited(refusal(&what, now, at)).with_status());
    }
    if let Some(to) = to {
        let theirs = rules::INVITES_TO_ONE_ADDRESS;
        let sent = store::invite_mails_to(tx, to.as_str(), now - theirs.per).await?;
        if let Err(at) = theirs.check(now, &sent) {
            let what = "This address has been sent several invitations today.";
            return Err(AppError::Limited(refusal(what, now, at)).with_status());
        }
    }
    Ok(())
}
use crate::billing::service::Billing;

const NOT_YOURS: &str = "That invitation isn't in your list any more.";
const NOT_YOUR_CONNECTION: &str = "That connection isn't in your list any more.";

crate::services::facade! {
    /// Invitations and connections between Members and Contacts.
    Connections
}

impl Connections<'_> {
    /// Sends an invitation from `member` (the signed-in person).
    pub async fn invite(
        self,
        caller: &Caller,
        me: &Me,
        who: Invitee,
        name: &PersonName,
        email: &Email,
        phone: Option<&str>,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        if rules::same_address(email.as_str(), &me.email) {
            return Err(AppError::invalid(AcceptRefusal::SelfInvite.message()));
        }
        crate::accounts::service::Accounts(self.0)
            .check_ip(caller, "invite")
            .await?;
        let mut tx = self.pool.begin().await?;
        require_may_act_for_others(&mut tx, me.user_id).await?;
        if let Some(known_as) =
            store::connected_to_email(&mut tx, me.user_id, email.as_str(), who == Invitee::Member)
                .await?
        {
            return Err(AppError::invalid(&format!(
                "You\u{2019}re already connected to {known_as}."
            )));
        }
        if let Some(pending) =
            store::pending_invite_to(&mut tx, me.user_id, email.as_str(), who.as_str()).await?
        {
            // Inviting again is a reminder of the same invitation.
            drop(tx);
            return self.resend_invite(caller, me, pending.id).await;
        }
        within_invite_limits(&mut tx, me.user_id, Some(email), now).await?;
        let (id, code) = loop {
            let code = new_invite_code();
            if let Some(id) = store::insert_invite(
                &mut tx,
                code.as_str(),
                me.user_id,
                who.as_str(),
                name.as_str(),
                email.as_str(),
                phone,
                now,
            )
            .await?
            {
                break (id, code);
            }
        };
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "invite_sent",
            &caller.ip,
            json!({ "invite": id, "role": who.as_str() }),
        )
        .await?;
        tx.commit().await?;
        let mail = invite_mail(
            &self.settings.public_url,
            email,
            name,
            &me.display_name(),
            who,
            &code,
        );
        if self.mailer.send(&mail).await.is_err() {
            let mut tx = self.pool.begin().await?;
            store::cancel_invite(&mut tx, id, now).await?;
            tx.commit().await?;
            return Err(AppError::MailNotSent.with_status());
        }
        Ok(())
    }

    pub async fn resend_invite(self, caller: &Caller, me: &Me, id: Uuid) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        require_may_act_for_others(&mut tx, me.user_id).await?;
        let invite = own_pending_invite(&mut tx, me, id).await?;
        let to = Email::parse(&invite.invitee_email).ok();
        within_invite_limits(&mut tx, me.user_id, to.as_ref(), now).await?;
        if let Some(seconds) = rules::resend_wait(invite.last_sent_at, now) {
            return Err(AppError::Limited(format!(
                "We sent this invitation a moment ago. You can send it again in {seconds} seconds."
            ))
            .with_status());
        }
        store::mark_resent(&mut tx, id, now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "invite_resent",
            &caller.ip,
            json!({ "invite": id }),
        )
        .await?;
        tx.commit().await?;
        let (email, name, code) = invite_parts(&invite)?;
        let who = Invitee::parse(&invite.invitee_role)?;
        let mail = invite_mail(
            &self.settings.public_url,
            &email,
            &name,
            &me.display_name(),
            who,
            &code,
        );
        self.mailer
            .send(&mail)
            .await
            .map_err(|_| AppError::MailNotSent.with_status())
    }

    pub async fn cancel_invite(self, caller: &Caller, me: &Me, id: Uuid) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        own_pending_invite(&mut tx, me, id).await?;
        store::cancel_invite(&mut tx, id, now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "invite_canceled",
            &caller.ip,
            json!({ "invite": id }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Who sent an open invitation, for its join page: "Tom would like to look out
    /// for you", with the invited address to fill in. Guesses count against the
    /// caller's hourly limit; a used, cancelled or expired code shows nothing.
    pub async fn invite_preview(
        self,
        caller: &Caller,
        code: &InviteCode,
    ) -> Result<Option<InvitePreview>, AppError> {
        crate::accounts::service::Accounts(self.0)
            .check_ip(caller, "invite")
            .await?;
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let invite = store::invite_by_code(&mut tx, code.as_str()).await?;
        tx.commit().await?;
        Ok(invite
            .filter(|i| {
                i.accepted_at.is_none()
                    && i.canceled_at.is_none()
                    && now < i.sent_at + rules::INVITE_LIFETIME
            })
            .map(|i| InvitePreview {
                from: display_name(i.inviter_name.as_deref(), &i.inviter_email),
                for_member: i.invitee_role == "member",
                email: i.invitee_email,
            }))
    }

    /// Is this code an open invitation for someone to check in each day?
    pub async fn invite_is_for_member(self, code: &InviteCode) -> Result<bool, AppError> {
        let mut tx = self.pool.begin().await?;
        let invite = store::invite_by_code(&mut tx, code.as_str()).await?;
        tx.commit().await?;
        Ok(invite.is_some_and(|i| {
            i.invitee_role == "member" && i.accepted_at.is_none() && i.canceled_at.is_none()
        }))
    }

    /// Accepts an invitation as the signed-in person, whose verified address must be
    /// the invited one. Returns the inviter's name for the person's welcome.
    pub async fn accept_invite(
        self,
        caller: &Caller,
        me: &Me,
        code: &InviteCode,
    ) -> Result<String, AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let Some(invite) = store::invite_by_code(&mut tx, code.as_str()).await? else {
            return Err(AppError::invalid(
                "We couldn't find that invite code. Please check it against the invitation email.",
            ));
        };
        let facts = InviteFacts {
            sent_at: invite.sent_at,
            accepted_at: invite.accepted_at,
            canceled_at: invite.canceled_at,
            invitee_email: invite.invitee_email.clone(),
            inviter_email: invite.inviter_email.clone(),
        };
        rules::judge_accept(&facts, &me.email, now).map_err(|r| AppError::invalid(r.message()))?;
        let who = Invitee::parse(&invite.invitee_role)?;
        let (member, contact) = match who {
            Invitee::Member => (me.user_id, invite.inviter_id),
            Invitee::Contact => (invite.inviter_id, me.user_id),
        };
        if store::active_connection_exists(&mut tx, member, contact).await? {
            return Err(AppError::invalid("You\u{2019}re already connected."));
        }
        let active = store::lock_member_and_count_contacts(&mut tx, member).await?;
        if !rules::may_add_contact(active) {
            return Err(AppError::invalid(
                "This person already has 10 contacts, the most Pruuf allows. One of them needs to step back first.",
            ));
        }
        let inviter_label = display_name(invite.inviter_name.as_deref(), &invite.inviter_email);
        let (member_name, contact_name, member_phone) = match who {
            Invitee::Member => (
                invite.invitee_name.as_str(),
                inviter_label.as_str(),
                invite.invitee_phone.as_deref(),
            ),
            Invitee::Contact => (inviter_label.as_str(), invite.invitee_name.as_str(), None),
        };
        let new = store::NewConnection {
            member,
            contact,
            member_name,
            contact_name,
            member_phone,
            invite: invite.id,
        };
        let connection = store::insert_connection(&mut tx, &new, now).await?;
        // The Member is free from now on; the Contact's trial may start.
        let billing_calls = Billing(self.0)
            .billing_on_connection(&mut tx, member, contact)
            .await?;
        store::grandfather(&mut tx, member).await?;
        store::mark_accepted(&mut tx, invite.id, me.user_id, now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "connection_started",
            &caller.ip,
            json!({ "connection": connection, "invite": invite.id }),
        )
        .await?;
        tx.commit().await?;
        for (action, subscription) in billing_calls {
            Billing(self.0)
                .run_stripe_action(action, &subscription)
                .await;
        }

        // "Mum joined Pruuf!" to the one who invited. The connection stands even if
        // this mail cannot go now; the failure is logged.
        if let Ok(inviter) = Email::parse(&invite.inviter_email) {
            let mail = joined_mail(&self.settings.public_url, &inviter, &invite.invitee_name);
            if self.mailer.send(&mail).await.is_err() {
                tracing::error!("the joined notice could not be sent");
            }
        }
        Ok(inviter_label)
    }

    pub async fn connections(self, me: &Me) -> Result<Vec<ConnectionRow>, AppError> {
        Ok(store::connections_of(&self.pool, me.user_id).await?)
    }

    pub async fn pending_invites(self, me: &Me) -> Result<Vec<InviteRow>, AppError> {
        Ok(store::pending_invites(&self.pool, me.user_id).await?)
    }

    /// Ends a connection the signed-in person is part of, and tells the other side.
    pub async fn remove_connection(
        self,
        caller: &Caller,
        me: &Me,
        id: Uuid,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let Some(row) = store::end_connection(&mut tx, me.user_id, id, now).await? else {
            return Err(AppError::invalid(NOT_YOUR_CONNECTION));
        };
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "connection_ended",
            &caller.ip,
            json!({ "connection": id }),
        )
        .await?;
        tx.commit().await?;
        // The other side is told, naming me as they know me.
        let (other_email, my_name_for_them) = if row.member_id == me.user_id {
            (row.contact_email, row.member_name)
        } else {
            (row.member_email, row.contact_name)
        };
        if let Ok(to) = Email::parse(&other_email) {
            let mail = removed_mail(&to, &my_name_for_them);
            if self.mailer.send(&mail).await.is_err() {
                tracing::error!("the connection-ended notice could not be sent");
            }
        }
        Ok(())
    }
}

/// The other side of a connection ended because someone left Pruuf: their
/// address, and the name they know the leaver by.
pub struct LeftBehind {
    pub email: String,
    pub leaver_called: String,
}

/// Someone leaving Pruuf, in the caller's transaction: every connection they are
/// part of ends (the other sides are returned, to be told after the commit) and
/// their waiting invitations are canceled.
pub async fn end_all_for_leaver(
    tx: &mut sqlx::PgConnection,
    user: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<LeftBehind>, AppError> {
    let mut left = Vec::new();
    for id in store::active_connection_ids(tx, user).await? {
        if let Some(row) = store::end_connection(tx, user, id, now).await? {
            left.push(if row.member_id == user {
                LeftBehind {
                    email: row.contact_email,
                    leaver_called: row.member_name,
                }
            } else {
                LeftBehind {
                    email: row.member_email,
                    leaver_called: row.contact_name,
                }
            });
        }
    }
    store::cancel_invites_by(tx, user, now).await?;
    Ok(left)
}

/// "Mum has left Pruuf", to each person who was connected with her.
pub fn left_mail(to: &Email, leaver: &str) -> OutgoingMail {
    let leaver_html = escape_html(leaver);
    OutgoingMail {
        message_id: None,
        to: to.clone(),
        subject: format!("{leaver} has left Pruuf"),
        text: format!(
            "{leaver} deleted their Pruuf account, so your connection has ended. \
             You will no longer see their check-ins, and no alerts will be sent about them.\n\nPruuf\n"
        ),
        html: html_page(&format!(
            "<p>{leaver_html} deleted their Pruuf account, so your connection has ended. \
             You will no longer see their check-ins, and no alerts will be sent about them.</p><p>Pruuf</p>"
        )),
    }
}

/// One of my own invitations that is still waiting, locked; anyone else's, or one
/// already accepted or cancelled, is "not in your list".
async fn own_pending_invite(
    tx: &mut sqlx::PgConnection,
    me: &Me,
    id: Uuid,
) -> Result<InviteRow, AppError> {
    match store::own_invite(tx, me.user_id, id).await? {
        Some(invite) if invite.accepted_at.is_none() && invite.canceled_at.is_none() => Ok(invite),
        _ => Err(AppError::invalid(NOT_YOURS)),
    }
}

fn new_invite_code() -> InviteCode {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0u8; rules::INVITE_CODE_LEN];
    OsRng.fill_bytes(&mut bytes);
    InviteCode::from_random(bytes)
}

fn invite_parts(invite: &InviteRow) -> Result<(Email, PersonName, InviteCode), AppError> {
    let broken = |_| AppError::Internal.with_status();
    Ok((
        Email::parse(&invite.invitee_email).map_err(broken)?,
        PersonName::parse(&invite.invitee_name).map_err(broken)?,
        InviteCode::parse(&invite.code).map_err(broken)?,
    ))
}

pub fn invite_mail(
    public_url: &str,
    to: &Email,
    name: &PersonName,
    inviter: &str,
    who: Invitee,
    code: &InviteCode,
) -> OutgoingMail {
    let link = format!(
        "{}/join?code={}",
        public_url.trim_end_matches('/'),
        code.as_str()
    );
    let why = match who {
        Invitee::Member => "would like to look out for you with a daily \u{201c}I\u{2019}m OK\u{201d} check-in. Pruuf is free for you, always.",
        Invitee::Contact => "would like you to be one of the people told if their daily \u{201c}I\u{2019}m OK\u{201d} check-in doesn\u{2019}t arrive.",
    };
    let code = code.as_str();
    let name = name.as_str();
    let (name_html, inviter_html) = (escape_html(name), escape_html(inviter));
    OutgoingMail {
        message_id: None,
        to: to.clone(),
        subject: "You're invited to Pruuf".to_string(),
        text: format!(
            "Hello {name},\n\n{inviter} {why}\n\nOpen this link to join:\n{link}\n\n\
             Or enter this invite code in Pruuf: {code}\n\nThe invitation lasts 14 days.\n\nPruuf\n"
        ),
        html: html_page(&format!(
            "<p>Hello {name_html},</p><p>{inviter_html} {why}</p>{}\
             <p>Or enter this invite code in Pruuf:</p><p style=\"font-size:32px;font-weight:bold;letter-spacing:6px\">{code}</p>\
             <p>The invitation lasts 14 days.</p><p>Pruuf</p>",
            html_button(&link, "Join Pruuf")
        )),
    }
}

fn joined_mail(public_url: &str, to: &Email, name: &str) -> OutgoingMail {
    let home = format!("{}/connections", public_url.trim_end_matches('/'));
    let name_html = escape_html(name);
    OutgoingMail {
        message_id: None,
        to: to.clone(),
        subject: format!("{name} joined Pruuf!"),
        text: format!("Good news: {name} joined Pruuf and you are now connected.\n\nSee them here: {home}\n\nPruuf\n"),
        html: html_page(&format!(
            "<p>Good news: {name_html} joined Pruuf and you are now connected.</p>{}<p>Pruuf</p>",
            html_button(&home, "See them in Pruuf")
        )),
    }
}

fn removed_mail(to: &Email, by: &str) -> OutgoingMail {
    let by_html = escape_html(by);
    OutgoingMail {
        message_id: None,
        to: to.clone(),
        subject: "A Pruuf connection has ended".to_string(),
        text: format!("{by} ended your connection in Pruuf. You will no longer see each other's check-ins.\n\nPruuf\n"),
        html: html_page(&format!(
            "<p>{by_html} ended your connection in Pruuf. You will no longer see each other\u{2019}s check-ins.</p><p>Pruuf</p>"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_escape_what_people_typed() {
        let to = Email::parse("mum@example.com").expect("valid");
        let name = PersonName::parse("<b>Mum</b>").expect("valid");
        let code = InviteCode::parse("K7M2QX").expect("valid");
        let mail = invite_mail(
            "https://pruuf.example",
            &to,
            &name,
            "Tom",
            Invitee::Member,
            &code,
        );
        assert!(
            mail.html.contains("&lt;b&gt;Mum&lt;/b&gt;"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("<b>Mum"));
        assert!(mail.text.contains("https://pruuf.example/join?code=K7M2QX"));
        assert!(mail.text.contains("free for you"));
        assert!(
            mail.text.contains("Tom would like to look out for you"),
            "{}",
            mail.text
        );
    }
}

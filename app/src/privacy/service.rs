//! Export and deletion, on the server.
use super::rules::{purge_cutoff, EXPORT_ROWS_PER_SECTION, PURGE_AFTER};
use super::store;
use crate::accounts::service::{Accounts, Me};
use crate::accounts::store as account_store;
use crate::billing::service::Billing;
use crate::connections::service::{end_all_for_leaver, left_mail};
use crate::error::AppError;
use crate::services::Caller;
use crate::validation::{Email, Pin};
use serde_json::json;

crate::services::facade! {
    /// "Download my data" and "Delete my account".
    Privacy
}

impl Privacy<'_> {
    /// Starts "Download my data": one read-only snapshot (repeatable read), from
    /// which [`Export::next_piece`] reads one section at a time, so the file is
    /// streamed and never held whole.
    pub async fn start_export(self, caller: &Caller, me: &Me) -> Result<Export, AppError> {
        let mut audit = self.pool.begin().await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut audit,
            self.clock.now(),
            Some(me.user_id),
            "export",
            &caller.ip,
            json!({}),
        )
        .await?;
        audit.commit().await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
        Ok(Export {
            tx: Some(tx),
            user: me.user_id,
            at: self.clock.now(),
            next: 0,
        })
    }

    /// "Delete my account", confirmed with the PIN: ends every connection (the
    /// other sides are told), cancels waiting invitations and any Stripe plan at
    /// once, signs out every device, stops every delivery to and about the
    /// person, frees their number and address, and marks the account deleted.
    pub async fn delete_account(self, caller: &Caller, me: &Me, pin: &Pin) -> Result<(), AppError> {
        Accounts(self.0).confirm_pin(caller, me, pin).await?;
        let now = self.clock.now();
        let billing = Billing(self.0).billing_row(me.user_id).await?;
        let mut tx = self.pool.begin().await?;
        let left = end_all_for_leaver(&mut tx, me.user_id, now).await?;
        crate::checkin::store::remove_schedule(&mut tx, me.user_id).await?;
        crate::notify::outbox::cancel_everything_for(&mut tx, me.user_id).await?;
        crate::notify::push::delete_all_of(&mut tx, me.user_id).await?;
        crate::phones::store::remove_phone(&mut tx, me.user_id).await?;
        account_store::end_devices_except(&mut tx, me.user_id, None, now).await?;
        store::mark_deleted(&mut tx, me.user_id, now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "account_deleted",
            &caller.ip,
            json!({ "connections_ended": left.len(), "purge_after_days": PURGE_AFTER.num_days() }),
        )
        .await?;
        tx.commit().await?;
        // After the commit: Stripe, then the people left behind. A failure here is
        // logged; the deletion stands (and the daily reconciliation asks Stripe again).
        if let Some(sub) = billing.stripe_subscription_id.as_deref() {
            let live = billing
                .subscription_status
                .as_deref()
                .and_then(crate::billing::rules::SubStatus::parse)
                .is_some_and(|s| !s.ended());
            if live {
                Billing(self.0)
                    .run_stripe_action(crate::billing::rules::StripeAction::CancelNow, sub)
                    .await;
            }
        }
        for person in left {
            if let Ok(to) = Email::parse(&person.email) {
                if self
                    .mailer
                    .send(&left_mail(&to, &person.leaver_called))
                    .await
                    .is_err()
                {
                    tracing::error!("the left-Pruuf notice could not be sent");
                }
            }
        }
        Ok(())
    }

    /// The daily job: erases accounts deleted 30 days ago or more. Returns how
    /// many were purged; each is its own transaction.
    pub async fn purge_due(self) -> Result<usize, sqlx::Error> {
        let now = self.clock.now();
        let mut purged = 0;
        for user in store::due_for_purge(&self.pool, purge_cutoff(now)).await? {
            let mut tx = self.pool.begin().await?;
            // Her reference is read first; the entry is appended last, after
            // the purge has taken its row locks and deleted the link (so the
            // chain's lock is held only for the append).
            let Some(reference) = crate::audit::store::reference_of(&mut tx, user).await? else {
                continue;
            };
            if !store::purge(&mut tx, user).await? {
                continue;
            }
            crate::audit::store::append_about_reference(
                &mut tx,
                &self.settings.audit_key,
                crate::audit::store::NewEntry {
                    at: now,
                    actor: None,
                    subject: None,
                    event: "account_purged",
                    ip: None,
                    detail: json!({ "after_days": PURGE_AFTER.num_days() }),
                    note: None,
                },
                reference,
            )
            .await?;
            tx.commit().await?;
            purged += 1;
        }
        Ok(purged)
    }
}

/// An export under way: `{"exported_at": …, "about": …, "profile": […], …}`.
pub struct Export {
    tx: Option<sqlx::Transaction<'static, sqlx::Postgres>>,
    user: uuid::Uuid,
    at: chrono::DateTime<chrono::Utc>,
    next: usize,
}

impl Export {
    /// The next piece of the file's text; `None` once it is complete.
    pub async fn next_piece(&mut self) -> Result<Option<String>, sqlx::Error> {
        let step = self.next;
        self.next += 1;
        let Some(tx) = self.tx.as_mut() else {
            return Ok(None);
        };
        if step == 0 {
            return Ok(Some(format!(
                "{{\n\"exported_at\": {},\n\"about\": \"Everything Pruuf holds about you. Other people appear only by the names you use for each other.\"",
                json!(self.at)
            )));
        }
        if let Some(section) = store::SECTIONS.get(step - 1) {
            let body = store::section_json(tx, section, self.user, EXPORT_ROWS_PER_SECTION).await?;
            return Ok(Some(format!(",\n{}: {body}", json!(section.name))));
        }
        if let Some(tx) = self.tx.take() {
            tx.commit().await?;
        }
        Ok(Some("\n}\n".to_string()))
    }
}

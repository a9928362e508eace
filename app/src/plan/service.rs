//! Who may read and write a Member's plan (server only): the Member, and her
//! active Contacts (they write only when she allows). Every Contact's view is
//! an audit entry; the plan's words never reach a log.
use super::rules::Plan;
use super::store;
use super::views::PlanView;
use crate::accounts::service::Me;
use crate::checkin::store as checkin_store;
use crate::error::AppError;
use crate::notify::{self, Kind, Message};
use crate::services::Caller;
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

crate::services::facade! {
    /// The "If I miss a check-in" plan.
    Plans
}

impl Plans<'_> {
    /// What `me` calls `member` ("You" for herself); 404 for anyone else, so
    /// another family learns nothing, not even that a plan exists.
    async fn relation(
        self,
        conn: &mut PgConnection,
        me: &Me,
        member: Uuid,
    ) -> Result<String, AppError> {
        if member == me.user_id {
            return Ok("You".into());
        }
        checkin_store::contact_calls(conn, me.user_id, member)
            .await?
            .ok_or_else(|| AppError::NotFound.with_status())
    }

    /// The plan for its page; a Contact's view is audited.
    pub async fn view(self, caller: &Caller, me: &Me, member: Uuid) -> Result<PlanView, AppError> {
        let mut tx = self.pool.begin().await?;
        let name = self.relation(&mut tx, me, member).await?;
        let row = store::plan(&mut tx, member).await?;
        let is_self = member == me.user_id;
        if !is_self {
            self.audit_view(&mut tx, caller, me, member, "page").await?;
        }
        let changed = match &row {
            Some(r) if !r.plan.is_empty() => {
                let who = match r.updated_by {
                    Some(by) if by == me.user_id => "you".to_string(),
                    Some(by) if by == member => {
                        if is_self {
                            "you".into()
                        } else {
                            name.clone()
                        }
                    }
                    Some(by) => store::contact_name(&mut tx, member, by)
                        .await?
                        .unwrap_or_else(|| "a Contact".into()),
                    None => "a Contact".into(),
                };
                Some(format!(
                    "Last changed by {who}, {}",
                    r.updated_at.format("%-d %B %Y")
                ))
            }
            _ => None,
        };
        tx.commit().await?;
        let contacts_may_edit = row.as_ref().is_some_and(|r| r.contacts_may_edit);
        Ok(PlanView {
            member_id: member.to_string(),
            name,
            is_self,
            may_edit: is_self || contacts_may_edit,
            contacts_may_edit,
            plan: row.map(|r| r.plan).unwrap_or_default(),
            changed,
        })
    }

    /// The plan on an alert, for a Contact who looks out for the Member (the
    /// caller checked that); audited. None when nothing is written.
    pub async fn for_alert(
        self,
        caller: &Caller,
        me: &Me,
        member: Uuid,
    ) -> Result<Option<Plan>, AppError> {
        let mut tx = self.pool.begin().await?;
        let plan = store::plan(&mut tx, member)
            .await?
            .map(|r| r.plan)
            .filter(|p| !p.is_empty());
        if plan.is_some() {
            self.audit_view(&mut tx, caller, me, member, "alert")
                .await?;
        }
        tx.commit().await?;
        Ok(plan)
    }

    async fn audit_view(
        self,
        tx: &mut PgConnection,
        caller: &Caller,
        me: &Me,
        member: Uuid,
        from: &str,
    ) -> Result<(), AppError> {
        crate::audit::record_on(
            &self.settings.audit_key,
            tx,
            self.clock.now(),
            me.user_id,
            member,
            "plan.viewed",
            &caller.ip,
            json!({ "from": from }),
        )
        .await?;
        Ok(())
    }

    /// Saves the plan (checked already). The Member always may; a Contact when
    /// she allows, and then she is told who changed it.
    pub async fn save(
        self,
        caller: &Caller,
        me: &Me,
        member: Uuid,
        plan: &Plan,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        self.relation(&mut tx, me, member).await?;
        let is_self = member == me.user_id;
        if !is_self {
            let allowed = store::plan(&mut tx, member)
                .await?
                .is_some_and(|r| r.contacts_may_edit);
            if !allowed {
                return Err(AppError::Forbidden.with_status());
            }
            crate::billing::service::require_may_act_for_others(&mut tx, me.user_id).await?;
        }
        store::save(&mut tx, member, plan, me.user_id, now).await?;
        if !is_self {
            let who = store::contact_name(&mut tx, member, me.user_id)
                .await?
                .unwrap_or_else(|| "One of your Contacts".into());
            let body = format!("{who} changed your plan for a missed check-in. Please check it.");
            notify::tell(
                &mut tx,
                &[Message {
                    to: member,
                    member,
                    miss: None,
                    kind: Kind::ScheduleChanged,
                    title: body.clone(),
                    body,
                    link: format!("/people/{member}/plan"),
                    channels: Vec::new(),
                    in_app: true,
                    check_in: None,
                }],
                now,
            )
            .await?;
        }
        crate::audit::record_on(
            &self.settings.audit_key,
            &mut tx,
            now,
            me.user_id,
            member,
            "plan.saved",
            &caller.ip,
            json!({ "parts": plan.values().iter().filter(|v| !v.is_empty()).count() }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The Member lets her Contacts write the plan, or stops them.
    pub async fn set_contacts_may_edit(
        self,
        caller: &Caller,
        me: &Me,
        allowed: bool,
    ) -> Result<(), AppError> {
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        store::set_contacts_may_edit(&mut tx, me.user_id, allowed, now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "plan.contacts_may_edit",
            &caller.ip,
            json!({ "allowed": allowed }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

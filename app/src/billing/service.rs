//! Billing actions on the server: Checkout, the Customer Portal, cancel and
//! resume, the Stripe webhook (once per event id, dead letters), the scheduled
//! pass (trial ends, grace ends, warnings) and the daily reconciliation. Every
//! state change goes through [`Accounts::apply_billing`]: the row locked, the
//! rule asked, the outcome, its audit line and its notice written in one
//! transaction. Calls to Stripe that a transition asks for run after it commits;
//! a lost one is asked again by the next sync (see `rules::from_stripe`).
use super::rules::{self, Account, Event, Plan, StripeAction, Transition};
use super::store::{self, BillingRow, SubscriptionFacts};
use super::stripe::{InvoiceView, StripeApi, StripeFailure, SubView};
use crate::accounts::service::Me;
use crate::error::AppError;
use crate::notify::Kind;
use crate::notify::{self, Message};
use crate::services::Caller;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgConnection;
use stripe_webhook::{EventObject, Webhook, WebhookError};
use uuid::Uuid;

const PAYMENTS_OFF: &str =
    "Payments aren\u{2019}t available right now. Your alerts continue; please try again later.";
/// The events the webhook acts on (SPEC §7); every other type is answered 200
/// and ignored.
pub const USED_EVENTS: [&str; 8] = [
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.trial_will_end",
    "invoice.paid",
    "invoice.payment_failed",
    "charge.dispute.created",
];
/// At most this many people per scheduled pass, and customers per reconciliation.
const PASS_LIMIT: i64 = 500;
const RECONCILE_LIMIT: usize = 20_000;

/// What the webhook endpoint answers Stripe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookReply {
    /// 200: applied, or a duplicate, or an event we ignore (the text says which).
    Done(String),
    /// 400: the signature is wrong or stale, or the body is not an event.
    Refused(&'static str),
    /// 500: kept in the dead-letter table; Stripe will retry.
    Failed,
}

/// Which Stripe facts an event leads to, gathered before the transaction.
enum Target {
    /// Apply the customer's subscriptions as Stripe has them now.
    Sync {
        customer: String,
        subs: Vec<SubView>,
    },
    Dispute {
        customer: String,
    },
    Ignore(&'static str),
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BillingPass {
    pub changed: usize,
    pub warned: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Reconciled {
    pub checked: usize,
    pub fixed: usize,
    pub failed: usize,
}

/// A failure while handling an event.
#[derive(Debug)]
enum Failure {
    Db(sqlx::Error),
    Stripe(StripeFailure),
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::Db(e)
    }
}

impl From<StripeFailure> for Failure {
    fn from(e: StripeFailure) -> Self {
        Failure::Stripe(e)
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            // The kind only: a database error's text can quote values.
            Failure::Db(e) => write!(f, "database: {}", db_kind(e)),
            Failure::Stripe(e) => write!(f, "{e}"),
        }
    }
}

fn db_kind(e: &sqlx::Error) -> &'static str {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => "out of reach",
        sqlx::Error::Database(_) => "refused the statement",
        _ => "failed",
    }
}

fn stripe_error(e: StripeFailure) -> AppError {
    tracing::error!(error = %e, "a Stripe call failed");
    AppError::Limited(
        "We couldn\u{2019}t reach our payment service. Please try again in a minute.".into(),
    )
    .with_status()
}

/// A Checkout Session id as Stripe makes them.
pub fn session_id_shape(id: &str) -> bool {
    id.starts_with("cs_")
        && id.len() <= 255
        && id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn zone_of(name: &str) -> chrono_tz::Tz {
    crate::time::parse_zone(name).unwrap_or(chrono_tz::UTC)
}

/// "Thursday 31 December 2026", in the person's zone.
pub fn long_date(at: DateTime<Utc>, zone: &str) -> String {
    at.with_timezone(&zone_of(zone))
        .format("%A %-d %B %Y")
        .to_string()
}

crate::services::facade! {
    /// Subscriptions, Stripe and its webhooks, the billing pass.
    Billing
}

impl<'a> Billing<'a> {
    fn stripe_api(self) -> Result<&'a StripeApi, AppError> {
        self.0
            .stripe
            .as_deref()
            .ok_or_else(|| AppError::Limited(PAYMENTS_OFF.into()).with_status())
    }

    /// The one place a billing event changes an account: locks the row, asks the
    /// rules, writes the outcome, its audit line and its notice. `None` if the
    /// user is gone. The Stripe call a transition asks for is returned with the
    /// subscription it concerns, for after the commit.
    pub(crate) async fn apply_billing(
        self,
        tx: &mut PgConnection,
        user: Uuid,
        event: Event,
        sub: Option<&SubView>,
        why: &str,
    ) -> sqlx::Result<Option<(Transition, Option<String>)>> {
        let now = self.clock.now();
        let Some(row) = store::lock_billing(tx, user).await? else {
            return Ok(None);
        };
        let before = row.account();
        if let Some(s) = sub {
            store::save_subscription(
                tx,
                user,
                &SubscriptionFacts {
                    id: Some(&s.id),
                    plan: s.plan,
                    status: Some(&s.status_text),
                    cancel_at_period_end: s.cancel_at_period_end,
                    current_period_end: s.period_end,
                },
                now,
            )
            .await?;
        }
        let t = rules::next(before, event, now);
        if t.account != before {
            store::save_account(tx, user, &t.account).await?;
            // Made by Stripe, a scheduled pass or the person: the account is the subject.
            crate::audit::store::append(
                tx,
                &self.settings.audit_key,
                crate::audit::store::NewEntry {
                    at: now,
                    actor: None,
                    subject: Some(user),
                    event: "billing_state",
                    ip: None,
                    detail: json!({ "from": before.state.as_str(), "to": t.account.state.as_str(), "why": why }),
                    note: None,
                },
            )
            .await?;
            if t.account.state != before.state {
                tracing::info!(user = %user, from = before.state.as_str(), to = t.account.state.as_str(), why, "account state changed");
            }
        }
        if let Some(notice) = t.notice {
            let period_end = sub.and_then(|s| s.period_end).or(row.current_period_end);
            let ends = t
                .account
                .alerts_end_at(period_end)
                .map(|d| long_date(d, &row.time_zone));
            let (title, body) = notice.words(ends);
            self.tell(tx, user, notice.kind(), title, &body).await?;
        }
        let subscription = sub.map(|s| s.id.clone()).or(row.stripe_subscription_id);
        Ok(Some((t, subscription)))
    }

    /// In the app, by email and on their devices.
    async fn tell(
        self,
        tx: &mut PgConnection,
        user: Uuid,
        kind: Kind,
        title: &str,
        body: &str,
    ) -> sqlx::Result<()> {
        let now = self.clock.now();
        // Only the channels the person has: every account has an email address;
        // push only for someone with a subscribed browser (else the row could
        // only ever fail, and clutter every view of failures).
        let channels = notify::push::channels_of(tx, user).await?;
        notify::tell(
            tx,
            &[Message {
                to: user,
                member: user,
                miss: None,
                kind,
                title: title.to_string(),
                body: body.to_string(),
                link: "/billing".to_string(),
                channels,
                in_app: true,
                check_in: None,
            }],
            now,
        )
        .await?;
        Ok(())
    }

    /// Asks Stripe for what a transition needs; a failure is logged and asked
    /// again at the next sync of that customer.
    pub(crate) async fn run_stripe_action(self, action: StripeAction, subscription: &str) {
        let Some(api) = self.stripe.as_deref() else {
            return;
        };
        let done = match action {
            StripeAction::CancelAtPeriodEnd => {
                api.set_cancel_at_period_end(subscription, true).await
            }
            StripeAction::CancelNow => api.cancel_now(subscription).await,
        };
        if let Err(e) = done {
            tracing::error!(error = %e, ?action, "a Stripe call for a transition failed; the next sync asks again");
        }
    }

    /// A connection became active: the Contact's trial may start, the Member is
    /// free from now on. Inside the connection's transaction; the returned calls
    /// are for after it commits.
    pub(crate) async fn billing_on_connection(
        self,
        tx: &mut PgConnection,
        member: Uuid,
        contact: Uuid,
    ) -> sqlx::Result<Vec<(StripeAction, String)>> {
        let mut after = Vec::new();
        // Both rows first, in one order, before an audit entry takes the chain's
        // lock (see `audit::store::append`).
        let (first, second) = if member < contact {
            (member, contact)
        } else {
            (contact, member)
        };
        store::lock_billing(tx, first).await?;
        store::lock_billing(tx, second).await?;
        for (user, event, why) in [
            (member, Event::BecameMember, "became a member"),
            (contact, Event::ConnectedAsContact, "connected as a contact"),
        ] {
            if let Some((t, Some(sub))) = self.apply_billing(tx, user, event, None, why).await? {
                if let Some(action) = t.action {
                    after.push((action, sub));
                }
            }
        }
        Ok(after)
    }

    /// Applies a customer's subscriptions as Stripe has them: the oldest live one
    /// counts; any later live one (a second Checkout paid) is stopped.
    async fn apply_subscriptions(
        self,
        tx: &mut PgConnection,
        user: Uuid,
        subs: &[SubView],
        why: &str,
    ) -> sqlx::Result<Vec<(StripeAction, String)>> {
        let live: Vec<&SubView> = subs.iter().filter(|s| s.live()).collect();
        let mut after: Vec<(StripeAction, String)> = Vec::new();
        let chosen = match live.last() {
            Some(oldest) => {
                for extra in live.iter().filter(|s| s.id != oldest.id) {
                    tracing::warn!(user = %user, "a second live subscription: stopping it");
                    after.push((StripeAction::CancelNow, extra.id.clone()));
                }
                Some(*oldest)
            }
            None => subs.first(),
        };
        let applied = match chosen.and_then(|s| s.facts().map(|f| (s, f))) {
            Some((s, facts)) => {
                self.apply_billing(tx, user, Event::Stripe(facts), Some(s), why)
                    .await?
            }
            None => {
                self.apply_billing(tx, user, Event::NoSubscription, None, why)
                    .await?
            }
        };
        if let Some((t, Some(sub))) = applied {
            if let Some(action) = t.action {
                after.push((action, sub));
            }
        }
        Ok(after)
    }

    async fn run_actions(self, actions: Vec<(StripeAction, String)>) {
        for (action, sub) in actions {
            self.run_stripe_action(action, &sub).await;
        }
    }

    // ---- The billing page -------------------------------------------------

    /// The home page's billing link and banner.
    pub async fn home_billing(
        self,
        conn: &mut PgConnection,
        user: Uuid,
        now: DateTime<Utc>,
    ) -> Result<super::views::HomeBilling, AppError> {
        use rules::AccountState as S;
        let Some(row) = store::billing(conn, user).await? else {
            return Ok(Default::default());
        };
        let a = row.account();
        let free = row.is_member || row.grandfathered_free || a.state == S::ActiveFree;
        let soon = a
            .alerts_end_at(row.current_period_end)
            .is_some_and(|end| end - now <= chrono::Duration::days(7));
        let banner =
            (!free && (a.state == S::Frozen || a.state == S::PastDue || soon)).then(|| {
                rules::state_words(
                    &a,
                    row.current_period_end,
                    |d| long_date(d, &row.time_zone),
                    now,
                )
            });
        Ok(super::views::HomeBilling {
            shows_billing: !free,
            banner,
            alerts_paused: a.state == S::Frozen,
        })
    }

    pub async fn billing_row(self, user: Uuid) -> Result<BillingRow, AppError> {
        let mut conn = self.pool.acquire().await?;
        store::billing(&mut conn, user)
            .await?
            .ok_or(AppError::SignInNeeded)
    }

    /// The latest invoices, or none when Stripe is off or out of reach (the page
    /// says so rather than failing).
    pub async fn recent_invoices(self, row: &BillingRow) -> Option<Vec<InvoiceView>> {
        let (Some(api), Some(customer)) =
            (self.stripe.as_deref(), row.stripe_customer_id.as_deref())
        else {
            return Some(Vec::new());
        };
        match api.invoices(customer, 6).await {
            Ok(v) => Some(v),
            Err(e) => {
                tracing::warn!(error = %e, "invoices could not be read");
                None
            }
        }
    }

    /// Opens (or reuses) a Checkout Session for `plan`; returns its URL.
    pub async fn start_checkout(
        self,
        caller: &Caller,
        me: &Me,
        plan: Plan,
    ) -> Result<String, AppError> {
        let api = self.stripe_api()?;
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        // Locked: a double click waits here, then finds the first one's session.
        let row = store::lock_billing(&mut tx, me.user_id)
            .await?
            .ok_or(AppError::SignInNeeded)?;
        let live = row
            .subscription_status
            .as_deref()
            .and_then(rules::SubStatus::parse)
            .is_some_and(|s| !s.ended());
        if let Some(reason) = rules::checkout_refusal(&row.account(), row.is_member, live) {
            return Err(AppError::invalid(reason));
        }
        if let Some(url) = store::open_checkout(&mut tx, me.user_id, plan, now).await? {
            tx.commit().await?;
            return Ok(url);
        }
        let customer = match row.stripe_customer_id.clone() {
            Some(c) => c,
            None => {
                let c = api
                    .create_customer(me.user_id, &row.email)
                    .await
                    .map_err(stripe_error)?;
                store::set_customer(&mut tx, me.user_id, &c).await?;
                c
            }
        };
        let base = self.settings.public_url.trim_end_matches('/');
        let key = format!(
            "pruuf-checkout-{}-{}-{}",
            me.user_id,
            plan.as_str(),
            now.timestamp() / 600
        );
        let (id, url, expires) = api
            .create_checkout(
                me.user_id,
                &customer,
                plan,
                rules::checkout_trial_end(&row.account(), now),
                &format!("{base}/billing?paid={{CHECKOUT_SESSION_ID}}"),
                &format!("{base}/billing?checkout=canceled"),
                &key,
            )
            .await
            .map_err(stripe_error)?;
        store::save_checkout(&mut tx, &id, me.user_id, plan, &url, now, expires).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "checkout_opened",
            &caller.ip,
            json!({ "plan": plan.as_str() }),
        )
        .await?;
        tx.commit().await?;
        Ok(url)
    }

    /// Back from Checkout: applies what Stripe has now, so the page shows the plan
    /// even before the webhook arrives.
    pub async fn after_checkout(self, me: &Me, session: &str) -> Result<(), AppError> {
        if !session_id_shape(session) {
            return Err(AppError::invalid(
                "That payment link isn\u{2019}t one of ours.",
            ));
        }
        let api = self.stripe_api()?;
        let (customer, _sub, reference) =
            api.checkout_session(session).await.map_err(stripe_error)?;
        let row = self.billing_row(me.user_id).await?;
        let ours = customer.is_some() && customer == row.stripe_customer_id;
        if !ours || reference.as_deref() != Some(me.user_id.to_string().as_str()) {
            return Err(AppError::Forbidden.with_status());
        }
        let customer = customer.unwrap_or_default();
        self.sync_customer(me.user_id, &customer, "return from checkout")
            .await
            .map_err(|e| match e {
                Failure::Db(e) => AppError::from(e),
                Failure::Stripe(e) => stripe_error(e),
            })
    }

    /// Reads the customer's subscriptions from Stripe and applies them.
    async fn sync_customer(self, user: Uuid, customer: &str, why: &str) -> Result<(), Failure> {
        let api = self
            .stripe
            .as_deref()
            .ok_or(Failure::Stripe(StripeFailure::Unreachable))?;
        let subs = api.subscriptions_of(customer).await?;
        let mut tx = self.pool.begin().await?;
        let after = self.apply_subscriptions(&mut tx, user, &subs, why).await?;
        if subs.iter().any(SubView::live) {
            store::close_checkouts(&mut tx, user).await?;
        }
        tx.commit().await?;
        self.run_actions(after).await;
        Ok(())
    }

    /// A Customer Portal session for card, invoices and cancellation.
    pub async fn open_portal(self, me: &Me) -> Result<String, AppError> {
        let api = self.stripe_api()?;
        let row = self.billing_row(me.user_id).await?;
        if row.is_member || row.grandfathered_free {
            return Err(AppError::Forbidden.with_status());
        }
        let Some(customer) = row.stripe_customer_id else {
            return Err(AppError::invalid(
                "Choose a plan first: there\u{2019}s no card or invoice yet.",
            ));
        };
        let back = format!("{}/billing", self.settings.public_url.trim_end_matches('/'));
        api.portal(&customer, &back).await.map_err(stripe_error)
    }

    /// Cancel at the period's end (`cancel`), or resume before it.
    pub async fn set_renewal(self, caller: &Caller, me: &Me, cancel: bool) -> Result<(), AppError> {
        let api = self.stripe_api()?;
        let row = self.billing_row(me.user_id).await?;
        let live = row
            .subscription_status
            .as_deref()
            .and_then(rules::SubStatus::parse)
            .is_some_and(|s| !s.ended());
        let Some(sub) = row.stripe_subscription_id.as_deref().filter(|_| live) else {
            return Err(AppError::invalid("There\u{2019}s no plan to change."));
        };
        if !cancel && row.grandfathered_free {
            return Err(AppError::invalid(
                "As a Pruuf Member you don\u{2019}t need a plan: it ends without a charge.",
            ));
        }
        let view = api
            .set_cancel_at_period_end(sub, cancel)
            .await
            .map_err(stripe_error)?;
        let mut tx = self.pool.begin().await?;
        let facts = view.facts();
        if let Some(f) = facts {
            let why = if cancel {
                "canceled by the contact"
            } else {
                "resumed by the contact"
            };
            self.apply_billing(&mut tx, me.user_id, Event::Stripe(f), Some(&view), why)
                .await?;
        }
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            self.clock.now(),
            Some(me.user_id),
            if cancel {
                "plan_canceled"
            } else {
                "plan_resumed"
            },
            &caller.ip,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- The webhook ------------------------------------------------------

    /// Stripe's webhook: the raw body and its `Stripe-Signature` header.
    pub async fn stripe_webhook(self, payload: &str, signature: Option<&str>) -> WebhookReply {
        let Some(api) = self.stripe.as_deref() else {
            return WebhookReply::Refused("payments are not configured");
        };
        let Some(signature) = signature else {
            tracing::warn!("stripe webhook without a signature");
            return WebhookReply::Refused("no signature");
        };
        // Signatures are about transport, so they are checked against the real
        // time (not the app's clock, which tests may move).
        let event = match Webhook::construct_event(payload, signature, &api.settings.webhook_secret)
        {
            Ok(e) => e,
            Err(WebhookError::BadParse(_)) => {
                let (id, kind) = id_and_type(payload);
                if !USED_EVENTS.contains(&kind.as_str()) {
                    // Not one we act on: nothing to keep.
                    tracing::info!(event_type = %kind, "an unused Stripe event type: ignored");
                    return WebhookReply::Done("ignored: not an event we use".into());
                }
                // One we act on, signed by Stripe, but not readable by this
                // build: keep it for a replay once the code is fixed.
                tracing::error!(event_type = %kind, "a signed Stripe event could not be read");
                self.keep_failed(&id, &kind, payload, "the event could not be read")
                    .await;
                return WebhookReply::Failed;
            }
            Err(e) => {
                tracing::warn!(error = %e, "stripe webhook refused: bad or stale signature");
                return WebhookReply::Refused("bad signature");
            }
        };
        let id = event.id.as_str().to_string();
        let kind = event.type_.as_str().to_string();
        match self
            .handle_event(&id, &kind, event.created, &event.data.object)
            .await
        {
            Ok(outcome) => WebhookReply::Done(outcome),
            Err(e) => {
                tracing::error!(event_type = %kind, error = %e, "a Stripe event failed; kept for retry");
                self.keep_failed(&id, &kind, payload, &e.to_string()).await;
                WebhookReply::Failed
            }
        }
    }

    async fn keep_failed(self, id: &str, kind: &str, payload: &str, error: &str) {
        if let Err(e) =
            store::dead_letter(&self.pool, id, kind, payload, error, self.clock.now()).await
        {
            // Stripe still has it and retries for three days.
            tracing::error!(error = db_kind(&e), "the dead letter could not be written");
        }
    }

    /// Replays a kept event (an admin's action): signature already checked when it
    /// arrived.
    pub async fn replay_dead_letter(self, id: Uuid) -> Result<String, AppError> {
        let Some(letter) = store::dead_letter_by_id(&self.pool, id).await? else {
            return Err(AppError::NotFound.with_status());
        };
        let event = Webhook::insecure(&letter.payload)
            .map_err(|_| AppError::invalid("That event still can\u{2019}t be read."))?;
        match self
            .handle_event(
                &letter.event_id,
                &letter.type_,
                event.created,
                &event.data.object,
            )
            .await
        {
            Ok(outcome) => Ok(outcome),
            Err(e) => {
                self.keep_failed(
                    &letter.event_id,
                    &letter.type_,
                    &letter.payload,
                    &e.to_string(),
                )
                .await;
                Err(AppError::Unavailable.with_status())
            }
        }
    }

    async fn handle_event(
        self,
        id: &str,
        kind: &str,
        created: i64,
        object: &EventObject,
    ) -> Result<String, Failure> {
        let now = self.clock.now();
        {
            let mut conn = self.pool.acquire().await?;
            if store::event_seen(&mut conn, id).await? {
                return Ok("duplicate".into());
            }
        }
        let target = self.target_of(object).await?;
        let mut tx = self.pool.begin().await?;
        let created = DateTime::from_timestamp(created, 0).unwrap_or(now);
        if !store::claim_event(&mut tx, id, kind, created, now).await? {
            return Ok("duplicate".into());
        }
        let (user, outcome, after) = match target {
            Target::Ignore(why) => (None, why.to_string(), Vec::new()),
            Target::Sync { customer, subs } => {
                match store::user_by_customer(&mut tx, &customer).await? {
                    None => {
                        tracing::warn!(
                            event_type = kind,
                            "a Stripe event for a customer we don't know: ignored"
                        );
                        (None, "ignored: unknown customer".into(), Vec::new())
                    }
                    Some(user) => {
                        let after = self.apply_subscriptions(&mut tx, user, &subs, kind).await?;
                        if subs.iter().any(SubView::live) {
                            store::close_checkouts(&mut tx, user).await?;
                        }
                        (Some(user), "applied".into(), after)
                    }
                }
            }
            Target::Dispute { customer } => {
                match store::user_by_customer(&mut tx, &customer).await? {
                    None => {
                        tracing::warn!("a dispute for a customer we don't know: ignored");
                        (None, "ignored: unknown customer".into(), Vec::new())
                    }
                    Some(user) => {
                        self.apply_billing(&mut tx, user, Event::Disputed, None, kind)
                            .await?;
                        (Some(user), "applied".into(), Vec::new())
                    }
                }
            }
        };
        store::event_outcome(&mut tx, id, user, &outcome).await?;
        store::resolve_dead_letter(&mut tx, id, now).await?;
        tx.commit().await?;
        self.run_actions(after).await;
        Ok(outcome)
    }

    /// What an event is about, read from Stripe now (the event's own copy of the
    /// object may be older than what has happened since).
    async fn target_of(self, object: &EventObject) -> Result<Target, Failure> {
        let api = self
            .stripe
            .as_deref()
            .ok_or(Failure::Stripe(StripeFailure::Unreachable))?;
        let customer = match object {
            EventObject::CheckoutSessionCompleted(s) => {
                s.customer.as_ref().map(|c| c.id().as_str().to_string())
            }
            EventObject::CustomerSubscriptionCreated(s)
            | EventObject::CustomerSubscriptionUpdated(s)
            | EventObject::CustomerSubscriptionDeleted(s)
            | EventObject::CustomerSubscriptionTrialWillEnd(s) => {
                Some(s.customer.id().as_str().to_string())
            }
            EventObject::InvoicePaid(i) | EventObject::InvoicePaymentFailed(i) => {
                i.customer.as_ref().map(|c| c.id().as_str().to_string())
            }
            EventObject::ChargeDisputeCreated(d) => {
                let charge = d.charge.id().as_str().to_string();
                return Ok(match api.charge_customer(&charge).await? {
                    Some(customer) => Target::Dispute { customer },
                    None => Target::Ignore("ignored: a dispute without a customer"),
                });
            }
            _ => return Ok(Target::Ignore("ignored: not an event we use")),
        };
        let Some(customer) = customer else {
            return Ok(Target::Ignore("ignored: no customer"));
        };
        let subs = api.subscriptions_of(&customer).await?;
        Ok(Target::Sync { customer, subs })
    }

    // ---- Scheduled ---------------------------------------------------------

    /// Trials and grace periods that ran out, and the warnings before they do.
    /// Safe to run in several processes at once: each person is locked and each
    /// warning claimed.
    pub async fn billing_pass(self) -> Result<BillingPass, sqlx::Error> {
        let now = self.clock.now();
        let mut pass = BillingPass::default();
        for user in store::due_for_pass(&self.pool, now, PASS_LIMIT).await? {
            let mut tx = self.pool.begin().await?;
            let Some((t, sub)) = self
                .apply_billing(&mut tx, user, Event::Tick, None, "scheduled")
                .await?
            else {
                continue;
            };
            if t.notice.is_some() {
                pass.changed += 1;
            }
            if let Some(row) = store::billing(&mut tx, user).await? {
                let account: Account = row.account();
                if let Some(w) = rules::warning_due(&account, row.current_period_end, now) {
                    if store::claim_notice(&mut tx, user, &w.key(account.state), now).await? {
                        let date = long_date(w.ends_at, &row.time_zone);
                        let (title, body) = rules::warning_words(&w, account.state, &date);
                        self.tell(&mut tx, user, Kind::BillingWarning, &title, &body)
                            .await?;
                        pass.warned += 1;
                    }
                }
            }
            tx.commit().await?;
            if let (Some(action), Some(sub)) = (t.action, sub) {
                self.run_stripe_action(action, &sub).await;
            }
        }
        Ok(pass)
    }

    /// Once a day across all processes: the reconciliation.
    pub async fn reconcile_if_due(self) -> Result<Option<Reconciled>, sqlx::Error> {
        if self.stripe.is_none() {
            return Ok(None);
        }
        let now = self.clock.now();
        let day = now.format("%Y-%m-%d").to_string();
        if !store::claim_job(&self.pool, "stripe_reconcile", &day, now).await? {
            return Ok(None);
        }
        let r = self.reconcile().await?;
        store::finish_job(
            &self.pool,
            "stripe_reconcile",
            &day,
            self.clock.now(),
            json!({ "checked": r.checked, "fixed": r.fixed, "failed": r.failed }),
        )
        .await?;
        Ok(Some(r))
    }

    /// Compares every customer's subscriptions with Stripe and applies Stripe's
    /// (Stripe wins), logging each fix.
    pub async fn reconcile(self) -> Result<Reconciled, sqlx::Error> {
        let mut r = Reconciled::default();
        let Some(api) = self.stripe.as_deref() else {
            return Ok(r);
        };
        let mut after = Uuid::nil();
        while r.checked < RECONCILE_LIMIT {
            let page = store::customers_after(&self.pool, after, 100).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            for (user, customer) in page {
                r.checked += 1;
                let subs = match api.subscriptions_of(&customer).await {
                    Ok(s) => s,
                    Err(e) => {
                        r.failed += 1;
                        tracing::warn!(user = %user, error = %e, "reconciliation could not read a customer");
                        continue;
                    }
                };
                let mut tx = self.pool.begin().await?;
                let before = store::lock_billing(&mut tx, user).await?;
                let actions = self
                    .apply_subscriptions(&mut tx, user, &subs, "reconciliation")
                    .await?;
                let after_row = store::billing(&mut tx, user).await?;
                tx.commit().await?;
                if let (Some(b), Some(a)) = (before, after_row) {
                    let drift = b.account_state != a.account_state
                        || b.subscription_status != a.subscription_status
                        || b.cancel_at_period_end != a.cancel_at_period_end
                        || b.stripe_subscription_id != a.stripe_subscription_id;
                    if drift {
                        r.fixed += 1;
                        tracing::warn!(
                            user = %user,
                            from_state = %b.account_state,
                            to_state = %a.account_state,
                            from_status = b.subscription_status.as_deref().unwrap_or("none"),
                            to_status = a.subscription_status.as_deref().unwrap_or("none"),
                            "reconciliation fixed drift from Stripe"
                        );
                    }
                }
                self.run_actions(actions).await;
            }
        }
        Ok(r)
    }
}

/// The id and type of an event we cannot parse fully (for the dead letter).
fn id_and_type(payload: &str) -> (String, String) {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let text = |k: &str| {
        v[k].as_str()
            .unwrap_or("unknown")
            .chars()
            .take(255)
            .collect::<String>()
    };
    (text("id"), text("type"))
}

/// Refuses, with words saying why, when `user`'s account is read-only (frozen or
/// closing): they still see everything, but cannot change what others see. Every
/// server function that acts for or towards another person asks this on the server.
pub async fn require_may_act_for_others(
    conn: &mut PgConnection,
    user: Uuid,
) -> Result<(), AppError> {
    let state = store::account_state(conn, user).await?.unwrap_or_default();
    if rules::may_act_for_others(&state) {
        Ok(())
    } else {
        Err(AppError::ReadOnly.with_status())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checkout_session_ids_are_checked_before_use() {
        assert!(session_id_shape("cs_test_a1B2c3"));
        assert!(!session_id_shape("cs_../../v1/customers"));
        assert!(!session_id_shape("sub_123"));
        assert!(!session_id_shape(&format!("cs_{}", "a".repeat(300))));
    }

    #[test]
    fn dates_are_in_the_persons_zone() {
        let at = DateTime::from_timestamp(1_798_675_200, 0).unwrap(); // 2026-12-31 00:00 UTC
        assert_eq!(long_date(at, "UTC"), "Thursday 31 December 2026");
        assert_eq!(
            long_date(at, "America/New_York"),
            "Wednesday 30 December 2026"
        );
    }

    #[test]
    fn an_unreadable_event_still_names_itself_for_the_dead_letter() {
        assert_eq!(
            id_and_type(r#"{"id":"evt_1","type":"invoice.paid","data":{}}"#),
            ("evt_1".to_string(), "invoice.paid".to_string())
        );
        assert_eq!(id_and_type("not json").0, "unknown");
    }
}

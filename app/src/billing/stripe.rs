//! The Stripe client (async-stripe), reduced to the calls Pruuf makes and the
//! facts it reads back. Production talks to api.stripe.com; tests and the local
//! run set `PRUUF_STRIPE_API_URL` to the stand-in in the test-support crate.
use super::rules::{Plan, SubStatus, Subscription};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use stripe::{Client, ClientBuilder, IdempotencyKey, RequestStrategy, StripeError, StripeRequest};
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice::ListInvoice;
use stripe_billing::subscription::{
    CancelSubscription, ListSubscription, ListSubscriptionStatus, RetrieveSubscription,
    UpdateSubscription,
};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
    RetrieveCheckoutSession,
};
use stripe_core::charge::RetrieveCharge;
use stripe_core::customer::CreateCustomer;
use stripe_shared::CheckoutSessionMode;

/// From the environment: all of them, or Stripe is off.
#[derive(Clone)]
pub struct StripeSettings {
    pub secret_key: String,
    pub webhook_secret: String,
    pub price_monthly: String,
    pub price_annual: String,
    /// `None`: Stripe's own API.
    pub api_url: Option<String>,
}

impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSettings")
            .field("price_monthly", &self.price_monthly)
            .field("price_annual", &self.price_annual)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// A failed call, by kind only (Stripe's messages can quote what was sent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StripeFailure {
    #[error("Stripe refused the request ({0})")]
    Refused(u16),
    #[error("Stripe could not be reached")]
    Unreachable,
    #[error("Stripe's answer could not be read")]
    Unreadable,
}

impl From<StripeError> for StripeFailure {
    fn from(e: StripeError) -> Self {
        match e {
            StripeError::Stripe(_, status) => StripeFailure::Refused(status),
            StripeError::JSONDeserialize(_) => StripeFailure::Unreadable,
            _ => StripeFailure::Unreachable,
        }
    }
}

/// A subscription, as Pruuf reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubView {
    pub id: String,
    pub customer: String,
    pub status: Option<SubStatus>,
    pub status_text: String,
    pub cancel_at_period_end: bool,
    pub period_end: Option<DateTime<Utc>>,
    pub plan: Option<Plan>,
    pub created: i64,
}

impl SubView {
    pub fn facts(&self) -> Option<Subscription> {
        Some(Subscription {
            status: self.status?,
            cancel_at_period_end: self.cancel_at_period_end,
            period_end: self.period_end,
        })
    }

    pub fn live(&self) -> bool {
        self.status.is_some_and(|s| !s.ended())
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceView {
    pub number: Option<String>,
    pub status: String,
    pub amount_cents: i64,
    pub created: Option<DateTime<Utc>>,
    pub url: Option<String>,
}

pub struct StripeApi {
    client: Client,
    pub settings: StripeSettings,
}

fn ts(t: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t, 0)
}

fn idempotent(key: &str) -> RequestStrategy {
    match IdempotencyKey::new(key) {
        Ok(k) => RequestStrategy::Idempotent(k),
        Err(_) => RequestStrategy::Once,
    }
}

impl StripeApi {
    pub fn new(settings: StripeSettings) -> Result<Self, StripeFailure> {
        let mut builder = ClientBuilder::new(settings.secret_key.clone());
        if let Some(url) = &settings.api_url {
            let url = if url.ends_with('/') {
                url.clone()
            } else {
                format!("{url}/")
            };
            builder = builder.url(url);
        }
        let client = builder.build().map_err(|_| StripeFailure::Unreachable)?;
        Ok(StripeApi { client, settings })
    }

    pub fn price_of(&self, plan: Plan) -> &str {
        match plan {
            Plan::Monthly => &self.settings.price_monthly,
            Plan::Annual => &self.settings.price_annual,
        }
    }

    pub fn plan_of(&self, price: &str) -> Option<Plan> {
        if price == self.settings.price_monthly {
            Some(Plan::Monthly)
        } else if price == self.settings.price_annual {
            Some(Plan::Annual)
        } else {
            None
        }
    }

    /// One customer per Contact: the key makes a retried or doubled call return
    /// the same customer.
    pub async fn create_customer(
        &self,
        user: uuid::Uuid,
        email: &str,
    ) -> Result<String, StripeFailure> {
        let metadata = HashMap::from([("pruuf_user_id".to_string(), user.to_string())]);
        let customer = CreateCustomer::new()
            .email(email)
            .metadata(metadata)
            .customize()
            .request_strategy(idempotent(&format!("pruuf-customer-{user}")))
            .send(&self.client)
            .await?;
        Ok(customer.id.as_str().to_string())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_checkout(
        &self,
        user: uuid::Uuid,
        customer: &str,
        plan: Plan,
        trial_end: Option<DateTime<Utc>>,
        success_url: &str,
        cancel_url: &str,
        key: &str,
    ) -> Result<(String, String, DateTime<Utc>), StripeFailure> {
        let mut item = CreateCheckoutSessionLineItems::new();
        item.price = Some(self.price_of(plan).to_string());
        item.quantity = Some(1);
        let mut data = CreateCheckoutSessionSubscriptionData::new();
        data.metadata = Some(HashMap::from([(
            "pruuf_user_id".to_string(),
            user.to_string(),
        )]));
        data.trial_end = trial_end.map(|t| t.timestamp());
        let session = CreateCheckoutSession::new()
            .mode(CheckoutSessionMode::Subscription)
            .customer(customer)
            .client_reference_id(user.to_string())
            .line_items(vec![item])
            .allow_promotion_codes(true)
            .subscription_data(data)
            .success_url(success_url)
            .cancel_url(cancel_url)
            .customize()
            .request_strategy(idempotent(key))
            .send(&self.client)
            .await?;
        let url = session.url.clone().ok_or(StripeFailure::Unreadable)?;
        let expires = ts(session.expires_at).ok_or(StripeFailure::Unreadable)?;
        Ok((session.id.as_str().to_string(), url, expires))
    }

    /// (customer, subscription) of a completed session.
    pub async fn checkout_session(
        &self,
        id: &str,
    ) -> Result<(Option<String>, Option<String>, Option<String>), StripeFailure> {
        let s = RetrieveCheckoutSession::new(id).send(&self.client).await?;
        Ok((
            s.customer.as_ref().map(|c| c.id().as_str().to_string()),
            s.subscription.as_ref().map(|c| c.id().as_str().to_string()),
            s.client_reference_id.clone(),
        ))
    }

    pub async fn portal(&self, customer: &str, return_url: &str) -> Result<String, StripeFailure> {
        let s = CreateBillingPortalSession::new()
            .customer(customer)
            .return_url(return_url)
            .send(&self.client)
            .await?;
        Ok(s.url)
    }

    fn view(&self, s: &stripe_shared::Subscription) -> SubView {
        let item = s.items.data.first();
        SubView {
            id: s.id.as_str().to_string(),
            customer: s.customer.id().as_str().to_string(),
            status: SubStatus::parse(s.status.as_str()),
            status_text: s.status.as_str().to_string(),
            cancel_at_period_end: s.cancel_at_period_end,
            period_end: item.and_then(|i| ts(i.current_period_end)),
            plan: item.and_then(|i| self.plan_of(i.price.id.as_str())),
            created: s.created,
        }
    }

    pub async fn subscription(&self, id: &str) -> Result<SubView, StripeFailure> {
        let s = RetrieveSubscription::new(id).send(&self.client).await?;
        Ok(self.view(&s))
    }

    /// A customer's subscriptions, every status, newest first (at most 10).
    pub async fn subscriptions_of(&self, customer: &str) -> Result<Vec<SubView>, StripeFailure> {
        let list = ListSubscription::new()
            .customer(customer)
            .status(ListSubscriptionStatus::All)
            .limit(10)
            .send(&self.client)
            .await?;
        let mut subs: Vec<SubView> = list.data.iter().map(|s| self.view(s)).collect();
        subs.sort_by_key(|s| std::cmp::Reverse(s.created));
        Ok(subs)
    }

    pub async fn set_cancel_at_period_end(
        &self,
        id: &str,
        cancel: bool,
    ) -> Result<SubView, StripeFailure> {
        let s = UpdateSubscription::new(id)
            .cancel_at_period_end(cancel)
            .send(&self.client)
            .await?;
        Ok(self.view(&s))
    }

    pub async fn cancel_now(&self, id: &str) -> Result<SubView, StripeFailure> {
        let s = CancelSubscription::new(id).send(&self.client).await?;
        Ok(self.view(&s))
    }

    /// The customer's latest invoices (at most `limit`).
    pub async fn invoices(
        &self,
        customer: &str,
        limit: i64,
    ) -> Result<Vec<InvoiceView>, StripeFailure> {
        let list = ListInvoice::new()
            .customer(customer)
            .limit(limit)
            .send(&self.client)
            .await?;
        Ok(list
            .data
            .iter()
            .map(|i| InvoiceView {
                number: i.number.clone(),
                status: i
                    .status
                    .as_ref()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default(),
                amount_cents: if i.amount_paid > 0 {
                    i.amount_paid
                } else {
                    i.amount_due
                },
                created: ts(i.created),
                url: i.hosted_invoice_url.clone(),
            })
            .collect())
    }

    /// The customer a charge belongs to (for a dispute).
    pub async fn charge_customer(&self, charge: &str) -> Result<Option<String>, StripeFailure> {
        let c = RetrieveCharge::new(charge).send(&self.client).await?;
        Ok(c.customer.as_ref().map(|c| c.id().as_str().to_string()))
    }
}

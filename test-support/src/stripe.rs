//! A stateful stand-in for the Stripe API on 127.0.0.1, for the app's tests and the
//! local run. It answers what Pruuf's async-stripe client sends (`/v1/...`, form
//! bodies with Stripe's bracket keys, `Authorization: Bearer <key>`,
//! `Idempotency-Key`) with JSON that parses into async-stripe's generated types
//! (its own tests prove that, with the same miniserde parser the client uses). It
//! serves plain HTML pages for hosted Checkout (`/checkout/{id}`) and the billing
//! portal (`/portal/{id}`), keeps its own clock (`now()`, `advance()`), and makes
//! the webhook events Stripe would, signed as Stripe signs them (HMAC-SHA256 over
//! `"{t}.{payload}"`, this file's own implementation), posting each one to the
//! app's webhook URL in order.
//!
//! Events caused by a test control (`pay`, `renew`, …, the hosted pages) are
//! delivered before the control returns. Events caused by an API call from the app
//! (cancel, update) are delivered in the background right after the answer, as
//! Stripe does; `settle().await` waits until every queued event is delivered.
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The API version the fake's objects and events are shaped for (async-stripe's
/// `stripe_shared::version::VERSION`).
pub const API_VERSION: &str = "2026-09-30.endive";
const PRODUCT: &str = "prod_pruuf";
const PORTAL_CONFIGURATION: &str = "bpc_pruuf_default";
/// When the fake's prices "were created" (2025-01-01).
const PRICE_CREATED: i64 = 1_735_689_600;
const DAY: i64 = 86_400;
/// Checkout's `subscription_data[trial_end]` must be at least this far ahead.
const TRIAL_END_MIN_AHEAD: i64 = 2 * DAY;
/// Failed renewals in a row after which a subscription is `unpaid`.
const FAILURES_UNTIL_UNPAID: u32 = 3;
const FRIEND_CODE: &str = "FRIEND50";

type Metadata = BTreeMap<String, String>;

/// One webhook event the fake made: its JSON as sent, the `Stripe-Signature` it
/// was sent with, and the HTTP status the webhook URL answered (None: not sent,
/// or no answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StripeEvent {
    pub id: String,
    pub type_: String,
    pub payload: String,
    pub signature: String,
    pub delivered: Option<u16>,
}

struct Price {
    id: &'static str,
    amount: i64,
    interval: &'static str,
    months: i64,
}

const PRICES: [Price; 2] = [
    Price {
        id: FakeStripe::PRICE_MONTHLY,
        amount: 399,
        interval: "month",
        months: 1,
    },
    Price {
        id: FakeStripe::PRICE_ANNUAL,
        amount: 2900,
        interval: "year",
        months: 12,
    },
];

fn price(id: &str) -> Option<&'static Price> {
    PRICES.iter().find(|p| p.id == id)
}

fn price_or_monthly(id: &str) -> &'static Price {
    price(id).unwrap_or(&PRICES[0])
}

#[derive(Clone)]
struct Customer {
    id: String,
    email: Option<String>,
    name: Option<String>,
    metadata: Metadata,
    created: i64,
}

#[derive(Clone)]
struct Session {
    id: String,
    created: i64,
    expires_at: i64,
    customer: Option<String>,
    customer_email: Option<String>,
    price: String,
    success_url: Option<String>,
    cancel_url: Option<String>,
    client_reference_id: Option<String>,
    allow_promotion_codes: bool,
    trial_end: Option<i64>,
    sub_metadata: Metadata,
    metadata: Metadata,
    status: &'static str,
    payment_status: &'static str,
    subscription: Option<String>,
    invoice: Option<String>,
    amount_discount: i64,
    amount_total_paid: Option<i64>,
}

struct Portal {
    id: String,
    created: i64,
    customer: String,
    return_url: Option<String>,
}

#[derive(Clone)]
struct Discount {
    id: String,
    percent_off: i64,
}

#[derive(Clone)]
struct Sub {
    id: String,
    item_id: String,
    customer: String,
    price: String,
    status: String,
    created: i64,
    anchor: i64,
    period_start: i64,
    period_end: i64,
    trial_start: Option<i64>,
    trial_end: Option<i64>,
    cancel_at_period_end: bool,
    cancel_at: Option<i64>,
    canceled_at: Option<i64>,
    ended_at: Option<i64>,
    cancellation_reason: Option<&'static str>,
    latest_invoice: Option<String>,
    metadata: Metadata,
    failures: u32,
    discount: Option<Discount>,
    payment_method: String,
}

struct Invoice {
    id: String,
    number: String,
    customer: String,
    subscription: String,
    item_id: String,
    price: String,
    created: i64,
    period_start: i64,
    period_end: i64,
    line_start: i64,
    line_end: i64,
    billing_reason: &'static str,
    subtotal: i64,
    discount: i64,
    discount_id: Option<String>,
    status: &'static str,
    attempt_count: u64,
    paid_at: Option<i64>,
    next_payment_attempt: Option<i64>,
    payment_intent: Option<String>,
    sub_metadata: Metadata,
}

impl Invoice {
    fn total(&self) -> i64 {
        self.subtotal - self.discount
    }
}

struct Charge {
    id: String,
    customer: String,
    amount: i64,
    created: i64,
    payment_intent: String,
    payment_method: String,
    subscription: String,
    disputed: bool,
    balance_transaction: String,
}

struct Dispute {
    id: String,
    charge: String,
    payment_intent: String,
    amount: i64,
    created: i64,
}

/// A stored answer for an idempotency key.
struct Stored {
    fingerprint: String,
    status: u16,
    body: String,
}

#[derive(Default)]
struct Inner {
    base: String,
    nonce: String,
    offset: i64,
    seq: u64,
    customers: Vec<Customer>,
    sessions: Vec<Session>,
    portals: Vec<Portal>,
    subs: Vec<Sub>,
    invoices: Vec<Invoice>,
    charges: Vec<Charge>,
    disputes: Vec<Dispute>,
    events: Vec<StripeEvent>,
    outbox: VecDeque<String>,
    idempotent: HashMap<String, Stored>,
    customers_created: usize,
    sessions_created: usize,
}

/// The stand-in: a cheap handle onto one running fake.
#[derive(Clone)]
pub struct FakeStripe {
    pub addr: SocketAddr,
    webhook_url: Option<String>,
    inner: Arc<Mutex<Inner>>,
    delivery: Arc<tokio::sync::Mutex<()>>,
}

impl FakeStripe {
    pub const SECRET_KEY: &'static str = "sk_test_pruuf_fake";
    pub const WEBHOOK_SECRET: &'static str = "whsec_pruuf_fake";
    /// $3.99 a month.
    pub const PRICE_MONTHLY: &'static str = "price_pruuf_monthly";
    /// $29.00 a year.
    pub const PRICE_ANNUAL: &'static str = "price_pruuf_annual";
    /// The promotion code the hosted checkout page takes (50% off, forever).
    pub const PROMO_CODE: &'static str = FRIEND_CODE;
    /// The test card Stripe declines.
    pub const DECLINED_CARD: &'static str = "4000 0000 0000 0002";
    pub const GOOD_CARD: &'static str = "4242 4242 4242 4242";

    /// On a free port, without the `/__fake/` HTTP controls.
    pub async fn start(webhook_url: Option<String>) -> std::io::Result<Self> {
        Self::start_on("127.0.0.1:0", webhook_url, false).await
    }

    /// Listens on `addr`; posts events to `webhook_url` when given. With
    /// `public_controls` it also answers the `/__fake/…` control routes (for the
    /// local run and the browser tests).
    pub async fn start_on(
        addr: &str,
        webhook_url: Option<String>,
        public_controls: bool,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let inner = Inner {
            base: format!("http://{addr}/"),
            nonce: format!("{}:{}", crate::wall_clock_nanos(), addr.port()),
            ..Inner::default()
        };
        let fake = FakeStripe {
            addr,
            webhook_url,
            inner: Arc::new(Mutex::new(inner)),
            delivery: Arc::default(),
        };
        let mut app = api::routes().merge(pages::routes());
        if public_controls {
            app = app.merge(control::routes());
        }
        let app = app.with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(fake)
    }

    /// The base URL, with a trailing slash, for PRUUF_STRIPE_API_URL.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The variables that point the app at this stand-in.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("PRUUF_STRIPE_SECRET_KEY", Self::SECRET_KEY.to_string()),
            (
                "PRUUF_STRIPE_WEBHOOK_SECRET",
                Self::WEBHOOK_SECRET.to_string(),
            ),
            (
                "PRUUF_STRIPE_PRICE_MONTHLY",
                Self::PRICE_MONTHLY.to_string(),
            ),
            ("PRUUF_STRIPE_PRICE_ANNUAL", Self::PRICE_ANNUAL.to_string()),
            ("PRUUF_STRIPE_API_URL", self.url()),
        ]
    }

    fn state(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fake's clock: real time plus whatever `advance` added.
    pub fn now(&self) -> i64 {
        self.state().now()
    }

    /// Moves the fake's clock on (it never moves any subscription by itself).
    pub fn advance(&self, secs: i64) {
        self.state().offset += secs;
    }

    /// What the hosted checkout page does when the customer pays with `card`:
    /// the new subscription's id, or the message the page shows.
    pub async fn pay(&self, session_id: &str, card: &str) -> Result<String, String> {
        self.pay_with_promo(session_id, card, "").await
    }

    /// The same with a promotion code ("" for none).
    pub async fn pay_with_promo(
        &self,
        session_id: &str,
        card: &str,
        promo: &str,
    ) -> Result<String, String> {
        let result = self.state().pay(session_id, card, promo);
        self.settle().await;
        result
    }

    /// Ends a trial now: active, a paid invoice; emits
    /// `customer.subscription.updated` then `invoice.paid`.
    pub async fn end_trial(&self, sub_id: &str) -> Result<(), String> {
        let result = self.state().end_trial(sub_id);
        self.settle().await;
        result
    }

    /// The next period, paid: emits `invoice.paid` then
    /// `customer.subscription.updated`. From past_due/unpaid it pays the open
    /// invoice instead. With `cancel_at_period_end` it ends the subscription and
    /// emits `customer.subscription.deleted`.
    pub async fn renew(&self, sub_id: &str) -> Result<(), String> {
        let result = self.state().renew(sub_id);
        self.settle().await;
        result
    }

    /// A renewal whose payment fails: the next period with an open invoice, status
    /// past_due; emits `invoice.payment_failed` then `customer.subscription.updated`.
    /// While past_due it retries the same invoice (no `updated` unless the status
    /// changes); the third failure in a row makes it `unpaid`.
    pub async fn fail_renewal(&self, sub_id: &str) -> Result<(), String> {
        let result = self.state().fail_renewal(sub_id);
        self.settle().await;
        result
    }

    /// A dispute on the subscription's latest charge; emits `charge.dispute.created`.
    /// Answers the dispute's id.
    pub async fn dispute(&self, sub_id: &str) -> Result<String, String> {
        let result = self.state().dispute(sub_id);
        self.settle().await;
        result
    }

    /// Emits `customer.subscription.trial_will_end`.
    pub async fn trial_will_end(&self, sub_id: &str) -> Result<(), String> {
        let result = self.state().trial_will_end(sub_id);
        self.settle().await;
        result
    }

    /// The subscription as the API shows it (Null when there is none).
    pub fn subscription(&self, sub_id: &str) -> Value {
        let inner = self.state();
        inner
            .sub(sub_id)
            .map(|s| inner.sub_json(s))
            .unwrap_or(Value::Null)
    }

    /// The customer's newest subscription's id.
    pub fn customer_subscription(&self, customer_id: &str) -> Option<String> {
        self.state()
            .subs
            .iter()
            .rev()
            .find(|s| s.customer == customer_id)
            .map(|s| s.id.clone())
    }

    /// The Checkout Session as the API shows it (Null when there is none).
    pub fn checkout_session(&self, session_id: &str) -> Value {
        let mut inner = self.state();
        inner.expire_sessions();
        inner
            .session(session_id)
            .map(|s| inner.session_json(s))
            .unwrap_or(Value::Null)
    }

    /// Changes Stripe's status for a subscription WITHOUT any webhook (for the
    /// app's reconciliation). "canceled" also sets canceled_at and ended_at.
    pub fn set_status_silently(&self, sub_id: &str, status: &str) {
        let mut inner = self.state();
        let now = inner.now();
        if let Some(sub) = inner.subs.iter_mut().find(|s| s.id == sub_id) {
            sub.status = status.to_string();
            if status == "canceled" {
                sub.canceled_at.get_or_insert(now);
                sub.ended_at.get_or_insert(now);
            }
        }
    }

    /// Checkout Sessions the app created through the API.
    pub fn sessions_created(&self) -> usize {
        self.state().sessions_created
    }

    /// Customers the app created through the API (not those Checkout made).
    pub fn customers_created(&self) -> usize {
        self.state().customers_created
    }

    /// Every event made so far, oldest first.
    pub fn events(&self) -> Vec<StripeEvent> {
        self.state().events.clone()
    }

    /// The types of every event so far, oldest first.
    pub fn event_types(&self) -> Vec<String> {
        self.state()
            .events
            .iter()
            .map(|e| e.type_.clone())
            .collect()
    }

    /// Signs the event again with the current time and posts it again: the
    /// webhook URL's HTTP status.
    pub async fn resend(&self, event_id: &str) -> Option<u16> {
        let _guard = self.delivery.lock().await;
        let url = self.webhook_url.clone()?;
        let (payload, signature) = {
            let mut inner = self.state();
            let event = inner.events.iter_mut().find(|e| e.id == event_id)?;
            event.signature = sign(&event.payload, wall_clock());
            (event.payload.clone(), event.signature.clone())
        };
        let status = post_webhook(&url, &payload, &signature).await.ok();
        if let Some(event) = self.state().events.iter_mut().find(|e| e.id == event_id) {
            event.delivered = status;
        }
        status
    }

    /// Stripe's `Stripe-Signature` header for `payload` at unix time `t`.
    pub fn sign(&self, payload: &str, t: i64) -> String {
        sign(payload, t)
    }

    /// A signed event around `object` (any JSON), made now and neither stored nor
    /// sent: for testing the app's webhook handler directly.
    pub fn event_for_test(&self, type_: &str, object: Value) -> StripeEvent {
        let mut inner = self.state();
        let id = inner.new_id("evt_", 24);
        let payload = envelope(&id, type_, inner.now(), object, None).to_string();
        let signature = sign(&payload, wall_clock());
        StripeEvent {
            id,
            type_: type_.to_string(),
            payload,
            signature,
            delivered: None,
        }
    }

    /// Waits until every queued event has been posted to the webhook URL.
    pub async fn settle(&self) {
        let _guard = self.delivery.lock().await;
        loop {
            let (id, payload, signature) = {
                let mut inner = self.state();
                let Some(id) = inner.outbox.pop_front() else {
                    break;
                };
                if self.webhook_url.is_none() {
                    inner.outbox.clear();
                    break;
                }
                let Some(event) = inner.events.iter().find(|e| e.id == id) else {
                    continue;
                };
                (id, event.payload.clone(), event.signature.clone())
            };
            let Some(url) = &self.webhook_url else { break };
            let status = post_webhook(url, &payload, &signature).await.ok();
            if let Some(event) = self.state().events.iter_mut().find(|e| e.id == id) {
                event.delivered = status;
            }
        }
    }

    /// Delivers queued events in the background (after an API answer).
    fn settle_later(&self) {
        if self.webhook_url.is_some() && !self.state().outbox.is_empty() {
            let fake = self.clone();
            tokio::spawn(async move { fake.settle().await });
        }
    }
}

/// A Stripe API error: HTTP status and `{"error": {...}}`.
struct ApiError {
    status: u16,
    body: Value,
}

impl ApiError {
    fn new(
        status: u16,
        type_: &str,
        message: &str,
        code: Option<&str>,
        param: Option<&str>,
    ) -> Self {
        let mut error = Map::new();
        error.insert("type".into(), json!(type_));
        error.insert("message".into(), json!(message));
        if let Some(code) = code {
            error.insert("code".into(), json!(code));
            error.insert(
                "doc_url".into(),
                json!(format!(
                    "https://stripe.com/docs/error-codes/{}",
                    code.replace('_', "-")
                )),
            );
        }
        if let Some(param) = param {
            error.insert("param".into(), json!(param));
        }
        ApiError {
            status,
            body: json!({ "error": error }),
        }
    }

    /// An unknown id in the URL: 404.
    fn missing(kind: &str, id: &str) -> Self {
        Self::new(
            404,
            "invalid_request_error",
            &format!("No such {kind}: '{id}'"),
            Some("resource_missing"),
            Some("id"),
        )
    }

    /// An unknown id in a parameter: 400.
    fn missing_param(kind: &str, id: &str, param: &str) -> Self {
        Self::new(
            400,
            "invalid_request_error",
            &format!("No such {kind}: '{id}'"),
            Some("resource_missing"),
            Some(param),
        )
    }

    fn invalid(message: &str, param: Option<&str>) -> Self {
        Self::new(400, "invalid_request_error", message, None, param)
    }

    fn unauthorised() -> Self {
        Self::new(
            401,
            "invalid_request_error",
            "Invalid API Key provided",
            None,
            None,
        )
    }
}

/// A form or query string with Stripe's bracket keys, decoded.
struct Form(Vec<(String, String)>);

impl Form {
    fn parse(bytes: &[u8]) -> Self {
        Form(serde_urlencoded::from_bytes(bytes).unwrap_or_default())
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, key: &str) -> Option<String> {
        self.get(key).filter(|v| !v.is_empty()).map(str::to_string)
    }

    fn flag(&self, key: &str) -> Result<Option<bool>, ApiError> {
        match self.get(key) {
            None => Ok(None),
            Some("true") => Ok(Some(true)),
            Some("false") => Ok(Some(false)),
            Some(other) => Err(ApiError::invalid(
                &format!("Invalid boolean: {other}"),
                Some(key),
            )),
        }
    }

    fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.get(key) {
            None | Some("") => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| ApiError::invalid(&format!("Invalid integer: {v}"), Some(key))),
        }
    }

    /// `prefix[k]=v` pairs as a map of k to v.
    fn map(&self, prefix: &str) -> Metadata {
        self.0
            .iter()
            .filter_map(|(k, v)| {
                let rest = k
                    .strip_prefix(prefix)?
                    .strip_prefix('[')?
                    .strip_suffix(']')?;
                (!rest.contains('[')).then(|| (rest.to_string(), v.clone()))
            })
            .collect()
    }

    fn fingerprint(&self, method: &str, path: &str) -> String {
        let mut pairs = self.0.clone();
        pairs.sort();
        format!("{method} {path} {pairs:?}")
    }
}

impl Inner {
    fn now(&self) -> i64 {
        wall_clock() + self.offset
    }

    /// An id like Stripe's: the prefix and `len` letters and digits.
    fn new_id(&mut self, prefix: &str, len: usize) -> String {
        const ALPHABET: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        self.seq += 1;
        let mut out = String::from(prefix);
        let mut round = 0u32;
        while out.len() < prefix.len() + len {
            let digest = Sha256::digest(format!("{}/{}/{round}", self.nonce, self.seq));
            for b in digest {
                if out.len() == prefix.len() + len {
                    break;
                }
                out.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
            }
            round += 1;
        }
        out
    }

    fn customer(&self, id: &str) -> Option<&Customer> {
        self.customers.iter().find(|c| c.id == id)
    }

    fn session(&self, id: &str) -> Option<&Session> {
        self.sessions.iter().find(|s| s.id == id)
    }

    fn sub(&self, id: &str) -> Option<&Sub> {
        self.subs.iter().find(|s| s.id == id)
    }

    fn sub_index(&self, id: &str) -> Result<usize, String> {
        self.subs
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| format!("No such subscription: '{id}'"))
    }

    fn expire_sessions(&mut self) {
        let now = self.now();
        for s in &mut self.sessions {
            if s.status == "open" && now >= s.expires_at {
                s.status = "expired";
            }
        }
    }

    /// Stores an event, signed now, and queues it for the webhook URL.
    fn emit(&mut self, type_: &str, object: Value, previous: Option<Value>) {
        let id = self.new_id("evt_", 24);
        let payload = envelope(&id, type_, self.now(), object, previous).to_string();
        let signature = sign(&payload, wall_clock());
        self.events.push(StripeEvent {
            id: id.clone(),
            type_: type_.to_string(),
            payload,
            signature,
            delivered: None,
        });
        self.outbox.push_back(id);
    }

    /// Emits `customer.subscription.updated` with what changed since `before`
    /// (nothing when nothing did).
    fn emit_updated(&mut self, index: usize, before: &Value) {
        let after = self.sub_json(&self.subs[index]);
        let previous: Map<String, Value> = after
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, v)| before.get(k.as_str()) != Some(v))
            .map(|(k, _)| {
                (
                    k.clone(),
                    before.get(k.as_str()).cloned().unwrap_or(Value::Null),
                )
            })
            .collect();
        if !previous.is_empty() {
            self.emit(
                "customer.subscription.updated",
                after,
                Some(Value::Object(previous)),
            );
        }
    }

    fn emit_sub(&mut self, type_: &str, index: usize) {
        let object = self.sub_json(&self.subs[index]);
        self.emit(type_, object, None);
    }

    fn emit_invoice(&mut self, type_: &str, invoice_id: &str) {
        if let Some(invoice) = self.invoices.iter().find(|i| i.id == invoice_id) {
            let object = self.invoice_json(invoice);
            self.emit(type_, object, None);
        }
    }

    // ---- API operations -------------------------------------------------

    fn create_customer(&mut self, form: &Form) -> Result<Value, ApiError> {
        let customer = Customer {
            id: self.new_id("cus_", 14),
            email: form.text("email"),
            name: form.text("name"),
            metadata: form.map("metadata"),
            created: self.now(),
        };
        let json = customer_json(&customer);
        self.customers.push(customer);
        self.customers_created += 1;
        Ok(json)
    }

    fn create_session(&mut self, form: &Form) -> Result<Value, ApiError> {
        let now = self.now();
        match form.get("mode") {
            Some("subscription") => {}
            Some(other) => {
                return Err(ApiError::invalid(
                    &format!("The stand-in only does mode=subscription, not '{other}'."),
                    Some("mode"),
                ))
            }
            None => {
                return Err(ApiError::invalid(
                    "Missing required param: mode.",
                    Some("mode"),
                ))
            }
        }
        let price_id = form.get("line_items[0][price]").ok_or_else(|| {
            ApiError::invalid(
                "Missing required param: line_items[0][price].",
                Some("line_items[0][price]"),
            )
        })?;
        if price(price_id).is_none() {
            return Err(ApiError::missing_param(
                "price",
                price_id,
                "line_items[0][price]",
            ));
        }
        let quantity = form.int("line_items[0][quantity]")?.unwrap_or(1);
        if quantity != 1 {
            return Err(ApiError::invalid(
                "The stand-in only sells a quantity of 1.",
                Some("line_items[0][quantity]"),
            ));
        }
        let customer = form.text("customer");
        if let Some(id) = &customer {
            if self.customer(id).is_none() {
                return Err(ApiError::missing_param("customer", id, "customer"));
            }
        }
        let trial_end = form.int("subscription_data[trial_end]")?;
        if let Some(end) = trial_end {
            if end < now + TRIAL_END_MIN_AHEAD {
                return Err(ApiError::invalid(
                    "subscription_data[trial_end] must be at least 48 hours in the future.",
                    Some("subscription_data[trial_end]"),
                ));
            }
        }
        let session = Session {
            id: self.new_id("cs_test_a1", 56),
            created: now,
            expires_at: now + DAY,
            customer,
            customer_email: form.text("customer_email"),
            price: price_id.to_string(),
            success_url: form.text("success_url"),
            cancel_url: form.text("cancel_url"),
            client_reference_id: form.text("client_reference_id"),
            allow_promotion_codes: form.flag("allow_promotion_codes")?.unwrap_or(false),
            trial_end,
            sub_metadata: form.map("subscription_data[metadata]"),
            metadata: form.map("metadata"),
            status: "open",
            payment_status: "unpaid",
            subscription: None,
            invoice: None,
            amount_discount: 0,
            amount_total_paid: None,
        };
        let json = self.session_json(&session);
        self.sessions.push(session);
        self.sessions_created += 1;
        Ok(json)
    }

    fn create_portal(&mut self, form: &Form) -> Result<Value, ApiError> {
        let customer = form.text("customer").ok_or_else(|| {
            ApiError::invalid("Missing required param: customer.", Some("customer"))
        })?;
        if self.customer(&customer).is_none() {
            return Err(ApiError::missing_param("customer", &customer, "customer"));
        }
        let portal = Portal {
            id: self.new_id("bps_", 24),
            created: self.now(),
            customer,
            return_url: form.text("return_url"),
        };
        let json = self.portal_json(&portal);
        self.portals.push(portal);
        Ok(json)
    }

    fn update_subscription(&mut self, id: &str, form: &Form) -> Result<Value, ApiError> {
        let index = self
            .sub_index(id)
            .map_err(|_| ApiError::missing("subscription", id))?;
        let before = self.sub_json(&self.subs[index]);
        if self.subs[index].status == "canceled" {
            let only_metadata = form.0.iter().all(|(k, _)| k.starts_with("metadata["));
            if !only_metadata {
                return Err(ApiError::invalid(
                    "A canceled subscription can only update its cancellation_details and metadata.",
                    None,
                ));
            }
        }
        let now = self.now();
        if let Some(flag) = form.flag("cancel_at_period_end")? {
            set_cancel_at_period_end(&mut self.subs[index], flag, now);
        }
        for (k, v) in form.map("metadata") {
            if v.is_empty() {
                self.subs[index].metadata.remove(&k);
            } else {
                self.subs[index].metadata.insert(k, v);
            }
        }
        self.emit_updated(index, &before);
        Ok(self.sub_json(&self.subs[index]))
    }

    fn cancel_subscription(&mut self, id: &str) -> Result<Value, ApiError> {
        let index = self
            .sub_index(id)
            .map_err(|_| ApiError::missing("subscription", id))?;
        if self.subs[index].status == "canceled" {
            return Err(ApiError::invalid(
                "A canceled subscription can only update its cancellation_details and metadata.",
                None,
            ));
        }
        let now = self.now();
        let sub = &mut self.subs[index];
        sub.status = "canceled".into();
        sub.canceled_at = Some(now);
        sub.ended_at = Some(now);
        sub.cancel_at_period_end = false;
        sub.cancel_at = None;
        sub.cancellation_reason = Some("cancellation_requested");
        self.emit_sub("customer.subscription.deleted", index);
        Ok(self.sub_json(&self.subs[index]))
    }

    fn list_subscriptions(&self, query: &Form) -> Result<Value, ApiError> {
        let limit = limit(query)?;
        let customer = query.get("customer");
        let status = query.get("status");
        let mut data: Vec<Value> = self
            .subs
            .iter()
            .rev()
            .filter(|s| customer.is_none_or(|c| s.customer == c))
            .filter(|s| match status {
                None => s.status != "canceled" && s.status != "incomplete_expired",
                Some("all") => true,
                Some("ended") => s.status == "canceled" || s.status == "incomplete_expired",
                Some(wanted) => s.status == wanted,
            })
            .map(|s| self.sub_json(s))
            .collect();
        Ok(list_json(&mut data, limit, "/v1/subscriptions"))
    }

    fn list_invoices(&self, query: &Form) -> Result<Value, ApiError> {
        let limit = limit(query)?;
        let customer = query.get("customer");
        let subscription = query.get("subscription");
        let status = query.get("status");
        let mut data: Vec<Value> = self
            .invoices
            .iter()
            .rev()
            .filter(|i| customer.is_none_or(|c| i.customer == c))
            .filter(|i| subscription.is_none_or(|s| i.subscription == s))
            .filter(|i| status.is_none_or(|s| i.status == s))
            .map(|i| self.invoice_json(i))
            .collect();
        Ok(list_json(&mut data, limit, "/v1/invoices"))
    }

    // ---- what the hosted pages and the test controls do --------------------

    fn pay(&mut self, session_id: &str, card: &str, promo: &str) -> Result<String, String> {
        self.expire_sessions();
        let session = self
            .session(session_id)
            .cloned()
            .ok_or_else(|| format!("No such checkout.session: '{session_id}'"))?;
        match session.status {
            "open" => {}
            "complete" => return Err("This Checkout Session is already paid.".into()),
            _ => return Err("This Checkout Session has expired.".into()),
        }
        let digits: String = card.chars().filter(char::is_ascii_digit).collect();
        if card
            .chars()
            .any(|c| !(c.is_ascii_digit() || c == ' ' || c == '-'))
            || !(13..=19).contains(&digits.len())
            || !luhn(&digits)
        {
            return Err("Your card number is invalid.".into());
        }
        match digits.as_str() {
            "4000000000000002" => return Err("Your card was declined.".into()),
            "4000000000009995" => return Err("Your card has insufficient funds.".into()),
            "4000000000000069" => return Err("Your card has expired.".into()),
            _ => {}
        }
        let promo = promo.trim();
        let percent_off = if promo.is_empty() {
            None
        } else if promo.eq_ignore_ascii_case(FRIEND_CODE) {
            Some(50)
        } else {
            return Err(format!("The code '{promo}' is invalid."));
        };

        let now = self.now();
        let customer = match &session.customer {
            Some(id) => id.clone(),
            None => {
                let customer = Customer {
                    id: self.new_id("cus_", 14),
                    email: session.customer_email.clone(),
                    name: None,
                    metadata: Metadata::new(),
                    created: now,
                };
                let id = customer.id.clone();
                self.customers.push(customer);
                id
            }
        };
        let discount = percent_off.map(|percent_off| Discount {
            id: self.new_id("di_", 24),
            percent_off,
        });
        let trialing = session.trial_end.filter(|end| *end > now);
        let plan = price_or_monthly(&session.price);
        let (period_end, anchor) = match trialing {
            Some(end) => (end, end),
            None => (add_months(now, plan.months, day_of_month(now)), now),
        };
        let sub = Sub {
            id: self.new_id("sub_", 24),
            item_id: self.new_id("si_", 14),
            customer: customer.clone(),
            price: session.price.clone(),
            status: if trialing.is_some() {
                "trialing"
            } else {
                "active"
            }
            .into(),
            created: now,
            anchor,
            period_start: now,
            period_end,
            trial_start: trialing.map(|_| now),
            trial_end: trialing,
            cancel_at_period_end: false,
            cancel_at: None,
            canceled_at: None,
            ended_at: None,
            cancellation_reason: None,
            latest_invoice: None,
            metadata: session.sub_metadata.clone(),
            failures: 0,
            discount,
            payment_method: self.new_id("pm_", 24),
        };
        let sub_id = sub.id.clone();
        self.subs.push(sub);
        let index = self.subs.len() - 1;
        let invoice = if trialing.is_none() {
            Some(self.new_invoice(
                index,
                "subscription_create",
                now,
                now,
                now,
                period_end,
                true,
            ))
        } else {
            None
        };
        let total = invoice
            .as_ref()
            .and_then(|id| self.invoices.iter().find(|i| &i.id == id))
            .map(|i| (i.total(), i.discount));
        if let Some(s) = self.sessions.iter_mut().find(|s| s.id == session_id) {
            s.status = "complete";
            s.payment_status = if trialing.is_some() {
                "no_payment_required"
            } else {
                "paid"
            };
            s.customer = Some(customer);
            s.subscription = Some(sub_id.clone());
            s.invoice = invoice.clone();
            s.amount_discount = total.map(|t| t.1).unwrap_or(0);
            s.amount_total_paid = Some(total.map(|t| t.0).unwrap_or(0));
        }
        let session_json = self
            .session(session_id)
            .map(|s| self.session_json(s))
            .unwrap_or(Value::Null);
        self.emit("checkout.session.completed", session_json, None);
        self.emit_sub("customer.subscription.created", index);
        if let Some(invoice) = invoice {
            self.emit_invoice("invoice.paid", &invoice);
        }
        Ok(sub_id)
    }

    /// A new invoice for the subscription at `index` (paid, with a charge, or open
    /// after a failed attempt); it becomes the latest invoice.
    #[allow(clippy::too_many_arguments)]
    fn new_invoice(
        &mut self,
        index: usize,
        reason: &'static str,
        period_start: i64,
        period_end: i64,
        line_start: i64,
        line_end: i64,
        paid: bool,
    ) -> String {
        let now = self.now();
        let id = self.new_id("in_", 24);
        let payment_intent = self.new_id("pi_", 24);
        let sub = self.subs[index].clone();
        let subtotal = price_or_monthly(&sub.price).amount;
        let discount = sub
            .discount
            .as_ref()
            .map(|d| (subtotal * d.percent_off + 50) / 100)
            .unwrap_or(0);
        let number = format!("PRUUF-{:04}", self.invoices.len() + 1);
        let invoice = Invoice {
            id: id.clone(),
            number,
            customer: sub.customer.clone(),
            subscription: sub.id.clone(),
            item_id: sub.item_id.clone(),
            price: sub.price.clone(),
            created: now,
            period_start,
            period_end,
            line_start,
            line_end,
            billing_reason: reason,
            subtotal,
            discount,
            discount_id: sub.discount.as_ref().map(|d| d.id.clone()),
            status: if paid { "paid" } else { "open" },
            attempt_count: 1,
            paid_at: paid.then_some(now),
            next_payment_attempt: (!paid).then_some(now + 3 * DAY),
            payment_intent: Some(payment_intent.clone()),
            sub_metadata: sub.metadata.clone(),
        };
        self.invoices.push(invoice);
        if paid {
            self.new_charge(self.invoices.len() - 1);
        }
        self.subs[index].latest_invoice = Some(id.clone());
        id
    }

    /// The charge that paid the invoice at `position`.
    fn new_charge(&mut self, position: usize) {
        let id = self.new_id("ch_", 24);
        let balance_transaction = self.new_id("txn_", 24);
        let invoice = &self.invoices[position];
        let charge = Charge {
            id,
            customer: invoice.customer.clone(),
            amount: invoice.total(),
            created: self.now(),
            payment_intent: invoice.payment_intent.clone().unwrap_or_default(),
            payment_method: self
                .sub(&invoice.subscription)
                .map(|s| s.payment_method.clone())
                .unwrap_or_default(),
            subscription: invoice.subscription.clone(),
            disputed: false,
            balance_transaction,
        };
        self.charges.push(charge);
    }

    fn end_trial(&mut self, sub_id: &str) -> Result<(), String> {
        let index = self.sub_index(sub_id)?;
        if self.subs[index].status != "trialing" {
            return Err(format!(
                "{sub_id} is {}, not trialing",
                self.subs[index].status
            ));
        }
        let before = self.sub_json(&self.subs[index]);
        let now = self.now();
        if self.subs[index].cancel_at_period_end {
            // Set to cancel: the trial's end ends it, with no charge (as Stripe does).
            let sub = &mut self.subs[index];
            sub.status = "canceled".into();
            sub.ended_at = Some(now);
            self.emit_sub("customer.subscription.deleted", index);
            return Ok(());
        }
        let start = self.subs[index]
            .trial_end
            .filter(|end| *end <= now)
            .unwrap_or(now);
        let plan = price_or_monthly(&self.subs[index].price);
        let end = add_months(start, plan.months, day_of_month(start));
        let previous_start = self.subs[index].period_start;
        let sub = &mut self.subs[index];
        sub.status = "active".into();
        sub.trial_end = Some(start);
        sub.anchor = start;
        sub.period_start = start;
        sub.period_end = end;
        let invoice = self.new_invoice(
            index,
            "subscription_cycle",
            previous_start,
            start,
            start,
            end,
            true,
        );
        self.emit_updated(index, &before);
        self.emit_invoice("invoice.paid", &invoice);
        Ok(())
    }

    fn renew(&mut self, sub_id: &str) -> Result<(), String> {
        let index = self.sub_index(sub_id)?;
        let before = self.sub_json(&self.subs[index]);
        let now = self.now();
        let status = self.subs[index].status.clone();
        match status.as_str() {
            "active" if self.subs[index].cancel_at_period_end => {
                let sub = &mut self.subs[index];
                sub.status = "canceled".into();
                sub.ended_at = Some(sub.period_end.min(now).max(sub.period_start));
                sub.cancel_at_period_end = false;
                self.emit_sub("customer.subscription.deleted", index);
                Ok(())
            }
            "active" => {
                let (start, end) = next_period(&self.subs[index]);
                let previous = self.subs[index].period_start;
                self.subs[index].period_start = start;
                self.subs[index].period_end = end;
                self.subs[index].failures = 0;
                let invoice = self.new_invoice(
                    index,
                    "subscription_cycle",
                    previous,
                    start,
                    start,
                    end,
                    true,
                );
                self.emit_invoice("invoice.paid", &invoice);
                self.emit_updated(index, &before);
                Ok(())
            }
            "past_due" | "unpaid" => {
                let invoice_id = self.subs[index].latest_invoice.clone().unwrap_or_default();
                let Some(position) = self
                    .invoices
                    .iter()
                    .position(|i| i.id == invoice_id && i.status == "open")
                else {
                    return Err(format!("{sub_id} has no open invoice to pay"));
                };
                let invoice = &mut self.invoices[position];
                invoice.status = "paid";
                invoice.attempt_count += 1;
                invoice.paid_at = Some(now);
                invoice.next_payment_attempt = None;
                self.new_charge(position);
                self.subs[index].status = "active".into();
                self.subs[index].failures = 0;
                self.emit_invoice("invoice.paid", &invoice_id);
                self.emit_updated(index, &before);
                Ok(())
            }
            other => Err(format!(
                "{sub_id} is {other}; renew needs active, past_due or unpaid"
            )),
        }
    }

    fn fail_renewal(&mut self, sub_id: &str) -> Result<(), String> {
        let index = self.sub_index(sub_id)?;
        let before = self.sub_json(&self.subs[index]);
        let now = self.now();
        let status = self.subs[index].status.clone();
        let invoice_id = match status.as_str() {
            "active" | "trialing" => {
                let (start, end) = if status == "trialing" {
                    let start = self.subs[index]
                        .trial_end
                        .filter(|e| *e <= now)
                        .unwrap_or(now);
                    self.subs[index].trial_end = Some(start);
                    let plan = price_or_monthly(&self.subs[index].price);
                    self.subs[index].anchor = start;
                    (start, add_months(start, plan.months, day_of_month(start)))
                } else {
                    next_period(&self.subs[index])
                };
                let previous = self.subs[index].period_start;
                self.subs[index].period_start = start;
                self.subs[index].period_end = end;
                self.new_invoice(
                    index,
                    "subscription_cycle",
                    previous,
                    start,
                    start,
                    end,
                    false,
                )
            }
            "past_due" => {
                let invoice_id = self.subs[index].latest_invoice.clone().unwrap_or_default();
                let Some(invoice) = self
                    .invoices
                    .iter_mut()
                    .find(|i| i.id == invoice_id && i.status == "open")
                else {
                    return Err(format!("{sub_id} has no open invoice to retry"));
                };
                invoice.attempt_count += 1;
                invoice.next_payment_attempt = Some(now + 3 * DAY);
                invoice_id
            }
            other => {
                return Err(format!(
                    "{sub_id} is {other}; fail_renewal needs active, trialing or past_due"
                ))
            }
        };
        let sub = &mut self.subs[index];
        sub.failures += 1;
        sub.status = if sub.failures >= FAILURES_UNTIL_UNPAID {
            "unpaid"
        } else {
            "past_due"
        }
        .into();
        if sub.status == "unpaid" {
            if let Some(invoice) = self.invoices.iter_mut().find(|i| i.id == invoice_id) {
                invoice.next_payment_attempt = None;
            }
        }
        self.emit_invoice("invoice.payment_failed", &invoice_id);
        self.emit_updated(index, &before);
        Ok(())
    }

    fn dispute(&mut self, sub_id: &str) -> Result<String, String> {
        self.sub_index(sub_id)?;
        let now = self.now();
        let id = self.new_id("dp_", 24);
        let Some(charge) = self
            .charges
            .iter_mut()
            .rev()
            .find(|c| c.subscription == sub_id)
        else {
            return Err(format!("{sub_id} has no charge to dispute"));
        };
        charge.disputed = true;
        let dispute = Dispute {
            id: id.clone(),
            charge: charge.id.clone(),
            payment_intent: charge.payment_intent.clone(),
            amount: charge.amount,
            created: now,
        };
        let json = dispute_json(&dispute, now);
        self.disputes.push(dispute);
        self.emit("charge.dispute.created", json, None);
        Ok(id)
    }

    fn trial_will_end(&mut self, sub_id: &str) -> Result<(), String> {
        let index = self.sub_index(sub_id)?;
        if self.subs[index].status != "trialing" {
            return Err(format!(
                "{sub_id} is {}, not trialing",
                self.subs[index].status
            ));
        }
        self.emit_sub("customer.subscription.trial_will_end", index);
        Ok(())
    }

    /// The billing portal's buttons.
    fn portal_action(&mut self, portal_id: &str, action: &str) -> Result<(), String> {
        let customer = self
            .portals
            .iter()
            .find(|p| p.id == portal_id)
            .map(|p| p.customer.clone())
            .ok_or_else(|| format!("No such billing portal session: '{portal_id}'"))?;
        let index = self
            .portal_sub(&customer)
            .ok_or_else(|| "There is no plan to manage.".to_string())?;
        let before = self.sub_json(&self.subs[index]);
        let now = self.now();
        let sub = &mut self.subs[index];
        match action {
            "cancel" => set_cancel_at_period_end(sub, true, now),
            "resume" => set_cancel_at_period_end(sub, false, now),
            "switch" => {
                sub.price = if sub.price == FakeStripe::PRICE_ANNUAL {
                    FakeStripe::PRICE_MONTHLY
                } else {
                    FakeStripe::PRICE_ANNUAL
                }
                .to_string();
            }
            _ => return Err(format!("Unknown action {action}")),
        }
        self.emit_updated(index, &before);
        Ok(())
    }

    /// The subscription the portal manages: the customer's newest that has not
    /// ended.
    fn portal_sub(&self, customer: &str) -> Option<usize> {
        self.subs
            .iter()
            .rposition(|s| s.customer == customer && s.status != "canceled")
    }

    // ---- JSON --------------------------------------------------------------

    fn session_json(&self, s: &Session) -> Value {
        let plan = price_or_monthly(&s.price);
        let subtotal = plan.amount;
        let total = s
            .amount_total_paid
            .unwrap_or(if s.trial_end.is_some() { 0 } else { subtotal });
        let customer = s.customer.as_deref().and_then(|c| self.customer(c));
        let details = (s.status == "complete").then(|| {
            json!({
                "address": null,
                "email": customer.and_then(|c| c.email.clone()).or_else(|| s.customer_email.clone()),
                "name": customer.and_then(|c| c.name.clone()),
                "phone": null,
                "tax_exempt": "none",
                "tax_ids": [],
            })
        });
        let first = json!({
            "id": s.id,
            "object": "checkout.session",
            "adaptive_pricing": null,
            "after_expiration": null,
            "allow_promotion_codes": s.allow_promotion_codes,
            "amount_subtotal": if s.trial_end.is_some() && s.amount_total_paid.is_none() { 0 } else { subtotal },
            "amount_total": total,
            "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
            "billing_address_collection": null,
            "cancel_url": s.cancel_url,
            "client_reference_id": s.client_reference_id,
        });
        let middle = json!({
            "client_secret": null,
            "consent": null,
            "consent_collection": null,
            "created": s.created,
            "currency": "usd",
            "custom_fields": [],
            "custom_text": {
                "after_submit": null,
                "shipping_address": null,
                "submit": null,
                "terms_of_service_acceptance": null,
            },
            "customer": s.customer,
            "customer_creation": if s.customer.is_some() { Value::Null } else { json!("always") },
            "customer_details": details,
            "customer_email": s.customer_email,
            "discounts": [],
            "expires_at": s.expires_at,
        });
        let last = json!({
            "invoice": s.invoice,
            "invoice_creation": null,
            "livemode": false,
            "locale": null,
            "metadata": s.metadata,
            "mode": "subscription",
            "payment_intent": null,
            "payment_link": null,
            "payment_method_collection": "always",
            "payment_method_types": ["card"],
            "payment_status": s.payment_status,
            "recovered_from": null,
            "saved_payment_method_options": null,
            "setup_intent": null,
            "shipping_address_collection": null,
            "shipping_cost": null,
            "shipping_options": [],
            "status": s.status,
            "submit_type": null,
            "subscription": s.subscription,
            "success_url": s.success_url,
            "total_details": { "amount_discount": s.amount_discount, "amount_shipping": 0, "amount_tax": 0 },
            "ui_mode": "hosted",
            "url": (s.status == "open").then(|| format!("{}checkout/{}", self.base, s.id)),
        });
        merge([first, middle, last])
    }

    fn portal_json(&self, p: &Portal) -> Value {
        json!({
            "id": p.id,
            "object": "billing_portal.session",
            "configuration": PORTAL_CONFIGURATION,
            "created": p.created,
            "customer": p.customer,
            "customer_account": null,
            "flow": null,
            "livemode": false,
            "locale": null,
            "on_behalf_of": null,
            "return_url": p.return_url,
            "url": format!("{}portal/{}", self.base, p.id),
        })
    }

    fn sub_json(&self, s: &Sub) -> Value {
        let item = json!({
            "id": s.item_id,
            "object": "subscription_item",
            "billing_thresholds": null,
            "created": s.created,
            "current_period_end": s.period_end,
            "current_period_start": s.period_start,
            "discounts": [],
            "metadata": {},
            "plan": plan_json(&s.price),
            "price": price_json(&s.price),
            "quantity": 1,
            "subscription": s.id,
            "tax_rates": [],
        });
        let first = json!({
            "id": s.id,
            "object": "subscription",
            "application": null,
            "application_fee_percent": null,
            "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null },
            "billing_cycle_anchor": s.anchor,
            "billing_cycle_anchor_config": null,
            "billing_mode": { "type": "classic" },
            "billing_schedules": [],
            "billing_thresholds": null,
            "cancel_at": s.cancel_at,
            "cancel_at_period_end": s.cancel_at_period_end,
            "canceled_at": s.canceled_at,
            "cancellation_details": { "comment": null, "feedback": null, "reason": s.cancellation_reason },
            "collection_method": "charge_automatically",
            "created": s.created,
            "currency": "usd",
            "customer": s.customer,
        });
        let middle = json!({
            "customer_account": null,
            "days_until_due": null,
            "default_payment_method": s.payment_method,
            "default_source": null,
            "default_tax_rates": [],
            "description": null,
            "discounts": s.discount.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
            "ended_at": s.ended_at,
            "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
            "items": {
                "object": "list",
                "data": [item],
                "has_more": false,
                "total_count": 1,
                "url": format!("/v1/subscription_items?subscription={}", s.id),
            },
            "latest_invoice": s.latest_invoice,
            "livemode": false,
            "metadata": s.metadata,
        });
        let last = json!({
            "next_pending_invoice_item_invoice": null,
            "on_behalf_of": null,
            "pause_collection": null,
            "payment_settings": {
                "payment_method_options": null,
                "payment_method_types": null,
                "save_default_payment_method": "off",
            },
            "pending_invoice_item_interval": null,
            "pending_setup_intent": null,
            "pending_update": null,
            "schedule": null,
            "start_date": s.created,
            "status": s.status,
            "test_clock": null,
            "transfer_data": null,
            "trial_end": s.trial_end,
            "trial_settings": { "end_behavior": { "missing_payment_method": "create_invoice" } },
            "trial_start": s.trial_start,
        });
        merge([first, middle, last])
    }

    fn invoice_json(&self, i: &Invoice) -> Value {
        let customer = self.customer(&i.customer);
        let total = i.total();
        let paid = i.status == "paid";
        let plan = price_or_monthly(&i.price);
        let line = json!({
            "id": format!("il_{}", &i.id[3..]),
            "object": "line_item",
            "amount": i.subtotal,
            "currency": "usd",
            "description": format!("1 × Pruuf (at {} / {})", money(plan.amount), plan.interval),
            "discount_amounts": i.discount_id.iter().map(|d| json!({ "amount": i.discount, "discount": d })).collect::<Vec<_>>(),
            "discountable": true,
            "discounts": [],
            "invoice": i.id,
            "livemode": false,
            "metadata": i.sub_metadata,
            "parent": {
                "invoice_item_details": null,
                "subscription_item_details": {
                    "invoice_item": null,
                    "proration": false,
                    "proration_details": { "credited_items": null },
                    "subscription": i.subscription,
                    "subscription_item": i.item_id,
                },
                "type": "subscription_item_details",
            },
            "period": { "end": i.line_end, "start": i.line_start },
            "pretax_credit_amounts": [],
            "pricing": {
                "price_details": { "price": i.price, "product": PRODUCT },
                "type": "price_details",
                "unit_amount_decimal": plan.amount.to_string(),
            },
            "quantity": 1,
            "subtotal": i.subtotal,
            "taxes": [],
        });
        let first = json!({
            "id": i.id,
            "object": "invoice",
            "account_country": "US",
            "account_name": "Pruuf",
            "account_tax_ids": null,
            "amount_due": total,
            "amount_overpaid": 0,
            "amount_paid": if paid { total } else { 0 },
            "amount_remaining": if paid { 0 } else { total },
            "amount_shipping": 0,
            "application": null,
            "attempt_count": i.attempt_count,
            "attempted": true,
            "auto_advance": !paid,
            "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": null, "provider": null, "status": null },
            "automatically_finalizes_at": null,
            "billing_reason": i.billing_reason,
            "collection_method": "charge_automatically",
            "created": i.created,
            "currency": "usd",
        });
        let second = json!({
            "custom_fields": null,
            "customer": i.customer,
            "customer_account": null,
            "customer_address": null,
            "customer_email": customer.and_then(|c| c.email.clone()),
            "customer_name": customer.and_then(|c| c.name.clone()),
            "customer_phone": null,
            "customer_shipping": null,
            "customer_tax_exempt": "none",
            "customer_tax_ids": [],
            "default_payment_method": null,
            "default_source": null,
            "default_tax_rates": [],
            "description": null,
            "discounts": i.discount_id.iter().collect::<Vec<_>>(),
            "due_date": null,
            "effective_at": i.created,
            "ending_balance": 0,
            "footer": null,
            "from_invoice": null,
        });
        let third = json!({
            "hosted_invoice_url": format!("{}invoice/{}", self.base, i.id),
            "invoice_pdf": format!("{}invoice/{}/pdf", self.base, i.id),
            "issuer": { "type": "self" },
            "last_finalization_error": null,
            "latest_revision": null,
            "lines": {
                "object": "list",
                "data": [line],
                "has_more": false,
                "total_count": 1,
                "url": format!("/v1/invoices/{}/lines", i.id),
            },
            "livemode": false,
            "metadata": {},
            "next_payment_attempt": i.next_payment_attempt,
            "number": i.number,
            "on_behalf_of": null,
            "parent": {
                "quote_details": null,
                "subscription_details": { "metadata": i.sub_metadata, "subscription": i.subscription },
                "type": "subscription_details",
            },
        });
        let fourth = json!({
            "payment_settings": { "default_mandate": null, "payment_method_options": null, "payment_method_types": null },
            "period_end": i.period_end,
            "period_start": i.period_start,
            "post_payment_credit_notes_amount": 0,
            "pre_payment_credit_notes_amount": 0,
            "receipt_number": null,
            "rendering": null,
            "shipping_cost": null,
            "shipping_details": null,
            "starting_balance": 0,
            "statement_descriptor": null,
            "status": i.status,
            "status_transitions": {
                "finalized_at": i.created,
                "marked_uncollectible_at": null,
                "paid_at": i.paid_at,
                "voided_at": null,
            },
            "subtotal": i.subtotal,
            "subtotal_excluding_tax": i.subtotal,
            "test_clock": null,
            "total": total,
            "total_discount_amounts": i.discount_id.iter().map(|d| json!({ "amount": i.discount, "discount": d })).collect::<Vec<_>>(),
            "total_excluding_tax": total,
            "total_pretax_credit_amounts": [],
            "total_taxes": [],
            "webhooks_delivered_at": i.created,
        });
        merge([first, second, third, fourth])
    }
}

fn set_cancel_at_period_end(sub: &mut Sub, flag: bool, now: i64) {
    sub.cancel_at_period_end = flag;
    if flag {
        sub.cancel_at = Some(sub.period_end);
        sub.canceled_at = Some(now);
        sub.cancellation_reason = Some("cancellation_requested");
    } else {
        sub.cancel_at = None;
        sub.canceled_at = None;
        sub.cancellation_reason = None;
    }
}

/// The period after the current one, on the anchor's day of the month.
fn next_period(sub: &Sub) -> (i64, i64) {
    let plan = price_or_monthly(&sub.price);
    let start = sub.period_end;
    (
        start,
        add_months(start, plan.months, day_of_month(sub.anchor)),
    )
}

fn limit(query: &Form) -> Result<usize, ApiError> {
    let limit = query.int("limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid(
            "This value must be greater than or equal to 1 and less than or equal to 100.",
            Some("limit"),
        ));
    }
    Ok(limit as usize)
}

fn list_json(data: &mut Vec<Value>, limit: usize, url: &str) -> Value {
    let has_more = data.len() > limit;
    data.truncate(limit);
    json!({ "object": "list", "data": data, "has_more": has_more, "url": url })
}

/// One JSON object from several (json! can only take so many keys at once).
fn merge<const N: usize>(parts: [Value; N]) -> Value {
    let mut out = Map::new();
    for part in parts {
        if let Value::Object(map) = part {
            out.extend(map);
        }
    }
    Value::Object(out)
}

fn customer_json(c: &Customer) -> Value {
    json!({
        "id": c.id,
        "object": "customer",
        "address": null,
        "balance": 0,
        "created": c.created,
        "currency": null,
        "customer_account": null,
        "default_source": null,
        "delinquent": false,
        "description": null,
        "discount": null,
        "email": c.email,
        "invoice_prefix": c.id[4..12].to_uppercase(),
        "invoice_settings": {
            "custom_fields": null,
            "default_payment_method": null,
            "footer": null,
            "rendering_options": null,
        },
        "livemode": false,
        "metadata": c.metadata,
        "name": c.name,
        "next_invoice_sequence": 1,
        "phone": null,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": null,
    })
}

fn price_json(id: &str) -> Value {
    let p = price_or_monthly(id);
    json!({
        "id": p.id,
        "object": "price",
        "active": true,
        "billing_scheme": "per_unit",
        "created": PRICE_CREATED,
        "currency": "usd",
        "custom_unit_amount": null,
        "livemode": false,
        "lookup_key": null,
        "metadata": {},
        "nickname": null,
        "product": PRODUCT,
        "recurring": {
            "interval": p.interval,
            "interval_count": 1,
            "meter": null,
            "trial_period_days": null,
            "usage_type": "licensed",
        },
        "tax_behavior": "unspecified",
        "tiers_mode": null,
        "transform_quantity": null,
        "type": "recurring",
        "unit_amount": p.amount,
        "unit_amount_decimal": p.amount.to_string(),
    })
}

fn plan_json(id: &str) -> Value {
    let p = price_or_monthly(id);
    json!({
        "id": p.id,
        "object": "plan",
        "active": true,
        "amount": p.amount,
        "amount_decimal": p.amount.to_string(),
        "billing_scheme": "per_unit",
        "created": PRICE_CREATED,
        "currency": "usd",
        "interval": p.interval,
        "interval_count": 1,
        "livemode": false,
        "metadata": {},
        "meter": null,
        "nickname": null,
        "product": PRODUCT,
        "tiers_mode": null,
        "transform_usage": null,
        "trial_period_days": null,
        "usage_type": "licensed",
    })
}

fn charge_json(c: &Charge) -> Value {
    let first = json!({
        "id": c.id,
        "object": "charge",
        "amount": c.amount,
        "amount_captured": c.amount,
        "amount_refunded": 0,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": c.balance_transaction,
        "billing_details": { "address": null, "email": null, "name": null, "phone": null, "tax_id": null },
        "calculated_statement_descriptor": "PRUUF",
        "captured": true,
        "created": c.created,
        "currency": "usd",
        "customer": c.customer,
        "description": "Subscription update",
        "disputed": c.disputed,
    });
    let last = json!({
        "failure_balance_transaction": null,
        "failure_code": null,
        "failure_message": null,
        "livemode": false,
        "metadata": {},
        "on_behalf_of": null,
        "paid": true,
        "payment_intent": c.payment_intent,
        "payment_method": c.payment_method,
        "receipt_email": null,
        "receipt_number": null,
        "receipt_url": null,
        "refunded": false,
        "review": null,
        "shipping": null,
        "source_transfer": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": "succeeded",
        "transfer_data": null,
        "transfer_group": null,
    });
    merge([first, last])
}

fn dispute_json(d: &Dispute, now: i64) -> Value {
    let evidence = json!({
        "access_activity_log": null,
        "billing_address": null,
        "cancellation_policy": null,
        "cancellation_policy_disclosure": null,
        "cancellation_rebuttal": null,
        "customer_communication": null,
        "customer_email_address": null,
        "customer_name": null,
        "customer_purchase_ip": null,
        "customer_signature": null,
        "duplicate_charge_documentation": null,
        "duplicate_charge_explanation": null,
        "duplicate_charge_id": null,
        "enhanced_evidence": {},
    });
    let evidence = merge([
        evidence,
        json!({
            "product_description": null,
            "receipt": null,
            "refund_policy": null,
            "refund_policy_disclosure": null,
            "refund_refusal_explanation": null,
            "service_date": null,
            "service_documentation": null,
            "shipping_address": null,
            "shipping_carrier": null,
            "shipping_date": null,
            "shipping_documentation": null,
            "shipping_tracking_number": null,
            "uncategorized_file": null,
            "uncategorized_text": null,
        }),
    ]);
    json!({
        "id": d.id,
        "object": "dispute",
        "amount": d.amount,
        "balance_transactions": [],
        "charge": d.charge,
        "created": d.created,
        "currency": "usd",
        "enhanced_eligibility_types": [],
        "evidence": evidence,
        "evidence_details": {
            "due_by": now.max(d.created) + 7 * DAY,
            "enhanced_eligibility": {},
            "has_evidence": false,
            "past_due": false,
            "submission_count": 0,
        },
        "is_charge_refundable": false,
        "livemode": false,
        "metadata": {},
        "payment_intent": d.payment_intent,
        "reason": "fraudulent",
        "status": "needs_response",
    })
}

/// The event envelope Stripe posts.
fn envelope(id: &str, type_: &str, created: i64, object: Value, previous: Option<Value>) -> Value {
    let mut data = Map::new();
    data.insert("object".into(), object);
    if let Some(previous) = previous {
        data.insert("previous_attributes".into(), previous);
    }
    json!({
        "id": id,
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "data": data,
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": type_,
    })
}

/// `t=<t>,v1=<hex HMAC-SHA256 of "t.payload" keyed with the webhook secret>`.
fn sign(payload: &str, t: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(FakeStripe::WEBHOOK_SECRET.as_bytes())
        .expect("HMAC takes any key");
    mac.update(format!("{t}.{payload}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

/// Real time, for webhook signatures (the app checks them against its own clock).
#[allow(clippy::disallowed_methods)] // a stand-in for a remote service keeps real time
fn wall_clock() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 {
                    d - 9
                } else {
                    d
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

fn money(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

// ---- calendar (UTC), for billing periods and the pages' dates -------------

fn civil(ts: i64) -> (i64, i64, i64, i64) {
    let days = ts.div_euclid(DAY);
    let secs = ts.rem_euclid(DAY);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)
}

fn day_of_month(ts: i64) -> i64 {
    civil(ts).2
}

/// `ts` plus `months` calendar months, on `anchor_day` (or the month's last day).
fn add_months(ts: i64, months: i64, anchor_day: i64) -> i64 {
    let (y, m, _, secs) = civil(ts);
    let total = y * 12 + (m - 1) + months;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let day = anchor_day.min(days_in_month(ny, nm));
    days_from_civil(ny, nm, day) * DAY + secs
}

/// "March 5, 2026".
fn date(ts: i64) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let (y, m, d, _) = civil(ts);
    format!("{} {d}, {y}", MONTHS[(m - 1) as usize])
}

// ---- HTTP out: webhooks -----------------------------------------------------

/// Posts one event to the webhook URL (plain HTTP/1.1 to 127.0.0.1): the status.
async fn post_webhook(url: &str, payload: &str, signature: &str) -> std::io::Result<u16> {
    let headers = [
        ("Content-Type", "application/json; charset=utf-8"),
        ("Stripe-Signature", signature),
        (
            "User-Agent",
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        ),
    ];
    let (status, _) = http_request("POST", url, &headers, payload).await?;
    Ok(status)
}

/// A minimal HTTP/1.1 client for `http://host:port/path` (`Connection: close`).
async fn http_request(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String)> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| std::io::Error::other("http:// only"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut request = format!(
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(host).await?;
        stream.write_all(request.as_bytes()).await?;
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).await?;
        Ok::<_, std::io::Error>(answer)
    };
    let answer = tokio::time::timeout(Duration::from_secs(30), exchange)
        .await
        .map_err(|_| std::io::Error::other("timed out"))??;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no HTTP status"))?;
    Ok((status, answer))
}

// ---- HTTP in: the API ---------------------------------------------------------

mod api {
    use super::*;

    pub fn routes() -> Router<FakeStripe> {
        Router::new()
            .route("/v1/customers", post(create_customer))
            .route("/v1/customers/{id}", get(retrieve_customer))
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/checkout/sessions/{id}", get(retrieve_session))
            .route("/v1/billing_portal/sessions", post(create_portal))
            .route("/v1/subscriptions", get(list_subscriptions))
            .route(
                "/v1/subscriptions/{id}",
                get(retrieve_subscription)
                    .post(update_subscription)
                    .delete(cancel_subscription),
            )
            .route("/v1/invoices", get(list_invoices))
            .route("/v1/invoices/{id}", get(retrieve_invoice))
            .route("/v1/charges/{id}", get(retrieve_charge))
            .route("/v1/disputes/{id}", get(retrieve_dispute))
            .route("/v1/{*rest}", axum::routing::any(unknown))
    }

    /// `Bearer <key>` (what async-stripe sends), or basic auth with the key as the
    /// user (what `curl -u sk_test_…:` sends), as Stripe takes both.
    fn authorised(headers: &HeaderMap) -> bool {
        use base64::Engine;
        let Some(value) = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
        else {
            return false;
        };
        if let Some(key) = value.strip_prefix("Bearer ") {
            return key == FakeStripe::SECRET_KEY;
        }
        value
            .strip_prefix("Basic ")
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|user| String::from_utf8(user).ok())
            .is_some_and(|user| user.split(':').next() == Some(FakeStripe::SECRET_KEY))
    }

    fn answer(status: u16, body: String, replayed: bool) -> Response {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response =
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            "stripe-version",
            header::HeaderValue::from_static(API_VERSION),
        );
        if replayed {
            headers.insert(
                "idempotent-replayed",
                header::HeaderValue::from_static("true"),
            );
        }
        response
    }

    fn render(result: Result<Value, ApiError>) -> (u16, String) {
        match result {
            Ok(value) => (200, value.to_string()),
            Err(e) => (e.status, e.body.to_string()),
        }
    }

    /// A POST (or DELETE): authorised, idempotent by `Idempotency-Key`; events it
    /// made go out after the answer.
    fn write(
        fake: &FakeStripe,
        headers: &HeaderMap,
        method: &str,
        path: &str,
        body: &[u8],
        op: impl FnOnce(&mut Inner, &Form) -> Result<Value, ApiError>,
    ) -> Response {
        if !authorised(headers) {
            let (status, body) = render(Err(ApiError::unauthorised()));
            return answer(status, body, false);
        }
        let form = Form::parse(body);
        let key = (method == "POST")
            .then(|| headers.get("idempotency-key").and_then(|v| v.to_str().ok()))
            .flatten()
            .map(str::to_string);
        let fingerprint = form.fingerprint(method, path);
        let (status, body) = {
            let mut inner = fake.state();
            if let Some(stored) = key.as_ref().and_then(|k| inner.idempotent.get(k)) {
                if stored.fingerprint != fingerprint {
                    let error = ApiError::new(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than the one used in the original request.",
                        None,
                        None,
                    );
                    let (status, body) = render(Err(error));
                    return answer(status, body, false);
                }
                return answer(stored.status, stored.body.clone(), true);
            }
            let (status, body) = render(op(&mut inner, &form));
            if let Some(key) = key {
                inner.idempotent.insert(
                    key,
                    Stored {
                        fingerprint,
                        status,
                        body: body.clone(),
                    },
                );
            }
            (status, body)
        };
        fake.settle_later();
        answer(status, body, false)
    }

    fn read(
        fake: &FakeStripe,
        headers: &HeaderMap,
        op: impl FnOnce(&mut Inner) -> Result<Value, ApiError>,
    ) -> Response {
        if !authorised(headers) {
            let (status, body) = render(Err(ApiError::unauthorised()));
            return answer(status, body, false);
        }
        let (status, body) = render(op(&mut fake.state()));
        answer(status, body, false)
    }

    async fn create_customer(
        State(fake): State<FakeStripe>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        write(
            &fake,
            &headers,
            "POST",
            "/v1/customers",
            &body,
            Inner::create_customer,
        )
    }

    async fn retrieve_customer(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        read(&fake, &headers, |inner| {
            inner
                .customer(&id)
                .map(customer_json)
                .ok_or_else(|| ApiError::missing("customer", &id))
        })
    }

    async fn create_session(
        State(fake): State<FakeStripe>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        write(
            &fake,
            &headers,
            "POST",
            "/v1/checkout/sessions",
            &body,
            Inner::create_session,
        )
    }

    async fn retrieve_session(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        read(&fake, &headers, |inner| {
            inner.expire_sessions();
            inner
                .session(&id)
                .map(|s| inner.session_json(s))
                .ok_or_else(|| ApiError::missing("checkout.session", &id))
        })
    }

    async fn create_portal(
        State(fake): State<FakeStripe>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        write(
            &fake,
            &headers,
            "POST",
            "/v1/billing_portal/sessions",
            &body,
            Inner::create_portal,
        )
    }

    async fn list_subscriptions(
        State(fake): State<FakeStripe>,
        RawQuery(query): RawQuery,
        headers: HeaderMap,
    ) -> Response {
        let query = Form::parse(query.unwrap_or_default().as_bytes());
        read(&fake, &headers, |inner| inner.list_subscriptions(&query))
    }

    async fn retrieve_subscription(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        read(&fake, &headers, |inner| {
            inner
                .sub(&id)
                .map(|s| inner.sub_json(s))
                .ok_or_else(|| ApiError::missing("subscription", &id))
        })
    }

    async fn update_subscription(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = format!("/v1/subscriptions/{id}");
        write(&fake, &headers, "POST", &path, &body, |inner, form| {
            inner.update_subscription(&id, form)
        })
    }

    async fn cancel_subscription(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        headers: HeaderMap,
        body: Bytes,
    ) -> Response {
        let path = format!("/v1/subscriptions/{id}");
        write(&fake, &headers, "DELETE", &path, &body, |inner, _| {
            inner.cancel_subscription(&id)
        })
    }

    async fn list_invoices(
        State(fake): State<FakeStripe>,
        RawQuery(query): RawQuery,
        headers: HeaderMap,
    ) -> Response {
        let query = Form::parse(query.unwrap_or_default().as_bytes());
        read(&fake, &headers, |inner| inner.list_invoices(&query))
    }

    async fn retrieve_invoice(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        read(&fake, &headers, |inner| {
            inner
                .invoices
                .iter()
                .find(|i| i.id == id)
                .map(|i| inner.invoice_json(i))
                .ok_or_else(|| ApiError::missing("invoice", &id))
        })
    }

    async fn retrieve_charge(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        read(&fake, &headers, |inner| {
            inner
                .charges
                .iter()
                .find(|c| c.id == id)
                .map(charge_json)
                .ok_or_else(|| ApiError::missing("charge", &id))
        })
    }

    async fn retrieve_dispute(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        headers: HeaderMap,
    ) -> Response {
        read(&fake, &headers, |inner| {
            let now = inner.now();
            inner
                .disputes
                .iter()
                .find(|d| d.id == id)
                .map(|d| dispute_json(d, now))
                .ok_or_else(|| ApiError::missing("dispute", &id))
        })
    }

    async fn unknown(
        method: axum::http::Method,
        uri: axum::http::Uri,
        headers: HeaderMap,
    ) -> Response {
        read_unknown(&headers, &method, &uri)
    }

    fn read_unknown(
        headers: &HeaderMap,
        method: &axum::http::Method,
        uri: &axum::http::Uri,
    ) -> Response {
        let error = if authorised(headers) {
            ApiError::new(
                404,
                "invalid_request_error",
                &format!("Unrecognized request URL ({method}: {}). The Pruuf stand-in does not serve it.", uri.path()),
                None,
                None,
            )
        } else {
            ApiError::unauthorised()
        };
        let (status, body) = render(Err(error));
        answer(status, body, false)
    }
}

// ---- HTTP in: the hosted pages -------------------------------------------------

mod pages {
    use super::*;

    pub fn routes() -> Router<FakeStripe> {
        Router::new()
            .route("/checkout/{id}", get(checkout_page).post(checkout_submit))
            .route("/portal/{id}", get(portal_page))
            .route("/portal/{id}/{action}", post(portal_action))
    }

    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    }

    fn page(title: &str, body: &str) -> Html<String> {
        Html(format!(
            "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <link rel=\"icon\" href=\"data:,\">\
             <title>{title}</title><style>\
             body{{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;font-size:1.15rem;line-height:1.5;color:#111}}\
             h1{{font-size:1.6rem}} .test{{background:#fff3cd;border:1px solid #e0c060;padding:.4rem .7rem;border-radius:.4rem;font-size:1rem}}\
             label{{display:block;margin-top:1rem;font-weight:600}}\
             input{{font-size:1.25rem;padding:.6rem;width:100%;box-sizing:border-box;margin-top:.3rem}}\
             button{{font-size:1.3rem;padding:.8rem 1.6rem;margin-top:1.2rem;border-radius:.5rem;border:0;background:#1a56db;color:#fff;cursor:pointer;width:100%}}\
             button.secondary{{background:#e5e7eb;color:#111}} .error{{color:#b91c1c;font-weight:600;border:2px solid #b91c1c;padding:.6rem;border-radius:.4rem}}\
             a{{font-size:1.15rem}} .amount{{font-size:1.6rem;font-weight:700}}\
             </style></head><body>{body}</body></html>"
        ))
    }

    fn plan_label(price_id: &str) -> String {
        let p = price_or_monthly(price_id);
        format!("{} / {}", money(p.amount), p.interval)
    }

    fn checkout_html(
        fake: &FakeStripe,
        id: &str,
        error: Option<&str>,
        card: &str,
        promo: &str,
    ) -> Response {
        let mut inner = fake.state();
        inner.expire_sessions();
        let Some(s) = inner.session(id) else {
            return (
                StatusCode::NOT_FOUND,
                page(
                    "Pruuf — checkout",
                    "<h1>This checkout link is not valid.</h1>",
                ),
            )
                .into_response();
        };
        let title = "Pruuf — pay with a test card";
        let mut body =
            format!("<h1>{title}</h1><p class=\"test\">Test mode: no real card is charged.</p>");
        let plan = price_or_monthly(&s.price);
        body.push_str(&format!(
            "<p>Pruuf, {} plan</p><p class=\"amount\">{}</p>",
            if plan.interval == "year" {
                "annual"
            } else {
                "monthly"
            },
            esc(&plan_label(&s.price))
        ));
        if let Some(email) = s
            .customer
            .as_deref()
            .and_then(|c| inner.customer(c))
            .and_then(|c| c.email.clone())
            .or_else(|| s.customer_email.clone())
        {
            body.push_str(&format!("<p>For {}</p>", esc(&email)));
        }
        let trialing = s.trial_end.filter(|end| *end > inner.now());
        if let Some(end) = trialing {
            body.push_str(&format!(
                "<p><strong>First charge on {}</strong></p>",
                date(end)
            ));
        }
        match s.status {
            "open" => {
                if let Some(error) = error {
                    body.push_str(&format!(
                        "<p class=\"error\" role=\"alert\">{}</p>",
                        esc(error)
                    ));
                }
                body.push_str(&format!(
                    "<form method=\"post\" action=\"/checkout/{id}\">\
                     <label for=\"card\">Card number</label>\
                     <input id=\"card\" name=\"card\" inputmode=\"numeric\" autocomplete=\"off\" value=\"{}\">\
                     <label for=\"promo\">Promotion code (optional)</label>\
                     <input id=\"promo\" name=\"promo\" autocomplete=\"off\" value=\"{}\">\
                     <button type=\"submit\">{}</button></form>",
                    esc(card),
                    esc(promo),
                    if trialing.is_some() { "Start subscription" } else { "Pay" },
                    id = esc(id),
                ));
                if let Some(cancel) = &s.cancel_url {
                    body.push_str(&format!("<p><a href=\"{}\">Cancel</a></p>", esc(cancel)));
                }
            }
            "complete" => {
                body.push_str("<p>This checkout is complete.</p>");
                if let Some(url) = &s.success_url {
                    let url = url.replace("{CHECKOUT_SESSION_ID}", &s.id);
                    body.push_str(&format!(
                        "<p><a href=\"{}\">Back to Pruuf</a></p>",
                        esc(&url)
                    ));
                }
            }
            _ => {
                body.push_str("<p>This checkout has expired.</p>");
                if let Some(cancel) = &s.cancel_url {
                    body.push_str(&format!(
                        "<p><a href=\"{}\">Back to Pruuf</a></p>",
                        esc(cancel)
                    ));
                }
            }
        }
        let status = if error.is_some() {
            StatusCode::PAYMENT_REQUIRED
        } else {
            StatusCode::OK
        };
        (status, page(title, &body)).into_response()
    }

    async fn checkout_page(State(fake): State<FakeStripe>, Path(id): Path<String>) -> Response {
        checkout_html(&fake, &id, None, FakeStripe::GOOD_CARD, "")
    }

    async fn checkout_submit(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        body: Bytes,
    ) -> Response {
        let form = Form::parse(&body);
        let card = form.get("card").unwrap_or_default().to_string();
        let promo = form.get("promo").unwrap_or_default().to_string();
        match fake.pay_with_promo(&id, &card, &promo).await {
            Ok(_) => {
                let target = fake
                    .state()
                    .session(&id)
                    .and_then(|s| s.success_url.clone())
                    .map(|url| url.replace("{CHECKOUT_SESSION_ID}", &id));
                match target {
                    Some(url) => see_other(&url),
                    None => checkout_html(&fake, &id, None, &card, &promo),
                }
            }
            Err(message) => checkout_html(&fake, &id, Some(&message), &card, &promo),
        }
    }

    fn see_other(url: &str) -> Response {
        (StatusCode::SEE_OTHER, [(header::LOCATION, url.to_string())]).into_response()
    }

    async fn portal_page(State(fake): State<FakeStripe>, Path(id): Path<String>) -> Response {
        let inner = fake.state();
        let title = "Pruuf — manage your plan (test)";
        let Some(portal) = inner.portals.iter().find(|p| p.id == id) else {
            return (
                StatusCode::NOT_FOUND,
                page(title, "<h1>This link is not valid.</h1>"),
            )
                .into_response();
        };
        let mut body = format!("<h1>{title}</h1><p class=\"test\">Test mode.</p>");
        let newest = inner
            .portal_sub(&portal.customer)
            .map(|i| &inner.subs[i])
            .or_else(|| {
                inner
                    .subs
                    .iter()
                    .rev()
                    .find(|s| s.customer == portal.customer)
            });
        match newest {
            None => body.push_str("<p>You have no plan.</p>"),
            Some(sub) => {
                let plan = price_or_monthly(&sub.price);
                body.push_str(&format!(
                    "<p>Plan: Pruuf {}, <span class=\"amount\">{}</span></p><p>Status: <strong>{}</strong></p>",
                    if plan.interval == "year" { "annual" } else { "monthly" },
                    esc(&plan_label(&sub.price)),
                    esc(&sub.status)
                ));
                if sub.status == "canceled" {
                    body.push_str(&format!(
                        "<p>Ended on {}</p>",
                        date(sub.ended_at.unwrap_or(sub.period_end))
                    ));
                } else {
                    if sub.status == "trialing" {
                        if let Some(end) = sub.trial_end {
                            body.push_str(&format!("<p>Trial ends on {}</p>", date(end)));
                        }
                    }
                    if sub.cancel_at_period_end {
                        body.push_str(&format!("<p>Ends on {}</p>", date(sub.period_end)));
                    } else {
                        body.push_str(&format!("<p>Renews on {}</p>", date(sub.period_end)));
                    }
                    let button = |action: &str, label: &str, class: &str| {
                        format!(
                            "<form method=\"post\" action=\"/portal/{}/{action}\"><button type=\"submit\" class=\"{class}\">{label}</button></form>",
                            esc(&id)
                        )
                    };
                    if sub.cancel_at_period_end {
                        body.push_str(&button("resume", "Resume plan", ""));
                    } else {
                        body.push_str(&button("cancel", "Cancel plan", "secondary"));
                    }
                    let other = if plan.interval == "year" {
                        format!(
                            "Switch to monthly ({})",
                            plan_label(FakeStripe::PRICE_MONTHLY)
                        )
                    } else {
                        format!(
                            "Switch to annual ({})",
                            plan_label(FakeStripe::PRICE_ANNUAL)
                        )
                    };
                    body.push_str(&button("switch", &esc(&other), "secondary"));
                }
            }
        }
        if let Some(url) = &portal.return_url {
            body.push_str(&format!(
                "<p><a href=\"{}\">Return to Pruuf</a></p>",
                esc(url)
            ));
        }
        (StatusCode::OK, page(title, &body)).into_response()
    }

    async fn portal_action(
        State(fake): State<FakeStripe>,
        Path((id, action)): Path<(String, String)>,
    ) -> Response {
        let result = fake.state().portal_action(&id, &action);
        fake.settle().await;
        match result {
            Ok(()) => see_other(&format!("/portal/{id}")),
            Err(message) => (
                StatusCode::BAD_REQUEST,
                page(
                    "Pruuf — manage your plan (test)",
                    &format!("<p class=\"error\">{}</p>", esc(&message)),
                ),
            )
                .into_response(),
        }
    }
}

// ---- HTTP in: the test controls ------------------------------------------------

mod control {
    use super::*;

    pub fn routes() -> Router<FakeStripe> {
        Router::new()
            .route("/__fake/advance", post(advance))
            .route("/__fake/now", get(now))
            .route("/__fake/checkout/{id}/pay", post(pay))
            .route("/__fake/subscriptions/{id}", get(subscription))
            .route("/__fake/subscriptions/{id}/status", post(set_status))
            .route("/__fake/subscriptions/{id}/{action}", post(act))
            .route(
                "/__fake/customers/{id}/subscription",
                get(customer_subscription),
            )
            .route("/__fake/events", get(events))
            .route("/__fake/events/{id}/resend", post(resend))
    }

    fn failed(message: String) -> Response {
        (StatusCode::BAD_REQUEST, Json(json!({ "error": message }))).into_response()
    }

    async fn advance(State(fake): State<FakeStripe>, Json(body): Json<Value>) -> Json<Value> {
        fake.advance(body["seconds"].as_i64().unwrap_or(0));
        Json(json!({ "now": fake.now() }))
    }

    async fn now(State(fake): State<FakeStripe>) -> Json<Value> {
        Json(json!({ "now": fake.now() }))
    }

    /// `{"card": "...", "promo": "..."}` (both optional).
    async fn pay(State(fake): State<FakeStripe>, Path(id): Path<String>, body: Bytes) -> Response {
        let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let card = body["card"].as_str().unwrap_or(FakeStripe::GOOD_CARD);
        let promo = body["promo"].as_str().unwrap_or("");
        match fake.pay_with_promo(&id, card, promo).await {
            Ok(sub) => Json(json!({ "subscription": sub })).into_response(),
            Err(message) => failed(message),
        }
    }

    async fn subscription(State(fake): State<FakeStripe>, Path(id): Path<String>) -> Response {
        match fake.subscription(&id) {
            Value::Null => (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": "no such subscription" })),
            )
                .into_response(),
            sub => Json(sub).into_response(),
        }
    }

    /// `{"status": "past_due"}`: no webhook.
    async fn set_status(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
        Json(body): Json<Value>,
    ) -> Response {
        let Some(status) = body["status"].as_str() else {
            return failed("status is required".into());
        };
        if fake.subscription(&id).is_null() {
            return failed(format!("No such subscription: '{id}'"));
        }
        fake.set_status_silently(&id, status);
        Json(fake.subscription(&id)).into_response()
    }

    async fn act(
        State(fake): State<FakeStripe>,
        Path((id, action)): Path<(String, String)>,
    ) -> Response {
        let result = match action.as_str() {
            "end_trial" => fake.end_trial(&id).await.map(|()| Value::Null),
            "renew" => fake.renew(&id).await.map(|()| Value::Null),
            "fail_renewal" => fake.fail_renewal(&id).await.map(|()| Value::Null),
            "dispute" => fake.dispute(&id).await.map(Value::String),
            "trial_will_end" => fake.trial_will_end(&id).await.map(|()| Value::Null),
            other => Err(format!("unknown action {other}")),
        };
        match result {
            Ok(dispute) => {
                let mut answer = json!({ "ok": true, "subscription": fake.subscription(&id) });
                if !dispute.is_null() {
                    answer["dispute"] = dispute;
                }
                Json(answer).into_response()
            }
            Err(message) => failed(message),
        }
    }

    async fn customer_subscription(
        State(fake): State<FakeStripe>,
        Path(id): Path<String>,
    ) -> Response {
        match fake.customer_subscription(&id) {
            Some(sub) => Json(json!({ "id": sub })).into_response(),
            None => (
                StatusCode::NOT_FOUND,
                Json(json!({ "error": "no subscription" })),
            )
                .into_response(),
        }
    }

    async fn events(State(fake): State<FakeStripe>) -> Json<Value> {
        Json(Value::Array(
            fake.events()
                .into_iter()
                .map(|e| {
                    json!({
                        "id": e.id,
                        "type": e.type_,
                        "delivered": e.delivered,
                        "payload": serde_json::from_str::<Value>(&e.payload).unwrap_or(Value::Null),
                    })
                })
                .collect(),
        ))
    }

    async fn resend(State(fake): State<FakeStripe>, Path(id): Path<String>) -> Json<Value> {
        Json(json!({ "delivered": fake.resend(&id).await }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use stripe_webhook::{EventObject, Webhook};

    const SUCCESS: &str = "http://127.0.0.1:3000/billing/done?session={CHECKOUT_SESSION_ID}";
    const CANCEL: &str = "http://127.0.0.1:3000/billing";

    /// Parses `body` exactly as async-stripe's client does.
    fn parse<T: miniserde::Deserialize>(what: &str, body: &str) -> T {
        miniserde::json::from_str(body)
            .unwrap_or_else(|_| panic!("{what} does not parse as async-stripe's type: {body}"))
    }

    /// A raw API call with the right key: status and body.
    async fn call(fake: &FakeStripe, method: &str, path: &str, form: &str) -> (u16, String) {
        call_with(fake, method, path, form, &[]).await
    }

    async fn call_with(
        fake: &FakeStripe,
        method: &str,
        path: &str,
        form: &str,
        extra: &[(&str, &str)],
    ) -> (u16, String) {
        let auth = format!("Bearer {}", FakeStripe::SECRET_KEY);
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        headers.extend_from_slice(extra);
        raw(fake, method, path, form, &headers).await
    }

    async fn raw(
        fake: &FakeStripe,
        method: &str,
        path: &str,
        body: &str,
        headers: &[(&str, &str)],
    ) -> (u16, String) {
        let url = format!("{}{}", fake.url(), path.trim_start_matches('/'));
        let (status, answer) = http_request(method, &url, headers, body)
            .await
            .expect("the fake answers");
        (
            status,
            answer
                .split_once("\r\n\r\n")
                .map(|(_, b)| b.to_string())
                .unwrap_or_default(),
        )
    }

    fn header_of(answer: &str, name: &str) -> Option<String> {
        answer.split("\r\n\r\n").next()?.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    fn client(fake: &FakeStripe) -> stripe::Client {
        stripe::ClientBuilder::new(FakeStripe::SECRET_KEY)
            .url(fake.url())
            .build()
            .expect("a client")
    }

    async fn new_customer(fake: &FakeStripe) -> String {
        let (status, body) = call(
            fake,
            "POST",
            "/v1/customers",
            "email=ann%40example.com&name=Ann&metadata%5Bpruuf_user_id%5D=42",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let customer: stripe_shared::Customer = parse("Customer", &body);
        customer.id.as_str().to_string()
    }

    async fn new_session(
        fake: &FakeStripe,
        customer: &str,
        price: &str,
        trial_end: Option<i64>,
    ) -> String {
        let mut form = format!(
            "mode=subscription&customer={customer}&line_items[0][price]={price}&line_items[0][quantity]=1\
             &allow_promotion_codes=true&success_url={}&cancel_url={}&client_reference_id=42\
             &subscription_data[metadata][pruuf_user_id]=42&metadata[pruuf_user_id]=42",
            crate::encode(SUCCESS),
            crate::encode(CANCEL)
        );
        if let Some(end) = trial_end {
            form.push_str(&format!("&subscription_data[trial_end]={end}"));
        }
        let (status, body) = call(fake, "POST", "/v1/checkout/sessions", &form).await;
        assert_eq!(status, 200, "{body}");
        let session: stripe_shared::CheckoutSession = parse("open CheckoutSession", &body);
        assert_eq!(session.status.as_ref().map(|s| s.as_str()), Some("open"));
        session.id.as_str().to_string()
    }

    async fn subscription(fake: &FakeStripe, id: &str) -> stripe_shared::Subscription {
        let (status, body) = call(fake, "GET", &format!("/v1/subscriptions/{id}"), "").await;
        assert_eq!(status, 200, "{body}");
        let sub: stripe_shared::Subscription = parse("Subscription", &body);
        assert_eq!(sub.items.data.len(), 1);
        sub
    }

    async fn status_of(fake: &FakeStripe, id: &str) -> String {
        subscription(fake, id).await.status.as_str().to_string()
    }

    async fn invoices(fake: &FakeStripe, customer: &str) -> Vec<stripe_shared::Invoice> {
        let (status, body) = call(
            fake,
            "GET",
            &format!("/v1/invoices?customer={customer}&limit=100"),
            "",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let list: stripe_types::List<stripe_shared::Invoice> = parse("List<Invoice>", &body);
        list.data
    }

    /// Verifies an event as the app will (signature, age, parse) and answers its
    /// type and, for subscription events, the subscription's status.
    fn verify(event: &StripeEvent) -> (String, String) {
        let parsed =
            Webhook::construct_event(&event.payload, &event.signature, FakeStripe::WEBHOOK_SECRET)
                .unwrap_or_else(|e| {
                    panic!(
                        "{} does not verify/parse: {e:?}\n{}",
                        event.type_, event.payload
                    )
                });
        assert_eq!(parsed.id.as_str(), event.id);
        assert_eq!(parsed.type_.as_str(), event.type_);
        let detail = match (event.type_.as_str(), &parsed.data.object) {
            ("checkout.session.completed", EventObject::CheckoutSessionCompleted(s)) => {
                s.payment_status.as_str().to_string()
            }
            ("customer.subscription.created", EventObject::CustomerSubscriptionCreated(s))
            | ("customer.subscription.updated", EventObject::CustomerSubscriptionUpdated(s))
            | ("customer.subscription.deleted", EventObject::CustomerSubscriptionDeleted(s))
            | (
                "customer.subscription.trial_will_end",
                EventObject::CustomerSubscriptionTrialWillEnd(s),
            ) => s.status.as_str().to_string(),
            ("invoice.paid", EventObject::InvoicePaid(i))
            | ("invoice.payment_failed", EventObject::InvoicePaymentFailed(i)) => i
                .status
                .as_ref()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            ("charge.dispute.created", EventObject::ChargeDisputeCreated(d)) => {
                d.status.as_str().to_string()
            }
            (type_, _) => panic!("{type_} parsed as the wrong EventObject variant"),
        };
        (event.type_.clone(), detail)
    }

    #[test]
    fn signatures_are_stripes() {
        let payload = r#"{"id":"evt_1"}"#;
        assert_eq!(
            sign(payload, 1_700_000_000),
            Webhook::generate_test_header(payload, FakeStripe::WEBHOOK_SECRET, Some(1_700_000_000))
        );
    }

    /// The parse checks have teeth: a missing required field or a wrong secret fails.
    #[tokio::test]
    async fn the_checks_would_catch_a_bad_object() {
        let fake = FakeStripe::start(None).await.unwrap();
        let customer = new_customer(&fake).await;
        let session = new_session(&fake, &customer, FakeStripe::PRICE_MONTHLY, None).await;
        let sub = fake.pay(&session, FakeStripe::GOOD_CARD).await.unwrap();
        let mut json = fake.subscription(&sub);
        assert!(
            miniserde::json::from_str::<stripe_shared::Subscription>(&json.to_string()).is_ok()
        );
        json["items"]["data"][0]["price"]
            .as_object_mut()
            .unwrap()
            .remove("billing_scheme");
        assert!(
            miniserde::json::from_str::<stripe_shared::Subscription>(&json.to_string()).is_err()
        );
        let event = fake.events()[1].clone();
        assert!(Webhook::construct_event(&event.payload, &event.signature, "whsec_other").is_err());
        let stale = sign(&event.payload, wall_clock() - 600);
        assert!(
            Webhook::construct_event(&event.payload, &stale, FakeStripe::WEBHOOK_SECRET).is_err()
        );
    }

    #[test]
    fn calendar_months() {
        // 2024-01-31 12:00 UTC plus one month: 2024-02-29, then back on the 31st.
        let jan31 = days_from_civil(2024, 1, 31) * DAY + 12 * 3600;
        let feb = add_months(jan31, 1, 31);
        assert_eq!(civil(feb), (2024, 2, 29, 12 * 3600));
        assert_eq!(civil(add_months(feb, 1, 31)), (2024, 3, 31, 12 * 3600));
        assert_eq!(civil(add_months(jan31, 12, 31)).0, 2025);
        assert_eq!(date(days_from_civil(2026, 3, 5) * DAY), "March 5, 2026");
    }

    #[tokio::test]
    async fn every_object_and_event_parses_as_the_app_parses_it() {
        let fake = FakeStripe::start(None).await.unwrap();
        let customer = new_customer(&fake).await;

        // Checkout with a trial.
        let trial_end = fake.now() + 7 * DAY;
        let session =
            new_session(&fake, &customer, FakeStripe::PRICE_MONTHLY, Some(trial_end)).await;
        let (_, body) = call(
            &fake,
            "GET",
            &format!("/v1/checkout/sessions/{session}"),
            "",
        )
        .await;
        let open: stripe_shared::CheckoutSession = parse("open CheckoutSession", &body);
        assert_eq!(open.url, Some(format!("{}checkout/{session}", fake.url())));
        assert_eq!(open.metadata.unwrap()["pruuf_user_id"], "42");
        let sub = fake.pay(&session, FakeStripe::GOOD_CARD).await.unwrap();
        let (_, body) = call(
            &fake,
            "GET",
            &format!("/v1/checkout/sessions/{session}"),
            "",
        )
        .await;
        let done: stripe_shared::CheckoutSession = parse("complete CheckoutSession", &body);
        assert_eq!(
            done.status.map(|s| s.as_str().to_string()).as_deref(),
            Some("complete")
        );
        assert_eq!(done.payment_status.as_str(), "no_payment_required");
        assert_eq!(
            done.subscription.as_ref().map(|s| s.id().as_str()),
            Some(sub.as_str())
        );
        let trialing = subscription(&fake, &sub).await;
        assert_eq!(trialing.status.as_str(), "trialing");
        assert_eq!(trialing.trial_end, Some(trial_end));
        assert_eq!(trialing.items.data[0].current_period_end, trial_end);
        assert_eq!(trialing.items.data[0].price.unit_amount, Some(399));
        assert_eq!(trialing.metadata["pruuf_user_id"], "42");

        // The billing portal.
        let (status, body) = call(
            &fake,
            "POST",
            "/v1/billing_portal/sessions",
            &format!("customer={customer}&return_url={}", crate::encode(CANCEL)),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let portal: stripe_billing::BillingPortalSession = parse("BillingPortalSession", &body);
        assert!(portal
            .url
            .starts_with(&format!("{}portal/bps_", fake.url())));

        // Trial ends, renewals fail three times, then it is paid again.
        fake.trial_will_end(&sub).await.unwrap();
        fake.end_trial(&sub).await.unwrap();
        assert_eq!(status_of(&fake, &sub).await, "active");
        let paid = invoices(&fake, &customer).await;
        assert_eq!(paid[0].status.as_ref().map(|s| s.as_str()), Some("paid"));
        assert_eq!(paid[0].amount_paid, 399);
        let charge = fake.state().charges.last().unwrap().id.clone();
        let (status, body) = call(&fake, "GET", &format!("/v1/charges/{charge}"), "").await;
        assert_eq!(status, 200, "{body}");
        let parsed: stripe_shared::Charge = parse("Charge", &body);
        assert_eq!(parsed.amount, 399);
        for expected in ["past_due", "past_due", "unpaid"] {
            fake.fail_renewal(&sub).await.unwrap();
            assert_eq!(status_of(&fake, &sub).await, expected);
        }
        let failed = invoices(&fake, &customer).await;
        assert_eq!(failed[0].status.as_ref().map(|s| s.as_str()), Some("open"));
        assert_eq!(failed[0].attempt_count, 3);
        assert_eq!(failed[0].amount_remaining, 399);
        fake.renew(&sub).await.unwrap();
        assert_eq!(status_of(&fake, &sub).await, "active");
        fake.renew(&sub).await.unwrap();

        // A dispute.
        let dispute = fake.dispute(&sub).await.unwrap();
        let (status, body) = call(&fake, "GET", &format!("/v1/disputes/{dispute}"), "").await;
        assert_eq!(status, 200, "{body}");
        let parsed: stripe_shared::Dispute = parse("Dispute", &body);
        assert_eq!(parsed.status.as_str(), "needs_response");
        assert_eq!(parsed.reason, "fraudulent");

        // Cancel at the period's end, then the period ends.
        let (status, body) = call(
            &fake,
            "POST",
            &format!("/v1/subscriptions/{sub}"),
            "cancel_at_period_end=true",
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let ending: stripe_shared::Subscription = parse("Subscription", &body);
        assert!(ending.cancel_at_period_end);
        assert_eq!(
            ending.cancel_at,
            Some(ending.items.data[0].current_period_end)
        );
        fake.renew(&sub).await.unwrap();
        let ended = subscription(&fake, &sub).await;
        assert_eq!(ended.status.as_str(), "canceled");
        assert!(ended.ended_at.is_some());

        // A second plan, annual, paid at once with a promotion code, then canceled now.
        let session = new_session(&fake, &customer, FakeStripe::PRICE_ANNUAL, None).await;
        let annual = fake
            .pay_with_promo(&session, FakeStripe::GOOD_CARD, "friend50")
            .await
            .unwrap();
        let (_, body) = call(
            &fake,
            "GET",
            &format!("/v1/checkout/sessions/{session}"),
            "",
        )
        .await;
        let done: stripe_shared::CheckoutSession = parse("paid CheckoutSession", &body);
        assert_eq!(done.payment_status.as_str(), "paid");
        assert_eq!(done.amount_total, Some(1450));
        let active = subscription(&fake, &annual).await;
        assert_eq!(active.status.as_str(), "active");
        assert_eq!(active.discounts.len(), 1);
        assert_eq!(invoices(&fake, &customer).await[0].amount_paid, 1450);
        let (status, body) =
            call(&fake, "DELETE", &format!("/v1/subscriptions/{annual}"), "").await;
        assert_eq!(status, 200, "{body}");
        let canceled: stripe_shared::Subscription = parse("canceled Subscription", &body);
        assert_eq!(canceled.status.as_str(), "canceled");

        // Lists.
        let (_, body) = call(
            &fake,
            "GET",
            &format!("/v1/subscriptions?customer={customer}&status=all&limit=10"),
            "",
        )
        .await;
        let list: stripe_types::List<stripe_shared::Subscription> =
            parse("List<Subscription>", &body);
        assert_eq!(list.data.len(), 2);
        assert_eq!(list.data[0].id.as_str(), annual, "newest first");
        let (_, body) = call(
            &fake,
            "GET",
            &format!("/v1/subscriptions?customer={customer}"),
            "",
        )
        .await;
        let list: stripe_types::List<stripe_shared::Subscription> =
            parse("List<Subscription>", &body);
        assert!(list.data.is_empty(), "canceled ones only with status=all");
        let (_, body) = call(
            &fake,
            "GET",
            &format!("/v1/invoices?customer={customer}&limit=2"),
            "",
        )
        .await;
        let list: stripe_types::List<stripe_shared::Invoice> = parse("List<Invoice>", &body);
        assert_eq!(list.data.len(), 2);
        assert!(list.has_more);

        // Every event verifies and parses into the right variant.
        let seen: Vec<(String, String)> = fake.events().iter().map(verify).collect();
        let expect = |type_: &str, detail: &str| {
            assert!(
                seen.iter().any(|(t, d)| t == type_ && d == detail),
                "no {type_} ({detail}) in {seen:?}"
            );
        };
        expect("checkout.session.completed", "no_payment_required");
        expect("checkout.session.completed", "paid");
        expect("customer.subscription.created", "trialing");
        expect("customer.subscription.created", "active");
        expect("customer.subscription.trial_will_end", "trialing");
        expect("customer.subscription.updated", "active");
        expect("customer.subscription.updated", "past_due");
        expect("customer.subscription.updated", "unpaid");
        expect("customer.subscription.deleted", "canceled");
        expect("invoice.paid", "paid");
        expect("invoice.payment_failed", "open");
        expect("charge.dispute.created", "needs_response");
    }

    #[tokio::test]
    async fn the_async_stripe_client_works_against_it() {
        use stripe_billing::billing_portal_session::CreateBillingPortalSession;
        use stripe_billing::invoice::ListInvoice;
        use stripe_billing::subscription::{
            CancelSubscription, ListSubscription, ListSubscriptionStatus, RetrieveSubscription,
            UpdateSubscription,
        };
        use stripe_checkout::checkout_session::{
            CreateCheckoutSession, CreateCheckoutSessionLineItems,
            CreateCheckoutSessionSubscriptionData, RetrieveCheckoutSession,
        };
        use stripe_core::charge::RetrieveCharge;
        use stripe_core::customer::CreateCustomer;

        let fake = FakeStripe::start(None).await.unwrap();
        let client = client(&fake);
        let meta = HashMap::from([("pruuf_user_id".to_string(), "42".to_string())]);

        let customer = CreateCustomer::new()
            .email("ann@example.com")
            .name("Ann")
            .metadata(meta.clone())
            .send(&client)
            .await
            .unwrap();
        assert_eq!(customer.email.as_deref(), Some("ann@example.com"));
        assert_eq!(customer.metadata.as_ref().unwrap()["pruuf_user_id"], "42");

        let trial_end = fake.now() + 14 * DAY;
        let session = CreateCheckoutSession::new()
            .mode(stripe_shared::CheckoutSessionMode::Subscription)
            .customer(customer.id.as_str())
            .line_items(vec![CreateCheckoutSessionLineItems {
                price: Some(FakeStripe::PRICE_MONTHLY.to_string()),
                quantity: Some(1),
                ..Default::default()
            }])
            .allow_promotion_codes(true)
            .success_url(SUCCESS)
            .cancel_url(CANCEL)
            .client_reference_id("42")
            .subscription_data(CreateCheckoutSessionSubscriptionData {
                trial_end: Some(trial_end),
                metadata: Some(meta.clone()),
                ..Default::default()
            })
            .metadata(meta.clone())
            .send(&client)
            .await
            .unwrap();
        let url = session.url.clone().unwrap();
        assert_eq!(url, format!("{}checkout/{}", fake.url(), session.id));
        assert_eq!(fake.sessions_created(), 1);

        let sub_id = fake
            .pay(session.id.as_str(), FakeStripe::GOOD_CARD)
            .await
            .unwrap();
        let session = RetrieveCheckoutSession::new(session.id.clone())
            .send(&client)
            .await
            .unwrap();
        assert_eq!(session.payment_status.as_str(), "no_payment_required");
        assert_eq!(session.subscription.as_ref().unwrap().id().as_str(), sub_id);
        assert_eq!(
            session.customer.as_ref().unwrap().id().as_str(),
            customer.id.as_str()
        );
        assert_eq!(session.client_reference_id.as_deref(), Some("42"));

        let sub = RetrieveSubscription::new(sub_id.as_str())
            .send(&client)
            .await
            .unwrap();
        assert_eq!(sub.status, stripe_shared::SubscriptionStatus::Trialing);
        assert_eq!(sub.trial_end, Some(trial_end));
        assert_eq!(
            sub.items.data[0].price.id.as_str(),
            FakeStripe::PRICE_MONTHLY
        );
        assert_eq!(sub.metadata["pruuf_user_id"], "42");

        let portal = CreateBillingPortalSession::new()
            .customer(customer.id.as_str())
            .return_url(CANCEL)
            .send(&client)
            .await
            .unwrap();
        assert!(portal.url.contains("/portal/bps_"));

        let sub = UpdateSubscription::new(sub_id.as_str())
            .cancel_at_period_end(true)
            .send(&client)
            .await
            .unwrap();
        assert!(sub.cancel_at_period_end);
        let sub = UpdateSubscription::new(sub_id.as_str())
            .cancel_at_period_end(false)
            .send(&client)
            .await
            .unwrap();
        assert!(!sub.cancel_at_period_end);

        fake.end_trial(&sub_id).await.unwrap();
        let invoices = ListInvoice::new()
            .customer(customer.id.as_str())
            .limit(10)
            .send(&client)
            .await
            .unwrap();
        assert_eq!(invoices.data.len(), 1);
        assert_eq!(invoices.data[0].amount_paid, 399);

        let charge_id = fake.state().charges[0].id.clone();
        let charge = RetrieveCharge::new(charge_id.as_str())
            .send(&client)
            .await
            .unwrap();
        assert_eq!(
            charge.customer.as_ref().unwrap().id().as_str(),
            customer.id.as_str()
        );
        assert!(charge.payment_intent.is_some());

        let listed = ListSubscription::new()
            .customer(customer.id.as_str())
            .status(ListSubscriptionStatus::All)
            .limit(5)
            .send(&client)
            .await
            .unwrap();
        assert_eq!(listed.data.len(), 1);
        assert_eq!(
            listed.data[0].status,
            stripe_shared::SubscriptionStatus::Active
        );

        let canceled = CancelSubscription::new(sub_id.as_str())
            .send(&client)
            .await
            .unwrap();
        assert_eq!(canceled.status, stripe_shared::SubscriptionStatus::Canceled);

        // Errors come back as Stripe's.
        match RetrieveSubscription::new("sub_nope").send(&client).await {
            Err(stripe::StripeError::Stripe(error, 404)) => {
                assert_eq!(
                    error.message.as_deref(),
                    Some("No such subscription: 'sub_nope'")
                );
                assert_eq!(
                    error.code.as_ref().map(|c| c.as_str()),
                    Some("resource_missing")
                );
            }
            other => panic!("expected a 404, got {other:?}"),
        }
        let wrong = stripe::ClientBuilder::new("sk_test_wrong")
            .url(fake.url())
            .build()
            .unwrap();
        match RetrieveSubscription::new(sub_id.as_str())
            .send(&wrong)
            .await
        {
            Err(stripe::StripeError::Stripe(error, 401)) => {
                assert_eq!(error.message.as_deref(), Some("Invalid API Key provided"));
            }
            other => panic!("expected a 401, got {other:?}"),
        }
        let bad_price = CreateCheckoutSession::new()
            .mode(stripe_shared::CheckoutSessionMode::Subscription)
            .line_items(vec![CreateCheckoutSessionLineItems {
                price: Some("price_nope".to_string()),
                quantity: Some(1),
                ..Default::default()
            }])
            .send(&client)
            .await;
        assert!(
            matches!(bad_price, Err(stripe::StripeError::Stripe(_, 400))),
            "{bad_price:?}"
        );
    }

    #[tokio::test]
    async fn idempotency_key_returns_the_same_object() {
        let fake = FakeStripe::start(None).await.unwrap();
        let key = [("Idempotency-Key", "signup-42")];
        let form = "email=ann%40example.com";
        let (_, first) = call_with(&fake, "POST", "/v1/customers", form, &key).await;
        let (_, again) = call_with(&fake, "POST", "/v1/customers", form, &key).await;
        assert_eq!(first, again);
        assert_eq!(fake.customers_created(), 1);
        let (status, other) = call_with(
            &fake,
            "POST",
            "/v1/customers",
            "email=bob%40example.com",
            &key,
        )
        .await;
        assert_eq!(status, 400);
        let error: stripe_shared::Error = parse("Error", &other);
        assert_eq!(error.error.type_.as_str(), "idempotency_error");
        let (_, fresh) = call(&fake, "POST", "/v1/customers", form).await;
        assert_ne!(first, fresh);
        assert_eq!(fake.customers_created(), 2);

        // Through the client, with a key.
        use stripe::StripeRequest;
        let client = client(&fake);
        let request = || {
            stripe_core::customer::CreateCustomer::new()
                .email("cat@example.com")
                .customize()
                .request_strategy(stripe::RequestStrategy::Idempotent(
                    stripe::IdempotencyKey::new("signup-43").unwrap(),
                ))
        };
        let a = request().send(&client).await.unwrap();
        let b = request().send(&client).await.unwrap();
        assert_eq!(a.id, b.id);
        assert_eq!(fake.customers_created(), 3);
    }

    #[tokio::test]
    async fn auth_and_unknown_ids_answer_as_stripe_does() {
        let fake = FakeStripe::start(None).await.unwrap();
        let (status, body) = raw(&fake, "GET", "/v1/subscriptions/sub_x", "", &[]).await;
        assert_eq!(status, 401);
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            error,
            json!({"error": {"type": "invalid_request_error", "message": "Invalid API Key provided"}})
        );
        let (status, body) = raw(
            &fake,
            "GET",
            "/v1/subscriptions/sub_x",
            "",
            &[("Authorization", "Bearer sk_test_other")],
        )
        .await;
        assert_eq!((status, body.contains("Invalid API Key")), (401, true));
        let (status, body) = call(&fake, "GET", "/v1/subscriptions/sub_x", "").await;
        assert_eq!(status, 404);
        let error: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(error["error"]["code"], "resource_missing");
        assert_eq!(error["error"]["message"], "No such subscription: 'sub_x'");
        assert_eq!(error["error"]["param"], "id");
        let _: stripe_shared::Error = parse("Error", &body);
        let (status, body) = call(
            &fake,
            "POST",
            "/v1/checkout/sessions",
            "mode=subscription&line_items[0][price]=price_x&line_items[0][quantity]=1",
        )
        .await;
        assert_eq!(status, 400);
        assert!(body.contains("No such price: 'price_x'"), "{body}");
        let soon = fake.now() + 3600;
        let (status, body) = call(
            &fake,
            "POST",
            "/v1/checkout/sessions",
            &format!("mode=subscription&line_items[0][price]=price_pruuf_monthly&subscription_data[trial_end]={soon}"),
        )
        .await;
        assert_eq!(status, 400, "{body}");
    }

    #[tokio::test]
    async fn a_declined_card_creates_nothing() {
        let fake = FakeStripe::start(None).await.unwrap();
        let customer = new_customer(&fake).await;
        let session = new_session(&fake, &customer, FakeStripe::PRICE_MONTHLY, None).await;
        let declined = fake.pay(&session, FakeStripe::DECLINED_CARD).await;
        assert_eq!(declined, Err("Your card was declined.".to_string()));
        let (status, page) = raw(
            &fake,
            "POST",
            &format!("/checkout/{session}"),
            "card=4000+0000+0000+0002&promo=",
            &[],
        )
        .await;
        assert_eq!(status, 402);
        assert!(page.contains("Your card was declined."), "{page}");
        let (status, page) = raw(
            &fake,
            "POST",
            &format!("/checkout/{session}"),
            "card=4242+4242+4242+4242&promo=NOPE",
            &[],
        )
        .await;
        assert_eq!(status, 402);
        assert!(
            page.contains("The code &#39;NOPE&#39; is invalid."),
            "{page}"
        );
        assert!(fake.events().is_empty());
        assert_eq!(fake.customer_subscription(&customer), None);
        let session = fake.checkout_session(&session);
        assert_eq!(session["status"], "open");
        assert!(fake.state().invoices.is_empty() && fake.state().charges.is_empty());
    }

    #[tokio::test]
    async fn three_failed_renewals_make_it_unpaid() {
        let fake = FakeStripe::start(None).await.unwrap();
        let customer = new_customer(&fake).await;
        let session = new_session(&fake, &customer, FakeStripe::PRICE_MONTHLY, None).await;
        let sub = fake.pay(&session, FakeStripe::GOOD_CARD).await.unwrap();
        let first_end = fake.subscription(&sub)["items"]["data"][0]["current_period_end"]
            .as_i64()
            .unwrap();
        fake.fail_renewal(&sub).await.unwrap();
        let after = fake.subscription(&sub);
        assert_eq!(after["status"], "past_due");
        assert_eq!(after["items"]["data"][0]["current_period_start"], first_end);
        fake.fail_renewal(&sub).await.unwrap();
        fake.fail_renewal(&sub).await.unwrap();
        assert_eq!(fake.subscription(&sub)["status"], "unpaid");
        assert_eq!(
            fake.event_types()[3..],
            [
                "invoice.payment_failed",
                "customer.subscription.updated",
                "invoice.payment_failed",
                "invoice.payment_failed",
                "customer.subscription.updated",
            ]
        );
        assert!(fake.fail_renewal(&sub).await.is_err());
    }

    #[tokio::test]
    async fn silent_changes_make_no_events() {
        let fake = FakeStripe::start(None).await.unwrap();
        let customer = new_customer(&fake).await;
        let session = new_session(&fake, &customer, FakeStripe::PRICE_MONTHLY, None).await;
        let sub = fake.pay(&session, FakeStripe::GOOD_CARD).await.unwrap();
        let before = fake.events().len();
        fake.set_status_silently(&sub, "canceled");
        assert_eq!(fake.events().len(), before);
        let parsed = subscription(&fake, &sub).await;
        assert_eq!(parsed.status.as_str(), "canceled");
        assert!(parsed.ended_at.is_some());
    }

    /// A webhook endpoint like the app's: records what arrives, checks each
    /// signature as the app will, and (like an app might) cancels the
    /// subscription through the API when a dispute arrives.
    #[tokio::test]
    async fn webhooks_arrive_in_order_with_valid_signatures() {
        type Seen = Arc<Mutex<Vec<(String, String)>>>;
        let seen: Seen = Arc::default();
        let fake_slot: Arc<Mutex<Option<FakeStripe>>> = Arc::default();
        async fn receive(
            State((seen, fake)): State<(Seen, Arc<Mutex<Option<FakeStripe>>>)>,
            headers: HeaderMap,
            body: String,
        ) -> StatusCode {
            let signature = headers
                .get("stripe-signature")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let event = StripeEvent {
                id: serde_json::from_str::<Value>(&body).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                type_: serde_json::from_str::<Value>(&body).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                payload: body.clone(),
                signature: signature.to_string(),
                delivered: None,
            };
            let (type_, detail) = verify(&event);
            seen.lock().unwrap().push((type_.clone(), detail));
            if type_ == "charge.dispute.created" {
                let fake = fake.lock().unwrap().clone().unwrap();
                let charge = serde_json::from_str::<Value>(&body).unwrap()["data"]["object"]
                    ["charge"]
                    .as_str()
                    .unwrap()
                    .to_string();
                let customer = fake
                    .state()
                    .charges
                    .iter()
                    .find(|c| c.id == charge)
                    .unwrap()
                    .customer
                    .clone();
                let sub = fake.customer_subscription(&customer).unwrap();
                let (status, _) =
                    call(&fake, "DELETE", &format!("/v1/subscriptions/{sub}"), "").await;
                assert_eq!(status, 200);
            }
            StatusCode::OK
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hook = format!("http://{}/webhooks/stripe", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/webhooks/stripe", post(receive))
            .with_state((seen.clone(), fake_slot.clone()));
        tokio::spawn(async move { axum::serve(listener, app).await });

        let fake = FakeStripe::start(Some(hook)).await.unwrap();
        *fake_slot.lock().unwrap() = Some(fake.clone());
        let customer = new_customer(&fake).await;
        let session = new_session(
            &fake,
            &customer,
            FakeStripe::PRICE_MONTHLY,
            Some(fake.now() + 3 * DAY),
        )
        .await;
        let sub = fake.pay(&session, FakeStripe::GOOD_CARD).await.unwrap();
        fake.trial_will_end(&sub).await.unwrap();
        fake.end_trial(&sub).await.unwrap();
        fake.renew(&sub).await.unwrap();
        // An update through the API is delivered after the answer.
        let (status, _) = call(
            &fake,
            "POST",
            &format!("/v1/subscriptions/{sub}"),
            "cancel_at_period_end=true",
        )
        .await;
        assert_eq!(status, 200);
        fake.settle().await;
        fake.dispute(&sub).await.unwrap();

        let types: Vec<String> = seen
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.clone())
            .collect();
        assert_eq!(
            types,
            [
                "checkout.session.completed",
                "customer.subscription.created",
                "customer.subscription.trial_will_end",
                "customer.subscription.updated",
                "invoice.paid",
                "invoice.paid",
                "customer.subscription.updated",
                "customer.subscription.updated",
                "charge.dispute.created",
                "customer.subscription.deleted",
            ]
        );
        assert_eq!(fake.event_types(), types);
        assert!(fake.events().iter().all(|e| e.delivered == Some(200)));
        let first = fake.events()[0].clone();
        let before = seen.lock().unwrap().len();
        assert_eq!(fake.resend(&first.id).await, Some(200));
        assert_eq!(seen.lock().unwrap().len(), before + 1);
        let test_event =
            fake.event_for_test("customer.subscription.updated", fake.subscription(&sub));
        assert_eq!(verify(&test_event).1, "canceled");
    }

    #[tokio::test]
    async fn the_hosted_pages_pay_and_manage_the_plan() {
        let fake = FakeStripe::start_on("127.0.0.1:0", None, true)
            .await
            .unwrap();
        let customer = new_customer(&fake).await;
        let trial_end = fake.now() + 30 * DAY;
        let session =
            new_session(&fake, &customer, FakeStripe::PRICE_MONTHLY, Some(trial_end)).await;
        let (status, page) = raw(&fake, "GET", &format!("/checkout/{session}"), "", &[]).await;
        assert_eq!(status, 200);
        for text in [
            "Pruuf — pay with a test card",
            "$3.99 / month",
            "Card number",
            "4242 4242 4242 4242",
            "Start subscription",
            "First charge on",
            &date(trial_end),
        ] {
            assert!(page.contains(text), "no {text:?} in {page}");
        }
        let url = format!("{}checkout/{session}", fake.url());
        let (status, answer) = http_request(
            "POST",
            &url,
            &[("Content-Type", "application/x-www-form-urlencoded")],
            "card=4242+4242+4242+4242&promo=",
        )
        .await
        .unwrap();
        assert_eq!(status, 303);
        assert_eq!(
            header_of(&answer, "location").as_deref(),
            Some(SUCCESS.replace("{CHECKOUT_SESSION_ID}", &session).as_str())
        );
        let (_, body) = raw(
            &fake,
            "GET",
            &format!("/__fake/customers/{customer}/subscription"),
            "",
            &[],
        )
        .await;
        let sub = serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(fake.subscription(&sub)["status"], "trialing");

        let (_, body) = call(
            &fake,
            "POST",
            "/v1/billing_portal/sessions",
            &format!("customer={customer}&return_url={}", crate::encode(CANCEL)),
        )
        .await;
        let portal = serde_json::from_str::<Value>(&body).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, page) = raw(&fake, "GET", &format!("/portal/{portal}"), "", &[]).await;
        assert_eq!(status, 200);
        for text in [
            "Pruuf — manage your plan (test)",
            "Renews on",
            "Cancel plan",
            "Switch to annual",
            "Return to Pruuf",
            CANCEL,
        ] {
            assert!(page.contains(text), "no {text:?} in {page}");
        }
        let (status, answer) = http_request(
            "POST",
            &format!("{}portal/{portal}/cancel", fake.url()),
            &[],
            "",
        )
        .await
        .unwrap();
        assert_eq!(status, 303);
        assert_eq!(
            header_of(&answer, "location"),
            Some(format!("/portal/{portal}"))
        );
        assert_eq!(fake.subscription(&sub)["cancel_at_period_end"], true);
        let (_, page) = raw(&fake, "GET", &format!("/portal/{portal}"), "", &[]).await;
        assert!(
            page.contains("Ends on") && page.contains("Resume plan"),
            "{page}"
        );
        raw(&fake, "POST", &format!("/portal/{portal}/resume"), "", &[]).await;
        raw(&fake, "POST", &format!("/portal/{portal}/switch"), "", &[]).await;
        let now = fake.subscription(&sub);
        assert_eq!(now["cancel_at_period_end"], false);
        assert_eq!(
            now["items"]["data"][0]["price"]["id"],
            FakeStripe::PRICE_ANNUAL
        );
        assert_eq!(
            fake.event_types(),
            [
                "checkout.session.completed",
                "customer.subscription.created",
                "customer.subscription.updated",
                "customer.subscription.updated",
                "customer.subscription.updated",
            ]
        );
        for event in fake.events() {
            verify(&event);
        }

        // The HTTP controls.
        let (status, body) = raw(
            &fake,
            "POST",
            &format!("/__fake/subscriptions/{sub}/end_trial"),
            "",
            &[],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(fake.subscription(&sub)["status"], "active");
        let (status, _) = raw(
            &fake,
            "POST",
            &format!("/__fake/subscriptions/{sub}/dispute"),
            "",
            &[],
        )
        .await;
        assert_eq!(status, 200);
        let before = fake.now();
        let (_, body) = raw(
            &fake,
            "POST",
            "/__fake/advance",
            r#"{"seconds":86400}"#,
            &[("Content-Type", "application/json")],
        )
        .await;
        assert!(
            serde_json::from_str::<Value>(&body).unwrap()["now"]
                .as_i64()
                .unwrap()
                >= before + DAY
        );
        let (_, body) = raw(&fake, "GET", "/__fake/events", "", &[]).await;
        let events: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(events.as_array().unwrap().len(), fake.events().len());
        assert_eq!(
            events.as_array().unwrap().last().unwrap()["type"],
            "charge.dispute.created"
        );
    }
}

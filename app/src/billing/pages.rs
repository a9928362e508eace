//! `/billing` ("Plan and payment"), for Contacts: the state in plain words (what
//! happens to alerts, and when), days left, the plan, the next charge, recent
//! invoices, choosing a plan (Stripe Checkout), managing the card and invoices
//! (Stripe Customer Portal), and cancel / resume. Members, and anyone who ever
//! was one, see that Pruuf is free for them and never a price.
use super::rules::AccountState;
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::billing::service::Billing;
use crate::error::{AppError, ErrorPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub date: String,
    pub amount: String,
    pub status: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingView {
    pub state: AccountState,
    /// A Member, or once one: no prices, ever.
    pub free: bool,
    /// What happens to alerts, and when.
    pub words: String,
    /// "$3.99 a month"
    pub plan: Option<String>,
    /// "Thursday 31 December 2026: $3.99"
    pub next_charge: Option<String>,
    pub may_choose_plan: bool,
    pub may_cancel: bool,
    pub may_resume: bool,
    /// There is a Stripe customer: card and invoices can be managed.
    pub may_manage: bool,
    /// `None`: they could not be read just now.
    pub invoices: Option<Vec<InvoiceLine>>,
    pub payments_on: bool,
    /// Back from Checkout, with what the return found.
    pub returned: Option<String>,
}

#[server]
pub async fn load_billing(paid: Option<String>) -> Result<BillingView, AppError> {
    use super::rules::{self, dollars, SubStatus};
    use super::service::long_date;
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let services = services()?;
    let returned = match paid.filter(|p| !p.is_empty()) {
        None => None,
        Some(session) => Some(
            match Billing(&services).after_checkout(&me, &session).await {
                Ok(()) => "Thank you! We\u{2019}ve got your payment details.".to_string(),
                Err(e) => e.message(),
            },
        ),
    };
    let row = Billing(&services).billing_row(me.user_id).await?;
    let account = row.account();
    let now = services.clock.now();
    let zone = row.time_zone.clone();
    let free = row.is_member || row.grandfathered_free || account.state == AccountState::ActiveFree;
    let words = rules::state_words(
        &account,
        row.current_period_end,
        |d| long_date(d, &zone),
        now,
    );
    let live = row
        .subscription_status
        .as_deref()
        .and_then(SubStatus::parse)
        .is_some_and(|s| !s.ended());
    let payments_on = services.stripe.is_some();
    if free {
        return Ok(BillingView {
            state: account.state,
            free,
            words,
            plan: None,
            next_charge: None,
            may_choose_plan: false,
            may_cancel: live && !row.cancel_at_period_end,
            may_resume: false,
            may_manage: false,
            invoices: Some(Vec::new()),
            payments_on,
            returned,
        });
    }
    let plan = row.plan().filter(|_| live);
    let next_charge = match (plan, row.current_period_end, row.cancel_at_period_end) {
        (Some(p), Some(end), false) => {
            Some(format!("{}: {}", long_date(end, &zone), dollars(p.cents())))
        }
        _ => None,
    };
    let invoices = Billing(&services).recent_invoices(&row).await.map(|list| {
        list.into_iter()
            .map(|i| InvoiceLine {
                date: i.created.map(|d| long_date(d, &zone)).unwrap_or_default(),
                amount: dollars(i.amount_cents),
                status: match i.status.as_str() {
                    "paid" => "Paid".into(),
                    "open" => "Not paid yet".into(),
                    "void" => "Cancelled".into(),
                    "uncollectible" => "Not paid".into(),
                    other => other.to_string(),
                },
                url: i.url,
            })
            .collect()
    });
    Ok(BillingView {
        state: account.state,
        free,
        words,
        plan: plan.map(|p| p.words().to_string()),
        next_charge,
        may_choose_plan: payments_on
            && rules::checkout_refusal(&account, row.is_member, live).is_none(),
        may_cancel: payments_on && live && !row.cancel_at_period_end,
        may_resume: payments_on && live && row.cancel_at_period_end,
        may_manage: payments_on && row.stripe_customer_id.is_some(),
        invoices,
        payments_on,
        returned,
    })
}

#[server]
pub async fn choose_plan(plan: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    // Only our two plans: a price id sent by the browser is refused here.
    let plan = super::rules::Plan::parse(&plan).map_err(AppError::invalid)?;
    let url = Billing(&services()?)
        .start_checkout(&caller(), &me, plan)
        .await?;
    leptos_axum::redirect(&url);
    Ok(())
}

#[server]
pub async fn manage_payment() -> Result<(), AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let url = Billing(&services()?).open_portal(&me).await?;
    leptos_axum::redirect(&url);
    Ok(())
}

#[server]
pub async fn change_renewal(renew: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let cancel = match renew.as_str() {
        "cancel" => true,
        "resume" => false,
        _ => return Err(AppError::invalid("Please choose cancel or resume.")),
    };
    Billing(&services()?)
        .set_renewal(&caller(), &me, cancel)
        .await?;
    leptos_axum::redirect(if cancel {
        "/billing?plan=canceled"
    } else {
        "/billing?plan=resumed"
    });
    Ok(())
}

#[component]
pub fn BillingPage() -> impl IntoView {
    let choose = ServerAction::<ChoosePlan>::new();
    let manage = ServerAction::<ManagePayment>::new();
    let renewal = ServerAction::<ChangeRenewal>::new();
    let query = use_query_map();
    let data = Resource::new(
        move || (query.read().get("paid"), renewal.version().get()),
        |(paid, _)| load_billing(paid),
    );
    let note = move || match query.read().get("plan").as_deref() {
        Some("canceled") => Some("Your plan is canceled. Nothing more will be charged."),
        Some("resumed") => Some("Your plan continues. Thank you!"),
        _ => match query.read().get("checkout").as_deref() {
            Some("canceled") => {
                Some("No payment was made. You can choose a plan whenever you\u{2019}re ready.")
            }
            _ => None,
        },
    };
    view! {
        <Title text="Plan and payment"/>
        <section class="page narrow" aria-labelledby="billing-title">
            <h1 id="billing-title">"Plan and payment"</h1>
            {move || note().map(|n| view! { <p class="notice-text" role="status">{n}</p> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <BillingBody v choose manage renewal/> }.into_any(),
                        Err(AppError::SignInNeeded) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <ErrorPage error/> }.into_any(),
                    }
                })}
            </Suspense>
            <a class="button secondary" href="/home">"Back to today"</a>
        </section>
    }
}

#[component]
fn BillingBody(
    v: BillingView,
    choose: ServerAction<ChoosePlan>,
    manage: ServerAction<ManagePayment>,
    renewal: ServerAction<ChangeRenewal>,
) -> impl IntoView {
    let choose_error = error_of(choose);
    let manage_error = error_of(manage);
    let renewal_error = error_of(renewal);
    let alerts_off = !v.state.may_receive_alerts();
    let status = view! {
        <section class=if alerts_off { "card warning" } else { "card" } aria-labelledby="state-title">
            <h2 id="state-title">{if alerts_off { "Alerts are paused" } else if v.free { "Free for you" } else { "Your plan" }}</h2>
            {v.returned.clone().map(|r| view! { <p class="notice-text" role="status">{r}</p> })}
            <p class="lead" data-testid="billing-state">{v.words.clone()}</p>
            {v.plan.clone().map(|p| view! { <p>"Plan: " <strong data-testid="billing-plan">{p}</strong></p> })}
            {v.next_charge.clone().map(|c| view! { <p>"Next charge: " <strong data-testid="billing-next">{c}</strong></p> })}
        </section>
    };
    if v.free {
        let cancel = v.may_cancel.then(|| {
            view! {
                <ActionForm action=renewal attr:class="stack">
                    <input type="hidden" name="renew" value="cancel"/>
                    <button type="submit" class="button secondary">"Stop my old plan now"</button>
                </ActionForm>
                <FormAlert id="renewal-error" message=renewal_error/>
            }
        });
        return view! { {status} {cancel} }.into_any();
    }
    let off = (!v.payments_on).then(|| view! {
        <p class="notice-text">"Payments aren\u{2019}t available right now. Your alerts continue; please come back later."</p>
    });
    let choose_form = v.may_choose_plan.then(|| view! {
        <section class="card" aria-labelledby="choose-title">
            <h2 id="choose-title">"Choose a plan"</h2>
            <p>"One price, however many people you look out for. Cancel any time."</p>
            <ActionForm action=choose attr:class="stack" attr:novalidate=true>
                <fieldset class="choice-group">
                    <legend>"How would you like to pay?"</legend>
                    <div class="check">
                        <input id="plan-monthly" type="radio" name="plan" value="monthly" checked=true/>
                        <label for="plan-monthly">"$3.99 a month"</label>
                    </div>
                    <div class="check">
                        <input id="plan-annual" type="radio" name="plan" value="annual"/>
                        <label for="plan-annual">"$29 a year (save 39%)"</label>
                    </div>
                </fieldset>
                <p class="hint">"You\u{2019}ll enter your card on Stripe\u{2019}s secure page, then come back here."</p>
                <FormAlert id="choose-error" message=choose_error/>
                <button type="submit" class="button primary">"Continue to secure payment"</button>
            </ActionForm>
        </section>
    });
    let renew_form = (v.may_cancel || v.may_resume).then(|| {
        let (value, label, hint) = if v.may_cancel {
            (
                "cancel",
                "Cancel my plan",
                "Alerts continue until the end of the period you paid for.",
            )
        } else {
            (
                "resume",
                "Keep my plan",
                "Your plan continues and alerts never stop.",
            )
        };
        view! {
            <ActionForm action=renewal attr:class="stack">
                <input type="hidden" name="renew" value=value/>
                <p class="hint">{hint}</p>
                <button type="submit" class="button secondary">{label}</button>
            </ActionForm>
            <FormAlert id="renewal-error" message=renewal_error/>
        }
    });
    let manage_form = v.may_manage.then(|| {
        view! {
            <ActionForm action=manage attr:class="stack">
                <button type="submit" class="button secondary">"Manage card and invoices"</button>
            </ActionForm>
            <FormAlert id="manage-error" message=manage_error/>
        }
    });
    let invoices = match v.invoices.clone() {
        None => view! { <p>"We couldn\u{2019}t load your invoices just now. Please try again later."</p> }.into_any(),
        Some(list) if list.is_empty() => ().into_any(),
        Some(list) => view! {
            <section class="card" aria-labelledby="invoices-title">
                <h2 id="invoices-title">"Recent invoices"</h2>
                <ul class="plain-list">
                    {list.into_iter().map(|i| {
                        let text = format!("{}: {} ({})", i.date, i.amount, i.status);
                        match i.url {
                            Some(url) => view! { <li><a href=url rel="noopener">{text}</a></li> }.into_any(),
                            None => view! { <li>{text}</li> }.into_any(),
                        }
                    }).collect_view()}
                </ul>
            </section>
        }.into_any(),
    };
    view! {
        {status}
        {off}
        {choose_form}
        <div class="stack">{renew_form} {manage_form}</div>
        {invoices}
    }
    .into_any()
}

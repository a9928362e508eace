//! `/people/<id>/plan`: the Member writes her plan (and may let her Contacts
//! write it); her Contacts read it. Thin server functions over `service`.
use super::rules::{Plan, PARTS};
use super::views::PlanView;
use crate::accounts::forms::{error_of, FormAlert};
use crate::error::{AppError, ErrorPage};
#[cfg(feature = "ssr")]
use crate::plan::service::Plans;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

#[cfg(feature = "ssr")]
fn parse_member(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound.with_status())
}

#[server]
pub async fn load_plan(member: String) -> Result<PlanView, AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    Plans(&services()?)
        .view(&caller(), &me, parse_member(&member)?)
        .await
}

/// The form's fields are `plan[address]`, `plan[access]`, … (one shared type,
/// checked by its own rules).
#[server]
pub async fn save_plan(member: String, #[server(default)] plan: Plan) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let member = parse_member(&member)?;
    let plan = plan
        .validate()
        .map_err(|e| AppError::Invalid(e).with_status())?;
    Plans(&services()?)
        .save(&caller(), &me, member, &plan)
        .await?;
    leptos_axum::redirect(&format!("/people/{member}/plan?saved"));
    Ok(())
}

/// The Member's "let the people who look out for me change it".
#[server]
pub async fn share_plan(
    member: String,
    #[server(default)] allowed: String,
) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let member = parse_member(&member)?;
    if member != me.user_id {
        return Err(AppError::NotFound.with_status());
    }
    let allowed = match allowed.trim() {
        "on" => true,
        "" | "off" => false,
        _ => return Err(AppError::Invalid("Please choose yes or no.".into()).with_status()),
    };
    Plans(&services()?)
        .set_contacts_may_edit(&caller(), &me, allowed)
        .await?;
    leptos_axum::redirect(&format!("/people/{member}/plan?saved"));
    Ok(())
}

#[component]
pub fn PlanPage() -> impl IntoView {
    let params = use_params_map();
    let save = ServerAction::<SavePlan>::new();
    let share = ServerAction::<SharePlan>::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("id").unwrap_or_default(),
                save.version().get() + share.version().get(),
            )
        },
        |(id, _)| load_plan(id),
    );
    view! {
        <Title text="If a check-in is missed"/>
        <section class="page" aria-labelledby="plan-title">
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(v) => view! { <PlanBody v save share/> }.into_any(),
                        Err(AppError::SignInNeeded) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <h1 id="plan-title">"The plan"</h1><ErrorPage error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn PlanBody(
    v: PlanView,
    save: ServerAction<SavePlan>,
    share: ServerAction<SharePlan>,
) -> impl IntoView {
    let save_error = error_of(save);
    let share_error = error_of(share);
    // Saved: after the form's own post (no JavaScript: the redirect's
    // `?saved`), or once an action here has succeeded; both are watched, so the
    // notice shows whichever comes first.
    let query = use_query_map();
    let saved = move || {
        query.read().get("saved").is_some()
            || matches!(save.value().get(), Some(Ok(())))
            || matches!(share.value().get(), Some(Ok(())))
    };
    let title = if v.is_self {
        "If I miss a check-in".to_string()
    } else {
        format!("If {} misses a check-in", v.name)
    };
    let lead = if v.is_self {
        "What the people who look out for you need to know at once if you don\u{2019}t check in. Only they can see it."
            .to_string()
    } else {
        format!(
            "What to know if {} doesn\u{2019}t check in. Only {}\u{2019}s Contacts can see it.",
            v.name, v.name
        )
    };
    let back = format!("/people/{}", v.member_id);
    let read_only = (!v.may_edit).then(|| {
        let rows: Vec<_> = PARTS
            .iter()
            .zip(v.plan.values())
            .filter(|(_, value)| !value.is_empty())
            .map(|(p, value)| (p.label.to_string(), value.to_string()))
            .collect();
        if rows.is_empty() {
            view! { <p>"Nothing has been written yet."</p> }.into_any()
        } else {
            view! { <PlanList rows/> }.into_any()
        }
    });
    let member_id = v.member_id.clone();
    let form = v.may_edit.then(|| {
        let values = v.plan.values().map(str::to_string);
        view! {
            <ActionForm action=save attr:class="stack card" attr:novalidate=true>
                <input type="hidden" name="member" value=member_id/>
                {PARTS.iter().zip(values).map(|(p, value)| {
                    let id = format!("plan-{}", p.name);
                    let hint_id = format!("{id}-hint");
                    let described = (!p.hint.is_empty()).then(|| hint_id.clone());
                    let hint = (!p.hint.is_empty()).then(|| view! { <p class="hint" id=hint_id.clone()>{p.hint}</p> });
                    let input = if p.long {
                        view! { <textarea id=id.clone() name=format!("plan[{}]", p.name) rows="3" maxlength=p.most.to_string() aria-describedby=described>{value}</textarea> }.into_any()
                    } else {
                        view! { <input id=id.clone() type="text" name=format!("plan[{}]", p.name) value=value maxlength=p.most.to_string() aria-describedby=described
                            autocomplete="off" inputmode=if p.name.ends_with("phone") { "tel" } else { "text" }/> }.into_any()
                    };
                    view! {
                        <div class="field">
                            <label for=id>{p.label}</label>
                            {hint}
                            {input}
                        </div>
                    }
                }).collect_view()}
                <FormAlert id="plan-error" message=save_error/>
                <button type="submit" class="button primary">"Save the plan"</button>
            </ActionForm>
        }
    });
    let sharing = v.is_self.then(|| view! {
        <ActionForm action=share attr:class="stack card">
            <input type="hidden" name="member" value=v.member_id.clone()/>
            <div class="check">
                <input id="plan-share" type="checkbox" name="allowed" value="on" checked=v.contacts_may_edit/>
                <label for="plan-share">"Let the people who look out for me write and change this plan (you\u{2019}ll be told each time)"</label>
            </div>
            <FormAlert id="share-error" message=share_error/>
            <button type="submit" class="button secondary">"Save this choice"</button>
        </ActionForm>
    });
    view! {
        <h1 id="plan-title">{title}</h1>
        <Show when=saved>
            <p class="notice-text" role="status">"Saved."</p>
        </Show>
        <p class="lead">{lead}</p>
        {v.changed.clone().map(|c| view! { <p class="hint">{c}</p> })}
        {read_only}
        {form}
        {sharing}
        <a class="button secondary" href=back>"Back"</a>
    }
}

/// The written parts of a plan, as a list of label and words.
#[component]
pub fn PlanList(rows: Vec<(String, String)>) -> impl IntoView {
    view! {
        <dl class="plan-list">
            {rows.into_iter().map(|(label, value)| view! {
                <dt>{label}</dt>
                <dd class="pre-line">{value}</dd>
            }).collect_view()}
        </dl>
    }
}

//! "Neighbours and friends without the app", on the order page: the Member
//! (and her Contacts) see everyone on her list, add a helper (who is texted
//! once to agree) and take one off.
use super::escalation::{self, MOST_STEPS};
use super::helpers::HelperView;
use crate::accounts::forms::{error_of, FormAlert};
use crate::error::AppError;
use crate::phones::call_links::CallLinks;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
fn parse_id(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound.with_status())
}

#[server]
pub async fn add_helper(
    member: String,
    name: String,
    phone: String,
    #[server(default)] place: String,
) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    use crate::alerts::service::Alerts;
    let me = require_sign_in().await?;
    let member = parse_id(&member)?;
    let (name, phone, place) = super::helpers::parse_helper(&name, &phone, &place)
        .map_err(|e| AppError::Invalid(e.into()).with_status())?;
    Alerts(&services()?)
        .add_helper(&caller(), &me, member, &name, &phone, place)
        .await?;
    leptos_axum::redirect(&format!("/people/{member}/order?asked"));
    Ok(())
}

#[server]
pub async fn remove_helper(member: String, helper: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    use crate::alerts::service::Alerts;
    let me = require_sign_in().await?;
    let (member, helper) = (parse_id(&member)?, parse_id(&helper)?);
    Alerts(&services()?)
        .remove_helper(&caller(), &me, member, helper)
        .await?;
    leptos_axum::redirect(&format!("/people/{member}/order?removed"));
    Ok(())
}

/// The list, each with a way to take them off, and the form to add one.
#[component]
pub fn HelperList(
    member_id: String,
    helpers: Vec<HelperView>,
    add: ServerAction<AddHelper>,
    remove: ServerAction<RemoveHelper>,
) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let asked =
        move || query.read().get("asked").is_some() || matches!(add.value().get(), Some(Ok(())));
    let removed = move || {
        query.read().get("removed").is_some() || matches!(remove.value().get(), Some(Ok(())))
    };
    let add_error = error_of(add);
    let remove_error = error_of(remove);
    let full = helpers.len() >= super::helpers::MOST_HELPERS;
    let for_add = member_id.clone();
    view! {
        <section class="card stack" aria-labelledby="helpers-title">
            <h2 id="helpers-title">"Neighbours and friends without the app"</h2>
            <p>
                "Someone nearby, like a neighbour with a key, can be on the list without Pruuf. "
                "We text them once to ask; after they reply YES, they are texted when their turn comes "
                "and can reply 1 to say they\u{2019}re on it. They can reply STOP at any time."
            </p>
            <Show when=asked>
                <p class="notice-text" role="status">"Added. We\u{2019}ve texted them to ask."</p>
            </Show>
            <Show when=removed>
                <p class="notice-text" role="status">"Taken off the list. They won\u{2019}t be texted."</p>
            </Show>
            {if helpers.is_empty() {
                view! { <p>"No one yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {helpers.into_iter().map(|h| {
                            let member_id = member_id.clone();
                            let status = h.status.words();
                            view! {
                                <li class="stack">
                                    <strong>{h.name.clone()}</strong>
                                    <span>{status}</span>
                                    <div class="actions">
                                        <CallLinks name=h.name.clone() phone=Some(h.number.clone())/>
                                    </div>
                                    <ActionForm action=remove>
                                        <input type="hidden" name="member" value=member_id.clone()/>
                                        <input type="hidden" name="helper" value=h.id.clone()/>
                                        <button type="submit" class="button secondary">
                                            {format!("Take {} off the list", h.name)}
                                        </button>
                                    </ActionForm>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <FormAlert id="helper-remove-error" message=remove_error/>
            {(!full).then(|| view! {
                <ActionForm action=add attr:class="stack" attr:novalidate=true>
                    <h3>"Add someone"</h3>
                    <input type="hidden" name="member" value=for_add/>
                    <div class="field">
                        <label for="helper-name">"Their name"</label>
                        <input id="helper-name" name="name" autocomplete="off" required maxlength="255"/>
                    </div>
                    <div class="field">
                        <label for="helper-phone">"Their mobile number"</label>
                        <input id="helper-phone" name="phone" type="tel" autocomplete="off" inputmode="tel" required/>
                    </div>
                    <div class="field">
                        <label for="helper-place">"When are they told?"</label>
                        <select id="helper-place" name="place">
                            {(1..=MOST_STEPS).map(Some).chain([None]).map(|p| view! {
                                <option value=p.map(|n| n.to_string()).unwrap_or_default() selected=p.is_none()>
                                    {escalation::place_words(p)}
                                </option>
                            }).collect_view()}
                        </select>
                    </div>
                    <FormAlert id="helper-add-error" message=add_error/>
                    <button type="submit" class="button primary">"Text them to ask"</button>
                </ActionForm>
            })}
        </section>
    }
}

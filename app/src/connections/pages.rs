//! The connections page (who looks out for whom, pending invitations, inviting)
//! and the join page that accepts an invitation.
use super::rules::{InviteCode, CODE_MESSAGE};
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::connections::service::Connections;
use crate::error::{AppError, ErrorPage};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub id: String,
    /// What I call them.
    pub name: String,
    pub email: String,
    /// They are a Member I look out for (else a Contact who looks out for me).
    pub they_are_member: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteView {
    pub id: String,
    pub name: String,
    pub email: String,
    pub as_member: bool,
    pub sent_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    pub connections: Vec<ConnectionView>,
    pub invites: Vec<InviteView>,
}

#[server]
pub async fn people_overview() -> Result<Overview, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let services = services()?;
    let connections = Connections(&services)
        .connections(&me)
        .await?
        .into_iter()
        .map(|c| {
            let they_are_member = c.contact_id == me.user_id;
            ConnectionView {
                id: c.id.to_string(),
                name: if they_are_member {
                    c.member_name
                } else {
                    c.contact_name
                },
                email: if they_are_member {
                    c.member_email
                } else {
                    c.contact_email
                },
                they_are_member,
            }
        })
        .collect();
    let invites = Connections(&services)
        .pending_invites(&me)
        .await?
        .into_iter()
        .map(|i| InviteView {
            id: i.id.to_string(),
            name: i.invitee_name,
            email: i.invitee_email,
            as_member: i.invitee_role == "member",
            sent_on: i.sent_at.format("%-d %b %Y").to_string(),
        })
        .collect();
    Ok(Overview {
        connections,
        invites,
    })
}

#[server]
pub async fn send_invite(
    who: String,
    name: String,
    email: String,
    phone: Option<String>,
    then: Option<String>,
) -> Result<(), AppError> {
    use super::rules::PersonName;
    use super::service::Invitee;
    use crate::accounts::session::{caller, require_sign_in, services};
    use crate::phones::rules::normalise_phone;
    use crate::validation::Email;
    let me = require_sign_in().await?;
    let who = Invitee::parse(&who)?;
    let name = PersonName::parse(&name).map_err(AppError::invalid)?;
    let email = Email::parse(&email).map_err(AppError::invalid)?;
    // A number only for someone who will check in: it is how their Contact calls them.
    let phone = match phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) if who == Invitee::Member => {
            Some(normalise_phone(raw).map_err(AppError::invalid)?)
        }
        _ => None,
    };
    Connections(&services()?)
        .invite(&caller(), &me, who, &name, &email, phone.as_deref())
        .await?;
    // From the first-steps page, on to the home; else back to this list.
    leptos_axum::redirect(if then.as_deref() == Some("home") {
        "/home?invited=1"
    } else {
        "/connections?sent=1"
    });
    Ok(())
}

#[cfg(feature = "ssr")]
fn parse_id(raw: &str, message: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::invalid(message))
}

#[server]
pub async fn resend_invite(invite: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let id = parse_id(&invite, "That invitation isn't in your list any more.")?;
    Connections(&services()?)
        .resend_invite(&caller(), &me, id)
        .await?;
    leptos_axum::redirect("/connections?resent=1");
    Ok(())
}

#[server]
pub async fn cancel_invite(invite: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let id = parse_id(&invite, "That invitation isn't in your list any more.")?;
    Connections(&services()?)
        .cancel_invite(&caller(), &me, id)
        .await?;
    leptos_axum::redirect("/connections");
    Ok(())
}

#[server]
pub async fn remove_connection(connection: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let id = parse_id(&connection, "That connection isn't in your list any more.")?;
    Connections(&services()?)
        .remove_connection(&caller(), &me, id)
        .await?;
    leptos_axum::redirect("/connections?removed=1");
    Ok(())
}

#[server]
pub async fn accept_invite(code: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let code = InviteCode::parse(&code).map_err(AppError::invalid)?;
    Connections(&services()?)
        .accept_invite(&caller(), &me, &code)
        .await?;
    leptos_axum::redirect("/connections?joined=1");
    Ok(())
}

/// The page's actions, shared by its parts: the lists reload whenever one finishes.
#[derive(Clone, Copy)]
struct PeopleActions {
    send: ServerAction<SendInvite>,
    resend: ServerAction<ResendInvite>,
    cancel: ServerAction<CancelInvite>,
    remove: ServerAction<RemoveConnection>,
}

impl PeopleActions {
    fn new() -> Self {
        PeopleActions {
            send: ServerAction::new(),
            resend: ServerAction::new(),
            cancel: ServerAction::new(),
            remove: ServerAction::new(),
        }
    }

    /// Changes each time any of them completes.
    fn finished(self) -> usize {
        self.send.version().get()
            + self.resend.version().get()
            + self.cancel.version().get()
            + self.remove.version().get()
    }
}

#[component]
pub fn ConnectionsPage() -> impl IntoView {
    provide_context(PeopleActions::new());
    let query = use_query_map();
    let notice = move || {
        let q = query.read();
        if q.get("joined").is_some() {
            Some("You\u{2019}re connected!")
        } else if q.get("sent").is_some() {
            Some("Invitation sent. We\u{2019}ll tell you when they join.")
        } else if q.get("resent").is_some() {
            Some("Invitation sent again.")
        } else if q.get("removed").is_some() {
            Some("The connection has ended. They have been told.")
        } else {
            None
        }
    };
    let actions = expect_context::<PeopleActions>();
    // One resource, one Suspense: the page reloads its lists whenever an action
    // finishes, and a signed-out visitor is sent to log in.
    let data = Resource::new(move || actions.finished(), |_| people_overview());
    let remove_error = error_of(actions.remove);
    let resend_error = error_of(actions.resend);
    let cancel_error = error_of(actions.cancel);
    view! {
        <Title text="Your people"/>
        <section class="page" aria-labelledby="people-title">
            <h1 id="people-title">"Your people"</h1>
            {move || notice().map(|n| view! { <p class="notice-text" role="status">{n}</p> })}
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(overview) => {
                            // Someone who only checks in is most likely inviting a Contact.
                            let contact_first = !overview.connections.is_empty()
                                && overview.connections.iter().all(|c| !c.they_are_member);
                            view! { <PeopleLists overview/> <InviteForm contact_first/> }.into_any()
                        }
                        Err(AppError::SignInNeeded) => view! { <Redirect path="/login"/> }.into_any(),
                        Err(error) => view! { <ErrorPage error/> }.into_any(),
                    }
                })}
            </Suspense>
            <FormAlert id="remove-error" message=remove_error/>
            <FormAlert id="resend-error" message=resend_error/>
            <FormAlert id="cancel-error" message=cancel_error/>
        </section>
    }
}

#[component]
fn PeopleLists(overview: Overview) -> impl IntoView {
    let (members, contacts): (Vec<_>, Vec<_>) = overview
        .connections
        .into_iter()
        .partition(|c| c.they_are_member);
    view! {
        <h2>"People you look out for"</h2>
        <PersonList people=members empty="No one yet. Invite someone below."/>
        <h2>"People who look out for you"</h2>
        <PersonList people=contacts empty="No one yet."/>
        <PendingInvites invites=overview.invites/>
    }
}

#[component]
fn PersonList(people: Vec<ConnectionView>, empty: &'static str) -> impl IntoView {
    let remove = expect_context::<PeopleActions>().remove;
    if people.is_empty() {
        return view! { <p>{empty}</p> }.into_any();
    }
    view! {
        <ul class="people">
            {people
                .into_iter()
                .map(|p| {
                    let confirm = format!("Remove {}", p.name);
                    let told = format!("{} will be told, and you will stop seeing each other\u{2019}s check-ins.", p.name);
                    view! {
                        <li class="card person">
                            <h3>{p.name.clone()}</h3>
                            <p class="address">{p.email.clone()}</p>
                            <details>
                                <summary class="button secondary">{confirm.clone()}</summary>
                                <p>{told}</p>
                                <ActionForm action=remove>
                                    <input type="hidden" name="connection" value=p.id.clone()/>
                                    <button type="submit" class="button primary">
                                        {format!("Yes, remove {}", p.name)}
                                    </button>
                                </ActionForm>
                            </details>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
        .into_any()
}

#[component]
fn PendingInvites(invites: Vec<InviteView>) -> impl IntoView {
    let PeopleActions { resend, cancel, .. } = expect_context::<PeopleActions>();
    (!invites.is_empty()).then(|| {
        view! {
            <h2>"Invitations waiting"</h2>
            <ul class="people">
                {invites
                    .into_iter()
                    .map(|i| {
                        let (resend_id, cancel_id) = (i.id.clone(), i.id.clone());
                        let resend_label = format!("Resend to {}", i.name);
                        let cancel_label = format!("Cancel invitation to {}", i.name);
                        view! {
                            <li class="card person">
                                <h3>{i.name.clone()}</h3>
                                <p class="address">{i.email.clone()}</p>
                                <p>{format!("Invited {} (pending)", i.sent_on)}</p>
                                <div class="row-actions">
                                    <ActionForm action=resend>
                                        <input type="hidden" name="invite" value=resend_id.clone()/>
                                        <button type="submit" class="button secondary">
                                            {resend_label.clone()}
                                        </button>
                                    </ActionForm>
                                    <ActionForm action=cancel>
                                        <input type="hidden" name="invite" value=cancel_id.clone()/>
                                        <button type="submit" class="button secondary">
                                            {cancel_label.clone()}
                                        </button>
                                    </ActionForm>
                                </div>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

#[component]
fn InviteForm(contact_first: bool) -> impl IntoView {
    let action = expect_context::<PeopleActions>().send;
    view! {
        <section class="card" aria-labelledby="invite-title">
            <h2 id="invite-title">"Invite someone"</h2>
            <InviteFields action contact_first then=""/>
        </section>
    }
}

/// The invitation form: who, their name, email and (for someone who will check
/// in) an optional mobile number. `then` = "home" ends the first steps on Today.
#[component]
pub fn InviteFields(
    action: ServerAction<SendInvite>,
    contact_first: bool,
    then: &'static str,
) -> impl IntoView {
    let error = error_of(action);
    view! {
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <input type="hidden" name="then" value=then/>
            <fieldset class="choice-group">
                <legend>"Who are you inviting?"</legend>
                <div class="check">
                    <input id="who-member" type="radio" name="who" value="member" checked=!contact_first/>
                    <label for="who-member">"Someone I\u{2019}ll look out for (they check in each day)"</label>
                </div>
                <div class="check">
                    <input id="who-contact" type="radio" name="who" value="contact" checked=contact_first/>
                    <label for="who-contact">"Someone to look out for me"</label>
                </div>
            </fieldset>
            <div class="field">
                <label for="invite-name">"Their name (what you call them, like Mum)"</label>
                <input id="invite-name" type="text" name="name" autocomplete="off" required maxlength="255"/>
            </div>
            <div class="field">
                <label for="invite-email">"Their email address"</label>
                <input id="invite-email" type="email" name="email" autocomplete="off" inputmode="email" required/>
            </div>
            <div class="field">
                <label for="invite-phone">"Their mobile number (optional)"</label>
                <p class="hint" id="invite-phone-hint">"So you can call or text them from Pruuf. Only you will see it."</p>
                <input id="invite-phone" type="tel" name="phone" autocomplete="off" inputmode="tel"
                    maxlength="32" aria-describedby="invite-phone-hint"/>
            </div>
            <FormAlert id="invite-error" message=error/>
            <button type="submit" class="button primary">"Send invitation"</button>
        </ActionForm>
    }
}

/// What the join page says about an open invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InviteShown {
    /// "Tom would like to look out for you with a daily check-in."
    pub words: String,
    /// The invited address, to fill in at sign-up.
    pub email: String,
}

#[server]
pub async fn join_preview(code: String) -> Result<Option<InviteShown>, AppError> {
    use crate::accounts::session::{caller, services};
    let Ok(code) = InviteCode::parse(&code) else {
        return Ok(None);
    };
    let preview = Connections(&services()?)
        .invite_preview(&caller(), &code)
        .await?;
    Ok(preview.map(|p| InviteShown {
        words: super::rules::join_words(&p.from, p.for_member),
        email: p.email,
    }))
}

/// `/join?code=…`: the link in an invitation. Signed in, it accepts; signed out,
/// it leads through sign-up (or log-in) and back here.
#[component]
pub fn JoinPage() -> impl IntoView {
    let query = use_query_map();
    let code = query.read_untracked().get("code").unwrap_or_default();
    let valid = InviteCode::parse(&code).map(|c| c.as_str().to_string());
    let me = Resource::new(|| (), |_| crate::accounts::devices::me());
    let code_for_preview = code.clone();
    let preview = Resource::new(move || code_for_preview.clone(), join_preview);
    let action = ServerAction::<AcceptInvite>::new();
    let error = error_of(action);
    let join_here = format!("/join?code={}", valid.clone().unwrap_or_default());
    view! {
        <Title text="Join Pruuf"/>
        <section class="page narrow" aria-labelledby="join-title">
            <h1 id="join-title">"You\u{2019}re invited to Pruuf"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Loading\u{2026}"</p> }>
                {move || {
                    let code = code.clone();
                    let valid = valid.clone();
                    let join_here = join_here.clone();
                    Suspend::new(async move {
                        match me.await {
                            Ok(Some(person)) => view! {
                                <p class="lead">
                                    "You\u{2019}re signed in as " <strong class="address">{person.email}</strong>
                                    ". Accept the invitation to connect."
                                </p>
                                <ActionForm action=action attr:class="stack" attr:novalidate=true>
                                    <div class="field">
                                        <label for="join-code">"Invite code"</label>
                                        <input id="join-code" class="code-input" type="text" name="code"
                                            autocomplete="off" autocapitalize="characters" maxlength="40"
                                            value=code required/>
                                    </div>
                                    <FormAlert id="join-error" message=error/>
                                    <button type="submit" class="button primary">"Accept the invitation"</button>
                                </ActionForm>
                            }
                            .into_any(),
                            Ok(None) => {
                                let after = crate::accounts::query_encode(&join_here);
                                let found = preview.await.ok().flatten();
                                let words = found.as_ref().map(|p| p.words.clone()).unwrap_or_else(|| {
                                    "Someone would like to stay in touch with you through a daily check-in.".into()
                                });
                                let email = found
                                    .map(|p| format!("&email={}", crate::accounts::query_encode(&p.email)))
                                    .unwrap_or_default();
                                view! {
                                    {valid.is_err().then(|| view! { <p class="form-alert"><span>{CODE_MESSAGE}</span></p> })}
                                    <p class="lead invite-words">{words}</p>
                                    <p>"First, create your account: it takes two minutes."</p>
                                    <div class="actions">
                                        <a class="button primary" href=format!("/signup?next={after}{email}")>"Create my account"</a>
                                        <a class="button secondary" href=format!("/login?next={after}")>"I already have an account"</a>
                                    </div>
                                }
                                .into_any()
                            }
                            Err(error) => view! { <ErrorPage error/> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </section>
    }
}

//! The check-in's pages and their server functions: the home (the Member's "I'm
//! OK" and the Contact's dashboard on one page), the schedule, a Member's last 30
//! days with their pauses, and the notification list.
// `save_schedule` takes each field of the form (its four check-ins among them).
#![allow(clippy::too_many_arguments)]
use super::rules::{self, DayOutcome, GRACE_CHOICES, LEAD_CHOICES};
use super::travel::{AnswerTravel, TravelCard};
use super::views::*;
use crate::accounts::devices::ConsentCard;
use crate::accounts::forms::browser_zone;
use crate::accounts::forms::{error_of, FormAlert};
#[cfg(feature = "ssr")]
use crate::checkin::service::CheckIns;
use crate::error::{AppError, ErrorPage};
use crate::phones::call_links::CallLinks;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_params_map, use_query_map};

#[cfg(feature = "ssr")]
fn parse_uuid(raw: &str) -> Result<uuid::Uuid, AppError> {
    uuid::Uuid::parse_str(raw.trim()).map_err(|_| AppError::NotFound.with_status())
}

/// "I'm OK" on a reminder notification, posted by the service worker with the
/// token the reminder carried (so it works without opening the app, and without
/// a session). Answers the words the worker shows. Its address is fixed
/// (`/api/reminder_check_in`, no build hash): a reminder sent before a deploy
/// still reaches it after.
#[server(endpoint = "reminder_check_in")]
pub async fn reminder_check_in(token: String) -> Result<String, AppError> {
    use crate::accounts::session::services;
    // 32 bytes in base64url: 43 characters of [A-Za-z0-9_-].
    let token = token.trim();
    if token.len() != 43
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(AppError::invalid(crate::alerts::service::REMINDER_EXPIRED));
    }
    Ok(CheckIns(&services()?)
        .check_in_from_reminder(token)
        .await?
        .message())
}

#[server]
pub async fn load_home() -> Result<HomeView, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    CheckIns(&services()?).home(&me).await
}

/// At a fixed path (`/api/check_in`): the service worker keeps a tap made
/// offline and sends it here when the network is back.
#[server(endpoint = "check_in")]
pub async fn check_in() -> Result<CheckInDone, AppError> {
    use super::service::Source;
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let done = CheckIns(&services()?)
        .check_in(me.user_id, Source::Web)
        .await?;
    leptos_axum::redirect(if done.already {
        "/home?checked=again"
    } else {
        "/home?checked=now"
    });
    Ok(done)
}

#[server]
pub async fn remember_zone(zone: String) -> Result<(), AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    let zone = rules::zone_shape(&zone)
        .ok()
        .and_then(|z| crate::time::parse_zone(&z))
        .ok_or_else(|| AppError::invalid(rules::ZONE_MESSAGE))?;
    CheckIns(&services()?).remember_zone(&me, zone).await
}

#[server]
pub async fn my_schedule() -> Result<ScheduleView, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    CheckIns(&services()?).my_schedule(&me).await
}

/// The schedule: the first check-in (`deadline`, on `days`), up to three more
/// (`time2`…`time4`, each on its `days2`…`days4`; an empty time is none).
#[server]
pub async fn save_schedule(
    deadline: String,
    days: Option<String>,
    time2: Option<String>,
    days2: Option<String>,
    time3: Option<String>,
    days3: Option<String>,
    time4: Option<String>,
    days4: Option<String>,
    time_zone: String,
    reminder_on: Option<String>,
    lead: String,
    grace: String,
    first: Option<String>,
) -> Result<(), AppError> {
    use super::service::ScheduleInput;
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let pairs = [
        (deadline, text(&days)),
        (text(&time2), text(&days2)),
        (text(&time3), text(&days3)),
        (text(&time4), text(&days4)),
    ];
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(t, d)| (t.as_str(), d.as_str()))
        .collect();
    let windows = super::windows::parse_form(&pairs).map_err(AppError::invalid)?;
    let zone = rules::zone_shape(&time_zone)
        .ok()
        .and_then(|z| crate::time::parse_zone(&z))
        .ok_or_else(|| AppError::invalid(rules::ZONE_MESSAGE))?;
    let input = ScheduleInput {
        windows,
        zone,
        reminder_on: reminder_on.is_some(),
        lead_min: rules::parse_lead(&lead).map_err(AppError::invalid)?,
        grace_min: rules::parse_grace(&grace).map_err(AppError::invalid)?,
    };
    CheckIns(&services()?)
        .set_schedule(&caller(), &me, &input)
        .await?;
    // During the first steps, on to turning reminders on; else back to Today.
    leptos_axum::redirect(if first.is_some() {
        "/start/reminders"
    } else {
        "/home?schedule=saved"
    });
    Ok(())
}

#[server]
pub async fn load_member(member: String) -> Result<MemberDetail, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    CheckIns(&services()?)
        .member_detail(&me, parse_uuid(&member)?)
        .await
}

/// "I'm with them now": a Contact checks the Member in, in person.
#[server]
pub async fn check_in_for(member: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let id = parse_uuid(&member)?;
    CheckIns(&services()?)
        .check_in_for(&caller(), &me, id)
        .await?;
    leptos_axum::redirect(&format!("/people/{id}?with=1"));
    Ok(())
}

#[server]
pub async fn pause_checkins(member: String, first: String, last: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let range = rules::PauseRange::parse(&first, &last).map_err(AppError::invalid)?;
    let id = parse_uuid(&member)?;
    CheckIns(&services()?)
        .pause(&caller(), &me, id, range)
        .await?;
    leptos_axum::redirect(&format!("/people/{id}?paused=1"));
    Ok(())
}

#[server]
pub async fn end_pause(member: String, pause: String) -> Result<(), AppError> {
    use crate::accounts::session::{caller, require_sign_in, services};
    let me = require_sign_in().await?;
    let id = parse_uuid(&member)?;
    let pause = uuid::Uuid::parse_str(pause.trim())
        .map_err(|_| AppError::invalid("That pause isn\u{2019}t in the list any more."))?;
    CheckIns(&services()?)
        .end_pause(&caller(), &me, id, pause)
        .await?;
    leptos_axum::redirect(&format!("/people/{id}?ended=1"));
    Ok(())
}

#[server]
pub async fn list_notifications() -> Result<Vec<NotificationView>, AppError> {
    use crate::accounts::session::{require_sign_in, services};
    let me = require_sign_in().await?;
    CheckIns(&services()?).notifications(&me).await
}

/// The loading line every page shows while its data comes.
pub(crate) fn loading() -> impl IntoView {
    view! { <p class="loading">"Loading\u{2026}"</p> }
}

/// Sends a signed-out visitor to log in; shows any other error.
pub(crate) fn failed(error: AppError) -> AnyView {
    match error {
        AppError::SignInNeeded => view! { <Redirect path="/login"/> }.into_any(),
        error => view! { <ErrorPage error/> }.into_any(),
    }
}

/// Runs `tick` every `seconds` in the browser while the page is open (gloo-timers).
fn every(seconds: u32, tick: impl Fn() + 'static) {
    #[cfg(feature = "hydrate")]
    {
        let interval = gloo_timers::callback::Interval::new(seconds * 1000, tick);
        let held = StoredValue::new_local(Some(interval));
        on_cleanup(move || held.update_value(|i| drop(i.take())));
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (seconds, tick);
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let query = use_query_map();
    let check_in = ServerAction::<CheckIn>::new();
    let travel = ServerAction::<AnswerTravel>::new();
    // Every minute: the dashboard reloads (a Contact sees a check-in without
    // reloading the page) and the countdown moves on.
    let tick = RwSignal::new(0u32);
    Effect::new(move |_| every(60, move || tick.update(|t| *t += 1)));
    // A check-in kept offline and sent later reloads the day too.
    let pwa = use_context::<crate::pwa::PwaEvents>().unwrap_or_default();
    let data = Resource::new(
        move || {
            (
                tick.get(),
                check_in.version().get(),
                pwa.sent.get(),
                travel.version().get(),
            )
        },
        |_| load_home(),
    );
    // The browser's zone is offered once per page, even if the server refuses it.
    let zone_asked = StoredValue::new(false);
    let last_seen = StoredValue::new(None::<HomeView>);
    let notice = move || {
        let q = query.read();
        if q.get("pin").as_deref() == Some("changed") {
            Some("Your new PIN is saved. Every other device has been signed out.")
        } else if q.get("test").is_some() {
            Some("A test alert is on its way, by email and to every device with alerts on.")
        } else if q.get("travel").as_deref() == Some("used") {
            Some("Your check-ins now follow the time where you are. The people who look out for you have been told.")
        } else if q.get("travel").as_deref() == Some("kept") {
            Some("Your check-ins keep their time zone. We won\u{2019}t ask again while you\u{2019}re there.")
        } else if q.get("schedule").is_some() {
            Some("Your check-in time is saved. The people who look out for you have been told.")
        } else {
            None
        }
    };
    view! {
        <Title text="Home"/>
        <section class="page" aria-labelledby="home-title">
            <h1 id="home-title">"Today"</h1>
            <Show when=move || notice().is_some()>
                <p class="notice-text" role="status">{notice}</p>
            </Show>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(home) => {
                            last_seen.set_value(Some(home.clone()));
                            view! { <HomeBody home check_in travel tick zone_asked/> }.into_any()
                        }
                        // Offline: what was last seen stays, said to be so.
                        Err(AppError::Network) => match last_seen.get_value() {
                            Some(home) => view! {
                                <p class="notice-text" role="status">
                                    "You\u{2019}re offline. This is how things were when you were last online."
                                </p>
                                <HomeBody home check_in travel tick zone_asked/>
                            }
                            .into_any(),
                            None => failed(AppError::Network),
                        },
                        Err(error) => failed(error),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn HomeBody(
    home: HomeView,
    check_in: ServerAction<CheckIn>,
    travel: ServerAction<AnswerTravel>,
    tick: RwSignal<u32>,
    zone_asked: StoredValue<bool>,
) -> impl IntoView {
    // The browser tells the server its zone once, so a Contact's times read "your time".
    let known_zone = home.time_zone.clone();
    Effect::new(move |_| {
        if zone_asked.get_value() {
            return;
        }
        if let Some(zone) = browser_zone().filter(|z| *z != known_zone) {
            zone_asked.set_value(true);
            leptos::task::spawn_local(async move {
                if remember_zone(zone).await.is_ok() {
                    tick.update(|t| *t += 1);
                }
            });
        }
    });
    let nothing_yet = !home.is_member && home.watching.is_empty() && home.pending.is_empty();
    let billing = home.billing.clone();
    let banner = billing.banner.clone().map(|words| {
        let paused = billing.alerts_paused;
        view! {
            <section class="banner-warning" role="status" aria-labelledby="billing-banner-title">
                <h2 id="billing-banner-title">{if paused { "Alerts are paused" } else { "Alerts will stop soon" }}</h2>
                <p>{words}</p>
                <a class="button primary" href="/billing">{if paused { "Add payment" } else { "Plan and payment" }}</a>
            </section>
        }
    });
    view! {
        <div class="home">
            {banner}
            {home.needs_consent.then(|| view! { <ConsentCard/> })}
            {home.is_member.then(|| view! { <MyCheckIn day=home.my_day.clone() me=home.user_id.clone() check_in travel/> })}
            {(!home.watching.is_empty() || !home.pending.is_empty())
                .then(|| view! { <Watching watching=home.watching.clone() pending=home.pending.clone()/> })}
            {(!home.watching.is_empty() || home.my_day.is_some()).then(|| view! {
                <crate::alerts::device::DeviceAlerts looks_out=!home.watching.is_empty()/>
            })}
            {nothing_yet.then(|| view! {
                <section class="card" aria-labelledby="start-title">
                    <h2 id="start-title">"Let\u{2019}s get you connected"</h2>
                    <p>"Invite the person you look out for, or someone to look out for you."</p>
                    <a class="button primary" href="/connections">"Invite someone"</a>
                </section>
            })}
            <p class="lead">
                "You\u{2019}re signed in as " <strong class="address">{home.email.clone()}</strong> "."
            </p>
            // People, Notifications and Settings are the tabs (issue 18); "Sign
            // out" is in Settings, behind a confirmation.
            <p><a class="standalone" href="/join">"I have an invite code"</a></p>
            <crate::pwa::InstallCard/>
        </div>
    }
}

/// "Your check-in": the deadline, the countdown, the button, and who is told.
#[component]
fn MyCheckIn(
    day: Option<MyDay>,
    me: String,
    check_in: ServerAction<CheckIn>,
    travel: ServerAction<AnswerTravel>,
) -> impl IntoView {
    let Some(day) = day else {
        return view! {
            <section class="card" aria-labelledby="my-title">
                <h2 id="my-title">"Your check-in"</h2>
                <p>"Choose the time by which you\u{2019}ll tap \u{201c}I\u{2019}m OK\u{201d} each day."</p>
                <a class="button primary" href="/schedule">"Choose my check-in time"</a>
            </section>
        }
        .into_any();
    };
    let query = use_query_map();
    let countdown = RwSignal::new(day.countdown.clone());
    #[cfg(feature = "hydrate")]
    {
        let deadline_ms = day.deadline_ms;
        Effect::new(move |_| {
            every(60, move || {
                let minutes = ((deadline_ms as f64 - js_sys::Date::now()) / 60_000.0).ceil() as i64;
                countdown.set(rules::countdown_words(minutes));
            })
        });
    }
    let checked_in_at = day.checked_in_at.clone();
    let announce = {
        let at = checked_in_at.clone();
        move || match query.read().get("checked").as_deref() {
            Some("now") => Some(CHECKED_IN.to_string()),
            Some("again") => at.as_ref().map(|t| already_words(t)),
            _ => None,
        }
    };
    let pwa = use_context::<crate::pwa::PwaEvents>().unwrap_or_default();
    let offline_note = move || pwa.note.get();
    // Kept offline: the words are in the status line, not an error.
    let error = {
        let raw = error_of(check_in);
        Signal::derive(move || raw.get().filter(|e| e != crate::pwa::QUEUED))
    };
    let pending = check_in.pending();
    // A tap kept offline by the service worker (its answer, or its later word).
    let queued = {
        let raw = error_of(check_in);
        move || {
            raw.get().as_deref() == Some(crate::pwa::QUEUED)
                || pwa.note.get() == Some(crate::pwa::QUEUED)
        }
    };
    let which = day.which.clone();
    let label = {
        let at = checked_in_at.clone();
        move || match (&at, pending.get()) {
            (_, true) => "Checking in\u{2026}".to_string(),
            (Some(t), false) => format!("Checked in at {t}"),
            (None, false) if queued() => "Waiting to send\u{2026}".to_string(),
            (None, false) => "I\u{2019}m OK".to_string(),
        }
    };
    let done = checked_in_at.is_some();
    let away_link = format!("/people/{me}");
    let travel_card = day
        .travel
        .clone()
        .map(|prompt| view! { <TravelCard prompt action=travel/> });
    view! {
        {travel_card}
        <section class="card my-checkin" aria-labelledby="my-title">
            <h2 id="my-title">"Your check-in"</h2>
            {match (&day.paused, done) {
                (Some(p), _) => view! { <p class="banner">{p.clone()}</p> }.into_any(),
                (None, false) if day.missed.is_some() => view! {
                    <p class="banner banner-warning" id="my-missed">{day.missed.clone()}</p>
                }.into_any(),
                (None, true) => view! {
                    <p class="banner">"Next check-in: " <strong>{day.deadline_words.clone()}</strong></p>
                }.into_any(),
                (None, false) => view! {
                    <p class="banner">
                        "Next check-in: " <strong>{day.deadline_words.clone()}</strong>
                        <span class="countdown">" (" {move || countdown.get()} ")"</span>
                    </p>
                }.into_any(),
            }}
            {day.may_run_late.then(|| view! {
                <a class="button secondary" href=format!("/people/{me}/late")>"Running late today?"</a>
            })}
            <ActionForm action=check_in attr:class="checkin-form">
                <button type="submit" class="checkin-button" class:done=done aria-busy=move || pending.get().to_string()>
                    {label}
                    {which.map(|w| view! { <span class="which">{format!("for {w}")}</span> })}
                </button>
            </ActionForm>
            {(!day.windows.is_empty()).then(|| view! {
                <h3>"Today\u{2019}s check-ins"</h3>
                <ul class="plain-list today-windows">
                    {day.windows.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}
                </ul>
            })}
            <p class="checkin-status" role="status" aria-live="polite">{announce} {offline_note}</p>
            <FormAlert id="checkin-error" message=error/>
            <h3>"Who sees your check-in"</h3>
            {if day.contacts.is_empty() {
                view! { <p>"No one yet. " <a href="/connections">"Invite someone to look out for you"</a></p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list">
                        {day.contacts.iter().map(|c| view! {
                            <li>
                                <span class="name">{c.name.clone()}</span>
                                " "
                                <a class="contact-link" href=format!("mailto:{}", c.email)>{format!("Email {}", c.name)}</a>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <a class="button secondary" href=format!("{away_link}/plan")>"My plan if I miss a check-in"</a>
            <a class="button secondary" href=format!("{away_link}/order")>"Who is told if I miss a check-in"</a>
            <a class="button secondary" href=away_link>"I\u{2019}m away (pause) and my last 30 days"</a>
        </section>
    }
    .into_any()
}

/// "People you look after": every Member with a status.
#[component]
fn Watching(watching: Vec<Watched>, pending: Vec<String>) -> impl IntoView {
    view! {
        <section aria-labelledby="watching-title">
            <h2 id="watching-title">"People you look after"</h2>
            <ul class="people">
                {watching.into_iter().map(|w| view! {
                    <li class="card person watched">
                        <h3>{w.name.clone()}</h3>
                        <p><span class=w.status.class()>{w.status.badge()}</span></p>
                        <p class="headline">{w.headline.clone()}</p>
                        {(!w.windows.is_empty()).then(|| view! {
                            <ul class="plain-list today-windows" aria-label=format!("{}\u{2019}s check-ins today", w.name)>
                                {w.windows.iter().map(|l| view! { <li>{l.clone()}</li> }).collect_view()}
                            </ul>
                        })}
                        {w.last_checkin.clone().map(|l| view! { <p>{l}</p> })}
                        {w.on_it.clone().map(|o| view! { <p class="on-it">{o}</p> })}
                        <div class="row-actions">
                            {w.alert_href.clone().map(|href| view! {
                                <a class="button primary" href=href>{format!("Open the alert about {}", w.name)}</a>
                            })}
                            <a class="button secondary" href=format!("/people/{}", w.member_id)>
                                {format!("{}: last 30 days", w.name)}
                            </a>
                            <CallLinks name=w.name.clone() phone=w.phone.clone()/>
                            <a class="button secondary" href=format!("mailto:{}", w.email)>{format!("Email {}", w.name)}</a>
                        </div>
                    </li>
                }).collect_view()}
                {pending.into_iter().map(|name| view! {
                    <li class="card person watched">
                        <h3>{name.clone()}</h3>
                        <p><span class="badge waiting">"Invite pending"</span></p>
                        <p class="headline">{format!("{name} hasn\u{2019}t joined yet.")}</p>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[component]
pub fn SchedulePage() -> impl IntoView {
    let action = ServerAction::<SaveSchedule>::new();
    let data = Resource::new(|| (), |_| my_schedule());
    // `?first=1`: a step of the first steps after joining.
    let first = use_query_map().read_untracked().get("first").is_some();
    view! {
        <Title text="Check-in time"/>
        <section class="page narrow" aria-labelledby="schedule-title">
            {first.then(|| view! { <p class="step">"Step 2 of 3"</p> })}
            <h1 id="schedule-title">{if first { "Set your daily time" } else { "Your daily check-in time" }}</h1>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(s) => view! { <ScheduleForm s action first/> }.into_any(),
                        Err(error) => failed(error),
                    }
                })}
            </Suspense>
            {(!first).then(|| view! { <crate::calls::pages::DailyCallCard/> })}
        </section>
    }
}

#[component]
fn ScheduleForm(s: ScheduleView, action: ServerAction<SaveSchedule>, first: bool) -> impl IntoView {
    let error = error_of(action);
    let zone = RwSignal::new(s.time_zone.clone());
    if !s.saved {
        // A first schedule starts in this device's zone.
        Effect::new(move |_| {
            if let Some(z) = browser_zone() {
                zone.set(z);
            }
        });
    }
    let lead = s.lead_min;
    let grace = s.grace_min;
    // Not during the first steps: turning reminders on is the very next step.
    let unreachable = s.unreachable.clone().filter(|_| !first);
    view! {
        {unreachable.map(|words| view! {
            <div class="banner banner-warning" id="reminders-unreachable">
                <h2>"Reminders can\u{2019}t reach you"</h2>
                <p>{words}</p>
            </div>
        })}
        <p class="lead">
            "Each day, tap \u{201c}I\u{2019}m OK\u{201d} before this time. If you don\u{2019}t, "
            "we\u{2019}ll let the people who look out for you know."
        </p>
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            {first.then(|| view! { <input type="hidden" name="first" value="1"/> })}
            <div class="field">
                <label for="deadline">"Check in by"</label>
                <p class="hint" id="deadline-hint">"Any time from 3:00 AM to 11:59 PM."</p>
                <input id="deadline" type="time" name="deadline" step="300" min="03:00" max="23:59"
                    aria-describedby="deadline-hint" value=s.deadline.clone() required/>
            </div>
            <DaysSelect id="days".into() label="On which days".into() selected=s.days.clone()/>
            <fieldset class="stack more-check-ins">
                <legend>"More check-ins in a day (if you like)"</legend>
                <p class="hint">
                    "For example a second check-in in the evening, or a later time at weekends. "
                    "Leave a time empty for none. Up to 4 a day, at least 2 hours apart."
                </p>
                {s.more.iter().enumerate().map(|(i, (time, days))| {
                    let n = i + 2;
                    view! {
                        <div class="field">
                            <label for=format!("time{n}")>{format!("Check-in {n}: by")}</label>
                            <input id=format!("time{n}") type="time" name=format!("time{n}") step="300"
                                min="03:00" max="23:59" value=time.clone()/>
                        </div>
                        <DaysSelect id=format!("days{n}") label=format!("Check-in {n}: on which days")
                            selected=days.clone()/>
                    }
                }).collect_view()}
            </fieldset>
            <div class="field">
                <label for="time-zone">"Your time zone"</label>
                <p class="hint" id="zone-hint">"Filled in from this device. For example America/New_York."</p>
                <input id="time-zone" type="text" name="time_zone" autocomplete="off" aria-describedby="zone-hint"
                    prop:value=move || zone.get() value=s.time_zone.clone() required/>
            </div>
            <div class="field">
                <label for="grace">"If I haven\u{2019}t checked in, tell my family after"</label>
                <select id="grace" name="grace">
                    {GRACE_CHOICES.iter().map(|m| view! {
                        <option value=m.to_string() selected=*m == grace>
                            {if *m == 0 { "At once".to_string() } else { format!("{m} minutes") }}
                        </option>
                    }).collect_view()}
                </select>
            </div>
            <div class="check">
                <input id="reminder-on" type="checkbox" name="reminder_on" value="on" checked=s.reminder_on/>
                <label for="reminder-on">"Remind me before my check-in time"</label>
            </div>
            <div class="field">
                <label for="lead">"Remind me"</label>
                <select id="lead" name="lead">
                    {LEAD_CHOICES.iter().map(|m| view! {
                        <option value=m.to_string() selected=*m == lead>{format!("{m} minutes before")}</option>
                    }).collect_view()}
                </select>
            </div>
            <FormAlert id="schedule-error" message=error/>
            <button type="submit" class="button primary">"Save my check-in time"</button>
        </ActionForm>
    }
}

/// Which days a check-in is on: every day, weekdays, weekends or one day.
#[component]
fn DaysSelect(id: String, label: String, selected: String) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <select id=id.clone() name=id>
                {super::windows::Days::CHOICES.iter().map(|(value, words)| view! {
                    <option value=*value selected=*value == selected>{*words}</option>
                }).collect_view()}
            </select>
        </div>
    }
}

#[component]
pub fn MemberPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let pause = ServerAction::<PauseCheckins>::new();
    let end = ServerAction::<EndPause>::new();
    let with = ServerAction::<CheckInFor>::new();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new(
        move || {
            (
                id(),
                pause.version().get(),
                end.version().get(),
                with.version().get(),
            )
        },
        |(id, _, _, _)| load_member(id),
    );
    let notice = move || {
        let q = query.read();
        if q.get("with").is_some() || matches!(with.value().get(), Some(Ok(()))) {
            Some("Checked in. Everyone who looks out for them has been told you are with them.")
        } else if q.get("paused").is_some() {
            Some("Paused. Everyone who looks out for them has been told.")
        } else if q.get("ended").is_some() {
            Some("The pause has ended. Daily check-ins are expected again.")
        } else {
            None
        }
    };
    view! {
        <Title text="Check-ins"/>
        <section class="page" aria-labelledby="member-title">
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(detail) => view! { <MemberBody detail pause end with notice/> }.into_any(),
                        Err(error) => failed(error),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn MemberBody(
    detail: MemberDetail,
    pause: ServerAction<PauseCheckins>,
    end: ServerAction<EndPause>,
    with: ServerAction<CheckInFor>,
    notice: impl Fn() -> Option<&'static str> + Send + Sync + Copy + 'static,
) -> impl IntoView {
    let pause_error = error_of(pause);
    let end_error = error_of(end);
    let with_error = error_of(with);
    let with_id = detail.member_id.clone();
    let with_name = detail.name.clone();
    let late_id = detail.member_id.clone();
    let with_them = detail.may_check_in_for.then(move || {
        let name = with_name;
        let late_words = format!("{name} is running late today");
        view! {
            <section class="card" aria-labelledby="with-title">
                <h2 id="with-title">{format!("With {name} now?")}</h2>
                <p>{format!("If you are with {name} in person, you can check them in. Everyone who looks out for them is told it was you.")}</p>
                <FormAlert id="with-error" message=with_error/>
                <ActionForm action=with>
                    <input type="hidden" name="member" value=with_id/>
                    <button type="submit" class="button primary">{format!("I\u{2019}m with {name} now \u{2014} check them in")}</button>
                </ActionForm>
                <a class="button secondary" href=format!("/people/{late_id}/late")>{late_words}</a>
            </section>
        }
    });
    let title = if detail.is_self {
        "Your check-ins".to_string()
    } else {
        format!("{}\u{2019}s check-ins", detail.name)
    };
    let member_id = detail.member_id.clone();
    let planned = if detail.pauses.is_empty() {
        view! { <p>"No pauses planned."</p> }.into_any()
    } else {
        view! {
            <ul class="plain-list">
                {detail.pauses.clone().into_iter().map(|p| {
                    let m = member_id.clone();
                    view! {
                    <li>
                        <span>{format!("Paused {}", p.words)}</span>
                        <ActionForm action=end>
                            <input type="hidden" name="member" value=m/>
                            <input type="hidden" name="pause" value=p.id/>
                            <button type="submit" class="button secondary">{format!("End the pause ({})", p.words)}</button>
                        </ActionForm>
                    </li>
                    }
                }).collect_view()}
            </ul>
        }.into_any()
    };
    view! {
        <h1 id="member-title">{title}</h1>
        <Show when=move || notice().is_some()>
            <p class="notice-text" role="status">{notice}</p>
        </Show>
        <p class="lead">{detail.headline.clone()}</p>
        {with_them}
        <section class="card" aria-labelledby="missed-plan-title">
            <h2 id="missed-plan-title">"If a check-in is missed"</h2>
            <div class="row-actions">
                <a class="button secondary" href=format!("/people/{}/plan", detail.member_id)>"The plan: who has a key, who to call"</a>
                <a class="button secondary" href=format!("/people/{}/order", detail.member_id)>"Who is told first"</a>
            </div>
        </section>
        <section class="card" aria-labelledby="pause-title">
            <h2 id="pause-title">"Away? Pause the check-ins"</h2>
            {planned}
            <FormAlert id="end-pause-error" message=end_error/>
            <ActionForm action=pause attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="member" value=detail.member_id.clone()/>
                <div class="field">
                    <label for="pause-first">"First day away"</label>
                    <input id="pause-first" type="date" name="first" min=detail.today.clone() value=detail.today.clone() required/>
                </div>
                <div class="field">
                    <label for="pause-last">"Last day away (at most 90 days)"</label>
                    <input id="pause-last" type="date" name="last" min=detail.today.clone() value=detail.today.clone() required/>
                </div>
                <FormAlert id="pause-error" message=pause_error/>
                <button type="submit" class="button primary">"Pause the check-ins"</button>
            </ActionForm>
        </section>
        <section aria-labelledby="history-title">
            <h2 id="history-title">"The last 30 days"</h2>
            <table class="history">
                <thead><tr><th scope="col">"Day"</th><th scope="col">"Check-in"</th></tr></thead>
                <tbody>
                    {detail.days.into_iter().map(|d| {
                        let words = match (&d.at, d.outcome) {
                            (Some(at), DayOutcome::OnTime) => format!("On time, {at}"),
                            (Some(at), DayOutcome::Late) => format!("Late, {at}"),
                            (_, outcome) => outcome.words().to_string(),
                        };
                        let words = [Some(words), d.by, d.handled]
                            .into_iter()
                            .flatten()
                            .collect::<Vec<_>>()
                            .join(". ");
                        view! {
                            <tr class=format!("day {:?}", d.outcome).to_lowercase()>
                                <th scope="row">
                                    {d.day}
                                    {d.window.map(|w| view! { <span class="window">{format!(", {w}")}</span> })}
                                </th>
                                <td>{words}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <a class="button secondary" href="/home">"Back to today"</a>
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| list_notifications());
    view! {
        <Title text="Notifications"/>
        <section class="page" aria-labelledby="notes-title">
            <h1 id="notes-title">"Notifications"</h1>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(list) if list.is_empty() => view! { <p>"Nothing yet."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="notes">
                                {list.into_iter().map(|n| view! {
                                    <li class="card" class:unread=n.unread>
                                        {n.unread.then(|| view! { <span class="badge waiting">"New"</span> " " })}
                                        <p>
                                            {match n.link.clone() {
                                                Some(l) => view! { <a href=l>{n.body.clone()}</a> }.into_any(),
                                                None => view! { <span>{n.body.clone()}</span> }.into_any(),
                                            }}
                                        </p>
                                        <p class="when">{n.when.clone()}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => failed(error),
                    }
                })}
            </Suspense>
            <a class="button secondary" href="/home">"Back to today"</a>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod reminder_path {
    use super::*;

    #[test]
    fn reminders_post_to_the_path_the_service_puts_in_them() {
        use leptos::server_fn::ServerFn;
        assert_eq!(
            ReminderCheckIn::PATH,
            crate::alerts::views::REMINDER_CHECK_IN_PATH
        );
    }
}

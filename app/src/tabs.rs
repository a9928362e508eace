//! The signed-in frame (issue 18): four tabs, Today, People, Notifications (with
//! the unread count) and Settings, as a bar along the bottom on a phone and
//! under the header on a computer; and, after a move between pages in the
//! browser, focus on the new page's heading so a screen reader announces it.
use crate::error::AppError;
use leptos::prelude::*;
use leptos_router::hooks::use_location;
use serde::{Deserialize, Serialize};

/// What the tabs show for the signed-in person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tabs {
    pub unread: i64,
}

/// The tabs' facts, or `None` when nobody is signed in (no tabs then).
#[server]
pub async fn tab_state() -> Result<Option<Tabs>, AppError> {
    use crate::accounts::session::{services, signed_in};
    let Some(me) = signed_in().await? else {
        return Ok(None);
    };
    let services = services()?;
    let mut conn = services.pool.acquire().await?;
    let unread = crate::notify::inbox::unread_count(&mut conn, me.user_id).await?;
    Ok(Some(Tabs { unread }))
}

/// The four tabs and which one is current (`path` is the page's path).
pub fn tab_links(path: &str, unread: i64) -> Vec<(&'static str, String, bool)> {
    let current = |prefixes: &[&str]| {
        prefixes
            .iter()
            .any(|p| path == *p || path.starts_with(&format!("{p}/")))
    };
    vec![
        (
            "/home",
            "Today".to_string(),
            current(&["/home", "/schedule", "/people", "/alerts"]),
        ),
        (
            "/connections",
            "People".to_string(),
            current(&["/connections", "/join"]),
        ),
        (
            "/notifications",
            if unread > 0 {
                format!("Notifications ({unread} new)")
            } else {
                "Notifications".to_string()
            },
            current(&["/notifications"]),
        ),
        (
            "/settings",
            "Settings".to_string(),
            current(&["/settings", "/devices", "/billing"]),
        ),
    ]
}

/// The tab bar; reloaded on every move between pages (the unread count).
#[component]
pub fn TabBar() -> impl IntoView {
    let location = use_location();
    let path = move || location.pathname.get();
    let state = Resource::new(path, |_| tab_state());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let Ok(Some(tabs)) = state.await else {
                    return ().into_any();
                };
                let here = path();
                view! {
                    <nav class="tabbar" aria-label="Main">
                        <ul>
                            {tab_links(&here, tabs.unread).into_iter().map(|(href, label, current)| view! {
                                <li>
                                    <a href=href aria-current=current.then_some("page")>{label}</a>
                                </li>
                            }).collect_view()}
                        </ul>
                    </nav>
                }
                .into_any()
            })}
        </Transition>
    }
}

/// After a move between pages in the browser (not the first load), focus moves
/// to the new page's main heading.
///
/// `routing` is the router's "a navigation is under way" signal: a page whose
/// code is loaded on demand (`crate::lazy`) shows only once its code has arrived,
/// so the heading is looked for when the navigation ends, not when the address
/// changes.
pub fn focus_heading_on_navigation(routing: ReadSignal<bool>) {
    let was_routing = StoredValue::new(false);
    Effect::new(move |_| {
        let now = routing.get();
        if was_routing.get_value() && !now {
            request_animation_frame(focus_main_heading);
        }
        was_routing.set_value(now);
    });
}

/// Focuses `main h1` (made focusable for this) in the browser.
fn focus_main_heading() {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::wasm_bindgen::JsCast;
        let heading = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.query_selector("main h1").ok().flatten())
            .and_then(|h| h.dyn_into::<web_sys::HtmlElement>().ok());
        if let Some(h) = heading {
            let _ = h.set_attribute("tabindex", "-1");
            let _ = h.focus();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_tab_is_marked_and_the_count_shown() {
        let tabs = tab_links("/people/abc", 2);
        assert!(tabs[0].2, "a Member's page belongs to Today");
        assert_eq!(tabs[2].1, "Notifications (2 new)");
        assert!(tab_links("/settings/delete", 0)[3].2);
        assert_eq!(tab_links("/home", 0)[2].1, "Notifications");
        assert_eq!(tab_links("/home", 0).iter().filter(|t| t.2).count(), 1);
    }
}

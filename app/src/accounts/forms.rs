//! Pieces the account forms share: the message box, the hidden time-zone field,
//! the code entry and the PIN fields. Each form works as a plain HTML form before
//! the WASM loads and gets better after.
use crate::error::AppError;
use crate::validation::EmailCode;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The words of an action's last error, if it failed.
pub fn error_of<S>(action: ServerAction<S>) -> Signal<Option<String>>
where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Signal::derive(move || {
        action.value().with(|v| {
            v.as_ref()
                .and_then(|r| r.as_ref().err().map(AppError::message))
        })
    })
}

/// A message box read out as soon as it changes. Empty until there is something to say.
#[component]
pub fn FormAlert(id: &'static str, #[prop(into)] message: Signal<Option<String>>) -> impl IntoView {
    view! {
        <div id=id class="form-alert" role="alert">
            {move || message.get().map(|m| view! { <p>{m}</p> })}
        </div>
    }
}

/// The browser's offset from UTC in minutes (east positive), so that the server
/// can name times as the person's clock shows them. Empty without JavaScript.
#[component]
pub fn TzField() -> impl IntoView {
    let offset = RwSignal::new(String::new());
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let minutes = -js_sys::Date::new_0().get_timezone_offset();
        offset.set(format!("{}", minutes as i32));
    });
    view! { <input type="hidden" name="tz" value=move || offset.get()/> }
}

/// The browser's IANA time zone ("Pacific/Honolulu"), in the browser only.
pub fn browser_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new())
                .resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into())
            .ok()
            .and_then(|z| z.as_string())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

/// A hidden `zone` field with the browser's time zone (like "Europe/London"), so an
/// account starts in the right zone. Empty without JavaScript.
#[component]
pub fn ZoneField() -> impl IntoView {
    let zone = RwSignal::new(String::new());
    Effect::new(move |_| {
        if let Some(z) = browser_zone() {
            zone.set(z);
        }
    });
    view! { <input type="hidden" name="zone" value=move || zone.get()/> }
}

/// Reads the `tz` field sent by [`TzField`].
pub fn parse_offset(tz: Option<String>) -> Option<i32> {
    tz.and_then(|t| t.trim().parse::<i32>().ok())
        .filter(|m| m.abs() <= 18 * 60)
}

/// A 4-digit PIN field: big, numeric keypad on phones, hidden as it is typed.
#[component]
pub fn PinField(
    name: &'static str,
    label: &'static str,
    #[prop(default = "new-password")] autocomplete: &'static str,
    #[prop(optional)] autofocus: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                class="pin-input"
                type="password"
                name=name
                inputmode="numeric"
                pattern="[0-9]*"
                maxlength="4"
                autocomplete=autocomplete
                required
                autofocus=autofocus
            />
        </div>
    }
}

/// The 6-digit code. Before the WASM loads it is one plain field; after, six boxes
/// that move on by themselves as digits are typed, step back on Backspace, and take
/// a whole pasted code at once. Either way the form sends one `code` field.
#[component]
pub fn CodeEntry(#[prop(into)] initial: String) -> impl IntoView {
    let enhanced = RwSignal::new(false);
    let initial_digits: Vec<char> = EmailCode::parse(&initial)
        .map(|c| c.expose().chars().collect())
        .unwrap_or_default();
    let digits: [RwSignal<String>; 6] = std::array::from_fn(|i| {
        RwSignal::new(
            initial_digits
                .get(i)
                .map(|c| c.to_string())
                .unwrap_or_default(),
        )
    });
    let boxes: [NodeRef<leptos::html::Input>; 6] = std::array::from_fn(|_| NodeRef::new());
    let joined = move || digits.iter().map(|d| d.get()).collect::<String>();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| enhanced.set(true));

    let focus = move |i: usize| {
        if let Some(input) = boxes.get(i).and_then(|b| b.get()) {
            let _ = input.focus();
            input.select();
        }
    };
    // Puts pasted or auto-filled digits into the boxes from `start` on.
    let fill_from = move |start: usize, text: &str| {
        let typed: Vec<char> = text.chars().filter(|c| c.is_ascii_digit()).collect();
        if typed.is_empty() {
            digits[start].set(String::new());
            return;
        }
        if let Ok(code) = EmailCode::parse(text) {
            for (i, c) in code.expose().chars().enumerate() {
                digits[i].set(c.to_string());
            }
            focus(5);
            return;
        }
        let mut at = start;
        for c in typed {
            if at > 5 {
                break;
            }
            digits[at].set(c.to_string());
            at += 1;
        }
        focus(at.min(5));
    };

    view! {
        <div class="field">
            <label for="field-code" id="code-label">"Code from the email"</label>
            {move || {
                if enhanced.get() {
                    view! {
                        <input type="hidden" name="code" value=joined/>
                        <div class="code-boxes" role="group" aria-labelledby="code-label">
                            {(0..6)
                                .map(|i| {
                                    view! {
                                        <input
                                            id=(i == 0).then_some("field-code")
                                            node_ref=boxes[i]
                                            class="code-box"
                                            type="text"
                                            inputmode="numeric"
                                            autocomplete=if i == 0 { "one-time-code" } else { "off" }
                                            aria-label=format!("Digit {} of 6", i + 1)
                                            prop:value=move || digits[i].get()
                                            on:input=move |ev| fill_from(i, &event_target_value(&ev))
                                            on:keydown=move |ev| {
                                                if ev.key() == "Backspace" && digits[i].get_untracked().is_empty() && i > 0 {
                                                    ev.prevent_default();
                                                    digits[i - 1].set(String::new());
                                                    focus(i - 1);
                                                }
                                            }
                                            on:paste=move |ev| {
                                                #[cfg(feature = "hydrate")]
                                                {
                                                    let text = ev
                                                        .clipboard_data()
                                                        .and_then(|d| d.get_data("text").ok())
                                                        .unwrap_or_default();
                                                    ev.prevent_default();
                                                    fill_from(i, &text);
                                                }
                                                #[cfg(not(feature = "hydrate"))]
                                                let _ = ev;
                                            }
                                        />
                                    }
                                })
                                .collect_view()}
                        </div>
                    }
                        .into_any()
                } else {
                    view! {
                        <input
                            id="field-code"
                            class="code-input"
                            type="text"
                            name="code"
                            inputmode="numeric"
                            autocomplete="one-time-code"
                            maxlength="40"
                            value=initial.clone()
                            required
                        />
                    }
                        .into_any()
                }
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_read_leniently() {
        assert_eq!(parse_offset(Some("-300".into())), Some(-300));
        assert_eq!(parse_offset(Some(" 60 ".into())), Some(60));
        assert_eq!(parse_offset(Some("".into())), None);
        assert_eq!(parse_offset(Some("abc".into())), None);
        assert_eq!(parse_offset(Some("5000".into())), None);
        assert_eq!(parse_offset(None), None);
    }
}

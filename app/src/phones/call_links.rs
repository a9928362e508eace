//! "Call Mum" and "Text Mum": `tel:` and `sms:` links for a Contact, shown only
//! where the number may be seen (her consent, or the number the Contact gave).
use leptos::prelude::*;

/// The `tel:`/`sms:` target for an E.164 number: digits and the leading "+" only,
/// so nothing typed elsewhere can shape the link.
pub fn dial_target(number: &str) -> Option<String> {
    let digits: String = number
        .chars()
        .enumerate()
        .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect();
    (digits.trim_start_matches('+').len() >= 7).then_some(digits)
}

/// Two buttons, or nothing without a usable number.
#[component]
pub fn CallLinks(name: String, phone: Option<String>) -> impl IntoView {
    phone.as_deref().and_then(dial_target).map(|number| {
        view! {
            <a class="button secondary" href=format!("tel:{number}")>{format!("Call {name}")}</a>
            <a class="button secondary" href=format!("sms:{number}")>{format!("Text {name}")}</a>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_number_reaches_the_link() {
        assert_eq!(
            dial_target("+447700900123").as_deref(),
            Some("+447700900123")
        );
        assert_eq!(
            dial_target("+1 (808) 555-0101").as_deref(),
            Some("+18085550101")
        );
        assert_eq!(dial_target("+44?body=x"), None);
        assert_eq!(dial_target("12+34567890").as_deref(), Some("1234567890"));
    }
}

//! Text size: Standard 1.0, Large 1.25, Extra Large 1.5, applied to the whole page
//! through the root font size (every length in the style sheet is in rem/em).
//! Before sign-in the choice lives in a cookie; the server renders it into
//! `<html data-text-size>`, and the browser reads it back from there when it wakes.
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

pub const COOKIE_NAME: &str = "pruuf_text_size";

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextSize {
    #[default]
    Standard,
    Large,
    ExtraLarge,
}

impl TextSize {
    pub const ALL: [TextSize; 3] = [TextSize::Standard, TextSize::Large, TextSize::ExtraLarge];

    pub fn as_str(self) -> &'static str {
        match self {
            TextSize::Standard => "standard",
            TextSize::Large => "large",
            TextSize::ExtraLarge => "extra-large",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value.trim())
    }

    pub fn label(self) -> &'static str {
        match self {
            TextSize::Standard => "Standard",
            TextSize::Large => "Large",
            TextSize::ExtraLarge => "Extra large",
        }
    }

    /// The multiple of the browser's own base size.
    pub fn scale(self) -> f32 {
        match self {
            TextSize::Standard => 1.0,
            TextSize::Large => 1.25,
            TextSize::ExtraLarge => 1.5,
        }
    }

    /// Finds our cookie in a `Cookie:` header; anything unreadable counts as absent.
    pub fn from_cookie_header(header: &str) -> Option<Self> {
        header.split(';').find_map(|pair| {
            let (name, value) = pair.split_once('=')?;
            (name.trim() == COOKIE_NAME)
                .then(|| Self::parse(value))
                .flatten()
        })
    }
}

/// The text size in force for this page view, shared by every component.
#[derive(Clone, Copy)]
pub struct CurrentTextSize(pub RwSignal<TextSize>);

/// The size to start from: the request's cookie on the server, the server-rendered
/// `<html data-text-size>` in the browser, so that both agree during hydration.
pub fn initial_text_size() -> TextSize {
    #[cfg(feature = "ssr")]
    if let Some(parts) = use_context::<http::request::Parts>() {
        return parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(TextSize::from_cookie_header)
            .unwrap_or_default();
    }
    #[cfg(feature = "hydrate")]
    if let Some(root) = crate::page_root() {
        return root
            .get_attribute("data-text-size")
            .and_then(|v| TextSize::parse(&v))
            .unwrap_or_default();
    }
    TextSize::default()
}

/// Keeps `<html data-text-size>` in step with the chosen size once the page is live.
pub fn reflect_on_page(current: RwSignal<TextSize>) {
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let size = current.get();
        if let Some(root) = crate::page_root() {
            let _ = root.set_attribute("data-text-size", size.as_str());
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = current;
}

/// Sets this device's text-size cookie on the response being built.
#[cfg(feature = "ssr")]
pub fn remember_on_device(size: TextSize) -> Result<(), crate::error::AppError> {
    use crate::error::AppError;
    use http::header::{HeaderValue, SET_COOKIE};
    let secure = use_context::<crate::security::Site>()
        .map(|site| site.secure_cookies)
        .unwrap_or(true);
    let cookie = format!(
        "{COOKIE_NAME}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly{}",
        size.as_str(),
        if secure { "; Secure" } else { "" }
    );
    let response = use_context::<leptos_axum::ResponseOptions>()
        .ok_or_else(|| AppError::Internal.with_status())?;
    let value = HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal.with_status())?;
    response.append_header(SET_COOKIE, value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for size in TextSize::ALL {
            assert_eq!(TextSize::parse(size.as_str()), Some(size));
            let json = serde_json::to_string(&size).expect("serialise");
            assert_eq!(json, format!("\"{}\"", size.as_str()));
        }
        assert_eq!(TextSize::parse("huge"), None);
    }

    #[test]
    fn scales_are_the_three_levels() {
        let scales: Vec<f32> = TextSize::ALL.iter().map(|s| s.scale()).collect();
        assert_eq!(scales, vec![1.0, 1.25, 1.5]);
    }

    #[test]
    fn reads_the_cookie_among_others() {
        assert_eq!(
            TextSize::from_cookie_header("a=1; pruuf_text_size=extra-large; b=2"),
            Some(TextSize::ExtraLarge)
        );
        assert_eq!(TextSize::from_cookie_header("pruuf_text_size=giant"), None);
        assert_eq!(TextSize::from_cookie_header("other=large"), None);
        assert_eq!(TextSize::from_cookie_header(""), None);
    }
}

//! A browser without a screen: keeps cookies between calls to an in-process router,
//! sends our Origin on posts, and posts forms the way a page without JavaScript
//! does (Accept: text/html) or the way the WASM does (no HTML accepted).
use crate::{Call, Reply};
use axum::Router;
use std::collections::BTreeMap;

pub struct Browser {
    app: Router,
    cookies: BTreeMap<String, String>,
    user_agent: String,
}

impl Browser {
    pub fn new(app: &Router) -> Self {
        Browser {
            app: app.clone(),
            cookies: BTreeMap::new(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0 Safari/537.36".into(),
        }
    }

    pub fn with_user_agent(mut self, ua: &str) -> Self {
        self.user_agent = ua.to_string();
        self
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn set_cookie(&mut self, name: &str, value: &str) {
        self.cookies.insert(name.to_string(), value.to_string());
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Sends any request as this browser (its cookies, and keeps what it is given).
    pub async fn send(&mut self, mut call: Call) -> Reply {
        call = call.header("user-agent", &self.user_agent.clone());
        if !self.cookies.is_empty() {
            call = call.header("cookie", &self.cookie_header());
        }
        let reply = call.send(&self.app).await;
        for value in reply.headers.get_all("set-cookie") {
            let Ok(text) = value.to_str() else { continue };
            let Some((pair, attributes)) = text.split_once(';').or(Some((text, ""))) else {
                continue;
            };
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let expired = attributes.to_ascii_lowercase().contains("max-age=0");
            if expired || value.is_empty() {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_string(), value.trim().to_string());
            }
        }
        reply
    }

    pub async fn get(&mut self, path: &str) -> Reply {
        self.send(Call::get(path).header("accept", "text/html"))
            .await
    }

    /// A form post from a page whose WASM has loaded (the answer is data).
    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.send(Call::post(path).form(form)).await
    }

    /// A form post from a page without JavaScript (the answer is a redirect).
    pub async fn post_html(&mut self, path: &str, referer: &str, form: &[(&str, &str)]) -> Reply {
        let referer = format!("{}{}", crate::ORIGIN, referer);
        self.send(
            Call::post(path)
                .header("accept", "text/html")
                .header("referer", &referer)
                .form(form),
        )
        .await
    }
}

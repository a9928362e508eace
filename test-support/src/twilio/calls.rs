//! The stand-in's Programmable Voice: `POST /2010-04-01/Accounts/{sid}/Calls.json`
//! places a call (queued) as Twilio does; the test (or a person, through the
//! controls) then plays the callee: answering fetches the app's TwiML from the
//! call's `Url`, a key posts `Digits` to the `<Gather>`'s `action`, and the end of
//! the call is posted to its `StatusCallback`, each signed as Twilio signs them
//! (over the full URL the app gave, with the auth token). Requests go to the
//! app's address set with [`FakeTwilio::set_app_url`] (the app's public origin
//! need not be where it listens, as behind a proxy).
use super::{error, url_decode, FakeTwilio};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use std::collections::VecDeque;

/// One call the stand-in placed.
#[derive(Debug, Clone)]
pub struct PlacedCall {
    pub sid: String,
    pub to: String,
    pub from: String,
    /// Where Twilio asks what to say when it is answered.
    pub url: String,
    pub status_callback: String,
    /// The app asked for answering-machine detection.
    pub machine_detection: bool,
    /// queued, in-progress, completed, busy, no-answer
    pub status: String,
    pub answered_by: Option<String>,
    /// Each TwiML document the app answered, in order.
    pub said: Vec<String>,
    /// The last `<Gather>`'s action: where the keys go.
    pub gather_action: Option<String>,
    /// The last keys request posted to the app (where, and its form), kept so
    /// a test can replay it as an attacker who captured it would.
    pub last_keys: Option<(String, Vec<(String, String)>)>,
}

/// What went wrong playing a call.
pub type Played = Result<(u16, String), String>;

pub(super) async fn create(
    State(fake): State<FakeTwilio>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !fake.authorised(&sid, &headers) {
        return error(401, 20003, "Authenticate");
    }
    let form = url_decode(&body);
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let (to, url) = (get("To"), get("Url"));
    if to.is_empty() {
        return error(400, 21201, "No 'To' number is specified");
    }
    if url.is_empty() {
        return error(400, 21205, "Url parameter is required.");
    }
    let scripted = fake
        .inner
        .lock()
        .ok()
        .and_then(|mut i| i.scripted.get_mut(&to).and_then(VecDeque::pop_front));
    if let Some((status, code)) = scripted {
        return error(status, code.unwrap_or(20500), "scripted failure");
    }
    let call = PlacedCall {
        sid: fake.next_sid("CA"),
        to,
        from: get("From"),
        url,
        status_callback: get("StatusCallback"),
        machine_detection: !get("MachineDetection").is_empty(),
        status: "queued".into(),
        answered_by: None,
        said: Vec::new(),
        gather_action: None,
        last_keys: None,
    };
    let answer = json!({
        "sid": call.sid, "status": "queued", "to": call.to, "from": call.from,
        "account_sid": fake.account_sid, "direction": "outbound-api",
    });
    if let Ok(mut i) = fake.inner.lock() {
        i.calls.push(call);
    }
    (StatusCode::CREATED, Json(answer)).into_response()
}

/// The first `<Gather … action="…">` of a TwiML document, unescaped.
fn gather_action(twiml: &str) -> Option<String> {
    let tag_start = twiml.find("<Gather")?;
    let tag = &twiml[tag_start..];
    let tag = &tag[..tag.find('>')?];
    let at = tag.find("action=\"")? + "action=\"".len();
    let raw = &tag[at..];
    let raw = &raw[..raw.find('"')?];
    Some(
        raw.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

impl FakeTwilio {
    /// Every call placed, oldest first.
    pub fn calls(&self) -> Vec<PlacedCall> {
        self.inner
            .lock()
            .map(|i| i.calls.clone())
            .unwrap_or_default()
    }

    pub fn calls_to(&self, number: &str) -> Vec<PlacedCall> {
        self.calls()
            .into_iter()
            .filter(|c| c.to == number)
            .collect()
    }

    /// Where the app listens (its webhooks' paths are sent here).
    pub fn set_app_url(&self, url: &str) {
        if let Ok(mut u) = self.app_url.lock() {
            *u = Some(url.trim_end_matches('/').to_string());
        }
    }

    fn call(&self, sid: &str) -> Result<PlacedCall, String> {
        self.inner
            .lock()
            .map_err(|_| "the stand-in's state is poisoned".to_string())?
            .calls
            .iter()
            .find(|c| c.sid == sid)
            .cloned()
            .ok_or_else(|| format!("no call {sid}"))
    }

    fn update(&self, sid: &str, change: impl FnOnce(&mut PlacedCall)) {
        if let Ok(mut i) = self.inner.lock() {
            if let Some(c) = i.calls.iter_mut().find(|c| c.sid == sid) {
                change(c);
            }
        }
    }

    fn call_form(&self, c: &PlacedCall, status: &str) -> Vec<(String, String)> {
        let mut form: Vec<(String, String)> = [
            ("CallSid", c.sid.as_str()),
            ("AccountSid", self.account_sid.as_str()),
            ("From", c.from.as_str()),
            ("To", c.to.as_str()),
            ("CallStatus", status),
            ("Direction", "outbound-api"),
            ("ApiVersion", "2010-04-01"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        if let Some(by) = &c.answered_by {
            form.push(("AnsweredBy".into(), by.clone()));
        }
        form
    }

    /// Posts `form` to one of the app's URLs (`url` as the app gave it: it is
    /// signed as it is; the request goes to the app's address).
    async fn to_app(&self, url: &str, form: &[(String, String)]) -> Played {
        let app = self
            .app_url
            .lock()
            .ok()
            .and_then(|u| u.clone())
            .ok_or("the stand-in does not know where the app listens")?;
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        let signature = self.sign(url, form);
        super::post_form(&format!("{app}{path}"), form, &signature)
            .await
            .map_err(|e| format!("the app could not be reached: {e}"))
    }

    /// The callee answers: Twilio asks the app what to say.
    pub async fn answer(&self, sid: &str) -> Played {
        self.pick_up(sid, "human").await
    }

    /// An answering machine takes the call (answering-machine detection says so).
    pub async fn machine(&self, sid: &str) -> Played {
        let played = self.pick_up(sid, "machine_end_beep").await?;
        self.ended(sid, "completed", "20").await?;
        Ok(played)
    }

    async fn pick_up(&self, sid: &str, by: &str) -> Played {
        let call = self.call(sid)?;
        if call.status != "queued" {
            return Err(format!("call {sid} is {}, not ringing", call.status));
        }
        let answered_by = call.machine_detection.then(|| by.to_string());
        self.update(sid, |c| {
            c.status = "in-progress".into();
            c.answered_by = answered_by.clone();
        });
        let call = self.call(sid)?;
        let form = self.call_form(&call, "in-progress");
        let (status, twiml) = self.to_app(&call.url, &form).await?;
        let action = gather_action(&twiml);
        let ends = action.is_none();
        self.update(sid, |c| {
            c.said.push(twiml.clone());
            c.gather_action = action;
        });
        if ends && by == "human" {
            self.ended(sid, "completed", "10").await?;
        }
        Ok((status, twiml))
    }

    /// The callee presses keys: they go to the `<Gather>`'s action; then the
    /// call ends. The answer is the action's.
    pub async fn press(&self, sid: &str, digits: &str) -> Played {
        let call = self.call(sid)?;
        let action = match (&call.gather_action, call.status.as_str()) {
            (Some(a), "in-progress") => a.clone(),
            _ => return Err(format!("call {sid} is not waiting for keys")),
        };
        let mut form = self.call_form(&call, "in-progress");
        form.push(("Digits".into(), digits.into()));
        form.push(("FinishedOnKey".into(), String::new()));
        let (status, twiml) = self.to_app(&action, &form).await?;
        self.update(sid, |c| {
            c.said.push(twiml.clone());
            c.gather_action = gather_action(&twiml);
            c.last_keys = Some((action, form));
        });
        self.ended(sid, "completed", "30").await?;
        Ok((status, twiml))
    }

    /// Posts the call's last keys request again, byte for byte and signed as
    /// it was (a replay: Twilio's signature has no time in it).
    pub async fn replay_keys(&self, sid: &str) -> Played {
        let call = self.call(sid)?;
        let Some((action, form)) = call.last_keys else {
            return Err(format!("call {sid} has had no keys"));
        };
        self.to_app(&action, &form).await
    }

    /// The callee hangs up without a key.
    pub async fn hang_up(&self, sid: &str) -> Played {
        let call = self.call(sid)?;
        if call.status != "in-progress" {
            return Err(format!("call {sid} is {}, not answered", call.status));
        }
        self.ended(sid, "completed", "15").await
    }

    /// The line is busy.
    pub async fn busy(&self, sid: &str) -> Played {
        self.unanswered(sid, "busy").await
    }

    /// Nobody answers.
    pub async fn no_answer(&self, sid: &str) -> Played {
        self.unanswered(sid, "no-answer").await
    }

    async fn unanswered(&self, sid: &str, how: &str) -> Played {
        let call = self.call(sid)?;
        if call.status != "queued" {
            return Err(format!("call {sid} is {}, not ringing", call.status));
        }
        self.ended(sid, how, "0").await
    }

    /// The call is over: its status callback, as Twilio posts it.
    async fn ended(&self, sid: &str, status: &str, duration: &str) -> Played {
        self.update(sid, |c| {
            c.status = status.into();
            c.gather_action = None;
        });
        let call = self.call(sid)?;
        if call.status_callback.is_empty() {
            return Ok((0, String::new()));
        }
        let mut form = self.call_form(&call, status);
        form.push(("CallDuration".into(), duration.into()));
        self.to_app(&call.status_callback, &form).await
    }
}

/// `GET /__fake/calls`: every call, with what the app said on it.
pub(super) async fn list(State((fake, _)): State<(FakeTwilio, String)>) -> Json<serde_json::Value> {
    Json(serde_json::Value::Array(
        fake.calls()
            .into_iter()
            .map(|c| {
                json!({ "sid": c.sid, "to": c.to, "from": c.from, "status": c.status,
                        "answered_by": c.answered_by, "said": c.said })
            })
            .collect(),
    ))
}

/// `POST /__fake/calls/{sid}/{action}`: answer, press (`{"digits": "1"}`),
/// hang-up, busy, no-answer, machine.
pub(super) async fn play(
    State((fake, _)): State<(FakeTwilio, String)>,
    Path((sid, action)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    if fake.call(&sid).is_err() {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": "no such call" })),
        )
            .into_response();
    }
    let digits = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["digits"].as_str().map(str::to_string))
        .unwrap_or_else(|| "1".into());
    let played = match action.as_str() {
        "answer" => fake.answer(&sid).await,
        "press" => fake.press(&sid, &digits).await,
        "hang-up" => fake.hang_up(&sid).await,
        "busy" => fake.busy(&sid).await,
        "no-answer" => fake.no_answer(&sid).await,
        "machine" => fake.machine(&sid).await,
        _ => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({ "error": "answer, press, hang-up, busy, no-answer or machine" })),
            )
                .into_response()
        }
    };
    match played {
        Ok((status, twiml)) => (
            StatusCode::OK,
            Json(json!({ "status": status, "twiml": twiml })),
        )
            .into_response(),
        Err(why) => (StatusCode::CONFLICT, Json(json!({ "error": why }))).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gathers_action_is_read_and_unescaped() {
        let twiml = r#"<?xml version="1.0"?><Response><Pause length="1"/><Gather numDigits="1" action="http://x.example/next?a=1&amp;b=2" method="POST"><Say>Hi</Say></Gather></Response>"#;
        assert_eq!(
            gather_action(twiml).as_deref(),
            Some("http://x.example/next?a=1&b=2")
        );
        assert_eq!(
            gather_action("<Response><Say>Bye</Say><Hangup/></Response>"),
            None
        );
    }
}

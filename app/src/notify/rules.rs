//! The pure rules of the outbox: how long a worker holds a delivery, how many
//! sends of a channel run at once and for how long, reading a provider's answer,
//! when a failed send is tried again, and how a text is written for SMS and
//! Twilio's answer read. No I/O.
use super::{Channel, Kind};
use chrono::{DateTime, Duration, Utc};

/// How long a worker holds a claimed delivery before another may take it over.
pub const LEASE: Duration = Duration::seconds(60);

/// Waits after the 1st, 2nd, ... failed attempt; after the last, the delivery fails.
pub const BACKOFF: [Duration; 5] = [
    Duration::seconds(30),
    Duration::minutes(2),
    Duration::minutes(10),
    Duration::minutes(30),
    Duration::hours(2),
];

/// A row whose workers never answered this many tries in a row (each time the
/// lease ran out: the send crashed or hung the process) is failed at claim time,
/// visibly, instead of being taken by every process forever. A real failure is
/// answered and follows [`after_failure`]; only a poisoned row gets here.
pub const LAPSED_TRIES: i32 = 5;

/// What a row failed at claim time says.
pub const LAPSED_WORDS: &str = "no worker finished sending it: given up after 5 tries in a row";

/// An answer waits at most this long to be recorded with others (one statement
/// for many sent rows); a fast relay fills a batch far sooner.
pub const RECORD_WITHIN: std::time::Duration = std::time::Duration::from_millis(50);

/// A worker pass claims at most this many deliveries (a few at a time, as slots
/// free up); the worker then starts the next pass at once.
pub const PASS_CLAIMS: usize = 256;

/// How one channel's sends run in one process: how many at once, and how long one
/// may take before it counts as a passing failure. Every deadline is well inside
/// [`LEASE`], so a send that hangs can never outlive its claim and be sent twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    pub at_once: usize,
    pub deadline: std::time::Duration,
}

/// How long one request to Twilio may take: inside the text and call
/// channels' send deadline, so a request Twilio took is never cut off by the
/// deadline and then tried again as if it had not been (a text sent twice, a
/// phone rung twice).
pub const TWILIO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(8);

/// The limits of `channel`: a slow or hostile endpoint holds one of its slots for
/// at most the deadline, never the queue.
pub fn send_limits(channel: Channel) -> SendLimits {
    let (at_once, secs) = match channel {
        Channel::Email => (32, 15),
        Channel::Push => (32, 5),
        Channel::Sms => (8, 10),
        Channel::Call => (8, 10),
    };
    SendLimits {
        at_once,
        deadline: std::time::Duration::from_secs(secs),
    }
}

/// A provider's answer to one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth trying again later (timeouts, 5xx, 429).
    Transient(String),
    /// Never going to work (a bad address, a subscription gone).
    Permanent(String),
    /// No longer wanted (a daily check-in call after she checked in, or after
    /// she stopped her daily calls): canceled, not failed.
    NotNeeded(String),
}

impl SendError {
    /// Its words, for the trail.
    pub fn words(&self) -> &str {
        match self {
            SendError::Transient(w) | SendError::Permanent(w) | SendError::NotNeeded(w) => w,
        }
    }
}

/// What becomes of a delivery after an attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    RetryAt(DateTime<Utc>),
    GiveUp,
    /// Nobody needs it any more.
    Cancel,
}

/// Said on a message an earlier try may already have delivered (its worker
/// stopped mid-send): a rare duplicate is labelled, never silent.
pub const SENT_AGAIN: &str = "(sent again)";

/// A message's title, labelled when it may be a duplicate.
pub fn title_of(title: &str, maybe_sent: bool) -> String {
    if maybe_sent {
        format!("{title} {SENT_AGAIN}")
    } else {
        title.to_string()
    }
}

/// An alert about a missed check-in is tried for this long after it was written
/// (unless the Member checks in or someone says "I'm on it"), not for [`BACKOFF`]'s
/// 2 h 43 min only.
pub const ALERT_KEEPS_TRYING: Duration = Duration::hours(24);
/// After [`BACKOFF`], an alert is tried again this often.
pub const ALERT_RETRY_EVERY: Duration = Duration::minutes(30);

/// `attempts` counts the tries made so far, this one included. `keep_until`:
/// for an alert, when trying stops (see [`ALERT_KEEPS_TRYING`]).
pub fn after_failure(
    error: &SendError,
    attempts: i32,
    now: DateTime<Utc>,
    keep_until: Option<DateTime<Utc>>,
) -> AfterFailure {
    match error {
        SendError::Permanent(_) => AfterFailure::GiveUp,
        SendError::NotNeeded(_) => AfterFailure::Cancel,
        SendError::Transient(_) => usize::try_from(attempts)
            .ok()
            .and_then(|n| n.checked_sub(1))
            .and_then(|i| BACKOFF.get(i))
            .map(|wait| AfterFailure::RetryAt(now + *wait))
            .or_else(|| {
                keep_until
                    .filter(|until| now < *until)
                    .map(|until| AfterFailure::RetryAt((now + ALERT_RETRY_EVERY).min(until)))
            })
            .unwrap_or(AfterFailure::GiveUp),
    }
}

/// A daily check-in call, or the call confirming her number, that Twilio
/// would not take is tried again only this soon after it was written: the
/// call pass places the day's second call itself, and a call rung long after
/// its time would only startle her.
pub const OWN_CALL_TRIES_FOR: Duration = Duration::minutes(5);

/// How long after it was placed a call's webhooks are still taken (the
/// longest call we make lasts a few minutes; a signed request replayed later
/// changes nothing).
pub const CALL_LIVE_MINUTES: i64 = 60;

/// [`after_failure`] for `kind`: a Member's own calls are not retried past
/// [`OWN_CALL_TRIES_FOR`] (given up instead; her check-in's alert path goes
/// on as ever).
pub fn after_failure_of(
    kind: Kind,
    error: &SendError,
    attempts: i32,
    now: DateTime<Utc>,
    created_at: DateTime<Utc>,
) -> AfterFailure {
    let keep_until = kind.is_alert().then(|| created_at + ALERT_KEEPS_TRYING);
    match after_failure(error, attempts, now, keep_until) {
        AfterFailure::RetryAt(at)
            if matches!(kind, Kind::DailyCall | Kind::CallConfirm)
                && at > created_at + OWN_CALL_TRIES_FOR =>
        {
            AfterFailure::GiveUp
        }
        other => other,
    }
}

/// An HTTP provider's status, read as success, a passing failure or a final one.
pub fn classify_status(status: u16) -> Result<(), SendError> {
    match status {
        200..=299 => Ok(()),
        408 | 425 | 429 | 500..=599 => {
            Err(SendError::Transient(format!("provider answered {status}")))
        }
        _ => Err(SendError::Permanent(format!("provider answered {status}"))),
    }
}

/// A message written for SMS: plain ASCII where the text allows it (curly quotes,
/// dashes and the ellipsis become their plain forms, so one segment holds 160
/// characters, not 70); names keep their letters (José stays José).
pub fn sms_text(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' => "'".to_string(),
            '\u{201c}' | '\u{201d}' => "\"".to_string(),
            '\u{2013}' | '\u{2014}' => "-".to_string(),
            '\u{2026}' => "...".to_string(),
            '\u{a0}' => " ".to_string(),
            '\u{b7}' => "-".to_string(),
            c => c.to_string(),
        })
        .collect()
}

/// How many SMS segments a text takes: GSM-7 (160, or 153 each when split) when
/// every character is in its basic set, else UCS-2 (70, or 67).
pub fn segments(text: &str) -> usize {
    const GSM: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    let gsm = text.chars().all(|c| GSM.contains(c));
    let n = text.chars().count();
    let (one, each) = if gsm { (160, 153) } else { (70, 67) };
    if n <= one {
        1
    } else {
        n.div_ceil(each)
    }
}

/// What a failed send means for the number as well as for the delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberFate {
    /// Nothing to say about the number.
    Unchanged,
    /// 21610: the person replied STOP to us.
    OptedOut,
    /// 21211 (invalid), 21614 (not a mobile), 21612 (cannot be reached from our number).
    Unusable,
}

/// Reads Twilio's answer to a send: its HTTP status and, for errors, its error code.
/// Returns whether to retry, and what it means for the number.
pub fn read_twilio_error(status: u16, code: Option<i64>) -> (bool, NumberFate) {
    match code {
        Some(21610) => (false, NumberFate::OptedOut),
        Some(21211) | Some(21614) | Some(21612) => (false, NumberFate::Unusable),
        _ => {
            let retry = matches!(status, 408 | 425 | 429 | 500..=599) || status == 0;
            (retry, NumberFate::Unchanged)
        }
    }
}

/// What became of a call (`deliveries.provider_status` of a call), in words
/// for its trail.
pub fn call_outcome_words(outcome: Option<&str>) -> &'static str {
    match outcome {
        Some("pressed") => "answered, and a key was pressed",
        Some("answered" | "completed") => "answered, no key pressed",
        Some("machine") => "an answering machine took it: a message was left",
        Some("busy") => "the line was busy",
        Some("no-answer") => "no answer",
        Some("failed" | "canceled") => "the call could not be made",
        _ => "ringing",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notify::Kind;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn failures_back_off_then_give_up() {
        let now = t("2026-11-26T20:00:00Z");
        let passing = SendError::Transient("500".into());
        let waits: Vec<_> = (1..=5)
            .map(|n| match after_failure(&passing, n, now, None) {
                AfterFailure::RetryAt(at) => (at - now).num_seconds(),
                AfterFailure::GiveUp | AfterFailure::Cancel => -1,
            })
            .collect();
        assert_eq!(waits, vec![30, 120, 600, 1800, 7200]);
        assert_eq!(after_failure(&passing, 6, now, None), AfterFailure::GiveUp);
        assert_eq!(after_failure(&passing, 0, now, None), AfterFailure::GiveUp);
        assert_eq!(
            after_failure(&SendError::Permanent("gone".into()), 1, now, None),
            AfterFailure::GiveUp
        );
        assert_eq!(
            after_failure(&SendError::NotNeeded("checked in".into()), 1, now, None),
            AfterFailure::Cancel,
            "a call nobody needs is canceled, not failed nor tried again"
        );
    }

    #[test]
    fn her_own_calls_are_tried_again_for_minutes_only_and_alerts_for_a_day() {
        let written = t("2026-11-26T19:00:00Z");
        let passing = SendError::Transient("503".into());
        // A daily call Twilio refused: again after 30 s and 2 min, then never
        // (the 10-minute wait would ring after the pass's own second call).
        let tries: Vec<_> = [
            (1, "2026-11-26T19:00:00Z"),
            (2, "2026-11-26T19:00:30Z"),
            (3, "2026-11-26T19:02:30Z"),
        ]
        .into_iter()
        .map(|(n, now)| after_failure_of(Kind::DailyCall, &passing, n, t(now), written))
        .collect();
        assert_eq!(
            tries,
            vec![
                AfterFailure::RetryAt(t("2026-11-26T19:00:30Z")),
                AfterFailure::RetryAt(t("2026-11-26T19:02:30Z")),
                AfterFailure::GiveUp,
            ]
        );
        assert_eq!(
            after_failure_of(
                Kind::CallConfirm,
                &passing,
                3,
                t("2026-11-26T19:02:30Z"),
                written
            ),
            AfterFailure::GiveUp
        );
        // An alert call keeps trying past the backoff, as every alert does.
        assert_eq!(
            after_failure_of(
                Kind::Missed,
                &passing,
                6,
                t("2026-11-26T22:00:00Z"),
                written
            ),
            AfterFailure::RetryAt(t("2026-11-26T22:30:00Z"))
        );
        // Other messages follow the backoff alone.
        assert_eq!(
            after_failure_of(
                Kind::Reminder,
                &passing,
                6,
                t("2026-11-26T22:00:00Z"),
                written
            ),
            AfterFailure::GiveUp
        );
    }

    #[test]
    fn an_alert_keeps_trying_every_half_hour_until_its_day_is_over() {
        let now = t("2026-11-26T23:00:00Z");
        let passing = SendError::Transient("relay down".into());
        let until = Some(t("2026-11-27T20:00:00Z"));
        assert_eq!(
            after_failure(&passing, 6, now, until),
            AfterFailure::RetryAt(t("2026-11-26T23:30:00Z"))
        );
        assert_eq!(
            after_failure(&passing, 40, t("2026-11-27T19:50:00Z"), until),
            AfterFailure::RetryAt(t("2026-11-27T20:00:00Z")),
            "the last try at the end, not after it"
        );
        assert_eq!(
            after_failure(&passing, 41, t("2026-11-27T20:00:00Z"), until),
            AfterFailure::GiveUp
        );
        assert_eq!(
            after_failure(
                &SendError::Permanent("no such mailbox".into()),
                1,
                now,
                until
            ),
            AfterFailure::GiveUp,
            "a bounce is final: the other channels and Contacts take over"
        );
        assert!(Kind::Missed.is_alert() && Kind::MissedAgain.is_alert());
        assert!(!Kind::LateUpdate.is_alert() && !Kind::Test.is_alert());
    }

    #[test]
    fn provider_statuses_are_read_as_passing_or_final() {
        assert_eq!(classify_status(201), Ok(()));
        for s in [429, 500, 503, 408] {
            assert!(
                matches!(classify_status(s), Err(SendError::Transient(_))),
                "{s}"
            );
        }
        for s in [400, 404, 410, 413] {
            assert!(
                matches!(classify_status(s), Err(SendError::Permanent(_))),
                "{s}"
            );
        }
    }

    #[test]
    fn a_calls_outcome_reads_as_words() {
        assert_eq!(call_outcome_words(Some("no-answer")), "no answer");
        assert!(call_outcome_words(Some("machine")).contains("message was left"));
        assert_eq!(call_outcome_words(None), "ringing");
    }

    #[test]
    fn every_send_deadline_ends_well_inside_the_lease() {
        for channel in Channel::ALL {
            let limits = send_limits(channel);
            assert!(limits.at_once >= 1, "{channel}");
            let deadline = Duration::from_std(limits.deadline).expect("deadline");
            assert!(deadline * 2 < LEASE, "{channel}: {deadline} vs {LEASE}");
            if matches!(channel, Channel::Sms | Channel::Call) {
                assert!(
                    TWILIO_TIMEOUT < send_limits(channel).deadline,
                    "{channel}: Twilio's answer comes before the deadline cuts it off"
                );
            }
        }
        assert!(LAPSED_WORDS.contains(&format!("after {LAPSED_TRIES} tries in a row")));
        // A missed alert fans out: dozens of mails at once, not one after another.
        assert!(send_limits(Channel::Email).at_once >= 16);
    }

    #[test]
    fn each_kind_of_mail_has_its_button() {
        assert_eq!(Kind::Missed.action_words(), "I\u{2019}m on it");
        assert_eq!(Kind::Reminder.action_words(), "Check in now");
        assert_eq!(Kind::CheckedIn.action_words(), "See the details");
    }

    #[test]
    fn a_possible_duplicate_says_so() {
        assert_eq!(
            title_of("Mum hasn't checked in today", false),
            "Mum hasn't checked in today"
        );
        assert_eq!(
            title_of("Mum hasn't checked in today", true),
            "Mum hasn't checked in today (sent again)"
        );
    }

    #[test]
    fn messages_are_plain_ascii_where_they_can_be() {
        assert_eq!(
            sms_text(
                "O\u{2019}Brien hasn\u{2019}t checked in \u{2014} call \u{201c}now\u{201d}\u{2026}"
            ),
            "O'Brien hasn't checked in - call \"now\"..."
        );
        assert_eq!(sms_text("José"), "José");
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments("José is OK"), 1, "é is in GSM-7");
        assert_eq!(
            segments(&format!("{}\u{1f600}", "a".repeat(70))),
            2,
            "emoji: UCS-2"
        );
    }

    #[test]
    fn twilio_errors_say_whether_to_retry_and_what_became_of_the_number() {
        assert_eq!(
            read_twilio_error(400, Some(21211)),
            (false, NumberFate::Unusable)
        );
        assert_eq!(
            read_twilio_error(400, Some(21614)),
            (false, NumberFate::Unusable)
        );
        assert_eq!(
            read_twilio_error(400, Some(21610)),
            (false, NumberFate::OptedOut)
        );
        assert_eq!(
            read_twilio_error(429, Some(20429)),
            (true, NumberFate::Unchanged)
        );
        assert_eq!(read_twilio_error(503, None), (true, NumberFate::Unchanged));
        assert_eq!(
            read_twilio_error(401, Some(20003)),
            (false, NumberFate::Unchanged)
        );
    }
}

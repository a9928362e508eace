//! The pure rules of proving who you are (SPEC §3; seed 001 L5543-5562):
//! one-time email codes and the PIN lockout ladder. No I/O: the caller reads the
//! facts from the database, asks these functions, and writes the answer back in
//! the same transaction.
use chrono::{DateTime, Duration, Utc};

/// A code is good for ten minutes.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);
/// Wrong tries allowed on one code before it is spent.
pub const CODE_MAX_WRONG_TRIES: u32 = 5;
/// Codes sent to one address within any hour.
pub const CODES_PER_HOUR: usize = 5;
/// A new code may be asked for this long after the last one.
pub const RESEND_AFTER: Duration = Duration::seconds(60);

/// Why no new code is sent now, and when one can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    TooSoon { retry_at: DateTime<Utc> },
    HourlyLimit { retry_at: DateTime<Utc> },
}

/// May a new code go to an address that was sent codes at `sent` (any order)?
pub fn may_send_code(now: DateTime<Utc>, sent: &[DateTime<Utc>]) -> Result<(), CodeRefusal> {
    if let Some(latest) = sent.iter().copied().filter(|t| *t <= now).max() {
        if now < latest + RESEND_AFTER {
            return Err(CodeRefusal::TooSoon {
                retry_at: latest + RESEND_AFTER,
            });
        }
    }
    let window_start = now - Duration::hours(1);
    let mut in_window: Vec<DateTime<Utc>> = sent
        .iter()
        .copied()
        .filter(|t| *t > window_start && *t <= now)
        .collect();
    if in_window.len() >= CODES_PER_HOUR {
        in_window.sort();
        // The earliest one leaving the window frees a place.
        let frees = in_window[in_window.len() - CODES_PER_HOUR] + Duration::hours(1);
        return Err(CodeRefusal::HourlyLimit { retry_at: frees });
    }
    Ok(())
}

/// What is stored about one code (its hash lives beside this, not here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeState {
    pub sent_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub wrong_tries: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeVerdict {
    /// Right, in time, unused: mark it used.
    Accept,
    /// Wrong: count the try. `tries_left` is 0 when this try spent the code.
    Wrong {
        tries_left: u32,
    },
    Expired,
    AlreadyUsed,
    /// Spent by earlier wrong tries; ask for a new code.
    TooManyTries,
}

/// Judges one attempt at a code. `matches` is the constant-time comparison of the
/// typed code with the stored hash.
pub fn judge_code(state: CodeState, now: DateTime<Utc>, matches: bool) -> CodeVerdict {
    if state.used_at.is_some() {
        CodeVerdict::AlreadyUsed
    } else if now >= state.sent_at + CODE_LIFETIME {
        CodeVerdict::Expired
    } else if state.wrong_tries >= CODE_MAX_WRONG_TRIES {
        CodeVerdict::TooManyTries
    } else if matches {
        CodeVerdict::Accept
    } else {
        CodeVerdict::Wrong {
            tries_left: CODE_MAX_WRONG_TRIES - (state.wrong_tries + 1),
        }
    }
}

/// Failed PIN log-ins (since the last success, within 24 h) that start each step.
pub const SHORT_LOCK_AT: u32 = 5;
pub const LONG_LOCK_AT: u32 = 10;
pub const DISABLE_AT: u32 = 20;
pub const SHORT_LOCK: Duration = Duration::minutes(5);
pub const LONG_LOCK: Duration = Duration::minutes(15);
/// Failures older than this no longer count.
pub const FAILURE_WINDOW: Duration = Duration::hours(24);

/// What one more failed PIN log-in leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    Nothing,
    LockedUntil(DateTime<Utc>),
    /// PIN log-in is off until the PIN is reset with an email code.
    PinLoginDisabled,
}

/// `failures` counts the recent failures including this one.
pub fn after_failed_pin(failures: u32, now: DateTime<Utc>) -> AfterFailure {
    if failures >= DISABLE_AT {
        AfterFailure::PinLoginDisabled
    } else if failures >= LONG_LOCK_AT {
        AfterFailure::LockedUntil(now + LONG_LOCK)
    } else if failures >= SHORT_LOCK_AT {
        AfterFailure::LockedUntil(now + SHORT_LOCK)
    } else {
        AfterFailure::Nothing
    }
}

/// May a PIN log-in be tried now? Checked before the PIN is even looked at, so a
/// locked account answers the same whether the PIN is right or wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinGate {
    Open,
    LockedUntil(DateTime<Utc>),
    Disabled,
}

pub fn pin_gate(
    locked_until: Option<DateTime<Utc>>,
    pin_login_disabled: bool,
    now: DateTime<Utc>,
) -> PinGate {
    match (pin_login_disabled, locked_until) {
        (true, _) => PinGate::Disabled,
        (false, Some(until)) if now < until => PinGate::LockedUntil(until),
        _ => PinGate::Open,
    }
}

/// Log-in attempts, and code requests or checks, allowed from one IP address in an
/// hour (each counted separately). The server can raise it (PRUUF_IP_LIMIT_PER_HOUR)
/// for a test suite whose every browser shares 127.0.0.1.
pub const IP_ATTEMPTS_PER_HOUR: u32 = 20;

/// How long a verified email address may be used to finish sign-up or a PIN reset.
pub const VERIFIED_EMAIL_LIFETIME: Duration = Duration::minutes(20);

/// `attempts` counts this one.
pub fn ip_allowed(attempts: i64, limit: u32) -> bool {
    attempts <= i64::from(limit)
}

/// Where to go after signing up or logging in, if the page asked: only a path on
/// this site (never another site, which would make us an open redirect).
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 200;
    local.then(|| next.to_string())
}

/// A clock time as people read it, e.g. "9:05 AM", at `offset_minutes` east of UTC.
/// Without the browser's offset (no JavaScript) the time is given in UTC and says so.
pub fn clock_time(at: DateTime<Utc>, offset_minutes: Option<i32>) -> String {
    use chrono::{FixedOffset, Offset, Timelike};
    let offset = offset_minutes
        .filter(|m| m.abs() <= 18 * 60)
        .and_then(|m| FixedOffset::east_opt(m * 60));
    let local = at.with_timezone(&offset.unwrap_or_else(|| Utc.fix()));
    let (pm, hour) = local.hour12();
    let text = format!(
        "{hour}:{:02} {}",
        local.minute(),
        if pm { "PM" } else { "AM" }
    );
    if offset.is_some() {
        text
    } else {
        format!("{text} UTC")
    }
}

/// What a person sees when a PIN log-in is not allowed now.
pub fn gate_message(
    gate: PinGate,
    now: DateTime<Utc>,
    offset_minutes: Option<i32>,
) -> Option<String> {
    match gate {
        PinGate::Open => None,
        PinGate::LockedUntil(until) => {
            let minutes = ((until - now).num_seconds() + 59) / 60;
            Some(format!(
                "For your safety, log-in is paused after several wrong PINs. \
                 Please try again in {minutes} minute{} (at {}), or reset your PIN with an email code.",
                if minutes == 1 { "" } else { "s" },
                clock_time(until, offset_minutes)
            ))
        }
        PinGate::Disabled => Some(
            "For your safety, log-in with a PIN is turned off after many wrong PINs. \
             Please choose \u{201c}Forgot your PIN?\u{201d} to set a new one with an email code."
                .to_string(),
        ),
    }
}

/// A short name for a signed-in device, from its browser's User-Agent header.
pub fn device_label(user_agent: &str) -> String {
    let ua = user_agent.to_ascii_lowercase();
    let browser = if ua.contains("edg/") {
        "Edge"
    } else if ua.contains("firefox/") {
        "Firefox"
    } else if ua.contains("chrome/") || ua.contains("chromium/") || ua.contains("crios/") {
        "Chrome"
    } else if ua.contains("safari/") {
        "Safari"
    } else {
        "A web browser"
    };
    let system = if ua.contains("iphone") {
        Some("iPhone")
    } else if ua.contains("ipad") {
        Some("iPad")
    } else if ua.contains("android") {
        Some("Android")
    } else if ua.contains("windows") {
        Some("Windows")
    } else if ua.contains("mac os") || ua.contains("macintosh") {
        Some("Mac")
    } else if ua.contains("cros") {
        Some("Chromebook")
    } else if ua.contains("linux") {
        Some("Linux")
    } else {
        None
    };
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 25, h, m, s)
            .single()
            .expect("valid")
    }

    #[test]
    fn first_code_goes_out() {
        assert_eq!(may_send_code(t(9, 0, 0), &[]), Ok(()));
    }

    #[test]
    fn resend_waits_sixty_seconds() {
        let sent = [t(9, 0, 0)];
        assert_eq!(
            may_send_code(t(9, 0, 59), &sent),
            Err(CodeRefusal::TooSoon {
                retry_at: t(9, 1, 0)
            })
        );
        assert_eq!(may_send_code(t(9, 1, 0), &sent), Ok(()));
    }

    #[test]
    fn five_codes_an_hour_at_most() {
        let sent = [
            t(9, 0, 0),
            t(9, 5, 0),
            t(9, 10, 0),
            t(9, 15, 0),
            t(9, 20, 0),
        ];
        assert_eq!(
            may_send_code(t(9, 30, 0), &sent),
            Err(CodeRefusal::HourlyLimit {
                retry_at: t(10, 0, 0)
            })
        );
        assert_eq!(
            may_send_code(t(10, 0, 0), &sent),
            Ok(()),
            "the 9:00 code left the hour"
        );
        assert_eq!(may_send_code(t(9, 30, 0), &sent[1..]), Ok(()));
    }

    fn fresh(at: DateTime<Utc>) -> CodeState {
        CodeState {
            sent_at: at,
            used_at: None,
            wrong_tries: 0,
        }
    }

    #[test]
    fn a_right_code_in_time_is_accepted_once() {
        let code = fresh(t(9, 0, 0));
        assert_eq!(judge_code(code, t(9, 9, 59), true), CodeVerdict::Accept);
        let used = CodeState {
            used_at: Some(t(9, 5, 0)),
            ..code
        };
        assert_eq!(judge_code(used, t(9, 6, 0), true), CodeVerdict::AlreadyUsed);
    }

    #[test]
    fn codes_expire_after_ten_minutes() {
        assert_eq!(
            judge_code(fresh(t(9, 0, 0)), t(9, 10, 0), true),
            CodeVerdict::Expired
        );
    }

    #[test]
    fn five_wrong_tries_spend_a_code() {
        let mut code = fresh(t(9, 0, 0));
        for left in (0..5).rev() {
            assert_eq!(
                judge_code(code, t(9, 1, 0), false),
                CodeVerdict::Wrong { tries_left: left }
            );
            code.wrong_tries += 1;
        }
        assert_eq!(
            judge_code(code, t(9, 1, 0), true),
            CodeVerdict::TooManyTries,
            "even the right code"
        );
    }

    #[test]
    fn twenty_attempts_an_hour_from_one_address() {
        assert!(ip_allowed(20, IP_ATTEMPTS_PER_HOUR));
        assert!(!ip_allowed(21, IP_ATTEMPTS_PER_HOUR));
    }

    #[test]
    fn clock_times_read_naturally_in_the_persons_zone() {
        assert_eq!(clock_time(t(9, 5, 0), Some(0)), "9:05 AM");
        assert_eq!(clock_time(t(9, 5, 0), Some(-300)), "4:05 AM");
        assert_eq!(clock_time(t(13, 30, 0), Some(60)), "2:30 PM");
        assert_eq!(clock_time(t(0, 0, 0), Some(0)), "12:00 AM");
        assert_eq!(clock_time(t(12, 0, 0), None), "12:00 PM UTC");
        assert_eq!(
            clock_time(t(12, 0, 0), Some(100_000)),
            "12:00 PM UTC",
            "nonsense offsets are ignored"
        );
    }

    #[test]
    fn a_lock_says_when_it_ends() {
        let now = t(12, 0, 0);
        let message =
            gate_message(PinGate::LockedUntil(t(12, 5, 0)), now, Some(0)).expect("locked");
        assert!(message.contains("in 5 minutes (at 12:05 PM)"), "{message}");
        let almost =
            gate_message(PinGate::LockedUntil(t(12, 0, 30)), now, Some(0)).expect("locked");
        assert!(almost.contains("in 1 minute (at"), "{almost}");
        assert!(gate_message(PinGate::Disabled, now, None)
            .expect("disabled")
            .contains("Forgot your PIN?"));
        assert_eq!(gate_message(PinGate::Open, now, None), None);
    }

    #[test]
    fn only_paths_on_this_site_are_followed() {
        assert_eq!(
            safe_next(Some("/join?code=K7M2QX")),
            Some("/join?code=K7M2QX".into())
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "join",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn devices_get_plain_names() {
        let pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36";
        assert_eq!(device_label(pixel), "Chrome on Android");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_label(iphone), "Safari on iPhone");
        assert_eq!(
            device_label(
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0"
            ),
            "Firefox on Windows"
        );
        assert_eq!(device_label(""), "A web browser");
    }

    #[test]
    fn the_lockout_ladder() {
        let now = t(12, 0, 0);
        assert_eq!(after_failed_pin(4, now), AfterFailure::Nothing);
        assert_eq!(
            after_failed_pin(5, now),
            AfterFailure::LockedUntil(t(12, 5, 0))
        );
        assert_eq!(
            after_failed_pin(9, now),
            AfterFailure::LockedUntil(t(12, 5, 0))
        );
        assert_eq!(
            after_failed_pin(10, now),
            AfterFailure::LockedUntil(t(12, 15, 0))
        );
        assert_eq!(
            after_failed_pin(19, now),
            AfterFailure::LockedUntil(t(12, 15, 0))
        );
        assert_eq!(after_failed_pin(20, now), AfterFailure::PinLoginDisabled);
    }

    #[test]
    fn the_gate_opens_when_the_lock_ends_but_not_when_disabled() {
        let until = Some(t(12, 5, 0));
        assert_eq!(
            pin_gate(until, false, t(12, 4, 59)),
            PinGate::LockedUntil(t(12, 5, 0))
        );
        assert_eq!(pin_gate(until, false, t(12, 5, 0)), PinGate::Open);
        assert_eq!(pin_gate(None, false, t(12, 0, 0)), PinGate::Open);
        assert_eq!(pin_gate(None, true, t(23, 0, 0)), PinGate::Disabled);
    }
}

//! The pure rules of proving who you are (SPEC §3; seed 001 L5543-5562):
//! one-time email codes and the PIN lockout ladder. No I/O: the caller reads the
//! facts from the database, asks these functions, and writes the answer back in
//! the same transaction.
use crate::validation::Pin;
use chrono::{DateTime, Duration, Utc};

/// A code is good for ten minutes.
pub const CODE_LIFETIME: Duration = Duration::minutes(10);
/// Wrong tries allowed on one code before it is spent.
pub const CODE_MAX_WRONG_TRIES: u32 = 5;
/// Codes sent to one address within any hour.
pub const CODES_PER_HOUR: usize = 5;
/// Codes sent to one address within any 24 hours, so that guessing codes (five
/// wrong tries each) cannot go on all day at the hourly pace.
pub const CODES_PER_DAY: usize = 10;
/// A new code may be asked for this long after the last one.
pub const RESEND_AFTER: Duration = Duration::seconds(60);

/// Why no new code is sent now, and when one can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    TooSoon { retry_at: DateTime<Utc> },
    HourlyLimit { retry_at: DateTime<Utc> },
    DailyLimit { retry_at: DateTime<Utc> },
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
    let hourly = crate::limits::Limit::new(CODES_PER_HOUR, Duration::hours(1));
    let daily = crate::limits::Limit::new(CODES_PER_DAY, Duration::hours(24));
    daily
        .check(now, sent)
        .map_err(|retry_at| CodeRefusal::DailyLimit { retry_at })?;
    hourly
        .check(now, sent)
        .map_err(|retry_at| CodeRefusal::HourlyLimit { retry_at })
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

/// Failed PIN log-ins across the whole site in one minute past which every PIN
/// log-in waits a minute: a spray over many addresses (each under its own
/// ladder) slows everyone down before it gets through.
pub const SITE_FAILURES_PER_MINUTE: i64 = 300;
pub const SITE_BUSY: &str = "Many log-ins are failing right now, so PIN log-in is paused for a minute. Please try again in a minute, or choose \u{201c}Forgot your PIN?\u{201d} to log in with an email code.";

/// A PIN guard on an address without an account is forgotten after this long
/// without a failure.
pub const UNCLAIMED_GUARD_LIFETIME: Duration = Duration::days(30);

/// `failures` counts the failures of the last 24 hours and `strikes` those since
/// the last good log-in or PIN reset, however old; both include this one. Twenty
/// strikes turn PIN log-in off even at a pace slower than the 24-hour ladder, so
/// nobody gets a fresh 19 guesses every day.
pub fn after_failed_pin(failures: u32, strikes: u32, now: DateTime<Utc>) -> AfterFailure {
    if failures >= DISABLE_AT || strikes >= DISABLE_AT {
        AfterFailure::PinLoginDisabled
    } else if failures >= LONG_LOCK_AT {
        AfterFailure::LockedUntil(now + LONG_LOCK)
    } else if failures >= SHORT_LOCK_AT {
        AfterFailure::LockedUntil(now + SHORT_LOCK)
    } else {
        AfterFailure::Nothing
    }
}

/// The key per-IP limits count by: an IPv4 address as it is, an IPv6 one by its
/// /64 (one household or phone gets a whole /64, and can pick any address in it).
pub fn ip_key(ip: &str) -> String {
    match ip.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(v4) => v4.to_string(),
        Err(_) => ip.to_string(),
    }
}

/// The words when a new PIN is one of the first an attacker would try.
pub const TOO_EASY_PIN: &str = "That PIN is too easy to guess. Please choose 4 numbers that are not all the same, not in a row and not a year.";

/// PINs people choose most often (published studies of leaked PINs: repeats,
/// runs, keypad lines, dates): refused when a PIN is set or reset. With these
/// gone, 20 guesses against one address find a PIN far less often.
const COMMON_PINS: &[&str] = &[
    "1212", "1122", "1313", "1010", "2020", "1004", "2580", "0852", "1357", "2468", "1369", "7410",
    "0147", "3690", "9630", "0258", "8520", "1470", "1590", "7530", "3570", "1478", "6969", "0007",
    "1233", "2323", "4545", "5683", "0911", "0101", "2121", "1221", "2112", "0110", "1001", "1230",
    "1231", "2501", "0420", "1000", "2000", "3000", "5000", "0070", "1414", "1515", "1616", "1717",
    "1818", "1919", "0202", "0303", "0404", "0505", "0606", "0707", "0808", "0909", "4200", "1337",
];

/// Is this PIN among the roughly 150 most guessed: the same digit four times, four
/// in a row up or down, a year from 1940 to 2025, or one of `COMMON_PINS`?
pub fn pin_too_easy(pin: &str) -> bool {
    let digits: Vec<i32> = pin
        .bytes()
        .map(|b| i32::from(b) - i32::from(b'0'))
        .collect();
    let step = |d: i32| digits.windows(2).all(|w| w[1] - w[0] == d);
    let year = pin.parse::<u32>().is_ok_and(|y| (1940..=2025).contains(&y));
    step(0) || step(1) || step(-1) || year || COMMON_PINS.contains(&pin)
}

/// A new PIN, as typed twice when it is set or reset: four numbers, the same both
/// times, and not too easy to guess.
pub fn new_pin(pin: &str, again: &str) -> Result<Pin, &'static str> {
    let pin = Pin::parse_confirmed(pin, again)?;
    if pin_too_easy(pin.expose()) {
        Err(TOO_EASY_PIN)
    } else {
        Ok(pin)
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
/// How a person is shown to others: the name they gave, else the part of their
/// address before the "@" (only accounts made before names were asked lack one).
pub fn display_name(name: Option<&str>, email: &str) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_string(),
        None => email.split('@').next().unwrap_or(email).to_string(),
    }
}

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
    #[test]
    fn people_are_shown_by_their_name_and_only_then_their_address() {
        assert_eq!(display_name(Some("Tom"), "tom.k@example.com"), "Tom");
        assert_eq!(display_name(Some("  "), "tom.k@example.com"), "tom.k");
        assert_eq!(display_name(None, "tom.k@example.com"), "tom.k");
    }

    #[test]
    fn the_most_guessed_pins_are_refused_and_ordinary_ones_are_not() {
        for easy in [
            "1234", "0000", "1111", "7777", "1212", "2580", "1004", "1940", "1987", "2025", "4321",
            "6789", "9876",
        ] {
            assert_eq!(new_pin(easy, easy), Err(TOO_EASY_PIN), "{easy}");
        }
        for fine in ["4826", "5937", "6284", "3071", "1939", "2026"] {
            assert!(new_pin(fine, fine).is_ok(), "{fine}");
        }
        let refused = (0..10_000)
            .map(|n| format!("{n:04}"))
            .filter(|p| pin_too_easy(p))
            .count();
        // Ten repeats, fourteen runs, 86 years and the list, less the overlaps.
        assert!((140..=170).contains(&refused), "{refused}");
        // A mismatch is still told first, and bad input is still bad input.
        assert_eq!(
            new_pin("1234", "1235"),
            Err(crate::validation::PIN_MISMATCH_MESSAGE)
        );
        assert_eq!(new_pin("12", "12"), Err(crate::validation::PIN_MESSAGE));
    }

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

    #[test]
    fn ten_codes_a_day_at_most_even_at_the_hourly_pace() {
        // Four an hour, within the hourly limit, ten in all by 11:15.
        let sent: Vec<DateTime<Utc>> = (0..10)
            .map(|i| t(9, 0, 0) + Duration::minutes(15 * i))
            .collect();
        assert_eq!(
            may_send_code(t(12, 0, 0), &sent),
            Err(CodeRefusal::DailyLimit {
                retry_at: t(9, 0, 0) + Duration::hours(24)
            })
        );
        assert_eq!(
            may_send_code(t(9, 0, 0) + Duration::hours(24), &sent),
            Ok(()),
            "the first code left the day"
        );
        assert_eq!(may_send_code(t(12, 0, 0), &sent[1..]), Ok(()));
    }

    #[test]
    fn slow_guessing_still_turns_pin_log_in_off_at_twenty() {
        let now = t(9, 0, 0);
        // Nineteen yesterday and one today: the day's ladder alone would allow it.
        assert_eq!(after_failed_pin(1, 20, now), AfterFailure::PinLoginDisabled);
        assert_eq!(after_failed_pin(1, 19, now), AfterFailure::Nothing);
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        assert_eq!(ip_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(ip_key("2001:db8:1:2:ffff:1:2:3"), ip_key("2001:db8:1:2::9"));
        assert_ne!(ip_key("2001:db8:1:3::1"), ip_key("2001:db8:1:2::1"));
        assert_eq!(ip_key("203.0.113.9"), "203.0.113.9");
        assert_eq!(ip_key("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(ip_key("unknown"), "unknown");
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
        assert_eq!(after_failed_pin(4, 4, now), AfterFailure::Nothing);
        assert_eq!(
            after_failed_pin(5, 5, now),
            AfterFailure::LockedUntil(t(12, 5, 0))
        );
        assert_eq!(
            after_failed_pin(9, 9, now),
            AfterFailure::LockedUntil(t(12, 5, 0))
        );
        assert_eq!(
            after_failed_pin(10, 10, now),
            AfterFailure::LockedUntil(t(12, 15, 0))
        );
        assert_eq!(
            after_failed_pin(19, 19, now),
            AfterFailure::LockedUntil(t(12, 15, 0))
        );
        assert_eq!(
            after_failed_pin(20, 20, now),
            AfterFailure::PinLoginDisabled
        );
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

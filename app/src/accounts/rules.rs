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

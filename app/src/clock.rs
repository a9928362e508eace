//! The one clock. Every piece of code that needs "now" asks a [`Clock`]; nothing
//! reads the system clock directly (clippy's `disallowed-methods` enforces it).
//!
//! In production the clock is the system clock. With the test clock enabled (an
//! explicit setting that a production configuration refuses), time stands still
//! until a test sets or advances it, so tests of deadlines, trials and lockouts
//! never sleep.
use chrono::{DateTime, Duration, Utc};
use std::sync::{Arc, RwLock};

#[derive(Clone, Debug)]
pub struct Clock(Arc<Source>);

#[derive(Debug)]
enum Source {
    System,
    Manual(RwLock<DateTime<Utc>>),
}

/// Asked to move a clock that only the world can move.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the system clock cannot be set; enable the test clock")]
pub struct NotSettable;

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(Source::System))
    }

    /// A clock that stands at `start` until it is set or advanced.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Clock(Arc::new(Source::Manual(RwLock::new(start))))
    }

    /// A manual clock starting at the present instant.
    pub fn manual_from_now() -> Self {
        Self::manual(system_now())
    }

    pub fn now(&self) -> DateTime<Utc> {
        match &*self.0 {
            Source::System => system_now(),
            Source::Manual(t) => *t.read().unwrap_or_else(|poison| poison.into_inner()),
        }
    }

    pub fn set(&self, to: DateTime<Utc>) -> Result<DateTime<Utc>, NotSettable> {
        match &*self.0 {
            Source::System => Err(NotSettable),
            Source::Manual(t) => {
                let mut guard = t.write().unwrap_or_else(|poison| poison.into_inner());
                *guard = to;
                Ok(to)
            }
        }
    }

    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, NotSettable> {
        match &*self.0 {
            Source::System => Err(NotSettable),
            Source::Manual(t) => {
                let mut guard = t.write().unwrap_or_else(|poison| poison.into_inner());
                *guard += by;
                Ok(*guard)
            }
        }
    }
}

#[allow(clippy::disallowed_methods)] // the single place that reads the system clock
fn system_now() -> DateTime<Utc> {
    Utc::now()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 29, h, m, s)
            .single()
            .expect("valid instant")
    }

    #[test]
    fn manual_clock_stands_still_until_moved() {
        let clock = Clock::manual(at(9, 0, 0));
        assert_eq!(clock.now(), at(9, 0, 0));
        assert_eq!(clock.now(), at(9, 0, 0));
        assert_eq!(clock.advance(Duration::seconds(61)), Ok(at(9, 1, 1)));
        assert_eq!(clock.now(), at(9, 1, 1));
        assert_eq!(clock.set(at(23, 59, 59)), Ok(at(23, 59, 59)));
        assert_eq!(clock.now(), at(23, 59, 59));
    }

    #[test]
    fn clones_share_one_time() {
        let clock = Clock::manual(at(9, 0, 0));
        let other = clock.clone();
        clock.advance(Duration::minutes(5)).expect("manual clock");
        assert_eq!(other.now(), at(9, 5, 0));
    }

    #[test]
    fn system_clock_refuses_to_move() {
        let clock = Clock::system();
        assert_eq!(clock.set(at(1, 0, 0)), Err(NotSettable));
        assert_eq!(clock.advance(Duration::hours(1)), Err(NotSettable));
        let a = clock.now();
        assert!(clock.now() >= a);
    }
}

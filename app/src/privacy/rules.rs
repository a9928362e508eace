//! The plain rules of export and deletion (shared by the browser and the server).
use chrono::{DateTime, Duration, Utc};

/// A deleted account's data is purged this long after the deletion.
pub const PURGE_AFTER: Duration = Duration::days(30);

/// The most connections, check-ins… one export section holds, newest first; a
/// person's whole history fits many times over (a check-in a day for 25 years).
pub const EXPORT_ROWS_PER_SECTION: i64 = 10_000;

/// `pruuf-export-2026-12-04.json`
pub fn export_file_name(now: DateTime<Utc>) -> String {
    format!("pruuf-export-{}.json", now.format("%Y-%m-%d"))
}

/// Accounts deleted at or before this are purged at `now`.
pub fn purge_cutoff(now: DateTime<Utc>) -> DateTime<Utc> {
    now - PURGE_AFTER
}

/// What deleting means, in plain words, for someone with these people: who stops
/// being protected, who stops being told.
pub fn consequences(looks_out_for: &[String], looked_out_by: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    if !looks_out_for.is_empty() {
        lines.push(format!(
            "You will no longer be told if {} misses a check-in.",
            names(looks_out_for, "or")
        ));
    }
    if !looked_out_by.is_empty() {
        lines.push(format!(
            "{} will no longer be told if you miss a check-in. We\u{2019}ll let them know you left.",
            names(looked_out_by, "and")
        ));
    }
    lines.push("Any Pruuf plan you pay for ends today, with no more charges.".to_string());
    lines.push(
        "You\u{2019}ll be signed out everywhere. Everything we hold about you is erased after 30 days."
            .to_string(),
    );
    lines
}

fn names(list: &[String], joiner: &str) -> String {
    match list {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} {joiner} {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_file_is_named_for_the_day() {
        let at = Utc
            .with_ymd_and_hms(2026, 12, 4, 23, 59, 0)
            .single()
            .expect("time");
        assert_eq!(export_file_name(at), "pruuf-export-2026-12-04.json");
    }

    #[test]
    fn the_purge_comes_thirty_days_after_the_deletion() {
        let deleted = Utc
            .with_ymd_and_hms(2026, 12, 4, 10, 0, 0)
            .single()
            .expect("time");
        assert!(deleted > purge_cutoff(deleted + Duration::days(29)));
        assert!(deleted <= purge_cutoff(deleted + Duration::days(30)));
    }

    #[test]
    fn the_consequences_name_who_stops_being_protected_and_told() {
        let lines = consequences(&["Mum".into(), "Dad".into()], &["Tom".into()]);
        assert_eq!(
            lines[0],
            "You will no longer be told if Mum or Dad misses a check-in."
        );
        assert!(lines[1].starts_with("Tom will no longer be told"));
        assert_eq!(consequences(&[], &[]).len(), 2);
    }
}

//! The pure rules of an alert's escalation and closing (issue 21): who is told
//! at which step, when the next step or repeat is due, and what a closed alert
//! says. No I/O: the detector reads the facts, asks these, and writes the answer.
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Nobody responded: everyone is alerted again this long after the last step.
pub const REPEAT_EVERY: Duration = Duration::minutes(30);
pub const DEFAULT_REPEATS: i16 = 4;
pub const MOST_REPEATS: i16 = 10;
/// Minutes between two steps.
pub const GAP_MIN: std::ops::RangeInclusive<i16> = 5..=60;
/// Most steps a family can set (the last one also tells everyone not yet told).
pub const MOST_STEPS: i16 = 5;

/// A Member's escalation: everyone at once (`gap_min` None, the default) or
/// step by step, `gap_min` minutes apart; then `repeats` repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub gap_min: Option<i16>,
    pub repeats: i16,
}

impl Default for Escalation {
    fn default() -> Self {
        Escalation {
            gap_min: None,
            repeats: DEFAULT_REPEATS,
        }
    }
}

impl Escalation {
    /// Checks a family's choice: the gap within 5-60 minutes, repeats 0-10.
    pub fn validate(self) -> Result<Self, &'static str> {
        if let Some(gap) = self.gap_min {
            if !GAP_MIN.contains(&gap) {
                return Err("Choose a wait between 5 and 60 minutes.");
            }
        }
        if !(0..=MOST_REPEATS).contains(&self.repeats) {
            return Err("Choose between 0 and 10 repeats.");
        }
        Ok(self)
    }
}

/// The steps of an escalation: for each Contact (in the order given), the step
/// that tells them (1-based), and how many steps there are. Everyone at once is
/// one step. In order, the chosen positions are packed (1, 3 → 1, 2) and
/// Contacts with no position are told at a last step of their own after them:
/// the last step always tells everyone not yet told.
pub fn ladder(escalation: &Escalation, positions: &[Option<i16>]) -> (Vec<i16>, i16) {
    if escalation.gap_min.is_none() {
        return (vec![1; positions.len()], 1);
    }
    let mut chosen: Vec<i16> = positions.iter().flatten().copied().collect();
    chosen.sort_unstable();
    chosen.dedup();
    let unplaced = chosen.len() as i16 + 1;
    let steps: Vec<i16> = positions
        .iter()
        .map(|p| match p {
            Some(p) => chosen
                .iter()
                .position(|c| c == p)
                .map_or(unplaced, |i| i as i16 + 1),
            None => unplaced,
        })
        .collect();
    let total = steps.iter().copied().max().unwrap_or(1);
    (steps, total)
}

/// What comes after a step or repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Tell the Contacts of this step.
    Step(i16),
    /// Tell everyone again (this is repeat number n).
    Repeat(i16),
}

/// After step `step` of `total` and `repeats` repeats, done at `at`: what is
/// next and when, or None when the escalation has run its course.
pub fn next_after(
    escalation: &Escalation,
    step: i16,
    total: i16,
    repeats: i16,
    at: DateTime<Utc>,
) -> Option<(Next, DateTime<Utc>)> {
    if step < total {
        let gap = escalation.gap_min.unwrap_or(0);
        Some((Next::Step(step + 1), at + Duration::minutes(i64::from(gap))))
    } else if repeats < escalation.repeats {
        Some((Next::Repeat(repeats + 1), at + REPEAT_EVERY))
    } else {
        None
    }
}

/// "Tom", "Tom and Anna", "Tom, Anna and Sue".
pub fn names_words(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// "Tom has been told" / "Tom and Anna have been told".
pub fn told_words(names: &[&str]) -> String {
    match names.len() {
        0 => String::new(),
        1 => format!("{} has been told", names[0]),
        _ => format!("{} have been told", names_words(names)),
    }
}

/// Reads the "Who is told first" form: `mode` "all" (everyone at once) or
/// "order" with `gap` minutes between steps, and `repeats`.
pub fn parse_escalation(mode: &str, gap: &str, repeats: &str) -> Result<Escalation, &'static str> {
    let repeats: i16 = repeats
        .trim()
        .parse()
        .map_err(|_| "Choose how many times to repeat the alert.")?;
    let gap_min = match mode.trim() {
        "all" => None,
        "order" => Some(
            gap.trim()
                .parse()
                .map_err(|_| "Choose a wait between 5 and 60 minutes.")?,
        ),
        _ => return Err("Choose everyone at once, or an order."),
    };
    Escalation { gap_min, repeats }.validate()
}

/// One Contact's place from the form: "" (with everyone at the end) or 1-5.
pub fn parse_place(place: &str) -> Result<Option<i16>, &'static str> {
    match place.trim() {
        "" | "last" => Ok(None),
        p => match p.parse::<i16>() {
            Ok(n) if (1..=MOST_STEPS).contains(&n) => Ok(Some(n)),
            _ => Err("Choose a place from the list for each person."),
        },
    }
}

/// The words for a place in the list.
pub fn place_words(place: Option<i16>) -> &'static str {
    match place {
        Some(1) => "Told first",
        Some(2) => "Told second",
        Some(3) => "Told third",
        Some(4) => "Told fourth",
        Some(5) => "Told fifth",
        _ => "Told last, with everyone",
    }
}

/// How a Contact closed an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// "I reached her, she's fine."
    Fine,
    /// "She is in hospital."
    Hospital,
    /// Something else, said in the note.
    Other,
}

/// Longest note on a closed alert.
pub const NOTE_MOST: usize = 500;

impl Outcome {
    pub const ALL: [Outcome; 3] = [Outcome::Fine, Outcome::Hospital, Outcome::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Fine => "fine",
            Outcome::Hospital => "hospital",
            Outcome::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == s.trim())
    }

    /// The choice's words on the form, about the Member called `name`.
    pub fn choice_words(self, name: &str) -> String {
        match self {
            Outcome::Fine => format!("I reached {name}: all is well"),
            Outcome::Hospital => format!("{name} is in hospital"),
            Outcome::Other => "Something else (say what below)".to_string(),
        }
    }

    /// What everyone is told: "Mum is fine", "Mum is in hospital", or the note.
    pub fn told_words(self, name: &str, note: &str) -> String {
        let said = match self {
            Outcome::Fine => format!("{name} is fine"),
            Outcome::Hospital => format!("{name} is in hospital"),
            Outcome::Other => String::new(),
        };
        match (said.is_empty(), note.is_empty()) {
            (true, _) => note.to_string(),
            (false, true) => said,
            (false, false) => format!("{said}. {note}"),
        }
    }
}

impl Outcome {
    /// What happened, without a name (the Member's own history): "all is
    /// well", "in hospital", or the note.
    pub fn brief(self, note: &str) -> String {
        match self {
            Outcome::Fine => "all is well".to_string(),
            Outcome::Hospital => "in hospital".to_string(),
            Outcome::Other => note.to_string(),
        }
    }
}

/// A Contact's "close this alert": what happened, and a note (needed for
/// "something else"). Trimmed; bad input is refused with words to show.
pub fn validate_close(outcome: &str, note: &str) -> Result<(Outcome, String), &'static str> {
    let outcome = Outcome::parse(outcome).ok_or("Choose what happened.")?;
    let note = note.trim();
    if note.chars().count() > NOTE_MOST {
        return Err("Please keep the note under 500 characters.");
    }
    if note.chars().any(|c| c.is_control() && c != '\n') {
        return Err("The note has characters we can\u{2019}t keep.");
    }
    if outcome == Outcome::Other && note.is_empty() {
        return Err("Please say what happened.");
    }
    Ok((outcome, note.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn ordered(gap: i16) -> Escalation {
        Escalation {
            gap_min: Some(gap),
            repeats: DEFAULT_REPEATS,
        }
    }

    #[test]
    fn everyone_at_once_is_one_step_whatever_the_positions() {
        let (steps, total) = ladder(&Escalation::default(), &[Some(2), None, Some(1)]);
        assert_eq!((steps, total), (vec![1, 1, 1], 1));
    }

    #[test]
    fn an_order_packs_positions_and_puts_the_unplaced_last() {
        let (steps, total) = ladder(&ordered(15), &[Some(3), None, Some(1), Some(3)]);
        assert_eq!((steps, total), (vec![2, 3, 1, 2], 3));
        // Everyone placed: the highest position is the last step.
        assert_eq!(ladder(&ordered(15), &[Some(1), Some(2)]), (vec![1, 2], 2));
        // Nobody placed: one step.
        assert_eq!(ladder(&ordered(15), &[None, None]), (vec![1, 1], 1));
        assert_eq!(ladder(&ordered(15), &[]), (vec![], 1));
    }

    #[test]
    fn steps_come_a_gap_apart_then_repeats_every_30_minutes_up_to_the_count() {
        let e = Escalation {
            gap_min: Some(15),
            repeats: 2,
        };
        let t = at("2026-12-04T10:15:00Z");
        assert_eq!(
            next_after(&e, 1, 2, 0, t),
            Some((Next::Step(2), at("2026-12-04T10:30:00Z")))
        );
        assert_eq!(
            next_after(&e, 2, 2, 0, t),
            Some((Next::Repeat(1), at("2026-12-04T10:45:00Z")))
        );
        assert_eq!(
            next_after(&e, 2, 2, 1, t),
            Some((Next::Repeat(2), at("2026-12-04T10:45:00Z")))
        );
        assert_eq!(next_after(&e, 2, 2, 2, t), None);
        let none = Escalation {
            gap_min: None,
            repeats: 0,
        };
        assert_eq!(next_after(&none, 1, 1, 0, t), None);
    }

    #[test]
    fn a_family_choice_is_checked() {
        assert!(ordered(5).validate().is_ok());
        assert!(ordered(60).validate().is_ok());
        assert!(ordered(4).validate().is_err());
        assert!(ordered(61).validate().is_err());
        let many = Escalation {
            gap_min: None,
            repeats: 11,
        };
        assert!(many.validate().is_err());
    }

    #[test]
    fn the_order_form_is_read_strictly() {
        assert_eq!(
            parse_escalation("order", "15", "4"),
            Ok(Escalation {
                gap_min: Some(15),
                repeats: 4
            })
        );
        assert_eq!(
            parse_escalation("all", "whatever", "0"),
            Ok(Escalation {
                gap_min: None,
                repeats: 0
            })
        );
        assert!(parse_escalation("order", "", "4").is_err());
        assert!(parse_escalation("order", "90", "4").is_err());
        assert!(parse_escalation("random", "15", "4").is_err());
        assert!(parse_escalation("all", "15", "x").is_err());
        assert_eq!(parse_place(""), Ok(None));
        assert_eq!(parse_place("2"), Ok(Some(2)));
        assert!(parse_place("6").is_err());
        assert!(parse_place("-1").is_err());
    }

    #[test]
    fn who_has_been_told_reads_naturally() {
        assert_eq!(told_words(&["Tom"]), "Tom has been told");
        assert_eq!(told_words(&["Tom", "Anna"]), "Tom and Anna have been told");
        assert_eq!(names_words(&["Tom", "Anna", "Sue"]), "Tom, Anna and Sue");
        assert_eq!(told_words(&[]), "");
    }

    #[test]
    fn closing_needs_a_known_outcome_and_a_note_for_something_else() {
        assert_eq!(
            validate_close("fine", "  "),
            Ok((Outcome::Fine, String::new()))
        );
        assert_eq!(
            validate_close("other", " Gone to her sister's "),
            Ok((Outcome::Other, "Gone to her sister's".into()))
        );
        assert!(validate_close("other", "").is_err());
        assert!(validate_close("asleep", "").is_err());
        assert!(validate_close("fine", &"x".repeat(501)).is_err());
        assert!(validate_close("fine", "a\u{7}b").is_err());
        assert_eq!(Outcome::Fine.told_words("Mum", ""), "Mum is fine");
        assert_eq!(
            Outcome::Hospital.told_words("Mum", "Ward 3"),
            "Mum is in hospital. Ward 3"
        );
        assert_eq!(Outcome::Other.told_words("Mum", "At Sue's"), "At Sue's");
    }
}

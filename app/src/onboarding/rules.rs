//! Which first step comes next (pure, so the paths are tested without a browser).

/// What is known about the person when they leave the text-size step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Someone looks out for them, or they have a schedule.
    pub checks_in: bool,
    pub has_schedule: bool,
    /// They look out for someone, or have invited someone to check in.
    pub looks_out: bool,
}

/// Where "Continue" leads after the text size.
pub fn after_size(s: Standing) -> &'static str {
    if s.checks_in && !s.has_schedule {
        "/schedule?first=1"
    } else if !s.checks_in && !s.looks_out {
        "/start/invite"
    } else {
        "/home"
    }
}

/// "Step 1 of 3" on the way to a Member's first check-in; nothing on shorter paths.
pub fn step_words(step: u8, s: Standing) -> Option<String> {
    (s.checks_in && !s.has_schedule).then(|| format!("Step {step} of 3"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn standing(checks_in: bool, has_schedule: bool, looks_out: bool) -> Standing {
        Standing {
            checks_in,
            has_schedule,
            looks_out,
        }
    }

    #[test]
    fn a_member_who_joined_goes_on_to_choose_her_time() {
        assert_eq!(
            after_size(standing(true, false, false)),
            "/schedule?first=1"
        );
        assert_eq!(
            step_words(1, standing(true, false, false)).as_deref(),
            Some("Step 1 of 3")
        );
    }

    #[test]
    fn a_new_contact_is_asked_to_add_the_person_they_look_out_for() {
        assert_eq!(after_size(standing(false, false, false)), "/start/invite");
        assert_eq!(step_words(1, standing(false, false, false)), None);
    }

    #[test]
    fn everyone_else_goes_to_today() {
        assert_eq!(after_size(standing(false, false, true)), "/home");
        assert_eq!(after_size(standing(true, true, false)), "/home");
        assert_eq!(after_size(standing(true, true, true)), "/home");
    }
}

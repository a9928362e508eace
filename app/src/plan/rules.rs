//! The "If I miss a check-in" plan's shape and checks, shared by the browser
//! and the server (pure, no I/O): what each part holds, how long it may be,
//! and the short form an alert's text and email carry.
use serde::{Deserialize, Serialize};

/// What responders need at once: how to get in, who is near, who to call.
/// Every part is optional; an empty string is "not written".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
#[serde(default)]
pub struct Plan {
    pub address: String,
    /// How to get in: a key safe, a back door.
    pub access: String,
    pub key_holder: String,
    pub key_holder_phone: String,
    /// Nearby neighbours or friends, with their phones.
    pub neighbours: String,
    /// Doctor and surgery phone.
    pub doctor: String,
    /// Medications and conditions a responder should know.
    pub health: String,
    pub pets: String,
    pub notes: String,
}

/// One part of the plan: its form name, its words, a hint, and its longest.
pub struct Part {
    pub name: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub most: usize,
    /// Several lines (a textarea).
    pub long: bool,
}

pub const PARTS: [Part; 9] = [
    Part { name: "address", label: "Home address", hint: "Where a responder should go.", most: 300, long: true },
    Part { name: "access", label: "How to get in", hint: "A key safe and where it is, a back door. Not the key safe\u{2019}s code: give that by phone.", most: 300, long: true },
    Part { name: "key_holder", label: "Who has a key", hint: "Their name, like Neighbour Sue.", most: 100, long: false },
    Part { name: "key_holder_phone", label: "Key holder\u{2019}s phone", hint: "", most: 40, long: false },
    Part { name: "neighbours", label: "Neighbours or friends nearby", hint: "Names and phone numbers of people who could look in.", most: 500, long: true },
    Part { name: "doctor", label: "Doctor and surgery phone", hint: "", most: 300, long: true },
    Part { name: "health", label: "Medicines and conditions", hint: "What someone helping should know.", most: 1000, long: true },
    Part { name: "pets", label: "Pets", hint: "Who needs feeding or walking.", most: 300, long: true },
    Part { name: "notes", label: "Anything else", hint: "", most: 1000, long: true },
];

impl Plan {
    /// The parts in form order.
    pub fn values(&self) -> [&str; 9] {
        [
            &self.address,
            &self.access,
            &self.key_holder,
            &self.key_holder_phone,
            &self.neighbours,
            &self.doctor,
            &self.health,
            &self.pets,
            &self.notes,
        ]
    }

    pub fn is_empty(&self) -> bool {
        self.values().iter().all(|v| v.is_empty())
    }

    /// Trims every part and checks it: not too long, no hidden characters, a
    /// phone number that looks like one. Says which part to fix.
    pub fn validate(self) -> Result<Plan, String> {
        let trim = |s: String| s.trim().replace("\r\n", "\n");
        let plan = Plan {
            address: trim(self.address),
            access: trim(self.access),
            key_holder: trim(self.key_holder),
            key_holder_phone: trim(self.key_holder_phone),
            neighbours: trim(self.neighbours),
            doctor: trim(self.doctor),
            health: trim(self.health),
            pets: trim(self.pets),
            notes: trim(self.notes),
        };
        for (part, value) in PARTS.iter().zip(plan.values()) {
            if value.chars().count() > part.most {
                return Err(format!(
                    "{}: please keep it under {} characters.",
                    part.label, part.most
                ));
            }
            if value
                .chars()
                .any(|c| c.is_control() && (c != '\n' || !part.long))
            {
                return Err(format!(
                    "{}: it has characters we can\u{2019}t keep.",
                    part.label
                ));
            }
        }
        let phone = &plan.key_holder_phone;
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        if !phone.is_empty()
            && (digits < 3
                || !phone
                    .chars()
                    .all(|c| c.is_ascii_digit() || " +-().".contains(c)))
        {
            return Err(
                "Key holder\u{2019}s phone: please write it as a phone number, like 555-0101."
                    .into(),
            );
        }
        Ok(plan)
    }

    /// The lines a responder reads first, for an alert's text and email:
    /// "Key: Neighbour Sue, 555-0101. Nearby: Ann at 14, 555-0102." (at most
    /// 240 characters; the whole plan is on the alert page).
    pub fn short(&self) -> Option<String> {
        let mut parts = Vec::new();
        match (self.key_holder.as_str(), self.key_holder_phone.as_str()) {
            ("", "") => {}
            (who, "") => parts.push(format!("Key: {who}.")),
            ("", phone) => parts.push(format!("Key holder: {phone}.")),
            (who, phone) => parts.push(format!("Key: {who}, {phone}.")),
        }
        if !self.neighbours.is_empty() {
            parts.push(format!(
                "Nearby: {}.",
                one_line(&self.neighbours).trim_end_matches('.')
            ));
        }
        if parts.is_empty() {
            return None;
        }
        let text = parts.join(" ");
        Some(if text.chars().count() > 240 {
            let cut: String = text.chars().take(239).collect();
            format!("{cut}\u{2026}")
        } else {
            text
        })
    }
}

fn one_line(s: &str) -> String {
    s.split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sue() -> Plan {
        Plan {
            key_holder: " Neighbour Sue ".into(),
            key_holder_phone: "555-0101".into(),
            neighbours: "Ann at number 14, 555-0102\r\nBob, 555-0103".into(),
            ..Plan::default()
        }
    }

    #[test]
    fn a_plan_is_trimmed_and_its_short_form_names_the_key_holder_and_neighbours() {
        let plan = sue().validate().expect("valid");
        assert_eq!(plan.key_holder, "Neighbour Sue");
        assert_eq!(
            plan.short().as_deref(),
            Some(
                "Key: Neighbour Sue, 555-0101. Nearby: Ann at number 14, 555-0102; Bob, 555-0103."
            )
        );
        assert_eq!(Plan::default().short(), None);
        assert!(Plan::default().is_empty() && !plan.is_empty());
    }

    #[test]
    fn the_short_form_never_carries_health_or_the_way_in() {
        let plan = Plan {
            health: "Insulin twice a day".into(),
            access: "Key safe by the back door".into(),
            ..sue()
        };
        let short = plan.short().unwrap_or_default();
        assert!(
            !short.contains("Insulin") && !short.contains("Key safe"),
            "{short}"
        );
        let long = Plan {
            neighbours: "x".repeat(400),
            ..Plan::default()
        };
        assert_eq!(long.short().map(|s| s.chars().count()), Some(240));
    }

    #[test]
    fn bad_parts_are_refused_with_the_part_named() {
        let too_long = Plan {
            pets: "c".repeat(301),
            ..Plan::default()
        };
        assert_eq!(
            too_long.validate(),
            Err("Pets: please keep it under 300 characters.".into())
        );
        let hidden = Plan {
            key_holder: "Sue\nSmith".into(),
            ..Plan::default()
        };
        assert!(hidden.validate().unwrap_err().starts_with("Who has a key"));
        for bad in ["call her", "12", "555-0101; DROP"] {
            let p = Plan {
                key_holder_phone: bad.into(),
                ..Plan::default()
            };
            assert!(p.validate().is_err(), "{bad}");
        }
        let ok = Plan {
            key_holder_phone: "+44 (0)20 7946 0018".into(),
            ..Plan::default()
        };
        assert!(ok.validate().is_ok());
    }
}

//! The plain words Settings uses (shared by the browser and the server).

/// "You check in every day." / "You look out for Mum and Dad." — one line per
/// role someone has; none when they have neither yet.
pub fn role_lines(checks_in: bool, looks_out_for: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    if checks_in {
        lines.push("You check in every day.".to_string());
    }
    match looks_out_for {
        [] => {}
        [one] => lines.push(format!("You look out for {one}.")),
        [first @ .., last] => {
            lines.push(format!("You look out for {} and {last}.", first.join(", ")))
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(n: &[&str]) -> Vec<String> {
        n.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn roles_read_as_plain_sentences() {
        assert_eq!(role_lines(true, &[]), vec!["You check in every day."]);
        assert_eq!(
            role_lines(false, &names(&["Mum", "Dad"])),
            vec!["You look out for Mum and Dad."]
        );
        assert_eq!(
            role_lines(true, &names(&["Mum", "Dad", "Aunt Jo"])),
            vec![
                "You check in every day.",
                "You look out for Mum, Dad and Aunt Jo."
            ]
        );
        assert!(role_lines(false, &[]).is_empty());
    }
}

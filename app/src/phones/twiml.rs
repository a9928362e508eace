//! TwiML, server only: the reply to a text, and what Twilio's Programmable
//! Voice says and asks on each of Pruuf's phone calls (issue 23). Every
//! document is written by an XML writer (quick-xml), which escapes all text and
//! attribute values: a person's name is never pasted into markup. The tests
//! read each prompt back with an XML parser.
//!
//! The voice is slow and warm (Amazon Polly's Joanna through Twilio, at 85%
//! speed), and every question is said twice before the call gives up.
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use std::io;

/// Twilio's name for the voice every prompt uses.
pub const VOICE: &str = "Polly.Joanna";
/// How long a call waits for a key after a question, in seconds.
pub const KEY_WAIT_SECONDS: u8 = 8;

/// One thing a call does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Says the words, slowly.
    Say(String),
    /// Waits, in seconds.
    Pause(u8),
    /// Asks for `digits` keys (1 for "press 1", 4 for a PIN) while saying the
    /// words; the keys are posted to `action`.
    Ask {
        words: String,
        digits: u8,
        action: String,
    },
    /// Ends the call.
    HangUp,
    /// A text in reply to a text (messaging TwiML).
    Message(String),
}

/// Text content: `<`, `>` and `&` escaped (quotes need none inside an
/// element, and Twilio reads them as they are).
fn text(words: &str) -> BytesText<'_> {
    BytesText::from_escaped(quick_xml::escape::partial_escape(words))
}

fn say(w: &mut Writer<Vec<u8>>, words: &str) -> io::Result<()> {
    w.create_element("Say")
        .with_attribute(("voice", VOICE))
        .with_attribute(("language", "en-US"))
        .write_inner_content(|w| {
            w.create_element("prosody")
                .with_attribute(("rate", "85%"))
                .write_text_content(text(words))?;
            Ok(())
        })?;
    Ok(())
}

/// The TwiML document for `steps`.
pub fn document(steps: &[Step]) -> String {
    let mut w = Writer::new(Vec::new());
    let written: io::Result<()> = (|| {
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
        w.create_element("Response").write_inner_content(|w| {
            for step in steps {
                match step {
                    Step::Say(words) => say(w, words)?,
                    Step::Pause(seconds) => {
                        w.create_element("Pause")
                            .with_attribute(("length", seconds.to_string().as_str()))
                            .write_empty()?;
                    }
                    Step::Ask {
                        words,
                        digits,
                        action,
                    } => {
                        w.create_element("Gather")
                            .with_attribute(("input", "dtmf"))
                            .with_attribute(("numDigits", digits.to_string().as_str()))
                            .with_attribute(("timeout", KEY_WAIT_SECONDS.to_string().as_str()))
                            .with_attribute(("action", action.as_str()))
                            .with_attribute(("method", "POST"))
                            .write_inner_content(|w| say(w, words))?;
                    }
                    Step::HangUp => {
                        w.create_element("Hangup").write_empty()?;
                    }
                    Step::Message(text) => {
                        w.create_element("Message")
                            .write_text_content(self::text(text))?;
                    }
                }
            }
            Ok(())
        })?;
        Ok(())
    })();
    // Writing to a Vec cannot fail; were it to, an empty response hangs up.
    match written {
        Ok(()) => String::from_utf8(w.into_inner()).unwrap_or_default(),
        Err(_) => "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Hangup/></Response>".into(),
    }
}

/// A question said twice (a first "press 1" is easily missed), then the
/// words for no answer and the end of the call.
fn ask_twice(question: &str, digits: u8, action: &str, no_answer: &str) -> String {
    let ask = Step::Ask {
        words: question.to_string(),
        digits,
        action: action.to_string(),
    };
    document(&[
        Step::Pause(1),
        ask.clone(),
        ask,
        Step::Say(no_answer.to_string()),
        Step::HangUp,
    ])
}

/// The daily check-in call: her name, and "press 1 if all is well".
pub fn daily_call(name: &str, action: &str) -> String {
    ask_twice(
        &format!(
            "Hello {name}. This is your daily call from Pruuf. If all is well, please press 1, or any key, now."
        ),
        1,
        action,
        "We didn\u{2019}t hear a key. We\u{2019}ll try again a little later. Goodbye.",
    )
}

/// After her key: checked in.
pub fn thank_you(name: &str) -> String {
    document(&[
        Step::Say(format!("Thank you, {name}. Have a lovely day.")),
        Step::HangUp,
    ])
}

/// An answering machine took the call: a short message, never a check-in.
pub fn voicemail(name: &str) -> String {
    document(&[
        Step::Say(format!(
            "Hello {name}, this is Pruuf with your daily check-in call. Please tap I\u{2019}m OK in Pruuf, or answer when we call again. Goodbye."
        )),
        Step::HangUp,
    ])
}

/// Calling in: her PIN on the keypad (caller ID alone can be forged).
pub fn ask_pin(action: &str) -> String {
    ask_twice(
        "Hello, this is Pruuf. To check in, please enter your four-digit PIN.",
        4,
        action,
        "We didn\u{2019}t hear your PIN. Goodbye.",
    )
}

/// A Contact called about a missed check-in: "press 1 if you will check on her".
pub fn missed_alert(name: &str, action: &str) -> String {
    ask_twice(
        &format!(
            "This is Pruuf. {name} has not checked in today. Press 1 if you will check on {name}."
        ),
        1,
        action,
        "We didn\u{2019}t hear a key. Please open Pruuf to see the alert. Goodbye.",
    )
}

/// Confirming a landline for daily calls (it cannot reply YES to a text).
pub fn confirm_number(action: &str) -> String {
    ask_twice(
        "This is Pruuf, confirming this number for daily check-in calls. Please press 1 to confirm.",
        1,
        action,
        "We didn\u{2019}t hear a key, so this number is not confirmed. Goodbye.",
    )
}

/// The answer to a text: a text back, or nothing.
pub fn text_reply(reply: Option<&str>) -> String {
    match reply {
        Some(text) => document(&[Step::Message(text.to_string())]),
        None => document(&[]),
    }
}

/// Any short answer, then the end of the call.
pub fn say_and_hang_up(words: &str) -> String {
    document(&[Step::Say(words.to_string()), Step::HangUp])
}

#[cfg(test)]
mod tests {
    use super::*;
    use quick_xml::events::Event;
    use quick_xml::Reader;

    /// What a parser reads: each element as its path ("Response/Gather/Say"),
    /// its attributes, and each text with the path it is in.
    #[derive(Debug, Default)]
    struct Read {
        elements: Vec<(String, Vec<(String, String)>)>,
        texts: Vec<(String, String)>,
    }

    fn read(xml: &str) -> Read {
        let mut reader = Reader::from_str(xml);
        let mut path: Vec<String> = Vec::new();
        let mut out = Read::default();
        // Within one text, entities come apart as their own events: they join it.
        let mut joining = false;
        let attrs = |e: &quick_xml::events::BytesStart| -> Vec<(String, String)> {
            e.attributes()
                .map(|a| {
                    let a = a.expect("attribute");
                    (
                        String::from_utf8(a.key.as_ref().to_vec()).expect("utf-8"),
                        a.normalized_value(quick_xml::XmlVersion::default())
                            .expect("value")
                            .into_owned(),
                    )
                })
                .collect()
        };
        loop {
            let event = reader.read_event().expect("well-formed XML");
            let was_joining = joining;
            joining = matches!(event, Event::Text(_) | Event::GeneralRef(_));
            match event {
                Event::Start(e) => {
                    path.push(String::from_utf8(e.name().as_ref().to_vec()).expect("name"));
                    out.elements.push((path.join("/"), attrs(&e)));
                }
                Event::Empty(e) => {
                    let name = String::from_utf8(e.name().as_ref().to_vec()).expect("name");
                    out.elements
                        .push((format!("{}/{name}", path.join("/")), attrs(&e)));
                }
                Event::End(_) => {
                    path.pop();
                }
                Event::Text(t) => {
                    let text = t.decode().expect("text").into_owned();
                    match out.texts.last_mut() {
                        Some((_, t)) if was_joining => t.push_str(&text),
                        _ if text.trim().is_empty() => {}
                        _ => out.texts.push((path.join("/"), text)),
                    }
                }
                Event::GeneralRef(r) => {
                    let name = r.decode().expect("ref").into_owned();
                    let ch = quick_xml::escape::unescape(&format!("&{name};"))
                        .expect("entity")
                        .into_owned();
                    match out.texts.last_mut() {
                        Some((_, t)) if was_joining => t.push_str(&ch),
                        _ => out.texts.push((path.join("/"), ch)),
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(path.is_empty(), "every element closed");
        out
    }

    fn attr<'a>(r: &'a Read, element: &str, name: &str) -> Vec<&'a str> {
        r.elements
            .iter()
            .filter(|(p, _)| p == element)
            .flat_map(|(_, a)| a.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()))
            .collect()
    }

    const SAY_IN_GATHER: &str = "Response/Gather/Say/prosody";

    #[test]
    fn the_daily_call_asks_twice_for_one_key_with_her_name_then_hangs_up() {
        let xml = daily_call("Mary Smith", "/webhooks/twilio/voice/daily/abc");
        let r = read(&xml);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"));
        assert_eq!(attr(&r, "Response/Gather", "numDigits"), ["1", "1"]);
        assert_eq!(attr(&r, "Response/Gather", "input"), ["dtmf", "dtmf"]);
        assert_eq!(
            attr(&r, "Response/Gather", "action"),
            ["/webhooks/twilio/voice/daily/abc"; 2]
        );
        assert_eq!(attr(&r, "Response/Gather/Say", "voice"), [VOICE, VOICE]);
        let asked: Vec<&str> = r
            .texts
            .iter()
            .filter(|(p, _)| p == SAY_IN_GATHER)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(asked.len(), 2);
        assert!(asked[0].starts_with("Hello Mary Smith. This is your daily call"));
        assert_eq!(
            r.elements.last().map(|(p, _)| p.as_str()),
            Some("Response/Hangup")
        );
    }

    #[test]
    fn a_name_with_markup_in_it_is_text_never_markup() {
        let name = "Mary <Hangup/> & \"Co\" <Say>hi</Say>";
        for xml in [
            daily_call(name, "/a?x=1&y=2"),
            thank_you(name),
            voicemail(name),
            missed_alert(name, "/a?x=1&y=2"),
        ] {
            assert!(!xml.contains("<Hangup/> &"), "escaped: {xml}");
            let r = read(&xml);
            // Only Pruuf's own elements; the name comes back whole, as text.
            assert!(
                r.elements.iter().all(|(p, _)| {
                    [
                        "Response",
                        "Response/Say",
                        "Response/Say/prosody",
                        "Response/Pause",
                        "Response/Gather",
                        "Response/Gather/Say",
                        SAY_IN_GATHER,
                        "Response/Hangup",
                    ]
                    .contains(&p.as_str())
                }),
                "{:?}",
                r.elements
            );
            assert!(
                r.texts.iter().any(|(_, t)| t.contains(name)),
                "{:?}",
                r.texts
            );
            assert_eq!(
                r.elements
                    .iter()
                    .filter(|(p, _)| p == "Response/Hangup")
                    .count(),
                1
            );
            if xml.contains("Gather") {
                assert_eq!(attr(&r, "Response/Gather", "action")[0], "/a?x=1&y=2");
            }
        }
    }

    #[test]
    fn each_prompt_says_what_it_is_for() {
        let text = |xml: String| -> String {
            read(&xml)
                .texts
                .into_iter()
                .map(|(_, t)| t)
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert!(text(thank_you("Mary")).contains("Thank you, Mary. Have a lovely day."));
        assert!(text(voicemail("Mary")).contains("Hello Mary, this is Pruuf"));
        assert!(text(ask_pin("/p")).contains("enter your four-digit PIN"));
        assert_eq!(
            attr(&read(&ask_pin("/p")), "Response/Gather", "numDigits"),
            ["4", "4"]
        );
        assert!(text(missed_alert("Mum", "/m"))
            .contains("Mum has not checked in today. Press 1 if you will check on Mum."));
        assert!(text(confirm_number("/c")).contains("Please press 1 to confirm."));
        assert_eq!(
            text(say_and_hang_up("That PIN is not right. Goodbye.")),
            "That PIN is not right. Goodbye."
        );
        let reply = read(&text_reply(Some("Reply <YES> & smile")));
        assert_eq!(
            reply.texts,
            [(
                "Response/Message".to_string(),
                "Reply <YES> & smile".to_string()
            )]
        );
        assert_eq!(
            read(&text_reply(None)).elements.len(),
            1,
            "an empty Response"
        );
    }
}

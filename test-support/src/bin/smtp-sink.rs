//! The fast SMTP sink as a process, for benchmarks and the fault script:
//! `SMTP_SINK_ADDR` (default 127.0.0.1:1026) to listen on, `SMTP_SINK_DELAY_MS`
//! (default 0) to answer each mail that much later (a slow relay). Prints
//! `PRUUF_SMTP_URL=...`, then one line per mail it took:
//! `taken <ms> <to> <message-id> <subject as sent>`.
use pruuf_test_support::smtp::{Behaviour, SmtpSink};
use std::io::Write;
use std::time::Duration;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("SMTP_SINK_ADDR").unwrap_or_else(|_| "127.0.0.1:1026".into());
    let delay = std::env::var("SMTP_SINK_DELAY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let sink = SmtpSink::start_on(
        &addr,
        Behaviour {
            delay: Duration::from_millis(delay),
            ..Behaviour::default()
        },
    )
    .await?;
    let mut out = std::io::stdout();
    writeln!(out, "PRUUF_SMTP_URL={}", sink.url())?;
    out.flush()?;
    let mut shown = 0;
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    loop {
        tick.tick().await;
        let taken = sink.taken();
        for t in &taken[shown..] {
            writeln!(
                out,
                "taken {} {} {} {}",
                t.at.as_millis(),
                t.to,
                t.message_id.as_deref().unwrap_or("-"),
                t.subject.as_deref().unwrap_or("")
            )?;
        }
        if taken.len() > shown {
            shown = taken.len();
            out.flush()?;
        }
    }
}

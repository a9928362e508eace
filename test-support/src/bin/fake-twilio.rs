//! The Twilio stand-in as a process, for the local run and the end-to-end tests:
//! `FAKE_TWILIO_ADDR` (default 127.0.0.1:1090) to listen on, `FAKE_TWILIO_APP_URL`
//! (default http://127.0.0.1:3000) where Pruuf's webhooks are. Point Pruuf at it
//! with the variables it prints.
use pruuf_test_support::twilio::FakeTwilio;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("FAKE_TWILIO_ADDR").unwrap_or_else(|_| "127.0.0.1:1090".into());
    let app =
        std::env::var("FAKE_TWILIO_APP_URL").unwrap_or_else(|_| "http://127.0.0.1:3000".into());
    let fake = FakeTwilio::start_on(&addr, Some(app)).await?;
    for (k, v) in fake.vars() {
        println!("{k}={v}");
    }
    println!("texts it took: {}/__fake/messages", fake.url());
    std::future::pending::<()>().await;
    Ok(())
}

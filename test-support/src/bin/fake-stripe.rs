//! The Stripe stand-in as a process, for the local run and the end-to-end tests:
//! `FAKE_STRIPE_ADDR` (default 127.0.0.1:0) to listen on, `FAKE_STRIPE_WEBHOOK_URL`
//! (optional) where Pruuf's Stripe webhook is. It answers the `/__fake/…` controls.
//! Point Pruuf at it with the variables it prints; the line after them says
//! "stripe stand-in ready".
use pruuf_test_support::stripe::FakeStripe;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("FAKE_STRIPE_ADDR").unwrap_or_else(|_| "127.0.0.1:0".into());
    let webhook = std::env::var("FAKE_STRIPE_WEBHOOK_URL")
        .ok()
        .filter(|url| !url.is_empty());
    let fake = FakeStripe::start_on(&addr, webhook, true).await?;
    for (k, v) in fake.vars() {
        println!("{k}={v}");
    }
    println!("stripe stand-in ready on {}", fake.url());
    std::future::pending::<()>().await;
    Ok(())
}

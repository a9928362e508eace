//! Reads what reached the local mail catcher (maildev 3, REST at `/api/email`),
//! whose address the test scripts put in PRUUF_TEST_MAIL_API.
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The catcher's `host:port`; panics with a clear message when the scripts did not
/// start one.
pub fn api_addr() -> String {
    std::env::var("PRUUF_TEST_MAIL_API")
        .expect("PRUUF_TEST_MAIL_API names the mail catcher (scripts/test.sh starts maildev)")
}

/// Every mail the catcher holds, newest last, as maildev's JSON.
pub async fn all_mail() -> Vec<serde_json::Value> {
    let body = get(&api_addr(), "/api/email").await;
    serde_json::from_str(&body)
        .unwrap_or_else(|e| panic!("maildev answered non-JSON ({e}): {body}"))
}

/// The mails whose subject is exactly `subject`.
pub async fn with_subject(subject: &str) -> Vec<serde_json::Value> {
    all_mail()
        .await
        .into_iter()
        .filter(|m| m["subject"] == subject)
        .collect()
}

/// A plain HTTP/1.0 GET (no chunked encoding to undo) returning the body.
async fn get(addr: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(addr)
        .await
        .unwrap_or_else(|e| panic!("cannot reach the mail catcher at {addr}: {e}"));
    let request =
        format!("GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: application/json\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("request sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("response read");
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
    assert!(
        head.starts_with("HTTP/1.") && head.contains(" 200 "),
        "{head}"
    );
    body.to_string()
}

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

/// The mails sent to `address`, oldest first.
pub async fn to(address: &str) -> Vec<serde_json::Value> {
    all_mail()
        .await
        .into_iter()
        .filter(|m| {
            m["to"].as_array().is_some_and(|to| {
                to.iter().any(|t| {
                    t["address"]
                        .as_str()
                        .is_some_and(|a| a.eq_ignore_ascii_case(address))
                })
            })
        })
        .collect()
}

/// The code in the newest "Your Pruuf code" mail to `address`, waiting (up to 5 s,
/// polling) for at least `count` such mails to have arrived.
pub async fn code_for(address: &str, count: usize) -> String {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let mails: Vec<serde_json::Value> = to(address)
            .await
            .into_iter()
            .filter(|m| m["subject"] == "Your Pruuf code")
            .collect();
        if mails.len() >= count {
            let text = mails
                .last()
                .and_then(|m| m["text"].as_str())
                .unwrap_or_default();
            let code: String = text
                .split("Your Pruuf code is ")
                .nth(1)
                .map(|rest| rest.chars().take_while(char::is_ascii_digit).collect())
                .unwrap_or_default();
            assert_eq!(code.len(), 6, "no code in the mail: {text}");
            return code;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "only {} code mails reached {address}",
            mails.len()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A plain HTTP/1.0 GET (no chunked encoding to undo) returning the body. A
/// catcher that accepts the connection but never finishes answering (seen
/// under heavy load) would otherwise hang the test for ever: each try has 10 s,
/// and after three the test fails saying so.
async fn get(addr: &str, path: &str) -> String {
    for attempt in 1..=3 {
        match tokio::time::timeout(std::time::Duration::from_secs(10), get_once(addr, path)).await {
            Ok(body) => return body,
            Err(_) => {
                eprintln!("the mail catcher did not answer {path} within 10 s (try {attempt} of 3)")
            }
        }
    }
    panic!("the mail catcher at {addr} did not answer {path} in three tries of 10 s");
}

async fn get_once(addr: &str, path: &str) -> String {
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

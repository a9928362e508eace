//! The push-service stand-in as a process, for the end-to-end tests. A browser in
//! a test cannot reach a real push service (none is on this network), so the test
//! asks this stand-in for a subscription (`POST /__fake/subscriptions`: endpoint,
//! keys) and hands it to the page in place of the browser's own; Pruuf then
//! pushes to it over the real Web Push protocol (VAPID, aes128gcm), and the test
//! reads back what arrived, decrypted as a browser would
//! (`GET /__fake/received/<id>`). `FAKE_PUSH_ADDR` (default 127.0.0.1:1095) is
//! where these controls listen; the push endpoints have a port of their own.
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use pruuf_test_support::push::{FakePushService, FakeSubscription};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Clone)]
struct Fake {
    service: FakePushService,
    subscriptions: Arc<Mutex<HashMap<String, FakeSubscription>>>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::var("FAKE_PUSH_ADDR").unwrap_or_else(|_| "127.0.0.1:1095".into());
    let fake = Fake {
        service: FakePushService::start().await?,
        subscriptions: Arc::default(),
    };
    let app = Router::new()
        .route("/__fake/subscriptions", post(subscribe))
        .route("/__fake/received/{id}", get(received))
        .with_state(fake);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("PRUUF_FAKE_PUSH=http://{}", listener.local_addr()?);
    println!("push stand-in ready");
    axum::serve(listener, app).await
}

async fn subscribe(State(fake): State<Fake>) -> Json<Value> {
    let sub = fake.service.subscribe();
    let answer = json!({
        "id": sub.id,
        "endpoint": sub.endpoint,
        "keys": { "p256dh": sub.p256dh, "auth": sub.auth },
    });
    fake.subscriptions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(sub.id.clone(), sub);
    Json(answer)
}

async fn received(State(fake): State<Fake>, Path(id): Path<String>) -> Json<Value> {
    let subscriptions = fake.subscriptions.lock().unwrap_or_else(|p| p.into_inner());
    let Some(sub) = subscriptions.get(&id) else {
        return Json(json!([]));
    };
    let messages: Vec<Value> = fake
        .service
        .received(sub)
        .iter()
        .map(|r| match sub.decrypt(&r.body) {
            Ok(text) => json!({ "text": text, "urgency": r.urgency }),
            Err(e) => json!({ "error": e }),
        })
        .collect();
    Json(Value::Array(messages))
}

//! Losing the database while running: /ready says 503 at once (no hang), and
//! recovers by itself when the database is back.
use crate::common;

use pruuf_test_support::{proxy::CuttableProxy, Call};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::{Duration, Instant};

#[tokio::test]
async fn ready_follows_the_database_down_and_back() {
    let url = common::database_url();
    let direct = PgConnectOptions::from_str(&url).expect("a PostgreSQL URL");
    let target: SocketAddr = format!("{}:{}", direct.get_host(), direct.get_port())
        .parse()
        .expect("the test cluster listens on an IP address");
    let proxy = CuttableProxy::start(target).await.expect("proxy");
    let via_proxy = direct.host("127.0.0.1").port(proxy.addr.port());
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(2))
        .connect_with(via_proxy)
        .await
        .expect("connects through the proxy");
    // The schema /ready reads (the detector's lag) must be there first.
    server::db::migrate(&pool, &url).await.expect("migrations");
    let app = common::app(pool, false);

    assert_eq!(Call::get("/ready").send(&app).await.status, 200);

    proxy.cut();
    let started = Instant::now();
    let down = Call::get("/ready").send(&app).await;
    assert_eq!(down.status, 503, "{}", down.body);
    assert_eq!(down.json()["reason"], "database");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answers promptly"
    );
    assert_eq!(
        Call::get("/health").send(&app).await.status,
        200,
        "still alive"
    );
    let page = Call::get("/").send(&app).await;
    assert_eq!(page.status, 200, "pages that need no data still render");

    proxy.restore();
    assert_eq!(Call::get("/ready").send(&app).await.status, 200, "recovers");
}

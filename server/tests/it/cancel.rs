//! A request whose client hangs up mid-way leaves nothing half-done: its
//! transaction is finished or rolled back before its connection serves anyone
//! else, and the requests around it are answered as if nothing happened.
use crate::accounts::{address, path, sign_up, world};
use app::checkin::pages::{CheckIn, SaveSchedule};
use chrono::Duration;
use pruuf_test_support::{browser::Browser, Call};
use sqlx::PgPool;

/// A small, seeded generator: the same run every time, no extra crate.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, below: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % below
    }
}

/// How long a client that hangs up waits at most, whatever it has had so far.
const PATIENCE: std::time::Duration = std::time::Duration::from_secs(2);

/// Polls `fut` at most `polls` times, then drops it where it stands (as hyper
/// drops a request's future when its client hangs up); a client also gives up
/// after [`PATIENCE`] without the rest of its answer. (Counting polls alone, a
/// cut could wait for ever: a page's answer read part-way was seen, rarely, to
/// stay pending with nothing left to wake it; a client that has hung up never
/// reads on, so that wait is the test's own, not a server's.)
async fn cut_after<F: std::future::Future>(polls: u64, fut: F) -> Option<F::Output> {
    let mut fut = std::pin::pin!(fut);
    let mut left = polls;
    let counted = std::future::poll_fn(move |cx| {
        if left == 0 {
            return std::task::Poll::Ready(None);
        }
        left -= 1;
        fut.as_mut().poll(cx).map(Some)
    });
    tokio::time::timeout(PATIENCE, counted)
        .await
        .unwrap_or(None)
}

/// Runs one step of the run, which must end within a minute (each takes
/// milliseconds): a step that never ends fails naming itself. Built with
/// `--cfg tokio_unstable` and tokio's `taskdump` feature, it first prints
/// where every task of the test's runtime is waiting.
async fn step<F: std::future::Future>(request: u64, what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(std::time::Duration::from_secs(60), fut).await {
        Ok(out) => out,
        Err(_) => {
            #[cfg(tokio_unstable)]
            {
                let dump = tokio::runtime::Handle::current().dump().await;
                for (i, task) in dump.tasks().iter().enumerate() {
                    eprintln!("task {i}:\n{}", task.trace());
                }
            }
            panic!("request {request} ({what}) did not end within a minute")
        }
    }
}

/// Takes every connection the pool may have (one a cut request still holds comes
/// back only when that request is done with it) and, on each, runs two
/// statements: outside a transaction they run in two, with two ids.
///
/// A request that runs on after its client left may need a connection while it
/// holds another (a page's resources run side by side). Holding all the others
/// and waiting would then wait for ever, so when the pool stays empty for a
/// moment the connections taken are handed back, for that request to finish,
/// and the round starts again. Every round checks what it took.
async fn no_connection_inside_a_transaction(pool: &PgPool, request: u64) {
    let wanted = pool.options().get_max_connections() as usize;
    for _round in 0..50 {
        let mut held = Vec::new();
        while held.len() < wanted {
            let Ok(conn) =
                tokio::time::timeout(std::time::Duration::from_millis(500), pool.acquire()).await
            else {
                break;
            };
            let mut conn = conn.expect("connection");
            let mut ids = Vec::new();
            for _ in 0..2 {
                let id: i64 = sqlx::query_scalar("SELECT txid_current()")
                    .fetch_one(&mut *conn)
                    .await
                    .expect("query");
                ids.push(id);
            }
            assert_ne!(
                ids[0], ids[1],
                "after request {request}, a pooled connection was inside a transaction"
            );
            held.push(conn);
        }
        if held.len() == wanted {
            return;
        }
    }
    panic!("after request {request}, the pool's connections never all came back");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn check_ins_whose_clients_hang_up_mid_way_leave_no_open_transaction(pool: PgPool) {
    let w = world(pool, &[]);
    let mut members: Vec<Browser> = Vec::new();
    for n in 0..4 {
        let mut b = sign_up(&w, &address(&format!("member{n}")), "4826").await;
        let r = b
            .post(
                path::<SaveSchedule>(),
                &[
                    ("deadline", "10:00"),
                    ("time_zone", "Europe/London"),
                    ("reminder_on", "on"),
                    ("lead", "60"),
                    ("grace", "15"),
                ],
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        members.push(b);
    }
    let cookies: Vec<String> = members
        .iter()
        .map(|b| {
            let value = b.cookie(server::sessions::COOKIE_LOCAL).expect("signed in");
            format!("{}={value}", server::sessions::COOKIE_LOCAL)
        })
        .collect();

    let mut dice = Dice(0x5eed_1234_abcd_0001);
    let (mut normal, mut cut) = (0, 0);
    for n in 0..1000u64 {
        // A new day now and then, so check-ins write rows, not only read them.
        if n % 100 == 99 {
            w.clock.advance(Duration::days(1)).expect("clock");
        }
        let who = (n % 4) as usize;
        if n % 5 == 0 {
            // A client that waits for its answer.
            let r = step(n, "a check-in", members[who].post(path::<CheckIn>(), &[])).await;
            assert_eq!(r.status, 200, "request {n}: {}", r.body);
            assert!(r.body.contains("\"at\""), "request {n}: {}", r.body);
            normal += 1;
            continue;
        }
        // A client that hangs up after a moment: the request future is dropped
        // wherever it has got to (as hyper does when the connection closes).
        let call = if dice.roll(3) == 0 {
            Call::get("/home").header("accept", "text/html")
        } else {
            Call::post(path::<CheckIn>())
        }
        .header("cookie", &cookies[who]);
        if step(
            n,
            "a cut request",
            cut_after(1 + dice.roll(10), call.send(&w.app)),
        )
        .await
        .is_none()
        {
            cut += 1;
            // Before anyone else is served: no connection was handed back with
            // the cut request's transaction open.
            step(
                n,
                "the pool check",
                no_connection_inside_a_transaction(&w.pool, n),
            )
            .await;
        }
    }
    assert!(cut >= 20, "enough requests were cut off mid-way: {cut}");
    assert_eq!(normal, 200);

    let open: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND state LIKE 'idle in transaction%'",
    )
    .fetch_one(&w.pool)
    .await
    .expect("activity");
    assert_eq!(open, 0, "no session idles inside a transaction");
    // Nothing half-done: every check-in moved its Member's next deadline past it.
    let behind: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM checkins c JOIN schedules s ON s.member_id = c.member_id
         WHERE s.next_deadline <= c.deadline_at",
    )
    .fetch_one(&w.pool)
    .await
    .expect("check-ins");
    assert_eq!(behind, 0, "a check-in without its schedule's update");
    let days: i64 = sqlx::query_scalar("SELECT count(DISTINCT local_day) FROM checkins")
        .fetch_one(&w.pool)
        .await
        .expect("days");
    assert!(days >= 10, "check-ins on every day of the run: {days}");
}

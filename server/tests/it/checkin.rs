//! The check-in against the real database: one row per Member per local day even
//! under concurrent taps, the day boundary at local midnight, schedules, pauses,
//! the dashboards, and who may see or change what.
use crate::common::{caller, person, world, World};
use app::accounts::service::Me;
use app::checkin::rules::PauseRange;
use app::checkin::service::CheckIns;
use app::checkin::service::{ScheduleInput, Source};
use app::checkin::views::Status;
use app::checkin::windows::{Days, Window};
use app::error::AppError;
use chrono::{DateTime, NaiveTime, Utc};
use sqlx::PgPool;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s)
        .expect("instant")
        .with_timezone(&Utc)
}

fn schedule(h: u32, m: u32, zone: &str) -> ScheduleInput {
    ScheduleInput {
        windows: vec![Window {
            time: NaiveTime::from_hms_opt(h, m, 0).expect("time"),
            days: Days::EVERY_DAY,
        }],
        zone: zone.parse().expect("zone"),
        reminder_on: true,
        lead_min: 60,
        grace_min: 15,
    }
}

/// Connects `contact` to look out for `member`, as an accepted invite would.
async fn connect(w: &World, member: &Me, contact: &Me, called: &str) {
    sqlx::query(
        "INSERT INTO connections (id, member_id, contact_id, member_name, contact_name, started_at)
         VALUES ($1, $2, $3, $4, 'Tom', now())",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(member.user_id)
    .bind(contact.user_id)
    .bind(called)
    .execute(&w.pool)
    .await
    .expect("connection");
}

async fn checkin_rows(w: &World, m: &Me) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM checkins WHERE member_id = $1")
        .bind(m.user_id)
        .fetch_one(&w.pool)
        .await
        .expect("count")
}

async fn notifications(w: &World, to: &Me) -> Vec<String> {
    sqlx::query_scalar("SELECT body FROM notifications WHERE user_id = $1 ORDER BY created_at, id")
        .bind(to.user_id)
        .fetch_all(&w.pool)
        .await
        .expect("notifications")
}

fn set_clock(w: &World, to: &str) {
    w.services.clock.set(at(to)).expect("test clock");
}

/// Mum, due at 10:00 in Honolulu, watched by Tom; the clock at 8:00 AM there on
/// 26 November.
async fn mum_watched_by_tom(w: &World) -> (Me, Me) {
    let (mum, tom) = (person(w, "mum").await, person(w, "tom").await);
    connect(w, &mum, &tom, "Mum").await;
    set_clock(w, "2026-11-26T18:00:00Z");
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &schedule(10, 0, "Pacific/Honolulu"))
        .await
        .expect("schedule");
    (mum, tom)
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn concurrent_check_ins_make_one_row_and_one_confirmation(pool: PgPool) {
    let w = world(pool);
    let (mum, tom) = mum_watched_by_tom(&w).await;
    set_clock(&w, "2026-11-26T19:45:00Z"); // 9:45 AM
    let taps = (0..8).map(|_| {
        let (services, id) = (w.services.clone(), mum.user_id);
        async move { CheckIns(&services).check_in(id, Source::Web).await }
    });
    let results = futures_join_all(taps).await;
    let fresh: Vec<_> = results
        .iter()
        .filter(|r| !r.as_ref().expect("checked in").already)
        .collect();
    assert_eq!(fresh.len(), 1, "exactly one tap made the check-in");
    for r in &results {
        assert_eq!(r.as_ref().expect("ok").at, "9:45 AM");
    }
    assert_eq!(checkin_rows(&w, &mum).await, 1);
    let told = notifications(&w, &tom).await;
    assert_eq!(
        told,
        vec!["Mum checked in at 9:45 AM. All is well.".to_string()]
    );

    // A second tap later the same day returns the first and tells nobody.
    set_clock(&w, "2026-11-26T22:00:00Z");
    let again = CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("ok");
    assert!(again.already);
    assert_eq!(again.message(), "You already checked in at 9:45 AM.");
    assert_eq!(notifications(&w, &tom).await.len(), 1);
}

/// Runs the futures at once on this runtime.
async fn futures_join_all<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.expect("task"));
    }
    out
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_check_in_after_local_midnight_counts_for_the_next_day(pool: PgPool) {
    let w = world(pool);
    let mum = person(&w, "mum").await;
    set_clock(&w, "2026-11-26T12:00:00Z");
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &schedule(23, 59, "America/New_York"))
        .await
        .expect("schedule");
    // 11:59:30 PM on the 26th in New York: on time for the 26th.
    set_clock(&w, "2026-11-27T04:59:30Z");
    let first = CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("ok");
    assert!(!first.already && !first.late);
    // 12:01 AM on the 27th: a new day, a new check-in.
    set_clock(&w, "2026-11-27T05:01:00Z");
    let second = CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("ok");
    assert!(!second.already, "the next local day has its own check-in");
    let days: Vec<(chrono::NaiveDate, bool)> = sqlx::query_as(
        "SELECT local_day, late FROM checkins WHERE member_id = $1 ORDER BY local_day",
    )
    .bind(mum.user_id)
    .fetch_all(&w.pool)
    .await
    .expect("rows");
    assert_eq!(
        days.iter().map(|(d, _)| d.to_string()).collect::<Vec<_>>(),
        vec!["2026-11-26", "2026-11-27"]
    );
    // The next deadline the detector watches is the 28th's.
    let next: DateTime<Utc> =
        sqlx::query_scalar("SELECT next_deadline FROM schedules WHERE member_id = $1")
            .bind(mum.user_id)
            .fetch_one(&w.pool)
            .await
            .expect("schedule");
    assert_eq!(next, at("2026-11-29T04:59:00Z"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn late_check_ins_are_recorded_late_and_the_contact_dashboard_follows_the_day(pool: PgPool) {
    let w = world(pool);
    let (mum, tom) = mum_watched_by_tom(&w).await;
    sqlx::query("UPDATE users SET time_zone = 'America/New_York' WHERE id = $1")
        .bind(tom.user_id)
        .execute(&w.pool)
        .await
        .expect("zone");

    let status = |w: &World| {
        let (services, tom) = (w.services.clone(), tom.clone());
        async move {
            let home = CheckIns(&services).home(&tom).await.expect("home");
            assert_eq!(home.watching.len(), 1);
            home.watching[0].clone()
        }
    };
    let before = status(&w).await;
    assert_eq!(before.status, Status::NotYet);
    assert_eq!(
        before.headline,
        "Not yet. Due by 10:00 AM HST \u{b7} 3:00 PM your time"
    );
    set_clock(&w, "2026-11-26T20:00:59Z");
    assert_eq!(
        status(&w).await.status,
        Status::NotYet,
        "10:00:59 is still on time"
    );
    set_clock(&w, "2026-11-26T20:01:00Z");
    assert_eq!(status(&w).await.status, Status::Late);
    set_clock(&w, "2026-11-26T20:16:00Z");
    assert_eq!(status(&w).await.status, Status::Missed);

    set_clock(&w, "2026-11-26T20:40:00Z");
    let done = CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("ok");
    assert!(done.late);
    let after = status(&w).await;
    assert_eq!(after.status, Status::CheckedIn);
    assert_eq!(after.headline, "Checked in at 10:40 AM (late)");
    assert_eq!(
        notifications(&w, &tom).await,
        vec!["Mum checked in at 10:40 AM (40 min late). All is well.".to_string()]
    );
    // Mum's own home: tomorrow's deadline, and Tom among those who see it.
    let home = CheckIns(&w.services).home(&mum).await.expect("home");
    let day = home.my_day.expect("a schedule");
    assert_eq!(day.checked_in_at.as_deref(), Some("10:40 AM"));
    assert_eq!(day.deadline_words, "tomorrow at 10:00 AM");
    assert_eq!(day.contacts.len(), 1);
    assert!(home.is_member);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn schedule_changes_tell_the_contacts_and_move_the_next_deadline(pool: PgPool) {
    let w = world(pool);
    let (mum, tom) = (person(&w, "mum").await, person(&w, "tom").await);
    connect(&w, &mum, &tom, "Mum").await;
    // First set at 11:00 AM for 10:00: today is already past, so tomorrow.
    set_clock(&w, "2026-06-01T15:00:00Z");
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &schedule(10, 0, "America/New_York"))
        .await
        .expect("schedule");
    let next = || async {
        sqlx::query_scalar::<_, DateTime<Utc>>(
            "SELECT next_deadline FROM schedules WHERE member_id = $1",
        )
        .bind(mum.user_id)
        .fetch_one(&w.pool)
        .await
        .expect("row")
    };
    assert_eq!(next().await, at("2026-06-02T14:00:00Z"));
    assert!(
        notifications(&w, &tom).await.is_empty(),
        "a first schedule is not a change"
    );
    // Changed to 2:00 PM: today's deadline is ahead again.
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &schedule(14, 0, "America/New_York"))
        .await
        .expect("schedule");
    assert_eq!(next().await, at("2026-06-01T18:00:00Z"));
    let told = notifications(&w, &tom).await;
    assert_eq!(told.len(), 1);
    assert!(
        told[0].starts_with("Mum\u{2019}s daily check-in time is now 2:00 PM EDT."),
        "{}",
        told[0]
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn pauses_are_bounded_shared_and_only_for_connected_people(pool: PgPool) {
    let w = world(pool);
    let (mum, tom, stranger) = (
        person(&w, "mum").await,
        person(&w, "tom").await,
        person(&w, "stranger").await,
    );
    connect(&w, &mum, &tom, "Mum").await;
    set_clock(&w, "2026-11-26T14:00:00Z"); // 9:00 AM in New York, before the first deadline
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &schedule(10, 0, "America/New_York"))
        .await
        .expect("schedule");
    let range = |a: &str, b: &str| PauseRange::parse(a, b).expect("range");

    // Someone not connected can neither pause nor read Mum's days.
    let refused = CheckIns(&w.services)
        .pause(
            &caller(),
            &stranger,
            mum.user_id,
            range("2026-11-27", "2026-11-28"),
        )
        .await
        .expect_err("not theirs");
    assert!(matches!(refused, AppError::Forbidden));
    assert!(matches!(
        CheckIns(&w.services)
            .member_detail(&stranger, mum.user_id)
            .await,
        Err(AppError::Forbidden)
    ));
    // A pause that starts in the past is refused.
    let past = CheckIns(&w.services)
        .pause(
            &caller(),
            &tom,
            mum.user_id,
            range("2026-11-25", "2026-11-28"),
        )
        .await
        .expect_err("past");
    assert!(past.message().contains("can\u{2019}t start in the past"));
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM pauses")
            .fetch_one(&w.pool)
            .await
            .expect("count")
    };
    assert_eq!(count().await, 0, "nothing changed");

    // Tom pauses today and tomorrow: Mum is told, and shows as paused.
    CheckIns(&w.services)
        .pause(
            &caller(),
            &tom,
            mum.user_id,
            range("2026-11-26", "2026-11-27"),
        )
        .await
        .expect("paused");
    assert_eq!(count().await, 1);
    let mums = notifications(&w, &mum).await;
    assert_eq!(
        mums,
        vec!["Your check-ins are paused Thursday 26 November to Friday 27 November: no check-in is needed then."
            .to_string()]
    );
    set_clock(&w, "2026-11-26T16:00:00Z"); // after the deadline
    let home = CheckIns(&w.services).home(&tom).await.expect("home");
    assert_eq!(home.watching[0].status, Status::Paused);
    let detail = CheckIns(&w.services)
        .member_detail(&tom, mum.user_id)
        .await
        .expect("detail");
    assert_eq!(detail.name, "Mum");
    assert_eq!(detail.days.len(), 30);
    assert_eq!(detail.pauses.len(), 1);

    // Ending it: Tom cannot end a pause by naming another Member.
    let pause_id: uuid::Uuid = detail.pauses[0].id.parse().expect("id");
    assert!(CheckIns(&w.services)
        .end_pause(&caller(), &tom, stranger.user_id, pause_id)
        .await
        .is_err());
    CheckIns(&w.services)
        .end_pause(&caller(), &mum, mum.user_id, pause_id)
        .await
        .expect("ended");
    assert_eq!(
        CheckIns(&w.services)
            .home(&tom)
            .await
            .expect("home")
            .watching[0]
            .status,
        Status::Missed
    );
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_check_in_needs_a_schedule_first(pool: PgPool) {
    let w = world(pool);
    let mum = person(&w, "mum").await;
    let refused = CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect_err("no schedule");
    assert_eq!(
        refused.message(),
        "Please choose your daily check-in time first."
    );
    assert_eq!(checkin_rows(&w, &mum).await, 0);
}

/// Through the real router: every bad input is a 4xx with a clear message, and
/// nothing is stored.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn bad_schedule_and_pause_input_is_refused_over_http(pool: PgPool) {
    use crate::accounts::{address, path, sign_up, world as http_world};
    use app::checkin::pages::{CheckIn, LoadMember, PauseCheckins, SaveSchedule};
    let w = http_world(pool, &[]);
    let email = address("mum");
    let mut b = sign_up(&w, &email, "4826").await;
    let schedule = |deadline: &'static str, zone: &'static str, grace: &'static str| {
        vec![
            ("deadline", deadline),
            ("time_zone", zone),
            ("reminder_on", "on"),
            ("lead", "60"),
            ("grace", grace),
        ]
    };
    for (form, words) in [
        (
            schedule("25:00", "America/New_York", "15"),
            "Please choose a time of day",
        ),
        (
            schedule("10:00", "Mars/Olympus_Mons", "15"),
            "Please choose your time zone",
        ),
        (
            schedule("10:00", "America/New_York", "20"),
            "0, 15, 30 or 60 minutes",
        ),
    ] {
        let r = b.post(path::<SaveSchedule>(), &form).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains(words), "{}", r.body);
    }
    let schedules: i64 = sqlx::query_scalar("SELECT count(*) FROM schedules")
        .fetch_one(&w.pool)
        .await
        .expect("count");
    assert_eq!(schedules, 0, "nothing saved");
    // No schedule yet: the button says what to do first.
    let r = b.post(path::<CheckIn>(), &[]).await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(
        r.body.contains("choose your daily check-in time first"),
        "{}",
        r.body
    );

    let r = b
        .post(
            path::<SaveSchedule>(),
            &schedule("10:00", "America/New_York", "15"),
        )
        .await;
    assert_eq!(
        r.header("location"),
        Some("/home?schedule=saved"),
        "{}",
        r.body
    );
    let me: uuid::Uuid = sqlx::query_scalar("SELECT member_id FROM schedules")
        .fetch_one(&w.pool)
        .await
        .expect("saved");
    let me = me.to_string();
    for (first, last, words) in [
        ("2026-12-01", "2027-03-15", "at most 90 days"),
        (
            "2026-12-05",
            "2026-12-01",
            "can\u{2019}t be before the first day",
        ),
        (
            "soon",
            "2026-12-01",
            "Please choose the first and the last day",
        ),
    ] {
        let r = b
            .post(
                path::<PauseCheckins>(),
                &[("member", &me), ("first", first), ("last", last)],
            )
            .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(r.body.contains(words), "{words}: {}", r.body);
    }
    // Another family's Member id, or none at all: refused.
    let stranger = uuid::Uuid::new_v4().to_string();
    let r = b
        .post(
            path::<PauseCheckins>(),
            &[
                ("member", &stranger),
                ("first", "2030-01-01"),
                ("last", "2030-01-02"),
            ],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = b
        .post(path::<LoadMember>(), &[("member", "not-an-id")])
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let pauses: i64 = sqlx::query_scalar("SELECT count(*) FROM pauses")
        .fetch_one(&w.pool)
        .await
        .expect("count");
    assert_eq!(pauses, 0, "nothing paused");
}

/// The database itself keeps one check-in per Member per local day, whatever the
/// code above it does (the row lock in `check_in` only makes the race rare).
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_database_keeps_one_check_in_per_member_per_day(pool: PgPool) {
    use app::checkin::store::{insert_checkin, NewCheckin};
    let w = world(pool);
    let mum = person(&w, "mum").await;
    let first = at("2026-11-26T19:45:00Z");
    let tap = |at| NewCheckin {
        member: mum.user_id,
        local_day: first.date_naive(),
        slot: 0,
        at,
        deadline: first,
        late: false,
        source: "web",
        by: None,
    };
    let mut tx = w.pool.begin().await.expect("tx");
    let kept = insert_checkin(&mut tx, &tap(first)).await.expect("first");
    assert_eq!(kept.map(|r| r.checked_in_at), Some(first));
    let second = insert_checkin(&mut tx, &tap(at("2026-11-26T19:46:00Z")))
        .await
        .expect("second");
    assert!(second.is_none(), "the second tap of the day is refused");
    tx.commit().await.expect("commit");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM checkins")
        .fetch_one(&w.pool)
        .await
        .expect("count");
    assert_eq!(rows, 1);
}

/// A schedule saved after today's time has passed expects its first check-in
/// tomorrow: nobody sees "Missed" for a day that was never due, and the Member's
/// own home points at tomorrow.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_schedule_saved_after_todays_time_shows_no_miss_on_day_one(pool: PgPool) {
    let w = world(pool);
    let (mum, tom) = (person(&w, "mum").await, person(&w, "tom").await);
    crate::alerts::connect(&w.pool, mum.user_id, tom.user_id, "Mum").await;
    // 11:00 AM in Honolulu: today's 10:00 AM has passed (and its grace).
    w.services
        .clock
        .set(
            "2026-11-26T21:00:00Z"
                .parse::<DateTime<Utc>>()
                .expect("time"),
        )
        .expect("clock");
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &crate::alerts::ten_am("Pacific/Honolulu"))
        .await
        .expect("schedule");
    let home = CheckIns(&w.services).home(&tom).await.expect("home");
    let watched = &home.watching[0];
    assert_eq!(watched.status, Status::NotYet, "{watched:?}");
    assert!(
        watched
            .headline
            .starts_with("First check-in: tomorrow at 10:00 AM"),
        "{}",
        watched.headline
    );
    let detail = CheckIns(&w.services)
        .member_detail(&tom, mum.user_id)
        .await
        .expect("detail");
    assert!(
        detail
            .days
            .iter()
            .all(|d| d.outcome != app::checkin::rules::DayOutcome::Missed),
        "{:?}",
        detail.days.first()
    );
    let own = CheckIns(&w.services).home(&mum).await.expect("home");
    let day = own.my_day.expect("her day");
    assert!(
        day.deadline_words.starts_with("tomorrow"),
        "{}",
        day.deadline_words
    );
    // And no alert is due for today.
    let pass = app::alerts::service::Alerts(&w.services)
        .detect()
        .await
        .expect("pass");
    assert_eq!(pass.missed, 0);
}

/// Issue 18: once her time passes unchecked, her home says so kindly (not "Next
/// check-in: today (now)"); once the alert went out it says who was told; and
/// the big button still checks her in, which clears it.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn her_home_says_she_missed_and_who_was_told(pool: PgPool) {
    use app::checkin::rules::{missed_words, LATE_WORDS};
    let w = world(pool);
    let (mum, tom) = (person(&w, "mum").await, person(&w, "tom").await);
    connect(&w, &mum, &tom, "Mum").await;
    let set = |at: &str| {
        w.services
            .clock
            .set(at.parse::<DateTime<Utc>>().expect("time"))
            .expect("clock")
    };
    let missed_line = |w: &World, mum: &Me| {
        let (services, mum) = (w.services.clone(), mum.clone());
        async move {
            CheckIns(&services)
                .home(&mum)
                .await
                .expect("home")
                .my_day
                .expect("her day")
                .missed
        }
    };
    // 8:00 AM in Honolulu: her 10:00 AM is ahead.
    set("2026-11-26T18:00:00Z");
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &crate::alerts::ten_am("Pacific/Honolulu"))
        .await
        .expect("schedule");
    assert_eq!(missed_line(&w, &mum).await, None);
    // 10:05: late, nobody told yet.
    set("2026-11-26T20:05:00Z");
    assert_eq!(missed_line(&w, &mum).await.as_deref(), Some(LATE_WORDS));
    // 10:20, past the 15 minutes' wait, before the detector ran: nobody named.
    set("2026-11-26T20:20:00Z");
    assert_eq!(missed_line(&w, &mum).await, Some(missed_words(&[])));
    let pass = app::alerts::service::Alerts(&w.services)
        .detect()
        .await
        .expect("pass");
    assert_eq!(pass.missed, 1);
    let line = missed_line(&w, &mum).await.expect("told");
    assert!(line.starts_with("Tom has been told."), "{line}");
    // The button still works, and the line goes.
    CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("checked in");
    assert_eq!(missed_line(&w, &mum).await, None);
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_schedule_page_says_when_reminders_cannot_reach_her(pool: PgPool) {
    let w = world(pool);
    let mum = person(&w, "mum").await;
    set_clock(&w, "2026-11-26T18:00:00Z");
    CheckIns(&w.services)
        .set_schedule(&caller(), &mum, &schedule(10, 0, "Pacific/Honolulu"))
        .await
        .expect("schedule");
    let view = CheckIns(&w.services).my_schedule(&mum).await.expect("view");
    assert!(view
        .unreachable
        .is_some_and(|w| w.contains("can\u{2019}t reach you")));
    sqlx::query(
        "INSERT INTO push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at)
         VALUES ($1, $2, 'https://push.example/mum', 'k', 'a', now())",
    )
    .bind(uuid::Uuid::new_v4())
    .bind(mum.user_id)
    .execute(&w.pool)
    .await
    .expect("subscription");
    let view = CheckIns(&w.services).my_schedule(&mum).await.expect("view");
    assert!(
        view.unreachable.is_some(),
        "a browser no push has reached yet does not count"
    );
    sqlx::query("UPDATE push_subscriptions SET confirmed_at = now() WHERE user_id = $1")
        .bind(mum.user_id)
        .execute(&w.pool)
        .await
        .expect("confirmed");
    let view = CheckIns(&w.services).my_schedule(&mum).await.expect("view");
    assert_eq!(view.unreachable, None, "a browser a push reached counts");
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn her_number_reaches_her_contacts_only_when_she_shares_it(pool: PgPool) {
    let w = world(pool);
    let (mum, tom) = (person(&w, "mum").await, person(&w, "tom").await);
    connect(&w, &mum, &tom, "Mum").await;
    sqlx::query(
        "INSERT INTO phones (user_id, number, status, added_at, verified_at)
         VALUES ($1, '+14155552671', 'verified', now(), now())",
    )
    .bind(mum.user_id)
    .execute(&w.pool)
    .await
    .expect("phone");
    let phone_tom_sees = || async {
        CheckIns(&w.services)
            .home(&tom)
            .await
            .expect("home")
            .watching[0]
            .phone
            .clone()
    };
    assert_eq!(phone_tom_sees().await, None, "not without her consent");
    app::accounts::store::set_share_phone(&w.pool, mum.user_id, true)
        .await
        .expect("share");
    assert_eq!(phone_tom_sees().await.as_deref(), Some("+14155552671"));
}

#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_repeat_tap_is_answered_without_the_schedule_lock_or_a_transaction(pool: PgPool) {
    let w = world(pool);
    let (mum, tom) = mum_watched_by_tom(&w).await;
    set_clock(&w, "2026-11-26T19:00:00Z"); // 9:00 AM
    let first = CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("first");
    assert!(!first.already);

    // Another transaction holds her schedule row (a detector pass, a schedule
    // change): a repeat tap still answers at once, from what is committed.
    let mut holder = w.pool.begin().await.expect("tx");
    sqlx::query("SELECT 1 FROM schedules WHERE member_id = $1 FOR UPDATE")
        .bind(mum.user_id)
        .execute(&mut *holder)
        .await
        .expect("lock");
    let again = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        CheckIns(&w.services).check_in(mum.user_id, Source::Web),
    )
    .await
    .expect("a repeat tap does not wait for the schedule's lock")
    .expect("repeat");
    assert!(again.already);
    assert_eq!(
        (again.at.as_str(), again.late),
        (first.at.as_str(), first.late)
    );
    holder.rollback().await.expect("rollback");

    // The next local day, the same lock does hold a first tap until it is let go.
    set_clock(&w, "2026-11-27T19:00:00Z");
    let mut holder = w.pool.begin().await.expect("tx");
    sqlx::query("SELECT 1 FROM schedules WHERE member_id = $1 FOR UPDATE")
        .bind(mum.user_id)
        .execute(&mut *holder)
        .await
        .expect("lock");
    let waiting = tokio::time::timeout(
        std::time::Duration::from_millis(300),
        CheckIns(&w.services).check_in(mum.user_id, Source::Web),
    )
    .await;
    assert!(waiting.is_err(), "a first tap is made under the lock");
    holder.rollback().await.expect("rollback");
    let next = CheckIns(&w.services)
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("next day");
    assert!(!next.already);
    assert_eq!(checkin_rows(&w, &mum).await, 2);
    // Tom heard of each first tap once, in his list (no repeat).
    assert_eq!(notifications(&w, &tom).await.len(), 2);
}

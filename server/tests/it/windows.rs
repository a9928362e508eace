//! Several check-ins a day (issue 22), on the test clock against the real
//! database: each check-in has its own miss and alert, once; a weekend time
//! applies at weekends only; the Member's button says which check-in it is
//! for, and her Contact's dashboard and history show every one.
use crate::alerts::{at, count, family, ten_am};
use crate::common::{caller, World};
use app::accounts::service::Me;
use app::alerts::service::Alerts;
use app::checkin::rules::DayOutcome;
use app::checkin::service::{CheckIns, ScheduleInput, Source};
use app::checkin::windows::{Days, Window};
use chrono::NaiveTime;
use sqlx::PgPool;

fn window(h: u32, days: Days) -> Window {
    Window {
        time: NaiveTime::from_hms_opt(h, 0, 0).expect("time"),
        days,
    }
}

async fn set_windows(w: &World, mum: &Me, windows: Vec<Window>) {
    CheckIns(&w.services)
        .set_schedule(
            &caller(),
            mum,
            &ScheduleInput {
                windows,
                ..ten_am("Pacific/Honolulu")
            },
        )
        .await
        .expect("schedule");
}

/// Misses claimed in a detector pass at `when` (UTC).
async fn missed_at(w: &World, when: &str) -> usize {
    w.services.clock.set(at(when)).expect("clock");
    Alerts(&w.services).detect().await.expect("pass").missed
}

async fn misses(w: &World) -> Vec<(chrono::NaiveDate, i16)> {
    sqlx::query_as("SELECT local_day, slot FROM misses ORDER BY deadline_at")
        .fetch_all(&w.pool)
        .await
        .expect("misses")
}

/// 10:00 AM and 8:00 PM every day in Honolulu (UTC−10), 15 minutes' grace.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn two_check_ins_a_day_each_alert_separately_and_once(pool: PgPool) {
    let w = crate::common::world(pool);
    let (mum, tom, _ann) = family(&w).await; // Thursday 26 November, 8:00 AM HST
    set_windows(
        &w,
        &mum,
        vec![window(10, Days::EVERY_DAY), window(20, Days::EVERY_DAY)],
    )
    .await;
    let checkins = CheckIns(&w.services);

    // 9:30 AM: the button is for the morning; a tap checks it in, on time.
    w.services
        .clock
        .set(at("2026-11-26T19:30:00Z"))
        .expect("clock");
    let home = checkins.home(&mum).await.expect("home");
    let day = home.my_day.expect("her day");
    assert_eq!(day.which.as_deref(), Some("your 10:00 AM check-in"));
    let done = checkins
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("tap");
    assert!(!done.already && !done.late, "{done:?}");
    // 10:30 AM: tapped again, it is the same check-in; nothing is due.
    assert_eq!(missed_at(&w, "2026-11-26T20:30:00Z").await, 0);
    let again = checkins
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("tap");
    assert!(again.already, "{again:?}");

    // 3:00 PM: the evening's has opened (halfway from 10 AM to 8 PM): the
    // button says so, and her Contact's dashboard shows both.
    w.services
        .clock
        .set(at("2026-11-27T01:00:00Z"))
        .expect("clock");
    let day = checkins
        .home(&mum)
        .await
        .expect("home")
        .my_day
        .expect("day");
    assert_eq!(day.which.as_deref(), Some("your 8:00 PM check-in"));
    assert_eq!(
        day.windows,
        vec!["10:00 AM: checked in at 9:30 AM", "8:00 PM: not yet"]
    );
    let dash = checkins.home(&tom).await.expect("Tom's home");
    let watched = &dash.watching[0];
    assert_eq!(watched.windows.len(), 2, "{:?}", watched.windows);
    assert!(
        watched.windows[0].contains("checked in at 9:30 AM"),
        "{:?}",
        watched.windows
    );
    assert!(
        watched.windows[1].ends_with("not yet"),
        "{:?}",
        watched.windows
    );

    // The evening passes without a tap: nothing at 8:14 PM, its own alert at
    // 8:15 PM, once.
    assert_eq!(missed_at(&w, "2026-11-27T06:14:00Z").await, 0);
    assert_eq!(missed_at(&w, "2026-11-27T06:15:00Z").await, 1);
    assert_eq!(missed_at(&w, "2026-11-27T06:30:00Z").await, 0);
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM deliveries WHERE kind = 'missed' AND channel = 'email'"
        )
        .await,
        2,
        "Tom and Ann were alerted about the evening's, once each"
    );
    // Its title says which check-in: she made the morning's.
    let titles: Vec<String> =
        sqlx::query_scalar(
            "SELECT DISTINCT payload->>'title' FROM deliveries WHERE kind = 'missed' AND recipient_id = $1",
        )
        .bind(tom.user_id)
        .fetch_all(&w.pool)
            .await
            .expect("titles");
    assert_eq!(
        titles,
        vec!["Mum missed the 8:00 PM HST check-in".to_string()]
    );
    // Friday: the morning's is missed too, and alerted apart from Thursday
    // evening's.
    assert_eq!(missed_at(&w, "2026-11-27T20:14:00Z").await, 0);
    assert_eq!(missed_at(&w, "2026-11-27T20:15:00Z").await, 1);
    let thu = "2026-11-26".parse().expect("day");
    let fri = "2026-11-27".parse().expect("day");
    assert_eq!(misses(&w).await, vec![(thu, 1), (fri, 0)]);
    // A late tap at 11 AM checks in Friday's morning (the alert is resolved),
    // and the evening's is still to come.
    w.services
        .clock
        .set(at("2026-11-27T21:00:00Z"))
        .expect("clock");
    let late = checkins
        .check_in(mum.user_id, Source::Web)
        .await
        .expect("tap");
    assert!(late.late && !late.already, "{late:?}");
    // Any check-in says she is well: every open alert of the last day ends.
    assert_eq!(
        count(
            &w.pool,
            "SELECT count(*) FROM misses WHERE resolved_at IS NULL"
        )
        .await,
        0
    );
    let next: (chrono::DateTime<chrono::Utc>, i16) =
        sqlx::query_as("SELECT next_deadline, next_slot FROM schedules")
            .fetch_one(&w.pool)
            .await
            .expect("next");
    assert_eq!(next, (at("2026-11-28T06:00:00Z"), 1), "Friday 8:00 PM");

    // Tom's view of her history: two rows a day, each with its own outcome.
    let detail = checkins
        .member_detail(&tom, mum.user_id)
        .await
        .expect("history");
    let rows = |day: &str| -> Vec<(Option<String>, DayOutcome)> {
        detail
            .days
            .iter()
            .filter(|d| d.day == day)
            .map(|d| (d.window.clone(), d.outcome))
            .collect()
    };
    assert_eq!(
        rows("Thursday 26 November"),
        vec![
            (Some("10:00 AM check-in".into()), DayOutcome::OnTime),
            (Some("8:00 PM check-in".into()), DayOutcome::Missed),
        ]
    );
    assert_eq!(
        rows("Friday 27 November"),
        vec![
            (Some("10:00 AM check-in".into()), DayOutcome::Late),
            (Some("8:00 PM check-in".into()), DayOutcome::Open),
        ]
    );
}

/// Weekdays at 9:00 AM and weekends at 11:00 AM.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_weekend_time_applies_on_saturday_and_sunday_only(pool: PgPool) {
    let w = crate::common::world(pool);
    let (mum, _tom, _ann) = family(&w).await; // Thursday 26 November, 8:00 AM HST
    set_windows(
        &w,
        &mum,
        vec![window(9, Days::WEEKDAYS), window(11, Days::WEEKENDS)],
    )
    .await;
    // Thursday and Friday: due at 9:00 (alerted 9:15), nothing more at 11.
    assert_eq!(
        missed_at(&w, "2026-11-26T19:14:00Z").await,
        0,
        "Thursday 9:14 AM"
    );
    assert_eq!(
        missed_at(&w, "2026-11-26T19:15:00Z").await,
        1,
        "Thursday 9:15 AM"
    );
    assert_eq!(
        missed_at(&w, "2026-11-27T19:14:00Z").await,
        0,
        "Friday 9:14 AM"
    );
    assert_eq!(
        missed_at(&w, "2026-11-27T19:15:00Z").await,
        1,
        "Friday 9:15 AM"
    );
    assert_eq!(
        missed_at(&w, "2026-11-27T21:15:00Z").await,
        0,
        "Friday 11:15 AM"
    );
    // Saturday: nothing at 9:15, the alert at 11:15.
    assert_eq!(
        missed_at(&w, "2026-11-28T19:15:00Z").await,
        0,
        "Saturday 9:15 AM"
    );
    assert_eq!(
        missed_at(&w, "2026-11-28T21:14:00Z").await,
        0,
        "Saturday 11:14 AM"
    );
    assert_eq!(
        missed_at(&w, "2026-11-28T21:15:00Z").await,
        1,
        "Saturday 11:15 AM"
    );
    // Sunday at 11, Monday back at 9.
    assert_eq!(
        missed_at(&w, "2026-11-29T21:15:00Z").await,
        1,
        "Sunday 11:15 AM"
    );
    assert_eq!(
        missed_at(&w, "2026-11-30T19:15:00Z").await,
        1,
        "Monday 9:15 AM"
    );
    let deadlines: Vec<chrono::DateTime<chrono::Utc>> =
        sqlx::query_scalar("SELECT deadline_at FROM misses ORDER BY deadline_at")
            .fetch_all(&w.pool)
            .await
            .expect("misses");
    assert_eq!(
        deadlines,
        [
            "2026-11-26T19:00:00Z",
            "2026-11-27T19:00:00Z",
            "2026-11-28T21:00:00Z",
            "2026-11-29T21:00:00Z",
            "2026-11-30T19:00:00Z",
        ]
        .map(at)
    );
}

/// Mum's browser says Chicago while her check-ins are Honolulu's: she is asked
/// once; "yes" moves her check-ins there (the same time of day) and Tom is
/// told; back home she is asked again, and "no" is remembered.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn away_in_another_zone_she_is_asked_once_and_her_contacts_see_the_change(pool: PgPool) {
    let w = crate::common::world(pool);
    let (mum, tom, _ann) = family(&w).await; // 10:00 AM Honolulu; 8:00 AM there now
    let checkins = CheckIns(&w.services);
    let prompt = |home: app::checkin::views::HomeView| home.my_day.expect("her day").travel;
    // Her browser in Honolulu: nothing to ask.
    let honolulu = "Pacific/Honolulu".parse().expect("zone");
    checkins.remember_zone(&mum, honolulu).await.expect("zone");
    assert_eq!(prompt(checkins.home(&mum).await.expect("home")), None);
    // In Chicago: asked, in her words.
    let chicago = "America/Chicago".parse().expect("zone");
    checkins.remember_zone(&mum, chicago).await.expect("zone");
    let asked = prompt(checkins.home(&mum).await.expect("home")).expect("asked");
    assert_eq!(
        (asked.place.as_str(), asked.home_place.as_str()),
        ("Chicago", "Honolulu")
    );
    assert_eq!(asked.zone, "America/Chicago");
    // Yes: her check-ins follow Chicago (10:00 AM there), and Tom hears of it.
    checkins
        .answer_travel(&caller(), &mum, chicago, true)
        .await
        .expect("answer");
    let (zone, next): (String, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("SELECT time_zone, next_deadline FROM schedules")
            .fetch_one(&w.pool)
            .await
            .expect("schedule");
    assert_eq!(zone, "America/Chicago");
    // It is noon in Chicago: today's 10:00 AM there has passed (it was not
    // due where she was), so her next is tomorrow's, and nobody is alerted.
    assert_eq!(next, at("2026-11-27T16:00:00Z"), "10:00 AM CST tomorrow");
    assert_eq!(Alerts(&w.services).detect().await.expect("pass").missed, 0);
    assert_eq!(
        prompt(checkins.home(&mum).await.expect("home")),
        None,
        "asked once"
    );
    let told: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM notifications WHERE user_id = $1 AND kind = 'schedule_changed'",
    )
    .bind(tom.user_id)
    .fetch_all(&w.pool)
    .await
    .expect("notifications");
    assert!(
        told.iter().any(|b| b.contains("10:00 AM CST")),
        "Tom sees the zone change: {told:?}"
    );
    // Home again: asked about Honolulu; "no" keeps Chicago and is remembered.
    checkins.remember_zone(&mum, honolulu).await.expect("zone");
    let back = prompt(checkins.home(&mum).await.expect("home")).expect("asked again");
    assert_eq!(back.place, "Honolulu");
    checkins
        .answer_travel(&caller(), &mum, honolulu, false)
        .await
        .expect("answer");
    assert_eq!(prompt(checkins.home(&mum).await.expect("home")), None);
    let zone: String = sqlx::query_scalar("SELECT time_zone FROM schedules")
        .fetch_one(&w.pool)
        .await
        .expect("zone");
    assert_eq!(zone, "America/Chicago");
}

/// The schedule form shows her check-ins as she gave them, the first row first
/// even when it is not the earliest; the Contacts' note names each.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn the_schedule_form_keeps_her_rows_in_her_order(pool: PgPool) {
    let w = crate::common::world(pool);
    let (mum, tom, _ann) = family(&w).await;
    set_windows(
        &w,
        &mum,
        vec![window(20, Days::EVERY_DAY), window(9, Days::WEEKDAYS)],
    )
    .await;
    let form = CheckIns(&w.services).my_schedule(&mum).await.expect("form");
    assert_eq!(
        (form.deadline.as_str(), form.days.as_str()),
        ("20:00", "every")
    );
    assert_eq!(form.more[0], ("09:00".to_string(), "weekdays".to_string()));
    assert_eq!(form.more.len(), 3, "rows for up to four in all");
    assert_eq!(form.more[1], (String::new(), "every".to_string()));
    let told: String = sqlx::query_scalar(
        "SELECT body FROM notifications WHERE user_id = $1 AND kind = 'schedule_changed'
          ORDER BY created_at DESC LIMIT 1",
    )
    .bind(tom.user_id)
    .fetch_one(&w.pool)
    .await
    .expect("told");
    assert!(
        told.contains("8:00 PM HST every day and 9:00 AM HST on weekdays"),
        "{told}"
    );
}

/// A check-in added before one already alerted renumbers the day's check-ins:
/// the alert already sent does not go out again, and the new earlier time
/// (already past) is not alerted either.
#[sqlx::test(migrator = "server::db::MIGRATOR")]
async fn a_window_added_after_an_alert_never_alerts_that_check_in_again(pool: PgPool) {
    let w = crate::common::world(pool);
    let (mum, _tom, _ann) = family(&w).await;
    set_windows(
        &w,
        &mum,
        vec![window(10, Days::EVERY_DAY), window(20, Days::EVERY_DAY)],
    )
    .await;
    assert_eq!(missed_at(&w, "2026-11-26T20:15:00Z").await, 1, "10:15 AM");
    // 11:00 AM: she adds a 7:00 AM check-in (the 10:00 one is now the second).
    w.services
        .clock
        .set(at("2026-11-26T21:00:00Z"))
        .expect("clock");
    set_windows(
        &w,
        &mum,
        vec![
            window(7, Days::EVERY_DAY),
            window(10, Days::EVERY_DAY),
            window(20, Days::EVERY_DAY),
        ],
    )
    .await;
    assert_eq!(missed_at(&w, "2026-11-26T21:01:00Z").await, 0);
    assert_eq!(missed_at(&w, "2026-11-26T21:30:00Z").await, 0);
    // The evening's comes as usual.
    assert_eq!(missed_at(&w, "2026-11-27T06:15:00Z").await, 1, "8:15 PM");
    assert_eq!(
        count(&w.pool, "SELECT count(*) FROM misses").await,
        2,
        "one alert for 10:00, one for 8:00 PM"
    );
}

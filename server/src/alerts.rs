//! The missed-check-in detector and the delivery workers, as tasks inside the
//! server process (no external cron). Any number of processes may run them
//! against one database: claims use row locks, so each miss and each delivery is
//! taken by one of them.
use crate::background::every;
use app::alerts::rules::POLL_EVERY_SECONDS;
use app::alerts::service::Alerts;
use app::calls::service::Calls;
use app::notify::worker::Worker;
use app::notify::Channel;
use app::phones::service::Phones;
use app::services::Services;
use app::summary::service::Summaries;
use std::time::Duration;

/// Starts the detector and one worker per channel, each in [`every`] (a pass
/// that panics is logged and the job goes on).
pub fn spawn(services: Services) {
    let poll = Duration::from_secs(POLL_EVERY_SECONDS);
    let detector = services.clone();
    every("detector", poll, move || {
        let detector = detector.clone();
        async move {
            match Alerts(&detector).detect().await {
                Ok(pass) if pass.missed > 0 || pass.realerts > 0 => tracing::info!(
                    missed = pass.missed,
                    realerts = pass.realerts,
                    deliveries = pass.deliveries,
                    "missed check-ins claimed"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "the detector pass failed; trying again"),
            }
            // The daily check-in calls due (and their second tries).
            match Calls(&detector).place_due().await {
                Ok(0) => {}
                Ok(placed) => tracing::info!(placed, "daily check-in calls written"),
                Err(e) => tracing::warn!(error = %e, "the daily call pass failed; trying again"),
            }
            // The one reminder to reply YES to a number's confirmation text.
            if let Err(e) = Phones(&detector).verify_reminders().await {
                tracing::warn!(error = %e, "the phone confirmation reminders failed; trying again");
            }
        }
    });
    // Once a minute, a line operations can graph: detector lag and delivery backlog.
    let watcher = services.clone();
    every("watcher", Duration::from_secs(60), move || {
        let watcher = watcher.clone();
        async move {
            match (
                Alerts(&watcher).detector_lag().await,
                Worker(&watcher).delivery_backlog().await,
            ) {
                (Ok(lag), Ok(backlog)) => tracing::info!(
                    detector_lag_seconds = lag,
                    delivery_backlog = backlog,
                    "alerts"
                ),
                _ => tracing::warn!("could not read the detector lag or the delivery backlog"),
            }
        }
    });
    // Every ten minutes: the weekly summaries whose Monday morning has come
    // (each Contact's own zone; each sent once).
    let summaries = services.clone();
    every("weekly summary", Duration::from_secs(600), move || {
        let summaries = summaries.clone();
        async move {
            match Summaries(&summaries).send_weekly().await {
                Ok(0) => {}
                Ok(told) => tracing::info!(told, "weekly summaries written"),
                Err(e) => tracing::warn!(error = %e, "the weekly summaries failed; trying again"),
            }
        }
    });
    for channel in Channel::ALL {
        let worker = services.clone();
        let job = match channel {
            Channel::Email => "email worker",
            Channel::Push => "push worker",
            Channel::Sms => "sms worker",
            Channel::Call => "call worker",
        };
        every(job, poll, move || {
            let worker = worker.clone();
            async move {
                // Drain what is due, then wait for the next tick.
                loop {
                    match Worker(&worker).deliver(&[channel]).await {
                        Ok(pass) if pass.claimed > 0 => {
                            crate::health::count_sends(channel.as_str(), &pass);
                            tracing::debug!(
                                channel = channel.as_str(),
                                sent = pass.sent,
                                skipped = pass.skipped,
                                retried = pass.retried,
                                failed = pass.failed,
                                canceled = pass.canceled,
                                "deliveries handled"
                            );
                        }
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, channel = channel.as_str(), "a delivery pass failed; trying again");
                            break;
                        }
                    }
                }
            }
        });
    }
}

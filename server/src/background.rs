//! The loop every background job runs in (the detector, the delivery workers, the
//! billing pass). Each pass runs as its own task: a panic inside one is logged
//! and the next tick runs as usual, instead of silently ending the job for the
//! life of the process (alerts would then stop going out from this server).
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// What this process's jobs are doing, for `/ready` and `/metrics`.
#[derive(Debug, Clone, Copy)]
struct Beat {
    period: Duration,
    /// When the pass now running started; `None` between passes.
    running_since: Option<Instant>,
    last_end: Instant,
}

fn beats() -> &'static Mutex<BTreeMap<&'static str, Beat>> {
    static BEATS: OnceLock<Mutex<BTreeMap<&'static str, Beat>>> = OnceLock::new();
    BEATS.get_or_init(Mutex::default)
}

fn beat(job: &'static str, update: impl FnOnce(&mut Beat)) {
    if let Ok(mut beats) = beats().lock() {
        if let Some(b) = beats.get_mut(job) {
            update(b);
        }
    }
}

/// A pass may run this long (a worker draining a large backlog) before its job
/// counts as stuck.
const LONGEST_PASS: Duration = Duration::from_secs(15 * 60);

/// This process's jobs that have stopped: a pass stuck for [`LONGEST_PASS`], or
/// no pass for three periods and a minute.
pub fn stalled() -> Vec<&'static str> {
    let now = Instant::now();
    let Ok(beats) = beats().lock() else {
        return vec!["(job table)"];
    };
    beats
        .iter()
        .filter(|(_, b)| match b.running_since {
            Some(start) => now.duration_since(start) > LONGEST_PASS,
            None => now.duration_since(b.last_end) > b.period * 3 + Duration::from_secs(60),
        })
        .map(|(job, _)| *job)
        .collect()
}

/// Seconds since each job last finished a pass.
pub fn last_pass_ages() -> Vec<(&'static str, f64)> {
    let now = Instant::now();
    beats()
        .lock()
        .map(|beats| {
            beats
                .iter()
                .map(|(job, b)| (*job, now.duration_since(b.last_end).as_secs_f64()))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `pass` every `period` (a slow pass delays the next tick rather than
/// piling ticks up), for as long as the process lives.
pub fn every<F, Fut>(job: &'static str, period: Duration, mut pass: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    if let Ok(mut beats) = beats().lock() {
        beats.insert(
            job,
            Beat {
                period,
                running_since: None,
                last_end: Instant::now(),
            },
        );
    }
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            beat(job, |b| b.running_since = Some(Instant::now()));
            let ended = tokio::spawn(pass()).await;
            beat(job, |b| {
                b.running_since = None;
                b.last_end = Instant::now();
            });
            if let Err(e) = ended {
                if e.is_panic() {
                    tracing::error!(job, "a pass panicked; the job carries on at the next tick");
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[tokio::test]
    async fn a_pass_that_panics_does_not_end_the_job() {
        let calls = Arc::new(AtomicUsize::new(0));
        let (done, mut passes) = tokio::sync::mpsc::unbounded_channel();
        let counter = calls.clone();
        let job = every("test", Duration::from_millis(5), move || {
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            let done = done.clone();
            async move {
                if n == 1 {
                    panic!("the first pass fails");
                }
                let _ = done.send(n);
            }
        });
        // The passes after the panic still run. (The timeout only bounds a
        // failure; a healthy job answers within milliseconds.)
        for expected in [2, 3] {
            let got = tokio::time::timeout(Duration::from_secs(10), passes.recv())
                .await
                .expect("the job still runs after a panicking pass");
            assert_eq!(got, Some(expected));
        }
        assert!(!job.is_finished());
        job.abort();
    }
}

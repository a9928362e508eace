//! The loop every background job runs in (the detector, the delivery workers, the
//! billing pass). Each pass runs as its own task: a panic inside one is logged
//! and the next tick runs as usual, instead of silently ending the job for the
//! life of the process (alerts would then stop going out from this server).
use std::future::Future;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// Runs `pass` every `period` (a slow pass delays the next tick rather than
/// piling ticks up), for as long as the process lives.
pub fn every<F, Fut>(job: &'static str, period: Duration, mut pass: F) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = tokio::spawn(pass()).await {
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

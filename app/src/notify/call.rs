//! The call channel (server only): placing a call through Twilio's Calls
//! resource. What the call says is asked of the app by Twilio when it is
//! answered (`CALL_PATH` + the delivery's id: `phones::twiml` writes it), and
//! how it ended comes to `CALL_STATUS_PATH` (kept on the delivery, in its
//! trail). A call goes only to a confirmed number, at most
//! `Settings::calls_per_day` times a day to one person.
use super::outbox::{self, ClaimedRow};
use super::rules::SendError;
use super::worker::Worker;
use super::Kind;

/// Twilio asks here what to say when a call we placed is answered:
/// `/webhooks/twilio/voice/out/<delivery id>`; the keys pressed come to the
/// same path with `/keys` after it.
pub const CALL_PATH: &str = "/webhooks/twilio/voice/out/";
/// Twilio posts here how a call we placed ended.
pub const CALL_STATUS_PATH: &str = "/webhooks/twilio/voice/status";

impl Worker<'_> {
    /// The call sender: the outbox's "call" arm. "Sent" is Twilio taking the
    /// call; what became of it (answered, no answer, busy, a machine) comes
    /// later by the status callback.
    pub(super) async fn send_call(self, d: &ClaimedRow) -> Result<Option<String>, SendError> {
        let Some(client) = self.sms.as_ref() else {
            return Err(SendError::Permanent(
                "calls are not set up on this server".into(),
            ));
        };
        let own = matches!(d.kind, Kind::DailyCall | Kind::CallConfirm);
        if own && d.maybe_sent {
            // An earlier try's worker stopped mid-call: Twilio may have placed
            // it. Her phone rings once, never twice.
            return Err(SendError::NotNeeded(
                "not called again: an earlier try may already have rung".into(),
            ));
        }
        // She may have checked in, stopped her calls, or someone may be on the
        // alert, while this call waited for a retry: nobody is rung for nothing.
        let unneeded = match (d.kind, d.recipient_id, d.miss_id) {
            (Kind::DailyCall, Some(member), _) => {
                outbox::daily_call_unneeded(&self.pool, member, d.created_at).await
            }
            (Kind::Missed | Kind::MissedAgain, _, Some(miss)) => {
                outbox::alert_call_unneeded(&self.pool, miss).await
            }
            _ => Ok(None),
        }
        .map_err(|_| SendError::Transient("the database did not answer".into()))?;
        if let Some(why) = unneeded {
            return Err(SendError::NotNeeded(why.into()));
        }
        let Some(number) = d.phone.as_deref() else {
            return Err(SendError::Permanent("no confirmed number to call".into()));
        };
        let now = self.clock.now();
        let placed = outbox::calls_placed_since(
            &self.pool,
            d.recipient_id,
            d.id,
            now - chrono::Duration::hours(24),
        )
        .await
        .map_err(|_| SendError::Transient("the database did not answer".into()))?;
        if placed >= i64::from(self.settings.calls_per_day) {
            return Err(SendError::Permanent(format!(
                "not called: {placed} calls to this person in the last 24 hours already"
            )));
        }
        let base = self.settings.public_url.trim_end_matches('/');
        let url = format!("{base}{CALL_PATH}{}", d.id);
        let callback = format!("{base}{CALL_STATUS_PATH}");
        client
            .call(number, &url, &callback)
            .await
            .map(Some)
            .map_err(|not_sent| not_sent.error)
    }
}

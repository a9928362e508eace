//! Walking the chain: `server audit verify`, the daily check, and the admin
//! Health page's "last verification".
use super::rules::{self, Fault};
use super::store;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Entries read per round trip while walking.
const BATCH: i64 = 2_000;

crate::services::facade! {
    /// The audit log's own actions: checking the chain.
    Audit
}

/// The first bad entry found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadEntry {
    /// The row's id in `audit_log`.
    pub id: i64,
    /// Its place in the chain (absent for an entry added outside it).
    pub seq: Option<i64>,
    pub why: String,
}

/// What a walk of the chain found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub at: DateTime<Utc>,
    /// Chained entries checked (up to the first bad one).
    pub entries: i64,
    /// Entries from before the chain began, not covered by it.
    pub before_chain: i64,
    pub first_bad: Option<BadEntry>,
    /// The newest entry checked, so the next check notices if it disappears.
    pub head_seq: i64,
    pub head_hash: String,
}

impl Verification {
    /// One line for the command line and the Health page.
    pub fn summary(&self) -> String {
        let before = if self.before_chain > 0 {
            format!(
                " ({} older entries from before the chain are not covered)",
                self.before_chain
            )
        } else {
            String::new()
        };
        match &self.first_bad {
            None => format!("{} entries, chain intact{before}", self.entries),
            Some(bad) => format!(
                "chain broken at entry {} (row id {}): {}",
                bad.seq.map_or("-".to_string(), |s| s.to_string()),
                bad.id,
                bad.why
            ),
        }
    }
}

impl Audit<'_> {
    /// Walks the whole chain from the first entry, stops at the first bad one,
    /// and records the result (shown on the admin Health page).
    pub async fn verify(self) -> Result<Verification, sqlx::Error> {
        let now = self.now();
        let key = &self.settings.audit_key;
        // The newest entry the last good check saw: a bad check in between must
        // not become the new starting point (or a shortened chain would pass
        // the check after the one that noticed).
        let previous_head = store::last_good_check(&self.pool)
            .await?
            .and_then(|s| serde_json::from_value::<Verification>(s).ok())
            .filter(|v| v.head_seq > 0);
        let (before_chain, forged) = store::unchained(&self.pool).await?;
        let mut prev: Option<(i64, Vec<u8>)> = None;
        let mut entries = 0;
        let mut first_bad = None;
        'walk: loop {
            let after = prev.as_ref().map_or(0, |p| p.0);
            let rows = store::chained_after(&self.pool, after, BATCH).await?;
            if rows.is_empty() {
                break;
            }
            for row in rows {
                if let Err(fault) =
                    rules::check(key, prev.as_ref().map(|(s, h)| (*s, &h[..])), &row)
                {
                    first_bad = Some(BadEntry {
                        id: row.id,
                        seq: Some(match fault {
                            Fault::Missing { expected, .. } => expected,
                            _ => row.entry.seq,
                        }),
                        why: fault.describe(),
                    });
                    break 'walk;
                }
                entries += 1;
                prev = Some((row.entry.seq, row.hash));
            }
        }
        if first_bad.is_none() {
            if let Some(id) = forged {
                first_bad = Some(BadEntry {
                    id,
                    seq: None,
                    why: Fault::Unchained.describe(),
                });
            }
        }
        if first_bad.is_none() {
            // The newest entry at the last check must still be there, unchanged:
            // deleting entries from the end leaves no gap to notice otherwise.
            if let Some(head) = previous_head {
                let now_hash = store::hash_of(&self.pool, head.head_seq).await?;
                if now_hash.map(|h| rules::hex(&h)) != Some(head.head_hash.clone()) {
                    first_bad = Some(BadEntry {
                        id: 0,
                        seq: Some(head.head_seq),
                        why: Fault::HeadGone { seq: head.head_seq }.describe(),
                    });
                }
            }
        }
        let (head_seq, head_hash) = prev.map_or((0, String::new()), |(s, h)| (s, rules::hex(&h)));
        let result = Verification {
            at: now,
            entries,
            before_chain,
            first_bad,
            head_seq,
            head_hash,
        };
        store::record_check(&self.pool, now, json!(result)).await?;
        Ok(result)
    }

    /// The latest check's result, if the chain was ever checked.
    pub async fn last_verification(self) -> Result<Option<Verification>, sqlx::Error> {
        Ok(store::recent_checks(&self.pool, 1)
            .await?
            .into_iter()
            .next()
            .and_then(|(_, s)| serde_json::from_value(s).ok()))
    }
}

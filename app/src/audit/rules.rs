//! The audit chain's rules, pure: how an entry is written down (its canonical
//! form), how its hash is made, and what makes an entry bad when the chain is
//! walked. No database here; `store` reads and writes, `service` walks.
use chrono::{DateTime, SubsecRound, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::fmt::Write;
use uuid::Uuid;

/// The hash before the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

/// The server's key for the chain (`PRUUF_AUDIT_KEY`, at least 32 bytes). The
/// database never sees it: without it nobody can make a hash that verifies.
#[derive(Clone)]
pub struct AuditKey(Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the audit key must be at least 32 bytes")]
pub struct ShortKey;

impl AuditKey {
    pub fn new(bytes: &[u8]) -> Result<Self, ShortKey> {
        if bytes.len() < 32 {
            return Err(ShortKey);
        }
        Ok(AuditKey(bytes.to_vec()))
    }

    fn mac(&self, domain: &[u8]) -> Hmac<Sha256> {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes any key length"),
        };
        mac.update(domain);
        mac
    }

    /// The chained hash of an entry: HMAC(key, prev_hash || canonical entry).
    pub fn chain(&self, prev_hash: &[u8], entry: &Entry) -> [u8; 32] {
        let mut mac = self.mac(b"");
        mac.update(prev_hash);
        mac.update(canonical(entry).as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A keyed digest of a client address: the chain covers the address without
    /// holding it (the address itself is kept beside the chain, and erased by the
    /// purge), and nobody without the key can test a guess against it.
    pub fn ip_digest(&self, ip: &str) -> [u8; 32] {
        let mut mac = self.mac(b"pruuf-audit-ip\0");
        mac.update(ip.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// A keyed digest of a note typed by a person (kept beside the chain).
    pub fn note_digest(&self, note: &str) -> [u8; 32] {
        let mut mac = self.mac(b"pruuf-audit-note\0");
        mac.update(note.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// One entry, as the chain covers it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// The account that acted (its audit reference), if any.
    pub actor: Option<Uuid>,
    /// The account acted upon, when it is another (its audit reference).
    pub subject: Option<Uuid>,
    pub event: String,
    pub ip_digest: Option<Vec<u8>>,
    pub detail: Value,
}

/// The time as the database keeps it (microseconds), so that what was hashed is
/// what is read back.
pub fn stored_time(at: DateTime<Utc>) -> DateTime<Utc> {
    at.trunc_subsecs(6)
}

/// The entry written down one way only: a JSON array of its fields in a fixed
/// order, object keys sorted at every depth, no spaces, times in UTC to the
/// microsecond. The database's `jsonb` may reorder keys; this form does not care.
pub fn canonical(e: &Entry) -> String {
    let mut out = String::with_capacity(256);
    out.push('[');
    let _ = write!(out, "{},", e.seq);
    push_string(
        &mut out,
        &stored_time(e.at)
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string(),
    );
    out.push(',');
    push_uuid(&mut out, e.actor);
    out.push(',');
    push_uuid(&mut out, e.subject);
    out.push(',');
    push_string(&mut out, &e.event);
    out.push(',');
    match &e.ip_digest {
        Some(d) => push_string(&mut out, &hex(d)),
        None => out.push_str("null"),
    }
    out.push(',');
    push_value(&mut out, &e.detail);
    out.push(']');
    out
}

fn push_uuid(out: &mut String, id: Option<Uuid>) {
    match id {
        Some(id) => push_string(out, &id.to_string()),
        None => out.push_str("null"),
    }
}

fn push_string(out: &mut String, s: &str) {
    // serde_json's string escaping is deterministic.
    out.push_str(&Value::String(s.to_string()).to_string());
}

fn push_value(out: &mut String, v: &Value) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_string(out, k);
                out.push(':');
                push_value(out, &map[k]);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                push_value(out, item);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// An entry as read back, with what it claims about the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub id: i64,
    pub entry: Entry,
    pub prev_hash: Vec<u8>,
    pub hash: Vec<u8>,
    /// The address kept beside the entry, unless erased.
    pub ip: Option<String>,
    /// The note kept beside the entry, unless erased.
    pub note: Option<String>,
}

/// What is wrong with the first bad entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Entry `expected` is not there: the next one found is `found`.
    Missing { expected: i64, found: i64 },
    /// The entry does not point at the one before it.
    BrokenLink,
    /// The entry's fields are not what was hashed: it was changed.
    Altered,
    /// The address or note kept beside the entry is not the one it was made with.
    BesideChanged,
    /// An entry with no place in the chain, written after the chain began.
    Unchained,
    /// The newest entry the last check saw is gone or changed.
    HeadGone { seq: i64 },
}

impl Fault {
    pub fn describe(&self) -> String {
        match self {
            Fault::Missing { expected, found } => {
                format!("entry {expected} is missing (the next entry is {found}): deleted")
            }
            Fault::BrokenLink => "it does not follow the entry before it".into(),
            Fault::Altered => "its contents are not what was written: changed".into(),
            Fault::BesideChanged => {
                "the address or note kept beside it is not the one written: changed".into()
            }
            Fault::Unchained => "it was added outside the chain".into(),
            Fault::HeadGone { seq } => {
                format!("entry {seq}, the newest at the last check, is gone or changed")
            }
        }
    }
}

/// Checks one entry against the one before it (`prev`: its seq and hash; `None`
/// before the first). Answers the entry's hash to carry on with.
pub fn check(key: &AuditKey, prev: Option<(i64, &[u8])>, row: &Stored) -> Result<(), Fault> {
    let (expected, prev_hash) = match prev {
        Some((seq, hash)) => (seq + 1, hash),
        None => (1, &GENESIS[..]),
    };
    if row.entry.seq != expected {
        return Err(Fault::Missing {
            expected,
            found: row.entry.seq,
        });
    }
    if row.prev_hash != prev_hash {
        return Err(Fault::BrokenLink);
    }
    if key.chain(&row.prev_hash, &row.entry)[..] != row.hash[..] {
        return Err(Fault::Altered);
    }
    // What is kept beside it may be erased (the purge), never changed.
    let ip_ok = match (&row.ip, &row.entry.ip_digest) {
        (None, _) => true,
        (Some(ip), Some(d)) => key.ip_digest(ip)[..] == d[..],
        (Some(_), None) => false,
    };
    let note_ok = match (&row.note, row.entry.detail.get("note_digest")) {
        (None, _) => true,
        (Some(n), Some(Value::String(d))) => hex(&key.note_digest(n)) == *d,
        (Some(_), _) => false,
    };
    if !(ip_ok && note_ok) {
        return Err(Fault::BesideChanged);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> AuditKey {
        AuditKey::new(b"a test key that is long enough for the chain").expect("key")
    }

    fn entry(seq: i64, event: &str, detail: Value) -> Entry {
        Entry {
            seq,
            at: DateTime::parse_from_rfc3339("2026-12-04T09:30:00.123456789Z")
                .expect("time")
                .with_timezone(&Utc),
            actor: Some(Uuid::from_u128(7)),
            subject: None,
            event: event.into(),
            ip_digest: Some(key().ip_digest("203.0.113.9").to_vec()),
            detail,
        }
    }

    fn chain(entries: &[Entry]) -> Vec<Stored> {
        let k = key();
        let mut prev = GENESIS.to_vec();
        entries
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let hash = k.chain(&prev, e).to_vec();
                let s = Stored {
                    id: i as i64 + 10,
                    entry: e.clone(),
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                    ip: Some("203.0.113.9".into()),
                    note: None,
                };
                prev = hash;
                s
            })
            .collect()
    }

    fn walk(rows: &[Stored]) -> Result<(), (i64, Fault)> {
        let k = key();
        let mut prev: Option<(i64, Vec<u8>)> = None;
        for r in rows {
            check(&k, prev.as_ref().map(|(s, h)| (*s, &h[..])), r).map_err(|f| (r.id, f))?;
            prev = Some((r.entry.seq, r.hash.clone()));
        }
        Ok(())
    }

    #[test]
    fn the_canonical_form_ignores_key_order_and_keeps_microseconds() {
        let a = entry(
            1,
            "login",
            json!({ "b": 1, "a": { "y": [1, "x"], "x": null } }),
        );
        let b = entry(
            1,
            "login",
            json!({ "a": { "x": null, "y": [1, "x"] }, "b": 1 }),
        );
        assert_eq!(canonical(&a), canonical(&b));
        let text = canonical(&a);
        assert!(
            text.starts_with("[1,\"2026-12-04T09:30:00.123456Z\","),
            "{text}"
        );
        assert!(
            text.ends_with(",{\"a\":{\"x\":null,\"y\":[1,\"x\"]},\"b\":1}]"),
            "{text}"
        );
    }

    #[test]
    fn an_intact_chain_passes() {
        let rows = chain(&[
            entry(1, "login", json!({})),
            entry(2, "pin_change", json!({ "devices": 2 })),
            entry(3, "sign_out", json!({})),
        ]);
        assert_eq!(walk(&rows), Ok(()));
    }

    #[test]
    fn a_changed_field_names_that_entry() {
        let mut rows = chain(&[
            entry(1, "login", json!({})),
            entry(2, "login_failed", json!({ "failures": 3 })),
            entry(3, "sign_out", json!({})),
        ]);
        rows[1].entry.detail = json!({ "failures": 1 });
        assert_eq!(walk(&rows), Err((11, Fault::Altered)));
        let mut rows = chain(&[entry(1, "login", json!({})), entry(2, "login", json!({}))]);
        rows[0].entry.actor = Some(Uuid::from_u128(8));
        assert_eq!(walk(&rows), Err((10, Fault::Altered)));
    }

    #[test]
    fn a_deleted_entry_is_named_by_its_place() {
        let mut rows = chain(&[
            entry(1, "login", json!({})),
            entry(2, "login", json!({})),
            entry(3, "login", json!({})),
        ]);
        rows.remove(1);
        assert_eq!(
            walk(&rows),
            Err((
                12,
                Fault::Missing {
                    expected: 2,
                    found: 3
                }
            ))
        );
    }

    #[test]
    fn a_rehashed_entry_without_the_key_breaks_the_link_or_the_hash() {
        let mut rows = chain(&[entry(1, "login", json!({})), entry(2, "login", json!({}))]);
        // A writer with a different key re-hashes entry 1 after changing it.
        let other = AuditKey::new(b"somebody else's key, also long enough....").expect("key");
        rows[0].entry.event = "nothing".into();
        rows[0].hash = other.chain(&GENESIS, &rows[0].entry).to_vec();
        assert_eq!(walk(&rows), Err((10, Fault::Altered)));
    }

    #[test]
    fn an_address_beside_the_chain_may_be_erased_but_not_changed() {
        let mut rows = chain(&[entry(1, "login", json!({})), entry(2, "login", json!({}))]);
        rows[0].ip = None;
        assert_eq!(walk(&rows), Ok(()));
        rows[1].ip = Some("198.51.100.1".into());
        assert_eq!(walk(&rows), Err((11, Fault::BesideChanged)));
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(AuditKey::new(b"short").is_err());
    }

    #[test]
    fn ip_digests_are_keyed() {
        let other = AuditKey::new(b"somebody else's key, also long enough....").expect("key");
        assert_ne!(key().ip_digest("10.0.0.1"), other.ip_digest("10.0.0.1"));
        assert_eq!(key().ip_digest("10.0.0.1"), key().ip_digest("10.0.0.1"));
    }
}

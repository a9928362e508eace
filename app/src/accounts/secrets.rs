//! Making and checking secrets, on the server only.
//! - Email codes: 6 digits from the OS's CSPRNG, without modulo bias.
//! - Code digests: HMAC-SHA-256 under a server key, bound to the address. A code has
//!   only a million values, so an unkeyed hash would be no protection if the table
//!   leaked; with the key it is.
//! - PINs: argon2id with a random salt (PHC string). Checking a PIN for an address
//!   with no account costs the same as for a real one.
use crate::validation::{Email, EmailCode, Pin};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::LazyLock;

/// A fresh, uniformly random 6-digit code.
pub fn new_email_code() -> EmailCode {
    // 4_294_000_000 is the largest multiple of 1_000_000 below 2^32: values at or
    // above it are drawn again, so every code is equally likely.
    let n = loop {
        let x = OsRng.next_u32();
        if x < 4_294_000_000 {
            break x % 1_000_000;
        }
    };
    match EmailCode::parse(&format!("{n:06}")) {
        Ok(code) => code,
        Err(_) => unreachable!("six digits always parse"),
    }
}

/// The server key for code digests (from the environment, at least 32 bytes).
#[derive(Clone)]
pub struct CodeKey(Vec<u8>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretError {
    #[error("the code key must be at least 32 bytes")]
    ShortKey,
    #[error("the PIN could not be hashed")]
    Hash,
}

impl CodeKey {
    pub fn new(bytes: &[u8]) -> Result<Self, SecretError> {
        if bytes.len() < 32 {
            return Err(SecretError::ShortKey);
        }
        Ok(CodeKey(bytes.to_vec()))
    }

    fn mac(&self, email: &Email, code: &EmailCode) -> Hmac<Sha256> {
        // HMAC accepts keys of any length, so this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes any key length"),
        };
        mac.update(email.as_str().as_bytes());
        mac.update(b"\0");
        mac.update(code.expose().as_bytes());
        mac
    }

    /// What is stored for a code sent to `email`.
    pub fn digest(&self, email: &Email, code: &EmailCode) -> Vec<u8> {
        self.mac(email, code).finalize().into_bytes().to_vec()
    }

    /// The "I'm OK" token of the reminder whose push carries `reminder` (32 bytes of
    /// HMAC, base64url: 43 characters). Made when the push is sent, from the id the
    /// outbox keeps, so the token itself is stored nowhere; the reminder row keeps
    /// only its SHA-256.
    pub fn reminder_token(&self, reminder: uuid::Uuid) -> String {
        use base64::Engine;
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes any key length"),
        };
        mac.update(b"pruuf reminder token\0");
        mac.update(reminder.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    fn answer_mac(&self, delivery: uuid::Uuid) -> Hmac<Sha256> {
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes any key length"),
        };
        mac.update(b"pruuf alert answer\0");
        mac.update(delivery.as_bytes());
        mac
    }

    /// The signature on an alert email's "I'm on it" link, made from the
    /// delivery's id when the mail is sent (base64url, 43 characters; stored
    /// nowhere).
    pub fn answer_token(&self, delivery: uuid::Uuid) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(self.answer_mac(delivery).finalize().into_bytes())
    }

    /// Whether `token` is the signature for `delivery` (compared in constant time).
    pub fn answer_token_ok(&self, delivery: uuid::Uuid, token: &str) -> bool {
        use base64::Engine;
        match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token.trim()) {
            Ok(bytes) => self.answer_mac(delivery).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }

    /// Constant-time comparison of a typed code with a stored digest.
    pub fn matches(&self, email: &Email, code: &EmailCode, stored: &[u8]) -> bool {
        self.mac(email, code).verify_slice(stored).is_ok()
    }
}

/// A PHC string (`$argon2id$…`) for the PIN.
pub fn hash_pin(pin: &Pin) -> Result<String, SecretError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(pin.expose().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| SecretError::Hash)
}

/// A real hash of nothing in particular, checked when there is no account, so that
/// the answer takes as long as for a real account.
static STAND_IN: LazyLock<Option<String>> =
    LazyLock::new(|| Pin::parse("0000").ok().and_then(|p| hash_pin(&p).ok()));

/// Does `pin` match the stored hash? `None` (no such account, or no PIN yet) is
/// always false, after the same work as a real check.
pub fn verify_pin(pin: &Pin, stored: Option<&str>) -> bool {
    let (phc, real) = match stored {
        Some(s) => (s, true),
        None => match STAND_IN.as_deref() {
            Some(s) => (s, false),
            None => return false,
        },
    };
    let Ok(parsed) = PasswordHash::new(phc) else {
        return false;
    };
    let ok = Argon2::default()
        .verify_password(pin.expose().as_bytes(), &parsed)
        .is_ok();
    ok && real
}

/// [`hash_pin`] on Tokio's blocking pool: argon2 takes tens of milliseconds of
/// CPU, which must not stall the request and alert tasks sharing a worker thread.
pub async fn hash_pin_off_thread(pin: &Pin) -> Result<String, SecretError> {
    let pin = pin.clone();
    tokio::task::spawn_blocking(move || hash_pin(&pin))
        .await
        .map_err(|_| SecretError::Hash)?
}

/// [`verify_pin`] on Tokio's blocking pool (see [`hash_pin_off_thread`]).
pub async fn verify_pin_off_thread(pin: &Pin, stored: Option<&str>) -> bool {
    let (pin, stored) = (pin.clone(), stored.map(str::to_string));
    tokio::task::spawn_blocking(move || verify_pin(&pin, stored.as_deref()))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn key(byte: u8) -> CodeKey {
        CodeKey::new(&[byte; 32]).expect("long enough")
    }

    fn email(s: &str) -> Email {
        Email::parse(s).expect("valid")
    }

    fn code(s: &str) -> EmailCode {
        EmailCode::parse(s).expect("valid")
    }

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: Vec<String> = (0..300)
            .map(|_| new_email_code().expose().to_string())
            .collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit())));
        let distinct: HashSet<&String> = codes.iter().collect();
        assert!(
            distinct.len() >= 290,
            "only {} distinct of 300",
            distinct.len()
        );
    }

    #[test]
    fn digests_bind_the_code_to_its_address_and_key() {
        let (mary, tom) = (email("mary@example.com"), email("tom@example.com"));
        let stored = key(7).digest(&mary, &code("123456"));
        assert!(key(7).matches(&mary, &code("123456"), &stored));
        assert!(!key(7).matches(&mary, &code("123457"), &stored));
        assert!(!key(7).matches(&tom, &code("123456"), &stored));
        assert!(!key(8).matches(&mary, &code("123456"), &stored));
        assert!(!key(7).matches(&mary, &code("123456"), &stored[..31]));
    }

    #[test]
    fn short_keys_are_refused() {
        assert!(matches!(CodeKey::new(&[1; 31]), Err(SecretError::ShortKey)));
    }

    #[test]
    fn pins_hash_with_salt_and_verify() {
        let pin = Pin::parse("2580").expect("valid");
        let a = hash_pin(&pin).expect("hash");
        let b = hash_pin(&pin).expect("hash");
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(!a.contains("2580"));
        assert!(verify_pin(&pin, Some(&a)));
        assert!(!verify_pin(&Pin::parse("2581").expect("valid"), Some(&a)));
        assert!(!verify_pin(&pin, Some("not a hash")));
    }

    #[test]
    fn no_account_never_verifies() {
        assert!(!verify_pin(&Pin::parse("0000").expect("valid"), None));
        assert!(!verify_pin(&Pin::parse("2580").expect("valid"), None));
    }
}

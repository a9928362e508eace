//! What each account action does, on the server: reads the facts through `store`,
//! asks `rules`, writes the outcome in one transaction, and answers with an
//! [`AppError`] a person can read. The server functions in `api` only gather the
//! request's context and call these.
use super::rules::{self, CodeVerdict, PinGate};
use super::secrets;
use super::store;
use crate::accounts::text_size::TextSize;
use crate::error::AppError;
use crate::notify::email::{html_button, html_page, OutgoingMail};
use crate::services::Caller;
use crate::validation::{Email, EmailCode, PersonName, Pin};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::PgConnection;
use uuid::Uuid;

/// The signed-in person making a request, as the pages see them: a Member, a
/// Contact or both (the product's roles are about connections, not accounts).
#[derive(Debug, Clone)]
pub struct Me {
    pub user_id: Uuid,
    pub device_id: Uuid,
    pub email: String,
    /// The name they gave ("What should we call you?"); accounts made before
    /// names were asked have none.
    pub name: Option<String>,
    pub text_size: TextSize,
    pub needs_consent: bool,
    /// Granted on the command line only (`server admin grant EMAIL`).
    pub is_admin: bool,
}

impl Me {
    /// How others see this person: their name, else the start of their address.
    pub fn display_name(&self) -> String {
        rules::display_name(self.name.as_deref(), &self.email)
    }
}

/// What sign-up gives for a new account.
pub struct NewAccount<'a> {
    pub email: &'a Email,
    pub pin: &'a Pin,
    pub name: &'a PersonName,
    pub text_size: TextSize,
    /// The zone the browser reported (already checked to be a known one).
    pub time_zone: Option<&'a str>,
}

/// A device was signed in: the session should point at it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedInDevice {
    pub user_id: Uuid,
    pub device_id: Uuid,
}

/// What a verified code leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterCode {
    /// No account yet: choose a PIN to create one.
    CreateAccount,
    /// The address has an account: choose a new PIN.
    NewPin,
}

const WRONG_CODE_SPENT: &str =
    "That code isn't right, and it can't be used any more. Please ask for a new code.";

crate::services::facade! {
    /// The account actions: codes, PINs, devices, consent, sign-out.
    Accounts
}

impl Accounts<'_> {
    /// Counts an attempt from the caller's address; refuses once the hour's limit
    /// is passed.
    /// Counts one `action` from the caller's address (an IPv6 client by its /64) and
    /// refuses past the hourly limit.
    pub async fn check_ip(self, caller: &Caller, action: &str) -> Result<(), AppError> {
        let now = self.now();
        let attempts = store::record_ip_attempt(
            &self.pool,
            &rules::ip_key(&caller.ip),
            action,
            now,
            now - Duration::hours(1),
        )
        .await?;
        if rules::ip_allowed(attempts, self.settings.ip_limit_per_hour) {
            Ok(())
        } else {
            tracing::warn!(action, "per-address limit reached");
            Err(AppError::TooManyTries.with_status())
        }
    }

    /// Sends a fresh 6-digit code to `email`. The answer is the same whether or
    /// not the address has an account; only the mail's wording differs.
    pub async fn request_code(
        self,
        caller: &Caller,
        email: &Email,
        offset_minutes: Option<i32>,
    ) -> Result<(), AppError> {
        self.check_ip(caller, "code").await?;
        let now = self.now();
        let code = secrets::new_email_code();
        let mut tx = self.pool.begin().await?;
        store::lock_address(&mut tx, email.as_str()).await?;
        let sent =
            store::code_times_since(&mut tx, email.as_str(), now - Duration::hours(24)).await?;
        if let Err(refusal) = rules::may_send_code(now, &sent) {
            return Err(
                AppError::Limited(code_refusal_message(refusal, now, offset_minutes)).with_status(),
            );
        }
        let has_account = store::user_by_email(&mut tx, email.as_str())
            .await?
            .is_some();
        let digest = self.settings.code_key.digest(email, &code);
        let code_id = store::insert_code(&mut tx, email.as_str(), &digest, now).await?;
        tx.commit().await?;

        let mail = code_mail(&self.settings.public_url, email, &code, has_account);
        if self.mailer.send(&mail).await.is_err() {
            // Not sent: it must not count against the hourly limit either.
            store::delete_code(&self.pool, code_id).await?;
            return Err(AppError::MailNotSent.with_status());
        }
        Ok(())
    }

    /// Checks a code typed (or followed from the mail) for `email`.
    pub async fn verify_code(
        self,
        caller: &Caller,
        email: &Email,
        code: &EmailCode,
    ) -> Result<AfterCode, AppError> {
        self.check_ip(caller, "code").await?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        store::lock_address(&mut tx, email.as_str()).await?;
        let outcome = match self.take_code(&mut tx, email, code, now).await? {
            Ok(()) => {
                let user = store::user_by_email(&mut tx, email.as_str()).await?;
                Ok(if user.is_some() {
                    AfterCode::NewPin
                } else {
                    AfterCode::CreateAccount
                })
            }
            Err(e) => Err(e),
        };
        tx.commit().await?;
        outcome
    }

    /// Judges a code typed for `email` (its address lock held by the caller):
    /// marks it used and answers `Ok` when right; counts a wrong try otherwise.
    /// The refusal is the words the person sees. The caller commits either way.
    async fn take_code(
        self,
        tx: &mut sqlx::PgConnection,
        email: &Email,
        code: &EmailCode,
        now: DateTime<Utc>,
    ) -> Result<Result<(), AppError>, AppError> {
        let Some(row) = store::latest_code(tx, email.as_str()).await? else {
            return Ok(Err(invalid(
                "Please ask for a code first: we haven't sent one to this address.",
            )));
        };
        let state = rules::CodeState {
            sent_at: row.sent_at,
            used_at: row.used_at,
            wrong_tries: u32::try_from(row.wrong_tries).unwrap_or(u32::MAX),
        };
        let matches = self.settings.code_key.matches(email, code, &row.digest);
        Ok(match rules::judge_code(state, now, matches) {
            CodeVerdict::Accept => {
                store::mark_code_used(tx, row.id, now).await?;
                Ok(())
            }
            CodeVerdict::Wrong { tries_left } => {
                store::count_wrong_code_try(tx, row.id).await?;
                Err(if tries_left == 0 {
                    invalid(WRONG_CODE_SPENT)
                } else {
                    invalid(&format!(
                        "That code isn't right. Please check the email and try again ({tries_left} {} left).",
                        if tries_left == 1 { "try" } else { "tries" }
                    ))
                })
            }
            CodeVerdict::Expired => Err(invalid(
                "That code has expired (codes last 10 minutes). Please ask for a new one.",
            )),
            CodeVerdict::AlreadyUsed => Err(invalid(
                "That code has already been used. Please ask for a new one.",
            )),
            CodeVerdict::TooManyTries => Err(invalid(WRONG_CODE_SPENT)),
        })
    }

    /// Settings, "Change my email": sends a code to the new address (the same
    /// limits as any code). Whether the address is free is only said once the
    /// code proves it is theirs.
    pub async fn request_email_change(
        self,
        caller: &Caller,
        me: &Me,
        new: &Email,
    ) -> Result<(), AppError> {
        if new.as_str().eq_ignore_ascii_case(&me.email) {
            return Err(invalid("That is the address you use now."));
        }
        self.send_code(caller, new, email_change_mail).await
    }

    /// Sends a fresh code to `to` in the mail `make` writes, within the same
    /// limits as every code (per address, per client address).
    async fn send_code(
        self,
        caller: &Caller,
        to: &Email,
        make: fn(&Email, &EmailCode) -> OutgoingMail,
    ) -> Result<(), AppError> {
        self.check_ip(caller, "code").await?;
        let now = self.now();
        let code = secrets::new_email_code();
        let mut tx = self.pool.begin().await?;
        store::lock_address(&mut tx, to.as_str()).await?;
        let sent = store::code_times_since(&mut tx, to.as_str(), now - Duration::hours(24)).await?;
        if let Err(refusal) = rules::may_send_code(now, &sent) {
            return Err(AppError::Limited(code_refusal_message(refusal, now, None)).with_status());
        }
        let digest = self.settings.code_key.digest(to, &code);
        let code_id = store::insert_code(&mut tx, to.as_str(), &digest, now).await?;
        tx.commit().await?;
        if self.mailer.send(&make(to, &code)).await.is_err() {
            store::delete_code(&self.pool, code_id).await?;
            return Err(AppError::MailNotSent.with_status());
        }
        Ok(())
    }

    /// An admin's step-up (issue 19): a code to their own address.
    pub async fn send_step_up_code(self, caller: &Caller, me: &Me) -> Result<(), AppError> {
        let to = Email::parse(&me.email).map_err(AppError::invalid)?;
        self.send_code(caller, &to, step_up_mail).await
    }

    /// Checks an admin's step-up code; a wrong one counts like any other.
    pub async fn check_step_up_code(
        self,
        caller: &Caller,
        me: &Me,
        code: &EmailCode,
    ) -> Result<(), AppError> {
        self.check_ip(caller, "code").await?;
        let to = Email::parse(&me.email).map_err(AppError::invalid)?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        store::lock_address(&mut tx, to.as_str()).await?;
        let outcome = self.take_code(&mut tx, &to, code, now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            if outcome.is_ok() {
                "admin.step_up"
            } else {
                "admin.step_up_failed"
            },
            &caller.ip,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        outcome
    }

    /// The code from the new address: the account moves to it, and the old
    /// address is told (so a change nobody asked for is noticed).
    pub async fn confirm_email_change(
        self,
        caller: &Caller,
        me: &Me,
        new: &Email,
        code: &EmailCode,
    ) -> Result<(), AppError> {
        self.check_ip(caller, "code").await?;
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        store::lock_address(&mut tx, new.as_str()).await?;
        if let Err(refusal) = self.take_code(&mut tx, new, code, now).await? {
            tx.commit().await?;
            return Err(refusal);
        }
        if !store::set_email(&mut tx, me.user_id, new.as_str()).await? {
            tx.commit().await?;
            return Err(invalid(
                "That address already has a Pruuf account. Please choose another.",
            ));
        }
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "email_changed",
            &caller.ip,
            json!({}),
        )
        .await?;
        tx.commit().await?;
        if let Ok(old) = Email::parse(&me.email) {
            if self.mailer.send(&email_changed_mail(&old)).await.is_err() {
                tracing::error!("the email-changed notice could not be sent");
            }
        }
        Ok(())
    }

    /// Creates the account for an address whose code was just verified, records the
    /// consent, and signs this device in.
    pub async fn create_account(
        self,
        caller: &Caller,
        new: NewAccount<'_>,
    ) -> Result<SignedInDevice, AppError> {
        let NewAccount {
            email,
            pin,
            name,
            text_size,
            time_zone,
        } = new;
        let now = self.now();
        let pin_hash = secrets::hash_pin_off_thread(pin)
            .await
            .map_err(|_| AppError::Internal.with_status())?;
        let mut tx = self.pool.begin().await?;
        let row = store::NewUser {
            email: email.as_str(),
            pin_hash: &pin_hash,
            text_size: text_size.as_str(),
            name: Some(name.as_str()),
            time_zone,
        };
        let Some(user) = store::insert_user(&mut tx, &row, now).await? else {
            return Err(invalid(
                "There is already a Pruuf account for this email. Please log in instead.",
            ));
        };
        self.record_consent(&mut tx, caller, user, now).await?;
        // The email code just proved the address is hers: guesses made against it
        // before the account existed do not lock her out of it.
        store::clear_pin_failures(&mut tx, email.as_str()).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(user),
            "signup",
            &caller.ip,
            json!({}),
        )
        .await?;
        let device = self.add_device(&mut tx, caller, user, now).await?;
        tx.commit().await?;
        Ok(SignedInDevice {
            user_id: user,
            device_id: device,
        })
    }

    /// Sets a new PIN for an address whose code was just verified: lifts any
    /// lockout, signs every other device out, and signs this one in.
    pub async fn reset_pin(
        self,
        caller: &Caller,
        email: &Email,
        pin: &Pin,
    ) -> Result<SignedInDevice, AppError> {
        let now = self.now();
        let pin_hash = secrets::hash_pin_off_thread(pin)
            .await
            .map_err(|_| AppError::Internal.with_status())?;
        let mut tx = self.pool.begin().await?;
        store::lock_address(&mut tx, email.as_str()).await?;
        let Some(user) = store::user_by_email(&mut tx, email.as_str()).await? else {
            return Err(invalid(
                "We couldn't find an account for this email. Please sign up.",
            ));
        };
        store::set_pin_hash(&mut tx, user.id, &pin_hash).await?;
        store::clear_pin_failures(&mut tx, email.as_str()).await?;
        let ended = store::end_devices_except(&mut tx, user.id, None, now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(user.id),
            "pin_change",
            &caller.ip,
            json!({ "signed_out_devices": ended }),
        )
        .await?;
        let device = self.add_device(&mut tx, caller, user.id, now).await?;
        tx.commit().await?;
        Ok(SignedInDevice {
            user_id: user.id,
            device_id: device,
        })
    }

    /// The signed-in person confirms something serious (deleting their account)
    /// with their PIN. Tries count against the caller's hourly log-in limit.
    pub async fn confirm_pin(self, caller: &Caller, me: &Me, pin: &Pin) -> Result<(), AppError> {
        self.check_ip(caller, "login").await?;
        let mut conn = self.pool.acquire().await?;
        let user = store::user_by_email(&mut conn, &me.email).await?;
        drop(conn);
        if secrets::verify_pin_off_thread(pin, user.as_ref().map(|u| u.pin_hash.as_str())).await {
            Ok(())
        } else {
            Err(invalid("That PIN isn\u{2019}t right. Please try again."))
        }
    }

    /// A new PIN from Settings, confirmed with the current one. Every other device
    /// is signed out (whoever knew the old PIN is out too); this one stays in.
    pub async fn change_pin(
        self,
        caller: &Caller,
        me: &Me,
        current: &Pin,
        new: &Pin,
    ) -> Result<(), AppError> {
        self.confirm_pin(caller, me, current).await?;
        let now = self.now();
        let pin_hash = secrets::hash_pin_off_thread(new)
            .await
            .map_err(|_| AppError::Internal.with_status())?;
        let mut tx = self.pool.begin().await?;
        store::set_pin_hash(&mut tx, me.user_id, &pin_hash).await?;
        let ended = store::end_devices_except(&mut tx, me.user_id, Some(me.device_id), now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(me.user_id),
            "pin_change",
            &caller.ip,
            json!({ "signed_out_devices": ended, "from": "settings" }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// "What should we call you?", changed in Settings. Connections keep the
    /// names people chose for each other.
    pub async fn set_name(self, me: &Me, name: &PersonName) -> Result<(), AppError> {
        store::set_name(&self.pool, me.user_id, name.as_str()).await?;
        Ok(())
    }

    /// Email and PIN. Wrong PINs climb the lockout ladder per address, whether or
    /// not the address has an account, and an unknown address costs the same work.
    pub async fn log_in(
        self,
        caller: &Caller,
        email: &Email,
        pin: &Pin,
        offset_minutes: Option<i32>,
    ) -> Result<SignedInDevice, AppError> {
        self.check_ip(caller, "login").await?;
        let now = self.now();
        let lately =
            store::failures_everywhere_since(&self.pool, now - Duration::minutes(1)).await?;
        if lately >= rules::SITE_FAILURES_PER_MINUTE {
            tracing::warn!(
                lately,
                "failed log-ins across the site: PIN log-in paused for a minute"
            );
            return Err(AppError::Limited(rules::SITE_BUSY.into()).with_status());
        }
        let mut tx = self.pool.begin().await?;
        store::lock_address(&mut tx, email.as_str()).await?;
        let user = store::user_by_email(&mut tx, email.as_str()).await?;
        let attempt = self
            .pin_attempt(
                &mut tx,
                caller,
                email.as_str(),
                user,
                pin,
                now,
                offset_minutes,
            )
            .await?;
        let user = match attempt {
            Ok(user) => user,
            Err(wrong) => {
                // The failure is counted and audited: kept, whatever the answer.
                tx.commit().await?;
                return Err(wrong);
            }
        };
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(user.id),
            "login",
            &caller.ip,
            json!({}),
        )
        .await?;
        let device = self.add_device(&mut tx, caller, user.id, now).await?;
        tx.commit().await?;
        Ok(SignedInDevice {
            user_id: user.id,
            device_id: device,
        })
    }

    /// A PIN typed on a phone's keypad when she calls in from her confirmed
    /// number (issue 23): the same lockout ladder as logging in, for her
    /// address. `Ok(Err(..))`: wrong or locked (counted and audited).
    pub async fn pin_by_phone(
        self,
        caller: &Caller,
        user: Uuid,
        pin: &Pin,
    ) -> Result<Result<(), AppError>, AppError> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let Some(email) = store::email_of(&mut tx, user).await? else {
            return Ok(Err(AppError::NotFound.with_status()));
        };
        store::lock_address(&mut tx, &email).await?;
        let row = store::user_by_email(&mut tx, &email).await?;
        let attempt = self
            .pin_attempt(&mut tx, caller, &email, row, pin, now, None)
            .await?;
        tx.commit().await?;
        Ok(attempt.map(|_| ()))
    }

    /// One PIN attempt for the account at `email` (`user`, if there is one),
    /// under the address's lock: through its gate, then checked. A right PIN
    /// clears the failures; a wrong one climbs the lockout ladder and is
    /// audited. The inner `Err` is what the person is told.
    #[allow(clippy::too_many_arguments)]
    async fn pin_attempt(
        self,
        tx: &mut PgConnection,
        caller: &Caller,
        email: &str,
        user: Option<store::UserRow>,
        pin: &Pin,
        now: DateTime<Utc>,
        offset_minutes: Option<i32>,
    ) -> Result<Result<store::UserRow, AppError>, AppError> {
        let (locked_until, disabled) = store::pin_guard(&mut *tx, email).await?;
        let gate = rules::pin_gate(locked_until, disabled, now);
        if let Some(message) = rules::gate_message(gate, now, offset_minutes) {
            return Ok(Err(AppError::Limited(message).with_status()));
        }
        // Checked under the address's lock, on purpose: tries made in parallel
        // climb the lockout ladder one by one instead of all passing its gate.
        // The hashing itself runs on the blocking pool.
        if secrets::verify_pin_off_thread(pin, user.as_ref().map(|u| u.pin_hash.as_str())).await {
            if let Some(user) = user {
                store::clear_pin_failures(&mut *tx, email).await?;
                return Ok(Ok(user));
            }
        }
        let user_id = user.map(|u| u.id);
        let (failures, strikes) =
            store::record_pin_failure(&mut *tx, email, now, now - rules::FAILURE_WINDOW).await?;
        let failures = u32::try_from(failures).unwrap_or(u32::MAX);
        let strikes = u32::try_from(strikes).unwrap_or(u32::MAX);
        // The guard's rows first, the audit entries last (see `audit::store::append`).
        let (error, then) = match rules::after_failed_pin(failures, strikes, now) {
            rules::AfterFailure::Nothing => (
                invalid(
                    "That email and PIN don't match. Please try again, or choose \u{201c}Forgot your PIN?\u{201d}.",
                ),
                None,
            ),
            rules::AfterFailure::LockedUntil(until) => {
                store::set_pin_guard(&mut *tx, email, Some(until), false).await?;
                let message = rules::gate_message(PinGate::LockedUntil(until), now, offset_minutes);
                (
                    AppError::Limited(message.unwrap_or_default()).with_status(),
                    Some(("lockout", json!({ "until": until }))),
                )
            }
            rules::AfterFailure::PinLoginDisabled => {
                store::set_pin_guard(&mut *tx, email, None, true).await?;
                let message = rules::gate_message(PinGate::Disabled, now, offset_minutes);
                (
                    AppError::Limited(message.unwrap_or_default()).with_status(),
                    Some(("pin_login_disabled", json!({}))),
                )
            }
        };
        let key = &self.settings.audit_key;
        let failed = json!({ "failures": failures });
        crate::audit::record_about(
            key,
            &mut *tx,
            now,
            user_id,
            "login_failed",
            &caller.ip,
            failed,
        )
        .await?;
        if let Some((event, detail)) = then {
            crate::audit::record_about(key, &mut *tx, now, user_id, event, &caller.ip, detail)
                .await?;
        }
        Ok(Err(error))
    }

    /// Records acceptance of the current Terms and Privacy Policy.
    async fn record_consent(
        self,
        tx: &mut sqlx::PgConnection,
        caller: &Caller,
        user: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(), AppError> {
        Ok(store::insert_consent(
            tx,
            user,
            &self.settings.terms_version,
            &self.settings.privacy_version,
            now,
            &caller.ip,
            &caller.user_agent,
        )
        .await?)
    }

    async fn add_device(
        self,
        tx: &mut sqlx::PgConnection,
        caller: &Caller,
        user: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Uuid, AppError> {
        let label = rules::device_label(&caller.user_agent);
        Ok(store::insert_device(tx, user, &label, now).await?)
    }

    /// Who is signed in on this device, if anyone (and it was not signed out).
    pub async fn member(self, device: Uuid) -> Result<Option<Me>, AppError> {
        let Some(row) = store::signed_in(&self.pool, device).await? else {
            return Ok(None);
        };
        let now = self.now();
        // "Last used" is a day (the devices page shows no more): written on a
        // device's first request of the day, not on every page.
        if row.last_seen_at.date_naive() != now.date_naive() {
            store::touch_device(&self.pool, device, now).await?;
        }
        let needs_consent = row.terms_version.as_deref() != Some(&self.settings.terms_version)
            || row.privacy_version.as_deref() != Some(&self.settings.privacy_version);
        Ok(Some(Me {
            user_id: row.user_id,
            device_id: row.device_id,
            email: row.email,
            name: row.name,
            text_size: TextSize::parse(&row.text_size).unwrap_or_default(),
            needs_consent,
            is_admin: row.is_admin,
        }))
    }

    pub async fn accept_terms(self, caller: &Caller, member: &Me) -> Result<(), AppError> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        self.record_consent(&mut tx, caller, member.user_id, now)
            .await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(member.user_id),
            "consent",
            &caller.ip,
            json!({ "terms": self.settings.terms_version, "privacy": self.settings.privacy_version }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn set_text_size(self, member: &Me, size: TextSize) -> Result<(), AppError> {
        Ok(store::set_text_size(&self.pool, member.user_id, size.as_str()).await?)
    }

    /// Signs out one device of this person (this one, or another from the list).
    pub async fn sign_out(
        self,
        caller: &Caller,
        member: &Me,
        device: Uuid,
    ) -> Result<bool, AppError> {
        let now = self.now();
        let mut tx = self.pool.begin().await?;
        let ended = store::end_device(&mut tx, member.user_id, device, now).await?;
        if ended {
            crate::audit::record(
                &self.settings.audit_key,
                &mut tx,
                now,
                Some(member.user_id),
                "sign_out",
                &caller.ip,
                json!({}),
            )
            .await?;
        }
        tx.commit().await?;
        Ok(ended)
    }

    /// Signs out every device of this person, or every other one.
    pub async fn sign_out_everywhere(
        self,
        caller: &Caller,
        member: &Me,
        keep_this_device: bool,
    ) -> Result<u64, AppError> {
        let now = self.now();
        let keep = keep_this_device.then_some(member.device_id);
        let mut tx = self.pool.begin().await?;
        let ended = store::end_devices_except(&mut tx, member.user_id, keep, now).await?;
        crate::audit::record(
            &self.settings.audit_key,
            &mut tx,
            now,
            Some(member.user_id),
            "sign_out_everywhere",
            &caller.ip,
            json!({ "devices": ended, "kept_this_one": keep_this_device }),
        )
        .await?;
        tx.commit().await?;
        Ok(ended)
    }

    pub async fn devices(self, member: &Me) -> Result<Vec<store::DeviceRow>, AppError> {
        Ok(store::devices(&self.pool, member.user_id).await?)
    }
}

fn invalid(message: &str) -> AppError {
    AppError::invalid(message)
}

fn code_refusal_message(
    refusal: rules::CodeRefusal,
    now: DateTime<Utc>,
    offset_minutes: Option<i32>,
) -> String {
    match refusal {
        rules::CodeRefusal::TooSoon { retry_at } => {
            // Whole seconds, rounded up: "in 0 seconds" would be untrue.
            let seconds = ((retry_at - now).num_milliseconds() + 999)
                .div_euclid(1000)
                .max(1);
            format!(
                "We just sent you a code. Please check your email, or ask again in {seconds} seconds."
            )
        }
        rules::CodeRefusal::DailyLimit { retry_at } => format!(
            "We've sent {} codes to this address today. Please use the newest one, \
             or ask again {}.",
            rules::CODES_PER_DAY,
            crate::limits::wait_words(now, retry_at)
        ),
        rules::CodeRefusal::HourlyLimit { retry_at } => format!(
            "We've sent 5 codes to this address in the last hour. Please use the newest one, \
             or ask again at {}.",
            rules::clock_time(retry_at, offset_minutes)
        ),
    }
}

/// The mail with the code and a link that fills it in.
pub fn code_mail(
    public_url: &str,
    email: &Email,
    code: &EmailCode,
    has_account: bool,
) -> OutgoingMail {
    let link = format!(
        "{}/verify?email={}&code={}",
        public_url.trim_end_matches('/'),
        super::query_encode(email.as_str()),
        code.expose()
    );
    let purpose = if has_account {
        "to set a new PIN for your Pruuf account"
    } else {
        "to create your Pruuf account"
    };
    let code = code.expose();
    let text = format!(
        "Hello,\n\nYour Pruuf code is {code}. Enter it {purpose}.\n\n\
         Or open this link, which fills the code in for you:\n{link}\n\n\
         The code works once, for 10 minutes.\n\n\
         If you didn't ask for this, you can ignore this email: nothing will change.\n\n\
         Pruuf\n"
    );
    let html = html_page(&format!(
        "<p>Hello,</p>\
         <p>Your Pruuf code is</p>\
         <p style=\"font-size:36px;font-weight:bold;letter-spacing:8px\">{code}</p>\
         <p>Enter it {purpose}. Or use this button, which fills the code in for you:</p>\
         {}\
         <p>The code works once, for 10 minutes.</p>\
         <p>If you didn't ask for this, you can ignore this email: nothing will change.</p>\
         <p>Pruuf</p>",
        html_button(&link, "Use my code")
    ));
    OutgoingMail {
        message_id: None,
        to: email.clone(),
        subject: "Your Pruuf code".to_string(),
        text,
        html,
    }
}

/// The code that proves a new address is theirs.
fn email_change_mail(to: &Email, code: &EmailCode) -> OutgoingMail {
    let code = code.expose();
    OutgoingMail {
        message_id: None,
        to: to.clone(),
        subject: "Your Pruuf code".to_string(),
        text: format!(
            "Hello,\n\nYour Pruuf code is {code}. Enter it in Settings to use this address for Pruuf.\n\n\
             The code works once, for 10 minutes.\n\n\
             If you didn't ask for this, you can ignore this email: nothing will change.\n\nPruuf\n"
        ),
        html: html_page(&format!(
            "<p>Hello,</p><p>Your Pruuf code is</p>\
             <p style=\"font-size:36px;font-weight:bold;letter-spacing:8px\">{code}</p>\
             <p>Enter it in Settings to use this address for Pruuf. The code works once, for 10 minutes.</p>\
             <p>If you didn't ask for this, you can ignore this email: nothing will change.</p><p>Pruuf</p>"
        )),
    }
}

fn step_up_mail(to: &Email, code: &EmailCode) -> OutgoingMail {
    let code = code.expose();
    let text = "Someone signed in to Pruuf's admin pages as you and asked for this code. \
                If it wasn't you, do not share it, and tell the team at once.";
    OutgoingMail {
        message_id: None,
        to: to.clone(),
        subject: "Your Pruuf admin code".to_string(),
        text: format!(
            "Hello,\n\nYour Pruuf admin code is {code}. It works once, for 10 minutes.\n\n{text}\n\nPruuf\n"
        ),
        html: html_page(&format!(
            "<p>Hello,</p><p>Your Pruuf admin code is</p>\
             <p style=\"font-size:36px;font-weight:bold;letter-spacing:8px\">{code}</p>\
             <p>It works once, for 10 minutes.</p><p>{text}</p><p>Pruuf</p>"
        )),
    }
}

/// To the old address, once the account has moved.
fn email_changed_mail(to: &Email) -> OutgoingMail {
    let text = "The email address of your Pruuf account was just changed, so mail from Pruuf \
                now goes to the new address. If you didn't do this, please reply to this email at once.";
    OutgoingMail {
        message_id: None,
        to: to.clone(),
        subject: "Your Pruuf email address was changed".to_string(),
        text: format!("Hello,\n\n{text}\n\nPruuf\n"),
        html: html_page(&format!("<p>Hello,</p><p>{text}</p><p>Pruuf</p>")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mail_carries_the_code_and_a_link_that_fills_it_in() {
        let email = Email::parse("mary+1@example.com").expect("valid");
        let code = EmailCode::parse("042917").expect("valid");
        let mail = code_mail("https://pruuf.example/", &email, &code, false);
        assert!(mail.text.contains("042917"));
        assert!(mail
            .text
            .contains("https://pruuf.example/verify?email=mary%2B1%40example.com&code=042917"));
        assert!(mail.html.contains(
            "href=\"https://pruuf.example/verify?email=mary%2B1%40example.com&code=042917\""
        ));
        assert!(mail.text.contains("create your Pruuf account"));
        let reset = code_mail("https://pruuf.example", &email, &code, true);
        assert!(reset.text.contains("set a new PIN"));
        assert_eq!(mail.subject, reset.subject, "the subject does not tell");
    }

    #[test]
    fn refusals_say_when_to_ask_again() {
        use chrono::TimeZone;
        let now = Utc
            .with_ymd_and_hms(2026, 11, 26, 9, 0, 0)
            .single()
            .expect("valid");
        let soon = code_refusal_message(
            rules::CodeRefusal::TooSoon {
                retry_at: now + Duration::seconds(42),
            },
            now,
            None,
        );
        assert!(soon.contains("42 seconds"), "{soon}");
        let hourly = code_refusal_message(
            rules::CodeRefusal::HourlyLimit {
                retry_at: now + Duration::minutes(20),
            },
            now,
            Some(0),
        );
        assert!(hourly.contains("at 9:20 AM"), "{hourly}");
    }
}

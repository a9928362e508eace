//! The Contact's account state machine (SPEC §7), pure: every transition, who
//! receives alerts in each state, when a trial or a grace period ends, and which
//! warning is due before anyone loses alerts. The server functions, the Stripe
//! webhook, the scheduled jobs and the detector's recipient rule all ask here.
use crate::notify::Kind;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// Days of free use, counted from the Contact's first active connection.
pub const TRIAL_DAYS: i64 = 30;
/// Days of full use after a failed payment, counted from the failure.
pub const GRACE_DAYS: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AccountState {
    /// No Member connected yet: full use, no clock running.
    TrialPending,
    Trial,
    /// Paying (or paid ahead, with a trial still running at Stripe).
    Active,
    /// A Member, now or once (`grandfathered_free`): never pays.
    ActiveFree,
    /// A payment failed: full use for the grace period.
    PastDue,
    /// Set to end at the period's end: full use until then.
    Canceled,
    /// No alerts, no invites; can sign in, see Members and pay.
    Frozen,
    Deleted,
}

pub const ALL_STATES: [AccountState; 8] = [
    AccountState::TrialPending,
    AccountState::Trial,
    AccountState::Active,
    AccountState::ActiveFree,
    AccountState::PastDue,
    AccountState::Canceled,
    AccountState::Frozen,
    AccountState::Deleted,
];

impl AccountState {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountState::TrialPending => "trial_pending",
            AccountState::Trial => "trial",
            AccountState::Active => "active",
            AccountState::ActiveFree => "active_free",
            AccountState::PastDue => "past_due",
            AccountState::Canceled => "canceled",
            AccountState::Frozen => "frozen",
            AccountState::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ALL_STATES.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether a Contact in this state is told of missed check-ins and sent the
    /// quiet confirmations (SPEC §6, §7).
    pub fn may_receive_alerts(self) -> bool {
        !matches!(self, AccountState::Frozen | AccountState::Deleted)
    }

    /// Whether a Contact in this state may invite someone.
    pub fn may_invite(self) -> bool {
        self.may_receive_alerts()
    }

    /// Whether Checkout may be opened: anyone who could pay and is not already
    /// paying. Members and the grandfathered never pay (checked separately).
    pub fn may_start_checkout(self) -> bool {
        matches!(
            self,
            AccountState::TrialPending | AccountState::Trial | AccountState::Frozen
        )
    }
}

/// Whether someone in this state may change what another person sees (pause or
/// unpause a Member, say "I'm on it", invite). Frozen and closing accounts can
/// look but not act; an unknown state fails closed.
pub fn may_act_for_others(state: &str) -> bool {
    AccountState::parse(state).is_some_and(AccountState::may_receive_alerts)
}

/// Unknown strings (never written by us) count as no alerts: fail closed on
/// billing, but this only ever meets values the database's CHECK allows.
pub fn may_receive_alerts(state: &str) -> bool {
    AccountState::parse(state).is_some_and(AccountState::may_receive_alerts)
}

pub fn may_invite(state: &str) -> bool {
    AccountState::parse(state).is_some_and(AccountState::may_invite)
}

/// The two prices (SPEC §7). The Stripe price ids come from the environment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Plan {
    Monthly,
    Annual,
}

impl Plan {
    pub fn parse(s: &str) -> Result<Self, &'static str> {
        match s {
            "monthly" => Ok(Plan::Monthly),
            "annual" => Ok(Plan::Annual),
            _ => Err("Please choose monthly or yearly."),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Plan::Monthly => "monthly",
            Plan::Annual => "annual",
        }
    }

    pub fn cents(self) -> i64 {
        match self {
            Plan::Monthly => 399,
            Plan::Annual => 2900,
        }
    }

    pub fn words(self) -> &'static str {
        match self {
            Plan::Monthly => "$3.99 a month",
            Plan::Annual => "$29 a year",
        }
    }
}

/// "$3.99", "$29.00".
pub fn dollars(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents.rem_euclid(100))
}

/// Stripe's subscription statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SubStatus {
    Trialing,
    Active,
    PastDue,
    Unpaid,
    Canceled,
    Incomplete,
    IncompleteExpired,
    Paused,
}

impl SubStatus {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "trialing" => SubStatus::Trialing,
            "active" => SubStatus::Active,
            "past_due" => SubStatus::PastDue,
            "unpaid" => SubStatus::Unpaid,
            "canceled" => SubStatus::Canceled,
            "incomplete" => SubStatus::Incomplete,
            "incomplete_expired" => SubStatus::IncompleteExpired,
            "paused" => SubStatus::Paused,
            _ => return None,
        })
    }

    /// The subscription is over and will not charge again.
    pub fn ended(self) -> bool {
        matches!(self, SubStatus::Canceled | SubStatus::IncompleteExpired)
    }
}

/// A subscription as Stripe has it now, reduced to what decides the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subscription {
    pub status: SubStatus,
    pub cancel_at_period_end: bool,
    pub period_end: Option<DateTime<Utc>>,
}

/// What we keep of a Contact's billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Account {
    pub state: AccountState,
    pub grandfathered_free: bool,
    pub trial_ends_at: Option<DateTime<Utc>>,
    pub past_due_since: Option<DateTime<Utc>>,
    /// A charge was disputed: frozen until support steps in.
    pub disputed: bool,
}

impl Account {
    /// When this Contact stops receiving alerts unless something changes (a
    /// payment, a resumed plan): the date every warning names.
    pub fn alerts_end_at(&self, period_end: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        match self.state {
            AccountState::Trial => self.trial_ends_at,
            AccountState::PastDue => self.past_due_since.map(|s| s + Duration::days(GRACE_DAYS)),
            AccountState::Canceled if !self.grandfathered_free => period_end,
            _ => None,
        }
    }
}

/// Something that happened to a Contact's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    /// One of their connections as a Contact became active.
    ConnectedAsContact,
    /// A connection as a Member became active (`grandfathered_free` is now set).
    BecameMember,
    /// Stripe's current subscription object (from a webhook, a return from
    /// Checkout, or the reconciliation): the source of truth, whatever the order
    /// events arrived in.
    Stripe(Subscription),
    /// Stripe has no subscription for them at all (reconciliation).
    NoSubscription,
    /// A charge was disputed.
    Disputed,
    /// The scheduled pass: trials and grace periods that ran out.
    Tick,
    /// The account was deleted.
    Deleted,
}

/// What to ask of Stripe as part of a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StripeAction {
    /// Let the paid period run out, then stop (a payer became a Member).
    CancelAtPeriodEnd,
    /// Stop now (a Member whose payment was failing: nothing more to collect).
    CancelNow,
}

/// What a person is told when their state changes (also sent by email).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    TrialStarted,
    Paid,
    PaymentFailed,
    Frozen,
    Disputed,
    NowFree,
    Canceled,
    Resumed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub account: Account,
    pub action: Option<StripeAction>,
    pub notice: Option<Notice>,
}

/// The one transition function. `now` is the server's time.
pub fn next(a: Account, event: Event, now: DateTime<Utc>) -> Transition {
    use AccountState as S;
    let keep = Transition {
        account: a,
        action: None,
        notice: None,
    };
    if a.state == S::Deleted {
        return keep;
    }
    let to = |state: AccountState, notice: Option<Notice>| {
        let mut account = Account { state, ..a };
        if state != S::PastDue {
            account.past_due_since = None;
        }
        Transition {
            account,
            action: None,
            notice: if state == a.state { None } else { notice },
        }
    };
    match event {
        Event::Deleted => to(S::Deleted, None),
        Event::Disputed => Transition {
            account: Account {
                disputed: true,
                ..to(S::Frozen, None).account
            },
            action: None,
            notice: (!a.disputed).then_some(Notice::Disputed),
        },
        _ if a.disputed => keep,
        Event::ConnectedAsContact => match a.state {
            S::TrialPending if a.grandfathered_free => to(S::ActiveFree, Some(Notice::NowFree)),
            S::TrialPending => Transition {
                account: Account {
                    state: S::Trial,
                    trial_ends_at: Some(now + Duration::days(TRIAL_DAYS)),
                    ..a
                },
                action: None,
                notice: Some(Notice::TrialStarted),
            },
            _ => keep,
        },
        // Already free: nothing new (a second Contact's connection).
        Event::BecameMember if a.grandfathered_free => keep,
        Event::BecameMember => {
            let free = Account {
                grandfathered_free: true,
                ..a
            };
            let mut t = next_free(free, now);
            t.account.grandfathered_free = true;
            t
        }
        Event::Stripe(sub) => from_stripe(a, sub, now),
        Event::NoSubscription => match a.state {
            // Paying states with nothing at Stripe: the subscription is gone.
            S::Active | S::PastDue | S::Canceled => ended(a, now),
            _ => keep,
        },
        Event::Tick => match a.state {
            S::Trial if a.trial_ends_at.is_some_and(|end| end <= now) => {
                if a.grandfathered_free {
                    to(S::ActiveFree, Some(Notice::NowFree))
                } else {
                    to(S::Frozen, Some(Notice::Frozen))
                }
            }
            S::PastDue
                if a.past_due_since
                    .is_some_and(|since| since + Duration::days(GRACE_DAYS) <= now) =>
            {
                to(S::Frozen, Some(Notice::Frozen))
            }
            _ => keep,
        },
    }
}

/// A person who is (or was) a Member: free, except a paid period runs out first.
fn next_free(a: Account, _now: DateTime<Utc>) -> Transition {
    use AccountState as S;
    let to_free = Transition {
        account: Account {
            state: S::ActiveFree,
            past_due_since: None,
            ..a
        },
        action: None,
        notice: (a.state != S::ActiveFree).then_some(Notice::NowFree),
    };
    match a.state {
        S::TrialPending | S::Trial | S::Frozen | S::ActiveFree => to_free,
        // Paid up to the period's end: that period runs out, then no renewal.
        S::Active => Transition {
            account: a,
            action: Some(StripeAction::CancelAtPeriodEnd),
            notice: Some(Notice::NowFree),
        },
        // Already ending at the period's end; the end makes them free.
        S::Canceled => Transition {
            account: a,
            action: None,
            notice: Some(Notice::NowFree),
        },
        // A failing payment: nothing more to collect from a Member.
        S::PastDue => Transition {
            action: Some(StripeAction::CancelNow),
            ..to_free
        },
        S::Deleted => Transition {
            account: a,
            action: None,
            notice: None,
        },
    }
}

/// The subscription ended (deleted at Stripe, or gone).
fn ended(a: Account, now: DateTime<Utc>) -> Transition {
    use AccountState as S;
    let state = if a.grandfathered_free {
        S::ActiveFree
    } else if a.trial_ends_at.is_some_and(|end| end > now) {
        // Paid during the trial, then stopped: the trial still runs to its end.
        S::Trial
    } else {
        S::Frozen
    };
    let notice = match state {
        S::ActiveFree => Notice::NowFree,
        S::Trial => Notice::Canceled,
        _ => Notice::Frozen,
    };
    Transition {
        account: Account {
            state,
            past_due_since: None,
            ..a
        },
        action: None,
        notice: (state != a.state).then_some(notice),
    }
}

fn from_stripe(a: Account, sub: Subscription, now: DateTime<Utc>) -> Transition {
    use AccountState as S;
    // A Member still subscribed (the request to stop it was lost): ask again.
    if a.grandfathered_free && !sub.status.ended() {
        match sub.status {
            SubStatus::Trialing | SubStatus::Active if !sub.cancel_at_period_end => {
                let mut t = paid_or_canceled(a, sub);
                t.action = Some(StripeAction::CancelAtPeriodEnd);
                return t;
            }
            SubStatus::PastDue | SubStatus::Unpaid | SubStatus::Paused => {
                return Transition {
                    action: Some(StripeAction::CancelNow),
                    ..next_free(
                        Account {
                            state: S::ActiveFree,
                            ..a
                        },
                        now,
                    )
                };
            }
            _ => {}
        }
    }
    let with =
        |state: AccountState, past_due_since: Option<DateTime<Utc>>, notice: Notice| Transition {
            account: Account {
                state,
                past_due_since,
                ..a
            },
            action: None,
            notice: (state != a.state).then_some(notice),
        };
    if sub.status.ended() {
        return ended(a, now);
    }
    match sub.status {
        SubStatus::Trialing | SubStatus::Active => paid_or_canceled(a, sub),
        SubStatus::PastDue => {
            let since = a.past_due_since.unwrap_or(now);
            if since + Duration::days(GRACE_DAYS) <= now {
                with(S::Frozen, None, Notice::Frozen)
            } else if a.state == S::Frozen {
                // Frozen for this failure already: a late event cannot thaw it.
                Transition {
                    account: a,
                    action: None,
                    notice: None,
                }
            } else {
                with(S::PastDue, Some(since), Notice::PaymentFailed)
            }
        }
        // Stripe gave up retrying (three failures): frozen at once (seed L5736).
        SubStatus::Unpaid | SubStatus::Paused => with(S::Frozen, None, Notice::Frozen),
        // The first payment is still being made: nothing has changed yet.
        SubStatus::Incomplete => Transition {
            account: a,
            action: None,
            notice: None,
        },
        SubStatus::Canceled | SubStatus::IncompleteExpired => ended(a, now),
    }
}

/// A live subscription: active, or canceled (running to the period's end).
fn paid_or_canceled(a: Account, sub: Subscription) -> Transition {
    use AccountState as S;
    let (state, notice) = if sub.cancel_at_period_end {
        let notice = if a.grandfathered_free {
            Notice::NowFree
        } else {
            Notice::Canceled
        };
        (S::Canceled, notice)
    } else if a.state == S::Canceled {
        (S::Active, Notice::Resumed)
    } else {
        (S::Active, Notice::Paid)
    };
    Transition {
        account: Account {
            state,
            past_due_since: None,
            ..a
        },
        action: None,
        notice: (state != a.state).then_some(notice),
    }
}

/// The warnings before someone loses alerts (SPEC §7): trial days left 15, 7 and
/// 1; an ending plan or a grace period 7 and 1 days before. The "at the moment"
/// warning is the `Frozen` notice of the transition itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Warning {
    /// The mark this warning is for (15, 7 or 1): each is sent once.
    pub mark: i64,
    /// Whole days left, rounded up: what the words say. Fewer than the mark
    /// when the stretch is shorter (a 3-day grace period's first warning).
    pub days_left: i64,
    pub ends_at: DateTime<Utc>,
}

const TRIAL_MARKS: [i64; 3] = [15, 7, 1];
const ENDING_MARKS: [i64; 2] = [7, 1];

/// The warning due now, if any: the nearest mark already reached. A pass that
/// runs late sends only the latest mark, not every one it missed; the caller
/// sends each (mark, end date) once ([`Warning::key`]).
pub fn warning_due(
    a: &Account,
    period_end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<Warning> {
    let ends_at = a.alerts_end_at(period_end)?;
    if ends_at <= now {
        return None;
    }
    let marks: &[i64] = if a.state == AccountState::Trial {
        &TRIAL_MARKS
    } else {
        &ENDING_MARKS
    };
    let left = ends_at - now;
    let mark = marks
        .iter()
        .copied()
        .filter(|m| left <= Duration::days(*m))
        .min()?;
    Some(Warning {
        mark,
        days_left: days_left(ends_at, now),
        ends_at,
    })
}

impl Warning {
    /// Once per state, mark and end date: a new end date (a new trial, a later
    /// period) gets its own warnings.
    pub fn key(&self, state: AccountState) -> String {
        format!(
            "warn:{}:{}:{}",
            state.as_str(),
            self.mark,
            self.ends_at.format("%Y-%m-%d")
        )
    }
}

/// Whole days left, rounded up ("1 day left" until the very end).
pub fn days_left(ends_at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (ends_at - now).num_seconds().max(0);
    (secs + 86_399) / 86_400
}

/// The trial end Stripe should carry, so the first charge falls on day 31: the
/// trial's end while it is at least 48 hours ahead (Checkout refuses a nearer
/// one); in the trial's last two days the first charge is on the day they pay.
pub fn checkout_trial_end(a: &Account, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match a.state {
        AccountState::Trial => a
            .trial_ends_at
            .filter(|end| *end >= now + Duration::hours(48) + Duration::minutes(5)),
        // No Member yet: pay ahead, and the 30 days still come first.
        AccountState::TrialPending => Some(now + Duration::days(TRIAL_DAYS)),
        _ => None,
    }
}

/// Why Checkout cannot be opened, in words for the person.
pub fn checkout_refusal(
    a: &Account,
    is_member: bool,
    has_live_subscription: bool,
) -> Option<&'static str> {
    if is_member || a.grandfathered_free || a.state == AccountState::ActiveFree {
        Some("You don\u{2019}t need to pay: as a Pruuf Member, you look out for others free, forever.")
    } else if a.disputed {
        Some("A payment was disputed, so please contact support to continue.")
    } else if has_live_subscription || !a.state.may_start_checkout() {
        Some("You already have a plan. You can change it with \u{201c}Manage card and invoices\u{201d}.")
    } else {
        None
    }
}

/// The words on the billing page for each state: what happens to alerts, and when.
pub fn state_words(
    a: &Account,
    period_end: Option<DateTime<Utc>>,
    date: impl Fn(DateTime<Utc>) -> String,
    now: DateTime<Utc>,
) -> String {
    use AccountState as S;
    match a.state {
        S::TrialPending => "Your free 30 days start when the first person you look out for joins. Alerts work fully until then.".into(),
        S::Trial => match a.trial_ends_at {
            Some(end) => {
                let n = days_left(end, now);
                format!(
                    "Free trial: {n} day{} left. Alerts stop on {} unless you choose a plan.",
                    if n == 1 { "" } else { "s" },
                    date(end)
                )
            }
            None => "Free trial.".into(),
        },
        S::Active => match period_end {
            Some(end) => format!("Your plan is active. It renews on {}.", date(end)),
            None => "Your plan is active.".into(),
        },
        S::ActiveFree => "Great news! Since you\u{2019}re a Pruuf Member, you\u{2019}ll never pay. You can look out for others free, forever.".into(),
        S::PastDue => match a.alerts_end_at(period_end) {
            Some(end) => format!(
                "Your last payment didn\u{2019}t go through. Alerts continue until {}; please update your card before then.",
                date(end)
            ),
            None => "Your last payment didn\u{2019}t go through. Please update your card.".into(),
        },
        S::Canceled if a.grandfathered_free => match period_end {
            Some(end) => format!("You\u{2019}re now a Member! No more charges: your plan ends on {}, and after that Pruuf is free for you, forever.", date(end)),
            None => "You\u{2019}re now a Member! No more charges.".into(),
        },
        S::Canceled => match period_end {
            Some(end) => format!(
                "Your plan is canceled. Alerts continue until {}, then stop. You can resume it before then.",
                date(end)
            ),
            None => "Your plan is canceled.".into(),
        },
        S::Frozen if a.disputed => "A payment was disputed, so alerts are paused. Please contact support.".into(),
        S::Frozen => "Add payment to continue receiving alerts. You can still sign in and see everyone, but we can\u{2019}t alert you if someone misses a check-in.".into(),
        S::Deleted => "This account is closed.".into(),
    }
}

impl Notice {
    pub fn kind(self) -> Kind {
        match self {
            Notice::TrialStarted => Kind::BillingTrialStarted,
            Notice::Paid => Kind::BillingPaid,
            Notice::PaymentFailed => Kind::BillingPaymentFailed,
            Notice::Frozen => Kind::BillingFrozen,
            Notice::Disputed => Kind::BillingDisputed,
            Notice::NowFree => Kind::BillingNowFree,
            Notice::Canceled => Kind::BillingCanceled,
            Notice::Resumed => Kind::BillingResumed,
        }
    }

    /// (title, body) for a notice; `date` formats the date alerts would stop.
    pub fn words(self, ends_at: Option<String>) -> (&'static str, String) {
        let until = |s: &str| match &ends_at {
            Some(d) => format!("{s} {d}."),
            None => String::new(),
        };
        match self {
            Notice::TrialStarted => (
                "Your free 30 days have started",
                format!("Pruuf is free for 30 days.{}", until(" Alerts continue without a plan until")),
            ),
            Notice::Paid => ("Thank you: your plan is active", "Alerts will keep reaching you.".into()),
            Notice::PaymentFailed => (
                "Your payment didn\u{2019}t go through",
                format!("Please update your card.{}", until(" Alerts continue until")),
            ),
            Notice::Frozen => (
                "Alerts have stopped",
                "Add payment to continue receiving alerts. You can still sign in and see everyone.".into(),
            ),
            Notice::Disputed => (
                "Payment disputed",
                "Payment disputed. Contact support. Alerts are paused until this is sorted out.".into(),
            ),
            Notice::NowFree => (
                "Pruuf is free for you, forever",
                "Great news! Since you\u{2019}re now a Pruuf Member, you\u{2019}ll never pay again. You can continue monitoring others for free, forever.".into(),
            ),
            Notice::Canceled => (
                "Your plan is canceled",
                format!("You won\u{2019}t be charged again.{}", until(" Alerts continue until")),
            ),
            Notice::Resumed => ("Your plan continues", "Thank you: alerts will keep reaching you.".into()),
        }
    }
}

/// The warning's words: "Alerts stop on 12 December" with days left.
pub fn warning_words(w: &Warning, state: AccountState, date: &str) -> (String, String) {
    let days = if w.days_left == 1 {
        "1 day".to_string()
    } else {
        format!("{} days", w.days_left)
    };
    match state {
        AccountState::Trial => (
            format!("Your free trial ends in {days}"),
            format!("Alerts stop on {date} unless you choose a plan: $3.99 a month or $29 a year."),
        ),
        AccountState::PastDue => (
            format!("Alerts stop in {days}"),
            format!("Your payment didn\u{2019}t go through. Please update your card before {date}, or alerts stop."),
        ),
        _ => (
            format!("Your plan ends in {days}"),
            format!("Alerts stop on {date}. You can resume your plan before then."),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use AccountState as S;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap()
    }

    fn acct(state: AccountState) -> Account {
        Account {
            state,
            grandfathered_free: false,
            trial_ends_at: None,
            past_due_since: None,
            disputed: false,
        }
    }

    fn sub(status: SubStatus, cancel: bool) -> Event {
        Event::Stripe(Subscription {
            status,
            cancel_at_period_end: cancel,
            period_end: Some(t0() + Duration::days(30)),
        })
    }

    #[test]
    fn states_round_trip_and_alerts_stop_only_when_frozen_or_deleted() {
        for s in ALL_STATES {
            assert_eq!(AccountState::parse(s.as_str()), Some(s));
            let alerted = may_receive_alerts(s.as_str());
            assert_eq!(alerted, !matches!(s, S::Frozen | S::Deleted), "{s:?}");
            assert_eq!(may_invite(s.as_str()), alerted);
        }
        assert!(!may_receive_alerts("nonsense"));
    }

    #[test]
    fn first_connection_starts_a_30_day_trial_once() {
        let t = next(acct(S::TrialPending), Event::ConnectedAsContact, t0());
        assert_eq!(t.account.state, S::Trial);
        assert_eq!(t.account.trial_ends_at, Some(t0() + Duration::days(30)));
        assert_eq!(t.notice, Some(Notice::TrialStarted));
        // A second Member does not restart it.
        let again = next(
            t.account,
            Event::ConnectedAsContact,
            t0() + Duration::days(5),
        );
        assert_eq!(again.account, t.account);
        assert_eq!(again.notice, None);
    }

    #[test]
    fn a_grandfathered_contact_never_starts_a_trial() {
        let a = Account {
            grandfathered_free: true,
            ..acct(S::TrialPending)
        };
        let t = next(a, Event::ConnectedAsContact, t0());
        assert_eq!(t.account.state, S::ActiveFree);
        assert_eq!(t.account.trial_ends_at, None);
    }

    #[test]
    fn trial_end_freezes_without_payment_and_not_a_second_before() {
        let a = next(acct(S::TrialPending), Event::ConnectedAsContact, t0()).account;
        let end = t0() + Duration::days(30);
        let before = next(a, Event::Tick, end - Duration::seconds(1));
        assert_eq!(before.account.state, S::Trial);
        let at = next(a, Event::Tick, end);
        assert_eq!(at.account.state, S::Frozen);
        assert_eq!(at.notice, Some(Notice::Frozen));
    }

    #[test]
    fn trial_end_of_someone_who_became_a_member_is_free() {
        let a = next(acct(S::TrialPending), Event::ConnectedAsContact, t0()).account;
        let t = next(a, Event::BecameMember, t0() + Duration::days(3));
        assert_eq!(t.account.state, S::ActiveFree);
        assert!(t.account.grandfathered_free);
        assert_eq!(t.action, None, "never charged, nothing to cancel");
        let later = next(t.account, Event::Tick, t0() + Duration::days(40));
        assert_eq!(later.account.state, S::ActiveFree);
    }

    #[test]
    fn paying_during_the_trial_is_active_and_the_trial_end_leaves_it_active() {
        let a = next(acct(S::TrialPending), Event::ConnectedAsContact, t0()).account;
        let paid = next(a, sub(SubStatus::Trialing, false), t0() + Duration::days(2));
        assert_eq!(paid.account.state, S::Active);
        assert_eq!(paid.notice, Some(Notice::Paid));
        let tick = next(paid.account, Event::Tick, t0() + Duration::days(31));
        assert_eq!(tick.account.state, S::Active);
    }

    #[test]
    fn paying_in_the_trial_then_canceling_keeps_use_until_the_trial_end() {
        // Seed L5729-5733: subscription created, then cancel at period end.
        let a = next(acct(S::TrialPending), Event::ConnectedAsContact, t0()).account;
        let paid = next(a, sub(SubStatus::Trialing, false), t0()).account;
        let canceled = next(
            paid,
            sub(SubStatus::Trialing, true),
            t0() + Duration::hours(1),
        );
        assert_eq!(canceled.account.state, S::Canceled);
        assert!(canceled.account.state.may_receive_alerts());
        // Stripe ends it at the trial's end: no charge, frozen.
        let gone = next(
            canceled.account,
            sub(SubStatus::Canceled, true),
            t0() + Duration::days(30),
        );
        assert_eq!(gone.account.state, S::Frozen);
        // Ended early (deleted now) while the trial runs: back to the trial.
        let early = next(
            canceled.account,
            sub(SubStatus::Canceled, false),
            t0() + Duration::days(1),
        );
        assert_eq!(early.account.state, S::Trial);
    }

    #[test]
    fn failed_payment_gives_three_days_counted_from_the_failure() {
        let a = acct(S::Active);
        let failed_at = t0();
        let t = next(a, sub(SubStatus::PastDue, false), failed_at);
        assert_eq!(t.account.state, S::PastDue);
        assert_eq!(t.account.past_due_since, Some(failed_at));
        assert_eq!(t.notice, Some(Notice::PaymentFailed));
        // A later event for the same failure keeps the first failure's time.
        let again = next(
            t.account,
            sub(SubStatus::PastDue, false),
            failed_at + Duration::days(1),
        );
        assert_eq!(again.account.past_due_since, Some(failed_at));
        assert_eq!(again.notice, None);
        let before = next(
            t.account,
            Event::Tick,
            failed_at + Duration::days(3) - Duration::seconds(1),
        );
        assert_eq!(before.account.state, S::PastDue);
        let at = next(t.account, Event::Tick, failed_at + Duration::days(3));
        assert_eq!(at.account.state, S::Frozen);
        assert_eq!(at.account.past_due_since, None);
        // A late past_due event cannot thaw a frozen account.
        let late = next(
            at.account,
            sub(SubStatus::PastDue, false),
            failed_at + Duration::days(4),
        );
        assert_eq!(late.account.state, S::Frozen);
    }

    #[test]
    fn a_successful_retry_in_the_grace_period_clears_it() {
        let t = next(acct(S::Active), sub(SubStatus::PastDue, false), t0());
        let ok = next(
            t.account,
            sub(SubStatus::Active, false),
            t0() + Duration::days(1),
        );
        assert_eq!(ok.account.state, S::Active);
        assert_eq!(ok.account.past_due_since, None);
    }

    #[test]
    fn three_declines_make_stripe_unpaid_and_freeze_at_once() {
        // Seed L5734-5738.
        let t = next(acct(S::PastDue), sub(SubStatus::Unpaid, false), t0());
        assert_eq!(t.account.state, S::Frozen);
        assert_eq!(t.notice, Some(Notice::Frozen));
    }

    #[test]
    fn a_dispute_freezes_at_once_and_later_events_cannot_thaw_it() {
        // Seed L5739-5744.
        for s in [S::Trial, S::Active, S::Canceled, S::PastDue] {
            let t = next(acct(s), Event::Disputed, t0());
            assert_eq!(t.account.state, S::Frozen, "{s:?}");
            assert!(t.account.disputed);
            assert_eq!(t.notice, Some(Notice::Disputed));
            let after = next(
                t.account,
                sub(SubStatus::Active, false),
                t0() + Duration::hours(1),
            );
            assert_eq!(after.account.state, S::Frozen);
        }
    }

    #[test]
    fn a_refund_leaves_a_disputed_account_frozen() {
        // Seed L5745-5749: the refund is done in Stripe; the subscription ends.
        let t = next(acct(S::Active), Event::Disputed, t0()).account;
        let gone = next(t, sub(SubStatus::Canceled, false), t0() + Duration::days(1));
        assert_eq!(gone.account.state, S::Frozen);
    }

    #[test]
    fn cancel_and_resume_before_the_period_end() {
        let c = next(acct(S::Active), sub(SubStatus::Active, true), t0());
        assert_eq!(c.account.state, S::Canceled);
        assert_eq!(c.notice, Some(Notice::Canceled));
        let r = next(
            c.account,
            sub(SubStatus::Active, false),
            t0() + Duration::days(1),
        );
        assert_eq!(r.account.state, S::Active);
        assert_eq!(r.notice, Some(Notice::Resumed));
        let end = next(
            c.account,
            sub(SubStatus::Canceled, true),
            t0() + Duration::days(30),
        );
        assert_eq!(end.account.state, S::Frozen);
        assert_eq!(end.notice, Some(Notice::Frozen));
    }

    #[test]
    fn frozen_pays_and_is_active_with_no_new_trial() {
        let f = acct(S::Frozen);
        let t = next(f, sub(SubStatus::Active, false), t0());
        assert_eq!(t.account.state, S::Active);
        assert_eq!(
            checkout_trial_end(&f, t0()),
            None,
            "no back-payment, no new trial"
        );
    }

    #[test]
    fn a_payer_who_becomes_a_member_is_not_renewed_then_free() {
        // Seed L1563-1582 and L5750-5755.
        let paying = acct(S::Active);
        let t = next(paying, Event::BecameMember, t0());
        assert_eq!(t.action, Some(StripeAction::CancelAtPeriodEnd));
        assert_eq!(t.account.state, S::Active, "paid up to the period's end");
        assert!(t.account.grandfathered_free);
        assert_eq!(t.notice, Some(Notice::NowFree));
        // Stripe confirms the cancellation at period end.
        let c = next(t.account, sub(SubStatus::Active, true), t0());
        assert_eq!(c.account.state, S::Canceled);
        assert_eq!(c.notice, Some(Notice::NowFree));
        // At the period's end: free, not frozen.
        let end = next(
            c.account,
            sub(SubStatus::Canceled, true),
            t0() + Duration::days(30),
        );
        assert_eq!(end.account.state, S::ActiveFree);
        assert!(end.account.state.may_receive_alerts());
    }

    #[test]
    fn a_member_still_renewing_at_stripe_is_asked_to_stop_again() {
        let free = next(acct(S::Active), Event::BecameMember, t0()).account;
        // The cancellation request was lost: Stripe still renews.
        let t = next(
            free,
            sub(SubStatus::Active, false),
            t0() + Duration::days(1),
        );
        assert_eq!(t.action, Some(StripeAction::CancelAtPeriodEnd));
        assert_eq!(t.account.state, S::Active);
        let failing = next(
            free,
            sub(SubStatus::PastDue, false),
            t0() + Duration::days(1),
        );
        assert_eq!(failing.action, Some(StripeAction::CancelNow));
        assert_eq!(failing.account.state, S::ActiveFree);
        // A second Member connection changes nothing more.
        let again = next(free, Event::BecameMember, t0() + Duration::days(2));
        assert_eq!(
            (again.account, again.action, again.notice),
            (free, None, None)
        );
    }

    #[test]
    fn a_member_whose_contacts_all_leave_stays_free() {
        // Seed L5756-5763: grandfathered stays set; nothing renews.
        let free = next(acct(S::Active), Event::BecameMember, t0()).account;
        let gone = next(free, Event::NoSubscription, t0() + Duration::days(31));
        assert_eq!(gone.account.state, S::ActiveFree);
    }

    #[test]
    fn a_failing_payer_who_becomes_a_member_is_free_now_and_stripe_stops() {
        let t = next(acct(S::PastDue), Event::BecameMember, t0());
        assert_eq!(t.account.state, S::ActiveFree);
        assert_eq!(t.action, Some(StripeAction::CancelNow));
    }

    #[test]
    fn frozen_becomes_free_on_becoming_a_member() {
        let t = next(acct(S::Frozen), Event::BecameMember, t0());
        assert_eq!(t.account.state, S::ActiveFree);
        assert_eq!(t.action, None);
    }

    #[test]
    fn reconciliation_with_nothing_at_stripe_ends_a_paying_state() {
        for s in [S::Active, S::PastDue, S::Canceled] {
            assert_eq!(
                next(acct(s), Event::NoSubscription, t0()).account.state,
                S::Frozen
            );
        }
        for s in [S::TrialPending, S::Trial, S::ActiveFree, S::Frozen] {
            assert_eq!(next(acct(s), Event::NoSubscription, t0()).account.state, s);
        }
    }

    #[test]
    fn incomplete_changes_nothing_and_deleted_is_final() {
        let t = next(acct(S::Trial), sub(SubStatus::Incomplete, false), t0());
        assert_eq!(t.account.state, S::Trial);
        let d = next(acct(S::Active), Event::Deleted, t0()).account;
        assert_eq!(d.state, S::Deleted);
        for e in [
            sub(SubStatus::Active, false),
            Event::Disputed,
            Event::BecameMember,
            Event::Tick,
            Event::ConnectedAsContact,
        ] {
            assert_eq!(next(d, e, t0()).account.state, S::Deleted);
        }
    }

    #[test]
    fn applying_the_same_stripe_state_twice_changes_nothing_more() {
        let once = next(acct(S::Trial), sub(SubStatus::Active, false), t0());
        let twice = next(once.account, sub(SubStatus::Active, false), t0());
        assert_eq!(once.account, twice.account);
        assert_eq!(twice.notice, None, "no second thank-you");
    }

    #[test]
    fn trial_warnings_at_15_7_and_1_days_with_the_exact_date() {
        let a = next(acct(S::TrialPending), Event::ConnectedAsContact, t0()).account;
        let end = t0() + Duration::days(30);
        assert_eq!(warning_due(&a, None, end - Duration::days(16)), None);
        let w = warning_due(&a, None, end - Duration::days(15)).unwrap();
        assert_eq!((w.mark, w.days_left, w.ends_at), (15, 15, end));
        // Every pass in the same stretch names the same warning: sent once.
        let later = warning_due(&a, None, end - Duration::days(8)).unwrap();
        assert_eq!(later.key(a.state), w.key(a.state));
        assert_eq!(
            warning_due(&a, None, end - Duration::days(6)).unwrap().mark,
            7
        );
        // A late pass sends only the nearest mark.
        assert_eq!(
            warning_due(&a, None, end - Duration::hours(2))
                .unwrap()
                .mark,
            1
        );
        assert_eq!(
            warning_due(&a, None, end),
            None,
            "the end itself is the Frozen notice"
        );
        // A new trial end date is a new warning.
        let moved = Account {
            trial_ends_at: Some(end + Duration::days(1)),
            ..a
        };
        let w1 = warning_due(&a, None, end - Duration::days(14)).unwrap();
        let w2 = warning_due(&moved, None, end - Duration::days(14)).unwrap();
        assert_eq!((w1.mark, w2.mark), (15, 15));
        assert_ne!(w2.key(a.state), w1.key(a.state));
    }

    #[test]
    fn ending_plans_and_grace_periods_warn_at_7_and_1_days() {
        let end = t0() + Duration::days(30);
        let c = acct(S::Canceled);
        assert_eq!(warning_due(&c, Some(end), end - Duration::days(8)), None);
        assert_eq!(
            warning_due(&c, Some(end), end - Duration::days(7))
                .unwrap()
                .mark,
            7
        );
        let free = Account {
            grandfathered_free: true,
            ..c
        };
        assert_eq!(
            warning_due(&free, Some(end), end - Duration::days(1)),
            None,
            "free after"
        );
        let p = Account {
            past_due_since: Some(t0()),
            ..acct(S::PastDue)
        };
        let w = warning_due(&p, None, t0() + Duration::days(2) + Duration::hours(1)).unwrap();
        assert_eq!(
            (w.mark, w.days_left, w.ends_at),
            (1, 1, t0() + Duration::days(3))
        );
        // The grace period is 3 days: its first warning is the 7-day mark, and
        // its words say 3 days, not 7.
        let first = warning_due(&p, None, t0() + Duration::minutes(5)).unwrap();
        assert_eq!((first.mark, first.days_left), (7, 3));
        let (title, body) = warning_words(&first, S::PastDue, "4 December");
        assert_eq!(title, "Alerts stop in 3 days");
        assert!(body.contains("before 4 December"), "{body}");
        assert_eq!(
            warning_due(&acct(S::Active), Some(end), end - Duration::hours(1)),
            None
        );
    }

    #[test]
    fn checkout_carries_the_trial_end_so_the_first_charge_is_on_day_31() {
        let a = next(acct(S::TrialPending), Event::ConnectedAsContact, t0()).account;
        assert_eq!(
            checkout_trial_end(&a, t0() + Duration::days(10)),
            Some(t0() + Duration::days(30))
        );
        assert_eq!(
            checkout_trial_end(&a, t0() + Duration::days(28) - Duration::hours(1)),
            Some(t0() + Duration::days(30))
        );
        assert_eq!(
            checkout_trial_end(&a, t0() + Duration::days(29)),
            None,
            "Checkout needs 48 hours"
        );
        assert_eq!(checkout_trial_end(&a, t0() + Duration::days(30)), None);
        assert_eq!(
            checkout_trial_end(&acct(S::TrialPending), t0()),
            Some(t0() + Duration::days(30))
        );
    }

    #[test]
    fn checkout_is_refused_to_members_payers_and_disputes() {
        assert!(checkout_refusal(&acct(S::Trial), false, false).is_none());
        assert!(checkout_refusal(&acct(S::Frozen), false, false).is_none());
        assert!(checkout_refusal(&acct(S::Trial), true, false)
            .unwrap()
            .contains("Member"));
        let gf = Account {
            grandfathered_free: true,
            ..acct(S::Trial)
        };
        assert!(checkout_refusal(&gf, false, false).is_some());
        assert!(checkout_refusal(&acct(S::Active), false, false)
            .unwrap()
            .contains("already"));
        assert!(checkout_refusal(&acct(S::Trial), false, true)
            .unwrap()
            .contains("already"));
        let d = Account {
            disputed: true,
            ..acct(S::Frozen)
        };
        assert!(checkout_refusal(&d, false, false)
            .unwrap()
            .contains("disputed"));
    }

    #[test]
    fn plans_prices_and_days() {
        assert_eq!(Plan::parse("monthly"), Ok(Plan::Monthly));
        assert_eq!(Plan::parse("annual"), Ok(Plan::Annual));
        assert!(
            Plan::parse("price_123").is_err(),
            "a price id from the client is refused"
        );
        assert_eq!(dollars(Plan::Monthly.cents()), "$3.99");
        assert_eq!(dollars(Plan::Annual.cents()), "$29.00");
        assert_eq!(days_left(t0() + Duration::hours(1), t0()), 1);
        assert_eq!(days_left(t0() + Duration::days(30), t0()), 30);
        assert_eq!(days_left(t0() - Duration::days(1), t0()), 0);
    }

    #[test]
    fn the_page_says_what_happens_to_alerts_and_when() {
        let date = |d: DateTime<Utc>| d.format("%-d %B %Y").to_string();
        let a = next(acct(S::TrialPending), Event::ConnectedAsContact, t0()).account;
        let w = state_words(&a, None, date, t0());
        assert!(
            w.contains("30 days left") && w.contains("31 December 2026"),
            "{w}"
        );
        let p = Account {
            past_due_since: Some(t0()),
            ..acct(S::PastDue)
        };
        assert!(state_words(&p, None, date, t0()).contains("4 December 2026"));
        let f = state_words(&acct(S::Frozen), None, date, t0());
        assert!(f.starts_with("Add payment to continue receiving alerts"));
    }
}

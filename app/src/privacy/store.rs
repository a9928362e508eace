//! The SQL of export and erasure (server only). Every section of the export reads
//! rows about the person only, and never another person's address or number.
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// One part of the export file: its name and a query giving a JSON array (`$1`
/// the person, `$2` the most rows).
pub struct Section {
    pub name: &'static str,
    sql: &'static str,
}

/// Everything held about a person, in the order the file lists it. Others appear
/// only by the names the two of you use for each other.
pub const SECTIONS: &[Section] = &[
    Section {
        name: "profile",
        sql: "SELECT id, email::text AS email, name, text_size, time_zone, created_at, share_phone,
                     account_state, plan, subscription_status, trial_ends_at, current_period_end,
                     cancel_at_period_end, grandfathered_free, deleted_at, call_alerts
              FROM users WHERE id = $1 LIMIT $2",
    },
    Section {
        name: "consents",
        sql: "SELECT terms_version, privacy_version, accepted_at, ip, user_agent
              FROM consents WHERE user_id = $1 ORDER BY accepted_at DESC LIMIT $2",
    },
    Section {
        name: "schedule",
        sql: "SELECT window_times::text[] AS check_in_times,
                     (SELECT array_agg(CASE d WHEN 127 THEN 'every day' WHEN 31 THEN 'weekdays'
                                              WHEN 96 THEN 'weekends' WHEN 1 THEN 'Mondays'
                                              WHEN 2 THEN 'Tuesdays' WHEN 4 THEN 'Wednesdays'
                                              WHEN 8 THEN 'Thursdays' WHEN 16 THEN 'Fridays'
                                              WHEN 32 THEN 'Saturdays' WHEN 64 THEN 'Sundays'
                                              ELSE d::text END)
                        FROM unnest(window_days) AS d) AS check_in_days,
                     time_zone, reminder_on, reminder_lead_min, grace_min, created_at, updated_at
              FROM schedules WHERE member_id = $1 LIMIT $2",
    },
    Section {
        name: "check_ins",
        sql: "SELECT local_day, slot AS check_in_of_the_day, checked_in_at, deadline_at, late, source
              FROM checkins WHERE member_id = $1 ORDER BY local_day DESC, slot LIMIT $2",
    },
    Section {
        name: "days_moved_later",
        sql: "SELECT local_day, slot AS check_in_of_the_day, moved_from, moved_to, moved_at
              FROM late_days WHERE member_id = $1 ORDER BY local_day DESC, slot LIMIT $2",
    },
    Section {
        name: "pauses",
        sql: "SELECT first_day, last_day, created_at, canceled_at
              FROM pauses WHERE member_id = $1 ORDER BY first_day DESC LIMIT $2",
    },
    Section {
        name: "missed_check_ins",
        sql: "SELECT local_day, slot AS check_in_of_the_day, deadline_at, detected_at, acknowledged_at, resolved_at,
                     closed_at, close_outcome, close_note
              FROM misses WHERE member_id = $1 ORDER BY local_day DESC LIMIT $2",
    },
    Section {
        name: "plan_if_you_miss_a_check_in",
        sql: "SELECT address, access, key_holder, key_holder_phone, neighbours, doctor, health, pets, notes,
                     contacts_may_edit AS contacts_may_change_it, updated_at
              FROM plans WHERE member_id = $1 LIMIT $2",
    },
    Section {
        name: "who_is_told_first",
        sql: "SELECT CASE WHEN gap_min IS NULL THEN 'everyone at once' ELSE 'in order' END AS how,
                     gap_min AS minutes_between, repeats, updated_at
              FROM escalations WHERE member_id = $1 LIMIT $2",
    },
    Section {
        name: "neighbours_and_friends_without_the_app",
        sql: "SELECT name, number, alert_step AS told_at_step, status, added_at, answered_at
              FROM helpers WHERE member_id = $1 ORDER BY added_at LIMIT $2",
    },
    Section {
        name: "connections",
        sql: "SELECT CASE WHEN member_id = $1 THEN 'looks out for you' ELSE 'you look out for them' END AS role,
                     CASE WHEN member_id = $1 THEN contact_name ELSE member_name END AS you_call_them,
                     CASE WHEN member_id = $1 THEN member_name ELSE contact_name END AS they_call_you,
                     CASE WHEN member_id = $1 THEN member_phone END AS number_they_keep_for_you,
                     started_at, ended_at
              FROM connections WHERE member_id = $1 OR contact_id = $1 ORDER BY started_at DESC LIMIT $2",
    },
    Section {
        name: "invitations_sent",
        sql: "SELECT invitee_role AS invited_to, invitee_name AS name_you_gave, sent_at, accepted_at, canceled_at
              FROM invites WHERE inviter_id = $1 ORDER BY sent_at DESC LIMIT $2",
    },
    Section {
        name: "notifications",
        sql: "SELECT kind, body, link, created_at, read_at
              FROM notifications WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2",
    },
    Section {
        name: "messages_sent_to_you",
        sql: "SELECT kind, channel, status, created_at, sent_at, provider_status
              FROM deliveries WHERE recipient_id = $1 ORDER BY created_at DESC LIMIT $2",
    },
    Section {
        name: "mobile_number",
        sql: "SELECT number, status, sms_reminders, added_at, verified_at
              FROM phones WHERE user_id = $1 LIMIT $2",
    },
    Section {
        name: "daily_call",
        sql: "SELECT number, call_at, retry_minutes, tries, confirmed_at, created_at, updated_at
              FROM daily_calls WHERE member_id = $1 LIMIT $2",
    },
    Section {
        name: "devices",
        sql: "SELECT label, created_at, last_seen_at, ended_at
              FROM devices WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2",
    },
    Section {
        name: "alert_devices",
        sql: "SELECT created_at FROM push_subscriptions WHERE user_id = $1 ORDER BY created_at DESC LIMIT $2",
    },
    Section {
        name: "security_log",
        // Entries by her, or about her (an admin's look, a Contact's pause, a
        // wrong PIN typed for her account); the address of her own requests and
        // of unattributed ones about her account, never another person's.
        sql: "SELECT a.at, a.event, CASE WHEN a.actor = u.audit_ref OR a.actor IS NULL THEN i.ip END AS ip, a.detail
              FROM users u JOIN audit_log a ON a.actor = u.audit_ref OR a.subject = u.audit_ref
              LEFT JOIN audit_ips i ON i.entry_id = a.id
              WHERE u.id = $1 ORDER BY a.at DESC LIMIT $2",
    },
];

/// One section as a JSON array (text, ready to write into the file).
pub async fn section_json(
    conn: &mut PgConnection,
    section: &Section,
    user: Uuid,
    limit: i64,
) -> sqlx::Result<String> {
    sqlx::query_scalar(&format!(
        "SELECT coalesce(json_agg(row_to_json(t)), '[]'::json)::text FROM ({}) t",
        section.sql
    ))
    .bind(user)
    .bind(limit)
    .fetch_one(conn)
    .await
}

/// Takes the person's address out of use (so it can sign up afresh), makes the
/// PIN unusable and marks the account deleted. The address is kept, apart, only
/// until the purge.
pub async fn mark_deleted(
    tx: &mut PgConnection,
    user: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE users SET deleted_at = $2, deleted_email = email,
                email = (id::text || '@deleted.invalid')::citext, pin_hash = '!deleted',
                account_state = 'deleted', share_phone = false
         WHERE id = $1 AND deleted_at IS NULL",
    )
    .bind(user)
    .bind(now)
    .execute(tx)
    .await
    .map(|_| ())
}

/// Deleted accounts whose 30 days have passed (a bounded batch).
pub async fn due_for_purge(pool: &PgPool, before: DateTime<Utc>) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar(
        "SELECT id FROM users WHERE deleted_at IS NOT NULL AND deleted_at <= $1
         ORDER BY deleted_at LIMIT 100",
    )
    .bind(before)
    .fetch_all(pool)
    .await
}

/// Erases a deleted person: what names them in other people's rows (invitations
/// to them, their address's codes and log-in guard, a Stripe dead letter about
/// them), the address in the security log's rows about them, then the account
/// itself, which takes every row that belongs to it (ON DELETE CASCADE: devices,
/// consents, connections, schedule, check-ins, pauses, misses, deliveries to and
/// about them, notifications, phone, push subscriptions, billing rows).
pub async fn purge(tx: &mut PgConnection, user: Uuid) -> sqlx::Result<bool> {
    let row: Option<(Option<String>, Option<String>)> = sqlx::query_as(
        "SELECT deleted_email::text, stripe_customer_id FROM users
         WHERE id = $1 AND deleted_at IS NOT NULL FOR UPDATE",
    )
    .bind(user)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((email, customer)) = row else {
        return Ok(false);
    };
    let email = email.unwrap_or_default();
    sqlx::query("DELETE FROM invites WHERE accepted_by = $1 OR invitee_email = $2::citext")
        .bind(user)
        .bind(&email)
        .execute(&mut *tx)
        .await?;
    for table in ["email_codes", "pin_failures", "pin_guard"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE email = $1::citext"))
            .bind(&email)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query("DELETE FROM phone_verify_texts WHERE user_id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    if let Some(customer) = customer.filter(|c| !c.is_empty()) {
        sqlx::query("DELETE FROM stripe_dead_letters WHERE strpos(payload, $1) > 0")
            .bind(customer)
            .execute(&mut *tx)
            .await?;
    }
    // The security log keeps that something happened, not who or from where: its
    // addresses are erased, and deleting the user row below deletes the only link
    // from its entries' audit reference to her. The chain is never rewritten.
    crate::audit::store::erase_beside(tx, user).await?;
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(user)
        .execute(&mut *tx)
        .await?;
    Ok(true)
}

//! Every SQL statement about the plan (server only).
use super::rules::Plan;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// The plan as stored, with who may write it and who last did.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    #[sqlx(flatten)]
    pub plan: Plan,
    pub contacts_may_edit: bool,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

const COLUMNS: &str =
    "address, access, key_holder, key_holder_phone, neighbours, doctor, health, pets, notes,
     contacts_may_edit, updated_by, updated_at";

pub async fn plan(conn: &mut PgConnection, member: Uuid) -> sqlx::Result<Option<PlanRow>> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM plans WHERE member_id = $1"))
        .bind(member)
        .fetch_optional(conn)
        .await
}

/// Each of `members`' plan, for a batch of alerts.
pub async fn plans_of(
    conn: &mut PgConnection,
    members: &[Uuid],
) -> sqlx::Result<std::collections::HashMap<Uuid, Plan>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        member_id: Uuid,
        #[sqlx(flatten)]
        row: PlanRow,
    }
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "SELECT member_id, {COLUMNS} FROM plans WHERE member_id = ANY($1)"
    ))
    .bind(members)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.member_id, r.row.plan))
        .collect())
}

pub async fn save(
    tx: &mut PgConnection,
    member: Uuid,
    plan: &Plan,
    by: Uuid,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO plans (member_id, address, access, key_holder, key_holder_phone, neighbours, doctor,
                            health, pets, notes, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (member_id) DO UPDATE SET address = $2, access = $3, key_holder = $4,
             key_holder_phone = $5, neighbours = $6, doctor = $7, health = $8, pets = $9, notes = $10,
             updated_by = $11, updated_at = $12",
    )
    .bind(member)
    .bind(&plan.address)
    .bind(&plan.access)
    .bind(&plan.key_holder)
    .bind(&plan.key_holder_phone)
    .bind(&plan.neighbours)
    .bind(&plan.doctor)
    .bind(&plan.health)
    .bind(&plan.pets)
    .bind(&plan.notes)
    .bind(by)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

pub async fn set_contacts_may_edit(
    tx: &mut PgConnection,
    member: Uuid,
    allowed: bool,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO plans (member_id, contacts_may_edit, updated_by, updated_at) VALUES ($1, $2, $1, $3)
         ON CONFLICT (member_id) DO UPDATE SET contacts_may_edit = $2",
    )
    .bind(member)
    .bind(allowed)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// What the Member calls the Contact `who` ("changed by Tom").
pub use crate::connections::store::contact_name;

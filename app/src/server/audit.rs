//! The audit log: one append-only table and this one writer, used for every
//! sign-in, sign-out, role change and, later, every device action. Nothing
//! in the product updates or deletes a row.

use crate::domain::ids::DeviceId;
use crate::domain::text::TextEnum;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::Value;

use super::entities::audit_event;
use crate::domain::audit::Outcome;
use crate::domain::audit::{AuditFilter, AuditRetention, AuditRow};

/// Where a request came from; every event records it.
#[derive(Clone, Debug, Default)]
pub struct RequestOrigin {
    pub client_addr: String,
    pub user_agent: String,
}

impl RequestOrigin {
    /// For what the operator does on the server's command line.
    pub fn command_line() -> RequestOrigin {
        RequestOrigin {
            client_addr: "local".to_owned(),
            user_agent: "ssp command line".to_owned(),
        }
    }

    /// For what a device reports through the device API.
    pub fn device() -> RequestOrigin {
        RequestOrigin {
            client_addr: "device".to_owned(),
            user_agent: "device API".to_owned(),
        }
    }
}

/// One thing that happened.
pub struct Event<'a> {
    /// Who did it (a user name), if anyone is known.
    pub actor: Option<&'a str>,
    /// What, as a stable dotted name: `sign_in`, `user.roles`, …
    pub action: &'a str,
    /// To whom or what: a user name, a setting key, …
    pub target: Option<&'a str>,
    pub device_id: Option<DeviceId>,
    pub outcome: Outcome,
    /// Anything else worth keeping, never a secret.
    pub details: Value,
}

impl<'a> Event<'a> {
    /// What `actor` (or, without one, the portal by itself) did to
    /// `target`, no device concerned.
    pub fn about(
        actor: Option<&'a str>,
        action: &'a str,
        target: &'a str,
        outcome: Outcome,
        details: Value,
    ) -> Event<'a> {
        Event {
            actor,
            action,
            target: Some(target),
            device_id: None,
            outcome,
            details,
        }
    }
}

/// Appends one event. Call it inside the transaction of the change it
/// describes, so that the change and its record land together.
pub async fn record(
    db: &impl ConnectionTrait,
    origin: &RequestOrigin,
    at: DateTime<Utc>,
    event: Event<'_>,
) -> Result<(), DbErr> {
    audit_event::Entity::insert(row_of(origin, at, event))
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Appends one event and gives its id, for an outcome not known yet
/// ([`settle`], [`withdraw`]).
pub async fn record_pending(
    db: &impl ConnectionTrait,
    origin: &RequestOrigin,
    at: DateTime<Utc>,
    event: Event<'_>,
) -> Result<i64, DbErr> {
    let inserted = audit_event::Entity::insert(row_of(origin, at, event))
        .exec(db)
        .await?;
    Ok(inserted.last_insert_id)
}

/// Gives a pending event its outcome.
pub async fn settle(
    db: &impl ConnectionTrait,
    id: i64,
    outcome: Outcome,
    details: Value,
) -> Result<(), DbErr> {
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::Outcome, Expr::value(outcome))
        .col_expr(
            audit_event::Column::Details,
            Expr::value(details.to_string()),
        )
        .filter(audit_event::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes back a pending event that turned out not to happen.
pub async fn withdraw(db: &impl ConnectionTrait, id: i64) -> Result<(), DbErr> {
    audit_event::Entity::delete_by_id(id).exec(db).await?;
    Ok(())
}

fn row_of(origin: &RequestOrigin, at: DateTime<Utc>, event: Event<'_>) -> audit_event::ActiveModel {
    audit_event::ActiveModel {
        id: NotSet,
        at: Set(at),
        actor: Set(event.actor.map(str::to_owned)),
        action: Set(event.action.to_owned()),
        target: Set(event.target.map(str::to_owned)),
        device_id: Set(event.device_id),
        outcome: Set(event.outcome),
        client_addr: Set(origin.client_addr.clone()),
        user_agent: Set(origin.user_agent.chars().take(512).collect()),
        details: Set(event.details.to_string()),
    }
}

/// Times of matching events since `since`, newest first (at most `limit`).
pub async fn times_of(
    db: &impl ConnectionTrait,
    action: &str,
    outcome: Outcome,
    by: TimesBy<'_>,
    since: DateTime<Utc>,
    limit: u64,
    except: Option<i64>,
) -> Result<Vec<DateTime<Utc>>, DbErr> {
    let mut query = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::At)
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::Outcome.eq(outcome.as_str()))
        .filter(audit_event::Column::At.gt(since));
    if let Some(except) = except {
        query = query.filter(audit_event::Column::Id.ne(except));
    }
    query = match by {
        TimesBy::Target(target) => query.filter(audit_event::Column::Target.eq(target)),
        TimesBy::ClientAddr(addr) => query.filter(audit_event::Column::ClientAddr.eq(addr)),
    };
    query
        .order_by_desc(audit_event::Column::At)
        .limit(limit)
        .into_tuple::<DateTime<Utc>>()
        .all(db)
        .await
}

pub enum TimesBy<'a> {
    Target(&'a str),
    ClientAddr(&'a str),
}

/// One page of events matching `filter`, newest first, and the total count.
pub async fn search(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    page: u64,
    per_page: u64,
) -> Result<(Vec<AuditRow>, u64), DbErr> {
    let query = filtered(filter);
    let total = query.clone().count(db).await?;
    let rows = query
        .order_by_desc(audit_event::Column::At)
        .order_by_desc(audit_event::Column::Id)
        .offset(offset(page, per_page))
        .limit(per_page)
        .all(db)
        .await?;
    Ok((
        rows.into_iter().map(to_row).collect::<Result<_, _>>()?,
        total,
    ))
}

/// The furthest page any list goes to; larger page numbers show it.
pub const MAX_PAGE: u64 = 100_000;

/// Rows to skip for `page` (1-based, clamped to 1..=MAX_PAGE).
pub fn offset(page: u64, per_page: u64) -> u64 {
    (page.clamp(1, MAX_PAGE) - 1).saturating_mul(per_page.min(1_000))
}

/// Every event matching `filter` (newest first), at most `limit`.
pub async fn export(
    db: &impl ConnectionTrait,
    filter: &AuditFilter,
    limit: u64,
) -> Result<Vec<AuditRow>, DbErr> {
    let rows = filtered(filter)
        .order_by_desc(audit_event::Column::At)
        .order_by_desc(audit_event::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows.into_iter().map(to_row).collect()
}

fn filtered(filter: &AuditFilter) -> sea_orm::Select<audit_event::Entity> {
    let mut query = audit_event::Entity::find();
    if let Some(actor) = filter.actor.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(audit_event::Column::Actor.eq(actor.trim().to_lowercase()));
    }
    if let Some(action) = filter.action.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(audit_event::Column::Action.eq(action.trim()));
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(audit_event::Column::Outcome.eq(outcome.as_str()));
    }
    if let Some(target) = filter.target.as_deref().filter(|s| !s.is_empty()) {
        query = query.filter(audit_event::Column::Target.eq(target.trim()));
    }
    if let Some(from) = filter.from {
        query = query.filter(audit_event::Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        query = query.filter(audit_event::Column::At.lt(to));
    }
    if let Some(device_id) = filter.device_id {
        query = query.filter(audit_event::Column::DeviceId.eq(device_id));
    }
    query
}

/// A stored row (an outcome the portal does not know was an error when
/// the row was read).
fn to_row(model: audit_event::Model) -> Result<AuditRow, DbErr> {
    let outcome = model.outcome;
    Ok(AuditRow {
        id: model.id,
        at: model.at,
        actor: model.actor,
        action: model.action,
        target: model.target,
        device_id: model.device_id,
        outcome,
        client_addr: model.client_addr,
        user_agent: model.user_agent,
        details: model.details,
    })
}

/// The rows as CSV (RFC 4180), with a header line. Cells that a spreadsheet
/// would run as a formula are prefixed with `'`.
pub fn to_csv(rows: &[AuditRow]) -> String {
    let mut out = String::from(
        "time,actor,action,target,device,outcome,client_address,user_agent,details\r\n",
    );
    for row in rows {
        let cells = [
            row.at.to_rfc3339(),
            row.actor.clone().unwrap_or_default(),
            row.action.clone(),
            row.target.clone().unwrap_or_default(),
            row.device_id.map(|d| d.to_string()).unwrap_or_default(),
            row.outcome.as_str().to_owned(),
            row.client_addr.clone(),
            row.user_agent.clone(),
            row.details.clone(),
        ];
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

/// Removes the events older than the retention allows (housekeeping).
pub async fn prune(
    db: &impl ConnectionTrait,
    retention: AuditRetention,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let removed = audit_event::Entity::delete_many()
        .filter(audit_event::Column::At.lt(retention.cutoff(now)))
        .exec(db)
        .await?;
    Ok(removed.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let row = AuditRow {
            id: 1,
            at: Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            actor: Some("alice".to_owned()),
            action: "sign_in".to_owned(),
            target: Some("=HYPERLINK(\"x\")".to_owned()),
            device_id: None,
            outcome: Outcome::Failure,
            client_addr: "127.0.0.1".to_owned(),
            user_agent: "Mozilla, like Gecko".to_owned(),
            details: "{}".to_owned(),
        };
        let csv = to_csv(&[row]);
        let mut lines = csv.split("\r\n");
        assert_eq!(
            lines.next(),
            Some("time,actor,action,target,device,outcome,client_address,user_agent,details")
        );
        assert_eq!(
            lines.next(),
            Some(
                "2026-01-02T03:04:05+00:00,alice,sign_in,\"'=HYPERLINK(\"\"x\"\")\",,failure,127.0.0.1,\"Mozilla, like Gecko\",{}"
            )
        );
    }
}

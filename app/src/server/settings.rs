//! Administrator settings, stored as key → JSON value. Each setting has a
//! typed getter (with its default) and an audited setter.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, TransactionTrait,
    sea_query::OnConflict,
};
use serde_json::json;

use super::audit::{self, Event, RequestOrigin};
use super::entities::setting;
use crate::api::types::{Outcome, PortalSettings};
use crate::domain::signin::IdleTimeout;

const IDLE_TIMEOUT: &str = "session.idle_timeout_minutes";

async fn get_raw(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|s| s.value))
}

pub async fn idle_timeout(db: &impl ConnectionTrait) -> Result<IdleTimeout, DbErr> {
    Ok(get_raw(db, IDLE_TIMEOUT)
        .await?
        .and_then(|v| v.parse::<u32>().ok())
        .and_then(|m| IdleTimeout::from_minutes(m).ok())
        .unwrap_or_default())
}

pub async fn all(db: &impl ConnectionTrait) -> Result<PortalSettings, DbErr> {
    Ok(PortalSettings {
        idle_timeout_minutes: idle_timeout(db).await?.minutes(),
    })
}

pub async fn set_idle_timeout(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &str,
    value: IdleTimeout,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let txn = db.begin().await?;
    let before = idle_timeout(&txn).await?;
    setting::Entity::insert(setting::ActiveModel {
        key: Set(IDLE_TIMEOUT.to_owned()),
        value: Set(value.minutes().to_string()),
        updated_at: Set(now),
        updated_by: Set(Some(actor.to_owned())),
    })
    .on_conflict(
        OnConflict::column(setting::Column::Key)
            .update_columns([
                setting::Column::Value,
                setting::Column::UpdatedAt,
                setting::Column::UpdatedBy,
            ])
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(actor),
            action: "setting.change",
            target: Some(IDLE_TIMEOUT),
            device_id: None,
            outcome: Outcome::Success,
            details: json!({ "before": before.minutes(), "after": value.minutes() }),
        },
    )
    .await?;
    txn.commit().await
}

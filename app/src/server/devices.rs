//! Devices: what their owners see and ask of them, and what the devices
//! report through the device API. Every query for a person is scoped to
//! the devices they own; someone else's device is "not found".

use crate::domain::ids::{CommandId, DeviceId, UserId};
use crate::domain::text::TextEnum;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

use super::PortalConfig;
use super::audit::{self, Event, RequestOrigin};
use super::auth::{CurrentUser, hash_token};
use super::cache::Caches;
use super::catalogue;
use super::entities::{command, device};
use super::messages::{Outgoing, Recipient};
use super::metrics::metrics;
use super::passwords;
use super::secrets::Sealer;
use crate::api::types::{ActionOption, CommandView, DeviceDetail, DeviceSummary, Location};
use crate::domain::access::Subject;
use crate::domain::audit::{AuditFilter, AuditPage, Outcome};
use crate::domain::device::{
    CommandEvent, CommandState, DeviceAction, DeviceStatus, LOCATION_KEPT_HOURS, LockParams,
    LockState, Ownership, Platform, Progress, Service, Unavailable, availability, is_device_pin,
    location_is_recent, policy_refusal, proof_is_recent, removable,
};

/// What a device's new PIN is sealed for.
const PIN_PURPOSE: &str = "device-pin";

#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Unavailable(#[from] Unavailable),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// What a list of devices shows of each: read without the columns it does
/// not show.
#[derive(sea_orm::DerivePartialModel)]
#[sea_orm(entity = "device::Entity")]
struct Listed {
    id: DeviceId,
    display_name: String,
    platform: Platform,
    manufacturer: String,
    model: String,
    ownership: Ownership,
    status: DeviceStatus,
    lock_state: LockState,
    last_checkin_at: Option<DateTime<Utc>>,
}

impl From<Listed> for DeviceSummary {
    fn from(row: Listed) -> DeviceSummary {
        DeviceSummary {
            id: row.id,
            platform: row.platform,
            ownership: row.ownership,
            status: row.status,
            lock: row.lock_state,
            display_name: row.display_name,
            manufacturer: row.manufacturer,
            model: row.model,
            last_checkin_at: row.last_checkin_at,
        }
    }
}

fn summary(model: &device::Model) -> DeviceSummary {
    DeviceSummary {
        id: model.id,
        display_name: model.display_name.clone(),
        platform: model.platform,
        manufacturer: model.manufacturer.clone(),
        model: model.model.clone(),
        ownership: model.ownership,
        status: model.status,
        lock: model.lock_state,
        last_checkin_at: model.last_checkin_at,
    }
}

fn command_view(model: &command::Model) -> Option<CommandView> {
    let result: serde_json::Value = serde_json::from_str(&model.result).unwrap_or_default();
    Some(CommandView {
        id: model.id,
        action: model.kind,
        state: model.state,
        requested_at: model.requested_at,
        sent_at: model.sent_at,
        completed_at: model.completed_at,
        error: result
            .get("error")
            .and_then(|e| e.as_str())
            .map(str::to_owned),
        hold_until: model.hold_until,
    })
}

/// The user's devices: managed ones first, then newest first.
pub async fn list_for(
    db: &impl ConnectionTrait,
    owner: UserId,
) -> Result<Vec<DeviceSummary>, DbErr> {
    let rows = device::Entity::find()
        .filter(device::Column::OwnerId.eq(owner))
        .order_by_desc(device::Column::RegisteredAt)
        .order_by_desc(device::Column::Id)
        .into_partial_model::<Listed>()
        .all(db)
        .await?;
    let mut devices: Vec<DeviceSummary> = rows.into_iter().map(DeviceSummary::from).collect();
    // A stable sort keeps newest first within each group.
    devices.sort_by_key(|d| d.status.is_final());
    Ok(devices)
}

/// The user's device `id`; anyone else's is `NotFound`.
pub async fn find_for(
    db: &impl ConnectionTrait,
    user: &CurrentUser,
    id: DeviceId,
) -> Result<device::Model, DeviceError> {
    device::Entity::find_by_id(id)
        .filter(device::Column::OwnerId.eq(user.id()))
        .one(db)
        .await?
        .ok_or(DeviceError::NotFound)
}

/// The device's latest commands (those its page shows), newest first.
async fn latest_commands(
    db: &impl ConnectionTrait,
    device_id: DeviceId,
) -> Result<Vec<command::Model>, DbErr> {
    command::Entity::find()
        .filter(command::Column::DeviceId.eq(device_id))
        .order_by_desc(command::Column::Id)
        .limit(10)
        .all(db)
        .await
}

/// Where the user's device `id` and its latest commands stand (what the
/// device page follows while a command is on its way).
pub async fn progress(
    db: &DatabaseConnection,
    user: &CurrentUser,
    id: DeviceId,
) -> Result<Progress, DeviceError> {
    let model = find_for(db, user, id).await?;
    let commands = latest_commands(db, id).await?;
    Ok(Progress::of(
        model.status,
        model.lock_state,
        commands
            .iter()
            .filter_map(command_view)
            .map(|c| (c.id, c.state)),
    ))
}

/// The PIN of the device's latest PIN reset, if it has not been shown
/// yet: every sealed PIN of the device is forgotten in the same
/// transaction, so only one page view gets it.
async fn take_new_pin(
    db: &DatabaseConnection,
    sealer: &Sealer,
    id: DeviceId,
) -> Result<Option<String>, DbErr> {
    let sealed_rows = || {
        command::Entity::find()
            .filter(command::Column::DeviceId.eq(id))
            .filter(command::Column::Kind.eq(DeviceAction::ResetPin))
            .filter(command::Column::Result.contains("\"sealed_pin\":\""))
    };
    if sealed_rows().one(db).await?.is_none() {
        return Ok(None);
    }
    let (_turn, txn) = super::begin_write(db).await?;
    let rows = sealed_rows()
        .order_by_desc(command::Column::Id)
        .all(&txn)
        .await?;
    let newest = rows.first().map(|row| row.result.clone());
    // Every sealed PIN of the device is forgotten; the newest is shown.
    for row in &rows {
        let result: serde_json::Value = serde_json::from_str(&row.result).unwrap_or_default();
        let forgotten = json!({ "error": result.get("error") }).to_string();
        command::Entity::update_many()
            .col_expr(command::Column::Result, Expr::value(forgotten))
            .filter(command::Column::Id.eq(row.id))
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    let sealed = newest
        .and_then(|r| serde_json::from_str::<serde_json::Value>(&r).ok())
        .and_then(|v| {
            v.get("sealed_pin")
                .and_then(|p| p.as_str())
                .map(str::to_owned)
        });
    Ok(sealed.and_then(|sealed| sealer.open(PIN_PURPOSE, &sealed).ok()))
}

/// Everything the device page shows.
pub async fn detail(
    db: &DatabaseConnection,
    (catalogue, sealer): (&catalogue::Catalogue, Option<&Sealer>),
    user: &CurrentUser,
    id: DeviceId,
    history_page: u64,
    per_page: u64,
    now: DateTime<Utc>,
) -> Result<DeviceDetail, DeviceError> {
    let model = find_for(db, user, id).await?;
    let subject = Subject {
        roles: user.roles(),
        disabled: false,
    };
    let facts = catalogue.facts(&model, None);
    let actions = DeviceAction::ALL
        .iter()
        .copied()
        .filter_map(|action| match availability(subject, facts, action) {
            // Not offered at all without the role, nor "Found it" for a
            // device that is not lost.
            Err(Unavailable::Denied(_) | Unavailable::NotLost) => None,
            Err(reason) => Some(ActionOption {
                action,
                unavailable: Some(reason.to_string()),
            }),
            Ok(()) => Some(ActionOption {
                action,
                unavailable: None,
            }),
        })
        .collect();
    let commands = latest_commands(db, id).await?;
    let new_pin = match sealer {
        Some(sealer) => take_new_pin(db, sealer, id).await?,
        None => None,
    };
    let page = history_page.clamp(1, audit::MAX_PAGE);
    let history = AuditFilter {
        device_id: Some(id),
        ..AuditFilter::default()
    };
    let (rows, total) = audit::search(db, &history, page, per_page).await?;
    let location = match (model.latitude, model.longitude, model.located_at) {
        (Some(latitude), Some(longitude), Some(at)) if location_is_recent(at, now) => {
            Some(Location {
                latitude,
                longitude,
                accuracy_m: model.accuracy_m,
                at,
            })
        }
        _ => None,
    };
    Ok(DeviceDetail {
        summary: summary(&model),
        os_version: model.os_version.clone(),
        serial: model.serial.clone(),
        imei: model.imei.clone(),
        phone: model.phone.clone(),
        carrier: model.carrier.clone(),
        registered_at: model.registered_at,
        enrolled_at: model.enrolled_at,
        location,
        actions,
        commands: commands.iter().filter_map(command_view).collect(),
        configuration: catalogue::configuration_of(catalogue, &model, user),
        new_pin,
        prove_with: (!proof_is_recent(user.proved_at(), now)).then_some(user.proof()),
        history: AuditPage {
            rows,
            total,
            page,
            per_page,
        },
        now,
    })
}

pub async fn rename(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    user: &CurrentUser,
    id: DeviceId,
    name: String,
    now: DateTime<Utc>,
) -> Result<(), DeviceError> {
    let (_turn, txn) = super::begin_write(db).await?;
    let model = find_for(&txn, user, id).await?;
    let before = model.display_name.clone();
    let mut active: device::ActiveModel = model.into();
    active.display_name = Set(name.clone());
    active.update(&txn).await?;
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(user.username().as_str()),
            action: "device.rename",
            target: Some(&name),
            device_id: Some(id),
            outcome: Outcome::Success,
            details: json!({ "before": before, "after": name }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Queues `action` for the user's device, after the action table says
/// yes. A request identical to one still in flight joins it (and sends no
/// e-mail).
/// A Wipe or Retire waits out the hold set in Admin → Settings, and comes
/// with the e-mail that tells the owner (with how to cancel it on the
/// device's page, under `public_url`).
#[allow(clippy::too_many_arguments)]
pub async fn request(
    db: &DatabaseConnection,
    portal: &PortalConfig,
    origin: &RequestOrigin,
    user: &CurrentUser,
    id: DeviceId,
    action: DeviceAction,
    params: LockParams,
    now: DateTime<Utc>,
) -> Result<command::Model, DeviceError> {
    let caches = &portal.caches;
    let (_turn, txn) = super::begin_write(db).await?;
    let model = find_for(&txn, user, id).await?;
    let subject = Subject {
        roles: user.roles(),
        disabled: false,
    };
    let facts = caches.catalogue_in(&txn).await?.facts(&model, None);
    if let Err(reason) = availability(subject, facts, action) {
        audit::record(
            &txn,
            origin,
            now,
            Event {
                actor: Some(user.username().as_str()),
                action: &format!("device.{}", action.as_str()),
                target: Some(&model.display_name),
                device_id: Some(id),
                outcome: Outcome::Refused,
                details: json!({ "reason": reason.to_string() }),
            },
        )
        .await?;
        txn.commit().await?;
        return Err(reason.into());
    }
    let params_json = serde_json::to_string(&params).unwrap_or_else(|_| "{}".to_owned());
    let in_flight = command::Entity::find()
        .filter(command::Column::DeviceId.eq(id))
        .filter(command::Column::Kind.eq(action.as_str()))
        .filter(command::Column::State.is_in([CommandState::Queued, CommandState::Sent]))
        .filter(command::Column::Params.eq(params_json.clone()))
        .one(&txn)
        .await?;
    if let Some(existing) = in_flight {
        txn.commit().await?;
        return Ok(existing);
    }
    let created = command::ActiveModel {
        device_id: Set(id),
        kind: Set(action),
        params: Set(params_json),
        state: Set(CommandState::Queued),
        requested_by: Set(user.id()),
        requested_at: Set(now),
        sent_at: Set(None),
        completed_at: Set(None),
        result: Set("{}".to_owned()),
        hold_until: Set(super::settings::action_hold(&txn).await?.until(action, now)),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(user.username().as_str()),
            action: &format!("device.{}", action.as_str()),
            target: Some(&model.display_name),
            device_id: Some(id),
            outcome: Outcome::Success,
            details: json!({
                "command": created.id,
                "state": "queued",
                "lost_mode": params.lost_mode(),
                "hold_until": created.hold_until,
            }),
        },
    )
    .await?;
    // Only a Wipe or Retire is told by e-mail: only then is the owner read.
    let owner = match action.ends_management() {
        true => {
            super::entities::user::Entity::find_by_id(model.owner_id)
                .one(&txn)
                .await?
        }
        false => None,
    };
    let told = Told::Asked {
        by: user.username().as_str(),
        origin,
        page: format!("{}/devices/{id}", portal.public_url),
    };
    let mail = owner.and_then(|owner| told_mail(&owner, &model.display_name, &created, told));
    if let Some(mail) = mail {
        portal.messenger.queue(&txn, mail, now).await?;
    }
    txn.commit().await?;
    metrics().commands(action.as_str(), CommandState::Queued.as_str(), 1);
    Ok(created)
}

/// Cancels a command of the user's device that the device has not picked
/// up yet. `false` when it is too late (already sent or finished).
pub async fn cancel(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    user: &CurrentUser,
    id: DeviceId,
    command_id: CommandId,
    now: DateTime<Utc>,
) -> Result<bool, DeviceError> {
    let (_turn, txn) = super::begin_write(db).await?;
    let model = find_for(&txn, user, id).await?;
    let row = command::Entity::find_by_id(command_id)
        .filter(command::Column::DeviceId.eq(id))
        .one(&txn)
        .await?
        .ok_or(DeviceError::NotFound)?;
    let next = row.state.next(CommandEvent::Cancel);
    let Some(next) = next else {
        return Ok(false);
    };
    let kind = row.kind;
    // Only if it is still queued: a check-in may be handing it over right now.
    let changed = command::Entity::update_many()
        .col_expr(command::Column::State, Expr::value(next.as_str()))
        .col_expr(command::Column::CompletedAt, Expr::value(now))
        .filter(command::Column::Id.eq(command_id))
        .filter(command::Column::State.eq(CommandState::Queued))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Ok(false);
    }
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(user.username().as_str()),
            action: &format!("device.{kind}.cancel"),
            target: Some(&model.display_name),
            device_id: Some(id),
            outcome: Outcome::Success,
            details: json!({ "command": command_id }),
        },
    )
    .await?;
    txn.commit().await?;
    metrics().commands(kind.as_str(), next.as_str(), 1);
    Ok(true)
}

/// Expires commands still on their way `COMMAND_LIFETIME` after they were
/// requested; each expiry goes into the device's history. Gives how many.
pub async fn expire_stale_commands(
    db: &DatabaseConnection,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let stale = command::Entity::find()
        .filter(command::Column::State.is_in([CommandState::Queued, CommandState::Sent]))
        .filter(command::Column::RequestedAt.lt(now - crate::domain::device::COMMAND_LIFETIME))
        .all(db)
        .await?;
    let mut expired = 0;
    for row in stale {
        let Some(next) = row.state.next(CommandEvent::Expire) else {
            continue;
        };
        let (_turn, txn) = super::begin_write(db).await?;
        let changed = command::Entity::update_many()
            .col_expr(command::Column::State, Expr::value(next.as_str()))
            .col_expr(command::Column::CompletedAt, Expr::value(now))
            .filter(command::Column::Id.eq(row.id))
            .filter(command::Column::State.eq(row.state.as_str()))
            .exec(&txn)
            .await?;
        if changed.rows_affected == 1 {
            let name = device::Entity::find_by_id(row.device_id)
                .one(&txn)
                .await?
                .map(|d| d.display_name)
                .unwrap_or_default();
            audit::record(
                &txn,
                &RequestOrigin {
                    client_addr: "server".to_owned(),
                    user_agent: "command expiry".to_owned(),
                },
                now,
                Event {
                    actor: None,
                    action: &format!("device.{}.expire", row.kind),
                    target: Some(&name),
                    device_id: Some(row.device_id),
                    outcome: Outcome::Failure,
                    details: json!({ "command": row.id, "requested_at": row.requested_at.to_rfc3339() }),
                },
            )
            .await?;
            expired += 1;
        }
        txn.commit().await?;
        if changed.rows_affected == 1 {
            metrics().commands(row.kind.as_str(), next.as_str(), 1);
        }
    }
    Ok(expired)
}

/// Creates an enrolled (Active) device for `owner` and returns it with its
/// API credential, which is shown once and stored only as a hash.
pub async fn add_active(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    owner: &super::entities::user::Model,
    platform: Platform,
    name: String,
    now: DateTime<Utc>,
) -> Result<(device::Model, String), DbErr> {
    let credential = passwords::random_token();
    let (_turn, txn) = super::begin_write(db).await?;
    let (manufacturer, model_name) = match platform {
        Platform::Ios => ("Apple", "iPhone"),
        Platform::Ipados => ("Apple", "iPad"),
        Platform::Macos => ("Apple", "Mac"),
        Platform::Android => ("Google", "Pixel"),
        Platform::Windows => ("Microsoft", "Surface"),
        Platform::WindowsPhone81 | Platform::Windows10Mobile => ("Microsoft", "Lumia"),
    };
    let created = device::ActiveModel {
        owner_id: Set(owner.id),
        display_name: Set(name),
        platform: Set(platform),
        manufacturer: Set(manufacturer.to_owned()),
        model: Set(model_name.to_owned()),
        os_version: Set(String::new()),
        serial: Set(String::new()),
        imei: Set(String::new()),
        phone: Set(String::new()),
        carrier: Set(String::new()),
        ownership: Set(Ownership::CompanyOwned),
        status: Set(DeviceStatus::Active),
        registered_at: Set(now),
        enrolled_at: Set(Some(now)),
        last_checkin_at: Set(None),
        lock_state: Set(LockState::Unlocked),
        latitude: Set(None),
        longitude: Set(None),
        accuracy_m: Set(None),
        located_at: Set(None),
        credential_hash: Set(Some(hash_token(&credential))),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: None,
            action: "device.enroll",
            target: Some(&created.display_name),
            device_id: Some(created.id),
            outcome: Outcome::Success,
            details: json!({ "owner": owner.username, "platform": platform.as_str(), "via": "command line" }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok((created, credential))
}

// ---- the device API ---------------------------------------------------

/// The enrolled device that holds `credential`, if any.
pub async fn authenticate(
    db: &impl ConnectionTrait,
    credential: &str,
) -> Result<Option<(device::Model, Service)>, DbErr> {
    let Some(device) = device::Entity::find()
        .filter(device::Column::CredentialHash.eq(hash_token(credential)))
        .filter(device::Column::Status.eq(DeviceStatus::Active))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let service = service(db, &device).await?;
    Ok(Some((device, service)))
}

/// What the device API does for `device` now: by whether its owner may
/// still use the portal and whether a Wipe or Retire is on its way.
pub async fn service(db: &impl ConnectionTrait, device: &device::Model) -> Result<Service, DbErr> {
    use super::entities::user;
    let owner = user::Entity::find_by_id(device.owner_id).one(db).await?;
    let owner_may = owner.is_some_and(|owner| {
        let roles = super::accounts::roles_of(&owner);
        let subject = Subject {
            roles: &roles,
            disabled: owner.disabled,
        };
        crate::domain::access::check(subject, crate::domain::access::Action::UsePortal).is_ok()
    });
    Ok(Service::of(owner_may, ending(db, device.id).await?))
}

/// Whether a Wipe or Retire is on its way to the device.
pub async fn ending(db: &impl ConnectionTrait, id: DeviceId) -> Result<bool, DbErr> {
    let waiting = command::Entity::find()
        .filter(command::Column::DeviceId.eq(id))
        .filter(command::Column::Kind.is_in([DeviceAction::Wipe, DeviceAction::Retire]))
        .filter(command::Column::State.is_in([CommandState::Queued, CommandState::Sent]))
        .one(db)
        .await?;
    Ok(waiting.is_some())
}

/// Forgets the locations devices reported more than a day ago
/// (housekeeping): a person's whereabouts are kept no longer than needed.
pub async fn forget_old_locations(
    db: &impl ConnectionTrait,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let before = now - chrono::Duration::hours(LOCATION_KEPT_HOURS);
    let none = || Expr::value(Option::<f64>::None);
    Ok(device::Entity::update_many()
        .col_expr(device::Column::Latitude, none())
        .col_expr(device::Column::Longitude, none())
        .col_expr(device::Column::AccuracyM, none())
        .col_expr(
            device::Column::LocatedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(device::Column::LocatedAt.lte(before))
        .exec(db)
        .await?
        .rows_affected)
}

/// Removes `device` from the portal: its credential stops working at
/// once, what was waiting for it is cancelled, and its slot is freed.
/// `owner` limits it to that person's device (an owner removing their
/// own); an administrator passes `None`.
pub async fn remove(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &str,
    owner: Option<UserId>,
    id: DeviceId,
    now: DateTime<Utc>,
) -> Result<device::Model, DeviceError> {
    let (_turn, txn) = super::begin_write(db).await?;
    let mut found = device::Entity::find_by_id(id);
    if let Some(owner) = owner {
        found = found.filter(device::Column::OwnerId.eq(owner));
    }
    let model = found.one(&txn).await?.ok_or(DeviceError::NotFound)?;
    removable(model.status, ending(&txn, model.id).await?)?;
    if !remove_in(&txn, origin, Some(actor), &model, now).await? {
        return Err(Unavailable::NotManaged.into());
    }
    txn.commit().await?;
    Ok(model)
}

/// Removes a Pending or Active device inside the caller's transaction
/// (see [`remove`]; a Pending one's registration stops working too);
/// audited as `device.remove`. `false` when it was neither any more (a
/// report of the device got there first).
pub async fn remove_in(
    txn: &impl ConnectionTrait,
    origin: &RequestOrigin,
    actor: Option<&str>,
    model: &device::Model,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let removed = device::Entity::update_many()
        .col_expr(device::Column::Status, Expr::value(DeviceStatus::Removed))
        .col_expr(
            device::Column::CredentialHash,
            Expr::value(Option::<String>::None),
        )
        .filter(device::Column::Id.eq(model.id))
        .filter(device::Column::Status.is_in([DeviceStatus::Pending, DeviceStatus::Active]))
        .exec(txn)
        .await?;
    if removed.rows_affected != 1 {
        return Ok(false);
    }
    command::Entity::update_many()
        .col_expr(command::Column::State, Expr::value(CommandState::Cancelled))
        .filter(command::Column::DeviceId.eq(model.id))
        .filter(command::Column::State.is_in([CommandState::Queued, CommandState::Sent]))
        .exec(txn)
        .await?;
    let event = Event {
        actor,
        action: "device.remove",
        target: Some(&model.display_name),
        device_id: Some(model.id),
        outcome: Outcome::Success,
        details: json!({ "status_before": model.status.as_str() }),
    };
    audit::record(txn, origin, now, event).await?;
    Ok(true)
}

/// Facts a device reports about itself at check-in; absent ones are kept.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedFacts {
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub os_version: Option<String>,
    pub serial: Option<String>,
    pub imei: Option<String>,
    pub phone: Option<String>,
    pub carrier: Option<String>,
}

impl ReportedFacts {
    /// Every value at most 128 characters of printable text.
    pub fn validate(&self) -> Result<(), String> {
        let fields = [
            ("manufacturer", &self.manufacturer),
            ("model", &self.model),
            ("os_version", &self.os_version),
            ("serial", &self.serial),
            ("imei", &self.imei),
            ("phone", &self.phone),
            ("carrier", &self.carrier),
        ];
        for (name, value) in fields {
            if value
                .as_ref()
                .is_some_and(|v| v.chars().count() > 128 || v.chars().any(char::is_control))
            {
                return Err(format!("{name} must be at most 128 printable characters"));
            }
        }
        Ok(())
    }
}

/// A command as the device receives it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeviceCommand {
    pub id: CommandId,
    pub action: DeviceAction,
    #[serde(default)]
    pub params: LockParams,
}

/// A check-in by the active device whose credential is `credential`:
/// stores its time and the facts the device reported (those it left out
/// are kept), in one statement that also finds the device and gives its
/// row as it is now (`None`: no active device has that credential).
pub async fn record_check_in(
    db: &DatabaseConnection,
    credential: &str,
    facts: &ReportedFacts,
    now: DateTime<Utc>,
) -> Result<Option<device::Model>, DbErr> {
    let mut update = device::Entity::update_many()
        .col_expr(device::Column::LastCheckinAt, Expr::value(now))
        .filter(device::Column::CredentialHash.eq(hash_token(credential)))
        .filter(device::Column::Status.eq(DeviceStatus::Active));
    for (column, value) in [
        (device::Column::Manufacturer, &facts.manufacturer),
        (device::Column::Model, &facts.model),
        (device::Column::OsVersion, &facts.os_version),
        (device::Column::Serial, &facts.serial),
        (device::Column::Imei, &facts.imei),
        (device::Column::Phone, &facts.phone),
        (device::Column::Carrier, &facts.carrier),
    ] {
        if let Some(value) = value {
            update = update.col_expr(column, Expr::value(value.clone()));
        }
    }
    let _turn = super::write_turn(db).await;
    Ok(update.exec_with_returning(db).await?.into_iter().next())
}

/// Hands the queued commands to `device`, which has just checked in (they
/// become Sent). A command the device's policies rule out now (its
/// ownership or privacy policy changed after it was queued) is withheld:
/// cancelled, with the reason, and never sent.
///
/// Gives the commands, the catalogue they were checked against, and the
/// device as it is now. Most check-ins find nothing queued; otherwise the
/// device, the catalogue and the commands are read in one transaction, so
/// that a policy or ownership change committed meanwhile counts.
pub async fn hand_over(
    db: &DatabaseConnection,
    caches: &Caches,
    (device, service): (device::Model, Service),
    now: DateTime<Utc>,
) -> Result<(Vec<DeviceCommand>, Arc<catalogue::Catalogue>, device::Model), DbErr> {
    let id = device.id;
    let handed_kinds: Vec<DeviceAction> = DeviceAction::ALL
        .iter()
        .copied()
        .filter(|action| service.hands(*action))
        .collect();
    let queued = || {
        command::Entity::find()
            .filter(command::Column::DeviceId.eq(id))
            .filter(command::Column::State.eq(CommandState::Queued))
            .filter(command::Column::Kind.is_in(handed_kinds.clone()))
            // A Wipe or Retire waits out its hold (it may still be cancelled).
            .filter(
                Condition::any()
                    .add(command::Column::HoldUntil.is_null())
                    .add(command::Column::HoldUntil.lte(now)),
            )
            .order_by_asc(command::Column::Id)
    };
    if queued().one(db).await?.is_none() {
        return Ok((Vec::new(), caches.catalogue(), device));
    }
    let (_turn, txn) = super::begin_write(db).await?;
    let device = device::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .unwrap_or(device);
    let catalogue = caches.catalogue_in(&txn).await?;
    let rules = catalogue.facts(&device, None);
    let name = device.display_name.clone();
    let mut handed = Vec::new();
    for row in queued().all(&txn).await? {
        let action = row.kind;
        if let Some(reason) = policy_refusal(rules, action) {
            withhold(&txn, &row, &name, &reason.to_string(), now).await?;
            continue;
        }
        // Only if still queued: the owner may have cancelled it meanwhile.
        let taken = command::Entity::update_many()
            .col_expr(command::Column::State, Expr::value(CommandState::Sent))
            .col_expr(command::Column::SentAt, Expr::value(now))
            .filter(command::Column::Id.eq(row.id))
            .filter(command::Column::State.eq(CommandState::Queued))
            .exec(&txn)
            .await?;
        if taken.rows_affected == 1 {
            metrics().commands(action.as_str(), CommandState::Sent.as_str(), 1);
            let params: LockParams = serde_json::from_str(&row.params).unwrap_or_default();
            handed.push(DeviceCommand {
                id: row.id,
                action,
                params,
            });
        }
    }
    txn.commit().await?;
    Ok((handed, catalogue, device))
}

/// Cancels a queued command the device's policies now rule out.
async fn withhold(
    txn: &impl ConnectionTrait,
    row: &command::Model,
    device_name: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let cancelled = command::Entity::update_many()
        .col_expr(command::Column::State, Expr::value(CommandState::Cancelled))
        .col_expr(command::Column::CompletedAt, Expr::value(now))
        .col_expr(
            command::Column::Result,
            Expr::value(json!({ "error": reason }).to_string()),
        )
        .filter(command::Column::Id.eq(row.id))
        .filter(command::Column::State.eq(CommandState::Queued))
        .exec(txn)
        .await?;
    if cancelled.rows_affected == 1 {
        audit::record(
            txn,
            &RequestOrigin::device(),
            now,
            Event {
                actor: None,
                action: &format!("device.{}.withheld", row.kind),
                target: Some(device_name),
                device_id: Some(row.device_id),
                outcome: Outcome::Refused,
                details: json!({ "command": row.id, "reason": reason }),
            },
        )
        .await?;
    }
    Ok(())
}

/// What a device reports for one command.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandResult {
    /// `acknowledged` or `failed`.
    pub outcome: String,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub location: Option<ReportedLocation>,
    /// The new PIN a device made after a PIN reset (kept sealed, shown once
    /// to the owner).
    #[serde(default)]
    pub pin: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportedLocation {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub accuracy_m: Option<f64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("no such command for this device")]
    UnknownCommand,
    #[error("the command is not waiting for a result")]
    NotWaiting,
    #[error("{0}")]
    Invalid(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// Records a command's outcome and what it changed on the device.
pub async fn report(
    db: &DatabaseConnection,
    portal: &PortalConfig,
    device: device::Model,
    command_id: CommandId,
    result: CommandResult,
    now: DateTime<Utc>,
) -> Result<(), ReportError> {
    let sealer = portal.directory.sealer();
    let event = match result.outcome.as_str() {
        "acknowledged" => CommandEvent::Succeeded,
        "failed" => CommandEvent::Failed,
        _ => {
            return Err(ReportError::Invalid(
                "outcome must be acknowledged or failed".to_owned(),
            ));
        }
    };
    if let Some(location) = &result.location {
        let valid = (-90.0..=90.0).contains(&location.latitude)
            && (-180.0..=180.0).contains(&location.longitude)
            && location
                .accuracy_m
                .is_none_or(|a| (0.0..=1_000_000.0).contains(&a));
        if !valid {
            return Err(ReportError::Invalid("location out of range".to_owned()));
        }
    }
    if result.pin.as_deref().is_some_and(|pin| !is_device_pin(pin)) {
        return Err(ReportError::Invalid("a PIN is 4 to 16 digits".to_owned()));
    }
    let error_text: Option<String> = result.error.as_ref().map(|e| e.chars().take(500).collect());
    let (_turn, txn) = super::begin_write(db).await?;
    let row = command::Entity::find_by_id(command_id)
        .filter(command::Column::DeviceId.eq(device.id))
        .one(&txn)
        .await?
        .ok_or(ReportError::UnknownCommand)?;
    let next = row.state.next(event).ok_or(ReportError::NotWaiting)?;
    let action = row.kind;
    // A PIN reset that worked reports the new PIN, and only it reports one.
    let sealed_pin = match (action, next, result.pin.as_deref()) {
        (DeviceAction::ResetPin, CommandState::Acknowledged, Some(pin)) => Some(
            sealer
                .seal(PIN_PURPOSE, pin)
                .map_err(|e| ReportError::Invalid(e.to_string()))?,
        ),
        (DeviceAction::ResetPin, CommandState::Acknowledged, None) => {
            return Err(ReportError::Invalid(
                "a PIN reset reports the new PIN".to_owned(),
            ));
        }
        (_, _, Some(_)) => {
            return Err(ReportError::Invalid(
                "only a PIN reset reports a PIN".to_owned(),
            ));
        }
        _ => None,
    };
    let params: LockParams = serde_json::from_str(&row.params).unwrap_or_default();
    let device_id = device.id;
    let device_name = device.display_name.clone();
    let owner_id = device.owner_id;

    // Only from the state it was read in: two reports for one command
    // cannot both land.
    let recorded = command::Entity::update_many()
        .col_expr(command::Column::State, Expr::value(next.as_str()))
        .col_expr(command::Column::CompletedAt, Expr::value(now))
        .col_expr(
            command::Column::Result,
            Expr::value(json!({ "error": error_text, "sealed_pin": sealed_pin }).to_string()),
        )
        .filter(command::Column::Id.eq(row.id))
        .filter(command::Column::State.eq(row.state))
        .exec(&txn)
        .await?;
    if recorded.rows_affected != 1 {
        return Err(ReportError::NotWaiting);
    }

    if next == CommandState::Acknowledged {
        let mut changed: device::ActiveModel = device.into();
        match action {
            DeviceAction::Lock => {
                let state = if params.lost_mode() {
                    LockState::LostMode
                } else {
                    LockState::Locked
                };
                changed.lock_state = Set(state);
            }
            DeviceAction::Unlock => changed.lock_state = Set(LockState::Unlocked),
            DeviceAction::Found => changed.lock_state = Set(LockState::Locked),
            DeviceAction::Locate => {
                if let Some(location) = &result.location {
                    changed.latitude = Set(Some(location.latitude));
                    changed.longitude = Set(Some(location.longitude));
                    changed.accuracy_m = Set(location.accuracy_m);
                    changed.located_at = Set(Some(now));
                }
            }
            DeviceAction::Wipe | DeviceAction::Retire => {
                let status = if action == DeviceAction::Wipe {
                    DeviceStatus::Wiped
                } else {
                    DeviceStatus::Retired
                };
                changed.status = Set(status);
                // The device is no longer managed: its credential stops working.
                changed.credential_hash = Set(None);
            }
            DeviceAction::ResetPin => {}
        }
        changed.update(&txn).await?;
        // Whatever else was waiting cannot reach a device that is gone.
        if matches!(action, DeviceAction::Wipe | DeviceAction::Retire) {
            command::Entity::update_many()
                .col_expr(command::Column::State, Expr::value(CommandState::Cancelled))
                .filter(command::Column::DeviceId.eq(device_id))
                .filter(command::Column::State.is_in([CommandState::Queued, CommandState::Sent]))
                .exec(&txn)
                .await?;
        }
    }
    let owner = super::entities::user::Entity::find_by_id(owner_id)
        .one(&txn)
        .await?;
    audit::record(
        &txn,
        &RequestOrigin::device(),
        now,
        Event {
            actor: owner.as_ref().map(|o| o.username.as_str()),
            action: &format!("device.{}.result", action.as_str()),
            target: Some(&device_name),
            device_id: Some(device_id),
            outcome: if next == CommandState::Acknowledged {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            details: json!({ "command": command_id, "error": error_text }),
        },
    )
    .await?;
    // The owner hears of a Wipe or Retire done, as of one asked for.
    let done = next == CommandState::Acknowledged && action.ends_management();
    let mail = owner
        .filter(|_| done)
        .and_then(|owner| told_mail(&owner, &device_name, &row, Told::Done { at: now }));
    if let Some(mail) = mail {
        portal.messenger.queue(&txn, mail, now).await?;
    }
    txn.commit().await?;
    metrics().commands(action.as_str(), next.as_str(), 1);
    Ok(())
}

/// What an e-mail to a device's owner about its Wipe or Retire tells.
pub enum Told<'a> {
    /// Asked for, by whom and from where: with when it goes out and how to
    /// cancel it.
    Asked {
        by: &'a str,
        origin: &'a RequestOrigin,
        page: String,
    },
    /// The device reported it done.
    Done { at: DateTime<Utc> },
}

/// The e-mail that tells `owner` about `command` (a Wipe or Retire of
/// their device `device_name`); `None` for someone without an address.
pub fn told_mail(
    owner: &super::entities::user::Model,
    device_name: &str,
    command: &command::Model,
    told: Told,
) -> Option<Outgoing> {
    use super::registration::escape_html;
    if owner.email.is_empty() || !command.kind.ends_management() {
        return None;
    }
    let lang = super::accounts::language_of(owner);
    // Only a Wipe or a Retire is told (above).
    let wipe = command.kind == DeviceAction::Wipe;
    let (subject, paragraphs) = match told {
        Told::Asked { by, origin, page } => {
            let when = match command.hold_until {
                Some(until) => lang.trf(
                    "It goes out to the device at {at}; until then it can be cancelled on the device's page: {page}",
                    &[("at", &lang.date_time(until)), ("page", &page)],
                ),
                None => lang.trf(
                    "It goes out to the device at its next check-in; until the device picks it up it can be cancelled on the device's page: {page}",
                    &[("page", &page)],
                ),
            };
            let at = lang.date_time(command.requested_at);
            let values: [(&str, &(dyn std::fmt::Display + Sync)); 5] = [
                ("device", &device_name),
                ("by", &by),
                ("at", &at),
                ("address", &origin.client_addr),
                ("agent", &origin.user_agent),
            ];
            let (subject, asked) = if wipe {
                (
                    lang.trf("Wipe of “{device}” was asked for", &values),
                    lang.trf(
                        "Wipe of your device “{device}” was asked for by {by} at {at}, from {address} ({agent}).",
                        &values,
                    ),
                )
            } else {
                (
                    lang.trf("Retire of “{device}” was asked for", &values),
                    lang.trf(
                        "Retire of your device “{device}” was asked for by {by} at {at}, from {address} ({agent}).",
                        &values,
                    ),
                )
            };
            (
                subject,
                vec![
                    asked,
                    when,
                    lang.tr("If this was not you, cancel it and contact your IT helpdesk.")
                        .to_owned(),
                ],
            )
        }
        Told::Done { at } => {
            let at = lang.date_time(at);
            let values: [(&str, &(dyn std::fmt::Display + Sync)); 2] =
                [("device", &device_name), ("at", &at)];
            if wipe {
                (
                    lang.trf("“{device}” reported: wiped", &values),
                    vec![lang.trf(
                        "Your device “{device}” reported at {at}: wiped. The portal no longer manages it.",
                        &values,
                    )],
                )
            } else {
                (
                    lang.trf("“{device}” reported: retired", &values),
                    vec![lang.trf(
                        "Your device “{device}” reported at {at}: retired. The portal no longer manages it.",
                        &values,
                    )],
                )
            }
        }
    };
    let hello = super::registration::hello(lang, &owner.display_name);
    let text = std::iter::once(hello.clone())
        .chain(paragraphs.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n\n")
        + "\n";
    let html = std::iter::once(hello)
        .chain(paragraphs)
        .map(|p| format!("<p>{}</p>", escape_html(&p)))
        .collect::<String>();
    Some(Outgoing {
        to: Recipient::Email(owner.email.clone()),
        subject,
        text,
        html,
        audit_action: "device.email",
        actor: owner.username.clone(),
        device_id: Some(command.device_id),
        tracks_registration: None,
    })
}

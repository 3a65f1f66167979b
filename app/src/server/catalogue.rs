//! Admin → Policies & apps, and what it means for each device: its labels,
//! its effective set and the version of it, ownership changes with their
//! impact, and delivering the set at check-in.

use super::Admin;
use crate::domain::ids::DeviceId;
use crate::domain::text::TextEnum;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::audit::{self, Event, RequestOrigin};
use super::auth::CurrentUser;
use super::cache::{self, Kind};
use super::devices::{self, DeviceError};
use super::entities::{catalogue_item, certificate_setting, custom_label, device};
use super::{begin_write, settings};
use crate::api::catalogue::{
    CatalogueOverview, ConfigurationState, DeviceConfiguration, ItemView, LabelSummary, LabelView,
    OwnershipPreview,
};
use crate::domain::access::Subject;
use crate::domain::audit::Outcome;
use crate::domain::catalogue::{
    DeviceTraits, Item, ItemDraft, ItemId, ItemInput, ItemType, Label, LabelInput, LabelKey,
    LabelRule, built_in_labels, effective_set, impact, labels_of, locate_forbidden_by,
};
use crate::domain::device::{
    DeviceAction, DeviceFacts, DeviceStatus, Ownership, Platform, Unavailable, availability,
    ownership_change,
};

#[derive(Debug, thiserror::Error)]
pub enum CatalogueError {
    #[error("Not found.")]
    NotFound,
    #[error("Another one already has this name: choose a different one.")]
    NameTaken,
    #[error("{0}")]
    Unavailable(#[from] Unavailable),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl From<DeviceError> for CatalogueError {
    fn from(error: DeviceError) -> CatalogueError {
        match error {
            DeviceError::NotFound => CatalogueError::NotFound,
            DeviceError::Unavailable(reason) => CatalogueError::Unavailable(reason),
            DeviceError::Db(error) => CatalogueError::Db(error),
        }
    }
}

type Result<T> = std::result::Result<T, CatalogueError>;

/// Every label and every item, as the domain rules take them.
#[derive(Clone, Debug, Default)]
pub struct Catalogue {
    pub labels: Vec<Label>,
    pub items: Vec<Item>,
    pub forbid_employee_wipe: bool,
}

fn labels_from(text: &str) -> Vec<LabelKey> {
    serde_json::from_str(text).unwrap_or_default()
}

pub(crate) fn labels_json(labels: &[LabelKey]) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "[]".to_owned())
}

fn custom(model: &custom_label::Model) -> Label {
    Label {
        key: LabelKey::Custom(model.id),
        name: model.name.clone(),
        rule: LabelRule {
            ownership: model.ownership,
            platforms: model
                .platforms
                .split(',')
                .filter_map(Platform::parse)
                .collect(),
        },
        built_in: false,
    }
}

fn item_of(model: &catalogue_item::Model) -> Option<Item> {
    Some(Item {
        id: ItemId::Catalogue(model.id),
        item_type: model.item_type,
        name: model.name.clone(),
        detail: model.detail.clone(),
        forbids_locate: model.forbids_locate,
        labels: labels_from(&model.labels),
    })
}

fn certificate_item(model: &certificate_setting::Model) -> Item {
    Item {
        id: ItemId::CertificateSetting(model.id),
        item_type: ItemType::Certificate,
        name: model.name.clone(),
        detail: crate::i18n::Lang::En.trf("Your certificate for {name}", &[("name", &model.name)]),
        forbids_locate: false,
        labels: labels_from(&model.labels),
    }
}

pub async fn load(db: &impl ConnectionTrait) -> std::result::Result<Catalogue, DbErr> {
    let mut labels = built_in_labels();
    labels.extend(
        custom_label::Entity::find()
            .order_by_asc(custom_label::Column::Name)
            .all(db)
            .await?
            .iter()
            .map(custom),
    );
    let mut items: Vec<Item> = catalogue_item::Entity::find()
        .order_by_asc(catalogue_item::Column::Name)
        .all(db)
        .await?
        .iter()
        .filter_map(item_of)
        .collect();
    items.extend(
        certificate_setting::Entity::find()
            .order_by_asc(certificate_setting::Column::Name)
            .all(db)
            .await?
            .iter()
            .map(certificate_item),
    );
    Ok(Catalogue {
        labels,
        items,
        forbid_employee_wipe: settings::forbid_employee_wipe(db).await?,
    })
}

pub fn traits(model: &device::Model) -> DeviceTraits {
    DeviceTraits {
        ownership: model.ownership,
        platform: model.platform,
    }
}

impl Catalogue {
    pub fn set_for(&self, device: DeviceTraits) -> Vec<Item> {
        effective_set(device, &self.labels, &self.items)
    }

    /// The facts the action table needs, for `model` as it is or with
    /// another ownership.
    pub fn facts(&self, model: &device::Model, ownership: Option<Ownership>) -> DeviceFacts {
        let mut traits = traits(model);
        if let Some(ownership) = ownership {
            traits.ownership = ownership;
        }
        DeviceFacts {
            platform: traits.platform,
            status: model.status,
            lock: model.lock_state,
            ownership: traits.ownership,
            locate_forbidden: locate_forbidden_by(&self.set_for(traits)).is_some(),
            employee_wipe_forbidden: self.forbid_employee_wipe,
        }
    }

    /// The version of what `device` should have now.
    pub fn current_version(&self, device: &device::Model) -> String {
        let traits = traits(device);
        version(traits, &self.label_names(traits), &self.set_for(traits))
    }

    fn label_names(&self, device: DeviceTraits) -> Vec<String> {
        let mine = labels_of(device, &self.labels);
        self.labels
            .iter()
            .filter(|l| mine.contains(&l.key))
            .map(|l| l.name.clone())
            .collect()
    }
}

/// A short fingerprint of what a device with `traits` gets (its
/// ownership, its labels' names and its set): it changes whenever anything
/// sent to the device changes.
fn version(traits: DeviceTraits, labels: &[String], set: &[Item]) -> String {
    let mut hash = Sha256::new();
    hash.update(traits.ownership.as_str());
    hash.update(serde_json::to_vec(labels).unwrap_or_default());
    hash.update(serde_json::to_vec(set).unwrap_or_default());
    hash.finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

// ---- The device page ----

/// What the device page shows of the device's set.
pub fn configuration_of(
    catalogue: &Catalogue,
    model: &device::Model,
    user: &CurrentUser,
) -> DeviceConfiguration {
    let traits = traits(model);
    let set = catalogue.set_for(traits);
    let status = model.status;
    let state = if status == DeviceStatus::Pending {
        ConfigurationState::NotEnrolled
    } else if status.is_final() {
        ConfigurationState::NotManaged
    } else if model.configuration_version.as_deref()
        == Some(catalogue.current_version(model).as_str())
    {
        ConfigurationState::Applied {
            at: model.configuration_applied_at,
        }
    } else {
        ConfigurationState::Pending
    };
    let subject = Subject {
        roles: user.roles(),
        disabled: false,
    };
    DeviceConfiguration {
        labels: catalogue.label_names(traits),
        items: set,
        state,
        can_change_ownership: ownership_change(
            subject,
            catalogue.facts(model, None),
            traits.ownership.other(),
        )
        .is_ok(),
    }
}

// ---- Ownership ----

fn names(items: &[Item]) -> Vec<String> {
    items.iter().map(Item::describe).collect()
}

/// What changing the user's device `id` to `to` would do.
pub async fn preview(
    db: &DatabaseConnection,
    catalogue: &Catalogue,
    user: &CurrentUser,
    id: DeviceId,
    to: Option<Ownership>,
) -> Result<OwnershipPreview> {
    let model = devices::find_for(db, user, id).await?;
    let subject = Subject {
        roles: user.roles(),
        disabled: false,
    };
    let current = traits(&model);
    let refused = to.and_then(|to| {
        ownership_change(subject, catalogue.facts(&model, None), to)
            .err()
            .map(|reason| reason.to_string())
    });
    // Without the role, or for a device no longer managed, nothing to show.
    if let Err(reason @ (Unavailable::Denied(_) | Unavailable::NotManaged)) = ownership_change(
        subject,
        catalogue.facts(&model, None),
        current.ownership.other(),
    ) {
        return Err(reason.into());
    }
    let change = to.filter(|to| *to != current.ownership).map(|to| {
        let after = DeviceTraits {
            ownership: to,
            ..current
        };
        let before_set = catalogue.set_for(current);
        let after_set = catalogue.set_for(after);
        let actions = |ownership| {
            let facts = catalogue.facts(&model, Some(ownership));
            DeviceAction::ALL
                .iter()
                .copied()
                .filter(|a| availability(subject, facts, *a).is_ok())
                .collect::<Vec<_>>()
        };
        let (before_actions, after_actions) = (actions(current.ownership), actions(to));
        (
            impact(&before_set, &after_set),
            before_actions
                .iter()
                .filter(|a| !after_actions.contains(a))
                .map(|a| a.label().to_owned())
                .collect(),
            after_actions
                .iter()
                .filter(|a| !before_actions.contains(a))
                .map(|a| a.label().to_owned())
                .collect(),
        )
    });
    let (impact, actions_lost, actions_gained) = change.unwrap_or_default();
    Ok(OwnershipPreview {
        device_id: model.id,
        device_name: model.display_name.clone(),
        current: current.ownership,
        to: to.filter(|_| refused.is_none()),
        refused,
        impact,
        actions_lost,
        actions_gained,
        enrolled: model.status == DeviceStatus::Active,
    })
}

/// Switches the user's device `id` to `to`; audited with the sets before
/// and after. The device gets its new set at its next check-in.
pub async fn change_ownership(
    db: &DatabaseConnection,
    caches: &super::cache::Caches,
    origin: &RequestOrigin,
    user: &CurrentUser,
    id: DeviceId,
    to: Ownership,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = begin_write(db).await?;
    let model = devices::find_for(&txn, user, id).await?;
    let catalogue = caches.catalogue_in(&txn).await?;
    let subject = Subject {
        roles: user.roles(),
        disabled: false,
    };
    let before = traits(&model);
    if let Err(reason) = ownership_change(subject, catalogue.facts(&model, None), to) {
        audit::record(
            &txn,
            origin,
            now,
            Event {
                actor: Some(user.username().as_str()),
                action: "device.ownership",
                target: Some(&model.display_name),
                device_id: Some(id),
                outcome: Outcome::Refused,
                details: json!({ "to": to.as_str(), "reason": reason.to_string() }),
            },
        )
        .await?;
        txn.commit().await?;
        return Err(reason.into());
    }
    let after = DeviceTraits {
        ownership: to,
        ..before
    };
    let (before_set, after_set) = (catalogue.set_for(before), catalogue.set_for(after));
    let change = impact(&before_set, &after_set);
    // Only from the ownership it was read with: two changes cannot cross.
    let updated = device::Entity::update_many()
        .col_expr(device::Column::Ownership, Expr::value(to.as_str()))
        .filter(device::Column::Id.eq(id))
        .filter(device::Column::Ownership.eq(before.ownership.as_str()))
        .exec(&txn)
        .await?;
    if updated.rows_affected != 1 {
        return Err(Unavailable::SameOwnership.into());
    }
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(user.username().as_str()),
            action: "device.ownership",
            target: Some(&model.display_name),
            device_id: Some(id),
            outcome: Outcome::Success,
            details: json!({
                "before": { "ownership": before.ownership.as_str(), "set": names(&before_set) },
                "after": { "ownership": to.as_str(), "set": names(&after_set) },
                "gained": names(&change.gained),
                "lost": names(&change.lost),
                "replaced": change.replaced.iter().map(|(old, new)| json!([old.describe(), new.describe()])).collect::<Vec<_>>(),
            }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

// ---- Delivery ----

/// What a device receives at check-in when its set changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ConfigurationDelivery {
    pub version: String,
    pub ownership: Ownership,
    pub labels: Vec<String>,
    pub items: Vec<DeliveredItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliveredItem {
    /// Stable across versions: `item-3`, `certificate-1`.
    pub id: String,
    pub kind: crate::domain::catalogue::ItemKind,
    #[serde(rename = "type")]
    pub item_type: ItemType,
    pub name: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub forbids_locate: bool,
}

/// The set of `device` with its version, or `None` when the device
/// reported (`reported`) that it applied this version already. A reported
/// version is recorded as applied.
pub async fn deliver(
    db: &DatabaseConnection,
    catalogue: &Catalogue,
    device: &device::Model,
    reported: Option<&str>,
    now: DateTime<Utc>,
) -> std::result::Result<Option<ConfigurationDelivery>, DbErr> {
    let version = catalogue.current_version(device);
    if let Some(reported) = reported {
        record_applied(db, device, reported, &version, now).await?;
    }
    if reported == Some(version.as_str()) {
        return Ok(None);
    }
    let traits = traits(device);
    let set = catalogue.set_for(traits);
    Ok(Some(ConfigurationDelivery {
        version,
        ownership: traits.ownership,
        labels: catalogue.label_names(traits),
        items: set
            .into_iter()
            .map(|item| DeliveredItem {
                id: item.id.as_string(),
                kind: item.kind(),
                item_type: item.item_type,
                name: item.name,
                detail: item.detail,
                forbids_locate: item.forbids_locate,
            })
            .collect(),
    }))
}

/// The device says it applied `version`. Kept whatever it is (the page
/// compares it with the `current` one); audited once when it is the
/// current one.
pub async fn record_applied(
    db: &DatabaseConnection,
    device: &device::Model,
    version: &str,
    current: &str,
    now: DateTime<Utc>,
) -> std::result::Result<(), DbErr> {
    if device.configuration_version.as_deref() == Some(version) {
        return Ok(());
    }
    let (_turn, txn) = begin_write(db).await?;
    let changed = device::Entity::update_many()
        .col_expr(device::Column::ConfigurationVersion, Expr::value(version))
        .col_expr(device::Column::ConfigurationAppliedAt, Expr::value(now))
        .filter(device::Column::Id.eq(device.id))
        .filter(match &device.configuration_version {
            Some(old) => device::Column::ConfigurationVersion.eq(old.as_str()),
            None => device::Column::ConfigurationVersion.is_null(),
        })
        .exec(&txn)
        .await?;
    if changed.rows_affected == 1 && version == current {
        audit::record(
            &txn,
            &RequestOrigin::device(),
            now,
            Event {
                actor: None,
                action: "device.configuration.applied",
                target: Some(&device.display_name),
                device_id: Some(device.id),
                outcome: Outcome::Success,
                details: json!({ "version": version, "ownership": device.ownership.as_str() }),
            },
        )
        .await?;
    }
    txn.commit().await
}

// ---- Admin → Policies & apps ----

fn event<'a>(actor: &'a str, action: &'a str, target: &'a str, details: Value) -> Event<'a> {
    Event {
        actor: Some(actor),
        action,
        target: Some(target),
        device_id: None,
        outcome: Outcome::Success,
        details,
    }
}

pub async fn overview(db: &DatabaseConnection) -> Result<CatalogueOverview> {
    let catalogue = load(db).await?;
    let labels = catalogue
        .labels
        .iter()
        .map(|label| LabelSummary {
            label: label.clone(),
            description: label.rule.describe(),
            used_by: catalogue
                .items
                .iter()
                .filter(|i| i.labels.contains(&label.key))
                .count(),
        })
        .collect();
    Ok(CatalogueOverview {
        items: catalogue.items,
        labels,
        forbid_employee_wipe: catalogue.forbid_employee_wipe,
    })
}

pub async fn item_view(db: &DatabaseConnection, id: Option<i32>) -> Result<ItemView> {
    let catalogue = load(db).await?;
    let input = match id {
        Some(id) => {
            let item = catalogue
                .items
                .iter()
                .find(|i| i.id == ItemId::Catalogue(id))
                .ok_or(CatalogueError::NotFound)?;
            ItemInput {
                item_type: item.item_type.as_str().to_owned(),
                name: item.name.clone(),
                detail: item.detail.clone(),
                forbids_locate: item.forbids_locate,
                labels: item.labels.iter().map(|l| l.as_string()).collect(),
            }
        }
        None => ItemInput {
            item_type: ItemType::App.as_str().to_owned(),
            ..ItemInput::default()
        },
    };
    Ok(ItemView {
        id,
        input,
        labels: catalogue.labels,
    })
}

fn draft_json(draft: &ItemDraft) -> Value {
    json!({
        "type": draft.item_type.as_str(),
        "name": draft.name,
        "detail": draft.detail,
        "forbids_locate": draft.forbids_locate,
        "labels": draft.labels,
    })
}

async fn name_taken<E: EntityTrait>(
    db: &impl ConnectionTrait,
    column: E::Column,
    id_column: E::Column,
    name: &str,
    id: Option<i32>,
) -> std::result::Result<bool, DbErr>
where
    E::Column: ColumnTrait,
{
    let mut query = E::find()
        .filter(Expr::expr(Func::lower(Expr::col(column))).eq(Func::lower(Expr::val(name))));
    if let Some(id) = id {
        query = query.filter(id_column.ne(id));
    }
    Ok(query.one(db).await?.is_some())
}

/// A unique name taken meanwhile (by a concurrent save) is `NameTaken` too.
fn taken(error: DbErr) -> CatalogueError {
    match error.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => CatalogueError::NameTaken,
        _ => CatalogueError::Db(error),
    }
}

/// `labels` without administrator labels that no longer exist (a form
/// opened before one was deleted).
pub(crate) async fn known_labels(
    db: &impl ConnectionTrait,
    labels: Vec<LabelKey>,
) -> std::result::Result<Vec<LabelKey>, DbErr> {
    let custom: Vec<i32> = custom_label::Entity::find()
        .all(db)
        .await?
        .iter()
        .map(|l| l.id)
        .collect();
    Ok(labels
        .into_iter()
        .filter(|l| match l {
            LabelKey::Custom(id) => custom.contains(id),
            _ => true,
        })
        .collect())
}

pub async fn save_item(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: Option<i32>,
    mut draft: ItemDraft,
    now: DateTime<Utc>,
) -> Result<i32> {
    let (_turn, txn) = begin_write(db).await?;
    draft.labels = known_labels(&txn, draft.labels).await?;
    if name_taken::<catalogue_item::Entity>(
        &txn,
        catalogue_item::Column::Name,
        catalogue_item::Column::Id,
        &draft.name,
        id,
    )
    .await?
    {
        return Err(CatalogueError::NameTaken);
    }
    let mut row = catalogue_item::ActiveModel {
        item_type: Set(draft.item_type),
        name: Set(draft.name.clone()),
        detail: Set(draft.detail.clone()),
        forbids_locate: Set(draft.forbids_locate),
        labels: Set(labels_json(&draft.labels)),
        updated_at: Set(now),
        ..Default::default()
    };
    let (saved, before) = match id {
        Some(id) => {
            let model = catalogue_item::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(CatalogueError::NotFound)?;
            let before = item_of(&model).map(|i| {
                draft_json(&ItemDraft {
                    item_type: i.item_type,
                    name: i.name,
                    detail: i.detail,
                    forbids_locate: i.forbids_locate,
                    labels: i.labels,
                })
            });
            row.id = Set(id);
            (row.update(&txn).await.map_err(taken)?.id, before)
        }
        None => (row.insert(&txn).await.map_err(taken)?.id, None),
    };
    let action = if id.is_some() {
        "catalogue.update"
    } else {
        "catalogue.create"
    };
    audit::record(
        &txn,
        origin,
        now,
        event(
            actor,
            action,
            &draft.name,
            json!({ "before": before, "after": draft_json(&draft) }),
        ),
    )
    .await?;
    cache::bump(&txn, Kind::Catalogue).await?;
    txn.commit().await?;
    Ok(saved)
}

pub async fn delete_item(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: i32,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = begin_write(db).await?;
    let model = catalogue_item::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(CatalogueError::NotFound)?;
    catalogue_item::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        origin,
        now,
        event(
            actor,
            "catalogue.delete",
            &model.name,
            json!({ "type": model.item_type.as_str(), "labels": labels_from(&model.labels) }),
        ),
    )
    .await?;
    cache::bump(&txn, Kind::Catalogue).await?;
    txn.commit().await?;
    Ok(())
}

pub async fn label_view(db: &DatabaseConnection, id: Option<i32>) -> Result<LabelView> {
    let input = match id {
        Some(id) => {
            let model = custom_label::Entity::find_by_id(id)
                .one(db)
                .await?
                .ok_or(CatalogueError::NotFound)?;
            let label = custom(&model);
            LabelInput {
                name: label.name,
                ownership: label
                    .rule
                    .ownership
                    .map(|o| o.as_str().to_owned())
                    .unwrap_or_default(),
                platforms: label
                    .rule
                    .platforms
                    .iter()
                    .map(|p| p.as_str().to_owned())
                    .collect(),
            }
        }
        None => LabelInput::default(),
    };
    Ok(LabelView { id, input })
}

fn rule_json(name: &str, rule: &LabelRule) -> Value {
    json!({
        "name": name,
        "ownership": rule.ownership.map(Ownership::as_str),
        "platforms": rule.platforms.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
    })
}

pub async fn save_label(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: Option<i32>,
    (name, rule): (String, LabelRule),
    now: DateTime<Utc>,
) -> Result<i32> {
    let (_turn, txn) = begin_write(db).await?;
    if name_taken::<custom_label::Entity>(
        &txn,
        custom_label::Column::Name,
        custom_label::Column::Id,
        &name,
        id,
    )
    .await?
    {
        return Err(CatalogueError::NameTaken);
    }
    let mut row = custom_label::ActiveModel {
        name: Set(name.clone()),
        ownership: Set(rule.ownership),
        platforms: Set(rule
            .platforms
            .iter()
            .map(|p| p.as_str())
            .collect::<Vec<_>>()
            .join(",")),
        updated_at: Set(now),
        ..Default::default()
    };
    let (saved, before) = match id {
        Some(id) => {
            let model = custom_label::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(CatalogueError::NotFound)?;
            let old = custom(&model);
            row.id = Set(id);
            (
                row.update(&txn).await.map_err(taken)?.id,
                Some(rule_json(&old.name, &old.rule)),
            )
        }
        None => (row.insert(&txn).await.map_err(taken)?.id, None),
    };
    audit::record(
        &txn,
        origin,
        now,
        event(
            actor,
            if id.is_some() {
                "label.update"
            } else {
                "label.create"
            },
            &name,
            json!({ "before": before, "after": rule_json(&name, &rule) }),
        ),
    )
    .await?;
    cache::bump(&txn, Kind::Catalogue).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Deletes an administrator's label and takes it off every item and
/// certificate setting it was assigned to.
pub async fn delete_label(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: i32,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = begin_write(db).await?;
    let model = custom_label::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(CatalogueError::NotFound)?;
    let key = LabelKey::Custom(id);
    let mut unassigned = Vec::new();
    for item in catalogue_item::Entity::find().all(&txn).await? {
        let labels = labels_from(&item.labels);
        if labels.contains(&key) {
            unassigned.push(item.name.clone());
            let kept: Vec<LabelKey> = labels.into_iter().filter(|l| *l != key).collect();
            let mut row: catalogue_item::ActiveModel = item.into();
            row.labels = Set(labels_json(&kept));
            row.update(&txn).await?;
        }
    }
    for setting in certificate_setting::Entity::find().all(&txn).await? {
        let labels = labels_from(&setting.labels);
        if labels.contains(&key) {
            unassigned.push(setting.name.clone());
            let kept: Vec<LabelKey> = labels.into_iter().filter(|l| *l != key).collect();
            let mut row: certificate_setting::ActiveModel = setting.into();
            row.labels = Set(labels_json(&kept));
            row.update(&txn).await?;
        }
    }
    custom_label::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        origin,
        now,
        event(
            actor,
            "label.delete",
            &model.name,
            json!({ "before": rule_json(&model.name, &custom(&model).rule), "unassigned_from": unassigned }),
        ),
    )
    .await?;
    cache::bump(&txn, Kind::Catalogue).await?;
    txn.commit().await?;
    Ok(())
}

/// A few policies, configurations, apps and books on the two ownership
/// labels, so that an ownership change has something to show (`ssp demo`,
/// and the browser tests). Items that exist already are left alone.
pub async fn add_samples(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    now: DateTime<Utc>,
) -> Result<usize> {
    use ItemType::*;
    let company = LabelKey::ownership(Ownership::CompanyOwned);
    let employee = LabelKey::ownership(Ownership::EmployeeOwned);
    let all = LabelKey::AllDevices;
    let samples: [(ItemType, &str, &str, bool, Vec<LabelKey>); 11] = [
        (
            PasscodePolicy,
            "Company passcode",
            "At least 6 digits, changed every 90 days",
            false,
            vec![company],
        ),
        (
            PasscodePolicy,
            "Personal passcode",
            "At least 4 digits",
            false,
            vec![employee],
        ),
        (
            PrivacyPolicy,
            "Company device privacy",
            "The company may see installed apps and the device's location when you ask to locate it",
            false,
            vec![company],
        ),
        (
            PrivacyPolicy,
            "Personal device privacy",
            "The company never sees your location, personal apps, photos or messages",
            true,
            vec![employee],
        ),
        (
            Wifi,
            "Corporate Wi-Fi",
            "Corp-WLAN, WPA2 Enterprise",
            false,
            vec![all],
        ),
        (
            Vpn,
            "Always-on VPN",
            "vpn.example.com, IKEv2",
            false,
            vec![company],
        ),
        (
            Email,
            "Work e-mail",
            "outlook.office365.com",
            false,
            vec![all],
        ),
        (
            App,
            "Company Portal",
            "com.example.portal",
            false,
            vec![all],
        ),
        (
            App,
            "Expense reports",
            "com.example.expenses",
            false,
            vec![company],
        ),
        (
            Book,
            "Employee handbook",
            "Employee handbook 2026 (PDF)",
            false,
            vec![all],
        ),
        (
            Book,
            "Device care guide",
            "For company devices (PDF)",
            false,
            vec![company],
        ),
    ];
    let mut added = 0;
    for (item_type, name, detail, forbids_locate, labels) in samples {
        let draft = ItemDraft {
            item_type,
            name: name.to_owned(),
            detail: detail.to_owned(),
            forbids_locate,
            labels,
        };
        match save_item(db, origin, &Admin::command_line(), None, draft, now).await {
            Ok(_) => added += 1,
            Err(CatalogueError::NameTaken) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(added)
}

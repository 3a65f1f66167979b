//! What administrators set up about directories: the LDAP servers, the
//! roles their groups grant and the device limits of their groups. Every
//! change is audited in the same transaction.

use super::Admin;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder,
};
use serde_json::{Value, json};

use super::accounts;
use super::audit::{self, Event, RequestOrigin};
use super::directory::{BIND_PASSWORD, Directory};
use super::entities::{ldap_group_limit, ldap_group_role, ldap_server};
use crate::api::types::{
    GroupChoice, GroupChoices, GroupGrant, GroupLimit, LdapServerSummary, LdapServerView, TestStep,
};
use crate::domain::audit::Outcome;
use crate::domain::directory::{Group, ServerForm, ServerFormInput};
use crate::domain::role::RoleSet;
use crate::i18n::{Lang, en};

#[derive(Debug, thiserror::Error)]
pub enum DirectorySettingsError {
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error("No enabled administrator would be left: give someone the Administrator role first.")]
    LastAdministrator,
    #[error("Tick at least one role.")]
    NoRoles,
    #[error("the service password cannot be sealed: {0}")]
    Seal(#[from] super::secrets::SealError),
    #[error("database error: {0}")]
    Db(DbErr),
}

impl From<DbErr> for DirectorySettingsError {
    fn from(error: DbErr) -> Self {
        // Two administrators adding the same group at once: one wins.
        match error.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => DirectorySettingsError::Invalid(
                en("That group was just given a setting by someone else: reload and edit it.")
                    .to_owned(),
            ),
            _ => DirectorySettingsError::Db(error),
        }
    }
}

type Result<T> = std::result::Result<T, DirectorySettingsError>;

async fn record(
    db: &impl ConnectionTrait,
    origin: &RequestOrigin,
    actor: &Admin,
    action: &str,
    target: &str,
    details: Value,
    now: DateTime<Utc>,
) -> std::result::Result<(), DbErr> {
    audit::record(
        db,
        origin,
        now,
        Event {
            actor: Some(actor),
            action,
            target: Some(target),
            device_id: None,
            outcome: Outcome::Success,
            details,
        },
    )
    .await
}

fn form_of(model: &ldap_server::Model) -> ServerForm {
    ServerForm {
        name: model.name.clone(),
        enabled: model.enabled,
        url: model.url.clone(),
        starttls: model.starttls,
        ca_certificate: model.ca_certificate.clone(),
        bind_dn: model.bind_dn.clone(),
        user_base: model.user_base.clone(),
        user_filter: model.user_filter.clone(),
        login_attribute: model.login_attribute.clone(),
        name_attribute: model.name_attribute.clone(),
        email_attribute: model.email_attribute.clone(),
        mobile_attribute: model.mobile_attribute.clone(),
        group_base: model.group_base.clone(),
        membership: model.membership,
        timeout_seconds: u32::try_from(model.timeout_seconds).unwrap_or(5),
    }
}

/// What the audit log keeps of a server's settings (no password).
fn audited(form: &ServerForm) -> Value {
    let mut value = serde_json::to_value(form).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.remove("ca_certificate");
        map.insert(
            "has_ca_certificate".to_owned(),
            json!(!form.ca_certificate.is_empty()),
        );
    }
    value
}

pub async fn servers(db: &impl ConnectionTrait) -> Result<Vec<LdapServerSummary>> {
    let all = ldap_server::Entity::find()
        .order_by_asc(ldap_server::Column::Position)
        .order_by_asc(ldap_server::Column::Id)
        .all(db)
        .await?;
    Ok(all
        .into_iter()
        .map(|s| LdapServerSummary {
            id: s.id,
            membership: s.membership.label().to_owned(),
            name: s.name,
            url: s.url,
            enabled: s.enabled,
        })
        .collect())
}

pub async fn server(db: &impl ConnectionTrait, id: i32) -> Result<ldap_server::Model> {
    ldap_server::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DirectorySettingsError::NotFound)
}

/// A saved server as its page shows it, or a new server's form.
pub async fn view(db: &impl ConnectionTrait, id: Option<i32>) -> Result<LdapServerView> {
    let Some(id) = id else {
        return Ok(LdapServerView {
            id: None,
            form: ServerFormInput::new_server(),
            has_password: false,
            grants: Vec::new(),
        });
    };
    let model = server(db, id).await?;
    let grants = ldap_group_role::Entity::find()
        .filter(ldap_group_role::Column::ServerId.eq(id))
        .order_by_asc(ldap_group_role::Column::GroupName)
        .all(db)
        .await?;
    Ok(LdapServerView {
        id: Some(id),
        form: ServerFormInput::from_form(&form_of(&model)),
        has_password: !model.bind_password.is_empty(),
        grants: grants
            .into_iter()
            .map(|g| GroupGrant {
                id: g.id,
                roles: RoleSet::from_stored(&g.roles),
                group_dn: g.group_dn,
                group_name: g.group_name,
            })
            .collect(),
    })
}

/// Saves a server (a new one when `id` is `None`). An empty `password`
/// keeps the stored one. Returns the server's id.
#[allow(clippy::too_many_arguments)]
pub async fn save_server(
    db: &DatabaseConnection,
    directory: &Directory,
    origin: &RequestOrigin,
    actor: &Admin,
    id: Option<i32>,
    form: ServerForm,
    password: &str,
    now: DateTime<Utc>,
) -> Result<i32> {
    let sealed = match password {
        "" => None,
        password => Some(directory.sealer().seal(BIND_PASSWORD, password)?),
    };
    let (_turn, txn) = super::begin_write(db).await?;
    let saved = match id {
        Some(id) => Some(server(&txn, id).await?),
        None => None,
    };
    let (mut active, before) = match saved.clone() {
        Some(model) => {
            let before = audited(&form_of(&model));
            (ldap_server::ActiveModel::from(model), Some(before))
        }
        None => {
            let last = ldap_server::Entity::find()
                .order_by_desc(ldap_server::Column::Position)
                .one(&txn)
                .await?
                .map(|s| s.position)
                .unwrap_or(0);
            (
                ldap_server::ActiveModel {
                    position: Set(last + 1),
                    ..Default::default()
                },
                None,
            )
        }
    };
    let kept = saved.as_ref().filter(|model| {
        ServerFormInput::from_form(&form)
            .keeps_password(&ServerFormInput::from_form(&form_of(model)))
    });
    match (sealed, kept) {
        (Some(sealed), _) => active.bind_password = Set(sealed),
        // Written again from the row read in this transaction, so that a
        // concurrent save cannot pair it with another address.
        (None, Some(model)) => active.bind_password = Set(model.bind_password.clone()),
        // A stored password never follows the server to another address.
        (None, None) => {
            return Err(DirectorySettingsError::Invalid(
                en("Enter the password of the service account.").to_owned(),
            ));
        }
    }
    active.name = Set(form.name.clone());
    active.enabled = Set(form.enabled);
    active.url = Set(form.url.clone());
    active.starttls = Set(form.starttls);
    active.ca_certificate = Set(form.ca_certificate.clone());
    active.bind_dn = Set(form.bind_dn.clone());
    active.user_base = Set(form.user_base.clone());
    active.user_filter = Set(form.user_filter.clone());
    active.login_attribute = Set(form.login_attribute.clone());
    active.name_attribute = Set(form.name_attribute.clone());
    active.email_attribute = Set(form.email_attribute.clone());
    active.mobile_attribute = Set(form.mobile_attribute.clone());
    active.group_base = Set(form.group_base.clone());
    active.membership = Set(form.membership);
    active.timeout_seconds = Set(i32::try_from(form.timeout_seconds).unwrap_or(5));
    active.updated_at = Set(now);
    let model = match before {
        Some(_) => active.update(&txn).await?,
        None => active.insert(&txn).await?,
    };
    if saved.as_ref().is_some_and(|s| s.enabled != model.enabled) {
        // Its users' group roles come and go with it; while it is disabled
        // they cannot sign in, so their sessions end too.
        accounts::refresh_group_roles(&txn, model.id).await?;
        keep_an_administrator(&txn).await?;
        if !model.enabled {
            accounts::end_sessions_of_directory(&txn, model.id).await?;
        }
    }
    record(
        &txn,
        origin,
        actor,
        if before.is_some() {
            "ldap.update"
        } else {
            "ldap.create"
        },
        &model.name,
        json!({
            "before": before,
            "after": audited(&form),
            "password_changed": !password.is_empty(),
        }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(model.id)
}

/// Moves a server one place earlier (`earlier`) or later in the order in
/// which servers are asked.
pub async fn move_server(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: i32,
    earlier: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = super::begin_write(db).await?;
    let mut order = ldap_server::Entity::find()
        .order_by_asc(ldap_server::Column::Position)
        .order_by_asc(ldap_server::Column::Id)
        .all(&txn)
        .await?;
    let at = order
        .iter()
        .position(|s| s.id == id)
        .ok_or(DirectorySettingsError::NotFound)?;
    let other = match earlier {
        true => at.checked_sub(1),
        false => Some(at + 1).filter(|&n| n < order.len()),
    };
    let Some(other) = other else {
        return Ok(()); // first or last already
    };
    order.swap(at, other);
    // Positions are rewritten 1, 2, 3…: ties from older data disappear too.
    for (n, server) in order.iter().enumerate() {
        let position = i32::try_from(n + 1).unwrap_or(i32::MAX);
        if server.position != position {
            let mut active: ldap_server::ActiveModel = server.clone().into();
            active.position = Set(position);
            active.update(&txn).await?;
        }
    }
    record(
        &txn,
        origin,
        actor,
        "ldap.order",
        &order[other].name,
        json!({ "order": order.iter().map(|s| &s.name).collect::<Vec<_>>() }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Removes a server with its group grants and limits. Its users keep their
/// records and devices; another server that knows their name may take them
/// in at their next sign-in (without the roles given to the old record).
pub async fn delete_server(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: i32,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = super::begin_write(db).await?;
    let model = server(&txn, id).await?;
    let grants = ldap_group_role::Entity::delete_many()
        .filter(ldap_group_role::Column::ServerId.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    let limits = ldap_group_limit::Entity::delete_many()
        .filter(ldap_group_limit::Column::ServerId.eq(id))
        .exec(&txn)
        .await?
        .rows_affected;
    ldap_server::Entity::delete_by_id(id).exec(&txn).await?;
    accounts::refresh_group_roles(&txn, id).await?;
    keep_an_administrator(&txn).await?;
    record(
        &txn,
        origin,
        actor,
        "ldap.delete",
        &model.name,
        json!({ "url": model.url, "group_grants": grants, "group_limits": limits }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Refuses a change that would leave nobody an administrator (the
/// transaction is then not committed).
async fn keep_an_administrator(txn: &impl ConnectionTrait) -> Result<()> {
    if accounts::an_administrator_remains(txn).await? {
        Ok(())
    } else {
        Err(DirectorySettingsError::LastAdministrator)
    }
}

/// Runs the connection test on a saved server.
pub async fn test(
    db: &impl ConnectionTrait,
    directory: &Directory,
    id: i32,
    login: &str,
) -> Result<Vec<TestStep>> {
    let model = server(db, id).await?;
    Ok(directory.test(&model, login).await)
}

/// The groups of every enabled server, for the pickers; a server that
/// cannot be asked is named with the reason.
pub async fn group_choices(
    db: &impl ConnectionTrait,
    directory: &Directory,
    only: Option<i32>,
) -> Result<GroupChoices> {
    let mut out = GroupChoices::default();
    // One server's groups are offered even while it is disabled, so that
    // its grants can be set up before people use it.
    let servers = match only {
        Some(id) => vec![server(db, id).await?],
        None => super::directory::enabled_servers(db).await?,
    };
    for model in servers {
        match directory.list_groups(&model).await {
            Ok(groups) => out.choices.extend(groups.into_iter().map(|g| GroupChoice {
                value: format!("{}|{}", g.server_id, g.dn),
                label: if only.is_some() {
                    g.name
                } else {
                    format!("{}: {}", model.name, g.name)
                },
            })),
            Err(error) => out.unreadable.push(format!("{}: {error}", model.name)),
        }
    }
    Ok(out)
}

/// A picked group (`server id|dn`, as the pickers post it), on a server
/// that exists.
pub async fn picked_group(db: &impl ConnectionTrait, value: &str) -> Result<Group> {
    let invalid = || DirectorySettingsError::Invalid(en("Choose a group.").to_owned());
    let (server_id, dn) = value.split_once('|').ok_or_else(invalid)?;
    let server_id: i32 = server_id.parse().map_err(|_| invalid())?;
    if dn.trim().is_empty() {
        return Err(invalid());
    }
    server(db, server_id).await.map_err(|_| invalid())?;
    Ok(Group::new(server_id, dn))
}

/// Sets the roles a group grants (none removes the grant), then brings
/// the members' roles in line.
pub async fn save_grant(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    group: &Group,
    roles: RoleSet,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = super::begin_write(db).await?;
    let existing = ldap_group_role::Entity::find()
        .filter(ldap_group_role::Column::ServerId.eq(group.server_id))
        .filter(ldap_group_role::Column::GroupDn.eq(group.dn.clone()))
        .one(&txn)
        .await?;
    let before = existing
        .as_ref()
        .map(|g| g.roles.clone())
        .unwrap_or_default();
    match existing {
        Some(row) if roles.is_empty() => {
            ldap_group_role::Entity::delete_by_id(row.id)
                .exec(&txn)
                .await?;
        }
        Some(row) => {
            let mut active: ldap_group_role::ActiveModel = row.into();
            active.roles = Set(roles.to_stored());
            active.update(&txn).await?;
        }
        None if roles.is_empty() => return Err(DirectorySettingsError::NoRoles),
        None => {
            ldap_group_role::ActiveModel {
                server_id: Set(group.server_id),
                group_dn: Set(group.dn.clone()),
                group_name: Set(group.name.clone()),
                roles: Set(roles.to_stored()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
        }
    }
    accounts::refresh_group_roles(&txn, group.server_id).await?;
    keep_an_administrator(&txn).await?;
    record(
        &txn,
        origin,
        actor,
        "ldap.group_roles",
        &group.dn,
        json!({ "server_id": group.server_id, "before": before, "after": roles.to_stored() }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The group grant with `id`, as a group.
pub async fn grant_group(db: &impl ConnectionTrait, id: i32) -> Result<Group> {
    let row = ldap_group_role::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(DirectorySettingsError::NotFound)?;
    Ok(Group {
        server_id: row.server_id,
        dn: row.group_dn,
        name: row.group_name,
    })
}

pub async fn group_limits(db: &impl ConnectionTrait) -> Result<Vec<GroupLimit>> {
    let names: std::collections::HashMap<i32, String> = ldap_server::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    let rows = ldap_group_limit::Entity::find()
        .order_by_asc(ldap_group_limit::Column::GroupName)
        .order_by_asc(ldap_group_limit::Column::Id)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| GroupLimit {
            id: r.id,
            server_id: r.server_id,
            server_name: names.get(&r.server_id).cloned().unwrap_or_default(),
            group_dn: r.group_dn,
            group_name: r.group_name,
            limit: u32::try_from(r.device_limit).unwrap_or(1),
        })
        .collect())
}

/// Adds (`id` `None`) or changes a group's device limit. One limit per
/// group: adding a second for the same group is refused.
pub async fn save_group_limit(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: Option<i32>,
    group: &Group,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = super::begin_write(db).await?;
    let same_group = ldap_group_limit::Entity::find()
        .filter(ldap_group_limit::Column::ServerId.eq(group.server_id))
        .filter(ldap_group_limit::Column::GroupDn.eq(group.dn.clone()))
        .one(&txn)
        .await?;
    if same_group.as_ref().is_some_and(|row| Some(row.id) != id) {
        return Err(DirectorySettingsError::Invalid(Lang::En.trf(
            "{group} has a limit already: edit that one.",
            &[("group", &group.name)],
        )));
    }
    let (mut active, before) = match id {
        Some(id) => {
            let row = ldap_group_limit::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(DirectorySettingsError::NotFound)?;
            let before = json!({ "group": row.group_dn, "limit": row.device_limit });
            (ldap_group_limit::ActiveModel::from(row), Some(before))
        }
        None => (
            ldap_group_limit::ActiveModel {
                ..Default::default()
            },
            None,
        ),
    };
    active.server_id = Set(group.server_id);
    active.group_dn = Set(group.dn.clone());
    active.group_name = Set(group.name.clone());
    active.device_limit = Set(i32::try_from(limit).unwrap_or(1));
    match before {
        Some(_) => active.update(&txn).await?,
        None => active.insert(&txn).await?,
    };
    record(
        &txn,
        origin,
        actor,
        "ldap.group_limit",
        &group.dn,
        json!({ "server_id": group.server_id, "before": before, "limit": limit }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

pub async fn delete_group_limit(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: i32,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = super::begin_write(db).await?;
    let row = ldap_group_limit::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DirectorySettingsError::NotFound)?;
    ldap_group_limit::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    record(
        &txn,
        origin,
        actor,
        "ldap.group_limit",
        &row.group_dn,
        json!({ "server_id": row.server_id, "before": row.device_limit, "limit": null }),
        now,
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

//! User accounts: creating them, their roles, passwords and the disabled
//! flag. Every change is audited in the same transaction.

use super::Admin;
use crate::domain::ids::UserId;
use crate::domain::text::TextEnum;
use chrono::{DateTime, Utc};
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::{Expr, Func, LikeExpr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait,
    DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use super::audit::{self, Event, RequestOrigin};
use super::directory::DirectoryUser;
use super::entities::{
    device, ldap_group_role, ldap_server, password_link, registration, session, user,
};
use super::passwords::{self, PasswordError};
use crate::api::types::{UserPage, UserSummary};
use crate::domain::access;
use crate::domain::account::{PasswordChange, PasswordProblem};
use crate::domain::audit::Outcome;
use crate::domain::device::DeviceStatus;
use crate::domain::directory::Group;
use crate::domain::phone::PhoneNumber;
use crate::domain::role::{Role, RoleSet};
use crate::domain::username::Username;

/// `users.source` of people with a password in the portal.
pub const LOCAL: &str = "local";
/// `users.source` of people whose password a directory checks.
pub const DIRECTORY: &str = "ldap";

/// Everything a user may do: the roles an administrator gave them and
/// those their directory groups grant.
pub fn roles_of(model: &user::Model) -> RoleSet {
    roles_from(&model.roles, &model.group_roles)
}

/// A user's roles from their stored own and group roles.
pub fn roles_from(own: &str, granted: &str) -> RoleSet {
    let own = RoleSet::from_stored(own);
    let granted = RoleSet::from_stored(granted);
    RoleSet::new(own.iter().chain(granted.iter()))
}

/// The groups of a directory user as seen at their last sign-in.
pub fn stored_groups(model: &user::Model) -> Vec<Group> {
    match model.directory_server {
        Some(server) => model
            .directory_groups
            .lines()
            .filter(|dn| !dn.trim().is_empty())
            .map(|dn| Group::new(server, dn))
            .collect(),
        None => Vec::new(),
    }
}

/// The roles that grants on `server_id` give members of `groups`.
pub async fn granted_roles(
    db: &impl ConnectionTrait,
    server_id: i32,
    groups: &[Group],
) -> Result<RoleSet, DbErr> {
    if groups.is_empty() {
        return Ok(RoleSet::default());
    }
    // A disabled server's groups grant nothing.
    let enabled = ldap_server::Entity::find_by_id(server_id)
        .filter(ldap_server::Column::Enabled.eq(true))
        .one(db)
        .await?;
    if enabled.is_none() {
        return Ok(RoleSet::default());
    }
    let grants = ldap_group_role::Entity::find()
        .filter(ldap_group_role::Column::ServerId.eq(server_id))
        .filter(ldap_group_role::Column::GroupDn.is_in(groups.iter().map(|g| g.dn.clone())))
        .all(db)
        .await?;
    Ok(RoleSet::new(grants.iter().flat_map(|g| {
        RoleSet::from_stored(&g.roles).iter().collect::<Vec<_>>()
    })))
}

/// Brings the group roles of `server_id`'s users in line with the grants
/// (after an administrator changed them): their sessions see the change at
/// their next request.
pub async fn refresh_group_roles(db: &impl ConnectionTrait, server_id: i32) -> Result<(), DbErr> {
    let members = user::Entity::find()
        .filter(user::Column::DirectoryServer.eq(server_id))
        .all(db)
        .await?;
    for member in members {
        let roles = granted_roles(db, server_id, &stored_groups(&member))
            .await?
            .to_stored();
        if roles != member.group_roles {
            let mut active: user::ActiveModel = member.into();
            active.group_roles = Set(roles);
            active.update(db).await?;
        }
    }
    Ok(())
}

/// Ends the sessions of the users who sign in with directory `server_id`.
pub async fn end_sessions_of_directory(
    db: &impl ConnectionTrait,
    server_id: i32,
) -> Result<(), DbErr> {
    let members: Vec<UserId> = user::Entity::find()
        .filter(user::Column::DirectoryServer.eq(server_id))
        .all(db)
        .await?
        .iter()
        .map(|u| u.id)
        .collect();
    if !members.is_empty() {
        session::Entity::delete_many()
            .filter(session::Column::UserId.is_in(members))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Makes or refreshes the record of a directory user who just proved their
/// password: name, e-mail, mobile, groups and the roles those grant. `None`
/// when the directory's login name cannot be a portal user name, or a local
/// user has it.
pub async fn from_directory(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    entry: &DirectoryUser,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>, DbErr> {
    let Ok(username) = Username::parse(&entry.login) else {
        tracing::warn!(login = %entry.login, "a directory login name is not a valid portal user name");
        return Ok(None);
    };
    let groups: Vec<String> = entry.groups.iter().map(|g| g.dn.clone()).collect();
    let group_roles = granted_roles(db, entry.server_id, &entry.groups).await?;
    let phone = entry
        .mobile
        .as_deref()
        .and_then(|m| PhoneNumber::parse(m).ok())
        .map(|p| p.to_string());
    let (_turn, txn) = super::begin_write(db).await?;
    let mut existing = find(&txn, &username).await?;
    if existing.as_ref().is_some_and(|u| u.source == LOCAL) {
        return Ok(None);
    }
    // The same name in another directory is another person: the record
    // stays with its own directory while that is configured (enabled or
    // not). Once it is deleted, the old person's record is set aside with
    // what it holds, and the newcomer starts with a record of their own.
    let elsewhere = existing
        .as_ref()
        .and_then(|u| u.directory_server)
        .filter(|old| *old != entry.server_id);
    if let (Some(old), Some(record)) = (elsewhere, existing.as_ref()) {
        if ldap_server::Entity::find_by_id(old)
            .one(&txn)
            .await?
            .is_some()
        {
            tracing::warn!(%username, "a namesake in another directory was refused");
            let details = json!({ "reason": "namesake", "server": old, "from_server": entry.server_id, "dn": entry.dn });
            let refused = Event::about(
                None,
                "user.relink",
                &record.username,
                Outcome::Refused,
                details,
            );
            audit::record(&txn, origin, now, refused).await?;
            txn.commit().await?;
            return Ok(None);
        }
        set_aside(&txn, origin, record, entry.server_id, now).await?;
        existing = None;
    }
    let before = existing.as_ref().map(roles_of);
    let mut active = match existing {
        Some(model) => model.into(),
        None => user::ActiveModel {
            username: Set(username.to_string()),
            source: Set(DIRECTORY.to_owned()),
            disabled: Set(false),
            password_hash: Set(None),
            roles: Set(String::new()),
            created_at: Set(now),
            ..Default::default()
        },
    };
    active.display_name = Set(entry.display_name.clone());
    active.email = Set(entry.email.clone());
    active.phone = Set(phone);
    active.directory_server = Set(Some(entry.server_id));
    active.directory_dn = Set(Some(entry.dn.clone()));
    active.directory_groups = Set(groups.join("\n"));
    active.group_roles = Set(group_roles.to_stored());
    active.updated_at = Set(now);
    let model = match before {
        Some(_) => active.update(&txn).await?,
        None => active.insert(&txn).await?,
    };
    let after = roles_of(&model);
    let (action, details) = match &before {
        None => (
            "user.create",
            json!({ "source": DIRECTORY, "dn": entry.dn, "group_roles": group_roles.to_stored() }),
        ),
        Some(before) if *before != after => (
            "user.group_roles",
            json!({
                "added": after.minus(before).into_iter().map(Role::as_str).collect::<Vec<_>>(),
                "removed": before.minus(&after).into_iter().map(Role::as_str).collect::<Vec<_>>(),
            }),
        ),
        Some(_) => ("", json!({})),
    };
    if !action.is_empty() {
        let event = Event::about(None, action, &model.username, Outcome::Success, details);
        audit::record(&txn, origin, now, event).await?;
    }
    txn.commit().await?;
    Ok(Some(model))
}

/// Sets aside the record of a person whose directory was deleted, now that
/// a namesake from `to_server` signs in: renamed to `former-ID.NAME`,
/// local (no password, so nobody signs in as it and no directory claims
/// it) and disabled, with their devices, certificates and registrations,
/// which an administrator still sees; their sessions and unused
/// registrations end.
async fn set_aside(
    txn: &impl ConnectionTrait,
    origin: &RequestOrigin,
    record: &user::Model,
    to_server: i32,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let former: String = format!("former-{}.{}", record.id, record.username)
        .chars()
        .take(Username::MAX_LEN)
        .collect();
    let mut active: user::ActiveModel = record.clone().into();
    active.username = Set(former.clone());
    active.source = Set(LOCAL.to_owned());
    active.password_hash = Set(None);
    active.disabled = Set(true);
    active.directory_server = Set(None);
    active.group_roles = Set(String::new());
    active.updated_at = Set(now);
    active.update(txn).await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(record.id))
        .exec(txn)
        .await?;
    let theirs = Query::select()
        .column(device::Column::Id)
        .from(device::Entity)
        .and_where(device::Column::OwnerId.eq(record.id))
        .to_owned();
    registration::Entity::update_many()
        .col_expr(registration::Column::ExpiresAt, Expr::value(now))
        .filter(registration::Column::UsedAt.is_null())
        .filter(registration::Column::DeviceId.in_subquery(theirs))
        .exec(txn)
        .await?;
    let details = json!({
        "renamed": former,
        "from_server": record.directory_server,
        "to_server": to_server,
        "dn": record.directory_dn,
    });
    let event = Event::about(
        None,
        "user.set_aside",
        &record.username,
        Outcome::Success,
        details,
    );
    audit::record(txn, origin, now, event).await
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("A user named {0} already exists.")]
    Exists(String),
    #[error("There is no user named {0}.")]
    NotFound(String),
    #[error(
        "{0} is the last enabled administrator: give another user the Administrator role first."
    )]
    LastAdministrator(String),
    #[error(transparent)]
    Password(#[from] PasswordError),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// A new local account.
pub struct NewUser {
    pub username: Username,
    pub display_name: String,
    pub email: String,
    /// A mobile number, as `PhoneNumber` writes it.
    pub phone: Option<String>,
    pub roles: RoleSet,
}

pub async fn find(
    db: &impl ConnectionTrait,
    username: &Username,
) -> Result<Option<user::Model>, DbErr> {
    user::Entity::find()
        .filter(user::Column::Username.eq(username.as_str()))
        .one(db)
        .await
}

/// Users whose e-mail address is `email` (any case): none, one, or two
/// when several people have it.
pub async fn with_email(db: &impl ConnectionTrait, email: &str) -> Result<Vec<user::Model>, DbErr> {
    let email = email.trim().to_lowercase();
    if email.is_empty() {
        return Ok(Vec::new());
    }
    user::Entity::find()
        .filter(Expr::expr(Func::lower(Expr::col(user::Column::Email))).eq(email))
        .limit(2)
        .all(db)
        .await
}

async fn find_existing(
    db: &impl ConnectionTrait,
    username: &Username,
) -> Result<user::Model, AccountError> {
    find(db, username)
        .await?
        .ok_or_else(|| AccountError::NotFound(username.to_string()))
}

/// The user called `name` as typed in an address or a form; `None` when
/// nobody is (or the name cannot be one).
pub async fn find_named(
    db: &impl ConnectionTrait,
    name: &str,
) -> Result<Option<user::Model>, DbErr> {
    match Username::parse(name) {
        Ok(name) => find(db, &name).await,
        Err(_) => Ok(None),
    }
}

pub fn summary(model: &user::Model) -> UserSummary {
    UserSummary {
        username: model.username.clone(),
        display_name: model.display_name.clone(),
        email: model.email.clone(),
        phone: model.phone.clone(),
        source: model.source.clone(),
        disabled: model.disabled,
        roles: RoleSet::from_stored(&model.roles),
        group_roles: RoleSet::from_stored(&model.group_roles),
    }
}

/// Creates a local user with a password (hashed with argon2id), or with
/// none yet (they get a link to set one).
pub async fn create_local(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: Option<&str>,
    new: NewUser,
    password: Option<String>,
    now: DateTime<Utc>,
) -> Result<user::Model, AccountError> {
    let hash = match password {
        Some(password) => Some(passwords::hash(password).await?),
        None => None,
    };
    let (_turn, txn) = super::begin_write(db).await?;
    if find(&txn, &new.username).await?.is_some() {
        return Err(AccountError::Exists(new.username.to_string()));
    }
    let display_name = if new.display_name.trim().is_empty() {
        new.username.to_string()
    } else {
        new.display_name.trim().to_owned()
    };
    let model = user::ActiveModel {
        username: Set(new.username.to_string()),
        display_name: Set(display_name),
        email: Set(new.email.trim().to_owned()),
        phone: Set(new.phone),
        source: Set(LOCAL.to_owned()),
        disabled: Set(false),
        password_hash: Set(hash),
        roles: Set(new.roles.to_stored()),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor,
            action: "user.create",
            target: Some(&model.username),
            device_id: None,
            outcome: Outcome::Success,
            details: json!({ "roles": new.roles.to_stored(), "source": LOCAL }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// One page of users whose user name, display name or e-mail contains
/// `query` (any case), ordered by user name.
pub async fn list(
    db: &impl ConnectionTrait,
    query: &str,
    page: u64,
    per_page: u64,
) -> Result<UserPage, DbErr> {
    let mut select = user::Entity::find();
    let query = query.trim().to_lowercase();
    if !query.is_empty() {
        let pattern = format!(
            "%{}%",
            query
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let like = || LikeExpr::new(pattern.clone()).escape('\\');
        let lower = |column: user::Column| Expr::expr(Func::lower(Expr::col(column)));
        select = select.filter(
            Condition::any()
                .add(lower(user::Column::Username).like(like()))
                .add(lower(user::Column::DisplayName).like(like()))
                .add(lower(user::Column::Email).like(like())),
        );
    }
    let paginator = select
        .order_by_asc(user::Column::Username)
        .paginate(db, per_page);
    let total = paginator.num_items().await?;
    let page = page.clamp(1, super::audit::MAX_PAGE);
    let users = paginator.fetch_page(page - 1).await?;
    Ok(UserPage {
        users: users.iter().map(summary).collect(),
        total,
        page,
        per_page,
    })
}

/// The PostgreSQL advisory lock of the changes that could leave the portal
/// without an administrator (any number the portal uses for nothing else).
const ADMINISTRATORS_LOCK: i64 = 0x5350_0001;

/// Whether some user other than `except` can administer the portal: enabled,
/// with the roles it takes (their own or their directory groups'), and able
/// to sign in (local, or with an enabled directory).
///
/// Changes that ask this take turns until their transaction ends: on
/// PostgreSQL (read committed) two of them could otherwise each count the
/// other's administrator and, together, leave none. SQLite's writing
/// transactions take turns already.
async fn another_admin_exists(
    db: &impl ConnectionTrait,
    except: Option<UserId>,
) -> Result<bool, DbErr> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared(&format!(
            "SELECT pg_advisory_xact_lock({ADMINISTRATORS_LOCK})"
        ))
        .await?;
    }
    let admin = Role::Administrator.as_str();
    let mut candidates = user::Entity::find()
        .filter(user::Column::Disabled.eq(false))
        .filter(
            Condition::any()
                .add(user::Column::Roles.contains(admin))
                .add(user::Column::GroupRoles.contains(admin)),
        );
    if let Some(except) = except {
        candidates = candidates.filter(user::Column::Id.ne(except));
    }
    let enabled_servers: Vec<i32> = ldap_server::Entity::find()
        .filter(ldap_server::Column::Enabled.eq(true))
        .all(db)
        .await?
        .iter()
        .map(|s| s.id)
        .collect();
    Ok(candidates.all(db).await?.iter().any(|u| {
        let can_sign_in = u.source == LOCAL
            || u.directory_server
                .is_some_and(|s| enabled_servers.contains(&s));
        can_sign_in
            && access::check(
                access::Subject {
                    roles: &roles_of(u),
                    disabled: u.disabled,
                },
                access::Action::Administer,
            )
            .is_ok()
    }))
}

/// Whether any enabled user is still an administrator (checked before a
/// change to group grants is committed).
pub async fn an_administrator_remains(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    another_admin_exists(db, None).await
}

/// Replaces a user's roles. Refuses to take Administrator from the last
/// enabled administrator.
pub async fn set_roles(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    username: &Username,
    roles: RoleSet,
    now: DateTime<Utc>,
) -> Result<user::Model, AccountError> {
    let (_turn, txn) = super::begin_write(db).await?;
    let current = find_existing(&txn, username).await?;
    let before = RoleSet::from_stored(&current.roles);
    if before.contains(Role::Administrator)
        && !roles.contains(Role::Administrator)
        && !current.disabled
        && !another_admin_exists(&txn, Some(current.id)).await?
    {
        return Err(AccountError::LastAdministrator(username.to_string()));
    }
    let mut active: user::ActiveModel = current.into();
    active.roles = Set(roles.to_stored());
    active.updated_at = Set(now);
    let model = active.update(&txn).await?;
    let added: Vec<&str> = roles.minus(&before).into_iter().map(Role::as_str).collect();
    let removed: Vec<&str> = before.minus(&roles).into_iter().map(Role::as_str).collect();
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(actor),
            action: "user.roles",
            target: Some(username.as_str()),
            device_id: None,
            outcome: Outcome::Success,
            details: json!({ "added": added, "removed": removed, "roles": roles.to_stored() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Sets a new password and ends the user's sessions (but `keep`, the
/// one that made the change, if any).
pub async fn set_password(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: Option<&str>,
    username: &Username,
    (password, keep): (String, Option<&str>),
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let hash = passwords::hash(password).await?;
    let (_turn, txn) = super::begin_write(db).await?;
    let current = find_existing(&txn, username).await?;
    store_password(&txn, origin, actor, current, hash, keep, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Stores a password hash for `current` inside the caller's transaction
/// and ends their sessions but `keep`; links to set a password that were
/// still open stop working. Audited as done by `actor`.
pub async fn store_password(
    txn: &impl ConnectionTrait,
    origin: &RequestOrigin,
    actor: Option<&str>,
    current: user::Model,
    hash: String,
    keep: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (id, username) = (current.id, current.username.clone());
    let mut active: user::ActiveModel = current.into();
    active.password_hash = Set(Some(hash));
    active.updated_at = Set(now);
    active.update(txn).await?;
    session::Entity::delete_many()
        .filter(session::Column::UserId.eq(id))
        .filter(session::Column::IdHash.ne(keep.unwrap_or_default()))
        .exec(txn)
        .await?;
    password_link::Entity::delete_many()
        .filter(password_link::Column::UserId.eq(id))
        .exec(txn)
        .await?;
    let event = Event::about(
        actor,
        "user.password",
        &username,
        Outcome::Success,
        json!({}),
    );
    audit::record(txn, origin, now, event).await
}

/// Disables (and signs out) or re-enables a user; disabling may also
/// remove their devices from the portal. Refuses to disable the last
/// enabled administrator.
pub async fn set_disabled(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: Option<&str>,
    username: &Username,
    (disabled, remove_devices): (bool, bool),
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let (_turn, txn) = super::begin_write(db).await?;
    let current = find_existing(&txn, username).await?;
    let id = current.id;
    if disabled
        && roles_of(&current).contains(Role::Administrator)
        && !another_admin_exists(&txn, Some(id)).await?
    {
        return Err(AccountError::LastAdministrator(username.to_string()));
    }
    let mut active: user::ActiveModel = current.into();
    active.disabled = Set(disabled);
    active.updated_at = Set(now);
    active.update(&txn).await?;
    if disabled {
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
    }
    if disabled && remove_devices {
        let managed = device::Entity::find()
            .filter(device::Column::OwnerId.eq(id))
            .filter(device::Column::Status.is_in([DeviceStatus::Pending, DeviceStatus::Active]))
            .all(&txn)
            .await?;
        for model in &managed {
            // A Wipe or Retire on its way still reaches the device (which
            // its disabled owner's standing allows); it leaves then.
            if !super::devices::ending(&txn, model.id).await? {
                super::devices::remove_in(&txn, origin, actor, model, now).await?;
            }
        }
    }
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor,
            action: if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            target: Some(username.as_str()),
            device_id: None,
            outcome: Outcome::Success,
            details: json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Whether any user exists (the demo fills only an empty database).
pub async fn any_user(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(user::Entity::find().count(db).await? > 0)
}

/// Why a person's own password change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum OwnPasswordError {
    #[error("{}", .0.message())]
    Refused(PasswordProblem),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// A local user changes their own password: the current one is checked as
/// at sign-in (wrong ones count towards the lock), then every other
/// session of theirs ends.
pub async fn change_own_password(
    db: &DatabaseConnection,
    directory: &super::directory::Directory,
    origin: &RequestOrigin,
    user: &super::auth::CurrentUser,
    change: PasswordChange,
    now: DateTime<Utc>,
) -> Result<(), OwnPasswordError> {
    use super::auth::{SignInError, check_password};
    let record = user::Entity::find_by_id(user.id()).one(db).await?;
    if record.is_none_or(|r| r.source != LOCAL) {
        return Err(OwnPasswordError::Refused(PasswordProblem::Directory));
    }
    change.check().map_err(OwnPasswordError::Refused)?;
    let PasswordChange { current, new, .. } = change;
    let name = user.username().as_str();
    match check_password(db, directory, origin, name, current, "password change", now).await {
        Ok(_) => {}
        Err(SignInError::Locked { .. }) => {
            return Err(OwnPasswordError::Refused(PasswordProblem::Locked));
        }
        Err(SignInError::Db(error)) => return Err(error.into()),
        Err(_) => return Err(OwnPasswordError::Refused(PasswordProblem::WrongCurrent)),
    }
    let keep = Some(user.session_hash());
    set_password(db, origin, Some(name), user.username(), (new, keep), now).await?;
    Ok(())
}

/// Keeps the language a person last used the portal in, for their
/// e-mails and text messages.
pub async fn remember_language(
    db: &impl ConnectionTrait,
    user_id: UserId,
    lang: crate::i18n::Lang,
) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::Language, Expr::value(lang.as_str()))
        .filter(user::Column::Id.eq(user_id))
        .filter(
            Condition::any()
                .add(user::Column::Language.is_null())
                .add(user::Column::Language.ne(lang.as_str())),
        )
        .exec(db)
        .await?;
    Ok(())
}

/// The language to write to a person in.
pub fn language_of(user: &user::Model) -> crate::i18n::Lang {
    user.language.unwrap_or_default()
}

//! Registering devices: the registration itself (within the owner's device
//! limit, which concurrent requests cannot overrun), the enrollment link
//! and PIN, invitations, and the enrollment a device does with them.

use crate::domain::ids::{DeviceId, UserId};
use crate::domain::text::TextEnum;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter,
};
use serde_json::json;

use super::audit::{self, Event, RequestOrigin};
use super::auth::{self, CurrentUser, SignInError, Turns, hash_token};
use super::devices::ReportedFacts;
use super::directory::{Directory, DirectoryError};
use super::entities::{device, ldap_group_limit, registration, user};
use super::messages::{Messenger, Outgoing, Recipient};
use super::{PortalConfig, accounts, passwords};
use crate::api::types::{EnrollmentView, RegistrationOverview};
use crate::domain::audit::Outcome;
use crate::domain::device::{DeviceStatus, LockState, Ownership, Platform};
use crate::domain::directory::Group;
use crate::domain::registration::RegistrationSettings;
use crate::domain::registration::{
    DailyRegistrations, Delivery, DeviceLimit, PinAttempts, Presented, REMINDER_AFTER, Refusal,
    RegistrationForm, device_limit, reminder_due,
};
use crate::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    #[error(
        "You have reached your limit of {limit} devices. Retire a device you no longer use, or ask your administrator."
    )]
    LimitReached { limit: u32 },
    #[error(
        "You have registered {per_day} devices in the last 24 hours, the most allowed in a day. Try again later, or ask your IT helpdesk."
    )]
    TooMany { per_day: u32 },
    #[error("You have no e-mail address in the portal: choose another way to get the invitation.")]
    NoEmail,
    #[error("A text message needs a phone number.")]
    NoPhone,
    #[error("Not found.")]
    NotFound,
    #[error("This device has already enrolled or its registration has ended.")]
    NotPending,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<DbErr> for RegisterError {
    fn from(error: DbErr) -> Self {
        RegisterError::Internal(error.to_string())
    }
}

impl From<passwords::PasswordError> for RegisterError {
    fn from(error: passwords::PasswordError) -> Self {
        RegisterError::Internal(error.to_string())
    }
}

/// A registration's secrets, to show once.
#[derive(Clone, Debug)]
pub struct Issued {
    pub device_id: DeviceId,
    pub token: String,
    pub pin: Option<String>,
    pub expires_at: DateTime<Utc>,
}

/// The enrollment link for `token`.
pub fn enrollment_url(public_url: &str, token: &str) -> String {
    format!("{}/enroll/{token}", public_url.trim_end_matches('/'))
}

/// The QR code of `url` as an SVG document (without the XML prolog, to
/// sit inside a page); empty if the URL is too long for a QR code.
pub fn qr_svg(url: &str) -> String {
    use qrcode::{EcLevel, QrCode, render::svg};
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map(|code| {
            code.render::<svg::Color>()
                .min_dimensions(232, 232)
                .quiet_zone(true)
                .build()
        })
        .map(|svg| match svg.find("<svg") {
            Some(start) => svg[start..].to_owned(),
            None => svg,
        })
        .unwrap_or_default()
}

/// The device limit that applies to `account`: the global limit, or the
/// highest limit among their directory groups (read from the directory
/// now, or in the last minute; if it cannot be asked, the groups seen at
/// their last sign-in), as the precedence setting says.
pub async fn limit_for(
    db: &impl ConnectionTrait,
    directory: &Directory,
    settings: &RegistrationSettings,
    account: &user::Model,
) -> Result<DeviceLimit, DbErr> {
    let groups = match (account.directory_server, &account.directory_dn) {
        (Some(server), Some(dn)) if account.source == accounts::DIRECTORY => {
            match directory.groups_of(db, server, dn, &account.username).await {
                Ok(groups) => groups,
                Err(DirectoryError::Db(error)) => return Err(error),
                Err(error) => {
                    tracing::warn!(%error, user = %account.username, "using the groups seen at sign-in for the device limit");
                    accounts::stored_groups(account)
                }
            }
        }
        _ => Vec::new(),
    };
    let limits = group_limits(db, &groups).await?;
    Ok(device_limit(
        settings.device_limit,
        &limits,
        settings.group_limits_first,
    ))
}

/// The limits set for any of `groups`.
async fn group_limits(db: &impl ConnectionTrait, groups: &[Group]) -> Result<Vec<u32>, DbErr> {
    let Some(server) = groups.first().map(|g| g.server_id) else {
        return Ok(Vec::new());
    };
    let rows = ldap_group_limit::Entity::find()
        .filter(ldap_group_limit::Column::ServerId.eq(server))
        .filter(ldap_group_limit::Column::GroupDn.is_in(groups.iter().map(|g| g.dn.clone())))
        .all(db)
        .await?;
    Ok(rows
        .iter()
        .filter_map(|r| u32::try_from(r.device_limit).ok())
        .collect())
}

/// The owner's devices that count against the limit: Pending and Active.
async fn counted(db: &impl ConnectionTrait, owner: UserId) -> Result<u64, DbErr> {
    device::Entity::find()
        .filter(device::Column::OwnerId.eq(owner))
        .filter(device::Column::Status.is_in([DeviceStatus::Pending, DeviceStatus::Active]))
        .count(db)
        .await
}

/// The devices `owner` registered in the last day, whatever became of them.
async fn registered_today(
    db: &impl ConnectionTrait,
    owner: UserId,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    device::Entity::find()
        .filter(device::Column::OwnerId.eq(owner))
        .filter(device::Column::RegisteredAt.gt(now - DailyRegistrations::WINDOW))
        .count(db)
        .await
}

pub async fn overview(
    db: &DatabaseConnection,
    portal: &PortalConfig,
    user: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<RegistrationOverview, DbErr> {
    expire_overdue(db, Some(user.id()), now).await?;
    let settings = portal.caches.settings().registration.clone();
    let account = user::Entity::find_by_id(user.id()).one(db).await?;
    let limit = match &account {
        Some(account) => limit_for(db, &portal.directory, &settings, account).await?,
        None => settings.device_limit,
    };
    let counted = counted(db, user.id()).await?;
    let messenger = &portal.messenger;
    Ok(RegistrationOverview {
        mode: settings.mode,
        limit: limit.get(),
        counted,
        slots_left: limit.slots_left(counted),
        mail_enabled: messenger.mail_enabled(),
        sms_enabled: messenger.sms_enabled(),
        email: account
            .as_ref()
            .map(|a| a.email.clone())
            .unwrap_or_default(),
        phone: account.and_then(|a| a.phone),
        validity_hours: settings.pin_validity.hours(),
        per_day: settings.per_day.get(),
        registered_today: registered_today(db, user.id(), now).await?,
        sms_countries: settings.sms_countries,
    })
}

/// A fresh link token and (when the mode has one) PIN, with their hashes.
async fn secrets(
    settings: &RegistrationSettings,
) -> Result<(String, Option<(String, String)>), RegisterError> {
    let token = passwords::random_token();
    let pin = if settings.mode.uses_pin() {
        Some(passwords::new_pin(settings.pin_length).await?)
    } else {
        None
    };
    Ok((token, pin))
}

/// Registers a Pending, company-owned device for `user` and sends the
/// invitations asked for. The owner's row is locked first, so that
/// registrations for one person take turns: counting and inserting cannot
/// be raced past the limit, on PostgreSQL or SQLite.
#[allow(clippy::too_many_arguments)]
pub async fn register(
    db: &DatabaseConnection,
    portal: &PortalConfig,
    origin: &RequestOrigin,
    user: &CurrentUser,
    request: RegistrationForm,
    now: DateTime<Utc>,
) -> Result<Issued, RegisterError> {
    // One person's registrations take turns in this process, holding no
    // database connection while they wait; the row lock below makes the
    // limit hold across processes too.
    let _turn = auth::turn(Turns::Registration, user.username().as_str())
        .lock()
        .await;
    let account = user::Entity::find_by_id(user.id())
        .one(db)
        .await?
        .ok_or(RegisterError::NotFound)?;
    if request.invitation.email() && account.email.trim().is_empty() {
        return Err(RegisterError::NoEmail);
    }
    if request.invitation.sms() && request.phone.is_none() {
        return Err(RegisterError::NoPhone);
    }
    let settings = portal.caches.settings().registration.clone();
    // A first look without the lock: at a limit, refuse before the
    // costly hashing.
    expire_overdue(db, Some(user.id()), now).await?;
    // Asked once, before the owner's row is locked: no directory round
    // trip while holding it.
    let limit = limit_for(db, &portal.directory, &settings, &account).await?;
    let seen = counted(db, user.id()).await?;
    if !limit.allows_another(seen) {
        return at_limit(
            db,
            origin,
            user,
            AtLimit::Devices {
                limit,
                counted: seen,
            },
            now,
        )
        .await;
    }
    if !settings
        .per_day
        .allows_another(registered_today(db, user.id(), now).await?)
    {
        return at_limit(db, origin, user, AtLimit::Today(settings.per_day), now).await;
    }
    // Hashing takes a while: done before the owner's row is locked.
    let (token, pin) = secrets(&settings).await?;
    let expires_at = settings.pin_validity.expires_at(now);

    // The final word, with the owner's row locked.
    let (_turn, txn) = super::begin_write(db).await?;
    lock_owner(&txn, user.id()).await?;
    expire_overdue(&txn, Some(user.id()), now).await?;
    let counted = counted(&txn, user.id()).await?;
    if !limit.allows_another(counted) {
        let refused = at_limit(&txn, origin, user, AtLimit::Devices { limit, counted }, now).await;
        txn.commit().await?;
        return refused;
    }
    if !settings
        .per_day
        .allows_another(registered_today(&txn, user.id(), now).await?)
    {
        let refused = at_limit(&txn, origin, user, AtLimit::Today(settings.per_day), now).await;
        txn.commit().await?;
        return refused;
    }
    let (messenger, public_url) = (&portal.messenger, portal.public_url.as_str());
    let actor = Some(user.username().as_str());
    let email = request
        .invitation
        .email()
        .then(|| Recipient::Email(account.email.clone()));
    let sms = request
        .phone
        .as_ref()
        .filter(|_| request.invitation.sms())
        .map(|p| Recipient::Sms(p.as_str().to_owned()));
    let status_of = |r: &Option<Recipient>| {
        r.as_ref()
            .map(|r| messenger.initial_status(r).as_str().to_owned())
            .unwrap_or_default()
    };
    let created = device::ActiveModel {
        owner_id: Set(user.id()),
        display_name: Set(format!("New {} device", request.platform.label())),
        platform: Set(request.platform),
        manufacturer: Set(String::new()),
        model: Set(String::new()),
        os_version: Set(String::new()),
        serial: Set(String::new()),
        imei: Set(String::new()),
        phone: Set(request
            .phone
            .as_ref()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_default()),
        carrier: Set(String::new()),
        ownership: Set(Ownership::CompanyOwned),
        status: Set(DeviceStatus::Pending),
        registered_at: Set(now),
        enrolled_at: Set(None),
        last_checkin_at: Set(None),
        lock_state: Set(LockState::Unlocked),
        latitude: Set(None),
        longitude: Set(None),
        accuracy_m: Set(None),
        located_at: Set(None),
        credential_hash: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    registration::ActiveModel {
        device_id: Set(created.id),
        token_hash: Set(hash_token(&token)),
        pin_hash: Set(pin.as_ref().map(|(_, hash)| hash.clone())),
        mode: Set(settings.mode),
        expires_at: Set(expires_at),
        pin_failed: Set(0),
        pin_locked_until: Set(None),
        invitation: Set(request.invitation),
        email_delivery: Set(status_of(&email)),
        sms_delivery: Set(status_of(&sms)),
        used_at: Set(None),
        reminded_at: Set(None),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor,
            action: "device.register",
            target: Some(&created.display_name),
            device_id: Some(created.id),
            outcome: Outcome::Success,
            details: json!({
                "platform": request.platform.as_str(),
                "mode": settings.mode.as_str(),
                "invitation": request.invitation.as_str(),
                "expires_at": expires_at.to_rfc3339(),
            }),
        },
    )
    .await?;
    let issued = Issued {
        device_id: created.id,
        token,
        pin: pin.map(|(pin, _)| pin),
        expires_at,
    };
    for to in [email, sms].into_iter().flatten() {
        let kind = match to {
            Recipient::Email(_) => "invitation.email",
            Recipient::Sms(_) => "invitation.sms",
        };
        let message = invitation(
            messenger,
            public_url,
            &account,
            &issued,
            request.platform,
            to,
            kind,
        );
        messenger.queue(&txn, message, now).await?;
    }
    txn.commit().await?;
    Ok(issued)
}

/// Why a registration is refused before anything is made.
enum AtLimit {
    Devices { limit: DeviceLimit, counted: u64 },
    Today(DailyRegistrations),
}

/// Audits a registration refused at a limit; gives the error.
async fn at_limit(
    db: &impl ConnectionTrait,
    origin: &RequestOrigin,
    user: &CurrentUser,
    reached: AtLimit,
    now: DateTime<Utc>,
) -> Result<Issued, RegisterError> {
    let (details, error) = match reached {
        AtLimit::Devices { limit, counted } => {
            let limit = limit.get().unwrap_or_default();
            (
                json!({ "reason": "device limit", "limit": limit, "counted": counted }),
                RegisterError::LimitReached { limit },
            )
        }
        AtLimit::Today(per_day) => (
            json!({ "reason": "daily limit", "per_day": per_day.get() }),
            RegisterError::TooMany {
                per_day: per_day.get(),
            },
        ),
    };
    audit::record(
        db,
        origin,
        now,
        Event {
            actor: Some(user.username().as_str()),
            action: "device.register",
            target: None,
            device_id: None,
            outcome: Outcome::Refused,
            details,
        },
    )
    .await?;
    Err(error)
}

/// Locks the owner's row until the transaction ends (a no-op write: a row
/// lock on PostgreSQL, the database's write lock on SQLite).
pub(crate) async fn lock_owner(txn: &impl ConnectionTrait, owner: UserId) -> Result<(), DbErr> {
    user::Entity::update_many()
        .col_expr(user::Column::Id, Expr::col(user::Column::Id))
        .filter(user::Column::Id.eq(owner))
        .exec(txn)
        .await?;
    Ok(())
}

fn invitation(
    messenger: &Messenger,
    public_url: &str,
    account: &user::Model,
    issued: &Issued,
    platform: Platform,
    to: Recipient,
    kind: &'static str,
) -> Outgoing {
    let lang = accounts::language_of(account);
    let url = enrollment_url(public_url, &issued.token);
    let expires = lang.date_time(issued.expires_at);
    let support = match messenger.support_contact() {
        "" => String::new(),
        contact => lang.trf("Questions? Contact {contact}.", &[("contact", &contact)]),
    };
    // The PIN never travels with the link: whoever reads one message (or
    // intercepts it) cannot enroll a device with it alone. It was shown
    // once in the portal, where a new one can be had.
    let pin_line = if issued.pin.is_some() {
        lang.tr(
            "Enter the registration PIN the portal showed you when you registered the device (the device's page in the portal gives a new one if you no longer have it).",
        )
    } else {
        ""
    };
    let platform = platform.label();
    let registered = |platform: &str| {
        lang.trf(
            "your {platform} device has been registered. To enroll it, open this link on the device:",
            &[("platform", &platform)],
        )
    };
    let text = match to {
        Recipient::Sms(_) => format!(
            "{} {pin_line}",
            lang.trf(
                "Enroll your {platform} device: {url} (valid until {expires}).",
                &[
                    ("platform", &platform),
                    ("url", &url),
                    ("expires", &expires)
                ],
            )
        ),
        Recipient::Email(_) => format!(
            "{}\n\n{}\n\n{url}\n\n{pin_line}\n{}\n\n{support}\n",
            hello(lang, &account.display_name),
            registered(platform),
            lang.trf(
                "The link can be used once, until {expires}.",
                &[("expires", &expires)]
            ),
        ),
    };
    let html = format!(
        "<p>{}</p><p>{}</p><p><a href=\"{url}\">{url}</a></p><p>{}</p><p>{}</p><p>{}</p>",
        escape_html(&hello(lang, &account.display_name)),
        escape_html(&registered(platform)),
        escape_html(pin_line),
        escape_html(&lang.trf(
            "It can be used once, until {expires}.",
            &[("expires", &expires)]
        )),
        escape_html(&support),
        url = escape_html(&url),
    );
    Outgoing {
        to,
        subject: lang.tr("Enroll your device").to_owned(),
        text,
        html,
        audit_action: kind,
        actor: account.username.clone(),
        device_id: Some(issued.device_id),
        tracks_registration: Some((issued.device_id, hash_token(&issued.token))),
    }
}

/// The greeting of an e-mail to `name`.
pub(crate) fn hello(lang: Lang, name: &str) -> String {
    lang.trf("Hello {name},", &[("name", &name)])
}

/// A translated sentence for an HTML e-mail: escaped, with `markup` (HTML
/// already) in the places (`{a}`) the translation left open.
pub(crate) fn with_markup(text: &str, markup: &[(&str, &str)]) -> String {
    let mut html = escape_html(text);
    for (name, value) in markup {
        html = html.replace(&format!("{{{name}}}"), value);
    }
    html
}

pub(crate) fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Issues a new link and PIN for the user's Pending device; the old ones
/// stop working at once.
pub async fn reissue(
    db: &DatabaseConnection,
    settings: &RegistrationSettings,
    origin: &RequestOrigin,
    user: &CurrentUser,
    device_id: DeviceId,
    now: DateTime<Utc>,
) -> Result<Issued, RegisterError> {
    let model = device::Entity::find_by_id(device_id)
        .filter(device::Column::OwnerId.eq(user.id()))
        .one(db)
        .await?
        .ok_or(RegisterError::NotFound)?;
    let (token, pin) = secrets(settings).await?;
    let expires_at = settings.pin_validity.expires_at(now);
    let (_turn, txn) = super::begin_write(db).await?;
    let changed = registration::Entity::update_many()
        .col_expr(
            registration::Column::TokenHash,
            Expr::value(hash_token(&token)),
        )
        .col_expr(
            registration::Column::PinHash,
            Expr::value(pin.as_ref().map(|(_, hash)| hash.clone())),
        )
        .col_expr(
            registration::Column::Mode,
            Expr::value(settings.mode.as_str()),
        )
        .col_expr(registration::Column::ExpiresAt, Expr::value(expires_at))
        .col_expr(registration::Column::PinFailed, Expr::value(0))
        // The invitations carried the old link: nothing to report for the new one.
        .col_expr(registration::Column::EmailDelivery, Expr::value(""))
        .col_expr(registration::Column::SmsDelivery, Expr::value(""))
        .col_expr(
            registration::Column::PinLockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(registration::Column::DeviceId.eq(device_id))
        .filter(registration::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    let pending = device::Entity::find_by_id(device_id)
        .filter(device::Column::Status.eq(DeviceStatus::Pending))
        .one(&txn)
        .await?
        .is_some();
    if changed.rows_affected != 1 || !pending {
        return Err(RegisterError::NotPending);
    }
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(user.username().as_str()),
            action: "device.registration.reissue",
            target: Some(&model.display_name),
            device_id: Some(device_id),
            outcome: Outcome::Success,
            details: json!({ "pin": pin.is_some(), "expires_at": expires_at.to_rfc3339() }),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(Issued {
        device_id,
        token,
        pin: pin.map(|(pin, _)| pin),
        expires_at,
    })
}

/// Withdraws the registration of the user's Pending device (registered by
/// mistake, or never to be enrolled): it becomes Retired and frees its slot.
pub async fn cancel(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    user: &CurrentUser,
    device_id: DeviceId,
    now: DateTime<Utc>,
) -> Result<(), RegisterError> {
    let model = device::Entity::find_by_id(device_id)
        .filter(device::Column::OwnerId.eq(user.id()))
        .one(db)
        .await?
        .ok_or(RegisterError::NotFound)?;
    let (_turn, txn) = super::begin_write(db).await?;
    let changed = device::Entity::update_many()
        .col_expr(device::Column::Status, Expr::value(DeviceStatus::Retired))
        .filter(device::Column::Id.eq(device_id))
        .filter(device::Column::Status.eq(DeviceStatus::Pending))
        .exec(&txn)
        .await?;
    if changed.rows_affected != 1 {
        return Err(RegisterError::NotPending);
    }
    registration::Entity::update_many()
        .col_expr(
            registration::Column::PinHash,
            Expr::value(Option::<String>::None),
        )
        .filter(registration::Column::DeviceId.eq(device_id))
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(user.username().as_str()),
            action: "device.registration.cancel",
            target: Some(&model.display_name),
            device_id: Some(device_id),
            outcome: Outcome::Success,
            details: json!({}),
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The enrollment page of the user's device (without the secrets).
pub async fn view(
    db: &DatabaseConnection,
    user: &CurrentUser,
    device_id: DeviceId,
    now: DateTime<Utc>,
) -> Result<Option<EnrollmentView>, DbErr> {
    expire_overdue(db, Some(user.id()), now).await?;
    let Some(model) = device::Entity::find_by_id(device_id)
        .filter(device::Column::OwnerId.eq(user.id()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let Some(row) = registration::Entity::find_by_id(device_id).one(db).await? else {
        return Ok(None);
    };
    Ok(Some(EnrollmentView {
        device_id,
        display_name: model.display_name,
        platform: model.platform,
        status: model.status,
        mode: row.mode,
        expires_at: row.expires_at,
        email_delivery: Delivery::parse(&row.email_delivery),
        sms_delivery: Delivery::parse(&row.sms_delivery),
        revealed: None,
    }))
}

/// Pending registrations past their expiry become Expired and free their
/// slot (for one owner, or everyone). Gives how many.
pub async fn expire_overdue(
    db: &impl ConnectionTrait,
    owner: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let overdue_ids = Query::select()
        .column(registration::Column::DeviceId)
        .from(registration::Entity)
        .and_where(registration::Column::ExpiresAt.lte(now))
        .and_where(registration::Column::UsedAt.is_null())
        .to_owned();
    let mut overdue = device::Entity::find()
        .filter(device::Column::Status.eq(DeviceStatus::Pending))
        .filter(device::Column::Id.in_subquery(overdue_ids));
    if let Some(owner) = owner {
        overdue = overdue.filter(device::Column::OwnerId.eq(owner));
    }
    let overdue = overdue.all(db).await?;
    let mut expired = 0;
    for model in overdue {
        let changed = device::Entity::update_many()
            .col_expr(device::Column::Status, Expr::value(DeviceStatus::Expired))
            .filter(device::Column::Id.eq(model.id))
            .filter(device::Column::Status.eq(DeviceStatus::Pending))
            .exec(db)
            .await?;
        if changed.rows_affected != 1 {
            continue;
        }
        registration::Entity::update_many()
            .col_expr(
                registration::Column::PinHash,
                Expr::value(Option::<String>::None),
            )
            .filter(registration::Column::DeviceId.eq(model.id))
            .exec(db)
            .await?;
        audit::record(
            db,
            &RequestOrigin {
                client_addr: "server".to_owned(),
                user_agent: "registration expiry".to_owned(),
            },
            now,
            Event {
                actor: None,
                action: "device.registration.expire",
                target: Some(&model.display_name),
                device_id: Some(model.id),
                outcome: Outcome::Failure,
                details: json!({ "registered_at": model.registered_at.to_rfc3339() }),
            },
        )
        .await?;
        expired += 1;
    }
    Ok(expired)
}

/// Reminds owners of Pending devices registered `REMINDER_AFTER` ago that
/// have not enrolled (once each, by e-mail). Gives how many.
pub async fn send_reminders(
    db: &DatabaseConnection,
    messenger: &Messenger,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let waiting = Query::select()
        .column(registration::Column::DeviceId)
        .from(registration::Entity)
        .and_where(registration::Column::UsedAt.is_null())
        .and_where(registration::Column::RemindedAt.is_null())
        .and_where(registration::Column::ExpiresAt.gt(now))
        .to_owned();
    let candidates = device::Entity::find()
        .filter(device::Column::Status.eq(DeviceStatus::Pending))
        .filter(device::Column::RegisteredAt.lte(now - REMINDER_AFTER))
        .filter(device::Column::Id.in_subquery(waiting))
        .all(db)
        .await?;
    let mut reminded = 0;
    for model in candidates {
        let Some(row) = registration::Entity::find_by_id(model.id).one(db).await? else {
            continue;
        };
        if !reminder_due(
            model.registered_at,
            row.expires_at,
            row.reminded_at.is_some(),
            now,
        ) {
            continue;
        }
        let Some(owner) = user::Entity::find_by_id(model.owner_id).one(db).await? else {
            continue;
        };
        if owner.email.trim().is_empty() {
            continue;
        }
        // Once, even with several servers doing this at the same time; the
        // reminder is queued with the mark that it was sent.
        let (_turn, txn) = super::begin_write(db).await?;
        let claimed = registration::Entity::update_many()
            .col_expr(registration::Column::RemindedAt, Expr::value(now))
            .filter(registration::Column::DeviceId.eq(model.id))
            .filter(registration::Column::RemindedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected != 1 {
            continue;
        }
        let message = reminder(public_url, &owner, &model, row.expires_at);
        messenger.queue(&txn, message, now).await?;
        txn.commit().await?;
        reminded += 1;
    }
    Ok(reminded)
}

fn reminder(
    public_url: &str,
    owner: &user::Model,
    model: &device::Model,
    expires_at: DateTime<Utc>,
) -> Outgoing {
    let lang = accounts::language_of(owner);
    let link = format!(
        "{}/devices/{}/enroll",
        public_url.trim_end_matches('/'),
        model.id
    );
    let expires = lang.date_time(expires_at);
    let waiting = lang.trf(
        "\"{device}\" is registered but has not been enrolled yet. Its registration can be used until {expires}.",
        &[("device", &model.display_name), ("expires", &expires)],
    );
    let text = format!(
        "{waiting}\n\n{}\n",
        lang.trf(
            "To enroll it, or to get a new PIN if you no longer have it, open {link}.",
            &[("link", &link)]
        )
    );
    let html = format!(
        "<p>{}</p><p><a href=\"{link}\">{}</a>.</p>",
        escape_html(&waiting),
        escape_html(lang.tr("Enroll it, or get a new PIN")),
        link = escape_html(&link),
    );
    notice(
        owner,
        model,
        lang.tr("Your device is waiting to be enrolled"),
        "notice.reminder",
        &text,
        &html,
    )
}

/// An e-mail to a device's owner about it: a greeting, then `text` (or
/// `html`, which must be escaped already), in the owner's language.
fn notice(
    owner: &user::Model,
    model: &device::Model,
    subject: &str,
    audit_action: &'static str,
    text: &str,
    html: &str,
) -> Outgoing {
    let hello = hello(accounts::language_of(owner), &owner.display_name);
    Outgoing {
        to: Recipient::Email(owner.email.clone()),
        subject: subject.to_owned(),
        text: format!("{hello}\n\n{text}"),
        html: format!("<p>{}</p>{html}", escape_html(&hello)),
        audit_action,
        actor: owner.username.clone(),
        device_id: Some(model.id),
        tracks_registration: None,
    }
}

// ---- enrollment, through the device API --------------------------------

/// What a device presents to enroll.
#[derive(Clone, Debug, Default)]
pub struct EnrollRequest {
    pub token: String,
    pub pin: Option<String>,
    pub password: Option<String>,
    pub facts: ReportedFacts,
}

#[derive(Debug, thiserror::Error)]
pub enum EnrollError {
    #[error("{0}")]
    Refused(Refusal),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// Enrolls the device of a Pending registration: checks the link, PIN and
/// password as the mode requires, then makes the device Active with a new
/// API credential (returned once) and tells the owner by e-mail.
pub async fn enroll(
    db: &DatabaseConnection,
    portal: &PortalConfig,
    origin: &RequestOrigin,
    request: EnrollRequest,
    now: DateTime<Utc>,
) -> Result<(DeviceId, String), EnrollError> {
    let refused = |refusal| Err(EnrollError::Refused(refusal));
    let token_hash = hash_token(&request.token);
    let Some(row) = registration::Entity::find()
        .filter(registration::Column::TokenHash.eq(token_hash.clone()))
        .one(db)
        .await?
    else {
        return refused(Refusal::Unknown);
    };
    let Some(model) = device::Entity::find_by_id(row.device_id).one(db).await? else {
        return refused(Refusal::Unknown);
    };
    let Some(owner) = user::Entity::find_by_id(model.owner_id).one(db).await? else {
        return refused(Refusal::Unknown);
    };
    let audit_refusal = |refusal: Refusal| {
        let (model, owner) = (&model, &owner);
        async move {
            audit::record(
                db,
                origin,
                now,
                Event {
                    actor: Some(&owner.username),
                    action: "device.enroll",
                    target: Some(&model.display_name),
                    device_id: Some(model.id),
                    outcome: Outcome::Refused,
                    details: json!({ "reason": refusal.code() }),
                },
            )
            .await
        }
    };
    let status = model.status;
    let verdict = if row.used_at.is_some() || status == DeviceStatus::Active {
        Err(Refusal::AlreadyUsed)
    } else if status != DeviceStatus::Pending || row.expires_at <= now {
        Err(Refusal::Expired)
    } else if owner.disabled {
        Err(Refusal::OwnerDisabled)
    } else {
        Ok(())
    };
    if let Err(refusal) = verdict {
        audit_refusal(refusal).await?;
        return refused(refusal);
    }
    // What was asked for when the link was issued.
    let mode = row.mode;
    let pin = match request.pin.filter(|p| !p.is_empty()) {
        None => Presented::Absent,
        Some(pin) => {
            if !claim_pin_check(db, row.device_id, now).await? {
                audit_refusal(Refusal::PinLocked).await?;
                return refused(Refusal::PinLocked);
            }
            let ok = match row.pin_hash.clone() {
                Some(hash) => passwords::verify(pin, Some(hash)).await,
                None => false,
            };
            if ok {
                Presented::Correct
            } else {
                after_wrong_pin(db, row.device_id, now).await?;
                Presented::Wrong
            }
        }
    };
    let password = match request.password.filter(|p| !p.is_empty()) {
        None => Presented::Absent,
        // The sign-in lockout applies: enrollment is no way around it.
        Some(password) => {
            let checked = auth::check_password(
                db,
                &portal.directory,
                origin,
                &owner.username,
                password,
                "enrollment",
                now,
            )
            .await;
            match checked {
                Ok(_) => Presented::Correct,
                Err(SignInError::Locked { .. }) => {
                    audit_refusal(Refusal::PasswordLocked).await?;
                    return refused(Refusal::PasswordLocked);
                }
                Err(SignInError::DirectoryUnavailable) => {
                    audit_refusal(Refusal::DirectoryUnavailable).await?;
                    return refused(Refusal::DirectoryUnavailable);
                }
                Err(SignInError::Db(error)) => return Err(error.into()),
                Err(_) => Presented::Wrong,
            }
        }
    };
    if let Err(refusal) = mode.judge(pin, password) {
        audit_refusal(refusal).await?;
        return refused(refusal);
    }

    let credential = passwords::random_token();
    let (_turn, txn) = super::begin_write(db).await?;
    // Single use, and only with the link as it is now: not one replaced by
    // a reset meanwhile, not once expired.
    let used = registration::Entity::update_many()
        .col_expr(registration::Column::UsedAt, Expr::value(now))
        .col_expr(
            registration::Column::PinHash,
            Expr::value(Option::<String>::None),
        )
        .filter(registration::Column::DeviceId.eq(row.device_id))
        .filter(registration::Column::TokenHash.eq(token_hash))
        .filter(registration::Column::UsedAt.is_null())
        .filter(registration::Column::ExpiresAt.gt(now))
        .exec(&txn)
        .await?;
    let facts = request.facts;
    let mut activate = device::Entity::update_many()
        .col_expr(device::Column::Status, Expr::value(DeviceStatus::Active))
        .col_expr(device::Column::EnrolledAt, Expr::value(now))
        .col_expr(device::Column::LastCheckinAt, Expr::value(now))
        .col_expr(
            device::Column::CredentialHash,
            Expr::value(hash_token(&credential)),
        );
    for (value, column) in [
        (facts.manufacturer, device::Column::Manufacturer),
        (facts.model, device::Column::Model),
        (facts.os_version, device::Column::OsVersion),
        (facts.serial, device::Column::Serial),
        (facts.imei, device::Column::Imei),
        (facts.phone, device::Column::Phone),
        (facts.carrier, device::Column::Carrier),
    ] {
        if let Some(value) = value {
            activate = activate.col_expr(column, Expr::value(value));
        }
    }
    let activated = activate
        .filter(device::Column::Id.eq(model.id))
        .filter(device::Column::Status.eq(DeviceStatus::Pending))
        .exec(&txn)
        .await?;
    if used.rows_affected != 1 || activated.rows_affected != 1 {
        drop(txn);
        audit_refusal(Refusal::AlreadyUsed).await?;
        return refused(Refusal::AlreadyUsed);
    }
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(&owner.username),
            action: "device.enroll",
            target: Some(&model.display_name),
            device_id: Some(model.id),
            outcome: Outcome::Success,
            details: json!({
                "platform": model.platform.as_str(),
                "with_pin": pin == Presented::Correct,
                "with_password": password == Presented::Correct,
            }),
        },
    )
    .await?;
    if !owner.email.trim().is_empty() {
        let notice = enrolled_notice(&portal.public_url, &owner, &model, now);
        portal.messenger.queue(&txn, notice, now).await?;
    }
    txn.commit().await?;
    Ok((model.id, credential))
}

async fn pin_attempts(
    db: &DatabaseConnection,
    device_id: DeviceId,
) -> Result<Option<(i32, PinAttempts)>, DbErr> {
    Ok(registration::Entity::find_by_id(device_id)
        .one(db)
        .await?
        .map(|row| {
            (
                row.pin_failed,
                PinAttempts {
                    failed: u32::try_from(row.pin_failed).unwrap_or(u32::MAX),
                    locked_until: row.pin_locked_until,
                },
            )
        }))
}

/// Writes `next` over the attempts last read as `read_failed`; `false` if
/// another request changed them meanwhile.
async fn store_pin_attempts(
    db: &DatabaseConnection,
    device_id: DeviceId,
    read_failed: i32,
    next: PinAttempts,
) -> Result<bool, DbErr> {
    let changed = registration::Entity::update_many()
        .col_expr(
            registration::Column::PinFailed,
            Expr::value(i32::try_from(next.failed).unwrap_or(i32::MAX)),
        )
        .col_expr(
            registration::Column::PinLockedUntil,
            Expr::value(next.locked_until),
        )
        .filter(registration::Column::DeviceId.eq(device_id))
        .filter(registration::Column::PinFailed.eq(read_failed))
        .exec(db)
        .await?;
    Ok(changed.rows_affected == 1)
}

/// Counts one PIN check before it is made (compare-and-set), so that
/// guesses sent in parallel get no more checks than the limit. `false`:
/// PIN entry is locked (or too contended to count, which is treated alike).
async fn claim_pin_check(
    db: &DatabaseConnection,
    device_id: DeviceId,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    for _ in 0..8 {
        let Some((read, attempts)) = pin_attempts(db, device_id).await? else {
            return Ok(false);
        };
        if !attempts.may_try(now) {
            if !attempts.locked(now) {
                // A round used up without a verdict: lock it now.
                store_pin_attempts(db, device_id, read, attempts.after_wrong(now)).await?;
            }
            return Ok(false);
        }
        if store_pin_attempts(db, device_id, read, attempts.claim()).await? {
            return Ok(true);
        }
    }
    Ok(false)
}

/// After a wrong PIN: the round's last attempt locks PIN entry.
async fn after_wrong_pin(
    db: &DatabaseConnection,
    device_id: DeviceId,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    for _ in 0..8 {
        let Some((read, attempts)) = pin_attempts(db, device_id).await? else {
            return Ok(());
        };
        let next = attempts.after_wrong(now);
        if next == attempts || store_pin_attempts(db, device_id, read, next).await? {
            return Ok(());
        }
    }
    Ok(())
}

fn enrolled_notice(
    public_url: &str,
    owner: &user::Model,
    model: &device::Model,
    now: DateTime<Utc>,
) -> Outgoing {
    let lang = accounts::language_of(owner);
    let when = lang.date_time(now);
    let link = format!("{}/devices/{}", public_url.trim_end_matches('/'), model.id);
    let platform = model.platform.label();
    let enrolled = lang.trf(
        "a {platform} device (\"{device}\") was enrolled in your name on {when}.",
        &[
            ("platform", &platform),
            ("device", &model.display_name),
            ("when", &when),
        ],
    );
    let text = format!(
        "{enrolled}\n\n{}\n",
        lang.trf(
            "If this was not you, open {link} and retire the device, then tell your IT department.",
            &[("link", &link)]
        )
    );
    let anchor = format!("<a href=\"{}\">", escape_html(&link));
    let html = format!(
        "<p>{}</p><p>{}</p>",
        escape_html(&enrolled),
        with_markup(
            lang.tr("If this was not you, {a}retire the device{/a} and tell your IT department."),
            &[("a", anchor.as_str()), ("/a", "</a>"),],
        ),
    );
    notice(
        owner,
        model,
        lang.tr("A device was enrolled in your name"),
        "notice.enrolled",
        &text,
        &html,
    )
}

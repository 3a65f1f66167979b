//! Administrator settings, stored as key → value text. Each setting has a
//! typed getter (with its default); every change is audited.

use super::Admin;
use crate::domain::text::TextEnum;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    sea_query::OnConflict,
};
use serde_json::{Value, json};

use super::audit::{self, Event, RequestOrigin};
use super::cache::{self, Kind};
use super::entities::setting;
use crate::domain::audit::AuditRetention;
use crate::domain::audit::Outcome;
use crate::domain::certificate_sign_in::{CertificateMapping, SignInMethods};
use crate::domain::device::ActionHold;
use crate::domain::registration::RegistrationSettings;
use crate::domain::registration::{
    DailyRegistrations, DeviceLimit, PinLength, PinValidity, RegistrationMode, SmsCountries,
};
use crate::domain::signin::IdleTimeout;
use crate::domain::signin::PortalSettings;

const IDLE_TIMEOUT: &str = "session.idle_timeout_minutes";
const AUDIT_RETENTION: &str = "audit.retention_days";
const REGISTRATION: &str = "registration";
const FORBID_EMPLOYEE_WIPE: &str = "devices.forbid_wipe_employee_owned";
const SIGN_IN: &str = "sign_in";
const ACTION_HOLD: &str = "devices.hold_minutes";

async fn get_raw(db: &impl ConnectionTrait, key: &str) -> Result<Option<String>, DbErr> {
    Ok(setting::Entity::find_by_id(key.to_owned())
        .one(db)
        .await?
        .map(|s| s.value))
}

/// Every setting of the portal, as one value: what each instance keeps in
/// memory (`cache`), read again when a change bumps its version.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    pub idle_timeout: IdleTimeout,
    pub audit_retention: AuditRetention,
    pub registration: RegistrationSettings,
    pub sign_in: SignInMethods,
    pub certificate_mapping: CertificateMapping,
}

/// Reads every setting at once.
pub async fn load(db: &impl ConnectionTrait) -> Result<Settings, DbErr> {
    let rows = setting::Entity::find().all(db).await?;
    let get = |key: &str| rows.iter().find(|r| r.key == key).map(|r| r.value.as_str());
    let (sign_in, certificate_mapping) = parse_sign_in(get(SIGN_IN));
    Ok(Settings {
        idle_timeout: parse_idle_timeout(get(IDLE_TIMEOUT)),
        audit_retention: parse_audit_retention(get(AUDIT_RETENTION)),
        registration: parse_registration(get(REGISTRATION)),
        sign_in,
        certificate_mapping,
    })
}

fn parse_idle_timeout(stored: Option<&str>) -> IdleTimeout {
    stored
        .and_then(|v| v.parse::<u32>().ok())
        .and_then(|m| IdleTimeout::from_minutes(m).ok())
        .unwrap_or_default()
}

fn parse_audit_retention(stored: Option<&str>) -> AuditRetention {
    stored
        .and_then(|v| v.parse::<u32>().ok())
        .and_then(AuditRetention::from_days)
        .unwrap_or_default()
}

pub async fn audit_retention(db: &impl ConnectionTrait) -> Result<AuditRetention, DbErr> {
    Ok(parse_audit_retention(
        get_raw(db, AUDIT_RETENTION).await?.as_deref(),
    ))
}

pub async fn idle_timeout(db: &impl ConnectionTrait) -> Result<IdleTimeout, DbErr> {
    Ok(parse_idle_timeout(
        get_raw(db, IDLE_TIMEOUT).await?.as_deref(),
    ))
}

pub async fn all(db: &impl ConnectionTrait) -> Result<PortalSettings, DbErr> {
    Ok(PortalSettings {
        idle_timeout_minutes: idle_timeout(db).await?.minutes(),
        audit_retention_days: audit_retention(db).await?.days(),
        action_hold_minutes: action_hold(db).await?.minutes(),
    })
}

/// How long Wipe and Retire wait before their device may receive them.
/// Read when one is asked for (not cached: it is read that seldom).
pub async fn action_hold(db: &impl ConnectionTrait) -> Result<ActionHold, DbErr> {
    Ok(get_raw(db, ACTION_HOLD)
        .await?
        .and_then(|v| v.parse::<u32>().ok())
        .and_then(ActionHold::from_minutes)
        .unwrap_or_default())
}

pub async fn set_action_hold(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    value: ActionHold,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let before = action_hold(db).await?.minutes();
    let after = value.minutes();
    put(
        db,
        origin,
        actor,
        ACTION_HOLD,
        after.to_string(),
        json!(before),
        json!(after),
        now,
    )
    .await
}

fn parse_registration(stored: Option<&str>) -> RegistrationSettings {
    let stored: Value = stored
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default();
    let number = |key: &str| stored.get(key).and_then(Value::as_u64);
    RegistrationSettings {
        mode: stored
            .get("mode")
            .and_then(Value::as_str)
            .and_then(RegistrationMode::parse)
            .unwrap_or_default(),
        pin_length: number("pin_length")
            .and_then(|n| u8::try_from(n).ok())
            .and_then(|n| PinLength::new(n).ok())
            .unwrap_or_default(),
        pin_validity: number("pin_validity_hours")
            .and_then(|n| PinValidity::parse(&n.to_string()).ok())
            .unwrap_or_default(),
        device_limit: number("device_limit")
            .and_then(|n| DeviceLimit::parse(&n.to_string()).ok())
            .unwrap_or_default(),
        group_limits_first: stored
            .get("group_limits_first")
            .and_then(Value::as_bool)
            .unwrap_or(RegistrationSettings::default().group_limits_first),
        per_day: number("per_day")
            .and_then(|n| u32::try_from(n).ok())
            .and_then(|n| DailyRegistrations::new(n).ok())
            .unwrap_or_default(),
        sms_countries: stored
            .get("sms_countries")
            .and_then(Value::as_str)
            .and_then(|codes| SmsCountries::parse(codes).ok())
            .unwrap_or_default(),
    }
}

/// The registration settings (stored as one JSON value; defaults where absent).
pub async fn registration(db: &impl ConnectionTrait) -> Result<RegistrationSettings, DbErr> {
    Ok(parse_registration(
        get_raw(db, REGISTRATION).await?.as_deref(),
    ))
}

fn registration_json(settings: &RegistrationSettings) -> Value {
    json!({
        "mode": settings.mode.as_str(),
        "pin_length": settings.pin_length.digits(),
        "pin_validity_hours": settings.pin_validity.hours(),
        "device_limit": settings.device_limit.get(),
        "group_limits_first": settings.group_limits_first,
        "per_day": settings.per_day.get(),
        "sms_countries": settings.sms_countries.to_string(),
    })
}

pub async fn set_idle_timeout(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    value: IdleTimeout,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let before = idle_timeout(db).await?.minutes();
    let after = value.minutes();
    put(
        db,
        origin,
        actor,
        IDLE_TIMEOUT,
        after.to_string(),
        json!(before),
        json!(after),
        now,
    )
    .await
}

pub async fn set_audit_retention(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    value: AuditRetention,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let before = audit_retention(db).await?.days();
    let after = value.days();
    put(
        db,
        origin,
        actor,
        AUDIT_RETENTION,
        after.to_string(),
        json!(before),
        json!(after),
        now,
    )
    .await
}

pub async fn set_registration(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    value: RegistrationSettings,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let before = registration_json(&registration(db).await?);
    let after = registration_json(&value);
    put(
        db,
        origin,
        actor,
        REGISTRATION,
        after.to_string(),
        before,
        after,
        now,
    )
    .await
}

/// Whether Wipe is withheld from employee-owned devices (off by default):
/// a device policy, kept with the catalogue.
pub async fn forbid_employee_wipe(db: &impl ConnectionTrait) -> Result<bool, DbErr> {
    Ok(get_raw(db, FORBID_EMPLOYEE_WIPE).await?.as_deref() == Some("true"))
}

pub async fn set_forbid_employee_wipe(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    value: bool,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let before = forbid_employee_wipe(db).await?;
    put(
        db,
        origin,
        actor,
        FORBID_EMPLOYEE_WIPE,
        value.to_string(),
        json!(before),
        json!(value),
        now,
    )
    .await
}

fn parse_sign_in(stored: Option<&str>) -> (SignInMethods, CertificateMapping) {
    let stored: Value = stored
        .and_then(|v| serde_json::from_str(v).ok())
        .unwrap_or_default();
    let text = |key: &str| stored.get(key).and_then(Value::as_str).unwrap_or_default();
    (
        SignInMethods::parse(text("methods")).unwrap_or_default(),
        CertificateMapping::parse(text("mapping")).unwrap_or_default(),
    )
}

/// How people may sign in, and how a certificate names its user
/// (password only, by UPN, by default).
pub async fn sign_in(
    db: &impl ConnectionTrait,
) -> Result<(SignInMethods, CertificateMapping), DbErr> {
    Ok(parse_sign_in(get_raw(db, SIGN_IN).await?.as_deref()))
}

pub async fn set_sign_in(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    methods: SignInMethods,
    mapping: CertificateMapping,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let as_json = |(methods, mapping): (SignInMethods, CertificateMapping)| json!({ "methods": methods.as_str(), "mapping": mapping.as_str() });
    let before = as_json(sign_in(db).await?);
    let after = as_json((methods, mapping));
    put(
        db,
        origin,
        actor,
        SIGN_IN,
        after.to_string(),
        before,
        after,
        now,
    )
    .await
}

/// Stores one setting and audits the change, in one transaction.
#[allow(clippy::too_many_arguments)]
async fn put(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    key: &str,
    stored: String,
    before: Value,
    after: Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let (_turn, txn) = super::begin_write(db).await?;
    setting::Entity::insert(setting::ActiveModel {
        key: Set(key.to_owned()),
        value: Set(stored),
        updated_at: Set(now),
        updated_by: Set(Some(actor.name().to_owned())),
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
    // What each instance keeps of it is read again.
    let kind = if key == FORBID_EMPLOYEE_WIPE {
        Kind::Catalogue
    } else {
        Kind::Settings
    };
    cache::bump(&txn, kind).await?;
    audit::record(
        &txn,
        origin,
        now,
        Event {
            actor: Some(actor),
            action: "setting.change",
            target: Some(key),
            device_id: None,
            outcome: Outcome::Success,
            details: json!({ "before": before, "after": after }),
        },
    )
    .await?;
    txn.commit().await
}

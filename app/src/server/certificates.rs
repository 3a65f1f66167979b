//! User-provided certificates: the settings administrators offer, uploads
//! (checked, keys sealed), picking one of several keys, replacing and
//! deleting, what devices receive at check-in, and the expiry warning.
//! Every change is audited in the same transaction.

use super::Admin;
use crate::domain::ids::UserId;
use crate::domain::text::TextEnum;
use crate::i18n::en;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::audit::{self, Event, RequestOrigin};
use super::cache::{self, Kind};
use super::catalogue::{self, labels_json};
use super::certificate_files::{self, Candidate};
use super::entities::{certificate_setting, device, pending_certificate, user, user_certificate};
use super::messages::{Messenger, Outgoing, Recipient};
use super::secrets::{SealError, Sealer};
use crate::api::certificates::{
    CertificateRow, CertificateSettingSummary, CertificateSettingView, KeyChoice, MyCertificates,
    PendingChoice, SettingChoice,
};
use crate::domain::audit::Outcome;
use crate::domain::catalogue::ItemId;
use crate::domain::certificates::{
    EXPIRY_WARNING_DAYS, Expiry, PENDING_SECONDS, Purpose, Setting, SettingInput, UploadProblem,
    file_refusal, upload_refusal,
};

const KEY_PURPOSE: &str = "certificate-key";
const PENDING_PURPOSE: &str = "pending-certificate";

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    /// Deleting a setting in use needs a confirmation.
    #[error(
        "{certificates} certificate(s) of {people} person/people use this setting: confirm that they are deleted with it."
    )]
    InUse { certificates: u64, people: u64 },
    #[error("{0}")]
    Upload(UploadProblem),
    #[error("a key cannot be sealed or opened: {0}")]
    Seal(#[from] SealError),
    #[error("database error: {0}")]
    Db(DbErr),
}

impl From<DbErr> for CertificateError {
    fn from(error: DbErr) -> Self {
        match error.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => CertificateError::Invalid(
                en("Another setting already has this name: choose a different one.").to_owned(),
            ),
            _ => CertificateError::Db(error),
        }
    }
}

impl From<UploadProblem> for CertificateError {
    fn from(problem: UploadProblem) -> Self {
        CertificateError::Upload(problem)
    }
}

type Result<T> = std::result::Result<T, CertificateError>;

fn at(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
}

/// An audit event about a setting or a person's certificate.
fn event<'a>(
    actor: &'a str,
    action: &'a str,
    target: &'a str,
    outcome: Outcome,
    details: Value,
) -> Event<'a> {
    Event::about(Some(actor), action, target, outcome, details)
}

fn setting_of(model: &certificate_setting::Model) -> Setting {
    Setting {
        name: model.name.clone(),
        purpose: model.purpose,
        key_required: model.key_required,
        password_required: model.password_required,
        mobile_upload: model.mobile_upload,
        labels: serde_json::from_str(&model.labels).unwrap_or_default(),
    }
}

fn setting_json(setting: &Setting) -> Value {
    json!({
        "name": setting.name,
        "purpose": setting.purpose.as_str(),
        "key_required": setting.key_required,
        "password_required": setting.password_required,
        "mobile_upload": setting.mobile_upload,
        "labels": setting.labels,
    })
}

// ---- Settings (administrators) ----

/// How many certificates, and of how many people, use a setting.
async fn usage(db: &impl ConnectionTrait, setting_id: i32) -> Result<(u64, u64)> {
    let rows = user_certificate::Entity::find()
        .filter(user_certificate::Column::SettingId.eq(setting_id))
        .all(db)
        .await?;
    let mut people: Vec<UserId> = rows.iter().map(|r| r.user_id).collect();
    people.sort_unstable();
    people.dedup();
    Ok((rows.len() as u64, people.len() as u64))
}

pub async fn settings(db: &DatabaseConnection) -> Result<Vec<CertificateSettingSummary>> {
    let models = certificate_setting::Entity::find()
        .order_by_asc(certificate_setting::Column::Name)
        .all(db)
        .await?;
    let mut out = Vec::new();
    for model in models {
        let (certificates, people) = usage(db, model.id).await?;
        let setting = setting_of(&model);
        out.push(CertificateSettingSummary {
            id: model.id,
            name: setting.name,
            purpose: setting.purpose,
            key_required: setting.key_required,
            password_required: setting.password_required,
            mobile_upload: setting.mobile_upload,
            certificates,
            people,
        });
    }
    Ok(out)
}

/// A saved setting, or the form of a new one.
pub async fn setting_view(
    db: &DatabaseConnection,
    id: Option<i32>,
) -> Result<CertificateSettingView> {
    let Some(id) = id else {
        return Ok(CertificateSettingView {
            id: None,
            input: SettingInput::new_setting(),
            labels: catalogue::load(db).await?.labels,
            certificates: 0,
            people: 0,
        });
    };
    let model = certificate_setting::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or(CertificateError::NotFound)?;
    let (certificates, people) = usage(db, id).await?;
    let labels = setting_of(&model)
        .labels
        .iter()
        .map(|l| l.as_string())
        .collect();
    Ok(CertificateSettingView {
        id: Some(id),
        labels: catalogue::load(db).await?.labels,
        input: SettingInput {
            name: model.name,
            purpose: model.purpose.as_str().to_owned(),
            key_required: model.key_required,
            password_required: model.password_required,
            mobile_upload: model.mobile_upload,
            labels,
        },
        certificates,
        people,
    })
}

pub async fn save_setting(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: Option<i32>,
    mut setting: Setting,
    now: DateTime<Utc>,
) -> Result<i32> {
    let (_turn, txn) = super::begin_write(db).await?;
    setting.labels = catalogue::known_labels(&txn, setting.labels).await?;
    let (saved, before) = match id {
        Some(id) => {
            let model = certificate_setting::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(CertificateError::NotFound)?;
            let before = setting_json(&setting_of(&model));
            let mut row: certificate_setting::ActiveModel = model.into();
            row.name = Set(setting.name.clone());
            row.purpose = Set(setting.purpose);
            row.key_required = Set(setting.key_required);
            row.password_required = Set(setting.password_required);
            row.mobile_upload = Set(setting.mobile_upload);
            row.labels = Set(labels_json(&setting.labels));
            row.updated_at = Set(now);
            (row.update(&txn).await?.id, Some(before))
        }
        None => {
            let row = certificate_setting::ActiveModel {
                name: Set(setting.name.clone()),
                purpose: Set(setting.purpose),
                key_required: Set(setting.key_required),
                password_required: Set(setting.password_required),
                mobile_upload: Set(setting.mobile_upload),
                labels: Set(labels_json(&setting.labels)),
                updated_at: Set(now),
                ..Default::default()
            };
            (row.insert(&txn).await?.id, None)
        }
    };
    let action = if before.is_some() {
        "certificate_setting.update"
    } else {
        "certificate_setting.create"
    };
    audit::record(
        &txn,
        origin,
        now,
        event(
            actor,
            action,
            &setting.name,
            Outcome::Success,
            json!({ "before": before, "after": setting_json(&setting) }),
        ),
    )
    .await?;
    cache::bump(&txn, Kind::Catalogue).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Deletes a setting; one in use only with `with_certificates`, and then
/// the certificates uploaded for it go too.
pub async fn delete_setting(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    actor: &Admin,
    id: i32,
    with_certificates: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = super::begin_write(db).await?;
    let model = certificate_setting::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(CertificateError::NotFound)?;
    let (certificates, people) = usage(&txn, id).await?;
    if certificates > 0 && !with_certificates {
        return Err(CertificateError::InUse {
            certificates,
            people,
        });
    }
    user_certificate::Entity::delete_many()
        .filter(user_certificate::Column::SettingId.eq(id))
        .exec(&txn)
        .await?;
    pending_certificate::Entity::delete_many()
        .filter(pending_certificate::Column::SettingId.eq(id))
        .exec(&txn)
        .await?;
    certificate_setting::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    audit::record(
        &txn,
        origin,
        now,
        event(
            actor,
            "certificate_setting.delete",
            &model.name,
            Outcome::Success,
            json!({
                "before": setting_json(&setting_of(&model)),
                "certificates_deleted": certificates,
                "people": people,
            }),
        ),
    )
    .await?;
    cache::bump(&txn, Kind::Catalogue).await?;
    txn.commit().await?;
    Ok(())
}

// ---- A person's certificates ----

fn row_of(model: &user_certificate::Model, setting: &str, now: DateTime<Utc>) -> CertificateRow {
    CertificateRow {
        id: model.id,
        setting_id: model.setting_id,
        setting: setting.to_owned(),
        retired: model.retired,
        subject: model.subject.clone(),
        issuer: model.issuer.clone(),
        serial: model.serial.clone(),
        not_before: model.not_before,
        not_after: model.not_after,
        key_type: model.key_type.clone(),
        key_usage: model.key_usage.clone(),
        alias: model.alias.clone(),
        fingerprint: model.fingerprint.clone(),
        uploaded_at: model.uploaded_at,
        has_key: model.private_key.is_some(),
        chain: model.chain.matches("-----BEGIN").count(),
        expiry: Expiry::at(
            model.not_before.timestamp(),
            model.not_after.timestamp(),
            now.timestamp(),
        ),
    }
}

/// What the My certificates page shows `user_id`; `pending` is an upload
/// of theirs waiting for a key to be picked.
pub async fn mine(
    db: &DatabaseConnection,
    sealer: &Sealer,
    user_id: UserId,
    pending: Option<i32>,
    mobile: bool,
    now: DateTime<Utc>,
) -> Result<MyCertificates> {
    let settings = certificate_setting::Entity::find()
        .order_by_asc(certificate_setting::Column::Name)
        .all(db)
        .await?;
    let rows = user_certificate::Entity::find()
        .filter(user_certificate::Column::UserId.eq(user_id))
        .order_by_asc(user_certificate::Column::Retired)
        .order_by_desc(user_certificate::Column::UploadedAt)
        .all(db)
        .await?;
    let name_of = |id: i32| {
        settings
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let certificates = rows
        .iter()
        .map(|r| row_of(r, &name_of(r.setting_id), now))
        .collect();
    let choices = settings
        .iter()
        .map(|s| SettingChoice {
            id: s.id,
            name: s.name.clone(),
            purpose: s.purpose,
            key_required: s.key_required,
            password_required: s.password_required,
            mobile_upload: s.mobile_upload,
            current: rows
                .iter()
                .find(|r| r.setting_id == s.id && !r.retired)
                .map(|r| r.id),
        })
        .collect();
    let pending = match pending {
        Some(id) => match load_pending(db, sealer, user_id, id, now).await {
            Ok((model, candidates)) => Some(PendingChoice {
                id: model.id,
                setting: name_of(model.setting_id),
                keys: candidates
                    .iter()
                    .enumerate()
                    .map(|(index, c)| KeyChoice {
                        index,
                        alias: c.alias.clone(),
                        subject: c.certificate.subject.clone(),
                        key_type: c.certificate.key_type.clone(),
                        not_after: at(c.certificate.not_after),
                        fingerprint: c.certificate.fingerprint.clone(),
                    })
                    .collect(),
            }),
            Err(CertificateError::Upload(_)) => None,
            Err(other) => return Err(other),
        },
        None => None,
    };
    Ok(MyCertificates {
        settings: choices,
        certificates,
        mobile,
        pending,
    })
}

/// What became of an upload.
#[derive(Debug, PartialEq, Eq)]
pub enum Uploaded {
    /// Saved; the warning is for a certificate not valid yet.
    Saved {
        id: i32,
        replaced: bool,
        warning: Option<&'static str>,
    },
    /// The file holds several keys: the owner picks one.
    Choose { pending: i32 },
}

/// What the uploader sent.
pub struct Upload {
    pub setting_id: Option<i32>,
    /// The file's bytes; `None` when no file was chosen.
    pub file: Option<Vec<u8>>,
    pub password: String,
    pub mobile: bool,
}

/// Reads, checks and saves an upload by `user_id` (`username`).
pub async fn upload(
    db: &DatabaseConnection,
    sealer: &Sealer,
    origin: &RequestOrigin,
    (user_id, username): (UserId, &str),
    upload: Upload,
    now: DateTime<Utc>,
) -> Result<Uploaded> {
    let outcome = try_upload(db, sealer, origin, (user_id, username), upload, now).await;
    if let Err(CertificateError::Upload(problem)) = &outcome {
        let audited = audit::record(
            db,
            origin,
            now,
            event(
                username,
                "certificate.upload",
                username,
                Outcome::Refused,
                json!({ "problem": problem.code() }),
            ),
        )
        .await;
        if let Err(error) = audited {
            tracing::warn!(%error, "cannot audit a refused upload");
        }
    }
    outcome
}

/// Uploads read one at a time.
static READING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Reads a file with its password (given back) off the async workers, one
/// file at a time (a core stays free for everything else); a parser failure
/// of any kind is a damaged file. The turn is held by the reading itself: a
/// request that goes away does not let the next file start while this one
/// is still being read.
async fn read_in_turn(
    data: Vec<u8>,
    password: String,
) -> Result<(certificate_files::Read, String)> {
    let turn = READING
        .acquire()
        .await
        .map_err(|_| CertificateError::Upload(UploadProblem::Corrupt))?;
    let read = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        std::panic::catch_unwind(|| certificate_files::read(&data, &password))
            .map(|result| (result, password))
    })
    .await;
    match read {
        Ok(Ok((result, password))) => Ok((result?, password)),
        _ => Err(UploadProblem::Corrupt.into()),
    }
}

async fn try_upload(
    db: &DatabaseConnection,
    sealer: &Sealer,
    origin: &RequestOrigin,
    (user_id, username): (UserId, &str),
    upload: Upload,
    now: DateTime<Utc>,
) -> Result<Uploaded> {
    let setting = match upload.setting_id {
        Some(id) => certificate_setting::Entity::find_by_id(id).one(db).await?,
        None => None,
    };
    let Some(setting) = setting else {
        return Err(UploadProblem::NoSetting.into());
    };
    if let Some(problem) = upload_refusal(setting.mobile_upload, upload.mobile) {
        return Err(problem.into());
    }
    let Some(data) = upload.file else {
        return Err(UploadProblem::NoFile.into());
    };
    if data.len() > crate::domain::certificates::MAX_FILE_BYTES {
        return Err(UploadProblem::TooLarge.into());
    }
    let (read, password) = read_in_turn(data, upload.password).await?;
    let candidates = read.candidates;
    let refused = file_refusal(
        setting.key_required,
        setting.password_required,
        candidates.iter().any(|c| c.private_key.is_some()),
        read.key_protected,
        !password.is_empty(),
    );
    if let Some(problem) = refused {
        return Err(problem.into());
    }
    let stamp = now.timestamp();
    let usable: Vec<Candidate> = candidates
        .into_iter()
        .filter(|c| {
            Expiry::at(c.certificate.not_before, c.certificate.not_after, stamp) != Expiry::Expired
        })
        .collect();
    if usable.is_empty() {
        return Err(UploadProblem::Expired.into());
    }
    if usable.len() > 1 {
        let text = serde_json::to_string(&usable)
            .map_err(|e| CertificateError::Db(DbErr::Custom(e.to_string())))?;
        let (_turn, txn) = super::begin_write(db).await?;
        // One waiting upload per person and setting.
        pending_certificate::Entity::delete_many()
            .filter(pending_certificate::Column::UserId.eq(user_id))
            .filter(pending_certificate::Column::SettingId.eq(setting.id))
            .exec(&txn)
            .await?;
        let row = pending_certificate::ActiveModel {
            user_id: Set(user_id),
            setting_id: Set(setting.id),
            candidates: Set(sealer.seal(PENDING_PURPOSE, &text)?),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        txn.commit().await?;
        return Ok(Uploaded::Choose { pending: row.id });
    }
    let Some(only) = usable.into_iter().next() else {
        return Err(UploadProblem::NotCertificate.into());
    };
    save(
        db,
        sealer,
        origin,
        (user_id, username),
        &setting,
        only,
        None,
        now,
    )
    .await
}

async fn load_pending(
    db: &impl ConnectionTrait,
    sealer: &Sealer,
    user_id: UserId,
    id: i32,
    now: DateTime<Utc>,
) -> Result<(pending_certificate::Model, Vec<Candidate>)> {
    let model = pending_certificate::Entity::find_by_id(id)
        .filter(pending_certificate::Column::UserId.eq(user_id))
        .filter(pending_certificate::Column::CreatedAt.gt(now - Duration::seconds(PENDING_SECONDS)))
        .one(db)
        .await?
        .ok_or(CertificateError::Upload(UploadProblem::PendingGone))?;
    let text = sealer.open(PENDING_PURPOSE, &model.candidates)?;
    let candidates: Vec<Candidate> = serde_json::from_str(&text)
        .map_err(|_| CertificateError::Upload(UploadProblem::PendingGone))?;
    Ok((model, candidates))
}

/// Finishes an upload with several keys with the one picked.
pub async fn choose(
    db: &DatabaseConnection,
    sealer: &Sealer,
    origin: &RequestOrigin,
    (user_id, username): (UserId, &str),
    pending: i32,
    key: Option<usize>,
    now: DateTime<Utc>,
) -> Result<Uploaded> {
    let (model, candidates) = load_pending(db, sealer, user_id, pending, now).await?;
    let Some(chosen) = key.and_then(|k| candidates.into_iter().nth(k)) else {
        return Err(UploadProblem::NoKeyChosen.into());
    };
    let setting = certificate_setting::Entity::find_by_id(model.setting_id)
        .one(db)
        .await?
        .ok_or(CertificateError::Upload(UploadProblem::NoSetting))?;
    save(
        db,
        sealer,
        origin,
        (user_id, username),
        &setting,
        chosen,
        Some(pending),
        now,
    )
    .await
}

/// Drops an upload waiting for a key to be picked.
pub async fn discard(db: &DatabaseConnection, user_id: UserId, pending: i32) -> Result<()> {
    pending_certificate::Entity::delete_many()
        .filter(pending_certificate::Column::Id.eq(pending))
        .filter(pending_certificate::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Saves `chosen` as the owner's certificate for `setting`, replacing the
/// one there (an encryption key is kept, retired; the same certificate
/// again is not). `pending` is the waiting upload it came from: used up
/// here, so a second click cannot save it twice.
#[allow(clippy::too_many_arguments)]
async fn save(
    db: &DatabaseConnection,
    sealer: &Sealer,
    origin: &RequestOrigin,
    (user_id, username): (UserId, &str),
    setting: &certificate_setting::Model,
    chosen: Candidate,
    pending: Option<i32>,
    now: DateTime<Utc>,
) -> Result<Uploaded> {
    let private_key = match &chosen.private_key {
        Some(key) => Some(sealer.seal(KEY_PURPOSE, &STANDARD.encode(key))?),
        None => None,
    };
    let info = &chosen.certificate;
    let purpose = setting.purpose;
    let (_turn, txn) = super::begin_write(db).await?;
    super::registration::lock_owner(&txn, user_id).await?;
    if let Some(pending) = pending {
        let used = pending_certificate::Entity::delete_many()
            .filter(pending_certificate::Column::Id.eq(pending))
            .filter(pending_certificate::Column::UserId.eq(user_id))
            .exec(&txn)
            .await?;
        if used.rows_affected != 1 {
            return Err(UploadProblem::PendingGone.into());
        }
    }
    let current = user_certificate::Entity::find()
        .filter(user_certificate::Column::UserId.eq(user_id))
        .filter(user_certificate::Column::SettingId.eq(setting.id))
        .filter(user_certificate::Column::Retired.eq(false))
        .all(&txn)
        .await?;
    for old in &current {
        let same = old.fingerprint == info.fingerprint;
        if purpose.keeps_replaced_keys() && old.private_key.is_some() && !same {
            let mut row: user_certificate::ActiveModel = old.clone().into();
            row.retired = Set(true);
            row.update(&txn).await?;
        } else {
            user_certificate::Entity::delete_by_id(old.id)
                .exec(&txn)
                .await?;
        }
    }
    let row = user_certificate::ActiveModel {
        user_id: Set(user_id),
        setting_id: Set(setting.id),
        retired: Set(false),
        subject: Set(info.subject.clone()),
        issuer: Set(info.issuer.clone()),
        serial: Set(info.serial.chars().take(80).collect()),
        not_before: Set(at(info.not_before)),
        not_after: Set(at(info.not_after)),
        key_type: Set(info.key_type.clone()),
        key_usage: Set(info.key_usage.clone()),
        alias: Set(chosen.alias.clone()),
        fingerprint: Set(info.fingerprint.clone()),
        certificate: Set(certificate_files::pem("CERTIFICATE", &info.der)),
        chain: Set(chosen
            .chain
            .iter()
            .map(|c| certificate_files::pem("CERTIFICATE", c))
            .collect()),
        private_key: Set(private_key),
        uploaded_at: Set(now),
        expiry_notified_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    pending_certificate::Entity::delete_many()
        .filter(pending_certificate::Column::UserId.eq(user_id))
        .filter(pending_certificate::Column::SettingId.eq(setting.id))
        .exec(&txn)
        .await?;
    let replaced = !current.is_empty();
    audit::record(
        &txn,
        origin,
        now,
        event(
            username,
            if replaced {
                "certificate.replace"
            } else {
                "certificate.upload"
            },
            username,
            Outcome::Success,
            json!({
                "setting": setting.name,
                "subject": info.subject,
                "alias": chosen.alias,
                "fingerprint": info.fingerprint,
                "with_key": chosen.private_key.is_some(),
                "replaced": current.iter().map(|c| &c.fingerprint).collect::<Vec<_>>(),
                "kept_retired": purpose.keeps_replaced_keys(),
            }),
        ),
    )
    .await?;
    txn.commit().await?;
    let warning = (Expiry::at(info.not_before, info.not_after, now.timestamp())
        == Expiry::NotYetValid)
        .then_some(en(
            "The certificate is not valid yet: devices can use it from its start date.",
        ));
    Ok(Uploaded::Saved {
        id: row.id,
        replaced,
        warning,
    })
}

/// One of `user_id`'s certificates, or `NotFound` (also for anyone
/// else's).
pub async fn own(
    db: &impl ConnectionTrait,
    user_id: UserId,
    id: i32,
) -> Result<user_certificate::Model> {
    user_certificate::Entity::find_by_id(id)
        .filter(user_certificate::Column::UserId.eq(user_id))
        .one(db)
        .await?
        .ok_or(CertificateError::NotFound)
}

pub async fn delete(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    (user_id, username): (UserId, &str),
    id: i32,
    now: DateTime<Utc>,
) -> Result<()> {
    let (_turn, txn) = super::begin_write(db).await?;
    let model = own(&txn, user_id, id).await?;
    user_certificate::Entity::delete_by_id(id)
        .exec(&txn)
        .await?;
    let setting = certificate_setting::Entity::find_by_id(model.setting_id)
        .one(&txn)
        .await?
        .map(|s| s.name)
        .unwrap_or_default();
    audit::record(
        &txn,
        origin,
        now,
        event(
            username,
            "certificate.delete",
            username,
            Outcome::Success,
            json!({
                "setting": setting,
                "subject": model.subject,
                "fingerprint": model.fingerprint,
                "retired": model.retired,
            }),
        ),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// The certificate and its chain as PEM (never the key).
pub async fn download(
    db: &DatabaseConnection,
    user_id: UserId,
    id: i32,
) -> Result<(String, String)> {
    let model = own(db, user_id, id).await?;
    let name = if model.alias.is_empty() {
        format!("certificate-{}.pem", model.id)
    } else {
        let safe: String = model
            .alias
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{safe}.pem")
    };
    Ok((name, format!("{}{}", model.certificate, model.chain)))
}

// ---- Devices ----

/// One certificate as a device receives it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivered {
    pub setting: String,
    pub purpose: Purpose,
    pub alias: String,
    pub fingerprint: String,
    /// Replaced, kept so that old encrypted mail stays readable.
    pub retired: bool,
    /// PEM.
    pub certificate: String,
    /// PEM; may be empty.
    pub chain: String,
    /// PKCS#8 PEM, when the upload had a key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<String>,
}

/// The certificates a device of `owner` should hold (those of the
/// `settings` in its set), unless it holds this version already (`applied`). The version follows what is
/// delivered, so keys are opened only when something is sent; a key that
/// cannot be opened (the portal's key was changed) is left out and logged.
async fn for_device(
    db: &impl ConnectionTrait,
    sealer: &Sealer,
    owner: UserId,
    settings: &[i32],
    applied: Option<&str>,
) -> Result<Option<Delivery>> {
    // No certificate setting applies to the device (the common case): it
    // gets none, and nothing needs reading.
    let settings: Vec<certificate_setting::Model> = if settings.is_empty() {
        Vec::new()
    } else {
        certificate_setting::Entity::find()
            .filter(certificate_setting::Column::Id.is_in(settings.iter().copied()))
            .all(db)
            .await?
    };
    let rows: Vec<(user_certificate::Model, &certificate_setting::Model)> = if settings.is_empty() {
        Vec::new()
    } else {
        user_certificate::Entity::find()
            .filter(user_certificate::Column::UserId.eq(owner))
            .order_by_asc(user_certificate::Column::Id)
            .all(db)
            .await?
            .into_iter()
            .filter_map(|row| {
                let setting = settings.iter().find(|s| s.id == row.setting_id)?;
                Some((row, setting))
            })
            .collect()
    };
    let mut version = Sha256::new();
    for (row, setting) in &rows {
        version.update(format!(
            "{}:{}:{}:{}:{};",
            row.id, row.fingerprint, row.retired, setting.name, setting.purpose
        ));
    }
    let version: String = version
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    if applied == Some(version.as_str()) {
        return Ok(None);
    }
    let mut items = Vec::new();
    for (row, setting) in rows {
        let private_key = match &row.private_key {
            Some(sealed) => {
                let opened = sealer
                    .open(KEY_PURPOSE, sealed)
                    .ok()
                    .and_then(|text| STANDARD.decode(text).ok());
                match opened {
                    Some(der) => Some(certificate_files::pem("PRIVATE KEY", &der)),
                    None => {
                        tracing::error!(
                            certificate = row.id,
                            "a stored private key cannot be opened with this secret key: left out of the delivery"
                        );
                        continue;
                    }
                }
            }
            None => None,
        };
        items.push(Delivered {
            setting: setting.name.clone(),
            purpose: setting.purpose,
            alias: row.alias,
            fingerprint: row.fingerprint,
            retired: row.retired,
            certificate: row.certificate,
            chain: row.chain,
            private_key,
        });
    }
    Ok(Some(Delivery { version, items }))
}

/// What a device receives at check-in when its certificates changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Delivery {
    pub version: String,
    pub items: Vec<Delivered>,
}

/// The certificates for `device`, unless it reported (`applied`) that it
/// holds this version already. The first delivery of each version to a
/// device is audited (a device that never reports back is sent the set
/// each time, but not audited each time).
pub async fn deliver(
    db: &DatabaseConnection,
    sealer: &Sealer,
    catalogue: &catalogue::Catalogue,
    device: &device::Model,
    applied: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Delivery>> {
    let settings: Vec<i32> = catalogue
        .set_for(catalogue::traits(device))
        .iter()
        .filter_map(|item| match item.id {
            ItemId::CertificateSetting(id) => Some(id),
            ItemId::Catalogue(_) => None,
        })
        .collect();
    let Some(delivery) = for_device(db, sealer, device.owner_id, &settings, applied).await? else {
        return Ok(None);
    };
    if device.certificates_version.as_deref() == Some(delivery.version.as_str()) {
        return Ok(Some(delivery));
    }
    device::Entity::update_many()
        .col_expr(
            device::Column::CertificatesVersion,
            Expr::value(delivery.version.clone()),
        )
        .filter(device::Column::Id.eq(device.id))
        .exec(db)
        .await?;
    let fingerprints: Vec<Value> = delivery
        .items
        .iter()
        .map(
            |i| json!({ "setting": i.setting, "fingerprint": i.fingerprint, "retired": i.retired }),
        )
        .collect();
    audit::record(
        db,
        &RequestOrigin::device(),
        now,
        Event {
            actor: None,
            action: "certificate.deliver",
            target: None,
            device_id: Some(device.id),
            outcome: Outcome::Success,
            details: json!({ "version": delivery.version, "certificates": fingerprints }),
        },
    )
    .await?;
    Ok(Some(delivery))
}

// ---- Expiry ----

/// Tells each owner once about a certificate of theirs that ends within
/// `EXPIRY_WARNING_DAYS` (or has ended unnoticed). Gives how many were
/// flagged.
pub async fn flag_expiring(
    db: &DatabaseConnection,
    messenger: &Messenger,
    public_url: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    let soon = now + Duration::days(EXPIRY_WARNING_DAYS);
    let rows = user_certificate::Entity::find()
        .filter(user_certificate::Column::Retired.eq(false))
        .filter(user_certificate::Column::ExpiryNotifiedAt.is_null())
        .filter(user_certificate::Column::NotAfter.lt(soon))
        .all(db)
        .await?;
    let mut flagged = 0;
    for row in rows {
        // Claimed with its e-mail queued: two portal processes never both
        // send, and none marks it told without telling.
        let (_turn, txn) = super::begin_write(db).await?;
        let claimed = user_certificate::Entity::update_many()
            .col_expr(user_certificate::Column::ExpiryNotifiedAt, Expr::value(now))
            .filter(user_certificate::Column::Id.eq(row.id))
            .filter(user_certificate::Column::ExpiryNotifiedAt.is_null())
            .exec(&txn)
            .await?;
        if claimed.rows_affected == 0 {
            continue;
        }
        flagged += 1;
        let Some(owner) = user::Entity::find_by_id(row.user_id).one(&txn).await? else {
            txn.commit().await?;
            continue;
        };
        let setting = certificate_setting::Entity::find_by_id(row.setting_id)
            .one(&txn)
            .await?
            .map(|s| s.name)
            .unwrap_or_default();
        let lang = super::accounts::language_of(&owner);
        let ends = lang.date_time(row.not_after);
        let expired = row.not_after <= now;
        let values: [(&str, &(dyn std::fmt::Display + Sync)); 3] = [
            ("setting", &setting),
            ("subject", &row.subject),
            ("ends", &ends),
        ];
        let (told, subject) = if expired {
            (
                lang.trf(
                    "your certificate for \"{setting}\" ({subject}) expired on {ends}.",
                    &values,
                ),
                lang.trf(
                    "Your certificate for \"{setting}\" expired on {ends}",
                    &values,
                ),
            )
        } else {
            (
                lang.trf(
                    "your certificate for \"{setting}\" ({subject}) expires on {ends}.",
                    &values,
                ),
                lang.trf(
                    "Your certificate for \"{setting}\" expires on {ends}",
                    &values,
                ),
            )
        };
        let text = format!(
            "{}\n\n{told}\n{}\n",
            super::registration::hello(lang, &owner.display_name),
            lang.trf(
                "Ask for a new one and upload it at {page} so that your devices keep working.",
                &[("page", &format!("{public_url}/certificates"))],
            ),
        );
        if !messenger.mail_enabled() || owner.email.is_empty() {
            txn.commit().await?;
            continue;
        }
        let message = Outgoing {
            to: Recipient::Email(owner.email.clone()),
            subject,
            html: format!(
                "<p>{}</p>",
                super::registration::escape_html(&text).replace('\n', "<br>")
            ),
            text,
            audit_action: "certificate.expiry_email",
            actor: owner.username.clone(),
            device_id: None,
            tracks_registration: None,
        };
        messenger.queue(&txn, message, now).await?;
        txn.commit().await?;
    }
    Ok(flagged)
}

/// Drops uploads nobody finished picking a key for.
pub async fn delete_stale_pending(db: &DatabaseConnection, now: DateTime<Utc>) -> Result<u64> {
    let deleted = pending_certificate::Entity::delete_many()
        .filter(pending_certificate::Column::CreatedAt.lt(now - Duration::seconds(PENDING_SECONDS)))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_read_keeps_its_turn_when_its_request_goes_away() {
        // A key whose derivation takes a while, and that no password opens.
        let file = certificate_files::tests::unreadable_key(1_000_000).into_bytes();
        let reading = tokio::spawn(read_in_turn(file, "pass".to_owned()));
        for _ in 0..500 {
            if READING.available_permits() == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_eq!(READING.available_permits(), 0, "the reading has its turn");
        reading.abort();
        assert!(reading.await.unwrap_err().is_cancelled());
        assert_eq!(
            READING.available_permits(),
            0,
            "the file is still being read: the next one waits"
        );
        for _ in 0..1200 {
            if READING.available_permits() == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the turn never came back");
    }
}

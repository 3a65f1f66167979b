//! My certificates and Admin → Certificates. The upload itself is a
//! multipart form handled by the server binary (`/certificates/upload`);
//! everything else is a server function here.

// A form's fields arrive as a server function's arguments, however many.
#![allow(clippy::too_many_arguments)]

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::notice::{Notice, answer};
use super::types::ApiError;
use crate::domain::certificates::{Expiry, Purpose, SettingInput};

#[cfg(feature = "ssr")]
#[cfg(feature = "ssr")]
use crate::server::certificates::CertificateError;

/// A setting in Admin → Certificates.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateSettingSummary {
    pub id: i32,
    pub name: String,
    pub purpose: Purpose,
    pub key_required: bool,
    pub password_required: bool,
    pub mobile_upload: bool,
    /// Certificates uploaded for it, and by how many people.
    pub certificates: u64,
    pub people: u64,
}

/// One setting's form.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateSettingView {
    pub id: Option<i32>,
    pub input: SettingInput,
    /// Every label the setting could be assigned to.
    pub labels: Vec<crate::domain::catalogue::Label>,
    pub certificates: u64,
    pub people: u64,
}

/// A setting someone can upload for.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SettingChoice {
    pub id: i32,
    pub name: String,
    pub purpose: Purpose,
    pub key_required: bool,
    pub password_required: bool,
    pub mobile_upload: bool,
    /// Their current certificate for it, which an upload replaces.
    pub current: Option<i32>,
}

/// One uploaded certificate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CertificateRow {
    pub id: i32,
    pub setting_id: i32,
    pub setting: String,
    /// Replaced; its key is kept for old encrypted mail.
    pub retired: bool,
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub key_type: String,
    pub key_usage: String,
    pub alias: String,
    pub fingerprint: String,
    pub uploaded_at: DateTime<Utc>,
    pub has_key: bool,
    /// How many more certificates (issuers) came with it.
    pub chain: usize,
    pub expiry: Expiry,
}

/// One of the keys of an upload that holds several.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeyChoice {
    pub index: usize,
    pub alias: String,
    pub subject: String,
    pub key_type: String,
    pub not_after: DateTime<Utc>,
    pub fingerprint: String,
}

/// An upload waiting for its owner to pick a key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PendingChoice {
    pub id: i32,
    pub setting: String,
    pub keys: Vec<KeyChoice>,
}

/// The My certificates page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MyCertificates {
    pub settings: Vec<SettingChoice>,
    pub certificates: Vec<CertificateRow>,
    /// The browser is a phone's or a tablet's.
    pub mobile: bool,
    pub pending: Option<PendingChoice>,
}

#[server(endpoint = "certificates", input = GetUrl)]
pub async fn get_my_certificates(
    #[server(default)] pending: Option<i32>,
) -> Result<MyCertificates, ApiError> {
    use crate::domain::{access::Action, certificates::is_mobile_browser};
    use crate::server::{RequestContext, certificates};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    certificates::mine(
        &ctx.db,
        ctx.config.directory.sealer(),
        user.id(),
        pending,
        is_mobile_browser(&ctx.origin.user_agent),
        Utc::now(),
    )
    .await
    .map_err(ApiError::from)
}

/// Finishes an upload that held several keys with the one picked.
#[server(endpoint = "choose_certificate_key")]
pub async fn choose_certificate_key(
    pending: i32,
    #[server(default)] key: Option<usize>,
) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, certificates};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let chosen = certificates::choose(
        &ctx.db,
        ctx.config.directory.sealer(),
        &ctx.origin,
        (user.id(), user.username().as_str()),
        pending,
        key,
        Utc::now(),
    )
    .await;
    match chosen {
        Ok(uploaded) => leptos_axum::redirect(&uploaded_address(&uploaded)),
        Err(CertificateError::Upload(problem)) => leptos_axum::redirect(&format!(
            "/certificates?pending={pending}&error={}",
            problem.code()
        )),
        Err(other) => return Err(other.into()),
    }
    Ok(())
}

/// Where the My certificates page shows the outcome of an upload.
#[cfg(feature = "ssr")]
pub fn uploaded_address(uploaded: &crate::server::certificates::Uploaded) -> String {
    use crate::server::certificates::Uploaded;
    match uploaded {
        Uploaded::Saved {
            replaced, warning, ..
        } => {
            let notice = if *replaced {
                Notice::Replaced
            } else {
                Notice::Uploaded
            };
            let (key, value) = notice.pair();
            let warning = if warning.is_some() {
                "&warning=not-yet-valid"
            } else {
                ""
            };
            format!("/certificates?{key}={value}{warning}")
        }
        Uploaded::Choose { pending } => format!("/certificates?pending={pending}"),
    }
}

/// Drops an upload waiting for a key to be picked.
#[server(endpoint = "discard_certificate_upload")]
pub async fn discard_certificate_upload(pending: i32) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, certificates};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    certificates::discard(&ctx.db, user.id(), pending).await?;
    leptos_axum::redirect("/certificates");
    Ok(())
}

#[server(endpoint = "delete_certificate")]
pub async fn delete_certificate(id: i32) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, certificates};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    certificates::delete(
        &ctx.db,
        &ctx.origin,
        (user.id(), user.username().as_str()),
        id,
        Utc::now(),
    )
    .await?;
    answer("/certificates", Notice::Deleted)
}

#[server(endpoint = "admin/certificate_settings", input = GetUrl)]
pub async fn get_certificate_settings() -> Result<Vec<CertificateSettingSummary>, ApiError> {
    use crate::server::{RequestContext, certificates};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    certificates::settings(&ctx.db)
        .await
        .map_err(ApiError::from)
}

/// A saved setting (`id`), or the form of a new one.
#[server(endpoint = "admin/certificate_setting", input = GetUrl)]
pub async fn get_certificate_setting(
    #[server(default)] id: Option<i32>,
) -> Result<CertificateSettingView, ApiError> {
    use crate::server::{RequestContext, certificates};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    certificates::setting_view(&ctx.db, id)
        .await
        .map_err(ApiError::from)
}

/// Saves a setting. With a mistake, goes back to the form with what was
/// typed and the reasons next to the fields.
#[server(endpoint = "admin/save_certificate_setting")]
pub async fn save_certificate_setting(
    #[server(default)] id: Option<i32>,
    #[server(flatten)] input: SettingInput,
) -> Result<(), ApiError> {
    use super::refuse;
    use crate::server::{RequestContext, certificates};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let page = match id {
        Some(id) => format!("/admin/certificates/{id}"),
        None => "/admin/certificates/new".to_owned(),
    };
    let Ok(setting) = input.check() else {
        return refuse(&page, &input, "1");
    };
    let saved =
        certificates::save_setting(&ctx.db, &ctx.origin, &admin, id, setting, Utc::now()).await;
    match saved {
        Ok(saved) => answer(&format!("/admin/certificates/{saved}"), Notice::Saved),
        Err(CertificateError::Invalid(_)) => refuse(&page, &input, "name-taken"),
        Err(other) => Err(other.into()),
    }
}

/// Deletes a setting; one in use only with `with_certificates` ticked.
#[server(endpoint = "admin/delete_certificate_setting")]
pub async fn delete_certificate_setting(
    id: i32,
    #[server(default)] with_certificates: Option<String>,
) -> Result<(), ApiError> {
    use crate::server::{RequestContext, certificates};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let deleted = certificates::delete_setting(
        &ctx.db,
        &ctx.origin,
        &admin,
        id,
        with_certificates.is_some(),
        Utc::now(),
    )
    .await;
    match deleted {
        Ok(()) => answer("/admin/certificates", Notice::Deleted),
        Err(CertificateError::InUse { .. }) => {
            answer(&format!("/admin/certificates/{id}"), Notice::InUse)
        }
        Err(other) => Err(other.into()),
    }
}

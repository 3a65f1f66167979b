//! The admin area's server functions. Every one needs the Administrator
//! role (403 otherwise), whatever the page shows.

#[cfg(feature = "ssr")]
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use std::collections::BTreeMap;

#[cfg(feature = "ssr")]
use super::notice::{Notice, answer};
use super::types::{
    ApiError, AuditFilter, AuditPage, PortalSettings, SignInSettings, UserPage, UserSummary,
};

pub const USERS_PER_PAGE: u64 = 20;
pub const AUDIT_PER_PAGE: u64 = 50;

#[server(endpoint = "admin/list_users", input = GetUrl)]
pub async fn list_users(query: String, page: u64) -> Result<UserPage, ApiError> {
    use crate::server::{RequestContext, accounts};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    accounts::list(&ctx.db, &query, page, USERS_PER_PAGE)
        .await
        .map_err(ApiError::from)
}

#[server(endpoint = "admin/get_user", input = GetUrl)]
pub async fn get_user(username: String) -> Result<UserSummary, ApiError> {
    use crate::domain::username::Username;
    use crate::server::{RequestContext, accounts, fail};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    let name = Username::parse(&username).map_err(|_| fail(ApiError::NotFound))?;
    match accounts::find(&ctx.db, &name).await? {
        Some(user) => Ok(accounts::summary(&user)),
        None => Err(fail(ApiError::NotFound)),
    }
}

/// Saves a user's roles: `roles` holds one entry per ticked checkbox
/// (`roles[lock]=on`). Goes back to the user's page with a confirmation.
#[server(endpoint = "admin/save_user_roles")]
pub async fn save_user_roles(
    username: String,
    #[server(default)] roles: BTreeMap<String, String>,
) -> Result<(), ApiError> {
    use crate::domain::{role::RoleSet, username::Username};
    use crate::server::{RequestContext, accounts, fail, internal};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let name = Username::parse(&username).map_err(|_| fail(ApiError::NotFound))?;
    let roles = RoleSet::parse_names(roles.keys().map(String::as_str))
        .map_err(|e| fail(ApiError::Invalid(e.to_string())))?;
    let page = format!("/admin/users/{}", urlencode(name.as_str()));
    match accounts::set_roles(
        &ctx.db,
        &ctx.origin,
        &admin,
        &name,
        roles,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(_) => answer(&page, Notice::Saved),
        Err(accounts::AccountError::NotFound(_)) => Err(fail(ApiError::NotFound)),
        Err(accounts::AccountError::LastAdministrator(_)) => answer(&page, Notice::LastAdmin),
        Err(e) => Err(internal(e)),
    }
}

#[server(endpoint = "admin/search_audit", input = GetUrl)]
pub async fn search_audit(filter: AuditFilter, page: u64) -> Result<AuditPage, ApiError> {
    use crate::server::{RequestContext, audit};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    let page = page.clamp(1, crate::server::audit::MAX_PAGE);
    let (rows, total) = audit::search(&ctx.db, &filter, page, AUDIT_PER_PAGE).await?;
    Ok(AuditPage {
        rows,
        total,
        page,
        per_page: AUDIT_PER_PAGE,
    })
}

#[server(endpoint = "admin/get_settings", input = GetUrl)]
pub async fn get_settings() -> Result<PortalSettings, ApiError> {
    use crate::server::{RequestContext, settings};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    settings::all(&ctx.db).await.map_err(ApiError::from)
}

/// Saves the settings; a value out of range goes back to the page with the
/// reason next to its field and what was typed.
#[server(endpoint = "admin/save_settings")]
pub async fn save_settings(
    #[server(flatten)] input: crate::domain::signin::PortalSettingsInput,
) -> Result<(), ApiError> {
    use super::refuse;
    use crate::server::{RequestContext, settings};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let Ok(change) = input.check() else {
        return refuse("/admin/settings", &input, "settings");
    };
    let now = chrono::Utc::now();
    if let Some(idle) = change.idle {
        settings::set_idle_timeout(&ctx.db, &ctx.origin, &admin, idle, now).await?;
    }
    if let Some(retention) = change.retention {
        settings::set_audit_retention(&ctx.db, &ctx.origin, &admin, retention, now).await?;
    }
    if let Some(hold) = change.hold {
        settings::set_action_hold(&ctx.db, &ctx.origin, &admin, hold, now).await?;
    }
    answer("/admin/settings", Notice::Saved)
}

#[server(endpoint = "admin/sign_in_settings", input = GetUrl)]
pub async fn get_sign_in_settings() -> Result<SignInSettings, ApiError> {
    use crate::server::{RequestContext, settings};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    let (methods, mapping) = settings::sign_in(&ctx.db).await?;
    let trust = ctx.config.client_trust.get();
    Ok(SignInSettings {
        // What is in force: passwords while certificates cannot be taken.
        methods: methods.effective(trust.is_some()),
        mapping,
        via: match trust {
            Some(trust) => crate::i18n::Lang::En.trf(
                "{via} ({count} CA certificate(s) and {lists} revocation list(s) now).",
                &[
                    ("via", &ctx.config.certificate_via),
                    ("count", &trust.count()),
                    ("lists", &trust.revocation_lists()),
                ],
            ),
            None => String::new(),
        },
        presented: super::session::presented_subject(&ctx),
    })
}

/// Saves how people sign in. A refusal (passwords off without a working
/// certificate of the administrator's own) comes back to the page as a
/// message, with nothing changed.
#[server(endpoint = "admin/save_sign_in_settings")]
pub async fn save_sign_in_settings(methods: String, mapping: String) -> Result<(), ApiError> {
    use crate::domain::certificate_sign_in::{CertificateMapping, SignInMethods};
    use crate::server::{RequestContext, auth, fail};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let (Some(methods), Some(mapping)) = (
        SignInMethods::parse(&methods),
        CertificateMapping::parse(&mapping),
    ) else {
        return Err(fail(ApiError::Invalid(
            crate::i18n::en("Choose the sign-in methods and how certificates name their user.")
                .to_owned(),
        )));
    };
    let trust = ctx.config.client_trust.get();
    auth::change_sign_in(
        &ctx.db,
        &ctx.config.directory,
        &ctx.origin,
        &admin,
        trust.as_deref(),
        ctx.certificate.as_ref(),
        methods,
        mapping,
        chrono::Utc::now(),
    )
    .await?;
    answer("/admin/sign-in", Notice::Saved)
}

#[cfg(feature = "ssr")]
fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

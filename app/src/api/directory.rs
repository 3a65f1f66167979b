//! Admin → LDAP and the directory parts of Admin → Registration: servers,
//! the roles directory groups grant, and group device limits. Every
//! function here is for administrators only.

// A form's fields arrive as a server function's arguments, however many.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use std::collections::BTreeMap;

use crate::domain::directory::ServerFormInput;

#[cfg(feature = "ssr")]
use super::notice::{Notice, answer};
use super::types::{
    ApiError, GroupChoices, GroupLimits, LdapServerSummary, LdapServerView, TestStep,
};

#[cfg(feature = "ssr")]
use crate::server::directory_settings::DirectorySettingsError;

#[cfg(feature = "ssr")]
use super::refuse;

#[server(endpoint = "admin/ldap_servers", input = GetUrl)]
pub async fn get_ldap_servers() -> Result<Vec<LdapServerSummary>, ApiError> {
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    directory_settings::servers(&ctx.db)
        .await
        .map_err(ApiError::from)
}

/// A saved server (`id`), or the form of a new one (`id` empty).
#[server(endpoint = "admin/ldap_server", input = GetUrl)]
pub async fn get_ldap_server(id: Option<i32>) -> Result<LdapServerView, ApiError> {
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    directory_settings::view(&ctx.db, id)
        .await
        .map_err(ApiError::from)
}

/// Saves a server. With a mistake, goes back to the form with what was
/// typed (never the password) and the reasons next to the fields.
#[server(endpoint = "admin/save_ldap_server")]
pub async fn save_ldap_server(
    #[server(default)] id: Option<i32>,
    #[server(default)] bind_password: String,
    #[server(flatten)] input: ServerFormInput,
) -> Result<(), ApiError> {
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let page = match id {
        Some(id) => format!("/admin/ldap/{id}"),
        None => "/admin/ldap/new".to_owned(),
    };
    let saved = match id {
        Some(id) => Some(directory_settings::view(&ctx.db, Some(id)).await?),
        None => None,
    };
    let keeps = saved
        .as_ref()
        .is_some_and(|s| s.has_password && input.keeps_password(&s.form));
    let Ok(form) = input.check(!bind_password.is_empty() || keeps) else {
        // A long CA bundle would make the address too long for some
        // proxies: it is left out of what goes back.
        let mut typed = input;
        if typed.ca_certificate.len() > 2048 {
            typed.ca_certificate.clear();
        }
        return refuse(&page, &typed, "1");
    };
    let saved = directory_settings::save_server(
        &ctx.db,
        &ctx.config.directory,
        &ctx.origin,
        &admin,
        id,
        form,
        &bind_password,
        chrono::Utc::now(),
    )
    .await;
    match saved {
        Ok(saved) => answer(&format!("/admin/ldap/{saved}"), Notice::Saved),
        Err(DirectorySettingsError::LastAdministrator) => answer(&page, Notice::LastAdmin),
        Err(other) => Err(other.into()),
    }
}

/// Moves a server `up` (asked earlier) or down in the order.
#[server(endpoint = "admin/move_ldap_server")]
pub async fn move_ldap_server(id: i32, direction: String) -> Result<(), ApiError> {
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    directory_settings::move_server(
        &ctx.db,
        &ctx.origin,
        &admin,
        id,
        direction == "up",
        chrono::Utc::now(),
    )
    .await?;
    answer("/admin/ldap", Notice::Moved)
}

#[server(endpoint = "admin/delete_ldap_server")]
pub async fn delete_ldap_server(id: i32) -> Result<(), ApiError> {
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let deleted =
        directory_settings::delete_server(&ctx.db, &ctx.origin, &admin, id, chrono::Utc::now())
            .await;
    match deleted {
        Ok(()) => answer("/admin/ldap", Notice::Deleted),
        Err(DirectorySettingsError::LastAdministrator) => {
            answer(&format!("/admin/ldap/{id}"), Notice::LastAdmin)
        }
        Err(other) => Err(other.into()),
    }
}

/// "Test connection": binds with the saved settings and, with a `login`,
/// looks that user up. Changes nothing.
#[server(endpoint = "admin/test_ldap_server", input = GetUrl)]
pub async fn test_ldap_server(id: i32, login: String) -> Result<Vec<TestStep>, ApiError> {
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    directory_settings::test(&ctx.db, &ctx.config.directory, id, &login)
        .await
        .map_err(ApiError::from)
}

/// The groups an administrator can pick: of one server, or of all.
#[server(endpoint = "admin/ldap_groups", input = GetUrl)]
pub async fn get_group_choices(server_id: Option<i32>) -> Result<GroupChoices, ApiError> {
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    directory_settings::group_choices(&ctx.db, &ctx.config.directory, server_id)
        .await
        .map_err(ApiError::from)
}

/// Sets the roles members of a group get (`group`, picked on the page of
/// `server`, or `grant`, an existing grant); no role removes a grant. A
/// mistake goes back to the server's page with a code saying which.
#[server(endpoint = "admin/save_group_roles")]
pub async fn save_group_roles(
    server: i32,
    #[server(default)] group: String,
    #[server(default)] grant: Option<i32>,
    #[server(default)] roles: BTreeMap<String, String>,
) -> Result<(), ApiError> {
    use crate::domain::role::RoleSet;
    use crate::server::{RequestContext, directory_settings, fail};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let roles = RoleSet::parse_names(roles.keys().map(String::as_str))
        .map_err(|e| fail(ApiError::Invalid(e.to_string())))?;
    let back = |code: &str| {
        leptos_axum::redirect(&format!(
            "/admin/ldap/{server}?grant_error={code}#group-roles"
        ));
        Ok(())
    };
    let picked = match grant {
        Some(id) => directory_settings::grant_group(&ctx.db, id).await,
        None => directory_settings::picked_group(&ctx.db, &group).await,
    };
    let group = match picked {
        Ok(group) if group.server_id == server => group,
        Ok(_) | Err(DirectorySettingsError::Invalid(_)) => return back("group"),
        Err(other) => return Err(other.into()),
    };
    match directory_settings::save_grant(
        &ctx.db,
        &ctx.origin,
        &admin,
        &group,
        roles,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(()) => answer(
            &format!("/admin/ldap/{server}#group-roles"),
            Notice::GrantsSaved,
        ),
        Err(DirectorySettingsError::LastAdministrator) => back("last-admin"),
        Err(DirectorySettingsError::NoRoles) => back("roles"),
        Err(DirectorySettingsError::Invalid(_)) => back("group"),
        Err(other) => Err(other.into()),
    }
}

#[server(endpoint = "admin/group_limits", input = GetUrl)]
pub async fn get_group_limits() -> Result<GroupLimits, ApiError> {
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    let rows = directory_settings::group_limits(&ctx.db).await?;
    let groups = directory_settings::group_choices(&ctx.db, &ctx.config.directory, None).await?;
    Ok(GroupLimits { rows, groups })
}

/// Adds (`id` empty) or changes a group's device limit; with a mistake,
/// goes back to Admin → Registration with what was typed and why.
#[server(endpoint = "admin/save_group_limit")]
pub async fn save_group_limit(
    #[server(default)] id: Option<i32>,
    #[server(default)] group: String,
    limit: String,
) -> Result<(), ApiError> {
    use crate::domain::registration::{DeviceLimit, GroupLimitInput};
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let typed = GroupLimitInput { id, group, limit };
    // Codes, not words: nobody can put text on the page through a link.
    let back = |code: &str| refuse("/admin/registration#group-limits", &typed, code);
    let group = &typed.group;
    let limit = match DeviceLimit::parse(&typed.limit).map(|l| l.get()) {
        Ok(Some(limit)) => limit,
        Ok(None) | Err(_) => return back("limit-range"),
    };
    let picked = directory_settings::picked_group(&ctx.db, group).await;
    let group_model = match picked {
        Ok(group) => group,
        Err(DirectorySettingsError::Invalid(_)) => return back("limit-group"),
        Err(other) => return Err(other.into()),
    };
    match directory_settings::save_group_limit(
        &ctx.db,
        &ctx.origin,
        &admin,
        id,
        &group_model,
        limit,
        chrono::Utc::now(),
    )
    .await
    {
        Ok(()) => answer("/admin/registration#group-limits", Notice::LimitSaved),
        Err(DirectorySettingsError::Invalid(_)) => back("limit-taken"),
        Err(other) => Err(other.into()),
    }
}

#[server(endpoint = "admin/delete_group_limit")]
pub async fn delete_group_limit(id: i32) -> Result<(), ApiError> {
    use crate::server::{RequestContext, directory_settings};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    directory_settings::delete_group_limit(&ctx.db, &ctx.origin, &admin, id, chrono::Utc::now())
        .await?;
    answer("/admin/registration#group-limits", Notice::LimitDeleted)
}

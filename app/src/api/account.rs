//! My account: the signed-in person's own password and sessions, and an
//! administrator's view of someone's sessions.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::notice::{Notice, answer};
use super::types::{AccountView, ApiError, DeviceSummary, SessionRow};
use crate::domain::account::{NewPassword, NewUserInput, PasswordChange};
use crate::domain::ids::DeviceId;

#[server(endpoint = "account", input = GetUrl)]
pub async fn get_account() -> Result<AccountView, ApiError> {
    use crate::domain::access::Action;
    use crate::server::entities::user;
    use crate::server::{RequestContext, accounts, fail, sessions};
    use sea_orm::EntityTrait;

    let ctx = RequestContext::current()?;
    let me = ctx.allowed(Action::UsePortal)?;
    let record = user::Entity::find_by_id(me.id())
        .one(&ctx.db)
        .await?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    Ok(AccountView {
        username: record.username,
        display_name: record.display_name,
        email: record.email,
        local: record.source == accounts::LOCAL,
        sessions: sessions::list(&ctx.db, me.id(), Some(me.session_hash())).await?,
    })
}

/// Changes the signed-in person's password; other sessions end. A refusal
/// goes back to the page with its reason only (passwords are never echoed).
#[server(endpoint = "account/password")]
pub async fn change_password(#[server(flatten)] change: PasswordChange) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::accounts::{self, OwnPasswordError};
    use crate::server::{RequestContext, internal};

    let ctx = RequestContext::current()?;
    let me = ctx.allowed(Action::UsePortal)?;
    let directory = &ctx.config.directory;
    let now = chrono::Utc::now();
    match accounts::change_own_password(&ctx.db, directory, &ctx.origin, me, change, now).await {
        Ok(()) => answer("/account", Notice::PasswordChanged),
        Err(OwnPasswordError::Refused(problem)) => {
            answer("/account#password", Notice::PasswordRefused(problem))
        }
        Err(error) => Err(internal(error)),
    }
}

/// Ends one of the signed-in person's sessions (`handle`), or, without one,
/// all but this one.
#[server(endpoint = "account/end_sessions")]
pub async fn end_my_sessions(handle: Option<String>) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::RequestContext;
    use crate::server::sessions::{self, Ending};

    let ctx = RequestContext::current()?;
    let me = ctx.allowed(Action::UsePortal)?;
    let ending = match handle.as_deref() {
        Some(handle) => Ending::One(handle),
        None => Ending::AllBut(Some(me.session_hash())),
    };
    let name = me.username().as_str();
    sessions::end(
        &ctx.db,
        &ctx.origin,
        name,
        (me.id(), name),
        ending,
        chrono::Utc::now(),
    )
    .await?;
    answer("/account#sessions", Notice::SessionsEnded)
}

/// Someone's sessions, for an administrator.
#[server(endpoint = "admin/user_sessions", input = GetUrl)]
pub async fn get_user_sessions(username: String) -> Result<Vec<SessionRow>, ApiError> {
    use crate::server::{RequestContext, accounts, fail, sessions};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let user = accounts::find_named(&ctx.db, &username)
        .await?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    Ok(sessions::list(&ctx.db, user.id, admin.session()).await?)
}

/// Ends one of someone's sessions (`handle`) or all of them, as an
/// administrator.
#[server(endpoint = "admin/end_user_sessions")]
pub async fn end_user_sessions(username: String, handle: Option<String>) -> Result<(), ApiError> {
    use crate::server::sessions::{self, Ending};
    use crate::server::{RequestContext, accounts, fail};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let user = accounts::find_named(&ctx.db, &username)
        .await?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    let ending = match handle.as_deref() {
        Some(handle) => Ending::One(handle),
        None => Ending::AllBut(None),
    };
    let who = (user.id, user.username.as_str());
    sessions::end(
        &ctx.db,
        &ctx.origin,
        admin.name(),
        who,
        ending,
        chrono::Utc::now(),
    )
    .await?;
    answer(
        &format!("/admin/users/{}#sessions", user.username),
        Notice::SessionsEnded,
    )
}

/// The cookie that carries a generated password to the user's page once.
#[cfg(feature = "ssr")]
const REVEAL_COOKIE: &str = "ssp_new_password";

/// Hands a generated password to `username`'s page (sealed, for ten
/// minutes at most; cleared when the page shows it).
#[cfg(feature = "ssr")]
fn reveal(
    ctx: &crate::server::RequestContext,
    username: &str,
    password: &str,
) -> Result<(), ApiError> {
    crate::server::hand_secret(ctx, REVEAL_COOKIE, &format!("{username}.{password}"))
}

/// Adds a local user whose password is either made by the portal and shown
/// once on their page, or set by them with a link sent by e-mail. Details
/// that cannot be taken go back to the form with the reasons.
#[server(endpoint = "admin/add_user")]
pub async fn add_user(#[server(flatten)] input: NewUserInput) -> Result<(), ApiError> {
    use super::refuse;
    use crate::domain::account::PasswordDelivery;
    use crate::server::accounts::{self, AccountError, NewUser};
    use crate::server::{RequestContext, internal, password_links, passwords};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let Ok(form) = input.check() else {
        return refuse("/admin/users#add", &input, "add");
    };
    let link = form.password == PasswordDelivery::Link;
    if link && !ctx.config.messenger.mail_enabled() {
        return refuse("/admin/users#add", &input, "no-mail");
    }
    let password = (!link).then(passwords::generate_password);
    let new = NewUser {
        username: form.username.clone(),
        display_name: form.display_name,
        email: form.email,
        phone: form.phone.map(|p| p.to_string()),
        roles: form.roles,
    };
    let now = chrono::Utc::now();
    let actor = Some(admin.name());
    let page = format!("/admin/users/{}", form.username);
    match accounts::create_local(&ctx.db, &ctx.origin, actor, new, password.clone(), now).await {
        Ok(_) => {}
        Err(AccountError::Exists(_)) => return refuse("/admin/users#add", &input, "exists"),
        Err(error) => return Err(internal(error)),
    }
    match password {
        Some(password) => {
            reveal(&ctx, form.username.as_str(), &password)?;
            answer(&page, Notice::Saved)
        }
        None => {
            password_links::send(
                &ctx.db,
                &ctx.config,
                &ctx.origin,
                actor,
                &form.username,
                now,
            )
            .await
            .map_err(internal)?;
            answer(&page, Notice::LinkSent)
        }
    }
}

/// Gives a local user a new password: one made by the portal (shown once
/// on their page; their sessions end), or, with `link`, a link by e-mail to
/// set one themselves (their password and sessions stay until it is used).
#[server(endpoint = "admin/reset_password")]
pub async fn reset_password(username: String, link: Option<String>) -> Result<(), ApiError> {
    use crate::server::password_links::{self, LinkError};
    use crate::server::{RequestContext, accounts, fail, internal, passwords};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let user = accounts::find_named(&ctx.db, &username)
        .await?
        .filter(|u| u.source == accounts::LOCAL)
        .ok_or_else(|| fail(ApiError::NotFound))?;
    let name = crate::domain::username::Username::parse(&user.username)
        .map_err(|_| fail(ApiError::NotFound))?;
    let page = format!("/admin/users/{name}");
    let now = chrono::Utc::now();
    let actor = Some(admin.name());
    if link.is_some() {
        let sent = password_links::send(&ctx.db, &ctx.config, &ctx.origin, actor, &name, now).await;
        return match sent {
            Ok(()) => answer(&page, Notice::LinkSent),
            Err(LinkError::NoMail) => answer(&page, Notice::NoMail),
            Err(LinkError::NoAddress) => answer(&page, Notice::NoAddress),
            Err(LinkError::Disabled) => answer(&page, Notice::UserDisabled),
            Err(error) => Err(internal(error)),
        };
    }
    let password = passwords::generate_password();
    let new = (password.clone(), None);
    accounts::set_password(&ctx.db, &ctx.origin, actor, &name, new, now)
        .await
        .map_err(internal)?;
    reveal(&ctx, name.as_str(), &password)?;
    answer(&page, Notice::PasswordChanged)
}

/// Whom a link to set a password is for (user name and name), while it
/// works; 409 with the reason once it has expired or was used.
#[server(endpoint = "password_link", input = GetUrl)]
pub async fn get_password_link(token: String) -> Result<(String, String), ApiError> {
    use crate::server::{RequestContext, fail, password_links};

    let ctx = RequestContext::current()?;
    match password_links::holder(&ctx.db, &token, chrono::Utc::now()).await? {
        Some(person) => Ok((person.username, person.display_name)),
        None => Err(fail(ApiError::Conflict(LINK_GONE.to_owned()))),
    }
}

/// What a link that no longer works says.
pub const LINK_GONE: &str = crate::i18n::en(
    "This link has expired or has been used already. Ask your administrator to send a new one.",
);

/// Sets a password with a link; the person then signs in with it. A
/// refusal goes back to the link's page with its reason only.
#[server(endpoint = "set_password")]
pub async fn set_password_with_link(#[server(flatten)] form: NewPassword) -> Result<(), ApiError> {
    use crate::server::password_links::{self, LinkError};
    use crate::server::{RequestContext, fail, internal};

    let ctx = RequestContext::current()?;
    let page = format!("/set-password/{}", form.token);
    match password_links::use_link(&ctx.db, &ctx.origin, form, chrono::Utc::now()).await {
        Ok(name) => {
            let (key, value) = Notice::PasswordSet.pair();
            let to = super::query(&[(key, value), ("username", name.as_str())]);
            super::redirect("/sign-in", &to);
            Ok(())
        }
        Err(LinkError::Refused(problem)) => answer(&page, Notice::PasswordRefused(problem)),
        Err(LinkError::Gone) => Err(fail(ApiError::Conflict(LINK_GONE.to_owned()))),
        Err(error) => Err(internal(error)),
    }
}

/// Disables a user (their sessions end; with `remove_devices`, their
/// devices are removed from the portal) or enables them again; the last
/// enabled administrator stays.
#[server(endpoint = "admin/set_user_enabled")]
pub async fn set_user_enabled(
    username: String,
    enabled: bool,
    #[server(default)] remove_devices: Option<String>,
) -> Result<(), ApiError> {
    use crate::server::accounts::{self, AccountError};
    use crate::server::{RequestContext, fail, internal};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let name = crate::domain::username::Username::parse(&username)
        .map_err(|_| fail(ApiError::NotFound))?;
    let page = format!("/admin/users/{name}");
    let now = chrono::Utc::now();
    let actor = Some(admin.name());
    let change = (!enabled, remove_devices.is_some());
    match accounts::set_disabled(&ctx.db, &ctx.origin, actor, &name, change, now).await {
        Ok(()) => answer(&page, Notice::Enabled(enabled)),
        Err(AccountError::NotFound(_)) => Err(fail(ApiError::NotFound)),
        Err(AccountError::LastAdministrator(_)) => answer(&page, Notice::LastAdmin),
        Err(error) => Err(internal(error)),
    }
}

/// The generated password of `username`, once, right after it was made.
#[server(endpoint = "admin/revealed_password", input = GetUrl)]
pub async fn revealed_password(username: String) -> Result<Option<String>, ApiError> {
    use crate::server::{RequestContext, cookie, handed_secret, set_cookie};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    let secure = ctx.config.secure_cookies;
    let Some(value) = handed_secret(&ctx, REVEAL_COOKIE) else {
        return Ok(None);
    };
    // User names have no dot; generated passwords neither.
    match value.split_once('.') {
        Some((name, password)) if name == username.trim().to_lowercase() => {
            set_cookie(cookie(REVEAL_COOKIE, None, secure));
            Ok(Some(password.to_owned()))
        }
        _ => Ok(None),
    }
}

/// Someone's devices, for an administrator.
#[server(endpoint = "admin/user_devices", input = GetUrl)]
pub async fn get_user_devices(username: String) -> Result<Vec<DeviceSummary>, ApiError> {
    use crate::server::{RequestContext, accounts, devices, fail};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    let user = accounts::find_named(&ctx.db, &username)
        .await?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    Ok(devices::list_for(&ctx.db, user.id).await?)
}

/// Removes someone's device from the portal, as an administrator (a lost
/// or stolen device, or one enrolled by someone else): its credential stops
/// working at once.
#[server(endpoint = "admin/remove_device")]
pub async fn remove_user_device(username: String, id: DeviceId) -> Result<(), ApiError> {
    use crate::server::{RequestContext, accounts, devices, fail};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let user = accounts::find_named(&ctx.db, &username)
        .await?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    let page = format!("/admin/users/{}#devices", user.username);
    let owner = Some(user.id);
    let now = chrono::Utc::now();
    devices::remove(&ctx.db, &ctx.origin, admin.name(), owner, id, now).await?;
    answer(&page, Notice::Removed)
}

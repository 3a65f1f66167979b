//! Signing in and out, and who the pages are shown to.
//!
//! Sign-in and sign-out are plain form posts that answer with a redirect,
//! with or without JavaScript: a new session means a fresh page.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use super::types::{ApiError, Me};

/// The signed-in user, or `None`.
#[server(endpoint = "whoami", input = GetUrl)]
pub async fn whoami() -> Result<Option<Me>, ApiError> {
    let ctx = crate::server::RequestContext::current()?;
    Ok(ctx.user.as_ref().map(|user| Me {
        username: user.username().to_string(),
        display_name: user.display_name().to_owned(),
        roles: user.roles().clone(),
        csrf_token: ctx.csrf.clone().unwrap_or_default(),
    }))
}

/// Checks the password, opens a session and goes to `next`; on failure goes
/// back to the sign-in page with the reason (the password is never echoed).
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    username: String,
    password: String,
    next: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::signin::safe_return_path;
    use crate::server::{RequestContext, auth, cookie, internal, passwords, set_cookie};

    let ctx = RequestContext::current()?;
    let next = safe_return_path(next.as_deref());
    match auth::sign_in(
        &ctx.db,
        &ctx.config.directory,
        &ctx.origin,
        &username,
        password,
        chrono::Utc::now(),
    )
    .await
    {
        Ok((_user, token)) => {
            if let Some(previous) = &ctx.user {
                auth::discard(&ctx.db, previous).await.map_err(internal)?;
            }
            let secure = ctx.config.secure_cookies;
            set_cookie(cookie(auth::SESSION_COOKIE, Some(&token), secure));
            // A new anti-forgery token for the new session.
            set_cookie(cookie(
                auth::CSRF_COOKIE,
                Some(&passwords::random_token()),
                secure,
            ));
            leptos_axum::redirect(&next);
            Ok(())
        }
        Err(auth::SignInError::Db(error)) => Err(internal(error)),
        Err(error) => {
            let (code, minutes) = match error {
                auth::SignInError::Locked { minutes } => ("locked", minutes),
                auth::SignInError::Denied(crate::domain::access::Denied::Disabled) => {
                    ("disabled", 0)
                }
                auth::SignInError::Denied(_) => ("no-access", 0),
                auth::SignInError::DirectoryUnavailable => ("directory-unavailable", 0),
                _ => ("invalid", 0),
            };
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("error", code)
                .append_pair("minutes", &minutes.to_string())
                .append_pair("username", username.trim())
                .append_pair("next", &next)
                .finish();
            leptos_axum::redirect(&format!("/sign-in?{query}"));
            Ok(())
        }
    }
}

/// Ends the session and goes to the sign-in page.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ApiError> {
    use crate::server::{RequestContext, auth, cookie, internal, passwords, set_cookie};

    let ctx = RequestContext::current()?;
    if let Some(user) = &ctx.user {
        auth::sign_out(&ctx.db, &ctx.origin, user, chrono::Utc::now())
            .await
            .map_err(internal)?;
    }
    let secure = ctx.config.secure_cookies;
    set_cookie(cookie(auth::SESSION_COOKIE, None, secure));
    // A registration's link and PIN not yet shown go too.
    set_cookie(cookie(super::registration::REVEAL_COOKIE, None, secure));
    set_cookie(cookie(
        auth::CSRF_COOKIE,
        Some(&passwords::random_token()),
        secure,
    ));
    leptos_axum::redirect("/sign-in?signed_out=1");
    Ok(())
}

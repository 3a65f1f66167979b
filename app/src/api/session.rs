//! Signing in and out, and who the pages are shown to.
//!
//! Sign-in and sign-out are plain form posts that answer with a redirect,
//! with or without JavaScript: a new session means a fresh page.

use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::notice::{Notice, answer};
use super::types::{ApiError, Me, SignInChoices};

/// The signed-in user, or `None`.
#[server(endpoint = "whoami", input = GetUrl)]
pub async fn whoami() -> Result<Option<Me>, ApiError> {
    let ctx = crate::server::RequestContext::current()?;
    Ok(ctx.user.as_ref().map(|user| Me {
        username: user.username().to_string(),
        display_name: user.display_name().to_owned(),
        roles: user.roles().clone(),
        csrf_token: ctx.csrf.clone(),
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
    use crate::server::{RequestContext, auth};

    let ctx = RequestContext::current()?;
    let next = safe_return_path(next.as_deref());
    let outcome = auth::sign_in(
        &ctx.db,
        &ctx.config.directory,
        &ctx.config.caches.settings(),
        &ctx.origin,
        &username,
        password,
        ctx.config.client_trust.get().is_some(),
        chrono::Utc::now(),
    )
    .await;
    signed_in(&ctx, "password", outcome, username.trim(), &next).await
}

/// Signs in with the certificate this browser presented (on the TLS
/// connection, or through the trusted proxy) and goes to `next`; on
/// failure goes back to the sign-in page with the reason.
#[server(endpoint = "sign_in_certificate")]
pub async fn sign_in_with_certificate(next: Option<String>) -> Result<(), ApiError> {
    use crate::domain::signin::safe_return_path;
    use crate::server::{RequestContext, auth};

    let ctx = RequestContext::current()?;
    let next = safe_return_path(next.as_deref());
    let trust = ctx.config.client_trust.get();
    let outcome = auth::sign_in_with_certificate(
        &ctx.db,
        &ctx.config.directory,
        &ctx.config.caches.settings(),
        &ctx.origin,
        trust.as_deref(),
        ctx.certificate.as_ref(),
        chrono::Utc::now(),
    )
    .await;
    signed_in(&ctx, "certificate", outcome, "", &next).await
}

/// After a sign-in: the new session's cookies and `next`, or the sign-in
/// page with the reason (and the user name typed, never the password).
#[cfg(feature = "ssr")]
async fn signed_in(
    ctx: &crate::server::RequestContext,
    method: &'static str,
    outcome: Result<(crate::server::auth::CurrentUser, String), crate::server::auth::SignInError>,
    username: &str,
    next: &str,
) -> Result<(), ApiError> {
    use crate::server::{auth, cookie, internal, metrics::metrics, passwords, set_cookie};

    let counted = match &outcome {
        Ok(_) => "success",
        Err(error) => error.problem().map_or("error", |p| p.code()),
    };
    metrics().sign_in(method, counted);
    match outcome {
        Ok((user, token)) => {
            // E-mails follow the language the person uses the portal in.
            crate::server::accounts::remember_language(&ctx.db, user.id(), ctx.lang).await?;
            if let Some(previous) = &ctx.user {
                auth::discard(&ctx.db, previous).await?;
            }
            let secure = ctx.config.secure_cookies;
            set_cookie(cookie(auth::SESSION_COOKIE, Some(&token), secure));
            // A new anti-forgery token for the new session.
            set_cookie(cookie(
                auth::CSRF_COOKIE,
                Some(&passwords::random_token()),
                secure,
            ));
            leptos_axum::redirect(next);
            Ok(())
        }
        Err(error) => {
            let Some(problem) = error.problem() else {
                return Err(internal(error));
            };
            let query = form_urlencoded::Serializer::new(String::new())
                .append_pair("error", problem.code())
                .append_pair("minutes", &problem.minutes().to_string())
                .append_pair("username", username)
                .append_pair("next", next)
                .finish();
            leptos_axum::redirect(&format!("/sign-in?{query}"));
            Ok(())
        }
    }
}

/// What the sign-in page offers: the methods the administrator allows,
/// and whether this browser presents a certificate.
#[server(endpoint = "sign_in_options", input = GetUrl)]
pub async fn sign_in_options() -> Result<SignInChoices, ApiError> {
    use crate::server::RequestContext;

    let ctx = RequestContext::current()?;
    let methods = ctx
        .config
        .caches
        .settings()
        .sign_in
        .effective(ctx.config.client_trust.get().is_some());
    Ok(SignInChoices {
        password: methods.password(),
        certificate: methods.certificate(),
        presented: presented_subject(&ctx),
    })
}

/// The subject of the certificate presented on this request.
#[cfg(feature = "ssr")]
pub(crate) fn presented_subject(ctx: &crate::server::RequestContext) -> Option<String> {
    let leaf = ctx.certificate.as_ref()?.0.first()?;
    crate::server::certificate_files::describe(leaf)
        .ok()
        .map(|info| info.subject)
}

/// Switches the portal's language (a cookie for a year, and the person's
/// e-mails when signed in) and goes back to `next`, the page it was
/// chosen on.
#[server(endpoint = "language")]
pub async fn set_language(lang: String, next: Option<String>) -> Result<(), ApiError> {
    use crate::domain::signin::safe_return_path;
    use crate::domain::text::TextEnum;
    use crate::i18n::{LANG_COOKIE, Lang};
    use crate::server::{RequestContext, accounts, fail, set_cookie};

    let ctx = RequestContext::current()?;
    let lang = Lang::parse(&lang).ok_or_else(|| fail(ApiError::BadRequest(String::new())))?;
    if let Some(user) = &ctx.user {
        accounts::remember_language(&ctx.db, user.id(), lang).await?;
    }
    let secure = if ctx.config.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    set_cookie(format!(
        "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax{secure}",
        lang.as_str()
    ));
    leptos_axum::redirect(&safe_return_path(next.as_deref()));
    Ok(())
}

/// Ends the session and goes to the sign-in page.
#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), ApiError> {
    use crate::server::{RequestContext, auth, cookie, passwords, set_cookie};

    let ctx = RequestContext::current()?;
    if let Some(user) = &ctx.user {
        auth::sign_out(&ctx.db, &ctx.origin, user, chrono::Utc::now()).await?;
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
    answer("/sign-in", Notice::SignedOut)
}

//! Registering a device, its enrollment page, and the administrator's
//! registration settings. The link and PIN of a fresh registration are
//! shown once: they travel from the form's answer to the enrollment page
//! in a short-lived cookie that the page clears, and are never stored.

use crate::domain::ids::DeviceId;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::notice::{Notice, answer};
use super::types::{ApiError, EnrollmentView, RegistrationOverview};
use crate::domain::registration::{RegisterInput, RegistrationSettings, SettingsInput};

/// The cookie that carries fresh secrets to the enrollment page.
#[cfg(feature = "ssr")]
pub const REVEAL_COOKIE: &str = "ssp_enroll";

#[server(endpoint = "registration/overview", input = GetUrl)]
pub async fn get_registration_overview() -> Result<RegistrationOverview, ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, registration};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::RegisterDevice)?;
    registration::overview(&ctx.db, &ctx.config, user, chrono::Utc::now())
        .await
        .map_err(ApiError::from)
}

/// Registers a device. A form that cannot be accepted goes back to the
/// page with what was typed (the page says why next to each field); at the
/// device limit the answer is 409.
#[server(endpoint = "registration/register")]
pub async fn register_device(#[server(flatten)] input: RegisterInput) -> Result<(), ApiError> {
    use super::refuse;
    use crate::domain::access::Action;
    use crate::server::{
        RequestContext,
        registration::{self, RegisterError},
    };

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::RegisterDevice)?;
    let page = "/devices/register";
    // The e-mail address is checked by the service, which knows it.
    let countries = ctx
        .config
        .caches
        .settings()
        .registration
        .sms_countries
        .clone();
    let Ok(form) = input.check(true, &countries) else {
        return refuse(page, &input, "1");
    };
    let now = chrono::Utc::now();
    let registered =
        registration::register(&ctx.db, &ctx.config, &ctx.origin, user, form, now).await;
    crate::server::metrics::metrics().registration(match &registered {
        Ok(_) => "accepted",
        Err(RegisterError::LimitReached { .. }) => "device_limit",
        Err(RegisterError::TooMany { .. }) => "daily_limit",
        Err(RegisterError::Internal(_)) => "error",
        Err(_) => "refused",
    });
    match registered {
        Ok(issued) => {
            reveal(&ctx, &issued)?;
            leptos_axum::redirect(&format!("/devices/{}/enroll", issued.device_id));
            Ok(())
        }
        Err(RegisterError::NoEmail | RegisterError::NoPhone) => refuse(page, &input, "1"),
        Err(error) => Err(error.into()),
    }
}

/// A new link (and PIN) for a Pending device; the old ones stop working.
#[server(endpoint = "registration/reissue")]
pub async fn reissue_registration(id: DeviceId) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, registration};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::RegisterDevice)?;
    let issued = registration::reissue(
        &ctx.db,
        &ctx.config.caches.settings().registration,
        &ctx.origin,
        user,
        id,
        chrono::Utc::now(),
    )
    .await?;
    reveal(&ctx, &issued)?;
    answer(&format!("/devices/{id}/enroll"), Notice::Reissued)
}

/// Withdraws the registration of a Pending device; it frees its slot.
#[server(endpoint = "registration/cancel")]
pub async fn cancel_registration(id: DeviceId) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, registration};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::RegisterDevice)?;
    registration::cancel(&ctx.db, &ctx.origin, user, id, chrono::Utc::now()).await?;
    answer("/", Notice::Cancelled(true))
}

/// Hands the fresh secrets to the enrollment page (sealed, for ten minutes
/// at most; cleared when the page shows them).
#[cfg(feature = "ssr")]
fn reveal(
    ctx: &crate::server::RequestContext,
    issued: &crate::server::registration::Issued,
) -> Result<(), ApiError> {
    let value = format!(
        "{}.{}.{}",
        issued.device_id,
        issued.token,
        issued.pin.as_deref().unwrap_or_default()
    );
    crate::server::hand_secret(ctx, REVEAL_COOKIE, &value)
}

/// The enrollment page of the user's device; right after registering it
/// also carries the link, its QR code and the PIN (once).
#[server(endpoint = "registration/enrollment", input = GetUrl)]
pub async fn get_enrollment(id: DeviceId) -> Result<EnrollmentView, ApiError> {
    use super::types::Revealed;
    use crate::domain::{access::Action, device::DeviceStatus};
    use crate::server::{
        RequestContext, cookie, fail, handed_secret,
        registration::{self, enrollment_url, qr_svg},
        set_cookie,
    };

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let mut view = registration::view(&ctx.db, user, id, chrono::Utc::now())
        .await?
        .ok_or_else(|| fail(ApiError::NotFound))?;
    if let Some(value) = handed_secret(&ctx, REVEAL_COOKIE) {
        let mut parts = value.splitn(3, '.');
        let (device, token, pin) = (parts.next(), parts.next(), parts.next());
        if device == Some(id.to_string().as_str()) {
            set_cookie(cookie(REVEAL_COOKIE, None, ctx.config.secure_cookies));
            if let Some(token) = token.filter(|_| view.status == DeviceStatus::Pending) {
                let url = enrollment_url(&ctx.config.public_url, token);
                view.revealed = Some(Revealed {
                    qr_svg: qr_svg(&url),
                    enrollment_url: url,
                    pin: pin.filter(|p| !p.is_empty()).map(str::to_owned),
                });
            }
        }
    }
    Ok(view)
}

#[server(endpoint = "admin/get_registration_settings", input = GetUrl)]
pub async fn get_registration_settings() -> Result<RegistrationSettings, ApiError> {
    use crate::server::{RequestContext, settings};

    let ctx = RequestContext::current()?;
    ctx.admin()?;
    settings::registration(&ctx.db)
        .await
        .map_err(ApiError::from)
}

/// Saves the registration settings; values out of range go back to the
/// page with what was typed.
#[server(endpoint = "admin/save_registration_settings")]
pub async fn save_registration_settings(
    #[server(flatten)] input: SettingsInput,
) -> Result<(), ApiError> {
    use super::refuse;
    use crate::server::{RequestContext, settings};

    let ctx = RequestContext::current()?;
    let admin = ctx.admin()?;
    let current = ctx.config.caches.settings().registration.clone();
    let Ok(checked) = input.check(&current) else {
        return refuse("/admin/registration", &input, "settings");
    };
    let now = chrono::Utc::now();
    settings::set_registration(&ctx.db, &ctx.origin, &admin, checked, now).await?;
    answer("/admin/registration", Notice::Saved)
}

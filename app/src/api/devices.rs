//! The signed-in user's devices: list, details, rename, and actions.
//! Every call is scoped to the caller's own devices (someone else's is 404).

use crate::domain::ids::{CommandId, DeviceId};
#[cfg(feature = "ssr")]
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use super::types::{ApiError, DeviceDetail, DeviceList};
use crate::domain::device::Progress;

pub const HISTORY_PER_PAGE: u64 = 20;

#[server(endpoint = "devices/list", input = GetUrl)]
pub async fn list_devices() -> Result<DeviceList, ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, devices};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let devices = devices::list_for(&ctx.db, user).await?;
    Ok(DeviceList {
        devices,
        now: chrono::Utc::now(),
    })
}

#[server(endpoint = "devices/detail", input = GetUrl)]
pub async fn get_device(id: DeviceId, page: u64) -> Result<DeviceDetail, ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, devices};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let detail = devices::detail(
        &ctx.db,
        &ctx.config.caches.catalogue(),
        user,
        id,
        page,
        HISTORY_PER_PAGE,
        chrono::Utc::now(),
    )
    .await?;
    Ok(detail)
}

/// Where the device and its latest commands stand: what the device page
/// follows, with JavaScript, while a command is on its way.
#[server(endpoint = "devices/progress", input = GetUrl)]
pub async fn device_progress(id: DeviceId) -> Result<Progress, ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, devices};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    Ok(devices::progress(&ctx.db, user, id).await?)
}

/// Renames the device; a name that is not acceptable goes back to the page
/// with what was typed, and the page shows why next to the field.
#[server(endpoint = "devices/rename")]
pub async fn rename_device(id: DeviceId, name: String) -> Result<(), ApiError> {
    use crate::domain::{access::Action, device::parse_device_name};
    use crate::server::{RequestContext, devices};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let page = format!("/devices/{id}");
    let Ok(valid) = parse_device_name(&name) else {
        let typed: String = form_urlencoded::byte_serialize(name.as_bytes()).collect();
        leptos_axum::redirect(&format!("{page}?name={typed}#rename"));
        return Ok(());
    };
    devices::rename(&ctx.db, &ctx.origin, user, id, valid, chrono::Utc::now()).await?;
    leptos_axum::redirect(&format!("{page}?renamed=1"));
    Ok(())
}

/// Asks the device to do `action`. Wipe and Retire need `confirm=yes`
/// (sent by the confirmation step); without it the user is taken there.
#[server(endpoint = "devices/action")]
pub async fn request_device_action(
    id: DeviceId,
    action: String,
    #[server(default)] message: Option<String>,
    #[server(default)] phone: Option<String>,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::{
        access::Action,
        device::{DeviceAction, parse_lock_message},
        phone::PhoneNumber,
    };
    use crate::server::{
        RequestContext,
        devices::{self, LockParams},
        fail,
    };

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let action = DeviceAction::parse(&action)
        .ok_or_else(|| fail(ApiError::BadRequest("unknown action".into())))?;
    let page = format!("/devices/{id}");
    if action.needs_confirmation() && confirm.as_deref() != Some("yes") {
        leptos_axum::redirect(&format!("{page}/confirm/{}", action.as_str()));
        return Ok(());
    }
    let mut params = LockParams::default();
    if action == DeviceAction::Lock {
        let message_text = message.unwrap_or_default();
        let phone_text = phone.unwrap_or_default();
        let message = parse_lock_message(&message_text);
        let phone = match phone_text.trim() {
            "" => Ok(None),
            text => PhoneNumber::parse(text).map(Some),
        };
        match (message, phone) {
            (Ok(message), Ok(phone)) => {
                params = LockParams {
                    message,
                    phone: phone.map(|p| p.to_string()),
                }
            }
            _ => {
                // Back to the form with what was typed; the page says why.
                let query = form_urlencoded::Serializer::new(String::new())
                    .append_pair("lock_message", &message_text)
                    .append_pair("lock_phone", &phone_text)
                    .finish();
                leptos_axum::redirect(&format!("{page}?{query}#lock"));
                return Ok(());
            }
        }
    }
    devices::request(
        &ctx.db,
        &ctx.config.caches,
        &ctx.origin,
        user,
        id,
        action,
        params,
        chrono::Utc::now(),
    )
    .await?;
    leptos_axum::redirect(&format!("{page}?requested={}", action.as_str()));
    Ok(())
}

/// Cancels a command the device has not picked up yet.
#[server(endpoint = "devices/cancel")]
pub async fn cancel_device_command(id: DeviceId, command: CommandId) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, devices};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    // Too late (false): the page shows where the command is now.
    let cancelled =
        devices::cancel(&ctx.db, &ctx.origin, user, id, command, chrono::Utc::now()).await?;
    leptos_axum::redirect(&format!("/devices/{id}?cancelled={}", u8::from(cancelled)));
    Ok(())
}

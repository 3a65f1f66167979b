//! The signed-in user's devices: list, details, rename, and actions.
//! Every call is scoped to the caller's own devices (someone else's is 404).

use crate::domain::ids::{CommandId, DeviceId};
#[cfg(feature = "ssr")]
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[cfg(feature = "ssr")]
use super::notice::{Notice, answer};
use super::types::{ApiError, DeviceDetail, DeviceList};
use crate::domain::device::{LockInput, Progress};

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
    answer(&page, Notice::Renamed)
}

/// Asks the device to do `action`. Wipe and Retire need `confirm=yes`
/// (sent by the confirmation step); without it the user is taken there.
#[server(endpoint = "devices/action")]
pub async fn request_device_action(
    id: DeviceId,
    action: String,
    #[server(default)] confirm: Option<String>,
    #[server(flatten)] lock: LockInput,
) -> Result<(), ApiError> {
    use super::refuse;
    use crate::domain::{access::Action, device::DeviceAction};
    use crate::server::{RequestContext, devices, fail};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let action = DeviceAction::parse(&action)
        .ok_or_else(|| fail(ApiError::BadRequest("unknown action".into())))?;
    let page = format!("/devices/{id}");
    if action.needs_confirmation() && confirm.as_deref() != Some("yes") {
        leptos_axum::redirect(&format!("{page}/confirm/{}", action.as_str()));
        return Ok(());
    }
    let params = match action {
        DeviceAction::Lock => match lock.check() {
            Ok(params) => params,
            Err(_) => return refuse(&format!("{page}#lock"), &lock, "lock"),
        },
        _ => Default::default(),
    };
    let now = chrono::Utc::now();
    devices::request(
        &ctx.db,
        &ctx.config.caches,
        &ctx.origin,
        user,
        id,
        action,
        params,
        now,
    )
    .await?;
    answer(&page, Notice::Requested(action))
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
    answer(&format!("/devices/{id}"), Notice::Cancelled(cancelled))
}

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
    let devices = devices::list_for(&ctx.db, user.id()).await?;
    Ok(DeviceList {
        devices,
        now: chrono::Utc::now(),
    })
}

/// The device page's contents; with `pin`, also the PIN of its latest PIN
/// reset, this once (only the device page itself asks for it).
#[server(endpoint = "devices/detail", input = GetUrl)]
pub async fn get_device(
    id: DeviceId,
    page: u64,
    #[server(default)] pin: bool,
) -> Result<DeviceDetail, ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, devices};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let catalogue = ctx.config.caches.catalogue();
    let detail = devices::detail(
        &ctx.db,
        (&catalogue, pin.then(|| ctx.config.directory.sealer())),
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
/// (sent by the confirmation step; without it the user is taken there)
/// and, when the person last proved who they are more than five minutes
/// ago, their `password` (or the certificate on this request, for a
/// session opened with one): refused, they are back at the confirmation
/// step with the reason.
#[server(endpoint = "devices/action")]
pub async fn request_device_action(
    id: DeviceId,
    action: String,
    #[server(default)] confirm: Option<String>,
    #[server(default)] password: Option<String>,
    #[server(flatten)] lock: LockInput,
) -> Result<(), ApiError> {
    use super::refuse;
    use crate::domain::access::Action;
    use crate::domain::device::{DeviceAction, proof_needed};
    use crate::server::{RequestContext, auth, devices, fail};

    let ctx = RequestContext::current()?;
    let user = ctx.allowed(Action::UsePortal)?;
    let action = DeviceAction::parse(&action)
        .ok_or_else(|| fail(ApiError::BadRequest("unknown action".into())))?;
    let page = format!("/devices/{id}");
    let confirm_page = format!("{page}/confirm/{}", action.as_str());
    if action.needs_confirmation() && confirm.as_deref() != Some("yes") {
        leptos_axum::redirect(&confirm_page);
        return Ok(());
    }
    let now = chrono::Utc::now();
    // Wipe and Retire: who asks proves it is them, if not recently (and
    // if they have the role at all: without it, the request is refused).
    if proof_needed(action, user.proved_at(), now) && user.may(action.permission()).is_ok() {
        let settings = ctx.config.caches.settings();
        let certificate = (ctx.config.client_trust.get(), ctx.certificate.as_ref());
        let proved = auth::prove_again(
            &ctx.db,
            &ctx.config.directory,
            &settings,
            &ctx.origin,
            user,
            password.unwrap_or_default(),
            (certificate.0.as_deref(), certificate.1),
            now,
        )
        .await;
        if let Err(refused) = proved {
            let Some(problem) = refused.problem() else {
                return Err(crate::server::internal(refused));
            };
            let minutes = problem.minutes().to_string();
            let query = super::query(&[("refused", problem.code()), ("minutes", &minutes)]);
            super::redirect(&format!("{confirm_page}#proof"), &query);
            return Ok(());
        }
    }
    let params = match action {
        DeviceAction::Lock => match lock.check() {
            Ok(params) => params,
            Err(_) => return refuse(&format!("{page}#lock"), &lock, "lock"),
        },
        _ => Default::default(),
    };
    devices::request(
        &ctx.db,
        &ctx.config,
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

/// Removes the caller's device from the portal (lost, stolen, or never to
/// check in again): its credential stops working at once and its slot is
/// freed. Asks for a ticked confirmation; without one, the page says so.
#[server(endpoint = "devices/remove")]
pub async fn remove_device(
    id: DeviceId,
    #[server(default)] confirm: Option<String>,
) -> Result<(), ApiError> {
    use crate::domain::access::Action;
    use crate::server::{RequestContext, devices};

    let ctx = RequestContext::current()?;
    // Taking a device out of management is Retire's role.
    let user = ctx.allowed(Action::Retire)?;
    let page = format!("/devices/{id}#remove");
    if confirm.is_none() {
        return answer(&page, Notice::Unconfirmed);
    }
    let (name, owner) = (user.username().as_str(), Some(user.id()));
    let now = chrono::Utc::now();
    devices::remove(&ctx.db, &ctx.origin, name, owner, id, now).await?;
    answer(&format!("/devices/{id}"), Notice::Removed)
}

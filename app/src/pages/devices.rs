//! "My devices": the signed-in user's devices with status and last
//! check-in; with none yet, how to get one into the portal. Also what the
//! user may do.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::devices::list_devices;
use crate::api::notice::{Notice, notice};
use crate::api::types::{DeviceSummary, Me};
use crate::components::layout::use_me;
use crate::components::status::{StatusBadge, loaded};
use crate::domain::device::ago;
use crate::domain::role::Role;
use crate::i18n::{t, tf, tt};

#[component]
pub fn MyDevicesPage() -> impl IntoView {
    let cancelled = notice() == Some(Notice::Cancelled(true));
    let me = use_me();
    let may_register = me
        .as_ref()
        .is_some_and(|me| me.has(Role::DeviceRegistration));
    view! {
        <Title text=t("My devices") />
        <div class="page-head">
            <h1>{t("My devices")}</h1>
            {may_register.then(|| view! { <a class="button" href="/devices/register">{t("Register a device")}</a> })}
        </div>
        {cancelled.then(|| view! { <p class="notice ok" role="status">{t("Registration cancelled.")}</p> })}
        {loaded(
            list_devices(),
            |list| {
                if list.devices.is_empty() {
                    return view! { <NoDevices /> }.into_any();
                }
                let now = list.now;
                view! {
                    <ul class="device-list">
                        {list
                            .devices
                            .into_iter()
                            .map(|d| view! { <DeviceCard device=d now /> })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            },
        )}
        {me.map(|me| view! { <YourRoles me /> })}
    }
}

/// One device in the list.
#[component]
fn DeviceCard(device: DeviceSummary, now: chrono::DateTime<chrono::Utc>) -> impl IntoView {
    let checkin = match device.last_checkin_at {
        Some(at) => tf("Last check-in {ago}", &[("ago", &tt(&ago(at, now)))]),
        None => t("Not checked in yet").to_owned(),
    };
    view! {
        <li class="card device">
            <div class="device-head">
                <h2>
                    <a href=format!("/devices/{}", device.id)>{device.display_name.clone()}</a>
                </h2>
                <StatusBadge status=device.status lock=device.lock />
            </div>
            <p class="muted">
                {format!(
                    "{} · {} {} · {}",
                    tt(device.platform.label()),
                    device.manufacturer,
                    device.model,
                    tt(device.ownership.label()),
                )}
            </p>
            <p>{checkin}</p>
        </li>
    }
}

/// What to do when there is no device yet.
#[component]
fn NoDevices() -> impl IntoView {
    view! {
        <section class="empty-state" aria-labelledby="no-devices">
            <h2 id="no-devices">{t("You have no devices yet")}</h2>
            <p>
                {t(
                    "Devices you register appear here, with their status and the actions you may take: lock, locate, wipe or retire.",
                )}
            </p>
            <ol class="steps">
                <li>{t("Choose “Register a device” and pick the device's platform.")}</li>
                <li>{t("Open the invitation on the device, or scan the QR code shown in the portal.")}</li>
                <li>{t("Enter the registration PIN if the device asks for one.")}</li>
            </ol>
            <p class="muted">
                {t("If you cannot register a device yourself, your IT helpdesk can give you the right to do so.")}
            </p>
        </section>
    }
}

/// What the signed-in user may do, from the roles an administrator gave them.
#[component]
fn YourRoles(me: Me) -> impl IntoView {
    let roles: Vec<Role> = me
        .roles
        .iter()
        .filter(|r| *r != Role::PortalAccess)
        .collect();
    view! {
        <section class="card" aria-labelledby="your-roles">
            <h2 id="your-roles">{t("What you can do")}</h2>
            {if roles.is_empty() {
                view! {
                    <p>
                        {t("You can see your devices and their history. Ask your IT helpdesk if you need to do more.")}
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <ul class="roles-list">
                        {roles
                            .into_iter()
                            .map(|r| {
                                view! {
                                    <li>
                                        <strong>{tt(r.label())}</strong>
                                        ": "
                                        {tt(r.for_you())}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
    }
}

//! Admin → Users → one user: their details and a checkbox per role.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::RoleChecks;
use crate::api::account::{
    EndUserSessions, RemoveUserDevice, ResetPassword, SetUserEnabled, get_user_devices,
    get_user_sessions, revealed_password,
};
use crate::api::admin::{SaveUserRoles, get_user};
use crate::api::notice::{Notice, notice};
use crate::api::types::DeviceSummary;
use crate::components::form::PostForm;
use crate::components::status::{Saved, loaded};
use crate::components::table::DataTable;
use crate::i18n::{en, t, tf, tt};
use crate::pages::account::Sessions;

const DEVICE_HEADINGS: &[&str] = &[en("Device"), en("Platform"), en("Status"), en("Action")];

/// Where an account comes from, in the request's language.
fn source_label(source: &str) -> String {
    match source {
        "local" => t("local").to_owned(),
        "directory" => t("directory").to_owned(),
        other => other.to_owned(),
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let username = move || params.with_untracked(|p| p.get("username").unwrap_or_default());
    // Read once, here: a closure rendered later (after the user is
    // loaded) may run where the router, and so the address, is out of reach.
    let notice = notice();
    let saved = notice == Some(Notice::Saved);
    let last_admin = notice == Some(Notice::LastAdmin);

    view! {
        <Title text=t("User") />
        <p>
            <a href="/admin/users">{t("← All users")}</a>
        </p>
        {loaded(get_user(username()), move |user| {
                            let roles = user.roles.clone();
                            let local = (user.source == "local").then(|| user.username.clone());
                            let for_access = user.username.clone();
                            let disabled = user.disabled;
                            view! {
                                <h1>{user.display_name.clone()}</h1>
                                <dl class="facts">
                                    <dt>{t("User name")}</dt>
                                    <dd>{user.username.clone()}</dd>
                                    <dt>{t("E-mail")}</dt>
                                    <dd>{user.email.clone()}</dd>
                                    <dt>{t("Mobile number")}</dt>
                                    <dd>{user.phone.clone().unwrap_or_default()}</dd>
                                    <dt>{t("Source")}</dt>
                                    <dd>{source_label(&user.source)}</dd>
                                    <dt>{t("Status")}</dt>
                                    <dd>{if user.disabled { t("Disabled") } else { t("Enabled") }}</dd>
                                    {(!user.group_roles.is_empty())
                                        .then(|| {
                                            let names: Vec<String> = user
                                                .group_roles
                                                .iter()
                                                .map(|r| tt(r.label()))
                                                .collect();
                                            view! {
                                                <dt>{t("From directory groups")}</dt>
                                                <dd>{names.join(", ")}</dd>
                                            }
                                        })}
                                </dl>
                                {saved.then(|| view! { <Saved text=t("Roles saved.") /> })}
                                {last_admin
                                        .then(|| {
                                            view! {
                                                <p class="notice error" role="alert">
                                                    {t(
                                                        "This is the last enabled administrator: give another user the Administrator role first.",
                                                    )}
                                                </p>
                                            }
                                        })}
                                <PostForm to=SaveUserRoles::url()>
                                    <input type="hidden" name="username" value=user.username.clone() />
                                    <RoleChecks legend=t("Roles") prefix=String::new() checked=roles />
                                    <button type="submit">{t("Save roles")}</button>
                                </PostForm>
                                <section aria-labelledby="access">
                                    <h2 id="access">{t("Access")}</h2>
                                    {match notice {
                                        Some(Notice::Enabled(true)) => Some(view! { <Saved text=t("User enabled.") /> }.into_any()),
                                        Some(Notice::Enabled(false)) => Some(view! { <Saved text=t("User disabled and signed out everywhere.") /> }.into_any()),
                                        Some(Notice::PasswordChanged) => Some(view! { <Saved text=t("Password reset; their sessions ended.") /> }.into_any()),
                                        Some(Notice::LinkSent) => Some(view! { <Saved text=t("A link to set their password is on its way to their e-mail address.") /> }.into_any()),
                                        Some(Notice::NoMail) => Some(view! { <p class="notice error" role="alert">{t("The portal has no mail server set up (smtp_host in its configuration): reset with a password shown once instead.")}</p> }.into_any()),
                                        Some(Notice::UserDisabled) => Some(view! { <p class="notice error" role="alert">{t("This user is disabled: enable them first, then send the link.")}</p> }.into_any()),
                                        Some(Notice::NoAddress) => Some(view! { <p class="notice error" role="alert">{t("This user has no e-mail address: reset with a password shown once instead.")}</p> }.into_any()),
                                        _ => None,
                                    }}
                                    {local.map(|username| view! { <Password username /> })}
                                    <PostForm to=SetUserEnabled::url()>
                                        <input type="hidden" name="username" value=for_access />
                                        <input type="hidden" name="enabled" value=disabled.to_string() />
                                        <p class="help">
                                            {if disabled {
                                                t("Disabled: they cannot sign in, and their devices get nothing from the portal.")
                                            } else {
                                                t(
                                                    "Disabling signs them out everywhere and keeps them out until enabled again; their devices get nothing from the portal meanwhile (a Wipe or Retire already asked for still goes out).",
                                                )
                                            }}
                                        </p>
                                        {(!disabled)
                                            .then(|| {
                                                view! {
                                                    <div class="check">
                                                        <input type="checkbox" id="remove-devices" name="remove_devices" value="yes" />
                                                        <label for="remove-devices">{t("Also remove their devices from the portal for good")}</label>
                                                    </div>
                                                }
                                            })}
                                        <button type="submit">{if disabled { t("Enable user") } else { t("Disable user") }}</button>
                                    </PostForm>
                                </section>
                            }
                                .into_any()
                        })}
        <section aria-labelledby="devices">
            <h2 id="devices">{t("Devices")}</h2>
            {(notice == Some(Notice::Removed)).then(|| view! { <Saved text=t("Device removed from the portal.") /> })}
            {loaded(get_user_devices(username()), move |devices| view! { <UserDevices username=username() devices /> })}
        </section>
        <section aria-labelledby="sessions">
            <h2 id="sessions">{t("Sessions")}</h2>
            {(notice == Some(Notice::SessionsEnded)).then(|| view! { <Saved text=t("Sessions ended.") /> })}
            {loaded(get_user_sessions(username()), move |sessions| {
                let name = username();
                view! {
                    <Sessions sessions end=EndUserSessions::url() username=Some(name.clone()) />
                    <PostForm to=EndUserSessions::url()>
                        <input type="hidden" name="username" value=name />
                        <button type="submit">{t("End all their sessions")}</button>
                    </PostForm>
                }
                    .into_any()
            })}
        </section>
    }
}

/// A local user's password: the one the portal just made (shown once),
/// and a button that makes a new one.
#[component]
fn Password(username: String) -> impl IntoView {
    let (name, for_link) = (username.clone(), username.clone());
    view! {
        {loaded(revealed_password(username.clone()), |password| {
            password
                .map(|password| {
                    view! {
                        <p class="notice" role="status">
                            {t("Their password (shown once, give it to them safely): ")}
                            <strong id="revealed-password" class="pin">{password}</strong>
                        </p>
                    }
                })
                .into_any()
        })}
        <PostForm to=ResetPassword::url()>
            <input type="hidden" name="username" value=name.clone() />
            <p class="help">{t("A new password made by the portal, shown once; their sessions end.")}</p>
            <button type="submit">{t("Reset password")}</button>
        </PostForm>
        <PostForm to=ResetPassword::url()>
            <input type="hidden" name="username" value=for_link />
            <input type="hidden" name="link" value="1" />
            <p class="help">
                {t(
                    "Or a link by e-mail to set a password themselves: their password and sessions stay until they use it.",
                )}
            </p>
            <button type="submit">{t("E-mail a link to set a password")}</button>
        </PostForm>
    }
}

/// A person's devices; an enrolled one can be removed from the portal.
#[component]
fn UserDevices(username: String, devices: Vec<DeviceSummary>) -> impl IntoView {
    if devices.is_empty() {
        return view! { <p class="muted">{t("No devices.")}</p> }.into_any();
    }
    view! {
        <DataTable label=t("Devices") headings=DEVICE_HEADINGS>
            {devices
                .into_iter()
                .map(|device| {
                    let active = device.status == crate::domain::device::DeviceStatus::Active;
                    let name = username.clone();
                    view! {
                        <tr>
                            <td>{device.display_name.clone()}</td>
                            <td>{tt(device.platform.label())}</td>
                            <td>{tt(device.status.label())}</td>
                            <td>
                                {active
                                    .then(|| {
                                        view! {
                                            <PostForm to=RemoveUserDevice::url()>
                                                <input type="hidden" name="username" value=name />
                                                <input type="hidden" name="id" value=device.id.to_string() />
                                                <button type="submit" class="danger" aria-label=tf("Remove {device} from the portal", &[("device", &device.display_name)])>
                                                    {t("Remove from the portal")}
                                                </button>
                                            </PostForm>
                                        }
                                    })}
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
        .into_any()
}

//! Admin → Registration: how devices prove they were invited, the PIN's
//! length and validity, the per-user device limit, how many registrations
//! a person may make in a day, and where text messages may go.

use crate::api::notice::{Notice, notice};
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::directory::{DeleteGroupLimit, SaveGroupLimit, get_group_limits};
use crate::api::registration::{SaveRegistrationSettings, get_registration_settings};
use crate::api::types::GroupLimits;
use crate::components::field::Field;
use crate::components::form::{PostForm, refused};
use crate::components::status::{Saved, loaded};
use crate::components::table::DataTable;
use crate::domain::registration::{DeviceLimit, GroupLimitInput, RegistrationMode, SettingsInput};
use crate::i18n::{en, t, tf, tt};

const HEADINGS: &[&str] = &[en("Group"), en("Directory"), en("Devices"), en("Actions")];

#[component]
pub fn RegistrationSettingsPage() -> impl IntoView {
    // A refused form comes back with what was typed.
    let typed = refused::<SettingsInput>()
        .filter(|(_, form)| form == "settings")
        .map(|(typed, _)| typed);
    view! {
        <Title text=t("Registration settings") />
        <h1>{t("Registration")}</h1>
        {loaded(get_registration_settings(), move |current| {
                            let saved = notice() == Some(Notice::Saved);
                            let errors = typed
                                .as_ref()
                                .and_then(|t| t.check(&current).err().map(|e| *e))
                                .unwrap_or_default();
                            let SettingsInput {
                                mode,
                                pin_length,
                                pin_validity_hours: validity,
                                device_limit: limit,
                                precedence,
                                per_day,
                                sms_countries,
                            } = typed.clone().unwrap_or_else(|| SettingsInput::of(&current));
                            let groups_first = precedence
                                .map(|p| p != "global")
                                .unwrap_or(current.group_limits_first);
                            view! {
                                {saved.then(|| view! { <Saved text=t("Registration settings saved.") /> })}
                                <PostForm to=SaveRegistrationSettings::url()>
                                    <fieldset>
                                        <legend>{t("What a device needs to enroll")}</legend>
                                        {RegistrationMode::ALL
                                            .iter()
                                            .copied()
                                            .map(|m| {
                                                let id = format!("mode-{}", m.as_str());
                                                let label_for = id.clone();
                                                view! {
                                                    <label class="choice" for=label_for>
                                                        <input type="radio" id=id name="mode" value=m.as_str() checked=mode == m.as_str() />
                                                        {tt(m.label())}
                                                    </label>
                                                }
                                            })
                                            .collect_view()}
                                        <p class="help">
                                            {t(
                                                "With a PIN, people see it once after registering and can reset it in the portal. A PIN is issued even if the device's platform does not ask for it.",
                                            )}
                                        </p>
                                    </fieldset>
                                    <Field kind="number"
                                        id="pin_length"
                                        label=t("PIN length (digits)")
                                        help=t("From 6 to 12 digits.")
                                        value=pin_length
                                        error=errors.pin_length.map(|e| tt(&e))
                                    />
                                    <Field kind="number"
                                        id="pin_validity_hours"
                                        label=t("Registration valid for (hours)")
                                        help=t("From 1 to 720 hours; a registration not used in time expires and frees its slot.")
                                        value=validity
                                        error=errors.pin_validity_hours.map(|e| tt(&e))
                                    />
                                    <Field kind="number"
                                        id="device_limit"
                                        label=t("Devices per person")
                                        help=t("From 1 to 50; leave empty for no limit. Pending and active devices count.")
                                        value=limit
                                        error=errors.device_limit.map(|e| tt(&e))
                                    />
                                    <fieldset>
                                        <legend>{t("When a person is in a directory group with a limit")}</legend>
                                        <label class="choice" for="precedence-groups">
                                            <input type="radio" id="precedence-groups" name="precedence" value="groups" checked=groups_first />
                                            {t("The group's limit applies (the highest, if several)")}
                                        </label>
                                        <label class="choice" for="precedence-global">
                                            <input type="radio" id="precedence-global" name="precedence" value="global" checked=!groups_first />
                                            {t("The global limit above applies to everyone")}
                                        </label>
                                    </fieldset>
                                    <Field kind="number"
                                        id="per_day"
                                        label=t("Registrations per person per day")
                                        help=t("From 1 to 1000. Each registration can send a text message; cancelled registrations count too.")
                                        value=per_day.unwrap_or_default()
                                        error=errors.per_day.map(|e| tt(&e))
                                    />
                                    <Field
                                        id="sms_countries"
                                        label=t("Text messages only to these country codes")
                                        help=t("For example +44, +49. Leave empty to allow any number.")
                                        value=sms_countries.unwrap_or_default()
                                        error=errors.sms_countries.map(|e| tt(&e))
                                    />
                                    <button type="submit">{t("Save registration settings")}</button>
                                </PostForm>
                            }
                                .into_any()
                        })}
        <GroupLimitsSection />
    }
}

/// The table of directory group limits, with Add, Copy, Edit and Delete
/// (links and plain forms: it all works without JavaScript).
#[component]
fn GroupLimitsSection() -> impl IntoView {
    view! {
        <section id="group-limits">
            <h2>{t("Directory group limits")}</h2>
            <p class="help">
                {t(
                    "Members of these LDAP groups may have this many pending and active devices. Groups are read from the directory when a person registers a device.",
                )}
            </p>
            {loaded(get_group_limits(), |limits| view! { <GroupLimitsTable limits /> })}
        </section>
    }
}

#[component]
fn GroupLimitsTable(limits: GroupLimits) -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &str| query.with_untracked(|q| q.get(key));
    // A refused form comes back with what was typed and a code saying why.
    let (typed, code) = refused::<GroupLimitInput>()
        .filter(|(_, code)| code.starts_with("limit-"))
        .unzip();
    let editing = typed
        .as_ref()
        .and_then(|t| t.id)
        .or_else(|| get("edit_limit").and_then(|id| id.parse::<i32>().ok()))
        .and_then(|id| limits.rows.iter().find(|r| r.id == id).cloned());
    let copied = get("copy_limit")
        .and_then(|id| id.parse::<i32>().ok())
        .and_then(|id| limits.rows.iter().find(|r| r.id == id).cloned());
    let basis = editing.clone().or(copied.clone());
    let chosen = typed.as_ref().map(|t| t.group.clone()).unwrap_or_else(|| {
        basis
            .as_ref()
            .map(|r| format!("{}|{}", r.server_id, r.group_dn))
            .unwrap_or_default()
    });
    let value = typed.map(|t| t.limit).unwrap_or_else(|| {
        basis
            .as_ref()
            .map(|r| r.limit.to_string())
            .unwrap_or_default()
    });
    let code = code.unwrap_or_default();
    let group_error = match code.as_str() {
        "limit-group" => Some(t("Choose a group.").to_owned()),
        "limit-taken" => {
            Some(t("That group has a limit already: edit it in the table.").to_owned())
        }
        _ => None,
    };
    let limit_error = (code == "limit-range").then(|| {
        DeviceLimit::parse(&value)
            .err()
            .map(|e| tt(&e))
            .unwrap_or_else(|| t("Enter a limit from 1 to 50.").to_owned())
    });
    let mut choices = limits.groups.choices.clone();
    // The group being edited stays pickable when its directory cannot be read.
    if let Some(row) = &editing {
        let value = format!("{}|{}", row.server_id, row.group_dn);
        if !choices.iter().any(|c| c.value == value) {
            choices.insert(
                0,
                crate::api::types::GroupChoice {
                    value,
                    label: format!("{}: {}", row.server_name, row.group_name),
                },
            );
        }
    }
    let no_groups = choices.is_empty();
    let saved = matches!(notice(), Some(Notice::LimitSaved | Notice::LimitDeleted));
    view! {
        {saved.then(|| view! { <Saved text=t("Group limits saved.") /> })}
        {limits
            .groups
            .unreadable
            .clone()
            .into_iter()
            .map(|why| {
                view! {
                    <p class="notice error" role="alert">
                        {tf("Groups could not be read from {why}", &[("why", &tt(&why))])}
                    </p>
                }
            })
            .collect_view()}
        {if limits.rows.is_empty() {
            view! { <p>{t("No group has a limit: the global limit applies to everyone.")}</p> }.into_any()
        } else {
            view! {
                <DataTable label=t("Device limits by group") headings=HEADINGS class="group-limits">
                    {limits
                        .rows
                        .clone()
                        .into_iter()
                        .map(|row| {
                            let id = row.id;
                            view! {
                                <tr>
                                    <td title=row.group_dn.clone()>{row.group_name.clone()}</td>
                                    <td>{row.server_name.clone()}</td>
                                    <td>{row.limit}</td>
                                    <td class="row-actions">
                                        <a href=format!("/admin/registration?edit_limit={id}#group-limits")>
                                            {t("Edit")}
                                            <span class="visually-hidden">{format!(" {}", row.group_name)}</span>
                                        </a>
                                        <a href=format!("/admin/registration?copy_limit={id}#group-limits")>
                                            {t("Copy")}
                                            <span class="visually-hidden">{format!(" {}", row.group_name)}</span>
                                        </a>
                                        <PostForm to=DeleteGroupLimit::url()>
                                            <input type="hidden" name="id" value=id />
                                            <button type="submit" class="link-button danger-text">
                                                {t("Delete")}
                                                <span class="visually-hidden">{format!(" {}", row.group_name)}</span>
                                            </button>
                                        </PostForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
            }
                .into_any()
        }}
        <PostForm to=SaveGroupLimit::url() class="group-limit-form">
            <h3>
                {match (&editing, &copied) {
                    (Some(row), _) => tf("Edit the limit of {group}", &[("group", &row.group_name)]),
                    (None, Some(row)) => {
                        tf("Copy the limit of {group} to another group", &[("group", &row.group_name)])
                    }
                    (None, None) => t("Add a group limit").to_owned(),
                }}
            </h3>
            {editing.as_ref().map(|row| view! { <input type="hidden" name="id" value=row.id /> })}
            <div class="field">
                <label for="limit-group">{t("Group")}</label>
                <select
                    id="limit-group"
                    name="group"
                    aria-invalid=group_error.is_some().to_string()
                    aria-describedby="limit-group-message"
                    disabled=no_groups
                >
                    <option value="">{t("Choose a group…")}</option>
                    {choices
                        .into_iter()
                        .map(|c| {
                            let selected = c.value == chosen;
                            view! { <option value=c.value selected=selected>{c.label}</option> }
                        })
                        .collect_view()}
                </select>
                <p id="limit-group-message" class="field-message">
                    {if no_groups {
                        Some(view! { <span class="hint">{t("No groups to choose from: add an LDAP server under Admin → LDAP first.")}</span> }.into_any())
                    } else {
                        group_error.map(|e| view! { <span class="error">{e}</span> }.into_any())
                    }}
                </p>
            </div>
            <Field id="limit" label=t("Devices per member") help=t("From 1 to 50.") kind="number" value=value error=limit_error />
            <button type="submit" disabled=no_groups>
                {if editing.is_some() { t("Save group limit") } else { t("Add group limit") }}
            </button>
            {(editing.is_some() || copied.is_some())
                .then(|| view! { <a class="cancel" href="/admin/registration#group-limits">{t("Cancel")}</a> })}
        </PostForm>
    }
}

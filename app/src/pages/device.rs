//! One device: its details, what the user may ask of it now, the commands
//! on their way and the device's history. Wipe and Retire go through a
//! confirmation page that names the device and says what will happen (with
//! JavaScript, the same in a dialog). While a command is on its way, the
//! page follows the device (an island).

use crate::api::notice::{Notice, notice};
use crate::domain::ids::DeviceId;
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::catalogue::{ConfigurationState, DeviceConfiguration};
use crate::api::devices::{
    CancelDeviceCommand, RemoveDevice, RenameDevice, RequestDeviceAction, get_device,
};
use crate::api::types::{ActionOption, CommandView, DeviceDetail};
use crate::components::field::Field;
use crate::components::form::{PostForm, refused};
use crate::components::status::{StatusBadge, loaded};
use crate::domain::device::{
    CommandState, DeviceAction, LockErrors, LockInput, Progress, ago, at_minute, parse_device_name,
    time_left,
};
use crate::domain::{certificate_sign_in::Proof, signin::SignInProblem};
use crate::islands::{ConfirmDialog, FollowDevice, IslandScripts};

/// What really happened to a command, in words (`now`: the server's).
fn command_text(command: &CommandView, now: chrono::DateTime<chrono::Utc>) -> String {
    let what = command.action.label();
    let asked = format!("{what} requested {}", at_minute(command.requested_at));
    let held = command
        .hold_until
        .and_then(|until| time_left(until, now).map(|left| (until, left)));
    match command.state {
        CommandState::Queued => match held {
            Some((until, left)) => format!(
                "{asked}; it goes out to the device at {} ({left}): until then you can cancel it.",
                at_minute(until)
            ),
            None => format!("{asked}, waiting for the device to check in."),
        },
        CommandState::Sent => format!(
            "{asked}; the device picked it up {}, waiting for its answer.",
            command.sent_at.map(at_minute).unwrap_or_default()
        ),
        CommandState::Acknowledged => format!(
            "{asked}; done {}.",
            command.completed_at.map(at_minute).unwrap_or_default()
        ),
        CommandState::Failed => format!(
            "{asked}; the device could not do it: {}.",
            command
                .error
                .clone()
                .unwrap_or_else(|| "no reason given".to_owned())
        ),
        CommandState::Cancelled => match &command.error {
            // Withheld at check-in: the device's policies rule it out now.
            Some(reason) => format!("{asked}; not sent: {reason}"),
            None => format!("{asked}; cancelled."),
        },
        CommandState::Expired => format!("{asked}; the device did not answer in time."),
    }
}

#[component]
pub fn DevicePage() -> impl IntoView {
    let id = use_params_map().with_untracked(|p| {
        p.get("id")
            .and_then(|v| v.parse::<DeviceId>().ok())
            .unwrap_or(DeviceId(0))
    });
    let page = use_query_map().with_untracked(|q| {
        q.get("page")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(1)
    });
    view! {
        <Title text="Device" />
        <p>
            <a href="/">"← My devices"</a>
        </p>
        {loaded(get_device(id, page, true), |d| view! { <DeviceView d /> })}
    }
}

#[component]
fn DeviceView(d: DeviceDetail) -> impl IntoView {
    let s = d.summary.clone();
    let id = s.id;
    let now = d.now;
    let prove_with = d.prove_with;
    // Seconds until the first held Wipe or Retire may go out (0: none).
    let wait = d
        .commands
        .iter()
        .filter(|c| c.state == CommandState::Queued)
        .filter_map(|c| c.hold_until)
        .map(|until| (until - now).num_seconds())
        .filter(|seconds| *seconds > 0)
        .min()
        .map_or(0, |seconds| u32::try_from(seconds).unwrap_or(u32::MAX));
    let notice = notice();
    // "Lock requested" while the lock is on its way; once the device has
    // reported it, the page says so below and the notice goes.
    let requested = match notice {
        Some(Notice::Requested(action)) => Some(action),
        _ => None,
    }
    .filter(|action| {
        d.commands
            .iter()
            .any(|c| c.action == *action && c.state.in_flight())
    });
    let renamed = notice == Some(Notice::Renamed);
    let in_flight: Vec<CommandView> = d
        .commands
        .iter()
        .filter(|c| c.state.in_flight())
        .cloned()
        .collect();
    let recent: Vec<CommandView> = d
        .commands
        .iter()
        .filter(|c| !c.state.in_flight())
        .take(5)
        .cloned()
        .collect();
    let checkin = s
        .last_checkin_at
        .map(|at| format!("{} ({})", ago(at, now), at_minute(at)))
        .unwrap_or_else(|| "Not yet".to_owned());
    let location = d.location.clone();
    // Removing from the portal takes the Retire role, as Retire does.
    let may_retire = d.actions.iter().any(|a| a.action == DeviceAction::Retire);
    let progress = Progress::of(s.status, s.lock, d.commands.iter().map(|c| (c.id, c.state)));

    view! {
        <Title text=s.display_name.clone() />
        <div class="device-head">
            <h1>{s.display_name.clone()}</h1>
            <StatusBadge status=s.status lock=s.lock />
        </div>
        {(s.status == crate::domain::device::DeviceStatus::Pending).then(|| view! {
            <p class="notice" id="pending-notice">
                "This device has not enrolled yet. "
                <a href=format!("/devices/{}/enroll", s.id)>"How to enroll it"</a>
            </p>
        })}
        {requested
            .map(|a| {
                let when = if wait > 0 && a.ends_management() {
                    "It goes out to the device when the wait below is over; until then you can cancel it."
                } else {
                    "It happens when the device next checks in."
                };
                view! {
                    <p class="notice ok" role="status">
                        {format!("{} requested. {when}", a.label())}
                    </p>
                }
            })}
        {renamed.then(|| view! { <p class="notice ok" role="status">"Name saved."</p> })}
        {d
            .new_pin
            .clone()
            .map(|pin| {
                view! {
                    <p class="notice" id="new-pin-notice">
                        "The device reset its PIN. Its new PIN (shown this once: note it now): "
                        <strong id="new-pin" class="pin">{pin}</strong>
                    </p>
                }
            })}
        {(notice == Some(Notice::Removed))
            .then(|| {
                view! {
                    <p class="notice ok" role="status">
                        "The device is removed from the portal: it can no longer reach it, receives nothing more, and no longer counts towards your device limit."
                    </p>
                }
            })}
        {match notice {
            Some(Notice::OwnershipChanged(o)) => Some(o),
            _ => None,
        }
            .map(|o| {
                view! {
                    <p class="notice ok" role="status">
                        {format!(
                            "The device is {} now. It gets its new configuration at its next check-in.",
                            o.label().to_lowercase(),
                        )}
                    </p>
                }
            })}
        {match notice {
            Some(Notice::Cancelled(true)) => Some(view! { <p class="notice ok" role="status">"Cancelled before the device got it."</p> }.into_any()),
            Some(Notice::Cancelled(false)) => Some(view! {
                <p class="notice error" role="alert">"Too late to cancel: the device already has it."</p>
            }.into_any()),
            _ => None,
        }}
        <div class="columns">
            <section class="card" aria-labelledby="details">
                <h2 id="details">"Details"</h2>
                <dl class="facts">
                    <dt>"Platform"</dt>
                    <dd>{s.platform.label()}</dd>
                    <dt>"Model"</dt>
                    <dd>{format!("{} {}", s.manufacturer, s.model)}</dd>
                    <dt>"OS version"</dt>
                    <dd>{or_dash(&d.os_version)}</dd>
                    <dt>"Ownership"</dt>
                    <dd>{s.ownership.label()}</dd>
                    <dt>"Last check-in"</dt>
                    <dd>{checkin}</dd>
                    <dt>"Registered"</dt>
                    <dd>{at_minute(d.registered_at)}</dd>
                    <dt>"Enrolled"</dt>
                    <dd>{d.enrolled_at.map(at_minute).unwrap_or_else(|| "Not yet".to_owned())}</dd>
                    <dt>"Serial number"</dt>
                    <dd>{or_dash(&d.serial)}</dd>
                    <dt>"IMEI"</dt>
                    <dd>{or_dash(&d.imei)}</dd>
                    <dt>"Phone number"</dt>
                    <dd>{or_dash(&d.phone)}</dd>
                    <dt>"Carrier"</dt>
                    <dd>{or_dash(&d.carrier)}</dd>
                    <dt>"Last location"</dt>
                    <dd>
                        {match location {
                            Some(l) => {
                                view! {
                                    <a
                                        href=format!(
                                            "https://www.openstreetmap.org/?mlat={:.6}&mlon={:.6}#map=16/{:.6}/{:.6}",
                                            l.latitude,
                                            l.longitude,
                                            l.latitude,
                                            l.longitude,
                                        )
                                        rel="noopener noreferrer"
                                        target="_blank"
                                    >
                                        {format!("{:.5}, {:.5}", l.latitude, l.longitude)}
                                    </a>
                                    {format!(
                                        " ({}{})",
                                        ago(l.at, now),
                                        l.accuracy_m.map(|a| format!(", ±{a:.0} m")).unwrap_or_default(),
                                    )}
                                }
                                    .into_any()
                            }
                            None => "No recent location".into_any(),
                        }}
                    </dd>
                </dl>
                <RenameForm id name=s.display_name.clone() />
            </section>
            <section class="card" aria-labelledby="actions">
                <h2 id="actions">"Actions"</h2>
                {if d.actions.is_empty() {
                    view! { <p class="muted">"You have no role that allows actions on devices."</p> }.into_any()
                } else {
                    view! {
                        <div class="actions-list">
                            {d
                                .actions
                                .into_iter()
                                .map(|option| view! { <ActionControl id name=s.display_name.clone() option prove_with /> })
                                .collect_view()}
                        </div>
                    }
                        .into_any()
                }}
                <h3>"On the way"</h3>
                <FollowDevice id stamp=progress.stamp in_flight=progress.in_flight wait />
                {if in_flight.is_empty() {
                    view! { <p class="muted">"Nothing is waiting for the device."</p> }.into_any()
                } else {
                    view! {
                        <ul class="commands" aria-live="polite">
                            {in_flight.iter().map(|c| view! { <InFlight id command=c.clone() now /> }).collect_view()}
                        </ul>
                    }
                        .into_any()
                }}
                {(!recent.is_empty())
                    .then(|| {
                        view! {
                            <h3>"Recent"</h3>
                            <ul class="commands">
                                {recent
                                    .iter()
                                    .map(|c| view! { <li class=format!("command {}", c.state.as_str())>{command_text(c, now)}</li> })
                                    .collect_view()}
                            </ul>
                        }
                    })}
            </section>
        </div>
        <ConfigurationCard id configuration=d.configuration.clone() now />
        {(s.status == crate::domain::device::DeviceStatus::Active && may_retire)
            .then(|| view! { <RemoveCard id unconfirmed=notice == Some(Notice::Unconfirmed) /> })}
        <History d=d.history.clone() id />
        <IslandScripts />
    }
}

/// Takes the device out of the portal without it doing anything: for a
/// device that is lost, stolen or will never check in again. A plain form
/// with a box to tick, with or without JavaScript.
#[component]
fn RemoveCard(id: DeviceId, unconfirmed: bool) -> impl IntoView {
    let error = unconfirmed.then_some("Tick the box to confirm.");
    view! {
        <section class="card" aria-labelledby="remove">
            <h2 id="remove">"Remove from the portal"</h2>
            <p class="help">
                "For a device that is lost, stolen or will never check in again. Its connection to the portal stops at once: it receives no more settings, certificates or commands, and no longer counts towards your device limit. Nothing is erased on the device: if it may still check in, Retire or Wipe it instead, and it leaves the portal once it has done that."
            </p>
            <PostForm to=RemoveDevice::url()>
                <input type="hidden" name="id" value=id.to_string() />
                <div class="check">
                    <input
                        type="checkbox"
                        id="remove-confirm"
                        name="confirm"
                        value="yes"
                        aria-invalid=unconfirmed.to_string()
                        aria-describedby="remove-confirm-message"
                    />
                    <label for="remove-confirm">"I understand that this device can no longer be managed"</label>
                </div>
                <p id="remove-confirm-message" class="field-message">
                    {error.map(|e| view! { <span class="error">{e}</span> })}
                </p>
                <button type="submit" class="danger">"Remove this device"</button>
            </PostForm>
        </section>
    }
}

/// The device's labels, what they bring, and whether it has applied it.
#[component]
fn ConfigurationCard(
    id: DeviceId,
    configuration: DeviceConfiguration,
    now: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let state = match configuration.state {
        ConfigurationState::NotManaged => return ().into_any(),
        ConfigurationState::NotEnrolled => view! {
            <p class="muted">"The device gets this when it enrolls."</p>
        }
        .into_any(),
        ConfigurationState::Pending => view! {
            <p class="notice" id="configuration-state">
                "Configuration pending: the device gets its current configuration at its next check-in."
            </p>
        }
        .into_any(),
        ConfigurationState::Applied { at } => view! {
            <p class="notice ok" id="configuration-state">
                {format!(
                    "Configuration applied by the device{}.",
                    at.map(|at| format!(" {}", ago(at, now))).unwrap_or_default(),
                )}
            </p>
        }
        .into_any(),
    };
    let items = if configuration.items.is_empty() {
        view! { <p class="muted">"Nothing is assigned to this device's labels."</p> }.into_any()
    } else {
        view! {
            <ul class="configuration-items">
                {configuration
                    .items
                    .iter()
                    .map(|item| {
                        view! {
                            <li>
                                {item.describe()}
                                {(!item.detail.is_empty()).then(|| view! { <span class="help">{format!(" — {}", item.detail)}</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="configuration">
            <h2 id="configuration">"Configuration"</h2>
            {state}
            <p>
                <strong>"Labels: "</strong>
                {configuration.labels.join(", ")}
            </p>
            {items}
            {configuration
                .can_change_ownership
                .then(|| {
                    view! {
                        <p>
                            <a class="button secondary-button" href=format!("/devices/{id}/ownership")>
                                "Change ownership…"
                            </a>
                        </p>
                    }
                })}
        </section>
    }
    .into_any()
}

/// A command on its way; one the device has not picked up yet can be cancelled.
#[component]
fn InFlight(
    id: DeviceId,
    command: CommandView,
    now: chrono::DateTime<chrono::Utc>,
) -> impl IntoView {
    let queued = command.state == CommandState::Queued;
    view! {
        <li class=format!("command {}", command.state.as_str())>
            {command_text(&command, now)}
            {queued
                .then(|| {
                    view! {
                        <PostForm to=CancelDeviceCommand::url() class="inline">
                            <input type="hidden" name="id" value=id.to_string() />
                            <input type="hidden" name="command" value=command.id.to_string() />
                            <button type="submit" class="link-button">
                                {format!("Cancel {}", command.action.label().to_lowercase())}
                            </button>
                        </PostForm>
                    }
                })}
        </li>
    }
}

fn or_dash(text: &str) -> String {
    if text.is_empty() {
        "—".to_owned()
    } else {
        text.to_owned()
    }
}

#[component]
fn RenameForm(id: DeviceId, name: String) -> impl IntoView {
    let query = use_query_map();
    let typed = query.with_untracked(|q| q.get("name"));
    let error = typed
        .as_deref()
        .and_then(|t| parse_device_name(t).err())
        .map(|e| e.to_string());
    let value = typed.unwrap_or(name);
    view! {
        <PostForm to=RenameDevice::url() id="rename">
            <input type="hidden" name="id" value=id.to_string() />
            <Field id="device-name" name="name" label="Name" maxlength=64 value error />
            <button type="submit" class="secondary-button">"Rename"</button>
        </PostForm>
    }
}

/// One action: a button (with the Lock fields), a link to the confirmation
/// step for Wipe and Retire, or the reason it is not available now.
#[component]
fn ActionControl(
    id: DeviceId,
    name: String,
    option: ActionOption,
    prove_with: Option<Proof>,
) -> impl IntoView {
    let action = option.action;
    if let Some(reason) = option.unavailable {
        return view! {
            <div class="action unavailable">
                <button type="button" disabled>{action.label()}</button>
                <span class="help">{reason}</span>
            </div>
        }
        .into_any();
    }
    if action.needs_confirmation() {
        return view! { <ConfirmInDialog id name action prove_with /> }.into_any();
    }
    // A refused Lock comes back with what was typed.
    let typed = refused::<LockInput>()
        .filter(|(_, reason)| reason == "lock")
        .map(|(typed, _)| typed)
        .unwrap_or_default();
    let LockErrors {
        message: message_error,
        phone: phone_error,
    } = typed.check().err().unwrap_or_default();
    let LockInput {
        message: lock_message,
        phone: lock_phone,
    } = typed;
    view! {
        <PostForm to=RequestDeviceAction::url() class="action" id=action.as_str()>
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="action" value=action.as_str() />
            {(action == DeviceAction::Lock)
                .then(|| {
                    view! {
                        <details class="lost-mode" open=message_error.is_some() || phone_error.is_some()>
                            <summary>"Lost? Show a message on the lock screen"</summary>
                            <Field
                                id="lock-message"
                                name="message"
                                label="Lock-screen message"
                                maxlength=200
                                value=lock_message.clone()
                                error=message_error.clone()
                            />
                            <Field
                                id="lock-phone"
                                name="phone"
                                label="Call-back number"
                                kind="tel"
                                value=lock_phone.clone()
                                error=phone_error.clone()
                            />
                            <p class="help">"A device locked as lost cannot be unlocked until you tell the portal it was found (Found it)."</p>
                        </details>
                    }
                })}
            <button type="submit">{action.label()}</button>
        </PostForm>
    }
    .into_any()
}

/// Wipe or Retire: a link to the confirmation page, which works without
/// JavaScript; with it, the same confirmation opens in a dialog instead.
#[component]
fn ConfirmInDialog(
    id: DeviceId,
    name: String,
    action: DeviceAction,
    prove_with: Option<Proof>,
) -> impl IntoView {
    let heading = format!("confirm-{}-title", action.as_str());
    view! {
        <div class="action">
            <ConfirmDialog
                href=format!("/devices/{id}/confirm/{}", action.as_str())
                link=format!("{}…", action.label())
                heading=heading.clone()
            >
                <h2 id=heading>{format!("{} “{}”?", action.label(), name)}</h2>
                <p>{action.consequence()}</p>
                <ConfirmForm id name action prove_with problem=None>
                    // Closes the dialog, sending nothing.
                    <button type="submit" formmethod="dialog" formnovalidate class="secondary-button">
                        "Cancel"
                    </button>
                </ConfirmForm>
            </ConfirmDialog>
        </div>
    }
}

/// The form that confirms Wipe or Retire, with what proves it is the
/// person (their password, or their certificate once more) when they
/// last proved it more than five minutes ago; `problem`: why the last try
/// was refused. `children`: the way back, beside the button.
#[component]
fn ConfirmForm(
    id: DeviceId,
    name: String,
    action: DeviceAction,
    prove_with: Option<Proof>,
    problem: Option<SignInProblem>,
    children: Children,
) -> impl IntoView {
    let field = match action {
        DeviceAction::Retire => "retire-password",
        _ => "wipe-password",
    };
    let error = problem.map(|problem| match (problem, prove_with) {
        (SignInProblem::Invalid, Some(Proof::Certificate)) => {
            "The certificate your browser presented is not yours.".to_owned()
        }
        (SignInProblem::Invalid, _) => "That password is not correct.".to_owned(),
        (problem, _) => problem.message(),
    });
    let proof = match prove_with {
        Some(Proof::Password) => view! {
            <Field
                id=field
                name="password"
                kind="password"
                label="Your password"
                help="You signed in more than five minutes ago: enter your password to confirm it is you."
                autocomplete="current-password"
                value=String::new()
                error
            />
        }
        .into_any(),
        Some(Proof::Certificate) => view! {
            <p class="help" id=field>
                "You signed in with your certificate more than five minutes ago: keep your smart card inserted, your browser presents it again."
            </p>
            {error.map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        }
        .into_any(),
        None => ().into_any(),
    };
    view! {
        <PostForm to=RequestDeviceAction::url()>
            <input type="hidden" name="id" value=id.to_string() />
            <input type="hidden" name="action" value=action.as_str() />
            <input type="hidden" name="confirm" value="yes" />
            {proof}
            <div class="confirm-buttons">
                <button type="submit" class="danger">
                    {format!("Yes, {} {}", action.label().to_lowercase(), name)}
                </button>
                {children()}
            </div>
        </PostForm>
    }
}

#[component]
fn History(d: crate::api::types::AuditPage, id: DeviceId) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="history">
            <h2 id="history">"History"</h2>
            {if d.rows.is_empty() {
                view! { <p class="muted">"Nothing has happened to this device yet."</p> }.into_any()
            } else {
                view! {
                    <ul class="history">
                        {d
                            .rows
                            .iter()
                            .map(|row| {
                                view! {
                                    <li>
                                        <time datetime=row.at.to_rfc3339()>{at_minute(row.at)}</time>
                                        " · "
                                        {row.in_words()}
                                        {(row.outcome != crate::domain::audit::Outcome::Success)
                                            .then(|| {
                                                view! {
                                                    " · "
                                                    <span class=format!(
                                                        "badge {}",
                                                        row.outcome.as_str(),
                                                    )>{row.outcome.as_str()}</span>
                                                }
                                            })}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                    <crate::pages::admin::Pager
                        base=format!("/devices/{id}")
                        params=vec![]
                        page=d.page
                        per_page=d.per_page
                        total=d.total
                    />
                }
                    .into_any()
            }}
        </section>
    }
}

/// The confirmation step for Wipe and Retire: names the device and says in
/// plain words what will happen. Works without JavaScript.
#[component]
pub fn ConfirmActionPage() -> impl IntoView {
    let (id, action) = use_params_map().with_untracked(|p| {
        (
            p.get("id")
                .and_then(|v| v.parse::<DeviceId>().ok())
                .unwrap_or(DeviceId(0)),
            p.get("action").and_then(|a| DeviceAction::parse(&a)),
        )
    });
    // Why the last try to prove it was them was refused.
    let problem = use_query_map().with_untracked(|q| {
        SignInProblem::parse(&q.get("refused")?, &q.get("minutes").unwrap_or_default())
    });
    let load = async move {
        let detail = get_device(id, 1, false).await?;
        let action = action.ok_or(crate::api::types::ApiError::NotFound)?;
        Ok((detail, action))
    };
    view! {
        <Title text="Confirm" />
        {loaded(
            load,
            move |(d, action)| {
                let id = d.summary.id;
                let name = d.summary.display_name.clone();
                let allowed = d
                    .actions
                    .iter()
                    .find(|o| o.action == action)
                    .map(|o| o.unavailable.clone());
                view! {
                    <section class="card confirm" aria-labelledby="confirm-title">
                        <h1 id="confirm-title">{format!("{} “{}”?", action.label(), name)}</h1>
                        <p>{action.consequence()}</p>
                        {match allowed {
                            None => {
                                view! {
                                    <p class="notice error" role="alert">
                                        {format!(
                                            "You do not have the role to {} devices.",
                                            action.label().to_lowercase(),
                                        )}
                                    </p>
                                }
                                    .into_any()
                            }
                            Some(Some(reason)) => {
                                view! { <p class="notice error" role="alert">{reason}</p> }.into_any()
                            }
                            Some(None) => {
                                view! {
                                    <div id="proof">
                                        <ConfirmForm id name action prove_with=d.prove_with problem>
                                            <a class="button secondary" href=format!("/devices/{id}")>
                                                "Cancel"
                                            </a>
                                        </ConfirmForm>
                                    </div>
                                }
                                    .into_any()
                            }
                        }}
                    </section>
                }
            },
        )}
    }
}

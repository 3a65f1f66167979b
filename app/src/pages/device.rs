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
use crate::domain::audit::Outcome;
use crate::domain::device::{
    CommandState, DeviceAction, LockErrors, LockInput, Progress, ago, parse_device_name, time_left,
};
use crate::domain::{certificate_sign_in::Proof, signin::SignInProblem};
use crate::i18n::{in_sentence, lang, t, tf, tt};
use crate::islands::{ConfirmDialog, FollowDevice, IslandScripts};

/// What really happened to a command, in words (`now`: the server's).
fn command_text(command: &CommandView, now: chrono::DateTime<chrono::Utc>) -> String {
    let lang = lang();
    let at = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|at| lang.date_time(at)).unwrap_or_default()
    };
    let asked = tf(
        "{action} requested {at}",
        &[
            ("action", &tt(command.action.label())),
            ("at", &lang.date_time(command.requested_at)),
        ],
    );
    let held = command
        .hold_until
        .and_then(|until| time_left(until, now).map(|left| (until, tt(&left))));
    match command.state {
        CommandState::Queued => match held {
            Some((until, left)) => tf(
                "{asked}; it goes out to the device at {at} ({left}): until then you can cancel it.",
                &[
                    ("asked", &asked),
                    ("at", &lang.date_time(until)),
                    ("left", &left),
                ],
            ),
            None => tf(
                "{asked}, waiting for the device to check in.",
                &[("asked", &asked)],
            ),
        },
        CommandState::Sent => tf(
            "{asked}; the device picked it up {at}, waiting for its answer.",
            &[("asked", &asked), ("at", &at(command.sent_at))],
        ),
        CommandState::Acknowledged => tf(
            "{asked}; done {at}.",
            &[("asked", &asked), ("at", &at(command.completed_at))],
        ),
        CommandState::Failed => tf(
            "{asked}; the device could not do it: {reason}.",
            &[
                ("asked", &asked),
                (
                    "reason",
                    &command
                        .error
                        .as_deref()
                        .map(tt)
                        .unwrap_or_else(|| t("no reason given").to_owned()),
                ),
            ],
        ),
        CommandState::Cancelled => match &command.error {
            // Withheld at check-in: the device's policies rule it out now.
            Some(reason) => tf(
                "{asked}; not sent: {reason}",
                &[("asked", &asked), ("reason", &tt(reason))],
            ),
            None => tf("{asked}; cancelled.", &[("asked", &asked)]),
        },
        CommandState::Expired => tf(
            "{asked}; the device did not answer in time.",
            &[("asked", &asked)],
        ),
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
        <Title text=t("Device") />
        <p>
            <a href="/">{t("← My devices")}</a>
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
        .map(|at| format!("{} ({})", tt(&ago(at, now)), lang().date_time(at)))
        .unwrap_or_else(|| t("Not yet").to_owned());
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
                {t("This device has not enrolled yet.")}
                " "
                <a href=format!("/devices/{}/enroll", s.id)>{t("How to enroll it")}</a>
            </p>
        })}
        {requested
            .map(|a| {
                let when = if wait > 0 && a.ends_management() {
                    t("It goes out to the device when the wait below is over; until then you can cancel it.")
                } else {
                    t("It happens when the device next checks in.")
                };
                view! {
                    <p class="notice ok" role="status">
                        {tf("{action} requested. {when}", &[("action", &tt(a.label())), ("when", &when)])}
                    </p>
                }
            })}
        {renamed.then(|| view! { <p class="notice ok" role="status">{t("Name saved.")}</p> })}
        {d
            .new_pin
            .clone()
            .map(|pin| {
                view! {
                    <p class="notice" id="new-pin-notice">
                        {t("The device reset its PIN. Its new PIN (shown this once: note it now):")}
                        " "
                        <strong id="new-pin" class="pin">{pin}</strong>
                    </p>
                }
            })}
        {(notice == Some(Notice::Removed))
            .then(|| {
                view! {
                    <p class="notice ok" role="status">
                        {t(
                            "The device is removed from the portal: it can no longer reach it, receives nothing more, and no longer counts towards your device limit.",
                        )}
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
                        {tf(
                            "The device is {ownership} now. It gets its new configuration at its next check-in.",
                            &[("ownership", &in_sentence(o.label()))],
                        )}
                    </p>
                }
            })}
        {match notice {
            Some(Notice::Cancelled(true)) => Some(view! { <p class="notice ok" role="status">{t("Cancelled before the device got it.")}</p> }.into_any()),
            Some(Notice::Cancelled(false)) => Some(view! {
                <p class="notice error" role="alert">{t("Too late to cancel: the device already has it.")}</p>
            }.into_any()),
            _ => None,
        }}
        <div class="columns">
            <section class="card" aria-labelledby="details">
                <h2 id="details">{t("Details")}</h2>
                <dl class="facts">
                    <dt>{t("Platform")}</dt>
                    <dd>{tt(s.platform.label())}</dd>
                    <dt>{t("Model")}</dt>
                    <dd>{format!("{} {}", s.manufacturer, s.model)}</dd>
                    <dt>{t("OS version")}</dt>
                    <dd>{or_dash(&d.os_version)}</dd>
                    <dt>{t("Ownership")}</dt>
                    <dd>{tt(s.ownership.label())}</dd>
                    <dt>{t("Last check-in")}</dt>
                    <dd>{checkin}</dd>
                    <dt>{t("Registered")}</dt>
                    <dd>{lang().date_time(d.registered_at)}</dd>
                    <dt>{t("Enrolled")}</dt>
                    <dd>{d.enrolled_at.map(|at| lang().date_time(at)).unwrap_or_else(|| t("Not yet").to_owned())}</dd>
                    <dt>{t("Serial number")}</dt>
                    <dd>{or_dash(&d.serial)}</dd>
                    <dt>"IMEI"</dt>
                    <dd>{or_dash(&d.imei)}</dd>
                    <dt>{t("Phone number")}</dt>
                    <dd>{or_dash(&d.phone)}</dd>
                    <dt>{t("Carrier")}</dt>
                    <dd>{or_dash(&d.carrier)}</dd>
                    <dt>{t("Last location")}</dt>
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
                                        tt(&ago(l.at, now)),
                                        l.accuracy_m.map(|a| format!(", ±{a:.0} m")).unwrap_or_default(),
                                    )}
                                }
                                    .into_any()
                            }
                            None => t("No recent location").into_any(),
                        }}
                    </dd>
                </dl>
                <RenameForm id name=s.display_name.clone() />
            </section>
            <section class="card" aria-labelledby="actions">
                <h2 id="actions">{t("Actions")}</h2>
                {if d.actions.is_empty() {
                    view! { <p class="muted">{t("You have no role that allows actions on devices.")}</p> }.into_any()
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
                <h3>{t("On the way")}</h3>
                <FollowDevice
                    id
                    stamp=progress.stamp
                    in_flight=progress.in_flight
                    wait
                    words=crate::islands::follow_words()
                />
                {if in_flight.is_empty() {
                    view! { <p class="muted">{t("Nothing is waiting for the device.")}</p> }.into_any()
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
                            <h3>{t("Recent")}</h3>
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
    let error = unconfirmed.then(|| t("Tick the box to confirm."));
    view! {
        <section class="card" aria-labelledby="remove">
            <h2 id="remove">{t("Remove from the portal")}</h2>
            <p class="help">
                {t(
                    "For a device that is lost, stolen or will never check in again. Its connection to the portal stops at once: it receives no more settings, certificates or commands, and no longer counts towards your device limit. Nothing is erased on the device: if it may still check in, Retire or Wipe it instead, and it leaves the portal once it has done that.",
                )}
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
                    <label for="remove-confirm">{t("I understand that this device can no longer be managed")}</label>
                </div>
                <p id="remove-confirm-message" class="field-message">
                    {error.map(|e| view! { <span class="error">{e}</span> })}
                </p>
                <button type="submit" class="danger">{t("Remove this device")}</button>
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
            <p class="muted">{t("The device gets this when it enrolls.")}</p>
        }
        .into_any(),
        ConfigurationState::Pending => view! {
            <p class="notice" id="configuration-state">
                {t("Configuration pending: the device gets its current configuration at its next check-in.")}
            </p>
        }
        .into_any(),
        ConfigurationState::Applied { at } => view! {
            <p class="notice ok" id="configuration-state">
                {match at {
                    Some(at) => tf(
                        "Configuration applied by the device {ago}.",
                        &[("ago", &tt(&ago(at, now)))],
                    ),
                    None => t("Configuration applied by the device.").to_owned(),
                }}
            </p>
        }
        .into_any(),
    };
    let items = if configuration.items.is_empty() {
        view! { <p class="muted">{t("Nothing is assigned to this device's labels.")}</p> }
            .into_any()
    } else {
        view! {
            <ul class="configuration-items">
                {configuration
                    .items
                    .iter()
                    .map(|item| {
                        view! {
                            <li>
                                {tt(&item.describe())}
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
            <h2 id="configuration">{t("Configuration")}</h2>
            {state}
            <p>
                <strong>{t("Labels:")} " "</strong>
                {configuration.labels.iter().map(|l| tt(l)).collect::<Vec<_>>().join(", ")}
            </p>
            {items}
            {configuration
                .can_change_ownership
                .then(|| {
                    view! {
                        <p>
                            <a class="button secondary-button" href=format!("/devices/{id}/ownership")>
                                {t("Change ownership…")}
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
                                {tf("Cancel {action}", &[("action", &in_sentence(command.action.label()))])}
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
        .map(|e| tt(&e.to_string()));
    let value = typed.unwrap_or(name);
    view! {
        <PostForm to=RenameDevice::url() id="rename">
            <input type="hidden" name="id" value=id.to_string() />
            <Field id="device-name" name="name" label=t("Name") maxlength=64 value error />
            <button type="submit" class="secondary-button">{t("Rename")}</button>
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
                <button type="button" disabled>{tt(action.label())}</button>
                <span class="help">{tt(&reason)}</span>
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
    let message_error = message_error.map(|e| tt(&e));
    let phone_error = phone_error.map(|e| tt(&e));
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
                            <summary>{t("Lost? Show a message on the lock screen")}</summary>
                            <Field
                                id="lock-message"
                                name="message"
                                label=t("Lock-screen message")
                                maxlength=200
                                value=lock_message.clone()
                                error=message_error.clone()
                            />
                            <Field
                                id="lock-phone"
                                name="phone"
                                label=t("Call-back number")
                                kind="tel"
                                value=lock_phone.clone()
                                error=phone_error.clone()
                            />
                            <p class="help">
                                {t(
                                    "A device locked as lost cannot be unlocked until you tell the portal it was found (Found it).",
                                )}
                            </p>
                        </details>
                    }
                })}
            <button type="submit">{tt(action.label())}</button>
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
                link=format!("{}…", tt(action.label()))
                heading=heading.clone()
            >
                <h2 id=heading>{tf("{action} “{name}”?", &[("action", &tt(action.label())), ("name", &name)])}</h2>
                <p>{tt(action.consequence())}</p>
                <ConfirmForm id name action prove_with problem=None>
                    // Closes the dialog, sending nothing.
                    <button type="submit" formmethod="dialog" formnovalidate class="secondary-button">
                        {t("Cancel")}
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
            t("The certificate your browser presented is not yours.").to_owned()
        }
        (SignInProblem::Invalid, _) => t("That password is not correct.").to_owned(),
        (problem, _) => tt(&problem.message()),
    });
    let proof = match prove_with {
        Some(Proof::Password) => view! {
            <Field
                id=field
                name="password"
                kind="password"
                label=t("Your password")
                help=t("You signed in more than five minutes ago: enter your password to confirm it is you.")
                autocomplete="current-password"
                value=String::new()
                error
            />
        }
        .into_any(),
        Some(Proof::Certificate) => view! {
            <p class="help" id=field>
                {t(
                    "You signed in with your certificate more than five minutes ago: keep your smart card inserted, your browser presents it again.",
                )}
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
                    {tf("Yes, {action} {name}", &[("action", &in_sentence(action.label())), ("name", &name)])}
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
            <h2 id="history">{t("History")}</h2>
            {if d.rows.is_empty() {
                view! { <p class="muted">{t("Nothing has happened to this device yet.")}</p> }.into_any()
            } else {
                view! {
                    <ul class="history">
                        {d
                            .rows
                            .iter()
                            .map(|row| {
                                view! {
                                    <li>
                                        <time datetime=row.at.to_rfc3339()>{lang().date_time(row.at)}</time>
                                        " · "
                                        {tt(&row.in_words())}
                                        {(row.outcome != Outcome::Success)
                                            .then(|| {
                                                view! {
                                                    " · "
                                                    <span class=format!(
                                                        "badge {}",
                                                        row.outcome.as_str(),
                                                    )>{outcome_word(row.outcome)}</span>
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

/// How an audited action ended, in a word (the badge beside it).
fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Success => t("success"),
        Outcome::Failure => t("failure"),
        Outcome::Refused => t("refused"),
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
        <Title text=t("Confirm") />
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
                        <h1 id="confirm-title">
                            {tf("{action} “{name}”?", &[("action", &tt(action.label())), ("name", &name)])}
                        </h1>
                        <p>{tt(action.consequence())}</p>
                        {match allowed {
                            None => {
                                view! {
                                    <p class="notice error" role="alert">
                                        {tf(
                                            "You do not have the role to {action} devices.",
                                            &[("action", &in_sentence(action.label()))],
                                        )}
                                    </p>
                                }
                                    .into_any()
                            }
                            Some(Some(reason)) => {
                                view! { <p class="notice error" role="alert">{tt(&reason)}</p> }.into_any()
                            }
                            Some(None) => {
                                view! {
                                    <div id="proof">
                                        <ConfirmForm id name action prove_with=d.prove_with problem>
                                            <a class="button secondary" href=format!("/devices/{id}")>
                                                {t("Cancel")}
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

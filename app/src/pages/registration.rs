//! Registering a device: the form (with the slots left), the enrollment
//! page with its QR code and PIN, and the page an enrollment link opens.

use crate::api::notice::{Notice, notice};
use crate::domain::ids::DeviceId;
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::registration::{
    CancelRegistration, RegisterDevice, ReissueRegistration, get_enrollment,
    get_registration_overview,
};
use crate::api::types::{EnrollmentView, RegistrationOverview};
use crate::components::form::{PostForm, refused};
use crate::components::status::loaded;
use crate::domain::device::{DeviceStatus, Platform};
use crate::domain::registration::{Invitation, RegisterInput};
use crate::i18n::{lang, t, tf, tt};
use crate::islands::{IslandScripts, PhoneField};

#[component]
pub fn RegisterPage() -> impl IntoView {
    // A form sent back with what was typed shows again, with the reasons
    // (RegisterForm reads them).
    view! {
            <Title text=t("Register a device") />
            <h1>{t("Register a device")}</h1>
            {loaded(get_registration_overview(), move |value| match value {
                            o if o.slots_left == Some(0) || o.registered_today >= u64::from(o.per_day) => {
                                view! { <AtLimit overview=o /> }.into_any()
                            }
                            o => view! { <RegisterForm overview=o /> }.into_any(),

    })}
        }
}

/// Why no more devices can be registered, and what to do about it: the
/// device limit, or (below it) the day's registrations.
#[component]
fn AtLimit(overview: RegistrationOverview) -> impl IntoView {
    let advice = match overview.limit {
        Some(limit) if overview.slots_left == Some(0) => view! {
            <p>
                {if limit == 1 {
                    tf(
                        "You may have {limit} device registered at a time, and you have {count}. Devices waiting to be enrolled count too.",
                        &[("limit", &limit), ("count", &overview.counted)],
                    )
                } else {
                    tf(
                        "You may have {limit} devices registered at a time, and you have {count}. Devices waiting to be enrolled count too.",
                        &[("limit", &limit), ("count", &overview.counted)],
                    )
                }}
            </p>
            <p>
                {t(
                    "To register a new device, first retire one you no longer use, or cancel a registration that was never enrolled, from ",
                )}
                <a href="/">{t("My devices")}</a>
                {t(". If you need more devices, ask your IT helpdesk.")}
            </p>
        }
        .into_any(),
        _ => view! {
            <p>
                {if overview.per_day == 1 {
                    tf(
                        "You have registered {count} device in the last 24 hours, the most allowed in a day. Try again later, or ask your IT helpdesk.",
                        &[("count", &overview.per_day)],
                    )
                } else {
                    tf(
                        "You have registered {count} devices in the last 24 hours, the most allowed in a day. Try again later, or ask your IT helpdesk.",
                        &[("count", &overview.per_day)],
                    )
                }}
            </p>
        }
        .into_any(),
    };
    view! {
        <section class="card notice" id="at-limit" aria-labelledby="at-limit-title">
            <h2 id="at-limit-title">{t("You cannot register another device right now")}</h2>
            {advice}
        </section>
    }
}

#[component]
fn RegisterForm(overview: RegistrationOverview) -> impl IntoView {
    // A refused form comes back with what was typed.
    let typed = refused::<RegisterInput>().map(|(typed, _)| typed);
    let has_email = !overview.email.trim().is_empty();
    let errors = typed
        .as_ref()
        .and_then(|t| t.check(has_email, &overview.sms_countries).err())
        .unwrap_or_default();
    let RegisterInput {
        platform,
        phone,
        invitation,
    } = typed.unwrap_or_else(|| RegisterInput {
        platform: String::new(),
        phone: overview.phone.clone().unwrap_or_default(),
        invitation: Invitation::None.as_str().to_owned(),
    });
    let slots = match (overview.slots_left, overview.limit) {
        (Some(1), Some(limit)) => tf(
            "You can register {left} more device (your limit is {limit}; you have {count}).",
            &[
                ("left", &1),
                ("limit", &limit),
                ("count", &overview.counted),
            ],
        ),
        (Some(left), Some(limit)) => tf(
            "You can register {left} more devices (your limit is {limit}; you have {count}).",
            &[
                ("left", &left),
                ("limit", &limit),
                ("count", &overview.counted),
            ],
        ),
        _ => t("No device limit applies to you.").to_owned(),
    };
    let (mail_enabled, sms_enabled) = (overview.mail_enabled, overview.sms_enabled);
    let unavailable = move |i: Invitation| -> Option<&'static str> {
        if i.email() && !mail_enabled {
            Some(t("the portal is not set up to send e-mail"))
        } else if i.sms() && !sms_enabled {
            Some(t("the portal is not set up to send text messages"))
        } else if i.email() && !has_email {
            Some(t("you have no e-mail address in the portal"))
        } else {
            None
        }
    };
    let email_note = if has_email {
        tf("E-mail goes to {email}.", &[("email", &overview.email)])
    } else {
        String::new()
    };
    view! {
        <p id="slots-left" class="lead">{slots}</p>
        <PostForm to=RegisterDevice::url() class="card" id="register-form">
            <div class="field">
                <label for="platform">{t("Kind of device")}</label>
                <select
                    id="platform"
                    name="platform"
                    aria-invalid=errors.platform.is_some().to_string()
                    aria-describedby="platform-message"
                >
                    <option value="" selected=platform.is_empty()>{t("Choose…")}</option>
                    {Platform::ALL
                        .iter()
                        .copied()
                        .map(|p| {
                            view! {
                                <option value=p.as_str() selected=platform == p.as_str()>
                                    {tt(p.label())}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <p id="platform-message" class="field-message">
                    {errors.platform.clone().map(|e| view! { <span class="error">{tt(&e)}</span> })}
                </p>
            </div>
            <div class="field">
                <label for="phone">{t("Phone number of the device (optional)")}</label>
                <p id="phone-help" class="help">
                    {t(
                        "Include + and the country code, for example +44 20 7946 0958. Needed for a text message.",
                    )}
                    {(!overview.sms_countries.any())
                        .then(|| {
                            format!(
                                " {}",
                                tf(
                                    "Text messages go only to numbers starting with {codes}.",
                                    &[("codes", &overview.sms_countries)],
                                ),
                            )
                        })}
                </p>
                <PhoneField
                    value=phone
                    error=errors.phone.as_deref().map(tt)
                    refusal=tt(&overview.sms_countries.refusal())
                    countries=overview.sms_countries.codes()
                    words=crate::islands::phone_words()
                />
            </div>
            <fieldset class="field" aria-describedby="invitation-message">
                <legend>{t("Send me the invitation by")}</legend>
                {Invitation::ALL
                    .iter()
                    .copied()
                    .map(|i| {
                        let why = unavailable(i);
                        let id = format!("invitation-{}", i.as_str());
                        let label_for = id.clone();
                        view! {
                            <label class="choice" for=label_for>
                                <input
                                    type="radio"
                                    id=id
                                    name="invitation"
                                    value=i.as_str()
                                    checked=invitation == i.as_str()
                                    disabled=why.is_some()
                                />
                                // One box for the words, so that they wrap as a line
                                // beside the button, not as squeezed columns.
                                <span>
                                    {tt(i.label())}
                                    {why.map(|w| view! { <span class="muted">{format!(" ({w})")}</span> })}
                                </span>
                            </label>
                        }
                    })
                    .collect_view()}
                <p class="help">{email_note}</p>
                <p id="invitation-message" class="field-message">
                    {errors.invitation.clone().map(|e| view! { <span class="error">{tt(&e)}</span> })}
                </p>
            </fieldset>
            <p class="help">
                {if overview.mode.uses_pin() {
                    tf(
                        "The device will be company-owned. Its enrollment link and registration PIN can be used once within {hours} hours.",
                        &[("hours", &overview.validity_hours)],
                    )
                } else {
                    tf(
                        "The device will be company-owned. Its enrollment link can be used once within {hours} hours.",
                        &[("hours", &overview.validity_hours)],
                    )
                }}
            </p>
            <button type="submit">{t("Register device")}</button>
        </PostForm>
        <IslandScripts />
    }
}

/// The enrollment page of a registered device: instructions, and right
/// after registering the QR code, link and PIN.
#[component]
pub fn EnrollPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .with(|p| p.get("id"))
            .and_then(|id| id.parse::<DeviceId>().ok())
            .unwrap_or_default()
    };
    view! {
        <Title text=t("Enroll your device") />
        {loaded(get_enrollment(id()), |enrollment| view! { <Enrollment enrollment /> })}
    }
}

fn instructions(platform: Platform) -> [&'static str; 3] {
    match platform {
        Platform::Ios | Platform::Ipados => [
            t(
                "On the iPhone or iPad, open the Camera and point it at the QR code (or open the link in Safari).",
            ),
            t(
                "Install the SSP agent from the App Store when asked, and allow the management profile in Settings → General → VPN & Device Management.",
            ),
            t("Enter the registration PIN when the agent asks for it."),
        ],
        Platform::Android => [
            t(
                "On the Android device, scan the QR code with the camera (or open the link in Chrome).",
            ),
            t("Install the SSP agent from Google Play when asked, and accept the work profile."),
            t("Enter the registration PIN when the agent asks for it."),
        ],
        Platform::Macos => [
            t("On the Mac, open the link in Safari."),
            t("Install the downloaded profile in System Settings → Privacy & Security → Profiles."),
            t("Enter the registration PIN when asked."),
        ],
        Platform::Windows | Platform::WindowsPhone81 | Platform::Windows10Mobile => [
            t("On the Windows device, open Settings → Accounts → Access work or school."),
            t("Choose “Enroll only in device management” and enter the link shown here."),
            t("Enter the registration PIN when asked."),
        ],
    }
}

#[component]
fn Enrollment(enrollment: EnrollmentView) -> impl IntoView {
    let device_link = format!("/devices/{}", enrollment.device_id);
    let heading = tf("Enroll “{name}”", &[("name", &enrollment.display_name)]);
    let expires = lang().date_time(enrollment.expires_at);
    let status = match enrollment.status {
        DeviceStatus::Pending => None,
        DeviceStatus::Active => Some(
            view! {
                <p class="saved" id="enrolled">
                    {t("This device has enrolled. ")} <a href=device_link.clone()>{t("Go to the device")}</a>
                </p>
            }
            .into_any(),
        ),
        DeviceStatus::Expired => Some(
            view! {
                <p class="error" id="expired">
                    {t("This registration expired before the device enrolled. ")}
                    <a href="/devices/register">{t("Register the device again")}</a>
                </p>
            }
            .into_any(),
        ),
        other => Some(
            view! {
                <p class="muted">
                    {tf("This device is {status}.", &[("status", &tt(other.label()).to_lowercase())])}
                </p>
            }
            .into_any(),
        ),
    };
    let pending = enrollment.status == DeviceStatus::Pending;
    let uses_pin = enrollment.mode.uses_pin();
    let deliveries: Vec<(String, bool)> = [
        (enrollment.email_delivery, t("e-mail")),
        (enrollment.sms_delivery, t("text message")),
    ]
    .into_iter()
    .filter_map(|(d, what)| d.map(|d| (tt(&d.describe(what)), d.is_problem())))
    .collect();
    let asks_for = tt(enrollment.mode.asks_for());
    let reissued = notice() == Some(Notice::Reissued);
    view! {
        <h1>{heading}</h1>
        {reissued.then(|| view! {
            <p class="notice ok" role="status">{t("A new link and PIN were issued: the earlier ones no longer work.")}</p>
        })}
        {status}
        {pending.then(|| view! {
            <ul class="deliveries">
                {deliveries
                    .into_iter()
                    .map(|(text, problem)| view! { <li class=if problem { "error" } else { "ok" }>{text}</li> })
                    .collect_view()}
            </ul>
            {match enrollment.revealed.clone() {
                Some(revealed) => view! {
                    <section class="card enroll-secrets" aria-labelledby="scan-title">
                        <h2 id="scan-title">{t("Scan this code with the device")}</h2>
                        <div class="qr" role="img" aria-label=t("QR code of the enrollment link") inner_html=revealed.qr_svg></div>
                        <p>{t("Or open this link on the device:")}</p>
                        <p><code id="enrollment-url">{revealed.enrollment_url}</code></p>
                        {revealed.pin.map(|pin| view! {
                            <p class="pin-line">
                                {t("Registration PIN: ")} <strong id="registration-pin" class="pin">{pin}</strong>
                            </p>
                        })}
                        <p class="help">
                            {tf(
                                "Valid once, until {expires}. This is shown only now: note it, or keep this page open until the device has enrolled.",
                                &[("expires", &expires)],
                            )}
                        </p>
                    </section>
                }
                .into_any(),
                None => view! {
                    <section class="card" aria-labelledby="secrets-gone">
                        <h2 id="secrets-gone">{t("Enrollment link and PIN")}</h2>
                        <p>
                            {if uses_pin {
                                tf(
                                    "The enrollment link and PIN were shown once, when you registered the device (valid until {expires}). ",
                                    &[("expires", &expires)],
                                )
                            } else {
                                tf(
                                    "The enrollment link was shown once, when you registered the device (valid until {expires}). ",
                                    &[("expires", &expires)],
                                )
                            }}
                            {t("If you no longer have them, get new ones: the old ones stop working.")}
                        </p>
                        <PostForm to=ReissueRegistration::url()>
                            <input type="hidden" name="id" value=enrollment.device_id.to_string() />
                            <button type="submit">{if uses_pin { t("Reset PIN") } else { t("New enrollment link") }}</button>
                        </PostForm>
                    </section>
                }
                .into_any(),
            }}
            <section class="card" aria-labelledby="steps-title">
                <h2 id="steps-title">{t("How to enroll")}</h2>
                <ol class="steps">
                    {instructions(enrollment.platform).into_iter().map(|s| view! { <li>{s}</li> }).collect_view()}
                </ol>
                <p class="help">{tf("The device will ask for {what}.", &[("what", &asks_for)])}</p>
            </section>
            <section class="card" aria-labelledby="cancel-title">
                <h2 id="cancel-title">{t("Registered by mistake?")}</h2>
                <p>{t("Cancel the registration: the link and PIN stop working and the device no longer counts against your limit.")}</p>
                <PostForm to=CancelRegistration::url()>
                    <input type="hidden" name="id" value=enrollment.device_id.to_string() />
                    <button type="submit" class="secondary-button">{t("Cancel registration")}</button>
                </PostForm>
            </section>
        })}
        <p><a href="/">{t("Back to My devices")}</a></p>
    }
}

/// What an enrollment link shows when opened in a browser: the link is
/// meant for the SSP agent on the device.
#[component]
pub fn EnrollLinkPage() -> impl IntoView {
    view! {
        <Title text=t("Enroll this device") />
        <h1>{t("Enroll this device")}</h1>
        <section class="card">
            <p>{t("This link enrolls a device in your organisation's device management.")}</p>
            <ol class="steps">
                <li>{t("Install the SSP agent on this device, from your app store or as your IT department tells you.")}</li>
                <li>{t("Open this link again with the agent, or scan the QR code from the portal with it.")}</li>
                <li>{t("Enter the registration PIN (or your portal password) when the agent asks.")}</li>
            </ol>
            <p class="muted">{t("The link can be used once. If it has expired, register the device again in the portal.")}</p>
        </section>
    }
}

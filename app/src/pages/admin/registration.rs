//! Admin → Registration: how devices prove they were invited, the PIN's
//! length and validity, and the per-user device limit.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::registration::{SaveRegistrationSettings, get_registration_settings};
use crate::components::csrf::CsrfField;
use crate::components::status::{ErrorPanel, Saved};
use crate::domain::registration::{DeviceLimit, PinLength, PinValidity, RegistrationMode};

#[component]
pub fn RegistrationSettingsPage() -> impl IntoView {
    let query = use_query_map();
    let settings = Resource::new(
        move || query.with(|q| q.get("saved")),
        |_| get_registration_settings(),
    );
    let save = ServerAction::<SaveRegistrationSettings>::new();
    // Read inside the view: an answer that comes back with values changes the page.
    let typed = move |key: &str| query.with(|q| q.get(key));

    view! {
        <Title text="Registration settings" />
        <h1>"Registration"</h1>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || {
                settings
                    .get()
                    .map(|result| match result {
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        Ok(current) => {
                            let saved = query.with(|q| q.get("saved").is_some());
                            let mode = typed("mode").unwrap_or_else(|| current.mode.as_str().to_owned());
                            let pin_length = typed("pin_length")
                                .unwrap_or_else(|| current.pin_length.digits().to_string());
                            let validity = typed("pin_validity_hours")
                                .unwrap_or_else(|| current.pin_validity.hours().to_string());
                            let limit = typed("device_limit").unwrap_or_else(|| {
                                current.device_limit.get().map(|n| n.to_string()).unwrap_or_default()
                            });
                            let submitted = typed("pin_length").is_some();
                            let error = |result: Result<(), String>| {
                                if submitted { result.err() } else { None }
                            };
                            let length_error = error(PinLength::parse(&pin_length).map(|_| ()));
                            let validity_error = error(PinValidity::parse(&validity).map(|_| ()));
                            let limit_error = error(DeviceLimit::parse(&limit).map(|_| ()));
                            view! {
                                {saved.then(|| view! { <Saved text="Registration settings saved." /> })}
                                <ActionForm action=save>
                                    <CsrfField />
                                    <fieldset>
                                        <legend>"What a device needs to enroll"</legend>
                                        {RegistrationMode::ALL
                                            .into_iter()
                                            .map(|m| {
                                                let id = format!("mode-{}", m.as_str());
                                                let label_for = id.clone();
                                                view! {
                                                    <label class="choice" for=label_for>
                                                        <input type="radio" id=id name="mode" value=m.as_str() checked=mode == m.as_str() />
                                                        {m.label()}
                                                    </label>
                                                }
                                            })
                                            .collect_view()}
                                        <p class="help">
                                            "With a PIN, people see it once after registering and can reset it in the portal. A PIN is issued even if the device's platform does not ask for it."
                                        </p>
                                    </fieldset>
                                    <NumberField
                                        id="pin_length"
                                        label="PIN length (digits)"
                                        help="From 6 to 12 digits."
                                        value=pin_length
                                        error=length_error
                                    />
                                    <NumberField
                                        id="pin_validity_hours"
                                        label="Registration valid for (hours)"
                                        help="From 1 to 720 hours; a registration not used in time expires and frees its slot."
                                        value=validity
                                        error=validity_error
                                    />
                                    <NumberField
                                        id="device_limit"
                                        label="Devices per person"
                                        help="From 1 to 50; leave empty for no limit. Pending and active devices count."
                                        value=limit
                                        error=limit_error
                                    />
                                    <button type="submit">"Save registration settings"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                    })
            }}
        </Suspense>
    }
}

/// A number input with its help and, when refused, why.
#[component]
fn NumberField(
    id: &'static str,
    label: &'static str,
    help: &'static str,
    value: String,
    error: Option<String>,
) -> impl IntoView {
    let help_id = format!("{id}-help");
    let message_id = format!("{id}-message");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <p id=help_id.clone() class="help">{help}</p>
            <input
                id=id
                name=id
                type="number"
                inputmode="numeric"
                value=value
                aria-invalid=error.is_some().to_string()
                aria-describedby=format!("{help_id} {message_id}")
            />
            <p id=message_id class="field-message">
                {error.map(|e| view! { <span class="error">{e}</span> })}
            </p>
        </div>
    }
}

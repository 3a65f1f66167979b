//! Admin → Settings: portal-wide settings (later issues add theirs here).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::admin::{SaveSettings, get_settings};
use crate::api::notice::{Notice, notice};
use crate::components::form::PostForm;
use crate::components::status::{Saved, loaded};
use crate::domain::signin::IdleTimeout;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let query = use_query_map();
    // What was typed when the server refused it, to show again with the reason.
    let refused = move || query.with(|q| q.get("idle_timeout_minutes"));
    let saved = move || notice() == Some(Notice::Saved);

    view! {
        <Title text="Settings" />
        <h1>"Settings"</h1>
        {loaded(get_settings(), move |current| {
                            let typed = refused();
                            let error = typed
                                .as_deref()
                                .and_then(|t| IdleTimeout::parse(t).err())
                                .map(|e| e.to_string());
                            let value = typed.unwrap_or_else(|| current.idle_timeout_minutes.to_string());
                            let invalid = error.is_some();
                            view! {
                                {saved().then(|| view! { <Saved text="Settings saved." /> })}
                                <PostForm to=SaveSettings::url()>
                                    <fieldset>
                                        <legend>"Sessions"</legend>
                                        <div class="field">
                                            <label for="idle_timeout_minutes">"Sign out after inactivity (minutes)"</label>
                                            <p id="idle-help" class="help">
                                                "Between 5 and 90 minutes. A session also ends 12 hours after sign-in."
                                            </p>
                                            <input
                                                id="idle_timeout_minutes"
                                                name="idle_timeout_minutes"
                                                type="number"
                                                inputmode="numeric"
                                                min="5"
                                                max="90"
                                                value=value
                                                aria-invalid=invalid.to_string()
                                                aria-describedby="idle-help idle-message"
                                            />
                                            <p id="idle-message" class="field-message">
                                                {error.map(|e| view! { <span class="error">{e}</span> })}
                                            </p>
                                        </div>
                                    </fieldset>
                                    <button type="submit">"Save settings"</button>
                                </PostForm>
                            }
                                .into_any()
                        })}
    }
}

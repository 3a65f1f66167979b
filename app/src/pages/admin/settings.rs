//! Admin → Settings: portal-wide settings (later issues add theirs here).

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::api::admin::{SaveSettings, get_settings};
use crate::api::notice::{Notice, notice};
use crate::components::field::Field;
use crate::components::form::{PostForm, refused};
use crate::components::status::{Saved, loaded};
use crate::domain::signin::PortalSettingsInput;
use crate::i18n::{t, tt};

#[component]
pub fn SettingsPage() -> impl IntoView {
    // What was typed when the server refused it, to show again with the reasons.
    let typed = refused::<PortalSettingsInput>().map(|(typed, _)| typed);
    let saved = notice() == Some(Notice::Saved);

    view! {
        <Title text=t("Settings") />
        <h1>{t("Settings")}</h1>
        {loaded(get_settings(), move |current| {
            let errors = typed.as_ref().and_then(|t| t.check().err()).unwrap_or_default();
            let shown = PortalSettingsInput::of(&current);
            let value = |typed: Option<&Option<String>>, shown: Option<String>| {
                typed.cloned().flatten().or(shown).unwrap_or_default()
            };
            let idle = value(typed.as_ref().map(|t| &t.idle_timeout_minutes), shown.idle_timeout_minutes);
            let retention = value(typed.as_ref().map(|t| &t.audit_retention_days), shown.audit_retention_days);
            let hold = value(typed.as_ref().map(|t| &t.action_hold_minutes), shown.action_hold_minutes);
            view! {
                {saved.then(|| view! { <Saved text=t("Settings saved.") /> })}
                <PostForm to=SaveSettings::url()>
                    <fieldset>
                        <legend>{t("Sessions")}</legend>
                        <Field
                            id="idle_timeout_minutes"
                            kind="number"
                            label=t("Sign out after inactivity (minutes)")
                            help=t("Between 5 and 90 minutes. A session also ends 12 hours after sign-in.")
                            value=idle
                            error=errors.idle_timeout_minutes.map(|e| tt(&e))
                        />
                    </fieldset>
                    <fieldset>
                        <legend>{t("Audit log")}</legend>
                        <Field
                            id="audit_retention_days"
                            kind="number"
                            label=t("Keep events for (days)")
                            help=t(
                                "From 30 days to 10 years (3650 days). Older events are removed every few minutes.",
                            )
                            value=retention
                            error=errors.audit_retention_days.map(|e| tt(&e))
                        />
                    </fieldset>
                    <fieldset>
                        <legend>{t("Wipe and Retire")}</legend>
                        <Field
                            id="action_hold_minutes"
                            kind="number"
                            label=t("Wait before the device gets them (minutes)")
                            help=t(
                                "From 0 to 60 minutes. Meanwhile the owner can cancel, and is told by e-mail when it was asked for and when it is done.",
                            )
                            value=hold
                            error=errors.action_hold_minutes.map(|e| tt(&e))
                        />
                    </fieldset>
                    <button type="submit">{t("Save settings")}</button>
                </PostForm>
            }
            .into_any()
        })}
    }
}

//! A form field: its label, its help, the input, and, when the server
//! refused what was typed, why, next to it (announced with the input).

use leptos::prelude::*;

/// A labelled text input (or `kind`: number, password, tel, …).
#[component]
pub fn Field(
    id: &'static str,
    /// The form field's name, when it is not `id`.
    #[prop(optional)]
    name: &'static str,
    label: &'static str,
    #[prop(optional)] help: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] maxlength: Option<u32>,
    /// The browser's autofill hint, when not the default (passwords: a new one).
    #[prop(optional)]
    autocomplete: &'static str,
    value: String,
    #[prop(optional_no_strip)] error: Option<String>,
) -> impl IntoView {
    let help_id = (!help.is_empty()).then(|| format!("{id}-help"));
    let message_id = format!("{id}-message");
    let described_by = match &help_id {
        Some(help_id) => format!("{help_id} {message_id}"),
        None => message_id.clone(),
    };
    let numeric = (kind == "number").then_some("numeric");
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {help_id.map(|help_id| view! { <p id=help_id class="help">{help}</p> })}
            <input
                id=id
                name=if name.is_empty() { id } else { name }
                type=kind
                inputmode=numeric
                maxlength=maxlength
                value=value
                autocomplete=match autocomplete {
                    "" => (kind == "password").then_some("new-password"),
                    hint => Some(hint),
                }
                aria-invalid=error.is_some().to_string()
                aria-describedby=described_by
            />
            <p id=message_id class="field-message">
                {error.map(|e| view! { <span class="error">{e}</span> })}
            </p>
        </div>
    }
}

//! The phone number field of the registration form, with a hint that
//! follows each keystroke (the same rules the server applies on submit).
//! Without JavaScript it is a plain field, and the server's answer shows
//! next to it after the form is sent.

use leptos::prelude::*;

use crate::domain::phone::PhoneNumber;
use crate::domain::registration::sms_allowed;
use crate::i18n::Words;

/// The texts of [`PhoneField`] in the request's language: its own, then
/// the rules' it applies as the person types (in the order of
/// [`PhoneNumberError`](crate::domain::phone::PhoneNumberError)).
#[cfg(feature = "ssr")]
pub fn phone_words() -> Words {
    use crate::domain::phone::PhoneNumberError::*;
    let problems: Vec<String> = [
        Empty,
        MissingCountryCode,
        CountryCodeStartsWithZero,
        InvalidCharacter,
        TooShort,
        TooLong,
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    Words::of(
        std::iter::once(crate::i18n::en("{number} can receive text messages."))
            .chain(problems.iter().map(String::as_str)),
    )
}

#[island]
pub fn PhoneField(
    /// What the field shows: what was typed, or the number on file.
    value: String,
    /// Why the server refused what was sent, if it did.
    error: Option<String>,
    /// The country codes text messages may go to ("44 353"; empty for
    /// any), and what to say about another number (both made on the server).
    countries: String,
    refusal: String,
    /// Its texts in the page's language ([`phone_words`]).
    words: Words,
) -> impl IntoView {
    let typed = RwSignal::new(None::<String>);
    let invalid = error.is_some().to_string();
    let message = move || match typed.get() {
        Some(text) if text.trim().is_empty() => None,
        Some(text) => Some(match PhoneNumber::parse(&text) {
            Ok(number) if sms_allowed(&countries, &number) => {
                let (before, after) = words.around(0);
                view! { <span class="ok">{format!("{before}{number}{after}")}</span> }.into_any()
            }
            Ok(_) => view! { <span class="hint">{refusal.clone()}</span> }.into_any(),
            Err(error) => {
                view! { <span class="hint">{words.get(1 + error as usize).to_owned()}</span> }
                    .into_any()
            }
        }),
        None => error
            .clone()
            .map(|e| view! { <span class="error">{e}</span> }.into_any()),
    };
    view! {
        <input
            id="phone"
            name="phone"
            type="tel"
            autocomplete="tel"
            inputmode="tel"
            value=value
            aria-invalid=invalid
            aria-describedby="phone-help phone-message"
            on:input=move |ev| typed.set(Some(event_target_value(&ev)))
        />
        <p id="phone-message" class="field-message" aria-live="polite">
            {message}
        </p>
    }
}

//! Checking a phone number's format: the form posts here, and the answer is
//! a redirect back to the page with what was submitted, so the same form
//! works with JavaScript (no reload) and without it (POST → redirect → GET).

use leptos::prelude::*;

/// Where the page that checks phone numbers lives; the form's answer goes back there.
pub const PHONE_CHECK_PAGE: &str = "/";

#[server(endpoint = "check_phone_number")]
pub async fn check_phone_number(csrf_token: String, phone: String) -> Result<(), ServerFnError> {
    drop(csrf_token); // checked by the HTTP layer before this runs
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("phone", &phone)
        .finish();
    leptos_axum::redirect(&format!("{PHONE_CHECK_PAGE}?{query}#phone-check"));
    Ok(())
}

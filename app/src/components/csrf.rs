//! The anti-forgery token every form sends back: the server renders it into
//! each form's hidden field (and an island's form gets it as a prop).

use leptos::prelude::*;

/// The name of the form field (and `x-csrf-token` header) the server checks.
pub const CSRF_FIELD: &str = "csrf_token";

/// This request's token.
pub fn csrf_token() -> String {
    with_context::<std::sync::Arc<crate::server::Caller>, _>(|caller| caller.csrf.clone())
        .unwrap_or_default()
}

/// `<input type="hidden" name="csrf_token">` for a form.
#[component]
pub fn CsrfField() -> impl IntoView {
    view! { <input type="hidden" name=CSRF_FIELD value=csrf_token() /> }
}

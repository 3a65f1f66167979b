//! The anti-forgery token every form sends back. The server renders it
//! into the page (a `<meta>` in the head and each form's hidden field);
//! in the browser the field reads it from that `<meta>`.

use leptos::prelude::*;

/// The name of the form field (and `x-csrf-token` header) the server checks.
pub const CSRF_FIELD: &str = "csrf_token";

/// This request's token.
pub fn csrf_token() -> String {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .extensions
                    .get::<crate::server::CsrfToken>()
                    .map(|t| t.0.clone())
            })
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        #[cfg(feature = "hydrate")]
        {
            document()
                .query_selector(r#"meta[name="csrf-token"]"#)
                .ok()
                .flatten()
                .and_then(|meta| meta.get_attribute("content"))
                .unwrap_or_default()
        }
        #[cfg(not(feature = "hydrate"))]
        {
            String::new()
        }
    }
}

/// `<input type="hidden" name="csrf_token">` for a form.
#[component]
pub fn CsrfField() -> impl IntoView {
    view! { <input type="hidden" name=CSRF_FIELD value=csrf_token() /> }
}

//! Server functions: thin adapters between the pages and the server-side
//! services. Each one has a stable URL under `/api/`. Those that only read
//! are GET requests; those that change something are POSTed forms, which
//! the HTTP layer checks for the anti-forgery token (`csrf_token`) before
//! any function runs, so no function declares it.

// Server functions are where a request begins: they read the clock.
#![allow(clippy::disallowed_methods)]

pub mod account;
pub mod admin;
pub mod catalogue;
pub mod certificates;
pub mod devices;
pub mod directory;
#[cfg(feature = "ssr")]
mod errors;
pub mod notice;
pub mod registration;
pub mod session;
pub mod types;

/// Sends the browser back to `page` (with its `#anchor`, if any) with the
/// form as it was typed and why it was refused (`refused=reason`); the
/// page reads both with
/// [`crate::components::form::refused`].
#[cfg(feature = "ssr")]
pub(crate) fn refuse<T: serde::Serialize>(
    page: &str,
    typed: &T,
    reason: &str,
) -> Result<(), types::ApiError> {
    let typed = serde_qs::to_string(typed).map_err(crate::server::internal)?;
    let reason = query(&[("refused", reason)]);
    redirect(page, &format!("{typed}&{reason}"));
    Ok(())
}

/// Sends the browser to `page` with `query`, before the page's `#anchor`.
#[cfg(feature = "ssr")]
pub(crate) fn redirect(page: &str, query: &str) {
    match page.split_once('#') {
        Some((path, anchor)) => leptos_axum::redirect(&format!("{path}?{query}#{anchor}")),
        None => leptos_axum::redirect(&format!("{page}?{query}")),
    }
}

/// `pairs` as a query string.
#[cfg(feature = "ssr")]
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

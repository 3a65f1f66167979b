//! A form that posts to a server function, with its anti-forgery token: the
//! browser sends it and follows the redirect that answers it, with or
//! without JavaScript (POST → redirect → GET).

use leptos::prelude::*;

use super::csrf::CsrfField;
use crate::i18n::tt;

#[component]
pub fn PostForm(
    /// The server function's address, e.g. `RenameDevice::url()`.
    to: &'static str,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] id: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <form
            method="post"
            action=to
            class=(!class.is_empty()).then_some(class)
            id=(!id.is_empty()).then_some(id)
        >
            <CsrfField />
            {children()}
        </form>
    }
}

/// A form the server refused (see `api::refuse`), read back from the
/// address as the server function read it: what was typed, and the reason
/// (in the request's language: it arrives in English).
pub fn refused<T: serde::de::DeserializeOwned>() -> Option<(T, String)> {
    leptos_router::hooks::use_query_map().with_untracked(|query| {
        let reason = query.get("refused")?;
        let mut text = form_urlencoded::Serializer::new(String::new());
        for (key, value) in query {
            text.append_pair(key, value);
        }
        let typed = serde_qs::Config::new(5, false)
            .deserialize_str(&text.finish())
            .ok()?;
        Some((typed, tt(&reason)))
    })
}

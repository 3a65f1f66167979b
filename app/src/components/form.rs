//! A form that posts to a server function, with its anti-forgery token: the
//! browser sends it and follows the redirect that answers it, with or
//! without JavaScript (POST → redirect → GET).

use leptos::prelude::*;

use super::csrf::CsrfField;

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

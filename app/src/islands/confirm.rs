//! The confirmation of a destructive action in a dialog. Without
//! JavaScript its link leads to a confirmation page that says the same;
//! with it, the same words open in a modal dialog over the page.

use leptos::prelude::*;

/// The dialog's contents (its heading, what will happen, the form that
/// confirms and a `<form method="dialog">` that cancels) are rendered on
/// the server: the island only opens it.
#[island]
pub fn ConfirmDialog(
    /// The confirmation page, for a browser without JavaScript.
    href: String,
    /// The link's words, e.g. "Wipe…".
    link: String,
    /// The id of the dialog's heading, which names it.
    heading: String,
    children: Children,
) -> impl IntoView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let open = move |ev: leptos::ev::MouseEvent| {
        if let Some(dialog) = dialog.get() {
            ev.prevent_default();
            let _ = dialog.show_modal();
        }
    };
    view! {
        <a class="button danger" href=href on:click=open>
            {link}
        </a>
        <dialog node_ref=dialog class="confirm" aria-labelledby=heading>
            {children()}
        </dialog>
    }
}

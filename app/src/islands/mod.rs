//! The islands: the only parts of a page that run in the browser, each for
//! something the server cannot do. Everything else is rendered on the
//! server and works without JavaScript; with it, these add to it. Each
//! island takes what it needs as props (serialised into the page) and
//! talks to the server through the same server functions as everything
//! else.
//!
//! A page that holds an island adds [`IslandScripts`] (which loads the
//! bundle); a page without one loads no script at all.

mod confirm;
mod follow;
mod phone;

pub use confirm::ConfirmDialog;
pub use follow::FollowDevice;
#[cfg(feature = "ssr")]
pub use follow::follow_words;
pub use phone::PhoneField;
#[cfg(feature = "ssr")]
pub use phone::phone_words;

#[cfg(feature = "ssr")]
pub use scripts::{Assets, IslandScripts};

#[cfg(feature = "ssr")]
mod scripts {
    use leptos::prelude::*;

    /// The addresses of the site's own files, content-hashed (so that a
    /// browser may keep them for a year): known at start, given to every
    /// page through context.
    #[derive(Clone, Debug, Default)]
    pub struct Assets {
        pub stylesheet: String,
        pub loader: String,
        pub bundle_js: String,
        pub bundle_wasm: String,
    }

    /// The loader of the islands bundle, for a page that holds islands. It
    /// is a module script: a browser without JavaScript fetches nothing.
    #[component]
    pub fn IslandScripts() -> impl IntoView {
        let assets = use_context::<Assets>().unwrap_or_default();
        view! {
            <script
                type="module"
                src=assets.loader
                data-js=assets.bundle_js
                data-wasm=assets.bundle_wasm
            ></script>
        }
    }
}

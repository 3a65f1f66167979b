//! The SSP portal: the application shell, its routes, and everything the
//! server and the browser share (pages, components, server functions and the
//! domain rules).
//!
//! Built twice: with `ssr` into the server binary, which renders every page
//! to HTML, and with `hydrate` into the WASM bundle that makes those pages
//! interactive in the browser.

pub mod api;
pub mod components;
pub mod domain;
pub mod pages;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    StaticSegment,
    components::{Route, Router, Routes},
};

use components::layout::Layout;
use pages::{devices::MyDevicesPage, not_found::NotFoundPage};

/// The HTML document around the application, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout and routes. Any path without a route gets the
/// "page not found" page with HTTP status 404.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Stylesheet id="leptos" href="/pkg/ssp.css" />
        <Title formatter=|page: String| format!("{page} · SSP") />
        <Router>
            <Layout>
                <Routes fallback=NotFoundPage>
                    <Route path=StaticSegment("") view=MyDevicesPage />
                </Routes>
            </Layout>
        </Router>
    }
}

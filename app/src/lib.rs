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
#[cfg(feature = "ssr")]
pub mod server;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use components::layout::Layout;
use pages::admin::{
    AdminLayout,
    audit::AuditPage,
    certificates::{CertificateSettingPage, CertificateSettingsPage},
    ldap::{LdapServerPage, LdapServersPage},
    policies::{CatalogueItemPage, LabelPage, PoliciesPage},
    registration::RegistrationSettingsPage,
    settings::SettingsPage,
    sign_in_methods::SignInMethodsPage,
    user::UserPage,
    users::UsersPage,
};
use pages::{
    certificates::MyCertificatesPage,
    device::{ConfirmActionPage, DevicePage},
    devices::MyDevicesPage,
    not_found::NotFoundPage,
    ownership::OwnershipPage,
    registration::{EnrollLinkPage, EnrollPage, RegisterPage},
    sign_in::SignInPage,
};

/// The HTML document around the application, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <meta name="csrf-token" content=components::csrf::csrf_token() />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
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
                // Async: every page waits for its data on the server, so the
                // page works without JavaScript.
                <Routes fallback=NotFoundPage>
                    <Route path=path!("/") view=MyDevicesPage ssr=SsrMode::Async />
                    <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/certificates")
                        view=MyCertificatesPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/devices/register")
                        view=RegisterPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/devices/:id") view=DevicePage ssr=SsrMode::Async />
                    <Route
                        path=path!("/devices/:id/enroll")
                        view=EnrollPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/enroll/:token") view=EnrollLinkPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/devices/:id/ownership")
                        view=OwnershipPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/devices/:id/confirm/:action")
                        view=ConfirmActionPage
                        ssr=SsrMode::Async
                    />
                    <ParentRoute path=path!("/admin") view=AdminLayout ssr=SsrMode::Async>
                        <Route path=path!("") view=UsersPage />
                        <Route path=path!("users") view=UsersPage />
                        <Route path=path!("users/:username") view=UserPage />
                        <Route path=path!("audit") view=AuditPage />
                        <Route path=path!("settings") view=SettingsPage />
                        <Route path=path!("sign-in") view=SignInMethodsPage />
                        <Route path=path!("registration") view=RegistrationSettingsPage />
                        <Route path=path!("ldap") view=LdapServersPage />
                        <Route path=path!("ldap/:id") view=LdapServerPage />
                        <Route path=path!("certificates") view=CertificateSettingsPage />
                        <Route path=path!("certificates/:id") view=CertificateSettingPage />
                        <Route path=path!("policies") view=PoliciesPage />
                        <Route path=path!("policies/new") view=CatalogueItemPage />
                        <Route path=path!("policies/:id") view=CatalogueItemPage />
                        <Route path=path!("labels/new") view=LabelPage />
                        <Route path=path!("labels/:id") view=LabelPage />
                    </ParentRoute>
                </Routes>
            </Layout>
        </Router>
    }
}

/// The page's Content-Security-Policy: only this site's scripts, styles and
/// connections, inline scripts only with this response's nonce, and WASM.
#[cfg(feature = "ssr")]
fn set_content_security_policy() {
    leptos::nonce::provide_nonce();
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    // `cargo leptos watch` reloads the page over a WebSocket of its own.
    let reload = if std::env::var("LEPTOS_WATCH").is_ok() {
        " ws:"
    } else {
        ""
    };
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; form-action 'self'; \
         frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
    );
    if let Ok(value) = http::HeaderValue::from_str(&policy) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

//! The HTML document around every page, and the routes.

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    SsrMode,
    components::{ParentRoute, Route, Router, Routes},
    path,
};

use crate::components::layout::Layout;
use crate::islands::Assets;
use crate::pages::admin::{
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
use crate::pages::{
    account::AccountPage,
    certificates::MyCertificatesPage,
    device::{ConfirmActionPage, DevicePage},
    devices::MyDevicesPage,
    not_found::NotFoundPage,
    ownership::OwnershipPage,
    registration::{EnrollLinkPage, EnrollPage, RegisterPage},
    set_password::SetPasswordPage,
    sign_in::SignInPage,
};

/// The HTML document around the application. Nothing in it is hydrated:
/// the browser runs only the islands of a page (which load their own
/// script), and resources are not serialised into the page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    if let Some(context) = Owner::current_shared_context() {
        context.set_is_hydrating(false);
    }
    set_content_security_policy();
    view! {
        <!DOCTYPE html>
        <html lang=crate::domain::text::TextEnum::as_str(crate::i18n::lang())>
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                {watching().then(|| view! { <AutoReload options /> })}
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

    let stylesheet = use_context::<Assets>().unwrap_or_default().stylesheet;
    view! {
        <Stylesheet id="leptos" href=stylesheet />
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
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async />
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
                        path=path!("/set-password/:token")
                        view=SetPasswordPage
                        ssr=SsrMode::Async
                    />
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

/// Whether `cargo leptos watch` runs the portal (it reloads the page when
/// the code changes): known at start.
fn watching() -> bool {
    static WATCHING: std::sync::LazyLock<bool> =
        std::sync::LazyLock::new(|| std::env::var("LEPTOS_WATCH").is_ok());
    *WATCHING
}

/// The page's Content-Security-Policy: only this site's scripts (no inline
/// script at all), styles and connections, and WASM.
fn set_content_security_policy() {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    // `cargo leptos watch` reloads the page with an inline script and a
    // WebSocket of its own.
    static POLICY: std::sync::LazyLock<Option<http::HeaderValue>> =
        std::sync::LazyLock::new(|| {
            let watch = watching();
            let policy = format!(
                "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{}; \
             style-src 'self'; img-src 'self' data:; connect-src 'self'{}; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'self'; object-src 'none'",
                if watch { " 'unsafe-inline'" } else { "" },
                if watch { " ws:" } else { "" },
            );
            http::HeaderValue::from_str(&policy).ok()
        });
    if let Some(policy) = POLICY.as_ref() {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, policy.clone());
    }
}

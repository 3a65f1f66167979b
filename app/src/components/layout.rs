//! The frame around every page: a header with the product name and the
//! navigation, the main area, and a footer. The main area is wrapped in an
//! error boundary so that a failing page shows a helpful message, never a
//! blank screen.

use leptos::prelude::*;
use leptos_router::components::A;
use std::sync::Arc;

use super::csrf::CsrfField;
use crate::api::types::Me;
use crate::domain::role::Role;
use crate::i18n::{Lang, lang, t, tf};
use crate::server::Caller;

/// The signed-in user (or `None`): known from the request before the page
/// is rendered, so no page waits for it.
pub fn use_me() -> Option<Me> {
    with_context::<Arc<Caller>, _>(|caller| {
        caller.user.as_ref().map(|user| Me {
            username: user.username().to_string(),
            display_name: user.display_name().to_owned(),
            roles: user.roles().clone(),
            csrf_token: caller.csrf.clone(),
        })
    })
    .flatten()
}

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let header = use_me().map(|me| {
        let admin = me.has(Role::Administrator);
        view! {
            <nav aria-label=t("Main")>
                <ul>
                    <li>
                        <A href="/" exact=true>
                            {t("My devices")}
                        </A>
                    </li>
                    <li>
                        <A href="/certificates">{t("My certificates")}</A>
                    </li>

                    {admin
                        .then(|| {
                            view! {
                                <li>
                                    <A href="/admin">{t("Admin")}</A>
                                </li>
                            }
                        })}
                </ul>
            </nav>
            <div class="account">
                <span class="who" title=me.username.clone()>
                    {me.display_name.clone()}
                </span>
                <a href="/account" class="account-link">
                    {t("My account")}
                </a>
                <form method="post" action="/api/sign_out" class="inline">
                    <CsrfField />
                    <button type="submit" class="link-button">
                        {t("Sign out")}
                    </button>
                </form>
            </div>
        }
    });

    view! {
        <a class="skip-link" href="#main">{t("Skip to content")}</a>
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"SSP"</span>
                <span class="brand-name">{t("Device self-service")}</span>
            </a>
            {header}
        </header>
        // The islands' loader sets `data-hydrated` once they are live (on a
        // page that has some): it tells tools and the browser tests.
        <main id="main" tabindex="-1" data-hydrated="false">
            <PageErrorBoundary>{children()}</PageErrorBoundary>
        </main>
        <footer class="site-footer">
            <p>
                "SSP " {env!("CARGO_PKG_VERSION")} " · "
                {t("Manage your own devices without a helpdesk ticket.")}
            </p>
            <LanguageSwitch />
        </footer>
    }
}

/// The other languages the portal speaks, as a plain form that works
/// without JavaScript: the choice is kept in a cookie (and for the
/// person's e-mails), and the same page comes back in it.
#[component]
fn LanguageSwitch() -> impl IntoView {
    use crate::domain::text::TextEnum;
    let location = leptos_router::hooks::use_location();
    let search = location.search.get_untracked();
    let here = match search.trim_start_matches('?') {
        "" => location.pathname.get_untracked(),
        query => format!("{}?{query}", location.pathname.get_untracked()),
    };
    let current = lang();
    view! {
        <form method="post" action="/api/language" class="language-switch">
            <CsrfField />
            <input type="hidden" name="next" value=here />
            <span id="language-label">{t("Language:")}</span>
            " "
            {Lang::ALL
                .iter()
                .map(|l| {
                    let chosen = *l == current;
                    view! {
                        <button
                            type="submit"
                            name="lang"
                            value=l.as_str()
                            lang=l.as_str()
                            class="link-button"
                            aria-describedby="language-label"
                            aria-current=chosen.then_some("true")
                            disabled=chosen
                        >
                            {l.name()}
                        </button>
                        " "
                    }
                })
                .collect_view()}
        </form>
    }
}

/// Shows its children, or, when they fail, what happened in plain words and
/// what the person can do: never a raw error string, never a blank page.
/// (The details are in the server log.)
#[component]
pub fn PageErrorBoundary(children: Children) -> impl IntoView {
    view! {
        <ErrorBoundary fallback=|errors| {
            view! { <PageError errors /> }
        }>{children()}</ErrorBoundary>
    }
}

#[component]
fn PageError(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let count = move || errors.with(|e| e.iter().count());
    view! {
        <section class="page-error" role="alert">
            <h1>{t("Something went wrong")}</h1>
            <p>
                {t(
                    "This page could not be shown. Reload it in a moment; if it keeps failing, contact your IT helpdesk and mention the time it happened.",
                )}
            </p>
            <p class="muted">{move || tf("{count} problem(s) reported.", &[("count", &count())])}</p>
            <p>
                <a href="/">{t("Back to My devices")}</a>
            </p>
        </section>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn render(view: impl FnOnce() -> AnyView) -> String {
        Owner::new().with(|| view().to_html())
    }

    #[test]
    fn a_failing_page_shows_a_helpful_message_not_the_error() {
        let html = render(|| {
            view! {
                <PageErrorBoundary>
                    {Err::<(), _>(ServerFnError::new("connection refused: db.internal:5432"))}
                </PageErrorBoundary>
            }
            .into_any()
        });
        assert!(html.contains("Something went wrong"), "{html}");
        assert!(html.contains("contact your IT helpdesk"), "{html}");
        assert!(
            !html.contains("db.internal"),
            "the raw error leaked: {html}"
        );
    }

    #[test]
    fn a_working_page_is_shown_as_it_is() {
        let html = render(|| {
            view! {
                <PageErrorBoundary>
                    <p>"All fine"</p>
                </PageErrorBoundary>
            }
            .into_any()
        });
        assert!(html.contains("All fine"), "{html}");
        assert!(!html.contains("Something went wrong"), "{html}");
    }
}

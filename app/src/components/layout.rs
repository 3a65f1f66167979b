//! The frame around every page: a header with the product name and the
//! navigation, the main area, and a footer. The main area is wrapped in an
//! error boundary so that a failing page shows a helpful message, never a
//! blank screen.

use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Effects run only in the browser, once the page is hydrated: the
    // attribute tells people's tools (and the browser tests) that it is live.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"SSP"</span>
                <span class="brand-name">"Device self-service"</span>
            </a>
            <nav aria-label="Main">
                <ul>
                    <li>
                        <A href="/" exact=true>
                            "My devices"
                        </A>
                    </li>
                </ul>
            </nav>
        </header>
        <main id="main" tabindex="-1" data-hydrated=move || hydrated.get().to_string()>
            <ErrorBoundary fallback=|errors| {
                view! { <PageError errors /> }
            }>{children()}</ErrorBoundary>
        </main>
        <footer class="site-footer">
            <p>"SSP " {env!("CARGO_PKG_VERSION")} " · Manage your own devices without a helpdesk ticket."</p>
        </footer>
    }
}

/// What a person sees when a page fails: what happened in plain words and
/// what they can do, never a raw error string.
#[component]
fn PageError(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let count = move || errors.with(|e| e.iter().count());
    view! {
        <section class="page-error" role="alert">
            <h1>"Something went wrong"</h1>
            <p>
                "This page could not be shown. Reload it in a moment; if it keeps failing, "
                "contact your IT helpdesk and mention the time it happened."
            </p>
            <p class="muted">{move || format!("{} problem(s) reported.", count())}</p>
            <p>
                <a href="/">"Back to My devices"</a>
            </p>
        </section>
    }
}

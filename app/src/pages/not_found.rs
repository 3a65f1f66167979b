//! The page for any address the portal does not know. Answers HTTP 404.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::t;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text=t("Page not found") />
        <section class="not-found">
            <h1>{t("Page not found")}</h1>
            <p>{t("There is nothing at this address. It may have moved, or the link may be mistyped.")}</p>
            <p>
                <a class="button" href="/">{t("Go to My devices")}</a>
            </p>
        </section>
    }
}

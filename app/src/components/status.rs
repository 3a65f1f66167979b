//! How a page says that it cannot show what was asked, in plain words.

use crate::domain::text::TextEnum;
use leptos::prelude::*;

use crate::api::types::ApiError;
use crate::domain::device::{DeviceStatus, LockState};
use crate::i18n::{t, tt};

/// What `load` gives, shown by `show`; or, when it fails, what happened in
/// plain words. The page waits for it on the server (nothing is loaded in
/// the browser).
pub fn loaded<T, V>(
    load: impl Future<Output = Result<T, ApiError>> + Send + 'static,
    show: impl FnOnce(T) -> V + Send + 'static,
) -> impl IntoView
where
    T: Send + 'static,
    V: IntoView + 'static,
{
    Suspend::new(async move {
        match load.await {
            Ok(data) => show(data).into_any(),
            Err(error) => view! { <ErrorPanel error /> }.into_any(),
        }
    })
}

#[component]
pub fn ErrorPanel(error: ApiError) -> impl IntoView {
    let (title, text) = match &error {
        ApiError::NotSignedIn => (
            t("Please sign in"),
            t("Your session has ended. Sign in again to continue.").to_owned(),
        ),
        ApiError::Forbidden(reason) => (t("Not allowed"), tt(reason)),
        ApiError::NotFound => (
            t("Not found"),
            t("There is nothing here, or it is not yours to see.").to_owned(),
        ),
        ApiError::Invalid(reason) => (t("Please check your input"), tt(reason)),
        ApiError::Conflict(reason) => (t("Not possible now"), tt(reason)),
        ApiError::TooMany(reason) => (t("Please wait"), tt(reason)),
        ApiError::BadRequest(_) => (
            t("Something went wrong"),
            t("The request could not be understood.").to_owned(),
        ),
        ApiError::Unavailable => (t("Please try again"), tt(&error.to_string())),
    };
    view! {
        <section class="card notice error" role="alert">
            <h2>{title}</h2>
            <p>{text}</p>
            <p>
                <a href="/">{t("Back to My devices")}</a>
            </p>
        </section>
    }
}

/// A short confirmation after a save.
#[component]
pub fn Saved(text: &'static str) -> impl IntoView {
    view! {
        <p class="notice ok" role="status">
            {text}
        </p>
    }
}

/// A device's status, and its lock state when it is active.
#[component]
pub fn StatusBadge(status: DeviceStatus, lock: LockState) -> impl IntoView {
    let lock_text = match (status, lock) {
        (DeviceStatus::Active, LockState::Locked) => Some(t("Locked")),
        (DeviceStatus::Active, LockState::LostMode) => Some(t("Locked (lost)")),
        _ => None,
    };
    view! {
        <span class=format!("badge status {}", status.as_str())>{tt(status.label())}</span>
        {lock_text.map(|t| view! { <span class="badge lock">{t}</span> })}
    }
}

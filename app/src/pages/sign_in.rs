//! The sign-in page: the only page without a session. Plain forms that
//! post to the `sign_in` (password) and `sign_in_certificate` server
//! functions, with or without JavaScript; which of them it shows is the
//! administrator's choice (Admin → Sign-in methods).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::notice::{Notice, notice};
use crate::api::session::sign_in_options;
use crate::api::types::SignInChoices;
use crate::components::csrf::CsrfField;
use crate::domain::signin::SignInProblem;
use crate::i18n::{t, tt};

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &str| query.with_untracked(|q| q.get(key)).unwrap_or_default();
    let error = SignInProblem::parse(&get("error"), &get("minutes")).map(|p| tt(&p.message()));
    let signed_out = notice() == Some(Notice::SignedOut);
    let password_set = notice() == Some(Notice::PasswordSet);
    let next = get("next");
    let username = get("username");
    let has_error = error.is_some();

    view! {
        <Title text=t("Sign in") />
        <section class="card sign-in">
            <h1>{t("Sign in")}</h1>
            {signed_out.then(|| view! { <p class="notice ok" role="status">{t("You have signed out.")}</p> })}
            {password_set
                .then(|| {
                    view! { <p class="notice ok" role="status">{t("Your password is set: sign in with it.")}</p> }
                })}
            {error
                .map(|text| {
                    view! {
                        <p id="sign-in-error" class="notice error" role="alert">
                            {text}
                        </p>
                    }
                })}
            {Suspend::new(async move {
                // If the options cannot be read, the password form is
                // offered: the server has the last word anyway.
                let options = sign_in_options()
                    .await
                    .unwrap_or(SignInChoices {
                        password: true,
                        certificate: false,
                        presented: None,
                    });
                view! {
                    {options
                        .certificate
                        .then(|| {
                            view! {
                                <CertificateSignIn
                                    presented=options.presented.clone()
                                    next=next.clone()
                                />
                            }
                        })}
                    {(options.certificate && options.password)
                        .then(|| view! { <p class="or">{t("or with your user name and password")}</p> })}
                    {options
                        .password
                        .then(|| view! { <PasswordSignIn next username has_error /> })}
                }
            })}
        </section>
    }
}

/// The button that signs in with the certificate the browser presents, or
/// how to get one presented.
#[component]
fn CertificateSignIn(presented: Option<String>, next: String) -> impl IntoView {
    view! {
        <form method="post" action="/api/sign_in_certificate" class="certificate-sign-in">
            <CsrfField />
            <input type="hidden" name="next" value=next />
            {match presented {
                Some(subject) => {
                    view! {
                        <p class="help" id="certificate-presented">
                            {t("Your browser presents the certificate of ")} <strong>{subject}</strong> "."
                        </p>
                    }
                        .into_any()
                }
                None => {
                    view! {
                        <p class="notice" id="certificate-missing">
                            {t(
                                "Your browser did not present a certificate. Insert your smart card (or install your certificate) and reload this page: your browser then asks which certificate to use. If it does not, contact your IT helpdesk.",
                            )}
                        </p>
                    }
                        .into_any()
                }
            }}
            <button type="submit">{t("Sign in with your certificate")}</button>
        </form>
    }
}

#[component]
fn PasswordSignIn(next: String, username: String, has_error: bool) -> impl IntoView {
    view! {
        <form method="post" action="/api/sign_in">
            <CsrfField />
            <input type="hidden" name="next" value=next />
            <div class="field">
                <label for="username">{t("User name")}</label>
                <input
                    id="username"
                    name="username"
                    type="text"
                    autocomplete="username"
                    autocapitalize="none"
                    spellcheck="false"
                    required
                    value=username
                    autofocus=!has_error
                />
            </div>
            <div class="field">
                <label for="password">{t("Password")}</label>
                <input
                    id="password"
                    name="password"
                    type="password"
                    autocomplete="current-password"
                    required
                    aria-describedby=has_error.then_some("sign-in-error")
                    autofocus=has_error
                />
            </div>
            <button type="submit">{t("Sign in")}</button>
        </form>
    }
}

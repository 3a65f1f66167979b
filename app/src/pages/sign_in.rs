//! The sign-in page: the only page without a session. A plain form that
//! posts to the `sign_in` server function, with or without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::csrf::CsrfField;

/// What the sign-in page says for each reason the server sent back; the
/// reason is a code, so nobody can put words on this page through a link.
fn message(code: &str, minutes: &str) -> Option<String> {
    match code {
        "invalid" => Some("The user name or password is not correct.".to_owned()),
        "locked" => Some(format!(
            "Too many failed sign-ins. Try again in {} minute(s).",
            minutes.parse::<u32>().unwrap_or(15)
        )),
        "disabled" => Some("Your account is disabled. Contact your IT helpdesk.".to_owned()),
        "no-access" => {
            Some("You do not have access to the portal. Contact your IT helpdesk.".to_owned())
        }
        "directory-unavailable" => Some(
            "The directory that checks your password cannot be reached right now. Try again in a few minutes, or contact your IT helpdesk."
                .to_owned(),
        ),
        _ => None,
    }
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &str| query.with_untracked(|q| q.get(key)).unwrap_or_default();
    let error = message(&get("error"), &get("minutes"));
    let signed_out = !get("signed_out").is_empty();
    let next = get("next");
    let username = get("username");
    let has_error = error.is_some();

    view! {
        <Title text="Sign in" />
        <section class="card sign-in">
            <h1>"Sign in"</h1>
            {signed_out.then(|| view! { <p class="notice ok" role="status">"You have signed out."</p> })}
            {error
                .map(|text| {
                    view! {
                        <p id="sign-in-error" class="notice error" role="alert">
                            {text}
                        </p>
                    }
                })}
            <form method="post" action="/api/sign_in">
                <CsrfField />
                <input type="hidden" name="next" value=next />
                <div class="field">
                    <label for="username">"User name"</label>
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
                    <label for="password">"Password"</label>
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
                <button type="submit">"Sign in"</button>
            </form>
        </section>
    }
}

//! What a link to set a password opens: the new password, twice. Anyone
//! holding the link may use it once, without signing in.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::account::{SetPasswordWithLink, get_password_link};
use crate::api::notice::{Notice, notice};
use crate::components::field::Field;
use crate::components::form::PostForm;
use crate::components::status::loaded;
use crate::domain::account::PasswordProblem;
use crate::i18n::{t, tf, tt};

#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let token = use_params_map().with_untracked(|p| p.get("token").unwrap_or_default());
    let problem = match notice() {
        Some(Notice::PasswordRefused(problem)) => Some(problem),
        _ => None,
    };
    let error_at = move |at: PasswordProblem| (problem == Some(at)).then(|| tt(&at.message()));
    view! {
        <Title text=t("Set your password") />
        <h1>{t("Set your password")}</h1>
        {loaded(get_password_link(token.clone()), move |(username, display_name)| {
            view! {
                <p>
                    {tf("Hello {name}.", &[("name", &display_name)])} " "
                    {t("Choose the password you will sign in with as ")}
                    <strong id="link-username">{username.clone()}</strong> "."
                </p>
                <PostForm to=SetPasswordWithLink::url() class="card">
                    <input type="hidden" name="token" value=token />
                    <input type="hidden" name="username" value=username autocomplete="username" />
                    <Field
                        kind="password"
                        id="new"
                        label=t("New password")
                        help=t("At least 10 characters.")
                        value=String::new()
                        error=error_at(PasswordProblem::TooShort)
                    />
                    <Field
                        kind="password"
                        id="repeat"
                        label=t("New password again")
                        value=String::new()
                        error=error_at(PasswordProblem::Mismatch)
                    />
                    <button type="submit">{t("Set password")}</button>
                </PostForm>
                <p class="help">{t("The link works once. Afterwards, sign in with your user name and this password.")}</p>
            }
        })}
    }
}

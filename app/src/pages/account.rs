//! My account: change my password (local users) and see where I am signed
//! in, ending any session or all others. Plain forms: it all works without
//! JavaScript.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::api::account::{ChangePassword, EndMySessions, get_account};
use crate::api::notice::{Notice, notice};
use crate::api::types::SessionRow;
use crate::components::field::Field;
use crate::components::form::PostForm;
use crate::components::status::{Saved, loaded};
use crate::components::table::DataTable;
use crate::i18n::{en, lang, t, tf, tt};

/// The columns of the sessions table (the table translates them).
const SESSION_HEADINGS: &[&str] = &[
    en("Browser"),
    en("Address"),
    en("Signed in"),
    en("Last seen"),
    "",
];

#[component]
pub fn AccountPage() -> impl IntoView {
    view! {
        <Title text=t("My account") />
        <h1>{t("My account")}</h1>
        {loaded(get_account(), |account| {
            let refused = match notice() {
                Some(Notice::PasswordRefused(problem)) => Some(tt(&problem.message())),
                _ => None,
            };
            let changed = notice() == Some(Notice::PasswordChanged);
            let ended = notice() == Some(Notice::SessionsEnded);
            let password = if account.local {
                view! {
                    {changed
                        .then(|| {
                            view! { <Saved text=t("Password changed. Your other sessions were signed out.") /> }
                        })}
                    {refused
                        .map(|why| view! { <p class="notice error" role="alert" id="password-error">{why}</p> })}
                    <PostForm to=ChangePassword::url() class="card">
                        <Field kind="password" id="current" label=t("Current password") value=String::new() autocomplete="current-password" />
                        <Field
                            kind="password"
                            id="new"
                            label=t("New password")
                            help=t("At least 10 characters.")
                            value=String::new()
                        />
                        <Field kind="password" id="repeat" label=t("New password again") value=String::new() />
                        <button type="submit">{t("Change password")}</button>
                    </PostForm>
                }
                    .into_any()
            } else {
                view! {
                    <p id="password-elsewhere">
                        {t(
                            "Your password is kept by your company's directory: change it there, and sign in here with the new one.",
                        )}
                    </p>
                }
                    .into_any()
            };
            view! {
                <dl class="facts">
                    <dt>{t("User name")}</dt>
                    <dd>{account.username.clone()}</dd>
                    <dt>{t("Name")}</dt>
                    <dd>{account.display_name.clone()}</dd>
                    <dt>{t("E-mail")}</dt>
                    <dd>{account.email.clone()}</dd>
                </dl>
                <section aria-labelledby="password" class="account-section">
                    <h2 id="password">{t("Password")}</h2>
                    {password}
                </section>
                <section aria-labelledby="sessions" class="account-section">
                    <h2 id="sessions">{t("Where you are signed in")}</h2>
                    {ended.then(|| view! { <Saved text=t("Signed out there.") /> })}
                    <Sessions sessions=account.sessions end=EndMySessions::url() username=None />
                    <PostForm to=EndMySessions::url()>
                        <button type="submit">{t("Sign out everywhere else")}</button>
                    </PostForm>
                </section>
            }
                .into_any()
        })}
    }
}

/// A person's sessions, each with a button that ends it (posted to `end`,
/// with `username` for an administrator's form).
#[component]
pub fn Sessions(
    sessions: Vec<SessionRow>,
    end: &'static str,
    username: Option<String>,
) -> impl IntoView {
    if sessions.is_empty() {
        return view! { <p>{t("Not signed in anywhere.")}</p> }.into_any();
    }
    view! {
        <DataTable label=t("Sessions") headings=SESSION_HEADINGS class="sessions">
            {sessions
                .into_iter()
                .map(|session| {
                    let browser = tt(&session.browser);
                    let label = tf(
                        "Sign out {browser} ({address})",
                        &[("browser", &browser), ("address", &session.client_addr)],
                    );
                    let username = username.clone();
                    view! {
                        <tr>
                            <td>
                                {browser}
                                {session
                                    .current
                                    .then(|| view! { <span class="badge">{t("this browser")}</span> })}
                            </td>
                            <td>{session.client_addr.clone()}</td>
                            <td>{lang().date_time(session.started)}</td>
                            <td>{lang().date_time(session.last_seen)}</td>
                            <td>
                                <PostForm to=end>
                                    {username.map(|name| view! { <input type="hidden" name="username" value=name /> })}
                                    <input type="hidden" name="handle" value=session.handle.clone() />
                                    <button type="submit" class="link-button" aria-label=label>
                                        {t("Sign out")}
                                    </button>
                                </PostForm>
                            </td>
                        </tr>
                    }
                })
                .collect_view()}
        </DataTable>
    }
        .into_any()
}

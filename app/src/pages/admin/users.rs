//! Admin → Users: search and page through users, and add a local one.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{Pager, RoleChecks};
use crate::api::account::AddUser;
use crate::api::admin::list_users;
use crate::components::field::Field;
use crate::components::form::{PostForm, refused};
use crate::components::status::loaded;
use crate::components::table::DataTable;
use crate::domain::account::{LINK_VALID_HOURS, NewUserInput, PasswordDelivery};
use crate::domain::role::RoleSet;
use crate::domain::text::TextEnum;
use crate::i18n::{en, t, tf, tt};
use leptos::server_fn::ServerFn;

const HEADINGS: &[&str] = &[en("User name"), en("Name"), en("E-mail"), en("Roles")];

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|p| p.get("q").unwrap_or_default());
    let page = move || {
        query.with(|p| {
            p.get("page")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1)
        })
    };

    view! {
            <Title text=t("Users") />
            <h1>{t("Users")}</h1>
            <form method="get" action="/admin/users" class="search" role="search">
                <label for="q">{t("Find users")}</label>
                <input id="q" name="q" type="search" value=q placeholder=t("name or e-mail") />
                <button type="submit">{t("Search")}</button>
            </form>
            {loaded(list_users(q(), page()), move |value| match value {
                            found if found.users.is_empty() => {
                                view! { <p class="card">{t("No user matches your search.")}</p> }.into_any()
                            }
                            found => {
                                view! {
                                    <DataTable label=t("Users") headings=HEADINGS>
                                        {found
                                            .users
                                            .iter()
                                            .map(|user| {
                                                let roles = user
                                                    .roles
                                                    .iter()
                                                    .map(|r| tt(r.label()))
                                                    .collect::<Vec<_>>()
                                                    .join(", ");
                                                view! {
                                                    <tr>
                                                        <td>
                                                            <a href=format!(
                                                                "/admin/users/{}",
                                                                user.username,
                                                            )>{user.username.clone()}</a>
                                                            {user
                                                                .disabled
                                                                .then(|| view! { <span class="badge">{t("disabled")}</span> })}
                                                        </td>
                                                        <td>{user.display_name.clone()}</td>
                                                        <td>{user.email.clone()}</td>
                                                        <td>{roles}</td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </DataTable>
                                    <Pager
                                        base="/admin/users".to_owned()
                                        params=vec![("q", q())]
                                        page=found.page
                                        per_page=found.per_page
                                        total=found.total
                                    />
                                }
                                    .into_any()
                            }

    })}
            <AddUserForm />
        }
}

/// Adds a local user: the portal makes their first password and shows it
/// once, or e-mails them a link to set it themselves.
#[component]
fn AddUserForm() -> impl IntoView {
    let typed = refused::<NewUserInput>();
    let why = typed
        .as_ref()
        .map(|(_, why)| why.clone())
        .unwrap_or_default();
    let typed = typed.map(|(typed, _)| typed);
    let errors = typed
        .as_ref()
        .and_then(|t| t.check().err())
        .unwrap_or_default();
    let NewUserInput {
        username,
        display_name,
        email,
        phone,
        roles,
        password,
    } = typed.unwrap_or_else(|| NewUserInput {
        roles: [("portal-access".to_owned(), "on".to_owned())].into(),
        ..NewUserInput::default()
    });
    let username_error = errors
        .username
        .or_else(|| {
            (why == "exists").then(|| t("A user with this name exists already.").to_owned())
        })
        .map(|e| tt(&e));
    let delivery = PasswordDelivery::parse(&password).unwrap_or_default();
    let delivery_error = (why == "no-mail").then(|| {
        t("The portal has no mail server set up (smtp_host in its configuration): choose a password shown once.")
    });
    let checked = RoleSet::parse_names(roles.keys().map(String::as_str)).unwrap_or_default();
    let choice = move |value: PasswordDelivery, label: String| {
        let id = format!("password-{}", value.as_str());
        view! {
            <div class="check">
                <input
                    type="radio"
                    id=id.clone()
                    name="password"
                    value=value.as_str()
                    checked=delivery == value
                    aria-describedby="password-message"
                />
                <label for=id>{label}</label>
            </div>
        }
    };
    view! {
        <section aria-labelledby="add" class="card">
            <h2 id="add">{t("Add a user")}</h2>
            <p class="help">{t("A user who signs in with a password kept by the portal.")}</p>
            <PostForm to=AddUser::url()>
                <Field id="username" label=t("User name") value=username error=username_error maxlength=64 />
                <Field id="display_name" label=t("Name") value=display_name />
                <Field kind="email" id="email" label=t("E-mail (optional)") value=email error=errors.email.map(|e| tt(&e)) />
                <Field
                    kind="tel"
                    id="phone"
                    label=t("Mobile number (optional)")
                    help=t("With the country code, for example +44 7700 900123.")
                    value=phone
                    error=errors.phone.map(|e| tt(&e))
                />
                <RoleChecks legend=t("Roles") prefix="new-".to_owned() checked />
                <fieldset class="roles">
                    <legend>{t("Their first password")}</legend>
                    {choice(PasswordDelivery::Shown, t("Made by the portal and shown to you once").to_owned())}
                    {choice(
                        PasswordDelivery::Link,
                        tf(
                            "E-mail them a link to set it themselves (works once, for {hours} hours)",
                            &[("hours", &LINK_VALID_HOURS)],
                        ),
                    )}
                    <p id="password-message" class="field-message">
                        {delivery_error.map(|e| view! { <span class="error">{e}</span> })}
                    </p>
                </fieldset>
                <button type="submit">{t("Add user")}</button>
            </PostForm>
        </section>
    }
}

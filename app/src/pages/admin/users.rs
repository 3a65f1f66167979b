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
use leptos::server_fn::ServerFn;

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
            <Title text="Users" />
            <h1>"Users"</h1>
            <form method="get" action="/admin/users" class="search" role="search">
                <label for="q">"Find users"</label>
                <input id="q" name="q" type="search" value=q placeholder="name or e-mail" />
                <button type="submit">"Search"</button>
            </form>
            {loaded(list_users(q(), page()), move |value| match value {
                            found if found.users.is_empty() => {
                                view! { <p class="card">"No user matches your search."</p> }.into_any()
                            }
                            found => {
                                view! {
                                    <DataTable label="Users" headings=&["User name", "Name", "E-mail", "Roles"]>
                                        {found
                                            .users
                                            .iter()
                                            .map(|user| {
                                                let roles = user
                                                    .roles
                                                    .iter()
                                                    .map(|r| r.label())
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
                                                                .then(|| view! { <span class="badge">"disabled"</span> })}
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
        .or_else(|| (why == "exists").then(|| "A user with this name exists already.".to_owned()));
    let delivery = PasswordDelivery::parse(&password).unwrap_or_default();
    let delivery_error = (why == "no-mail").then_some(
        "The portal has no mail server set up (smtp_host in its configuration): choose a password shown once.",
    );
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
            <h2 id="add">"Add a user"</h2>
            <p class="help">"A user who signs in with a password kept by the portal."</p>
            <PostForm to=AddUser::url()>
                <Field id="username" label="User name" value=username error=username_error maxlength=64 />
                <Field id="display_name" label="Name" value=display_name />
                <Field kind="email" id="email" label="E-mail (optional)" value=email error=errors.email />
                <Field
                    kind="tel"
                    id="phone"
                    label="Mobile number (optional)"
                    help="With the country code, for example +44 7700 900123."
                    value=phone
                    error=errors.phone
                />
                <RoleChecks legend="Roles" prefix="new-".to_owned() checked />
                <fieldset class="roles">
                    <legend>"Their first password"</legend>
                    {choice(PasswordDelivery::Shown, "Made by the portal and shown to you once".to_owned())}
                    {choice(
                        PasswordDelivery::Link,
                        format!(
                            "E-mail them a link to set it themselves (works once, for {LINK_VALID_HOURS} hours)",
                        ),
                    )}
                    <p id="password-message" class="field-message">
                        {delivery_error.map(|e| view! { <span class="error">{e}</span> })}
                    </p>
                </fieldset>
                <button type="submit">"Add user"</button>
            </PostForm>
        </section>
    }
}

//! Admin → Users → one user: their details and a checkbox per role.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::RoleChecks;
use crate::api::admin::{SaveUserRoles, get_user};
use crate::api::notice::{Notice, notice};
use crate::components::form::PostForm;
use crate::components::status::{Saved, loaded};

#[component]
pub fn UserPage() -> impl IntoView {
    let params = use_params_map();
    let username = move || params.with(|p| p.get("username").unwrap_or_default());
    let saved = move || notice() == Some(Notice::Saved);
    let last_admin = move || notice() == Some(Notice::LastAdmin);

    view! {
        <Title text="User" />
        <p>
            <a href="/admin/users">"← All users"</a>
        </p>
        {loaded(get_user(username()), move |user| {
                            let roles = user.roles.clone();
                            view! {
                                <h1>{user.display_name.clone()}</h1>
                                <dl class="facts">
                                    <dt>"User name"</dt>
                                    <dd>{user.username.clone()}</dd>
                                    <dt>"E-mail"</dt>
                                    <dd>{user.email.clone()}</dd>
                                    <dt>"Source"</dt>
                                    <dd>{user.source.clone()}</dd>
                                    <dt>"Status"</dt>
                                    <dd>{if user.disabled { "Disabled" } else { "Enabled" }}</dd>
                                    {(!user.group_roles.is_empty())
                                        .then(|| {
                                            let names: Vec<&str> = user
                                                .group_roles
                                                .iter()
                                                .map(|r| r.label())
                                                .collect();
                                            view! {
                                                <dt>"From directory groups"</dt>
                                                <dd>{names.join(", ")}</dd>
                                            }
                                        })}
                                </dl>
                                {move || saved().then(|| view! { <Saved text="Roles saved." /> })}
                                {move || {
                                    last_admin()
                                        .then(|| {
                                            view! {
                                                <p class="notice error" role="alert">
                                                    "This is the last enabled administrator: give another user the Administrator role first."
                                                </p>
                                            }
                                        })
                                }}
                                <PostForm to=SaveUserRoles::url()>
                                    <input type="hidden" name="username" value=user.username.clone() />
                                    <RoleChecks legend="Roles" prefix=String::new() checked=roles />
                                    <button type="submit">"Save roles"</button>
                                </PostForm>
                            }
                                .into_any()
                        })}
    }
}

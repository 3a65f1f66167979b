//! Admin → Users: search and page through users.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::Pager;
use crate::api::admin::list_users;
use crate::components::status::loaded;
use crate::components::table::DataTable;

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
                                    <DataTable headings=&["User name", "Name", "E-mail", "Roles"]>
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
        }
}

//! The admin area: users and their roles, the audit log, settings. Every
//! page asks server functions that refuse non-administrators (403).

pub mod audit;
pub mod certificates;
pub mod ldap;
pub mod policies;
pub mod registration;
pub mod settings;
pub mod sign_in_methods;
pub mod user;
pub mod users;

use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use crate::domain::role::{Role, RoleSet};
use crate::i18n::{t, tf, tt};

#[component]
pub fn AdminLayout() -> impl IntoView {
    view! {
        <nav class="subnav" aria-label=t("Admin")>
            <ul>
                <li>
                    <A href="/admin/users">{t("Users")}</A>
                </li>
                <li>
                    <A href="/admin/audit">{t("Audit log")}</A>
                </li>
                <li>
                    <A href="/admin/registration">{t("Registration")}</A>
                </li>
                <li>
                    <A href="/admin/ldap">{t("LDAP")}</A>
                </li>
                <li>
                    <A href="/admin/policies">{t("Policies & apps")}</A>
                </li>
                <li>
                    <A href="/admin/certificates">{t("Certificates")}</A>
                </li>
                <li>
                    <A href="/admin/sign-in">{t("Sign-in methods")}</A>
                </li>
                <li>
                    <A href="/admin/settings">{t("Settings")}</A>
                </li>
            </ul>
        </nav>
        <Outlet />
    }
}

/// A checkbox per role (posted as `roles[name]`), with what each allows.
#[component]
pub fn RoleChecks(
    legend: &'static str,
    /// Makes the boxes' ids unique when a page has several sets.
    prefix: String,
    checked: RoleSet,
) -> impl IntoView {
    view! {
        <fieldset class="roles">
            <legend>{legend}</legend>
            {Role::ALL
                .into_iter()
                .map(|role| {
                    let id = format!("{prefix}role-{}", role.as_str());
                    view! {
                        <div class="check">
                            <input
                                type="checkbox"
                                id=id.clone()
                                name=format!("roles[{}]", role.as_str())
                                checked=checked.contains(role)
                                aria-describedby=format!("{id}-help")
                            />
                            <label for=id.clone()>{tt(role.label())}</label>
                            <span id=format!("{id}-help") class="help">
                                {tt(role.description())}
                            </span>
                        </div>
                    }
                })
                .collect_view()}
        </fieldset>
    }
}

/// Query-string helpers shared by the admin pages.
pub(crate) fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", js_free_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Percent-encodes a query value (the same on server and browser).
fn js_free_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// "Previous" and "Next" links for a paged list.
#[component]
pub fn Pager(
    base: String,
    params: Vec<(&'static str, String)>,
    page: u64,
    per_page: u64,
    total: u64,
) -> impl IntoView {
    let last = total.div_ceil(per_page).max(1);
    let link = move |p: u64| {
        let mut all = params.clone();
        all.push(("page", p.to_string()));
        format!("{base}?{}", query_string(&all))
    };
    view! {
        <nav class="pager" aria-label=t("Pages")>
            {(page > 1).then(|| view! { <a href=link(page - 1) rel="prev">{t("← Previous")}</a> })}
            <span>
                {tf(
                    "Page {page} of {last} · {total} in all",
                    &[("page", &page), ("last", &last), ("total", &total)],
                )}
            </span>
            {(page < last).then(|| view! { <a href=link(page + 1) rel="next">{t("Next →")}</a> })}
        </nav>
    }
}

//! Admin → LDAP: the directories people sign in with. A list of servers;
//! each server's settings, its connection test, and the roles its groups
//! grant.

use crate::api::notice::{Notice, notice};
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::RoleChecks;
use crate::api::directory::{
    DeleteLdapServer, MoveLdapServer, SaveGroupRoles, SaveLdapServer, get_group_choices,
    get_ldap_server, get_ldap_servers, test_ldap_server,
};
use crate::api::types::{GroupGrant, LdapServerView};
use crate::components::field::Field;
use crate::components::form::{PostForm, refused};
use crate::components::status::{Saved, loaded};
use crate::components::table::DataTable;
use crate::domain::directory::{Membership, ServerFormErrors, ServerFormInput};
use crate::domain::role::RoleSet;
use crate::i18n::{en, t, tf, tt};

const HEADINGS: &[&str] = &[
    en("Name"),
    en("Address"),
    en("Groups from"),
    en("Status"),
    en("Order"),
];

#[component]
pub fn LdapServersPage() -> impl IntoView {
    let deleted = notice() == Some(Notice::Deleted);
    view! {
            <Title text=t("LDAP servers") />
            <h1>"LDAP"</h1>
            <p class="help">
                {t(
                    "People whose user name is not a local account sign in with their directory password. Servers are asked in this order; the first that knows the name decides.",
                )}
            </p>
            {deleted.then(|| view! { <Saved text=t("The server was deleted.") /> })}
            {loaded(get_ldap_servers(), move |value| match value {
                            list if list.is_empty() => {
                                view! { <p>{t("No LDAP server yet: only local accounts can sign in.")}</p> }
                                    .into_any()
                            }
                            list => {
                                view! {
                                    <DataTable label=t("LDAP servers") headings=HEADINGS>
                                        {list
                                            .into_iter()
                                            .map(|s| {
                                                let name = s.name.clone();
                                                view! {
                                                    <tr>
                                                        <td>
                                                            <a href=format!("/admin/ldap/{}", s.id)>{s.name}</a>
                                                        </td>
                                                        <td>
                                                            <code>{s.url}</code>
                                                        </td>
                                                        <td>{tt(&s.membership)}</td>
                                                        <td>{if s.enabled { t("Enabled") } else { t("Disabled") }}</td>
                                                        <td class="row-actions">
                                                            {["up", "down"]
                                                                .into_iter()
                                                                .map(|direction| {
                                                                    let label = format!(" {name}");
                                                                    view! {
                                                                        <PostForm to=MoveLdapServer::url()>
                                                                            <input type="hidden" name="id" value=s.id />
                                                                            <input type="hidden" name="direction" value=direction />
                                                                            <button type="submit" class="link-button">
                                                                                {if direction == "up" { t("Move up") } else { t("Move down") }}
                                                                                <span class="visually-hidden">{label}</span>
                                                                            </button>
                                                                        </PostForm>
                                                                    }
                                                                })
                                                                .collect_view()}
                                                        </td>
                                                    </tr>
                                                }
                                            })
                                            .collect_view()}
                                    </DataTable>
                                }
                                    .into_any()
                            }

    })}
            <p>
                <a class="button" href="/admin/ldap/new">
                    {t("Add an LDAP server")}
                </a>
            </p>
        }
}

#[component]
pub fn LdapServerPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i32>().ok()));
    // Every answer of a form on this page comes back in the query: a new
    // one renders the page afresh (also when only the query changed).
    view! {
        <Title text=t("LDAP server") />
        <p>
            <a href="/admin/ldap">{t("← All LDAP servers")}</a>
        </p>
        {loaded(get_ldap_server(id()), move |view| {
                            let saved_id = view.id;
                            let last_admin = notice() == Some(Notice::LastAdmin);
                            view! {
                                {last_admin
                                    .then(|| {
                                        view! {
                                            <p class="notice error" role="alert" id="server-error">
                                                {t(
                                                    "No enabled administrator would be left: give someone the Administrator role first.",
                                                )}
                                            </p>
                                        }
                                    })}
                                <ServerForm view=view.clone() />
                                {saved_id
                                    .map(|id| {
                                        view! {
                                            <ConnectionTest id />
                                            <GroupRoles id grants=view.grants.clone() />
                                            <DeleteServer id />
                                        }
                                    })}
                            }
                                .into_any()
                        })}
    }
}

#[component]
fn ServerForm(view: LdapServerView) -> impl IntoView {
    // A refused form comes back with what was typed (never the password).
    let typed = refused::<ServerFormInput>().map(|(typed, _)| typed);
    let saved = notice() == Some(Notice::Saved);
    let errors = typed
        .as_ref()
        .and_then(|t| {
            t.check(view.has_password && t.keeps_password(&view.form))
                .err()
        })
        .map(|errors| *errors)
        .unwrap_or_default();
    let form = typed.unwrap_or(view.form);
    let ServerFormErrors {
        name: name_error,
        url: url_error,
        ca_certificate: ca_error,
        bind_dn: bind_dn_error,
        bind_password: password_error,
        user_base: user_base_error,
        attributes: attributes_error,
        membership: membership_error,
        timeout_seconds: timeout_error,
    } = errors;
    let title = if view.id.is_some() {
        form.name.clone()
    } else {
        t("Add an LDAP server").to_owned()
    };
    view! {
        <h1>{title}</h1>
        {saved.then(|| view! { <Saved text=t("LDAP server saved.") /> })}
        <PostForm to=SaveLdapServer::url() class="ldap-server">
            {view.id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <Field id="name" label=t("Name") help=t("What administrators call this server, e.g. Head office.") value=form.name.clone() error=name_error.map(|e| tt(&e)) />
            <div class="check">
                <input type="checkbox" id="enabled" name="enabled" checked=form.enabled />
                <label for="enabled">{t("Enabled: people can sign in with it")}</label>
            </div>
            <fieldset>
                <legend>{t("Connection")}</legend>
                <Field id="url" label=t("Address") help=t("ldap://host:389, or ldaps://host:636 for TLS from the start.") value=form.url.clone() error=url_error.map(|e| tt(&e)) />
                <div class="check">
                    <input type="checkbox" id="starttls" name="starttls" checked=form.starttls />
                    <label for="starttls">{t("Use StartTLS (encrypt an ldap:// connection)")}</label>
                </div>
                <div class="field">
                    <label for="ca_certificate">{t("CA certificate (PEM, optional)")}</label>
                    <p id="ca_certificate-help" class="help">
                        {t("The authority that signed the server's certificate, if not one the system trusts.")}
                    </p>
                    <textarea
                        id="ca_certificate"
                        name="ca_certificate"
                        rows="4"
                        aria-invalid=ca_error.is_some().to_string()
                        aria-describedby="ca_certificate-help ca_certificate-message"
                    >
                        {form.ca_certificate.clone()}
                    </textarea>
                    <p id="ca_certificate-message" class="field-message">
                        {ca_error.map(|e| view! { <span class="error">{tt(&e)}</span> })}
                    </p>
                </div>
                <Field id="timeout_seconds" label=t("Timeout (seconds)") help=t("How long one operation may take: 1 to 60.") kind="number" value=form.timeout_seconds.clone() error=timeout_error.map(|e| tt(&e)) />
            </fieldset>
            <fieldset>
                <legend>{t("Service account")}</legend>
                <Field id="bind_dn" label=t("Bind DN") help=t("The account the portal searches the directory with.") value=form.bind_dn.clone() error=bind_dn_error.map(|e| tt(&e)) />
                <Field
                    id="bind_password"
                    label=t("Password")
                    help=if view.has_password { t("Stored encrypted and never shown. Leave empty to keep it.") } else { t("Stored encrypted and never shown again.") }
                    kind="password"
                    value=String::new()
                    error=password_error.map(|e| tt(&e))
                />
            </fieldset>
            <fieldset>
                <legend>{t("Users")}</legend>
                <Field id="user_base" label=t("User search base") help=t("Where users are searched, with everything below it.") value=form.user_base.clone() error=user_base_error.map(|e| tt(&e)) />
                <Field id="user_filter" label=t("User filter") help=t("Only entries matching it can sign in, e.g. (objectClass=inetOrgPerson).") value=form.user_filter.clone() />
                <Field id="login_attribute" label=t("Login name attribute") help=t("uid, or sAMAccountName for Active Directory.") value=form.login_attribute.clone() />
                <Field id="name_attribute" label=t("Display name attribute") value=form.name_attribute.clone() />
                <Field id="email_attribute" label=t("E-mail attribute") value=form.email_attribute.clone() />
                <Field id="mobile_attribute" label=t("Mobile number attribute") help=t("Optional.") value=form.mobile_attribute.clone() error=attributes_error.map(|e| tt(&e)) />
            </fieldset>
            <fieldset>
                <legend>{t("Groups")}</legend>
                <Field id="group_base" label=t("Group search base") help=t("Where groups are found; empty uses the directory's root.") value=form.group_base.clone() />
                <div class="field">
                    <label for="membership">{t("Group membership is found in")}</label>
                    <select
                        id="membership"
                        name="membership"
                        aria-invalid=membership_error.is_some().to_string()
                        aria-describedby="membership-message"
                    >
                        {Membership::ALL
                            .iter()
                            .copied()
                            .map(|m| {
                                view! {
                                    <option value=m.as_str() selected=form.membership == m.as_str()>
                                        {tt(m.label())}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <p id="membership-message" class="field-message">
                        {membership_error.map(|e| view! { <span class="error">{tt(&e)}</span> })}
                    </p>
                </div>
            </fieldset>
            <button type="submit">{t("Save LDAP server")}</button>
        </PostForm>
    }
}

/// "Test connection": a GET form, so its result is a page like any other.
#[component]
fn ConnectionTest(id: i32) -> impl IntoView {
    let query = use_query_map();
    let asked = query.with_untracked(|q| q.get("test").map(|_| q.get("login").unwrap_or_default()));
    let login = query.with_untracked(|q| q.get("login").unwrap_or_default());
    view! {
        <section id="test" class="card">
            <h2>{t("Test connection")}</h2>
            <form method="get" action=format!("/admin/ldap/{id}#test")>
                <input type="hidden" name="test" value="1" />
                <Field
                    id="login"
                    label=t("User name to look up (optional)")
                    help=t("Checks the search and shows what the portal would read: DN, attributes, groups.")
                    value=login
                />
                <button type="submit">{t("Test connection")}</button>
            </form>
            {asked
                .map(|login| {
                    loaded(
                        test_ldap_server(id, login),
                        |steps| {
                            view! {
                                <ul class="test-steps" role="status">
                                    {steps
                                        .into_iter()
                                        .map(|step| {
                                            view! {
                                                <li class=if step.ok { "ok" } else { "failed" }>{tt(&step.text)}</li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            }
                        },
                    )
                })}
        </section>
    }
}

/// The roles members of this server's groups get at sign-in.
#[component]
fn GroupRoles(id: i32, grants: Vec<GroupGrant>) -> impl IntoView {
    let query = use_query_map();
    let saved = notice() == Some(Notice::GrantsSaved);
    let error = query.with_untracked(|q| q.get("grant_error"));
    // "Choose a group." shows next to the picker instead.
    let message = match error.as_deref() {
        Some("roles") => Some(t("Tick at least one role.")),
        Some("last-admin") => Some(t(
            "No enabled administrator would be left: give someone the Administrator role first.",
        )),
        _ => None,
    };
    let group_error = error.as_deref() == Some("group");
    view! {
        <section id="group-roles">
            <h2>{t("Roles for directory groups")}</h2>
            <p class="help">
                {t(
                    "Directory users have no roles until they are given some: here for everyone in a group (at their next sign-in), or one by one under Users.",
                )}
            </p>
            {saved.then(|| view! { <Saved text=t("Group roles saved.") /> })}
            {message
                .map(|text| {
                    view! {
                        <p class="notice error" role="alert" id="grant-error">
                            {text}
                        </p>
                    }
                })}
            {grants
                .into_iter()
                .map(|grant| {
                    let prefix = format!("grant{}-", grant.id);
                    view! {
                        <PostForm to=SaveGroupRoles::url() class="card grant">
                            <input type="hidden" name="server" value=id />
                            <input type="hidden" name="grant" value=grant.id />
                            <h3 title=grant.group_dn.clone()>{grant.group_name.clone()}</h3>
                            <RoleChecks legend=t("Roles of its members") prefix checked=grant.roles.clone() />
                            <button type="submit">{tf("Save roles of {group}", &[("group", &grant.group_name)])}</button>
                            <p class="help">{t("Clear every box and save to remove the grant.")}</p>
                        </PostForm>
                    }
                })
                .collect_view()}
            <PostForm to=SaveGroupRoles::url() class="card grant">
                <input type="hidden" name="server" value=id />
                <h3>{t("Give roles to a group")}</h3>
                {Suspend::new(async move {
                                let (options, trouble) = match get_group_choices(Some(id)).await {
                                    Ok(c) => (c.choices, c.unreadable.first().cloned()),
                                    Err(error) => (Vec::new(), Some(error.to_string())),
                                };
                                view! {
                                    <div class="field">
                                        <label for="grant-group">{t("Group")}</label>
                                        <select
                                            id="grant-group"
                                            name="group"
                                            aria-invalid=group_error.to_string()
                                            aria-describedby="grant-group-message"
                                        >
                                            <option value="">{t("Choose a group…")}</option>
                                            {options
                                                .into_iter()
                                                .map(|c| view! { <option value=c.value>{c.label}</option> })
                                                .collect_view()}
                                        </select>
                                        <p id="grant-group-message" class="field-message">
                                            {trouble
                                                .map(|why| {
                                                    view! {
                                                        <span class="error">
                                                            {tf("Groups could not be read: {why}", &[("why", &tt(&why))])}
                                                        </span>
                                                    }
                                                })}
                                            {group_error.then(|| view! { <span class="error">{t("Choose a group.")}</span> })}
                                        </p>
                                    </div>
                                }
                })}
                <RoleChecks legend=t("Roles of its members") prefix="new-".to_owned() checked=RoleSet::default() />
                <button type="submit">{t("Give these roles")}</button>
            </PostForm>
        </section>
    }
}

#[component]
fn DeleteServer(id: i32) -> impl IntoView {
    view! {
        <section class="card">
            <h2>{t("Delete this server")}</h2>
            <p class="help">
                {t(
                    "Its group roles and group device limits go with it. Its users keep their devices; they can no longer sign in unless another server knows them.",
                )}
            </p>
            <PostForm to=DeleteLdapServer::url()>
                <input type="hidden" name="id" value=id />
                <button type="submit" class="danger">
                    {t("Delete LDAP server")}
                </button>
            </PostForm>
        </section>
    }
}

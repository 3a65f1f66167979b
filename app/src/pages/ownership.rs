//! Changing a device's ownership: pick the new one, read what the device
//! will gain and lose, then confirm. A plain GET form and a POSTed
//! confirmation, so it works the same without JavaScript.

use crate::domain::ids::DeviceId;
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::catalogue::{ChangeDeviceOwnership, OwnershipPreview, get_ownership_preview};
use crate::components::form::PostForm;
use crate::components::status::loaded;
use crate::domain::catalogue::Item;
use crate::domain::device::Ownership;
use crate::i18n::{in_sentence, t, tf, tt};

/// Action names, translated, as a list.
fn actions_list(actions: &[String]) -> String {
    actions.iter().map(|a| tt(a)).collect::<Vec<_>>().join(", ")
}

#[component]
pub fn OwnershipPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || {
        params.with(|p| {
            p.get("id")
                .and_then(|v| v.parse::<DeviceId>().ok())
                .unwrap_or(DeviceId(0))
        })
    };
    let to = move || query.with(|q| q.get("to"));
    view! {
        <Title text=t("Change ownership") />
        <p>
            <a href=move || format!("/devices/{}", id())>{t("← Back to the device")}</a>
        </p>
        {loaded(get_ownership_preview(id(), to()), |p| view! { <Preview p /> })}
    }
}

fn item_line(item: &Item) -> impl IntoView + use<> {
    let detail = (!item.detail.is_empty()).then(|| format!(": {}", item.detail));
    view! {
        <li>
            <strong>{tt(&item.describe())}</strong>
            {detail}
        </li>
    }
}

#[component]
fn Preview(p: OwnershipPreview) -> impl IntoView {
    let chosen = p.to.unwrap_or(p.current.other());
    let when = if p.enrolled {
        t("This happens on the device at its next check-in.")
    } else {
        t("This happens on the device when it enrolls.")
    };
    let choice = view! {
        <form method="get" class="card ownership-choice">
            <fieldset>
                <legend>{t("New ownership")}</legend>
                {[Ownership::CompanyOwned, Ownership::EmployeeOwned]
                    .into_iter()
                    .map(|o| {
                        let id = format!("to-{}", o.as_str());
                        let now = o == p.current;
                        view! {
                            <div class="check">
                                <input type="radio" id=id.clone() name="to" value=o.as_str() checked=o == chosen disabled=now />
                                <label for=id>{tt(o.label())} {now.then(|| format!(" {}", t("(now)")))}</label>
                            </div>
                        }
                    })
                    .collect_view()}
            </fieldset>
            <button type="submit" class="secondary-button">{t("Show what changes")}</button>
        </form>
    };
    let impact = p.to.map(|to| {
        let i = p.impact.clone();
        let nothing = i.is_empty();
        view! {
            <section class="card impact" aria-labelledby="impact">
                <h2 id="impact">
                    {tf("What changes when it becomes {ownership}", &[("ownership", &in_sentence(to.label()))])}
                </h2>
                {nothing.then(|| view! { <p>{t("Nothing the device gets changes.")}</p> })}
                {(!i.lost.is_empty())
                    .then(|| {
                        view! {
                            <h3>{t("The device loses")}</h3>
                            <ul class="lost">{i.lost.iter().map(item_line).collect_view()}</ul>
                        }
                    })}
                {(!i.gained.is_empty())
                    .then(|| {
                        view! {
                            <h3>{t("The device gets")}</h3>
                            <ul class="gained">{i.gained.iter().map(item_line).collect_view()}</ul>
                        }
                    })}
                {(!i.replaced.is_empty())
                    .then(|| {
                        view! {
                            <h3>{t("Policies that change")}</h3>
                            <ul class="replaced">
                                {i
                                    .replaced
                                    .iter()
                                    .map(|(old, new)| {
                                        view! {
                                            <li>
                                                {tf(
                                                    "{type}: “{old}” is replaced by “{new}”{detail}",
                                                    &[
                                                        ("type", &tt(new.item_type.label())),
                                                        ("old", &old.name),
                                                        ("new", &new.name),
                                                        (
                                                            "detail",
                                                            &if new.detail.is_empty() { String::new() } else { format!(" ({})", new.detail) },
                                                        ),
                                                    ],
                                                )}
                                            </li>
                                        }
                                    })
                                    .collect_view()}
                            </ul>
                        }
                    })}
                {(!i.kept.is_empty())
                    .then(|| {
                        view! {
                            <details>
                                <summary>{tf("{count} item(s) stay as they are", &[("count", &i.kept.len())])}</summary>
                                <ul>{i.kept.iter().map(item_line).collect_view()}</ul>
                            </details>
                        }
                    })}
                {(!p.actions_lost.is_empty())
                    .then(|| {
                        view! {
                            <p class="notice">
                                {tf("You will no longer be able to: {actions}.", &[("actions", &actions_list(&p.actions_lost))])}
                            </p>
                        }
                    })}
                {(!p.actions_gained.is_empty())
                    .then(|| {
                        view! { <p>{tf("You will be able to: {actions}.", &[("actions", &actions_list(&p.actions_gained))])}</p> }
                    })}
                <p>{when}</p>
                <PostForm to=ChangeDeviceOwnership::url()>
                    <input type="hidden" name="id" value=p.device_id.to_string() />
                    <input type="hidden" name="to" value=to.as_str() />
                    <button type="submit">{tf("Yes, make it {ownership}", &[("ownership", &in_sentence(to.label()))])}</button>
                    " "
                    <a href=format!("/devices/{}", p.device_id)>{t("Cancel")}</a>
                </PostForm>
            </section>
        }
    });
    view! {
        <h1>{tf("Change the ownership of “{name}”", &[("name", &p.device_name)])}</h1>
        <p>{tf("It is {ownership} now.", &[("ownership", &in_sentence(p.current.label()))])}</p>
        {p.refused.clone().map(|reason| view! { <p class="notice error" role="alert">{tt(&reason)}</p> })}
        {choice}
        {impact}
    }
}

//! Admin → Policies & apps: the device policy option, the policies,
//! configurations, apps and books and the labels they are assigned to, and
//! the administrator's own labels.

use crate::api::notice::{Notice, notice};
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::catalogue::{
    CatalogueOverview, DeleteCatalogueItem, DeleteLabel, ItemView, LabelView, SaveCatalogueItem,
    SaveDevicePolicy, SaveLabel, get_catalogue, get_catalogue_item, get_label,
};
use crate::components::field::Field;
use crate::components::form::{PostForm, refused};
use crate::components::status::{Saved, loaded};
use crate::components::table::DataTable;
use crate::domain::catalogue::{
    ItemErrors, ItemId, ItemInput, ItemKind, ItemType, Label, LabelErrors, LabelInput, LabelKey,
};
use crate::domain::device::{Ownership, Platform};
use crate::i18n::{en, t, tf, tt};

const ITEM_HEADINGS: &[&str] = &[en("Name"), en("Type"), en("Details"), en("Labels")];

const LABEL_HEADINGS: &[&str] = &[en("Label"), en("Devices"), en("Assigned items")];

/// A label's name: a built-in label's in the request's language, one an
/// administrator made as it was typed.
fn label_name(label: &Label) -> String {
    if label.built_in {
        tt(&label.name)
    } else {
        label.name.clone()
    }
}

/// A checkbox per label (posted as `labels[key]`).
#[component]
pub fn LabelChecks(
    labels: Vec<Label>,
    checked: Vec<String>,
    error: Option<String>,
) -> impl IntoView {
    view! {
        <fieldset class="labels" aria-describedby="labels-message">
            <legend>{t("Assigned to the labels")}</legend>
            <p class="help">{t("Devices with any of these labels get it, at their next check-in.")}</p>
            {labels
                .into_iter()
                .map(|label| {
                    let key = label.key.as_string();
                    let id = format!("label-check-{key}");
                    view! {
                        <div class="check">
                            <input
                                type="checkbox"
                                id=id.clone()
                                name=format!("labels[{key}]")
                                checked=checked.contains(&key)
                            />
                            <label for=id>{label_name(&label)}</label>
                            <span class="help">{tt(&label.rule.describe())}</span>
                        </div>
                    }
                })
                .collect_view()}
            <p id="labels-message" class="field-message">
                {error.map(|e| view! { <span class="error">{e}</span> })}
            </p>
        </fieldset>
    }
}

fn label_names(overview: &CatalogueOverview, keys: &[LabelKey]) -> String {
    let names: Vec<String> = keys
        .iter()
        .filter_map(|k| overview.labels.iter().find(|l| l.label.key == *k))
        .map(|l| label_name(&l.label))
        .collect();
    if names.is_empty() {
        t("Not assigned").to_owned()
    } else {
        names.join(", ")
    }
}

#[component]
pub fn PoliciesPage() -> impl IntoView {
    // Read once, here: a closure rendered later may run where the
    // router (and so the address) is out of reach.
    let notice = match notice() {
        Some(Notice::Deleted) => Some(t("Deleted. Devices lose it at their next check-in.")),
        Some(Notice::PolicySaved) => Some(t("Device policy saved.")),
        Some(Notice::LabelSaved) => Some(t("Label saved.")),
        Some(Notice::LabelDeleted) => Some(t("Label deleted.")),
        _ => None,
    };
    view! {
        <Title text=t("Policies & apps") />
        <h1>{t("Policies & apps")}</h1>
        <p class="help">
            {t(
                "What devices get, by label. A device's labels follow from its ownership and platform; it gets everything assigned to any of them, and each change reaches it at its next check-in.",
            )}
        </p>
        {notice.map(|text| view! { <Saved text /> })}
        {loaded(get_catalogue(), |o| view! { <Overview o /> })}
    }
}

#[component]
fn Overview(o: CatalogueOverview) -> impl IntoView {
    let sections = ItemKind::ALL
        .into_iter()
        .map(|kind| {
            let rows: Vec<_> = o
                .items
                .iter()
                .filter(|i| i.kind() == kind)
                .cloned()
                .collect();
            let heading_id = format!("kind-{}", kind.plural().to_lowercase());
            let body = if rows.is_empty() {
                view! { <p class="muted">{t("None yet.")}</p> }.into_any()
            } else {
                // Rendered here: the table's rows borrow the overview.
                let rows = rows
                    .into_iter()
                    .map(|item| {
                        let href = match item.id {
                            ItemId::Catalogue(id) => format!("/admin/policies/{id}"),
                            ItemId::CertificateSetting(id) => format!("/admin/certificates/{id}"),
                        };
                        // A certificate setting's detail is the portal's words.
                        let detail = match item.id {
                            ItemId::CertificateSetting(_) => tt(&item.detail),
                            ItemId::Catalogue(_) => item.detail.clone(),
                        };
                        let detail = if item.forbids_locate {
                            tf("{detail} (Locate is not offered)", &[("detail", &detail)])
                        } else {
                            detail
                        };
                        view! {
                            <tr>
                                <td>
                                    <a href=href>{item.name.clone()}</a>
                                </td>
                                <td>{tt(item.item_type.label())}</td>
                                <td>{detail}</td>
                                <td>{label_names(&o, &item.labels)}</td>
                            </tr>
                        }
                    })
                    .collect_view();
                view! {
                    <DataTable label=t("Apps, configurations and books") headings=ITEM_HEADINGS>{rows}</DataTable>
                }
                .into_any()
            };
            view! {
                <section class="card" aria-labelledby=heading_id.clone()>
                    <h2 id=heading_id.clone()>{tt(kind.plural())}</h2>
                    {body}
                </section>
            }
        })
        .collect_view();
    view! {
        <section class="card" aria-labelledby="device-policy">
            <h2 id="device-policy">{t("Device policy")}</h2>
            <PostForm to=SaveDevicePolicy::url()>
                <div class="check">
                    <input
                        type="checkbox"
                        id="forbid_employee_wipe"
                        name="forbid_employee_wipe"
                        checked=o.forbid_employee_wipe
                    />
                    <label for="forbid_employee_wipe">
                        {t(
                            "Do not offer Wipe for employee-owned devices (only Retire, which leaves personal data)",
                        )}
                    </label>
                </div>
                <button type="submit">{t("Save device policy")}</button>
            </PostForm>
        </section>
        <p>
            <a class="button" href="/admin/policies/new">
                {t("Add a policy, configuration, app or book")}
            </a>
        </p>
        {sections}
        <section class="card" aria-labelledby="labels">
            <h2 id="labels">{t("Labels")}</h2>
            <DataTable label=t("Labels") headings=LABEL_HEADINGS>
                {o
                    .labels
                    .iter()
                    .map(|l| {
                        let name = match l.label.key {
                            LabelKey::Custom(id) => {
                                view! { <a href=format!("/admin/labels/{id}")>{l.label.name.clone()}</a> }
                                    .into_any()
                            }
                            _ => view! { {label_name(&l.label)} {t(" (built in)")} }.into_any(),
                        };
                        view! {
                            <tr>
                                <td>{name}</td>
                                <td>{tt(&l.description)}</td>
                                <td>{l.used_by}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </DataTable>
            <p>
                <a class="button secondary-button" href="/admin/labels/new">
                    {t("Add a label")}
                </a>
            </p>
        </section>
    }
}

#[component]
pub fn CatalogueItemPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i32>().ok()));
    view! {
        <Title text=t("Policy, configuration, app or book") />
        <p>
            <a href="/admin/policies">{t("← Policies & apps")}</a>
        </p>
        {loaded(get_catalogue_item(id()), move |view| {
                            let delete = view.id.map(|id| view! { <DeleteItem id /> });
                            view! {
                                <ItemForm view />
                                {delete}
                            }
                                .into_any()
                        })}
    }
}

#[component]
fn ItemForm(view: ItemView) -> impl IntoView {
    let (typed, refused) = refused::<ItemInput>().unzip();
    let saved = notice() == Some(Notice::Saved);
    let ItemErrors {
        item_type: type_error,
        name: name_error,
        detail: detail_error,
        labels: labels_error,
    } = typed
        .as_ref()
        .and_then(|t| t.check().err())
        .unwrap_or_default();
    let name_error = name_error.map(tt).or_else(|| {
        (refused.as_deref() == Some("name-taken"))
            .then(|| t("Another item already has this name: choose a different one.").to_owned())
    });
    let form = typed.unwrap_or(view.input);
    let title = if view.id.is_some() {
        form.name.clone()
    } else {
        t("Add a policy, configuration, app or book").to_owned()
    };
    view! {
        <h1>{title}</h1>
        {saved.then(|| view! { <Saved text=t("Saved. Devices get the change at their next check-in.") /> })}
        <PostForm to=SaveCatalogueItem::url() class="catalogue-item">
            {view.id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <div class="field">
                <label for="item_type">{t("What it is")}</label>
                <select
                    id="item_type"
                    name="item_type"
                    aria-invalid=type_error.is_some().to_string()
                    aria-describedby="item_type-message"
                >
                    {ItemKind::ALL
                        .into_iter()
                        .map(|kind| {
                            view! {
                                <optgroup label=tt(kind.plural())>
                                    {ItemType::EDITABLE
                                        .into_iter()
                                        .filter(|t| t.kind() == kind)
                                        .map(|t| {
                                            view! {
                                                <option value=t.as_str() selected=form.item_type == t.as_str()>
                                                    {tt(t.label())}
                                                </option>
                                            }
                                        })
                                        .collect_view()}
                                </optgroup>
                            }
                        })
                        .collect_view()}
                </select>
                <p id="item_type-message" class="field-message">
                    {type_error.map(|e| view! { <span class="error">{tt(e)}</span> })}
                </p>
            </div>
            <Field id="name" label=t("Name") help=t("What people see in the impact of an ownership change, e.g. Expense reports.") value=form.name.clone() error=name_error />
            <Field
                id="detail"
                label=t("Details")
                help=t(
                    "For a passcode policy the rule, for Wi-Fi the network, for an app its store identifier, for a book its title or file.",
                )
                value=form.detail.clone()
                error=detail_error.map(tt)
            />
            <div class="check">
                <input type="checkbox" id="forbids_locate" name="forbids_locate" checked=form.forbids_locate />
                <label for="forbids_locate">
                    {t("Privacy policy only: the company may not locate the device (Locate is not offered)")}
                </label>
            </div>
            <LabelChecks labels=view.labels checked=form.labels error=labels_error.map(tt) />
            <button type="submit">{t("Save")}</button>
        </PostForm>
    }
}

#[component]
fn DeleteItem(id: i32) -> impl IntoView {
    view! {
        <section class="card" id="delete">
            <h2>{t("Delete")}</h2>
            <p class="help">{t("Devices that have it lose it at their next check-in.")}</p>
            <PostForm to=DeleteCatalogueItem::url()>
                <input type="hidden" name="id" value=id />
                <button type="submit" class="danger">
                    {t("Delete")}
                </button>
            </PostForm>
        </section>
    }
}

#[component]
pub fn LabelPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i32>().ok()));
    view! {
        <Title text=t("Label") />
        <p>
            <a href="/admin/policies#labels">{t("← Policies & apps")}</a>
        </p>
        {loaded(get_label(id()), move |view| {
                            let delete = view.id.map(|id| view! { <DeleteLabelForm id /> });
                            view! {
                                <LabelForm view />
                                {delete}
                            }
                                .into_any()
                        })}
    }
}

#[component]
fn LabelForm(view: LabelView) -> impl IntoView {
    let (typed, refused) = refused::<LabelInput>().unzip();
    let LabelErrors {
        name: name_error,
        ownership: ownership_error,
        platforms: platforms_error,
    } = typed
        .as_ref()
        .and_then(|t| t.check().err())
        .unwrap_or_default();
    let name_error = name_error.map(tt).or_else(|| {
        (refused.as_deref() == Some("name-taken"))
            .then(|| t("Another label already has this name: choose a different one.").to_owned())
    });
    let form = typed.unwrap_or(view.input);
    let title = if view.id.is_some() {
        form.name.clone()
    } else {
        t("Add a label").to_owned()
    };
    view! {
        <h1>{title}</h1>
        <PostForm to=SaveLabel::url() class="label-form">
            {view.id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <Field id="name" label=t("Name") help=t("e.g. Company iPhones") value=form.name.clone() error=name_error />
            <div class="field">
                <label for="ownership">{t("Ownership")}</label>
                <select
                    id="ownership"
                    name="ownership"
                    aria-invalid=ownership_error.is_some().to_string()
                    aria-describedby="ownership-message"
                >
                    <option value="" selected=form.ownership.is_empty()>
                        {t("Either")}
                    </option>
                    {[Ownership::CompanyOwned, Ownership::EmployeeOwned]
                        .into_iter()
                        .map(|o| {
                            view! {
                                <option value=o.as_str() selected=form.ownership == o.as_str()>
                                    {tt(o.label())}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <p id="ownership-message" class="field-message">
                    {ownership_error.map(|e| view! { <span class="error">{tt(e)}</span> })}
                </p>
            </div>
            <fieldset aria-describedby="platforms-message">
                <legend>{t("Platforms (none ticked: any)")}</legend>
                {Platform::ALL
                    .iter()
                    .copied()
                    .map(|p| {
                        let id = format!("platform-{}", p.as_str());
                        view! {
                            <div class="check">
                                <input
                                    type="checkbox"
                                    id=id.clone()
                                    name=format!("platforms[{}]", p.as_str())
                                    checked=form.platforms.iter().any(|t| t == p.as_str())
                                />
                                <label for=id>{tt(p.label())}</label>
                            </div>
                        }
                    })
                    .collect_view()}
                <p id="platforms-message" class="field-message">
                    {platforms_error.map(|e| view! { <span class="error">{tt(e)}</span> })}
                </p>
            </fieldset>
            <button type="submit">{t("Save label")}</button>
        </PostForm>
    }
}

#[component]
fn DeleteLabelForm(id: i32) -> impl IntoView {
    view! {
        <section class="card" id="delete">
            <h2>{t("Delete this label")}</h2>
            <p class="help">
                {t(
                    "It is taken off everything assigned to it; devices lose what it brought at their next check-in.",
                )}
            </p>
            <PostForm to=DeleteLabel::url()>
                <input type="hidden" name="id" value=id />
                <button type="submit" class="danger">
                    {t("Delete label")}
                </button>
            </PostForm>
        </section>
    }
}

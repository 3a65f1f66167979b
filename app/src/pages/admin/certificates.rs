//! Admin → Certificates: the kinds of certificate people may upload
//! (user-provided certificate enrollment settings).

use crate::api::notice::{Notice, notice};
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::policies::LabelChecks;
use crate::api::certificates::{
    CertificateSettingView, DeleteCertificateSetting, SaveCertificateSetting,
    get_certificate_setting, get_certificate_settings,
};
use crate::components::field::Field;
use crate::components::form::{PostForm, refused};
use crate::components::status::{Saved, loaded};
use crate::components::table::DataTable;
use crate::domain::certificates::{Purpose, SettingErrors, SettingInput};
use crate::i18n::{en, t, tf, tt};

const HEADINGS: &[&str] = &[
    en("Name"),
    en("Purpose"),
    en("Private key required"),
    en("Password required"),
    en("Upload from phones"),
    en("In use"),
];

fn yes_no(value: bool) -> &'static str {
    if value { t("Yes") } else { t("No") }
}

#[component]
pub fn CertificateSettingsPage() -> impl IntoView {
    let deleted = notice() == Some(Notice::Deleted);
    view! {
            <Title text=t("Certificate settings") />
            <h1>{t("Certificates")}</h1>
            <p class="help">
                {t(
                    "Each setting is a kind of certificate people upload in My certificates (for example S/MIME signing) and their devices receive at check-in.",
                )}
            </p>
            {deleted.then(|| view! { <Saved text=t("The setting was deleted.") /> })}
            {loaded(get_certificate_settings(), move |value| match value {
                            list if list.is_empty() => {
                                view! {
                                    <p class="empty-state">
                                        {t(
                                            "No certificate setting yet: people cannot upload certificates until you add one.",
                                        )}
                                    </p>
                                }
                                    .into_any()
                            }
                            list => {
                                view! {
                                    <DataTable label=t("Certificate settings") headings=HEADINGS>
                                        {list
                                            .into_iter()
                                            .map(|s| {
                                                view! {
                                                    <tr>
                                                        <td>
                                                            <a href=format!("/admin/certificates/{}", s.id)>{s.name}</a>
                                                        </td>
                                                        <td>{tt(s.purpose.label())}</td>
                                                        <td>{yes_no(s.key_required)}</td>
                                                        <td>{yes_no(s.password_required)}</td>
                                                        <td>{yes_no(s.mobile_upload)}</td>
                                                        <td>
                                                            {tf(
                                                                "{certificates} certificate(s) of {people} person/people",
                                                                &[("certificates", &s.certificates), ("people", &s.people)],
                                                            )}
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
                <a class="button" href="/admin/certificates/new">
                    {t("Add a certificate setting")}
                </a>
            </p>
        }
}

#[component]
pub fn CertificateSettingPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i32>().ok()));
    view! {
        <Title text=t("Certificate setting") />
        <p>
            <a href="/admin/certificates">{t("← All certificate settings")}</a>
        </p>
        {loaded(get_certificate_setting(id()), move |view| {
                            let delete = view
                                .id
                                .map(|id| view! { <DeleteSetting id certificates=view.certificates people=view.people /> });
                            view! {
                                <SettingForm view=view.clone() />
                                {delete}
                            }
                                .into_any()
                        })}
    }
}

#[component]
fn SettingForm(view: CertificateSettingView) -> impl IntoView {
    // A refused form comes back with what was typed.
    let (typed, refused) = refused::<SettingInput>().unzip();
    let saved = notice() == Some(Notice::Saved);
    let SettingErrors {
        name: name_error,
        purpose: purpose_error,
        labels: labels_error,
    } = typed
        .as_ref()
        .and_then(|t| t.check().err())
        .unwrap_or_default();
    let name_error = name_error.map(tt).or_else(|| {
        (refused.as_deref() == Some("name-taken"))
            .then(|| t("Another setting already has this name: choose a different one.").to_owned())
    });
    let form = typed.unwrap_or(view.input);
    let title = if view.id.is_some() {
        form.name.clone()
    } else {
        t("Add a certificate setting").to_owned()
    };
    view! {
        <h1>{title}</h1>
        {saved.then(|| view! { <Saved text=t("Certificate setting saved.") /> })}
        <PostForm to=SaveCertificateSetting::url() class="certificate-setting">
            {view.id.map(|id| view! { <input type="hidden" name="id" value=id /> })}
            <Field id="name" label=t("Display name") help=t("What people see when they upload, e.g. S/MIME signing.") value=form.name.clone() error=name_error />
            <div class="field">
                <label for="purpose">{t("Purpose")}</label>
                <select
                    id="purpose"
                    name="purpose"
                    aria-invalid=purpose_error.is_some().to_string()
                    aria-describedby="purpose-message"
                >
                    {Purpose::ALL
                        .iter()
                        .copied()
                        .map(|p| {
                            view! {
                                <option value=p.as_str() selected=form.purpose == p.as_str()>
                                    {tt(p.label())}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
                <p id="purpose-message" class="field-message">
                    {purpose_error.map(|e| view! { <span class="error">{tt(e)}</span> })}
                </p>
            </div>
            <p class="help">
                {t(
                    "For encryption, a replaced certificate's key is kept so that mail encrypted to it can still be read.",
                )}
            </p>
            <div class="check">
                <input type="checkbox" id="key_required" name="key_required" checked=form.key_required />
                <label for="key_required">{t("A private key is required (PKCS#12, or PEM with the key)")}</label>
            </div>
            <div class="check">
                <input type="checkbox" id="password_required" name="password_required" checked=form.password_required />
                <label for="password_required">
                    {t("Files with a private key must be protected by a password, entered at upload")}
                </label>
            </div>
            <div class="check">
                <input type="checkbox" id="mobile_upload" name="mobile_upload" checked=form.mobile_upload />
                <label for="mobile_upload">
                    {t("Allow upload from phones and tablets (otherwise from computers only)")}
                </label>
            </div>
            <LabelChecks labels=view.labels.clone() checked=form.labels.clone() error=labels_error.map(tt) />
            <button type="submit">{t("Save certificate setting")}</button>
        </PostForm>
    }
}

#[component]
fn DeleteSetting(id: i32, certificates: u64, people: u64) -> impl IntoView {
    let refused = notice() == Some(Notice::InUse);
    view! {
        <section class="card" id="delete">
            <h2>{t("Delete this setting")}</h2>
            {if certificates == 0 {
                view! { <p class="help">{t("No one has uploaded a certificate for it.")}</p> }.into_any()
            } else {
                view! {
                    <p class="help">
                        {tf(
                            "{certificates} certificate(s) of {people} person/people were uploaded for it. They are deleted with it, and devices lose them at their next check-in.",
                            &[("certificates", &certificates), ("people", &people)],
                        )}
                    </p>
                }
                    .into_any()
            }}
            {refused
                .then(|| {
                    view! {
                        <p class="notice error" role="alert">
                            {t("This setting is in use: tick the box to delete its certificates with it.")}
                        </p>
                    }
                })}
            <PostForm to=DeleteCertificateSetting::url()>
                <input type="hidden" name="id" value=id />
                {(certificates > 0)
                    .then(|| {
                        view! {
                            <div class="check">
                                <input type="checkbox" id="with_certificates" name="with_certificates" />
                                <label for="with_certificates">
                                    {tf("Also delete the {certificates} certificate(s)", &[("certificates", &certificates)])}
                                </label>
                            </div>
                        }
                    })}
                <button type="submit" class="danger">
                    {t("Delete certificate setting")}
                </button>
            </PostForm>
        </section>
    }
}

//! "My certificates": the certificates the signed-in user uploaded, one
//! card each, and the upload form (a plain multipart form to
//! `/certificates/upload`, so it works without JavaScript). An upload
//! holding several keys comes back here to pick one.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::certificates::{
    CertificateRow, ChooseCertificateKey, DeleteCertificate, DiscardCertificateUpload,
    MyCertificates, PendingChoice, get_my_certificates,
};
use crate::api::notice::{Notice, notice};
use crate::components::csrf::CsrfField;
use crate::components::form::PostForm;
use crate::components::status::loaded;
use crate::domain::certificates::{Expiry, UploadField, UploadProblem, upload_refusal};
use crate::i18n::{lang, t, tf, tt};

fn day(at: chrono::DateTime<chrono::Utc>) -> String {
    lang().date(at.date_naive())
}

#[component]
pub fn MyCertificatesPage() -> impl IntoView {
    let query = use_query_map();
    // Read once, here: a closure rendered later may run where the
    // router (and so the address) is out of reach.
    let notice = match notice() {
        Some(Notice::Uploaded) => Some(t(
            "Certificate uploaded. Your devices receive it at their next check-in.",
        )),
        Some(Notice::Replaced) => Some(t(
            "Certificate replaced. Your devices receive the new one at their next check-in.",
        )),
        Some(Notice::Deleted) => Some(t(
            "Certificate deleted. Your devices remove it at their next check-in.",
        )),
        _ => None,
    };
    let warning = move || query.with(|q| q.get("warning").is_some());
    // An upload that holds several keys waits for the person to pick one.
    let pending = query.with_untracked(|q| q.get("pending").and_then(|p| p.parse().ok()));
    view! {
        <Title text=t("My certificates") />
        <h1>{t("My certificates")}</h1>
        {notice.map(|text| view! { <p class="notice ok" role="status">{text}</p> })}
        {move || {
            warning()
                .then(|| {
                    view! {
                        <p class="notice" role="status">
                            {t(
                                "The certificate is not valid yet: devices can use it from its start date.",
                            )}
                        </p>
                    }
                })
        }}
        {loaded(
            get_my_certificates(pending),
            |mine| view! { <Certificates mine /> },
        )}
    }
}

#[component]
fn Certificates(mine: MyCertificates) -> impl IntoView {
    let ending = mine
        .certificates
        .iter()
        .filter(|c| !c.retired && matches!(c.expiry, Expiry::EndsSoon(_) | Expiry::Expired))
        .count();
    let pending = mine.pending.clone();
    view! {
        {(ending > 0)
            .then(|| {
                view! {
                    <p class="notice error" role="alert">
                        {tf(
                            "{ending} of your certificates expire(s) within 30 days or has expired: ask for a new one and upload it here.",
                            &[("ending", &ending)],
                        )}
                    </p>
                }
            })}
        {pending.map(|pending| view! { <ChooseKey pending /> })}
        {if mine.certificates.is_empty() {
            view! { <p class="empty-state">{t("You have not uploaded any certificate yet.")}</p> }
                .into_any()
        } else {
            view! {
                <ul class="device-list certificates">
                    {mine
                        .certificates
                        .iter()
                        .cloned()
                        .map(|row| view! { <CertificateCard row /> })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
        <UploadForm mine />
    }
}

#[component]
fn CertificateCard(row: CertificateRow) -> impl IntoView {
    let badge = if row.retired {
        Some(t("replaced, key kept for old mail").to_owned())
    } else {
        row.expiry.badge().map(|b| tt(&b))
    };
    let badge_class = match row.expiry {
        Expiry::Expired | Expiry::EndsSoon(_) => "badge warning",
        _ => "badge",
    };
    let key = if row.has_key {
        tf("{kind} with private key", &[("kind", &row.key_type)])
    } else {
        tf("{kind}, certificate only", &[("kind", &row.key_type)])
    };
    let title = tf("{name} certificate", &[("name", &row.setting)]);
    view! {
        <li class="card certificate">
            <div class="device-head">
                <h2>{row.setting.clone()}</h2>
                {badge.map(|b| view! { <span class=badge_class>{b}</span> })}
            </div>
            <dl class="facts">
                <dt>{t("Subject")}</dt>
                <dd>{row.subject.clone()}</dd>
                <dt>{t("Issuer")}</dt>
                <dd>{row.issuer.clone()}</dd>
                <dt>{t("Valid")}</dt>
                <dd>
                    {tf(
                        "{from} to {until}",
                        &[("from", &day(row.not_before)), ("until", &day(row.not_after))],
                    )}
                </dd>
                <dt>{t("Key")}</dt>
                <dd>{key}</dd>
                {(!row.key_usage.is_empty())
                    .then(|| view! { <dt>{t("Key usage")}</dt><dd>{row.key_usage.clone()}</dd> })}
                {(!row.alias.is_empty())
                    .then(|| view! { <dt>{t("Alias")}</dt><dd>{row.alias.clone()}</dd> })}
                <dt>{t("SHA-256 fingerprint")}</dt>
                <dd>
                    <code class="fingerprint">{row.fingerprint.clone()}</code>
                </dd>
                {(row.chain > 0)
                    .then(|| {
                        view! {
                            <dt>{t("Chain")}</dt>
                            <dd>{tf("{count} issuer certificate(s)", &[("count", &row.chain)])}</dd>
                        }
                    })}
                <dt>{t("Uploaded")}</dt>
                <dd>{lang().date_time(row.uploaded_at)}</dd>
            </dl>
            <div class="row-actions">
                <a href=format!("/certificates/{}/download", row.id) download="">
                    {t("Download certificate")}
                    <span class="visually-hidden">{format!(" ({title})")}</span>
                </a>
                {(!row.retired)
                    .then(|| {
                        view! {
                            <a href=format!("/certificates?setting={}#upload", row.setting_id)>
                                {t("Replace")}
                                <span class="visually-hidden">{format!(" {title}")}</span>
                            </a>
                        }
                    })}
            </div>
            <details class="confirm">
                <summary>{tf("Delete {title}…", &[("title", &title)])}</summary>
                <p>
                    {if row.retired {
                        t(
                            "Delete this old key? Mail encrypted to it can no longer be read on your devices.",
                        )
                    } else {
                        t("Delete this certificate? Your devices remove it at their next check-in.")
                    }}
                </p>
                <PostForm to=DeleteCertificate::url()>
                    <input type="hidden" name="id" value=row.id />
                    <button type="submit" class="danger">
                        {tf("Delete {title}", &[("title", &title)])}
                    </button>
                </PostForm>
            </details>
        </li>
    }
}

/// The keys of an upload that holds several: pick one.
#[component]
fn ChooseKey(pending: PendingChoice) -> impl IntoView {
    let error = use_query_map()
        .with_untracked(|q| q.get("error").and_then(|c| UploadProblem::parse(&c)))
        .filter(|p| p.field() == UploadField::Key);
    view! {
        <section class="card" id="choose" aria-labelledby="choose-title">
            <h2 id="choose-title">{t("Which key should be used?")}</h2>
            <p>
                {tf(
                    "The file you uploaded for {setting} holds {count} private keys. Pick the one to use; the others are not kept.",
                    &[("setting", &pending.setting), ("count", &pending.keys.len())],
                )}
            </p>
            <PostForm to=ChooseCertificateKey::url()>
                <input type="hidden" name="pending" value=pending.id />
                <fieldset aria-describedby="key-message">
                    <legend>{t("Keys in the file")}</legend>
                    {pending
                        .keys
                        .into_iter()
                        .map(|key| {
                            let id = format!("key-{}", key.index);
                            let alias = if key.alias.is_empty() {
                                tf("Key {number}", &[("number", &(key.index + 1))])
                            } else {
                                key.alias.clone()
                            };
                            view! {
                                <div class="check">
                                    <input type="radio" id=id.clone() name="key" value=key.index />
                                    <label for=id>
                                        <strong>{alias}</strong>
                                        " — "
                                        {tf(
                                            "{subject}, {kind}, until {until}, SHA-256 {fingerprint}…",
                                            &[
                                                ("subject", &key.subject),
                                                ("kind", &key.key_type),
                                                ("until", &day(key.not_after)),
                                                (
                                                    "fingerprint",
                                                    &&key.fingerprint[..16.min(key.fingerprint.len())],
                                                ),
                                            ],
                                        )}
                                    </label>
                                </div>
                            }
                        })
                        .collect_view()}
                </fieldset>
                <p id="key-message" class="field-message">
                    {error.map(|e| view! { <span class="error">{tt(e.message())}</span> })}
                </p>
                <button type="submit">{t("Use this key")}</button>
            </PostForm>
            <PostForm to=DiscardCertificateUpload::url()>
                <input type="hidden" name="pending" value=pending.id />
                <button type="submit" class="secondary-button">
                    {t("Discard the upload")}
                </button>
            </PostForm>
        </section>
    }
}

#[component]
fn UploadForm(mine: MyCertificates) -> impl IntoView {
    let query = use_query_map();
    let (problem, chosen) = query.with_untracked(|q| {
        (
            q.get("error").and_then(|c| UploadProblem::parse(&c)),
            q.get("setting").and_then(|s| s.parse::<i32>().ok()),
        )
    });
    // A key choice that is no longer waiting: said above the form.
    let lost_choice = problem
        .filter(|p| p.field() == UploadField::Key && mine.pending.is_none())
        .map(|p| view! { <p class="notice error" role="alert" id="choice-gone">{tt(p.message())}</p> });
    let problem = problem.filter(|p| p.field() != UploadField::Key);
    let message = move |field: UploadField| {
        problem
            .filter(|p| p.field() == field)
            .map(|p| view! { <span class="error">{tt(p.message())}</span> })
    };
    let invalid = move |field: UploadField| problem.is_some_and(|p| p.field() == field).to_string();
    let usable: Vec<_> = mine
        .settings
        .iter()
        .filter(|s| upload_refusal(s.mobile_upload, mine.mobile).is_none())
        .cloned()
        .collect();
    let reason = if mine.settings.is_empty() {
        Some(
            t(
                "Uploading is not available yet: your administrator has not set up any kind of certificate to upload.",
            )
            .to_owned(),
        )
    } else if usable.is_empty() {
        upload_refusal(false, true).map(|p| tt(p.message()))
    } else {
        None
    };
    let disabled = reason.is_some();
    let hidden = mine.settings.len() - usable.len();
    view! {
        <section class="card" id="upload" aria-labelledby="upload-title">
            <h2 id="upload-title">{t("Upload a certificate")}</h2>
            {lost_choice}
            {reason.map(|r| view! { <p class="notice" role="status" id="upload-unavailable">{r}</p> })}
            {(hidden > 0 && !disabled)
                .then(|| {
                    view! {
                        <p class="help">
                            {tf(
                                "{hidden} more kind(s) can only be uploaded from a computer's browser.",
                                &[("hidden", &hidden)],
                            )}
                        </p>
                    }
                })}
            <form method="post" action="/certificates/upload" enctype="multipart/form-data">
                <CsrfField />
                <fieldset disabled=disabled>
                    <div class="field">
                        <label for="setting">{t("For")}</label>
                        <select
                            id="setting"
                            name="setting"
                            aria-invalid=invalid(UploadField::Setting)
                            aria-describedby="setting-help setting-message"
                        >
                            {usable
                                .iter()
                                .map(|s| {
                                    let note = match (s.current.is_some(), s.key_required) {
                                        (true, _) => Some(t("(replaces your current one)")),
                                        (false, true) => Some(t("(with private key)")),
                                        (false, false) => None,
                                    };
                                    view! {
                                        <option value=s.id selected=chosen == Some(s.id)>
                                            {match note {
                                                Some(note) => format!("{} {note}", s.name),
                                                None => s.name.clone(),
                                            }}
                                        </option>
                                    }
                                })
                                .collect_view()}
                        </select>
                        <p id="setting-help" class="help">
                            {t("Uploading for a kind you already have replaces that certificate.")}
                        </p>
                        <p id="setting-message" class="field-message">
                            {message(UploadField::Setting)}
                        </p>
                    </div>
                    <UploadInput
                        field=UploadField::File
                        label=t("Certificate file")
                        help=t(
                            "PKCS#12 (.p12, .pfx) with its private key, or a certificate alone (.pem, .cer, .crt, .der) where no key is needed. At most 256 KiB.",
                        )
                        kind="file"
                        accept=".p12,.pfx,.pem,.cer,.crt,.der,.key"
                        problem
                    />
                    <UploadInput
                        field=UploadField::Password
                        label=t("File password")
                        help=t(
                            "The password the file was exported with; empty if it has none. It is used once to open the file and never stored.",
                        )
                        kind="password"
                        problem
                    />
                    <button type="submit">{t("Upload")}</button>
                </fieldset>
            </form>
        </section>
    }
}

/// One input of the upload form, with its help and, when refused, why.
#[component]
fn UploadInput(
    field: UploadField,
    label: &'static str,
    help: &'static str,
    kind: &'static str,
    #[prop(optional)] accept: &'static str,
    problem: Option<UploadProblem>,
) -> impl IntoView {
    let id = field.as_str();
    let error = problem.filter(|p| p.field() == field);
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <p id=format!("{id}-help") class="help">
                {help}
            </p>
            <input
                type=kind
                id=id
                name=id
                accept=(!accept.is_empty()).then_some(accept)
                autocomplete=(kind == "password").then_some("off")
                aria-invalid=error.is_some().to_string()
                aria-describedby=format!("{id}-help {id}-message")
            />
            <p id=format!("{id}-message") class="field-message">
                {error.map(|e| view! { <span class="error">{tt(e.message())}</span> })}
            </p>
        </div>
    }
}

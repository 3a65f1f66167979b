//! Admin → Sign-in methods: password, identity certificate (smart card)
//! or both, and which name in a certificate finds its user.

use crate::api::notice::{Notice, notice};
use crate::domain::text::TextEnum;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;

use crate::api::admin::{SaveSignInSettings, get_sign_in_settings};
use crate::components::form::PostForm;
use crate::components::status::{Saved, loaded};
use crate::domain::certificate_sign_in::{CertificateMapping, SignInMethods};
use crate::i18n::{t, tf, tt};

#[component]
pub fn SignInMethodsPage() -> impl IntoView {
    let saved = notice() == Some(Notice::Saved);

    view! {
        <Title text=t("Sign-in methods") />
        <h1>{t("Sign-in methods")}</h1>
        {loaded(get_sign_in_settings(), move |current| {
                            let available = !current.via.is_empty();
                            view! {
                                {saved.then(|| view! { <Saved text=t("Sign-in methods saved.") /> })}
                                <section class="card" id="certificate-setup">
                                    <h2>{t("Certificate sign-in on this server")}</h2>
                                    {if available {
                                        view! { <p>{tt(&current.via)}</p> }.into_any()
                                    } else {
                                        view! {
                                            <p>
                                                {t("Not set up: the server needs HTTPS with a client CA bundle (")}
                                                <code>"tls_certificate"</code> ", " <code>"tls_key"</code> ", "
                                                <code>"client_ca"</code>
                                                {t("), or a trusted reverse proxy that passes the certificate (")}
                                                <code>"trusted_proxies"</code> ", "
                                                <code>"client_certificate_header"</code> ", "
                                                <code>"client_ca"</code>
                                                {t("). Until then only passwords can be used.")}
                                            </p>
                                        }
                                            .into_any()
                                    }}
                                    <p id="presented-certificate">
                                        {match current.presented.clone() {
                                            Some(subject) => {
                                                tf(
                                                    "Your browser presents the certificate of {subject}.",
                                                    &[("subject", &subject)],
                                                )
                                            }
                                            None => t("Your browser presents no certificate on this page.").to_owned(),
                                        }}
                                    </p>
                                </section>
                                <PostForm to=SaveSignInSettings::url()>
                                    <fieldset>
                                        <legend>{t("People sign in with")}</legend>
                                        {SignInMethods::ALL
                                            .iter()
                                            .copied()
                                            .map(|m| {
                                                let id = format!("methods-{}", m.as_str());
                                                view! {
                                                    <div class="choice">
                                                        <input
                                                            type="radio"
                                                            name="methods"
                                                            id=id.clone()
                                                            value=m.as_str()
                                                            checked=m == current.methods
                                                            disabled=m.certificate() && !available
                                                        />
                                                        <label for=id>{tt(m.label())}</label>
                                                    </div>
                                                }
                                            })
                                            .collect_view()}
                                        <p class="help">
                                            {t(
                                                "Passwords can be turned off only while you are signed in with your own certificate, so that administrators can always get in. Devices still enroll the way Admin → Registration says (PIN, password or both): with passwords off, choose PIN there.",
                                            )}
                                        </p>
                                    </fieldset>
                                    <fieldset>
                                        <legend>{t("A certificate belongs to")}</legend>
                                        {CertificateMapping::ALL
                                            .iter()
                                            .copied()
                                            .map(|m| {
                                                let id = format!("mapping-{}", m.as_str());
                                                view! {
                                                    <div class="choice">
                                                        <input
                                                            type="radio"
                                                            name="mapping"
                                                            id=id.clone()
                                                            value=m.as_str()
                                                            checked=m == current.mapping
                                                        />
                                                        <label for=id>{tt(m.label())}</label>
                                                    </div>
                                                }
                                            })
                                            .collect_view()}
                                    </fieldset>
                                    <button type="submit">{t("Save sign-in methods")}</button>
                                </PostForm>
                            }
                                .into_any()
                        })}
    }
}

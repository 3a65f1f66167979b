//! Signing in with an identity certificate: the portal's own HTTPS with a
//! test CA and an intermediate (certificates made by the test), each way
//! of mapping a certificate to a user, the refusals, the administrator's
//! choice of methods, and the reverse-proxy mode.

use crate::helpers::{Browser, TestApp, TestDb, location, on_every_backend};
use app::domain::certificate_sign_in::{CertificateMapping, SignInMethods};
use app::domain::role::Role;
use app::domain::text::TextEnum;
use app::server::audit::RequestOrigin;
use app::server::entities::{audit_event, session};
use chrono::{TimeDelta, Utc};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use server::config::Config;
use server::pki::{Authority, Issued, UserCertificate};
use std::path::PathBuf;

const PASSWORD: &str = "a password for tests";

on_every_backend!(
    each_mapping_finds_its_user_over_the_portals_own_https,
    bad_certificates_and_unknown_people_get_a_clear_refusal,
    the_administrators_choice_of_methods_is_enforced,
    a_trusted_proxy_passes_the_certificate_and_nobody_else_can,
    revoked_cards_are_refused,
);

/// A test CA (a root and a smart-card intermediate), its files, and a
/// server certificate for 127.0.0.1.
pub struct Pki {
    pub root: Authority,
    pub cards: Authority,
    dir: tempfile::TempDir,
}

impl Pki {
    pub fn new() -> Pki {
        let now = Utc::now();
        let root = Authority::root("Test root CA", now).unwrap();
        let cards = root.intermediate("Test smart card CA", now).unwrap();
        let pki = Pki {
            root,
            cards,
            dir: tempfile::tempdir().unwrap(),
        };
        let server = pki.root.server(&["127.0.0.1"], now).unwrap();
        pki.write("server.pem", &server.chain_pem);
        pki.write("server.key", &server.key_pem);
        // The root only: browsers send the intermediate along.
        pki.write("ca.pem", &pki.root.certificate_pem());
        pki
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path(name), text).unwrap();
    }

    /// HTTPS with the test server certificate, asking for client
    /// certificates of the test CA.
    pub fn direct(&self, config: &mut Config) {
        config.tls_certificate = self.path("server.pem").display().to_string();
        config.tls_key = self.path("server.key").display().to_string();
        config.client_ca = self.path("ca.pem").display().to_string();
    }

    /// A user certificate from the smart-card CA.
    pub fn card(&self, spec: UserCertificate) -> Issued {
        self.cards.user(&spec).unwrap()
    }

    /// An HTTPS client that trusts the test root and presents `card`.
    pub fn client(&self, card: Option<&Issued>) -> reqwest::Client {
        let mut builder = reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.root.certificate_pem().as_bytes()).unwrap(),
            )
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60));
        if let Some(card) = card {
            let pem = format!("{}{}", card.chain_pem, card.key_pem);
            builder = builder.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
        }
        builder.build().unwrap()
    }
}

/// A card whose only name is what `name` sets.
pub fn card_with(name: impl FnOnce(&mut UserCertificate)) -> UserCertificate {
    let mut spec = UserCertificate::new("Someone", Utc::now());
    name(&mut spec);
    spec
}

/// Presses "Sign in with your certificate"; where the answer leads.
pub async fn certificate_sign_in(browser: &mut Browser) -> String {
    browser.get("/sign-in").await;
    let response = browser
        .post_form("/api/sign_in_certificate", &[("next", "/")])
        .await;
    assert_eq!(response.status(), 302);
    location(&response)
}

pub async fn set_sign_in(app: &TestApp, methods: SignInMethods, mapping: CertificateMapping) {
    app::server::settings::set_sign_in(
        &app.db,
        &RequestOrigin::command_line(),
        &app::server::Admin::command_line(),
        methods,
        mapping,
        Utc::now(),
    )
    .await
    .unwrap();
    app.settled().await;
}

/// The details of the latest `sign_in` audit event with this outcome.
async fn last_sign_in(app: &TestApp, outcome: &str) -> audit_event::Model {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("sign_in"))
        .filter(audit_event::Column::Outcome.eq(outcome))
        .order_by_desc(audit_event::Column::Id)
        .one(&app.db)
        .await
        .unwrap()
        .expect("an audited sign-in")
}

async fn sessions(app: &TestApp) -> usize {
    session::Entity::find().all(&app.db).await.unwrap().len()
}

async fn each_mapping_finds_its_user_over_the_portals_own_https(db: TestDb) {
    let pki = Pki::new();
    let app = TestApp::spawn_with(&db, |c| pki.direct(c)).await;
    assert_eq!(app.scheme, "https");
    app.add_user("alice", &[Role::PortalAccess, Role::Lock], PASSWORD)
        .await;
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Upn).await;

    let cases = [
        (
            CertificateMapping::Upn,
            card_with(|c| c.upn = Some("Alice@Example.com".to_owned())),
        ),
        (
            CertificateMapping::Email,
            card_with(|c| c.email = Some("alice@example.com".to_owned())),
        ),
        (
            CertificateMapping::CommonName,
            card_with(|c| c.common_name = "alice".to_owned()),
        ),
        (
            CertificateMapping::Uid,
            card_with(|c| c.uid = Some("alice".to_owned())),
        ),
    ];
    for (mapping, spec) in cases {
        set_sign_in(&app, SignInMethods::Both, mapping).await;
        let card = pki.card(spec);
        let mut browser = app.browser_using(pki.client(Some(&card)));
        // The page offers both, and says which certificate it sees.
        let page = browser.get("/sign-in").await.text().await.unwrap();
        assert!(page.contains("Sign in with your certificate"), "{page}");
        assert!(page.contains("id=\"password\""), "{page}");
        assert!(page.contains("certificate-presented"), "{page}");
        assert_eq!(certificate_sign_in(&mut browser).await, "/", "{mapping:?}");
        let home = browser.get("/").await;
        assert_eq!(home.status(), 200);
        assert!(home.text().await.unwrap().contains("alice Example"));

        let audited = last_sign_in(&app, "success").await;
        assert_eq!(audited.actor.as_deref(), Some("alice"));
        let details: serde_json::Value = serde_json::from_str(&audited.details).unwrap();
        assert_eq!(details["method"], "certificate");
        assert_eq!(details["mapping"], mapping.as_str());
        assert!(
            details["issuer"]
                .as_str()
                .unwrap()
                .contains("Test smart card CA")
        );
        assert!(details["subject"].as_str().unwrap().contains("CN="));
        assert!(!details["serial"].as_str().unwrap().is_empty());

        // The session is like any other: no form without the token, no
        // admin pages without the role.
        let forged = browser
            .post_raw(
                "/api/sign_out",
                &[("csrf_token", "forged".to_owned())],
                &[("accept", "text/html")],
            )
            .await;
        assert_eq!(forged.status(), 403);
        assert_eq!(
            browser
                .get_accepting("/api/admin/sign_in_settings", "application/json")
                .await
                .status(),
            403
        );
        assert_eq!(browser.post_form("/api/sign_out", &[]).await.status(), 302);
    }

    // The same certificate does not name alice under another mapping.
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Email).await;
    let upn_only = pki.card(card_with(|c| c.upn = Some("alice@example.com".to_owned())));
    let mut browser = app.browser_using(pki.client(Some(&upn_only)));
    assert!(
        certificate_sign_in(&mut browser)
            .await
            .contains("error=certificate-no-email")
    );
    app.stop().await;
}

async fn bad_certificates_and_unknown_people_get_a_clear_refusal(db: TestDb) {
    let pki = Pki::new();
    let app = TestApp::spawn_with(&db, |c| pki.direct(c)).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    app.add_user("dan", &[Role::PortalAccess], PASSWORD).await;
    app.disable("dan").await;
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Upn).await;
    let now = Utc::now();
    let alice = |c: &mut UserCertificate| c.upn = Some("alice@example.com".to_owned());
    let other_ca = Authority::root("Another CA", now).unwrap();
    let cases = [
        (
            "certificate-expired",
            pki.card(card_with(|c| {
                alice(c);
                c.not_before = now - TimeDelta::days(400);
                c.not_after = now - TimeDelta::days(2);
            })),
        ),
        (
            "certificate-not-yet-valid",
            pki.card(card_with(|c| {
                alice(c);
                c.not_before = now + TimeDelta::days(2);
            })),
        ),
        (
            "certificate-untrusted",
            other_ca.user(&card_with(alice)).unwrap(),
        ),
        (
            "certificate-not-for-sign-in",
            pki.card(card_with(|c| {
                alice(c);
                c.client_auth = false;
            })),
        ),
        (
            "certificate-unknown-user",
            pki.card(card_with(|c| {
                c.upn = Some("mallory@example.com".to_owned())
            })),
        ),
        (
            "disabled",
            pki.card(card_with(|c| c.upn = Some("dan@example.com".to_owned()))),
        ),
        ("certificate-no-upn", pki.card(card_with(|_| {}))),
    ];
    for (code, card) in cases {
        let mut browser = app.browser_using(pki.client(Some(&card)));
        let to = certificate_sign_in(&mut browser).await;
        assert!(to.contains(&format!("error={code}&")), "{code}: {to}");
        assert!(
            !browser.cookies.contains_key("ssp_session")
                && !browser.cookies.contains_key("__Host-ssp_session"),
            "{code}"
        );
        // The page says why, in words.
        let page = browser.get(&to).await.text().await.unwrap();
        assert!(page.contains("role=\"alert\""), "{code}: {page}");
        // Audited with the certificate it was about.
        let audited = last_sign_in(&app, "refused").await;
        let details: serde_json::Value = serde_json::from_str(&audited.details).unwrap();
        assert_eq!(details["method"], "certificate", "{code}");
        assert!(
            details["serial"].as_str().is_some_and(|s| !s.is_empty()),
            "{code}"
        );
    }
    assert_eq!(sessions(&app).await, 0);

    // No certificate at all: the page explains how to present one.
    let mut bare = app.browser_using(pki.client(None));
    let page = bare.get("/sign-in").await.text().await.unwrap();
    assert!(page.contains("did not present a certificate"), "{page}");
    assert!(
        certificate_sign_in(&mut bare)
            .await
            .contains("error=no-certificate")
    );
    app.stop().await;
}

async fn the_administrators_choice_of_methods_is_enforced(db: TestDb) {
    let pki = Pki::new();
    let app = TestApp::spawn_with(&db, |c| pki.direct(c)).await;
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        PASSWORD,
    )
    .await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let admin_card = pki.card(card_with(|c| c.upn = Some("admin@example.com".to_owned())));
    let alice_card = pki.card(card_with(|c| c.upn = Some("alice@example.com".to_owned())));

    // Password only, the default: no certificate button, and a crafted
    // certificate sign-in is refused.
    let mut alice = app.browser_using(pki.client(Some(&alice_card)));
    let page = alice.get("/sign-in").await.text().await.unwrap();
    assert!(!page.contains("Sign in with your certificate"));
    assert!(
        certificate_sign_in(&mut alice)
            .await
            .contains("error=certificate-off")
    );

    // An administrator signed in with a password and no certificate may
    // allow both, but may not turn passwords off.
    let mut by_password = app.browser_using(pki.client(None));
    assert_eq!(location(&by_password.sign_in("admin", PASSWORD).await), "/");
    let save = |methods: &'static str| vec![("methods", methods), ("mapping", "upn")];
    let refused = by_password
        .post_form("/api/admin/save_sign_in_settings", &save("certificate"))
        .await;
    assert_eq!(refused.status(), 409);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Sign in with your own certificate first")
    );
    let saved = by_password
        .post_form("/api/admin/save_sign_in_settings", &save("both"))
        .await;
    assert_eq!(location(&saved), "/admin/sign-in?saved=1");

    // Another person's certificate is no proof for the administrator.
    let mut wrong_card = app.browser_using(pki.client(Some(&alice_card)));
    wrong_card.sign_in("admin", PASSWORD).await;
    let refused = wrong_card
        .post_form("/api/admin/save_sign_in_settings", &save("certificate"))
        .await;
    assert_eq!(refused.status(), 409);

    // With their own certificate they may.
    let mut admin = app.browser_using(pki.client(Some(&admin_card)));
    assert_eq!(certificate_sign_in(&mut admin).await, "/");
    let settings_page = admin.get("/admin/sign-in").await.text().await.unwrap();
    assert!(
        settings_page.contains("presents the certificate of CN=Someone"),
        "{settings_page}"
    );
    assert!(
        settings_page.contains("own HTTPS connections")
            && settings_page.contains("(1 CA certificate(s) and 0 revocation list(s) now)"),
        "{settings_page}"
    );
    // Sessions opened with a password before the switch: alice's, and the
    // administrator's own, whose card proves it is them on the request.
    let mut alice_by_password = app.browser_using(pki.client(None));
    assert_eq!(
        location(&alice_by_password.sign_in("alice", PASSWORD).await),
        "/"
    );
    let mut changer = app.browser_using(pki.client(Some(&admin_card)));
    assert_eq!(location(&changer.sign_in("admin", PASSWORD).await), "/");
    let saved = changer
        .post_form("/api/admin/save_sign_in_settings", &save("certificate"))
        .await;
    assert_eq!(location(&saved), "/admin/sign-in?saved=1");
    // Certificate only ends every session opened with a password, except
    // the one that made the change; certificate sessions go on.
    for ended in [&mut alice_by_password, &mut by_password, &mut wrong_card] {
        let response = ended.get("/").await;
        assert!(location(&response).starts_with("/sign-in"), "{response:?}");
    }
    assert_eq!(changer.get("/admin/sign-in").await.status(), 200);
    assert_eq!(admin.get("/").await.status(), 200);
    let changes: Vec<audit_event::Model> = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("setting.change"))
        .filter(audit_event::Column::Target.eq("sign_in"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(
        changes
            .iter()
            .map(|c| c.outcome.as_str())
            .collect::<Vec<_>>(),
        ["refused", "success", "refused", "success"]
    );

    // Certificate only: no password form, and passwords are refused.
    let mut someone = app.browser_using(pki.client(None));
    let page = someone.get("/sign-in").await.text().await.unwrap();
    assert!(page.contains("Sign in with your certificate"), "{page}");
    assert!(!page.contains("id=\"password\""), "{page}");
    assert!(location(&someone.sign_in("alice", PASSWORD).await).contains("error=password-off"));
    assert_eq!(certificate_sign_in(&mut alice).await, "/");

    // Non-administrators cannot change it, even by crafting the request.
    let crafted = alice
        .post_form("/api/admin/save_sign_in_settings", &save("password"))
        .await;
    assert_eq!(crafted.status(), 403);
    // The way back: the command line (here its service call).
    set_sign_in(&app, SignInMethods::Password, CertificateMapping::Upn).await;
    assert_eq!(location(&someone.sign_in("alice", PASSWORD).await), "/");
    app.stop().await;
}

async fn a_trusted_proxy_passes_the_certificate_and_nobody_else_can(db: TestDb) {
    let pki = Pki::new();
    // The tests connect from 127.0.0.1: a trusted proxy.
    let proxied = |c: &mut Config| {
        c.client_ca = pki.path("ca.pem").display().to_string();
        c.client_certificate_header = "X-SSL-Client-Cert".to_owned();
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    };
    // The proxy passes the certificate alone: the bundle needs the
    // intermediate too.
    pki.write(
        "ca.pem",
        &format!(
            "{}{}",
            pki.root.certificate_pem(),
            pki.cards.certificate_pem()
        ),
    );
    let app = TestApp::spawn_with(&db, proxied).await;
    assert_eq!(app.scheme, "http");
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Upn).await;
    let card = pki.card(card_with(|c| c.upn = Some("alice@example.com".to_owned())));
    // nginx's $ssl_client_escaped_cert: the certificate alone, URL-encoded.
    let escaped: String = form_urlencoded::byte_serialize(card.certificate_pem.as_bytes())
        .collect::<String>()
        .replace('+', "%20");

    let sign_in = async |app: &TestApp, headers: &[(&str, &str)]| {
        let mut browser = app.browser();
        browser.get("/sign-in").await;
        let mut fields = vec![("next", "/".to_owned())];
        fields.push(("csrf_token", browser.csrf()));
        let mut all = vec![("accept", "text/html")];
        all.extend_from_slice(headers);
        let response = browser
            .post_raw("/api/sign_in_certificate", &fields, &all)
            .await;
        location(&response)
    };
    assert_eq!(
        sign_in(
            &app,
            &[
                ("x-ssl-client-cert", &escaped),
                ("x-forwarded-for", "198.51.100.7, 203.0.113.9")
            ]
        )
        .await,
        "/"
    );
    let audited = last_sign_in(&app, "success").await;
    assert_eq!(audited.actor.as_deref(), Some("alice"));
    assert_eq!(
        audited.client_addr, "203.0.113.9",
        "the address the proxy saw"
    );
    assert!(
        sign_in(&app, &[]).await.contains("error=no-certificate"),
        "no header, no certificate"
    );
    assert!(
        sign_in(&app, &[("x-ssl-client-cert", "garbage")])
            .await
            .contains("error=no-certificate")
    );
    // A second certificate header may be the client's own: neither counts.
    let other = pki.card(card_with(|c| {
        c.upn = Some("mallory@example.com".to_owned())
    }));
    let other_escaped: String = form_urlencoded::byte_serialize(other.certificate_pem.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    assert!(
        sign_in(
            &app,
            &[
                ("x-ssl-client-cert", &escaped),
                ("x-ssl-client-cert", &other_escaped)
            ]
        )
        .await
        .contains("error=no-certificate")
    );
    // The proxy's own X-Forwarded-For line is the last one.
    sign_in(
        &app,
        &[
            ("x-ssl-client-cert", &escaped),
            ("x-forwarded-for", "192.0.2.66"),
            ("x-forwarded-for", "198.51.100.8"),
        ],
    )
    .await;
    assert_eq!(
        last_sign_in(&app, "success").await.client_addr,
        "198.51.100.8"
    );
    app.stop().await;

    // The same header from an address that is not a trusted proxy is
    // ignored, and so is its X-Forwarded-For.
    let app = TestApp::spawn_with(&db, |c| {
        proxied(c);
        c.trusted_proxies = vec!["192.0.2.10".parse().unwrap()];
    })
    .await;
    assert!(
        sign_in(
            &app,
            &[
                ("x-ssl-client-cert", &escaped),
                ("x-forwarded-for", "203.0.113.9")
            ]
        )
        .await
        .contains("error=no-certificate")
    );
    let audited = last_sign_in(&app, "refused").await;
    assert_eq!(audited.client_addr, "127.0.0.1");
    app.stop().await;
}

/// Certificate-only chosen, but the server no longer takes certificates
/// (its CA bundle was taken out of the configuration): passwords work, so
/// nobody is locked out, and the pages say so.
#[tokio::test]
async fn without_certificate_sign_in_set_up_passwords_are_in_force() {
    let db = TestDb::create(crate::helpers::Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        PASSWORD,
    )
    .await;
    set_sign_in(&app, SignInMethods::Certificate, CertificateMapping::Upn).await;
    let mut admin = app.browser();
    let page = admin.get("/sign-in").await.text().await.unwrap();
    assert!(page.contains("id=\"password\""), "{page}");
    assert!(!page.contains("Sign in with your certificate"), "{page}");
    assert_eq!(location(&admin.sign_in("admin", PASSWORD).await), "/");
    let settings = admin.get("/admin/sign-in").await.text().await.unwrap();
    assert!(settings.contains("Not set up"), "{settings}");
    assert!(
        certificate_sign_in(&mut admin)
            .await
            .contains("error=certificate-off")
    );
    app.stop().await;
}

/// The portal reads its certificate and CA bundle again when the files
/// change: a new server certificate is served, and cards of a new CA
/// are accepted.
#[tokio::test]
async fn changed_certificate_files_are_read_again() {
    let db = TestDb::create(crate::helpers::Backend::Sqlite).await;
    let pki = Pki::new();
    let app = TestApp::spawn_with(&db, |c| pki.direct(c)).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Upn).await;

    // Another CA, with its own server certificate.
    let next = Pki::new();
    let card = next.card(card_with(|c| c.upn = Some("alice@example.com".to_owned())));
    // Before: the new root's client cannot even connect (unknown server
    // certificate), and the old one's card of the new CA is refused.
    let old_client = pki.client(Some(&card));
    let mut before = app.browser_using(old_client);
    assert!(
        certificate_sign_in(&mut before)
            .await
            .contains("error=certificate-untrusted")
    );

    for file in ["server.pem", "server.key", "ca.pem"] {
        std::fs::copy(next.path(file), pki.path(file)).unwrap();
    }
    let mut signed_in = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let mut after = app.browser_using(next.client(Some(&card)));
        let Ok(response) = after.try_get("/sign-in").await else {
            continue;
        };
        assert_eq!(response.status(), 200);
        assert_eq!(certificate_sign_in(&mut after).await, "/");
        signed_in = true;
        break;
    }
    assert!(signed_in, "the new files were not read within 20 s");
    app.stop().await;
}

/// Revocation lists (`client_crl`): a revoked card is refused with its own
/// page, over the portal's own TLS and through a trusted proxy; a list
/// past its next update is used or refuses every card, as configured; a
/// replaced list is read again.
async fn revoked_cards_are_refused(db: TestDb) {
    let pki = Pki::new();
    let now = Utc::now();
    let lost = pki.card(card_with(|c| c.upn = Some("alice@example.com".to_owned())));
    let kept = pki.card(card_with(|c| c.upn = Some("bob@example.com".to_owned())));
    let list = |revoked: &[&Issued], next_update| {
        pki.cards
            .revocation_list(revoked, now - TimeDelta::hours(2), next_update)
            .unwrap()
    };
    pki.write("cards.crl", &list(&[&lost], now + TimeDelta::days(7)));
    let crl = pki.path("cards.crl").display().to_string();
    let with_crl = |c: &mut Config| {
        pki.direct(c);
        c.client_crl = vec![crl.clone()];
    };
    let app = TestApp::spawn_with(&db, with_crl).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    app.add_user("bob", &[Role::PortalAccess], PASSWORD).await;
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Upn).await;

    let mut alice = app.browser_using(pki.client(Some(&lost)));
    let to = certificate_sign_in(&mut alice).await;
    assert!(to.contains("error=certificate-revoked"), "{to}");
    let page = alice.get(&to).await.text().await.unwrap();
    assert!(page.contains("Your certificate has been revoked"), "{page}");
    let refused = last_sign_in(&app, "refused").await;
    assert!(
        refused.details.contains("certificate-revoked") || refused.details.contains("revoked"),
        "{}",
        refused.details
    );
    let mut bob = app.browser_using(pki.client(Some(&kept)));
    assert_eq!(certificate_sign_in(&mut bob).await, "/");

    // A replaced list is read again: now bob's card is revoked too.
    pki.write(
        "cards.crl",
        &list(&[&lost, &kept], now + TimeDelta::days(7)),
    );
    let mut refused = false;
    for _ in 0..40 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let mut bob = app.browser_using(pki.client(Some(&kept)));
        if certificate_sign_in(&mut bob)
            .await
            .contains("error=certificate-revoked")
        {
            refused = true;
            break;
        }
    }
    assert!(refused, "the new list was read");
    app.stop().await;

    // Past its next update: used anyway by default, or every card refused.
    pki.write("cards.crl", &list(&[&lost], now - TimeDelta::hours(1)));
    let app = TestApp::spawn_with(&db, with_crl).await;
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Upn).await;
    let mut bob = app.browser_using(pki.client(Some(&kept)));
    assert_eq!(certificate_sign_in(&mut bob).await, "/");
    let mut alice = app.browser_using(pki.client(Some(&lost)));
    assert!(
        certificate_sign_in(&mut alice)
            .await
            .contains("error=certificate-revoked")
    );
    app.stop().await;
    let app = TestApp::spawn_with(&db, |c| {
        with_crl(c);
        c.client_crl_when_stale = "refuse".to_owned();
    })
    .await;
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Upn).await;
    let mut bob = app.browser_using(pki.client(Some(&kept)));
    let to = certificate_sign_in(&mut bob).await;
    assert!(to.contains("error=revocation-out-of-date"), "{to}");
    app.stop().await;

    // Through a trusted proxy's header, the list holds as well.
    pki.write("cards.crl", &list(&[&lost], now + TimeDelta::days(7)));
    pki.write(
        "ca.pem",
        &format!(
            "{}{}",
            pki.root.certificate_pem(),
            pki.cards.certificate_pem()
        ),
    );
    let app = TestApp::spawn_with(&db, |c| {
        c.client_ca = pki.path("ca.pem").display().to_string();
        c.client_crl = vec![crl.clone()];
        c.client_certificate_header = "X-SSL-Client-Cert".to_owned();
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    set_sign_in(&app, SignInMethods::Both, CertificateMapping::Upn).await;
    let escaped: String = form_urlencoded::byte_serialize(lost.certificate_pem.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let mut browser = app.browser();
    browser.get("/sign-in").await;
    let fields = vec![("next", "/".to_owned()), ("csrf_token", browser.csrf())];
    let response = browser
        .post_raw(
            "/api/sign_in_certificate",
            &fields,
            &[("accept", "text/html"), ("x-ssl-client-cert", &escaped)],
        )
        .await;
    assert!(location(&response).contains("error=certificate-revoked"));
    app.stop().await;
}

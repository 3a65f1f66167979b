//! User-provided certificates through the real server: every kind of file
//! (made by `scripts/test-certificates` with openssl and keytool), the
//! refusals, owners only, keys sealed at rest, replacement by purpose,
//! delivery at check-in and the expiry warning.

use crate::helpers::{Browser, MailSink, TestApp, TestDb, on_every_backend};
use app::domain::device::Platform;
use app::domain::ids::DeviceId;
use app::domain::role::Role;
use app::server::entities::{audit_event, user_certificate};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use server::config::{Config, SmtpTlsMode};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const PASSWORD: &str = "a long enough password";

on_every_backend!(
    every_kind_of_file_is_read,
    bad_files_are_refused_with_their_reason,
    nobody_touches_another_users_certificates,
    keys_are_sealed_and_replacement_follows_the_purpose,
    devices_receive_certificates_at_check_in,
    administrators_manage_settings,
    expiring_certificates_are_flagged_once,
);

/// The test files, made once per test run.
pub(crate) fn fixtures() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("certificates");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/test-certificates");
        let output = std::process::Command::new("bash")
            .arg(script)
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "scripts/test-certificates failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        dir
    })
}

fn file(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join(name)).unwrap()
}

/// Creates a setting as an administrator does; gives its id.
async fn add_setting(
    admin: &mut Browser,
    name: &str,
    purpose: &str,
    key_required: bool,
    password_required: bool,
) -> i32 {
    // As the form of a new setting has it: for every device.
    let mut form = vec![
        ("name", name),
        ("purpose", purpose),
        ("labels[all-devices]", "on"),
    ];
    if key_required {
        form.push(("key_required", "on"));
    }
    if password_required {
        form.push(("password_required", "on"));
    }
    let response = admin
        .post_form("/api/admin/save_certificate_setting", &form)
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/admin/certificates/"), "{location}");
    location
        .trim_start_matches("/admin/certificates/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// Uploads as a program does (JSON answers).
async fn upload(browser: &mut Browser, setting: i32, name: &str, password: &str) -> (u16, Value) {
    let setting = setting.to_string();
    let response = browser
        .upload(
            "/certificates/upload",
            &[("setting", &setting), ("password", password)],
            Some((name, file(name))),
            &[("accept", "application/json")],
        )
        .await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn mine(browser: &mut Browser, pending: Option<i64>) -> Value {
    let path = match pending {
        Some(p) => format!("/api/certificates?pending={p}"),
        None => "/api/certificates".to_owned(),
    };
    let response = browser.get_accepting(&path, "application/json").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// The current certificate of a setting.
async fn current(browser: &mut Browser, setting: i32) -> Value {
    let all = mine(browser, None).await;
    let rows: Vec<&Value> = all["certificates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["setting_id"] == setting && c["retired"] == false)
        .collect();
    assert_eq!(rows.len(), 1, "{all}");
    rows[0].clone()
}

async fn start(db: &TestDb) -> (TestApp, Browser, Browser) {
    let app = TestApp::spawn(db).await;
    app.add_user("root", &[Role::PortalAccess, Role::Administrator], PASSWORD)
        .await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let admin = app.signed_in("root", PASSWORD).await;
    let alice = app.signed_in("alice", PASSWORD).await;
    (app, admin, alice)
}

async fn every_kind_of_file_is_read(db: TestDb) {
    let (app, mut admin, mut alice) = start(&db).await;
    let keyed = add_setting(&mut admin, "S/MIME signing", "signing", true, false).await;
    let plain = add_setting(&mut admin, "Trusted partner", "other", false, false).await;

    // (file, password, setting, subject part, alias, chain, key type, with key)
    #[allow(clippy::type_complexity)]
    let cases = [
        (
            "openssl3-default.p12",
            "Pässwörd-1",
            keyed,
            "CN=Alice Example",
            "alice",
            2,
            "RSA 2048",
            true,
        ),
        (
            "openssl-legacy.p12",
            "legacy-pass",
            keyed,
            "CN=Alice Example",
            "alice",
            2,
            "RSA 2048",
            true,
        ),
        (
            "empty-password.p12",
            "",
            keyed,
            "CN=Alice Example",
            "alice",
            2,
            "RSA 2048",
            true,
        ),
        (
            "no-mac.p12",
            "",
            keyed,
            "CN=Alice Example",
            "alice",
            2,
            "RSA 2048",
            true,
        ),
        (
            "ec.p12",
            "ec-pass",
            keyed,
            "CN=Alice EC",
            "ec",
            2,
            "ECDSA P-256",
            true,
        ),
        (
            "bundle.pem",
            "",
            keyed,
            "CN=Alice Example",
            "",
            1,
            "RSA 2048",
            true,
        ),
        (
            "bundle-pkcs1.pem",
            "",
            keyed,
            "CN=Alice Example",
            "",
            0,
            "RSA 2048",
            true,
        ),
        (
            "bundle-encrypted.pem",
            "bundle-pass",
            keyed,
            "CN=Alice Example",
            "",
            0,
            "RSA 2048",
            true,
        ),
        (
            "cert.pem",
            "",
            plain,
            "CN=Alice Example",
            "",
            0,
            "RSA 2048",
            false,
        ),
        (
            "cert.der",
            "",
            plain,
            "CN=Alice Example",
            "",
            0,
            "RSA 2048",
            false,
        ),
        (
            "cert.crt",
            "",
            plain,
            "CN=Alice Example",
            "",
            0,
            "RSA 2048",
            false,
        ),
        (
            "chain-only.pem",
            "",
            plain,
            "CN=Alice Example",
            "",
            1,
            "RSA 2048",
            false,
        ),
        (
            "nodes.pem",
            "",
            keyed,
            "CN=Alice Example",
            "",
            2,
            "RSA 2048",
            true,
        ),
    ];
    for (name, password, setting, subject, alias, chain, key_type, has_key) in cases {
        let (status, body) = upload(&mut alice, setting, name, password).await;
        assert_eq!(status, 201, "{name}: {body}");
        let row = current(&mut alice, setting).await;
        assert!(
            row["subject"].as_str().unwrap().contains(subject),
            "{name}: {row}"
        );
        assert!(
            row["issuer"]
                .as_str()
                .unwrap()
                .contains("Example Test Issuing CA")
                || name == "ec.p12",
            "{name}: {row}"
        );
        assert_eq!(row["alias"], alias, "{name}");
        assert_eq!(row["chain"], chain, "{name}");
        assert_eq!(row["key_type"], key_type, "{name}");
        assert_eq!(row["has_key"], has_key, "{name}");
        assert_eq!(row["fingerprint"].as_str().unwrap().len(), 64, "{name}");
        assert!(
            row["key_usage"]
                .as_str()
                .unwrap()
                .contains("digital signature"),
            "{name}: {row}"
        );
    }

    // Not valid yet: taken, with a warning.
    let (status, body) = upload(&mut alice, keyed, "not-yet-valid.p12", "later-pass").await;
    assert_eq!(status, 201, "{body}");
    assert!(body["warning"].as_str().unwrap().contains("not valid yet"));
    let row = current(&mut alice, keyed).await;
    assert_eq!(row["expiry"], "NotYetValid");

    // Two keys: the owner picks one and the upload completes with it.
    let (status, body) = upload(&mut alice, keyed, "keytool-two-keys.p12", "two-keys-pass").await;
    assert_eq!(status, 200, "{body}");
    let pending = body["pending"].as_i64().unwrap();
    let page = mine(&mut alice, Some(pending)).await;
    let keys = page["pending"]["keys"].as_array().unwrap();
    let mut aliases: Vec<&str> = keys.iter().map(|k| k["alias"].as_str().unwrap()).collect();
    aliases.sort_unstable();
    assert_eq!(aliases, ["encryption", "signing"]);
    let encryption = keys.iter().find(|k| k["alias"] == "encryption").unwrap()["index"].to_string();
    let pending_text = pending.to_string();
    // No key picked: asked again, nothing saved.
    let response = alice
        .post_form("/api/choose_certificate_key", &[("pending", &pending_text)])
        .await;
    assert_eq!(
        response.headers()["location"],
        format!("/certificates?pending={pending}&error=no_key_chosen").as_str()
    );
    let response = alice
        .post_form(
            "/api/choose_certificate_key",
            &[("pending", &pending_text), ("key", &encryption)],
        )
        .await;
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/certificates?replaced="),
        "{:?}",
        response.headers()
    );
    let row = current(&mut alice, keyed).await;
    assert_eq!(row["alias"], "encryption");
    assert_eq!(row["key_type"], "ECDSA P-256");
    assert!(
        row["subject"]
            .as_str()
            .unwrap()
            .contains("CN=Alice Encryption")
    );
    // The waiting upload is gone once used: a second click saves nothing
    // and the page says why.
    let page = mine(&mut alice, Some(pending)).await;
    assert!(page["pending"].is_null());
    let again = alice
        .post_form(
            "/api/choose_certificate_key",
            &[("pending", &pending_text), ("key", &encryption)],
        )
        .await;
    let location = again.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("error=pending_gone"), "{location}");
    let page = alice.get(&location).await.text().await.unwrap();
    assert!(page.contains("This upload is no longer waiting"), "{page}");
    let rows = mine(&mut alice, None).await["certificates"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(rows, 2, "one per setting, no duplicate");
    app.stop().await;
}

async fn bad_files_are_refused_with_their_reason(db: TestDb) {
    let (app, mut admin, mut alice) = start(&db).await;
    let keyed = add_setting(&mut admin, "Authentication", "authentication", true, true).await;
    let cases = [
        (
            "openssl3-default.p12",
            "Wr0ng-Secret",
            "wrong_password",
            400,
        ),
        ("openssl-legacy.p12", "Wr0ng-Secret", "wrong_password", 400),
        ("openssl3-default.p12", "", "password_required", 400),
        ("empty-password.p12", "", "password_required", 400),
        ("bundle-encrypted.pem", "wrong", "wrong_password", 400),
        ("bundle.pem", "typed anyway", "unprotected_key", 400),
        ("no-mac.p12", "typed anyway", "unprotected_key", 400),
        (
            "old-encrypted-key.pem",
            "old-pass",
            "unsupported_encryption",
            400,
        ),
        ("expired.p12", "expired-pass", "expired", 400),
        ("mismatch.pem", "x", "key_mismatch", 400),
        ("key-only.pem", "x", "no_certificate", 400),
        ("cert.pem", "", "key_required", 400),
        ("weak-rsa1024.pem", "", "weak_key", 400),
        ("p521.pem", "", "unsupported_algorithm", 400),
        ("empty.bin", "", "empty", 400),
        ("random.bin", "", "not_certificate", 400),
        ("text.txt", "", "not_certificate", 400),
        ("truncated.p12", "Pässwörd-1", "corrupt", 400),
        ("claims-5mib.der", "", "corrupt", 400),
        // Refused after one of its three costly keys, not after all three.
        ("costly.p12", "costly-pass", "unsupported_encryption", 400),
        ("junk-5mib.bin", "", "too_large", 413),
    ];
    for (name, password, code, status) in cases {
        let (got, body) = upload(&mut alice, keyed, name, password).await;
        assert_eq!(got, status, "{name}: {body}");
        assert_eq!(body["error"]["code"], code, "{name}: {body}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
    // No file at all, and no setting.
    let setting = keyed.to_string();
    let response = alice
        .upload(
            "/certificates/upload",
            &[("setting", &setting)],
            None,
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "no_file"
    );
    let response = alice
        .upload(
            "/certificates/upload",
            &[("setting", "999999")],
            Some(("cert.pem", file("cert.pem"))),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "no_setting"
    );

    // A browser is sent back to the form, the reason next to the field.
    let response = alice
        .upload(
            "/certificates/upload",
            &[("setting", &setting), ("password", "wrong")],
            Some(("openssl3-default.p12", file("openssl3-default.p12"))),
            &[("accept", "text/html")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("error=wrong_password"), "{location}");
    let page = alice.get(&location).await.text().await.unwrap();
    let message = page.find("The password does not open this file").unwrap();
    let field = page.find("id=\"password-message\"").unwrap();
    assert!(message > field, "the message is next to the password field");

    // Nothing was saved, the refusals are audited, and the server is fine.
    assert!(
        mine(&mut alice, None).await["certificates"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let refused = events(&app, "certificate.upload", "refused").await;
    assert!(refused.len() >= 20, "{}", refused.len());
    assert!(refused.iter().all(|e| !e.details.contains("Wr0ng-Secret")));
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

async fn nobody_touches_another_users_certificates(db: TestDb) {
    let (app, mut admin, mut alice) = start(&db).await;
    app.add_user("bob", &[Role::PortalAccess], PASSWORD).await;
    let mut bob = app.signed_in("bob", PASSWORD).await;
    let setting = add_setting(&mut admin, "S/MIME signing", "signing", true, true).await;
    upload(&mut alice, setting, "openssl3-default.p12", "Pässwörd-1").await;
    let id = current(&mut alice, setting).await["id"].to_string();

    // Alice downloads her certificate and chain, never the key.
    let download = alice.get(&format!("/certificates/{id}/download")).await;
    assert_eq!(download.status(), 200);
    let pem = download.text().await.unwrap();
    assert_eq!(pem.matches("BEGIN CERTIFICATE").count(), 3);
    assert!(!pem.contains("PRIVATE KEY"));

    // Bob sees nothing of hers and can do nothing to it.
    assert!(
        mine(&mut bob, None).await["certificates"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let page = bob.get("/certificates").await.text().await.unwrap();
    assert!(!page.contains("Alice Example"), "{page}");
    assert_eq!(
        bob.get(&format!("/certificates/{id}/download"))
            .await
            .status(),
        404
    );
    let token = bob.csrf();
    let response = bob
        .post_raw(
            "/api/delete_certificate",
            &[("csrf_token", token), ("id", id.clone())],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(response.status(), 404);
    // Bob's upload for the same setting replaces his own only.
    upload(&mut bob, setting, "replacement.p12", "replace-pass").await;
    let hers = current(&mut alice, setting).await;
    assert!(!hers["subject"].as_str().unwrap().contains("(2)"), "{hers}");
    assert_eq!(current(&mut alice, setting).await["id"].to_string(), id);
    // A waiting upload of Alice's cannot be finished by Bob.
    let (_, body) = upload(&mut alice, setting, "keytool-two-keys.p12", "two-keys-pass").await;
    let pending = body["pending"].to_string();
    let response = bob
        .post_form(
            "/api/choose_certificate_key",
            &[("pending", &pending), ("key", "0")],
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.contains("error=pending_gone"), "{location}");
    assert!(mine(&mut bob, Some(body["pending"].as_i64().unwrap())).await["pending"].is_null());

    // Crafted uploads: no token, a wrong token, another site, nobody signed in.
    for (fields, headers) in [
        (
            vec![("csrf_token", "")],
            vec![("accept", "application/json")],
        ),
        (
            vec![("csrf_token", "forged")],
            vec![("accept", "application/json")],
        ),
        (
            vec![],
            vec![
                ("accept", "application/json"),
                ("origin", "https://evil.example"),
            ],
        ),
    ] {
        let mut fields = fields;
        let setting = setting.to_string();
        fields.push(("setting", &setting));
        let response = alice
            .upload(
                "/certificates/upload",
                &fields,
                Some(("cert.pem", file("bundle.pem"))),
                &headers,
            )
            .await;
        assert_eq!(response.status(), 403, "{fields:?} {headers:?}");
    }
    let mut stranger = app.browser();
    stranger.get("/sign-in").await;
    let response = stranger
        .upload(
            "/certificates/upload",
            &[("setting", &setting.to_string())],
            Some(("bundle.pem", file("bundle.pem"))),
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(response.status(), 401);
    // Still only the one certificate of Alice's.
    let rows = user_certificate::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 2, "alice's and bob's");
    app.stop().await;
}

async fn keys_are_sealed_and_replacement_follows_the_purpose(db: TestDb) {
    let key = app::server::secrets::Sealer::generate_key().unwrap();
    let sealer = app::server::secrets::Sealer::from_base64(&key).unwrap();
    let app = TestApp::spawn_with(&db, |config| config.secret_key = key.clone()).await;
    app.add_user("root", &[Role::PortalAccess, Role::Administrator], PASSWORD)
        .await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let mut admin = app.signed_in("root", PASSWORD).await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let encryption = add_setting(&mut admin, "S/MIME encryption", "encryption", true, true).await;
    let signing = add_setting(&mut admin, "S/MIME signing", "signing", true, true).await;
    // The same file for two settings.
    for setting in [encryption, signing] {
        let (status, _) = upload(&mut alice, setting, "openssl3-default.p12", "Pässwörd-1").await;
        assert_eq!(status, 201);
    }

    let rows = user_certificate::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(rows.len(), 2);
    let pkcs8 = {
        let pem = String::from_utf8(file("key-only.pem")).unwrap();
        pem.lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>()
    };
    for row in &rows {
        let sealed = row.private_key.as_deref().unwrap();
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains(&pkcs8[..40]));
        assert!(!format!("{row:?}").contains("PRIVATE KEY"));
        // It is the key, sealed.
        assert_eq!(sealer.open("certificate-key", sealed).unwrap(), pkcs8);
    }

    // Replacing an encryption certificate keeps the old key, retired.
    let mut browser_alice = alice;
    for setting in [encryption, signing] {
        let (status, body) = upload(
            &mut browser_alice,
            setting,
            "replacement.p12",
            "replace-pass",
        )
        .await;
        assert_eq!((status, &body["replaced"]), (201, &json!(true)));
    }
    let all = mine(&mut browser_alice, None).await;
    let of = |setting: i32| -> Vec<(bool, String)> {
        all["certificates"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["setting_id"] == setting)
            .map(|c| {
                (
                    c["retired"].as_bool().unwrap(),
                    c["subject"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let kept = of(encryption);
    assert_eq!(kept.len(), 2, "{kept:?}");
    assert!(
        kept.iter()
            .any(|(retired, s)| *retired && !s.contains("(2)"))
    );
    assert!(
        kept.iter()
            .any(|(retired, s)| !retired && s.contains("(2)"))
    );
    let replaced = of(signing);
    assert_eq!(replaced.len(), 1, "{replaced:?}");
    assert!(replaced[0].1.contains("(2)"));

    // Delete, audited; every change was.
    let id = current(&mut browser_alice, signing).await["id"].to_string();
    let response = browser_alice
        .post_form("/api/delete_certificate", &[("id", &id)])
        .await;
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/certificates?deleted=")
    );
    assert_eq!(of_count(&app, signing).await, 0);
    for (action, n) in [
        ("certificate.upload", 2),
        ("certificate.replace", 2),
        ("certificate.delete", 1),
    ] {
        let events = events(&app, action, "success").await;
        assert_eq!(events.len(), n, "{action}");
        assert!(events.iter().all(|e| e.actor.as_deref() == Some("alice")));
    }
    app.stop().await;
}

async fn events(app: &TestApp, action: &str, outcome: &str) -> Vec<audit_event::Model> {
    audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq(action))
        .filter(audit_event::Column::Outcome.eq(outcome))
        .all(&app.db)
        .await
        .unwrap()
}

async fn of_count(app: &TestApp, setting: i32) -> usize {
    user_certificate::Entity::find()
        .filter(user_certificate::Column::SettingId.eq(setting))
        .all(&app.db)
        .await
        .unwrap()
        .len()
}

async fn devices_receive_certificates_at_check_in(db: TestDb) {
    let (app, mut admin, mut alice) = start(&db).await;
    app.add_user("bob", &[Role::PortalAccess], PASSWORD).await;
    let setting = add_setting(&mut admin, "S/MIME signing", "signing", true, true).await;
    upload(&mut alice, setting, "openssl3-default.p12", "Pässwörd-1").await;
    let fingerprint = current(&mut alice, setting).await["fingerprint"].clone();
    let (device, credential) = app
        .add_device("alice", Platform::Ios, "Alice's iPhone")
        .await;
    let alice_credential = credential.clone();
    let (_, bob_credential) = app
        .add_device("bob", Platform::Android, "Bob's phone")
        .await;

    let check_in = |credential: String, version: Value| {
        let client = app.client.clone();
        let url = app.url("/api/device/v1/checkin");
        async move {
            let response = client
                .post(url)
                .bearer_auth(credential)
                .json(&json!({ "facts": {}, "certificates_version": version }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 200);
            response.json::<Value>().await.unwrap()
        }
    };
    let first = check_in(credential.clone(), Value::Null).await;
    let delivered = &first["certificates"];
    let items = delivered["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{first}");
    assert_eq!(items[0]["setting"], "S/MIME signing");
    assert_eq!(items[0]["purpose"], "signing");
    assert_eq!(items[0]["fingerprint"], fingerprint);
    assert!(
        items[0]["private_key"]
            .as_str()
            .unwrap()
            .contains("BEGIN PRIVATE KEY")
    );
    assert_eq!(
        items[0]["chain"]
            .as_str()
            .unwrap()
            .matches("BEGIN CERTIFICATE")
            .count(),
        2
    );
    // Nothing new once the device holds this version.
    let again = check_in(credential.clone(), delivered["version"].clone()).await;
    assert!(again.get("certificates").is_none(), "{again}");
    // A device that does not say what it holds is sent the set again, but
    // the delivery of one version is audited once.
    let resent = check_in(credential.clone(), Value::Null).await;
    assert_eq!(resent["certificates"]["version"], delivered["version"]);
    // Bob's device gets none of Alice's.
    let bobs = check_in(bob_credential, Value::Null).await;
    assert_eq!(bobs["certificates"]["items"], json!([]));
    let deliveries: Vec<_> = events(&app, "certificate.deliver", "success")
        .await
        .into_iter()
        .filter(|e| e.device_id == Some(DeviceId(device)))
        .collect();
    assert_eq!(deliveries.len(), 1);
    assert!(!deliveries[0].details.to_string().contains("PRIVATE"));

    // The simulator says what it received.
    let run = app.simulate_device(&credential, &[]).await;
    let stdout = run.stdout;
    assert!(run.success, "{stdout}");
    assert!(stdout.contains("certificates (version"), "{stdout}");
    assert!(stdout.contains(fingerprint.as_str().unwrap()), "{stdout}");
    assert!(
        stdout.contains("with private key, 2 chain certificate(s)"),
        "{stdout}"
    );
    assert!(!stdout.contains("BEGIN"), "{stdout}");

    // Delivery follows the device's labels: once the setting goes to
    // employee-owned devices only, the (company-owned) iPhone loses it.
    let id = setting.to_string();
    admin
        .post_form(
            "/api/admin/save_certificate_setting",
            &[
                ("id", &id),
                ("name", "S/MIME signing"),
                ("purpose", "signing"),
                ("key_required", "on"),
                ("password_required", "on"),
                ("labels[employee-owned]", "on"),
            ],
        )
        .await;
    let narrowed = check_in(alice_credential.clone(), delivered["version"].clone()).await;
    assert_eq!(narrowed["certificates"]["items"], json!([]), "{narrowed}");
    let configuration = narrowed["configuration"]["items"].to_string();
    assert!(!configuration.contains("S/MIME signing"), "{configuration}");
    app.stop().await;
}

async fn administrators_manage_settings(db: TestDb) {
    let (app, mut admin, mut alice) = start(&db).await;
    // With no setting, upload is disabled and the page says why.
    let page = alice.get("/certificates").await.text().await.unwrap();
    assert!(page.contains("Uploading is not available yet"), "{page}");
    assert!(page.contains("<fieldset disabled"), "{page}");

    // A mistake comes back to the form with what was typed.
    let response = admin
        .post_form(
            "/api/admin/save_certificate_setting",
            &[("name", "  "), ("purpose", "signing")],
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/admin/certificates/new?"),
        "{location}"
    );
    let page = admin.get(&location).await.text().await.unwrap();
    assert!(
        page.contains("Enter a name people will recognise"),
        "{page}"
    );
    let id = add_setting(&mut admin, "S/MIME signing", "signing", true, true).await;
    // The same name twice is refused next to the field.
    let response = admin
        .post_form(
            "/api/admin/save_certificate_setting",
            &[("name", "S/MIME signing"), ("purpose", "encryption")],
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("refused=name-taken"), "{location}");
    // Edit: phones allowed.
    let id_text = id.to_string();
    admin
        .post_form(
            "/api/admin/save_certificate_setting",
            &[
                ("id", &id_text),
                ("name", "S/MIME signing"),
                ("purpose", "signing"),
                ("key_required", "on"),
                ("mobile_upload", "on"),
            ],
        )
        .await;
    let settings: Value = admin
        .get_accepting("/api/admin/certificate_settings", "application/json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(settings[0]["mobile_upload"], true, "{settings}");
    assert_eq!(settings[0]["password_required"], false, "{settings}");

    // Desktop only: a phone is told, and refused even when it posts anyway.
    let desktop_only =
        add_setting(&mut admin, "Authentication", "authentication", true, false).await;
    let phone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148";
    let response = alice
        .upload(
            "/certificates/upload",
            &[("setting", &desktop_only.to_string())],
            Some(("bundle.pem", file("bundle.pem"))),
            &[("accept", "application/json"), ("user-agent", phone)],
        )
        .await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["code"],
        "desktop_only"
    );

    // Not for non-administrators, crafted requests included.
    for (path, form) in [
        (
            "/api/admin/save_certificate_setting",
            vec![("name", "Mine"), ("purpose", "other")],
        ),
        (
            "/api/admin/delete_certificate_setting",
            vec![("id", id_text.as_str()), ("with_certificates", "on")],
        ),
    ] {
        let mut fields: Vec<(&str, String)> =
            form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        fields.push(("csrf_token", alice.csrf()));
        let response = alice
            .post_raw(path, &fields, &[("accept", "application/json")])
            .await;
        assert_eq!(response.status(), 403, "{path}");
    }
    assert_eq!(
        alice
            .get_accepting("/api/admin/certificate_settings", "application/json")
            .await
            .status(),
        403
    );

    // A setting in use is not deleted silently.
    upload(&mut alice, id, "bundle.pem", "").await;
    let response = admin
        .post_form("/api/admin/delete_certificate_setting", &[("id", &id_text)])
        .await;
    assert_eq!(
        response.headers()["location"],
        format!("/admin/certificates/{id}?error=in-use").as_str()
    );
    let page = admin
        .get(&format!("/admin/certificates/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("1 certificate(s) of 1 person/people"),
        "{page}"
    );
    assert_eq!(of_count(&app, id).await, 1);
    let response = admin
        .post_form(
            "/api/admin/delete_certificate_setting",
            &[("id", &id_text), ("with_certificates", "on")],
        )
        .await;
    assert!(
        response.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/admin/certificates?deleted=")
    );
    assert_eq!(of_count(&app, id).await, 0);
    for action in [
        "certificate_setting.create",
        "certificate_setting.update",
        "certificate_setting.delete",
    ] {
        assert!(
            !events(&app, action, "success").await.is_empty(),
            "{action}"
        );
    }
    app.stop().await;
}

async fn expiring_certificates_are_flagged_once(db: TestDb) {
    let mail = MailSink::start().await;
    let mail_to = |config: &mut Config| {
        config.smtp_host = "127.0.0.1".to_owned();
        config.smtp_port = mail.port;
        config.smtp_tls = SmtpTlsMode::None;
        config.mail_from = "IT <it@example.com>".to_owned();
    };
    let app = TestApp::spawn_with(&db, mail_to).await;
    app.add_user("root", &[Role::PortalAccess, Role::Administrator], PASSWORD)
        .await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let mut admin = app.signed_in("root", PASSWORD).await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let setting = add_setting(&mut admin, "S/MIME signing", "signing", true, true).await;
    upload(&mut alice, setting, "expires-soon.p12", "soon-pass").await;
    let other = add_setting(&mut admin, "Authentication", "authentication", true, true).await;
    upload(&mut alice, other, "openssl3-default.p12", "Pässwörd-1").await;

    let messenger = app.messenger.clone();
    let flag = || {
        app::server::certificates::flag_expiring(
            &app.db,
            &messenger,
            "https://portal.example.com",
            chrono::Utc::now(),
        )
    };
    assert_eq!(flag().await.unwrap(), 1);
    assert_eq!(flag().await.unwrap(), 0, "told once");
    let messages = mail.wait_for(1).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("alice@example.com"), "{}", messages[0]);
    assert!(messages[0].contains("S/MIME signing"), "{}", messages[0]);
    assert!(
        messages[0].contains("https://portal.example.com/certificates"),
        "{}",
        messages[0]
    );

    let row = current(&mut alice, setting).await;
    assert_eq!(row["expiry"], json!({ "EndsSoon": 9 }), "{row}");
    let page = alice.get("/certificates").await.text().await.unwrap();
    assert!(page.contains("expires in 9 days"), "{page}");
    assert!(page.contains("expire(s) within 30 days"), "{page}");
    app.stop().await;
}

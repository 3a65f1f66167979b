//! Registration through the real server: the device limit under
//! concurrent requests, the link and PIN shown once, invitations to a real
//! mail server and SMS gateway, and enrollment through the device API.

use crate::helpers::{Browser, MailSink, SmsSink, TestApp, TestDb, on_every_backend};
use app::domain::ids::DeviceId;
use app::domain::registration::RegistrationSettings;
use app::domain::registration::{DeviceLimit, RegistrationMode};
use app::domain::role::Role;
use app::server::audit::RequestOrigin;
use app::server::entities::{audit_event, device, registration};
use app::server::settings;
use chrono::{TimeDelta, Utc};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use server::config::{Config, SmtpTlsMode};

const PASSWORD: &str = "a long enough password";

on_every_backend!(
    registering_shows_the_link_qr_code_and_pin_once,
    the_limit_holds_under_fifty_concurrent_registrations,
    invitations_reach_the_mail_server_and_the_sms_gateway,
    a_mail_server_that_is_down_does_not_stop_a_registration,
    enrollment_refuses_wrong_missing_reused_and_expired_pins,
    password_mode_enrolls_with_the_owners_password,
    enrollment_behind_a_proxy_knows_the_devices_address,
    registration_needs_the_role_and_stays_with_its_owner,
    an_expired_registration_frees_its_slot,
    parallel_guesses_get_no_more_than_six_checks,
    enrollment_keeps_to_the_registration_and_the_owner,
    owners_are_reminded_once_of_devices_not_enrolled,
    text_messages_are_limited_by_day_and_country,
    invitations_are_written_in_the_owners_language,
);

/// Mail goes to a plain relay on `port`.
fn mail_to(port: u16) -> impl FnOnce(&mut Config) {
    move |config| {
        config.smtp_host = "127.0.0.1".to_owned();
        config.smtp_port = port;
        config.smtp_tls = SmtpTlsMode::None;
    }
}

/// Adds `name` with the right to register devices, signed in.
async fn registrar(app: &TestApp, name: &str) -> Browser {
    app.add_user(
        name,
        &[Role::PortalAccess, Role::DeviceRegistration],
        PASSWORD,
    )
    .await;
    app.signed_in(name, PASSWORD).await
}

async fn configure(app: &TestApp, mode: RegistrationMode, limit: Option<u32>) {
    settings::set_registration(
        &app.db,
        &RequestOrigin::command_line(),
        &app::server::Admin::command_line(),
        RegistrationSettings {
            mode,
            device_limit: DeviceLimit::new(limit).unwrap(),
            ..RegistrationSettings::default()
        },
        Utc::now(),
    )
    .await
    .unwrap();
    app.settled().await;
}

/// Registers a device through the form; gives the answer's status and
/// where it leads.
async fn register(browser: &mut Browser, invitation: &str, phone: &str) -> (u16, String) {
    let response = browser
        .post_form(
            "/api/registration/register",
            &[
                ("platform", "ios"),
                ("phone", phone),
                ("invitation", invitation),
            ],
        )
        .await;
    let status = response.status().as_u16();
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, location)
}

/// The text of the element with `id` in `html`.
fn element_text(html: &str, id: &str) -> Option<String> {
    let start = html.find(&format!("id=\"{id}\""))?;
    let rest = &html[start..];
    let open = rest.find('>')? + 1;
    let close = rest[open..].find('<')?;
    Some(rest[open..open + close].to_owned())
}

/// Registers and reads the enrollment link and PIN from the page.
async fn register_and_read(browser: &mut Browser, invitation: &str, phone: &str) -> Enrollment {
    let (status, location) = register(browser, invitation, phone).await;
    assert_eq!(status, 302, "{location}");
    let page = browser.get(&location).await.text().await.unwrap();
    let url = element_text(&page, "enrollment-url").expect("the link is shown");
    Enrollment {
        device_id: location
            .trim_start_matches("/devices/")
            .trim_end_matches("/enroll")
            .parse()
            .unwrap(),
        token: url.rsplit('/').next().unwrap().to_owned(),
        url,
        pin: element_text(&page, "registration-pin"),
        page,
    }
}

struct Enrollment {
    device_id: i64,
    url: String,
    token: String,
    pin: Option<String>,
    page: String,
}

async fn enroll(app: &TestApp, body: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/device/v1/enroll"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn registering_shows_the_link_qr_code_and_pin_once(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let mut alice = registrar(&app, "alice").await;

    let form = alice.get("/devices/register").await.text().await.unwrap();
    assert!(form.contains("No device limit applies to you"), "{form}");

    let enrollment = register_and_read(&mut alice, "none", "").await;
    assert!(
        enrollment.url.starts_with("http://127.0.0.1:3000/enroll/"),
        "{}",
        enrollment.url
    );
    assert!(enrollment.page.contains("<svg"), "a QR code is drawn");
    let pin = enrollment.pin.clone().expect("PIN mode shows a PIN");
    assert_eq!(pin.len(), 8);
    assert!(pin.chars().all(|c| c.is_ascii_digit()));
    assert_eq!(app.device_status(enrollment.device_id).await, "pending");

    // Shown once: the next visit has neither link nor PIN.
    let again = alice
        .get(&format!("/devices/{}/enroll", enrollment.device_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(!again.contains(&pin));
    assert!(!again.contains(&enrollment.token));
    assert!(again.contains("Reset PIN"));

    // Stored only as hashes.
    let row = registration::Entity::find_by_id(DeviceId(enrollment.device_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.pin_hash.as_deref().unwrap().starts_with("$argon2id$"));
    assert!(!row.pin_hash.unwrap().contains(&pin));
    assert_ne!(row.token_hash, enrollment.token);

    // Reset: a new PIN, and the old one stops working.
    let reset = alice
        .post_form(
            "/api/registration/reissue",
            &[("id", &enrollment.device_id.to_string())],
        )
        .await;
    assert_eq!(reset.status(), 302);
    let page = alice
        .get(reset.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    let new_url = element_text(&page, "enrollment-url").unwrap();
    let new_pin = element_text(&page, "registration-pin").unwrap();
    assert_ne!(new_url, enrollment.url);
    let (status, body) = enroll(&app, json!({ "token": enrollment.token, "pin": pin })).await;
    assert_eq!(status, 404, "{body}");
    let new_token = new_url.rsplit('/').next().unwrap();
    let (status, body) = enroll(&app, json!({ "token": new_token, "pin": new_pin })).await;
    assert_eq!(status, 201, "{body}");
    app.stop().await;
}

async fn the_limit_holds_under_fifty_concurrent_registrations(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    configure(&app, RegistrationMode::Pin, Some(3)).await;
    let alice = registrar(&app, "alice").await;
    let cookies = alice.cookies.clone();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let mut browser = app.browser();
            browser.cookies = cookies.clone();
            tokio::spawn(async move { register(&mut browser, "none", "").await })
        })
        .collect();
    let mut registered = 0;
    let mut refused = 0;
    for task in tasks {
        match task.await.unwrap() {
            (302, location) if location.ends_with("/enroll") => registered += 1,
            (409, _) => refused += 1,
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!((registered, refused), (3, 47));
    let pending = device::Entity::find()
        .filter(device::Column::Status.eq("pending"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(pending.len(), 3);

    let mut alice = alice;
    let page = alice.get("/devices/register").await.text().await.unwrap();
    assert!(
        page.contains("You cannot register another device"),
        "{page}"
    );
    assert!(!page.contains("register-form"));
    app.stop().await;
}

async fn invitations_reach_the_mail_server_and_the_sms_gateway(db: TestDb) {
    let mail = MailSink::start().await;
    let sms = SmsSink::start().await;
    let app = TestApp::spawn_with(&db, |config| {
        config.smtp_host = "127.0.0.1".to_owned();
        config.smtp_port = mail.port;
        config.smtp_tls = SmtpTlsMode::None;
        config.mail_from = "IT <it@example.com>".to_owned();
        config.support_contact = "the IT desk, +44 20 7946 0000".to_owned();
        config.sms_gateway_url = format!("http://127.0.0.1:{}/send", sms.port);
        config.sms_gateway_auth_header = "Authorization: Bearer gateway-key".to_owned();
        config.sms_gateway_body = r#"{"recipient": "{to}", "message": "{text}"}"#.to_owned();
    })
    .await;
    let mut alice = registrar(&app, "alice").await;
    let enrollment = register_and_read(&mut alice, "both", "+44 7700 900123").await;
    let pin = enrollment.pin.clone().unwrap();

    let mails = mail.wait_for(1).await;
    let invitation = &mails[0];
    assert!(invitation.contains("alice@example.com"), "{invitation}");
    assert!(invitation.contains(&enrollment.token), "{invitation}");
    // The PIN never travels with the link.
    assert!(!invitation.contains(&pin), "{invitation}");
    assert!(invitation.contains("registration PIN"), "{invitation}");
    assert!(invitation.contains("the IT desk"), "{invitation}");

    let texts = sms.wait_for(1).await;
    let (auth, body) = &texts[0];
    assert_eq!(auth, "Bearer gateway-key");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["recipient"], "+447700900123");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&enrollment.url) && !message.contains(&pin),
        "{message}"
    );

    // The delivery statuses reach the page.
    let mut sent = false;
    for _ in 0..50 {
        let row = registration::Entity::find_by_id(DeviceId(enrollment.device_id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap();
        if row.email_delivery == "sent" && row.sms_delivery == "sent" {
            sent = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(sent, "both deliveries are recorded as sent");
    let page = alice
        .get(&format!("/devices/{}/enroll", enrollment.device_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("The e-mail was sent."), "{page}");

    // Enrolling tells the owner.
    let (status, body) = enroll(
        &app,
        json!({ "token": enrollment.token, "pin": pin, "facts": { "model": "iPhone 15" } }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let mails = mail.wait_for(2).await;
    assert!(mails[1].contains("enrolled in your name"), "{}", mails[1]);
    assert!(
        mails[1].contains(&format!("/devices/{}", enrollment.device_id)),
        "{}",
        mails[1]
    );
    app.stop().await;
}

async fn a_mail_server_that_is_down_does_not_stop_a_registration(db: TestDb) {
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = TestApp::spawn_with(&db, mail_to(closed)).await;
    let mut alice = registrar(&app, "alice").await;
    let enrollment = register_and_read(&mut alice, "email", "").await;
    assert!(enrollment.pin.is_some(), "the PIN is still shown");
    let mut failed = None;
    for _ in 0..100 {
        failed = audit_event::Entity::find()
            .filter(audit_event::Column::Action.eq("invitation.email"))
            .filter(audit_event::Column::Outcome.eq("failure"))
            .one(&app.db)
            .await
            .unwrap();
        if failed.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let failed = failed.expect("the failed attempt is audited");
    assert!(
        failed.details.contains("\"status\":\"retrying\""),
        "{}",
        failed.details
    );
    let page = alice
        .get(&format!("/devices/{}/enroll", enrollment.device_id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("could not be sent yet"), "{page}");
    app.stop().await;
}

async fn enrollment_refuses_wrong_missing_reused_and_expired_pins(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let mut alice = registrar(&app, "alice").await;
    let first = register_and_read(&mut alice, "none", "").await;
    let pin = first.pin.clone().unwrap();
    let wrong = if pin.starts_with('0') {
        "11111111"
    } else {
        "00000000"
    };

    let (status, body) = enroll(&app, json!({ "token": "no-such-token", "pin": pin })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("unknown_registration"))
    );
    let (status, body) = enroll(&app, json!({ "token": first.token })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("pin_required"))
    );
    let (status, body) = enroll(&app, json!({ "token": first.token, "pin": wrong })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("wrong_pin"))
    );
    assert_eq!(app.device_status(first.device_id).await, "pending");

    let (status, body) = enroll(&app, json!({ "token": first.token, "pin": pin })).await;
    assert_eq!(status, 201, "{body}");
    let credential = body["credential"].as_str().unwrap().to_owned();
    assert_eq!(app.device_status(first.device_id).await, "active");
    let checkin = app
        .client
        .post(app.url("/api/device/v1/checkin"))
        .bearer_auth(&credential)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(checkin.status(), 200);

    // Single use.
    let (status, body) = enroll(&app, json!({ "token": first.token, "pin": pin })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("registration_used"))
    );

    // Six wrong PINs lock PIN entry, even for the right one.
    let second = register_and_read(&mut alice, "none", "").await;
    let second_pin = second.pin.clone().unwrap();
    let wrong = if second_pin.starts_with('0') {
        "11111111"
    } else {
        "00000000"
    };
    for _ in 0..6 {
        let (status, _) = enroll(&app, json!({ "token": second.token, "pin": wrong })).await;
        assert_eq!(status, 401);
    }
    let (status, body) = enroll(&app, json!({ "token": second.token, "pin": second_pin })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("pin_locked"))
    );

    // Expired.
    let third = register_and_read(&mut alice, "none", "").await;
    let mut row: registration::ActiveModel =
        registration::Entity::find_by_id(DeviceId(third.device_id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into();
    row.expires_at = Set(Utc::now() - TimeDelta::minutes(1));
    row.update(&app.db).await.unwrap();
    let (status, body) = enroll(
        &app,
        json!({ "token": third.token, "pin": third.pin.unwrap() }),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (410, Some("registration_expired"))
    );

    // Every refusal is in the audit log, without the PIN.
    let refusals = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("device.enroll"))
        .filter(audit_event::Column::Outcome.eq("refused"))
        .all(&app.db)
        .await
        .unwrap();
    assert!(refusals.len() >= 9, "{}", refusals.len());
    assert!(refusals.iter().all(|r| !r.details.contains(&pin)));
    app.stop().await;
}

async fn password_mode_enrolls_with_the_owners_password(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    configure(&app, RegistrationMode::Password, None).await;
    let mut alice = registrar(&app, "alice").await;
    let enrollment = register_and_read(&mut alice, "none", "").await;
    assert_eq!(enrollment.pin, None, "no PIN in password mode");
    let (status, body) = enroll(
        &app,
        json!({ "token": enrollment.token, "password": "not the password" }),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("wrong_password"))
    );
    let (status, body) = enroll(
        &app,
        json!({ "token": enrollment.token, "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    app.stop().await;
}

/// Behind a trusted proxy, a failed enrollment counts against (and is
/// audited under) the device's address, not the proxy's.
async fn enrollment_behind_a_proxy_knows_the_devices_address(db: TestDb) {
    let app = TestApp::spawn_with(&db, |c| {
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    configure(&app, RegistrationMode::Password, None).await;
    let mut alice = registrar(&app, "alice").await;
    let enrollment = register_and_read(&mut alice, "none", "").await;
    let response = app
        .client
        .post(app.url("/api/device/v1/enroll"))
        .header("x-forwarded-for", "203.0.113.5")
        .json(&json!({ "token": enrollment.token, "password": "not the password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let refused = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("device.enroll"))
        .all(&app.db)
        .await
        .unwrap();
    let addresses: Vec<&str> = refused.iter().map(|e| e.client_addr.as_str()).collect();
    assert_eq!(addresses, ["203.0.113.5"]);
    app.stop().await;
}

async fn registration_needs_the_role_and_stays_with_its_owner(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let mut alice = registrar(&app, "alice").await;
    let mut carol = registrar(&app, "carol").await;
    app.add_user("bob", &[Role::PortalAccess, Role::Lock], PASSWORD)
        .await;
    let mut bob = app.signed_in("bob", PASSWORD).await;

    assert_eq!(bob.get("/devices/register").await.status(), 403);
    let (status, _) = register(&mut bob, "none", "").await;
    assert_eq!(status, 403);
    let home = bob.get("/").await.text().await.unwrap();
    assert!(!home.contains("Register a device</a>"));

    let enrollment = register_and_read(&mut alice, "none", "").await;
    let page = format!("/devices/{}/enroll", enrollment.device_id);
    assert_eq!(carol.get(&page).await.status(), 404);
    let reissue = carol
        .post_form(
            "/api/registration/reissue",
            &[("id", &enrollment.device_id.to_string())],
        )
        .await;
    assert_eq!(reissue.status(), 404);
    // A bad form goes back with the reason next to the field.
    let (status, location) = register(&mut alice, "sms", "12").await;
    assert_eq!(status, 302);
    let form = alice.get(&location).await.text().await.unwrap();
    assert!(form.contains("aria-invalid=\"true\""), "{form}");
    app.stop().await;
}

async fn an_expired_registration_frees_its_slot(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    configure(&app, RegistrationMode::Pin, Some(1)).await;
    let mut alice = registrar(&app, "alice").await;
    let first = register_and_read(&mut alice, "none", "").await;
    let (status, _) = register(&mut alice, "none", "").await;
    assert_eq!(status, 409, "at the limit");
    let mut row: registration::ActiveModel =
        registration::Entity::find_by_id(DeviceId(first.device_id))
            .one(&app.db)
            .await
            .unwrap()
            .unwrap()
            .into();
    row.expires_at = Set(Utc::now() - TimeDelta::minutes(1));
    row.update(&app.db).await.unwrap();
    let expired = app::server::registration::expire_overdue(&app.db, None, Utc::now())
        .await
        .unwrap();
    assert_eq!(expired, 1);
    assert_eq!(app.device_status(first.device_id).await, "expired");
    let (status, location) = register(&mut alice, "none", "").await;
    assert_eq!(status, 302, "{location}");
    app.stop().await;
}

async fn parallel_guesses_get_no_more_than_six_checks(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let mut alice = registrar(&app, "alice").await;
    let enrollment = register_and_read(&mut alice, "none", "").await;
    let pin = enrollment.pin.clone().unwrap();
    let wrong = if pin.starts_with('0') {
        "11111111"
    } else {
        "00000000"
    };
    let url = app.url("/api/device/v1/enroll");
    let guesses: Vec<_> = (0..20)
        .map(|_| {
            let (client, url) = (app.client.clone(), url.clone());
            let body = json!({ "token": enrollment.token, "pin": wrong });
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut checked = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            401 => checked += 1,
            429 => {}
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(checked <= 6, "{checked} PINs were checked");
    let (status, body) = enroll(&app, json!({ "token": enrollment.token, "pin": pin })).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("pin_locked"))
    );
    app.stop().await;
}

async fn enrollment_keeps_to_the_registration_and_the_owner(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    configure(&app, RegistrationMode::PasswordOrPin, None).await;
    let mut alice = registrar(&app, "alice").await;
    let mut dave = registrar(&app, "dave").await;

    // The mode is the one the link was issued under.
    let issued_with_pin = register_and_read(&mut alice, "none", "").await;
    configure(&app, RegistrationMode::Pin, None).await;
    let (status, body) = enroll(
        &app,
        json!({ "token": issued_with_pin.token, "password": PASSWORD }),
    )
    .await;
    assert_eq!(status, 201, "password-or-PIN still applies: {body}");

    // Wrong passwords at enrollment count as failed sign-ins.
    configure(&app, RegistrationMode::Password, None).await;
    let guarded = register_and_read(&mut alice, "none", "").await;
    for _ in 0..6 {
        let (status, _) = enroll(
            &app,
            json!({ "token": guarded.token, "password": "a wrong password" }),
        )
        .await;
        assert_eq!(status, 401);
    }
    let (status, body) = enroll(
        &app,
        json!({ "token": guarded.token, "password": PASSWORD }),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("password_locked"))
    );
    let mut again = app.browser();
    let signed_in = again.sign_in("alice", PASSWORD).await;
    assert_ne!(
        signed_in.headers()["location"],
        "/",
        "the name is locked for sign-in too"
    );

    // A disabled owner's device does not enroll.
    configure(&app, RegistrationMode::Pin, None).await;
    let disabled = register_and_read(&mut dave, "none", "").await;
    app.disable("dave").await;
    let (status, body) = enroll(
        &app,
        json!({ "token": disabled.token, "pin": disabled.pin.unwrap() }),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("owner_disabled"))
    );

    // A cancelled registration frees its slot and its link stops working.
    configure(&app, RegistrationMode::Pin, Some(1)).await;
    let mut carol_like = registrar(&app, "erin").await;
    let mistaken = register_and_read(&mut carol_like, "none", "").await;
    let (status, _) = register(&mut carol_like, "none", "").await;
    assert_eq!(status, 409);
    let cancelled = carol_like
        .post_form(
            "/api/registration/cancel",
            &[("id", &mistaken.device_id.to_string())],
        )
        .await;
    assert_eq!(cancelled.headers()["location"], "/?cancelled=1");
    assert_eq!(app.device_status(mistaken.device_id).await, "retired");
    let (status, body) = enroll(
        &app,
        json!({ "token": mistaken.token, "pin": mistaken.pin.unwrap() }),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (410, Some("registration_expired"))
    );
    let (status, _) = register(&mut carol_like, "none", "").await;
    assert_eq!(status, 302, "the slot is free again");
    app.stop().await;
}

async fn owners_are_reminded_once_of_devices_not_enrolled(db: TestDb) {
    let mail = MailSink::start().await;
    let app = TestApp::spawn_with(&db, mail_to(mail.port)).await;
    let mut alice = registrar(&app, "alice").await;
    let waiting = register_and_read(&mut alice, "none", "").await;
    // Registered just now: not due, so the count below stays at one.
    register_and_read(&mut alice, "none", "").await;
    let messenger = app.messenger.clone();
    let remind = || {
        app::server::registration::send_reminders(
            &app.db,
            &messenger,
            "https://portal.example.com",
            Utc::now(),
        )
    };
    assert_eq!(remind().await.unwrap(), 0, "nothing is due yet");

    let mut old: device::ActiveModel = device::Entity::find_by_id(DeviceId(waiting.device_id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .into();
    old.registered_at = Set(Utc::now() - TimeDelta::hours(49));
    old.update(&app.db).await.unwrap();
    assert_eq!(remind().await.unwrap(), 1);
    let mails = mail.wait_for(1).await;
    assert!(
        mails[0].contains("has not been enrolled yet"),
        "{}",
        mails[0]
    );
    assert!(
        mails[0].contains(&format!(
            "https://portal.example.com/devices/{}/enroll",
            waiting.device_id
        )),
        "{}",
        mails[0]
    );
    assert!(
        !mails[0].contains(&waiting.pin.unwrap()),
        "the PIN is not kept, so not in the reminder"
    );
    assert_eq!(remind().await.unwrap(), 0, "once only");
    app.stop().await;
}

async fn text_messages_are_limited_by_day_and_country(db: TestDb) {
    let sms = SmsSink::start().await;
    let app = TestApp::spawn_with(&db, |config| {
        config.sms_gateway_url = format!("http://127.0.0.1:{}/send", sms.port);
        config.sms_gateway_body = r#"{"to": "{to}", "text": "{text}"}"#.to_owned();
    })
    .await;
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        PASSWORD,
    )
    .await;
    let mut admin = app.signed_in("admin", PASSWORD).await;
    let mut alice = registrar(&app, "alice").await;
    let settings_form = |per_day: &'static str, countries: &'static str| {
        [
            ("mode", "pin"),
            ("pin_length", "8"),
            ("pin_validity_hours", "120"),
            ("device_limit", ""),
            ("per_day", per_day),
            ("sms_countries", countries),
        ]
    };
    // A code that is not one goes back to the field.
    let refused = admin
        .post_form(
            "/api/admin/save_registration_settings",
            &settings_form("2", "+44, +0"),
        )
        .await;
    let location = refused.headers()["location"].to_str().unwrap().to_owned();
    let page = admin.get(&location).await.text().await.unwrap();
    assert!(page.contains("\"+0\" is not a country code"), "{page}");
    let saved = admin
        .post_form(
            "/api/admin/save_registration_settings",
            &settings_form("2", "+44"),
        )
        .await;
    assert_eq!(saved.status(), 302);
    app.settled().await;
    let form = alice.get("/devices/register").await.text().await.unwrap();
    assert!(
        form.contains("Text messages go only to numbers starting with +44."),
        "{form}"
    );

    // A number in another country is refused next to the field, and
    // nothing is registered or sent.
    let (status, location) = register(&mut alice, "sms", "+1 212 555 0123").await;
    assert_eq!(status, 302);
    assert!(location.starts_with("/devices/register?"), "{location}");
    let page = alice.get(&location).await.text().await.unwrap();
    assert!(
        page.contains("Text messages can go only to numbers starting with +44."),
        "{page}"
    );
    // Two registrations a day, cancelled ones included.
    let first = register_and_read(&mut alice, "sms", "+44 7700 900123").await;
    let cancel = alice
        .post_form(
            "/api/registration/cancel",
            &[("id", &first.device_id.to_string())],
        )
        .await;
    assert_eq!(cancel.status(), 302);
    register_and_read(&mut alice, "none", "").await;
    let (status, _) = register(&mut alice, "sms", "+44 7700 900123").await;
    assert_eq!(status, 429, "the third registration of the day");
    let page = alice.get("/devices/register").await.text().await.unwrap();
    assert!(
        page.contains("You have registered 2 devices in the last 24 hours"),
        "{page}"
    );
    let refusals = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("device.register"))
        .filter(audit_event::Column::Outcome.eq("refused"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(refusals.len(), 1);
    let details: Value = serde_json::from_str(&refusals[0].details).unwrap();
    assert_eq!(details["reason"], "daily limit");
    // One text message went out, with the link and without the PIN.
    let texts = sms.wait_for(1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(sms.requests.lock().unwrap().len(), 1);
    let body: Value = serde_json::from_str(&texts[0].1).unwrap();
    let text = body["text"].as_str().unwrap();
    assert!(text.contains(&first.url), "{text}");
    assert!(!text.contains(first.pin.as_deref().unwrap()), "{text}");
    app.stop().await;
}

async fn invitations_are_written_in_the_owners_language(db: TestDb) {
    let sms = SmsSink::start().await;
    let app = TestApp::spawn_with(&db, |config| {
        config.sms_gateway_url = format!("http://127.0.0.1:{}/send", sms.port);
        config.sms_gateway_body = r#"{"recipient": "{to}", "message": "{text}"}"#.to_owned();
    })
    .await;
    let mut alice = registrar(&app, "alice").await;
    let response = alice
        .post_form(
            "/api/language",
            &[("lang", "de"), ("next", "/devices/register")],
        )
        .await;
    assert!(response.status().is_redirection());
    let enrollment = register_and_read(&mut alice, "sms", "+44 7700 900123").await;

    let texts = sms.wait_for(1).await;
    let body: Value = serde_json::from_str(&texts[0].1).unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("Schreiben Sie Ihr iOS-Gerät ein"),
        "{message}"
    );
    assert!(message.contains(&enrollment.url), "{message}");
    // A German date: day.month.year.
    let expires = (Utc::now() + chrono::Duration::hours(120))
        .format("%d.%m.%Y")
        .to_string();
    let tomorrow = (Utc::now() + chrono::Duration::hours(121))
        .format("%d.%m.%Y")
        .to_string();
    assert!(
        message.contains(&expires) || message.contains(&tomorrow),
        "{message}"
    );
    app.stop().await;
}

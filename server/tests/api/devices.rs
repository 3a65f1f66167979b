//! Devices through the real server: owners only, the action table, the
//! device API and the whole loop with the simulator.

use crate::helpers::{TestApp, TestDb, on_every_backend};
use app::domain::device::Platform;
use app::domain::ids::DeviceId;
use app::domain::role::Role;
use app::domain::text::TextEnum;
use app::server::entities::{command, device};
use sea_orm::EntityTrait;
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

on_every_backend!(
    nobody_sees_or_touches_another_users_device,
    actions_follow_roles_and_platform,
    device_api_refuses_bad_credentials_and_bodies,
    lock_reaches_the_device_and_the_page_says_so,
    a_queued_command_can_be_cancelled_by_its_owner_only,
    commands_that_never_reach_the_device_expire,
);

async fn commands(app: &TestApp) -> Vec<command::Model> {
    command::Entity::find().all(&app.db).await.unwrap()
}

async fn nobody_sees_or_touches_another_users_device(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let all = Role::ALL.to_vec();
    app.add_user("alice", &all, PASSWORD).await;
    app.add_user("bob", &all, PASSWORD).await;
    let (id, _) = app
        .add_device("alice", Platform::Ios, "Alice's iPhone")
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let mut bob = app.signed_in("bob", PASSWORD).await;

    let mine = alice.get("/").await.text().await.unwrap();
    assert!(
        mine.contains("Alice&#x27;s iPhone") || mine.contains("Alice's iPhone"),
        "{mine}"
    );
    let theirs = bob.get("/").await.text().await.unwrap();
    assert!(!theirs.contains("Alice"), "{theirs}");
    assert!(theirs.contains("You have no devices yet"));

    let page = bob.get(&format!("/devices/{id}")).await;
    assert_eq!(page.status(), 404);
    assert!(!page.text().await.unwrap().contains("iPhone"));
    let api = bob
        .get_accepting(
            &format!("/api/devices/detail?id={id}&page=1"),
            "application/json",
        )
        .await;
    assert_eq!(api.status(), 404);
    let id_text = id.to_string();
    for action in ["lock", "locate", "wipe", "retire"] {
        let token = bob.csrf();
        let response = bob
            .post_raw(
                "/api/devices/action",
                &[
                    ("csrf_token", token),
                    ("id", id_text.clone()),
                    ("action", action.into()),
                    ("confirm", "yes".into()),
                ],
                &[("accept", "application/json")],
            )
            .await;
        assert_eq!(response.status(), 404, "{action}");
    }
    let token = bob.csrf();
    let rename = bob
        .post_raw(
            "/api/devices/rename",
            &[
                ("csrf_token", token),
                ("id", id_text),
                ("name", "Mine now".into()),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(rename.status(), 404);
    assert!(commands(&app).await.is_empty(), "nothing was queued");
    let stored = device::Entity::find_by_id(DeviceId(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.display_name, "Alice's iPhone");
    app.stop().await;
}

async fn actions_follow_roles_and_platform(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "carol",
        &[Role::PortalAccess, Role::Lock, Role::ResetPinPassword],
        PASSWORD,
    )
    .await;
    let (ios, _) = app
        .add_device("carol", Platform::Ios, "Carol's iPhone")
        .await;
    let (lumia, _) = app
        .add_device("carol", Platform::Windows10Mobile, "Carol's Lumia")
        .await;
    let mut carol = app.signed_in("carol", PASSWORD).await;

    let page = carol
        .get(&format!("/devices/{ios}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"value="lock""#), "Lock is offered: {page}");
    assert!(
        !page.contains("/confirm/wipe"),
        "no Wipe without the role: {page}"
    );
    assert!(
        page.contains("Only Windows Phone 8.1 and Windows 10 Mobile"),
        "why no PIN reset: {page}"
    );
    let lumia_page = carol
        .get(&format!("/devices/{lumia}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(lumia_page.contains(r#"value="reset-pin""#), "{lumia_page}");

    // A crafted Wipe without the role: 403 and nothing queued.
    let token = carol.csrf();
    let wipe = carol
        .post_raw(
            "/api/devices/action",
            &[
                ("csrf_token", token),
                ("id", ios.to_string()),
                ("action", "wipe".into()),
                ("confirm", "yes".into()),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(wipe.status(), 403);
    assert!(wipe.text().await.unwrap().contains("Wipe role"));
    assert!(commands(&app).await.is_empty());

    // Without the confirmation, a destructive action goes to the confirmation page.
    app.add_user("dave", &[Role::PortalAccess, Role::Wipe], PASSWORD)
        .await;
    let (daves, _) = app
        .add_device("dave", Platform::Android, "Dave's Pixel")
        .await;
    let mut dave = app.signed_in("dave", PASSWORD).await;
    let ask = dave
        .post_form(
            "/api/devices/action",
            &[("id", &daves.to_string()), ("action", "wipe")],
        )
        .await;
    assert_eq!(
        ask.headers()["location"].to_str().unwrap(),
        format!("/devices/{daves}/confirm/wipe")
    );
    assert!(commands(&app).await.is_empty());
    let confirm = dave
        .get(&format!("/devices/{daves}/confirm/wipe"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        confirm.contains("Wipe “Dave&#x27;s Pixel”?") || confirm.contains("Wipe “Dave's Pixel”?"),
        "{confirm}"
    );
    assert!(confirm.contains("cannot be undone"), "{confirm}");
    let done = dave
        .post_form(
            "/api/devices/action",
            &[
                ("id", &daves.to_string()),
                ("action", "wipe"),
                ("confirm", "yes"),
            ],
        )
        .await;
    assert_eq!(
        done.headers()["location"].to_str().unwrap(),
        format!("/devices/{daves}?requested=wipe")
    );
    assert_eq!(commands(&app).await.len(), 1);

    // A lock-screen call-back number must be a phone number; what was typed comes back.
    let bad = carol
        .post_form(
            "/api/devices/action",
            &[
                ("id", &ios.to_string()),
                ("action", "lock"),
                ("message", "Lost"),
                ("phone", "call me"),
            ],
        )
        .await;
    let location = bad.headers()["location"].to_str().unwrap().to_owned();
    let page = carol.get(&location).await.text().await.unwrap();
    assert!(page.contains("Use only digits"), "{page}");
    assert!(page.contains(r#"value="call me""#), "{page}");
    assert_eq!(commands(&app).await.len(), 1, "nothing more was queued");
    app.stop().await;
}

async fn device_api_refuses_bad_credentials_and_bodies(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &Role::ALL, PASSWORD).await;
    let (id, credential) = app.add_device("alice", Platform::Android, "Pixel").await;
    let url = app.url("/api/device/v1/checkin");
    let client = &app.client;
    let code = |body: Value| {
        body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };

    let missing = client.post(&url).json(&json!({})).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    assert_eq!(missing.headers()["www-authenticate"], "Bearer");
    assert_eq!(code(missing.json().await.unwrap()), "unauthorized");
    let wrong = client
        .post(&url)
        .bearer_auth("not-a-credential")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);

    let malformed = client
        .post(&url)
        .bearer_auth(&credential)
        .header("content-type", "application/json")
        .body("{\"facts\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    assert_eq!(code(malformed.json().await.unwrap()), "malformed");
    let unknown_field = client
        .post(&url)
        .bearer_auth(&credential)
        .json(&json!({ "facts": { "colour": "red" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_field.status(), 400);
    let too_long = client
        .post(&url)
        .bearer_auth(&credential)
        .json(&json!({ "facts": { "model": "x".repeat(200) } }))
        .send()
        .await
        .unwrap();
    assert_eq!(too_long.status(), 400);
    assert_eq!(code(too_long.json().await.unwrap()), "invalid");
    let huge = client
        .post(&url)
        .bearer_auth(&credential)
        .header("content-type", "application/json")
        .body(format!(
            "{{\"facts\": {{\"model\": \"{}\"}}}}",
            "x".repeat(64 * 1024)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    assert_eq!(code(huge.json().await.unwrap()), "too_large");

    let ok = client
        .post(&url)
        .bearer_auth(&credential)
        .json(&json!({ "facts": { "os_version": "15" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert_eq!(body["device_id"], id);
    assert_eq!(body["commands"], json!([]));

    // A result for a command that is not this device's.
    let stray = client
        .post(app.url("/api/device/v1/commands/999/result"))
        .bearer_auth(&credential)
        .json(&json!({ "outcome": "acknowledged" }))
        .send()
        .await
        .unwrap();
    assert_eq!(stray.status(), 404);
    let not_a_number = client
        .post(app.url("/api/device/v1/commands/abc/result"))
        .bearer_auth(&credential)
        .json(&json!({ "outcome": "acknowledged" }))
        .send()
        .await
        .unwrap();
    assert_eq!(not_a_number.status(), 404);
    assert_eq!(code(not_a_number.json().await.unwrap()), "unknown_command");
    assert_eq!(app.get("/healthz").await.status(), 200, "still serving");
    app.stop().await;
}

async fn lock_reaches_the_device_and_the_page_says_so(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "alice",
        &[Role::PortalAccess, Role::Lock, Role::Wipe],
        PASSWORD,
    )
    .await;
    let (id, credential) = app
        .add_device("alice", Platform::Ios, "Alice's iPhone")
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let page = format!("/devices/{id}");

    for _ in 0..2 {
        let response = alice
            .post_form(
                "/api/devices/action",
                &[("id", &id.to_string()), ("action", "lock")],
            )
            .await;
        assert_eq!(
            response.headers()["location"].to_str().unwrap(),
            format!("{page}?requested=lock")
        );
    }
    assert_eq!(
        commands(&app).await.len(),
        1,
        "the second identical request joined the first"
    );
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(
        html.contains("waiting for the device to check in"),
        "{html}"
    );

    let run = app.simulate_device(&credential, &[]).await;
    assert!(run.success, "{}", run.stderr);
    assert!(run.stdout.contains("lock: screen locked"));

    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains("Locked"), "{html}");
    assert!(html.contains("done"), "{html}");
    assert!(
        html.contains("device.lock.result"),
        "the history shows the outcome: {html}"
    );

    // Wipe: after the device reports it, its credential no longer works.
    alice
        .post_form(
            "/api/devices/action",
            &[
                ("id", &id.to_string()),
                ("action", "wipe"),
                ("confirm", "yes"),
            ],
        )
        .await;
    let run = app.simulate_device(&credential, &[]).await;
    assert!(run.stdout.contains("wipe:"));
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains("Wiped"), "{html}");
    let after = app.simulate_device(&credential, &[]).await;
    assert!(!after.success);
    assert!(after.stderr.contains("401"));
    app.stop().await;
}

async fn a_queued_command_can_be_cancelled_by_its_owner_only(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "alice",
        &[Role::PortalAccess, Role::Lock, Role::Locate],
        PASSWORD,
    )
    .await;
    app.add_user("bob", &Role::ALL, PASSWORD).await;
    let (id, credential) = app
        .add_device("alice", Platform::Android, "Alice's Pixel")
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let mut bob = app.signed_in("bob", PASSWORD).await;
    alice
        .post_form(
            "/api/devices/action",
            &[("id", &id.to_string()), ("action", "locate")],
        )
        .await;
    let command = commands(&app).await[0].id.to_string();

    let token = bob.csrf();
    let crafted = bob
        .post_raw(
            "/api/devices/cancel",
            &[
                ("csrf_token", token),
                ("id", id.to_string()),
                ("command", command.clone()),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(crafted.status(), 404);
    assert_eq!(commands(&app).await[0].state.as_str(), "queued");

    let page = alice
        .get(&format!("/devices/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Cancel locate"), "{page}");
    let done = alice
        .post_form(
            "/api/devices/cancel",
            &[("id", &id.to_string()), ("command", &command)],
        )
        .await;
    assert_eq!(
        done.headers()["location"].to_str().unwrap(),
        format!("/devices/{id}?cancelled=1")
    );
    assert_eq!(commands(&app).await[0].state.as_str(), "cancelled");
    let checkin: Value = app
        .client
        .post(app.url("/api/device/v1/checkin"))
        .bearer_auth(&credential)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        checkin["commands"],
        json!([]),
        "a cancelled command never reaches the device"
    );
    let again = alice
        .post_form(
            "/api/devices/cancel",
            &[("id", &id.to_string()), ("command", &command)],
        )
        .await;
    assert_eq!(
        again.headers()["location"].to_str().unwrap(),
        format!("/devices/{id}?cancelled=0")
    );
    app.stop().await;
}

async fn commands_that_never_reach_the_device_expire(db: TestDb) {
    use app::server::devices::expire_stale_commands;
    use chrono::{TimeDelta, Utc};
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};

    let app = TestApp::spawn(&db).await;
    app.add_user(
        "alice",
        &[Role::PortalAccess, Role::Lock, Role::Locate],
        PASSWORD,
    )
    .await;
    let (id, credential) = app
        .add_device("alice", Platform::Ios, "Alice's iPhone")
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    alice
        .post_form(
            "/api/devices/action",
            &[("id", &id.to_string()), ("action", "lock")],
        )
        .await;
    alice
        .post_form(
            "/api/devices/action",
            &[("id", &id.to_string()), ("action", "locate")],
        )
        .await;
    // The lock was asked for eight days ago; the locate just now.
    let rows = commands(&app).await;
    let lock = rows
        .iter()
        .find(|c| c.kind.as_str() == "lock")
        .unwrap()
        .clone();
    let mut old: command::ActiveModel = lock.into();
    old.requested_at = Set(Utc::now() - TimeDelta::days(8));
    old.update(&app.db).await.unwrap();

    assert_eq!(expire_stale_commands(&app.db, Utc::now()).await.unwrap(), 1);
    assert_eq!(
        expire_stale_commands(&app.db, Utc::now()).await.unwrap(),
        0,
        "once"
    );
    let states: Vec<(String, String)> = commands(&app)
        .await
        .into_iter()
        .map(|c| (c.kind.as_str().to_owned(), c.state.as_str().to_owned()))
        .collect();
    assert!(
        states.contains(&("lock".to_owned(), "expired".to_owned())),
        "{states:?}"
    );
    assert!(
        states.contains(&("locate".to_owned(), "queued".to_owned())),
        "{states:?}"
    );

    let page = alice
        .get(&format!("/devices/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("the device did not answer in time"), "{page}");
    assert!(page.contains("device.lock.expire"), "{page}");
    // Only the fresh command reaches the device.
    let checkin: Value = app
        .client
        .post(app.url("/api/device/v1/checkin"))
        .bearer_auth(&credential)
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(checkin["commands"].as_array().unwrap().len(), 1);
    assert_eq!(checkin["commands"][0]["action"], "locate");
    app.stop().await;
}

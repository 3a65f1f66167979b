//! Devices through the real server: owners only, the action table, the
//! device API and the whole loop with the simulator.

use crate::helpers::{TestApp, TestDb, on_every_backend};
use app::domain::device::Platform;
use app::domain::ids::DeviceId;
use app::domain::role::Role;
use app::domain::text::TextEnum;
use app::server::entities::{command, device};
use chrono::Utc;
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
    devices_are_removed_and_follow_their_owners_standing,
    a_located_device_shows_where_it_was_for_a_day,
    a_lost_device_is_found_then_unlocked,
    a_reset_pin_is_shown_to_its_owner_once,
    wipe_and_retire_ask_for_proof_again_after_five_minutes,
    a_wipe_waits_its_hold_and_its_owner_is_told,
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
    app.set_hold(0).await;
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
        html.contains("Device reported: locked"),
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
    assert!(page.contains("Lock expired"), "{page}");
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

/// The owner's "Remove this device" form, with the box ticked (`yes`) or not.
async fn remove_as(
    browser: &mut crate::helpers::Browser,
    id: i64,
    confirm: &str,
) -> reqwest::Response {
    let id = id.to_string();
    let mut form = vec![("id", id.as_str())];
    if !confirm.is_empty() {
        form.push(("confirm", confirm));
    }
    browser.post_form("/api/devices/remove", &form).await
}

/// A check-in with `credential`: its status, and its answer (or error).
async fn check_in(app: &TestApp, credential: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/device/v1/checkin"))
        .bearer_auth(credential)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn devices_are_removed_and_follow_their_owners_standing(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.set_hold(0).await;
    app.add_user("root", &[Role::PortalAccess, Role::Administrator], PASSWORD)
        .await;
    app.add_user("alice", &Role::ALL, PASSWORD).await;
    app.add_user("bob", &[Role::PortalAccess, Role::Retire], PASSWORD)
        .await;
    let (lost, lost_key) = app.add_device("alice", Platform::Android, "Lost").await;
    let (going, going_key) = app.add_device("alice", Platform::Android, "Going").await;
    let (kept, kept_key) = app.add_device("alice", Platform::Ios, "Kept").await;
    let mut root = app.signed_in("root", PASSWORD).await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let mut bob = app.signed_in("bob", PASSWORD).await;
    let (status, answer) = check_in(&app, &lost_key).await;
    assert_eq!(status, 200);
    assert!(answer["configuration"].is_object(), "{answer}");

    // The owner removes a lost device: someone else cannot, and the box
    // must be ticked.
    assert_eq!(remove_as(&mut bob, lost, "yes").await.status(), 404);
    let unticked = remove_as(&mut alice, lost, "").await;
    assert_eq!(
        unticked.headers()["location"].to_str().unwrap(),
        format!("/devices/{lost}?error=unconfirmed#remove")
    );
    assert_eq!(app.device_status(lost).await, "active");
    let page = alice
        .get(&format!("/devices/{lost}?error=unconfirmed"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Tick the box to confirm."), "{page}");
    let removed = remove_as(&mut alice, lost, "yes").await;
    assert_eq!(
        removed.headers()["location"].to_str().unwrap(),
        format!("/devices/{lost}?removed=1")
    );
    assert_eq!(app.device_status(lost).await, "removed");
    assert_eq!(check_in(&app, &lost_key).await.0, 401);
    assert_eq!(remove_as(&mut alice, lost, "yes").await.status(), 409);

    // Once a wipe is asked for, the device gets only that: no
    // configuration, no keys.
    alice
        .post_form(
            "/api/devices/action",
            &[
                ("id", &going.to_string()),
                ("action", "wipe"),
                ("confirm", "yes"),
            ],
        )
        .await;
    let (status, answer) = check_in(&app, &going_key).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["commands"][0]["action"], "wipe", "{answer}");
    assert!(
        answer["configuration"].is_null() && answer["certificates"].is_null(),
        "{answer}"
    );
    // While the wipe is on its way, the device keeps its connection.
    assert_eq!(remove_as(&mut alice, going, "yes").await.status(), 409);

    // A disabled owner's devices get 403, but the wipe already on its way
    // still gets through; enabled again, they are served again.
    let enabled = |on: &'static str, remove: &'static str| {
        let mut form = vec![("username", "alice"), ("enabled", on)];
        if !remove.is_empty() {
            form.push(("remove_devices", remove));
        }
        form
    };
    root.post_form("/api/admin/set_user_enabled", &enabled("false", ""))
        .await;
    let (status, answer) = check_in(&app, &kept_key).await;
    assert_eq!(status, 403);
    assert_eq!(answer["error"]["code"], "owner_not_allowed");
    assert_eq!(check_in(&app, &going_key).await.0, 200);
    root.post_form("/api/admin/set_user_enabled", &enabled("true", ""))
        .await;
    assert_eq!(check_in(&app, &kept_key).await.0, 200);
    // So do those of an owner who lost portal access.
    let roles = [("username", "alice"), ("roles[lock]", "on")];
    root.post_form("/api/admin/save_user_roles", &roles).await;
    assert_eq!(check_in(&app, &kept_key).await.0, 403);
    let roles = [("username", "alice"), ("roles[portal-access]", "on")];
    root.post_form("/api/admin/save_user_roles", &roles).await;
    assert_eq!(check_in(&app, &kept_key).await.0, 200);

    // An administrator removes someone's device from their page.
    let kept_id = kept.to_string();
    let by_admin = [("username", "alice"), ("id", kept_id.as_str())];
    assert_eq!(
        bob.post_form("/api/admin/remove_device", &by_admin)
            .await
            .status(),
        403
    );
    let page = root.get("/admin/users/alice").await.text().await.unwrap();
    assert!(page.contains("Remove Kept from the portal"), "{page}");
    let done = root.post_form("/api/admin/remove_device", &by_admin).await;
    assert_eq!(
        done.headers()["location"].to_str().unwrap(),
        "/admin/users/alice?removed=1#devices"
    );
    assert_eq!(check_in(&app, &kept_key).await.0, 401);
    let audited = app::server::entities::audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "device.remove")
        .map(|e| e.actor.unwrap_or_default())
        .collect::<Vec<_>>();
    assert_eq!(audited, ["alice", "root"]);

    // Disabling with "remove their devices": for good.
    let (last, last_key) = app.add_device("alice", Platform::Ios, "Last").await;
    root.post_form("/api/admin/set_user_enabled", &enabled("false", "yes"))
        .await;
    assert_eq!(app.device_status(last).await, "removed");
    // The device with a wipe on its way still gets it.
    assert_eq!(app.device_status(going).await, "active");
    assert_eq!(check_in(&app, &going_key).await.0, 200);
    root.post_form("/api/admin/set_user_enabled", &enabled("true", ""))
        .await;
    assert_eq!(check_in(&app, &last_key).await.0, 401);
    app.stop().await;
}

async fn a_located_device_shows_where_it_was_for_a_day(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess, Role::Locate], PASSWORD)
        .await;
    app.add_user("bob", &Role::ALL, PASSWORD).await;
    let (id, key) = app.add_device("alice", Platform::Android, "Pixel").await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let mut bob = app.signed_in("bob", PASSWORD).await;
    let page = format!("/devices/{id}");
    let before = alice.get(&page).await.text().await.unwrap();
    assert!(before.contains("No recent location"), "{before}");
    alice
        .post_form(
            "/api/devices/action",
            &[("id", &id.to_string()), ("action", "locate")],
        )
        .await;
    let (status, answer) = check_in(&app, &key).await;
    assert_eq!(status, 200);
    assert_eq!(answer["commands"][0]["action"], "locate", "{answer}");
    let command = answer["commands"][0]["id"].as_i64().unwrap();
    let reported = app
        .client
        .post(app.url(&format!("/api/device/v1/commands/{command}/result")))
        .bearer_auth(&key)
        .json(&json!({
            "outcome": "acknowledged",
            "location": { "latitude": 51.50135, "longitude": -0.14189, "accuracy_m": 12.0 }
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(reported.status(), 204);
    let shown = alice.get(&page).await.text().await.unwrap();
    assert!(shown.contains("51.50135, -0.14189"), "{shown}");
    assert!(shown.contains("±12 m"), "{shown}");
    assert!(
        shown.contains("https://www.openstreetmap.org/?mlat=51.501350&amp;mlon=-0.141890"),
        "{shown}"
    );
    // Only the owner sees it.
    assert_eq!(bob.get(&page).await.status(), 404);

    // A day later it is no longer shown, and housekeeping forgets it.
    let row = device::Entity::find_by_id(DeviceId(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    let mut old: device::ActiveModel = row.into();
    old.located_at = sea_orm::ActiveValue::Set(Some(Utc::now() - chrono::TimeDelta::hours(25)));
    sea_orm::ActiveModelTrait::update(old, &app.db)
        .await
        .unwrap();
    let stale = alice.get(&page).await.text().await.unwrap();
    assert!(
        stale.contains("No recent location") && !stale.contains("51.50135"),
        "{stale}"
    );
    let forgotten = app::server::devices::forget_old_locations(&app.db, Utc::now())
        .await
        .unwrap();
    assert_eq!(forgotten, 1);
    let row = device::Entity::find_by_id(DeviceId(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.latitude, row.longitude, row.located_at),
        (None, None, None)
    );
    app.stop().await;
}

async fn lock_state_of(app: &TestApp, id: i64) -> String {
    device::Entity::find_by_id(DeviceId(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .lock_state
        .as_str()
        .to_owned()
}

async fn a_lost_device_is_found_then_unlocked(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let roles = [Role::PortalAccess, Role::Lock, Role::Unlock];
    app.add_user("alice", &roles, PASSWORD).await;
    let (id, key) = app.add_device("alice", Platform::Android, "Pixel").await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let page = format!("/devices/{id}");
    let ask = async |alice: &mut crate::helpers::Browser, form: &[(&str, &str)]| {
        let id = id.to_string();
        let mut all = vec![("id", id.as_str())];
        all.extend_from_slice(form);
        alice.post_form("/api/devices/action", &all).await
    };
    // Not lost: no "Found it".
    let found_form = "id=\"found\"";
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(!html.contains(found_form), "{html}");

    let lost = [
        ("action", "lock"),
        ("message", "Please call me"),
        ("phone", "+44 20 7946 0958"),
    ];
    ask(&mut alice, &lost).await;
    let run = app.simulate_device(&key, &[]).await;
    assert!(run.stdout.contains("lost mode"), "{}", run.stdout);
    assert_eq!(lock_state_of(&app, id).await, "lost-mode");
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains("Locked (lost)"), "{html}");
    assert!(
        html.contains("first tell the portal it was found"),
        "{html}"
    );
    // Unlock is refused while lost, even when crafted.
    let crafted = ask(&mut alice, &[("action", "unlock")]).await;
    assert_eq!(crafted.status(), 409, "a crafted unlock is refused");

    let found = ask(&mut alice, &[("action", "found")]).await;
    assert_eq!(
        found.headers()["location"].to_str().unwrap(),
        format!("/devices/{id}?requested=found")
    );
    let run = app.simulate_device(&key, &[]).await;
    assert!(
        run.stdout.contains("found: lost mode ended"),
        "{}",
        run.stdout
    );
    assert_eq!(lock_state_of(&app, id).await, "locked");
    // Found it is gone; Unlock works on the plainly locked device.
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(
        !html.contains("Locked (lost)") && !html.contains(found_form),
        "{html}"
    );
    ask(&mut alice, &[("action", "unlock")]).await;
    let run = app.simulate_device(&key, &[]).await;
    assert!(
        run.stdout.contains("unlock: passcode cleared"),
        "{}",
        run.stdout
    );
    assert_eq!(lock_state_of(&app, id).await, "unlocked");
    // A crafted "found" for a device that is not lost is refused.
    let crafted = ask(&mut alice, &[("action", "found")]).await;
    assert_eq!(crafted.status(), 409);
    app.stop().await;
}

async fn a_reset_pin_is_shown_to_its_owner_once(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let roles = [Role::PortalAccess, Role::ResetPinPassword];
    app.add_user("alice", &roles, PASSWORD).await;
    let (id, key) = app
        .add_device("alice", Platform::Windows10Mobile, "Lumia")
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let page = format!("/devices/{id}");
    alice
        .post_form(
            "/api/devices/action",
            &[("id", &id.to_string()), ("action", "reset-pin")],
        )
        .await;
    let run = app.simulate_device(&key, &[]).await;
    assert!(run.success, "{}", run.stderr);
    let pin: String = run
        .stdout
        .split("new PIN is ")
        .nth(1)
        .expect("the simulator says its PIN")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    assert_eq!(pin.len(), 6, "{}", run.stdout);

    // Kept sealed: neither the command row nor the audit log holds it.
    let stored = commands(&app).await;
    assert!(
        stored.iter().all(|c| !c.result.contains(&pin)),
        "{stored:?}"
    );
    let audit = app::server::entities::audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    assert!(audit.iter().all(|e| !e.details.contains(&pin)));

    // Shown once to the owner, then gone.
    let shown = alice.get(&page).await.text().await.unwrap();
    assert!(
        shown.contains(&format!("id=\"new-pin\" class=\"pin\">{pin}<")),
        "{shown}"
    );
    let again = alice.get(&page).await.text().await.unwrap();
    assert!(
        !again.contains("new-pin") && !again.contains(&pin),
        "{again}"
    );
    let stored = commands(&app).await;
    assert!(
        stored.iter().all(|c| !c.result.contains("sealed_pin\":\"")),
        "{stored:?}"
    );

    // A device must report a PIN with a reset, and only with a reset.
    alice
        .post_form(
            "/api/devices/action",
            &[("id", &id.to_string()), ("action", "reset-pin")],
        )
        .await;
    let (status, answer) = check_in(&app, &key).await;
    assert_eq!(status, 200);
    let command = answer["commands"][0]["id"].as_i64().unwrap();
    let report = async |body: Value| {
        app.client
            .post(app.url(&format!("/api/device/v1/commands/{command}/result")))
            .bearer_auth(&key)
            .json(&body)
            .send()
            .await
            .unwrap()
            .status()
    };
    assert_eq!(report(json!({ "outcome": "acknowledged" })).await, 400);
    assert_eq!(
        report(json!({ "outcome": "acknowledged", "pin": "12ab" })).await,
        400
    );
    assert_eq!(
        report(json!({ "outcome": "acknowledged", "pin": "4321" })).await,
        204
    );
    let shown = alice.get(&page).await.text().await.unwrap();
    assert!(shown.contains(">4321<"), "{shown}");
    app.stop().await;
}

/// Makes the proof of every session `minutes` older: as if the clock had
/// moved on since its holder signed in.
async fn age_proof(app: &TestApp, minutes: i64) {
    use app::server::entities::session;
    use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
    session::Entity::update_many()
        .col_expr(
            session::Column::ProvedAt,
            Expr::value(Utc::now() - chrono::TimeDelta::minutes(minutes)),
        )
        .filter(session::Column::IdHash.is_not_null())
        .exec(&app.db)
        .await
        .unwrap();
}

async fn wipe_and_retire_ask_for_proof_again_after_five_minutes(db: TestDb) {
    use crate::helpers::location;
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "alice",
        &[Role::PortalAccess, Role::Lock, Role::Wipe, Role::Retire],
        PASSWORD,
    )
    .await;
    let (id, _) = app
        .add_device("alice", Platform::Android, "Alice's Pixel")
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let page = format!("/devices/{id}");
    let confirm = format!("{page}/confirm/wipe");
    let wipe = |password: &'static str| {
        let mut form = vec![
            ("id", id.to_string()),
            ("action", "wipe".to_owned()),
            ("confirm", "yes".to_owned()),
        ];
        if !password.is_empty() {
            form.push(("password", password.to_owned()));
        }
        form
    };
    let post = async |alice: &mut crate::helpers::Browser, password: &'static str| {
        let form = wipe(password);
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        alice.post_form("/api/devices/action", &form).await
    };

    // Signed in just now: the confirmation asks for nothing more.
    let html = alice.get(&confirm).await.text().await.unwrap();
    assert!(html.contains("Yes, wipe"), "{html}");
    assert!(!html.contains(r#"name="password""#), "{html}");

    // Five minutes on, still nothing; a little more, and Wipe and Retire
    // ask for the password (on the page, in the dialog), Lock does not.
    age_proof(&app, 5).await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let html = alice.get(&confirm).await.text().await.unwrap();
    assert!(html.contains(r#"name="password""#), "{html}");
    assert!(
        html.contains("enter your password to confirm it is you"),
        "{html}"
    );
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains(r#"id="wipe-password""#), "{html}");
    assert!(html.contains(r#"id="retire-password""#), "{html}");
    let lock = alice
        .post_form(
            "/api/devices/action",
            &[("id", &id.to_string()), ("action", "lock")],
        )
        .await;
    assert!(!location(&lock).contains("confirm"), "{}", location(&lock));
    assert_eq!(commands(&app).await.len(), 1, "the lock is queued");

    // Without the password, or with a wrong one: back at the confirmation
    // with why, and nothing queued.
    for password in ["", "not my password"] {
        let refused = post(&mut alice, password).await;
        assert_eq!(
            location(&refused),
            format!("{confirm}?refused=invalid&minutes=0#proof"),
            "{password:?}"
        );
    }
    let html = alice
        .get(&format!("{confirm}?refused=invalid&minutes=0"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("That password is not correct."), "{html}");
    assert_eq!(commands(&app).await.len(), 1, "no wipe");
    let audited = app::server::entities::audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap();
    let failed = audited
        .iter()
        .filter(|e| e.action == "sign_in" && e.outcome.as_str() == "failure")
        .count();
    assert_eq!(failed, 2, "each wrong try counts towards the lockout");
    assert!(
        audited
            .iter()
            .all(|e| !e.details.contains("not my password")),
        "the password is never kept"
    );

    // The right password: the wipe is queued, and the proof is fresh again.
    let done = post(&mut alice, PASSWORD).await;
    assert!(!location(&done).contains("confirm"), "{}", location(&done));
    assert!(
        commands(&app)
            .await
            .iter()
            .any(|c| c.kind.as_str() == "wipe"),
        "the wipe is queued"
    );
    assert!(
        audited_now(&app, "step_up").await,
        "proving it again is audited"
    );
    let html = alice
        .get(&format!("{page}/confirm/retire"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains(r#"name="password""#), "{html}");
    app.stop().await;
}

async fn audited_now(app: &TestApp, action: &str) -> bool {
    app::server::entities::audit_event::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .any(|e| e.action == action && e.outcome.as_str() == "success")
}

async fn a_wipe_waits_its_hold_and_its_owner_is_told(db: TestDb) {
    use crate::helpers::MailSink;
    let mail = MailSink::start().await;
    let app = TestApp::spawn_with(&db, |config| mail.configure(config)).await;
    app.add_user("alice", &[Role::PortalAccess, Role::Wipe], PASSWORD)
        .await;
    let (id, credential) = app
        .add_device("alice", Platform::Android, "Alice's Pixel")
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let page = format!("/devices/{id}");
    let wipe = [
        ("id", id.to_string()),
        ("action", "wipe".to_owned()),
        ("confirm", "yes".to_owned()),
    ];
    let wipe: Vec<(&str, &str)> = wipe.iter().map(|(k, v)| (*k, v.as_str())).collect();

    // Two minutes by default: the device gets neither the wipe nor its
    // configuration meanwhile, and the page says when it goes out.
    alice.post_form("/api/devices/action", &wipe).await;
    let (status, answer) = check_in(&app, &credential).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["commands"], json!([]), "{answer}");
    assert!(answer["configuration"].is_null(), "{answer}");
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains("it goes out to the device at"), "{html}");
    assert!(html.contains("(in 2 minutes)"), "{html}");
    assert!(html.contains("Cancel wipe"), "{html}");

    // The owner is told: what, by whom, from where, and how to cancel.
    // (Soft line breaks of quoted-printable joined.)
    let told: Vec<String> = mail
        .wait_for(1)
        .await
        .iter()
        .map(|m| m.replace("=\n", ""))
        .collect();
    assert!(told[0].contains("Wipe of"), "{}", told[0]);
    assert!(told[0].contains("was asked for by alice"), "{}", told[0]);
    assert!(told[0].contains("127.0.0.1"), "{}", told[0]);
    assert!(told[0].contains(&format!("/devices/{id}")), "{}", told[0]);

    // Cancelled inside the window: it never reaches the device, which is
    // served as before.
    let command = commands(&app).await[0].id.to_string();
    alice
        .post_form(
            "/api/devices/cancel",
            &[("id", &id.to_string()), ("command", &command)],
        )
        .await;
    let (_, answer) = check_in(&app, &credential).await;
    assert_eq!(answer["commands"], json!([]), "{answer}");
    assert!(answer["configuration"].is_object(), "{answer}");
    assert_eq!(app.device_status(id).await, "active");

    // Asked again and the hold over (the clock moved on): the device gets
    // it, and the owner hears that it was done.
    alice.post_form("/api/devices/action", &wipe).await;
    {
        use sea_orm::{ColumnTrait, QueryFilter, sea_query::Expr};
        command::Entity::update_many()
            .col_expr(
                command::Column::HoldUntil,
                Expr::value(Utc::now() - chrono::TimeDelta::seconds(1)),
            )
            .filter(command::Column::HoldUntil.is_not_null())
            .exec(&app.db)
            .await
            .unwrap();
    }
    let run = app.simulate_device(&credential, &[]).await;
    assert!(run.stdout.contains("wipe:"), "{}", run.stdout);
    assert_eq!(app.device_status(id).await, "wiped");
    let told: Vec<String> = mail
        .wait_for(3)
        .await
        .iter()
        .map(|m| m.replace("=\n", ""))
        .collect();
    assert!(
        told.iter()
            .any(|m| m.contains("The portal no longer manages it.")),
        "{told:?}"
    );
    app.stop().await;
}

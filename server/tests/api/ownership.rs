//! Labels, policies & apps, and ownership changes through the real
//! server: the preview, the change, delivery at check-in with the
//! simulator, and who may do it.

use crate::helpers::{Browser, TestApp, TestDb, on_every_backend};
use app::domain::device::Platform;
use app::domain::ids::DeviceId;
use app::domain::role::Role;
use app::domain::text::TextEnum;
use app::server::audit::RequestOrigin;
use app::server::entities::{audit_event, command, device};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const PASSWORD: &str = "a long enough password";

on_every_backend!(
    an_ownership_change_reaches_the_device_at_its_next_check_in,
    only_the_owner_with_the_role_changes_ownership,
    wipe_can_be_withheld_from_employee_owned_devices,
    administrators_assign_items_to_labels,
);

async fn samples(app: &TestApp) {
    let added = app::server::catalogue::add_samples(
        &app.db,
        &RequestOrigin::command_line(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    assert_eq!(added, 11);
    app.settled().await;
}

async fn ownership_of(app: &TestApp, id: i64) -> String {
    device::Entity::find_by_id(DeviceId(id))
        .one(&app.db)
        .await
        .unwrap()
        .unwrap()
        .ownership
        .as_str()
        .to_owned()
}

/// Runs the device simulator once with a state file; gives what it printed.
async fn simulate(app: &TestApp, credential: &str, state: &std::path::Path) -> String {
    let state = state.to_string_lossy();
    let run = app.simulate_device(credential, &["--state", &state]).await;
    assert!(run.success, "{}", run.stderr);
    run.stdout
}

async fn change(browser: &mut Browser, id: i64, to: &str) -> reqwest::Response {
    let token = browser.csrf();
    browser
        .post_raw(
            "/api/devices/change_ownership",
            &[
                ("csrf_token", token),
                ("id", id.to_string()),
                ("to", to.to_owned()),
            ],
            &[("accept", "application/json")],
        )
        .await
}

async fn an_ownership_change_reaches_the_device_at_its_next_check_in(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    samples(&app).await;
    app.add_user(
        "alice",
        &[Role::PortalAccess, Role::ChangeOwnership, Role::Locate],
        PASSWORD,
    )
    .await;
    let (id, credential) = app
        .add_device("alice", Platform::Ios, "Alice's iPhone")
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let page = format!("/devices/{id}");
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains("Configuration pending"), "{html}");
    assert!(html.contains("Company-Owned"), "{html}");
    assert!(html.contains("Expense reports"), "{html}");

    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("device.json");
    let first = simulate(&app, &credential, &state).await;
    assert!(first.contains("0 removed"), "{first}");
    assert!(first.contains("added: app “Expense reports”"), "{first}");
    assert!(
        first.contains("added: passcode-policy “Company passcode”"),
        "{first}"
    );
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains("Configuration applied"), "{html}");
    assert!(html.contains(r#"value="locate""#), "Locate offered: {html}");
    // A check-in with the applied version gets nothing new.
    let again = simulate(&app, &credential, &state).await;
    assert!(!again.contains("configuration ("), "{again}");

    // The preview, as a page and as data.
    let preview = alice
        .get(&format!("{page}/ownership?to=employee-owned"))
        .await;
    assert_eq!(preview.status(), 200);
    let html = preview.text().await.unwrap();
    assert!(html.contains("The device loses"), "{html}");
    assert!(html.contains("Expense reports"), "{html}");
    assert!(
        html.contains("“Company passcode” is replaced by “Personal passcode”"),
        "{html}"
    );
    assert!(
        html.contains("You will no longer be able to: Locate."),
        "{html}"
    );
    assert!(html.contains("Yes, make it employee-owned"), "{html}");
    let data: Value = alice
        .get_accepting(
            &format!("/api/devices/ownership?id={id}&to=employee-owned"),
            "application/json",
        )
        .await
        .json()
        .await
        .unwrap();
    let lost: Vec<&str> = data["impact"]["lost"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        lost,
        ["Always-on VPN", "Expense reports", "Device care guide"]
    );
    assert_eq!(
        ownership_of(&app, id).await,
        "company-owned",
        "preview only"
    );

    // A Locate queued now would reach a device whose privacy policy no
    // longer allows it: it is withheld at the check-in.
    let token = alice.csrf();
    let locate = alice
        .post_raw(
            "/api/devices/action",
            &[
                ("csrf_token", token),
                ("id", id.to_string()),
                ("action", "locate".into()),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert!(locate.status().is_success(), "{}", locate.status());

    // Confirm (as the form posts it: a redirect back to the device).
    let response = alice
        .post_form(
            "/api/devices/change_ownership",
            &[("id", &id.to_string()), ("to", "employee-owned")],
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("{page}?ownership=employee-owned"));
    assert_eq!(ownership_of(&app, id).await, "employee-owned");
    let html = alice.get(&location).await.text().await.unwrap();
    assert!(html.contains("The device is employee-owned now."), "{html}");
    assert!(html.contains("Configuration pending"), "{html}");
    assert!(
        html.contains("does not allow the company to locate it"),
        "Locate withheld by the privacy policy: {html}"
    );

    let audit = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("device.ownership"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    let details: Value = serde_json::from_str(&audit[0].details).unwrap();
    assert_eq!(details["before"]["ownership"], "company-owned");
    assert_eq!(details["after"]["ownership"], "employee-owned");
    assert!(
        details["before"]["set"]
            .as_array()
            .unwrap()
            .contains(&json!("App “Expense reports”")),
        "{details}"
    );
    assert!(
        details["lost"]
            .as_array()
            .unwrap()
            .contains(&json!("App “Expense reports”")),
        "{details}"
    );

    // The device applies the new set and says what changed.
    let second = simulate(&app, &credential, &state).await;
    assert!(second.contains("checked in: 0 command(s)"), "{second}");
    assert!(!second.contains("locate:"), "{second}");
    let withheld = command::Entity::find().all(&app.db).await.unwrap();
    assert_eq!(withheld.len(), 1);
    assert_eq!(withheld[0].state.as_str(), "cancelled");
    assert!(
        withheld[0].result.contains("privacy policy"),
        "{:?}",
        withheld[0]
    );
    let audited = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("device.locate.withheld"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(audited.len(), 1);
    assert!(second.contains("employee-owned"), "{second}");
    assert!(
        second.contains("removed: app “Expense reports”"),
        "{second}"
    );
    assert!(
        second.contains("added: passcode-policy “Personal passcode”"),
        "{second}"
    );
    assert!(
        second.contains("removed: passcode-policy “Company passcode”"),
        "{second}"
    );
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains("Configuration applied"), "{html}");
    assert!(!html.contains("Configuration pending"), "{html}");
    assert!(
        html.contains("not sent: The privacy policy of this device"),
        "the owner sees why the Locate never went: {html}"
    );

    // Changing it to what it is already is refused.
    let same = change(&mut alice, id, "employee-owned").await;
    assert_eq!(same.status(), 409);
    app.stop().await;
}

async fn only_the_owner_with_the_role_changes_ownership(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    samples(&app).await;
    app.add_user(
        "alice",
        &[Role::PortalAccess, Role::ChangeOwnership],
        PASSWORD,
    )
    .await;
    app.add_user("bob", &Role::ALL, PASSWORD).await;
    app.add_user("carol", &[Role::PortalAccess, Role::Lock], PASSWORD)
        .await;
    let (alice_device, _) = app.add_device("alice", Platform::Android, "Alice's").await;
    let (carol_device, _) = app.add_device("carol", Platform::Android, "Carol's").await;

    // Bob has every role, but not Alice's device: nothing tells him it exists.
    let mut bob = app.signed_in("bob", PASSWORD).await;
    let response = change(&mut bob, alice_device, "employee-owned").await;
    assert_eq!(response.status(), 404);
    let preview = bob
        .get(&format!(
            "/devices/{alice_device}/ownership?to=employee-owned"
        ))
        .await;
    assert_eq!(preview.status(), 404);
    assert!(!preview.text().await.unwrap().contains("Alice's"));
    assert_eq!(ownership_of(&app, alice_device).await, "company-owned");

    // Carol owns her device but lacks the role.
    let mut carol = app.signed_in("carol", PASSWORD).await;
    let html = carol
        .get(&format!("/devices/{carol_device}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Change ownership"), "{html}");
    let response = change(&mut carol, carol_device, "employee-owned").await;
    assert_eq!(response.status(), 403);
    let preview = carol
        .get_accepting(
            &format!("/api/devices/ownership?id={carol_device}&to=employee-owned"),
            "application/json",
        )
        .await;
    assert_eq!(preview.status(), 403);
    assert_eq!(ownership_of(&app, carol_device).await, "company-owned");
    let refused = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("device.ownership"))
        .filter(audit_event::Column::Outcome.eq("refused"))
        .all(&app.db)
        .await
        .unwrap();
    assert_eq!(refused.len(), 1, "Carol's attempt is audited");

    // A forged request without the token changes nothing either.
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let forged = alice
        .post_raw(
            "/api/devices/change_ownership",
            &[
                ("id", alice_device.to_string()),
                ("to", "employee-owned".to_owned()),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(ownership_of(&app, alice_device).await, "company-owned");
    let bad = change(&mut alice, alice_device, "rented").await;
    assert_eq!(bad.status(), 400);
    let ok = change(&mut alice, alice_device, "employee-owned").await;
    assert!(ok.status().is_success() || ok.status().is_redirection());
    assert_eq!(ownership_of(&app, alice_device).await, "employee-owned");
    app.stop().await;
}

async fn wipe_can_be_withheld_from_employee_owned_devices(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        PASSWORD,
    )
    .await;
    app.add_user(
        "alice",
        &[
            Role::PortalAccess,
            Role::ChangeOwnership,
            Role::Wipe,
            Role::Retire,
        ],
        PASSWORD,
    )
    .await;
    let (id, _) = app.add_device("alice", Platform::Android, "Pixel").await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    change(&mut alice, id, "employee-owned").await;
    let page = format!("/devices/{id}");
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains("/confirm/wipe"), "Wipe offered: {html}");

    let mut admin = app.signed_in("admin", PASSWORD).await;
    let response = admin
        .post_form(
            "/api/admin/save_device_policy",
            &[("forbid_employee_wipe", "on")],
        )
        .await;
    assert!(response.status().is_redirection());
    let overview = admin.get("/admin/policies").await.text().await.unwrap();
    assert!(
        overview.contains(r#"id="forbid_employee_wipe" name="forbid_employee_wipe" checked"#),
        "{overview}"
    );

    let html = alice.get(&page).await.text().await.unwrap();
    assert!(!html.contains("/confirm/wipe"), "{html}");
    assert!(
        html.contains("Employee-owned devices are not wiped"),
        "{html}"
    );
    assert!(html.contains("/confirm/retire"), "Retire stays: {html}");
    let token = alice.csrf();
    let wipe = alice
        .post_raw(
            "/api/devices/action",
            &[
                ("csrf_token", token),
                ("id", id.to_string()),
                ("action", "wipe".into()),
                ("confirm", "yes".into()),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(wipe.status(), 409);
    // Company-owned again: Wipe is back.
    change(&mut alice, id, "company-owned").await;
    let html = alice.get(&page).await.text().await.unwrap();
    assert!(html.contains("/confirm/wipe"), "{html}");

    // Only administrators set the option.
    let token = alice.csrf();
    let response = alice
        .post_raw(
            "/api/admin/save_device_policy",
            &[("csrf_token", token)],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(response.status(), 403);
    app.stop().await;
}

async fn administrators_assign_items_to_labels(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "admin",
        &[Role::PortalAccess, Role::Administrator],
        PASSWORD,
    )
    .await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let (iphone, iphone_credential) = app.add_device("alice", Platform::Ios, "iPhone").await;
    let (pixel, _) = app.add_device("alice", Platform::Android, "Pixel").await;
    let mut admin = app.signed_in("admin", PASSWORD).await;

    // A label of company iPhones, then an app for it.
    let response = admin
        .post_form(
            "/api/admin/save_label",
            &[
                ("name", "Company iPhones"),
                ("ownership", "company-owned"),
                ("platforms[ios]", "on"),
            ],
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/admin/policies?label_saved="),
        "{location}"
    );
    let overview = admin.get("/admin/policies").await.text().await.unwrap();
    assert!(overview.contains("Company iPhones"), "{overview}");
    assert!(overview.contains("Company-owned iOS devices"), "{overview}");
    let label_id: i32 = overview
        .split("/admin/labels/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .and_then(|id| id.parse().ok())
        .unwrap();
    let label_box = format!("labels[label-{label_id}]");

    // Mistakes come back next to the fields, with what was typed.
    let response = admin
        .post_form(
            "/api/admin/save_catalogue_item",
            &[
                ("item_type", "app"),
                ("name", " "),
                ("detail", "com.example.field"),
                (&label_box, "on"),
            ],
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/admin/policies/new?"), "{location}");
    let form = admin.get(&location).await.text().await.unwrap();
    assert!(form.contains("Enter a name."), "{form}");
    assert!(form.contains("com.example.field"), "{form}");

    let response = admin
        .post_form(
            "/api/admin/save_catalogue_item",
            &[
                ("item_type", "app"),
                ("name", "Field service"),
                ("detail", "com.example.field"),
                (&label_box, "on"),
            ],
        )
        .await;
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/admin/policies/"), "{location}");
    let item_page = location.split('?').next().unwrap().to_owned();
    let form = admin.get(&location).await.text().await.unwrap();
    assert!(form.contains("Saved."), "{form}");
    let taken = admin
        .post_form(
            "/api/admin/save_catalogue_item",
            &[("item_type", "book"), ("name", "field SERVICE")],
        )
        .await;
    let location = taken.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.contains("refused=name-taken"), "{location}");

    // The iPhone gets it, the Pixel does not.
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let html = alice
        .get(&format!("/devices/{iphone}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Field service"), "{html}");
    assert!(html.contains("Company iPhones"), "{html}");
    let html = alice
        .get(&format!("/devices/{pixel}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Field service"), "{html}");
    let checkin: Value = app
        .client
        .post(app.url("/api/device/v1/checkin"))
        .bearer_auth(&iphone_credential)
        .json(&json!({ "facts": {} }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        checkin["configuration"]["items"][0]["name"],
        "Field service"
    );
    assert_eq!(checkin["configuration"]["items"][0]["type"], "app");
    let version = checkin["configuration"]["version"].as_str().unwrap();
    let applied = app
        .client
        .post(app.url("/api/device/v1/configuration"))
        .bearer_auth(&iphone_credential)
        .json(&json!({ "version": version }))
        .send()
        .await
        .unwrap();
    assert_eq!(applied.status(), 204);
    let bad = app
        .client
        .post(app.url("/api/device/v1/configuration"))
        .bearer_auth(&iphone_credential)
        .json(&json!({ "version": "x".repeat(65) }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    let anonymous = app
        .client
        .post(app.url("/api/device/v1/configuration"))
        .json(&json!({ "version": version }))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // Deleting the label takes it off the app; the iPhone loses the app.
    let id = label_id.to_string();
    admin
        .post_form("/api/admin/delete_label", &[("id", &id)])
        .await;
    let form = admin.get(&item_page).await.text().await.unwrap();
    assert!(form.contains("Field service"), "{form}");
    assert!(!form.contains("Company iPhones"), "{form}");
    let html = alice
        .get(&format!("/devices/{iphone}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Field service"), "{html}");
    assert!(html.contains("Configuration pending"), "{html}");
    // A form opened before the label was deleted does not bring it back.
    let item_id = item_page.trim_start_matches("/admin/policies/").to_owned();
    admin
        .post_form(
            "/api/admin/save_catalogue_item",
            &[
                ("id", &item_id),
                ("item_type", "app"),
                ("name", "Field service"),
                (&label_box, "on"),
            ],
        )
        .await;
    let overview = admin.get("/admin/policies").await.text().await.unwrap();
    assert!(overview.contains("Not assigned"), "{overview}");

    // Nobody else manages them.
    let token = alice.csrf();
    let refused = alice
        .post_raw(
            "/api/admin/save_catalogue_item",
            &[
                ("csrf_token", token),
                ("item_type", "app".into()),
                ("name", "Sneaky".into()),
            ],
            &[("accept", "application/json")],
        )
        .await;
    assert_eq!(refused.status(), 403);
    let listing = alice
        .get_accepting("/api/admin/catalogue", "application/json")
        .await;
    assert_eq!(listing.status(), 403);

    // The audit log names a deleted item's type as it is stored.
    let saved = admin
        .post_form(
            "/api/admin/save_catalogue_item",
            &[
                ("item_type", "passcode"),
                ("name", "Six digits"),
                ("detail", "6 digits"),
            ],
        )
        .await;
    let location = saved.headers()["location"].to_str().unwrap().to_owned();
    let passcode_id = location
        .trim_start_matches("/admin/policies/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    admin
        .post_form("/api/admin/delete_catalogue_item", &[("id", &passcode_id)])
        .await;
    let deleted = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("catalogue.delete"))
        .one(&app.db)
        .await
        .unwrap()
        .expect("the deletion is audited");
    let details: Value = serde_json::from_str(&deleted.details).unwrap();
    assert_eq!(details["type"], "passcode", "{details}");
    app.stop().await;
}

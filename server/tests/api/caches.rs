//! Two servers on one database: what each keeps in memory (the settings,
//! the catalogue) reaches the other within the promised time, and what
//! none keeps (sessions, users, roles) counts on the very next request.

use crate::helpers::{Browser, TestApp, TestDb, on_every_backend};
use app::domain::device::Platform;
use app::domain::role::Role;
use std::time::{Duration, Instant};

on_every_backend!(
    a_change_on_one_server_is_seen_by_the_other_within_the_promise,
    sessions_users_and_roles_count_on_the_next_request,
);

const PASSWORD: &str = "a long enough password";
const JSON: &str = "application/json";

/// Asks `check` until it holds; fails when that takes longer than the
/// promise (a second) and some slack for a slow machine.
async fn seen_within_promise<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let started = Instant::now();
    let limit = server::CACHE_REFRESH * 3;
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "{what}: not seen by the other server after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn limit_seen(browser: &mut Browser) -> Option<u64> {
    let response = browser
        .get_accepting("/api/registration/overview", JSON)
        .await;
    assert_eq!(response.status(), 200);
    let overview: serde_json::Value = response.json().await.unwrap();
    overview["limit"].as_u64()
}

/// Two servers on `db`, an administrator signed in on the first, and alice
/// with `roles`.
async fn two_servers(db: &TestDb, roles: &[Role]) -> (TestApp, TestApp, Browser) {
    let one = TestApp::spawn(db).await;
    let other = TestApp::spawn(db).await;
    let admin = [Role::PortalAccess, Role::Administrator];
    one.add_user("admin", &admin, PASSWORD).await;
    one.add_user("alice", roles, PASSWORD).await;
    let admin = one.signed_in("admin", PASSWORD).await;
    (one, other, admin)
}

async fn a_change_on_one_server_is_seen_by_the_other_within_the_promise(db: TestDb) {
    let alice_may = [Role::PortalAccess, Role::DeviceRegistration];
    let (one, other, mut admin) = two_servers(&db, &alice_may).await;
    let (device, _) = one.add_device("alice", Platform::Ios, "Phone").await;
    let mut alice = other.signed_in("alice", PASSWORD).await;
    assert_eq!(limit_seen(&mut alice).await, None, "no limit by default");

    // A setting: the device limit.
    let saved = admin
        .post_form(
            "/api/admin/save_registration_settings",
            &[
                ("mode", "pin"),
                ("pin_length", "8"),
                ("pin_validity_hours", "72"),
                ("device_limit", "7"),
                ("precedence", "global"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 302);
    seen_within_promise("the new device limit", || {
        let mut alice = alice.clone();
        async move { limit_seen(&mut alice).await == Some(7) }
    })
    .await;
    // The server that made the change shows it at once.
    let mut admin_as_user = one.signed_in("alice", PASSWORD).await;
    assert_eq!(limit_seen(&mut admin_as_user).await, Some(7));

    // The catalogue: an app for every device.
    let saved = admin
        .post_form(
            "/api/admin/save_catalogue_item",
            &[
                ("item_type", "app"),
                ("name", "Expense reports"),
                ("detail", "com.example.expenses"),
                ("labels[all-devices]", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 302);
    let page = format!("/devices/{device}");
    seen_within_promise("the new app on the device page", || {
        let (mut alice, page) = (alice.clone(), page.clone());
        async move {
            let html = alice.get(&page).await.text().await.unwrap();
            html.contains("Expense reports")
        }
    })
    .await;
    one.stop().await;
    other.stop().await;
}

async fn sessions_users_and_roles_count_on_the_next_request(db: TestDb) {
    let (one, other, mut admin) = two_servers(&db, &[Role::PortalAccess]).await;

    // Signed in on one server, the session works on the other.
    let alice = one.signed_in("alice", PASSWORD).await;
    let mut there = alice.clone().moved_to(&other);
    let home = there.get("/").await;
    assert_eq!(home.status(), 200);
    assert!(
        !home
            .text()
            .await
            .unwrap()
            .contains("Ask your device where it is.")
    );

    // A role given on one server counts on the other's next request.
    let saved = admin
        .post_form(
            "/api/admin/save_user_roles",
            &[
                ("username", "alice"),
                ("roles[portal-access]", "on"),
                ("roles[locate]", "on"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 302);
    let home = there.get("/").await.text().await.unwrap();
    assert!(home.contains("Ask your device where it is."), "{home}");

    // Signed out on one server: the other no longer knows the session.
    let mut here = alice;
    assert_eq!(here.post_form("/api/sign_out", &[]).await.status(), 302);
    let home = there.get("/").await;
    assert_eq!(home.status(), 303, "back to the sign-in page");
    assert!(
        home.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in")
    );

    // Disabled (here, from the command line): refused on the next request.
    let alice = one.signed_in("alice", PASSWORD).await;
    let mut there = alice.moved_to(&other);
    assert_eq!(there.get("/").await.status(), 200);
    one.disable("alice").await;
    assert_eq!(there.get("/").await.status(), 303);
    one.stop().await;
    other.stop().await;
}

//! Server-rendered pages as a browser without JavaScript gets them.

use crate::helpers::{TestApp, TestDb, on_every_backend};
use app::domain::role::Role;

on_every_backend!(home_page, unknown_page_is_404, form_posts_and_redirects);

const PASSWORD: &str = "a long enough password";

async fn home_page(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess, Role::Lock], PASSWORD)
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let response = alice.get("/").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        response.headers()
    );
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    // Scripts from the site's own files only: a page has no inline script.
    assert!(
        csp.contains("frame-ancestors 'none'")
            && csp.contains("script-src 'self' 'wasm-unsafe-eval';")
            && !csp.contains("unsafe-inline")
            && !csp.contains("'nonce-"),
        "{csp}"
    );
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["referrer-policy"], "same-origin");
    assert_eq!(response.headers()["cache-control"], "no-store");
    let html = response.text().await.unwrap();
    assert!(html.contains("<title>My devices · SSP</title>"), "{html}");
    assert!(html.contains("You have no devices yet"), "{html}");
    assert!(html.contains(r#"<nav aria-label="Main">"#), "{html}");
    assert!(
        html.contains("alice Example"),
        "the name in the header: {html}"
    );
    assert!(
        html.contains("Lock your device"),
        "the user's roles: {html}"
    );
    assert!(
        !html.contains(r#"href="/admin""#),
        "no admin link for a non-admin: {html}"
    );
    // Nothing on this page acts in the browser: no script at all.
    assert!(!html.contains("<script"), "{html}");
    app.stop().await;
}

async fn unknown_page_is_404(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let response = alice.get("/no/such/page").await;
    assert_eq!(response.status(), 404);
    let html = response.text().await.unwrap();
    assert!(html.contains("Page not found"), "{html}");
    assert!(html.contains(r#"href="/""#), "a way back: {html}");
    app.stop().await;
}

async fn form_posts_and_redirects(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.add_user(
        "alice",
        &[Role::PortalAccess, Role::DeviceRegistration],
        PASSWORD,
    )
    .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;
    let form = alice.get("/devices/register").await.text().await.unwrap();
    assert!(
        form.contains(r#"action="/api/registration/register""#),
        "{form}"
    );

    let response = alice
        .post_form(
            "/api/registration/register",
            &[
                ("platform", "ios"),
                ("phone", "020 7946 0958"),
                ("invitation", "none"),
            ],
        )
        .await;
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/devices/register?") && location.contains("refused="),
        "{location}"
    );
    let html = alice.get(&location).await.text().await.unwrap();
    assert!(html.contains("Start with + and the country code"), "{html}");
    assert!(
        html.contains(r#"value="020 7946 0958""#),
        "what was typed is kept: {html}"
    );
    assert!(html.contains(r#"aria-invalid="true""#), "{html}");
    app.stop().await;
}

/// Pages and the site's files requested at the same time: every page keeps
/// its own Content-Security-Policy and no file takes it.
#[tokio::test]
async fn pages_keep_their_policy_while_files_are_served() {
    let db = TestDb::create(crate::helpers::Backend::Sqlite).await;
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/ssp.css"), "main { margin: 0 }").unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    let root = site.path().to_owned();
    let app = TestApp::spawn_with(&db, |c| c.site_root = root).await;
    app.add_user(
        "alice",
        &[Role::PortalAccess, Role::DeviceRegistration],
        PASSWORD,
    )
    .await;
    let alice = app.signed_in("alice", PASSWORD).await;
    let cookie: String = alice
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}; "))
        .collect();
    let requests: Vec<_> = (0..120)
        .map(|i| {
            let path = match i % 3 {
                0 => "/devices/register",
                1 => "/pkg/ssp.css",
                _ => "/favicon.svg",
            };
            let request = app
                .client
                .get(app.url(path))
                .header("accept", "text/html")
                .header("cookie", cookie.clone());
            tokio::spawn(async move { (path, request.send().await.unwrap()) })
        })
        .collect();
    for request in requests {
        let (path, response) = request.await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        if path.starts_with("/devices") {
            assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        } else {
            assert_eq!(csp, "default-src 'none'; frame-ancestors 'none'", "{path}");
        }
    }
    app.stop().await;
}

/// Pages are HTML and a stylesheet: only a page that holds islands names a
/// script (the islands' loader, a module that a browser without JavaScript
/// never fetches), and no page has an inline script. The site's files have
/// names made from their content and may be kept for a year.
#[tokio::test]
async fn only_pages_with_islands_load_a_script() {
    let db = TestDb::create(crate::helpers::Backend::Sqlite).await;
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(site.path().join("pkg/ssp.css"), "main { margin: 0 }").unwrap();
    std::fs::write(site.path().join("pkg/ssp.js"), "export default 1;").unwrap();
    std::fs::write(site.path().join("pkg/ssp.wasm"), [7u8; 4096]).unwrap();
    let root = site.path().to_owned();
    let app = TestApp::spawn_with(&db, |c| c.site_root = root).await;
    app.add_user("alice", &[Role::PortalAccess, Role::Wipe], PASSWORD)
        .await;
    let (id, _) = app
        .add_device("alice", app::domain::device::Platform::Ios, "Phone")
        .await;
    let mut alice = app.signed_in("alice", PASSWORD).await;

    let home = alice.get("/").await.text().await.unwrap();
    assert!(!home.contains("<script"), "{home}");
    let stylesheet = home
        .split(r#"rel="stylesheet" href=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    assert!(
        stylesheet.starts_with("/pkg/ssp.") && stylesheet != "/pkg/ssp.css",
        "{stylesheet}"
    );

    let device = alice
        .get(&format!("/devices/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(device.matches("<script").count(), 1, "{device}");
    assert!(
        device.contains(r#"<script type="module" src="/pkg/islands."#),
        "{device}"
    );
    assert!(device.contains("<leptos-island"), "{device}");
    let wasm = device
        .split(r#"data-wasm=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();

    let response = app.client.get(app.url(&stylesheet)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert_eq!(response.text().await.unwrap(), "main { margin: 0 }");
    // Compressed once, at start: the encoding the browser takes.
    let response = app
        .client
        .get(app.url(&wasm))
        .header("accept-encoding", "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-encoding"], "br");
    assert_eq!(response.headers()["content-type"], "application/wasm");
    assert!(response.bytes().await.unwrap().len() < 4096);
    // A name no file has (an old version's) is not found.
    let response = app
        .client
        .get(app.url("/pkg/ssp.0000000000000000.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    app.stop().await;
}

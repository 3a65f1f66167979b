//! Operations endpoints and the logging around every request.

use crate::helpers::{TestApp, TestDb, on_every_backend};
use serde_json::Value;

on_every_backend!(
    health_and_readiness,
    not_ready_without_database,
    request_id_is_returned,
    metrics_are_served_apart_and_name_no_one
);

async fn health_and_readiness(db: TestDb) {
    let app = TestApp::spawn(&db).await;

    let health = app.get("/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(health.json::<Value>().await.unwrap()["status"], "ok");

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");
    app.stop().await;
}

async fn not_ready_without_database(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    app.db.close_by_ref().await.unwrap();

    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), 503);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
    assert_eq!(body["reason"], "database unreachable");
    // The process itself is still up.
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

async fn request_id_is_returned(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let response = app.get("/healthz").await;
    let id = response
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap();
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let other = app.get("/healthz").await;
    assert_ne!(
        other
            .headers()
            .get("x-request-id")
            .unwrap()
            .to_str()
            .unwrap(),
        id
    );
    app.stop().await;
}

async fn metrics_are_served_apart_and_name_no_one(db: TestDb) {
    use app::domain::device::Platform;
    use app::domain::role::Role;
    let app = TestApp::spawn_with(&db, |c| c.metrics_listen = "127.0.0.1:0".to_owned()).await;
    let roles = [Role::PortalAccess, Role::Lock, Role::DeviceRegistration];
    app.add_user("alice", &roles, "correct horse battery").await;
    app.get("/healthz").await;
    let mut alice = app.signed_in("alice", "correct horse battery").await;
    let mut stranger = app.browser();
    stranger.sign_in("alice", "wrong password here").await;
    // A command, the check-in that takes it, a registration, an upload.
    let (id, credential) = app.add_device("alice", Platform::Ios, "Phone").await;
    let id = id.to_string();
    alice
        .post_form("/api/devices/action", &[("id", &id), ("action", "lock")])
        .await;
    let checked_in = app
        .client
        .post(app.url("/api/device/v1/checkin"))
        .bearer_auth(&credential)
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(checked_in.status(), 200);
    let registered = alice
        .post_form(
            "/api/registration/register",
            &[("platform", "ios"), ("phone", ""), ("invitation", "none")],
        )
        .await;
    assert_eq!(registered.status(), 302);
    alice
        .upload(
            "/certificates/upload",
            &[("setting", "12345"), ("password", "")],
            Some(("broken.p12", b"not a certificate".to_vec())),
            &[("accept", "application/json")],
        )
        .await;

    let addr = app.metrics.expect("metrics are served");
    let answer = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert!(
        answer.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text; version=1.0.0")
    );
    let text = answer.text().await.unwrap();
    for line in [
        r#"ssp_http_requests_total{method="GET",route="/healthz",status="200"}"#,
        r#"ssp_http_request_duration_seconds_count{method="GET",route="/healthz"} "#,
        r#"ssp_sign_ins_total{method="password",outcome="success"}"#,
        r#"ssp_sign_ins_total{method="password",outcome="invalid"}"#,
        r#"ssp_device_commands_total{kind="lock",state="queued"}"#,
        r#"ssp_device_commands_total{kind="lock",state="sent"}"#,
        "ssp_device_check_ins_total ",
        r#"ssp_registrations_total{outcome="accepted"}"#,
        r#"ssp_certificate_uploads_total{outcome="#,
        "ssp_outbox_waiting_messages ",
        r#"ssp_database_connections{state="idle"}"#,
        r#"ssp_build_info{version=""#,
    ] {
        assert!(text.contains(line), "{line} missing from:\n{text}");
    }
    assert!(!text.contains("alice"), "no user names: {text}");
    // The sample dashboard asks only for metrics that exist.
    let dashboard = include_str!("../../../docs/grafana-dashboard.json");
    let asked = dashboard.split("ssp_").skip(1).map(|rest| {
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_lowercase() || *c == '_')
            .collect();
        ["_total", "_bucket", "_info"]
            .iter()
            .find_map(|suffix| name.strip_suffix(suffix))
            .unwrap_or(&name)
            .to_owned()
    });
    let missing: Vec<String> = asked
        .filter(|base| !text.contains(&format!("# TYPE ssp_{base} ")))
        .collect();
    assert!(missing.is_empty(), "the dashboard asks for {missing:?}");
    // Not on the portal's own address.
    assert_eq!(alice.get("/metrics").await.status(), 404);
    app.stop().await;
}

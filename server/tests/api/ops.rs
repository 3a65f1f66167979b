//! Operations endpoints and the logging around every request.

use crate::helpers::{TestApp, TestDb, on_every_backend};
use serde_json::Value;

on_every_backend!(
    health_and_readiness,
    not_ready_without_database,
    request_id_is_returned
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

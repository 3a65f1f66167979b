//! The device API's OpenAPI document: served, complete (every operation,
//! every error code the server answers), and true (what the simulator
//! sends and what the server answers validate against it).

use serde_json::{Value, json};
use ssp_device::bodies;

use crate::helpers::{TestApp, TestDb, on_every_backend};
use app::domain::device::Platform;
use app::domain::role::Role;
use server::device_api::{CHECKIN, CONFIGURATION, ENROLL, OPERATIONS, RESULT};

on_every_backend!(the_openapi_document_describes_the_api_as_it_answers);

/// A validator for the document's schema `name`.
fn schema(document: &Value, name: &str) -> jsonschema::Validator {
    let mut root = document.clone();
    root["$ref"] = json!(format!("#/components/schemas/{name}"));
    jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("schema {name}: {e}"))
}

fn assert_valid(document: &Value, name: &str, instance: &Value) {
    let validator = schema(document, name);
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{instance} is not a {name}: {errors:?}");
}

/// Whether the document says that `path` may answer `status` with `code`.
fn documents(document: &Value, path: &str, status: u16, code: &str) -> bool {
    document["paths"][path]["post"]["responses"][status.to_string()]["description"]
        .as_str()
        .is_some_and(|d| d.contains(&format!("`{code}`")))
}

async fn post(app: &TestApp, path: &str, credential: Option<&str>, body: String) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(app.url(path))
        .header("content-type", "application/json")
        .body(body);
    if let Some(credential) = credential {
        request = request.bearer_auth(credential);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn the_openapi_document_describes_the_api_as_it_answers(db: TestDb) {
    let app = TestApp::spawn(&db).await;
    let response = app.get("/api/device/v1/openapi.json").await;
    assert_eq!(response.status(), 200);
    let document: Value = response.json().await.unwrap();
    assert!(
        document["openapi"]
            .as_str()
            .unwrap_or_default()
            .starts_with("3.1"),
        "{}",
        document["openapi"]
    );

    // Every operation, and nothing else.
    let mut paths: Vec<&str> = document["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    let mut operations = OPERATIONS.to_vec();
    operations.sort_unstable();
    assert_eq!(paths, operations);

    // What the simulator sends validates; what it must not send does not.
    assert_valid(
        &document,
        "CheckinRequest",
        &bodies::checkin("17.5", None, None),
    );
    assert_valid(
        &document,
        "CheckinRequest",
        &bodies::checkin("17.5", Some("3f9c0a1b2c3d4e5f"), Some("9a8b7c6d5e4f3a2b")),
    );
    assert_valid(
        &document,
        "EnrollRequestBody",
        &bodies::enroll("token", Some("12345678"), None, "17.5"),
    );
    assert_valid(
        &document,
        "EnrollRequestBody",
        &bodies::enroll("token", None, Some("secret"), "17.5"),
    );
    assert_valid(
        &document,
        "ConfigurationApplied",
        &bodies::configuration_applied("9a8b7c6d5e4f3a2b"),
    );
    for result in [
        bodies::acknowledged(),
        bodies::located(51.5007, -0.1246, 15.0),
        bodies::new_pin("482913"),
        bodies::failed("lock is not supported"),
    ] {
        assert_valid(&document, "CommandResult", &result);
    }
    let checkin = schema(&document, "CheckinRequest");
    assert!(
        !checkin.is_valid(&json!({ "facts": 3 })),
        "the schema accepts anything"
    );
    assert!(
        !checkin.is_valid(&json!({ "fact": {} })),
        "unknown fields pass"
    );

    // What the server answers validates, and each error code it gives is
    // documented for its operation and status.
    app.add_user("dana", &[Role::PortalAccess], "correct horse battery")
        .await;
    let (_, credential) = app.add_device("dana", Platform::Ios, "Dana's phone").await;
    let (status, answer) = post(
        &app,
        CHECKIN,
        Some(&credential),
        bodies::checkin("17.5", None, None).to_string(),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_valid(&document, "CheckinResponse", &answer);

    let unknown_command = RESULT.replace("{id}", "999999");
    let too_large = format!("{{\"facts\":{{\"model\":\"{}\"}}}}", "x".repeat(20_000));
    let long_fact = json!({ "facts": { "model": "x".repeat(200) } }).to_string();
    let cases: Vec<(&str, &str, Option<&str>, String)> = vec![
        (CHECKIN, CHECKIN, None, "{}".to_owned()),
        (CHECKIN, CHECKIN, Some("not-a-credential"), "{}".to_owned()),
        (CHECKIN, CHECKIN, Some(&credential), "{not json".to_owned()),
        (CHECKIN, CHECKIN, Some(&credential), long_fact),
        (CHECKIN, CHECKIN, Some(&credential), too_large),
        (
            CONFIGURATION,
            CONFIGURATION,
            Some(&credential),
            json!({ "version": "" }).to_string(),
        ),
        (
            CONFIGURATION,
            CONFIGURATION,
            None,
            bodies::configuration_applied("v").to_string(),
        ),
        (
            RESULT,
            &unknown_command,
            Some(&credential),
            bodies::acknowledged().to_string(),
        ),
        (
            RESULT,
            &unknown_command,
            None,
            bodies::acknowledged().to_string(),
        ),
        (
            ENROLL,
            ENROLL,
            None,
            bodies::enroll("no-such-token", Some("12345678"), None, "17.5").to_string(),
        ),
        (ENROLL, ENROLL, None, "[]".to_owned()),
    ];
    let mut seen = Vec::new();
    for (documented, path, credential, body) in cases {
        let (status, answer) = post(&app, path, credential, body).await;
        assert!(status >= 400, "{path}: {status} {answer}");
        assert_valid(&document, "ErrorBody", &answer);
        let code = answer["error"]["code"].as_str().unwrap().to_owned();
        assert!(
            documents(&document, documented, status, &code),
            "{documented} answers {status} `{code}`, which the document does not say"
        );
        seen.push(code);
    }
    for code in [
        "unauthorized",
        "malformed",
        "invalid",
        "too_large",
        "unknown_command",
        "unknown_registration",
    ] {
        assert!(
            seen.iter().any(|c| c == code),
            "no case gave `{code}`: {seen:?}"
        );
    }

    // The enrollment refusals, each under the status the API answers it with.
    use app::domain::registration::Refusal::*;
    for refusal in [
        PinRequired,
        PasswordRequired,
        PinOrPasswordRequired,
        WrongPin,
        WrongPassword,
        PinLocked,
        PasswordLocked,
        OwnerDisabled,
        DirectoryUnavailable,
        Expired,
        AlreadyUsed,
        Unknown,
    ] {
        let status = server::device_api::refusal_status(refusal).as_u16();
        assert!(
            documents(&document, ENROLL, status, refusal.code()),
            "enroll's {status} does not name `{}`",
            refusal.code()
        );
    }
    app.stop().await;
}

//! Property tests of every parser that reads what a stranger sends:
//! certificate files (PKCS#12, PEM, DER, seeded with the real files of
//! `scripts/test-certificates`), the client-certificate header, the device
//! API's JSON, and the forms and query strings of server functions and
//! pages. Each case must end without a panic, with an error that has its
//! code (a status below 500 from the server, which keeps answering), in
//! bounded time. Certificate files are at most 256 KiB when they reach the
//! reader, and every key derivation is paid from a budget, which bounds
//! their memory and time.
//!
//! The cases are reproducible: `SSP_FUZZ_CASES` sets how many (64 by
//! default), `SSP_FUZZ_SEED` which ones; `scripts/fuzz` runs many more.

use crate::certificates::fixtures;
use crate::helpers::{Backend, Browser, TestApp, TestDb};
use app::domain::certificates::UploadProblem;
use app::domain::device::Platform;
use app::domain::role::Role;
use app::server::certificate_files;
use app::server::client_certificates::{ClientTrust, from_escaped_pem};
use base64::Engine as _;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PASSWORD: &str = "a long enough password";
/// The longest any one case may take.
const BOUND: Duration = Duration::from_secs(20);

fn runner(scale: u32) -> TestRunner {
    let cases = std::env::var("SSP_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse::<u32>().ok())
        .unwrap_or(64);
    let seed = std::env::var("SSP_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    TestRunner::new_with_rng(
        Config {
            cases: cases.saturating_mul(scale),
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    )
}

/// One change to a file: where (per mille of its length) and what.
#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: u16, bits: u8 },
    Truncate { at: u16 },
    Insert { at: u16, bytes: Vec<u8> },
    Overwrite { at: u16, bytes: Vec<u8> },
    Repeat { at: u16, len: u16, times: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0u16..1000;
    let bytes = prop::collection::vec(any::<u8>(), 1..16);
    prop_oneof![
        4 => (at.clone(), 1u8..=255).prop_map(|(at, bits)| Mutation::Flip { at, bits }),
        1 => at.clone().prop_map(|at| Mutation::Truncate { at }),
        2 => (at.clone(), bytes.clone()).prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        2 => (at.clone(), bytes).prop_map(|(at, bytes)| Mutation::Overwrite { at, bytes }),
        1 => (at, 1u16..64, 2u8..50).prop_map(|(at, len, times)| Mutation::Repeat { at, len, times }),
    ]
}

fn mutate(data: &[u8], mutations: &[Mutation]) -> Vec<u8> {
    let mut data = data.to_vec();
    let place = |at: u16, len: usize| len * usize::from(at) / 1000;
    for mutation in mutations {
        match mutation {
            Mutation::Flip { at, bits } => {
                let i = place(*at, data.len());
                if let Some(byte) = data.get_mut(i) {
                    *byte ^= bits;
                }
            }
            Mutation::Truncate { at } => data.truncate(place(*at, data.len())),
            Mutation::Insert { at, bytes } => {
                let i = place(*at, data.len());
                data.splice(i..i, bytes.iter().copied());
            }
            Mutation::Overwrite { at, bytes } => {
                let i = place(*at, data.len());
                for (j, byte) in bytes.iter().enumerate() {
                    if let Some(old) = data.get_mut(i + j) {
                        *old = *byte;
                    }
                }
            }
            Mutation::Repeat { at, len, times } => {
                let i = place(*at, data.len());
                let end = (i + usize::from(*len)).min(data.len());
                let run = data[i..end].to_vec();
                for _ in 0..*times {
                    data.splice(end..end, run.iter().copied());
                }
            }
        }
    }
    data
}

/// The real files, with the password each was written with.
const SEEDS: [(&str, &str); 17] = [
    ("openssl3-default.p12", "Pässwörd-1"),
    ("openssl-legacy.p12", "legacy-pass"),
    ("empty-password.p12", ""),
    ("no-mac.p12", ""),
    ("keytool-two-keys.p12", "two-keys-pass"),
    ("ec.p12", "ec-pass"),
    ("cert.pem", ""),
    ("cert.der", ""),
    ("chain-only.pem", ""),
    ("bundle.pem", ""),
    ("bundle-pkcs1.pem", ""),
    ("bundle-encrypted.pem", "bundle-pass"),
    ("nodes.pem", ""),
    ("mismatch.pem", ""),
    ("p521.pem", ""),
    ("old-encrypted-key.pem", "old-pass"),
    ("claims-5mib.der", ""),
];

#[test]
fn certificate_files_never_panic_and_name_their_problem() {
    let seeds: Vec<(&str, Vec<u8>, &str)> = SEEDS
        .iter()
        .map(|(name, password)| {
            let data = std::fs::read(fixtures().join(name)).unwrap();
            (*name, data, *password)
        })
        .collect();
    let case = (
        0..seeds.len(),
        prop::collection::vec(mutation(), 1..4),
        any::<bool>(),
    );
    runner(4)
        .run(&case, |(seed, mutations, right_password)| {
            let (name, data, password) = &seeds[seed];
            let data = mutate(data, &mutations);
            let password = if right_password { password } else { "guess" };
            let started = Instant::now();
            let read = std::panic::catch_unwind(|| certificate_files::read(&data, password));
            prop_assert!(read.is_ok(), "{name} {mutations:?}: the reader panicked");
            if let Ok(Err(problem)) = read {
                prop_assert!(UploadProblem::ALL.contains(&problem));
                prop_assert!(!problem.code().is_empty());
            }
            prop_assert!(started.elapsed() < BOUND, "{name} {mutations:?}: too slow");
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_client_certificate_header_never_panics() {
    let pem = std::fs::read(fixtures().join("cert.pem")).unwrap();
    let der = std::fs::read(fixtures().join("cert.der")).unwrap();
    let trust =
        ClientTrust::from_pem(&std::fs::read(fixtures().join("chain-only.pem")).unwrap()).unwrap();
    // As nginx's $ssl_client_escaped_cert does.
    let escape = |text: &[u8]| -> String {
        text.iter()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => char::from(*b).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let header = prop_oneof![
        // Any text at all.
        "\\PC{0,300}",
        // The certificate's PEM, escaped as a proxy sends it, then changed.
        prop::collection::vec(mutation(), 1..4).prop_map(move |m| escape(&mutate(&pem, &m))),
        // A certificate whose DER was changed, in well-formed PEM.
        prop::collection::vec(mutation(), 1..4).prop_map(move |m| {
            let body = base64::engine::general_purpose::STANDARD.encode(mutate(&der, &m));
            escape(
                format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n")
                    .as_bytes(),
            )
        }),
    ];
    runner(4)
        .run(&header, |value| {
            let started = Instant::now();
            let outcome = std::panic::catch_unwind(|| {
                from_escaped_pem(&value)
                    .map(|presented| trust.verify(&presented, chrono::Utc::now()))
            });
            prop_assert!(outcome.is_ok(), "{value:?}: panicked");
            prop_assert!(started.elapsed() < BOUND);
            Ok(())
        })
        .unwrap();
}

/// Any JSON value, a few levels deep.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(field_name(), inner, 0..8)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Names the device API and the forms use, and any other.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(vec![
            "token", "pin", "password", "facts", "model", "os_version", "serial", "imei",
            "state", "status", "result", "lock_state", "latitude", "longitude", "accuracy_m",
            "applied", "items", "id", "name", "mode", "platform", "phone", "invitation", "value",
            "setting_id", "labels[all-devices]", "roles[]", "roles[administrator]", "limit", "group",
            "from", "to", "page", "q", "message", "callback", "pin_length", "per_day",
            "sms_countries", "device_limit", "username", "next",
        ])
        .prop_map(str::to_owned),
        1 => "\\PC{0,20}",
    ]
}

/// What a body may be: JSON of any shape, a valid body changed, or bytes.
fn device_body() -> impl Strategy<Value = (Vec<u8>, bool)> {
    let valid = json!({
        "token": "abc", "pin": "12345678",
        "facts": { "model": "iPhone 15", "os_version": "18.1", "serial": "X1" },
        "state": "locked", "result": "succeeded", "latitude": 51.5, "longitude": -0.1
    })
    .to_string()
    .into_bytes();
    prop_oneof![
        (json_value(), any::<bool>()).prop_map(|(v, json)| (v.to_string().into_bytes(), json)),
        prop::collection::vec(mutation(), 1..4).prop_map(move |m| (mutate(&valid, &m), true)),
        (prop::collection::vec(any::<u8>(), 0..200), any::<bool>()),
    ]
}

#[tokio::test]
async fn the_device_api_answers_every_body_with_a_code() {
    let db = TestDb::create(Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    app.add_user("alice", &[Role::PortalAccess], PASSWORD).await;
    let (device, credential) = app.add_device("alice", Platform::Ios, "Phone").await;
    let paths = [
        "/api/device/v1/enroll".to_owned(),
        "/api/device/v1/checkin".to_owned(),
        "/api/device/v1/configuration".to_owned(),
        format!("/api/device/v1/commands/{device}/result"),
        "/api/device/v1/commands/1/result".to_owned(),
        "/api/device/v1/commands/x/result".to_owned(),
    ];
    let mut runner = runner(4);
    let case = (0..paths.len(), device_body(), any::<bool>());
    let mut cases = Vec::new();
    for _ in 0..runner.config().cases {
        cases.push(case.new_tree(&mut runner).unwrap().current());
    }
    for (path, (body, as_json), with_credential) in cases {
        let mut request = app.client.post(app.url(&paths[path])).body(body.clone());
        if as_json {
            request = request.header("content-type", "application/json");
        }
        if with_credential {
            request = request.bearer_auth(&credential);
        }
        let started = Instant::now();
        let response = request.send().await.unwrap_or_else(|error| {
            panic!(
                "{} {:?}: no answer: {error}",
                paths[path],
                String::from_utf8_lossy(&body)
            )
        });
        let status = response.status().as_u16();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        let shown = String::from_utf8_lossy(&body);
        assert!(status < 500, "{} {shown:?}: {status} {answer}", paths[path]);
        if status >= 400 {
            assert!(
                answer["error"]["code"]
                    .as_str()
                    .is_some_and(|c| !c.is_empty()),
                "{} {shown:?}: {status} {answer}",
                paths[path]
            );
        }
        assert!(started.elapsed() < BOUND);
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

/// A form or query: pairs of names and values, as browsers and scripts send.
fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let value = prop_oneof![
        "\\PC{0,40}",
        any::<i64>().prop_map(|n| n.to_string()),
        Just("on".to_owned()),
        Just(String::new()),
        Just("+262142-12-31".to_owned()),
        Just("99999999999999999999999".to_owned()),
    ];
    prop::collection::vec((field_name(), value), 0..8)
}

/// Server functions that end the session they are called in: the rest of
/// the run would no longer be signed in.
fn ends_the_session(path: &str) -> bool {
    path.contains("sign_out") || path.contains("change_sign_in")
}

#[tokio::test]
async fn server_functions_and_pages_answer_every_form_and_query() {
    let db = TestDb::create(Backend::Sqlite).await;
    let app = TestApp::spawn(&db).await;
    app.add_user("root", &Role::ALL, PASSWORD).await;
    app.add_device("root", Platform::Android, "Phone").await;
    let mut root: Browser = app.signed_in("root", PASSWORD).await;
    let functions: Vec<(String, bool)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (path.to_owned(), method == axum::http::Method::GET))
        .filter(|(path, _)| !ends_the_session(path))
        .collect();
    let pages = [
        "/",
        "/devices/1",
        "/devices/1/enroll",
        "/devices/register",
        "/certificates",
        "/admin/audit",
        "/admin/audit.csv",
        "/admin/registration",
        "/admin/settings",
        "/admin/users",
        "/admin/ldap",
        "/admin/policies",
        "/admin/certificates",
        "/sign-in",
    ];
    let mut runner = runner(8);
    let case = (0..functions.len() + pages.len(), pairs());
    let mut cases = Vec::new();
    for _ in 0..runner.config().cases {
        cases.push(case.new_tree(&mut runner).unwrap().current());
    }
    for (target, pairs) in cases {
        let fields: Vec<(&str, String)> =
            pairs.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let started = Instant::now();
        let (path, response) = match functions.get(target) {
            Some((path, false)) => {
                let form: Vec<(&str, &str)> =
                    fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                (path.clone(), root.post_form(path, &form).await)
            }
            Some((path, true)) => (path.clone(), root.get(&format!("{path}?{query}")).await),
            None => {
                let page = pages[target - functions.len()];
                (page.to_owned(), root.get(&format!("{page}?{query}")).await)
            }
        };
        let status = response.status().as_u16();
        assert!(status < 500, "{path} {pairs:?}: {status}");
        assert!(started.elapsed() < BOUND, "{path} {pairs:?}: too slow");
    }
    assert_eq!(app.get("/healthz").await.status(), 200);
    app.stop().await;
}

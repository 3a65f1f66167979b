//! The `ssp` binary itself, as an operator runs it.

use serde_json::Value;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

fn ssp() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssp"));
    command.env_remove("SSP_CONFIG").kill_on_drop(true);
    command
}

#[tokio::test]
async fn version_and_help() {
    let version = ssp().arg("--version").output().await.unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("ssp {}", env!("CARGO_PKG_VERSION"))
    );
    let help = ssp().arg("--help").output().await.unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for word in [
        "serve",
        "migrate",
        "--config",
        "--listen",
        "--database-url",
        "--log-format",
    ] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
}

#[tokio::test]
async fn migrate_creates_the_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/ssp.db");
    let out = ssp()
        .args(["migrate", "--database-url"])
        .arg(format!("sqlite://{}", path.display()))
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(path.is_file());
}

#[tokio::test]
async fn bad_configuration_is_one_clear_line() {
    let out = ssp()
        .arg("serve")
        .env("SSP_LISTEN", "bogus")
        .env("RUST_BACKTRACE", "1")
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr.trim(),
        "ssp: invalid configuration: listen: invalid socket address syntax (in SSP_* environment variables)"
    );
}

/// `ssp serve` with JSON logs: one object per line, and one line per request
/// with the matched route, status, latency and request id.
#[tokio::test]
async fn serve_logs_requests_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = ssp()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--log-format",
            "json",
            "--database-url",
        ])
        .arg(format!("sqlite://{}/ssp.db", dir.path().display()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let next_json = async |lines: &mut tokio::io::Lines<_>| -> Value {
        let line: String = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
            .await
            .expect("a log line within 30 s")
            .unwrap()
            .expect("the server is still running");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    };

    let addr = loop {
        let event = next_json(&mut lines).await;
        if let Some(addr) = event["fields"]["addr"].as_str() {
            break addr.to_owned();
        }
    };
    let response = reqwest::get(format!("http://{addr}/healthz"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();

    let event = loop {
        let event = next_json(&mut lines).await;
        if event["fields"]["message"] == "response" {
            break event;
        }
    };
    assert_eq!(event["fields"]["status"], 200);
    assert!(event["fields"]["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(event["span"]["route"], "/healthz");
    assert_eq!(event["span"]["method"], "GET");
    assert_eq!(event["span"]["request_id"], request_id.as_str());
    child.kill().await.unwrap();
}

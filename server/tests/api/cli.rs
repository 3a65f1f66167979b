//! The `ssp` binary itself, as an operator runs it.

//!
//! These tests use `std::process` and no async runtime: waiting for children
//! through tokio's SIGCHLD handling is unreliable when several test runtimes
//! spawn processes at once.

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

fn ssp() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ssp"));
    command.env_remove("SSP_CONFIG");
    // A key of its own: no key file is made in the working directory.
    command.env(
        "SSP_SECRET_KEY",
        app::server::secrets::Sealer::generate_key().unwrap(),
    );
    command
}

#[test]
fn version_and_help() {
    let version = ssp().arg("--version").output().unwrap();
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8(version.stdout).unwrap().trim(),
        format!("ssp {}", env!("CARGO_PKG_VERSION"))
    );
    let help = ssp().arg("--help").output().unwrap();
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

#[test]
fn migrate_creates_the_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/ssp.db");
    let out = ssp()
        .args(["migrate", "--database-url"])
        .arg(format!("sqlite://{}", path.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(path.is_file());
}

#[test]
fn bad_configuration_is_one_clear_line() {
    let out = ssp()
        .arg("serve")
        .env("SSP_LISTEN", "bogus")
        .env("RUST_BACKTRACE", "1")
        .output()
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
#[test]
fn serve_logs_requests_as_json() {
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
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let next_json = || -> Value {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("a log line within 30 s");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    };

    let addr = loop {
        let event = next_json();
        if let Some(addr) = event["fields"]["addr"].as_str() {
            break addr.to_owned();
        }
    };
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .write_all(
            format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    let request_id = response
        .lines()
        .find_map(|l| l.strip_prefix("x-request-id: "))
        .unwrap()
        .trim()
        .to_owned();

    let event = loop {
        let event = next_json();
        if event["fields"]["message"] == "response" {
            break event;
        }
    };
    assert_eq!(event["fields"]["status"], 200);
    assert!(event["fields"]["latency_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(event["span"]["route"], "/healthz");
    assert_eq!(event["span"]["method"], "GET");
    assert_eq!(event["span"]["request_id"], request_id.as_str());
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Runs `ssp ARGS` against the database at `url`, with `stdin`; gives
/// (success, stdout, stderr).
fn run(url: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = ssp()
        .args(args)
        .args(["--database-url", url, "--log-level", "warn"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn user_commands() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ssp.db", dir.path().display());

    let (ok, out, err) = run(
        &url,
        &["user", "add", "Bob", "--role", "lock", "--password-stdin"],
        "a long enough password\n",
    );
    assert!(ok, "{err}");
    // Roles given add to Portal Access: bob can sign in.
    assert_eq!(out.trim(), "created bob with roles: lock,portal-access");
    assert!(!err.contains("cannot sign in"), "{err}");
    assert!(
        !out.contains("a long enough password"),
        "a given password is never printed"
    );
    // Unless told otherwise, and then the command says what that means.
    let (ok, out, err) = run(
        &url,
        &[
            "user",
            "add",
            "kiosk",
            "--role",
            "lock",
            "--no-portal-access",
        ],
        "",
    );
    assert!(ok, "{err}");
    assert!(out.contains("created kiosk with roles: lock\n"), "{out}");
    assert!(err.contains("kiosk cannot sign in"), "{err}");

    let (ok, out, _) = run(&url, &["user", "add", "root", "--admin"], "");
    assert!(ok);
    assert!(
        out.contains("created root with roles: portal-access,administrator"),
        "{out}"
    );
    assert!(
        out.contains("password (shown once): "),
        "a generated password is shown once: {out}"
    );

    let (ok, _, err) = run(
        &url,
        &["user", "add", "bob", "--password-stdin"],
        "a long enough password\n",
    );
    assert!(!ok);
    assert!(err.contains("A user named bob already exists."), "{err}");

    let (ok, _, err) = run(&url, &["user", "add", "eve", "--role", "teleport"], "");
    assert!(!ok);
    assert!(err.contains("unknown role \"teleport\""), "{err}");

    let (ok, _, err) = run(&url, &["user", "add", "eve", "--password-stdin"], "short\n");
    assert!(!ok);
    assert!(err.contains("at least 10 characters"), "{err}");

    let (ok, out, err) = run(&url, &["user", "roles", "bob", "--set", "wipe"], "");
    assert!(ok);
    assert_eq!(out.trim(), "bob now has roles: wipe");
    assert!(
        err.contains("bob cannot sign in: without the portal-access role"),
        "{err}"
    );
    let (ok, out, err) = run(
        &url,
        &["user", "roles", "bob", "--set", "wipe,portal-access"],
        "",
    );
    assert!(ok);
    assert_eq!(out.trim(), "bob now has roles: wipe,portal-access");
    assert!(!err.contains("cannot sign in"), "{err}");

    let (ok, _, _) = run(
        &url,
        &["user", "passwd", "bob", "--password-stdin"],
        "another long password\n",
    );
    assert!(ok);
    let (ok, _, err) = run(
        &url,
        &[
            "device",
            "add",
            "--user",
            "bob",
            "--platform",
            "ios",
            "--name",
            "Bob's phone",
        ],
        "",
    );
    assert!(ok, "{err}");
    let (ok, out, _) = run(&url, &["user", "disable", "bob", "--remove-devices"], "");
    assert!(ok);
    assert!(
        out.contains("their devices are removed from the portal"),
        "{out}"
    );
    let (ok, _, err) = run(&url, &["user", "disable", "root"], "");
    assert!(!ok, "the last administrator cannot be disabled");
    assert!(err.contains("last enabled administrator"), "{err}");

    let (_, out, _) = run(&url, &["user", "list"], "");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(
        lines[0].starts_with("bob")
            && lines[0].contains("disabled")
            && lines[0].contains("wipe,portal-access")
    );
    assert!(lines[1].starts_with("kiosk"), "{out}");
    assert!(lines[2].starts_with("root") && lines[2].contains("enabled"));
}

#[test]
fn demo_fills_an_empty_database_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ssp.db", dir.path().display());
    let (ok, out, err) = run(&url, &["demo"], "");
    assert!(ok, "{err}");
    for name in ["admin", "alice", "bob", "carol"] {
        assert!(out.contains(&format!("  {name} ")), "{name} missing: {out}");
    }
    for device in ["Alice's iPhone", "Bob's Lumia", "Alice's old Galaxy"] {
        assert!(out.contains(device), "{device} missing: {out}");
    }
    assert!(out.contains("(Retired)"), "{out}");
    let (ok, _, err) = run(&url, &["demo"], "");
    assert!(!ok);
    assert!(err.contains("already has users"), "{err}");
}

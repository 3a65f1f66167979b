//! `ssp-device`: a device simulator that speaks the SSP device API, so that
//! every flow can be run end to end without a phone.
//!
//! ```text
//! ssp-device --url http://127.0.0.1:3000 --credential TOKEN --once
//! SSP_DEVICE_CREDENTIAL=TOKEN ssp-device --url … --interval 10 --latitude 51.5 --longitude -0.12
//! ```
//!
//! It checks in, carries out what it receives (lock, unlock, locate, wipe,
//! retire, PIN reset), reports each result and says what it did. After a
//! wipe or retire it stops: the device is no longer managed.

use clap::Parser;
use serde::Deserialize;
use serde_json::{Value, json};
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "ssp-device",
    version,
    about = "Simulates an enrolled device against an SSP portal"
)]
struct Args {
    /// The portal's address
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The device's API credential (printed by `ssp device add`)
    #[arg(long, env = "SSP_DEVICE_CREDENTIAL", hide_env_values = true)]
    credential: String,
    /// Check in once and exit
    #[arg(long)]
    once: bool,
    /// Seconds between check-ins (default: what the server asks for)
    #[arg(long)]
    interval: Option<u64>,
    /// Where Locate says the device is
    #[arg(long, default_value_t = 51.5007, allow_hyphen_values = true)]
    latitude: f64,
    #[arg(long, default_value_t = -0.1246, allow_hyphen_values = true)]
    longitude: f64,
    /// OS version to report
    #[arg(long, default_value = "17.5")]
    os_version: String,
}

#[derive(Deserialize)]
struct Checkin {
    commands: Vec<Command>,
    checkin_interval_seconds: u64,
}

#[derive(Deserialize)]
struct Command {
    id: i64,
    action: String,
    #[serde(default)]
    params: Value,
}

enum Next {
    Continue(u64),
    Stop,
}

async fn check_in(client: &reqwest::Client, args: &Args) -> Result<Next, String> {
    let url = format!("{}/api/device/v1/checkin", args.url.trim_end_matches('/'));
    let response = client
        .post(&url)
        .bearer_auth(&args.credential)
        .json(&json!({ "facts": { "os_version": args.os_version } }))
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    if !response.status().is_success() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        return Err(format!("check-in refused ({status}): {body}"));
    }
    let checkin: Checkin = response
        .json()
        .await
        .map_err(|e| format!("unreadable answer: {e}"))?;
    println!("checked in: {} command(s)", checkin.commands.len());
    let mut stop = false;
    for command in checkin.commands {
        let (result, ends) = carry_out(&command, args);
        let url = format!(
            "{}/api/device/v1/commands/{}/result",
            args.url.trim_end_matches('/'),
            command.id
        );
        let response = client
            .post(&url)
            .bearer_auth(&args.credential)
            .json(&result)
            .send()
            .await
            .map_err(|e| format!("cannot report command {}: {e}", command.id))?;
        if !response.status().is_success() {
            let status = response.status();
            return Err(format!(
                "result of command {} refused ({status})",
                command.id
            ));
        }
        stop |= ends;
    }
    Ok(if stop {
        Next::Stop
    } else {
        Next::Continue(checkin.checkin_interval_seconds)
    })
}

/// Does what the command says (as far as a simulator can) and returns the
/// result to report, and whether the device is gone afterwards.
fn carry_out(command: &Command, args: &Args) -> (Value, bool) {
    let text = |key: &str| {
        command
            .params
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    match command.action.as_str() {
        "lock" => {
            match (text("message"), text("phone")) {
                (None, None) => println!("lock: screen locked"),
                (message, phone) => println!(
                    "lock: screen locked in lost mode, showing {:?} and call-back {:?}",
                    message.unwrap_or_default(),
                    phone.unwrap_or_default()
                ),
            }
            (json!({ "outcome": "acknowledged" }), false)
        }
        "unlock" => {
            println!("unlock: passcode cleared");
            (json!({ "outcome": "acknowledged" }), false)
        }
        "locate" => {
            println!("locate: at {}, {}", args.latitude, args.longitude);
            (
                json!({ "outcome": "acknowledged", "location": {
                    "latitude": args.latitude, "longitude": args.longitude, "accuracy_m": 15.0 } }),
                false,
            )
        }
        "reset-pin" => {
            println!("reset-pin: a new PIN was set on the device");
            (json!({ "outcome": "acknowledged" }), false)
        }
        "wipe" => {
            println!("wipe: erasing everything and resetting to factory settings; stopping");
            (json!({ "outcome": "acknowledged" }), true)
        }
        "retire" => {
            println!("retire: removing corporate data and unenrolling; stopping");
            (json!({ "outcome": "acknowledged" }), true)
        }
        other => {
            println!("{other}: not supported by this device");
            (
                json!({ "outcome": "failed", "error": format!("{other} is not supported") }),
                false,
            )
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            eprintln!("ssp-device: {e}");
            return ExitCode::FAILURE;
        }
    };
    loop {
        match check_in(&client, &args).await {
            Ok(Next::Stop) => return ExitCode::SUCCESS,
            Ok(Next::Continue(_)) if args.once => return ExitCode::SUCCESS,
            Ok(Next::Continue(server_interval)) => {
                tokio::time::sleep(Duration::from_secs(
                    args.interval.unwrap_or(server_interval).max(1),
                ))
                .await;
            }
            Err(message) => {
                eprintln!("ssp-device: {message}");
                if args.once {
                    return ExitCode::FAILURE;
                }
                tokio::time::sleep(Duration::from_secs(args.interval.unwrap_or(60).max(1))).await;
            }
        }
    }
}

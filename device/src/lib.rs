//! A device simulator that speaks the SSP device API, so that every flow
//! can be run end to end without a phone: the `ssp-device` binary, and the
//! same code for the portal's integration tests, which run it in-process.
//!
//! It checks in, carries out what it receives (lock, unlock, found, locate, wipe,
//! retire, PIN reset), reports each result and says what it did. After a
//! wipe or retire it stops: the device is no longer managed.

use clap::Parser;
use serde::Deserialize;
use serde_json::Value;
use std::ffi::OsString;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser)]
#[command(
    name = "ssp-device",
    version,
    about = "Simulates an enrolled device against an SSP portal"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Commands>,
    /// The portal's address
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The device's API credential (printed by `ssp device add` or `ssp-device enroll`;
    /// it may start with `-`, as base64url text can)
    #[arg(
        long,
        env = "SSP_DEVICE_CREDENTIAL",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    credential: Option<String>,
    #[command(flatten)]
    run: Run,
}

#[derive(clap::Subcommand)]
enum Commands {
    /// Enroll with the link (or QR code) of a registration, then check in
    Enroll {
        /// The enrollment link, e.g. https://portal.example.com/enroll/…
        #[arg(long)]
        url: String,
        /// The registration PIN
        #[arg(long, env = "SSP_DEVICE_PIN", hide_env_values = true)]
        pin: Option<String>,
        /// Read the owner's portal password from standard input
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        run: Run,
    },
}

/// How the device behaves once enrolled.
#[derive(clap::Args, Clone)]
struct Run {
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
    /// A file that keeps the configuration the device applied between
    /// runs (created if missing), so that changes print as added and
    /// removed; without it, nothing is remembered between runs.
    #[arg(long)]
    state: Option<std::path::PathBuf>,
}

/// Where the simulator says what it did: standard output and error, or
/// lines kept for a caller (the integration tests).
pub enum Console {
    Print,
    Keep { out: Vec<String>, err: Vec<String> },
}

impl Console {
    /// A console that keeps what is said.
    pub fn kept() -> Console {
        Console::Keep {
            out: Vec::new(),
            err: Vec::new(),
        }
    }

    fn say(&mut self, line: impl Into<String>) {
        let line = line.into();
        match self {
            Console::Print => println!("{line}"),
            Console::Keep { out, .. } => out.push(line),
        }
    }

    fn complain(&mut self, line: impl Into<String>) {
        let line = line.into();
        match self {
            Console::Print => eprintln!("ssp-device: {line}"),
            Console::Keep { err, .. } => err.push(line),
        }
    }

    /// What was said on standard output, one line each.
    pub fn output(&self) -> String {
        match self {
            Console::Print => String::new(),
            Console::Keep { out, .. } => out.join("\n"),
        }
    }

    /// What was said on standard error, one line each.
    pub fn errors(&self) -> String {
        match self {
            Console::Print => String::new(),
            Console::Keep { err, .. } => err.join("\n"),
        }
    }
}

/// A portal and the credential this device uses with it.
struct Session {
    portal: String,
    credential: String,
    run: Run,
    /// The version of the certificates applied so far.
    certificates_version: Option<String>,
    /// The configuration applied last.
    applied: Option<Configuration>,
}

#[derive(Deserialize)]
struct Checkin {
    commands: Vec<Command>,
    checkin_interval_seconds: u64,
    #[serde(default)]
    certificates: Option<Certificates>,
    #[serde(default)]
    configuration: Option<Configuration>,
}

/// The device's policies, configurations, apps and books.
#[derive(Clone, Deserialize, serde::Serialize)]
struct Configuration {
    version: String,
    ownership: String,
    labels: Vec<String>,
    items: Vec<ConfigurationItem>,
}

#[derive(Clone, Deserialize, serde::Serialize, PartialEq)]
struct ConfigurationItem {
    id: String,
    kind: String,
    #[serde(rename = "type")]
    item_type: String,
    name: String,
    detail: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    forbids_locate: bool,
}

impl ConfigurationItem {
    fn describe(&self) -> String {
        format!("{} “{}”", self.item_type, self.name)
    }
}

/// The owner's certificates, sent when they changed.
#[derive(Deserialize)]
struct Certificates {
    version: String,
    items: Vec<Certificate>,
}

#[derive(Deserialize)]
struct Certificate {
    setting: String,
    purpose: String,
    alias: String,
    fingerprint: String,
    retired: bool,
    chain: String,
    private_key: Option<String>,
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

async fn check_in(
    client: &reqwest::Client,
    args: &mut Session,
    console: &mut Console,
) -> Result<Next, String> {
    let url = format!("{}/api/device/v1/checkin", args.portal);
    let response = client
        .post(&url)
        .bearer_auth(&args.credential)
        .json(&bodies::checkin(
            &args.run.os_version,
            args.certificates_version.as_deref(),
            args.applied.as_ref().map(|c| c.version.as_str()),
        ))
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
    console.say(format!("checked in: {} command(s)", checkin.commands.len()));
    if let Some(configuration) = checkin.configuration {
        apply_configuration(args.applied.as_ref(), &configuration, console);
        let url = format!("{}/api/device/v1/configuration", args.portal);
        let response = client
            .post(&url)
            .bearer_auth(&args.credential)
            .json(&bodies::configuration_applied(&configuration.version))
            .send()
            .await
            .map_err(|e| format!("cannot report the configuration: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "the configuration report was refused ({})",
                response.status()
            ));
        }
        if let Some(path) = &args.run.state {
            let text = serde_json::to_string_pretty(&configuration).unwrap_or_default();
            std::fs::write(path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        args.applied = Some(configuration);
    }
    if let Some(certificates) = checkin.certificates {
        apply_certificates(&certificates, console);
        args.certificates_version = Some(certificates.version);
    }
    let mut stop = false;
    for command in checkin.commands {
        let (result, ends) = carry_out(&command, &args.run, console);
        let url = format!(
            "{}/api/device/v1/commands/{}/result",
            args.portal, command.id
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

/// Prints what changed against what was applied before.
fn apply_configuration(
    before: Option<&Configuration>,
    after: &Configuration,
    console: &mut Console,
) {
    let had =
        |item: &ConfigurationItem| before.is_some_and(|b| b.items.iter().any(|i| i.id == item.id));
    let added: Vec<&ConfigurationItem> = after.items.iter().filter(|i| !had(i)).collect();
    let removed: Vec<&ConfigurationItem> = before
        .map(|b| {
            b.items
                .iter()
                .filter(|i| !after.items.iter().any(|a| a.id == i.id))
                .collect()
        })
        .unwrap_or_default();
    let changed: Vec<&ConfigurationItem> = after
        .items
        .iter()
        .filter(|i| before.is_some_and(|b| b.items.iter().any(|o| o.id == i.id && o != *i)))
        .collect();
    console.say(format!(
        "configuration (version {}, {}; labels: {}): {} added, {} removed, {} changed, {} in all",
        after.version,
        after.ownership,
        after.labels.join(", "),
        added.len(),
        removed.len(),
        changed.len(),
        after.items.len()
    ));
    for item in added {
        console.say(format!("  added: {}", item.describe()));
    }
    for item in removed {
        console.say(format!("  removed: {}", item.describe()));
    }
    for item in changed {
        console.say(format!("  changed: {}", item.describe()));
    }
}

/// Says which certificates the device now holds (a simulator installs
/// nothing; it never prints a private key).
fn apply_certificates(certificates: &Certificates, console: &mut Console) {
    console.say(format!(
        "certificates (version {}): {} installed",
        certificates.version,
        certificates.items.len()
    ));
    for item in &certificates.items {
        let alias = if item.alias.is_empty() {
            String::new()
        } else {
            format!(" alias \"{}\"", item.alias)
        };
        console.say(format!(
            "  {} ({}){alias}: SHA-256 {}{}{}{}",
            item.setting,
            item.purpose,
            item.fingerprint,
            if item.private_key.is_some() {
                ", with private key"
            } else {
                ""
            },
            match item.chain.matches("-----BEGIN").count() {
                0 => String::new(),
                n => format!(", {n} chain certificate(s)"),
            },
            if item.retired {
                ", kept for old mail"
            } else {
                ""
            },
        ));
    }
}

/// Does what the command says (as far as a simulator can) and returns the
/// result to report, and whether the device is gone afterwards.
fn carry_out(command: &Command, args: &Run, console: &mut Console) -> (Value, bool) {
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
                (None, None) => console.say("lock: screen locked"),
                (message, phone) => console.say(format!(
                    "lock: screen locked in lost mode, showing {:?} and call-back {:?}",
                    message.unwrap_or_default(),
                    phone.unwrap_or_default()
                )),
            }
            (bodies::acknowledged(), false)
        }
        "unlock" => {
            console.say("unlock: passcode cleared");
            (bodies::acknowledged(), false)
        }
        "found" => {
            console.say("found: lost mode ended, the screen stays locked");
            (bodies::acknowledged(), false)
        }
        "locate" => {
            console.say(format!("locate: at {}, {}", args.latitude, args.longitude));
            (bodies::located(args.latitude, args.longitude, 15.0), false)
        }
        "reset-pin" => {
            // As a Windows device does: it makes the new PIN and reports it.
            let pin = new_pin();
            console.say(format!("reset-pin: the device's new PIN is {pin}"));
            (bodies::new_pin(&pin), false)
        }
        "wipe" => {
            console.say("wipe: erasing everything and resetting to factory settings; stopping");
            (bodies::acknowledged(), true)
        }
        "retire" => {
            console.say("retire: removing corporate data and unenrolling; stopping");
            (bodies::acknowledged(), true)
        }
        other => {
            console.say(format!("{other}: not supported by this device"));
            (bodies::failed(&format!("{other} is not supported")), false)
        }
    }
}

/// Six random digits (from the standard library's randomly keyed hasher:
/// enough for a simulator, with no dependency for it).
fn new_pin() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(0);
    format!("{:06}", hasher.finish() % 1_000_000)
}

/// Enrolls with the link's token and the PIN or password; gives the
/// portal's address and the new credential.
async fn enroll(
    client: &reqwest::Client,
    link: &str,
    pin: Option<String>,
    password: Option<String>,
    run: &Run,
    console: &mut Console,
) -> Result<(String, String), String> {
    let Some((portal, token)) = link.trim().split_once("/enroll/") else {
        return Err(format!("{link} is not an enrollment link (…/enroll/TOKEN)"));
    };
    let token = token.trim_end_matches('/');
    let url = format!("{portal}/api/device/v1/enroll");
    let response = client
        .post(&url)
        .json(&bodies::enroll(
            token,
            pin.as_deref(),
            password.as_deref(),
            &run.os_version,
        ))
        .send()
        .await
        .map_err(|e| format!("cannot reach {url}: {e}"))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or_default();
    if !status.is_success() {
        let code = body["error"]["code"].as_str().unwrap_or("unknown");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        return Err(format!("enrollment refused ({status}, {code}): {message}"));
    }
    let credential = body["credential"]
        .as_str()
        .ok_or("the portal's answer has no credential")?
        .to_owned();
    console.say(format!(
        "enrolled as device {}; credential: {credential}",
        body["device_id"]
    ));
    Ok((portal.to_owned(), credential))
}

/// The configuration applied in an earlier run (`--state`), if any.
fn read_state(run: &Run) -> Option<Configuration> {
    let text = std::fs::read_to_string(run.state.as_ref()?).ok()?;
    serde_json::from_str(&text).ok()
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Runs the simulator with command-line `args` (the first is the program's
/// name), saying what it does on `console`; gives the exit code.
pub async fn run<I, T>(args: I, console: &mut Console) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let args = match Args::try_parse_from(args) {
        Ok(args) => args,
        Err(error) => {
            let code = if error.use_stderr() { 2 } else { 0 };
            match console {
                Console::Print => {
                    let _ = error.print();
                }
                Console::Keep { .. } => console.complain(error.to_string()),
            }
            return ExitCode::from(code);
        }
    };
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
    {
        Ok(client) => client,
        Err(e) => {
            console.complain(e.to_string());
            return ExitCode::FAILURE;
        }
    };
    let mut session = match args.command {
        Some(Commands::Enroll {
            url,
            pin,
            password_stdin,
            run,
        }) => {
            let password = match password_stdin.then(read_password).transpose() {
                Ok(password) => password,
                Err(message) => {
                    console.complain(message);
                    return ExitCode::FAILURE;
                }
            };
            match enroll(&client, &url, pin, password, &run, console).await {
                Ok((portal, credential)) => Session {
                    portal,
                    credential,
                    applied: read_state(&run),
                    run,
                    certificates_version: None,
                },
                Err(message) => {
                    console.complain(message);
                    return ExitCode::FAILURE;
                }
            }
        }
        None => match args.credential {
            Some(credential) => Session {
                portal: args.url.trim_end_matches('/').to_owned(),
                credential,
                applied: read_state(&args.run),
                run: args.run,
                certificates_version: None,
            },
            None => {
                console.complain(
                    "give --credential (or SSP_DEVICE_CREDENTIAL), or enroll first: ssp-device enroll --url LINK --pin PIN",
                );
                return ExitCode::from(2);
            }
        },
    };
    keep_checking_in(&client, &mut session, console).await
}

async fn keep_checking_in(
    client: &reqwest::Client,
    args: &mut Session,
    console: &mut Console,
) -> ExitCode {
    loop {
        match check_in(client, args, console).await {
            Ok(Next::Stop) => return ExitCode::SUCCESS,
            Ok(Next::Continue(_)) if args.run.once => return ExitCode::SUCCESS,
            Ok(Next::Continue(server_interval)) => {
                tokio::time::sleep(Duration::from_secs(
                    args.run.interval.unwrap_or(server_interval).max(1),
                ))
                .await;
            }
            Err(message) => {
                console.complain(message);
                if args.run.once {
                    return ExitCode::FAILURE;
                }
                tokio::time::sleep(Duration::from_secs(args.run.interval.unwrap_or(60).max(1)))
                    .await;
            }
        }
    }
}

/// The bodies of the simulator's requests, as it sends them: public so that
/// the server's tests can check them against the API's OpenAPI document.
pub mod bodies {
    use serde_json::{Value, json};

    pub fn checkin(
        os_version: &str,
        certificates_version: Option<&str>,
        configuration_version: Option<&str>,
    ) -> Value {
        json!({
            "facts": { "os_version": os_version },
            "certificates_version": certificates_version,
            "configuration_version": configuration_version,
        })
    }

    pub fn acknowledged() -> Value {
        json!({ "outcome": "acknowledged" })
    }

    pub fn located(latitude: f64, longitude: f64, accuracy_m: f64) -> Value {
        json!({ "outcome": "acknowledged", "location": {
            "latitude": latitude, "longitude": longitude, "accuracy_m": accuracy_m } })
    }

    pub fn new_pin(pin: &str) -> Value {
        json!({ "outcome": "acknowledged", "pin": pin })
    }

    pub fn failed(error: &str) -> Value {
        json!({ "outcome": "failed", "error": error })
    }

    pub fn configuration_applied(version: &str) -> Value {
        json!({ "version": version })
    }

    pub fn enroll(
        token: &str,
        pin: Option<&str>,
        password: Option<&str>,
        os_version: &str,
    ) -> Value {
        json!({
            "token": token,
            "pin": pin,
            "password": password,
            "facts": { "manufacturer": "SSP", "model": "Simulated device", "os_version": os_version },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Args;
    use clap::Parser;

    #[test]
    fn a_credential_may_start_with_a_dash() {
        let args =
            Args::try_parse_from(["ssp-device", "--credential", "-Fq3x_credential", "--once"])
                .map_err(|e| e.to_string());
        assert_eq!(
            args.map(|a| a.credential),
            Ok(Some("-Fq3x_credential".to_owned()))
        );
    }
}

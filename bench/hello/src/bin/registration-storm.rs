//! A registration storm against a running portal: many people register
//! devices at the same moment, through the same form the pages post. Prints
//! how many registrations were accepted and refused, how fast, and how many
//! devices anyone has over the limit (which must be none).
//!
//! ```text
//! registration-storm URL PASSWORD USER_PREFIX USERS PER_USER LIMIT
//! ```
//!
//! Users `PREFIX1`…`PREFIXn` (with PASSWORD and the device-registration
//! role) and an administrator `PREFIX-admin` must exist.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Instant;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// A browser's cookies, enough for the portal's session and form token.
#[derive(Clone, Default)]
struct Browser {
    cookies: BTreeMap<String, String>,
}

impl Browser {
    fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, cookie)) = pair.split_once('=') {
                self.cookies.insert(name.to_owned(), cookie.to_owned());
            }
        }
    }

    async fn sign_in(
        client: &reqwest::Client,
        base: &str,
        name: &str,
        password: &str,
    ) -> Result<Browser, Failure> {
        let mut browser = Browser::default();
        let page = client.get(format!("{base}/sign-in")).send().await?;
        browser.keep(&page);
        let csrf = browser.cookies.get("ssp_csrf").cloned().unwrap_or_default();
        let answer = client
            .post(format!("{base}/api/sign_in"))
            .header("cookie", browser.header())
            .header("accept", "text/html")
            .form(&[
                ("username", name),
                ("password", password),
                ("next", "/"),
                ("csrf_token", &csrf),
            ])
            .send()
            .await?;
        browser.keep(&answer);
        if !browser.cookies.contains_key("ssp_session") {
            return Err(format!("{name} could not sign in ({})", answer.status()).into());
        }
        Ok(browser)
    }

    async fn post(
        &self,
        client: &reqwest::Client,
        url: String,
        form: &[(&str, &str)],
    ) -> Result<u16, Failure> {
        let csrf = self.cookies.get("ssp_csrf").cloned().unwrap_or_default();
        let mut fields = form.to_vec();
        fields.push(("csrf_token", &csrf));
        let response = client
            .post(url)
            .header("cookie", self.header())
            .header("accept", "text/html")
            .form(&fields)
            .send()
            .await?;
        Ok(response.status().as_u16())
    }
}

async fn storm(args: &[String]) -> Result<bool, Failure> {
    let [base, password, prefix, users, per_user, limit] = args else {
        return Err(
            "usage: registration-storm URL PASSWORD USER_PREFIX USERS PER_USER LIMIT".into(),
        );
    };
    let (users, per_user, limit): (usize, usize, u64) =
        (users.parse()?, per_user.parse()?, limit.parse()?);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .build()?;

    let admin = Browser::sign_in(&client, base, &format!("{prefix}-admin"), password).await?;
    let limit_text = limit.to_string();
    let saved = admin
        .post(
            &client,
            format!("{base}/api/admin/save_registration_settings"),
            &[
                ("mode", "pin"),
                ("pin_length", "8"),
                ("pin_validity_hours", "120"),
                ("device_limit", &limit_text),
            ],
        )
        .await?;
    if saved != 302 {
        return Err(format!("cannot set the device limit ({saved})").into());
    }

    let mut browsers = Vec::with_capacity(users);
    for n in 1..=users {
        browsers.push(Browser::sign_in(&client, base, &format!("{prefix}{n}"), password).await?);
    }

    let started = Instant::now();
    let mut tasks = Vec::with_capacity(users * per_user);
    for browser in &browsers {
        for _ in 0..per_user {
            let (client, browser, url) = (
                client.clone(),
                browser.clone(),
                format!("{base}/api/registration/register"),
            );
            tasks.push(tokio::spawn(async move {
                browser
                    .post(
                        &client,
                        url,
                        &[("platform", "ios"), ("phone", ""), ("invitation", "none")],
                    )
                    .await
            }));
        }
    }
    let (mut accepted, mut refused, mut failed) = (0u64, 0u64, 0u64);
    let mut failures: BTreeMap<String, u64> = BTreeMap::new();
    for task in tasks {
        match task.await? {
            Ok(302) => accepted += 1,
            Ok(409) => refused += 1,
            other => {
                failed += 1;
                let what = match other {
                    Ok(status) => format!("HTTP {status}"),
                    Err(error) => error.to_string(),
                };
                *failures.entry(what).or_default() += 1;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();

    // What the portal itself counts for each person afterwards.
    let mut over = 0u64;
    for browser in &browsers {
        let overview: serde_json::Value = client
            .get(format!("{base}/api/registration/overview"))
            .header("cookie", browser.header())
            .header("accept", "application/json")
            .send()
            .await?
            .json()
            .await?;
        let counted = overview["counted"]
            .as_u64()
            .ok_or("no count in the overview")?;
        if overview["limit"].as_u64() != Some(limit) {
            return Err(format!("the device limit was not set: {}", overview["limit"]).into());
        }
        over += counted.saturating_sub(limit);
    }
    let total = accepted + refused + failed;
    println!(
        "    {total} registrations from {users} users (limit {limit}) in {seconds:.2} s: \
         {accepted} accepted, {refused} refused at the limit, {failed} failed"
    );
    println!(
        "    {:.0} registration requests/s, {:.0} accepted/s; devices over the limit: {over}",
        total as f64 / seconds,
        accepted as f64 / seconds
    );
    for (what, count) in &failures {
        println!("    failed: {count} × {what}");
    }
    Ok(over == 0 && failed == 0 && accepted == limit * users as u64)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match storm(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("registration-storm: devices over the limit, or registrations that failed");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("registration-storm: {error}");
            ExitCode::FAILURE
        }
    }
}

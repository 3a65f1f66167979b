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

use bench_hello::{Browser, Failure, storm_people};

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

    let people = storm_people(&client, base, password, prefix, users, limit).await?;
    let browsers: Vec<Browser> = people.into_iter().map(|(_, browser)| browser).collect();

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
        let (counted, set) = browser.registrations(&client, base).await?;
        if set != Some(limit) {
            return Err(format!("the device limit was not set: {set:?}").into());
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

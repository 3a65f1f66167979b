//! Faults against two portal instances behind HAProxy (`scripts/cluster`):
//! a registration storm with e-mail invitations during which one instance
//! is killed (`kill -9`) and started again, then sign-in guesses spread
//! over both, a session used on both, and HAProxy with one instance down.
//! Prints what happened and exits with failure if anything was lost,
//! stored twice, over the limit or unanswered.
//!
//! ```text
//! cluster-faults CLUSTER_DIR MAIL_DIR PASSWORD PREFIX USERS PER_USER LIMIT
//! ```
//!
//! Users `PREFIX1`…`PREFIXn` (e-mail `PREFIXn@example.com`, with the
//! device-registration role), `PREFIX-guess` and an administrator
//! `PREFIX-admin` must exist, all with PASSWORD; the instances send mail
//! to the sink that writes MAIL_DIR (`scripts/mail-sink`). Run from the
//! repository (it calls `scripts/cluster kill|start`).

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bench_hello::{Browser, Failure, storm_people};

/// How a registration request ended, as its sender saw it.
enum Answer {
    /// Stored: the answer leads to the new device's page.
    Accepted(String),
    /// Refused at the device limit.
    AtLimit,
    /// No answer the sender can trust either way (the instance died).
    Unknown(String),
}

struct Cluster {
    dir: String,
    url: String,
}

impl Cluster {
    fn read(dir: &str) -> Result<Cluster, Failure> {
        let url = std::fs::read_to_string(format!("{dir}/url"))?
            .trim()
            .to_owned();
        Ok(Cluster {
            dir: dir.to_owned(),
            url,
        })
    }

    fn instance(&self, name: &str) -> Result<String, Failure> {
        let port = std::fs::read_to_string(format!("{}/{name}.port", self.dir))?;
        Ok(format!("http://127.0.0.1:{}", port.trim()))
    }

    fn run(&self, verb: &str, name: &str) -> Result<(), Failure> {
        let status = std::process::Command::new("scripts/cluster")
            .args([verb, name])
            .env("SSP_CLUSTER_DIR", &self.dir)
            .status()?;
        if !status.success() {
            return Err(format!("scripts/cluster {verb} {name} failed").into());
        }
        Ok(())
    }
}

/// Registers PER_USER devices for every user at once; kills instance `a`
/// once a third of the requests were answered, and starts it again after.
async fn storm(
    client: &reqwest::Client,
    cluster: &Arc<Cluster>,
    browsers: &[(String, Browser)],
    per_user: usize,
) -> Result<BTreeMap<String, Vec<Answer>>, Failure> {
    let total = browsers.len() * per_user;
    let answered = Arc::new(AtomicUsize::new(0));
    let killer = {
        let (answered, cluster) = (answered.clone(), cluster.clone());
        tokio::spawn(async move {
            while answered.load(Ordering::Relaxed) < total / 3 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            tokio::task::spawn_blocking(move || cluster.run("kill", "a")).await
        })
    };
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for (name, browser) in browsers {
        for _ in 0..per_user {
            let (client, browser, name, answered) = (
                client.clone(),
                browser.clone(),
                name.clone(),
                answered.clone(),
            );
            let url = format!("{}/api/registration/register", cluster.url);
            tasks.push(tokio::spawn(async move {
                let form = [("platform", "ios"), ("phone", ""), ("invitation", "email")];
                let answer = match browser.send(&client, url, &form).await {
                    Ok(response) => {
                        let to = response
                            .headers()
                            .get("location")
                            .and_then(|l| l.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        match response.status().as_u16() {
                            302 | 303 if to.ends_with("/enroll") => Answer::Accepted(to),
                            409 => Answer::AtLimit,
                            status => Answer::Unknown(format!("HTTP {status}")),
                        }
                    }
                    Err(error) => Answer::Unknown(error.to_string()),
                };
                answered.fetch_add(1, Ordering::Relaxed);
                (name, answer)
            }));
        }
    }
    let mut answers: BTreeMap<String, Vec<Answer>> = BTreeMap::new();
    for task in tasks {
        let (name, answer) = task.await?;
        answers.entry(name).or_default().push(answer);
    }
    let seconds = started.elapsed().as_secs_f64();
    killer.await???;
    println!(
        "    storm: {total} registrations in {seconds:.2} s; instance a killed (kill -9) after a third"
    );
    cluster.run("start", "a")?;
    Ok(answers)
}

/// The recipient and Message-ID of every mail the sink kept.
fn mails(dir: &str) -> Result<Vec<(String, String)>, Failure> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(found);
    };
    for entry in entries {
        // Only finished mails: the sink writes `NNNN.eml.part`, then renames it.
        let path = entry?.path();
        if path.extension().is_none_or(|ext| ext != "eml") {
            continue;
        }
        let text = std::fs::read_to_string(path)?;
        let header = |name: &str| {
            text.lines()
                .take_while(|line| !line.is_empty())
                .find_map(|line| line.strip_prefix(name))
                .map(|value| value.trim().trim_matches(['<', '>']).to_lowercase())
                .unwrap_or_default()
        };
        found.push((header("To:"), header("Message-ID:")));
    }
    Ok(found)
}

async fn run(args: &[String]) -> Result<bool, Failure> {
    let [dir, mail_dir, password, prefix, users, per_user, limit] = args else {
        return Err(
            "usage: cluster-faults CLUSTER_DIR MAIL_DIR PASSWORD PREFIX USERS PER_USER LIMIT"
                .into(),
        );
    };
    let (users, per_user, limit): (usize, usize, usize) =
        (users.parse()?, per_user.parse()?, limit.parse()?);
    let cluster = Arc::new(Cluster::read(dir)?);
    let base = cluster.url.clone();
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()?;
    let mut ok = true;
    let mut check = |passed: bool, what: String| {
        println!("    {} {what}", if passed { "ok  " } else { "FAIL" });
        ok &= passed;
    };

    let browsers = storm_people(&client, &base, password, prefix, users, limit as u64).await?;

    // 1. The storm, with instance a killed in the middle of it.
    let answers = storm(&client, &cluster, &browsers, per_user).await?;
    let (mut accepted, mut at_limit, mut unknown) = (0, 0, 0);
    let (mut lost, mut extra, mut over, mut stored_total) = (0, 0, 0, 0);
    let mut unknown_why: BTreeMap<String, usize> = BTreeMap::new();
    let mut pages = BTreeSet::new();
    let mut stored_by: BTreeMap<String, usize> = BTreeMap::new();
    for (name, browser) in &browsers {
        let mine = &answers[name];
        let ok_here = mine
            .iter()
            .filter(|a| matches!(a, Answer::Accepted(_)))
            .count();
        let unsure = mine
            .iter()
            .filter(|a| matches!(a, Answer::Unknown(_)))
            .count();
        for answer in mine {
            match answer {
                Answer::Accepted(page) => {
                    accepted += 1;
                    pages.insert(page.clone());
                }
                Answer::AtLimit => at_limit += 1,
                Answer::Unknown(why) => {
                    unknown += 1;
                    *unknown_why.entry(why.clone()).or_default() += 1;
                }
            }
        }
        let stored = usize::try_from(browser.registrations(&client, &base).await?.0)?;
        stored_total += stored;
        stored_by.insert(format!("{name}@example.com").to_lowercase(), stored);
        lost += ok_here.saturating_sub(stored);
        extra += stored.saturating_sub(ok_here + unsure);
        over += stored.saturating_sub(limit);
    }
    println!(
        "    answers: {accepted} accepted, {at_limit} refused at the limit, {unknown} cut off \
         by the kill (stored or not, each at most once); {stored_total} stored"
    );
    for (why, count) in &unknown_why {
        println!("      {count} × {why}");
    }
    check(lost == 0, format!("no accepted registration lost ({lost})"));
    check(
        pages.len() == accepted && extra == 0,
        format!(
            "each stored once: {} distinct pages for {accepted} accepted; {extra} rows beyond what was asked",
            pages.len()
        ),
    );
    check(
        over == 0,
        format!("no one over the limit of {limit} ({over} over)"),
    );

    // 2. Every stored registration's e-mail arrives (at least once), the
    // killed instance's queued ones included.
    let waited = Instant::now();
    let mut delivered = BTreeMap::new();
    let mut copies = 0;
    while waited.elapsed() < Duration::from_secs(180) {
        let all = mails(mail_dir)?;
        copies = all.len();
        delivered = BTreeMap::new();
        for (to, id) in all {
            delivered.entry(to).or_insert_with(BTreeSet::new).insert(id);
        }
        let complete = stored_by
            .iter()
            .all(|(to, n)| delivered.get(to).map_or(0, BTreeSet::len) >= *n);
        if complete {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let distinct: usize = delivered.values().map(BTreeSet::len).sum();
    let short: usize = stored_by
        .iter()
        .map(|(to, n)| n.saturating_sub(delivered.get(to).map_or(0, BTreeSet::len)))
        .sum();
    check(
        short == 0 && distinct == stored_total,
        format!(
            "every invitation delivered: {distinct} distinct of {stored_total} in {:.1} s ({} sent twice, recognisable by their Message-ID)",
            waited.elapsed().as_secs_f64(),
            copies.saturating_sub(distinct)
        ),
    );

    // 3. Guesses at one name, spread over both instances.
    let guesses = 24;
    let mut tasks = Vec::new();
    for n in 0..guesses {
        let (client, base, name) = (client.clone(), base.clone(), format!("{prefix}-guess"));
        tasks.push(tokio::spawn(async move {
            let page = client.get(format!("{base}/sign-in")).send().await?;
            let mut browser = Browser::default();
            browser.keep(&page);
            let wrong = format!("wrong-{n}");
            let answer = browser
                .send(
                    &client,
                    format!("{base}/api/sign_in"),
                    &[("username", &name), ("password", &wrong), ("next", "/")],
                )
                .await?;
            let to = answer
                .headers()
                .get("location")
                .and_then(|l| l.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            Ok::<String, Failure>(to)
        }));
    }
    let mut checked = 0;
    for task in tasks {
        let to = task.await??;
        if to.contains("error=invalid") {
            checked += 1;
        }
    }
    check(
        checked <= 6,
        format!("{guesses} guesses over both instances: {checked} checked (at most 6)"),
    );

    // 4. A session made through HAProxy works on each instance; signed out
    // on one, it is over on the other.
    let (a, b) = (cluster.instance("a")?, cluster.instance("b")?);
    let (name, _) = &browsers[0];
    let person = Browser::sign_in(&client, &base, name, password).await?;
    let on_a = person
        .get(&client, format!("{a}/"))
        .await?
        .status()
        .as_u16();
    let on_b = person
        .get(&client, format!("{b}/"))
        .await?
        .status()
        .as_u16();
    check(
        (on_a, on_b) == (200, 200),
        format!("one session on both instances ({on_a}, {on_b})"),
    );
    person
        .post(&client, format!("{a}/api/sign_out"), &[])
        .await?;
    let after = person.get(&client, format!("{b}/")).await?;
    let to = after
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default();
    check(
        to.starts_with("/sign-in"),
        format!("signed out on a, over on b ({} → {to})", after.status()),
    );

    // 5. HAProxy keeps serving with instance b down.
    cluster.run("kill", "b")?;
    let mut served = 0;
    let tries = 100;
    for _ in 0..tries {
        let answer = client.get(format!("{base}/sign-in")).send().await;
        if answer.is_ok_and(|a| a.status().as_u16() == 200) {
            served += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.run("start", "b")?;
    check(
        served == tries,
        format!("with b down: {served} of {tries} pages served"),
    );
    Ok(ok)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("cluster-faults: some checks failed (see above)");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("cluster-faults: {error}");
            ExitCode::FAILURE
        }
    }
}

//! What the benchmark and fault-test clients share: a browser that signs
//! in to the portal and posts its forms as the pages do.

use std::collections::BTreeMap;

pub type Failure = Box<dyn std::error::Error + Send + Sync>;

/// A browser's cookies, enough for the portal's session and form token.
#[derive(Clone, Default)]
pub struct Browser {
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let Ok(value) = value.to_str() else { continue };
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((name, cookie)) = pair.split_once('=') {
                self.cookies.insert(name.to_owned(), cookie.to_owned());
            }
        }
    }

    pub async fn sign_in(
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

    /// Posts a form as the page does (with its anti-forgery token) and
    /// gives the answer.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        url: String,
        form: &[(&str, &str)],
    ) -> Result<reqwest::Response, Failure> {
        let csrf = self.cookies.get("ssp_csrf").cloned().unwrap_or_default();
        let mut fields = form.to_vec();
        fields.push(("csrf_token", &csrf));
        Ok(client
            .post(url)
            .header("cookie", self.header())
            .header("accept", "text/html")
            .form(&fields)
            .send()
            .await?)
    }

    /// Posts a form; gives the answer's status.
    pub async fn post(
        &self,
        client: &reqwest::Client,
        url: String,
        form: &[(&str, &str)],
    ) -> Result<u16, Failure> {
        Ok(self.send(client, url, form).await?.status().as_u16())
    }

    /// The person's registration overview, as the portal counts their
    /// devices against the limit: `(counted, limit)`.
    pub async fn registrations(
        &self,
        client: &reqwest::Client,
        base: &str,
    ) -> Result<(u64, Option<u64>), Failure> {
        let overview: serde_json::Value = client
            .get(format!("{base}/api/registration/overview"))
            .header("cookie", self.header())
            .header("accept", "application/json")
            .send()
            .await?
            .json()
            .await?;
        let counted = overview["counted"]
            .as_u64()
            .ok_or("no count in the overview")?;
        Ok((counted, overview["limit"].as_u64()))
    }

    /// Loads a page with this browser's cookies; gives the answer.
    pub async fn get(
        &self,
        client: &reqwest::Client,
        url: String,
    ) -> Result<reqwest::Response, Failure> {
        Ok(client
            .get(url)
            .header("cookie", self.header())
            .header("accept", "text/html")
            .send()
            .await?)
    }
}

/// Sets up a registration storm: `PREFIX-admin` sets PIN registration with
/// a device limit of `limit`, then `PREFIX1`…`PREFIXusers` sign in (all
/// with `password`). Gives each person's name and browser.
pub async fn storm_people(
    client: &reqwest::Client,
    base: &str,
    password: &str,
    prefix: &str,
    users: usize,
    limit: u64,
) -> Result<Vec<(String, Browser)>, Failure> {
    let admin = Browser::sign_in(client, base, &format!("{prefix}-admin"), password).await?;
    let limit_text = limit.to_string();
    let saved = admin
        .post(
            client,
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
    let mut people = Vec::with_capacity(users);
    for n in 1..=users {
        let name = format!("{prefix}{n}");
        let browser = Browser::sign_in(client, base, &name, password).await?;
        people.push((name, browser));
    }
    Ok(people)
}

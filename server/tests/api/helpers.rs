//! Starting a test server: a fresh database (a SQLite file in a temporary
//! folder, or a new PostgreSQL database), the real router, port 0.

use app::domain::device::Platform;
use app::domain::role::{Role, RoleSet};
use app::domain::username::Username;
use app::server::accounts::{self, NewUser};
use app::server::audit::RequestOrigin;
use app::server::cache::Caches;
use app::server::devices;
use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use server::{Server, config::Config};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// Which database a test runs against.
#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Defines `mod NAME { sqlite, postgres }`: the test body runs once per
/// backend. Where PostgreSQL is not configured its test says so and passes,
/// except in CI, where it fails.
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                super::$name($crate::helpers::TestDb::create($crate::helpers::Backend::Sqlite).await).await;
            }
            #[tokio::test]
            async fn postgres() {
                if $crate::helpers::postgres_admin_url().is_some() {
                    super::$name($crate::helpers::TestDb::create($crate::helpers::Backend::Postgres).await).await;
                }
            }
        }
    )*};
}
pub(crate) use on_every_backend;

/// The PostgreSQL server to create test databases on, if configured.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("SSP_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "SSP_TEST_POSTGRES_URL must be set in CI: PostgreSQL tests may not be skipped"
            );
            eprintln!("SKIPPED: PostgreSQL test (SSP_TEST_POSTGRES_URL is not set)");
            None
        }
    }
}

/// The test directory (`scripts/ldap start` serves `scripts/ldap-fixture.ldif`), if running.
pub fn ldap_url() -> Option<String> {
    directory_url("SSP_TEST_LDAP_URL")
}

/// The second test directory, a partner company's
/// (`scripts/ldap-fixture-partner.ldif`), if running.
pub fn ldap_partner_url() -> Option<String> {
    directory_url("SSP_TEST_LDAP_PARTNER_URL")
}

fn directory_url(variable: &str) -> Option<String> {
    match std::env::var(variable) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").is_err(),
                "{variable} must be set in CI: directory tests may not be skipped"
            );
            eprintln!("SKIPPED: directory test ({variable} is not set)");
            None
        }
    }
}

/// A database that exists only for one test.
pub struct TestDb {
    pub url: String,
    /// The portal key of every instance started on this database.
    pub secret_key: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}/ssp.db", dir.path().display());
                TestDb {
                    url,
                    secret_key: app::server::secrets::Sealer::generate_key().unwrap(),
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url().unwrap();
                let name = format!("ssp_test_{}", uuid::Uuid::new_v4().simple());
                let admin = Database::connect(&admin_url).await.unwrap();
                admin
                    .execute_unprepared(&format!("CREATE DATABASE {name}"))
                    .await
                    .unwrap();
                admin.close().await.unwrap();
                let url = match admin_url.rsplit_once('/') {
                    Some((server, _database)) => format!("{server}/{name}"),
                    None => panic!("SSP_TEST_POSTGRES_URL has no database part: {admin_url}"),
                };
                TestDb {
                    url,
                    secret_key: app::server::secrets::Sealer::generate_key().unwrap(),
                    _dir: None,
                }
            }
        }
    }
}

/// A running portal and an HTTP client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    /// `http`, or `https` when the server terminates TLS itself.
    pub scheme: &'static str,
    /// The server's own connection pool (shared, not a copy).
    pub db: DatabaseConnection,
    /// What the server keeps in memory of the settings and the catalogue.
    pub caches: Caches,
    /// The server's messenger: what it queues, the server sends.
    pub messenger: app::server::messages::Messenger,
    /// Where `GET /metrics` is served, when `metrics_listen` was set.
    pub metrics: Option<SocketAddr>,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb) -> TestApp {
        TestApp::spawn_with(db, |_| {}).await
    }

    /// Starts a server with the configuration changed by `adjust`.
    pub async fn spawn_with(db: &TestDb, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: db.url.clone(),
            database_pool_size: 4,
            secret_key: db.secret_key.clone(),
            ..Config::default()
        };
        adjust(&mut config);
        let server = Server::bind(&config).await.unwrap();
        let addr = server.local_addr().unwrap();
        let scheme = if server.serves_https() {
            "https"
        } else {
            "http"
        };
        let db = server.database().clone();
        let caches = server.caches().clone();
        let messenger = server.messenger().clone();
        let metrics = server.metrics_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async move {
                    stopped.await.ok();
                })
                .await
                .unwrap();
        });
        // A request that is never answered fails the test (naming the URL)
        // instead of hanging it.
        let client = reqwest::Client::builder()
            // Over the portal's own HTTPS the test CA is not known here:
            // clients that present certificates trust it explicitly.
            .danger_accept_invalid_certs(scheme == "https")
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap();
        TestApp {
            addr,
            scheme,
            db,
            caches,
            messenger,
            metrics,
            client,
            stop: Some(stop),
            task,
        }
    }

    /// After a test changed the settings or the catalogue in the database
    /// itself: the server reads them again now, rather than within the
    /// second it otherwise takes.
    pub async fn settled(&self) {
        self.caches.refresh(&self.db).await.unwrap();
    }

    /// Creates a local user directly through the accounts service.
    pub async fn add_user(&self, name: &str, roles: &[Role], password: &str) {
        let new = NewUser {
            username: Username::parse(name).unwrap(),
            display_name: format!("{name} Example"),
            email: format!("{name}@example.com"),
            phone: None,
            roles: RoleSet::new(roles.iter().copied()),
        };
        accounts::create_local(
            &self.db,
            &RequestOrigin::command_line(),
            None,
            new,
            Some(password.to_owned()),
            Utc::now(),
        )
        .await
        .unwrap();
    }

    /// Enrolls an Active device for `owner`; gives its id and credential.
    pub async fn add_device(&self, owner: &str, platform: Platform, name: &str) -> (i64, String) {
        let owner = accounts::find(&self.db, &Username::parse(owner).unwrap())
            .await
            .unwrap()
            .unwrap();
        let (device, credential) = devices::add_active(
            &self.db,
            &RequestOrigin::command_line(),
            &owner,
            platform,
            name.to_owned(),
            Utc::now(),
        )
        .await
        .unwrap();
        (device.id.0, credential)
    }

    /// The stored status of device `id` (`pending`, `active`, …).
    pub async fn device_status(&self, id: i64) -> String {
        use app::domain::text::TextEnum;
        use sea_orm::EntityTrait;
        app::server::entities::device::Entity::find_by_id(app::domain::ids::DeviceId(id))
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
            .status
            .as_str()
            .to_owned()
    }

    /// Sets how long Wipe and Retire wait before their device may get them
    /// (Admin → Settings; 2 minutes unless set).
    pub async fn set_hold(&self, minutes: u32) {
        app::server::settings::set_action_hold(
            &self.db,
            &RequestOrigin::command_line(),
            &app::server::Admin::command_line(),
            app::domain::device::ActionHold::from_minutes(minutes).unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();
    }

    pub async fn disable(&self, name: &str) {
        accounts::set_disabled(
            &self.db,
            &RequestOrigin::command_line(),
            None,
            &Username::parse(name).unwrap(),
            (true, false),
            Utc::now(),
        )
        .await
        .unwrap();
    }

    /// A browser without cookies yet.
    pub fn browser(&self) -> Browser {
        self.browser_using(self.client.clone())
    }

    /// A browser that connects with `client` (one that presents a client
    /// certificate, say).
    pub fn browser_using(&self, client: reqwest::Client) -> Browser {
        Browser {
            base: self.url(""),
            client,
            cookies: BTreeMap::new(),
        }
    }

    /// A browser signed in as `name`.
    pub async fn signed_in(&self, name: &str, password: &str) -> Browser {
        let mut browser = self.browser();
        let response = browser.sign_in(name, password).await;
        assert_eq!(
            response.headers()["location"],
            "/",
            "sign-in of {name} failed"
        );
        browser
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}://{}{path}", self.scheme, self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// Stops the server and waits until it has closed its database.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            stop.send(()).ok();
        }
        (&mut self.task).await.unwrap();
    }
}

/// Where a redirect leads (empty without one).
pub fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A browser: keeps cookies, sends the anti-forgery token like the pages do.
#[derive(Clone)]
pub struct Browser {
    base: String,
    client: reqwest::Client,
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    /// The same browser (same cookies) talking to another server.
    pub fn moved_to(self, app: &TestApp) -> Browser {
        Browser {
            base: app.url(""),
            ..self
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// Remembers the cookies a response sets (and forgets deleted ones).
    fn keep_cookies(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, cookie) = pair.split_once('=').unwrap();
            if cookie.is_empty() || attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), cookie.to_owned());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> reqwest::Response {
        self.get_accepting(path, "text/html").await
    }

    pub async fn get_accepting(&mut self, path: &str, accept: &str) -> reqwest::Response {
        self.try_get_accepting(path, accept).await.unwrap()
    }

    /// A page, or the error that kept it from coming (a TLS handshake
    /// the server refused, say).
    pub async fn try_get(&mut self, path: &str) -> Result<reqwest::Response, reqwest::Error> {
        self.try_get_accepting(path, "text/html").await
    }

    async fn try_get_accepting(
        &mut self,
        path: &str,
        accept: &str,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", accept)
            .header("cookie", self.cookie_header())
            .send()
            .await?;
        self.keep_cookies(&response);
        Ok(response)
    }

    /// The token the pages put into every form.
    pub fn csrf(&self) -> String {
        // Over HTTPS the portal's cookies carry the `__Host-` prefix.
        ["ssp_csrf", "__Host-ssp_csrf"]
            .iter()
            .find_map(|name| self.cookies.get(*name).cloned())
            .unwrap_or_default()
    }

    /// Posts a form as a page does (token included, HTML accepted).
    pub async fn post_form(&mut self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        if self.csrf().is_empty() {
            self.get("/sign-in").await;
        }
        let mut fields: Vec<(&str, String)> =
            form.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        fields.push(("csrf_token", self.csrf()));
        // As browsers do (over HTTP/2 too, where the host is no header).
        let origin = self.base.clone();
        self.post_raw(
            path,
            &fields,
            &[("accept", "text/html"), ("origin", &origin)],
        )
        .await
    }

    /// Posts exactly these fields and headers (for crafted requests).
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, String)],
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(fields);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.keep_cookies(&response);
        response
    }

    /// Posts a multipart form (as the upload form does, token included
    /// unless `fields` names one), with `file` as the `file` part.
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: Option<(&str, Vec<u8>)>,
        headers: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = reqwest::multipart::Form::new();
        if !fields.iter().any(|(k, _)| *k == "csrf_token") {
            form = form.text("csrf_token", self.csrf());
        }
        for (name, value) in fields {
            form = form.text((*name).to_owned(), (*value).to_owned());
        }
        if let Some((name, bytes)) = file {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
            );
        }
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .multipart(form);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        self.keep_cookies(&response);
        response
    }

    pub async fn sign_in(&mut self, name: &str, password: &str) -> reqwest::Response {
        self.get("/sign-in").await;
        self.post_form(
            "/api/sign_in",
            &[("username", name), ("password", password), ("next", "/")],
        )
        .await
    }
}

/// A mail server that accepts every message and keeps it (the SMTP
/// dialogue of a plain relay: no TLS, no sign-in).
#[derive(Clone, Default)]
pub struct MailSink {
    pub port: u16,
    pub messages: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl MailSink {
    pub async fn start() -> MailSink {
        use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = MailSink {
            port: listener.local_addr().unwrap().port(),
            ..MailSink::default()
        };
        let messages = sink.messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let messages = messages.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 sink ESMTP\r\n").await.ok();
                    let mut data: Option<String> = None;
                    while let Ok(Some(line)) = lines.next_line().await {
                        if let Some(body) = data.as_mut() {
                            if line == "." {
                                messages.lock().unwrap().push(std::mem::take(body));
                                data = None;
                                write.write_all(b"250 queued\r\n").await.ok();
                            } else {
                                body.push_str(line.strip_prefix('.').unwrap_or(&line));
                                body.push('\n');
                            }
                            continue;
                        }
                        let verb = line
                            .split(' ')
                            .next()
                            .unwrap_or_default()
                            .to_ascii_uppercase();
                        let reply: &[u8] = match verb.as_str() {
                            "EHLO" | "HELO" => b"250 sink\r\n",
                            "DATA" => {
                                data = Some(String::new());
                                b"354 go ahead\r\n"
                            }
                            "QUIT" => {
                                write.write_all(b"221 bye\r\n").await.ok();
                                break;
                            }
                            _ => b"250 ok\r\n",
                        };
                        write.write_all(reply).await.ok();
                    }
                });
            }
        });
        sink
    }

    /// Points a server's mail at this sink (plain SMTP).
    pub fn configure(&self, config: &mut Config) {
        config.smtp_host = "127.0.0.1".to_owned();
        config.smtp_port = self.port;
        config.smtp_tls = server::config::SmtpTlsMode::None;
    }

    /// Waits (up to ten seconds) for at least `n` messages.
    pub async fn wait_for(&self, n: usize) -> Vec<String> {
        for _ in 0..100 {
            let messages = self.messages.lock().unwrap().clone();
            if messages.len() >= n {
                return messages;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!(
            "expected {n} message(s), got {:?}",
            self.messages.lock().unwrap()
        );
    }
}

/// An SMS gateway that answers 200 and keeps each request's body and
/// `Authorization` header.
#[derive(Clone, Default)]
pub struct SmsSink {
    pub port: u16,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
}

impl SmsSink {
    pub async fn start() -> SmsSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let sink = SmsSink {
            port: listener.local_addr().unwrap().port(),
            ..SmsSink::default()
        };
        let requests = sink.requests.clone();
        let app = axum::Router::new().route(
            "/send",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let requests = requests.clone();
                async move {
                    let auth = headers
                        .get("authorization")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    requests.lock().unwrap().push((auth, body));
                    "{\"status\":\"queued\"}"
                }
            }),
        );
        tokio::spawn(async move {
            axum::serve(listener, app).await.ok();
        });
        sink
    }

    pub async fn wait_for(&self, n: usize) -> Vec<(String, String)> {
        for _ in 0..100 {
            let requests = self.requests.lock().unwrap().clone();
            if requests.len() >= n {
                return requests;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("expected {n} text message(s)");
    }
}

/// What a run of the device simulator did.
pub struct Simulated {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl TestApp {
    /// Runs the device simulator (`ssp-device`, in this process) once
    /// against this portal with the device's credential and `more` options.
    pub async fn simulate_device(&self, credential: &str, more: &[&str]) -> Simulated {
        let url = format!("http://{}", self.addr);
        let mut args = vec![
            "ssp-device",
            "--url",
            &url,
            "--credential",
            credential,
            "--once",
        ];
        args.extend_from_slice(more);
        let mut console = ssp_device::Console::kept();
        let code = ssp_device::run(args, &mut console).await;
        Simulated {
            success: code == std::process::ExitCode::SUCCESS,
            stdout: console.output(),
            stderr: console.errors(),
        }
    }
}

//! Starting a test server: a fresh database (a SQLite file in a temporary
//! folder, or a new PostgreSQL database), the real router, port 0.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use server::{Server, config::Config};
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

/// A database that exists only for one test.
pub struct TestDb {
    pub url: String,
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
                TestDb { url, _dir: None }
            }
        }
    }
}

/// A running portal and an HTTP client for it.
pub struct TestApp {
    pub addr: SocketAddr,
    /// The server's own connection pool (shared, not a copy).
    pub db: DatabaseConnection,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl TestApp {
    pub async fn spawn(db: &TestDb) -> TestApp {
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            database_url: db.url.clone(),
            database_pool_size: 4,
            ..Config::default()
        };
        let server = Server::bind(&config).await.unwrap();
        let addr = server.local_addr().unwrap();
        let db = server.database().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            server
                .run(async move {
                    stopped.await.ok();
                })
                .await
                .unwrap();
        });
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        TestApp {
            addr,
            db,
            client,
            stop: Some(stop),
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
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

//! What the portal counts, for Prometheus: requests by matched route and
//! status with their latency, sign-ins by outcome, check-ins, commands by
//! kind and the state they reached, registrations, certificate uploads,
//! and at each scrape the outbox and the database pool. Labels are words
//! from a fixed set (routes as declared, never a path as asked for): never
//! a user name, a device id or an address.
//!
//! The counts are the process's own: Prometheus adds up the instances.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use sea_orm::DatabaseConnection;
use std::sync::LazyLock;
use std::sync::atomic::AtomicU64;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SignInLabels {
    method: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CommandLabels {
    kind: &'static str,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: &'static str,
}

/// Every metric of the process, registered once.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    sign_ins: Family<SignInLabels, Counter>,
    check_ins: Counter,
    commands: Family<CommandLabels, Counter>,
    registrations: Family<OutcomeLabels, Counter>,
    uploads: Family<OutcomeLabels, Counter>,
    outbox_waiting: Gauge,
    outbox_oldest: Gauge<f64, AtomicU64>,
    pool: Family<PoolLabels, Gauge>,
}

/// From 1 ms to about 33 s, doubling.
fn latency_buckets() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::with_prefix("ssp");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route and status",
            requests.clone(),
        );
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            latency_buckets as fn() -> Histogram,
        );
        registry.register(
            "http_request_duration_seconds",
            "How long answers took, by method and matched route",
            latency.clone(),
        );
        let sign_ins = Family::<SignInLabels, Counter>::default();
        registry.register(
            "sign_ins",
            "Sign-ins by method (password, certificate) and outcome",
            sign_ins.clone(),
        );
        let check_ins = Counter::default();
        registry.register("device_check_ins", "Device check-ins", check_ins.clone());
        let commands = Family::<CommandLabels, Counter>::default();
        registry.register(
            "device_commands",
            "Device commands by kind and the state they reached",
            commands.clone(),
        );
        let registrations = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "registrations",
            "Device registrations by outcome",
            registrations.clone(),
        );
        let uploads = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "certificate_uploads",
            "Certificate uploads by outcome",
            uploads.clone(),
        );
        let outbox_waiting = Gauge::default();
        registry.register(
            "outbox_waiting_messages",
            "E-mails and text messages waiting to be sent",
            outbox_waiting.clone(),
        );
        let outbox_oldest = Gauge::<f64, AtomicU64>::default();
        registry.register(
            "outbox_oldest_waiting_seconds",
            "How long the oldest waiting message has waited (0: none waits)",
            outbox_oldest.clone(),
        );
        let pool = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "database_connections",
            "This instance's database connections, in use and idle",
            pool.clone(),
        );
        registry.register(
            "build",
            "The running version",
            Info::new(vec![("version", env!("CARGO_PKG_VERSION"))]),
        );
        Metrics {
            registry,
            requests,
            latency,
            sign_ins,
            check_ins,
            commands,
            registrations,
            uploads,
            outbox_waiting,
            outbox_oldest,
            pool,
        }
    }

    /// One answered request: `route` is the route as declared (a
    /// pattern), or `(unmatched)`.
    pub fn request(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method.to_owned(), route.to_owned());
        self.latency
            .get_or_create(&RouteLabels {
                method: method.clone(),
                route: route.clone(),
            })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// A sign-in's outcome: `success` or the refusal's code.
    pub fn sign_in(&self, method: &'static str, outcome: &'static str) {
        self.sign_ins
            .get_or_create(&SignInLabels { method, outcome })
            .inc();
    }

    pub fn check_in(&self) {
        self.check_ins.inc();
    }

    /// `n` commands of `kind` reached `state`.
    pub fn commands(&self, kind: &'static str, state: &'static str, n: u64) {
        self.commands
            .get_or_create(&CommandLabels { kind, state })
            .inc_by(n);
    }

    pub fn registration(&self, outcome: &'static str) {
        self.registrations
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    pub fn upload(&self, outcome: &'static str) {
        self.uploads.get_or_create(&OutcomeLabels { outcome }).inc();
    }

    /// Everything, in Prometheus's text format, with the outbox and the
    /// pool read now.
    #[allow(clippy::disallowed_methods)] // the age of the oldest message, at this scrape
    pub async fn render(&self, db: &DatabaseConnection) -> String {
        match super::messages::waiting(db).await {
            Ok((count, oldest)) => {
                self.outbox_waiting
                    .set(i64::try_from(count).unwrap_or(i64::MAX));
                let age = oldest.map_or(0.0, |at| {
                    (chrono::Utc::now() - at).num_milliseconds().max(0) as f64 / 1000.0
                });
                self.outbox_oldest.set(age);
            }
            Err(error) => tracing::warn!(%error, "cannot read the outbox for the metrics"),
        }
        let (size, idle) = pool_size(db);
        self.pool
            .get_or_create(&PoolLabels { state: "in_use" })
            .set(i64::from(size.saturating_sub(idle)));
        self.pool
            .get_or_create(&PoolLabels { state: "idle" })
            .set(i64::from(idle));
        let mut text = String::new();
        if let Err(error) = encode(&mut text, &self.registry) {
            tracing::warn!(%error, "cannot write the metrics");
        }
        text
    }
}

/// The pool's open connections and how many of them are idle.
fn pool_size(db: &DatabaseConnection) -> (u32, u32) {
    use sea_orm::DatabaseBackend;
    let idle = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    match db.get_database_backend() {
        DatabaseBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), idle(pool.num_idle()))
        }
        DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), idle(pool.num_idle()))
        }
        _ => (0, 0),
    }
}

//! The SSP server: configuration, database, HTTP router, and how they are
//! started together. `main.rs` is the command line around it; the
//! integration tests start the same server on a random port.

pub mod assets;
pub mod certificate_upload;
pub mod config;
pub mod db;
pub mod device_api;
pub mod http;
pub mod openapi;
pub mod pki;
pub mod render;
pub mod security;
pub mod telemetry;
pub mod tls;

use leptos::prelude::LeptosOptions;
use std::{future::Future, net::SocketAddr};
use tokio::net::TcpListener;

use config::Config;
use http::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("invalid configuration: {0}")]
    Config(config::ConfigError),
    #[error(transparent)]
    Database(#[from] db::DbOpenError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server stopped with an error: {0}")]
    Serve(std::io::Error),
    #[error("{0}")]
    Tls(String),
    #[error("secret_key: {0}")]
    Key(app::server::secrets::KeyCheckError),
}

/// The Leptos settings derived from our configuration: where the compiled
/// site lives and under what name cargo-leptos wrote it.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("ssp")
        .site_root(config.site_root.to_string_lossy().as_ref())
        .site_pkg_dir("pkg")
        .site_addr(config.listen)
        .build()
}

/// A portal bound to its address, ready to serve.
pub struct Server {
    listener: TcpListener,
    /// Where `GET /metrics` is served, if anywhere.
    metrics: Option<TcpListener>,
    state: AppState,
    /// HTTPS, when the portal serves it itself.
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
    files: tls::Files,
}

impl Server {
    /// Opens and migrates the database, then binds the listen address
    /// (port 0 picks a free port; see [`Server::local_addr`]).
    pub async fn bind(config: &Config) -> Result<Server, StartError> {
        let sealer = config.sealer().map_err(StartError::Config)?;
        let key_check = sealer.clone();
        let messenger = config
            .messenger(sealer.clone())
            .map_err(StartError::Config)?;
        let directory = app::server::directory::Directory::new(sealer);
        let transport = config.transport().map_err(StartError::Config)?;
        let files = tls::Files {
            tls: transport.tls.clone(),
            client_ca: transport.client_ca.clone(),
            client_crl: transport.client_crl.clone(),
            refuse_stale_crl: transport.refuse_stale_crl,
        };
        let trust = match &transport.client_ca {
            Some(path) => Some(tls::read_trust(path, &files).map_err(StartError::Tls)?),
            None => None,
        };
        let tls = match &transport.tls {
            Some((certificate, key)) => Some(axum_server::tls_rustls::RustlsConfig::from_config(
                tls::server_config(certificate, key, trust.as_ref()).map_err(StartError::Tls)?,
            )),
            None => None,
        };
        let certificate_via = transport.certificate_sources();
        let client_trust = app::server::client_certificates::SharedTrust::new(trust);
        let site_root = config.site_root.clone();
        let site = tokio::task::spawn_blocking(move || assets::SiteFiles::load(&site_root))
            .await
            .unwrap_or_default();
        let db = db::connect(&config.database_url, config.database_pool_size).await?;
        db::migrate(&db).await?;
        #[allow(clippy::disallowed_methods)] // when the key was first used
        let now = chrono::Utc::now();
        app::server::secrets::check_key(&db, &key_check, now)
            .await
            .map_err(StartError::Key)?;
        let caches = app::server::cache::Caches::load(&db)
            .await
            .map_err(|error| StartError::Database(db::DbOpenError::from(error)))?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartError::Listen {
                    addr: config.listen,
                    source,
                })?;
        let metrics = match config.metrics_address().map_err(StartError::Config)? {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartError::Listen { addr, source })?,
            ),
            None => None,
        };
        tracing::info!(backend = db::backend_name(&db), "database ready");
        Ok(Server {
            listener,
            metrics,
            tls,
            files,
            state: AppState::new(http::Shared {
                proxies: http::Proxies {
                    trusted: transport.trusted_proxies.clone(),
                    certificate_header: transport.certificate_header.clone(),
                },
                leptos_options: leptos_options(config),
                site,
                db,
                portal: std::sync::Arc::new(app::server::PortalConfig {
                    // Over HTTPS: said by the public address, or served here.
                    secure_cookies: config.public_url.starts_with("https://")
                        || transport.tls.is_some(),
                    public_url: config.public_url.trim_end_matches('/').to_owned(),
                    messenger,
                    directory,
                    client_trust,
                    certificate_via,
                    caches,
                }),
            }),
        })
    }

    /// The connection pool the server uses.
    pub fn database(&self) -> &sea_orm::DatabaseConnection {
        &self.state.db
    }

    /// What sends e-mail and text messages (through the outbox).
    pub fn messenger(&self) -> &app::server::messages::Messenger {
        &self.state.portal.messenger
    }

    /// What the server keeps in memory of the settings and the catalogue.
    pub fn caches(&self) -> &app::server::cache::Caches {
        &self.state.portal.caches
    }

    pub fn local_addr(&self) -> Result<SocketAddr, std::io::Error> {
        self.listener.local_addr()
    }

    /// Where the metrics are served (port 0 in `metrics_listen` picks one).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().and_then(|l| l.local_addr().ok())
    }

    /// Whether the portal serves HTTPS itself.
    pub fn serves_https(&self) -> bool {
        self.tls.is_some()
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let app = http::router(self.state.clone());
        let cleaner = tokio::spawn(housekeeping(
            self.state.db.clone(),
            self.state.portal.clone(),
        ));
        let sender = tokio::spawn(
            self.state
                .portal
                .messenger
                .clone()
                .deliver_queued(self.state.db.clone()),
        );
        let metrics = self
            .metrics
            .map(|listener| tokio::spawn(serve_metrics(listener, self.state.db.clone())));
        let refresher = tokio::spawn(refresh_caches(
            self.state.db.clone(),
            self.state.portal.caches.clone(),
        ));
        let watcher = tokio::spawn(tls::watch(
            self.files.clone(),
            self.tls.clone(),
            self.state.portal.client_trust.clone(),
        ));
        let service = app.into_make_service_with_connect_info::<SocketAddr>();
        match self.tls {
            None => axum::serve(self.listener, service)
                .with_graceful_shutdown(shutdown)
                .await
                .map_err(StartError::Serve)?,
            Some(tls) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    shutdown.await;
                    stopper.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
                });
                let listener = self.listener.into_std().map_err(StartError::Serve)?;
                axum_server::from_tcp_rustls(listener, tls)
                    .map_err(StartError::Serve)?
                    .handle(handle)
                    .serve(service)
                    .await
                    .map_err(StartError::Serve)?;
            }
        }
        watcher.abort();
        sender.abort();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        refresher.abort();
        cleaner.abort();
        self.state.db.clone().close().await.ok();
        Ok(())
    }
}

/// Serves `GET /metrics` (the OpenMetrics text format Prometheus reads) on
/// its own listener.
async fn serve_metrics(listener: TcpListener, db: sea_orm::DatabaseConnection) {
    use axum::{http::header, response::IntoResponse, routing::get};
    let metrics = axum::Router::new().route(
        "/metrics",
        get(move || {
            let db = db.clone();
            async move {
                let text = app::server::metrics::metrics().render(&db).await;
                (
                    [(
                        header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    text,
                )
                    .into_response()
            }
        }),
    );
    if let Err(error) = axum::serve(listener, metrics).await {
        tracing::warn!(%error, "the metrics listener stopped");
    }
}

/// How soon a change made by another instance (of the settings or the
/// catalogue) is seen here.
pub const CACHE_REFRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// Every second: reads again the settings or the catalogue if another
/// instance changed them.
async fn refresh_caches(db: sea_orm::DatabaseConnection, caches: app::server::cache::Caches) {
    let mut tick = tokio::time::interval(CACHE_REFRESH);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(error) = caches.refresh(&db).await {
            tracing::warn!(%error, "cannot read the settings and the catalogue again");
        }
    }
}

/// Every ten minutes: removes sessions that can no longer be used,
/// expires commands that never reached their device and registrations
/// that were never used, reminds owners of devices not enrolled 48
/// hours after registering, and tells owners of certificates that are
/// about to expire; forgets links to set a password that expired and
/// locations reported over a day ago. The first round comes ten minutes
/// after start, so that a round never races the requests of a portal
/// that has just started (nor the tests that start one).
#[allow(clippy::disallowed_methods)] // a background job: each round reads the clock
async fn housekeeping(
    db: sea_orm::DatabaseConnection,
    portal: std::sync::Arc<app::server::PortalConfig>,
) {
    let every = std::time::Duration::from_secs(600);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tick.tick().await;
        // One instance at a time does a round; the others skip it.
        let turn = match db::JobLock::try_take(&db, db::JobLock::HOUSEKEEPING).await {
            Ok(Some(turn)) => turn,
            Ok(None) => continue,
            Err(error) => {
                tracing::warn!(%error, "cannot take the housekeeping turn");
                continue;
            }
        };
        housekeeping_round(&db, &portal, chrono::Utc::now()).await;
        turn.release().await;
    }
}

/// One round of [`housekeeping`].
async fn housekeeping_round(
    db: &sea_orm::DatabaseConnection,
    portal: &app::server::PortalConfig,
    now: chrono::DateTime<chrono::Utc>,
) {
    let idle = portal.caches.settings().idle_timeout;
    match app::server::auth::delete_stale_sessions(db, idle, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(sessions = n, "removed ended sessions"),
        Err(error) => tracing::warn!(%error, "cannot remove ended sessions"),
    }
    match app::server::devices::expire_stale_commands(db, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            commands = n,
            "expired commands that never reached their device"
        ),
        Err(error) => tracing::warn!(%error, "cannot expire old commands"),
    }
    match app::server::registration::expire_overdue(db, None, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(devices = n, "expired registrations that were never used"),
        Err(error) => tracing::warn!(%error, "cannot expire old registrations"),
    }
    let certificates =
        app::server::certificates::flag_expiring(db, &portal.messenger, &portal.public_url, now);
    match certificates.await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            certificates = n,
            "told owners of certificates about to expire"
        ),
        Err(error) => tracing::warn!(%error, "cannot check certificate expiry"),
    }
    let retention = portal.caches.settings().audit_retention;
    match app::server::audit::prune(db, retention, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(events = n, "removed audit events past their retention"),
        Err(error) => tracing::warn!(%error, "cannot remove old audit events"),
    }
    match app::server::devices::forget_old_locations(db, now).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(devices = n, "forgot locations reported over a day ago"),
        Err(error) => tracing::warn!(%error, "cannot forget old locations"),
    }
    match app::server::messages::forget_ended(db, now).await {
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "cannot remove sent messages from the outbox"),
    }
    match app::server::password_links::forget_expired(db, now).await {
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "cannot remove expired links to set a password"),
    }
    match app::server::certificates::delete_stale_pending(db, now).await {
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "cannot remove unfinished certificate uploads"),
    }
    let reminders =
        app::server::registration::send_reminders(db, &portal.messenger, &portal.public_url, now);
    match reminders.await {
        Ok(0) => {}
        Ok(n) => tracing::info!(owners = n, "reminded owners of devices not enrolled yet"),
        Err(error) => tracing::warn!(%error, "cannot send registration reminders"),
    }
}

//! Server-only code: database rows, the services that enforce the rules,
//! and what a server function needs to know about its request. Compiled
//! with the `ssr` feature only.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod cache;
pub mod catalogue;
pub mod certificate_files;
pub mod certificates;
pub mod client_certificates;
pub mod devices;
pub mod directory;
pub mod directory_settings;
pub mod entities;
pub mod messages;
pub mod metrics;
pub mod password_links;
pub mod passwords;
pub mod pkcs12;
pub mod registration;
pub mod secrets;
pub mod sessions;
pub mod settings;

use crate::domain::ids::UserId;
use leptos::prelude::*;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

use crate::api::types::ApiError;
use crate::domain::access::Action;
use audit::RequestOrigin;
use auth::CurrentUser;

/// A transaction that is going to write, and its turn to do so. On SQLite
/// (one writer at a time per file) writers of this process first queue for
/// their turn here, then take the write lock at `BEGIN`: they wait in line
/// instead of in SQLite's busy handler, which sleeps in steps of up to
/// 100 ms, and a deferred transaction that read first cannot fail when a
/// writer got in between. Elsewhere it is an ordinary transaction. Keep the
/// turn until the transaction ends (`let (_turn, txn) = …`).
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<(WriteTurn, sea_orm::DatabaseTransaction), sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    let turn = write_turn(db).await;
    let txn = db
        .begin_with_options(TransactionOptions {
            sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
            ..TransactionOptions::default()
        })
        .await?;
    Ok((turn, txn))
}

/// The turn to write outside a transaction (one statement), as
/// [`begin_write`] takes it: on SQLite, writers of this process queue here
/// rather than in SQLite's busy handler. Elsewhere there is no line.
pub async fn write_turn(db: &DatabaseConnection) -> WriteTurn {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            let file = pool.connect_options().get_filename().to_owned();
            WriteTurn(Some(writers_of(file).lock_owned().await))
        }
        _ => WriteTurn(None),
    }
}

/// The turn of a writing transaction (see [`begin_write`]).
#[must_use = "the turn ends when it is dropped: keep it until the transaction ends"]
pub struct WriteTurn(#[allow(dead_code)] Option<tokio::sync::OwnedMutexGuard<()>>);

/// The line that writers of one SQLite file queue in.
fn writers_of(file: std::path::PathBuf) -> Arc<tokio::sync::Mutex<()>> {
    static LINES: std::sync::LazyLock<
        std::sync::Mutex<
            std::collections::HashMap<std::path::PathBuf, Arc<tokio::sync::Mutex<()>>>,
        >,
    > = std::sync::LazyLock::new(Default::default);
    let mut lines = match LINES.lock() {
        Ok(lines) => lines,
        Err(poisoned) => poisoned.into_inner(),
    };
    lines.entry(file).or_default().clone()
}

/// Who is asking, from where, with which anti-forgery token and which
/// certificate: made once per request by the HTTP layer, put into the
/// request's extensions, and shared (not copied) by its page or server
/// function.
#[derive(Debug)]
pub struct Caller {
    /// The signed-in user, if any.
    pub user: Option<CurrentUser>,
    /// This browser's anti-forgery token, which every form sends back.
    pub csrf: String,
    pub origin: RequestOrigin,
    /// The certificate the browser presented on this request, if any.
    pub certificate: Option<client_certificates::PresentedCertificate>,
    /// The language the portal answers in: the person's choice (a cookie),
    /// else their browser's.
    pub lang: crate::i18n::Lang,
}

/// Settings of the running server that pages and services need.
#[derive(Clone, Debug)]
pub struct PortalConfig {
    /// Cookies get `Secure` when the portal is served over HTTPS.
    pub secure_cookies: bool,
    /// The address people use to reach the portal, without a trailing `/`.
    pub public_url: String,
    pub messenger: messages::Messenger,
    /// The LDAP directories, with their connections.
    pub directory: directory::Directory,
    /// The CAs that issue sign-in certificates (none: not set up).
    pub client_trust: client_certificates::SharedTrust,
    /// Where certificates come from and the CA bundle's file, in words for
    /// administrators (empty when certificate sign-in is not set up).
    pub certificate_via: String,
    /// The settings and the catalogue, as this instance last read them.
    pub caches: cache::Caches,
}

/// What a server function (or a page) knows about its request: the
/// database, the running configuration, and who is asking (through
/// `Deref`: `ctx.user`, `ctx.origin`, `ctx.csrf`, `ctx.certificate`).
pub struct RequestContext {
    pub db: DatabaseConnection,
    pub config: Arc<PortalConfig>,
    caller: Arc<Caller>,
}

impl std::ops::Deref for RequestContext {
    type Target = Caller;

    fn deref(&self) -> &Caller {
        &self.caller
    }
}

impl RequestContext {
    /// The context of the current request, from the Leptos context that the
    /// HTTP layer provided.
    pub fn current() -> Result<RequestContext, ApiError> {
        let db = use_context::<DatabaseConnection>().ok_or_else(|| fail(ApiError::Unavailable))?;
        let config =
            use_context::<Arc<PortalConfig>>().ok_or_else(|| fail(ApiError::Unavailable))?;
        let caller = use_context::<Arc<Caller>>().ok_or_else(|| fail(ApiError::Unavailable))?;
        Ok(RequestContext { db, config, caller })
    }

    /// The signed-in user, or 401.
    pub fn user(&self) -> Result<&CurrentUser, ApiError> {
        self.user
            .as_ref()
            .ok_or_else(|| fail(ApiError::NotSignedIn))
    }

    /// The signed-in user if they may do `action`, or 401/403.
    pub fn allowed(&self, action: Action) -> Result<&CurrentUser, ApiError> {
        let user = self.user()?;
        user.may(action)
            .map_err(|denied| fail(ApiError::Forbidden(denied.to_string())))?;
        Ok(user)
    }

    /// The signed-in user as an administrator making a change, or 401/403.
    pub fn admin(&self) -> Result<Admin, ApiError> {
        let user = self.allowed(Action::Administer)?;
        Ok(Admin {
            name: user.username().as_str().to_owned(),
            user_id: Some(user.id()),
            session: Some(user.session_hash().to_owned()),
        })
    }
}

/// An administrator making a change, by the name the audit log records.
/// Only the check of the Administrator role ([`RequestContext::admin`]) and
/// the server's own command line ([`Admin::command_line`]) make one, so an
/// administrative service, which takes one, cannot be reached without it.
#[derive(Debug)]
pub struct Admin {
    name: String,
    user_id: Option<UserId>,
    /// The hash of their session (none from the command line).
    session: Option<String>,
}

impl Admin {
    /// Whoever runs `ssp` on the server: they hold its database already.
    pub fn command_line() -> Admin {
        Admin {
            name: "(command line)".to_owned(),
            user_id: None,
            session: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The portal account making the change (none from the command line).
    pub fn user_id(&self) -> Option<UserId> {
        self.user_id
    }

    /// The hash of the session making the change (none from the command line).
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }
}

impl std::ops::Deref for Admin {
    type Target = str;

    fn deref(&self) -> &str {
        &self.name
    }
}

/// Sets the HTTP status that matches `error` on the current response.
pub fn fail(error: ApiError) -> ApiError {
    if let (Some(response), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(error.status()),
    ) {
        response.set_status(status);
    }
    error
}

/// Logs an unexpected failure with its detail and gives the person a
/// message without it.
pub fn internal(error: impl std::fmt::Display) -> ApiError {
    tracing::error!(%error, "request failed");
    fail(ApiError::Unavailable)
}

/// The name a cookie goes by: over HTTPS with the `__Host-` prefix, which
/// browsers accept only from this host, Secure, for the whole site (so no
/// other host of the domain can plant or shadow it).
pub fn cookie_name(name: &str, secure: bool) -> std::borrow::Cow<'_, str> {
    if secure {
        format!("__Host-{name}").into()
    } else {
        name.into()
    }
}

/// A `Set-Cookie` value for one of the portal's cookies (HttpOnly,
/// SameSite=Lax, Path=/, Secure and `__Host-` over HTTPS); `None` deletes
/// the cookie.
pub fn cookie(name: &str, value: Option<&str>, secure: bool) -> String {
    let name = cookie_name(name, secure);
    let mut cookie = match value {
        Some(value) => format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    };
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
}

/// Hands `secret` (a generated password, an enrollment PIN) to the next
/// page that shows it: a cookie that lives ten minutes at most, sealed
/// with the portal's key, so that the browser keeps nothing it can read.
pub fn hand_secret(ctx: &RequestContext, name: &str, secret: &str) -> Result<(), ApiError> {
    let sealed = ctx
        .config
        .directory
        .sealer()
        .seal(name, secret)
        .map_err(internal)?;
    let secure = ctx.config.secure_cookies;
    set_cookie(format!(
        "{}; Max-Age=600",
        cookie(name, Some(&sealed), secure)
    ));
    Ok(())
}

/// The secret handed over in cookie `name` ([`hand_secret`]), if this
/// portal sealed it.
pub fn handed_secret(ctx: &RequestContext, name: &str) -> Option<String> {
    let sealed = request_cookie(name, ctx.config.secure_cookies)?;
    ctx.config.directory.sealer().open(name, &sealed).ok()
}

/// Sets a cookie on the current response.
pub fn set_cookie(value: String) {
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&value),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
    }
}

/// The value of cookie `name` in the current request.
pub fn request_cookie(name: &str, secure: bool) -> Option<String> {
    let name = cookie_name(name, secure);
    let name = name.as_ref();
    with_context::<http::request::Parts, _>(|parts| {
        parts
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| pair.trim().split_once('='))
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_owned())
            .filter(|v| !v.is_empty())
    })
    .flatten()
}

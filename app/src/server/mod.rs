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
pub mod passwords;
pub mod registration;
pub mod secrets;
pub mod settings;

use leptos::prelude::*;
use sea_orm::DatabaseConnection;

use crate::api::types::ApiError;
use crate::domain::access::Action;
use audit::RequestOrigin;
use auth::CurrentUser;

/// A transaction that is going to write. On SQLite it takes the write lock
/// at `BEGIN`, so that it waits (the busy timeout) for another writer; a
/// deferred one that reads first fails at once when a writer got in between.
/// Elsewhere it is an ordinary transaction.
pub async fn begin_write(
    db: &DatabaseConnection,
) -> Result<sea_orm::DatabaseTransaction, sea_orm::DbErr> {
    use sea_orm::{SqliteTransactionMode, TransactionOptions, TransactionTrait};
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

/// Put into each request's extensions by the HTTP layer: who is asking.
#[derive(Clone, Debug)]
pub struct Authenticated(pub Option<CurrentUser>);

/// Put into each request's extensions by the HTTP layer: this browser's
/// anti-forgery token, which every form must send back.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

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

/// What a server function knows about its request.
pub struct RequestContext {
    pub db: DatabaseConnection,
    pub origin: RequestOrigin,
    pub user: Option<CurrentUser>,
    pub csrf: Option<String>,
    pub config: PortalConfig,
    /// The certificate the browser presented on this request, if any.
    pub certificate: Option<client_certificates::PresentedCertificate>,
}

impl RequestContext {
    /// The context of the current request, from the Leptos context that the
    /// HTTP layer provided.
    pub fn current() -> Result<RequestContext, ApiError> {
        let db = use_context::<DatabaseConnection>().ok_or_else(|| fail(ApiError::Unavailable))?;
        let config = use_context::<PortalConfig>().ok_or_else(|| fail(ApiError::Unavailable))?;
        let parts =
            use_context::<http::request::Parts>().ok_or_else(|| fail(ApiError::Unavailable))?;
        let header = |name: http::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let client_addr = parts
            .extensions
            .get::<ClientAddr>()
            .map(|a| a.0.clone())
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(RequestContext {
            db,
            origin: RequestOrigin {
                client_addr,
                user_agent: header(http::header::USER_AGENT),
            },
            user: parts
                .extensions
                .get::<Authenticated>()
                .and_then(|a| a.0.clone()),
            csrf: parts.extensions.get::<CsrfToken>().map(|t| t.0.clone()),
            certificate: parts
                .extensions
                .get::<client_certificates::PresentedCertificate>()
                .cloned(),
            config,
        })
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
}

/// Put into each request's extensions by the HTTP layer: the client's address.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

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

/// A `Set-Cookie` value for one of the portal's cookies (HttpOnly,
/// SameSite=Lax, Path=/, Secure over HTTPS); `None` deletes the cookie.
pub fn cookie(name: &str, value: Option<&str>, secure: bool) -> String {
    let mut cookie = match value {
        Some(value) => format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    };
    if secure {
        cookie.push_str("; Secure");
    }
    cookie
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
pub fn request_cookie(name: &str) -> Option<String> {
    let parts = use_context::<http::request::Parts>()?;
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
}

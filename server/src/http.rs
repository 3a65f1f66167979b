//! The HTTP side of the portal: the Leptos pages and server functions, the
//! operations endpoints, static files, and the layers every request passes
//! through (request id, tracing, compression).

use app::App;
use app::api::types::ApiError;
use app::domain::access::Action;
use app::domain::audit::AuditQuery;
use app::server::{Caller, PortalConfig, audit};
use axum::extract::{Extension, Query};
use axum::{
    Json, Router,
    extract::{FromRef, MatchedPath, State},
    http::{HeaderName, Request, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use leptos::prelude::LeptosOptions;
use leptos_axum::{AxumRouteListing, generate_route_list};
use sea_orm::DatabaseConnection;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::OnceLock;

use crate::security;
use serde_json::json;
use std::time::Duration;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::{CompressionLayer, CompressionLevel},
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    services::ServeFile,
    trace::TraceLayer,
};
use tracing::{Span, field};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What every handler can reach: shared, so that each request (whose
/// handlers and layers each take a copy) copies one pointer.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The server's state behind an [`AppState`].
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub db: DatabaseConnection,
    pub portal: Arc<PortalConfig>,
    pub proxies: Proxies,
    /// The stylesheet, the islands' loader and bundle.
    pub site: crate::assets::SiteFiles,
}

impl AppState {
    /// What pages and server functions reach through context (the caller
    /// comes from the request: see `render::page` and `router`).
    pub fn provide_context(&self) {
        leptos::context::provide_context(self.db.clone());
        leptos::context::provide_context(self.portal.clone());
        leptos::context::provide_context(self.site.assets.clone());
    }
}

impl FromRef<AppState> for crate::assets::SiteFiles {
    fn from_ref(state: &AppState) -> Self {
        state.site.clone()
    }
}

/// The reverse proxies in front of the portal, and what they pass on.
#[derive(Clone, Debug, Default)]
pub struct Proxies {
    pub trusted: Vec<std::net::IpAddr>,
    /// The header with the client certificate they verified.
    pub certificate_header: Option<HeaderName>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The whole portal as one axum router.
pub fn router(state: AppState) -> Router {
    // Server functions and pages run their tasks on this runtime.
    let _ = any_spawner::Executor::init_tokio();
    // Once per process: generating the list renders the app with resource
    // loading suppressed process-wide, which would stall a page being
    // rendered at that moment by another server in the same process (as in
    // the integration tests, which start many).
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| generate_route_list(App));
    let site_root = std::path::PathBuf::from(state.leptos_options.site_root.as_ref());
    let mut router = Router::new()
        .route("/pkg/{*name}", get(crate::assets::serve))
        .route_service(
            "/favicon.svg",
            ServeFile::new(site_root.join("favicon.svg")),
        )
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/admin/audit.csv", get(audit_csv))
        .merge(crate::device_api::routes())
        .merge(crate::certificate_upload::routes());
    // Every page under its own route (the request's span names it), and
    // every server function.
    for listing in routes {
        router = router.route(listing.path(), get(crate::render::page));
    }
    for (path, method) in leptos::server_fn::axum::server_fn_paths() {
        let context = state.clone();
        let handler = move |request: axum::extract::Request| async move {
            let changes = request.method() != axum::http::Method::GET;
            let state = context.clone();
            let response = leptos_axum::handle_server_fns_with_context(
                move || {
                    context.provide_context();
                    let caller =
                        leptos::prelude::with_context::<axum::http::request::Parts, _>(|parts| {
                            parts.extensions.get::<Arc<Caller>>().cloned()
                        });
                    if let Some(caller) = caller.flatten() {
                        leptos::context::provide_context(caller);
                    }
                },
                request,
            )
            .await
            .into_response();
            // What a change did to the settings or the catalogue is seen
            // here at once: the page it leads to shows it.
            if changes && let Err(error) = state.portal.caches.refresh(&state.db).await {
                tracing::warn!(%error, "cannot read the settings and the catalogue again");
            }
            response
        };
        router = router.route(
            path,
            match method {
                axum::http::Method::GET => get(handler),
                _ => axum::routing::post(handler),
            },
        );
    }
    router
        .fallback(crate::render::page)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::layer,
        ))
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds::new()))
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(request_span)
                        .on_request(())
                        .on_response(record_response)
                        .on_failure(()),
                )
                .layer(axum::middleware::from_fn(count_request))
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                // A request that panics (a fault of ours) still gets an
                // answer: a 500 page, not a closed connection.
                .layer(CatchPanicLayer::custom(panic_answer))
                // Pages are compressed as they go out (quickly: brotli's
                // best takes milliseconds per page); the site's files come
                // compressed already.
                .layer(CompressionLayer::new().quality(CompressionLevel::Precise(4))),
        )
        .with_state(state)
}

/// Counts each answered request for the metrics, by its route as declared
/// (a pattern, never the path asked for) and a method from a fixed set.
async fn count_request(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    use axum::http::Method;
    static METHODS: [Method; 7] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
    ];
    let started = std::time::Instant::now();
    let method = METHODS
        .iter()
        .find(|m| *m == request.method())
        .map_or("other", Method::as_str);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str)
        .to_owned();
    let response = next.run(request).await;
    app::server::metrics::metrics().request(
        method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// What a request that panicked gets (the panic itself is logged by the
/// panic hook, with where it happened). The request is gone by then, and
/// with it its language: the page is in English.
fn panic_answer(_: Box<dyn std::any::Any + Send + 'static>) -> axum::response::Response {
    security::refusal(
        true,
        app::i18n::Lang::En,
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        app::i18n::en(
            "Something went wrong on our side. Please try again; if it happens again, contact your IT helpdesk.",
        ),
    )
}

/// Request ids in the form of a UUID: 64 random bits drawn at start and a
/// counter, so unique across instances and restarts without drawing a
/// random number (a system call) for every request.
#[derive(Clone)]
struct RequestIds {
    process: u64,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl RequestIds {
    fn new() -> RequestIds {
        let token = app::server::passwords::random_token();
        let process = token
            .bytes()
            .fold(0u64, |acc, b| acc.rotate_left(5) ^ u64::from(b));
        RequestIds {
            process,
            next: Arc::default(),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _request: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let p = self.process;
        let id = format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            p >> 32,
            (p >> 16) & 0xffff,
            p & 0xffff,
            n >> 48,
            n & 0xffff_ffff_ffff
        );
        axum::http::HeaderValue::from_str(&id)
            .ok()
            .map(RequestId::new)
    }
}

/// One span per request: method, matched route (never the query string,
/// which may carry tokens), request id; status and latency are filled in
/// when the response is ready.
fn request_span<B>(request: &Request<B>) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("(unmatched)", MatchedPath::as_str);
    let request_id = request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        path = loggable_path(request.uri().path()),
        request_id,
        status = field::Empty,
        latency_ms = field::Empty,
    )
}

/// The path as logged: the token of an enrollment link or of a link to set
/// a password is a secret.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/enroll/") {
        "/enroll/…"
    } else if path.starts_with("/set-password/") {
        "/set-password/…"
    } else {
        path
    }
}

fn record_response<B>(response: &Response<B>, latency: Duration, span: &Span) {
    let status = response.status().as_u16();
    let latency_ms = latency.as_secs_f64() * 1000.0;
    span.record("status", status);
    span.record("latency_ms", latency_ms);
    tracing::info!(status, latency_ms, "response");
}

/// The process is up and answering.
async fn healthz() -> impl IntoResponse {
    Json(json!({ "status": "ok" }))
}

/// The portal can serve requests: the database answers.
async fn readyz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "reason": "database unreachable" })),
            )
                .into_response()
        }
    }
}

/// The most rows one CSV export holds.
const CSV_EXPORT_LIMIT: u64 = 100_000;

/// The audit log as CSV, with the same filter as the Audit page.
async fn audit_csv(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let allowed = caller.user.as_ref().map(|u| u.may(Action::Administer));
    match allowed {
        Some(Ok(())) => {}
        Some(Err(denied)) => return (StatusCode::FORBIDDEN, denied.to_string()).into_response(),
        None => {
            return (StatusCode::UNAUTHORIZED, ApiError::NotSignedIn.to_string()).into_response();
        }
    }
    let filter = AuditQuery::from_pairs(|k| query.get(k).cloned()).filter();
    match audit::export(&state.db, &filter, CSV_EXPORT_LIMIT).await {
        Ok(rows) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    "attachment; filename=\"ssp-audit.csv\"",
                ),
            ],
            audit::to_csv(&rows),
        )
            .into_response(),
        Err(error) => {
            tracing::error!(%error, "audit export failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                ApiError::Unavailable.to_string(),
            )
                .into_response()
        }
    }
}

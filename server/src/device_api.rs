//! The device API (`/api/device/v1/`): what an MDM agent on the device
//! talks to. JSON in and out, a per-device Bearer credential (stored only as
//! a hash), a small body limit, and errors as `{"error": {"code", "message"}}`
//! with stable codes. See docs/device-api.md.

// Each handler is where a device's request begins: it reads the clock.
#![allow(clippy::disallowed_methods)]

use app::domain::device::Service;
use app::domain::ids::{CommandId, DeviceId};
use app::domain::registration::Refusal;
use app::server::audit::RequestOrigin;
use app::server::catalogue::{self, ConfigurationDelivery};
use app::server::certificates::{self, Delivery};
use app::server::devices::{self, CommandResult, DeviceCommand, ReportError, ReportedFacts};
use app::server::entities::device;
use app::server::registration::{self, EnrollError, EnrollRequest};
use axum::{
    Extension, Json, Router,
    extract::{
        DefaultBodyLimit, FromRequestParts, Path, State,
        rejection::{JsonRejection, PathRejection},
    },
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
    routing::post,
};
use serde::{Deserialize, Serialize};

use crate::http::AppState;
use crate::security::ClientAddr;

/// Device API bodies are small; anything larger is refused with 413.
pub const MAX_BODY: usize = 16 * 1024;

/// How often a device should check in, in seconds.
pub const CHECKIN_INTERVAL_SECONDS: u64 = 60;

pub const ENROLL: &str = "/api/device/v1/enroll";
pub const CHECKIN: &str = "/api/device/v1/checkin";
pub const RESULT: &str = "/api/device/v1/commands/{id}/result";
pub const CONFIGURATION: &str = "/api/device/v1/configuration";
/// Where the API's OpenAPI document is served.
pub const OPENAPI: &str = "/api/device/v1/openapi.json";
/// Every operation of the API (the OpenAPI document must describe each).
pub const OPERATIONS: &[&str] = &[ENROLL, CHECKIN, RESULT, CONFIGURATION];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(ENROLL, post(enroll))
        .route(CHECKIN, post(checkin))
        .route(RESULT, post(result))
        .route(CONFIGURATION, post(configuration_applied))
        .route(OPENAPI, axum::routing::get(openapi_document))
        .layer(DefaultBodyLimit::max(MAX_BODY))
}

/// The API's OpenAPI 3.1 document, made once from the handlers' types.
async fn openapi_document() -> Response {
    static DOCUMENT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        crate::openapi::document()
            .to_pretty_json()
            .unwrap_or_default()
    });
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// The body of every error answer.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable: what a program acts on (see each operation's answers).
    pub code: String,
    /// For a person or a log, in English; may change.
    pub message: String,
}

/// An error as the device API answers it.
pub struct ApiFailure {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiFailure {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiFailure {
        ApiFailure {
            status,
            code,
            message: message.into(),
        }
    }

    fn unavailable(error: impl std::fmt::Display) -> ApiFailure {
        tracing::error!(%error, "device API request failed");
        ApiFailure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "try again later",
        )
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(ErrorBody {
                error: ErrorDetail {
                    code: self.code.to_owned(),
                    message: self.message,
                },
            }),
        )
            .into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        response
    }
}

fn json_rejection(rejection: JsonRejection) -> ApiFailure {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiFailure::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body may be at most {MAX_BODY} bytes"),
        )
    } else {
        ApiFailure::new(StatusCode::BAD_REQUEST, "malformed", rejection.body_text())
    }
}

/// The request's Bearer credential.
fn bearer(headers: &HeaderMap) -> Result<&str, ApiFailure> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiFailure::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "a Bearer credential is required",
            )
        })
}

fn unknown_credential() -> ApiFailure {
    ApiFailure::new(
        StatusCode::UNAUTHORIZED,
        "unauthorized",
        "unknown or revoked credential",
    )
}

/// The enrolled device behind the request's Bearer credential. A handler
/// that takes it answers 401 to any other caller before it reads the body.
pub(crate) struct Device(device::Model);

impl FromRequestParts<AppState> for Device {
    type Rejection = ApiFailure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiFailure> {
        authenticate_token(state, bearer(&parts.headers)?)
            .await
            .map(Device)
    }
}

/// The enrolled device whose credential is `token`, if the portal still
/// serves it.
async fn authenticate_token(state: &AppState, token: &str) -> Result<device::Model, ApiFailure> {
    match devices::authenticate(&state.db, token).await {
        Ok(Some((device, service))) => served(service).map(|_| device),
        Ok(None) => Err(unknown_credential()),
        Err(error) => Err(ApiFailure::unavailable(error)),
    }
}

/// 403 for a device whose owner may no longer use the portal (and that has
/// no Wipe or Retire on its way).
fn served(service: Service) -> Result<Service, ApiFailure> {
    match service {
        Service::Refused => Err(ApiFailure::new(
            StatusCode::FORBIDDEN,
            "owner_not_allowed",
            "the device's owner may no longer use the portal",
        )),
        service => Ok(service),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckinRequest {
    #[serde(default)]
    pub facts: ReportedFacts,
    /// The version of the certificates the device holds.
    #[serde(default)]
    pub certificates_version: Option<String>,
    /// The version of the configuration the device applied.
    #[serde(default)]
    pub configuration_version: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckinResponse {
    pub device_id: DeviceId,
    pub commands: Vec<DeviceCommand>,
    pub checkin_interval_seconds: u64,
    /// The owner's certificates, when they differ from the version the
    /// device reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificates: Option<Delivery>,
    /// The device's policies, configurations, apps and books, when they
    /// differ from the version the device reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<ConfigurationDelivery>,
}

/// A version as a device reports it: short printable text.
fn valid_version(version: &Option<String>) -> Result<(), ApiFailure> {
    match version {
        Some(v) if v.len() > 64 || v.chars().any(|c| !c.is_ascii_graphic()) => {
            Err(ApiFailure::new(
                StatusCode::BAD_REQUEST,
                "invalid",
                "a version is at most 64 printable characters",
            ))
        }
        _ => Ok(()),
    }
}

/// Reports facts and picks up the queued commands.
#[utoipa::path(
    post,
    path = "/api/device/v1/checkin",
    request_body = CheckinRequest,
    security(("credential" = [])),
    responses(
        (status = 200, description = "The commands, and the certificates and configuration when they changed", body = CheckinResponse),
        (status = 400, description = "`malformed`, `invalid`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`owner_not_allowed`", body = ErrorBody),
        (status = 413, description = "`too_large`", body = ErrorBody),
        (status = 503, description = "`unavailable`", body = ErrorBody),
    )
)]
pub(crate) async fn checkin(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Json<CheckinRequest>, JsonRejection>,
) -> Result<Json<CheckinResponse>, ApiFailure> {
    let token = bearer(&headers)?;
    let request = body.map_err(json_rejection).and_then(|Json(request)| {
        request
            .facts
            .validate()
            .map_err(|m| ApiFailure::new(StatusCode::BAD_REQUEST, "invalid", m))?;
        valid_version(&request.certificates_version)?;
        valid_version(&request.configuration_version)?;
        Ok(request)
    });
    let request = match request {
        Ok(request) => request,
        Err(refused) => {
            // Who asks comes first: an unknown credential hears that, not
            // what is wrong with its body.
            authenticate_token(&state, token).await?;
            return Err(refused);
        }
    };
    let now = chrono::Utc::now();
    // Finding the device and recording its check-in are one statement.
    let device = devices::record_check_in(&state.db, token, &request.facts, now)
        .await
        .map_err(ApiFailure::unavailable)?
        .ok_or_else(unknown_credential)?;
    app::server::metrics::metrics().check_in();
    let device_id = device.id;
    let service = devices::service(&state.db, &device)
        .await
        .map_err(ApiFailure::unavailable)?;
    let service = served(service)?;
    let (commands, catalogue, device) =
        devices::hand_over(&state.db, &state.portal.caches, (device, service), now)
            .await
            .map_err(ApiFailure::unavailable)?;
    if !service.delivers() {
        // A Wipe or Retire is on its way: no more configuration or keys.
        return Ok(Json(CheckinResponse {
            device_id,
            commands,
            checkin_interval_seconds: CHECKIN_INTERVAL_SECONDS,
            certificates: None,
            configuration: None,
        }));
    }
    // The commands are on their way already: a problem with what else the
    // device gets must not hold them up (it is sent at the next check-in).
    let configuration = catalogue::deliver(
        &state.db,
        &catalogue,
        &device,
        request.configuration_version.as_deref(),
        now,
    )
    .await
    .unwrap_or_else(|error| {
        tracing::error!(%error, device = %device_id, "configuration not delivered");
        None
    });
    let certificates = certificates::deliver(
        &state.db,
        state.portal.directory.sealer(),
        &catalogue,
        &device,
        request.certificates_version.as_deref(),
        now,
    )
    .await
    .unwrap_or_else(|error| {
        tracing::error!(%error, device = %device_id, "certificates not delivered");
        None
    });
    Ok(Json(CheckinResponse {
        device_id,
        commands,
        checkin_interval_seconds: CHECKIN_INTERVAL_SECONDS,
        certificates,
        configuration,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConfigurationApplied {
    /// The version the device applied, as it received it.
    pub version: String,
}

/// The device applied its configuration: the device page stops saying
/// "pending" once this is the current version.
#[utoipa::path(
    post,
    path = "/api/device/v1/configuration",
    request_body = ConfigurationApplied,
    security(("credential" = [])),
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "`malformed`, `invalid`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`owner_not_allowed`", body = ErrorBody),
        (status = 413, description = "`too_large`", body = ErrorBody),
        (status = 503, description = "`unavailable`", body = ErrorBody),
    )
)]
pub(crate) async fn configuration_applied(
    State(state): State<AppState>,
    Device(device): Device,
    body: Result<Json<ConfigurationApplied>, JsonRejection>,
) -> Result<StatusCode, ApiFailure> {
    let Json(body) = body.map_err(json_rejection)?;
    if body.version.is_empty() {
        return Err(ApiFailure::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            "the version is empty",
        ));
    }
    valid_version(&Some(body.version.clone()))?;
    let current = state.portal.caches.catalogue().current_version(&device);
    catalogue::record_applied(
        &state.db,
        &device,
        &body.version,
        &current,
        chrono::Utc::now(),
    )
    .await
    .map_err(ApiFailure::unavailable)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reports what became of a command the device picked up.
#[utoipa::path(
    post,
    path = "/api/device/v1/commands/{id}/result",
    params(("id" = i64, Path, description = "The command's id, from the check-in")),
    request_body = CommandResult,
    security(("credential" = [])),
    responses(
        (status = 204, description = "Recorded"),
        (status = 400, description = "`malformed`, `invalid`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 403, description = "`owner_not_allowed`", body = ErrorBody),
        (status = 404, description = "`unknown_command`", body = ErrorBody),
        (status = 409, description = "`not_waiting`", body = ErrorBody),
        (status = 413, description = "`too_large`", body = ErrorBody),
        (status = 503, description = "`unavailable`", body = ErrorBody),
    )
)]
pub(crate) async fn result(
    State(state): State<AppState>,
    Device(device): Device,
    id: Result<Path<CommandId>, PathRejection>,
    body: Result<Json<CommandResult>, JsonRejection>,
) -> Result<StatusCode, ApiFailure> {
    let Path(id) = id.map_err(|_| {
        ApiFailure::new(
            StatusCode::NOT_FOUND,
            "unknown_command",
            "no such command for this device",
        )
    })?;
    let Json(result) = body.map_err(json_rejection)?;
    let now = chrono::Utc::now();
    match devices::report(&state.db, &state.portal, device, id, result, now).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT),
        Err(ReportError::UnknownCommand) => Err(ApiFailure::new(
            StatusCode::NOT_FOUND,
            "unknown_command",
            "no such command for this device",
        )),
        Err(ReportError::NotWaiting) => Err(ApiFailure::new(
            StatusCode::CONFLICT,
            "not_waiting",
            "the command is not waiting for a result",
        )),
        Err(ReportError::Invalid(message)) => {
            Err(ApiFailure::new(StatusCode::BAD_REQUEST, "invalid", message))
        }
        Err(ReportError::Db(error)) => Err(ApiFailure::unavailable(error)),
    }
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequestBody {
    /// The last part of the enrollment link.
    pub token: String,
    #[serde(default)]
    pub pin: Option<String>,
    /// The owner's portal password, when the registration mode asks for it.
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub facts: ReportedFacts,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EnrollResponse {
    pub device_id: DeviceId,
    /// The device's API credential: shown this once, kept only as a hash.
    pub credential: String,
    pub checkin_interval_seconds: u64,
}

/// The status an enrollment refusal is answered with.
pub fn refusal_status(refusal: Refusal) -> StatusCode {
    match refusal {
        Refusal::PinRequired | Refusal::PasswordRequired | Refusal::PinOrPasswordRequired => {
            StatusCode::BAD_REQUEST
        }
        Refusal::WrongPin | Refusal::WrongPassword => StatusCode::UNAUTHORIZED,
        Refusal::PinLocked | Refusal::PasswordLocked => StatusCode::TOO_MANY_REQUESTS,
        Refusal::OwnerDisabled => StatusCode::FORBIDDEN,
        Refusal::DirectoryUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        Refusal::Expired => StatusCode::GONE,
        Refusal::AlreadyUsed => StatusCode::CONFLICT,
        Refusal::Unknown => StatusCode::NOT_FOUND,
    }
}

/// Enrolls a registered device with its link token and PIN or password.
#[utoipa::path(
    post,
    path = "/api/device/v1/enroll",
    request_body = EnrollRequestBody,
    responses(
        (status = 201, description = "Enrolled: the device's credential, shown this once", body = EnrollResponse),
        (status = 400, description = "`malformed`, `invalid`, `pin_required`, `password_required`, `pin_or_password_required`", body = ErrorBody),
        (status = 401, description = "`wrong_pin`, `wrong_password`", body = ErrorBody),
        (status = 403, description = "`owner_disabled`", body = ErrorBody),
        (status = 404, description = "`unknown_registration`", body = ErrorBody),
        (status = 409, description = "`registration_used`", body = ErrorBody),
        (status = 410, description = "`registration_expired`", body = ErrorBody),
        (status = 413, description = "`too_large`", body = ErrorBody),
        (status = 429, description = "`pin_locked`, `password_locked`", body = ErrorBody),
        (status = 503, description = "`unavailable`, `directory_unavailable`", body = ErrorBody),
    )
)]
pub(crate) async fn enroll(
    State(state): State<AppState>,
    Extension(ClientAddr(client_addr)): Extension<ClientAddr>,
    headers: HeaderMap,
    body: Result<Json<EnrollRequestBody>, JsonRejection>,
) -> Result<(StatusCode, Json<EnrollResponse>), ApiFailure> {
    let Json(body) = body.map_err(json_rejection)?;
    body.facts
        .validate()
        .map_err(|m| ApiFailure::new(StatusCode::BAD_REQUEST, "invalid", m))?;
    let origin = RequestOrigin {
        client_addr,
        user_agent: crate::security::user_agent(&headers),
    };
    let request = EnrollRequest {
        token: body.token,
        pin: body.pin,
        password: body.password,
        facts: body.facts,
    };
    match registration::enroll(
        &state.db,
        &state.portal,
        &origin,
        request,
        chrono::Utc::now(),
    )
    .await
    {
        Ok((device_id, credential)) => Ok((
            StatusCode::CREATED,
            Json(EnrollResponse {
                device_id,
                credential,
                checkin_interval_seconds: CHECKIN_INTERVAL_SECONDS,
            }),
        )),
        Err(EnrollError::Refused(refusal)) => Err(ApiFailure::new(
            refusal_status(refusal),
            refusal.code(),
            refusal.to_string(),
        )),
        Err(EnrollError::Db(error)) => Err(ApiFailure::unavailable(error)),
    }
}

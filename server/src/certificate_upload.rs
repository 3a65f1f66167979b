//! `POST /certificates/upload`: the certificate upload, a plain multipart
//! form (so it works without JavaScript). The HTTP layer checks where the
//! request came from and lets the multipart body through; the form's
//! anti-forgery field is checked here once the body is read. A browser is
//! sent back to My certificates with the outcome in the address; a program
//! gets JSON with the matching status. Also `GET /certificates/{id}/download`:
//! the owner's certificate and chain as PEM (never the key).

// The upload route is where the request begins: it reads the clock.
#![allow(clippy::disallowed_methods)]

use app::api::certificates::uploaded_address;
use app::domain::access::Action;
use app::domain::certificates::{MAX_FILE_BYTES, UploadProblem, is_mobile_browser};
use app::i18n::{Lang, en};
use app::server::Caller;
use app::server::certificates::{self, CertificateError, Upload, Uploaded};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, Extension, Multipart, Path, State, multipart::Field},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use serde_json::json;
use std::sync::Arc;

use crate::http::AppState;
use crate::security::{accepts_html, constant_time_eq, refusal};

pub const UPLOAD_PATH: &str = "/certificates/upload";

/// The most of a request body read: enough to answer a file that is too
/// large with a message instead of a dropped connection.
const MAX_BODY: usize = 6 * 1024 * 1024;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(UPLOAD_PATH, post(upload))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .route("/certificates/{id}/download", get(download))
}

#[derive(Default)]
struct Form {
    csrf_token: String,
    setting: Option<i32>,
    password: String,
    /// `None` when no file was chosen.
    file: Option<Vec<u8>>,
    too_large: bool,
}

/// A field's bytes, at most `limit` of them kept; `true` when there were
/// more (the rest is read and dropped).
async fn read_field(
    field: &mut Field<'_>,
    limit: usize,
    into: &mut Vec<u8>,
) -> Result<bool, StatusCode> {
    let mut over = false;
    while let Some(chunk) = field.chunk().await.map_err(|e| e.status())? {
        if into.len() + chunk.len() > limit {
            over = true;
        } else if !over {
            into.extend_from_slice(&chunk);
        }
    }
    if over {
        into.clear();
    }
    Ok(over)
}

/// The form's fields; a failure is the HTTP status it deserves (413 for a
/// body over the limit).
async fn read_form(mut multipart: Multipart) -> Result<Form, StatusCode> {
    let mut form = Form::default();
    while let Some(mut field) = multipart.next_field().await.map_err(|e| e.status())? {
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        match name.as_str() {
            "file" => {
                let chosen = field.file_name().is_some_and(|n| !n.is_empty());
                form.too_large = read_field(&mut field, MAX_FILE_BYTES, &mut bytes).await?;
                form.file = (chosen || !bytes.is_empty()).then_some(bytes);
            }
            "csrf_token" | "setting" | "password" => {
                read_field(&mut field, 1024, &mut bytes).await?;
                let text = String::from_utf8(bytes).unwrap_or_default();
                match name.as_str() {
                    "csrf_token" => form.csrf_token = text,
                    "setting" => form.setting = text.trim().parse().ok(),
                    _ => form.password = text,
                }
            }
            _ => {
                read_field(&mut field, 0, &mut bytes).await?;
            }
        }
    }
    Ok(form)
}

fn problem_response(html: bool, problem: UploadProblem, setting: Option<i32>) -> Response {
    if html {
        let setting = setting.map(|s| format!("&setting={s}")).unwrap_or_default();
        return Redirect::to(&format!(
            "/certificates?error={}{setting}#upload",
            problem.code()
        ))
        .into_response();
    }
    let status = StatusCode::from_u16(problem.status()).unwrap_or(StatusCode::BAD_REQUEST);
    (
        status,
        Json(json!({ "error": {
            "code": problem.code(),
            "field": problem.field().as_str(),
            "message": problem.message(),
        }})),
    )
        .into_response()
}

fn unavailable(html: bool, lang: Lang, error: &CertificateError) -> Response {
    tracing::error!(%error, "certificate upload failed");
    refusal(
        html,
        lang,
        StatusCode::SERVICE_UNAVAILABLE,
        en("The portal cannot do this right now. Try again in a moment."),
    )
}

async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let html = accepts_html(&headers);
    let expected = &caller.csrf;
    let Some(user) = &caller.user else {
        return refusal(
            html,
            caller.lang,
            StatusCode::UNAUTHORIZED,
            en("Please sign in."),
        );
    };
    if let Err(denied) = user.may(Action::UsePortal) {
        return refusal(
            html,
            caller.lang,
            StatusCode::FORBIDDEN,
            &denied.to_string(),
        );
    }
    let Ok(multipart) = multipart else {
        return refusal(
            html,
            caller.lang,
            StatusCode::BAD_REQUEST,
            en("The upload could not be read."),
        );
    };
    let form = match read_form(multipart).await {
        Ok(form) => form,
        Err(StatusCode::PAYLOAD_TOO_LARGE) => {
            return problem_response(html, UploadProblem::TooLarge, None);
        }
        Err(_) => {
            return refusal(
                html,
                caller.lang,
                StatusCode::BAD_REQUEST,
                en("The upload could not be read."),
            );
        }
    };
    let header_token = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|sent| constant_time_eq(sent, expected));
    if !header_token && !constant_time_eq(&form.csrf_token, expected) {
        tracing::warn!("refused an upload without a valid anti-forgery token");
        return refusal(
            html,
            caller.lang,
            StatusCode::FORBIDDEN,
            en(
                "This form has expired or did not come from this portal. Go back, reload the page and try again.",
            ),
        );
    }
    if form.too_large {
        return problem_response(html, UploadProblem::TooLarge, form.setting);
    }
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let uploaded = certificates::upload(
        &state.db,
        state.portal.directory.sealer(),
        &caller.origin,
        (user.id(), user.username().as_str()),
        Upload {
            setting_id: form.setting,
            file: form.file,
            password: form.password,
            mobile: is_mobile_browser(user_agent),
        },
        chrono::Utc::now(),
    )
    .await;
    app::server::metrics::metrics().upload(match &uploaded {
        Ok(Uploaded::Saved { .. }) => "saved",
        Ok(Uploaded::Choose { .. }) => "choose_key",
        Err(CertificateError::Upload(_)) => "refused",
        Err(_) => "error",
    });
    match uploaded {
        Ok(uploaded) if html => Redirect::to(&uploaded_address(&uploaded)).into_response(),
        Ok(Uploaded::Saved {
            id,
            replaced,
            warning,
        }) => (
            StatusCode::CREATED,
            Json(json!({ "id": id, "replaced": replaced, "warning": warning })),
        )
            .into_response(),
        Ok(Uploaded::Choose { pending }) => {
            (StatusCode::OK, Json(json!({ "pending": pending }))).into_response()
        }
        Err(CertificateError::Upload(problem)) => problem_response(html, problem, form.setting),
        Err(error) => unavailable(html, caller.lang, &error),
    }
}

async fn download(
    State(state): State<AppState>,
    Extension(caller): Extension<Arc<Caller>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let html = accepts_html(&headers);
    let Some(user) = &caller.user else {
        return refusal(
            html,
            caller.lang,
            StatusCode::UNAUTHORIZED,
            en("Please sign in."),
        );
    };
    if let Err(denied) = user.may(Action::UsePortal) {
        return refusal(
            html,
            caller.lang,
            StatusCode::FORBIDDEN,
            &denied.to_string(),
        );
    }
    let not_found = || {
        refusal(
            html,
            caller.lang,
            StatusCode::NOT_FOUND,
            en("There is nothing here, or it is not yours to see."),
        )
    };
    let Ok(id) = id.parse::<i32>() else {
        return not_found();
    };
    match certificates::download(&state.db, user.id(), id).await {
        Ok((name, pem)) => (
            [
                (header::CONTENT_TYPE, "application/x-pem-file".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            pem,
        )
            .into_response(),
        Err(CertificateError::NotFound) => not_found(),
        Err(error) => unavailable(html, caller.lang, &error),
    }
}

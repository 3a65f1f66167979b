//! What every request passes through before a page or server function
//! sees it: who is asking (the session cookie), the anti-forgery check on
//! every state-changing request, the sign-in gate, security headers, and
//! plain-words pages for refusals that would otherwise be JSON.

use app::api::types::ApiError;
use app::components::csrf::CSRF_FIELD;
use app::domain::text::TextEnum;
use app::i18n::{LANG_COOKIE, Lang, en};
use app::server::audit::RequestOrigin;
use app::server::client_certificates::{self, PresentedCertificate};
use app::server::{Caller, auth, cookie, cookie_name, passwords};
use axum::{
    body::{Body, Bytes},
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{Html, IntoResponse, Redirect, Response},
};
use std::net::SocketAddr;
use std::sync::Arc;

use crate::http::{AppState, Proxies};

/// The largest form body read for the anti-forgery check; larger ones are
/// refused (uploads get their own routes and limits).
const MAX_FORM_BODY: usize = 64 * 1024;

/// Paths anyone may reach without signing in.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/sign-in"
            | "/api/sign_in"
            | "/api/sign_in_certificate"
            | "/api/sign_in_options"
            | "/api/password_link"
            | "/api/set_password"
            // The language switch at the foot of the sign-in page too.
            | "/api/language"
            | "/healthz" | "/readyz" | "/favicon.svg" | "/favicon.ico"
    ) || path.starts_with("/pkg/")
        // What a device's browser opens from the enrollment QR code.
        || path.starts_with("/enroll/")
        // What a link to set a password opens.
        || path.starts_with("/set-password/")
}

/// Paths with no session, no anti-forgery token and no page around them
/// (the device API authenticates devices with their own credential).
/// The client's address, for requests without a session (the device API):
/// the peer's, or the one a trusted proxy forwarded.
#[derive(Clone, Debug)]
pub struct ClientAddr(pub String);

fn is_bare(path: &str) -> bool {
    matches!(path, "/healthz" | "/readyz")
        || path.starts_with("/pkg/")
        || path.starts_with("/favicon")
        || path.starts_with("/api/device/")
}

fn cookie_value<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The request's User-Agent as the audit log keeps it: 200 characters at
/// most, empty when missing or not text.
pub(crate) fn user_agent(headers: &HeaderMap) -> String {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .chars()
        .take(200)
        .collect()
}

/// The language chosen on the portal (its cookie), else the browser's.
pub(crate) fn language(headers: &HeaderMap) -> Lang {
    cookie_value(headers, LANG_COOKIE)
        .and_then(Lang::parse)
        .unwrap_or_else(|| {
            Lang::from_accept_language(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default(),
            )
        })
}

pub(crate) fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"))
}

#[allow(clippy::disallowed_methods)] // where every request begins: the clock for the session
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let secure = state.portal.secure_cookies;
    let (client_addr, certificate) = identify_client(&state.proxies, &mut request);
    if is_bare(&path) {
        // The device API has no session, but its audit log and its limits
        // need the client's address as a trusted proxy gives it.
        request.extensions_mut().insert(ClientAddr(client_addr));
        return with_security_headers(next.run(request).await, secure);
    }
    let html = accepts_html(request.headers());
    let lang = language(request.headers());

    // This browser's anti-forgery token: the cookie's, or a new one.
    let csrf_cookie = cookie_name(auth::CSRF_COOKIE, secure);
    let existing_csrf = cookie_value(request.headers(), &csrf_cookie).map(str::to_owned);
    let csrf = existing_csrf
        .clone()
        .unwrap_or_else(passwords::random_token);

    // Who is asking.
    let session_cookie = cookie_value(
        request.headers(),
        &cookie_name(auth::SESSION_COOKIE, secure),
    )
    .map(str::to_owned);
    let user = match &session_cookie {
        Some(token) => match auth::resolve(
            &state.db,
            token,
            state.portal.caches.settings().idle_timeout,
            chrono::Utc::now(),
        )
        .await
        {
            Ok(user) => user,
            Err(error) => {
                tracing::error!(%error, "cannot read the session");
                return refusal(
                    html,
                    lang,
                    StatusCode::SERVICE_UNAVAILABLE,
                    &ApiError::Unavailable.to_string(),
                );
            }
        },
        None => None,
    };
    let stale_cookie = session_cookie.is_some() && user.is_none();
    let signed_in = user.is_some();
    let user_agent = user_agent(request.headers());
    request.extensions_mut().insert(Arc::new(Caller {
        user,
        csrf: csrf.clone(),
        origin: RequestOrigin {
            client_addr,
            user_agent,
        },
        certificate,
        lang,
    }));

    // Every state-changing request must come from our own pages.
    let mut request = request;
    if !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        let (checked, reason) = check_forgery(request, existing_csrf.as_deref(), &path).await;
        match checked {
            Ok(restored) => request = restored,
            Err(()) => {
                tracing::warn!(%path, reason, "refused a request without a valid anti-forgery token");
                return with_security_headers(
                    refusal(
                        html,
                        lang,
                        StatusCode::FORBIDDEN,
                        en(
                            "This form has expired or did not come from this portal. Go back, reload the page and try again.",
                        ),
                    ),
                    secure,
                );
            }
        }
    }

    // Everything but the sign-in page needs a session.
    if !signed_in && !is_public(&path) {
        let response = if request.method() == Method::GET && !path.starts_with("/api/") {
            let next_path = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned());
            let query: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("next", &next_path)
                .finish();
            Redirect::to(&format!("/sign-in?{query}")).into_response()
        } else if html {
            Redirect::to("/sign-in").into_response()
        } else {
            refusal(
                false,
                lang,
                StatusCode::UNAUTHORIZED,
                &ApiError::NotSignedIn.to_string(),
            )
        };
        return finish(
            response,
            existing_csrf.is_none(),
            &csrf,
            stale_cookie,
            secure,
        );
    }

    let response = next.run(request).await;
    let response = if path.starts_with("/api/") {
        api_error_response(response, html, lang).await
    } else {
        response
    };
    finish(
        response,
        existing_csrf.is_none(),
        &csrf,
        stale_cookie,
        secure,
    )
}

/// Who is on the other end: the client's address, and the certificate it
/// presented (on the portal's own TLS connection, or in the header of a
/// trusted proxy). A proxy's headers from any other address are ignored,
/// and the certificate header never reaches the pages and server
/// functions.
fn identify_client(
    proxies: &Proxies,
    request: &mut Request,
) -> (String, Option<PresentedCertificate>) {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        // An IPv4 client of a dual-stack listener is `::ffff:a.b.c.d`.
        .map(|ConnectInfo(addr)| addr.ip().to_canonical());
    let from_proxy = peer.is_some_and(|ip| proxies.trusted.contains(&ip));
    let headers = request.headers();
    // The address the nearest trusted proxy saw: the last one it added,
    // on the last line (a proxy may append a line of its own).
    let forwarded = from_proxy
        .then(|| {
            let last_line = headers.get_all("x-forwarded-for").iter().next_back()?;
            last_line.to_str().ok()?.rsplit(',').next()
        })
        .flatten()
        .and_then(|last| last.trim().parse::<std::net::IpAddr>().ok());
    // One certificate header only: a second one may be the client's own.
    let from_header = proxies
        .certificate_header
        .as_ref()
        .filter(|_| from_proxy)
        .and_then(|name| {
            let mut values = headers.get_all(name).iter();
            match (values.next(), values.next()) {
                (Some(only), None) => only.to_str().ok(),
                _ => None,
            }
        })
        .and_then(client_certificates::from_escaped_pem);
    let from_tls = request
        .extensions()
        .get::<std::sync::Arc<axum_server::tls::TlsInfo>>()
        .filter(|tls| !tls.peer_certificates.is_empty())
        .map(|tls| PresentedCertificate(tls.peer_certificates.clone()));
    if let Some(name) = &proxies.certificate_header {
        request.headers_mut().remove(name);
    }
    let client_addr = forwarded
        .or(peer)
        .map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    (client_addr, from_tls.or(from_header))
}

/// Checks the Origin / Sec-Fetch-Site headers and the token (header
/// `x-csrf-token` or form field `csrf_token`; an upload's form field is
/// checked by its handler) against the cookie. Gives the
/// request back (with its body) when it passes.
async fn check_forgery(
    request: Request,
    cookie_token: Option<&str>,
    path: &str,
) -> (Result<Request, ()>, &'static str) {
    let headers = request.headers();
    let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if site.is_some_and(|site| !matches!(site, "same-origin" | "none")) {
        return (Err(()), "cross-site request");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        // HTTP/2 names the host in the request's authority, not a header.
        let authority = request.uri().authority().map(|a| a.as_str());
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .or(authority)
            .unwrap_or_default();
        let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
        if origin == "null" || origin_host != host {
            return (Err(()), "foreign origin");
        }
    }
    let Some(expected) = cookie_token else {
        return (Err(()), "no token cookie");
    };
    if let Some(sent) = headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(sent, expected) {
            (Ok(request), "")
        } else {
            (Err(()), "wrong token")
        };
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // An upload is too large to hold here: its handler checks the token
    // field once it has read the body.
    if path == crate::certificate_upload::UPLOAD_PATH
        && content_type.starts_with("multipart/form-data")
    {
        return (Ok(request), "");
    }
    let is_form = content_type.starts_with("application/x-www-form-urlencoded");
    if !is_form {
        return (Err(()), "no token");
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BODY).await else {
        return (Err(()), "form too large");
    };
    let sent = form_urlencoded::parse(&bytes)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    match sent {
        Some(sent) if constant_time_eq(&sent, expected) => {
            (Ok(Request::from_parts(parts, Body::from(bytes))), "")
        }
        Some(_) => (Err(()), "wrong token"),
        None => (Err(()), "no token"),
    }
}

pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn sets_cookie(response: &Response, name: &str, secure: bool) -> bool {
    let prefix = format!("{}=", cookie_name(name, secure));
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|v| v.starts_with(&prefix)))
}

/// Adds the cookies this layer owes the browser, then the security headers.
fn finish(
    mut response: Response,
    new_csrf: bool,
    csrf: &str,
    stale_session: bool,
    secure: bool,
) -> Response {
    let mut cookies = Vec::new();
    // A server function that rotated the token or opened a session has
    // set its own cookie; never overwrite it.
    if new_csrf && !sets_cookie(&response, auth::CSRF_COOKIE, secure) {
        cookies.push(cookie(auth::CSRF_COOKIE, Some(csrf), secure));
    }
    if stale_session && !sets_cookie(&response, auth::SESSION_COOKIE, secure) {
        cookies.push(cookie(auth::SESSION_COOKIE, None, secure));
    }
    for value in cookies {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    // Pages and answers are per user: never from a shared or back-button cache.
    if !response.headers().contains_key(header::CACHE_CONTROL) {
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    with_security_headers(response, secure)
}

/// Headers on every response. Pages set their own Content-Security-Policy
/// (the shell's: their own scripts and styles, no inline script);
/// everything else gets a policy that allows nothing.
/// The headers every answer carries; over HTTPS, also Strict-Transport-Security
/// (a year: browsers then never try the portal over plain HTTP).
fn with_security_headers(mut response: Response, secure: bool) -> Response {
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        if !headers.contains_key(name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    };
    set(
        "content-security-policy",
        "default-src 'none'; frame-ancestors 'none'",
    );
    set("x-content-type-options", "nosniff");
    set("referrer-policy", "same-origin");
    set("x-frame-options", "DENY");
    if secure {
        set("strict-transport-security", "max-age=31536000");
    }
    response
}

/// A refusal: a small page for a browser, in its language (`message` is
/// English, marked for the catalogue where it is written), JSON in
/// English for a program.
pub(crate) fn refusal(html: bool, lang: Lang, status: StatusCode, message: &str) -> Response {
    if html {
        (status, Html(message_page(lang, status, message))).into_response()
    } else {
        (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
    }
}

/// A server function's refusal gets the status its `ApiError` names (the
/// framework answers 500 for arguments it cannot read), and a browser that
/// posted a form sees the reason on a page, not JSON.
async fn api_error_response(response: Response, html: bool, lang: Lang) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes: Bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    let error = serde_json::from_slice::<ApiError>(&bytes).ok();
    let status = error
        .as_ref()
        .and_then(|e| StatusCode::from_u16(e.status()).ok())
        .unwrap_or(status);
    if html {
        let message = error.unwrap_or(ApiError::Unavailable).to_string();
        return (status, Html(message_page(lang, status, &message))).into_response();
    }
    parts.status = status;
    Response::from_parts(parts, Body::from(bytes))
}

/// The page of a refusal, in `lang`; `message` is English, translated
/// here.
fn message_page(lang: Lang, status: StatusCode, message: &str) -> String {
    let title = match status {
        StatusCode::UNAUTHORIZED => lang.tr("Please sign in"),
        StatusCode::FORBIDDEN => lang.tr("Not allowed"),
        StatusCode::NOT_FOUND => lang.tr("Not found"),
        StatusCode::BAD_REQUEST => lang.tr("Please check your input"),
        StatusCode::CONFLICT => lang.tr("Not possible now"),
        _ => lang.tr("Please try again"),
    };
    format!(
        "<!DOCTYPE html><html lang=\"{code}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title} · SSP</title>\
         <link rel=\"stylesheet\" href=\"/pkg/ssp.css\"></head><body><main id=\"main\">\
         <section class=\"card notice error\" role=\"alert\"><h1>{title}</h1><p>{}</p>\
         <p><a href=\"/\">{back}</a></p></section></main></body></html>",
        escape(&lang.tr_text(message)),
        code = lang.as_str(),
        title = escape(title),
        back = escape(lang.tr("Back to My devices")),
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths() {
        for path in ["/sign-in", "/api/sign_in", "/healthz", "/pkg/ssp.wasm"] {
            assert!(is_public(path), "{path}");
        }
        for path in ["/", "/admin", "/api/sign_out", "/sign-in/x", "/pkgs"] {
            assert!(!is_public(path), "{path}");
        }
    }

    #[test]
    fn cookies_are_found_by_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("x_ssp_csrf=1; ssp_csrf=abc; ssp_session="),
        );
        assert_eq!(cookie_value(&headers, "ssp_csrf"), Some("abc"));
        assert_eq!(cookie_value(&headers, "ssp_session"), None);
    }

    #[test]
    fn token_comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "abcd"));
    }

    #[test]
    fn messages_are_escaped() {
        assert!(
            message_page(Lang::En, StatusCode::FORBIDDEN, "<script>").contains("&lt;script&gt;")
        );
    }
}

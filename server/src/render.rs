//! Pages: the application rendered on the server for one request, with all
//! of its data loaded, as one HTML document. Nothing is hydrated and no
//! data is serialised into the page: the browser gets HTML, the stylesheet
//! and, on pages that hold islands, the script that loads them. The page
//! carries no inline script, so its Content-Security-Policy allows none.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures::StreamExt;
use hydration_context::SsrSharedContext;
use leptos::prelude::*;
use leptos::reactive::owner::Sandboxed;
use leptos_axum::ResponseOptions;
use leptos_meta::ServerMetaContext;
use leptos_router::location::RequestUrl;
use std::sync::Arc;

use crate::http::AppState;

/// `GET` on any page.
pub async fn page(State(state): State<AppState>, request: Request) -> Response {
    let (parts, _body) = request.into_parts();
    let caller = parts.extensions.get::<Arc<app::server::Caller>>().cloned();
    let url = format!(
        "http://portal{}",
        parts.uri.path_and_query().map_or("/", |p| p.as_str())
    );
    let response = ResponseOptions::default();
    let (meta, meta_output) = ServerMetaContext::new();
    let owner = Owner::new_root(Some(Arc::new(SsrSharedContext::new_islands())));
    let html = Sandboxed::new({
        let owner = owner.clone();
        let response = response.clone();
        async move {
            let stream = owner.with(|| {
                provide_context(RequestUrl::new(&url));
                provide_context(meta);
                provide_context(parts);
                if let Some(caller) = caller {
                    provide_context(caller);
                }
                provide_context(response);
                leptos_router::components::provide_server_redirect(leptos_axum::redirect);
                state.provide_context();
                app::shell(state.leptos_options.clone()).to_html_stream_in_order()
            });
            let body: String = stream.collect().await;
            meta_output
                .inject_meta_context(futures::stream::iter([body]))
                .await
                .collect::<String>()
                .await
        }
    })
    .await;
    owner.unset_with_forced_cleanup();

    let options = response.0.read().map(|r| (r.status, r.headers.clone()));
    let (status, headers) = options.unwrap_or_default();
    let mut response = (status.unwrap_or(StatusCode::OK), Body::from(html)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    response.headers_mut().extend(headers);
    response
}

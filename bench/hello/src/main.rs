//! Baseline for `bench/run`: the smallest axum server, answering `GET /` with
//! a short HTML page. Not part of the product.
//!
//! Run: `bench-hello 127.0.0.1:3900`

use axum::{Router, response::Html, routing::get};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3900".to_owned());
    let app = Router::new().route("/", get(|| async { Html("<!DOCTYPE html><p>hello</p>") }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    axum::serve(listener, app).await
}

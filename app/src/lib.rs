//! The SSP portal: the application shell, its routes, its pages, and what
//! the server and the browser share (server functions, the domain rules
//! and the islands).
//!
//! Built twice: with `ssr` into the server binary, which renders every page
//! to HTML, and with `hydrate` into the WASM bundle, which holds only the
//! islands (`islands`) and what they use: the pages never reach the browser.

pub mod api;
#[cfg(feature = "ssr")]
pub mod components;
pub mod domain;
pub mod i18n;
pub mod islands;
#[cfg(feature = "ssr")]
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "ssr")]
pub use shell::{App, shell};

#[cfg(feature = "ssr")]
mod shell;

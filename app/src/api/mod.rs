//! Server functions: thin adapters between the pages and the server-side
//! services. Each one has a stable URL under `/api/`.

pub mod admin;
pub mod phone;
pub mod session;
pub mod types;

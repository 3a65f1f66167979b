//! Server functions: thin adapters between the pages and the server-side
//! services. Each one has a stable URL under `/api/`. Those that only read
//! are GET requests; those that change something are POSTed forms, which
//! the HTTP layer checks for the anti-forgery token.

pub mod admin;
pub mod devices;
pub mod directory;
pub mod registration;
pub mod session;
pub mod types;

//! Pure rules of the portal, compiled for the server and for the browser.
//!
//! Nothing in here does I/O or reads the clock: time and randomness are
//! passed in, so the same code gives the browser instant hints and the
//! server its final word, and tests are exact.

pub mod access;
pub mod account;
pub mod audit;
pub mod catalogue;
pub mod certificate_sign_in;
pub mod certificates;
pub mod device;
pub mod directory;
pub mod form;
pub mod ids;
pub mod outbox;
pub mod phone;
pub mod registration;
pub mod role;
pub mod signin;
pub mod text;
pub mod username;

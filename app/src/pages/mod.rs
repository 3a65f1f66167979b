//! One module per page.

pub mod account;
pub mod admin;
pub mod certificates;
pub mod device;
pub mod devices;
pub mod not_found;
pub mod ownership;
pub mod registration;
pub mod set_password;
pub mod sign_in;

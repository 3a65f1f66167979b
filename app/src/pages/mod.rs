//! One module per page.

pub mod devices;
pub mod not_found;

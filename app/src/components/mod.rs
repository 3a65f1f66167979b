//! Reusable pieces of the pages.

pub mod csrf;
pub mod field;
pub mod form;
pub mod layout;
pub mod status;
pub mod table;

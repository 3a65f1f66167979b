//! Reusable pieces of the pages.

pub mod layout;

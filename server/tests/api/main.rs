//! Integration tests: the real server on a random port, against a fresh
//! database per test, once on SQLite and once on PostgreSQL.
//!
//! PostgreSQL tests need `SSP_TEST_POSTGRES_URL`, a URL of a server where the
//! tests may create and drop databases (the README's test command sets it).
//! Directory tests need `SSP_TEST_LDAP_URL`, the test directory that
//! `scripts/ldap start` runs (the test command starts and stops it).

// A test that cannot go on says so loudly.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Tests set the scene with times of their own.
#![allow(clippy::disallowed_methods)]

mod account;
mod auth;
mod caches;
mod certificate_sign_in;
mod certificates;
mod cli;
mod devices;
mod directory;
mod fuzz;
mod helpers;
mod instances;
mod languages;
mod openapi;
mod ops;
mod ownership;
mod pages;
mod registration;

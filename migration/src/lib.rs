//! The database schema, as an ordered list of migrations. They run at every
//! start of `ssp serve` and with `ssp migrate`, on SQLite and PostgreSQL alike;
//! each later feature adds its tables here as a new migration.

pub use sea_orm_migration::prelude::*;

mod m20261124_000001_accounts;
mod m20261124_000002_devices;
mod m20261124_000003_registrations;
mod m20261124_000004_directory;
mod m20261124_000005_certificates;
mod m20261124_000006_catalogue;
mod m20261206_000007_cache_versions;
mod m20261206_000008_session_proof;
mod m20261206_000009_password_links;
mod m20261206_000010_proof_and_hold;
mod m20261206_000011_outbox;
mod m20261206_000012_user_language;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_accounts::Migration),
            Box::new(m20261124_000002_devices::Migration),
            Box::new(m20261124_000003_registrations::Migration),
            Box::new(m20261124_000004_directory::Migration),
            Box::new(m20261124_000005_certificates::Migration),
            Box::new(m20261124_000006_catalogue::Migration),
            Box::new(m20261206_000007_cache_versions::Migration),
            Box::new(m20261206_000008_session_proof::Migration),
            Box::new(m20261206_000009_password_links::Migration),
            Box::new(m20261206_000010_proof_and_hold::Migration),
            Box::new(m20261206_000011_outbox::Migration),
            Box::new(m20261206_000012_user_language::Migration),
        ]
    }
}

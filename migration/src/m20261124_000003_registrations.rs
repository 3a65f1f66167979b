//! Registrations: the enrollment link and PIN of a Pending device, and how
//! its invitations were delivered. Secrets are stored only as hashes.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Registrations {
    Table,
    DeviceId,
    TokenHash,
    PinHash,
    Mode,
    ExpiresAt,
    PinFailed,
    PinLockedUntil,
    Invitation,
    EmailDelivery,
    SmsDelivery,
    UsedAt,
    RemindedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Registrations::Table)
                    .col(big_integer(Registrations::DeviceId).primary_key())
                    .col(string_len(Registrations::TokenHash, 64).unique_key())
                    .col(text_null(Registrations::PinHash))
                    .col(string_len(Registrations::Mode, 24))
                    .col(timestamp_with_time_zone(Registrations::ExpiresAt))
                    .col(integer(Registrations::PinFailed).default(0))
                    .col(timestamp_with_time_zone_null(Registrations::PinLockedUntil))
                    .col(string_len(Registrations::Invitation, 8))
                    .col(string_len(Registrations::EmailDelivery, 16))
                    .col(string_len(Registrations::SmsDelivery, 16))
                    .col(timestamp_with_time_zone_null(Registrations::UsedAt))
                    .col(timestamp_with_time_zone_null(Registrations::RemindedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Registrations::Table, Registrations::DeviceId)
                            .to(Devices::Table, Devices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Registrations::Table).to_owned())
            .await
    }
}

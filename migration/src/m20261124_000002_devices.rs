//! Devices and the commands queued for them.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    Id,
    OwnerId,
    DisplayName,
    Platform,
    Manufacturer,
    Model,
    OsVersion,
    Serial,
    Imei,
    Phone,
    Carrier,
    Ownership,
    Status,
    RegisteredAt,
    EnrolledAt,
    LastCheckinAt,
    LockState,
    Latitude,
    Longitude,
    AccuracyM,
    LocatedAt,
    CredentialHash,
}

#[derive(DeriveIden)]
enum Commands {
    Table,
    Id,
    DeviceId,
    Kind,
    Params,
    State,
    RequestedBy,
    RequestedAt,
    SentAt,
    CompletedAt,
    Result,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Devices::Table)
                    .col(big_pk_auto(Devices::Id))
                    .col(integer(Devices::OwnerId))
                    .col(string(Devices::DisplayName))
                    .col(string_len(Devices::Platform, 32))
                    .col(string(Devices::Manufacturer))
                    .col(string(Devices::Model))
                    .col(string(Devices::OsVersion))
                    .col(string(Devices::Serial))
                    .col(string(Devices::Imei))
                    .col(string(Devices::Phone))
                    .col(string(Devices::Carrier))
                    .col(string_len(Devices::Ownership, 16))
                    .col(string_len(Devices::Status, 16))
                    .col(timestamp_with_time_zone(Devices::RegisteredAt))
                    .col(timestamp_with_time_zone_null(Devices::EnrolledAt))
                    .col(timestamp_with_time_zone_null(Devices::LastCheckinAt))
                    .col(string_len(Devices::LockState, 16))
                    .col(double_null(Devices::Latitude))
                    .col(double_null(Devices::Longitude))
                    .col(double_null(Devices::AccuracyM))
                    .col(timestamp_with_time_zone_null(Devices::LocatedAt))
                    .col(string_len_null(Devices::CredentialHash, 64).unique_key())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Devices::Table, Devices::OwnerId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_devices_owner")
                    .table(Devices::Table)
                    .col(Devices::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Commands::Table)
                    .col(big_pk_auto(Commands::Id))
                    .col(big_integer(Commands::DeviceId))
                    .col(string_len(Commands::Kind, 16))
                    .col(text(Commands::Params))
                    .col(string_len(Commands::State, 16))
                    .col(integer(Commands::RequestedBy))
                    .col(timestamp_with_time_zone(Commands::RequestedAt))
                    .col(timestamp_with_time_zone_null(Commands::SentAt))
                    .col(timestamp_with_time_zone_null(Commands::CompletedAt))
                    .col(text(Commands::Result))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Commands::Table, Commands::DeviceId)
                            .to(Devices::Table, Devices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_commands_device_state")
                    .table(Commands::Table)
                    .col(Commands::DeviceId)
                    .col(Commands::State)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Commands::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Devices::Table).to_owned())
            .await
    }
}

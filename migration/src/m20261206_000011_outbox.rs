//! The outbox: every e-mail and text message is a row, written in the same
//! transaction as the change that causes it and sent by whichever portal
//! instance claims it. Its body is sealed with the portal's key (it may hold
//! a PIN or a link that signs someone in) and removed once it is sent.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Id,
    MessageId,
    Channel,
    Recipient,
    Body,
    AuditAction,
    Actor,
    DeviceId,
    TracksToken,
    State,
    Attempts,
    DueAt,
    Claim,
    ClaimedUntil,
    CreatedAt,
    EndedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Outbox::Table)
                    .col(big_pk_auto(Outbox::Id))
                    .col(string_len_uniq(Outbox::MessageId, 64))
                    .col(string_len(Outbox::Channel, 16))
                    .col(string_len(Outbox::Recipient, 320))
                    .col(text_null(Outbox::Body))
                    .col(string_len(Outbox::AuditAction, 64))
                    .col(string_len(Outbox::Actor, 128))
                    .col(big_integer_null(Outbox::DeviceId))
                    .col(string_len_null(Outbox::TracksToken, 64))
                    .col(string_len(Outbox::State, 16))
                    .col(integer(Outbox::Attempts).default(0))
                    .col(timestamp_with_time_zone(Outbox::DueAt))
                    .col(string_len_null(Outbox::Claim, 64))
                    .col(timestamp_with_time_zone_null(Outbox::ClaimedUntil))
                    .col(timestamp_with_time_zone(Outbox::CreatedAt))
                    .col(timestamp_with_time_zone_null(Outbox::EndedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbox_state_due")
                    .table(Outbox::Table)
                    .col(Outbox::State)
                    .col(Outbox::DueAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Outbox::Table).to_owned())
            .await
    }
}

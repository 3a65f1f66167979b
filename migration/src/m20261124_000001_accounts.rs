//! Accounts and what surrounds them: users with their roles, server-side
//! sessions, the append-only audit log, and administrator settings.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    DisplayName,
    Email,
    Phone,
    Source,
    Disabled,
    PasswordHash,
    Roles,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    IdHash,
    UserId,
    CreatedAt,
    LastSeenAt,
    ClientAddr,
    UserAgent,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    Actor,
    Action,
    Target,
    DeviceId,
    Outcome,
    ClientAddr,
    UserAgent,
    Details,
}

#[derive(DeriveIden)]
enum Settings {
    Table,
    Key,
    Value,
    UpdatedAt,
    UpdatedBy,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_auto(Users::Id))
                    .col(string_len_uniq(Users::Username, 64))
                    .col(string(Users::DisplayName))
                    .col(string(Users::Email))
                    .col(string_null(Users::Phone))
                    .col(string_len(Users::Source, 16))
                    .col(boolean(Users::Disabled))
                    .col(text_null(Users::PasswordHash))
                    .col(text(Users::Roles))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string_len(Sessions::IdHash, 64).primary_key())
                    .col(integer(Sessions::UserId))
                    .col(timestamp_with_time_zone(Sessions::CreatedAt))
                    .col(timestamp_with_time_zone(Sessions::LastSeenAt))
                    .col(string(Sessions::ClientAddr))
                    .col(text(Sessions::UserAgent))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Sessions::Table, Sessions::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_sessions_user")
                    .table(Sessions::Table)
                    .col(Sessions::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .col(big_pk_auto(AuditEvents::Id))
                    .col(timestamp_with_time_zone(AuditEvents::At))
                    .col(string_null(AuditEvents::Actor))
                    .col(string_len(AuditEvents::Action, 64))
                    .col(string_null(AuditEvents::Target))
                    .col(big_integer_null(AuditEvents::DeviceId))
                    .col(string_len(AuditEvents::Outcome, 16))
                    .col(string(AuditEvents::ClientAddr))
                    .col(text(AuditEvents::UserAgent))
                    .col(text(AuditEvents::Details))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_audit_at", vec![AuditEvents::At]),
            (
                "idx_audit_action_target_at",
                vec![AuditEvents::Action, AuditEvents::Target, AuditEvents::At],
            ),
            (
                "idx_audit_action_client_at",
                vec![
                    AuditEvents::Action,
                    AuditEvents::ClientAddr,
                    AuditEvents::At,
                ],
            ),
            (
                "idx_audit_actor_at",
                vec![AuditEvents::Actor, AuditEvents::At],
            ),
            (
                "idx_audit_device_at",
                vec![AuditEvents::DeviceId, AuditEvents::At],
            ),
        ] {
            let mut index = Index::create();
            index.name(name).table(AuditEvents::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(Settings::Table)
                    .col(string_len(Settings::Key, 64).primary_key())
                    .col(text(Settings::Value))
                    .col(timestamp_with_time_zone(Settings::UpdatedAt))
                    .col(string_null(Settings::UpdatedBy))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Settings::Table.into_iden(),
            AuditEvents::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

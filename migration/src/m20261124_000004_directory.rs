//! Directories: the LDAP servers users sign in against, what their groups
//! grant (roles, device limits), and on each user the directory entry and
//! groups seen at their last sign-in.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    DirectoryServer,
    DirectoryDn,
    DirectoryGroups,
    GroupRoles,
}

#[derive(DeriveIden)]
enum LdapServers {
    Table,
    Id,
    Name,
    Position,
    Enabled,
    Url,
    Starttls,
    CaCertificate,
    BindDn,
    BindPassword,
    UserBase,
    UserFilter,
    LoginAttribute,
    NameAttribute,
    EmailAttribute,
    MobileAttribute,
    GroupBase,
    Membership,
    TimeoutSeconds,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LdapGroupRoles {
    Table,
    Id,
    ServerId,
    GroupDn,
    GroupName,
    Roles,
}

#[derive(DeriveIden)]
enum LdapGroupLimits {
    Table,
    Id,
    ServerId,
    GroupDn,
    GroupName,
    DeviceLimit,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite takes one column per ALTER TABLE.
        for column in [
            integer_null(Users::DirectoryServer),
            text_null(Users::DirectoryDn),
            text(Users::DirectoryGroups).default("").to_owned(),
            text(Users::GroupRoles).default("").to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(LdapServers::Table)
                    .col(pk_auto(LdapServers::Id))
                    .col(string_len(LdapServers::Name, 64))
                    .col(integer(LdapServers::Position))
                    .col(boolean(LdapServers::Enabled))
                    .col(text(LdapServers::Url))
                    .col(boolean(LdapServers::Starttls))
                    .col(text(LdapServers::CaCertificate))
                    .col(text(LdapServers::BindDn))
                    .col(text(LdapServers::BindPassword))
                    .col(text(LdapServers::UserBase))
                    .col(text(LdapServers::UserFilter))
                    .col(string_len(LdapServers::LoginAttribute, 64))
                    .col(string_len(LdapServers::NameAttribute, 64))
                    .col(string_len(LdapServers::EmailAttribute, 64))
                    .col(string_len(LdapServers::MobileAttribute, 64))
                    .col(text(LdapServers::GroupBase))
                    .col(string_len(LdapServers::Membership, 24))
                    .col(integer(LdapServers::TimeoutSeconds))
                    .col(timestamp_with_time_zone(LdapServers::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LdapGroupRoles::Table)
                    .col(pk_auto(LdapGroupRoles::Id))
                    .col(integer(LdapGroupRoles::ServerId))
                    .col(text(LdapGroupRoles::GroupDn))
                    .col(text(LdapGroupRoles::GroupName))
                    .col(text(LdapGroupRoles::Roles))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LdapGroupRoles::Table, LdapGroupRoles::ServerId)
                            .to(LdapServers::Table, LdapServers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(LdapGroupLimits::Table)
                    .col(pk_auto(LdapGroupLimits::Id))
                    .col(integer(LdapGroupLimits::ServerId))
                    .col(text(LdapGroupLimits::GroupDn))
                    .col(text(LdapGroupLimits::GroupName))
                    .col(integer(LdapGroupLimits::DeviceLimit))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LdapGroupLimits::Table, LdapGroupLimits::ServerId)
                            .to(LdapServers::Table, LdapServers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        // One grant and one limit per group.
        manager
            .create_index(
                Index::create()
                    .name("idx_ldap_group_roles_group")
                    .table(LdapGroupRoles::Table)
                    .col(LdapGroupRoles::ServerId)
                    .col(LdapGroupRoles::GroupDn)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_ldap_group_limits_group")
                    .table(LdapGroupLimits::Table)
                    .col(LdapGroupLimits::ServerId)
                    .col(LdapGroupLimits::GroupDn)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            LdapGroupLimits::Table.into_iden(),
            LdapGroupRoles::Table.into_iden(),
            LdapServers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        for column in [
            Users::GroupRoles.into_iden(),
            Users::DirectoryGroups.into_iden(),
            Users::DirectoryDn.into_iden(),
            Users::DirectoryServer.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Users::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}

//! User-provided certificates: the settings an administrator offers
//! ("S/MIME signing", …), the certificates people upload for them (the
//! private key sealed, the metadata readable for listing), uploads
//! waiting for their owner to pick one of several keys, and on each device
//! the version of the certificates it was last sent.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CertificateSettings {
    Table,
    Id,
    Name,
    Purpose,
    KeyRequired,
    PasswordRequired,
    MobileUpload,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum UserCertificates {
    Table,
    Id,
    UserId,
    SettingId,
    Retired,
    Subject,
    Issuer,
    Serial,
    NotBefore,
    NotAfter,
    KeyType,
    KeyUsage,
    Alias,
    Fingerprint,
    Certificate,
    Chain,
    PrivateKey,
    UploadedAt,
    ExpiryNotifiedAt,
}

#[derive(DeriveIden)]
enum PendingCertificates {
    Table,
    Id,
    UserId,
    SettingId,
    Candidates,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    CertificatesVersion,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .add_column(text_null(Devices::CertificatesVersion))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CertificateSettings::Table)
                    .col(pk_auto(CertificateSettings::Id))
                    .col(string_len_uniq(CertificateSettings::Name, 80))
                    .col(string_len(CertificateSettings::Purpose, 16))
                    .col(boolean(CertificateSettings::KeyRequired))
                    .col(boolean(CertificateSettings::PasswordRequired))
                    .col(boolean(CertificateSettings::MobileUpload))
                    .col(timestamp_with_time_zone(CertificateSettings::UpdatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserCertificates::Table)
                    .col(pk_auto(UserCertificates::Id))
                    .col(integer(UserCertificates::UserId))
                    .col(integer(UserCertificates::SettingId))
                    .col(boolean(UserCertificates::Retired))
                    .col(text(UserCertificates::Subject))
                    .col(text(UserCertificates::Issuer))
                    .col(string_len(UserCertificates::Serial, 80))
                    .col(timestamp_with_time_zone(UserCertificates::NotBefore))
                    .col(timestamp_with_time_zone(UserCertificates::NotAfter))
                    .col(string_len(UserCertificates::KeyType, 32))
                    .col(text(UserCertificates::KeyUsage))
                    .col(text(UserCertificates::Alias))
                    .col(string_len(UserCertificates::Fingerprint, 64))
                    .col(text(UserCertificates::Certificate))
                    .col(text(UserCertificates::Chain))
                    .col(text_null(UserCertificates::PrivateKey))
                    .col(timestamp_with_time_zone(UserCertificates::UploadedAt))
                    .col(timestamp_with_time_zone_null(
                        UserCertificates::ExpiryNotifiedAt,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserCertificates::Table, UserCertificates::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(UserCertificates::Table, UserCertificates::SettingId)
                            .to(CertificateSettings::Table, CertificateSettings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_certificates_owner")
                    .table(UserCertificates::Table)
                    .col(UserCertificates::UserId)
                    .col(UserCertificates::SettingId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PendingCertificates::Table)
                    .col(pk_auto(PendingCertificates::Id))
                    .col(integer(PendingCertificates::UserId))
                    .col(integer(PendingCertificates::SettingId))
                    .col(text(PendingCertificates::Candidates))
                    .col(timestamp_with_time_zone(PendingCertificates::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(PendingCertificates::Table, PendingCertificates::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(PendingCertificates::Table, PendingCertificates::SettingId)
                            .to(CertificateSettings::Table, CertificateSettings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PendingCertificates::Table.into_iden(),
            UserCertificates::Table.into_iden(),
            CertificateSettings::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .drop_column(Devices::CertificatesVersion)
                    .to_owned(),
            )
            .await
    }
}

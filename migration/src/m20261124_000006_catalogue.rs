//! Labels and what they bring: administrators' labels, the catalogue of
//! policies, configurations, apps and books, the labels of each
//! certificate setting, and the configuration version each device applied.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomLabels {
    Table,
    Id,
    Name,
    /// `company-owned`, `employee-owned`, or NULL for either.
    Ownership,
    /// Platform names separated by commas; empty for any.
    Platforms,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CatalogueItems {
    Table,
    Id,
    ItemType,
    Name,
    Detail,
    ForbidsLocate,
    /// Label keys as a JSON array.
    Labels,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CertificateSettings {
    Table,
    Labels,
}

#[derive(DeriveIden)]
enum Devices {
    Table,
    ConfigurationVersion,
    ConfigurationAppliedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CustomLabels::Table)
                    .col(pk_auto(CustomLabels::Id))
                    .col(string_len(CustomLabels::Name, 80).unique_key())
                    .col(string_len_null(CustomLabels::Ownership, 16))
                    .col(text(CustomLabels::Platforms))
                    .col(timestamp_with_time_zone(CustomLabels::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(CatalogueItems::Table)
                    .col(pk_auto(CatalogueItems::Id))
                    .col(string_len(CatalogueItems::ItemType, 16))
                    .col(string_len(CatalogueItems::Name, 80).unique_key())
                    .col(text(CatalogueItems::Detail))
                    .col(boolean(CatalogueItems::ForbidsLocate))
                    .col(text(CatalogueItems::Labels))
                    .col(timestamp_with_time_zone(CatalogueItems::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        // Settings made before labels existed keep going to every device.
        manager
            .alter_table(
                Table::alter()
                    .table(CertificateSettings::Table)
                    .add_column(text(CertificateSettings::Labels).default("[\"all-devices\"]"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .add_column(text_null(Devices::ConfigurationVersion))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Devices::Table)
                    .add_column(timestamp_with_time_zone_null(
                        Devices::ConfigurationAppliedAt,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Devices::ConfigurationAppliedAt,
            Devices::ConfigurationVersion,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Devices::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(CertificateSettings::Table)
                    .drop_column(CertificateSettings::Labels)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CatalogueItems::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CustomLabels::Table).to_owned())
            .await
    }
}

//! The versions of what each instance keeps in memory (the settings, the
//! catalogue of policies, configurations, apps and books): every change
//! bumps its row in the change's own transaction, and every instance that
//! sees a new version reads the data again.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CacheVersions {
    Table,
    Name,
    Version,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CacheVersions::Table)
                    .col(string_len(CacheVersions::Name, 32).primary_key())
                    .col(big_integer(CacheVersions::Version).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(CacheVersions::Table)
                    .columns([CacheVersions::Name, CacheVersions::Version])
                    .values_panic(["settings".into(), 0i64.into()])
                    .values_panic(["catalogue".into(), 0i64.into()])
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CacheVersions::Table).to_owned())
            .await
    }
}

//! When each session's holder last proved who they are (Wipe and Retire
//! ask again once that is old), and until when a Wipe or Retire waits
//! before its device may receive it (so that it can still be cancelled).
//! Sessions from before count as proved when they were opened; commands
//! from before do not wait.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    ProvedAt,
}

#[derive(DeriveIden)]
enum Commands {
    Table,
    HoldUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite alters a table one change at a time.
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(timestamp_with_time_zone_null(Sessions::ProvedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Commands::Table)
                    .add_column(timestamp_with_time_zone_null(Commands::HoldUntil))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Commands::Table)
                    .drop_column(Commands::HoldUntil)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .drop_column(Sessions::ProvedAt)
                    .to_owned(),
            )
            .await
    }
}

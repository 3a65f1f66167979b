//! Opening the database: an embedded SQLite file by default, PostgreSQL for
//! several server instances. Both get a real connection pool.

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbErr, SqlxSqliteConnector,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use std::{str::FromStr, time::Duration};

/// How long a SQLite writer waits for another one before giving up.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum DbOpenError {
    #[error("unsupported database URL (use sqlite://PATH or postgres://…)")]
    UnsupportedUrl,
    #[error("cannot create the folder for the SQLite database {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open the database: {0}")]
    Open(#[from] DbErr),
    #[error("cannot open the SQLite database: {0}")]
    Sqlite(#[from] sea_orm::sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(DbErr),
}

/// Opens a pool of `pool_size` connections to `url`.
///
/// SQLite runs in WAL mode with `synchronous=NORMAL`, foreign keys on and a
/// busy timeout; the file and its folder are created when missing.
pub async fn connect(url: &str, pool_size: u32) -> Result<DatabaseConnection, DbOpenError> {
    let pool_size = pool_size.max(1);
    if url.starts_with("sqlite:") {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(SQLITE_BUSY_TIMEOUT)
            .foreign_keys(true);
        if let Some(dir) = options
            .get_filename()
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            tokio::fs::create_dir_all(dir)
                .await
                .map_err(|source| DbOpenError::CreateDir {
                    path: dir.display().to_string(),
                    source,
                })?;
        }
        // A file in this process cannot drop the connection: no ping before
        // each use (it was a second round trip to the connection's thread
        // for every query).
        let pool = SqlitePoolOptions::new()
            .max_connections(pool_size)
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        Ok(SqlxSqliteConnector::from_sqlx_sqlite_pool(pool))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let mut options = ConnectOptions::new(url);
        options
            .max_connections(pool_size)
            .connect_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        Ok(Database::connect(options).await?)
    } else {
        Err(DbOpenError::UnsupportedUrl)
    }
}

/// Brings the schema up to date. Safe to run at every start and from
/// several instances: applied migrations are recorded in the database.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbOpenError> {
    Migrator::up(db, None).await.map_err(DbOpenError::Migrate)
}

/// A short name for logs: the backend, never the URL (it may hold a password).
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => "sqlite",
        sea_orm::DatabaseBackend::Postgres => "postgres",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{ConnectionTrait, Statement, TransactionTrait};

    async fn pragma(db: &DatabaseConnection, name: &str) -> String {
        let row = db
            .query_one_raw(Statement::from_string(
                db.get_database_backend(),
                format!("PRAGMA {name}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0)
            .map(|n| n.to_string())
            .or_else(|_| row.try_get_by_index::<String>(0))
            .unwrap()
    }

    #[tokio::test]
    async fn sqlite_file_is_created_and_tuned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/folder/ssp.db");
        let db = connect(&format!("sqlite://{}", path.display()), 4)
            .await
            .unwrap();
        assert!(path.is_file());
        assert_eq!(pragma(&db, "journal_mode").await, "wal");
        assert_eq!(pragma(&db, "synchronous").await, "1", "NORMAL");
        assert_eq!(pragma(&db, "busy_timeout").await, "5000");
        assert_eq!(pragma(&db, "foreign_keys").await, "1");

        // A real pool: two transactions are open at once.
        let first = db.begin().await.unwrap();
        let second = db.begin().await.unwrap();
        second.commit().await.unwrap();
        first.commit().await.unwrap();

        migrate(&db).await.unwrap();
        migrate(&db).await.unwrap();
    }

    #[tokio::test]
    async fn other_urls_are_refused() {
        for url in ["mysql://localhost/ssp", "ssp.db", ""] {
            assert!(
                matches!(connect(url, 1).await, Err(DbOpenError::UnsupportedUrl)),
                "{url}"
            );
        }
    }
}

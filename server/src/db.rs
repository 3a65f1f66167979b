//! Opening the database: an embedded SQLite file by default, PostgreSQL for
//! several server instances. Both get a real connection pool.

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DbErr, SqlxSqliteConnector,
    sqlx::{
        Connection, Row,
        postgres::PgConnection,
        sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    },
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
/// several instances: applied migrations are recorded in the database, and
/// on PostgreSQL instances that start at the same moment take turns (the
/// first migrates, the others then find nothing to do).
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbOpenError> {
    let turn = JobLock::wait(db, JobLock::MIGRATIONS)
        .await
        .map_err(DbOpenError::Migrate)?;
    let migrated = Migrator::up(db, None).await.map_err(DbOpenError::Migrate);
    turn.release().await;
    migrated
}

/// A job that one instance at a time does (migrations, housekeeping). On
/// PostgreSQL it is an advisory lock held on a connection of its own, not
/// one of the pool's: it ends when released or when the process dies. A
/// SQLite file is served by one process, so there is nothing to take.
pub struct JobLock(Option<PgConnection>);

impl JobLock {
    /// Migrating the database.
    pub const MIGRATIONS: i64 = 0x5353_5001;
    /// The housekeeping round.
    pub const HOUSEKEEPING: i64 = 0x5353_5002;

    /// Waits until the job is this instance's.
    pub async fn wait(db: &DatabaseConnection, job: i64) -> Result<JobLock, DbErr> {
        Ok(JobLock::take(db, job, "SELECT pg_advisory_lock($1)")
            .await?
            .0)
    }

    /// The job, if no other instance has it now.
    pub async fn try_take(db: &DatabaseConnection, job: i64) -> Result<Option<JobLock>, DbErr> {
        let (lock, taken) = JobLock::take(db, job, "SELECT pg_try_advisory_lock($1)").await?;
        Ok(taken.then_some(lock))
    }

    async fn take(
        db: &DatabaseConnection,
        job: i64,
        sql: &'static str,
    ) -> Result<(JobLock, bool), DbErr> {
        if db.get_database_backend() != DatabaseBackend::Postgres {
            return Ok((JobLock(None), true));
        }
        let options = db.get_postgres_connection_pool().connect_options();
        let fail = |e: sea_orm::sqlx::Error| DbErr::Custom(format!("job lock: {e}"));
        let mut connection = PgConnection::connect_with(&options).await.map_err(fail)?;
        let row = sea_orm::sqlx::query(sql)
            .bind(job)
            .fetch_optional(&mut connection)
            .await
            .map_err(fail)?;
        // `pg_advisory_lock` gives void (taken once it returns);
        // `pg_try_advisory_lock` whether it was taken.
        let taken = match row {
            Some(row) if sql.contains("try") => row.try_get::<bool, _>(0).map_err(fail)?,
            _ => true,
        };
        Ok((JobLock(Some(connection)), taken))
    }

    /// Lets another instance have the job.
    pub async fn release(self) {
        if let Some(connection) = self.0 {
            // Closing the connection ends its locks.
            connection.close().await.ok();
        }
    }
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

//! What nearly every request would otherwise read from the database again:
//! the settings and the catalogue (labels, policies, configurations, apps,
//! books, certificate settings), kept in memory with the version they were
//! read at.
//!
//! Every change bumps its version in the database, in the change's own
//! transaction ([`bump`]). Each instance looks at the versions every second
//! and reads again what changed ([`Caches::refresh`]); the instance that made
//! a change does so before it answers. Several instances on one database
//! therefore agree within about a second, and nothing lives only in one
//! process.

use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DbErr};
use std::sync::{Arc, RwLock};

use super::catalogue::{self, Catalogue};
use super::settings::{self, Settings};

/// What a version counts the changes of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Settings,
    Catalogue,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Settings => "settings",
            Kind::Catalogue => "catalogue",
        }
    }
}

#[derive(sea_orm::DeriveIden)]
enum CacheVersions {
    Table,
    Name,
    Version,
}

/// Records that `kind` changed: part of the transaction that changes it.
pub async fn bump(txn: &impl ConnectionTrait, kind: Kind) -> Result<(), DbErr> {
    let update = Query::update()
        .table(CacheVersions::Table)
        .value(
            CacheVersions::Version,
            Expr::col(CacheVersions::Version).add(1),
        )
        .and_where(Expr::col(CacheVersions::Name).eq(kind.name()))
        .to_owned();
    txn.execute(&update).await?;
    Ok(())
}

/// The current versions, by kind.
async fn versions(db: &impl ConnectionTrait) -> Result<Vec<(Kind, i64)>, DbErr> {
    let select = Query::select()
        .columns([CacheVersions::Name, CacheVersions::Version])
        .from(CacheVersions::Table)
        .to_owned();
    let mut found = Vec::new();
    for row in db.query_all(&select).await? {
        let name: String = row.try_get_by_index(0)?;
        let version: i64 = row.try_get_by_index(1)?;
        for kind in [Kind::Settings, Kind::Catalogue] {
            if kind.name() == name {
                found.push((kind, version));
            }
        }
    }
    Ok(found)
}

/// The current version of `kind`.
pub async fn version(db: &impl ConnectionTrait, kind: Kind) -> Result<i64, DbErr> {
    let select = Query::select()
        .column(CacheVersions::Version)
        .from(CacheVersions::Table)
        .and_where(Expr::col(CacheVersions::Name).eq(kind.name()))
        .to_owned();
    match db.query_one(&select).await? {
        Some(row) => row.try_get_by_index(0),
        None => Ok(0),
    }
}

/// One value and the version it was read at.
pub struct Cached<T> {
    inner: RwLock<(i64, Arc<T>)>,
}

impl<T> Cached<T> {
    fn new(version: i64, value: T) -> Cached<T> {
        Cached {
            inner: RwLock::new((version, Arc::new(value))),
        }
    }

    /// The value as last read.
    pub fn get(&self) -> Arc<T> {
        match self.inner.read() {
            Ok(inner) => inner.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    fn version(&self) -> i64 {
        match self.inner.read() {
            Ok(inner) => inner.0,
            Err(poisoned) => poisoned.into_inner().0,
        }
    }

    /// Keeps `value`, read at `version`, unless something newer is kept.
    fn put(&self, version: i64, value: T) -> Arc<T> {
        let value = Arc::new(value);
        let mut inner = match self.inner.write() {
            Ok(inner) => inner,
            Err(poisoned) => poisoned.into_inner(),
        };
        if version >= inner.0 {
            *inner = (version, value.clone());
        }
        value
    }
}

/// The settings and the catalogue of one instance.
#[derive(Clone)]
pub struct Caches {
    settings: Arc<Cached<Settings>>,
    catalogue: Arc<Cached<Catalogue>>,
}

impl std::fmt::Debug for Caches {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Caches")
            .field("settings", &self.settings.version())
            .field("catalogue", &self.catalogue.version())
            .finish()
    }
}

impl Caches {
    /// Reads both for the first time (at start).
    pub async fn load(db: &impl ConnectionTrait) -> Result<Caches, DbErr> {
        // The version first: data read after it is at least as new.
        let settings_version = version(db, Kind::Settings).await?;
        let settings = settings::load(db).await?;
        let catalogue_version = version(db, Kind::Catalogue).await?;
        let catalogue = catalogue::load(db).await?;
        Ok(Caches {
            settings: Arc::new(Cached::new(settings_version, settings)),
            catalogue: Arc::new(Cached::new(catalogue_version, catalogue)),
        })
    }

    /// The settings as last read.
    pub fn settings(&self) -> Arc<Settings> {
        self.settings.get()
    }

    /// The catalogue as last read.
    pub fn catalogue(&self) -> Arc<Catalogue> {
        self.catalogue.get()
    }

    /// The catalogue as `db` sees it: what is kept when its version is
    /// current there, read again otherwise. Inside a transaction, that is
    /// the catalogue the transaction's other reads agree with.
    pub async fn catalogue_in(&self, db: &impl ConnectionTrait) -> Result<Arc<Catalogue>, DbErr> {
        let current = version(db, Kind::Catalogue).await?;
        if current == self.catalogue.version() {
            return Ok(self.catalogue.get());
        }
        let catalogue = catalogue::load(db).await?;
        Ok(self.catalogue.put(current, catalogue))
    }

    /// Reads again whatever changed since it was last read.
    pub async fn refresh(&self, db: &impl ConnectionTrait) -> Result<(), DbErr> {
        for (kind, current) in versions(db).await? {
            match kind {
                Kind::Settings if current != self.settings.version() => {
                    self.settings.put(current, settings::load(db).await?);
                }
                Kind::Catalogue if current != self.catalogue.version() => {
                    self.catalogue.put(current, catalogue::load(db).await?);
                }
                _ => {}
            }
        }
        Ok(())
    }
}

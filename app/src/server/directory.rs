//! Talking to LDAP directories: finding a user with the service account,
//! checking their password by binding as them, reading their groups, and
//! what the administrator's "Test connection" reports.
//!
//! Connections are kept in a small pool per server (bound as the service
//! account, or re-bound before reuse), every operation is bounded by the
//! server's timeout, and nothing here logs a password.

use chrono::{DateTime, Utc};
use ldap3::adapters::{Adapter, EntriesOnly, PagedResults};
use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::entities::ldap_server;
use super::secrets::Sealer;
use crate::domain::directory::TestStep;
use crate::domain::directory::{Group, is_under, normalize_dn, user_filter};
use crate::i18n::{Lang, en};

/// What the sealed bind passwords are bound to.
pub const BIND_PASSWORD: &str = "ldap-bind-password";
/// Connections kept idle per server.
const POOL_SIZE: usize = 4;
/// The most groups a picker offers.
const MAX_GROUPS: usize = 5000;
/// After a directory could not be asked for someone's groups, how long the
/// groups seen at sign-in are used without trying again.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// How long an idle connection is kept.
const MAX_IDLE: Duration = Duration::from_secs(120);
/// How long a user's groups, once read, are used without asking again.
const GROUPS_TTL: Duration = Duration::from_secs(60);
/// LDAP result codes: no such object, invalid credentials.
const NO_SUCH_OBJECT: u32 = 32;
const INVALID_CREDENTIALS: u32 = 49;

/// The directories the portal knows, with their connections.
#[derive(Clone)]
pub struct Directory {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Directory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Directory")
    }
}

struct Inner {
    sealer: Sealer,
    /// Idle connections per server, with the server's `updated_at` when
    /// they were made (an edited server gets new ones).
    idle: Mutex<Pools>,
    /// Groups read recently, by (server, user DN).
    groups: Mutex<GroupCache>,
    /// When reading groups from each server last failed.
    failed: Mutex<HashMap<i32, Instant>>,
}

type Pools = HashMap<i32, (DateTime<Utc>, Vec<Conn>)>;
type GroupCache = HashMap<(i32, String), (Instant, Vec<Group>)>;

struct Conn {
    ldap: Ldap,
    /// Whether the connection is bound as the service account (not as a
    /// user who just signed in).
    as_service: bool,
    idle_since: Instant,
}

/// A user as the directory describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirectoryUser {
    pub server_id: i32,
    pub dn: String,
    pub login: String,
    pub display_name: String,
    pub email: String,
    pub mobile: Option<String>,
    pub groups: Vec<Group>,
}

/// How a user is looked up without a password.
#[derive(Clone, Copy, Debug)]
pub enum FindBy<'a> {
    Login(&'a str),
    Email(&'a str),
}

/// The outcome of checking a password against the directories.
#[derive(Debug)]
pub enum Checked {
    User(DirectoryUser),
    WrongPassword,
    /// No directory knows the name.
    Unknown,
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("cannot reach {server}: {detail}")]
    Unreachable { server: String, detail: String },
    #[error("{server} refused the service account: {detail}")]
    ServiceRefused { server: String, detail: String },
    #[error("{server} answered with an error: {detail}")]
    Failed { server: String, detail: String },
    #[error("the service password of {0} cannot be read with this portal's key")]
    Sealed(String),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

fn is_transport(error: &LdapError) -> bool {
    !matches!(error, LdapError::LdapResult { .. })
}

fn result_code(error: &LdapError) -> Option<u32> {
    match error {
        LdapError::LdapResult { result } => Some(result.rc),
        _ => None,
    }
}

/// Attribute values by name, whatever case the server used.
fn values<'a>(entry: &'a SearchEntry, name: &str) -> &'a [String] {
    entry
        .attrs
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_slice())
        .unwrap_or_default()
}

fn first(entry: &SearchEntry, name: &str) -> Option<String> {
    if name.is_empty() {
        return None;
    }
    values(entry, name)
        .first()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// Where groups are searched: the configured base, or the `dc=` suffix of
/// the user base.
fn group_root(server: &ldap_server::Model) -> String {
    if !server.group_base.trim().is_empty() {
        return server.group_base.trim().to_owned();
    }
    let suffix: Vec<&str> = server
        .user_base
        .split(',')
        .map(str::trim)
        .skip_while(|part| !part.to_lowercase().starts_with("dc="))
        .collect();
    if suffix.is_empty() {
        server.user_base.clone()
    } else {
        suffix.join(",")
    }
}

fn entries(found: Vec<ldap3::ResultEntry>) -> Vec<SearchEntry> {
    // Parsing a malformed answer panics inside the library: keep it there.
    found
        .into_iter()
        .filter_map(|entry| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                SearchEntry::construct(entry)
            }))
            .ok()
        })
        .collect()
}

fn tls_config(pem: &str) -> Result<Arc<rustls::ClientConfig>, String> {
    use rustls_pki_types::{CertificateDer, pem::PemObject};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("the CA certificate cannot be read: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("the CA certificate cannot be used: {e}"))?;
    }
    if roots.is_empty() {
        return Err("the CA certificate field holds no certificate".to_owned());
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

/// The enabled servers, in the order they are asked.
pub async fn enabled_servers(db: &impl ConnectionTrait) -> Result<Vec<ldap_server::Model>, DbErr> {
    ldap_server::Entity::find()
        .filter(ldap_server::Column::Enabled.eq(true))
        .order_by_asc(ldap_server::Column::Position)
        .order_by_asc(ldap_server::Column::Id)
        .all(db)
        .await
}

impl Directory {
    pub fn new(sealer: Sealer) -> Directory {
        Directory {
            inner: Arc::new(Inner {
                sealer,
                idle: Mutex::new(HashMap::new()),
                groups: Mutex::new(HashMap::new()),
                failed: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn sealer(&self) -> &Sealer {
        &self.inner.sealer
    }

    fn timeout(server: &ldap_server::Model) -> Duration {
        Duration::from_secs(u64::try_from(server.timeout_seconds.clamp(1, 60)).unwrap_or(5))
    }

    fn unreachable(server: &ldap_server::Model, detail: impl ToString) -> DirectoryError {
        DirectoryError::Unreachable {
            server: server.name.clone(),
            detail: detail.to_string(),
        }
    }

    fn failed(server: &ldap_server::Model, error: LdapError) -> DirectoryError {
        if is_transport(&error) {
            Directory::unreachable(server, error)
        } else {
            DirectoryError::Failed {
                server: server.name.clone(),
                detail: error.to_string(),
            }
        }
    }

    /// A new connection, not yet bound.
    async fn connect(server: &ldap_server::Model) -> Result<Ldap, DirectoryError> {
        let timeout = Directory::timeout(server);
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(timeout)
            .set_starttls(server.starttls);
        if !server.ca_certificate.trim().is_empty() {
            let config = tls_config(&server.ca_certificate)
                .map_err(|detail| Directory::unreachable(server, detail))?;
            settings = settings.set_config(config);
        }
        let connected = tokio::time::timeout(
            timeout + Duration::from_secs(1),
            LdapConnAsync::with_settings(settings, &server.url),
        )
        .await
        .map_err(|_| Directory::unreachable(server, "no answer in time"))?;
        let (conn, ldap) = connected.map_err(|e| Directory::unreachable(server, e))?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    async fn bind_service(
        &self,
        server: &ldap_server::Model,
        ldap: &mut Ldap,
    ) -> Result<(), DirectoryError> {
        let password = self
            .inner
            .sealer
            .open(BIND_PASSWORD, &server.bind_password)
            .map_err(|_| DirectoryError::Sealed(server.name.clone()))?;
        let timeout = Directory::timeout(server);
        match ldap
            .with_timeout(timeout)
            .simple_bind(&server.bind_dn, &password)
            .await
            .and_then(|r| r.success())
        {
            Ok(_) => Ok(()),
            Err(error) if is_transport(&error) => Err(Directory::unreachable(server, error)),
            Err(error) => Err(DirectoryError::ServiceRefused {
                server: server.name.clone(),
                detail: error.to_string(),
            }),
        }
    }

    /// A connection bound as the service account: an idle one when there
    /// is one (unless `fresh`), else a new one.
    async fn checkout(
        &self,
        server: &ldap_server::Model,
        fresh: bool,
    ) -> Result<(Conn, bool), DirectoryError> {
        let pooled = if fresh {
            None
        } else {
            let mut idle = self.inner.idle.lock().unwrap_or_else(|p| p.into_inner());
            match idle.get_mut(&server.id) {
                Some((version, conns)) if *version == server.updated_at => {
                    // Servers, firewalls and load balancers drop idle
                    // connections: old ones are not tried.
                    conns.retain(|c| c.idle_since.elapsed() < MAX_IDLE);
                    conns.pop()
                }
                _ => None,
            }
        };
        if let Some(mut conn) = pooled.filter(|c| !c.ldap.clone().is_closed()) {
            conn.ldap.with_timeout(Directory::timeout(server));
            // A connection that cannot be bound again is dropped, and a
            // new one made below.
            if conn.as_service || self.bind_service(server, &mut conn.ldap).await.is_ok() {
                conn.as_service = true;
                return Ok((conn, true));
            }
        }
        let mut ldap = Directory::connect(server).await?;
        self.bind_service(server, &mut ldap).await?;
        Ok((
            Conn {
                ldap,
                as_service: true,
                idle_since: Instant::now(),
            },
            false,
        ))
    }

    fn checkin(&self, server: &ldap_server::Model, conn: Conn) {
        let mut idle = self.inner.idle.lock().unwrap_or_else(|p| p.into_inner());
        let entry = idle
            .entry(server.id)
            .or_insert_with(|| (server.updated_at, Vec::new()));
        if entry.0 != server.updated_at {
            *entry = (server.updated_at, Vec::new());
        }
        if entry.1.len() < POOL_SIZE {
            entry.1.push(Conn {
                idle_since: Instant::now(),
                ..conn
            });
        }
    }

    /// Does `work` on a service connection, within the server's timeout.
    /// A pooled connection the server has closed meanwhile is replaced
    /// once by a new one.
    async fn with_conn(
        &self,
        server: &ldap_server::Model,
        work: Work<'_>,
    ) -> Result<Done, DirectoryError> {
        let budget = Directory::timeout(server) * 3;
        for fresh in [false, true] {
            let (mut conn, reused) = self.checkout(server, fresh).await?;
            match tokio::time::timeout(budget, work.run(server, &mut conn)).await {
                Ok(Ok(value)) => {
                    self.checkin(server, conn);
                    return Ok(value);
                }
                Ok(Err(error)) if reused && is_transport(&error) => continue,
                Ok(Err(error)) => {
                    if !is_transport(&error) {
                        self.checkin(server, conn);
                    }
                    return Err(Directory::failed(server, error));
                }
                Err(_) => return Err(Directory::unreachable(server, "no answer in time")),
            }
        }
        Err(Directory::unreachable(
            server,
            "the connection keeps closing",
        ))
    }

    /// Checks `login` and `password` against the enabled directories, in
    /// order: the first that knows the name decides. A directory that
    /// cannot be asked is skipped; if none knew the name and one could not
    /// be asked, the answer is that error. With `tied_to` (the server a
    /// user's record came from) only that server is asked, while it is
    /// enabled. `password` must not be empty (an empty password is an
    /// anonymous bind that some servers accept).
    pub async fn check(
        &self,
        db: &impl ConnectionTrait,
        login: &str,
        password: &str,
        tied_to: Option<i32>,
    ) -> Result<Checked, DirectoryError> {
        if password.is_empty() {
            return Ok(Checked::WrongPassword);
        }
        self.ask(db, tied_to, Work::Check { login, password }).await
    }

    /// Finds a user in the enabled directories, in order, without their
    /// password: for someone whose identity a certificate proved. With
    /// `tied_to`, only that server is asked while it is enabled (as
    /// [`Directory::check`]).
    pub async fn find(
        &self,
        db: &impl ConnectionTrait,
        by: FindBy<'_>,
        tied_to: Option<i32>,
    ) -> Result<Option<DirectoryUser>, DirectoryError> {
        match self.ask(db, tied_to, Work::Find(by)).await? {
            Checked::User(user) => Ok(Some(user)),
            Checked::WrongPassword | Checked::Unknown => Ok(None),
        }
    }

    /// Does `work` (a check or a find) on the enabled directories in
    /// order, or only on `tied_to` while it is enabled: the first that
    /// knows the user decides.
    async fn ask(
        &self,
        db: &impl ConnectionTrait,
        tied_to: Option<i32>,
        work: Work<'_>,
    ) -> Result<Checked, DirectoryError> {
        let mut servers = enabled_servers(db).await?;
        if let Some(id) = tied_to {
            match ldap_server::Entity::find_by_id(id).one(db).await? {
                // Disabled for a while: its users wait, nobody else takes their place.
                Some(tied) if !tied.enabled => {
                    return Err(DirectoryError::Unreachable {
                        server: tied.name,
                        detail: "disabled by an administrator".to_owned(),
                    });
                }
                Some(_) => servers.retain(|s| s.id == id),
                // Deleted: another directory may know them now.
                None => {}
            }
        }
        // In order; a server that cannot be asked stops the search, so that a
        // later directory's user of the same name never stands in.
        for server in servers {
            match self.ask_one(&server, work).await {
                Ok(Checked::Unknown) => {}
                Ok(checked) => return Ok(checked),
                Err(error) => {
                    tracing::warn!(server = %server.name, %error, "directory unavailable for sign-in");
                    return Err(error);
                }
            }
        }
        Ok(Checked::Unknown)
    }

    async fn ask_one(
        &self,
        server: &ldap_server::Model,
        work: Work<'_>,
    ) -> Result<Checked, DirectoryError> {
        let started = Instant::now();
        let outcome = match self.with_conn(server, work).await {
            Ok(Done::Checked(checked)) => Ok(checked),
            Ok(Done::Groups(_)) => Ok(Checked::Unknown),
            Err(error) => Err(error),
        };
        tracing::debug!(
            server = %server.name,
            elapsed_ms = started.elapsed().as_millis() as u64,
            found = matches!(outcome, Ok(Checked::User(_)) | Ok(Checked::WrongPassword)),
            "directory user lookup"
        );
        if let Ok(Checked::User(user)) = &outcome {
            self.remember_groups(user.server_id, &user.dn, user.groups.clone());
        }
        outcome
    }

    fn remember_groups(&self, server_id: i32, dn: &str, groups: Vec<Group>) {
        let mut cache = self.inner.groups.lock().unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (at, _)| at.elapsed() < GROUPS_TTL);
        cache.insert((server_id, dn.to_lowercase()), (Instant::now(), groups));
    }

    /// The groups of the user with `dn` on `server_id`, read from the
    /// directory (or from what was read in the last minute).
    pub async fn groups_of(
        &self,
        db: &impl ConnectionTrait,
        server_id: i32,
        dn: &str,
        login: &str,
    ) -> Result<Vec<Group>, DirectoryError> {
        let key = (server_id, dn.to_lowercase());
        if let Some((at, groups)) = self
            .inner
            .groups
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            && at.elapsed() < GROUPS_TTL
        {
            return Ok(groups.clone());
        }
        let server = ldap_server::Entity::find_by_id(server_id)
            .filter(ldap_server::Column::Enabled.eq(true))
            .one(db)
            .await?
            .ok_or_else(|| DirectoryError::Unreachable {
                server: format!("server {server_id}"),
                detail: "no longer configured or disabled".to_owned(),
            })?;
        if self.failed_recently(server_id) {
            return Err(DirectoryError::Unreachable {
                server: server.name.clone(),
                detail: "it failed moments ago; not asked again yet".to_owned(),
            });
        }
        let outcome = self.with_conn(&server, Work::GroupsOf { dn, login }).await;
        self.note_outcome(server_id, outcome.is_ok());
        let groups = match outcome? {
            Done::Groups(groups) => groups,
            Done::Checked(_) => Vec::new(),
        };
        self.remember_groups(server_id, dn, groups.clone());
        Ok(groups)
    }

    fn failed_recently(&self, server_id: i32) -> bool {
        let failed = self.inner.failed.lock().unwrap_or_else(|p| p.into_inner());
        failed
            .get(&server_id)
            .is_some_and(|at| at.elapsed() < RETRY_AFTER)
    }

    fn note_outcome(&self, server_id: i32, ok: bool) {
        let mut failed = self.inner.failed.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            failed.remove(&server_id);
        } else {
            failed.insert(server_id, Instant::now());
        }
    }

    /// Every group an administrator can pick on `server`, by name.
    pub async fn list_groups(
        &self,
        server: &ldap_server::Model,
    ) -> Result<Vec<Group>, DirectoryError> {
        if self.failed_recently(server.id) {
            return Err(DirectoryError::Unreachable {
                server: server.name.clone(),
                detail: "it failed moments ago; not asked again yet".to_owned(),
            });
        }
        let outcome = self.with_conn(server, Work::AllGroups).await;
        self.note_outcome(server.id, outcome.is_ok());
        let mut groups = match outcome? {
            Done::Groups(groups) => groups,
            Done::Checked(_) => Vec::new(),
        };
        groups.sort_by_key(|g| g.name.to_lowercase());
        Ok(groups)
    }

    /// The administrator's "Test connection": connects, binds as the
    /// service account and, with a `login`, looks the user up and reads
    /// their groups. Every step says what it did or exactly what failed.
    pub async fn test(&self, server: &ldap_server::Model, login: &str) -> Vec<TestStep> {
        let mut steps = Vec::new();
        let mut say = |ok: bool, text: String| steps.push(TestStep { ok, text });
        let started = Instant::now();
        let mut ldap = match Directory::connect(server).await {
            Ok(ldap) => {
                let ms = started.elapsed().as_millis();
                let values: [(&str, &(dyn std::fmt::Display + Sync)); 2] =
                    [("url", &server.url), ("ms", &ms)];
                say(
                    true,
                    if server.starttls {
                        Lang::En.trf("Connected to {url} with StartTLS in {ms} ms.", &values)
                    } else {
                        Lang::En.trf("Connected to {url} in {ms} ms.", &values)
                    },
                );
                ldap
            }
            Err(error) => {
                say(
                    false,
                    Lang::En.trf("Could not connect: {error}.", &[("error", &error)]),
                );
                return steps;
            }
        };
        match self.bind_service(server, &mut ldap).await {
            Ok(()) => say(
                true,
                Lang::En.trf("Signed in as {dn}.", &[("dn", &server.bind_dn)]),
            ),
            Err(error) => {
                say(
                    false,
                    Lang::En.trf(
                        "Could not sign in as the service account: {error}.",
                        &[("error", &error)],
                    ),
                );
                return steps;
            }
        }
        let login = login.trim();
        if login.is_empty() {
            say(
                true,
                en("Enter a user name to look a user up as well.").to_owned(),
            );
            return steps;
        }
        let timeout = Directory::timeout(server) * 3;
        let looked_up = tokio::time::timeout(timeout, async {
            let entry = find_user(server, &mut ldap, login).await?;
            match entry {
                Some(entry) => {
                    let groups = read_groups(server, &mut ldap, &entry, login).await?;
                    Ok::<_, LdapError>(Some((entry, groups)))
                }
                None => Ok(None),
            }
        })
        .await;
        match looked_up {
            Err(_) => say(
                false,
                en("The directory did not answer in time.").to_owned(),
            ),
            Ok(Err(error)) => say(
                false,
                Lang::En.trf("The search failed: {error}.", &[("error", &error)]),
            ),
            Ok(Ok(None)) => say(
                false,
                Lang::En.trf(
                    "No user {login} under {base} with {filter}.",
                    &[
                        ("login", &login),
                        ("base", &server.user_base),
                        (
                            "filter",
                            &user_filter(&server.user_filter, &server.login_attribute, login),
                        ),
                    ],
                ),
            ),
            Ok(Ok(Some((entry, groups)))) => {
                let user = describe(server, &entry, login, groups);
                say(true, Lang::En.trf("Found {dn}.", &[("dn", &user.dn)]));
                say(
                    true,
                    Lang::En.trf(
                        "Name: {name}; e-mail: {email}; mobile: {mobile}.",
                        &[
                            ("name", &user.display_name),
                            (
                                "email",
                                &if user.email.is_empty() {
                                    "(none)"
                                } else {
                                    &user.email
                                },
                            ),
                            ("mobile", &user.mobile.as_deref().unwrap_or("(none)")),
                        ],
                    ),
                );
                let names: Vec<&str> = user.groups.iter().map(|g| g.name.as_str()).collect();
                say(
                    true,
                    if names.is_empty() {
                        en("Groups: none found.").to_owned()
                    } else {
                        Lang::En.trf("Groups: {groups}.", &[("groups", &names.join(", "))])
                    },
                );
            }
        }
        ldap.unbind().await.ok();
        steps
    }
}

/// What is done on a service connection.
#[derive(Clone, Copy)]
enum Work<'a> {
    /// Find the user, read their groups, bind as them.
    Check { login: &'a str, password: &'a str },
    /// Find the user by their login name or e-mail address and read their
    /// groups (their identity was proven otherwise: a certificate).
    Find(FindBy<'a>),
    /// Read the groups of the user with `dn`.
    GroupsOf { dn: &'a str, login: &'a str },
    /// List every group.
    AllGroups,
}

enum Done {
    Checked(Checked),
    Groups(Vec<Group>),
}

impl Work<'_> {
    async fn run(&self, server: &ldap_server::Model, conn: &mut Conn) -> Result<Done, LdapError> {
        match *self {
            Work::Check { login, password } => {
                let Some(entry) = find_user(server, &mut conn.ldap, login).await? else {
                    return Ok(Done::Checked(Checked::Unknown));
                };
                let groups = read_groups(server, &mut conn.ldap, &entry, login).await?;
                conn.as_service = false;
                let bound = conn
                    .ldap
                    .simple_bind(&entry.dn, password)
                    .await
                    .and_then(|r| r.success());
                match bound {
                    Ok(_) => Ok(Done::Checked(Checked::User(describe(
                        server, &entry, login, groups,
                    )))),
                    Err(error) if result_code(&error) == Some(INVALID_CREDENTIALS) => {
                        Ok(Done::Checked(Checked::WrongPassword))
                    }
                    Err(error) => Err(error),
                }
            }
            Work::Find(by) => {
                let attribute = match by {
                    FindBy::Login(_) => server.login_attribute.as_str(),
                    FindBy::Email(_) if server.email_attribute.is_empty() => {
                        return Ok(Done::Checked(Checked::Unknown));
                    }
                    FindBy::Email(_) => server.email_attribute.as_str(),
                };
                let (FindBy::Login(value) | FindBy::Email(value)) = by;
                let Some(entry) = find_user_by(server, &mut conn.ldap, attribute, value).await?
                else {
                    return Ok(Done::Checked(Checked::Unknown));
                };
                let Some(login) = first(&entry, &server.login_attribute) else {
                    return Ok(Done::Checked(Checked::Unknown));
                };
                let groups = read_groups(server, &mut conn.ldap, &entry, &login).await?;
                Ok(Done::Checked(Checked::User(describe(
                    server, &entry, &login, groups,
                ))))
            }
            Work::GroupsOf { dn, login } => {
                // Still there, and still one the portal's filter admits.
                let filter = match server.user_filter.trim() {
                    "" => "(objectClass=*)".to_owned(),
                    f if f.starts_with('(') => f.to_owned(),
                    f => format!("({f})"),
                };
                let searched = conn
                    .ldap
                    .search(
                        dn,
                        Scope::Base,
                        &filter,
                        vec!["memberOf", server.login_attribute.as_str()],
                    )
                    .await?
                    .success();
                let found = match searched {
                    Ok((found, _)) => found,
                    // The entry is gone: no groups (not a failing server).
                    Err(error) if result_code(&error) == Some(NO_SUCH_OBJECT) => Vec::new(),
                    Err(error) => return Err(error),
                };
                Ok(Done::Groups(match entries(found).into_iter().next() {
                    Some(entry) => read_groups(server, &mut conn.ldap, &entry, login).await?,
                    None => Vec::new(),
                }))
            }
            Work::AllGroups => {
                let membership = server.membership;
                // In pages: Active Directory answers at most 1000 entries at once.
                let adapters: Vec<Box<dyn Adapter<_, _>>> = vec![
                    Box::new(EntriesOnly::new()),
                    Box::new(PagedResults::new(500)),
                ];
                let mut stream = conn
                    .ldap
                    .streaming_search_with(
                        adapters,
                        &group_root(server),
                        Scope::Subtree,
                        membership.groups_filter(),
                        vec!["cn"],
                    )
                    .await?;
                let mut found = Vec::new();
                while let Some(entry) = stream.next().await? {
                    if found.len() < MAX_GROUPS {
                        found.push(entry);
                    }
                }
                stream.finish().await.success()?;
                Ok(Done::Groups(
                    entries(found)
                        .iter()
                        .map(|e| Group::new(server.id, &e.dn))
                        .collect(),
                ))
            }
        }
    }
}

/// The one entry whose login attribute is `login`; none when there is
/// none or more than one.
async fn find_user(
    server: &ldap_server::Model,
    ldap: &mut Ldap,
    login: &str,
) -> Result<Option<SearchEntry>, LdapError> {
    find_user_by(server, ldap, &server.login_attribute, login).await
}

/// The one entry whose `attribute` is `value`; none when there is none or
/// more than one.
async fn find_user_by(
    server: &ldap_server::Model,
    ldap: &mut Ldap,
    attribute: &str,
    login: &str,
) -> Result<Option<SearchEntry>, LdapError> {
    let filter = user_filter(&server.user_filter, attribute, login);
    let mut wanted = vec![
        server.login_attribute.as_str(),
        server.name_attribute.as_str(),
        server.email_attribute.as_str(),
        "memberOf",
    ];
    if !server.mobile_attribute.is_empty() {
        wanted.push(server.mobile_attribute.as_str());
    }
    let (found, _) = ldap
        .search(&server.user_base, Scope::Subtree, &filter, wanted)
        .await?
        .success()?;
    let mut found = entries(found);
    if found.len() > 1 {
        tracing::warn!(server = %server.name, count = found.len(), "a user name matches several directory entries; refusing it");
        return Ok(None);
    }
    // The server's matching rules may be looser than equality (ignored
    // characters, another value of a multi-valued attribute): only an
    // entry whose value is the one asked for counts.
    let wanted = login.trim().to_lowercase();
    Ok(found.pop().filter(|entry| {
        values(entry, attribute)
            .iter()
            .any(|v| v.trim().to_lowercase() == wanted)
    }))
}

/// The groups of the user in `entry`, the way the server is set up to
/// tell them.
async fn read_groups(
    server: &ldap_server::Model,
    ldap: &mut Ldap,
    entry: &SearchEntry,
    login: &str,
) -> Result<Vec<Group>, LdapError> {
    let membership = server.membership;
    let login = first(entry, &server.login_attribute).unwrap_or_else(|| login.to_owned());
    let mut groups: Vec<Group> = match membership.member_filter(&entry.dn, &login) {
        None => {
            let base = normalize_dn(server.group_base.trim());
            values(entry, "memberOf")
                .iter()
                .map(|dn| Group::new(server.id, dn))
                .filter(|g| is_under(&g.dn, &base))
                .collect()
        }
        Some(filter) => {
            let (found, _) = ldap
                .search(&group_root(server), Scope::Subtree, &filter, vec!["cn"])
                .await?
                .success()?;
            entries(found)
                .iter()
                .map(|e| Group::new(server.id, &e.dn))
                .collect()
        }
    };
    groups.sort();
    groups.dedup();
    Ok(groups)
}

fn describe(
    server: &ldap_server::Model,
    entry: &SearchEntry,
    login: &str,
    groups: Vec<Group>,
) -> DirectoryUser {
    let login = login.trim().to_lowercase();
    DirectoryUser {
        server_id: server.id,
        dn: entry.dn.clone(),
        display_name: first(entry, &server.name_attribute).unwrap_or_else(|| login.clone()),
        email: first(entry, &server.email_attribute).unwrap_or_default(),
        mobile: first(entry, &server.mobile_attribute),
        login,
        groups,
    }
}

//! Signing in and out, and who is asking: server-side sessions in the
//! database (they survive restarts and work across instances), whose
//! cookie secret is stored only as a SHA-256 hash.

use crate::domain::ids::UserId;
use crate::domain::text::TextEnum;
use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::ExprTrait as _;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::Admin;
use super::audit::{self, Event, RequestOrigin, TimesBy};
use super::client_certificates::{
    CertificateRefusal, ClientTrust, PresentedCertificate, Refusal, Shown,
};
use super::directory::{Checked, Directory, DirectoryError, FindBy};
use super::entities::{session, user};
use super::settings::{self, Settings};
use super::{accounts, passwords};
use crate::domain::access::{self, Action, Denied, Subject};
use crate::domain::audit::Outcome;
use crate::domain::certificate_sign_in::{
    CertificateMapping, Lookup, MethodsChangeError, Proof, SignInMethods, check_methods_change,
};
use crate::domain::role::RoleSet;
use crate::domain::signin::{
    IdleTimeout, LockoutPolicy, SignInProblem, minutes_until, session_alive,
};
use crate::domain::username::Username;

pub const SESSION_COOKIE: &str = "ssp_session";
pub const CSRF_COOKIE: &str = "ssp_csrf";

/// The signed-in user of this request. Only this module makes one, from a
/// live session or a successful sign-in.
#[derive(Clone, Debug)]
pub struct CurrentUser {
    id: UserId,
    username: Username,
    display_name: String,
    roles: RoleSet,
    session_hash: String,
    /// How the session was opened, and when its holder last proved who
    /// they are.
    proof: Proof,
    proved_at: DateTime<Utc>,
}

impl CurrentUser {
    pub fn id(&self) -> UserId {
        self.id
    }

    pub fn username(&self) -> &Username {
        &self.username
    }

    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    pub fn roles(&self) -> &RoleSet {
        &self.roles
    }

    /// The hash of this request's session (the secret itself is the cookie).
    pub fn session_hash(&self) -> &str {
        &self.session_hash
    }

    /// How this session was opened: how its holder proves it is them again.
    pub fn proof(&self) -> Proof {
        self.proof
    }

    /// When the holder last proved who they are (signing in, or again).
    pub fn proved_at(&self) -> DateTime<Utc> {
        self.proved_at
    }

    /// Whether this user may do `action` (roles only; device ownership and
    /// state are checked by the services that act on devices).
    pub fn may(&self, action: Action) -> Result<(), Denied> {
        access::check(
            Subject {
                roles: &self.roles,
                disabled: false,
            },
            action,
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("The user name or password is not correct.")]
    Invalid,
    #[error("Too many failed sign-ins. Try again in {minutes} minute(s).")]
    Locked { minutes: i64 },
    #[error(transparent)]
    Denied(Denied),
    #[error(
        "The directory that checks your password cannot be reached right now. Try again in a few minutes, or contact your IT helpdesk."
    )]
    DirectoryUnavailable,
    #[error("{}", .0.message())]
    Refused(SignInProblem),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

impl SignInError {
    /// What the sign-in page says about it (`None` for a database error).
    pub fn problem(&self) -> Option<SignInProblem> {
        Some(match self {
            SignInError::Invalid => SignInProblem::Invalid,
            SignInError::Locked { minutes } => {
                SignInProblem::Locked(u32::try_from(*minutes).unwrap_or(15))
            }
            SignInError::Denied(Denied::Disabled) => SignInProblem::Disabled,
            SignInError::Denied(_) => SignInProblem::NoAccess,
            SignInError::DirectoryUnavailable => SignInProblem::DirectoryUnavailable,
            SignInError::Refused(problem) => *problem,
            SignInError::Db(_) => return None,
        })
    }
}

/// SHA-256 (hex) of a secret token: what the database keeps instead of it.
pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What requests take turns for (each has its own locks).
#[derive(Clone, Copy, Debug)]
pub enum Turns {
    /// Checking a user name's password.
    SignIn,
    /// Registering a device for a user.
    Registration,
}

/// The lock that requests of one kind about one user name take turns
/// with, in this process: one of a fixed set, chosen by the name, so memory
/// stays bounded whatever names are tried.
pub fn turn(kind: Turns, name: &str) -> &'static tokio::sync::Mutex<()> {
    const PER_KIND: usize = 64;
    static LOCKS: std::sync::OnceLock<Vec<tokio::sync::Mutex<()>>> = std::sync::OnceLock::new();
    let locks = LOCKS.get_or_init(|| {
        (0..2 * PER_KIND)
            .map(|_| tokio::sync::Mutex::new(()))
            .collect()
    });
    let digest = Sha256::digest(name.as_bytes());
    let offset = match kind {
        Turns::SignIn => 0,
        Turns::Registration => PER_KIND,
    };
    &locks[offset + usize::from(digest[0]) % PER_KIND]
}

/// How often a session's "last seen" time is written (not on every request).
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

/// Checks a user's password under the sign-in lockout rules, wherever it
/// is typed (the sign-in page, a device's enrollment): a locked name or
/// address is refused before any check, and a wrong password counts as a
/// failed sign-in. `via` says where, in the audit log.
///
/// Local users are checked against their stored hash; anyone else against
/// the directories (a directory user's record is made or refreshed from
/// their entry). An empty password is refused before anything is asked.
pub async fn check_password(
    db: &DatabaseConnection,
    directory: &Directory,
    origin: &RequestOrigin,
    username_text: &str,
    password: String,
    via: &str,
    now: DateTime<Utc>,
) -> Result<user::Model, SignInError> {
    let policy = LockoutPolicy::default();
    let target: String = username_text
        .trim()
        .to_lowercase()
        .chars()
        .take(Username::MAX_LEN)
        .collect();
    // Attempts for one user name take turns in this process. Each attempt
    // is recorded as a failure before anything is counted, and settled when
    // its outcome is known: parallel attempts (over many names, or on
    // another instance) each count the others, so a burst gets no more
    // tries than the limits.
    let _turn = turn(Turns::SignIn, &target).lock().await;
    let checking = json!({ "reason": "checking", "via": via });
    let attempt =
        record_no_session(db, origin, Some(&target), Outcome::Failure, checking, now).await?;
    let fail = async |outcome: Outcome, reason: &str| -> Result<(), DbErr> {
        let details = json!({ "reason": reason, "via": via });
        audit::settle(db, attempt, outcome, details).await
    };

    let since = policy.window_start(now);
    let by_user = audit::times_of(
        db,
        "sign_in",
        Outcome::Failure,
        TimesBy::Target(&target),
        since,
        64,
        Some(attempt),
    )
    .await?;
    let last_success = audit::times_of(
        db,
        "sign_in",
        Outcome::Success,
        TimesBy::Target(&target),
        since,
        1,
        None,
    )
    .await?
    .first()
    .copied();
    let by_addr = audit::times_of(
        db,
        "sign_in",
        Outcome::Failure,
        TimesBy::ClientAddr(&origin.client_addr),
        since,
        256,
        Some(attempt),
    )
    .await?;
    let locked = policy
        .locked_until(&by_user, last_success, policy.per_user, now)
        .into_iter()
        .chain(policy.locked_until(&by_addr, None, policy.per_address, now))
        .max();
    if let Some(until) = locked {
        fail(Outcome::Refused, "locked").await?;
        return Err(SignInError::Locked {
            minutes: minutes_until(until, now),
        });
    }

    let found = match Username::parse(username_text) {
        Ok(name) => accounts::find(db, &name).await?,
        Err(_) => None,
    };
    let invalid = async || -> Result<user::Model, SignInError> {
        fail(Outcome::Failure, "invalid credentials").await?;
        Err(SignInError::Invalid)
    };
    // Not a failure after all: the caller records the success.
    let succeeded = async |user: user::Model| -> Result<user::Model, SignInError> {
        audit::withdraw(db, attempt).await?;
        Ok(user)
    };
    if let Some(local) = found.as_ref().filter(|u| u.source == accounts::LOCAL) {
        let stored_hash = local.password_hash.clone();
        return match !password.is_empty() && passwords::verify(password, stored_hash).await {
            true => succeeded(local.clone()).await,
            false => invalid().await,
        };
    }
    // Only a name that can be a portal user name is looked up, as parsed:
    // the lockout above counts exactly the name the directory is asked for.
    let name = match Username::parse(username_text) {
        Ok(name) if !password.is_empty() => name,
        _ => return invalid().await,
    };
    // A directory user is checked by the server their record came from,
    // while it is configured: another directory's "alice" is not them.
    let tied_to = found.as_ref().and_then(|u| u.directory_server);
    match directory.check(db, name.as_str(), &password, tied_to).await {
        Ok(Checked::User(entry)) => {
            match accounts::from_directory(db, origin, &entry, now).await? {
                Some(user) => succeeded(user).await,
                None => invalid().await,
            }
        }
        // The same work whether the name is known or not: no hint either way.
        Ok(Checked::WrongPassword | Checked::Unknown) => {
            passwords::verify(password, None).await;
            invalid().await
        }
        Err(error) => {
            tracing::warn!(%error, "sign-in refused: directory unavailable");
            fail(Outcome::Refused, "directory unavailable").await?;
            Err(SignInError::DirectoryUnavailable)
        }
    }
}

/// Checks the password and opens a session. Unknown users and wrong
/// passwords get the same answer after the same work; repeated failures
/// lock the user name (and a busy client address) for a while.
#[allow(clippy::too_many_arguments)]
pub async fn sign_in(
    db: &DatabaseConnection,
    directory: &Directory,
    settings: &Settings,
    origin: &RequestOrigin,
    username_text: &str,
    password: String,
    certificates_available: bool,
    now: DateTime<Utc>,
) -> Result<(CurrentUser, String), SignInError> {
    if !settings
        .sign_in
        .effective(certificates_available)
        .password()
    {
        record_refusal(
            db,
            origin,
            username_text.trim(),
            SignInProblem::PasswordOff,
            json!({}),
            now,
        )
        .await?;
        return Err(SignInError::Refused(SignInProblem::PasswordOff));
    }
    let user = check_password(
        db,
        directory,
        origin,
        username_text,
        password,
        "sign-in page",
        now,
    )
    .await?;
    let details = json!({ "method": "password", "source": user.source });
    open_session(db, origin, user, Proof::Password, details, now).await
}

/// Audits a sign-in refused before any user was found.
async fn record_refusal(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    target: &str,
    problem: SignInProblem,
    mut details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    details["reason"] = json!(problem.code());
    let target = (!target.is_empty()).then_some(target);
    record_no_session(db, origin, target, Outcome::Refused, details, now).await?;
    Ok(())
}

/// Audits a sign-in that opened no session.
async fn record_no_session(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    target: Option<&str>,
    outcome: Outcome,
    details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<i64, DbErr> {
    let event = Event {
        actor: None,
        action: "sign_in",
        target,
        device_id: None,
        outcome,
        details,
    };
    // Anyone can cause these rows: each stays small (a user agent is cut
    // to what tells browsers apart).
    let origin = RequestOrigin {
        client_addr: origin.client_addr.clone(),
        user_agent: origin
            .user_agent
            .chars()
            .take(STRANGERS_USER_AGENT)
            .collect(),
    };
    audit::record_pending(db, &origin, now, event).await
}

/// How much of a user agent a row written without a session keeps.
const STRANGERS_USER_AGENT: usize = 120;

/// Opens a session for `user`, who proved who they are, if they may use
/// the portal; audits the outcome with `details` (the method).
async fn open_session(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    user: user::Model,
    proof: Proof,
    mut details: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<(CurrentUser, String), SignInError> {
    let roles = accounts::roles_of(&user);
    if let Err(denied) = access::check(
        Subject {
            roles: &roles,
            disabled: user.disabled,
        },
        Action::UsePortal,
    ) {
        details["reason"] = json!(denied.to_string());
        let target = Some(user.username.as_str());
        record_no_session(db, origin, target, Outcome::Refused, details, now).await?;
        return Err(SignInError::Denied(denied));
    }

    let token = passwords::random_token();
    let session_hash = hash_token(&token);
    session::ActiveModel {
        id_hash: Set(session_hash.clone()),
        user_id: Set(user.id),
        created_at: Set(now),
        last_seen_at: Set(now),
        client_addr: Set(origin.client_addr.clone()),
        user_agent: Set(origin.user_agent.chars().take(512).collect()),
        proof: Set(proof),
        proved_at: Set(Some(now)),
    }
    .insert(db)
    .await?;
    audit::record(
        db,
        origin,
        now,
        Event {
            actor: Some(&user.username),
            action: "sign_in",
            target: Some(&user.username),
            device_id: None,
            outcome: Outcome::Success,
            details,
        },
    )
    .await?;
    let username = Username::parse(&user.username).map_err(|_| SignInError::Invalid)?;
    Ok((
        CurrentUser {
            id: user.id,
            username,
            display_name: user.display_name,
            roles,
            session_hash,
            proof,
            proved_at: now,
        },
        token,
    ))
}

/// Signs in the holder of `presented`, a certificate whose private key the
/// TLS connection (or a trusted proxy) proved: checked against `trust` at
/// `now`, mapped to a user by the administrator's rule, then a session as
/// for a password. Every outcome is audited with the certificate's
/// subject, issuer and serial.
pub async fn sign_in_with_certificate(
    db: &DatabaseConnection,
    directory: &Directory,
    settings: &Settings,
    origin: &RequestOrigin,
    trust: Option<&ClientTrust>,
    presented: Option<&PresentedCertificate>,
    now: DateTime<Utc>,
) -> Result<(CurrentUser, String), SignInError> {
    let (user, details) =
        certificate_holder(db, directory, settings, origin, trust, presented, now).await?;
    open_session(db, origin, user, Proof::Certificate, details, now).await
}

/// The user `presented` names, checked against `trust` at `now` and mapped
/// by the administrator's rule, with the certificate's details for the
/// audit log. Refusals are audited here.
async fn certificate_holder(
    db: &DatabaseConnection,
    directory: &Directory,
    settings: &Settings,
    origin: &RequestOrigin,
    trust: Option<&ClientTrust>,
    presented: Option<&PresentedCertificate>,
    now: DateTime<Utc>,
) -> Result<(user::Model, serde_json::Value), SignInError> {
    let refuse = async |problem: SignInProblem, details: serde_json::Value| {
        record_refusal(db, origin, "", problem, details, now).await?;
        Err::<(user::Model, serde_json::Value), _>(SignInError::Refused(problem))
    };
    let (methods, mapping) = (settings.sign_in, settings.certificate_mapping);
    let Some(trust) = trust.filter(|_| methods.certificate()) else {
        return refuse(
            SignInProblem::CertificateOff,
            json!({ "method": "certificate" }),
        )
        .await;
    };
    let Some(presented) = presented else {
        return refuse(
            SignInProblem::NoCertificate,
            json!({ "method": "certificate" }),
        )
        .await;
    };
    let verified = match trust.verify(presented, now) {
        Ok(verified) => verified,
        Err(CertificateRefusal::Unreadable) => {
            return refuse(
                SignInProblem::CertificateUnreadable,
                json!({ "method": "certificate" }),
            )
            .await;
        }
        Err(CertificateRefusal::Checked(refusal, shown)) => {
            let problem = match refusal {
                Refusal::Expired => SignInProblem::CertificateExpired,
                Refusal::NotYetValid => SignInProblem::CertificateNotYetValid,
                Refusal::Untrusted => SignInProblem::CertificateUntrusted,
                Refusal::NotForSignIn => SignInProblem::CertificateNotForSignIn,
                Refusal::Revoked => SignInProblem::CertificateRevoked,
                Refusal::RevocationOutOfDate => SignInProblem::RevocationOutOfDate,
            };
            return refuse(problem, certificate_details(&shown, mapping.as_str())).await;
        }
    };
    let details = certificate_details(&verified.shown, mapping.as_str());
    let lookups = match mapping.lookups(&verified.identity) {
        Ok(lookups) => lookups,
        Err(missing) => return refuse(missing.into(), details).await,
    };
    match find_certificate_user(db, directory, origin, &lookups, now).await {
        Ok(Some(user)) => Ok((user, details)),
        Ok(None) => {
            let mut details = details;
            details["looked_for"] = json!(
                lookups
                    .iter()
                    .map(|l| match l {
                        Lookup::Username(v) => format!("user name {v}"),
                        Lookup::Email(v) => format!("e-mail {v}"),
                    })
                    .collect::<Vec<_>>()
            );
            refuse(SignInProblem::UnknownCertificateUser, details).await
        }
        Err(SignInError::DirectoryUnavailable) => {
            tracing::warn!("certificate sign-in refused: directory unavailable");
            refuse(SignInProblem::DirectoryUnavailable, details).await
        }
        Err(error) => Err(error),
    }
}

/// The signed-in `user` proves who they are again, the way their session
/// was opened: their password, or the certificate on this request. A wrong
/// password counts as a failed sign-in (and the lockout applies); a
/// certificate must name this very user. On success the session counts
/// as proved `now`; the outcome is audited as `step_up`.
#[allow(clippy::too_many_arguments)]
pub async fn prove_again(
    db: &DatabaseConnection,
    directory: &Directory,
    settings: &Settings,
    origin: &RequestOrigin,
    user: &CurrentUser,
    password: String,
    (trust, presented): (Option<&ClientTrust>, Option<&PresentedCertificate>),
    now: DateTime<Utc>,
) -> Result<(), SignInError> {
    let name = user.username().as_str();
    let holder = match user.proof() {
        Proof::Password => {
            check_password(db, directory, origin, name, password, "step_up", now).await?
        }
        Proof::Certificate => {
            certificate_holder(db, directory, settings, origin, trust, presented, now)
                .await?
                .0
        }
    };
    let outcome = if holder.id == user.id() {
        Outcome::Success
    } else {
        Outcome::Refused
    };
    audit::record(
        db,
        origin,
        now,
        Event {
            actor: Some(name),
            action: "step_up",
            target: Some(name),
            device_id: None,
            outcome,
            details: json!({ "method": user.proof().as_str() }),
        },
    )
    .await?;
    if outcome != Outcome::Success {
        // Someone else's certificate: not this person.
        return Err(SignInError::Invalid);
    }
    session::Entity::update_many()
        .col_expr(session::Column::ProvedAt, Expr::value(now))
        .filter(session::Column::IdHash.eq(user.session_hash()))
        .exec(db)
        .await?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeSignInError {
    #[error(transparent)]
    Refused(#[from] MethodsChangeError),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// Changes how people sign in, under the rule that turning passwords off
/// needs proof that certificate sign-in works for the administrator making
/// the change: the certificate on this very request, valid and mapped (by
/// the new rule) to them. So the change never locks out the last
/// administrator. Refusals are audited.
#[allow(clippy::too_many_arguments)]
pub async fn change_sign_in(
    db: &DatabaseConnection,
    directory: &Directory,
    origin: &RequestOrigin,
    admin: &Admin,
    trust: Option<&ClientTrust>,
    presented: Option<&PresentedCertificate>,
    methods: SignInMethods,
    mapping: CertificateMapping,
    now: DateTime<Utc>,
) -> Result<(), ChangeSignInError> {
    let proven = match (methods.password(), trust, presented) {
        (false, Some(trust), Some(presented)) => match trust.verify(presented, now) {
            Ok(verified) => match mapping.lookups(&verified.identity) {
                Ok(lookups) => matches!(
                    find_certificate_user(db, directory, origin, &lookups, now).await,
                    Ok(Some(user)) if Some(user.id) == admin.user_id()
                ),
                Err(_) => false,
            },
            Err(_) => false,
        },
        _ => false,
    };
    if let Err(refused) = check_methods_change(methods, trust.is_some(), proven) {
        audit::record(
            db,
            origin,
            now,
            Event {
                actor: Some(admin.name()),
                action: "setting.change",
                target: Some("sign_in"),
                device_id: None,
                outcome: Outcome::Refused,
                details: json!({
                    "methods": methods.as_str(),
                    "mapping": mapping.as_str(),
                    "reason": refused.to_string(),
                }),
            },
        )
        .await?;
        return Err(refused.into());
    }
    settings::set_sign_in(db, origin, admin, methods, mapping, now).await?;
    // The administrator's own session goes on; proven by a certificate
    // just now, it counts as a certificate session from here on.
    if let Some(own) = admin.session() {
        let proof = if proven {
            Proof::Certificate
        } else {
            Proof::Password
        };
        session::Entity::update_many()
            .col_expr(session::Column::Proof, Expr::value(proof.as_str()))
            .filter(session::Column::IdHash.eq(own))
            .filter(session::Column::Proof.ne(Proof::Certificate.as_str()))
            .exec(db)
            .await?;
    }
    end_closed_sessions(db, methods, admin.session()).await?;
    Ok(())
}

/// Ends the sessions opened by a way of signing in that `methods` no
/// longer allow (all but `keep`); gives how many ended.
pub async fn end_closed_sessions(
    db: &DatabaseConnection,
    methods: SignInMethods,
    keep: Option<&str>,
) -> Result<u64, DbErr> {
    let closed: Vec<&str> = Proof::ALL
        .iter()
        .filter(|proof| !methods.keeps(**proof))
        .map(|proof| proof.as_str())
        .collect();
    let mut ending = session::Entity::delete_many().filter(session::Column::Proof.is_in(closed));
    if let Some(keep) = keep {
        ending = ending.filter(session::Column::IdHash.ne(keep));
    }
    let ended = ending.exec(db).await?.rows_affected;
    if ended > 0 {
        tracing::info!(
            ended,
            methods = methods.as_str(),
            "sessions of a closed way of signing in ended"
        );
    }
    Ok(ended)
}

fn certificate_details(shown: &Shown, mapping: &str) -> serde_json::Value {
    json!({
        "method": "certificate",
        "mapping": mapping,
        "subject": shown.subject,
        "issuer": shown.issuer,
        "serial": shown.serial,
    })
}

/// The user the lookups find: a local user (every lookup is tried on the
/// local users first, so that a directory outage does not keep them out),
/// else a directory user, asked again so that someone removed from the
/// directory is not let in. An e-mail address that several people have
/// finds nobody.
async fn find_certificate_user(
    db: &DatabaseConnection,
    directory: &Directory,
    origin: &RequestOrigin,
    lookups: &[Lookup],
    now: DateTime<Utc>,
) -> Result<Option<user::Model>, SignInError> {
    let mut stored = Vec::new();
    for lookup in lookups {
        let found = match lookup {
            Lookup::Username(name) => match Username::parse(name) {
                Ok(name) => accounts::find(db, &name).await?.into_iter().collect(),
                Err(_) => Vec::new(),
            },
            Lookup::Email(email) => accounts::with_email(db, email).await?,
        };
        if found.len() > 1 {
            tracing::warn!("a certificate's e-mail address belongs to several users: refused");
            return Ok(None);
        }
        if let Some(local) = found.iter().find(|u| u.source == accounts::LOCAL) {
            return Ok(Some(local.clone()));
        }
        stored.push(found.into_iter().next());
    }
    for (lookup, stored) in lookups.iter().zip(stored) {
        let by = match lookup {
            Lookup::Username(name) => FindBy::Login(name),
            Lookup::Email(email) => FindBy::Email(email),
        };
        let tied_to = stored.as_ref().and_then(|u| u.directory_server);
        match directory.find(db, by, tied_to).await {
            Ok(Some(entry)) => {
                if let Some(user) = accounts::from_directory(db, origin, &entry, now).await? {
                    return Ok(Some(user));
                }
            }
            Ok(None) => {}
            Err(DirectoryError::Db(error)) => return Err(SignInError::Db(error)),
            Err(_) => return Err(SignInError::DirectoryUnavailable),
        }
    }
    Ok(None)
}

/// The user behind a session cookie, if the session is alive and the user
/// may still use the portal. Ends sessions that are not.
pub async fn resolve(
    db: &DatabaseConnection,
    token: &str,
    idle: IdleTimeout,
    now: DateTime<Utc>,
) -> Result<Option<CurrentUser>, DbErr> {
    let session_hash = hash_token(token);
    // The session and its user in one query, with only what is needed.
    let found = session::Entity::find_by_id(session_hash.clone())
        .select_only()
        .columns([
            session::Column::CreatedAt,
            session::Column::LastSeenAt,
            session::Column::Proof,
            session::Column::ProvedAt,
        ])
        .column_as(user::Column::Id, "user_id")
        .column_as(user::Column::Username, "username")
        .column_as(user::Column::DisplayName, "display_name")
        .column_as(user::Column::Roles, "roles")
        .column_as(user::Column::GroupRoles, "group_roles")
        .column_as(user::Column::Disabled, "disabled")
        .inner_join(user::Entity)
        .into_model::<SessionOfUser>()
        .one(db)
        .await?;
    let Some(found) = found else {
        return Ok(None);
    };
    let roles = accounts::roles_from(&found.roles, &found.group_roles);
    let alive = session_alive(found.created_at, found.last_seen_at, idle, now);
    let allowed = access::check(
        Subject {
            roles: &roles,
            disabled: found.disabled,
        },
        Action::UsePortal,
    )
    .is_ok();
    let username = Username::parse(&found.username).ok();
    let Some(username) = username.filter(|_| alive && allowed) else {
        session::Entity::delete_by_id(session_hash).exec(db).await?;
        return Ok(None);
    };
    if now - found.last_seen_at >= TOUCH_EVERY {
        let touched = session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(now))
            .filter(session::Column::IdHash.eq(session_hash.clone()))
            .exec(db)
            .await?;
        // Ended meanwhile (signed out in another tab, cleaned up by
        // another instance): the request has no user.
        if touched.rows_affected == 0 {
            return Ok(None);
        }
    }
    Ok(Some(CurrentUser {
        id: found.user_id,
        username,
        roles,
        display_name: found.display_name,
        session_hash,
        proof: found.proof,
        proved_at: found.proved_at.unwrap_or(found.created_at),
    }))
}

/// A session and what the request needs to know of its user.
#[derive(sea_orm::FromQueryResult)]
struct SessionOfUser {
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    proof: Proof,
    proved_at: Option<DateTime<Utc>>,
    user_id: UserId,
    username: String,
    display_name: String,
    roles: String,
    group_roles: String,
    disabled: bool,
}

/// Forgets a session without a trace in the audit log: the session a
/// browser had before it signed in again (the new one gets a new id).
pub async fn discard(db: &DatabaseConnection, user: &CurrentUser) -> Result<(), DbErr> {
    session::Entity::delete_by_id(user.session_hash.clone())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends the user's session.
pub async fn sign_out(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    user: &CurrentUser,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    session::Entity::delete_by_id(user.session_hash.clone())
        .exec(db)
        .await?;
    audit::record(
        db,
        origin,
        now,
        Event {
            actor: Some(user.username.as_str()),
            action: "sign_out",
            target: Some(user.username.as_str()),
            device_id: None,
            outcome: Outcome::Success,
            details: json!({}),
        },
    )
    .await
}

/// Removes sessions that can no longer be used (run now and then).
pub async fn delete_stale_sessions(
    db: &DatabaseConnection,
    idle: IdleTimeout,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let result = session::Entity::delete_many()
        .filter(
            session::Column::LastSeenAt
                .lt(now - idle.duration())
                .or(session::Column::CreatedAt.lt(now - crate::domain::signin::SESSION_LIFETIME)),
        )
        .exec(db)
        .await?;
    Ok(result.rows_affected)
}

//! One-time links to set a password, e-mailed by an administrator when
//! adding a local user or resetting their password. The database keeps a
//! hash of the link's secret; a link works once, until it expires, and a
//! newer one for the same person replaces it.

use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr,
    EntityTrait, QueryFilter,
};
use serde_json::json;

use super::accounts::{self, AccountError, LOCAL};
use super::audit::{self, Event, RequestOrigin};
use super::auth::hash_token;
use super::entities::{password_link, user};
use super::messages::{Outgoing, Recipient};
use super::passwords;
use super::registration::{escape_html, hello, with_markup};
use crate::domain::account::{LINK_VALID_HOURS, NewPassword, PasswordProblem};
use crate::domain::audit::Outcome;
use crate::domain::username::Username;

/// A link just made: its secret (only ever in the e-mail) and its end.
pub struct Issued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The address of the page a link opens.
pub fn link_url(public_url: &str, token: &str) -> String {
    format!("{}/set-password/{token}", public_url.trim_end_matches('/'))
}

/// Makes a new link for `person` inside the caller's transaction; earlier
/// links of theirs stop working.
pub async fn issue(
    txn: &impl ConnectionTrait,
    origin: &RequestOrigin,
    actor: Option<&str>,
    person: &user::Model,
    now: DateTime<Utc>,
) -> Result<Issued, DbErr> {
    password_link::Entity::delete_many()
        .filter(password_link::Column::UserId.eq(person.id))
        .exec(txn)
        .await?;
    let token = passwords::random_token();
    let expires_at = now + Duration::hours(LINK_VALID_HOURS);
    password_link::ActiveModel {
        token_hash: Set(hash_token(&token)),
        user_id: Set(person.id),
        created_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(txn)
    .await?;
    let event = Event::about(
        actor,
        "user.password_link",
        &person.username,
        Outcome::Success,
        json!({ "expires_at": expires_at }),
    );
    audit::record(txn, origin, now, event).await?;
    Ok(Issued { token, expires_at })
}

/// The e-mail that carries a link to `person`, in their language.
pub fn message(public_url: &str, person: &user::Model, issued: &Issued) -> Outgoing {
    let lang = accounts::language_of(person);
    let url = link_url(public_url, &issued.token);
    let until = lang.date_time(issued.expires_at);
    let name = &person.username;
    let hello = hello(lang, &person.display_name);
    let to_set = |user: &str| {
        lang.trf(
            "to set your password for the device portal (user name: {user}), open this link:",
            &[("user", &user)],
        )
    };
    let once = lang.trf(
        "It can be used once, until {until}. If you did not expect this message, ignore it: nothing changes until the link is used.",
        &[("until", &until)],
    );
    let text = format!("{hello}\n\n{}\n\n{url}\n\n{once}\n", to_set(name.as_str()));
    let strong = format!("<strong>{}</strong>", escape_html(name.as_str()));
    let html = format!(
        "<p>{}</p><p>{}</p><p><a href=\"{url}\">{url}</a></p><p>{}</p>",
        escape_html(&hello),
        with_markup(&to_set("{user}"), &[("user", strong.as_str())]),
        escape_html(&once),
        url = escape_html(&url),
    );
    Outgoing {
        to: Recipient::Email(person.email.clone()),
        subject: lang
            .tr("Set your password for the device portal")
            .to_owned(),
        text,
        html,
        audit_action: "password_link.email",
        actor: person.username.clone(),
        device_id: None,
        tracks_registration: None,
    }
}

/// Makes a link for the local user `username` and e-mails it; their
/// password stays as it is until the link is used.
pub async fn send(
    db: &DatabaseConnection,
    portal: &super::PortalConfig,
    origin: &RequestOrigin,
    actor: Option<&str>,
    username: &Username,
    now: DateTime<Utc>,
) -> Result<(), LinkError> {
    if !portal.messenger.mail_enabled() {
        return Err(LinkError::NoMail);
    }
    let (_turn, txn) = super::begin_write(db).await?;
    let person = accounts::find(&txn, username)
        .await?
        .filter(|p| p.source == LOCAL)
        .ok_or_else(|| AccountError::NotFound(username.to_string()))?;
    if person.email.trim().is_empty() {
        return Err(LinkError::NoAddress);
    }
    // A disabled person's link would not work: enable them first.
    if person.disabled {
        return Err(LinkError::Disabled);
    }
    let issued = issue(&txn, origin, actor, &person, now).await?;
    let mut outgoing = message(&portal.public_url, &person, &issued);
    // Its sending is audited as the administrator's doing.
    if let Some(actor) = actor {
        outgoing.actor = actor.to_owned();
    }
    portal.messenger.queue(&txn, outgoing, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Why a link could not be sent or used.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("The portal has no mail server to send the link with.")]
    NoMail,
    #[error("This user has no e-mail address to send the link to.")]
    NoAddress,
    #[error("This user is disabled: enable them first.")]
    Disabled,
    #[error("This link has expired or has been used already.")]
    Gone,
    #[error("{}", .0.message())]
    Refused(PasswordProblem),
    #[error(transparent)]
    Account(#[from] AccountError),
    #[error("database error: {0}")]
    Db(#[from] DbErr),
}

/// The person a link that still works is for: local and enabled.
pub async fn holder(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<Option<user::Model>, DbErr> {
    let Some(link) = password_link::Entity::find_by_id(hash_token(token))
        .filter(password_link::Column::ExpiresAt.gt(now))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    Ok(user::Entity::find_by_id(link.user_id)
        .one(db)
        .await?
        .filter(|u| u.source == LOCAL && !u.disabled))
}

/// Sets the password a link's holder chose; the link is spent and every
/// session of theirs ends. Two uses at once: one wins, the other is `Gone`.
pub async fn use_link(
    db: &DatabaseConnection,
    origin: &RequestOrigin,
    form: NewPassword,
    now: DateTime<Utc>,
) -> Result<Username, LinkError> {
    let well_formed = |t: &str| {
        !t.is_empty()
            && t.len() <= 128
            && t.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    };
    if !well_formed(&form.token) {
        return Err(LinkError::Gone);
    }
    form.check().map_err(LinkError::Refused)?;
    if holder(db, &form.token, now).await?.is_none() {
        return Err(LinkError::Gone);
    }
    let hash = passwords::hash(form.new)
        .await
        .map_err(AccountError::from)?;
    let (_turn, txn) = super::begin_write(db).await?;
    let Some(person) = holder(&txn, &form.token, now).await? else {
        return Err(LinkError::Gone);
    };
    let spent = password_link::Entity::delete_many()
        .filter(password_link::Column::TokenHash.eq(hash_token(&form.token)))
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(LinkError::Gone);
    }
    let username = Username::parse(&person.username)
        .map_err(|_| AccountError::NotFound(person.username.clone()))?;
    let name = person.username.clone();
    accounts::store_password(&txn, origin, Some(&name), person, hash, None, now).await?;
    txn.commit().await?;
    Ok(username)
}

/// Forgets links that expired (housekeeping).
pub async fn forget_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64, DbErr> {
    Ok(password_link::Entity::delete_many()
        .filter(password_link::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?
        .rows_affected)
}

//! A person's sessions: listed (for them and for administrators) and ended
//! one by one or all but one. Forms name a session by a handle derived
//! from its stored hash, never by the hash or the secret.

use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::audit::{self, Event, RequestOrigin};
use super::entities::session;
use crate::api::types::SessionRow;
use crate::domain::account::browser_of;
use crate::domain::audit::Outcome;
use crate::domain::ids::UserId;

/// The handle of the session stored as `id_hash`.
fn handle_of(id_hash: &str) -> String {
    let digest = Sha256::digest(format!("session handle {id_hash}"));
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// The sessions of `user`, the latest first; `current` marks the asking one.
pub async fn list(
    db: &impl ConnectionTrait,
    user: UserId,
    current: Option<&str>,
) -> Result<Vec<SessionRow>, DbErr> {
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(user))
        .order_by_desc(session::Column::LastSeenAt)
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| SessionRow {
            handle: handle_of(&row.id_hash),
            browser: browser_of(&row.user_agent),
            client_addr: row.client_addr,
            started: row.created_at,
            last_seen: row.last_seen_at,
            current: Some(row.id_hash.as_str()) == current,
        })
        .collect())
}

/// Which of a person's sessions to end.
pub enum Ending<'a> {
    /// The one with this handle.
    One(&'a str),
    /// All of them but this one (stored hash), if any.
    AllBut(Option<&'a str>),
}

/// Ends sessions of `user` (`username`) as `actor` asked; audited. Gives
/// how many ended.
pub async fn end(
    db: &impl ConnectionTrait,
    origin: &RequestOrigin,
    actor: &str,
    (user, username): (UserId, &str),
    ending: Ending<'_>,
    now: DateTime<Utc>,
) -> Result<u64, DbErr> {
    let theirs = session::Entity::find()
        .filter(session::Column::UserId.eq(user))
        .all(db)
        .await?;
    let chosen: Vec<String> = theirs
        .into_iter()
        .map(|s| s.id_hash)
        .filter(|hash| match ending {
            Ending::One(handle) => handle_of(hash) == handle,
            Ending::AllBut(keep) => Some(hash.as_str()) != keep,
        })
        .collect();
    let ended = session::Entity::delete_many()
        .filter(session::Column::UserId.eq(user))
        .filter(session::Column::IdHash.is_in(chosen))
        .exec(db)
        .await?
        .rows_affected;
    let details = json!({ "ended": ended });
    let event = Event::about(
        Some(actor),
        "session.end",
        username,
        Outcome::Success,
        details,
    );
    audit::record(db, origin, now, event).await?;
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handle_names_a_session_without_giving_its_hash_away() {
        let hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let handle = handle_of(hash);
        assert_eq!(handle.len(), 16);
        assert!(!hash.contains(&handle));
        assert_eq!(handle, handle_of(hash));
        assert_ne!(handle, handle_of(&hash.replace('9', "8")));
    }
}

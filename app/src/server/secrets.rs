//! Secrets the portal must be able to read back (an LDAP service
//! account's password, later users' private keys) are sealed with
//! AES-256-GCM under the key from the configuration before they are
//! stored. Each value gets its own random nonce; the stored text is
//! `v1:` and base64 of nonce ‖ ciphertext ‖ tag.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};
use std::sync::Arc;

const PREFIX: &str = "v1:";

/// Seals and opens secrets with the portal's key.
#[derive(Clone)]
pub struct Sealer {
    key: Arc<LessSafeKey>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(…)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SealError {
    #[error("the key must be 32 bytes (44 characters of base64)")]
    BadKey,
    #[error("the system's random number generator failed")]
    Random,
    #[error("a stored secret cannot be read with this key (was the key changed?)")]
    Unreadable,
}

impl Sealer {
    /// A sealer from 32 bytes of key.
    pub fn new(key: &[u8]) -> Result<Sealer, SealError> {
        let key = UnboundKey::new(&AES_256_GCM, key).map_err(|_| SealError::BadKey)?;
        Ok(Sealer {
            key: Arc::new(LessSafeKey::new(key)),
        })
    }

    /// A sealer from the base64 text of a key (as in a key file).
    pub fn from_base64(text: &str) -> Result<Sealer, SealError> {
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| SealError::BadKey)?;
        Sealer::new(&bytes)
    }

    /// A new random key, as base64 text for a key file.
    pub fn generate_key() -> Result<String, SealError> {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| SealError::Random)?;
        Ok(STANDARD.encode(key))
    }

    /// `secret` sealed; `purpose` is bound to it, so a value sealed for one
    /// use cannot be passed off as another.
    pub fn seal(&self, purpose: &str, secret: &str) -> Result<String, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| SealError::Random)?;
        let mut data = secret.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(purpose.as_bytes()),
                &mut data,
            )
            .map_err(|_| SealError::Random)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", STANDARD.encode(out)))
    }

    /// The secret in `sealed`, if it was sealed with this key for `purpose`.
    pub fn open(&self, purpose: &str, sealed: &str) -> Result<String, SealError> {
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() >= NONCE_LEN)
            .ok_or(SealError::Unreadable)?;
        let (nonce, data) = bytes.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SealError::Unreadable)?;
        let mut data = data.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(purpose.as_bytes()), &mut data)
            .map_err(|_| SealError::Unreadable)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SealError::Unreadable)
    }
}

/// The setting that holds a value sealed with the portal's key the first
/// time an instance started on the database: every instance must open it.
const KEY_CHECK: &str = "secrets.key_check";
const KEY_CHECK_PURPOSE: &str = "key-check";

#[derive(Debug, thiserror::Error)]
pub enum KeyCheckError {
    #[error(
        "this is not the key the database's secrets are sealed with (another instance, or an \
         earlier start, used a different one): give every instance the same secret_key or \
         secret_key_file"
    )]
    WrongKey,
    #[error("{0}")]
    Seal(#[from] SealError),
    #[error("cannot check the key: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// Checks that `sealer` has the key of this database: the first instance
/// to start leaves a value sealed with its key, and every instance after
/// it must be able to open that value, so that a second host with its
/// own key refuses to start rather than seal what the others cannot read.
pub async fn check_key(
    db: &sea_orm::DatabaseConnection,
    sealer: &Sealer,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<(), KeyCheckError> {
    use super::entities::setting;
    use sea_orm::{ActiveValue::Set, EntityTrait, sea_query::OnConflict};

    let stored = setting::Entity::find_by_id(KEY_CHECK.to_owned())
        .one(db)
        .await?;
    let stored = match stored {
        Some(row) => row.value,
        None => {
            let _turn = super::write_turn(db).await;
            // Of two instances starting at once, the first one's value stays.
            setting::Entity::insert(setting::ActiveModel {
                key: Set(KEY_CHECK.to_owned()),
                value: Set(sealer.seal(KEY_CHECK_PURPOSE, KEY_CHECK)?),
                updated_at: Set(now),
                updated_by: Set(None),
            })
            .on_conflict(
                OnConflict::column(setting::Column::Key)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
            setting::Entity::find_by_id(KEY_CHECK.to_owned())
                .one(db)
                .await?
                .map(|row| row.value)
                .unwrap_or_default()
        }
    };
    match sealer.open(KEY_CHECK_PURPOSE, &stored) {
        Ok(value) if value == KEY_CHECK => Ok(()),
        _ => Err(KeyCheckError::WrongKey),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_the_same_key_and_purpose() {
        let sealer = Sealer::from_base64(&Sealer::generate_key().unwrap()).unwrap();
        let sealed = sealer.seal("ldap", "pässwörd").unwrap();
        assert!(!sealed.contains("pässwörd"));
        assert_ne!(
            sealed,
            sealer.seal("ldap", "pässwörd").unwrap(),
            "a fresh nonce each time"
        );
        assert_eq!(sealer.open("ldap", &sealed).unwrap(), "pässwörd");
        assert!(sealer.open("certificate", &sealed).is_err());
        let other = Sealer::from_base64(&Sealer::generate_key().unwrap()).unwrap();
        assert!(other.open("ldap", &sealed).is_err());
        let flipped = if sealed.as_bytes()[10] == b'A' {
            "B"
        } else {
            "A"
        };
        let tampered = format!("{}{flipped}{}", &sealed[..10], &sealed[11..]);
        assert!(sealer.open("ldap", &tampered).is_err());
        assert!(Sealer::from_base64("c2hvcnQ=").is_err());
    }
}

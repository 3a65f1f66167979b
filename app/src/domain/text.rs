//! Enums that are stored and sent as words (`"lost-mode"`, `"windows-10-mobile"`).
//!
//! Each is declared with [`text_enum!`], which derives its words and its list
//! of values with strum, so a variant added is a word added, never a table
//! forgotten; on the server each is also a column type (sea-orm's
//! `DeriveValueType`), so a stored word the portal does not know is an error
//! when the row is read, never a default.

use std::str::FromStr;
use strum::VariantArray;

/// The words of an enum: `as_str` for what is written, `parse` for what is
/// read from a person or a form, `ALL` for the choices, in their order.
pub trait TextEnum: Copy + Into<&'static str> + FromStr + VariantArray + 'static {
    const ALL: &'static [Self] = Self::VARIANTS;

    fn as_str(self) -> &'static str {
        self.into()
    }

    /// The value a word names, with the spaces around it ignored.
    fn parse(text: &str) -> Option<Self> {
        text.trim().parse().ok()
    }
}

impl<T> TextEnum for T where T: Copy + Into<&'static str> + FromStr + VariantArray + 'static {}

/// Declares an enum of words: kebab-case by default (`#[strum(serialize = "…")]`
/// on a variant for another word), in the declared order. Attributes given
/// (documentation, more derives, serde's names) apply as written. Serde's
/// names are not always the stored words (the device API has long sent
/// item types as `passcode-policy`, stored as `passcode`): where the stored
/// word is meant, in audit details too, write `as_str()`.
macro_rules! text_enum {
    ($(#[$meta:meta])* pub enum $name:ident { $($body:tt)* }) => {
        #[derive(
            Clone,
            Copy,
            Debug,
            PartialEq,
            Eq,
            Hash,
            serde::Serialize,
            serde::Deserialize,
            strum::IntoStaticStr,
            strum::EnumString,
            strum::VariantArray,
            strum::Display,
        )]
        #[strum(serialize_all = "kebab-case")]
        #[cfg_attr(
            feature = "ssr",
            derive(sea_orm::DeriveValueType, utoipa::ToSchema),
            sea_orm(value_type = "String")
        )]
        $(#[$meta])*
        pub enum $name { $($body)* }
    };
}
pub(crate) use text_enum;

#[cfg(test)]
mod tests {
    use super::TextEnum;
    use crate::domain::{
        audit::Outcome,
        catalogue::ItemType,
        certificate_sign_in::{CertificateMapping, SignInMethods},
        certificates::Purpose,
        device::{CommandState, DeviceAction, DeviceStatus, LockState, Ownership, Platform},
        directory::Membership,
        registration::{Delivery, Invitation, RegistrationMode},
        role::Role,
    };

    fn words<T: TextEnum>() -> Vec<&'static str> {
        T::ALL.iter().map(|v| v.as_str()).collect()
    }

    fn round_trips<T: TextEnum + PartialEq + std::fmt::Debug>() {
        for v in T::ALL {
            assert_eq!(T::parse(v.as_str()), Some(*v));
            assert_eq!(T::parse(&format!(" {} ", v.as_str())), Some(*v));
        }
        assert_eq!(T::parse(&T::ALL[0].as_str().to_uppercase()), None);
        assert_eq!(T::parse("no-such-word"), None);
        assert_eq!(T::parse(""), None);
    }

    /// The words are in databases and addresses: they never change.
    #[test]
    fn stored_words_are_fixed() {
        assert_eq!(
            words::<Platform>(),
            [
                "ios",
                "ipados",
                "android",
                "windows",
                "windows-phone-8.1",
                "windows-10-mobile",
                "macos"
            ]
        );
        assert_eq!(words::<Ownership>(), ["company-owned", "employee-owned"]);
        assert_eq!(
            words::<DeviceStatus>(),
            [
                "pending", "active", "retired", "wiped", "expired", "removed"
            ]
        );
        assert_eq!(words::<LockState>(), ["unlocked", "locked", "lost-mode"]);
        assert_eq!(
            words::<DeviceAction>(),
            [
                "lock",
                "unlock",
                "locate",
                "reset-pin",
                "retire",
                "wipe",
                "found"
            ]
        );
        assert_eq!(
            words::<CommandState>(),
            [
                "queued",
                "sent",
                "acknowledged",
                "failed",
                "cancelled",
                "expired"
            ]
        );
        assert_eq!(
            words::<RegistrationMode>(),
            ["password", "pin", "password-or-pin", "password-and-pin"]
        );
        assert_eq!(words::<Invitation>(), ["email", "sms", "both", "none"]);
        assert_eq!(
            words::<Delivery>(),
            ["sending", "sent", "retrying", "failed", "not-configured"]
        );
        // Declared in the order a user's roles are stored; offered in this one.
        assert_eq!(
            Role::ALL.map(|r| r.as_str()),
            [
                "portal-access",
                "lock",
                "unlock",
                "locate",
                "wipe",
                "retire",
                "device-registration",
                "change-ownership",
                "reset-pin-password",
                "administrator"
            ]
        );
        assert_eq!(
            words::<Purpose>(),
            ["signing", "encryption", "authentication", "other"]
        );
        assert_eq!(
            words::<ItemType>(),
            [
                "passcode",
                "privacy",
                "restrictions",
                "wifi",
                "vpn",
                "email",
                "certificate",
                "app",
                "book"
            ]
        );
        assert_eq!(
            words::<SignInMethods>(),
            ["password", "certificate", "both"]
        );
        assert_eq!(words::<CertificateMapping>(), ["upn", "email", "cn", "uid"]);
        assert_eq!(words::<Outcome>(), ["success", "failure", "refused"]);
        assert_eq!(
            words::<Membership>(),
            [
                "member-of",
                "group-of-names",
                "group-of-unique-names",
                "posix-group",
                "any-group"
            ]
        );
    }

    #[test]
    fn every_word_reads_back() {
        round_trips::<Platform>();
        round_trips::<Ownership>();
        round_trips::<DeviceStatus>();
        round_trips::<LockState>();
        round_trips::<DeviceAction>();
        round_trips::<CommandState>();
        round_trips::<RegistrationMode>();
        round_trips::<Invitation>();
        round_trips::<Delivery>();
        round_trips::<Role>();
        round_trips::<Purpose>();
        round_trips::<ItemType>();
        round_trips::<SignInMethods>();
        round_trips::<CertificateMapping>();
        round_trips::<Outcome>();
        round_trips::<Membership>();
    }
}

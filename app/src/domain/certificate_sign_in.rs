//! Signing in with an identity certificate (a smart card): which ways of
//! signing in the administrator allows, and how a certificate names its
//! user.

use super::text::text_enum;
use crate::i18n::en;
use serde::{Deserialize, Serialize};

use super::signin::SignInProblem;

text_enum! {
    /// The ways people may sign in to the portal.
    #[derive(Default)]
    pub enum SignInMethods {
        /// User name and password only (local accounts and directories).
        #[default]
        Password,
        /// An identity certificate only: no password form.
        Certificate,
        /// Either.
        Both,
    }
}

text_enum! {
    /// What a session was opened with.
    pub enum Proof {
        Password,
        Certificate,
    }
}

impl SignInMethods {
    /// Whether a session opened with `proof` may go on under these
    /// methods: turning a way of signing in off ends the sessions it opened.
    pub fn keeps(self, proof: Proof) -> bool {
        match proof {
            Proof::Password => self.password(),
            Proof::Certificate => self.certificate(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SignInMethods::Password => en("User name and password"),
            SignInMethods::Certificate => en("Identity certificate (smart card) only"),
            SignInMethods::Both => en("Password or identity certificate, whichever the person has"),
        }
    }

    pub fn password(self) -> bool {
        !matches!(self, SignInMethods::Certificate)
    }

    /// The methods in force on a server that can (`available`) or cannot
    /// take certificates: without certificate sign-in set up, passwords,
    /// whatever was chosen, so that nobody is locked out.
    pub fn effective(self, available: bool) -> SignInMethods {
        if available {
            self
        } else {
            SignInMethods::Password
        }
    }

    pub fn certificate(self) -> bool {
        !matches!(self, SignInMethods::Password)
    }
}

text_enum! {
    /// Which part of a certificate names its user.
    #[derive(Default)]
    pub enum CertificateMapping {
        /// The user principal name in the subject alternative name (the
        /// Microsoft otherName 1.3.6.1.4.1.311.20.2.3), as on smart cards.
        #[default]
        Upn,
        /// The e-mail address in the subject alternative name.
        Email,
        /// The subject's common name (CN).
        #[strum(serialize = "cn")]
        CommonName,
        /// The subject's user id (UID, 0.9.2342.19200300.100.1.1).
        Uid,
    }
}

impl CertificateMapping {
    pub fn label(self) -> &'static str {
        match self {
            CertificateMapping::Upn => en(
                "User principal name (UPN) in the subject alternative name: a user with that user name or e-mail address",
            ),
            CertificateMapping::Email => en(
                "E-mail address in the subject alternative name: the user with that e-mail address",
            ),
            CertificateMapping::CommonName => {
                en("Subject common name (CN): the user with that user name")
            }
            CertificateMapping::Uid => en("Subject user id (UID): the user with that user name"),
        }
    }

    /// Where to look for the user this certificate names, in order: the
    /// first lookup that finds someone decides. An error when the
    /// certificate has no such name.
    pub fn lookups(self, identity: &CertificateIdentity) -> Result<Vec<Lookup>, MappingError> {
        fn first(values: &[String]) -> Option<&str> {
            values.iter().map(|v| v.trim()).find(|v| !v.is_empty())
        }
        // A subject lists its names from the most general to the most
        // specific (`DC=com, DC=corp, CN=Users, CN=Alice`): the holder's is
        // the last.
        fn last(values: &[String]) -> Option<&str> {
            values
                .iter()
                .rev()
                .map(|v| v.trim())
                .find(|v| !v.is_empty())
        }
        match self {
            CertificateMapping::Upn => {
                let upn = first(&identity.upns).ok_or(MappingError::NoUpn)?;
                Ok(vec![
                    Lookup::Username(upn.to_lowercase()),
                    Lookup::Email(upn.to_lowercase()),
                ])
            }
            CertificateMapping::Email => {
                let email = first(&identity.emails).ok_or(MappingError::NoEmail)?;
                Ok(vec![Lookup::Email(email.to_lowercase())])
            }
            CertificateMapping::CommonName => {
                let cn = last(&identity.common_names).ok_or(MappingError::NoCommonName)?;
                Ok(vec![Lookup::Username(cn.to_lowercase())])
            }
            CertificateMapping::Uid => {
                let uid = last(&identity.uids).ok_or(MappingError::NoUid)?;
                Ok(vec![Lookup::Username(uid.to_lowercase())])
            }
        }
    }
}

/// The names a certificate gives its holder (read from it by the server).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateIdentity {
    pub upns: Vec<String>,
    pub emails: Vec<String>,
    pub common_names: Vec<String>,
    pub uids: Vec<String>,
}

/// How a user is found from a certificate's name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The user whose user name is this (lower case).
    Username(String),
    /// The one user whose e-mail address is this (lower case).
    Email(String),
}

/// The name the mapping needs is not in the certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MappingError {
    NoUpn,
    NoEmail,
    NoCommonName,
    NoUid,
}

impl From<MappingError> for SignInProblem {
    fn from(missing: MappingError) -> SignInProblem {
        match missing {
            MappingError::NoUpn => SignInProblem::NoUpn,
            MappingError::NoEmail => SignInProblem::NoEmail,
            MappingError::NoCommonName => SignInProblem::NoCommonName,
            MappingError::NoUid => SignInProblem::NoUid,
        }
    }
}

/// Why an administrator's change of the sign-in methods is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MethodsChangeError {
    #[error(
        "Certificate sign-in is not set up on this server: it needs HTTPS with a client CA bundle, or a trusted reverse proxy (see the configuration)."
    )]
    NotAvailable,
    #[error(
        "Sign in with your own certificate first: without password sign-in, that is how administrators get in, so the portal checks that it works for you."
    )]
    NotProvenByAdministrator,
}

/// Whether the sign-in methods may become `methods` (with `mapping`).
/// `available`: this server can take certificates at all.
/// `proven`: the administrator making the change presents, on this very
/// request, a valid certificate that `mapping` maps to themselves. Turning
/// passwords off needs that proof, so the change can never lock out the
/// last administrator; allowing passwords never needs it.
pub fn check_methods_change(
    methods: SignInMethods,
    available: bool,
    proven: bool,
) -> Result<(), MethodsChangeError> {
    if methods.certificate() && !available {
        return Err(MethodsChangeError::NotAvailable);
    }
    if !methods.password() && !proven {
        return Err(MethodsChangeError::NotProvenByAdministrator);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_way_of_signing_in_turned_off_ends_its_sessions() {
        use SignInMethods::{Both, Certificate, Password};
        assert!(Both.keeps(Proof::Password) && Both.keeps(Proof::Certificate));
        assert!(!Certificate.keeps(Proof::Password) && Certificate.keeps(Proof::Certificate));
        assert!(Password.keeps(Proof::Password) && !Password.keeps(Proof::Certificate));
    }
    use crate::domain::text::TextEnum;

    fn identity() -> CertificateIdentity {
        CertificateIdentity {
            upns: vec!["Alice@Corp.Example".to_owned()],
            emails: vec![" ".to_owned(), "alice.smith@example.com".to_owned()],
            common_names: vec!["Alice Smith".to_owned()],
            uids: vec!["ALICE".to_owned()],
        }
    }

    #[test]
    fn each_mapping_reads_its_own_name() {
        let id = identity();
        assert_eq!(
            CertificateMapping::Upn.lookups(&id),
            Ok(vec![
                Lookup::Username("alice@corp.example".to_owned()),
                Lookup::Email("alice@corp.example".to_owned()),
            ])
        );
        assert_eq!(
            CertificateMapping::Email.lookups(&id),
            Ok(vec![Lookup::Email("alice.smith@example.com".to_owned())])
        );
        assert_eq!(
            CertificateMapping::CommonName.lookups(&id),
            Ok(vec![Lookup::Username("alice smith".to_owned())])
        );
        assert_eq!(
            CertificateMapping::Uid.lookups(&id),
            Ok(vec![Lookup::Username("alice".to_owned())])
        );
    }

    #[test]
    fn the_holders_common_name_is_the_most_specific() {
        let directory_style = CertificateIdentity {
            common_names: vec!["Users".to_owned(), "alice".to_owned(), " ".to_owned()],
            uids: vec!["ou-level".to_owned(), "alice".to_owned()],
            ..CertificateIdentity::default()
        };
        assert_eq!(
            CertificateMapping::CommonName.lookups(&directory_style),
            Ok(vec![Lookup::Username("alice".to_owned())])
        );
        assert_eq!(
            CertificateMapping::Uid.lookups(&directory_style),
            Ok(vec![Lookup::Username("alice".to_owned())])
        );
    }

    #[test]
    fn without_certificate_sign_in_set_up_passwords_are_in_force() {
        for &methods in SignInMethods::ALL {
            assert_eq!(methods.effective(true), methods);
            assert_eq!(methods.effective(false), SignInMethods::Password);
        }
    }

    #[test]
    fn a_missing_name_says_which() {
        let empty = CertificateIdentity::default();
        assert_eq!(
            CertificateMapping::Upn.lookups(&empty),
            Err(MappingError::NoUpn)
        );
        assert_eq!(
            CertificateMapping::Email.lookups(&empty),
            Err(MappingError::NoEmail)
        );
        assert_eq!(
            CertificateMapping::CommonName.lookups(&empty),
            Err(MappingError::NoCommonName)
        );
        assert_eq!(
            CertificateMapping::Uid.lookups(&empty),
            Err(MappingError::NoUid)
        );
        // Only blanks is no name either.
        let blank = CertificateIdentity {
            emails: vec!["  ".to_owned()],
            ..CertificateIdentity::default()
        };
        assert_eq!(
            CertificateMapping::Email.lookups(&blank),
            Err(MappingError::NoEmail)
        );
    }

    #[test]
    fn methods_say_what_they_allow() {
        assert!(SignInMethods::Both.password() && SignInMethods::Both.certificate());
        assert!(!SignInMethods::Certificate.password());
        assert!(!SignInMethods::Password.certificate());
    }

    #[test]
    fn passwords_go_off_only_with_a_working_certificate() {
        use SignInMethods::*;
        assert_eq!(check_methods_change(Password, false, false), Ok(()));
        assert_eq!(
            check_methods_change(Both, false, true),
            Err(MethodsChangeError::NotAvailable)
        );
        assert_eq!(check_methods_change(Both, true, false), Ok(()));
        assert_eq!(
            check_methods_change(Certificate, true, false),
            Err(MethodsChangeError::NotProvenByAdministrator)
        );
        assert_eq!(
            check_methods_change(Certificate, false, true),
            Err(MethodsChangeError::NotAvailable)
        );
        assert_eq!(check_methods_change(Certificate, true, true), Ok(()));
    }
}

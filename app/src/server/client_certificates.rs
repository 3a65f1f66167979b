//! Identity certificates presented to sign in (smart cards): checked
//! against the administrator's CA bundle, and read for the names that
//! find their user. The same check serves both ways a certificate
//! arrives: the portal's own TLS connection, and a trusted reverse proxy's
//! header (which may send the holder's certificate alone: the bundle may
//! hold intermediate CAs too).

use chrono::{DateTime, Utc};
use rustls_pki_types::{CertificateDer, UnixTime, pem::PemObject};
use std::sync::{Arc, RwLock};
use x509_cert::Certificate;
use x509_cert::der::asn1::Any;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Tag, Tagged};
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::GeneralName;

use super::certificate_files;
use crate::domain::certificate_sign_in::CertificateIdentity;

const UPN: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.311.20.2.3");
const COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
const UID: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.9.2342.19200300.100.1.1");

/// The certificate a request came with: its holder's certificate first,
/// then whatever chain came with it, in DER.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresentedCertificate(pub Vec<Vec<u8>>);

/// The CAs whose certificates people may sign in with, and the lists of
/// certificates they revoked.
#[derive(Clone, Debug)]
pub struct ClientTrust {
    certificates: Vec<CertificateDer<'static>>,
    revoked: Vec<RevocationList>,
    /// Refuse every certificate while a list is past its next update
    /// (otherwise: use the list anyway, and say so in the log).
    refuse_when_stale: bool,
}

/// A certificate revocation list, read.
#[derive(Clone, Debug)]
struct RevocationList {
    list: Arc<webpki::CertRevocationList<'static>>,
    /// When its authority promised the next one (seconds since the epoch).
    next_update: Option<i64>,
}

/// Reads the revocation lists of one file: PEM ("X509 CRL" blocks) or DER.
fn read_revocation_lists(data: &[u8]) -> Result<Vec<RevocationList>, String> {
    use rustls_pki_types::CertificateRevocationListDer;
    let ders: Vec<Vec<u8>> = if data.starts_with(b"-----")
        || std::str::from_utf8(data).is_ok_and(|t| t.contains("-----BEGIN X509 CRL-----"))
    {
        CertificateRevocationListDer::pem_slice_iter(data)
            .map(|crl| crl.map(|crl| crl.to_vec()))
            .collect::<Result<_, _>>()
            .map_err(|e| format!("cannot read the revocation list: {e}"))?
    } else {
        vec![data.to_vec()]
    };
    if ders.is_empty() {
        return Err("the file holds no revocation list".to_owned());
    }
    ders.into_iter()
        .map(|der| {
            let list = webpki::OwnedCertRevocationList::from_der(&der)
                .map_err(|e| format!("cannot read the revocation list: {e}"))?;
            let next_update =
                x509_cert::crl::CertificateList::<x509_cert::certificate::Rfc5280>::from_der(&der)
                    .ok()
                    .and_then(|crl| crl.tbs_cert_list.next_update)
                    .and_then(|at| i64::try_from(at.to_unix_duration().as_secs()).ok());
            Ok(RevocationList {
                list: Arc::new(list.into()),
                next_update,
            })
        })
        .collect()
}

impl ClientTrust {
    /// From a PEM bundle (roots and intermediates). Every certificate in it
    /// is trusted to issue sign-in certificates.
    pub fn from_pem(pem: &[u8]) -> Result<ClientTrust, String> {
        let certificates = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("the CA bundle cannot be read: {e}"))?;
        if certificates.is_empty() {
            return Err("the CA bundle holds no certificate".to_owned());
        }
        for certificate in &certificates {
            webpki::anchor_from_trusted_cert(certificate)
                .map_err(|e| format!("a certificate of the CA bundle cannot be used: {e}"))?;
        }
        Ok(ClientTrust {
            certificates,
            revoked: Vec::new(),
            refuse_when_stale: false,
        })
    }

    /// With the revocation lists of `files` (PEM or DER, each holding one
    /// or more), and what to do while one is past its next update.
    pub fn with_revocation_lists(
        mut self,
        files: &[Vec<u8>],
        refuse_when_stale: bool,
    ) -> Result<ClientTrust, String> {
        for file in files {
            self.revoked.extend(read_revocation_lists(file)?);
        }
        self.refuse_when_stale = refuse_when_stale;
        Ok(self)
    }

    /// How many revocation lists are in use.
    pub fn revocation_lists(&self) -> usize {
        self.revoked.len()
    }

    /// How many certificates the bundle holds.
    pub fn count(&self) -> usize {
        self.certificates.len()
    }

    /// The bundle's certificates, for the TLS layer's certificate request.
    pub fn certificates(&self) -> &[CertificateDer<'static>] {
        &self.certificates
    }

    /// Checks `presented` at `now`: issued (directly or through
    /// intermediates) by a CA of the bundle, valid now, meant for client
    /// authentication. Gives what the portal needs of it.
    pub fn verify(
        &self,
        presented: &PresentedCertificate,
        now: DateTime<Utc>,
    ) -> Result<VerifiedCertificate, CertificateRefusal> {
        let (leaf, chain) = presented
            .0
            .split_first()
            .ok_or(CertificateRefusal::Unreadable)?;
        let info = certificate_files::describe(leaf).map_err(|_| CertificateRefusal::Unreadable)?;
        let shown = Shown {
            subject: info.subject,
            issuer: info.issuer,
            serial: info.serial,
        };
        let anchors = self
            .certificates
            .iter()
            .filter_map(|c| webpki::anchor_from_trusted_cert(c).ok())
            .collect::<Vec<_>>();
        let leaf_der = CertificateDer::from(leaf.as_slice());
        let end_entity = webpki::EndEntityCert::try_from(&leaf_der)
            .map_err(|_| CertificateRefusal::Unreadable)?;
        let intermediates: Vec<CertificateDer<'_>> = chain
            .iter()
            .map(|c| CertificateDer::from(c.as_slice()))
            .collect();
        let stale = self
            .revoked
            .iter()
            .any(|crl| crl.next_update.is_some_and(|next| next <= now.timestamp()));
        if stale {
            if self.refuse_when_stale {
                tracing::error!(
                    "certificate sign-in refused: a revocation list (client_crl) is past its next update"
                );
                return Err(CertificateRefusal::Checked(
                    Refusal::RevocationOutOfDate,
                    shown,
                ));
            }
            tracing::error!(
                "a revocation list (client_crl) is past its next update: used anyway, as client_crl_when_stale says"
            );
        }
        let lists: Vec<&webpki::CertRevocationList<'_>> =
            self.revoked.iter().map(|crl| &*crl.list).collect();
        // Certificates whose authority has no list here are not refused for
        // that; the lists' dates are judged above.
        let revocation = webpki::RevocationOptionsBuilder::new(&lists)
            .ok()
            .map(|options| {
                options
                    .with_depth(webpki::RevocationCheckDepth::Chain)
                    .with_status_policy(webpki::UnknownStatusPolicy::Allow)
                    .with_expiration_policy(webpki::ExpirationPolicy::Ignore)
                    .build()
            });
        let seconds = u64::try_from(now.timestamp()).unwrap_or_default();
        let algorithms = rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .all;
        let checked = end_entity.verify_for_usage(
            algorithms,
            &anchors,
            &intermediates,
            UnixTime::since_unix_epoch(std::time::Duration::from_secs(seconds)),
            webpki::KeyUsage::client_auth(),
            revocation,
            None,
        );
        let reason = match checked {
            Ok(_) => {
                return Ok(VerifiedCertificate {
                    identity: identity_of(leaf).map_err(|_| CertificateRefusal::Unreadable)?,
                    shown,
                });
            }
            Err(webpki::Error::CertExpired { .. }) => Refusal::Expired,
            Err(webpki::Error::CertNotValidYet { .. }) => Refusal::NotYetValid,
            Err(webpki::Error::RequiredEkuNotFoundContext(_)) => Refusal::NotForSignIn,
            Err(webpki::Error::CertRevoked) => Refusal::Revoked,
            Err(_) => Refusal::Untrusted,
        };
        Err(CertificateRefusal::Checked(reason, shown))
    }
}

/// The CA bundle in use, shared by every request and replaced when its
/// file changes; empty when certificate sign-in is not set up.
#[derive(Clone, Debug, Default)]
pub struct SharedTrust(Arc<RwLock<Option<Arc<ClientTrust>>>>);

impl SharedTrust {
    pub fn new(trust: Option<ClientTrust>) -> SharedTrust {
        SharedTrust(Arc::new(RwLock::new(trust.map(Arc::new))))
    }

    pub fn get(&self) -> Option<Arc<ClientTrust>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set(&self, trust: ClientTrust) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(trust));
    }
}

/// How a certificate is named in the audit log and on refusal pages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    pub subject: String,
    pub issuer: String,
    /// Hex, upper case.
    pub serial: String,
}

/// A certificate that passed the check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedCertificate {
    pub identity: CertificateIdentity,
    pub shown: Shown,
}

/// Why a readable certificate is not good for signing in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    Expired,
    NotYetValid,
    /// Not issued (through intermediates) by a CA of the bundle.
    Untrusted,
    /// Its extended key usage leaves out client authentication.
    NotForSignIn,
    /// On its authority's revocation list.
    Revoked,
    /// A revocation list is past its next update, and the portal refuses
    /// certificates then.
    RevocationOutOfDate,
}

/// Why a certificate cannot be used; with how it names itself, when it
/// could be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertificateRefusal {
    Unreadable,
    Checked(Refusal, Shown),
}

/// The names `der` gives its holder: UPNs and e-mail addresses from the
/// subject alternative name, common names and user ids from the subject.
pub fn identity_of(der: &[u8]) -> Result<CertificateIdentity, x509_cert::der::Error> {
    let certificate = Certificate::from_der(der)?;
    let tbs = certificate.tbs_certificate();
    let mut identity = CertificateIdentity::default();
    if let Some((_, names)) = tbs.get_extension::<SubjectAltName>()? {
        for name in names.0 {
            match name {
                GeneralName::OtherName(other) if other.type_id == UPN => {
                    identity.upns.extend(text(&other.value));
                }
                GeneralName::Rfc822Name(email) => identity.emails.push(email.to_string()),
                _ => {}
            }
        }
    }
    for attribute in tbs.subject().iter() {
        let list = match attribute.oid {
            COMMON_NAME => &mut identity.common_names,
            UID => &mut identity.uids,
            _ => continue,
        };
        list.extend(text(&attribute.value));
    }
    Ok(identity)
}

/// The text of a string value (UTF-8, printable or IA5).
fn text(value: &Any) -> Option<String> {
    matches!(
        value.tag(),
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String
    )
    .then(|| String::from_utf8(value.value().to_vec()).ok())
    .flatten()
}

/// The certificates of a URL-encoded PEM header value, as nginx's
/// `$ssl_client_escaped_cert` sends them (or plain PEM).
pub fn from_escaped_pem(value: &str) -> Option<PresentedCertificate> {
    let decoded = percent_encoding::percent_decode_str(value.trim())
        .decode_utf8()
        .ok()?;
    let certificates = CertificateDer::pem_slice_iter(decoded.as_bytes())
        .map(|c| c.map(|c| c.to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    (!certificates.is_empty()).then_some(PresentedCertificate(certificates))
}

//! A small certificate authority for trying out HTTPS and certificate
//! sign-in (`ssp demo-certificates`), and for the tests: a root CA, an
//! intermediate, a server certificate and smart-card style user
//! certificates. Not meant to run a company's PKI.

use chrono::{DateTime, TimeDelta, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams, CertifiedIssuer, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyIdMethod, KeyPair, KeyUsagePurpose, OtherNameValue,
    RevocationReason, RevokedCertParams, SanType, SerialNumber,
};

/// The Microsoft user principal name, as smart cards carry it.
const UPN: [u64; 10] = [1, 3, 6, 1, 4, 1, 311, 20, 2, 3];
/// The subject's user id (LDAP `uid`).
const UID: [u64; 7] = [0, 9, 2342, 19_200_300, 100, 1, 1];

/// A CA that issues certificates.
pub struct Authority {
    issuer: CertifiedIssuer<'static, KeyPair>,
    /// Its own certificate and those above it, up to (not including) the
    /// root, in PEM: what goes with a certificate it issues.
    chain_pem: String,
}

/// A certificate and its key, in PEM.
pub struct Issued {
    pub certificate_pem: String,
    /// Its serial number (what a revocation list names).
    pub serial: Vec<u8>,
    /// The certificate followed by the intermediates that issued it.
    pub chain_pem: String,
    pub key_pem: String,
}

/// What a user certificate says, and when it is valid.
#[derive(Clone, Debug)]
pub struct UserCertificate {
    pub common_name: String,
    pub upn: Option<String>,
    pub email: Option<String>,
    pub uid: Option<String>,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// Marked for client authentication (sign-in); off for a certificate
    /// meant for something else.
    pub client_auth: bool,
}

impl UserCertificate {
    /// A smart-card style certificate, valid from yesterday for a year.
    pub fn new(common_name: &str, now: DateTime<Utc>) -> UserCertificate {
        UserCertificate {
            common_name: common_name.to_owned(),
            upn: None,
            email: None,
            uid: None,
            not_before: now - TimeDelta::days(1),
            not_after: now + TimeDelta::days(365),
            client_auth: true,
        }
    }
}

fn day(at: DateTime<Utc>) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(at.timestamp())
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

fn ca_params(name: &str, now: DateTime<Utc>) -> Result<CertificateParams, rcgen::Error> {
    let mut params = CertificateParams::new(Vec::<String>::new())?;
    params.distinguished_name.push(DnType::CommonName, name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "SSP demo");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    params.not_before = day(now - TimeDelta::days(1));
    params.not_after = day(now + TimeDelta::days(3650));
    Ok(params)
}

impl Authority {
    /// A new self-signed root CA.
    pub fn root(name: &str, now: DateTime<Utc>) -> Result<Authority, rcgen::Error> {
        let issuer = CertifiedIssuer::self_signed(ca_params(name, now)?, KeyPair::generate()?)?;
        Ok(Authority {
            issuer,
            chain_pem: String::new(),
        })
    }

    /// A new intermediate CA issued by this one.
    pub fn intermediate(&self, name: &str, now: DateTime<Utc>) -> Result<Authority, rcgen::Error> {
        let issuer =
            CertifiedIssuer::signed_by(ca_params(name, now)?, KeyPair::generate()?, &self.issuer)?;
        let chain_pem = format!("{}{}", issuer.pem(), self.chain_pem);
        Ok(Authority { issuer, chain_pem })
    }

    /// This CA's own certificate.
    pub fn certificate_pem(&self) -> String {
        self.issuer.pem()
    }

    fn issue(&self, mut params: CertificateParams) -> Result<Issued, rcgen::Error> {
        use sha2::{Digest, Sha256};
        let key = KeyPair::generate()?;
        // Unique with the key, positive, 16 bytes.
        let mut serial = Sha256::digest(key.serialized_der())[..16].to_vec();
        serial[0] &= 0x7f;
        params.serial_number = Some(SerialNumber::from_slice(&serial));
        let certificate = params.signed_by(&key, &self.issuer)?;
        Ok(Issued {
            chain_pem: format!("{}{}", certificate.pem(), self.chain_pem),
            certificate_pem: certificate.pem(),
            serial,
            key_pem: key.serialize_pem(),
        })
    }

    /// A revocation list of this CA naming `revoked`, issued at
    /// `this_update`, promising the next one at `next_update`; in PEM.
    pub fn revocation_list(
        &self,
        revoked: &[&Issued],
        this_update: DateTime<Utc>,
        next_update: DateTime<Utc>,
    ) -> Result<String, rcgen::Error> {
        let params = CertificateRevocationListParams {
            this_update: day(this_update),
            next_update: day(next_update),
            crl_number: SerialNumber::from(1u64),
            issuing_distribution_point: None,
            revoked_certs: revoked
                .iter()
                .map(|certificate| RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&certificate.serial),
                    revocation_time: day(this_update),
                    reason_code: Some(RevocationReason::KeyCompromise),
                    invalidity_date: None,
                })
                .collect(),
            key_identifier_method: KeyIdMethod::Sha256,
        };
        params.signed_by(&self.issuer)?.pem()
    }

    /// A server certificate for `hosts` (names or IP addresses).
    pub fn server(&self, hosts: &[&str], now: DateTime<Utc>) -> Result<Issued, rcgen::Error> {
        let mut params =
            CertificateParams::new(hosts.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>())?;
        params
            .distinguished_name
            .push(DnType::CommonName, hosts.first().copied().unwrap_or("ssp"));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = day(now - TimeDelta::days(1));
        params.not_after = day(now + TimeDelta::days(365));
        self.issue(params)
    }

    /// A user's identity certificate.
    pub fn user(&self, user: &UserCertificate) -> Result<Issued, rcgen::Error> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, user.common_name.as_str());
        if let Some(uid) = &user.uid {
            params
                .distinguished_name
                .push(DnType::CustomDnType(UID.to_vec()), uid.as_str());
        }
        if let Some(upn) = &user.upn {
            params.subject_alt_names.push(SanType::OtherName((
                UPN.to_vec(),
                OtherNameValue::Utf8String(upn.clone()),
            )));
        }
        if let Some(email) = &user.email {
            params
                .subject_alt_names
                .push(SanType::Rfc822Name(email.as_str().try_into()?));
        }
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = if user.client_auth {
            vec![ExtendedKeyUsagePurpose::ClientAuth]
        } else {
            vec![ExtendedKeyUsagePurpose::EmailProtection]
        };
        params.not_before = day(user.not_before);
        params.not_after = day(user.not_after);
        self.issue(params)
    }
}

/// What `ssp demo-certificates` writes into a folder: a root CA and an
/// intermediate (`ca.pem` holds both: the bundle for `client_ca`), a
/// server certificate for `hosts` (`server.pem`, `server.key`), and per
/// user `NAME.pem` + `NAME.key` with the UPN `NAME@domain`, the e-mail
/// address `NAME@domain`, CN and UID `NAME`.
pub fn write_demo(
    dir: &std::path::Path,
    hosts: &[&str],
    users: &[&str],
    domain: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let root = Authority::root("SSP demo root CA", now)?;
    let intermediate = root.intermediate("SSP demo smart card CA", now)?;
    std::fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    let mut write = |name: &str, text: &str| -> anyhow::Result<()> {
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        // Private keys: for their owner's eyes only.
        #[cfg(unix)]
        if name.ends_with(".key") {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
        written.push(path);
        Ok(())
    };
    write(
        "ca.pem",
        &format!(
            "{}{}",
            root.certificate_pem(),
            intermediate.certificate_pem()
        ),
    )?;
    let server = root.server(hosts, now)?;
    write("server.pem", &server.chain_pem)?;
    write("server.key", &server.key_pem)?;
    for user in users {
        let address = format!("{user}@{domain}");
        let issued = intermediate.user(&UserCertificate {
            upn: Some(address.clone()),
            email: Some(address),
            uid: Some((*user).to_owned()),
            ..UserCertificate::new(user, now)
        })?;
        write(&format!("{user}.pem"), &issued.chain_pem)?;
        write(&format!("{user}.key"), &issued.key_pem)?;
    }
    Ok(written)
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use app::domain::certificate_sign_in::CertificateIdentity;
    use app::server::client_certificates::{
        CertificateRefusal, ClientTrust, PresentedCertificate, Refusal, from_escaped_pem,
        identity_of,
    };
    use rustls_pki_types::{CertificateDer, pem::PemObject};

    fn ders(pem: &str) -> Vec<Vec<u8>> {
        CertificateDer::pem_slice_iter(pem.as_bytes())
            .map(|c| c.unwrap().to_vec())
            .collect()
    }

    fn presented(issued: &Issued) -> PresentedCertificate {
        PresentedCertificate(ders(&issued.chain_pem))
    }

    fn refusal(result: Result<impl std::fmt::Debug, CertificateRefusal>) -> Refusal {
        match result {
            Err(CertificateRefusal::Checked(refusal, shown)) => {
                assert!(shown.subject.contains("CN="), "{shown:?}");
                refusal
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn names_are_read_from_the_certificate() {
        let now = Utc::now();
        let ca = Authority::root("Test CA", now).unwrap();
        let issued = ca
            .user(&UserCertificate {
                upn: Some("alice@corp.example".to_owned()),
                email: Some("alice@example.com".to_owned()),
                uid: Some("alice".to_owned()),
                ..UserCertificate::new("Alice Example", now)
            })
            .unwrap();
        let identity = identity_of(&ders(&issued.certificate_pem)[0]).unwrap();
        assert_eq!(
            identity,
            CertificateIdentity {
                upns: vec!["alice@corp.example".to_owned()],
                emails: vec!["alice@example.com".to_owned()],
                common_names: vec!["Alice Example".to_owned()],
                uids: vec!["alice".to_owned()],
            }
        );
    }

    #[test]
    fn a_chain_through_an_intermediate_is_trusted() {
        let now = Utc::now();
        let root = Authority::root("Test root", now).unwrap();
        let intermediate = root.intermediate("Test smart cards", now).unwrap();
        let issued = intermediate
            .user(&UserCertificate::new("alice", now))
            .unwrap();
        // The root alone: the browser sends the intermediate along.
        let trust = ClientTrust::from_pem(root.certificate_pem().as_bytes()).unwrap();
        let verified = trust.verify(&presented(&issued), now).unwrap();
        assert_eq!(verified.identity.common_names, vec!["alice".to_owned()]);
        assert!(verified.shown.issuer.contains("Test smart cards"));
        assert!(!verified.shown.serial.is_empty());
        // The certificate alone (as a proxy may pass it) needs the
        // intermediate in the bundle.
        let alone = PresentedCertificate(ders(&issued.certificate_pem));
        assert_eq!(refusal(trust.verify(&alone, now)), Refusal::Untrusted);
        let bundle = format!(
            "{}{}",
            root.certificate_pem(),
            intermediate.certificate_pem()
        );
        let full = ClientTrust::from_pem(bundle.as_bytes()).unwrap();
        assert_eq!(full.count(), 2);
        assert!(full.verify(&alone, now).is_ok());
    }

    #[test]
    fn expired_early_foreign_and_wrong_use_are_refused() {
        let now = Utc::now();
        let ca = Authority::root("Test CA", now).unwrap();
        let trust = ClientTrust::from_pem(ca.certificate_pem().as_bytes()).unwrap();
        let base = UserCertificate::new("alice", now);
        let expired = ca
            .user(&UserCertificate {
                not_before: now - TimeDelta::days(30),
                not_after: now - TimeDelta::days(1),
                ..base.clone()
            })
            .unwrap();
        assert_eq!(
            refusal(trust.verify(&presented(&expired), now)),
            Refusal::Expired
        );
        let early = ca
            .user(&UserCertificate {
                not_before: now + TimeDelta::days(2),
                not_after: now + TimeDelta::days(30),
                ..base.clone()
            })
            .unwrap();
        assert_eq!(
            refusal(trust.verify(&presented(&early), now)),
            Refusal::NotYetValid
        );
        let other = Authority::root("Someone else", now).unwrap();
        let foreign = other.user(&base).unwrap();
        assert_eq!(
            refusal(trust.verify(&presented(&foreign), now)),
            Refusal::Untrusted
        );
        let mail_only = ca
            .user(&UserCertificate {
                client_auth: false,
                ..base.clone()
            })
            .unwrap();
        assert_eq!(
            refusal(trust.verify(&presented(&mail_only), now)),
            Refusal::NotForSignIn
        );
        assert_eq!(
            trust.verify(&PresentedCertificate(vec![b"junk".to_vec()]), now),
            Err(CertificateRefusal::Unreadable)
        );
        assert!(ClientTrust::from_pem(b"no certificates here").is_err());
    }

    #[test]
    fn a_proxy_header_is_url_encoded_pem() {
        let now = Utc::now();
        let ca = Authority::root("Test CA", now).unwrap();
        let issued = ca.user(&UserCertificate::new("alice", now)).unwrap();
        let escaped: String =
            form_urlencoded::byte_serialize(issued.certificate_pem.as_bytes()).collect();
        // nginx escapes spaces as %20, not +.
        let escaped = escaped.replace('+', "%20");
        assert_eq!(
            from_escaped_pem(&escaped),
            Some(PresentedCertificate(ders(&issued.certificate_pem)))
        );
        assert_eq!(from_escaped_pem("not a certificate"), None);
        assert_eq!(from_escaped_pem(""), None);
    }
}

//! Reading uploaded certificate files: PKCS#12 (.p12/.pfx, as OpenSSL 3
//! and JDK keytool write them, legacy and unencrypted ones too), PEM
//! (certificates, bundles with a key, encrypted keys) and DER. The result
//! is one candidate per private key (or one certificate alone), each with
//! the key checked against its certificate. Every failure is an
//! `UploadProblem` fit for the person; nothing here panics on bad input.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use pkcs8::{EncryptedPrivateKeyInfoRef, PrivateKeyInfoRef};
use ring::rand::SystemRandom;
use ring::signature::{self, KeyPair};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;
use x509_cert::der::asn1::{AnyRef, OctetStringRef, UintRef};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode, Reader, SliceReader};
use x509_cert::ext::pkix::{KeyUsage, KeyUsages};
use x509_cert::spki::AlgorithmIdentifier;

use super::pkcs12::{self, Budget, Entry, Limits};
use crate::domain::certificates::UploadProblem;

const RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const EC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// What a listing shows of a certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    pub der: Vec<u8>,
    pub subject: String,
    pub issuer: String,
    /// Hex, upper case, as certificate tools show it.
    pub serial: String,
    /// Seconds since the epoch.
    pub not_before: i64,
    pub not_after: i64,
    /// E.g. `RSA 2048`, `ECDSA P-256`, `Ed25519`.
    pub key_type: String,
    /// E.g. `digital signature, key encipherment`; empty without the extension.
    pub key_usage: String,
    /// SHA-256 of the DER, lower-case hex.
    pub fingerprint: String,
    /// Why this certificate's key would not do for the person's own
    /// certificate (issuers in a chain may have any key).
    pub key_problem: Option<UploadProblem>,
}

/// One usable key (or a certificate alone) from a file. Kept sealed while
/// its owner picks one of several.
#[derive(Clone, Serialize, Deserialize)]
pub struct Candidate {
    /// The key's alias or friendly name; empty when the file names none.
    pub alias: String,
    pub certificate: CertificateInfo,
    /// The other certificates of the file, in DER, that are not another
    /// key's certificate (issuers, usually).
    pub chain: Vec<Vec<u8>>,
    /// PKCS#8 DER.
    pub private_key: Option<Vec<u8>>,
}

impl std::fmt::Debug for Candidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Candidate")
            .field("alias", &self.alias)
            .field("subject", &self.certificate.subject)
            .field("chain", &self.chain.len())
            .field("private_key", &self.private_key.as_ref().map(|_| "…"))
            .finish()
    }
}

/// What a file holds.
#[derive(Debug)]
pub struct Read {
    pub candidates: Vec<Candidate>,
    /// Every private key in it was protected by the password.
    pub key_protected: bool,
}

/// The most keys and certificates one file may hold.
const MAX_KEYS: usize = 16;
const MAX_CERTIFICATES: usize = 32;

/// Reads `data` with `password` (empty for none). Certificates alone give
/// one candidate without a key.
/// Every key derivation the file asks for is paid from one budget first.
pub fn read(data: &[u8], password: &str) -> Result<Read, UploadProblem> {
    read_within(data, password, &mut Budget::per_upload())
}

fn read_within(data: &[u8], password: &str, budget: &mut Budget) -> Result<Read, UploadProblem> {
    if data.iter().all(u8::is_ascii_whitespace) {
        return Err(UploadProblem::Empty);
    }
    // PEM, possibly after text (`openssl pkcs12 -nodes` writes bag
    // attributes before each block).
    if let Ok(text) = std::str::from_utf8(data)
        && text.contains("-----BEGIN ")
    {
        return read_pem(text, password, budget);
    }
    if data.first() != Some(&0x30) {
        return Err(UploadProblem::NotCertificate);
    }
    check_der_length(data)?;
    if Certificate::from_der(data).is_ok() {
        return Ok(Read {
            candidates: assemble(vec![], vec![(None, None, data.to_vec())])?,
            key_protected: false,
        });
    }
    read_pkcs12(data, password, budget)
}

fn corrupt(_: impl std::fmt::Debug) -> UploadProblem {
    UploadProblem::Corrupt
}

/// The outer DER header must describe exactly the bytes there are: a
/// cut-off download or a header claiming megabytes is caught here.
fn check_der_length(data: &[u8]) -> Result<(), UploadProblem> {
    let Some(&first) = data.get(1) else {
        return Err(UploadProblem::Corrupt);
    };
    let (length, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || data.len() < 2 + count {
            return Err(UploadProblem::Corrupt);
        }
        let length = data[2..2 + count]
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (length, 2 + count)
    };
    if header + length == data.len() {
        Ok(())
    } else {
        Err(UploadProblem::Corrupt)
    }
}

fn read_pkcs12(data: &[u8], password: &str, budget: &mut Budget) -> Result<Read, UploadProblem> {
    let limits = Limits {
        keys: MAX_KEYS,
        certificates: MAX_CERTIFICATES,
    };
    let archive = pkcs12::read(data, password, limits, budget)?;
    Ok(Read {
        candidates: assemble(archive.keys, archive.certificates)?,
        key_protected: archive.keys_protected,
    })
}

fn read_pem(text: &str, password: &str, budget: &mut Budget) -> Result<Read, UploadProblem> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let label_end = after.find("-----").ok_or(UploadProblem::Corrupt)?;
        let label = &after[..label_end];
        let body_start = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let end = body_start.find(&end_marker).ok_or(UploadProblem::Corrupt)?;
        let body = &body_start[..end];
        // An old OpenSSL key encrypted in PEM headers.
        if body.contains("Proc-Type: 4,ENCRYPTED") {
            return Err(UploadProblem::UnsupportedEncryption);
        }
        let base64: String = body
            .lines()
            .filter(|line| !line.contains(':'))
            .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
            .collect();
        let der = STANDARD
            .decode(base64)
            .map_err(|_| UploadProblem::Corrupt)?;
        blocks.push((label.to_owned(), der));
        rest = &body_start[end + end_marker.len()..];
    }
    let is_key = |label: &str| label.ends_with("PRIVATE KEY");
    let keys_count = blocks.iter().filter(|(l, _)| is_key(l)).count();
    if keys_count > MAX_KEYS || blocks.len() - keys_count > MAX_CERTIFICATES {
        return Err(UploadProblem::TooManyEntries);
    }
    let mut keys = Vec::new();
    let mut certificates = Vec::new();
    let mut key_protected = true;
    for (label, der) in blocks {
        match label.as_str() {
            "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
                certificates.push((None, None, der))
            }
            "PRIVATE KEY" => {
                key_protected = false;
                keys.push((None, None, der));
            }
            "RSA PRIVATE KEY" => {
                key_protected = false;
                keys.push((None, None, rsa_to_pkcs8(&der)?));
            }
            "ENCRYPTED PRIVATE KEY" => {
                keys.push((None, None, decrypt_key(&der, password, budget)?))
            }
            "EC PRIVATE KEY" | "DSA PRIVATE KEY" => {
                return Err(UploadProblem::UnsupportedAlgorithm);
            }
            _ => {}
        }
    }
    if keys.is_empty() && certificates.is_empty() {
        return Err(UploadProblem::NotCertificate);
    }
    key_protected &= !keys.is_empty();
    Ok(Read {
        candidates: assemble(keys, certificates)?,
        key_protected,
    })
}

/// A PKCS#1 RSA key as PKCS#8.
fn rsa_to_pkcs8(pkcs1: &[u8]) -> Result<Vec<u8>, UploadProblem> {
    let key = OctetStringRef::new(pkcs1).map_err(corrupt)?;
    let info = PrivateKeyInfoRef::new(
        AlgorithmIdentifier {
            oid: RSA,
            parameters: Some(AnyRef::NULL),
        },
        key,
    );
    info.to_der().map_err(corrupt)
}

fn decrypt_key(der: &[u8], password: &str, budget: &mut Budget) -> Result<Vec<u8>, UploadProblem> {
    let info = EncryptedPrivateKeyInfoRef::try_from(der).map_err(corrupt)?;
    let cost = info
        .encryption_algorithm
        .pbes2()
        .and_then(pkcs12::pbes2_cost)
        .ok_or(UploadProblem::UnsupportedEncryption)?;
    if password.is_empty() {
        return Err(UploadProblem::PasswordRequired);
    }
    budget.spend(cost)?;
    let key = match info.decrypt(password) {
        Ok(document) => document.as_bytes().to_vec(),
        Err(pkcs8::Error::EncryptedPrivateKey(pkcs8::pkcs5::Error::DecryptFailed)) => {
            return Err(UploadProblem::WrongPassword);
        }
        Err(_) => return Err(UploadProblem::UnsupportedEncryption),
    };
    // A wrong password can, rarely, unpad cleanly into garbage.
    PrivateKeyInfoRef::try_from(key.as_slice()).map_err(|_| UploadProblem::WrongPassword)?;
    Ok(key)
}

/// Pairs keys with certificates and describes each.
fn assemble(keys: Vec<Entry>, certificates: Vec<Entry>) -> Result<Vec<Candidate>, UploadProblem> {
    // keytool repeats issuers for every entry: one of each.
    let mut parsed: Vec<(Option<String>, Option<Vec<u8>>, CertificateInfo)> = Vec::new();
    for (name, key_id, der) in certificates {
        if parsed.iter().any(|(_, _, c)| c.der == der) {
            continue;
        }
        parsed.push((name, key_id, describe(&der)?));
    }
    let infos: Vec<&CertificateInfo> = parsed.iter().map(|(_, _, c)| c).collect();
    if keys.is_empty() {
        // A certificate alone: the leaf is the one that issued no other.
        let leaf = (0..infos.len())
            .find(|&i| {
                !infos
                    .iter()
                    .enumerate()
                    .any(|(j, other)| j != i && other.issuer == infos[i].subject)
            })
            .unwrap_or(0);
        let Some((name, _, certificate)) = parsed.get(leaf) else {
            return Err(UploadProblem::NotCertificate);
        };
        if let Some(problem) = certificate.key_problem {
            return Err(problem);
        }
        return Ok(vec![Candidate {
            alias: name.clone().unwrap_or_default(),
            certificate: certificate.clone(),
            chain: chain_of(&infos, leaf, &[leaf]),
            private_key: None,
        }]);
    }
    let mut paired = Vec::new();
    for (name, key_id, key) in keys {
        let check = inspect_key(&key)?;
        let matching: Vec<usize> = (0..infos.len())
            .filter(|&i| spki_key(&infos[i].der).is_some_and(|public| check.matches(&public)))
            .collect();
        // The certificate the file ties to the key, else the newest.
        let tied = matching
            .iter()
            .copied()
            .find(|&i| key_id.is_some() && parsed[i].1 == key_id);
        let newest = matching.iter().copied().max_by_key(|&i| infos[i].not_after);
        match tied.or(newest) {
            Some(index) => paired.push((name, key, index)),
            None if parsed.is_empty() => return Err(UploadProblem::NoCertificateForKey),
            None => return Err(UploadProblem::KeyMismatch),
        }
    }
    let leaves: Vec<usize> = paired.iter().map(|(_, _, i)| *i).collect();
    let count = paired.len();
    let mut candidates = Vec::new();
    for (n, (name, key, index)) in paired.into_iter().enumerate() {
        let (cert_name, _, certificate) = &parsed[index];
        if let Some(problem) = certificate.key_problem {
            return Err(problem);
        }
        let alias = name.or_else(|| cert_name.clone()).unwrap_or_else(|| {
            if count > 1 {
                format!("key {}", n + 1)
            } else {
                String::new()
            }
        });
        candidates.push(Candidate {
            alias,
            certificate: certificate.clone(),
            chain: chain_of(&infos, index, &leaves),
            private_key: Some(key),
        });
    }
    Ok(candidates)
}

/// The issuers of certificate `leaf`, nearest first, as far as the file
/// has them (never another key's certificate).
fn chain_of(infos: &[&CertificateInfo], leaf: usize, leaves: &[usize]) -> Vec<Vec<u8>> {
    let mut chain = Vec::new();
    let mut used = vec![leaf];
    let mut current = leaf;
    while infos[current].issuer != infos[current].subject {
        let next = (0..infos.len()).find(|i| {
            !used.contains(i) && !leaves.contains(i) && infos[*i].subject == infos[current].issuer
        });
        let Some(next) = next else { break };
        chain.push(infos[next].der.clone());
        used.push(next);
        current = next;
    }
    chain
}

/// The subject public key bits of a certificate.
fn spki_key(der: &[u8]) -> Option<Vec<u8>> {
    let certificate = Certificate::from_der(der).ok()?;
    certificate
        .tbs_certificate()
        .subject_public_key_info()
        .subject_public_key
        .as_bytes()
        .map(<[u8]>::to_vec)
}

/// What a private key's certificate must hold.
enum KeyCheck {
    /// The public key, as a certificate's subject public key bits.
    Public(Vec<u8>),
    /// An EC key stored without its public half (as JDK keytool writes
    /// them): the private scalar, checked against each certificate's key.
    Scalar(&'static signature::EcdsaSigningAlgorithm, Vec<u8>),
}

impl KeyCheck {
    fn matches(&self, certificate_key: &[u8]) -> bool {
        match self {
            KeyCheck::Public(public) => public == certificate_key,
            KeyCheck::Scalar(algorithm, scalar) => {
                signature::EcdsaKeyPair::from_private_key_and_public_key(
                    algorithm,
                    scalar,
                    certificate_key,
                    &SystemRandom::new(),
                )
                .is_ok()
            }
        }
    }
}

/// Checks a PKCS#8 private key and says how to find its certificate.
fn inspect_key(pkcs8: &[u8]) -> Result<KeyCheck, UploadProblem> {
    let info = PrivateKeyInfoRef::try_from(pkcs8).map_err(corrupt)?;
    let oid = info.algorithm.oid;
    let curve = info
        .algorithm
        .parameters
        .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
    if oid == RSA {
        let pair = signature::RsaKeyPair::from_pkcs8(pkcs8).map_err(|e| {
            if e.to_string() == "TooSmall" {
                UploadProblem::WeakKey
            } else {
                UploadProblem::UnsupportedAlgorithm
            }
        })?;
        Ok(KeyCheck::Public(pair.public_key().as_ref().to_vec()))
    } else if oid == EC && (curve == Some(P256) || curve == Some(P384)) {
        let algorithm = if curve == Some(P256) {
            &signature::ECDSA_P256_SHA256_ASN1_SIGNING
        } else {
            &signature::ECDSA_P384_SHA384_ASN1_SIGNING
        };
        match signature::EcdsaKeyPair::from_pkcs8(algorithm, pkcs8, &SystemRandom::new()) {
            Ok(pair) => Ok(KeyCheck::Public(pair.public_key().as_ref().to_vec())),
            Err(_) => ec_scalar(info.private_key.as_bytes())
                .map(|scalar| KeyCheck::Scalar(algorithm, scalar))
                .ok_or(UploadProblem::Corrupt),
        }
    } else if oid == ED25519 {
        let pair = signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(pkcs8)
            .map_err(|_| UploadProblem::Corrupt)?;
        Ok(KeyCheck::Public(pair.public_key().as_ref().to_vec()))
    } else {
        Err(UploadProblem::UnsupportedAlgorithm)
    }
}

/// The private scalar of a SEC1 `ECPrivateKey`.
fn ec_scalar(sec1: &[u8]) -> Option<Vec<u8>> {
    let mut reader = SliceReader::new(sec1).ok()?;
    reader
        .sequence(|r| {
            let _version = u8::decode(r)?;
            let scalar = <&OctetStringRef>::decode(r)?.as_bytes().to_vec();
            // The optional parameters and public key are not needed.
            let rest = r.remaining_len();
            r.read_slice(rest)?;
            Ok::<_, x509_cert::der::Error>(scalar)
        })
        .ok()
}

/// What a listing shows of one certificate in DER.
pub fn describe(der: &[u8]) -> Result<CertificateInfo, UploadProblem> {
    let certificate = Certificate::from_der(der).map_err(corrupt)?;
    let tbs = certificate.tbs_certificate();
    let validity = tbs.validity();
    let seconds = |t: x509_cert::time::Time| {
        i64::try_from(t.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
    };
    let spki = tbs.subject_public_key_info();
    let (key_type, key_problem) = match key_type(
        spki.algorithm.oid,
        spki.algorithm
            .parameters
            .as_ref()
            .and_then(|p| p.decode_as::<ObjectIdentifier>().ok()),
        spki.subject_public_key.as_bytes().unwrap_or_default(),
    ) {
        Ok(key_type) => (key_type, None),
        Err(problem) => (spki.algorithm.oid.to_string(), Some(problem)),
    };
    let key_usage = match tbs.get_extension::<KeyUsage>() {
        Ok(Some((_, usage))) => key_usage_words(usage),
        _ => String::new(),
    };
    Ok(CertificateInfo {
        der: der.to_vec(),
        subject: tbs.subject().to_string(),
        issuer: tbs.issuer().to_string(),
        serial: tbs
            .serial_number()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect(),
        not_before: seconds(validity.not_before),
        not_after: seconds(validity.not_after),
        key_type,
        key_usage,
        fingerprint: hex(&Sha256::digest(der)),
        key_problem,
    })
}

fn key_type(
    oid: ObjectIdentifier,
    curve: Option<ObjectIdentifier>,
    key: &[u8],
) -> Result<String, UploadProblem> {
    if oid == RSA {
        let bits = rsa_modulus_bits(key).ok_or(UploadProblem::Corrupt)?;
        if bits < 2048 {
            return Err(UploadProblem::WeakKey);
        }
        Ok(format!("RSA {bits}"))
    } else if oid == EC && curve == Some(P256) {
        Ok("ECDSA P-256".to_owned())
    } else if oid == EC && curve == Some(P384) {
        Ok("ECDSA P-384".to_owned())
    } else if oid == ED25519 {
        Ok("Ed25519".to_owned())
    } else {
        Err(UploadProblem::UnsupportedAlgorithm)
    }
}

fn rsa_modulus_bits(key: &[u8]) -> Option<usize> {
    let mut reader = SliceReader::new(key).ok()?;
    let modulus = reader
        .sequence(|r| {
            let n = UintRef::decode(r)?;
            let _exponent = UintRef::decode(r)?;
            Ok::<_, x509_cert::der::Error>(n.as_bytes().to_vec())
        })
        .ok()?;
    let first = *modulus.first()?;
    Some(modulus.len() * 8 - first.leading_zeros() as usize)
}

fn key_usage_words(usage: KeyUsage) -> String {
    let words = [
        (KeyUsages::DigitalSignature, "digital signature"),
        (KeyUsages::NonRepudiation, "non-repudiation"),
        (KeyUsages::KeyEncipherment, "key encipherment"),
        (KeyUsages::DataEncipherment, "data encipherment"),
        (KeyUsages::KeyAgreement, "key agreement"),
        (KeyUsages::KeyCertSign, "certificate signing"),
        (KeyUsages::CRLSign, "CRL signing"),
    ];
    words
        .iter()
        .filter(|(flag, _)| usage.0.contains(*flag))
        .map(|(_, word)| *word)
        .collect::<Vec<_>>()
        .join(", ")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// DER as PEM with `label`.
pub fn pem(label: &str, der: &[u8]) -> String {
    let body = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use pkcs8::pkcs5::pbes2;

    /// A PEM "ENCRYPTED PRIVATE KEY" (a fresh Ed25519 key) whose key
    /// derivation takes `iterations` of PBKDF2.
    fn encrypted_key(iterations: u32, password: &str) -> String {
        let key = signature::Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let params =
            pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(iterations, &[7; 16], [9; 16])
                .unwrap();
        let sealed = PrivateKeyInfoRef::try_from(key.as_ref())
            .unwrap()
            .encrypt_with_params(params, password)
            .unwrap();
        pem("ENCRYPTED PRIVATE KEY", sealed.as_bytes())
    }

    #[test]
    fn key_derivation_is_paid_for_before_it_is_done() {
        let file = [2048, 2048, 2048]
            .map(|n| encrypted_key(n, "pass"))
            .concat();
        // Two derivations fit, the third is refused before it runs.
        let mut budget = Budget::new(5000);
        let refused = read_within(file.as_bytes(), "pass", &mut budget);
        assert_eq!(refused.unwrap_err(), UploadProblem::UnsupportedEncryption);
        assert_eq!(budget.left(), 5000 - 2 * 2048);
        // With enough, all three are read (and then refused for want of a
        // certificate, which is another matter).
        let enough = read_within(file.as_bytes(), "pass", &mut Budget::new(3 * 2048));
        assert_ne!(enough.unwrap_err(), UploadProblem::UnsupportedEncryption);
        // One derivation may not ask for more than a million iterations:
        // refused without trying.
        let started = std::time::Instant::now();
        assert_eq!(
            read(unreadable_key(1_000_001).as_bytes(), "pass").unwrap_err(),
            UploadProblem::UnsupportedEncryption
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    /// A PEM "ENCRYPTED PRIVATE KEY" that no password opens, whose key
    /// derivation takes `iterations` of PBKDF2 (made without doing it).
    pub(crate) fn unreadable_key(iterations: u32) -> String {
        let params =
            pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(iterations, &[7; 16], [9; 16])
                .unwrap();
        let sealed = pkcs8::EncryptedPrivateKeyInfoOwned {
            encryption_algorithm: pkcs8::pkcs5::EncryptionScheme::Pbes2(params),
            encrypted_data: pkcs8::der::asn1::OctetString::new(vec![0; 48]).unwrap(),
        };
        pem("ENCRYPTED PRIVATE KEY", &sealed.to_der().unwrap())
    }

    #[test]
    fn empty_and_foreign_files_are_named() {
        assert_eq!(read(b"", "").unwrap_err(), UploadProblem::Empty);
        assert_eq!(read(b"  \n", "").unwrap_err(), UploadProblem::Empty);
        assert_eq!(
            read(b"hello world", "").unwrap_err(),
            UploadProblem::NotCertificate
        );
        assert_eq!(
            read(
                b"-----BEGIN NOTHING-----\naGk=\n-----END NOTHING-----\n",
                ""
            )
            .unwrap_err(),
            UploadProblem::NotCertificate
        );
    }

    #[test]
    fn der_headers_must_match_the_length() {
        // A header that claims 5 MiB.
        let mut claims = vec![0x30, 0x83, 0x50, 0x00, 0x00];
        claims.extend([0u8; 100]);
        assert_eq!(read(&claims, "").unwrap_err(), UploadProblem::Corrupt);
        assert_eq!(read(&[0x30], "").unwrap_err(), UploadProblem::Corrupt);
        assert_eq!(
            read(&[0x30, 0x89, 1], "").unwrap_err(),
            UploadProblem::Corrupt
        );
        assert!(check_der_length(&[0x30, 0x02, 0x05, 0x00]).is_ok());
        assert!(check_der_length(&[0x30, 0x81, 0x02, 0x05, 0x00]).is_ok());
        assert!(check_der_length(&[0x30, 0x03, 0x05, 0x00]).is_err());
    }

    #[test]
    fn unterminated_pem_is_corrupt() {
        assert_eq!(
            read(b"-----BEGIN CERTIFICATE-----\nMIIB", "").unwrap_err(),
            UploadProblem::Corrupt
        );
    }

    #[test]
    fn pem_wraps_at_64() {
        let text = pem("CERTIFICATE", &[7u8; 100]);
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(text.lines().all(|l| l.len() <= 64));
    }
}

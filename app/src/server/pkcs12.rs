//! PKCS#12 archives (.p12/.pfx), read once and on a budget. Every key
//! derivation a file asks for (its MAC, each encrypted part, each encrypted
//! key) is paid from one [`Budget`] per upload *before* it is done, so a
//! file cannot make the server derive keys for long however it is built;
//! and the reader knows which keys were encrypted, so it never has to read a
//! file twice to tell whether its keys are protected.
//!
//! Read: PBES2 (PBKDF2 or scrypt, AES or 3DES) as OpenSSL 3 and JDK keytool
//! write, the PKCS#12 3DES and 40-bit RC2 schemes of older files
//! (`openssl pkcs12 -legacy`), unencrypted parts and keys, and MACs over
//! SHA-1 and SHA-2.

use cbc::cipher::{BlockCipherDecrypt, BlockModeDecrypt, KeyInit, KeyIvInit, block_padding::Pkcs7};
use cms::content_info::ContentInfo;
use cms::encrypted_data::EncryptedData;
use hmac::digest::{Digest, FixedOutputReset, block_api::BlockSizeUser};
use hmac::{Mac, SimpleHmac};
use pkcs8::pkcs5::pbes2;
use pkcs12::kdf::{Pkcs12KeyType, derive_key_utf8};
use pkcs12::pbe_params::{EncryptedPrivateKeyInfo, Pkcs12PbeParams};
use pkcs12::{MacData, Pfx, SafeBag};
use x509_cert::der::asn1::{BmpString, ContextSpecific, OctetString};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Any, Decode, Encode};
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::domain::certificates::UploadProblem;

const DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
const ENCRYPTED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.6");
const PBES2: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.5.13");
const SHA1_3DES: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.3");
const SHA1_RC2_40: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.1.6");
const SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const FRIENDLY_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.20");
const LOCAL_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.21");

/// The most iterations one key derivation may ask for (PKCS#12's and
/// PBKDF2's; as much as other PKCS#12 readers allow).
const MAX_ITERATIONS: u64 = 1_000_000;

/// Key-derivation work left for one upload, in PBKDF2 iterations (a PKCS#12
/// derivation or an scrypt block mix counts as one). Files the usual tools
/// write need a few thousand (OpenSSL: 2,048 per step; JDK keytool: 10,000);
/// a file that asks for more than the whole budget is refused before any of
/// it is spent.
#[derive(Debug)]
pub struct Budget(u64);

impl Budget {
    /// Two of the most expensive derivations allowed.
    pub const PER_UPLOAD: u64 = 2 * MAX_ITERATIONS;

    pub fn per_upload() -> Budget {
        Budget(Self::PER_UPLOAD)
    }

    /// A budget of `iterations`.
    pub fn new(iterations: u64) -> Budget {
        Budget(iterations)
    }

    /// Pays for `iterations`, or refuses the file when one derivation asks
    /// for more than allowed or the budget would run out.
    pub fn spend(&mut self, iterations: u64) -> Result<(), UploadProblem> {
        if iterations == 0 || iterations > MAX_ITERATIONS || iterations > self.0 {
            return Err(UploadProblem::UnsupportedEncryption);
        }
        self.0 -= iterations;
        Ok(())
    }

    /// What is left.
    pub fn left(&self) -> u64 {
        self.0
    }
}

/// The cost of a PBES2 derivation, or `None` when it needs more memory than
/// an upload may take (scrypt) or a scheme the portal does not read.
pub fn pbes2_cost(params: &pbes2::Parameters) -> Option<u64> {
    match &params.kdf {
        pbes2::Kdf::Pbkdf2(kdf) => Some(u64::from(kdf.iteration_count)),
        pbes2::Kdf::Scrypt(kdf) => {
            let blocks = u64::from(kdf.block_size).checked_mul(kdf.cost_parameter)?;
            let memory = blocks.checked_mul(128)?;
            (memory <= 64 * 1024 * 1024 && kdf.parallelization <= 4)
                .then(|| blocks.saturating_mul(u64::from(kdf.parallelization)))
        }
        _ => None,
    }
}

/// A private key (PKCS#8 DER) or a certificate (DER) of a file, with its
/// friendly name and local key id.
pub type Entry = (Option<String>, Option<Vec<u8>>, Vec<u8>);

/// What an archive holds.
#[derive(Debug, Default)]
pub struct Archive {
    pub keys: Vec<Entry>,
    pub certificates: Vec<Entry>,
    /// Every key was encrypted (a key bag inside an encrypted part, or an
    /// encrypted key bag), with a password that is not empty.
    pub keys_protected: bool,
}

/// The most keys and certificates one file may hold.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub keys: usize,
    pub certificates: usize,
}

/// Reads a PKCS#12 archive with `password` (empty for none).
pub fn read(
    data: &[u8],
    password: &str,
    limits: Limits,
    budget: &mut Budget,
) -> Result<Archive, UploadProblem> {
    let pfx = Pfx::from_der(data).map_err(|_| UploadProblem::Corrupt)?;
    if pfx.version != pkcs12::pfx::Version::V3 {
        return Err(UploadProblem::NotCertificate);
    }
    // Public-key integrity (signed archives) is not something people export.
    if pfx.auth_safe.content_type != DATA {
        return Err(UploadProblem::UnsupportedEncryption);
    }
    let content = octets(&pfx.auth_safe.content)?;
    let wrong = if password.is_empty() {
        UploadProblem::PasswordRequired
    } else {
        UploadProblem::WrongPassword
    };
    if let Some(mac) = &pfx.mac_data
        && !mac_matches(mac, password, &content, budget)?
    {
        return Err(wrong);
    }
    let safes = Vec::<ContentInfo>::from_der(&content).map_err(|_| UploadProblem::Corrupt)?;
    let mut archive = Archive {
        keys_protected: !password.is_empty(),
        ..Archive::default()
    };
    for safe in safes {
        let (contents, encrypted) = match safe.content_type {
            DATA => (octets(&safe.content)?, false),
            ENCRYPTED_DATA => {
                let part: EncryptedData = safe
                    .content
                    .decode_as()
                    .map_err(|_| UploadProblem::Corrupt)?;
                let info = part.enc_content_info;
                let Some(sealed) = info.encrypted_content else {
                    continue;
                };
                let opened = decrypt(&info.content_enc_alg, sealed.as_bytes(), password, budget)?;
                (opened, true)
            }
            _ => return Err(UploadProblem::UnsupportedEncryption),
        };
        // Garbage after decrypting: the password was not the one used.
        let bags = Vec::<SafeBag>::from_der(&contents).map_err(|_| {
            if encrypted {
                wrong
            } else {
                UploadProblem::Corrupt
            }
        })?;
        for bag in bags {
            read_bag(bag, encrypted, password, wrong, &mut archive, budget)?;
            if archive.keys.len() > limits.keys || archive.certificates.len() > limits.certificates
            {
                return Err(UploadProblem::TooManyEntries);
            }
        }
    }
    archive.keys_protected &= !archive.keys.is_empty();
    Ok(archive)
}

fn read_bag(
    bag: SafeBag,
    in_encrypted_part: bool,
    password: &str,
    wrong: UploadProblem,
    archive: &mut Archive,
    budget: &mut Budget,
) -> Result<(), UploadProblem> {
    let attribute = |oid: ObjectIdentifier| {
        bag.bag_attributes
            .iter()
            .flat_map(|set| set.iter())
            .find(|a| a.oid == oid)
            .and_then(|a| a.values.iter().next())
    };
    let name = attribute(FRIENDLY_NAME)
        .and_then(|v| v.decode_as::<BmpString>().ok())
        .map(|n| n.to_string());
    let key_id = attribute(LOCAL_KEY_ID)
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .map(|id| id.as_bytes().to_vec());
    let value = || {
        ContextSpecific::<Any>::from_der(&bag.bag_value)
            .map(|v| v.value)
            .map_err(|_| UploadProblem::Corrupt)
    };
    match bag.bag_id {
        pkcs12::PKCS_12_KEY_BAG_OID => {
            archive.keys_protected &= in_encrypted_part;
            let key = value()?.to_der().map_err(|_| UploadProblem::Corrupt)?;
            archive.keys.push((name, key_id, key));
        }
        pkcs12::PKCS_12_PKCS8_KEY_BAG_OID => {
            let sealed: EncryptedPrivateKeyInfo =
                value()?.decode_as().map_err(|_| UploadProblem::Corrupt)?;
            let key = decrypt(
                &sealed.encryption_algorithm,
                sealed.encrypted_data.as_bytes(),
                password,
                budget,
            )?;
            // A wrong password can, rarely, unpad cleanly into garbage.
            pkcs8::PrivateKeyInfoRef::try_from(key.as_slice()).map_err(|_| wrong)?;
            archive.keys.push((name, key_id, key));
        }
        pkcs12::PKCS_12_CERT_BAG_OID => {
            let bag: pkcs12::CertBag = value()?.decode_as().map_err(|_| UploadProblem::Corrupt)?;
            if bag.cert_id == pkcs12::PKCS_12_X509_CERT_OID {
                archive
                    .certificates
                    .push((name, key_id, bag.cert_value.as_bytes().to_vec()));
            }
        }
        // Revocation lists, secrets and nested bags are not the person's
        // certificate.
        _ => {}
    }
    Ok(())
}

fn octets(content: &Any) -> Result<Vec<u8>, UploadProblem> {
    content
        .decode_as::<OctetString>()
        .map(|octets| octets.as_bytes().to_vec())
        .map_err(|_| UploadProblem::Corrupt)
}

/// Whether the archive's MAC matches `password`.
fn mac_matches(
    mac: &MacData,
    password: &str,
    content: &[u8],
    budget: &mut Budget,
) -> Result<bool, UploadProblem> {
    let iterations = u64::try_from(mac.iterations).unwrap_or(0);
    budget.spend(iterations)?;
    let (salt, expected) = (mac.mac_salt.as_bytes(), mac.mac.digest.as_bytes());
    let check = match mac.mac.algorithm.oid {
        SHA1 => hmac_matches::<sha1::Sha1>,
        SHA256 => hmac_matches::<sha2_pkcs12::Sha256>,
        SHA384 => hmac_matches::<sha2_pkcs12::Sha384>,
        SHA512 => hmac_matches::<sha2_pkcs12::Sha512>,
        _ => return Err(UploadProblem::UnsupportedEncryption),
    };
    check(password, salt, mac.iterations, content, expected)
}

fn hmac_matches<D>(
    password: &str,
    salt: &[u8],
    iterations: i32,
    content: &[u8],
    expected: &[u8],
) -> Result<bool, UploadProblem>
where
    D: Digest + FixedOutputReset + BlockSizeUser,
{
    let size = <D as Digest>::output_size();
    let key = derive_key_utf8::<D>(password, salt, Pkcs12KeyType::Mac, iterations, size)
        .map_err(|_| UploadProblem::Corrupt)?;
    let mut mac = SimpleHmac::<D>::new_from_slice(&key).map_err(|_| UploadProblem::Corrupt)?;
    mac.update(content);
    Ok(mac.verify_slice(expected).is_ok())
}

/// Decrypts a part or a key, after paying for its key derivation.
fn decrypt(
    algorithm: &AlgorithmIdentifierOwned,
    data: &[u8],
    password: &str,
    budget: &mut Budget,
) -> Result<Vec<u8>, UploadProblem> {
    let wrong = if password.is_empty() {
        UploadProblem::PasswordRequired
    } else {
        UploadProblem::WrongPassword
    };
    let parameters = algorithm
        .parameters
        .as_ref()
        .ok_or(UploadProblem::UnsupportedEncryption)?;
    match algorithm.oid {
        PBES2 => {
            let params: pbes2::Parameters = parameters
                .decode_as()
                .map_err(|_| UploadProblem::UnsupportedEncryption)?;
            budget.spend(pbes2_cost(&params).ok_or(UploadProblem::UnsupportedEncryption)?)?;
            params
                .decrypt(password.as_bytes(), data)
                .map_err(|error| match error {
                    pkcs8::pkcs5::Error::DecryptFailed => wrong,
                    _ => UploadProblem::UnsupportedEncryption,
                })
        }
        SHA1_3DES | SHA1_RC2_40 => {
            let params: Pkcs12PbeParams = parameters
                .decode_as()
                .map_err(|_| UploadProblem::UnsupportedEncryption)?;
            // The key and the IV are derived separately.
            let iterations = u64::try_from(params.iterations).unwrap_or(0);
            budget.spend(iterations)?;
            budget.spend(iterations)?;
            let salt = params.salt.as_bytes();
            let opened = if algorithm.oid == SHA1_3DES {
                legacy_decrypt::<des::TdesEde3>(password, salt, params.iterations, 24, data)
            } else {
                legacy_decrypt::<rc2::Rc2>(password, salt, params.iterations, 5, data)
            };
            opened.ok_or(wrong)
        }
        _ => Err(UploadProblem::UnsupportedEncryption),
    }
}

/// PKCS#12's own password-based encryption (RFC 7292, appendix B), CBC
/// with a key of `key_len` bytes; `None` when it does not unpad.
fn legacy_decrypt<C>(
    password: &str,
    salt: &[u8],
    iterations: i32,
    key_len: usize,
    data: &[u8],
) -> Option<Vec<u8>>
where
    C: BlockCipherDecrypt + KeyInit,
{
    let derive =
        |kind, len| derive_key_utf8::<sha1::Sha1>(password, salt, kind, iterations, len).ok();
    let key = derive(Pkcs12KeyType::EncryptionKey, key_len)?;
    let iv = derive(Pkcs12KeyType::Iv, 8)?;
    cbc::Decryptor::<C>::new_from_slices(&key, &iv)
        .ok()?
        .decrypt_padded_vec::<Pkcs7>(data)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_refuses_before_it_runs_out() {
        let mut budget = Budget::per_upload();
        assert_eq!(budget.spend(MAX_ITERATIONS), Ok(()));
        assert_eq!(budget.spend(MAX_ITERATIONS), Ok(()));
        assert_eq!(budget.left(), 0);
        assert_eq!(budget.spend(1), Err(UploadProblem::UnsupportedEncryption));
        let mut budget = Budget::per_upload();
        assert_eq!(
            budget.spend(MAX_ITERATIONS + 1),
            Err(UploadProblem::UnsupportedEncryption)
        );
        assert_eq!(budget.spend(0), Err(UploadProblem::UnsupportedEncryption));
        assert_eq!(budget.left(), Budget::PER_UPLOAD);
    }

    #[test]
    fn what_is_not_an_archive_is_named() {
        let mut budget = Budget::per_upload();
        let limits = Limits {
            keys: 16,
            certificates: 32,
        };
        assert_eq!(
            read(&[0x30, 0x00], "", limits, &mut budget).err(),
            Some(UploadProblem::Corrupt)
        );
        assert_eq!(budget.left(), Budget::PER_UPLOAD);
    }
}

//! User-provided certificates: the settings an administrator offers, who
//! may upload where, what an upload problem is called, and how close a
//! certificate is to its end.

use super::text::text_enum;
use crate::domain::text::TextEnum;
use crate::i18n::{Lang, en};
use serde::{Deserialize, Serialize};

use super::form::{checkbox, ticked};

use super::catalogue::{LabelKey, parse_labels};

/// Certificates ending within this many days are flagged and their owner
/// is told once.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// The largest file accepted for upload.
pub const MAX_FILE_BYTES: usize = 256 * 1024;

text_enum! {
    /// What a setting's certificate is for on the device.
    #[serde(rename_all = "lowercase")]
    pub enum Purpose {
        Signing,
        Encryption,
        Authentication,
        Other,
    }
}

impl Purpose {
    pub fn label(self) -> &'static str {
        match self {
            Purpose::Signing => en("Signing"),
            Purpose::Encryption => en("Encryption"),
            Purpose::Authentication => en("Authentication"),
            Purpose::Other => en("Other"),
        }
    }

    /// Whether a replaced certificate's key is kept (retired): mail
    /// encrypted to the old certificate must stay readable.
    pub fn keeps_replaced_keys(self) -> bool {
        self == Purpose::Encryption
    }
}

/// A certificate enrollment setting as an administrator fills it in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingInput {
    pub name: String,
    pub purpose: String,
    #[serde(deserialize_with = "checkbox")]
    pub key_required: bool,
    #[serde(deserialize_with = "checkbox")]
    pub password_required: bool,
    #[serde(deserialize_with = "checkbox")]
    pub mobile_upload: bool,
    /// The label keys whose devices get these certificates.
    #[serde(deserialize_with = "ticked")]
    pub labels: Vec<String>,
}

/// A checked setting.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub name: String,
    pub purpose: Purpose,
    pub key_required: bool,
    pub password_required: bool,
    pub mobile_upload: bool,
    pub labels: Vec<LabelKey>,
}

/// What is wrong with a setting, per field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingErrors {
    pub name: Option<&'static str>,
    pub purpose: Option<&'static str>,
    pub labels: Option<&'static str>,
}

impl SettingInput {
    /// The form of a new setting: a key is required, upload from desktop
    /// browsers only (as in the reference product).
    pub fn new_setting() -> SettingInput {
        SettingInput {
            name: String::new(),
            purpose: Purpose::Signing.as_str().to_owned(),
            key_required: true,
            password_required: true,
            mobile_upload: false,
            labels: vec![LabelKey::AllDevices.as_string()],
        }
    }

    pub fn check(&self) -> Result<Setting, SettingErrors> {
        let name = self.name.trim();
        let mut errors = SettingErrors::default();
        if name.is_empty() {
            errors.name = Some(en(
                "Enter a name people will recognise, e.g. \"S/MIME signing\".",
            ));
        } else if name.chars().count() > 80 {
            errors.name = Some(en("At most 80 characters."));
        } else if name.chars().any(char::is_control) {
            errors.name = Some(en("Letters, digits, spaces and punctuation only."));
        }
        let purpose = Purpose::parse(&self.purpose);
        if purpose.is_none() {
            errors.purpose = Some(en("Choose what the certificate is for."));
        }
        let labels = parse_labels(&self.labels).unwrap_or_else(|message| {
            errors.labels = Some(message);
            Vec::new()
        });
        match (purpose, errors == SettingErrors::default()) {
            (Some(purpose), true) => Ok(Setting {
                name: name.to_owned(),
                purpose,
                key_required: self.key_required,
                password_required: self.password_required,
                mobile_upload: self.mobile_upload,
                labels,
            }),
            _ => Err(errors),
        }
    }
}

/// Whether a browser's User-Agent is a phone's or a tablet's.
pub fn is_mobile_browser(user_agent: &str) -> bool {
    ["Mobi", "Android", "iPhone", "iPad", "iPod", "Windows Phone"]
        .iter()
        .any(|marker| user_agent.contains(marker))
}

/// Why an upload may not even be tried from this browser, or `None` when
/// it may.
pub fn upload_refusal(setting_allows_mobile: bool, mobile: bool) -> Option<UploadProblem> {
    (mobile && !setting_allows_mobile).then_some(UploadProblem::MobileNotAllowed)
}

/// What a file that was read must bring for its setting: a key where one
/// is required, and a password-protected key where that is required.
pub fn file_refusal(
    key_required: bool,
    password_required: bool,
    has_key: bool,
    key_protected: bool,
    password_given: bool,
) -> Option<UploadProblem> {
    if key_required && !has_key {
        Some(UploadProblem::KeyRequired)
    } else if password_required && has_key && !key_protected {
        Some(if password_given {
            UploadProblem::UnprotectedKey
        } else {
            UploadProblem::PasswordRequired
        })
    } else {
        None
    }
}

/// How close a certificate is to the end of its validity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Expiry {
    NotYetValid,
    Valid,
    /// Ends within `EXPIRY_WARNING_DAYS`: this many whole days left.
    EndsSoon(i64),
    Expired,
}

impl Expiry {
    /// From the validity period and now, all in seconds since the epoch.
    pub fn at(not_before: i64, not_after: i64, now: i64) -> Expiry {
        if now > not_after {
            Expiry::Expired
        } else if now < not_before {
            Expiry::NotYetValid
        } else {
            let days = (not_after - now) / 86_400;
            if days < EXPIRY_WARNING_DAYS {
                Expiry::EndsSoon(days)
            } else {
                Expiry::Valid
            }
        }
    }

    /// The badge next to a certificate, if any.
    pub fn badge(self) -> Option<String> {
        match self {
            Expiry::NotYetValid => Some(en("not valid yet").to_owned()),
            Expiry::Valid => None,
            Expiry::EndsSoon(0) => Some(en("expires today").to_owned()),
            Expiry::EndsSoon(1) => Some(en("expires in 1 day").to_owned()),
            Expiry::EndsSoon(days) => {
                Some(Lang::En.trf("expires in {days} days", &[("days", &days)]))
            }
            Expiry::Expired => Some(en("expired").to_owned()),
        }
    }
}

/// Which form field an upload problem belongs next to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadField {
    Setting,
    File,
    Password,
    Key,
}

impl UploadField {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadField::Setting => "setting",
            UploadField::File => "file",
            UploadField::Password => "password",
            UploadField::Key => "key",
        }
    }
}

/// Why an uploaded file was not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UploadProblem {
    NoSetting,
    MobileNotAllowed,
    NoFile,
    TooLarge,
    Empty,
    NotCertificate,
    Corrupt,
    PasswordRequired,
    WrongPassword,
    KeyRequired,
    KeyMismatch,
    NoCertificateForKey,
    Expired,
    UnsupportedAlgorithm,
    UnsupportedEncryption,
    WeakKey,
    TooManyEntries,
    UnprotectedKey,
    NoKeyChosen,
    PendingGone,
}

impl UploadProblem {
    pub const ALL: [UploadProblem; 20] = [
        UploadProblem::NoSetting,
        UploadProblem::MobileNotAllowed,
        UploadProblem::NoFile,
        UploadProblem::TooLarge,
        UploadProblem::Empty,
        UploadProblem::NotCertificate,
        UploadProblem::Corrupt,
        UploadProblem::PasswordRequired,
        UploadProblem::WrongPassword,
        UploadProblem::KeyRequired,
        UploadProblem::KeyMismatch,
        UploadProblem::NoCertificateForKey,
        UploadProblem::Expired,
        UploadProblem::UnsupportedAlgorithm,
        UploadProblem::UnsupportedEncryption,
        UploadProblem::WeakKey,
        UploadProblem::TooManyEntries,
        UploadProblem::UnprotectedKey,
        UploadProblem::NoKeyChosen,
        UploadProblem::PendingGone,
    ];

    /// A stable name, for addresses and API answers.
    pub fn code(self) -> &'static str {
        match self {
            UploadProblem::NoSetting => "no_setting",
            UploadProblem::MobileNotAllowed => "desktop_only",
            UploadProblem::NoFile => "no_file",
            UploadProblem::TooLarge => "too_large",
            UploadProblem::Empty => "empty",
            UploadProblem::NotCertificate => "not_certificate",
            UploadProblem::Corrupt => "corrupt",
            UploadProblem::PasswordRequired => "password_required",
            UploadProblem::WrongPassword => "wrong_password",
            UploadProblem::KeyRequired => "key_required",
            UploadProblem::KeyMismatch => "key_mismatch",
            UploadProblem::NoCertificateForKey => "no_certificate",
            UploadProblem::Expired => "expired",
            UploadProblem::UnsupportedAlgorithm => "unsupported_algorithm",
            UploadProblem::UnsupportedEncryption => "unsupported_encryption",
            UploadProblem::WeakKey => "weak_key",
            UploadProblem::TooManyEntries => "too_many_entries",
            UploadProblem::UnprotectedKey => "unprotected_key",
            UploadProblem::NoKeyChosen => "no_key_chosen",
            UploadProblem::PendingGone => "pending_gone",
        }
    }

    pub fn parse(code: &str) -> Option<UploadProblem> {
        UploadProblem::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn field(self) -> UploadField {
        match self {
            UploadProblem::NoSetting | UploadProblem::MobileNotAllowed => UploadField::Setting,
            UploadProblem::PasswordRequired
            | UploadProblem::WrongPassword
            | UploadProblem::UnprotectedKey => UploadField::Password,
            UploadProblem::NoKeyChosen | UploadProblem::PendingGone => UploadField::Key,
            _ => UploadField::File,
        }
    }

    /// The HTTP status an API client gets.
    pub fn status(self) -> u16 {
        match self {
            UploadProblem::TooLarge => 413,
            UploadProblem::MobileNotAllowed => 403,
            UploadProblem::PendingGone => 404,
            _ => 400,
        }
    }

    pub fn message(self) -> &'static str {
        match self {
            UploadProblem::NoSetting => en("Choose the setting this certificate is for."),
            UploadProblem::MobileNotAllowed => en(
                "Certificates for this setting can only be uploaded from a computer's browser: open the portal on your computer.",
            ),
            UploadProblem::NoFile => en("Choose the certificate file to upload."),
            UploadProblem::TooLarge => en(
                "The file is larger than 256 KiB: a certificate file is much smaller. Check that you picked the right file.",
            ),
            UploadProblem::Empty => en("The file is empty."),
            UploadProblem::NotCertificate => en(
                "This is not a certificate file. Upload a PKCS#12 file (.p12, .pfx) or a certificate (.pem, .cer, .crt, .der).",
            ),
            UploadProblem::Corrupt => {
                en("The file is truncated or damaged. Export it again and upload the new file.")
            }
            UploadProblem::PasswordRequired => en("Enter the password of the file."),
            UploadProblem::WrongPassword => {
                en("The password does not open this file. Check it and try again.")
            }
            UploadProblem::KeyRequired => en(
                "This setting needs the private key too: upload a PKCS#12 file (.p12, .pfx) or a PEM file with the key and the certificate.",
            ),
            UploadProblem::KeyMismatch => en("The private key does not belong to the certificate."),
            UploadProblem::NoCertificateForKey => {
                en("The file holds a private key without its certificate.")
            }
            UploadProblem::Expired => {
                en("The certificate has expired. Ask for a new one and upload that.")
            }
            UploadProblem::UnsupportedAlgorithm => en(
                "The key's algorithm is not supported. Use an RSA (2048 bits or more), ECDSA P-256 or P-384, or Ed25519 key.",
            ),
            UploadProblem::UnsupportedEncryption => en(
                "The file is protected in a way the portal cannot open. Export it again with current settings (for example with OpenSSL 3: openssl pkcs12 -export).",
            ),
            UploadProblem::WeakKey => en("The key is too short: RSA keys need at least 2048 bits."),
            UploadProblem::TooManyEntries => en(
                "The file holds too many keys or certificates (at most 16 keys and 32 certificates).",
            ),
            UploadProblem::UnprotectedKey => en(
                "For this kind of certificate the private key must be protected by a password: export the file again with a password and enter it here.",
            ),
            UploadProblem::NoKeyChosen => en("Choose which key to use."),
            UploadProblem::PendingGone => en(
                "This upload is no longer waiting (it was finished, discarded or is older than 15 minutes). Upload the file again.",
            ),
        }
    }
}

impl std::fmt::Display for UploadProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.message())
    }
}

/// How long an upload with several keys waits for its owner to pick one,
/// in seconds.
pub const PENDING_SECONDS: i64 = 15 * 60;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_need_a_name_and_a_purpose() {
        let mut input = SettingInput::new_setting();
        assert!(input.check().unwrap_err().name.is_some());
        input.name = "  S/MIME signing ".to_owned();
        let setting = input.check().unwrap();
        assert_eq!(setting.name, "S/MIME signing");
        assert_eq!(setting.purpose, Purpose::Signing);
        assert!(setting.key_required && !setting.mobile_upload);
        input.purpose = "bogus".to_owned();
        let errors = input.check().unwrap_err();
        assert!(errors.purpose.is_some() && errors.name.is_none());
        input.purpose = "encryption".to_owned();
        input.name = "x".repeat(81);
        assert!(input.check().unwrap_err().name.is_some());
        input.name = "tab\there".to_owned();
        assert!(input.check().is_err());
    }

    #[test]
    fn only_encryption_keeps_replaced_keys() {
        for &purpose in Purpose::ALL {
            assert_eq!(
                purpose.keeps_replaced_keys(),
                purpose == Purpose::Encryption
            );
            assert_eq!(Purpose::parse(purpose.as_str()), Some(purpose));
        }
    }

    #[test]
    fn mobile_browsers_are_recognised() {
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
        let android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/120 Mobile Safari/537.36";
        let desktop = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120 Safari/537.36";
        assert!(is_mobile_browser(iphone) && is_mobile_browser(android));
        assert!(!is_mobile_browser(desktop));
        assert_eq!(
            upload_refusal(false, true),
            Some(UploadProblem::MobileNotAllowed)
        );
        assert!(upload_refusal(true, true).is_none());
        assert!(upload_refusal(false, false).is_none());
    }

    #[test]
    fn files_must_bring_what_the_setting_requires() {
        use UploadProblem::*;
        // (key required, password required, has key, protected, password given)
        assert_eq!(
            file_refusal(true, false, false, false, false),
            Some(KeyRequired)
        );
        assert_eq!(file_refusal(false, false, false, false, false), None);
        assert_eq!(file_refusal(true, true, true, true, true), None);
        assert_eq!(
            file_refusal(true, true, true, false, false),
            Some(PasswordRequired)
        );
        assert_eq!(
            file_refusal(true, true, true, false, true),
            Some(UnprotectedKey)
        );
        assert_eq!(file_refusal(true, false, true, false, false), None);
        // A certificate alone needs no password.
        assert_eq!(file_refusal(false, true, false, false, false), None);
    }

    #[test]
    fn expiry_badges() {
        let day = 86_400;
        let (start, end) = (1_000 * day, 1_400 * day);
        assert_eq!(Expiry::at(start, end, start - 1), Expiry::NotYetValid);
        assert_eq!(Expiry::at(start, end, start), Expiry::Valid);
        assert_eq!(Expiry::at(start, end, end - 30 * day), Expiry::Valid);
        assert_eq!(
            Expiry::at(start, end, end - 30 * day + 1),
            Expiry::EndsSoon(29)
        );
        assert_eq!(
            Expiry::at(start, end, end - day).badge().unwrap(),
            "expires in 1 day"
        );
        assert_eq!(
            Expiry::at(start, end, end).badge().unwrap(),
            "expires today"
        );
        assert_eq!(Expiry::at(start, end, end + 1), Expiry::Expired);
        assert_eq!(Expiry::Valid.badge(), None);
    }

    #[test]
    fn problems_have_codes_fields_and_statuses() {
        for problem in UploadProblem::ALL {
            assert_eq!(UploadProblem::parse(problem.code()), Some(problem));
            assert!(!problem.message().is_empty());
        }
        assert_eq!(UploadProblem::WrongPassword.field(), UploadField::Password);
        assert_eq!(UploadProblem::Corrupt.field(), UploadField::File);
        assert_eq!(UploadProblem::TooLarge.status(), 413);
        assert_eq!(UploadProblem::NotCertificate.status(), 400);
    }
}

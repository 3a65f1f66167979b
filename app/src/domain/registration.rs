//! Rules of registering a device: how a device proves it was invited
//! (registration modes), the registration PIN, how many devices a person
//! may have and may register in a day, and where text messages may go.
//! Time and randomness are passed in.

use super::text::text_enum;
use crate::domain::text::TextEnum;
use crate::i18n::{Lang, en};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::device::Platform;
use super::phone::PhoneNumber;

text_enum! {
    /// What a device must present to enroll, besides its enrollment link.
    #[derive(Default)]
    pub enum RegistrationMode {
        Password,
        #[default]
        Pin,
        PasswordOrPin,
        PasswordAndPin,
    }
}

impl RegistrationMode {
    pub fn label(self) -> &'static str {
        match self {
            RegistrationMode::Password => en("Password only"),
            RegistrationMode::Pin => en("Registration PIN only"),
            RegistrationMode::PasswordOrPin => en("Password or registration PIN"),
            RegistrationMode::PasswordAndPin => en("Password and registration PIN"),
        }
    }

    /// Whether registrations get a PIN (and users may request a new one).
    pub fn uses_pin(self) -> bool {
        self != RegistrationMode::Password
    }

    /// What the owner's device is asked for, in plain words.
    pub fn asks_for(self) -> &'static str {
        match self {
            RegistrationMode::Password => en("your portal password"),
            RegistrationMode::Pin => en("the registration PIN"),
            RegistrationMode::PasswordOrPin => en("the registration PIN or your portal password"),
            RegistrationMode::PasswordAndPin => en("the registration PIN and your portal password"),
        }
    }

    /// Whether a device that presented `pin` and `password` may enroll.
    pub fn judge(self, pin: Presented, password: Presented) -> Result<(), Refusal> {
        use Presented::{Absent, Correct, Wrong};
        match self {
            RegistrationMode::Pin => match pin {
                Correct => Ok(()),
                Wrong => Err(Refusal::WrongPin),
                Absent => Err(Refusal::PinRequired),
            },
            RegistrationMode::Password => match password {
                Correct => Ok(()),
                Wrong => Err(Refusal::WrongPassword),
                Absent => Err(Refusal::PasswordRequired),
            },
            RegistrationMode::PasswordOrPin => match (pin, password) {
                (Correct, _) | (_, Correct) => Ok(()),
                (Wrong, _) => Err(Refusal::WrongPin),
                (_, Wrong) => Err(Refusal::WrongPassword),
                (Absent, Absent) => Err(Refusal::PinOrPasswordRequired),
            },
            RegistrationMode::PasswordAndPin => match (pin, password) {
                (Absent, _) => Err(Refusal::PinRequired),
                (_, Absent) => Err(Refusal::PasswordRequired),
                (Wrong, _) => Err(Refusal::WrongPin),
                (_, Wrong) => Err(Refusal::WrongPassword),
                (Correct, Correct) => Ok(()),
            },
        }
    }
}

/// One secret a device presented at enrollment, once checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Presented {
    Absent,
    Correct,
    Wrong,
}

/// Why an enrollment is refused; `code` is what the device API answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("This registration needs the registration PIN.")]
    PinRequired,
    #[error("This registration needs the owner's password.")]
    PasswordRequired,
    #[error("This registration needs the registration PIN or the owner's password.")]
    PinOrPasswordRequired,
    #[error("The registration PIN is wrong.")]
    WrongPin,
    #[error("The password is wrong.")]
    WrongPassword,
    #[error("Too many wrong PINs: PIN entry is locked for a while.")]
    PinLocked,
    #[error("Too many wrong passwords: try again later.")]
    PasswordLocked,
    #[error("The owner's account is disabled.")]
    OwnerDisabled,
    #[error("The directory that checks the password cannot be reached: try again later.")]
    DirectoryUnavailable,
    #[error("The registration has expired: register the device again.")]
    Expired,
    #[error("This registration has already been used.")]
    AlreadyUsed,
    #[error("No such registration.")]
    Unknown,
}

impl Refusal {
    pub fn code(self) -> &'static str {
        match self {
            Refusal::PinRequired => "pin_required",
            Refusal::PasswordRequired => "password_required",
            Refusal::PinOrPasswordRequired => "pin_or_password_required",
            Refusal::WrongPin => "wrong_pin",
            Refusal::WrongPassword => "wrong_password",
            Refusal::PinLocked => "pin_locked",
            Refusal::PasswordLocked => "password_locked",
            Refusal::OwnerDisabled => "owner_disabled",
            Refusal::DirectoryUnavailable => "directory_unavailable",
            Refusal::Expired => "registration_expired",
            Refusal::AlreadyUsed => "registration_used",
            Refusal::Unknown => "unknown_registration",
        }
    }
}

/// Admin → Registration: how devices enroll, how many a person may have
/// and register in a day, and where invitations may go by text message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistrationSettings {
    pub mode: RegistrationMode,
    pub pin_length: PinLength,
    pub pin_validity: PinValidity,
    pub device_limit: DeviceLimit,
    /// Whether a directory group's limit wins over `device_limit` for its
    /// members (otherwise the global limit applies to everyone).
    pub group_limits_first: bool,
    pub per_day: DailyRegistrations,
    pub sms_countries: SmsCountries,
}

impl Default for RegistrationSettings {
    fn default() -> Self {
        RegistrationSettings {
            mode: RegistrationMode::default(),
            pin_length: PinLength::default(),
            pin_validity: PinValidity::default(),
            device_limit: DeviceLimit::default(),
            group_limits_first: true,
            per_day: DailyRegistrations::default(),
            sms_countries: SmsCountries::default(),
        }
    }
}

/// Length of registration PINs: 6 to 12 digits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinLength(u8);

impl Default for PinLength {
    fn default() -> Self {
        PinLength(8)
    }
}

impl PinLength {
    pub const MIN: u8 = 6;
    pub const MAX: u8 = 12;

    pub fn new(digits: u8) -> Result<PinLength, String> {
        if (Self::MIN..=Self::MAX).contains(&digits) {
            Ok(PinLength(digits))
        } else {
            Err(Lang::En.trf(
                "A PIN has between {min} and {max} digits.",
                &[("min", &Self::MIN), ("max", &Self::MAX)],
            ))
        }
    }

    pub fn parse(text: &str) -> Result<PinLength, String> {
        text.trim()
            .parse::<u8>()
            .map_err(|_| {
                Lang::En.trf(
                    "Enter a number of digits from {min} to {max}.",
                    &[("min", &Self::MIN), ("max", &Self::MAX)],
                )
            })
            .and_then(PinLength::new)
    }

    pub fn digits(self) -> u8 {
        self.0
    }
}

/// How long a registration (and its PIN) stays usable: 1 to 720 hours.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinValidity(u32);

impl Default for PinValidity {
    fn default() -> Self {
        PinValidity(120)
    }
}

impl PinValidity {
    pub const MAX_HOURS: u32 = 720;

    pub fn parse(text: &str) -> Result<PinValidity, String> {
        match text.trim().parse::<u32>() {
            Ok(hours) if (1..=Self::MAX_HOURS).contains(&hours) => Ok(PinValidity(hours)),
            _ => Err(Lang::En.trf(
                "Enter a number of hours from 1 to {max} (30 days).",
                &[("max", &Self::MAX_HOURS)],
            )),
        }
    }

    pub fn hours(self) -> u32 {
        self.0
    }

    pub fn expires_at(self, issued: DateTime<Utc>) -> DateTime<Utc> {
        issued + TimeDelta::hours(i64::from(self.0))
    }
}

/// How long after registering the owner is reminded of a device that has
/// not enrolled yet.
pub const REMINDER_AFTER: TimeDelta = TimeDelta::hours(48);

/// Whether a Pending registration's owner is due a reminder now: once,
/// `REMINDER_AFTER` after registering, and only while it can still be used.
pub fn reminder_due(
    registered_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    reminded: bool,
    now: DateTime<Utc>,
) -> bool {
    !reminded && now >= registered_at + REMINDER_AFTER && now < expires_at
}

/// A new PIN of `length` digits from `random_byte`, which must give
/// uniformly random bytes (a CSPRNG on the server). Bytes from 250 up are
/// skipped so that every digit is equally likely.
pub fn generate_pin(length: PinLength, mut random_byte: impl FnMut() -> u8) -> String {
    let mut pin = String::with_capacity(usize::from(length.digits()));
    while pin.len() < usize::from(length.digits()) {
        let byte = random_byte();
        if byte < 250 {
            pin.push(char::from(b'0' + byte % 10));
        }
    }
    pin
}

/// Wrong PINs that lock PIN entry for one registration.
pub const PIN_MAX_ATTEMPTS: u32 = 6;
/// How long PIN entry stays locked.
pub const PIN_LOCKOUT: TimeDelta = TimeDelta::minutes(15);

/// Where a registration's PIN checks stand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PinAttempts {
    pub failed: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl PinAttempts {
    pub fn locked(self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|until| now < until)
    }

    /// Whether one more PIN may be checked: entry is not locked and this
    /// round has attempts left.
    pub fn may_try(self, now: DateTime<Utc>) -> bool {
        !self.locked(now) && self.failed < PIN_MAX_ATTEMPTS
    }

    /// Counts a PIN check before it is made, so that guesses sent in
    /// parallel cannot get more checks than the limit.
    pub fn claim(self) -> PinAttempts {
        PinAttempts {
            failed: self.failed + 1,
            ..self
        }
    }

    /// After a wrong PIN (or when a round was used up without a verdict):
    /// once the round's attempts are used up, entry locks for
    /// `PIN_LOCKOUT` and a new round begins.
    pub fn after_wrong(self, now: DateTime<Utc>) -> PinAttempts {
        if self.failed >= PIN_MAX_ATTEMPTS {
            PinAttempts {
                failed: 0,
                locked_until: Some(now + PIN_LOCKOUT),
            }
        } else {
            self
        }
    }
}

/// How many devices a person may have registered at once (Pending and
/// Active ones count); `None` is no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLimit(Option<u32>);

impl DeviceLimit {
    pub const MAX: u32 = 50;
    pub const UNLIMITED: DeviceLimit = DeviceLimit(None);

    pub fn new(limit: Option<u32>) -> Result<DeviceLimit, String> {
        match limit {
            Some(n) if !(1..=Self::MAX).contains(&n) => Err(Lang::En.trf(
                "A limit is from 1 to {max} devices; leave it empty for no limit.",
                &[("max", &Self::MAX)],
            )),
            other => Ok(DeviceLimit(other)),
        }
    }

    /// Empty text is no limit.
    pub fn parse(text: &str) -> Result<DeviceLimit, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(DeviceLimit(None));
        }
        let n = text.parse::<u32>().map_err(|_| {
            Lang::En.trf(
                "Enter a number from 1 to {max}, or leave it empty for no limit.",
                &[("max", &Self::MAX)],
            )
        })?;
        DeviceLimit::new(Some(n))
    }

    pub fn get(self) -> Option<u32> {
        self.0
    }

    /// Slots left for someone with `counted` Pending and Active devices;
    /// `None` when there is no limit.
    pub fn slots_left(self, counted: u64) -> Option<u64> {
        self.0.map(|limit| u64::from(limit).saturating_sub(counted))
    }

    pub fn allows_another(self, counted: u64) -> bool {
        self.slots_left(counted) != Some(0)
    }
}

/// How many devices one person may register in a day (cancelled ones
/// count): every registration can send a text message, so this is what
/// keeps a script from sending them without end. 1 to 1000.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyRegistrations(u32);

impl Default for DailyRegistrations {
    fn default() -> Self {
        DailyRegistrations(10)
    }
}

impl DailyRegistrations {
    pub const MAX: u32 = 1000;
    /// The day a count covers: the last 24 hours.
    pub const WINDOW: TimeDelta = TimeDelta::hours(24);

    pub fn new(per_day: u32) -> Result<DailyRegistrations, String> {
        if (1..=Self::MAX).contains(&per_day) {
            Ok(DailyRegistrations(per_day))
        } else {
            Err(Lang::En.trf("Enter a number from 1 to {max}.", &[("max", &Self::MAX)]))
        }
    }

    pub fn parse(text: &str) -> Result<DailyRegistrations, String> {
        text.trim()
            .parse::<u32>()
            .map_err(|_| Lang::En.trf("Enter a number from 1 to {max}.", &[("max", &Self::MAX)]))
            .and_then(DailyRegistrations::new)
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// Whether someone who registered `done` devices in the last
    /// [`Self::WINDOW`] may register another.
    pub fn allows_another(self, done: u64) -> bool {
        done < u64::from(self.0)
    }
}

/// The country codes text messages may go to; none means any. Set by an
/// administrator to keep invitations (and a script abusing them) to the
/// countries the company works in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCountries(Vec<u16>);

impl SmsCountries {
    /// The most codes a list may hold.
    pub const MAX: usize = 50;

    /// Reads codes as people write them: `+44, +353 1`, separated by
    /// commas, semicolons or spaces, with or without `+`. Empty is any.
    pub fn parse(text: &str) -> Result<SmsCountries, String> {
        let mut codes = Vec::new();
        for word in text
            .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
            .filter(|w| !w.is_empty())
        {
            let digits = word.strip_prefix('+').unwrap_or(word);
            let valid = (1..=3).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && !digits.starts_with('0');
            let Some(code) = digits.parse::<u16>().ok().filter(|_| valid) else {
                return Err(Lang::En.trf(
                    "\"{word}\" is not a country code: use + and 1 to 3 digits, for example +44, +49.",
                    &[("word", &word)],
                ));
            };
            if !codes.contains(&code) {
                codes.push(code);
            }
        }
        if codes.len() > Self::MAX {
            return Err(Lang::En.trf("List at most {max} country codes.", &[("max", &Self::MAX)]));
        }
        Ok(SmsCountries(codes))
    }

    /// Whether any number may receive text messages.
    pub fn any(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a text message may go to `number`.
    pub fn allows(&self, number: &PhoneNumber) -> bool {
        sms_allowed(&self.codes(), number)
    }

    /// The codes as digits separated by spaces ("44 353"; empty for any):
    /// what the browser's hint gets.
    pub fn codes(&self) -> String {
        let codes: Vec<String> = self.0.iter().map(u16::to_string).collect();
        codes.join(" ")
    }

    /// Why a text message cannot go to a number these codes do not allow.
    pub fn refusal(&self) -> String {
        let codes: Vec<String> = self.0.iter().map(|c| format!("+{c}")).collect();
        match codes.split_last() {
            Some((last, others)) if !others.is_empty() => Lang::En.trf(
                "Text messages can go only to numbers starting with {codes} or {last}.",
                &[("codes", &others.join(" or ")), ("last", last)],
            ),
            _ => Lang::En.trf(
                "Text messages can go only to numbers starting with {code}.",
                &[("code", &codes.join(", "))],
            ),
        }
    }

    /// Whether a text message may go to `number`, and if not, why.
    pub fn check(&self, number: &PhoneNumber) -> Result<(), String> {
        if self.allows(number) {
            Ok(())
        } else {
            Err(self.refusal())
        }
    }
}

/// Whether a text message may go to `number`, given the allowed country
/// codes as [`SmsCountries::codes`] writes them. Plain text in, so that the
/// browser's hint needs no number formatting (its bundle stays small).
pub fn sms_allowed(codes: &str, number: &PhoneNumber) -> bool {
    let digits = number.as_str().trim_start_matches('+');
    codes.trim().is_empty()
        || codes
            .split(' ')
            .any(|code| !code.is_empty() && digits.starts_with(code))
}

impl std::fmt::Display for SmsCountries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let codes: Vec<String> = self.0.iter().map(|c| format!("+{c}")).collect();
        f.write_str(&codes.join(", "))
    }
}

/// The limit that applies to one person: with no limited group (or when
/// the global limit takes precedence) the global limit; otherwise the
/// highest limit among their groups.
pub fn device_limit(
    global: DeviceLimit,
    group_limits: &[u32],
    groups_take_precedence: bool,
) -> DeviceLimit {
    match group_limits.iter().max() {
        Some(&highest) if groups_take_precedence => DeviceLimit(Some(highest)),
        _ => global,
    }
}

text_enum! {
    /// How a person wants their invitation delivered.
    #[derive(Default)]
    pub enum Invitation {
        Email,
        Sms,
        Both,
        #[default]
        None,
    }
}

impl Invitation {
    pub fn label(self) -> &'static str {
        match self {
            Invitation::Email => en("E-mail"),
            Invitation::Sms => en("Text message (SMS)"),
            Invitation::Both => en("E-mail and text message"),
            Invitation::None => en("Don't send anything: I'll use this page"),
        }
    }

    pub fn email(self) -> bool {
        matches!(self, Invitation::Email | Invitation::Both)
    }

    pub fn sms(self) -> bool {
        matches!(self, Invitation::Sms | Invitation::Both)
    }
}

/// What the registration form asks for, once checked.
#[derive(Clone, Debug, PartialEq)]
pub struct RegistrationForm {
    pub platform: Platform,
    pub phone: Option<PhoneNumber>,
    pub invitation: Invitation,
}

/// Why the registration form cannot be accepted, per field.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FormErrors {
    pub platform: Option<String>,
    pub phone: Option<String>,
    pub invitation: Option<String>,
}

/// The registration form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RegisterInput {
    pub platform: String,
    pub phone: String,
    pub invitation: String,
}

impl RegisterInput {
    /// The form checked. `has_email`: whether the person has an e-mail
    /// address an invitation could go to; `countries`: where text messages
    /// may go.
    pub fn check(
        &self,
        has_email: bool,
        countries: &SmsCountries,
    ) -> Result<RegistrationForm, FormErrors> {
        check_form(self, has_email, countries)
    }
}

fn check_form(
    RegisterInput {
        platform,
        phone,
        invitation,
    }: &RegisterInput,
    has_email: bool,
    countries: &SmsCountries,
) -> Result<RegistrationForm, FormErrors> {
    let mut errors = FormErrors::default();
    let platform = Platform::parse(platform);
    if platform.is_none() {
        errors.platform = Some(en("Choose the kind of device.").to_owned());
    }
    let phone = match phone.trim() {
        "" => None,
        text => match PhoneNumber::parse(text) {
            Ok(number) => Some(number),
            Err(error) => {
                errors.phone = Some(error.to_string());
                None
            }
        },
    };
    let invitation = Invitation::parse(invitation);
    match invitation {
        None => errors.invitation = Some(en("Choose how to get the invitation.").to_owned()),
        Some(i) if i.email() && !has_email => {
            errors.invitation =
                Some(en("You have no e-mail address in the portal: choose another way.").to_owned())
        }
        Some(i) if i.sms() && phone.is_none() && errors.phone.is_none() => {
            errors.phone = Some(en("Enter the phone number the text message goes to.").to_owned())
        }
        Some(i) if i.sms() => {
            if let Some(Err(why)) = phone.as_ref().map(|p| countries.check(p)) {
                errors.phone = Some(why);
            }
        }
        _ => {}
    }
    match (platform, invitation) {
        (Some(platform), Some(invitation)) if errors == FormErrors::default() => {
            Ok(RegistrationForm {
                platform,
                phone,
                invitation,
            })
        }
        _ => Err(errors),
    }
}

text_enum! {
    /// Where the delivery of one invitation stands.
    pub enum Delivery {
        Sending,
        Sent,
        /// The last attempt failed; another follows.
        Retrying,
        /// Every attempt failed.
        Failed,
        /// The server has no mail server or SMS gateway configured.
        NotConfigured,
    }
}

impl Delivery {
    /// How the page describes it, for "e-mail" or "text message".
    pub fn describe(self, what: &str) -> String {
        match self {
            Delivery::Sending => Lang::En.trf("The {what} is being sent.", &[("what", &what)]),
            Delivery::Sent => Lang::En.trf("The {what} was sent.", &[("what", &what)]),
            Delivery::Retrying => Lang::En.trf(
                "The {what} could not be sent yet; the portal keeps trying. Use this page meanwhile.",
                &[("what", &what)],
            ),
            Delivery::Failed => Lang::En.trf(
                "The {what} could not be sent. Use the QR code and PIN on this page.",
                &[("what", &what)],
            ),
            Delivery::NotConfigured => Lang::En.trf(
                "The {what} could not be sent: the portal is not set up to send them. Use this page.",
                &[("what", &what)],
            ),
        }
    }

    pub fn is_problem(self) -> bool {
        matches!(
            self,
            Delivery::Retrying | Delivery::Failed | Delivery::NotConfigured
        )
    }
}

/// A directory group's device limit as typed in its form (`group` is the
/// picker's `server|dn`; `id` the limit being changed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupLimitInput {
    pub id: Option<i32>,
    pub group: String,
    pub limit: String,
}

/// The Admin → Registration form as typed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsInput {
    pub mode: String,
    pub pin_length: String,
    pub pin_validity_hours: String,
    pub device_limit: String,
    /// `groups` or `global`: which limit wins for members of a limited
    /// group; without it the current choice stays.
    pub precedence: Option<String>,
    /// Registrations per person per day; without it the current value stays.
    pub per_day: Option<String>,
    /// Country codes for text messages; without it the current list stays.
    pub sms_countries: Option<String>,
}

/// Why the registration settings form was refused, field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingsErrors {
    pub mode: Option<String>,
    pub pin_length: Option<String>,
    pub pin_validity_hours: Option<String>,
    pub device_limit: Option<String>,
    pub per_day: Option<String>,
    pub sms_countries: Option<String>,
}

impl SettingsInput {
    /// The form showing `current`.
    pub fn of(current: &RegistrationSettings) -> SettingsInput {
        SettingsInput {
            mode: current.mode.as_str().to_owned(),
            pin_length: current.pin_length.digits().to_string(),
            pin_validity_hours: current.pin_validity.hours().to_string(),
            device_limit: current
                .device_limit
                .get()
                .map(|n| n.to_string())
                .unwrap_or_default(),
            precedence: Some(
                if current.group_limits_first {
                    "groups"
                } else {
                    "global"
                }
                .to_owned(),
            ),
            per_day: Some(current.per_day.get().to_string()),
            sms_countries: Some(current.sms_countries.to_string()),
        }
    }

    /// The settings typed; `current` decides what the form leaves out.
    pub fn check(
        &self,
        current: &RegistrationSettings,
    ) -> Result<RegistrationSettings, Box<SettingsErrors>> {
        let mode =
            RegistrationMode::parse(&self.mode).ok_or(en("Choose what a device needs to enroll."));
        let pin_length = PinLength::parse(&self.pin_length);
        let pin_validity = PinValidity::parse(&self.pin_validity_hours);
        let device_limit = DeviceLimit::parse(&self.device_limit);
        let per_day = self
            .per_day
            .as_deref()
            .map_or(Ok(current.per_day), DailyRegistrations::parse);
        let sms_countries = self
            .sms_countries
            .as_deref()
            .map_or_else(|| Ok(current.sms_countries.clone()), SmsCountries::parse);
        match (
            mode,
            pin_length,
            pin_validity,
            device_limit,
            per_day,
            sms_countries,
        ) {
            (
                Ok(mode),
                Ok(pin_length),
                Ok(pin_validity),
                Ok(device_limit),
                Ok(per_day),
                Ok(sms_countries),
            ) => Ok(RegistrationSettings {
                mode,
                pin_length,
                pin_validity,
                device_limit,
                group_limits_first: match self.precedence.as_deref().filter(|p| !p.is_empty()) {
                    Some(choice) => choice != "global",
                    None => current.group_limits_first,
                },
                per_day,
                sms_countries,
            }),
            (mode, pin_length, pin_validity, device_limit, per_day, sms_countries) => {
                Err(Box::new(SettingsErrors {
                    mode: mode.err().map(str::to_owned),
                    pin_length: pin_length.err(),
                    pin_validity_hours: pin_validity.err(),
                    device_limit: device_limit.err(),
                    per_day: per_day.err(),
                    sms_countries: sms_countries.err(),
                }))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Presented::{Absent, Correct, Wrong};

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + TimeDelta::minutes(minutes)
    }

    #[test]
    fn pin_only_needs_the_right_pin_and_ignores_a_password() {
        let mode = RegistrationMode::Pin;
        assert_eq!(mode.judge(Correct, Absent), Ok(()));
        assert_eq!(mode.judge(Correct, Wrong), Ok(()));
        assert_eq!(mode.judge(Wrong, Correct), Err(Refusal::WrongPin));
        assert_eq!(mode.judge(Absent, Correct), Err(Refusal::PinRequired));
    }

    #[test]
    fn password_only_needs_the_password() {
        let mode = RegistrationMode::Password;
        assert_eq!(mode.judge(Absent, Correct), Ok(()));
        assert_eq!(mode.judge(Correct, Absent), Err(Refusal::PasswordRequired));
        assert_eq!(mode.judge(Absent, Wrong), Err(Refusal::WrongPassword));
        assert!(!mode.uses_pin());
    }

    #[test]
    fn password_or_pin_takes_either() {
        let mode = RegistrationMode::PasswordOrPin;
        assert_eq!(mode.judge(Correct, Absent), Ok(()));
        assert_eq!(mode.judge(Absent, Correct), Ok(()));
        assert_eq!(mode.judge(Wrong, Correct), Ok(()));
        assert_eq!(mode.judge(Wrong, Absent), Err(Refusal::WrongPin));
        assert_eq!(mode.judge(Absent, Wrong), Err(Refusal::WrongPassword));
        assert_eq!(
            mode.judge(Absent, Absent),
            Err(Refusal::PinOrPasswordRequired)
        );
    }

    #[test]
    fn password_and_pin_needs_both() {
        let mode = RegistrationMode::PasswordAndPin;
        assert_eq!(mode.judge(Correct, Correct), Ok(()));
        assert_eq!(mode.judge(Correct, Absent), Err(Refusal::PasswordRequired));
        assert_eq!(mode.judge(Absent, Correct), Err(Refusal::PinRequired));
        assert_eq!(mode.judge(Correct, Wrong), Err(Refusal::WrongPassword));
        assert_eq!(mode.judge(Wrong, Correct), Err(Refusal::WrongPin));
    }

    #[test]
    fn pin_length_is_six_to_twelve_digits() {
        assert_eq!(PinLength::default().digits(), 8);
        assert!(PinLength::parse("5").is_err());
        assert!(PinLength::parse("13").is_err());
        assert!(PinLength::parse("eight").is_err());
        assert_eq!(PinLength::parse(" 6 ").unwrap().digits(), 6);
        assert_eq!(PinLength::parse("12").unwrap().digits(), 12);
    }

    #[test]
    fn a_pin_has_the_set_length_and_only_digits() {
        let mut bytes = [3u8, 250, 255, 19, 7, 99, 0, 249, 128, 64, 1, 2, 3]
            .into_iter()
            .cycle();
        let pin = generate_pin(PinLength::new(8).unwrap(), || bytes.next().unwrap());
        // 250 and 255 are skipped; each kept byte gives byte % 10.
        assert_eq!(pin, "39790984");
        let mut counter = 0u8;
        let long = generate_pin(PinLength::new(12).unwrap(), || {
            counter = counter.wrapping_add(37);
            counter
        });
        assert_eq!(long.len(), 12);
        assert!(long.chars().all(|c| c.is_ascii_digit()));
    }

    #[test]
    fn pin_digits_are_uniform_over_all_bytes() {
        let mut counts = [0u32; 10];
        let mut byte = 0u8;
        let pin = generate_pin(PinLength::new(12).unwrap(), || 0);
        assert_eq!(pin, "000000000000");
        for _ in 0..250 {
            let digit = generate_pin(PinLength::new(6).unwrap(), || {
                let b = byte;
                byte = byte.wrapping_add(1);
                b
            });
            for c in digit.chars() {
                counts[usize::from(c as u8 - b'0')] += 1;
            }
        }
        let (min, max) = (counts.iter().min().unwrap(), counts.iter().max().unwrap());
        assert!(max - min <= 1, "{counts:?}");
    }

    #[test]
    fn a_registration_expires_after_its_validity() {
        assert_eq!(PinValidity::default().hours(), 120);
        let validity = PinValidity::parse("48").unwrap();
        assert_eq!(validity.expires_at(at(0)), at(48 * 60));
        assert!(PinValidity::parse("0").is_err());
        assert!(PinValidity::parse("721").is_err());
    }

    #[test]
    fn the_reminder_comes_once_after_48_hours_while_still_valid() {
        let registered = at(0);
        let expires = PinValidity::default().expires_at(registered);
        let hours = |h: i64| at(h * 60);
        assert!(!reminder_due(registered, expires, false, hours(47)));
        assert!(reminder_due(registered, expires, false, hours(48)));
        assert!(reminder_due(registered, expires, false, hours(100)));
        assert!(!reminder_due(registered, expires, true, hours(100)));
        assert!(!reminder_due(registered, expires, false, hours(120)));
        // A registration valid for less than 48 hours gets no reminder.
        let short = PinValidity::parse("24").unwrap().expires_at(registered);
        assert!(!reminder_due(registered, short, false, hours(48)));
    }

    #[test]
    fn six_wrong_pins_lock_entry_for_a_while() {
        let mut attempts = PinAttempts::default();
        for n in 1..PIN_MAX_ATTEMPTS {
            assert!(attempts.may_try(at(0)));
            attempts = attempts.claim().after_wrong(at(0));
            assert_eq!(attempts.failed, n);
            assert!(!attempts.locked(at(0)));
        }
        assert!(attempts.may_try(at(1)));
        attempts = attempts.claim().after_wrong(at(1));
        assert!(attempts.locked(at(1)));
        assert!(!attempts.may_try(at(15)));
        assert!(attempts.may_try(at(16)));
        assert_eq!(attempts.failed, 0);
        // After the lock a new round: one more wrong PIN does not lock.
        let next = attempts.claim().after_wrong(at(20));
        assert!(next.may_try(at(20)));
    }

    #[test]
    fn checks_claimed_in_parallel_cannot_exceed_the_round() {
        // Six checks claimed before any verdict: the seventh may not start.
        let mut attempts = PinAttempts::default();
        for _ in 0..PIN_MAX_ATTEMPTS {
            assert!(attempts.may_try(at(0)));
            attempts = attempts.claim();
        }
        assert!(!attempts.may_try(at(0)));
        // A round used up without verdicts (a crash) still ends in a lock.
        assert!(attempts.after_wrong(at(0)).locked(at(1)));
    }

    #[test]
    fn device_limits_are_one_to_fifty_or_none() {
        assert_eq!(DeviceLimit::parse("").unwrap(), DeviceLimit::UNLIMITED);
        assert_eq!(DeviceLimit::parse(" 3 ").unwrap().get(), Some(3));
        assert!(DeviceLimit::parse("0").is_err());
        assert!(DeviceLimit::parse("51").is_err());
        assert!(DeviceLimit::parse("-1").is_err());
    }

    #[test]
    fn slots_left_counts_down_to_zero() {
        let three = DeviceLimit::new(Some(3)).unwrap();
        assert_eq!(three.slots_left(0), Some(3));
        assert_eq!(three.slots_left(2), Some(1));
        assert!(three.allows_another(2));
        assert_eq!(three.slots_left(3), Some(0));
        assert!(!three.allows_another(3));
        // Already over (the limit was lowered): none left, not an underflow.
        assert_eq!(three.slots_left(7), Some(0));
        assert_eq!(DeviceLimit::UNLIMITED.slots_left(1000), None);
        assert!(DeviceLimit::UNLIMITED.allows_another(1000));
    }

    #[test]
    fn the_highest_group_limit_wins_when_groups_take_precedence() {
        let global = DeviceLimit::new(Some(2)).unwrap();
        assert_eq!(device_limit(global, &[], true), global);
        assert_eq!(device_limit(global, &[1, 5, 3], true).get(), Some(5));
        assert_eq!(device_limit(global, &[1], true).get(), Some(1));
        assert_eq!(device_limit(global, &[1, 5, 3], false), global);
        assert_eq!(
            device_limit(DeviceLimit::UNLIMITED, &[4], false),
            DeviceLimit::UNLIMITED
        );
        assert_eq!(
            device_limit(DeviceLimit::UNLIMITED, &[4], true).get(),
            Some(4)
        );
    }

    fn check_form(
        platform: &str,
        phone: &str,
        invitation: &str,
        has_email: bool,
    ) -> Result<RegistrationForm, FormErrors> {
        let input = RegisterInput {
            platform: platform.to_owned(),
            phone: phone.to_owned(),
            invitation: invitation.to_owned(),
        };
        input.check(has_email, &SmsCountries::default())
    }

    #[test]
    fn the_form_reports_each_field_and_accepts_a_good_one() {
        let good = check_form("ios", " +49 151 12345678 ", "both", true).unwrap();
        assert_eq!(good.platform, Platform::Ios);
        assert_eq!(good.invitation, Invitation::Both);
        assert!(good.phone.is_some());
        assert_eq!(
            check_form("android", "", "none", false).unwrap().phone,
            None
        );
        let errors = check_form("toaster", "12", "pigeon", true).unwrap_err();
        assert!(errors.platform.is_some());
        assert!(errors.phone.is_some());
        assert!(errors.invitation.is_some());
        let sms = check_form("ios", "", "sms", true).unwrap_err();
        assert!(sms.phone.unwrap().contains("phone number"));
        let email = check_form("ios", "", "email", false).unwrap_err();
        assert!(email.invitation.unwrap().contains("e-mail"));
    }

    #[test]
    fn country_codes_read_as_people_write_them() {
        let codes = SmsCountries::parse(" +44, 49;+353  +44 ").unwrap();
        assert_eq!(codes.to_string(), "+44, +49, +353");
        assert!(SmsCountries::parse("").unwrap().any());
        for bad in ["+0", "+1234", "44a", "+", "++44"] {
            let refused = SmsCountries::parse(bad).unwrap_err();
            assert!(refused.contains("country code"), "{bad}: {refused}");
        }
        let many: Vec<String> = (1..=51).map(|n| format!("+{n}")).collect();
        assert!(SmsCountries::parse(&many.join(",")).is_err());
        assert!(SmsCountries::parse(&many[..50].join(",")).is_ok());
    }

    #[test]
    fn text_messages_go_only_to_the_allowed_countries() {
        let number = |text| PhoneNumber::parse(text).unwrap();
        let codes = SmsCountries::parse("+44 +353").unwrap();
        assert_eq!(codes.check(&number("+44 20 7946 0958")), Ok(()));
        assert_eq!(codes.check(&number("+353 1 234 5678")), Ok(()));
        assert_eq!(
            codes.check(&number("+1 212 555 0123")),
            Err("Text messages can go only to numbers starting with +44 or +353.".to_owned())
        );
        // A code is a prefix of the number (E.164 codes never prefix one
        // another, so +35 can only mean the +35x countries).
        assert!(
            SmsCountries::parse("+35")
                .unwrap()
                .check(&number("+353 1 234 5678"))
                .is_ok()
        );
        assert!(
            SmsCountries::default()
                .check(&number("+1 212 555 0123"))
                .is_ok()
        );
        // The form refuses the number for a text message, not otherwise.
        let input = |invitation: &str| RegisterInput {
            platform: "ios".to_owned(),
            phone: "+1 212 555 0123".to_owned(),
            invitation: invitation.to_owned(),
        };
        let refused = input("both").check(true, &codes).unwrap_err();
        assert!(refused.phone.unwrap().contains("+44 or +353"));
        assert!(input("email").check(true, &codes).is_ok());
    }

    #[test]
    fn a_day_allows_so_many_registrations() {
        assert_eq!(DailyRegistrations::default().get(), 10);
        let two = DailyRegistrations::parse(" 2 ").unwrap();
        assert!(two.allows_another(1));
        assert!(!two.allows_another(2));
        for bad in ["0", "1001", "ten", ""] {
            assert!(DailyRegistrations::parse(bad).is_err(), "{bad}");
        }
        assert!(DailyRegistrations::parse("1000").is_ok());
    }

    #[test]
    fn a_settings_form_without_the_new_fields_keeps_them() {
        let current = RegistrationSettings {
            per_day: DailyRegistrations::new(3).unwrap(),
            sms_countries: SmsCountries::parse("+44").unwrap(),
            ..RegistrationSettings::default()
        };
        let mut input = SettingsInput::of(&current);
        assert_eq!(input.check(&current), Ok(current.clone()));
        input.per_day = None;
        input.sms_countries = None;
        assert_eq!(input.check(&current), Ok(current.clone()));
        input.per_day = Some("0".to_owned());
        input.sms_countries = Some("+0".to_owned());
        let errors = input.check(&current).unwrap_err();
        assert!(errors.per_day.is_some() && errors.sms_countries.is_some());
    }

    #[test]
    fn invitations_say_which_channels() {
        assert!(Invitation::Both.email() && Invitation::Both.sms());
        assert!(Invitation::Email.email() && !Invitation::Email.sms());
        assert!(!Invitation::None.email() && !Invitation::None.sms());
    }
}

//! Types the pages and the server functions exchange.

use crate::domain::ids::{CommandId, DeviceId};
use chrono::{DateTime, Utc};
use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

pub use crate::domain::audit::{AuditFilter, AuditPage, AuditRow};
use crate::domain::device::{
    CommandState, DeviceAction, DeviceStatus, LockState, Ownership, Platform,
};
pub use crate::domain::directory::TestStep;
use crate::domain::registration::{Delivery, RegistrationMode, SmsCountries};
use crate::domain::role::{Role, RoleSet};
pub use crate::domain::signin::PortalSettings;

/// Why a server function refused, in words fit for a person. The server
/// also answers with the matching HTTP status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    #[error("Please sign in.")]
    NotSignedIn,
    #[error("{0}")]
    Forbidden(String),
    #[error("Not found.")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    /// Not possible in the current state (e.g. the device is not enrolled).
    #[error("{0}")]
    Conflict(String),
    /// Asked too often; a limit of the portal applies for a while.
    #[error("{0}")]
    TooMany(String),
    #[error("The portal cannot do this right now. Try again in a moment.")]
    Unavailable,
    #[error("The request could not be understood.")]
    BadRequest(String),
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(e) | ServerFnErrorErr::Deserialization(e) => {
                ApiError::BadRequest(e)
            }
            _ => ApiError::Unavailable,
        }
    }
}

impl ApiError {
    pub fn status(&self) -> u16 {
        match self {
            ApiError::NotSignedIn => 401,
            ApiError::Forbidden(_) => 403,
            ApiError::NotFound => 404,
            ApiError::Invalid(_) | ApiError::BadRequest(_) => 400,
            ApiError::Conflict(_) => 409,
            ApiError::TooMany(_) => 429,
            ApiError::Unavailable => 503,
        }
    }
}

/// The signed-in user as the pages see them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub display_name: String,
    pub roles: RoleSet,
    /// The token every form of this browser must send back.
    pub csrf_token: String,
}

impl Me {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(role)
    }
}

/// A user in the admin list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub phone: Option<String>,
    pub source: String,
    pub disabled: bool,
    /// The roles an administrator gave this user.
    pub roles: RoleSet,
    /// The roles their directory groups grant (directory users only).
    pub group_roles: RoleSet,
}

/// One session of a person: where they are signed in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionRow {
    /// Names the session in forms (not its secret, nor the secret's hash).
    pub handle: String,
    /// E.g. "Firefox on Linux".
    pub browser: String,
    pub client_addr: String,
    pub started: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The session of the request that asked.
    pub current: bool,
}

/// My account: who I am, whether the portal keeps my password, and where
/// I am signed in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AccountView {
    pub username: String,
    pub display_name: String,
    pub email: String,
    /// The portal keeps the password (a local user).
    pub local: bool,
    pub sessions: Vec<SessionRow>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// What the sign-in page offers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignInChoices {
    pub password: bool,
    pub certificate: bool,
    /// The subject of the certificate this browser presents, if any.
    pub presented: Option<String>,
}

/// Admin → Sign-in methods.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignInSettings {
    pub methods: crate::domain::certificate_sign_in::SignInMethods,
    pub mapping: crate::domain::certificate_sign_in::CertificateMapping,
    /// How certificates reach this server; empty when not set up.
    pub via: String,
    /// The subject of the certificate the administrator's browser
    /// presents, if any.
    pub presented: Option<String>,
}

/// A device in the owner's list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub id: DeviceId,
    pub display_name: String,
    pub platform: Platform,
    pub manufacturer: String,
    pub model: String,
    pub ownership: Ownership,
    pub status: DeviceStatus,
    pub lock: LockState,
    pub last_checkin_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceList {
    pub devices: Vec<DeviceSummary>,
    /// The server's clock, for "5 minutes ago".
    pub now: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Location {
    pub latitude: f64,
    pub longitude: f64,
    pub accuracy_m: Option<f64>,
    pub at: DateTime<Utc>,
}

/// An action as the device page offers it: available, or why not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionOption {
    pub action: DeviceAction,
    pub unavailable: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CommandView {
    pub id: CommandId,
    pub action: DeviceAction,
    pub state: CommandState,
    pub requested_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    /// What the device said when it failed.
    pub error: Option<String>,
    /// A Wipe or Retire waits until then before the device may get it.
    pub hold_until: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeviceDetail {
    pub summary: DeviceSummary,
    pub os_version: String,
    pub serial: String,
    pub imei: String,
    pub phone: String,
    pub carrier: String,
    pub registered_at: DateTime<Utc>,
    pub enrolled_at: Option<DateTime<Utc>>,
    pub location: Option<Location>,
    /// The actions this user has a role for, each available or not (with why).
    pub actions: Vec<ActionOption>,
    /// The latest commands, newest first.
    pub commands: Vec<CommandView>,
    /// Its labels, what they bring, and whether the device has applied it.
    pub configuration: super::catalogue::DeviceConfiguration,
    /// The PIN the device made at its latest PIN reset, this once.
    pub new_pin: Option<String>,
    /// How Wipe and Retire ask this person to prove it is them again
    /// (`None`: they proved it recently enough).
    pub prove_with: Option<crate::domain::certificate_sign_in::Proof>,
    pub history: AuditPage,
    pub now: DateTime<Utc>,
}

/// What the registration page knows before the person starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegistrationOverview {
    pub mode: RegistrationMode,
    /// The limit that applies to this person (`None`: no limit).
    pub limit: Option<u32>,
    /// Their Pending and Active devices.
    pub counted: u64,
    pub slots_left: Option<u64>,
    pub mail_enabled: bool,
    pub sms_enabled: bool,
    /// The person's e-mail address (where an invitation would go).
    pub email: String,
    pub phone: Option<String>,
    pub validity_hours: u32,
    /// How many devices a person may register in a day, and how many this
    /// person registered in the last 24 hours.
    pub per_day: u32,
    pub registered_today: u64,
    /// Where invitations may go by text message.
    pub sms_countries: SmsCountries,
}

/// A Pending device's enrollment page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnrollmentView {
    pub device_id: DeviceId,
    pub display_name: String,
    pub platform: Platform,
    pub status: DeviceStatus,
    pub mode: RegistrationMode,
    pub expires_at: DateTime<Utc>,
    pub email_delivery: Option<Delivery>,
    pub sms_delivery: Option<Delivery>,
    /// Shown once, right after registering or reissuing.
    pub revealed: Option<Revealed>,
}

/// The secrets of a fresh registration, shown once.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Revealed {
    pub enrollment_url: String,
    /// The QR code of `enrollment_url`, as an SVG document.
    pub qr_svg: String,
    pub pin: Option<String>,
}

/// Admin → LDAP: one server in the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LdapServerSummary {
    pub id: i32,
    pub name: String,
    pub url: String,
    pub enabled: bool,
    pub membership: String,
}

/// Admin → LDAP → one server: its settings as a form (never the password)
/// and the roles its groups grant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LdapServerView {
    /// `None` for a server not saved yet.
    pub id: Option<i32>,
    pub form: crate::domain::directory::ServerFormInput,
    /// Whether a service password is stored.
    pub has_password: bool,
    pub grants: Vec<GroupGrant>,
}

/// Roles every member of a directory group gets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupGrant {
    pub id: i32,
    pub group_dn: String,
    pub group_name: String,
    pub roles: RoleSet,
}

/// A device limit for a directory group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupLimit {
    pub id: i32,
    pub server_id: i32,
    pub server_name: String,
    pub group_dn: String,
    pub group_name: String,
    pub limit: u32,
}

/// A group an administrator can pick: `value` is what the form posts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupChoice {
    pub value: String,
    pub label: String,
}

/// The groups of the enabled directories, and the directories that could
/// not be asked (with why).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupChoices {
    pub choices: Vec<GroupChoice>,
    pub unreadable: Vec<String>,
}

/// Admin → Registration's table of group limits.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupLimits {
    pub rows: Vec<GroupLimit>,
    pub groups: GroupChoices,
}

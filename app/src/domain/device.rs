//! Devices and the commands sent to them: platforms, lifecycle, lock state,
//! and the one table of which action applies to which device, for whom.

use super::text::text_enum;
use crate::domain::ids::CommandId;
use crate::domain::text::TextEnum;
use crate::i18n::{Lang, en};
use serde::{Deserialize, Serialize};

use super::access::{self, Action, Denied, Subject};
use super::phone::PhoneNumber;

text_enum! {
    #[serde(rename_all = "kebab-case")]
    pub enum Platform {
        Ios,
        Ipados,
        Android,
        Windows,
        #[strum(serialize = "windows-phone-8.1")]
        WindowsPhone81,
        #[strum(serialize = "windows-10-mobile")]
        Windows10Mobile,
        Macos,
    }
}

impl Platform {
    pub fn label(self) -> &'static str {
        match self {
            Platform::Ios => "iOS",
            Platform::Ipados => "iPadOS",
            Platform::Android => "Android",
            Platform::Windows => "Windows",
            Platform::WindowsPhone81 => "Windows Phone 8.1",
            Platform::Windows10Mobile => "Windows 10 Mobile",
            Platform::Macos => "macOS",
        }
    }

    /// Whether the device's PIN can be reset remotely (Windows phones only).
    pub fn supports_pin_reset(self) -> bool {
        matches!(self, Platform::WindowsPhone81 | Platform::Windows10Mobile)
    }
}

text_enum! {
    #[derive(Default)]
    #[serde(rename_all = "kebab-case")]
    pub enum Ownership {
        /// What registration sets.
        #[default]
        CompanyOwned,
        EmployeeOwned,
    }
}

impl Ownership {
    pub fn label(self) -> &'static str {
        match self {
            Ownership::CompanyOwned => en("Company-owned"),
            Ownership::EmployeeOwned => en("Employee-owned"),
        }
    }

    /// The ownership a change would switch to.
    pub fn other(self) -> Ownership {
        match self {
            Ownership::CompanyOwned => Ownership::EmployeeOwned,
            Ownership::EmployeeOwned => Ownership::CompanyOwned,
        }
    }
}

text_enum! {
    /// Where a device is in its life. Retired, Wiped and Expired are final.
    #[serde(rename_all = "kebab-case")]
    pub enum DeviceStatus {
        Pending,
        Active,
        Retired,
        Wiped,
        Expired,
        /// Taken out of the portal by its owner or an administrator (lost,
        /// stolen, or never to check in again): its credential stopped
        /// working at once, without the device doing anything.
        Removed,
    }
}

impl DeviceStatus {
    pub fn label(self) -> &'static str {
        match self {
            DeviceStatus::Pending => en("Pending"),
            DeviceStatus::Active => en("Active"),
            DeviceStatus::Retired => en("Retired"),
            DeviceStatus::Wiped => en("Wiped"),
            DeviceStatus::Expired => en("Expired"),
            DeviceStatus::Removed => en("Removed"),
        }
    }

    pub fn is_final(self) -> bool {
        matches!(
            self,
            DeviceStatus::Retired
                | DeviceStatus::Wiped
                | DeviceStatus::Expired
                | DeviceStatus::Removed
        )
    }
}

/// May the device be removed from the portal now? Only an enrolled one: a
/// Pending registration is cancelled instead, a final one is gone, and one
/// with a Wipe or Retire on its way keeps its connection until it has done
/// it (removing it would stop the command for good).
pub fn removable(status: DeviceStatus, wipe_or_retire_pending: bool) -> Result<(), Unavailable> {
    match status {
        DeviceStatus::Active if wipe_or_retire_pending => Err(Unavailable::Ending),
        DeviceStatus::Active => Ok(()),
        DeviceStatus::Pending => Err(Unavailable::Pending),
        _ => Err(Unavailable::NotManaged),
    }
}

/// What the device API does for an enrolled device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    /// Commands, configuration and certificates.
    Full,
    /// Only Wipe and Retire go out: once one is asked for, the device gets
    /// no configuration and no keys, and a device whose owner may no
    /// longer use the portal still receives it.
    FinalOnly,
    /// Refused (403): its owner is disabled or has lost portal access.
    Refused,
}

impl Service {
    /// The rule: by the owner's standing and whether a Wipe or Retire is
    /// on its way to the device.
    pub fn of(owner_may_use_portal: bool, wipe_or_retire_pending: bool) -> Service {
        match (owner_may_use_portal, wipe_or_retire_pending) {
            (_, true) => Service::FinalOnly,
            (true, false) => Service::Full,
            (false, false) => Service::Refused,
        }
    }

    /// Whether `action` is handed to the device now.
    pub fn hands(self, action: DeviceAction) -> bool {
        match self {
            Service::Full => true,
            Service::FinalOnly => action.ends_management(),
            Service::Refused => false,
        }
    }

    /// Whether configuration and certificates are delivered.
    pub fn delivers(self) -> bool {
        self == Service::Full
    }
}

text_enum! {
    /// Whether the device is locked, and how.
    #[serde(rename_all = "kebab-case")]
    pub enum LockState {
        Unlocked,
        Locked,
        /// Locked with a message and call-back number on the lock screen: the
        /// device is reported lost, and Unlock is never offered for it.
        LostMode,
    }
}

impl LockState {}

text_enum! {
    /// What a user can ask their device to do.
    #[serde(rename_all = "kebab-case")]
    pub enum DeviceAction {
        Lock,
        Unlock,
        Locate,
        ResetPin,
        Retire,
        Wipe,
        /// Ends lost mode: the device found again stays locked, without
        /// the lost-mode message.
        Found,
    }
}

impl DeviceAction {
    pub fn label(self) -> &'static str {
        match self {
            DeviceAction::Lock => en("Lock"),
            DeviceAction::Unlock => en("Unlock"),
            DeviceAction::Locate => en("Locate"),
            DeviceAction::ResetPin => en("Reset PIN"),
            DeviceAction::Retire => en("Retire"),
            DeviceAction::Wipe => en("Wipe"),
            DeviceAction::Found => en("Found it"),
        }
    }

    /// What the device did, once it reports it: "Device reported: locked".
    pub fn reported(self) -> &'static str {
        match self {
            DeviceAction::Lock => en("locked"),
            DeviceAction::Unlock => en("unlocked"),
            DeviceAction::Locate => en("located"),
            DeviceAction::ResetPin => en("PIN reset"),
            DeviceAction::Retire => en("retired"),
            DeviceAction::Wipe => en("wiped"),
            DeviceAction::Found => en("out of lost mode"),
        }
    }

    /// The portal action (and so the role) this needs.
    pub fn permission(self) -> Action {
        match self {
            DeviceAction::Lock => Action::Lock,
            DeviceAction::Unlock => Action::Unlock,
            DeviceAction::Locate => Action::Locate,
            DeviceAction::ResetPin => Action::ResetPinPassword,
            DeviceAction::Retire => Action::Retire,
            DeviceAction::Wipe => Action::Wipe,
            DeviceAction::Found => Action::Lock,
        }
    }

    /// Destructive actions ask for an explicit confirmation first.
    pub fn needs_confirmation(self) -> bool {
        self.ends_management()
    }

    /// Wipe and Retire: once done, the device is no longer managed.
    pub fn ends_management(self) -> bool {
        matches!(self, DeviceAction::Retire | DeviceAction::Wipe)
    }

    /// What happens, in plain words, for the confirmation step.
    pub fn consequence(self) -> &'static str {
        match self {
            DeviceAction::Wipe => en(
                "Wipe erases everything on the device and resets it to factory settings: your own photos, \
                 messages and apps too. It cannot be undone. Once wiped, the device is no longer managed.",
            ),
            DeviceAction::Retire => en(
                "Retire removes the company's e-mail, apps, settings and certificates from the device and ends \
                 its management. Your own data stays. The device no longer counts towards your device limit.",
            ),
            DeviceAction::Lock => en("The device locks its screen at its next check-in."),
            DeviceAction::Unlock => en("The device clears its passcode at its next check-in."),
            DeviceAction::Found => en(
                "The device leaves lost mode at its next check-in: the message leaves its lock screen, and it stays locked.",
            ),
            DeviceAction::Locate => en("The device reports where it is at its next check-in."),
            DeviceAction::ResetPin => {
                en("The device gets a new PIN at its next check-in; it is shown to you once.")
            }
        }
    }
}

/// Why an action is not available for a device.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error(transparent)]
    Denied(Denied),
    #[error("The device has not enrolled yet.")]
    Pending,
    #[error("The device is no longer managed.")]
    NotManaged,
    #[error("Only Windows Phone 8.1 and Windows 10 Mobile devices can have their PIN reset.")]
    Platform,
    #[error("This device was locked as lost: first tell the portal it was found (Found it).")]
    LostMode,
    #[error("The device is not in lost mode.")]
    NotLost,
    #[error(
        "A Wipe or Retire is on its way to this device: it leaves the portal once the device has done it (or cancel that first)."
    )]
    Ending,
    #[error("The privacy policy of this device does not allow the company to locate it.")]
    PrivacyPolicy,
    #[error(
        "Employee-owned devices are not wiped from the portal: Retire removes the company's data and leaves yours."
    )]
    EmployeeOwnedWipe,
    #[error("The device has this ownership already.")]
    SameOwnership,
}

/// The facts about a device that decide which actions apply.
#[derive(Clone, Copy, Debug)]
pub struct DeviceFacts {
    pub platform: Platform,
    pub status: DeviceStatus,
    pub lock: LockState,
    pub ownership: Ownership,
    /// A privacy policy in the device's set forbids locating it.
    pub locate_forbidden: bool,
    /// The administrator's option: no Wipe for employee-owned devices.
    pub employee_wipe_forbidden: bool,
}

/// The one table: may this user take this action on this (their own)
/// device now? Role first, then state, then platform.
pub fn availability(
    subject: Subject<'_>,
    device: DeviceFacts,
    action: DeviceAction,
) -> Result<(), Unavailable> {
    access::check(subject, action.permission()).map_err(Unavailable::Denied)?;
    match device.status {
        DeviceStatus::Active => {}
        DeviceStatus::Pending => return Err(Unavailable::Pending),
        DeviceStatus::Retired
        | DeviceStatus::Wiped
        | DeviceStatus::Expired
        | DeviceStatus::Removed => {
            return Err(Unavailable::NotManaged);
        }
    }
    if action == DeviceAction::ResetPin && !device.platform.supports_pin_reset() {
        return Err(Unavailable::Platform);
    }
    if action == DeviceAction::Unlock && device.lock == LockState::LostMode {
        return Err(Unavailable::LostMode);
    }
    if action == DeviceAction::Found && device.lock != LockState::LostMode {
        return Err(Unavailable::NotLost);
    }
    policy_refusal(device, action).map_or(Ok(()), Err)
}

/// Why the device's policies (its privacy policy, the administrator's
/// option for employee-owned devices) rule `action` out, if they do. Also
/// asked when a device picks up its queued commands: a command queued
/// before a policy changed is withheld, not sent.
pub fn policy_refusal(device: DeviceFacts, action: DeviceAction) -> Option<Unavailable> {
    if action == DeviceAction::Locate && device.locate_forbidden {
        return Some(Unavailable::PrivacyPolicy);
    }
    if action == DeviceAction::Wipe
        && device.employee_wipe_forbidden
        && device.ownership == Ownership::EmployeeOwned
    {
        return Some(Unavailable::EmployeeOwnedWipe);
    }
    None
}

/// May this user switch their device to `to`? Any time after
/// registration while the device is managed (a pending device gets its
/// set when it enrolls).
pub fn ownership_change(
    subject: Subject<'_>,
    device: DeviceFacts,
    to: Ownership,
) -> Result<(), Unavailable> {
    access::check(subject, Action::ChangeOwnership).map_err(Unavailable::Denied)?;
    if device.status.is_final() {
        return Err(Unavailable::NotManaged);
    }
    if device.ownership == to {
        return Err(Unavailable::SameOwnership);
    }
    Ok(())
}

/// A command that has not reached an end this long after it was requested
/// expires: a device that has been away for a week should not act on a
/// week-old Lock or Wipe when it comes back.
pub const COMMAND_LIFETIME: chrono::TimeDelta = chrono::TimeDelta::days(7);

text_enum! {
    /// Where a command is on its way to the device.
    #[serde(rename_all = "kebab-case")]
    pub enum CommandState {
        Queued,
        Sent,
        Acknowledged,
        Failed,
        Cancelled,
        Expired,
    }
}

/// What moves a command along.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CommandEvent {
    PickedUp,
    Succeeded,
    Failed,
    Cancel,
    Expire,
}

impl CommandState {
    /// Still on its way: a second identical request joins it.
    pub fn in_flight(self) -> bool {
        matches!(self, CommandState::Queued | CommandState::Sent)
    }

    /// The state after `event`, or `None` when the event does not apply.
    pub fn next(self, event: CommandEvent) -> Option<CommandState> {
        use CommandEvent as E;
        use CommandState as S;
        match (self, event) {
            (S::Queued, E::PickedUp) => Some(S::Sent),
            (S::Sent, E::Succeeded) => Some(S::Acknowledged),
            (S::Sent, E::Failed) => Some(S::Failed),
            (S::Queued, E::Cancel) => Some(S::Cancelled),
            (S::Queued | S::Sent, E::Expire) => Some(S::Expired),
            _ => None,
        }
    }
}

/// Where a device and its latest commands stand, reduced to what the
/// device page shows of them: `stamp` changes whenever the page would, so
/// a browser that compares stamps knows when to show the page again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub stamp: String,
    /// A command is still on its way: worth following.
    pub in_flight: bool,
}

impl Progress {
    /// The progress of a device in `status` and `lock` whose latest
    /// commands are `commands` (id and state).
    pub fn of(
        status: DeviceStatus,
        lock: LockState,
        commands: impl IntoIterator<Item = (CommandId, CommandState)>,
    ) -> Progress {
        let mut stamp = format!("{}:{}", status.as_str(), lock.as_str());
        let mut in_flight = false;
        for (id, state) in commands {
            in_flight |= state.in_flight();
            stamp.push_str(&format!(";{id}:{}", state.as_str()));
        }
        Progress { stamp, in_flight }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_device_is_served_follows_its_owner_and_a_pending_wipe() {
        assert_eq!(Service::of(true, false), Service::Full);
        assert_eq!(Service::of(true, true), Service::FinalOnly);
        assert_eq!(Service::of(false, true), Service::FinalOnly);
        assert_eq!(Service::of(false, false), Service::Refused);
        for action in DeviceAction::ALL.iter().copied() {
            assert!(Service::Full.hands(action));
            assert!(!Service::Refused.hands(action));
            assert_eq!(
                Service::FinalOnly.hands(action),
                action.ends_management(),
                "{action:?}"
            );
        }
        assert!(Service::Full.delivers());
        assert!(!Service::FinalOnly.delivers() && !Service::Refused.delivers());
    }

    #[test]
    fn a_reported_pin_is_four_to_sixteen_digits() {
        assert!(is_device_pin("1234") && is_device_pin("0123456789012345"));
        assert!(!is_device_pin("123") && !is_device_pin("12345678901234567"));
        assert!(!is_device_pin("12a4") && !is_device_pin(" 1234") && !is_device_pin(""));
    }

    #[test]
    fn a_location_is_shown_for_a_day() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-06T12:00:00Z")
            .unwrap()
            .to_utc();
        let hours = |h: i64| now - chrono::Duration::hours(h);
        assert!(location_is_recent(now, now));
        assert!(location_is_recent(hours(23), now));
        assert!(!location_is_recent(hours(24), now));
        assert!(!location_is_recent(hours(24 * 30), now));
    }

    #[test]
    fn only_an_enrolled_device_is_removed() {
        assert_eq!(removable(DeviceStatus::Active, false), Ok(()));
        assert_eq!(
            removable(DeviceStatus::Active, true),
            Err(Unavailable::Ending)
        );
        assert_eq!(
            removable(DeviceStatus::Pending, false),
            Err(Unavailable::Pending)
        );
        for status in [
            DeviceStatus::Retired,
            DeviceStatus::Wiped,
            DeviceStatus::Expired,
            DeviceStatus::Removed,
        ] {
            assert_eq!(removable(status, false), Err(Unavailable::NotManaged));
            assert!(status.is_final());
        }
    }
    use crate::domain::role::{Role, RoleSet};

    #[test]
    fn progress_changes_with_what_the_page_shows() {
        let queued = Progress::of(
            DeviceStatus::Active,
            LockState::Unlocked,
            [
                (CommandId(7), CommandState::Queued),
                (CommandId(3), CommandState::Acknowledged),
            ],
        );
        assert!(queued.in_flight);
        let sent = Progress::of(
            DeviceStatus::Active,
            LockState::Unlocked,
            [
                (CommandId(7), CommandState::Sent),
                (CommandId(3), CommandState::Acknowledged),
            ],
        );
        assert_ne!(queued.stamp, sent.stamp);
        let done = Progress::of(
            DeviceStatus::Active,
            LockState::Locked,
            [
                (CommandId(7), CommandState::Acknowledged),
                (CommandId(3), CommandState::Acknowledged),
            ],
        );
        assert!(!done.in_flight);
        assert_ne!(sent.stamp, done.stamp);
        assert_eq!(
            done,
            Progress::of(
                DeviceStatus::Active,
                LockState::Locked,
                [
                    (CommandId(7), CommandState::Acknowledged),
                    (CommandId(3), CommandState::Acknowledged)
                ],
            )
        );
    }

    fn facts(platform: Platform, status: DeviceStatus, lock: LockState) -> DeviceFacts {
        DeviceFacts {
            platform,
            status,
            lock,
            ownership: Ownership::CompanyOwned,
            locate_forbidden: false,
            employee_wipe_forbidden: false,
        }
    }

    fn everyone() -> RoleSet {
        RoleSet::new(Role::ALL)
    }

    #[test]
    fn a_privacy_policy_can_forbid_locate() {
        let roles = everyone();
        let user = Subject {
            roles: &roles,
            disabled: false,
        };
        let device = DeviceFacts {
            locate_forbidden: true,
            ..facts(Platform::Ios, DeviceStatus::Active, LockState::Unlocked)
        };
        assert_eq!(
            availability(user, device, DeviceAction::Locate),
            Err(Unavailable::PrivacyPolicy)
        );
        assert_eq!(availability(user, device, DeviceAction::Lock), Ok(()));
        assert_eq!(
            policy_refusal(device, DeviceAction::Locate),
            Some(Unavailable::PrivacyPolicy)
        );
        assert_eq!(policy_refusal(device, DeviceAction::Lock), None);
    }

    #[test]
    fn wipe_can_be_forbidden_on_employee_owned_devices() {
        let roles = everyone();
        let user = Subject {
            roles: &roles,
            disabled: false,
        };
        let own = DeviceFacts {
            ownership: Ownership::EmployeeOwned,
            employee_wipe_forbidden: true,
            ..facts(Platform::Android, DeviceStatus::Active, LockState::Unlocked)
        };
        assert_eq!(
            availability(user, own, DeviceAction::Wipe),
            Err(Unavailable::EmployeeOwnedWipe)
        );
        assert_eq!(availability(user, own, DeviceAction::Retire), Ok(()));
        // The option leaves company-owned devices alone, and without it
        // employee-owned devices can be wiped.
        let company = DeviceFacts {
            ownership: Ownership::CompanyOwned,
            ..own
        };
        assert_eq!(availability(user, company, DeviceAction::Wipe), Ok(()));
        let allowed = DeviceFacts {
            employee_wipe_forbidden: false,
            ..own
        };
        assert_eq!(availability(user, allowed, DeviceAction::Wipe), Ok(()));
    }

    #[test]
    fn ownership_changes_need_the_role_and_a_managed_device() {
        let roles = everyone();
        let user = Subject {
            roles: &roles,
            disabled: false,
        };
        let active = facts(Platform::Ios, DeviceStatus::Active, LockState::Unlocked);
        assert_eq!(
            ownership_change(user, active, Ownership::EmployeeOwned),
            Ok(())
        );
        assert_eq!(
            ownership_change(user, active, Ownership::CompanyOwned),
            Err(Unavailable::SameOwnership)
        );
        let pending = facts(Platform::Ios, DeviceStatus::Pending, LockState::Unlocked);
        assert_eq!(
            ownership_change(user, pending, Ownership::EmployeeOwned),
            Ok(())
        );
        let retired = facts(Platform::Ios, DeviceStatus::Retired, LockState::Unlocked);
        assert_eq!(
            ownership_change(user, retired, Ownership::EmployeeOwned),
            Err(Unavailable::NotManaged)
        );
        let others = RoleSet::new(
            Role::ALL
                .into_iter()
                .filter(|r| *r != Role::ChangeOwnership),
        );
        let without = Subject {
            roles: &others,
            disabled: false,
        };
        assert!(matches!(
            ownership_change(without, active, Ownership::EmployeeOwned),
            Err(Unavailable::Denied(_))
        ));
    }

    #[test]
    fn the_table() {
        let everything = RoleSet::new(Role::ALL);
        let user = Subject {
            roles: &everything,
            disabled: false,
        };
        let active = |p| facts(p, DeviceStatus::Active, LockState::Unlocked);
        for &action in DeviceAction::ALL {
            for &platform in Platform::ALL {
                let got = availability(user, active(platform), action);
                let want = if action == DeviceAction::ResetPin && !platform.supports_pin_reset() {
                    Err(Unavailable::Platform)
                } else if action == DeviceAction::Found {
                    Err(Unavailable::NotLost)
                } else {
                    Ok(())
                };
                assert_eq!(got, want, "{action:?} on {platform:?}");
            }
            for status in [
                DeviceStatus::Retired,
                DeviceStatus::Wiped,
                DeviceStatus::Expired,
                DeviceStatus::Removed,
            ] {
                assert_eq!(
                    availability(
                        user,
                        facts(Platform::Ios, status, LockState::Unlocked),
                        action
                    ),
                    Err(Unavailable::NotManaged)
                );
            }
            assert_eq!(
                availability(
                    user,
                    facts(Platform::Ios, DeviceStatus::Pending, LockState::Unlocked),
                    action
                ),
                Err(Unavailable::Pending)
            );
        }
    }

    #[test]
    fn each_action_needs_its_role() {
        for &action in DeviceAction::ALL {
            let others = RoleSet::new(
                Role::ALL
                    .into_iter()
                    .filter(|r| *r != action.permission().required_role()),
            );
            let user = Subject {
                roles: &others,
                disabled: false,
            };
            let device = facts(
                Platform::Windows10Mobile,
                DeviceStatus::Active,
                LockState::Unlocked,
            );
            assert!(
                matches!(
                    availability(user, device, action),
                    Err(Unavailable::Denied(Denied::MissingRole(_)))
                ),
                "{action:?}"
            );
        }
    }

    #[test]
    fn no_unlock_for_a_lost_device() {
        let roles = RoleSet::new([Role::PortalAccess, Role::Unlock, Role::Lock]);
        let user = Subject {
            roles: &roles,
            disabled: false,
        };
        let lost = facts(Platform::Android, DeviceStatus::Active, LockState::LostMode);
        assert_eq!(
            availability(user, lost, DeviceAction::Unlock),
            Err(Unavailable::LostMode)
        );
        assert_eq!(availability(user, lost, DeviceAction::Lock), Ok(()));
        let locked = facts(Platform::Android, DeviceStatus::Active, LockState::Locked);
        assert_eq!(availability(user, locked, DeviceAction::Unlock), Ok(()));
        // Found it: only for a lost device, with the Lock role.
        assert_eq!(availability(user, lost, DeviceAction::Found), Ok(()));
        assert_eq!(
            availability(user, locked, DeviceAction::Found),
            Err(Unavailable::NotLost)
        );
        assert_eq!(DeviceAction::Found.permission(), Action::Lock);
    }

    #[test]
    fn command_state_machine() {
        use CommandEvent as E;
        use CommandState as S;
        assert_eq!(S::Queued.next(E::PickedUp), Some(S::Sent));
        assert_eq!(S::Sent.next(E::Succeeded), Some(S::Acknowledged));
        assert_eq!(S::Sent.next(E::Failed), Some(S::Failed));
        assert_eq!(S::Queued.next(E::Cancel), Some(S::Cancelled));
        assert_eq!(
            S::Sent.next(E::Cancel),
            None,
            "too late once the device has it"
        );
        assert_eq!(
            S::Queued.next(E::Succeeded),
            None,
            "a result needs a pick-up first"
        );
        for done in [S::Acknowledged, S::Failed, S::Cancelled, S::Expired] {
            assert!(!done.in_flight());
            for event in [E::PickedUp, E::Succeeded, E::Failed, E::Cancel, E::Expire] {
                assert_eq!(done.next(event), None, "{done:?} is final");
            }
        }
        assert!(S::Queued.in_flight() && S::Sent.in_flight());
    }

    #[test]
    fn only_wipe_and_retire_ask_for_confirmation() {
        assert!(
            DeviceAction::Wipe.needs_confirmation() && DeviceAction::Retire.needs_confirmation()
        );
        assert!(!DeviceAction::Lock.needs_confirmation());
    }
}

/// A device's name as its owner sets it: 1–64 characters.
pub fn parse_device_name(text: &str) -> Result<String, DeviceNameError> {
    let name = text.trim();
    if name.is_empty() {
        Err(DeviceNameError::Empty)
    } else if name.chars().count() > 64 {
        Err(DeviceNameError::TooLong)
    } else if name.chars().any(char::is_control) {
        Err(DeviceNameError::Control)
    } else {
        Ok(name.to_owned())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeviceNameError {
    #[error("Enter a name for the device.")]
    Empty,
    #[error("A device name has at most 64 characters.")]
    TooLong,
    #[error("A device name cannot contain line breaks or control characters.")]
    Control,
}

/// The Lock form as typed: a lock-screen message and a call-back number,
/// both optional (with either, the device is in lost mode).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LockInput {
    pub message: String,
    pub phone: String,
}

/// Why a Lock form was refused, field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LockErrors {
    pub message: Option<String>,
    pub phone: Option<String>,
}

impl LockInput {
    pub fn check(&self) -> Result<LockParams, LockErrors> {
        let message = parse_lock_message(&self.message);
        let phone = match self.phone.trim() {
            "" => Ok(None),
            text => PhoneNumber::parse(text).map(Some),
        };
        match (message, phone) {
            (Ok(message), Ok(phone)) => Ok(LockParams {
                message,
                phone: phone.map(|p| p.to_string()),
            }),
            (message, phone) => Err(LockErrors {
                message: message.err().map(|e| e.to_string()),
                phone: phone.err().map(|e| e.to_string()),
            }),
        }
    }
}

/// The lock-screen message and call-back number of a Lock command.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct LockParams {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl LockParams {
    pub fn lost_mode(&self) -> bool {
        self.message.is_some() || self.phone.is_some()
    }
}

/// The lock-screen message of a Lock (lost mode): at most 200 characters.
pub fn parse_lock_message(text: &str) -> Result<Option<String>, LockMessageError> {
    let message = text.trim();
    if message.is_empty() {
        Ok(None)
    } else if message.chars().count() > 200 {
        Err(LockMessageError::TooLong)
    } else {
        Ok(Some(message.to_owned()))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LockMessageError {
    #[error("A lock-screen message has at most 200 characters.")]
    TooLong,
}

/// How long proving who you are (signing in, or proving it again) covers
/// Wipe and Retire: after that, they ask for the password (or the
/// certificate) again.
pub const PROOF_COVERS: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Whether asking for `action` needs the person to prove who they are
/// again, their last proof given at `proved_at`.
pub fn proof_needed(
    action: DeviceAction,
    proved_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    action.ends_management() && !proof_is_recent(proved_at, now)
}

/// Whether a proof given at `proved_at` still covers Wipe and Retire.
pub fn proof_is_recent(
    proved_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    now - proved_at <= PROOF_COVERS
}

/// How long Wipe and Retire wait before their device may receive them,
/// so that a mistake (or a stolen session) can still be cancelled:
/// 0 to 60 minutes, 2 by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionHold(u32);

impl Default for ActionHold {
    fn default() -> ActionHold {
        ActionHold(2)
    }
}

impl ActionHold {
    pub const MAX_MINUTES: u32 = 60;

    pub fn from_minutes(minutes: u32) -> Option<ActionHold> {
        (minutes <= Self::MAX_MINUTES).then_some(ActionHold(minutes))
    }

    /// The minutes as typed into Admin → Settings.
    pub fn parse(text: &str) -> Result<ActionHold, String> {
        text.trim()
            .parse::<u32>()
            .ok()
            .and_then(ActionHold::from_minutes)
            .ok_or_else(|| {
                Lang::En.trf(
                    "Enter a whole number of minutes from 0 to {max}.",
                    &[("max", &Self::MAX_MINUTES)],
                )
            })
    }

    pub fn minutes(self) -> u32 {
        self.0
    }

    /// Until when `action`, asked for at `now`, waits: Wipe and Retire
    /// wait the hold; nothing else waits.
    pub fn until(
        self,
        action: DeviceAction,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Option<chrono::DateTime<chrono::Utc>> {
        (action.ends_management() && self.0 > 0)
            .then(|| now + chrono::TimeDelta::minutes(i64::from(self.0)))
    }
}

/// "in 2 minutes", "in 45 seconds": how long until `until`, in words, from
/// the server's `now` (`None` once it has passed).
pub fn time_left(
    until: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<String> {
    let seconds = (until - now).num_seconds();
    match seconds {
        ..=0 => None,
        1..60 => Some(count(seconds, en("in {n} second"), en("in {n} seconds"))),
        // Rounded up: "in 2 minutes" for 1 minute 30 seconds.
        _ => Some(count(
            (seconds + 59) / 60,
            en("in {n} minute"),
            en("in {n} minutes"),
        )),
    }
}

/// Whether a PIN a device reports after a PIN reset can be one: 4 to 16
/// digits.
pub fn is_device_pin(pin: &str) -> bool {
    (4..=16).contains(&pin.len()) && pin.chars().all(|c| c.is_ascii_digit())
}

/// How long a reported location is kept and shown.
pub const LOCATION_KEPT_HOURS: i64 = 24;

/// Whether a location reported `at` is recent enough to show (and keep).
pub fn location_is_recent(
    at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    now - at < chrono::Duration::hours(LOCATION_KEPT_HOURS)
}

/// "just now", "5 minutes ago", "3 hours ago", "2 days ago": computed from
/// the server's `now`, so server and browser write the same words.
pub fn ago(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let seconds = (now - at).num_seconds().max(0);
    match seconds {
        0..60 => en("just now").to_owned(),
        60..3600 => count(seconds / 60, en("{n} minute ago"), en("{n} minutes ago")),
        3600..86400 => count(seconds / 3600, en("{n} hour ago"), en("{n} hours ago")),
        _ => count(seconds / 86400, en("{n} day ago"), en("{n} days ago")),
    }
}

/// `one` or `many` (by `n`) with `n` in its `{n}`.
fn count(n: i64, one: &'static str, many: &'static str) -> String {
    Lang::En.trf(if n == 1 { one } else { many }, &[("n", &n)])
}

#[cfg(test)]
mod more_tests {
    use super::*;
    use chrono::{TimeDelta, TimeZone, Utc};

    #[test]
    fn relative_times() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(ago(now, now), "just now");
        assert_eq!(
            ago(now + TimeDelta::seconds(5), now),
            "just now",
            "clock skew"
        );
        assert_eq!(ago(now - TimeDelta::seconds(61), now), "1 minute ago");
        assert_eq!(ago(now - TimeDelta::minutes(5), now), "5 minutes ago");
        assert_eq!(ago(now - TimeDelta::hours(3), now), "3 hours ago");
        assert_eq!(ago(now - TimeDelta::days(2), now), "2 days ago");
    }

    #[test]
    fn wipe_and_retire_ask_for_proof_again_after_five_minutes() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        for action in DeviceAction::ALL.iter().copied() {
            assert!(!proof_needed(action, now - TimeDelta::minutes(5), now));
            assert_eq!(
                proof_needed(
                    action,
                    now - TimeDelta::minutes(5) - TimeDelta::seconds(1),
                    now
                ),
                matches!(action, DeviceAction::Wipe | DeviceAction::Retire),
                "{action:?}"
            );
        }
        assert!(!proof_needed(DeviceAction::Wipe, now, now));
    }

    #[test]
    fn wipe_and_retire_wait_the_hold_and_nothing_else_does() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        let hold = ActionHold::default();
        assert_eq!(hold.minutes(), 2);
        assert_eq!(
            hold.until(DeviceAction::Wipe, now),
            Some(now + TimeDelta::minutes(2))
        );
        assert_eq!(
            hold.until(DeviceAction::Retire, now),
            Some(now + TimeDelta::minutes(2))
        );
        assert_eq!(hold.until(DeviceAction::Lock, now), None);
        assert_eq!(
            ActionHold::parse("0")
                .unwrap()
                .until(DeviceAction::Wipe, now),
            None
        );
        assert_eq!(ActionHold::parse(" 60 ").map(ActionHold::minutes), Ok(60));
        for bad in ["61", "-1", "", "two", "1.5"] {
            assert!(ActionHold::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            time_left(now + TimeDelta::seconds(90), now).as_deref(),
            Some("in 2 minutes")
        );
        assert_eq!(
            time_left(now + TimeDelta::seconds(60), now).as_deref(),
            Some("in 1 minute")
        );
        assert_eq!(
            time_left(now + TimeDelta::seconds(45), now).as_deref(),
            Some("in 45 seconds")
        );
        assert_eq!(time_left(now, now), None);
        assert_eq!(time_left(now - TimeDelta::seconds(1), now), None);
    }

    #[test]
    fn names_and_messages() {
        assert_eq!(
            parse_device_name("  Work phone "),
            Ok("Work phone".to_owned())
        );
        assert_eq!(parse_device_name(" "), Err(DeviceNameError::Empty));
        assert_eq!(
            parse_device_name(&"x".repeat(65)),
            Err(DeviceNameError::TooLong)
        );
        assert_eq!(parse_device_name("a\nb"), Err(DeviceNameError::Control));
        assert_eq!(parse_lock_message(" "), Ok(None));
        assert_eq!(
            parse_lock_message("Call me"),
            Ok(Some("Call me".to_owned()))
        );
        assert_eq!(
            parse_lock_message(&"x".repeat(201)),
            Err(LockMessageError::TooLong)
        );
    }
}

//! Roles: what an administrator lets a user do. Each user has a set of them.

use super::text::text_enum;
use crate::domain::text::TextEnum;
use crate::i18n::en;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

text_enum! {
    /// One right in the portal. The kebab-case name (`as_str`) is what the
    /// command line, the database and forms use.
    #[derive(PartialOrd, Ord)]
    #[serde(rename_all = "kebab-case")]
    pub enum Role {
        Wipe,
        Lock,
        Unlock,
        Locate,
        Retire,
        DeviceRegistration,
        ChangeOwnership,
        ResetPinPassword,
        PortalAccess,
        Administrator,
    }
}

impl Role {
    /// The order roles are offered in; the declaration's order is the order
    /// a user's roles are stored and listed in.
    pub const ALL: [Role; 10] = [
        Role::PortalAccess,
        Role::Lock,
        Role::Unlock,
        Role::Locate,
        Role::Wipe,
        Role::Retire,
        Role::DeviceRegistration,
        Role::ChangeOwnership,
        Role::ResetPinPassword,
        Role::Administrator,
    ];

    /// The name people see.
    pub fn label(self) -> &'static str {
        match self {
            Role::Wipe => en("Wipe"),
            Role::Lock => en("Lock"),
            Role::Unlock => en("Unlock"),
            Role::Locate => en("Locate"),
            Role::Retire => en("Retire"),
            Role::DeviceRegistration => en("Device Registration"),
            Role::ChangeOwnership => en("Change Device Ownership"),
            Role::ResetPinPassword => en("Reset PIN Password"),
            Role::PortalAccess => en("Portal Access"),
            Role::Administrator => en("Administrator"),
        }
    }

    /// What the role lets a user do, in one sentence.
    pub fn description(self) -> &'static str {
        match self {
            Role::Wipe => en("Factory-reset (wipe) their device."),
            Role::Lock => en("Lock their device, optionally with a message on the lock screen."),
            Role::Unlock => {
                en("Clear their device's passcode (for a device reported lost, once it is found).")
            }
            Role::Locate => en("Ask their device for its current location."),
            Role::Retire => en("End management of their device and remove corporate data."),
            Role::DeviceRegistration => {
                en("Register a new device and request or reset a registration PIN.")
            }
            Role::ChangeOwnership => {
                en("Switch a device between company-owned and employee-owned.")
            }
            Role::ResetPinPassword => {
                en("Reset the PIN of a Windows Phone 8.1 or Windows 10 Mobile device.")
            }
            Role::PortalAccess => en("Sign in to the portal at all."),
            Role::Administrator => {
                en("Use the admin area: users, roles, settings and the audit log.")
            }
        }
    }
}

impl Role {
    /// What the role lets the person who has it do, said to them (My
    /// devices); administrators read [`Role::description`].
    pub fn for_you(self) -> &'static str {
        match self {
            Role::Wipe => en("Factory-reset (wipe) your device."),
            Role::Lock => en(
                "Lock your device, optionally with a message on the lock screen if it is lost, and say when it is found.",
            ),
            Role::Unlock => {
                en("Clear your device's passcode (for a lost device, once it is found).")
            }
            Role::Locate => en("Ask your device where it is."),
            Role::Retire => {
                en("End management of your device and remove the company's data from it.")
            }
            Role::DeviceRegistration => {
                en("Register a new device, and get a new registration PIN when you need one.")
            }
            Role::ChangeOwnership => {
                en("Switch your device between company-owned and employee-owned.")
            }
            Role::ResetPinPassword => {
                en("Reset the PIN of your Windows Phone 8.1 or Windows 10 Mobile device.")
            }
            Role::PortalAccess => en("Sign in to the portal."),
            Role::Administrator => {
                en("Use the admin area: users, roles, settings and the audit log.")
            }
        }
    }
}

/// A user's roles, in a stable order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleSet(BTreeSet<Role>);

impl RoleSet {
    pub fn new(roles: impl IntoIterator<Item = Role>) -> RoleSet {
        RoleSet(roles.into_iter().collect())
    }

    /// What a new local user gets unless told otherwise.
    pub fn local_default() -> RoleSet {
        RoleSet::new([Role::PortalAccess])
    }

    /// The roles of a new local user: those `given`, and Portal Access
    /// unless `portal_access` is false (then nobody can sign in as them).
    pub fn for_new_user(given: RoleSet, portal_access: bool) -> RoleSet {
        let portal = portal_access.then_some(Role::PortalAccess);
        RoleSet::new(given.iter().chain(portal))
    }

    /// Why a person with these roles cannot sign in, when they cannot
    /// (`disabled`: their account is).
    pub fn cannot_sign_in(&self, disabled: bool) -> Option<&'static str> {
        if disabled {
            Some("the account is disabled")
        } else if !self.contains(Role::PortalAccess) {
            Some("without the portal-access role nobody can sign in")
        } else {
            None
        }
    }

    pub fn contains(&self, role: Role) -> bool {
        self.0.contains(&role)
    }

    pub fn iter(&self) -> impl Iterator<Item = Role> + '_ {
        self.0.iter().copied()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The stored form: kebab-case names separated by commas.
    pub fn to_stored(&self) -> String {
        self.iter().map(Role::as_str).collect::<Vec<_>>().join(",")
    }

    /// Reads the stored form; unknown names are dropped (a role removed from
    /// the product must not make a user unreadable).
    pub fn from_stored(text: &str) -> RoleSet {
        RoleSet::new(text.split(',').filter_map(Role::parse))
    }

    /// Parses names from a person (command line): every name must be known.
    pub fn parse_names<'a>(
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<RoleSet, UnknownRole> {
        names
            .into_iter()
            .flat_map(|n| n.split(','))
            .filter(|n| !n.trim().is_empty())
            .map(|n| Role::parse(n).ok_or_else(|| UnknownRole(n.trim().to_owned())))
            .collect::<Result<BTreeSet<_>, _>>()
            .map(RoleSet)
    }

    /// Roles in `self` that `other` lacks.
    pub fn minus(&self, other: &RoleSet) -> Vec<Role> {
        self.0.difference(&other.0).copied().collect()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown role {0:?}; roles are: wipe, lock, unlock, locate, retire, device-registration, change-ownership, reset-pin-password, portal-access, administrator"
)]
pub struct UnknownRole(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_given_to_a_new_user_add_to_portal_access() {
        let lock = RoleSet::new([Role::Lock]);
        assert_eq!(
            RoleSet::for_new_user(lock.clone(), true),
            RoleSet::new([Role::Lock, Role::PortalAccess])
        );
        let without = RoleSet::for_new_user(lock, false);
        assert_eq!(without, RoleSet::new([Role::Lock]));
        assert!(
            without
                .cannot_sign_in(false)
                .unwrap()
                .contains("portal-access")
        );
        assert_eq!(RoleSet::local_default().cannot_sign_in(false), None);
        assert_eq!(
            RoleSet::local_default().cannot_sign_in(true),
            Some("the account is disabled")
        );
    }

    #[test]
    fn names_round_trip() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(
            Role::parse("Administrator"),
            None,
            "names are case-sensitive kebab-case"
        );
    }

    #[test]
    fn stored_form_round_trips_and_tolerates_unknown_names() {
        let set = RoleSet::new([Role::Administrator, Role::Lock, Role::PortalAccess]);
        assert_eq!(set.to_stored(), "lock,portal-access,administrator");
        assert_eq!(RoleSet::from_stored(&set.to_stored()), set);
        assert_eq!(
            RoleSet::from_stored("lock,teleport,"),
            RoleSet::new([Role::Lock])
        );
        assert_eq!(RoleSet::from_stored(""), RoleSet::default());
    }

    #[test]
    fn names_from_people_must_all_be_known() {
        assert_eq!(
            RoleSet::parse_names(["lock", "wipe,locate"]),
            Ok(RoleSet::new([Role::Lock, Role::Wipe, Role::Locate]))
        );
        assert_eq!(
            RoleSet::parse_names(["lock", "teleport"]),
            Err(UnknownRole("teleport".to_owned()))
        );
        assert_eq!(RoleSet::parse_names([""]), Ok(RoleSet::default()));
    }
}

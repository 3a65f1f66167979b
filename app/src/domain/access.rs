//! Who may do what: the one place that turns a user's roles and state into
//! a yes or a no. Pages use it to hide what a user may not do; the server
//! uses it to refuse it anyway.

use super::role::{Role, RoleSet};

/// Something a signed-in user asks to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// Sign in and see their own devices, history and certificates.
    UsePortal,
    /// Anything in the admin area.
    Administer,
    Wipe,
    Lock,
    Unlock,
    Locate,
    Retire,
    RegisterDevice,
    ChangeOwnership,
    ResetPinPassword,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::UsePortal,
        Action::Administer,
        Action::Wipe,
        Action::Lock,
        Action::Unlock,
        Action::Locate,
        Action::Retire,
        Action::RegisterDevice,
        Action::ChangeOwnership,
        Action::ResetPinPassword,
    ];

    /// The role that grants this action (besides Portal Access, which every
    /// action needs).
    pub fn required_role(self) -> Role {
        match self {
            Action::UsePortal => Role::PortalAccess,
            Action::Administer => Role::Administrator,
            Action::Wipe => Role::Wipe,
            Action::Lock => Role::Lock,
            Action::Unlock => Role::Unlock,
            Action::Locate => Role::Locate,
            Action::Retire => Role::Retire,
            Action::RegisterDevice => Role::DeviceRegistration,
            Action::ChangeOwnership => Role::ChangeOwnership,
            Action::ResetPinPassword => Role::ResetPinPassword,
        }
    }
}

/// Why an action is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    #[error("Your account is disabled. Contact your IT helpdesk.")]
    Disabled,
    #[error("You do not have access to the portal. Contact your IT helpdesk.")]
    NoPortalAccess,
    #[error("You do not have the {} role needed for this.", .0.label())]
    MissingRole(Role),
}

/// The facts about a user that access depends on.
#[derive(Clone, Copy, Debug)]
pub struct Subject<'a> {
    pub roles: &'a RoleSet,
    pub disabled: bool,
}

/// Decides whether `subject` may do `action`.
pub fn check(subject: Subject<'_>, action: Action) -> Result<(), Denied> {
    if subject.disabled {
        return Err(Denied::Disabled);
    }
    if !subject.roles.contains(Role::PortalAccess) {
        return Err(Denied::NoPortalAccess);
    }
    let role = action.required_role();
    if subject.roles.contains(role) {
        Ok(())
    } else {
        Err(Denied::MissingRole(role))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(roles: &RoleSet) -> Subject<'_> {
        Subject {
            roles,
            disabled: false,
        }
    }

    #[test]
    fn each_action_needs_its_role_and_portal_access() {
        for action in Action::ALL {
            let role = action.required_role();
            let with_role = RoleSet::new([Role::PortalAccess, role]);
            assert_eq!(check(subject(&with_role), action), Ok(()), "{action:?}");

            let everything_else = RoleSet::new(
                Role::ALL
                    .into_iter()
                    .filter(|r| *r != role || role == Role::PortalAccess),
            );
            if role != Role::PortalAccess {
                assert_eq!(
                    check(subject(&everything_else), action),
                    Err(Denied::MissingRole(role)),
                    "{action:?} must not follow from other roles"
                );
            }

            let without_access =
                RoleSet::new([role].into_iter().filter(|r| *r != Role::PortalAccess));
            assert_eq!(
                check(subject(&without_access), action),
                Err(Denied::NoPortalAccess),
                "{action:?}"
            );
        }
    }

    #[test]
    fn a_disabled_user_may_do_nothing() {
        let all = RoleSet::new(Role::ALL);
        for action in Action::ALL {
            assert_eq!(
                check(
                    Subject {
                        roles: &all,
                        disabled: true
                    },
                    action
                ),
                Err(Denied::Disabled)
            );
        }
    }

    #[test]
    fn refusals_name_the_missing_role() {
        assert_eq!(
            Denied::MissingRole(Role::ChangeOwnership).to_string(),
            "You do not have the Change Device Ownership role needed for this."
        );
    }
}

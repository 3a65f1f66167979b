//! What a form's answer tells the page it sends the browser to ("Saved.",
//! "Lock requested."): one word in the address, written by the server
//! function with [`answer`] and read by the page with [`notice`], both
//! through this type, so the two cannot drift apart.

use crate::domain::account::PasswordProblem;
use crate::domain::device::{DeviceAction, Ownership};
use crate::domain::text::TextEnum;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    Saved,
    Deleted,
    Moved,
    Renamed,
    SignedOut,
    Reissued,
    Uploaded,
    Replaced,
    LabelSaved,
    LabelDeleted,
    PolicySaved,
    GrantsSaved,
    LimitSaved,
    LimitDeleted,
    Requested(DeviceAction),
    /// A command cancelled (`true`), or too late to (`false`).
    Cancelled(bool),
    OwnershipChanged(Ownership),
    /// Refused: it would leave the portal without an administrator.
    LastAdmin,
    /// Refused: people still hold certificates of this setting.
    InUse,
    PasswordChanged,
    SessionsEnded,
    /// A new password refused, and why.
    PasswordRefused(PasswordProblem),
    /// A user enabled (`true`) or disabled.
    Enabled(bool),
    /// A link to set a password went out by e-mail.
    LinkSent,
    /// A new password was set with a link: sign in with it.
    PasswordSet,
    /// Refused: no mail server to send a link with.
    NoMail,
    /// Refused: the user has no e-mail address for a link.
    NoAddress,
    /// Refused: a link for a disabled user would not work.
    UserDisabled,
    /// A device was removed from the portal.
    Removed,
    /// Refused: the confirmation box was not ticked.
    Unconfirmed,
}

/// The notices that carry no value (each written `key=1`).
const FLAGS: [Notice; 19] = [
    Notice::Saved,
    Notice::Deleted,
    Notice::Moved,
    Notice::Renamed,
    Notice::SignedOut,
    Notice::Reissued,
    Notice::Uploaded,
    Notice::Replaced,
    Notice::LabelSaved,
    Notice::LabelDeleted,
    Notice::PolicySaved,
    Notice::GrantsSaved,
    Notice::LimitSaved,
    Notice::LimitDeleted,
    Notice::PasswordChanged,
    Notice::SessionsEnded,
    Notice::LinkSent,
    Notice::PasswordSet,
    Notice::Removed,
];

impl Notice {
    /// The notice as a query parameter.
    pub fn pair(self) -> (&'static str, &'static str) {
        match self {
            Notice::Requested(action) => ("requested", action.as_str()),
            Notice::Cancelled(done) => ("cancelled", if done { "1" } else { "0" }),
            Notice::OwnershipChanged(to) => ("ownership", to.as_str()),
            Notice::LastAdmin => ("error", "last-admin"),
            Notice::InUse => ("error", "in-use"),
            Notice::NoMail => ("error", "no-mail"),
            Notice::NoAddress => ("error", "no-address"),
            Notice::UserDisabled => ("error", "disabled"),
            Notice::LinkSent => ("link_sent", "1"),
            Notice::PasswordSet => ("password_set", "1"),
            Notice::Removed => ("removed", "1"),
            Notice::Unconfirmed => ("error", "unconfirmed"),
            Notice::Saved => ("saved", "1"),
            Notice::Deleted => ("deleted", "1"),
            Notice::Moved => ("moved", "1"),
            Notice::Renamed => ("renamed", "1"),
            Notice::SignedOut => ("signed_out", "1"),
            Notice::Reissued => ("reissued", "1"),
            Notice::Uploaded => ("uploaded", "1"),
            Notice::Replaced => ("replaced", "1"),
            Notice::LabelSaved => ("label_saved", "1"),
            Notice::LabelDeleted => ("label_deleted", "1"),
            Notice::PolicySaved => ("policy_saved", "1"),
            Notice::GrantsSaved => ("grants_saved", "1"),
            Notice::LimitSaved => ("limit_saved", "1"),
            Notice::LimitDeleted => ("limit_deleted", "1"),
            Notice::PasswordChanged => ("password_changed", "1"),
            Notice::SessionsEnded => ("sessions_ended", "1"),
            Notice::PasswordRefused(problem) => ("password", problem.as_str()),
            Notice::Enabled(on) => ("enabled", if on { "1" } else { "0" }),
        }
    }

    /// The notice a query carries, if any; `get` reads one parameter.
    pub fn read(get: impl Fn(&str) -> Option<String>) -> Option<Notice> {
        if let Some(action) = get("requested") {
            return DeviceAction::parse(&action).map(Notice::Requested);
        }
        if let Some(done) = get("cancelled") {
            return Some(Notice::Cancelled(done == "1"));
        }
        if let Some(to) = get("ownership") {
            return Ownership::parse(&to).map(Notice::OwnershipChanged);
        }
        if let Some(on) = get("enabled") {
            return Some(Notice::Enabled(on == "1"));
        }
        if let Some(problem) = get("password") {
            return PasswordProblem::parse(&problem).map(Notice::PasswordRefused);
        }
        match get("error").as_deref() {
            Some("last-admin") => return Some(Notice::LastAdmin),
            Some("in-use") => return Some(Notice::InUse),
            Some("no-mail") => return Some(Notice::NoMail),
            Some("no-address") => return Some(Notice::NoAddress),
            Some("disabled") => return Some(Notice::UserDisabled),
            Some("unconfirmed") => return Some(Notice::Unconfirmed),
            _ => {}
        }
        FLAGS.into_iter().find(|flag| get(flag.pair().0).is_some())
    }
}

/// The notice in the current page's address.
pub fn notice() -> Option<Notice> {
    use leptos::prelude::WithUntracked;

    leptos_router::hooks::use_query_map().with_untracked(|query| Notice::read(|key| query.get(key)))
}

/// Sends the browser to `page` (with its `#anchor`, if any), telling it
/// `notice`.
#[cfg(feature = "ssr")]
pub(crate) fn answer(page: &str, notice: Notice) -> Result<(), super::types::ApiError> {
    let (key, value) = notice.pair();
    super::redirect(page, &format!("{key}={value}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn every_notice_reads_back_from_its_address() {
        let mut all = FLAGS.to_vec();
        all.extend(DeviceAction::ALL.iter().map(|a| Notice::Requested(*a)));
        all.extend([
            Notice::Cancelled(true),
            Notice::Cancelled(false),
            Notice::OwnershipChanged(Ownership::EmployeeOwned),
            Notice::LastAdmin,
            Notice::InUse,
            Notice::NoMail,
            Notice::NoAddress,
            Notice::UserDisabled,
            Notice::Unconfirmed,
            Notice::Enabled(true),
            Notice::Enabled(false),
        ]);
        all.extend(
            PasswordProblem::ALL
                .iter()
                .map(|p| Notice::PasswordRefused(*p)),
        );
        for notice in all {
            let (key, value) = notice.pair();
            let query: HashMap<&str, &str> = [(key, value)].into();
            let read = Notice::read(|k| query.get(k).map(|v| v.to_string()));
            assert_eq!(read, Some(notice), "{key}={value}");
        }
        assert_eq!(Notice::read(|_| None), None);
        assert_eq!(
            Notice::read(|k| (k == "requested").then(|| "fly".to_owned())),
            None
        );
    }
}

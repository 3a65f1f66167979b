//! Rules of signing in: when repeated failures lock a user name or a client
//! address for a while, and when a session ends. Time is always passed in.

use super::audit::AuditRetention;
use super::device::ActionHold;
use crate::i18n::{Lang, en};
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// How many failures lock what, and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LockoutPolicy {
    /// Failures for one user name within `window` that lock it.
    pub per_user: usize,
    /// Failures from one client address within `window` that lock it.
    pub per_address: usize,
    pub window: TimeDelta,
    /// How long a lock lasts after the last counted failure.
    pub lock_for: TimeDelta,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        LockoutPolicy {
            per_user: 6,
            per_address: 30,
            window: TimeDelta::minutes(15),
            lock_for: TimeDelta::minutes(15),
        }
    }
}

impl LockoutPolicy {
    /// Until when sign-in is refused, given the failures recorded (any
    /// order), the last successful sign-in, and how many failures lock:
    /// `limit` failures within `window` lock for `lock_for` after the last
    /// of them. A success forgives the failures before it; refused attempts
    /// during a lock are not failures and do not extend it.
    pub fn locked_until(
        &self,
        failures: &[DateTime<Utc>],
        last_success: Option<DateTime<Utc>>,
        limit: usize,
        now: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut counted: Vec<DateTime<Utc>> = failures
            .iter()
            .copied()
            .filter(|at| last_success.is_none_or(|success| *at > success))
            .collect();
        counted.sort();
        let limit = limit.max(1);
        counted
            .windows(limit)
            .filter(|run| run[limit - 1] - run[0] <= self.window)
            .map(|run| run[limit - 1] + self.lock_for)
            .max()
            .filter(|until| *until > now)
    }

    /// How far back failures matter; the caller loads failures since then.
    pub fn window_start(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - self.window - self.lock_for
    }
}

/// "Try again in N minutes", rounded up, never 0.
pub fn minutes_until(until: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let seconds = (until - now).num_seconds().max(1);
    (seconds + 59) / 60
}

/// Minutes of inactivity after which a session ends: 5 to 90, default 30.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdleTimeout(u32);

impl IdleTimeout {
    pub const MIN: u32 = 5;
    pub const MAX: u32 = 90;

    pub fn parse(text: &str) -> Result<IdleTimeout, IdleTimeoutError> {
        let minutes: u32 = text
            .trim()
            .parse()
            .map_err(|_| IdleTimeoutError::NotANumber)?;
        IdleTimeout::from_minutes(minutes)
    }

    pub fn from_minutes(minutes: u32) -> Result<IdleTimeout, IdleTimeoutError> {
        if (IdleTimeout::MIN..=IdleTimeout::MAX).contains(&minutes) {
            Ok(IdleTimeout(minutes))
        } else {
            Err(IdleTimeoutError::OutOfRange)
        }
    }

    pub fn minutes(self) -> u32 {
        self.0
    }

    pub fn duration(self) -> TimeDelta {
        TimeDelta::minutes(i64::from(self.0))
    }
}

impl Default for IdleTimeout {
    fn default() -> Self {
        IdleTimeout(30)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdleTimeoutError {
    #[error("Enter a whole number of minutes.")]
    NotANumber,
    #[error("Choose between 5 and 90 minutes.")]
    OutOfRange,
}

/// A session ends this long after sign-in, however active.
pub const SESSION_LIFETIME: TimeDelta = TimeDelta::hours(12);

/// Whether a session is still good at `now`.
pub fn session_alive(
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    idle: IdleTimeout,
    now: DateTime<Utc>,
) -> bool {
    now < last_seen_at + idle.duration() && now < created_at + SESSION_LIFETIME
}

/// Where to go after signing in: only a path on this site, never another
/// host (`//evil.example`, `https://…`, `/\evil`), else the home page.
pub fn safe_return_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control()) =>
        {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// Why a sign-in did not open a session, as the sign-in page says it. The
/// server sends the page a code, never words, so nobody can put text on
/// the page through a link.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignInProblem {
    Invalid,
    /// With the minutes the lock lasts.
    Locked(u32),
    Disabled,
    NoAccess,
    DirectoryUnavailable,
    PasswordOff,
    CertificateOff,
    NoCertificate,
    CertificateUnreadable,
    CertificateExpired,
    CertificateNotYetValid,
    CertificateUntrusted,
    CertificateNotForSignIn,
    /// Revoked by its authority (on a revocation list the portal reads).
    CertificateRevoked,
    /// A revocation list is out of date, and the portal is set to refuse
    /// certificates then.
    RevocationOutOfDate,
    NoUpn,
    NoEmail,
    NoCommonName,
    NoUid,
    UnknownCertificateUser,
}

impl SignInProblem {
    const CODES: [(&str, SignInProblem); 19] = [
        ("invalid", SignInProblem::Invalid),
        ("disabled", SignInProblem::Disabled),
        ("no-access", SignInProblem::NoAccess),
        ("directory-unavailable", SignInProblem::DirectoryUnavailable),
        ("password-off", SignInProblem::PasswordOff),
        ("certificate-off", SignInProblem::CertificateOff),
        ("no-certificate", SignInProblem::NoCertificate),
        (
            "certificate-unreadable",
            SignInProblem::CertificateUnreadable,
        ),
        ("certificate-expired", SignInProblem::CertificateExpired),
        (
            "certificate-not-yet-valid",
            SignInProblem::CertificateNotYetValid,
        ),
        ("certificate-untrusted", SignInProblem::CertificateUntrusted),
        (
            "certificate-not-for-sign-in",
            SignInProblem::CertificateNotForSignIn,
        ),
        ("certificate-revoked", SignInProblem::CertificateRevoked),
        ("revocation-out-of-date", SignInProblem::RevocationOutOfDate),
        ("certificate-no-upn", SignInProblem::NoUpn),
        ("certificate-no-email", SignInProblem::NoEmail),
        ("certificate-no-cn", SignInProblem::NoCommonName),
        ("certificate-no-uid", SignInProblem::NoUid),
        (
            "certificate-unknown-user",
            SignInProblem::UnknownCertificateUser,
        ),
    ];

    pub fn code(self) -> &'static str {
        match self {
            SignInProblem::Locked(_) => "locked",
            other => SignInProblem::CODES
                .iter()
                .find(|(_, p)| *p == other)
                .map_or("invalid", |(code, _)| code),
        }
    }

    /// How many minutes a lock lasts (0 for any other problem): sent
    /// beside the code.
    pub fn minutes(self) -> u32 {
        match self {
            SignInProblem::Locked(minutes) => minutes,
            _ => 0,
        }
    }

    /// The problem a code names (`minutes` for a lock); `None` for any
    /// other text.
    pub fn parse(code: &str, minutes: &str) -> Option<SignInProblem> {
        if code == "locked" {
            return Some(SignInProblem::Locked(minutes.parse().unwrap_or(15)));
        }
        SignInProblem::CODES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, p)| *p)
    }

    pub fn message(self) -> String {
        match self {
            SignInProblem::Invalid => en("The user name or password is not correct.").to_owned(),
            SignInProblem::Locked(minutes) => {
                Lang::En.trf(
                    "Too many failed sign-ins. Try again in {minutes} minute(s).",
                    &[("minutes", &minutes)],
                )
            }
            SignInProblem::Disabled => en("Your account is disabled. Contact your IT helpdesk.").to_owned(),
            SignInProblem::NoAccess => {
                en("You do not have access to the portal. Contact your IT helpdesk.").to_owned()
            }
            SignInProblem::DirectoryUnavailable => en("The directory that checks your password cannot be reached right now. Try again in a few minutes, or contact your IT helpdesk.").to_owned(),
            SignInProblem::PasswordOff => en("Signing in with a password is turned off: sign in with your certificate (smart card).").to_owned(),
            SignInProblem::CertificateOff => en("Signing in with a certificate is turned off: sign in with your user name and password.").to_owned(),
            SignInProblem::NoCertificate => en("Your browser did not present a certificate. Insert your smart card (or install your certificate) and reload this page: your browser then asks which certificate to use.").to_owned(),
            SignInProblem::CertificateUnreadable => en("Your certificate cannot be read. Contact your IT helpdesk.").to_owned(),
            SignInProblem::CertificateExpired => en("Your certificate has expired. Ask your IT helpdesk for a new one.").to_owned(),
            SignInProblem::CertificateNotYetValid => en("Your certificate is not valid yet. Check your device's date and time, or try again later.").to_owned(),
            SignInProblem::CertificateUntrusted => en("Your certificate was not issued by an authority this portal trusts for signing in. Use your company smart card, or contact your IT helpdesk.").to_owned(),
            SignInProblem::CertificateNotForSignIn => en("Your certificate is not meant for signing in (client authentication). Use your company smart card, or contact your IT helpdesk.").to_owned(),
            SignInProblem::CertificateRevoked => en("Your certificate has been revoked: it can no longer be used. If your card was lost or replaced, ask your IT helpdesk for a new one.").to_owned(),
            SignInProblem::RevocationOutOfDate => en("Certificates cannot be checked right now: the portal's list of revoked certificates is out of date. Sign in with your password if you have one, or contact your IT helpdesk.").to_owned(),
            SignInProblem::NoUpn => en("Your certificate has no user principal name (UPN), which this portal uses to find you. Contact your IT helpdesk.").to_owned(),
            SignInProblem::NoEmail => en("Your certificate has no e-mail address, which this portal uses to find you. Contact your IT helpdesk.").to_owned(),
            SignInProblem::NoCommonName => en("Your certificate has no common name (CN), which this portal uses to find you. Contact your IT helpdesk.").to_owned(),
            SignInProblem::NoUid => en("Your certificate has no user id (UID), which this portal uses to find you. Contact your IT helpdesk.").to_owned(),
            SignInProblem::UnknownCertificateUser => en("Your certificate is valid, but it does not belong to a user of this portal. Contact your IT helpdesk.").to_owned(),
        }
    }
}

/// Administrator settings, as the settings page shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PortalSettings {
    pub idle_timeout_minutes: u32,
    pub audit_retention_days: u32,
    pub action_hold_minutes: u32,
}

/// The Admin → Settings form as typed. A field the form leaves out keeps
/// its value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PortalSettingsInput {
    pub idle_timeout_minutes: Option<String>,
    pub audit_retention_days: Option<String>,
    pub action_hold_minutes: Option<String>,
}

/// Why the settings form was refused, field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PortalSettingsErrors {
    pub idle_timeout_minutes: Option<String>,
    pub audit_retention_days: Option<String>,
    pub action_hold_minutes: Option<String>,
}

/// The settings typed (`None` where the form left a field out).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PortalSettingsChange {
    pub idle: Option<IdleTimeout>,
    pub retention: Option<AuditRetention>,
    pub hold: Option<ActionHold>,
}

impl PortalSettingsInput {
    /// The form showing `current`.
    pub fn of(current: &PortalSettings) -> PortalSettingsInput {
        PortalSettingsInput {
            idle_timeout_minutes: Some(current.idle_timeout_minutes.to_string()),
            audit_retention_days: Some(current.audit_retention_days.to_string()),
            action_hold_minutes: Some(current.action_hold_minutes.to_string()),
        }
    }

    /// The values typed, or why not.
    pub fn check(&self) -> Result<PortalSettingsChange, PortalSettingsErrors> {
        let given = |field: &Option<String>| field.clone().filter(|t| !t.trim().is_empty());
        let idle = given(&self.idle_timeout_minutes)
            .map(|t| IdleTimeout::parse(&t).map_err(|e| e.to_string()))
            .transpose();
        let retention = given(&self.audit_retention_days)
            .map(|t| AuditRetention::parse(&t))
            .transpose();
        let hold = given(&self.action_hold_minutes)
            .map(|t| ActionHold::parse(&t))
            .transpose();
        match (idle, retention, hold) {
            (Ok(idle), Ok(retention), Ok(hold)) => Ok(PortalSettingsChange {
                idle,
                retention,
                hold,
            }),
            (idle, retention, hold) => Err(PortalSettingsErrors {
                idle_timeout_minutes: idle.err(),
                audit_retention_days: retention.err(),
                action_hold_minutes: hold.err(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(minute: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap() + TimeDelta::minutes(minute)
    }

    #[test]
    fn six_failures_lock_a_user_for_fifteen_minutes() {
        let p = LockoutPolicy::default();
        let five: Vec<_> = (0..5).map(t).collect();
        assert_eq!(p.locked_until(&five, None, p.per_user, t(5)), None);
        let six: Vec<_> = (0..6).map(t).collect();
        assert_eq!(p.locked_until(&six, None, p.per_user, t(6)), Some(t(20)));
        assert_eq!(p.locked_until(&six, None, p.per_user, t(19)), Some(t(20)));
        assert_eq!(
            p.locked_until(&six, None, p.per_user, t(20)),
            None,
            "the lock ends"
        );
    }

    #[test]
    fn old_failures_and_failures_before_a_success_do_not_count() {
        let p = LockoutPolicy::default();
        let spread: Vec<_> = [0, 4, 8, 12, 16, 20].into_iter().map(t).collect();
        // At minute 21 the failure at minute 0 is outside the 15-minute window.
        assert_eq!(p.locked_until(&spread, None, p.per_user, t(21)), None);
        let six: Vec<_> = (0..6).map(t).collect();
        assert_eq!(p.locked_until(&six, Some(t(3)), p.per_user, t(6)), None);
    }

    #[test]
    fn addresses_have_their_own_limit() {
        let p = LockoutPolicy::default();
        let many: Vec<_> = (0..30).map(|i| t(0) + TimeDelta::seconds(i * 10)).collect();
        assert!(
            p.locked_until(&many[..29], None, p.per_address, t(5))
                .is_none()
        );
        assert!(p.locked_until(&many, None, p.per_address, t(5)).is_some());
    }

    #[test]
    fn minutes_are_rounded_up() {
        assert_eq!(minutes_until(t(15), t(0)), 15);
        assert_eq!(minutes_until(t(1), t(0) + TimeDelta::seconds(1)), 1);
        assert_eq!(minutes_until(t(0), t(0)), 1);
    }

    #[test]
    fn idle_timeout_is_5_to_90_minutes() {
        assert_eq!(IdleTimeout::default().minutes(), 30);
        assert_eq!(IdleTimeout::parse(" 5 ").map(IdleTimeout::minutes), Ok(5));
        assert_eq!(IdleTimeout::parse("90").map(IdleTimeout::minutes), Ok(90));
        assert_eq!(IdleTimeout::parse("4"), Err(IdleTimeoutError::OutOfRange));
        assert_eq!(IdleTimeout::parse("91"), Err(IdleTimeoutError::OutOfRange));
        assert_eq!(
            IdleTimeout::parse("half an hour"),
            Err(IdleTimeoutError::NotANumber)
        );
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let idle = IdleTimeout::default();
        assert!(session_alive(t(0), t(0), idle, t(29)));
        assert!(!session_alive(t(0), t(0), idle, t(30)));
        let hours = |h: i64| t(h * 60);
        assert!(session_alive(
            hours(0),
            hours(11),
            idle,
            hours(11) + TimeDelta::minutes(10)
        ));
        assert!(!session_alive(
            hours(0),
            hours(12),
            idle,
            hours(12) + TimeDelta::minutes(1)
        ));
    }

    #[test]
    fn problems_travel_as_codes() {
        for (code, problem) in SignInProblem::CODES {
            assert_eq!(problem.code(), code);
            assert_eq!(SignInProblem::parse(code, ""), Some(problem));
            assert!(problem.message().ends_with('.'));
        }
        let locked = SignInProblem::parse("locked", "7");
        assert_eq!(locked, Some(SignInProblem::Locked(7)));
        assert!(SignInProblem::Locked(7).message().contains("7 minute"));
        assert_eq!(SignInProblem::parse("<b>hi</b>", ""), None);
    }

    #[test]
    fn return_paths_stay_on_this_site() {
        assert_eq!(
            safe_return_path(Some("/admin/users?q=a")),
            "/admin/users?q=a"
        );
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "admin",
            "/a\nb",
        ] {
            assert_eq!(safe_return_path(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_return_path(None), "/");
    }
}

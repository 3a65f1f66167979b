//! The audit log's vocabulary.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::ids::DeviceId;
use super::text::{TextEnum, text_enum};
use crate::i18n::{Lang, en};

text_enum! {
    /// How an audited action ended.
    #[serde(rename_all = "lowercase")]
    pub enum Outcome {
        Success,
        Failure,
        /// Not attempted: a rule said no (no role, locked, disabled, …).
        Refused,
    }
}

/// Which audit events to show.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    pub outcome: Option<Outcome>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// One device's history.
    #[serde(default)]
    pub device_id: Option<DeviceId>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: Option<String>,
    pub action: String,
    pub target: Option<String>,
    pub device_id: Option<DeviceId>,
    pub outcome: Outcome,
    pub client_addr: String,
    pub user_agent: String,
    pub details: String,
}

impl AuditRow {
    /// What happened, in the words a device's page uses: "Lock requested
    /// by alice", "Device reported: locked". An event the portal has no
    /// words for shows its code.
    pub fn in_words(&self) -> String {
        event_in_words(&self.action, self.outcome, self.actor.as_deref())
    }
}

/// See [`AuditRow::in_words`].
pub fn event_in_words(action: &str, outcome: Outcome, actor: Option<&str>) -> String {
    use super::device::DeviceAction;
    let by =
        |alone: &'static str, with_actor: &'static str| by_actor(actor, alone, with_actor, &[]);
    let failed = outcome != Outcome::Success;
    let parts: Vec<&str> = action.split('.').collect();
    let kind = |word: &str| DeviceAction::parse(word);
    match parts.as_slice() {
        ["device", "register"] => by(en("Registered"), en("Registered by {actor}")),
        ["device", "enroll"] if failed => en("Enrollment refused").to_owned(),
        ["device", "enroll"] => en("Enrolled").to_owned(),
        ["device", "rename"] => by(en("Renamed"), en("Renamed by {actor}")),
        ["device", "ownership"] => by(en("Ownership changed"), en("Ownership changed by {actor}")),
        ["device", "remove"] => by(
            en("Removed from the portal"),
            en("Removed from the portal by {actor}"),
        ),
        ["device", "configuration", "applied"] => {
            en("Device reported: configuration applied").to_owned()
        }
        ["device", "registration", "reissue"] => by(
            en("New enrollment link and PIN"),
            en("New enrollment link and PIN by {actor}"),
        ),
        ["device", "registration", "expire"] => en("Registration expired unused").to_owned(),
        ["device", "registration", "cancel"] => by(
            en("Registration cancelled"),
            en("Registration cancelled by {actor}"),
        ),
        ["certificate", "deliver"] => en("Certificates sent to the device").to_owned(),
        ["invitation", "email"] if failed => {
            en("The enrollment link could not be e-mailed").to_owned()
        }
        ["invitation", "email"] => en("Enrollment link e-mailed").to_owned(),
        ["invitation", "sms"] if failed => {
            en("The enrollment link could not be sent by text message").to_owned()
        }
        ["invitation", "sms"] => en("Enrollment link sent by text message").to_owned(),
        ["notice", "reminder"] => en("Reminder to enroll e-mailed").to_owned(),
        ["notice", "enrolled"] => en("Owner told by e-mail that it enrolled").to_owned(),
        ["device", word] => match kind(word) {
            Some(request) => {
                let label = request.label();
                let (alone, with_actor) = match outcome {
                    Outcome::Success => (
                        en("{action} requested"),
                        en("{action} requested by {actor}"),
                    ),
                    Outcome::Refused => (en("{action} refused"), en("{action} refused by {actor}")),
                    Outcome::Failure => (
                        en("{action} could not be requested"),
                        en("{action} could not be requested by {actor}"),
                    ),
                };
                by_actor(actor, alone, with_actor, &[("action", &label)])
            }
            None => action.to_owned(),
        },
        ["device", word, step] => match (kind(word), *step) {
            (Some(done), "result") if failed => Lang::En.trf(
                "Device could not do it: {action}",
                &[("action", &done.label())],
            ),
            (Some(done), "result") => {
                Lang::En.trf("Device reported: {what}", &[("what", &done.reported())])
            }
            (Some(done), "cancel") => by_actor(
                actor,
                en("{action} cancelled"),
                en("{action} cancelled by {actor}"),
                &[("action", &done.label())],
            ),
            (Some(done), "expire") => Lang::En.trf(
                "{action} expired: the device did not check in in time",
                &[("action", &done.label())],
            ),
            (Some(done), "withheld") => Lang::En.trf(
                "{action} withheld: the device's policies no longer allow it",
                &[("action", &done.label())],
            ),
            _ => action.to_owned(),
        },
        _ => action.to_owned(),
    }
}

/// `alone`, or `with_actor` (which names them as `{actor}`) when the
/// event has an actor.
fn by_actor(
    actor: Option<&str>,
    alone: &'static str,
    with_actor: &'static str,
    values: &[(&str, &(dyn std::fmt::Display + Sync))],
) -> String {
    match actor {
        Some(actor) => {
            let mut values = values.to_vec();
            values.push(("actor", &actor));
            Lang::En.trf(with_actor, &values)
        }
        None => Lang::En.trf(alone, values),
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

/// The filter as the page's query string carries it (`from`/`to` are days).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AuditQuery {
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub from: String,
    pub to: String,
}

impl AuditQuery {
    pub fn from_pairs(get: impl Fn(&str) -> Option<String>) -> AuditQuery {
        let get = |k: &str| get(k).unwrap_or_default().trim().to_owned();
        AuditQuery {
            actor: get("actor"),
            action: get("action"),
            target: get("target"),
            outcome: get("outcome"),
            from: get("from"),
            to: get("to"),
        }
    }

    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("actor", self.actor.clone()),
            ("action", self.action.clone()),
            ("target", self.target.clone()),
            ("outcome", self.outcome.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
        ]
    }

    /// The filter for the server: `to` includes the whole day.
    pub fn filter(&self) -> AuditFilter {
        let day = |text: &str| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| DateTime::<Utc>::from_naive_utc_and_offset(d, Utc))
        };
        let some = |s: &String| (!s.is_empty()).then(|| s.clone());
        AuditFilter {
            actor: some(&self.actor),
            action: some(&self.action),
            target: some(&self.target),
            outcome: Outcome::parse(&self.outcome),
            from: day(&self.from),
            // The last day there is has no next one: no upper bound then.
            to: day(&self.to).and_then(|d| d.checked_add_signed(TimeDelta::days(1))),
            device_id: None,
        }
    }
}

/// How long the audit log keeps an event (Admin → Settings): from 30 days
/// to 10 years, 400 days unless an administrator chose otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRetention(u32);

impl AuditRetention {
    pub const MIN_DAYS: u32 = 30;
    pub const MAX_DAYS: u32 = 3650;

    pub fn from_days(days: u32) -> Option<AuditRetention> {
        (Self::MIN_DAYS..=Self::MAX_DAYS)
            .contains(&days)
            .then_some(AuditRetention(days))
    }

    /// Days as typed in the settings form.
    pub fn parse(text: &str) -> Result<AuditRetention, String> {
        text.trim()
            .parse()
            .ok()
            .and_then(AuditRetention::from_days)
            .ok_or_else(|| {
                Lang::En.trf(
                    "Enter a number of days from {min} to {max}.",
                    &[("min", &Self::MIN_DAYS), ("max", &Self::MAX_DAYS)],
                )
            })
    }

    pub fn days(self) -> u32 {
        self.0
    }

    /// Events before this moment are removed.
    pub fn cutoff(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - TimeDelta::days(i64::from(self.0))
    }
}

impl Default for AuditRetention {
    fn default() -> Self {
        AuditRetention(400)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_devices_history_is_said_in_words() {
        let say = |action: &str, outcome: Outcome, actor: Option<&str>| {
            event_in_words(action, outcome, actor)
        };
        assert_eq!(
            say("device.lock", Outcome::Success, Some("alice")),
            "Lock requested by alice"
        );
        assert_eq!(
            say("device.lock.result", Outcome::Success, None),
            "Device reported: locked"
        );
        assert_eq!(
            say("device.found.result", Outcome::Success, None),
            "Device reported: out of lost mode"
        );
        assert_eq!(
            say("device.wipe.result", Outcome::Failure, None),
            "Device could not do it: Wipe"
        );
        assert_eq!(
            say("device.locate.cancel", Outcome::Success, Some("bob")),
            "Locate cancelled by bob"
        );
        assert!(say("device.lock.expire", Outcome::Failure, None).starts_with("Lock expired"));
        assert_eq!(
            say("device.remove", Outcome::Success, Some("root")),
            "Removed from the portal by root"
        );
        assert_eq!(
            say("device.enroll", Outcome::Refused, None),
            "Enrollment refused"
        );
        assert_eq!(
            say("invitation.email", Outcome::Success, Some("alice")),
            "Enrollment link e-mailed"
        );
        // What has no words keeps its code.
        assert_eq!(
            say("device.teleport", Outcome::Success, None),
            "device.teleport"
        );
        assert_eq!(
            say("device.lock.dance", Outcome::Success, None),
            "device.lock.dance"
        );
        assert_eq!(
            say("something.else", Outcome::Success, None),
            "something.else"
        );
    }

    fn query(from: &str, to: &str) -> AuditQuery {
        AuditQuery {
            from: from.to_owned(),
            to: to.to_owned(),
            ..AuditQuery::default()
        }
    }

    #[test]
    fn days_at_the_ends_of_time_do_not_overflow() {
        for day in ["+262142-12-31", "262142-12-31", "9999-99-99", "x"] {
            let filter = query(day, day).filter();
            assert_eq!(filter.to, None, "{day}");
        }
        assert!(
            query("-262143-01-01", "-262143-01-01")
                .filter()
                .to
                .is_some()
        );
        let filter = query("2026-12-01", "2026-12-06").filter();
        assert_eq!(
            filter.from.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-12-01T00:00:00+00:00")
        );
        assert_eq!(
            filter.to.map(|d| d.to_rfc3339()).as_deref(),
            Some("2026-12-07T00:00:00+00:00")
        );
    }

    #[test]
    fn retention_is_thirty_days_to_ten_years() {
        assert_eq!(AuditRetention::default().days(), 400);
        assert_eq!(
            AuditRetention::parse(" 30 ").map(AuditRetention::days),
            Ok(30)
        );
        assert_eq!(
            AuditRetention::parse("3650").map(AuditRetention::days),
            Ok(3650)
        );
        for text in ["29", "3651", "", "x", "-1", "99999999999"] {
            assert!(AuditRetention::parse(text).is_err(), "{text}");
        }
    }
}

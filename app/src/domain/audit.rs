//! The audit log's vocabulary.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::ids::DeviceId;
use super::text::text_enum;

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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub rows: Vec<AuditRow>,
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
}

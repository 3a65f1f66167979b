//! The audit log's vocabulary.

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

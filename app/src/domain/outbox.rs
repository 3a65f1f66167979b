//! The outbox's words and its retry rule: how often a message is tried
//! and when the portal gives up on it.

use super::text::text_enum;
use chrono::TimeDelta;

text_enum! {
    /// Where a queued message stands.
    pub enum OutboxState {
        /// Waiting to be sent (again).
        Queued,
        Sent,
        /// Given up on after its last attempt.
        Failed,
        /// No longer wanted (its registration link was used or replaced).
        Dropped,
    }
}

text_enum! {
    /// How a message travels.
    pub enum Channel {
        Email,
        Sms,
    }
}

/// Pauses before the second, third and fourth attempt.
const RETRY_DELAYS: [TimeDelta; 3] = [
    TimeDelta::seconds(30),
    TimeDelta::seconds(120),
    TimeDelta::seconds(600),
];

/// After attempt number `attempt` (from 1) failed: how long until the next
/// one, or `None` when that was the last.
pub fn retry_after(attempt: usize) -> Option<TimeDelta> {
    RETRY_DELAYS.get(attempt.checked_sub(1)?).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn four_attempts_then_the_message_fails() {
        assert_eq!(retry_after(1), Some(TimeDelta::seconds(30)));
        assert_eq!(retry_after(2), Some(TimeDelta::seconds(120)));
        assert_eq!(retry_after(3), Some(TimeDelta::seconds(600)));
        assert_eq!(retry_after(4), None);
        assert_eq!(retry_after(0), None);
    }

    #[test]
    fn stored_words() {
        use crate::domain::text::TextEnum;
        assert_eq!(OutboxState::Queued.as_str(), "queued");
        assert_eq!(Channel::parse("sms"), Some(Channel::Sms));
    }
}

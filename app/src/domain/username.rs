//! User names: what people type to sign in.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A user name: 1–64 characters of letters, digits and `. _ - @`, compared
/// without regard to case (stored in lower case).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Username(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UsernameError {
    #[error("Enter a user name.")]
    Empty,
    #[error("A user name has at most 64 characters.")]
    TooLong,
    #[error("Use only letters, digits, dots, dashes, underscores and @.")]
    InvalidCharacter,
}

impl Username {
    pub const MAX_LEN: usize = 64;

    pub fn parse(input: &str) -> Result<Username, UsernameError> {
        let name = input.trim().to_lowercase();
        if name.is_empty() {
            return Err(UsernameError::Empty);
        }
        if name.chars().count() > Username::MAX_LEN {
            return Err(UsernameError::TooLong);
        }
        if !name
            .chars()
            .all(|c| c.is_alphanumeric() || "._-@".contains(c))
        {
            return Err(UsernameError::InvalidCharacter);
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_space() {
        assert_eq!(
            Username::parse("  Alice.Smith ").unwrap().as_str(),
            "alice.smith"
        );
        assert_eq!(
            Username::parse("jürgen@example.com").unwrap().as_str(),
            "jürgen@example.com"
        );
    }

    #[test]
    fn refuses_with_the_reason() {
        assert_eq!(Username::parse(" "), Err(UsernameError::Empty));
        assert_eq!(
            Username::parse(&"a".repeat(65)),
            Err(UsernameError::TooLong)
        );
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        for bad in ["alice smith", "a*", "a)(uid=*", "a\\b", "a/b"] {
            assert_eq!(
                Username::parse(bad),
                Err(UsernameError::InvalidCharacter),
                "{bad:?}"
            );
        }
    }
}

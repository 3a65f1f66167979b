//! Phone numbers in E.164 form (`+` then the country code and the subscriber
//! number, at most 15 digits). Used for SMS invitations and lock-screen
//! call-back numbers.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A phone number in E.164 form. The only way to make one is [`PhoneNumber::parse`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber(String);

/// Why a text is not an E.164 phone number; `Display` is a message for a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PhoneNumberError {
    #[error("Enter a phone number.")]
    Empty,
    #[error("Start with + and the country code, for example +44 20 7946 0958.")]
    MissingCountryCode,
    #[error("A country code never starts with 0.")]
    CountryCodeStartsWithZero,
    #[error("Use only digits, spaces, dashes, dots and brackets.")]
    InvalidCharacter,
    #[error("That is too short for a phone number with its country code.")]
    TooShort,
    #[error("A phone number has at most 15 digits, including the country code.")]
    TooLong,
}

impl PhoneNumber {
    /// Shortest number accepted, country code included (some small countries
    /// have 4-digit subscriber numbers after a 3-digit country code).
    pub const MIN_DIGITS: usize = 7;
    /// The E.164 maximum, country code included.
    pub const MAX_DIGITS: usize = 15;

    /// Reads a number as people write it: `+` or `00` in front, digits, and
    /// any of ` -.()` as separators, which are dropped.
    pub fn parse(input: &str) -> Result<Self, PhoneNumberError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(PhoneNumberError::Empty);
        }
        let rest = if let Some(rest) = text.strip_prefix('+') {
            rest
        } else if let Some(rest) = text.strip_prefix("00") {
            rest
        } else if text
            .chars()
            .all(|c| c.is_ascii_digit() || " -.()".contains(c))
        {
            return Err(PhoneNumberError::MissingCountryCode);
        } else {
            return Err(PhoneNumberError::InvalidCharacter);
        };
        let mut digits = String::with_capacity(PhoneNumber::MAX_DIGITS + 1);
        for c in rest.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '.' | '(' | ')' => {}
                _ => return Err(PhoneNumberError::InvalidCharacter),
            }
        }
        if digits.starts_with('0') {
            return Err(PhoneNumberError::CountryCodeStartsWithZero);
        }
        match digits.len() {
            n if n < PhoneNumber::MIN_DIGITS => Err(PhoneNumberError::TooShort),
            n if n > PhoneNumber::MAX_DIGITS => Err(PhoneNumberError::TooLong),
            _ => Ok(PhoneNumber(format!("+{digits}"))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_ways_people_write_numbers() {
        for input in [
            "+442079460958",
            "+44 20 7946 0958",
            " +44 (20) 7946-0958 ",
            "0044 20 7946 0958",
            "+1.212.555.0123",
        ] {
            let parsed = PhoneNumber::parse(input).map(|p| p.to_string());
            assert!(parsed.is_ok(), "{input:?} gave {parsed:?}");
        }
        assert_eq!(
            PhoneNumber::parse("0044 20 7946 0958").map(|p| p.to_string()),
            Ok("+442079460958".to_owned())
        );
    }

    #[test]
    fn refuses_with_the_reason() {
        use PhoneNumberError::*;
        let cases = [
            ("", Empty),
            ("   ", Empty),
            ("020 7946 0958", MissingCountryCode),
            ("+0 20 7946 0958", CountryCodeStartsWithZero),
            ("+44 20 7946 O958", InvalidCharacter),
            ("call me", InvalidCharacter),
            ("+44 12", TooShort),
            ("+1234567890123456", TooLong),
        ];
        for (input, want) in cases {
            assert_eq!(PhoneNumber::parse(input), Err(want), "{input:?}");
        }
    }

    #[test]
    fn digit_limits_are_inclusive() {
        assert!(PhoneNumber::parse("+1234567").is_ok());
        assert!(PhoneNumber::parse("+123456").is_err());
        assert!(PhoneNumber::parse("+123456789012345").is_ok());
    }
}

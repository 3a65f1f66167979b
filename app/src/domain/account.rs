//! A person's own account: changing their password, and telling their
//! sessions apart (which browser on which system).

use super::text::{TextEnum, text_enum};
use crate::i18n::{Lang, en};
use serde::{Deserialize, Serialize};

/// The shortest password the portal accepts.
pub const MIN_PASSWORD_LEN: usize = 10;

text_enum! {
    /// Why a new password was not taken.
    pub enum PasswordProblem {
        /// The current password is not right.
        WrongCurrent,
        /// Too many wrong passwords lately.
        Locked,
        TooShort,
        /// The new password and its repetition differ.
        Mismatch,
        /// A directory checks this person's password.
        Directory,
    }
}

impl PasswordProblem {
    /// What the page says.
    pub fn message(self) -> String {
        match self {
            PasswordProblem::WrongCurrent => en("Your current password is not correct.").to_owned(),
            PasswordProblem::Locked => {
                en("Too many wrong passwords: try again in a few minutes.").to_owned()
            }
            PasswordProblem::TooShort => Lang::En.trf(
                "A password needs at least {min} characters.",
                &[("min", &MIN_PASSWORD_LEN)],
            ),
            PasswordProblem::Mismatch => {
                en("The new password and its repetition differ.").to_owned()
            }
            PasswordProblem::Directory => {
                en("Your password is kept by your company's directory: change it there.").to_owned()
            }
        }
    }
}

/// The change-password form. Never sent back to the page: a refusal says
/// only why.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
    pub repeat: String,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordChange { … }")
    }
}

impl PasswordChange {
    /// What can be said before the current password is checked.
    pub fn check(&self) -> Result<(), PasswordProblem> {
        check_new(&self.new, &self.repeat)
    }
}

/// A new password, typed twice.
fn check_new(new: &str, repeat: &str) -> Result<(), PasswordProblem> {
    if new != repeat {
        Err(PasswordProblem::Mismatch)
    } else if new.chars().count() < MIN_PASSWORD_LEN {
        Err(PasswordProblem::TooShort)
    } else {
        Ok(())
    }
}

/// How long a link to set a password works.
pub const LINK_VALID_HOURS: i64 = 72;

/// The form behind a link to set a password: the link's secret and the
/// new password, twice. Never sent back to the page.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewPassword {
    pub token: String,
    pub new: String,
    pub repeat: String,
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword { … }")
    }
}

impl NewPassword {
    pub fn check(&self) -> Result<(), PasswordProblem> {
        check_new(&self.new, &self.repeat)
    }
}

text_enum! {
    /// How a person the administrator adds (or whose password they reset)
    /// gets their password.
    #[derive(Default)]
    pub enum PasswordDelivery {
        /// A one-time link to set it, by e-mail.
        Link,
        /// Made by the portal and shown to the administrator once.
        #[default]
        Shown,
    }
}

/// A browser and its system, in a few words, from its `User-Agent`:
/// "Firefox on Linux", "Safari on iPhone", "curl".
pub fn browser_of(user_agent: &str) -> String {
    let has = |word: &str| user_agent.contains(word);
    let browser = if has("Edg/") {
        "Edge"
    } else if has("OPR/") {
        "Opera"
    } else if has("Firefox/") {
        "Firefox"
    } else if has("Chrome/") || has("Chromium/") || has("CriOS/") {
        "Chrome"
    } else if has("Safari/") {
        "Safari"
    } else if let Some(tool) = ["curl", "Wget", "python-requests", "reqwest"]
        .into_iter()
        .find(|t| user_agent.starts_with(t))
    {
        return tool.to_owned();
    } else {
        en("A browser")
    };
    let system = if has("iPhone") {
        "iPhone"
    } else if has("iPad") {
        "iPad"
    } else if has("Android") {
        "Android"
    } else if has("Windows") {
        "Windows"
    } else if has("Mac OS X") || has("Macintosh") {
        "macOS"
    } else if has("CrOS") {
        "ChromeOS"
    } else if has("Linux") {
        "Linux"
    } else {
        return if user_agent.trim().is_empty() {
            en("Unknown browser").to_owned()
        } else {
            browser.to_owned()
        };
    };
    if browser == en("A browser") {
        Lang::En.trf("A browser on {system}", &[("system", &system)])
    } else {
        Lang::En.trf(
            "{browser} on {system}",
            &[("browser", &browser), ("system", &system)],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::TextEnum;

    #[test]
    fn a_new_password_is_long_enough_and_repeated() {
        let change = |new: &str, repeat: &str| PasswordChange {
            current: "whatever it was".to_owned(),
            new: new.to_owned(),
            repeat: repeat.to_owned(),
        };
        assert_eq!(
            change("a long new password", "a long new password").check(),
            Ok(())
        );
        assert_eq!(
            change("a long new password", "a long new passwort").check(),
            Err(PasswordProblem::Mismatch)
        );
        assert_eq!(
            change("short", "short").check(),
            Err(PasswordProblem::TooShort)
        );
        assert!(!format!("{:?}", change("secret-1234", "secret-1234")).contains("secret"));
        for problem in PasswordProblem::ALL {
            assert!(!problem.message().is_empty());
        }
    }

    #[test]
    fn browsers_are_named_in_a_few_words() {
        let cases = [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox on Linux",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            ("curl/8.5.0", "curl"),
            ("", "Unknown browser"),
            ("SomethingElse/1.0", "A browser"),
        ];
        for (agent, want) in cases {
            assert_eq!(browser_of(agent), want, "{agent}");
        }
    }
}

/// Admin → Users → Add a user, as typed (roles: one entry per ticked box,
/// `roles[lock]=on`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub phone: String,
    pub roles: std::collections::BTreeMap<String, String>,
    /// `link` or `shown` ([`PasswordDelivery`]).
    pub password: String,
}

/// A new user's details, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewUserForm {
    pub username: super::username::Username,
    pub display_name: String,
    pub email: String,
    pub phone: Option<super::phone::PhoneNumber>,
    pub roles: super::role::RoleSet,
    pub password: PasswordDelivery,
}

/// Why the new user's details cannot be taken, field by field.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewUserErrors {
    pub username: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub roles: Option<String>,
}

impl NewUserInput {
    pub fn check(&self) -> Result<NewUserForm, NewUserErrors> {
        let username = super::username::Username::parse(&self.username);
        let email = self.email.trim();
        let email_ok = email.is_empty()
            || (email.len() <= 254
                && email
                    .split_once('@')
                    .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
                && !email.contains(char::is_whitespace));
        let password = PasswordDelivery::parse(&self.password).unwrap_or_default();
        let email_error = if !email_ok {
            Some(en(
                "Enter an e-mail address like name@example.com, or leave it empty.",
            ))
        } else if email.is_empty() && password == PasswordDelivery::Link {
            Some(en(
                "A link to set the password needs an e-mail address to go to.",
            ))
        } else {
            None
        };
        let phone = match self.phone.trim() {
            "" => Ok(None),
            typed => super::phone::PhoneNumber::parse(typed).map(Some),
        };
        let roles = super::role::RoleSet::parse_names(self.roles.keys().map(String::as_str));
        match (username, email_error, phone, roles) {
            (Ok(username), None, Ok(phone), Ok(roles)) => Ok(NewUserForm {
                username,
                display_name: self.display_name.trim().to_owned(),
                email: email.to_owned(),
                phone,
                roles,
                password,
            }),
            (username, email_error, phone, roles) => Err(NewUserErrors {
                username: username.err().map(|e| e.to_string()),
                email: email_error.map(str::to_owned),
                phone: phone.err().map(|e| e.to_string()),
                roles: roles.err().map(|e| e.to_string()),
            }),
        }
    }
}

#[cfg(test)]
mod new_user_tests {
    use super::*;

    #[test]
    fn a_new_user_needs_a_valid_name_and_a_plausible_address() {
        let input = |name: &str, email: &str| NewUserInput {
            username: name.to_owned(),
            display_name: " Dana Example ".to_owned(),
            email: email.to_owned(),
            roles: [("lock".to_owned(), "on".to_owned())].into(),
            ..NewUserInput::default()
        };
        let good = input("Dana", "dana@example.com").check().unwrap();
        assert_eq!(good.username.as_str(), "dana");
        assert_eq!(good.display_name, "Dana Example");
        assert!(good.roles.contains(super::super::role::Role::Lock));
        assert!(input("dana", "").check().is_ok());
        let bad = input("da na", "not an address").check().unwrap_err();
        assert!(bad.username.is_some() && bad.email.is_some());
        let mut unknown = input("dana", "");
        unknown.roles.insert("teleport".to_owned(), "on".to_owned());
        assert!(unknown.check().unwrap_err().roles.is_some());
    }

    #[test]
    fn a_link_needs_an_address_and_a_phone_number_is_checked() {
        let mut input = NewUserInput {
            username: "dana".to_owned(),
            password: "link".to_owned(),
            ..NewUserInput::default()
        };
        assert!(input.check().unwrap_err().email.is_some());
        input.email = "dana@example.com".to_owned();
        assert_eq!(input.check().unwrap().password, PasswordDelivery::Link);
        input.phone = "0171 555".to_owned();
        assert!(input.check().unwrap_err().phone.is_some());
        input.phone = "+49 171 5550100".to_owned();
        let form = input.check().unwrap();
        assert_eq!(
            form.phone.map(|p| p.to_string()).as_deref(),
            Some("+491715550100")
        );
        // Without a choice (an old form), the password is shown.
        input.password = String::new();
        assert_eq!(input.check().unwrap().password, PasswordDelivery::Shown);
    }

    #[test]
    fn a_password_from_a_link_is_long_enough_and_repeated() {
        let form = |new: &str, repeat: &str| NewPassword {
            token: "t".to_owned(),
            new: new.to_owned(),
            repeat: repeat.to_owned(),
        };
        assert_eq!(
            form("a long new password", "a long new password").check(),
            Ok(())
        );
        assert_eq!(
            form("a long new password", "other").check(),
            Err(PasswordProblem::Mismatch)
        );
        assert_eq!(
            form("short", "short").check(),
            Err(PasswordProblem::TooShort)
        );
        assert!(!format!("{:?}", form("secret-1234", "secret-1234")).contains("secret"));
    }
}

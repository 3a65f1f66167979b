//! Directories (LDAP): how a server is described, the search filters the
//! portal sends (every value typed by a person escaped), and how groups are
//! named. The network side lives in `server::directory`.

use super::text::text_enum;
use crate::domain::text::TextEnum;
use crate::i18n::en;
use serde::{Deserialize, Serialize};

use super::form::checkbox;

text_enum! {
    /// How the portal learns which groups a user is in.
    pub enum Membership {
        /// The user's entry lists its groups in `memberOf` (Active Directory,
        /// OpenLDAP with the memberof overlay).
        MemberOf,
        /// `groupOfNames` entries list members' DNs in `member`.
        GroupOfNames,
        /// `groupOfUniqueNames` entries list members' DNs in `uniqueMember`.
        GroupOfUniqueNames,
        /// `posixGroup` entries list members' login names in `memberUid`.
        PosixGroup,
        /// Any of the three kinds of group entry.
        AnyGroup,
    }
}

impl Membership {
    pub fn label(self) -> &'static str {
        match self {
            Membership::MemberOf => en("memberOf attribute of the user"),
            Membership::GroupOfNames => en("groupOfNames entries (member)"),
            Membership::GroupOfUniqueNames => en("groupOfUniqueNames entries (uniqueMember)"),
            Membership::PosixGroup => en("posixGroup entries (memberUid)"),
            Membership::AnyGroup => en("Any group entry (all three kinds)"),
        }
    }

    /// The filter that finds the groups of the user with `user_dn` and
    /// login name `login`; `None` when groups are read from the user's
    /// `memberOf` instead.
    pub fn member_filter(self, user_dn: &str, login: &str) -> Option<String> {
        let dn = escape(user_dn);
        let uid = escape(login);
        let names = format!("(&(objectClass=groupOfNames)(member={dn}))");
        let unique = format!("(&(objectClass=groupOfUniqueNames)(uniqueMember={dn}))");
        let posix = format!("(&(objectClass=posixGroup)(memberUid={uid}))");
        match self {
            Membership::MemberOf => None,
            Membership::GroupOfNames => Some(names),
            Membership::GroupOfUniqueNames => Some(unique),
            Membership::PosixGroup => Some(posix),
            Membership::AnyGroup => Some(format!("(|{names}{unique}{posix})")),
        }
    }

    /// The filter that lists every group an administrator can pick.
    pub fn groups_filter(self) -> &'static str {
        match self {
            Membership::GroupOfNames => "(objectClass=groupOfNames)",
            Membership::GroupOfUniqueNames => "(objectClass=groupOfUniqueNames)",
            Membership::PosixGroup => "(objectClass=posixGroup)",
            Membership::MemberOf | Membership::AnyGroup => {
                "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=posixGroup)(objectClass=group))"
            }
        }
    }
}

/// `value` made safe inside a search filter (RFC 4515): `*`, `(`, `)`, `\`
/// and NUL become `\2a`, `\28`, `\29`, `\5c`, `\00`, so a typed value can
/// only ever be compared, never change the filter.
pub fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '*' => out.push_str("\\2a"),
            '(' => out.push_str("\\28"),
            ')' => out.push_str("\\29"),
            '\\' => out.push_str("\\5c"),
            '\0' => out.push_str("\\00"),
            c => out.push(c),
        }
    }
    out
}

/// Whether `host` (with an optional `:port`) is this machine.
/// Only an address or `localhost` counts, never a name that merely starts
/// like one (`127.0.0.1.example.net`).
fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((name, port)) if port.is_empty() || port.starts_with(':') => name,
            _ => return false,
        },
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// A DN as the portal compares it: lower case, no spaces around the commas.
pub fn normalize_dn(dn: &str) -> String {
    dn.split(',')
        .map(|part| part.trim().to_lowercase())
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether the entry `dn` lies at or under `base` (both normalized).
pub fn is_under(dn: &str, base: &str) -> bool {
    base.is_empty() || dn == base || dn.ends_with(&format!(",{base}"))
}

/// The filter that finds the user who typed `login`: the administrator's
/// filter (if any) and the login attribute equal to the escaped name.
pub fn user_filter(base_filter: &str, login_attribute: &str, login: &str) -> String {
    let wanted = format!("({login_attribute}={})", escape(login));
    match base_filter.trim() {
        "" => wanted,
        filter if filter.starts_with('(') => format!("(&{filter}{wanted})"),
        filter => format!("(&({filter}){wanted})"),
    }
}

/// The name people see for a group: the value of the first part of its DN
/// (`cn=mobile-staff,ou=groups,…` → `mobile-staff`).
pub fn group_name(dn: &str) -> String {
    let first = dn.split(',').next().unwrap_or(dn);
    match first.split_once('=') {
        Some((_, value)) => value.trim().to_owned(),
        None => dn.trim().to_owned(),
    }
}

/// One group of a directory: where it is and what it is called.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Group {
    pub server_id: i32,
    /// Lower case, so that the same group is the same however a server spells it.
    pub dn: String,
    pub name: String,
}

impl Group {
    pub fn new(server_id: i32, dn: &str) -> Group {
        Group {
            server_id,
            dn: normalize_dn(dn),
            name: group_name(dn),
        }
    }
}

/// An LDAP server as an administrator describes it, checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerForm {
    pub name: String,
    pub enabled: bool,
    pub url: String,
    pub starttls: bool,
    pub ca_certificate: String,
    pub bind_dn: String,
    pub user_base: String,
    pub user_filter: String,
    pub login_attribute: String,
    pub name_attribute: String,
    pub email_attribute: String,
    pub mobile_attribute: String,
    pub group_base: String,
    pub membership: Membership,
    pub timeout_seconds: u32,
}

/// What is wrong with each field of a server form, in words for people.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerFormErrors {
    pub name: Option<String>,
    pub url: Option<String>,
    pub ca_certificate: Option<String>,
    pub bind_dn: Option<String>,
    pub bind_password: Option<String>,
    pub user_base: Option<String>,
    pub attributes: Option<String>,
    pub membership: Option<String>,
    pub timeout_seconds: Option<String>,
}

impl ServerFormErrors {
    pub fn is_empty(&self) -> bool {
        *self == ServerFormErrors::default()
    }
}

/// The fields of a server form as typed (text, as a form posts them).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerFormInput {
    pub name: String,
    #[serde(deserialize_with = "checkbox")]
    pub enabled: bool,
    pub url: String,
    #[serde(deserialize_with = "checkbox")]
    pub starttls: bool,
    pub ca_certificate: String,
    pub bind_dn: String,
    pub user_base: String,
    pub user_filter: String,
    pub login_attribute: String,
    pub name_attribute: String,
    pub email_attribute: String,
    pub mobile_attribute: String,
    pub group_base: String,
    pub membership: String,
    pub timeout_seconds: String,
}

impl ServerFormInput {
    /// A new server's form: the attribute names most directories use.
    pub fn new_server() -> ServerFormInput {
        ServerFormInput {
            enabled: true,
            url: "ldap://".to_owned(),
            user_filter: "(objectClass=inetOrgPerson)".to_owned(),
            login_attribute: "uid".to_owned(),
            name_attribute: "displayName".to_owned(),
            email_attribute: "mail".to_owned(),
            mobile_attribute: "mobile".to_owned(),
            membership: Membership::MemberOf.as_str().to_owned(),
            timeout_seconds: "5".to_owned(),
            ..ServerFormInput::default()
        }
    }

    /// The form showing a saved server.
    pub fn from_form(form: &ServerForm) -> ServerFormInput {
        ServerFormInput {
            name: form.name.clone(),
            enabled: form.enabled,
            url: form.url.clone(),
            starttls: form.starttls,
            ca_certificate: form.ca_certificate.clone(),
            bind_dn: form.bind_dn.clone(),
            user_base: form.user_base.clone(),
            user_filter: form.user_filter.clone(),
            login_attribute: form.login_attribute.clone(),
            name_attribute: form.name_attribute.clone(),
            email_attribute: form.email_attribute.clone(),
            mobile_attribute: form.mobile_attribute.clone(),
            group_base: form.group_base.clone(),
            membership: form.membership.as_str().to_owned(),
            timeout_seconds: form.timeout_seconds.to_string(),
        }
    }

    /// Whether a stored service password may stay when this form is saved
    /// over `saved`: only while it goes to the same server and account, so
    /// that nobody can send it elsewhere without knowing it.
    pub fn keeps_password(&self, saved: &ServerFormInput) -> bool {
        self.url.trim().eq_ignore_ascii_case(saved.url.trim())
            && self.bind_dn.trim() == saved.bind_dn.trim()
            && self.starttls == saved.starttls
            && self.ca_certificate.trim() == saved.ca_certificate.trim()
    }

    /// Checks every field. `has_password`: whether a service password was
    /// typed now or the stored one may stay.
    pub fn check(&self, has_password: bool) -> Result<ServerForm, Box<ServerFormErrors>> {
        let mut errors = ServerFormErrors::default();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            errors.name = Some(en("Enter a name of at most 64 characters.").to_owned());
        }
        let url = self.url.trim();
        let lower = url.to_lowercase();
        let host = lower
            .strip_prefix("ldap://")
            .or_else(|| lower.strip_prefix("ldaps://"))
            .unwrap_or_default();
        if host.is_empty() || host.contains(['/', ' ', '?', '@', '#', '\\']) {
            errors.url = Some(
                en("Enter the server as ldap://host:port or ldaps://host:port (for example ldaps://dc1.example.com:636).")
                    .to_owned(),
            );
        } else if self.starttls && lower.starts_with("ldaps://") {
            errors.url = Some(
                en("StartTLS is for ldap:// addresses; ldaps:// is encrypted already.").to_owned(),
            );
        } else if lower.starts_with("ldap://") && !self.starttls && !is_loopback(host) {
            errors.url = Some(
                en("People's passwords would cross the network in clear: use ldaps:// or StartTLS (plain ldap:// only to this machine).")
                    .to_owned(),
            );
        }
        let ca = self.ca_certificate.trim();
        if !ca.is_empty() && !ca.contains("-----BEGIN CERTIFICATE-----") {
            errors.ca_certificate = Some(
                en("Paste the certificate in PEM form (-----BEGIN CERTIFICATE-----…).").to_owned(),
            );
        }
        let bind_dn = self.bind_dn.trim();
        if !bind_dn.contains('=') {
            errors.bind_dn =
                Some(en("Enter the DN of the account the portal searches with.").to_owned());
        }
        if !has_password {
            errors.bind_password = Some(en("Enter the password of that account.").to_owned());
        }
        if !self.user_base.contains('=') {
            errors.user_base = Some(
                en("Enter the DN under which users are found, e.g. ou=people,dc=example,dc=org.")
                    .to_owned(),
            );
        }
        let attributes = [
            &self.login_attribute,
            &self.name_attribute,
            &self.email_attribute,
            &self.mobile_attribute,
        ];
        let valid_attribute = |a: &str| {
            let a = a.trim();
            a.len() <= 64
                && a.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        let mobile = self.mobile_attribute.trim();
        if !attributes[..3].iter().all(|a| valid_attribute(a))
            || !(mobile.is_empty() || valid_attribute(mobile))
        {
            errors.attributes = Some(
                en("Attribute names are letters, digits and dashes (mobile may be left empty).")
                    .to_owned(),
            );
        }
        let filter = self.user_filter.trim();
        if filter.matches('(').count() != filter.matches(')').count() {
            errors.attributes = Some(en("The user filter's parentheses do not match.").to_owned());
        }
        let membership = Membership::parse(&self.membership);
        if membership.is_none() {
            errors.membership = Some(en("Choose how group membership is found.").to_owned());
        }
        let timeout = self.timeout_seconds.trim().parse::<u32>().ok();
        if !timeout.is_some_and(|t| (1..=60).contains(&t)) {
            errors.timeout_seconds = Some(en("From 1 to 60 seconds.").to_owned());
        }
        match (membership, timeout) {
            (Some(membership), Some(timeout_seconds)) if errors.is_empty() => Ok(ServerForm {
                name: name.to_owned(),
                enabled: self.enabled,
                url: url.to_owned(),
                starttls: self.starttls,
                ca_certificate: ca.to_owned(),
                bind_dn: bind_dn.to_owned(),
                user_base: self.user_base.trim().to_owned(),
                user_filter: filter.to_owned(),
                login_attribute: self.login_attribute.trim().to_owned(),
                name_attribute: self.name_attribute.trim().to_owned(),
                email_attribute: self.email_attribute.trim().to_owned(),
                mobile_attribute: mobile.to_owned(),
                group_base: self.group_base.trim().to_owned(),
                membership,
                timeout_seconds,
            }),
            _ => Err(Box::new(errors)),
        }
    }
}

/// One line of an LDAP connection test: what was tried and how it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestStep {
    pub ok: bool,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_values_cannot_change_a_filter() {
        assert_eq!(escape("*"), "\\2a");
        assert_eq!(escape("alice)(uid=*"), "alice\\29\\28uid=\\2a");
        assert_eq!(escape("a\\b"), "a\\5cb");
        assert_eq!(escape("nul\0"), "nul\\00");
        assert_eq!(escape("Zoë"), "Zoë");
        assert_eq!(
            user_filter("(objectClass=person)", "uid", "*)(uid=*"),
            "(&(objectClass=person)(uid=\\2a\\29\\28uid=\\2a))"
        );
        assert_eq!(
            user_filter("", "sAMAccountName", "bob"),
            "(sAMAccountName=bob)"
        );
        assert_eq!(
            user_filter("objectClass=person", "uid", "bob"),
            "(&(objectClass=person)(uid=bob))"
        );
    }

    #[test]
    fn each_kind_of_membership_has_its_filter() {
        let dn = "uid=a(1),ou=people,dc=example,dc=org";
        assert_eq!(Membership::MemberOf.member_filter(dn, "a"), None);
        assert_eq!(
            Membership::GroupOfNames.member_filter(dn, "a").unwrap(),
            "(&(objectClass=groupOfNames)(member=uid=a\\281\\29,ou=people,dc=example,dc=org))"
        );
        assert_eq!(
            Membership::PosixGroup.member_filter(dn, "a*").unwrap(),
            "(&(objectClass=posixGroup)(memberUid=a\\2a))"
        );
        let any = Membership::AnyGroup.member_filter(dn, "a").unwrap();
        assert!(
            any.starts_with("(|") && any.contains("uniqueMember=") && any.contains("memberUid=a")
        );
    }

    #[test]
    fn groups_are_named_by_their_first_part() {
        assert_eq!(
            group_name("cn=Mobile Staff,ou=groups,dc=example,dc=org"),
            "Mobile Staff"
        );
        assert_eq!(group_name("weird"), "weird");
        let group = Group::new(3, "CN=Field, OU=Groups,DC=Example, DC=Org");
        assert_eq!(group.dn, "cn=field,ou=groups,dc=example,dc=org");
        assert!(is_under(
            &group.dn,
            &normalize_dn("ou=Groups, dc=example,dc=org")
        ));
        assert!(!is_under(&group.dn, "roups,dc=example,dc=org"));
        assert!(is_under(&group.dn, ""));
        assert_eq!(group.name, "Field");
    }

    #[test]
    fn the_server_form_reports_each_field() {
        let mut input = ServerFormInput::new_server();
        input.name = "Head office".to_owned();
        input.url = "ldap://127.0.0.1:389".to_owned();
        input.bind_dn = "cn=portal,dc=example,dc=org".to_owned();
        input.user_base = "ou=people,dc=example,dc=org".to_owned();
        let form = input.check(true).unwrap();
        assert_eq!(form.membership, Membership::MemberOf);
        let typed = serde_qs::to_string(&input).unwrap();
        let back: ServerFormInput = serde_qs::from_str(&typed).unwrap();
        assert_eq!(
            back, input,
            "a form survives the trip through a query string"
        );
        assert_eq!(form.timeout_seconds, 5);
        assert_eq!(ServerFormInput::from_form(&form).check(true), Ok(form));

        let errors = input.check(false).unwrap_err();
        assert!(errors.bind_password.is_some());
        let mut bad = input.clone();
        bad.url = "http://x".to_owned();
        bad.timeout_seconds = "0".to_owned();
        bad.login_attribute = "u id".to_owned();
        bad.membership = "telepathy".to_owned();
        let errors = bad.check(true).unwrap_err();
        assert!(errors.url.is_some() && errors.timeout_seconds.is_some());
        assert!(errors.attributes.is_some() && errors.membership.is_some());
        let mut tls_twice = input.clone();
        tls_twice.url = "ldaps://dc1:636".to_owned();
        tls_twice.starttls = true;
        assert!(
            tls_twice
                .check(true)
                .unwrap_err()
                .url
                .unwrap()
                .contains("StartTLS")
        );

        // Passwords cross the network only encrypted.
        let mut plain = input.clone();
        plain.url = "ldap://dc1.example.com:389".to_owned();
        assert!(
            plain
                .check(true)
                .unwrap_err()
                .url
                .unwrap()
                .contains("in clear")
        );
        plain.starttls = true;
        assert!(plain.check(true).is_ok());
        for local in [
            "ldap://localhost",
            "ldap://127.0.0.1:3389",
            "ldap://[::1]:389",
        ] {
            plain.url = local.to_owned();
            plain.starttls = false;
            assert!(plain.check(true).is_ok(), "{local}");
        }

        // A stored password stays only with the same server and account.
        let mut moved = input.clone();
        assert!(moved.keeps_password(&input));
        moved.url = "ldaps://elsewhere.example.net".to_owned();
        assert!(!moved.keeps_password(&input));
        let mut other_account = input.clone();
        other_account.bind_dn = "cn=admin,dc=example,dc=org".to_owned();
        assert!(!other_account.keeps_password(&input));
        let mut other_authority = input.clone();
        other_authority.ca_certificate = "-----BEGIN CERTIFICATE-----…".to_owned();
        assert!(!other_authority.keeps_password(&input));

        // Only a real loopback address may be plain.
        let mut plain = input.clone();
        for remote in [
            "ldap://127.0.0.1.nip.io",
            "ldap://127.0.0.1@dc.example.com:389",
            "ldap://localhost#@dc.example.com",
            "ldap://[::1]x.example.com",
        ] {
            plain.url = remote.to_owned();
            assert!(plain.check(true).is_err(), "{remote}");
        }
    }
}

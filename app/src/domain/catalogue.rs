//! Labels and what they bring to a device: policies, configurations, apps
//! and books. A device's labels follow from its facts (ownership,
//! platform) and are never stored; its effective set is the union of what
//! its labels bring, computed here and nowhere else.

use super::text::text_enum;
use crate::domain::text::TextEnum;
use crate::i18n::{Lang, en};
use serde::{Deserialize, Serialize};

use super::form::{checkbox, ticked};

use super::device::{Ownership, Platform};

/// A label, as items and settings name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum LabelKey {
    AllDevices,
    Ownership(OwnershipKey),
    Platform(PlatformKey),
    /// An administrator's label (its id).
    Custom(i32),
}

/// `Ownership` with an order, so label keys sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OwnershipKey {
    Company,
    Employee,
}

/// `Platform` by its position in `Platform::ALL`, so label keys sort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PlatformKey(u8);

impl From<Ownership> for OwnershipKey {
    fn from(o: Ownership) -> OwnershipKey {
        match o {
            Ownership::CompanyOwned => OwnershipKey::Company,
            Ownership::EmployeeOwned => OwnershipKey::Employee,
        }
    }
}

impl OwnershipKey {
    pub fn ownership(self) -> Ownership {
        match self {
            OwnershipKey::Company => Ownership::CompanyOwned,
            OwnershipKey::Employee => Ownership::EmployeeOwned,
        }
    }
}

impl From<Platform> for PlatformKey {
    fn from(p: Platform) -> PlatformKey {
        PlatformKey(Platform::ALL.iter().position(|q| *q == p).unwrap_or(0) as u8)
    }
}

impl PlatformKey {
    pub fn platform(self) -> Platform {
        Platform::ALL[usize::from(self.0) % Platform::ALL.len()]
    }
}

impl LabelKey {
    pub fn ownership(o: Ownership) -> LabelKey {
        LabelKey::Ownership(o.into())
    }

    pub fn platform(p: Platform) -> LabelKey {
        LabelKey::Platform(p.into())
    }

    pub fn as_string(self) -> String {
        match self {
            LabelKey::AllDevices => "all-devices".to_owned(),
            LabelKey::Ownership(o) => o.ownership().as_str().to_owned(),
            LabelKey::Platform(p) => format!("platform-{}", p.platform().as_str()),
            LabelKey::Custom(id) => format!("label-{id}"),
        }
    }

    pub fn parse(text: &str) -> Option<LabelKey> {
        let text = text.trim();
        if text == "all-devices" {
            return Some(LabelKey::AllDevices);
        }
        if let Some(o) = Ownership::parse(text) {
            return Some(LabelKey::ownership(o));
        }
        if let Some(p) = text.strip_prefix("platform-").and_then(Platform::parse) {
            return Some(LabelKey::platform(p));
        }
        text.strip_prefix("label-")
            .and_then(|id| id.parse::<i32>().ok())
            .filter(|id| *id > 0)
            .map(LabelKey::Custom)
    }
}

impl From<LabelKey> for String {
    fn from(key: LabelKey) -> String {
        key.as_string()
    }
}

impl TryFrom<String> for LabelKey {
    type Error = String;
    fn try_from(text: String) -> Result<LabelKey, String> {
        LabelKey::parse(&text).ok_or_else(|| format!("unknown label {text:?}"))
    }
}

/// Which devices a label applies to: an ownership (or either) and some
/// platforms (or any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRule {
    pub ownership: Option<Ownership>,
    pub platforms: Vec<Platform>,
}

/// The facts of a device that labels follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceTraits {
    pub ownership: Ownership,
    pub platform: Platform,
}

impl LabelRule {
    pub fn matches(&self, device: DeviceTraits) -> bool {
        self.ownership.is_none_or(|o| o == device.ownership)
            && (self.platforms.is_empty() || self.platforms.contains(&device.platform))
    }

    /// In plain words, for the labels list: "Company-owned iOS devices".
    pub fn describe(&self) -> String {
        let platforms = self
            .platforms
            .iter()
            .map(|p| p.label())
            .collect::<Vec<_>>()
            .join(", ");
        let values: &[(&str, &(dyn std::fmt::Display + Sync))] = &[("platforms", &platforms)];
        match (self.ownership, platforms.is_empty()) {
            (None, true) => en("Every device").to_owned(),
            (Some(Ownership::CompanyOwned), true) => en("Company-owned devices").to_owned(),
            (Some(Ownership::EmployeeOwned), true) => en("Employee-owned devices").to_owned(),
            (None, false) => Lang::En.trf("{platforms} devices", values),
            (Some(Ownership::CompanyOwned), false) => {
                Lang::En.trf("Company-owned {platforms} devices", values)
            }
            (Some(Ownership::EmployeeOwned), false) => {
                Lang::En.trf("Employee-owned {platforms} devices", values)
            }
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub key: LabelKey,
    pub name: String,
    pub rule: LabelRule,
    pub built_in: bool,
}

/// The labels every portal has: all devices, the two ownerships, and one
/// per platform.
pub fn built_in_labels() -> Vec<Label> {
    let mut labels = vec![Label {
        key: LabelKey::AllDevices,
        name: en("All devices").to_owned(),
        rule: LabelRule::default(),
        built_in: true,
    }];
    for (ownership, name) in [
        (Ownership::CompanyOwned, en("Company-Owned")),
        (Ownership::EmployeeOwned, en("Employee-Owned")),
    ] {
        labels.push(Label {
            key: LabelKey::ownership(ownership),
            name: name.to_owned(),
            rule: LabelRule {
                ownership: Some(ownership),
                platforms: Vec::new(),
            },
            built_in: true,
        });
    }
    for &platform in Platform::ALL {
        labels.push(Label {
            key: LabelKey::platform(platform),
            name: platform.label().to_owned(),
            rule: LabelRule {
                ownership: None,
                platforms: vec![platform],
            },
            built_in: true,
        });
    }
    labels
}

/// The labels a device has.
pub fn labels_of(device: DeviceTraits, labels: &[Label]) -> Vec<LabelKey> {
    labels
        .iter()
        .filter(|l| l.rule.matches(device))
        .map(|l| l.key)
        .collect()
}

/// An administrator's label as typed in its form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LabelInput {
    pub name: String,
    /// `company-owned`, `employee-owned`, or empty for either.
    pub ownership: String,
    #[serde(deserialize_with = "ticked")]
    pub platforms: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LabelErrors {
    pub name: Option<&'static str>,
    pub ownership: Option<&'static str>,
    pub platforms: Option<&'static str>,
}

impl LabelInput {
    pub fn check(&self) -> Result<(String, LabelRule), LabelErrors> {
        let mut errors = LabelErrors::default();
        let name = self.name.trim();
        errors.name = check_name(name);
        if built_in_labels()
            .iter()
            .any(|l| l.name.eq_ignore_ascii_case(name))
        {
            errors.name = Some(en(
                "A built-in label has this name: choose a different one.",
            ));
        }
        let ownership = match self.ownership.trim() {
            "" => None,
            text => {
                let parsed = Ownership::parse(text);
                if parsed.is_none() {
                    errors.ownership = Some(en("Choose company-owned, employee-owned or either."));
                }
                parsed
            }
        };
        let mut platforms = Vec::new();
        for text in &self.platforms {
            match Platform::parse(text) {
                Some(p) if !platforms.contains(&p) => platforms.push(p),
                Some(_) => {}
                None => errors.platforms = Some(en("Choose platforms from the list.")),
            }
        }
        if ownership.is_none() && platforms.is_empty() && errors.ownership.is_none() {
            errors.platforms = Some(en(
                "Choose an ownership or at least one platform: \"All devices\" exists already.",
            ));
        }
        if errors == LabelErrors::default() {
            Ok((
                name.to_owned(),
                LabelRule {
                    ownership,
                    platforms,
                },
            ))
        } else {
            Err(errors)
        }
    }
}

fn check_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some(en("Enter a name."))
    } else if name.chars().count() > 80 {
        Some(en("A name has at most 80 characters."))
    } else if name.chars().any(char::is_control) {
        Some(en(
            "A name cannot contain line breaks or control characters.",
        ))
    } else {
        None
    }
}

/// The four things a label can bring.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ItemKind {
    Policy,
    Configuration,
    App,
    Book,
}

impl ItemKind {
    pub const ALL: [ItemKind; 4] = [
        ItemKind::Policy,
        ItemKind::Configuration,
        ItemKind::App,
        ItemKind::Book,
    ];

    pub fn plural(self) -> &'static str {
        match self {
            ItemKind::Policy => en("Policies"),
            ItemKind::Configuration => en("Configurations"),
            ItemKind::App => en("Apps"),
            ItemKind::Book => en("Books"),
        }
    }
}

text_enum! {
    /// What exactly an item is.
    #[derive(PartialOrd, Ord)]
    #[serde(rename_all = "kebab-case")]
    pub enum ItemType {
        #[strum(serialize = "passcode")]
        PasscodePolicy,
        #[strum(serialize = "privacy")]
        PrivacyPolicy,
        #[strum(serialize = "restrictions")]
        RestrictionsPolicy,
        Wifi,
        Vpn,
        Email,
        /// A user-provided certificate setting (Admin → Certificates).
        Certificate,
        App,
        Book,
    }
}

impl ItemType {
    /// The types an administrator adds in Admin → Policies & apps
    /// (certificate settings have their own page).
    pub const EDITABLE: [ItemType; 8] = [
        ItemType::PasscodePolicy,
        ItemType::PrivacyPolicy,
        ItemType::RestrictionsPolicy,
        ItemType::Wifi,
        ItemType::Vpn,
        ItemType::Email,
        ItemType::App,
        ItemType::Book,
    ];

    pub fn kind(self) -> ItemKind {
        match self {
            ItemType::PasscodePolicy | ItemType::PrivacyPolicy | ItemType::RestrictionsPolicy => {
                ItemKind::Policy
            }
            ItemType::Wifi | ItemType::Vpn | ItemType::Email | ItemType::Certificate => {
                ItemKind::Configuration
            }
            ItemType::App => ItemKind::App,
            ItemType::Book => ItemKind::Book,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ItemType::PasscodePolicy => en("Passcode policy"),
            ItemType::PrivacyPolicy => en("Privacy policy"),
            ItemType::RestrictionsPolicy => en("Restrictions policy"),
            ItemType::Wifi => "Wi-Fi",
            ItemType::Vpn => "VPN",
            ItemType::Email => en("E-mail account"),
            ItemType::Certificate => en("Certificate"),
            ItemType::App => en("App"),
            ItemType::Book => en("Book"),
        }
    }

    /// What the details field holds, for its label and hint.
    pub fn detail_hint(self) -> &'static str {
        match self {
            ItemType::PasscodePolicy => {
                en("The rule, e.g. at least 6 digits, changed every 90 days")
            }
            ItemType::PrivacyPolicy => en("What the company may see, in plain words"),
            ItemType::RestrictionsPolicy => en("What is turned off, e.g. camera, screenshots"),
            ItemType::Wifi => {
                en("Network name (SSID) and security, e.g. Corp-WLAN, WPA2 Enterprise")
            }
            ItemType::Vpn => en("Server and type, e.g. vpn.example.com, IKEv2"),
            ItemType::Email => en("Mail server, e.g. outlook.office365.com"),
            ItemType::Certificate => en("The certificate setting"),
            ItemType::App => en("Store identifier or version, e.g. com.example.expenses"),
            ItemType::Book => en("Author or file, e.g. Employee handbook 2026 (PDF)"),
        }
    }
}

/// Where an item comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "source", content = "id")]
pub enum ItemId {
    /// Admin → Policies & apps.
    Catalogue(i32),
    /// Admin → Certificates.
    CertificateSetting(i32),
}

impl ItemId {
    pub fn as_string(self) -> String {
        match self {
            ItemId::Catalogue(id) => format!("item-{id}"),
            ItemId::CertificateSetting(id) => format!("certificate-{id}"),
        }
    }
}

/// A policy, configuration, app or book, and the labels it is assigned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub id: ItemId,
    pub item_type: ItemType,
    pub name: String,
    pub detail: String,
    /// A privacy policy that does not allow the company to locate the device.
    pub forbids_locate: bool,
    pub labels: Vec<LabelKey>,
}

impl Item {
    pub fn kind(&self) -> ItemKind {
        self.item_type.kind()
    }

    /// "Passcode policy “Company passcode”".
    pub fn describe(&self) -> String {
        Lang::En.trf(
            "{type} “{name}”",
            &[("type", &self.item_type.label()), ("name", &self.name)],
        )
    }
}

/// An item as typed in its form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemInput {
    pub item_type: String,
    pub name: String,
    pub detail: String,
    #[serde(deserialize_with = "checkbox")]
    pub forbids_locate: bool,
    #[serde(deserialize_with = "ticked")]
    pub labels: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ItemErrors {
    pub item_type: Option<&'static str>,
    pub name: Option<&'static str>,
    pub detail: Option<&'static str>,
    pub labels: Option<&'static str>,
}

/// A checked item, not saved yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemDraft {
    pub item_type: ItemType,
    pub name: String,
    pub detail: String,
    pub forbids_locate: bool,
    pub labels: Vec<LabelKey>,
}

impl ItemInput {
    pub fn check(&self) -> Result<ItemDraft, ItemErrors> {
        let mut errors = ItemErrors::default();
        let item_type = ItemType::parse(&self.item_type).filter(|t| *t != ItemType::Certificate);
        if item_type.is_none() {
            errors.item_type = Some(en("Choose what this is."));
        }
        let name = self.name.trim();
        errors.name = check_name(name);
        let detail = self.detail.trim();
        if detail.chars().count() > 300 {
            errors.detail = Some(en("The details have at most 300 characters."));
        } else if detail.chars().any(|c| c.is_control()) {
            errors.detail = Some(en(
                "The details cannot contain line breaks or control characters.",
            ));
        }
        let labels = match parse_labels(&self.labels) {
            Ok(labels) => labels,
            Err(message) => {
                errors.labels = Some(message);
                Vec::new()
            }
        };
        match item_type {
            Some(item_type) if errors == ItemErrors::default() => Ok(ItemDraft {
                item_type,
                name: name.to_owned(),
                detail: detail.to_owned(),
                forbids_locate: self.forbids_locate && item_type == ItemType::PrivacyPolicy,
                labels,
            }),
            _ => Err(errors),
        }
    }
}

/// Label keys as a form sends them: known ones, each once, in order.
pub fn parse_labels(texts: &[String]) -> Result<Vec<LabelKey>, &'static str> {
    let mut labels = Vec::new();
    for text in texts {
        let key = LabelKey::parse(text).ok_or(en("Choose labels from the list."))?;
        if !labels.contains(&key) {
            labels.push(key);
        }
    }
    labels.sort();
    Ok(labels)
}

/// What a device gets: every item assigned to one of its labels, policies
/// first, then configurations, apps and books, each by name.
pub fn effective_set(device: DeviceTraits, labels: &[Label], items: &[Item]) -> Vec<Item> {
    let mine = labels_of(device, labels);
    let mut set: Vec<Item> = items
        .iter()
        .filter(|item| item.labels.iter().any(|l| mine.contains(l)))
        .cloned()
        .collect();
    set.sort_by(|a, b| {
        (a.kind(), a.name.to_lowercase(), a.id).cmp(&(b.kind(), b.name.to_lowercase(), b.id))
    });
    set
}

/// The privacy policy in a set that forbids locating the device, if any.
pub fn locate_forbidden_by(set: &[Item]) -> Option<&Item> {
    set.iter()
        .find(|i| i.item_type == ItemType::PrivacyPolicy && i.forbids_locate)
}

/// What a change (of ownership) does to a device's set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Impact {
    pub gained: Vec<Item>,
    pub lost: Vec<Item>,
    /// A policy of one type that takes the place of another of the same
    /// type (before, after).
    pub replaced: Vec<(Item, Item)>,
    pub kept: Vec<Item>,
}

impl Impact {
    pub fn is_empty(&self) -> bool {
        self.gained.is_empty() && self.lost.is_empty() && self.replaced.is_empty()
    }
}

/// The difference between two sets; a lost and a gained policy of the same
/// type (one each) are one replaced policy.
pub fn impact(before: &[Item], after: &[Item]) -> Impact {
    let mut gained: Vec<Item> = after
        .iter()
        .filter(|i| !before.iter().any(|b| b.id == i.id))
        .cloned()
        .collect();
    let mut lost: Vec<Item> = before
        .iter()
        .filter(|i| !after.iter().any(|a| a.id == i.id))
        .cloned()
        .collect();
    let kept = after
        .iter()
        .filter(|i| before.iter().any(|b| b.id == i.id))
        .cloned()
        .collect();
    let mut replaced = Vec::new();
    for policy_type in [
        ItemType::PasscodePolicy,
        ItemType::PrivacyPolicy,
        ItemType::RestrictionsPolicy,
    ] {
        let of_type = |set: &[Item]| set.iter().filter(|i| i.item_type == policy_type).count();
        if of_type(&gained) == 1 && of_type(&lost) == 1 {
            let take = |set: &mut Vec<Item>| {
                let at = set.iter().position(|i| i.item_type == policy_type)?;
                Some(set.remove(at))
            };
            if let (Some(old), Some(new)) = (take(&mut lost), take(&mut gained)) {
                replaced.push((old, new));
            }
        }
    }
    Impact {
        gained,
        lost,
        replaced,
        kept,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(id: i32, item_type: ItemType, name: &str, labels: &[LabelKey]) -> Item {
        Item {
            id: ItemId::Catalogue(id),
            item_type,
            name: name.to_owned(),
            detail: String::new(),
            forbids_locate: false,
            labels: labels.to_vec(),
        }
    }

    const COMPANY: LabelKey = LabelKey::Ownership(OwnershipKey::Company);
    const EMPLOYEE: LabelKey = LabelKey::Ownership(OwnershipKey::Employee);

    fn device(ownership: Ownership, platform: Platform) -> DeviceTraits {
        DeviceTraits {
            ownership,
            platform,
        }
    }

    fn names(set: &[Item]) -> Vec<&str> {
        set.iter().map(|i| i.name.as_str()).collect()
    }

    #[test]
    fn label_keys_round_trip() {
        for label in built_in_labels() {
            assert_eq!(LabelKey::parse(&label.key.as_string()), Some(label.key));
        }
        assert_eq!(LabelKey::parse("label-12"), Some(LabelKey::Custom(12)));
        for bad in [
            "",
            "label-0",
            "label--1",
            "label-x",
            "platform-palm",
            "company",
        ] {
            assert_eq!(LabelKey::parse(bad), None, "{bad}");
        }
        // As serde writes and reads them.
        assert_eq!(String::from(COMPANY), "company-owned");
        assert_eq!(String::from(LabelKey::Custom(3)), "label-3");
        assert!(LabelKey::try_from("nonsense".to_owned()).is_err());
    }

    #[test]
    fn a_device_has_the_labels_its_facts_give() {
        let mut labels = built_in_labels();
        labels.push(Label {
            key: LabelKey::Custom(1),
            name: "Company iPhones".to_owned(),
            rule: LabelRule {
                ownership: Some(Ownership::CompanyOwned),
                platforms: vec![Platform::Ios],
            },
            built_in: false,
        });
        let company_iphone = labels_of(device(Ownership::CompanyOwned, Platform::Ios), &labels);
        assert_eq!(
            company_iphone,
            vec![
                LabelKey::AllDevices,
                COMPANY,
                LabelKey::platform(Platform::Ios),
                LabelKey::Custom(1)
            ]
        );
        let own_iphone = labels_of(device(Ownership::EmployeeOwned, Platform::Ios), &labels);
        assert_eq!(
            own_iphone,
            vec![
                LabelKey::AllDevices,
                EMPLOYEE,
                LabelKey::platform(Platform::Ios)
            ]
        );
    }

    #[test]
    fn the_effective_set_is_the_union_over_labels() {
        let labels = built_in_labels();
        let items = vec![
            item(1, ItemType::App, "Expenses", &[COMPANY]),
            item(2, ItemType::Book, "Handbook", &[LabelKey::AllDevices]),
            item(3, ItemType::Wifi, "Corp Wi-Fi", &[COMPANY, EMPLOYEE]),
            item(
                4,
                ItemType::PasscodePolicy,
                "Android passcode",
                &[LabelKey::platform(Platform::Android)],
            ),
            item(5, ItemType::App, "Unassigned", &[]),
        ];
        let set = effective_set(
            device(Ownership::CompanyOwned, Platform::Ios),
            &labels,
            &items,
        );
        // Once each, policies first, then configurations, apps, books.
        assert_eq!(names(&set), ["Corp Wi-Fi", "Expenses", "Handbook"]);
        let set = effective_set(
            device(Ownership::EmployeeOwned, Platform::Android),
            &labels,
            &items,
        );
        assert_eq!(names(&set), ["Android passcode", "Corp Wi-Fi", "Handbook"]);
    }

    #[test]
    fn the_impact_of_an_ownership_change() {
        let labels = built_in_labels();
        let items = vec![
            item(1, ItemType::PasscodePolicy, "Company passcode", &[COMPANY]),
            item(
                2,
                ItemType::PasscodePolicy,
                "Personal passcode",
                &[EMPLOYEE],
            ),
            item(3, ItemType::App, "Expenses", &[COMPANY]),
            item(4, ItemType::App, "Company Portal", &[LabelKey::AllDevices]),
            Item {
                forbids_locate: true,
                ..item(5, ItemType::PrivacyPolicy, "No location", &[EMPLOYEE])
            },
        ];
        let set = |o| effective_set(device(o, Platform::Ios), &labels, &items);
        let before = set(Ownership::CompanyOwned);
        let after = set(Ownership::EmployeeOwned);
        let change = impact(&before, &after);
        assert_eq!(names(&change.lost), ["Expenses"]);
        assert_eq!(names(&change.gained), ["No location"]);
        assert_eq!(change.replaced.len(), 1);
        assert_eq!(change.replaced[0].0.name, "Company passcode");
        assert_eq!(change.replaced[0].1.name, "Personal passcode");
        assert_eq!(names(&change.kept), ["Company Portal"]);
        assert!(!change.is_empty());
        assert!(impact(&before, &before).is_empty());
        // And back: the mirror image.
        let back = impact(&after, &before);
        assert_eq!(names(&back.gained), ["Expenses"]);
        assert_eq!(names(&back.lost), ["No location"]);
        assert_eq!(
            locate_forbidden_by(&after).map(|i| i.id),
            Some(ItemId::Catalogue(5))
        );
        assert_eq!(locate_forbidden_by(&before), None);
    }

    #[test]
    fn two_new_policies_of_one_type_are_not_a_replacement() {
        let before = vec![item(1, ItemType::PasscodePolicy, "A", &[])];
        let after = vec![
            item(2, ItemType::PasscodePolicy, "B", &[]),
            item(3, ItemType::PasscodePolicy, "C", &[]),
        ];
        let change = impact(&before, &after);
        assert!(change.replaced.is_empty());
        assert_eq!(names(&change.gained), ["B", "C"]);
        assert_eq!(names(&change.lost), ["A"]);
    }

    #[test]
    fn item_form_checks() {
        let input = ItemInput {
            item_type: "privacy".to_owned(),
            name: "  No location ".to_owned(),
            detail: "Location is never collected".to_owned(),
            forbids_locate: true,
            labels: vec!["employee-owned".to_owned(), "employee-owned".to_owned()],
        };
        let draft = input.check().unwrap();
        assert_eq!(draft.name, "No location");
        assert_eq!(draft.labels, vec![EMPLOYEE]);
        assert!(draft.forbids_locate);
        // Only a privacy policy can forbid locating.
        let app = ItemInput {
            item_type: "app".to_owned(),
            ..input.clone()
        };
        assert!(!app.check().unwrap().forbids_locate);
        let bad = ItemInput {
            item_type: "certificate".to_owned(),
            name: " ".to_owned(),
            detail: "x".repeat(301),
            forbids_locate: false,
            labels: vec!["label-x".to_owned()],
        };
        let errors = bad.check().unwrap_err();
        assert!(errors.item_type.is_some());
        assert!(errors.name.is_some());
        assert!(errors.detail.is_some());
        assert!(errors.labels.is_some());
    }

    #[test]
    fn label_form_checks() {
        let ok = LabelInput {
            name: "Company iPhones".to_owned(),
            ownership: "company-owned".to_owned(),
            platforms: vec!["ios".to_owned(), "ios".to_owned()],
        };
        let (name, rule) = ok.check().unwrap();
        assert_eq!(name, "Company iPhones");
        assert_eq!(rule.platforms, vec![Platform::Ios]);
        assert!(rule.matches(device(Ownership::CompanyOwned, Platform::Ios)));
        assert!(!rule.matches(device(Ownership::EmployeeOwned, Platform::Ios)));
        assert!(!rule.matches(device(Ownership::CompanyOwned, Platform::Android)));
        assert_eq!(rule.describe(), "Company-owned iOS devices");
        assert_eq!(LabelRule::default().describe(), "Every device");
        let everything = LabelInput {
            name: "Everything".to_owned(),
            ownership: String::new(),
            platforms: vec![],
        };
        assert!(everything.check().unwrap_err().platforms.is_some());
        let taken = LabelInput {
            name: "employee-owned".to_owned(),
            ..ok.clone()
        };
        assert!(taken.check().unwrap_err().name.is_some());
        let unknown = LabelInput {
            platforms: vec!["palm".to_owned()],
            ownership: "rented".to_owned(),
            ..ok
        };
        let errors = unknown.check().unwrap_err();
        assert!(errors.platforms.is_some() && errors.ownership.is_some());
    }
}

//! The languages of the portal: every word a person reads goes through
//! here.
//!
//! The English text in the code is the key: `t("Sign in")` is "Sign in" in
//! English and what `locales/de.toml` says in German. Text with values in it
//! names them: `tf("{count} devices", &[("count", &n)])`. A text that is only
//! known when the program runs (a domain rule's message) is translated by
//! [`Lang::tr_text`], which also matches it against the catalogue's
//! templates. A text a catalogue lacks is shown in English, and the test at
//! the end of this file fails, so a language is always complete.
//!
//! The catalogues are on the server only: pages are rendered there, and an
//! island gets its words as properties from the page around it.

use std::fmt::Display;

use crate::domain::text::{TextEnum, text_enum};

text_enum! {
    /// A language the portal speaks: its word is the language tag.
    #[derive(Default)]
    pub enum Lang {
        #[default]
        En,
        De,
    }
}

/// The cookie that keeps the language a person chose.
pub const LANG_COOKIE: &str = "ssp-lang";

impl Lang {
    /// The language's own name, as the language switch shows it.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::De => "Deutsch",
        }
    }

    /// The first language of an `Accept-Language` header the portal speaks
    /// (by quality, then order), or English.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut offered: Vec<(f32, usize, Lang)> = header
            .split(',')
            .enumerate()
            .filter_map(|(order, part)| {
                let mut pieces = part.split(';');
                let tag = pieces.next()?.trim().to_ascii_lowercase();
                let quality = pieces
                    .find_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let primary = tag.split('-').next()?.to_owned();
                let lang = Lang::parse(&primary)?;
                (quality > 0.0).then_some((quality, order, lang))
            })
            .collect();
        offered.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        offered.first().map(|o| o.2).unwrap_or_default()
    }

    /// A text of the code in this language.
    pub fn tr(self, english: &'static str) -> &'static str {
        catalogue::lookup(self, english).unwrap_or(english)
    }

    /// A text with values: each `{name}` in it is replaced by its value.
    pub fn trf(self, english: &'static str, values: &[(&str, &(dyn Display + Sync))]) -> String {
        fill(self.tr(english), |name, _| {
            values
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    /// A text only known when the program runs (a rule's message, an
    /// error's words): translated as it is, or by the catalogue's template
    /// it fits (`"Renamed by {who}"` fits "Renamed by Dana"), or left
    /// as it is.
    pub fn tr_text(self, english: &str) -> String {
        catalogue::translate(self, english).unwrap_or_else(|| english.to_owned())
    }

    /// A date in this language's usual form.
    pub fn date(self, date: chrono::NaiveDate) -> String {
        match self {
            Lang::En => date.format("%Y-%m-%d").to_string(),
            Lang::De => date.format("%d.%m.%Y").to_string(),
        }
    }

    /// A moment to the minute, in UTC, in this language's usual form.
    pub fn date_time(self, at: chrono::DateTime<chrono::Utc>) -> String {
        match self {
            Lang::En => at.format("%Y-%m-%d %H:%M UTC").to_string(),
            Lang::De => at.format("%d.%m.%Y, %H:%M UTC").to_string(),
        }
    }

    /// A moment to the second, in UTC, without the zone (for tables
    /// headed "UTC").
    pub fn date_time_seconds(self, at: chrono::DateTime<chrono::Utc>) -> String {
        match self {
            Lang::En => at.format("%Y-%m-%d %H:%M:%S").to_string(),
            Lang::De => at.format("%d.%m.%Y, %H:%M:%S").to_string(),
        }
    }

    /// A number with a fraction, with this language's decimal mark.
    pub fn decimal(self, value: f64, places: usize) -> String {
        let text = format!("{value:.places$}");
        match self {
            Lang::En => text,
            Lang::De => text.replace('.', ","),
        }
    }
}

/// The words an island shows, in the page's language, in the order the
/// island knows them by: the page that renders it translates them (the
/// browser has no catalogue, and no English either). One string (texts
/// separated by U+001E, a value's place as U+001A): a prop of this shape
/// costs the bundle nothing more to read than any other string.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Words(String);

/// Where one text of [`Words`] ends and the next begins.
const TEXT: u8 = 0x1e;
/// Where a value goes in a text of [`Words`].
const VALUE: u8 = 0x1a;

impl Words {
    /// `texts` (English), in this order, in the request's language.
    #[cfg(feature = "ssr")]
    pub fn of<'a>(texts: impl IntoIterator<Item = &'a str>) -> Words {
        let lang = lang();
        let texts: Vec<String> = texts
            .into_iter()
            .map(|english| {
                fill(&lang.tr_text(english), |_, _| {
                    Some(char::from(VALUE).to_string())
                })
            })
            .collect();
        Words(texts.join(&char::from(TEXT).to_string()))
    }

    /// The text at `index`. (Searched byte by byte: both marks are ASCII,
    /// and a loop weighs less in the bundle than a string iterator.)
    pub fn get(&self, index: usize) -> &str {
        let mut rest = self.0.as_str();
        for _ in 0..index {
            rest = cut(rest, TEXT).1;
        }
        cut(rest, TEXT).0
    }

    /// The text at `index` before and after its value.
    pub fn around(&self, index: usize) -> (&str, &str) {
        cut(self.get(index), VALUE)
    }
}

/// `text` before and after the first `mark` (all of it before, when none).
fn cut(text: &str, mark: u8) -> (&str, &str) {
    match text.bytes().position(|b| b == mark) {
        Some(at) => (&text[..at], &text[at + 1..]),
        None => (text, ""),
    }
}

/// Replaces each `{name}` (or `{}`, by position) in `template` with what
/// `value(name, position)` gives; a placeholder without a value stays.
fn fill(template: &str, value: impl Fn(&str, usize) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    let mut position = 0;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let name = &rest[start + 1..start + len];
        out.push_str(&rest[..start]);
        match value(name, position) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..=start + len]),
        }
        position += 1;
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The language of the request being answered (English outside one).
pub fn lang() -> Lang {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::with_context::<std::sync::Arc<crate::server::Caller>, _>(|c| c.lang)
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        Lang::En
    }
}

/// Marks an English text that is translated later, where it is shown
/// (with [`tt`] or [`Lang::tr_text`]): a rule's message, a notice. It gives
/// the text as it is; the mark tells the catalogue test it exists.
pub const fn en(english: &'static str) -> &'static str {
    english
}

/// A text of the code in the language of the request.
pub fn t(english: &'static str) -> &'static str {
    lang().tr(english)
}

/// A text with values in the language of the request.
pub fn tf(english: &'static str, values: &[(&str, &(dyn Display + Sync))]) -> String {
    lang().trf(english, values)
}

/// A label inside a sentence ("Cancel lock"), in the language of the
/// request: lower case in English; as it is in German, whose nouns keep
/// their capital.
pub fn in_sentence(label: &str) -> String {
    let text = tt(label);
    match lang() {
        Lang::En => text.to_lowercase(),
        Lang::De => text,
    }
}

/// A text only known when the program runs, in the language of the request.
pub fn tt(english: &str) -> String {
    lang().tr_text(english)
}

#[cfg(feature = "ssr")]
mod catalogue {
    use super::{Lang, TextEnum, fill};
    use std::collections::HashMap;
    use std::sync::LazyLock;

    /// A language's texts: by English text, and its templates (texts with
    /// placeholders), longest first, for [`translate`].
    pub(super) struct Catalogue {
        pub(super) texts: HashMap<String, String>,
        templates: Vec<(Vec<Piece>, String)>,
    }

    #[derive(Debug, PartialEq)]
    enum Piece {
        Text(String),
        Value(String),
    }

    pub(super) const SOURCES: &[(Lang, &str)] = &[(Lang::De, include_str!("../locales/de.toml"))];

    pub(super) fn parse(source: &str) -> Result<Catalogue, String> {
        let texts: HashMap<String, String> = toml::from_str(source).map_err(|e| e.to_string())?;
        let mut templates: Vec<(Vec<Piece>, String)> = texts
            .iter()
            .filter(|(english, _)| english.contains('{'))
            .map(|(english, translated)| (pieces(english), translated.clone()))
            .collect();
        templates.sort_by_key(|(pieces, _)| std::cmp::Reverse(literal_len(pieces)));
        Ok(Catalogue { texts, templates })
    }

    static CATALOGUES: LazyLock<Vec<(Lang, Catalogue)>> = LazyLock::new(|| {
        SOURCES
            .iter()
            .map(|(lang, source)| {
                let catalogue = parse(source).unwrap_or_else(|error| {
                    // The test below parses every catalogue: this cannot
                    // happen in a build that passed it.
                    tracing::error!(%error, lang = lang.as_str(), "cannot read a language's texts");
                    Catalogue {
                        texts: HashMap::new(),
                        templates: Vec::new(),
                    }
                });
                (*lang, catalogue)
            })
            .collect()
    });

    fn of(lang: Lang) -> Option<&'static Catalogue> {
        CATALOGUES.iter().find(|(l, _)| *l == lang).map(|(_, c)| c)
    }

    pub(super) fn lookup(lang: Lang, english: &str) -> Option<&'static str> {
        of(lang)?.texts.get(english).map(String::as_str)
    }

    pub(super) fn translate(lang: Lang, english: &str) -> Option<String> {
        of(lang)?.translate(english)
    }

    impl Catalogue {
        /// `english` translated as it is, or by the template it fits.
        fn translate(&self, english: &str) -> Option<String> {
            if let Some(text) = self.texts.get(english) {
                return Some(text.clone());
            }
            self.templates.iter().find_map(|(pieces, translated)| {
                // A value that is itself a text of the portal (a label:
                // "Lock" in "Lock requested by dana") is translated too.
                let values: Vec<(String, String)> = matches(pieces, english)?
                    .into_iter()
                    .map(|(name, value)| {
                        let value = self.texts.get(&value).cloned().unwrap_or(value);
                        (name, value)
                    })
                    .collect();
                Some(fill(translated, |name, position| {
                    values
                        .iter()
                        .find(|(n, _)| !name.is_empty() && n == name)
                        .or_else(|| name.is_empty().then(|| values.get(position)).flatten())
                        .map(|(_, v)| v.clone())
                }))
            })
        }
    }

    fn pieces(template: &str) -> Vec<Piece> {
        let mut out = Vec::new();
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            if start > 0 {
                out.push(Piece::Text(rest[..start].to_owned()));
            }
            out.push(Piece::Value(rest[start + 1..start + len].to_owned()));
            rest = &rest[start + len + 1..];
        }
        if !rest.is_empty() {
            out.push(Piece::Text(rest.to_owned()));
        }
        out
    }

    fn literal_len(pieces: &[Piece]) -> usize {
        pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => t.len(),
                Piece::Value(_) => 0,
            })
            .sum()
    }

    /// The values a text gives a template's placeholders, if it fits it
    /// (each value is at least one character; the first fit wins).
    fn matches(pieces: &[Piece], text: &str) -> Option<Vec<(String, String)>> {
        match pieces.split_first() {
            None => text.is_empty().then(Vec::new),
            Some((Piece::Text(literal), rest)) => {
                matches(rest, text.strip_prefix(literal.as_str())?)
            }
            Some((Piece::Value(name), rest)) => {
                let ends: Vec<usize> = match rest.first() {
                    None => (!text.is_empty())
                        .then_some(text.len())
                        .into_iter()
                        .collect(),
                    Some(Piece::Text(next)) => text
                        .match_indices(next.as_str())
                        .map(|(i, _)| i)
                        .filter(|i| *i > 0)
                        .collect(),
                    Some(Piece::Value(_)) => text.char_indices().map(|(i, _)| i).skip(1).collect(),
                };
                ends.into_iter().find_map(|end| {
                    let mut values = matches(rest, &text[end..])?;
                    values.insert(0, (name.clone(), text[..end].to_owned()));
                    Some(values)
                })
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn a_template_gives_its_values_to_the_translation() {
            let catalogue = parse(
                r#"
"Renamed by {who}" = "Umbenannt von {who}"
"{count} of {total} devices" = "{count} von {total} Geräten"
"You do not have the {} role needed for this." = "Ihnen fehlt dafür die Rolle {}."
"Wipe" = "Gerät löschen"
"#,
            )
            .unwrap();
            let find = |text: &str| catalogue.translate(text);
            assert_eq!(
                find("Renamed by Dana Example").as_deref(),
                Some("Umbenannt von Dana Example")
            );
            assert_eq!(find("2 of 3 devices").as_deref(), Some("2 von 3 Geräten"));
            assert_eq!(
                find("You do not have the Wipe role needed for this.").as_deref(),
                Some("Ihnen fehlt dafür die Rolle Gerät löschen.")
            );
            assert_eq!(find("Renamed"), None);
            assert_eq!(find("Renamed by "), None);
        }
    }
}

#[cfg(not(feature = "ssr"))]
mod catalogue {
    use super::Lang;

    pub(super) fn lookup(_: Lang, _: &str) -> Option<&'static str> {
        None
    }

    pub(super) fn translate(_: Lang, _: &str) -> Option<String> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_browser_language_is_followed_when_the_portal_speaks_it() {
        assert_eq!(
            Lang::from_accept_language("de-DE,de;q=0.9,en;q=0.8"),
            Lang::De
        );
        assert_eq!(
            Lang::from_accept_language("fr-FR, de;q=0.5, en;q=0.7"),
            Lang::En
        );
        assert_eq!(Lang::from_accept_language("fr, nl"), Lang::En);
        assert_eq!(Lang::from_accept_language("de;q=0, en"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    #[test]
    fn values_fill_their_places() {
        assert_eq!(
            Lang::En.trf("{count} of {total}", &[("count", &2), ("total", &"3")]),
            "2 of 3"
        );
        assert_eq!(Lang::De.decimal(12.5, 1), "12,5");
    }
}

/// Every text the code gives the catalogues, and the catalogues
/// themselves, checked against each other: a text missing in a language, a
/// translation no longer used, or a placeholder lost in translation fails.
#[cfg(all(test, feature = "ssr"))]
#[allow(clippy::unwrap_used)]
mod completeness {
    use super::*;
    use std::collections::BTreeSet;
    use std::path::Path;

    /// The texts of the code: the first string of each call of `t`, `tf`,
    /// `tr`, `trf`, `en` and each `#[error("…")]`.
    fn texts_of_the_code() -> BTreeSet<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut texts = BTreeSet::new();
        for dir in ["app/src", "server/src"] {
            visit(&root.join(dir), &mut texts);
        }
        texts
    }

    fn visit(dir: &Path, texts: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                visit(&path, texts);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("i18n.rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                collect(&source, texts);
            }
        }
    }

    /// The literal right after each marker, with Rust's escapes undone.
    fn collect(source: &str, texts: &mut BTreeSet<String>) {
        for marker in ["t(", "tf(", "tr(", "trf(", "en(", "#[error("] {
            for (at, _) in source.match_indices(marker) {
                let before = source[..at].chars().last();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                // The literal may be on the next line (as rustfmt puts it).
                let Some(rest) = source[at + marker.len()..].trim_start().strip_prefix('"') else {
                    continue;
                };
                let text = literal(rest);
                // An error that starts in lower case is for the log and
                // the operator, in English; people read sentences.
                if marker.starts_with('#')
                    && !text
                        .as_deref()
                        .and_then(|t| t.chars().next())
                        .is_some_and(char::is_uppercase)
                {
                    continue;
                }
                // A text that is only values (`"{0}"`) has nothing to translate.
                if let Some(text) = text.filter(|t| {
                    let mut rest = t.as_str();
                    let mut outside = String::new();
                    while let (Some(a), Some(b)) = (rest.find('{'), rest.find('}')) {
                        if b < a {
                            break;
                        }
                        outside.push_str(&rest[..a]);
                        rest = &rest[b + 1..];
                    }
                    outside.push_str(rest);
                    !outside.trim().is_empty()
                }) {
                    texts.insert(text);
                }
            }
        }
    }

    fn literal(rest: &str) -> Option<String> {
        let mut out = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    '"' => out.push('"'),
                    '\\' => out.push('\\'),
                    '\'' => out.push('\''),
                    '\n' => {
                        // A continued line: its leading spaces are not text.
                        let skipped: String =
                            chars.clone().take_while(|c| c.is_whitespace()).collect();
                        for _ in 0..skipped.chars().count() {
                            chars.next();
                        }
                    }
                    other => {
                        out.push('\\');
                        out.push(other)
                    }
                },
                c => out.push(c),
            }
        }
        None
    }

    fn placeholders(text: &str) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                break;
            };
            names.insert(rest[start + 1..start + len].to_owned());
            rest = &rest[start + len + 1..];
        }
        names
    }

    #[test]
    fn every_language_has_every_text_and_no_other() {
        let code = texts_of_the_code();
        assert!(code.len() > 10, "the texts of the code were not found");
        for (lang, source) in catalogue::SOURCES {
            let catalogue = catalogue::parse(source)
                .unwrap_or_else(|e| panic!("locales/{}.toml: {e}", lang.as_str()));
            let missing: Vec<&String> = code
                .iter()
                .filter(|t| !catalogue.texts.contains_key(*t))
                .collect();
            assert!(
                missing.is_empty(),
                "locales/{}.toml lacks {} texts:\n{}",
                lang.as_str(),
                missing.len(),
                missing
                    .iter()
                    .map(|t| format!("{t:?} = \"\""))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            let unused: Vec<&String> = catalogue
                .texts
                .keys()
                .filter(|k| !code.contains(*k))
                .collect();
            assert!(
                unused.is_empty(),
                "locales/{}.toml has texts the code no longer uses: {unused:?}",
                lang.as_str()
            );
            for (english, translated) in &catalogue.texts {
                assert_eq!(
                    placeholders(english),
                    placeholders(translated),
                    "locales/{}.toml: the placeholders of {english:?} differ",
                    lang.as_str()
                );
                assert!(
                    !translated.trim().is_empty(),
                    "locales/{}.toml: {english:?} is empty",
                    lang.as_str()
                );
            }
        }
    }
}

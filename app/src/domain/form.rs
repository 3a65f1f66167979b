//! How an HTML form's fields read into a domain value, so that a server
//! function takes one form value (`#[server(flatten)]`) instead of a
//! parameter per field.
//!
//! A checkbox is sent only when ticked (`name=on`); a group of ticked boxes
//! as `name[key]=on`. Both read from JSON (a bool, a list) as well, for the
//! same values sent by a program.

use serde::Deserializer;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// A checkbox: ticked when sent with any value but `false` (with
/// `#[serde(default)]`, unticked when absent).
pub fn checkbox<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    struct Checkbox;

    impl<'de> Visitor<'de> for Checkbox {
        type Value = bool;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a checkbox")
        }

        fn visit_bool<E: de::Error>(self, ticked: bool) -> Result<bool, E> {
            Ok(ticked)
        }

        fn visit_str<E: de::Error>(self, value: &str) -> Result<bool, E> {
            Ok(value != "false")
        }

        fn visit_unit<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }

        fn visit_none<E: de::Error>(self) -> Result<bool, E> {
            Ok(false)
        }

        fn visit_some<D: Deserializer<'de>>(self, inner: D) -> Result<bool, D::Error> {
            inner.deserialize_any(Checkbox)
        }
    }

    deserializer.deserialize_any(Checkbox)
}

/// A group of checkboxes named `name[key]`: the keys ticked, in order.
pub fn ticked<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    struct Ticked;

    impl<'de> Visitor<'de> for Ticked {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("ticked checkboxes")
        }

        fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Vec<String>, M::Error> {
            let mut keys = Vec::new();
            while let Some((key, value)) = map.next_entry::<String, String>()? {
                if value != "false" {
                    keys.push(key);
                }
            }
            keys.sort();
            Ok(keys)
        }

        fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Vec<String>, S::Error> {
            let mut keys = Vec::new();
            while let Some(key) = seq.next_element::<String>()? {
                keys.push(key);
            }
            Ok(keys)
        }

        fn visit_str<E: de::Error>(self, _: &str) -> Result<Vec<String>, E> {
            // `name=` with nothing ticked.
            Ok(Vec::new())
        }

        fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
            Ok(Vec::new())
        }
    }

    deserializer.deserialize_any(Ticked)
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    #[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
    #[serde(default)]
    struct Form {
        name: String,
        #[serde(deserialize_with = "super::checkbox")]
        enabled: bool,
        #[serde(deserialize_with = "super::ticked")]
        labels: Vec<String>,
    }

    fn read(text: &str) -> Form {
        serde_qs::Config::new(5, false)
            .deserialize_str(text)
            .unwrap_or_else(|e| Form {
                name: e.to_string(),
                ..Form::default()
            })
    }

    #[test]
    fn a_posted_form_reads_as_the_browser_sent_it() {
        assert_eq!(
            read("name=a&enabled=on&labels%5Bwifi%5D=on&labels%5Bapp%5D=on&csrf_token=x"),
            Form {
                name: "a".to_owned(),
                enabled: true,
                labels: vec!["app".to_owned(), "wifi".to_owned()],
            }
        );
        assert_eq!(
            read("name=b"),
            Form {
                name: "b".to_owned(),
                ..Form::default()
            }
        );
    }

    #[test]
    fn what_was_typed_survives_the_trip_through_an_address() {
        let typed = Form {
            name: "x & y".to_owned(),
            enabled: false,
            labels: vec!["platform-ios".to_owned(), "label-3".to_owned()],
        };
        let text = serde_qs::to_string(&typed).unwrap_or_default();
        assert_eq!(read(&text), typed);
        let ticked = Form {
            enabled: true,
            ..Form::default()
        };
        assert_eq!(
            read(&serde_qs::to_string(&ticked).unwrap_or_default()),
            ticked
        );
    }
}

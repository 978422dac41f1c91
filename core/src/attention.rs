//! What still needs the user after a sync: the last sync's discovery as stored (its
//! compose file, which services it found, which variables it uses) against the
//! configuration *now*. Computed on every read, so an item disappears as soon as the
//! user resolves it (gives the variable a value, deletes it, repoints the reference).
//!
//! The variable flags are the Environment editor's own ([`row_flags`]): the panel and
//! the editor never disagree.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::Topology;
use crate::env::EnvName;
use crate::variables::{row_flags, RowFlag, SavedRow, SavedValue};

/// A service as the configuration holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfiguredService {
    pub name: String,
    /// The last sync's compose file no longer has it (its settings are kept).
    pub missing: bool,
}

/// What [`attention`] reads.
#[derive(Debug, Clone, Copy)]
pub struct AttentionInput<'a> {
    /// The project was synced at least once.
    pub synced: bool,
    /// The compose file the last sync found.
    pub compose_file: Option<&'a str>,
    pub services: &'a [ConfiguredService],
    /// The variables now, each with whether the last sync found it unused.
    pub variables: &'a [SavedRow],
    /// The project's domains and resources now (what references point at).
    pub topology: &'a Topology,
}

/// One thing that needs the user.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Attention {
    /// The last sync found no compose file in the repository.
    NoComposeFile,
    /// The repository uses the variable and it has no value.
    NoValue(EnvName),
    /// A configured variable the repository no longer uses.
    Unused(EnvName),
    /// A reference whose domain or resource was deleted: it blocks Deploy.
    Dangling(EnvName),
    /// A configured service the compose file no longer has.
    MissingService(String),
}

impl Attention {
    /// The project tab where the user resolves it (a path below `/projects/<id>`).
    pub fn tab(&self) -> &'static str {
        match self {
            Self::NoComposeFile => "",
            Self::NoValue(_) | Self::Unused(_) | Self::Dangling(_) => "/environment",
            Self::MissingService(_) => "/services",
        }
    }
}

/// The one place these items become words.
impl fmt::Display for Attention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoComposeFile => f.write_str("The repository has no compose file: there is nothing to deploy"),
            Self::NoValue(name) => write!(f, "{name} is used by the repository but has no value"),
            Self::Unused(name) => write!(f, "{name} is configured but the repository no longer uses it"),
            Self::Dangling(name) => write!(f, "{name} refers to a domain or resource that was deleted"),
            Self::MissingService(name) => write!(f, "Service {name} is configured but no longer in the compose file"),
        }
    }
}

/// What the panel says when [`attention`] is empty.
pub const ALL_CONFIGURED: &str = "Everything the repository uses is configured";

/// Everything that still needs the user, in a stable order: the compose file, then
/// the variables in their saved order, then the services.
pub fn attention(input: &AttentionInput<'_>) -> Vec<Attention> {
    let mut items = Vec::new();
    if input.synced && input.compose_file.is_none() {
        items.push(Attention::NoComposeFile);
    }
    for row in input.variables {
        let (empty, reference) = match &row.value {
            SavedValue::Secret { empty } => (*empty, None),
            SavedValue::Reference { reference } => (false, Some(reference)),
        };
        for flag in row_flags(empty, reference, row.unused, input.topology) {
            items.push(match flag {
                RowFlag::NoValue => Attention::NoValue(row.name.clone()),
                RowFlag::Unused => Attention::Unused(row.name.clone()),
                RowFlag::Dangling => Attention::Dangling(row.name.clone()),
            });
        }
    }
    items.extend(input.services.iter().filter(|s| s.missing).map(|s| Attention::MissingService(s.name.clone())));
    items
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::{DomainEntry, Hostname};
    use crate::variables::Reference;

    fn name(s: &str) -> EnvName {
        EnvName::parse(s).unwrap()
    }

    fn plain(n: &str, empty: bool, unused: bool) -> SavedRow {
        SavedRow { name: name(n), value: SavedValue::Secret { empty }, unused }
    }

    fn topology() -> Topology {
        Topology { domains: vec![DomainEntry::new(1, Hostname::parse("example.com").unwrap())], resources: vec![] }
    }

    fn service(n: &str, missing: bool) -> ConfiguredService {
        ConfiguredService { name: n.into(), missing }
    }

    fn input<'a>(
        variables: &'a [SavedRow],
        services: &'a [ConfiguredService],
        topology: &'a Topology,
    ) -> AttentionInput<'a> {
        AttentionInput { synced: true, compose_file: Some("compose.yaml"), services, variables, topology }
    }

    #[test]
    fn lists_what_needs_the_user_in_order() {
        let t = topology();
        let variables = vec![
            plain("DATABASE_URL", true, false),
            plain("SET", false, false),
            plain("OLD", false, true),
            SavedRow {
                name: name("HOST"),
                value: SavedValue::Reference { reference: Reference::Domain { domain: 9 } },
                unused: false,
            },
            SavedRow {
                name: name("FINE"),
                value: SavedValue::Reference { reference: Reference::Domain { domain: 1 } },
                unused: false,
            },
        ];
        let services = vec![service("web", false), service("worker", true)];
        assert_eq!(
            attention(&input(&variables, &services, &t)),
            vec![
                Attention::NoValue(name("DATABASE_URL")),
                Attention::Unused(name("OLD")),
                Attention::Dangling(name("HOST")),
                Attention::MissingService("worker".into()),
            ]
        );
    }

    #[test]
    fn an_item_disappears_once_resolved() {
        let t = topology();
        let services = vec![service("web", false)];
        let before = vec![plain("DATABASE_URL", true, false), plain("OLD", false, true)];
        assert_eq!(attention(&input(&before, &services, &t)).len(), 2);
        // A value saved, the unused one deleted.
        let after = vec![plain("DATABASE_URL", false, false)];
        assert_eq!(attention(&input(&after, &services, &t)), vec![]);
        // A dangling reference repointed at a domain that exists.
        let mut row = SavedRow {
            name: name("HOST"),
            value: SavedValue::Reference { reference: Reference::Domain { domain: 9 } },
            unused: false,
        };
        assert_eq!(
            attention(&input(std::slice::from_ref(&row), &services, &t)),
            vec![Attention::Dangling(name("HOST"))]
        );
        row.value = SavedValue::Reference { reference: Reference::Domain { domain: 1 } };
        assert!(attention(&input(std::slice::from_ref(&row), &services, &t)).is_empty());
    }

    #[test]
    fn an_unused_empty_variable_is_unused_not_missing_a_value() {
        let t = topology();
        let variables = vec![plain("GONE", true, true)];
        assert_eq!(attention(&input(&variables, &[], &t)), vec![Attention::Unused(name("GONE"))]);
    }

    #[test]
    fn no_compose_file_only_after_a_sync() {
        let t = topology();
        let found = AttentionInput { compose_file: None, ..input(&[], &[], &t) };
        assert_eq!(attention(&found), vec![Attention::NoComposeFile]);
        assert!(attention(&AttentionInput { synced: false, ..found }).is_empty());
    }

    #[test]
    fn words_and_wire_form() {
        let item = Attention::NoValue(name("DATABASE_URL"));
        assert_eq!(item.to_string(), "DATABASE_URL is used by the repository but has no value");
        assert_eq!(item.tab(), "/environment");
        assert_eq!(Attention::MissingService("worker".into()).tab(), "/services");
        let json = serde_json::to_value(&item).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "no_value", "name": "DATABASE_URL"}));
        assert_eq!(serde_json::from_value::<Attention>(json).unwrap(), item);
        let none = serde_json::to_value(Attention::NoComposeFile).unwrap();
        assert_eq!(serde_json::from_value::<Attention>(none).unwrap(), Attention::NoComposeFile);
    }
}

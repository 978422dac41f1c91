//! Reading a compose file's services and the variables its values interpolate.

use std::collections::BTreeSet;

use yaml_rust2::Yaml;

use super::{interpolated_names, load_bounded, ComposeError, ServiceName};
use crate::env::EnvName;

/// What NSM needs from a compose file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeFile {
    /// Keys under `services:`, in file order.
    pub services: Vec<ServiceName>,
    /// Names referenced by interpolation in any value (keys and comments are not
    /// interpolated by Compose, so they are not scanned).
    pub variables: BTreeSet<EnvName>,
}

/// Parses a compose file's text, within the bounds of [`super::limits`].
pub fn parse_compose(yaml: &str) -> Result<ComposeFile, ComposeError> {
    let docs = load_bounded(yaml)?;
    // Compose reads the first document of the file.
    let root = match docs.into_iter().next() {
        None | Some(Yaml::Null) => return Err(ComposeError::Empty),
        Some(Yaml::Hash(root)) => root,
        Some(_) => return Err(ComposeError::NotAMapping),
    };
    let services = match root.get(&Yaml::String("services".to_owned())) {
        None => return Err(ComposeError::MissingServices),
        Some(Yaml::Null) => Vec::new(),
        Some(Yaml::Hash(services)) => service_names(services)?,
        Some(_) => return Err(ComposeError::ServicesNotAMapping),
    };
    let mut variables = BTreeSet::new();
    for value in root.values() {
        collect_variables(value, &mut variables)?;
    }
    Ok(ComposeFile { services, variables })
}

/// The keys under `services:`, in file order.
pub fn parse_services(yaml: &str) -> Result<Vec<ServiceName>, ComposeError> {
    parse_compose(yaml).map(|file| file.services)
}

fn service_names(services: &yaml_rust2::yaml::Hash) -> Result<Vec<ServiceName>, ComposeError> {
    let mut names = Vec::new();
    for (key, value) in services {
        // `<<: *anchor` merges another mapping's services into this one.
        if key.as_str() == Some("<<") {
            let merged: Vec<&Yaml> = match value {
                Yaml::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for item in merged {
                match item {
                    Yaml::Hash(more) => names.extend(service_names(more)?),
                    _ => return Err(ComposeError::ServicesNotAMapping),
                }
            }
            continue;
        }
        let text = scalar_text(key).ok_or_else(|| ComposeError::InvalidServiceName {
            name: format!("{key:?}"),
            reason: crate::validation::FieldError::new("a service name must be a plain string"),
        })?;
        let name =
            ServiceName::parse(&text).map_err(|reason| ComposeError::InvalidServiceName { name: text, reason })?;
        names.push(name);
    }
    let mut seen = BTreeSet::new();
    names.retain(|name| seen.insert(name.clone()));
    Ok(names)
}

/// A scalar key as the text Compose would see (`1:` is the service `1`).
fn scalar_text(key: &Yaml) -> Option<String> {
    match key {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Recurses as deep as the document nests, which [`load_bounded`] has bounded.
fn collect_variables(value: &Yaml, into: &mut BTreeSet<EnvName>) -> Result<(), ComposeError> {
    match value {
        Yaml::String(s) => into.extend(interpolated_names(s).map_err(ComposeError::TooLarge)?),
        Yaml::Array(items) => items.iter().try_for_each(|item| collect_variables(item, into))?,
        Yaml::Hash(map) => map.values().try_for_each(|item| collect_variables(item, into))?,
        _ => {}
    }
    Ok(())
}

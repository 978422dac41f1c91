//! Variables added, changed or removed. Plain values are compared, never shown: both
//! sides of a changed plain value are the mask.

use std::collections::BTreeMap;

use super::{Change, VariableChange};
use crate::audit::describe_value;
use crate::domain::Topology;
use crate::variables::{Reference, Variable, VariableValue};

/// What a reference points at, as its side of the plan names it.
fn target_label(reference: &Reference, topology: &Topology) -> Option<String> {
    match *reference {
        Reference::WorkerNodeId | Reference::Volume => None,
        Reference::Domain { domain } => topology.domain(domain).map(|d| d.hostname.to_string()),
        Reference::Url { resource }
        | Reference::Path { resource }
        | Reference::Directory { resource }
        | Reference::Port { resource }
        | Reference::Target { resource } => topology.resource(resource).map(|_| topology.label(resource)),
    }
}

/// A value as the plan shows it: the mask for a plain value, kind → target otherwise.
pub(super) fn shown(value: &VariableValue, topology: &Topology) -> String {
    let label = match value {
        VariableValue::Plain(_) => None,
        VariableValue::Reference(reference) => target_label(reference, topology),
    };
    describe_value(value, label.as_deref())
}

/// Each name that differs, once, in name order.
pub(super) fn diff(
    before: &[Variable],
    before_topology: &Topology,
    after: &[Variable],
    after_topology: &Topology,
) -> Vec<VariableChange> {
    let old: BTreeMap<&str, &VariableValue> = before.iter().map(|v| (v.name.as_str(), &v.value)).collect();
    let new: BTreeMap<&str, &VariableValue> = after.iter().map(|v| (v.name.as_str(), &v.value)).collect();
    let mut names: Vec<&str> = old.keys().chain(new.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let was = old.get(name).map(|v| shown(v, before_topology));
            let will = new.get(name).map(|v| shown(v, after_topology));
            let change = match (old.get(name), new.get(name)) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Removed,
                // The same reference to a target that was renamed counts as changed too:
                // what it resolves to differs.
                (Some(a), Some(b)) if a == b && was == will => return None,
                (Some(_), Some(_)) => Change::Changed,
                (None, None) => return None,
            };
            Some(VariableChange { name: name.to_owned(), change, before: was, after: will })
        })
        .collect()
}

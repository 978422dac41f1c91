//! Services added, removed, or expected in another state.

use std::collections::BTreeMap;

use super::{Change, ServiceChange};
use crate::protocol::ServiceExpectation;
use crate::service::ServiceState;

pub(super) fn diff(before: &[ServiceExpectation], after: &[ServiceExpectation]) -> Vec<ServiceChange> {
    let old: BTreeMap<&str, ServiceState> = before.iter().map(|s| (s.service.as_str(), s.expected)).collect();
    let new: BTreeMap<&str, ServiceState> = after.iter().map(|s| (s.service.as_str(), s.expected)).collect();
    let mut names: Vec<&str> = old.keys().chain(new.keys()).copied().collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let (was, is) = (old.get(name).copied(), new.get(name).copied());
            let change = match (was, is) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Removed,
                (Some(a), Some(b)) if a != b => Change::Changed,
                _ => return None,
            };
            Some(ServiceChange { service: name.to_owned(), change, before: was, after: is })
        })
        .collect()
}

//! Domains and resources added, removed or changed. Domains are matched by hostname
//! and resources by hostname and path (ids change when something is re-created).

use std::collections::BTreeMap;

use super::{Change, DomainChange, ResourceChange};
use crate::domain::{ResourceConfig, Topology};

fn hsts(on: bool) -> &'static str {
    if on {
        "HSTS on"
    } else {
        "HSTS off"
    }
}

pub(super) fn domains(before: &Topology, after: &Topology) -> Vec<DomainChange> {
    let old: BTreeMap<&str, bool> = before.domains.iter().map(|d| (d.hostname.as_str(), d.hsts)).collect();
    let new: BTreeMap<&str, bool> = after.domains.iter().map(|d| (d.hostname.as_str(), d.hsts)).collect();
    let mut changes = Vec::new();
    for (hostname, was) in &old {
        match new.get(hostname) {
            None => {
                changes.push(DomainChange { hostname: (*hostname).to_owned(), change: Change::Removed, detail: None })
            }
            Some(is) if is != was => changes.push(DomainChange {
                hostname: (*hostname).to_owned(),
                change: Change::Changed,
                detail: Some(format!("{} → {}", hsts(*was), hsts(*is))),
            }),
            Some(_) => {}
        }
    }
    for hostname in new.keys().filter(|h| !old.contains_key(*h)) {
        changes.push(DomainChange { hostname: (*hostname).to_owned(), change: Change::Added, detail: None });
    }
    changes.sort_by(|a, b| a.hostname.cmp(&b.hostname));
    changes
}

/// A resource as the plan shows it: its type and options.
pub(super) fn describe(config: &ResourceConfig) -> String {
    let options = serde_json::to_value(&config.kind)
        .ok()
        .and_then(|value| {
            let mut object = value.as_object()?.clone();
            object.remove("type");
            (!object.is_empty()).then(|| serde_json::Value::Object(object).to_string())
        })
        .unwrap_or_default();
    let label = config.kind.resource_type().label();
    if options.is_empty() {
        label.to_owned()
    } else {
        format!("{label} {options}")
    }
}

/// Every resource keyed by (hostname, path as written, trailing slash ignored).
fn keyed(topology: &Topology) -> BTreeMap<(String, String), (String, &ResourceConfig)> {
    topology
        .resources
        .iter()
        .filter_map(|r| {
            let domain = topology.domain(r.domain_id)?;
            let path = r.path().to_string();
            let key = (domain.hostname.to_string(), path.trim_end_matches('/').to_owned());
            Some((key, (path, &r.config)))
        })
        .collect()
}

pub(super) fn resources(before: &Topology, after: &Topology) -> Vec<ResourceChange> {
    let old = keyed(before);
    let new = keyed(after);
    let mut changes = Vec::new();
    for (key, (path, config)) in &old {
        let change = |change, after: Option<String>| ResourceChange {
            hostname: key.0.clone(),
            path: path.clone(),
            change,
            before: Some(describe(config)),
            after,
        };
        match new.get(key) {
            None => changes.push(change(Change::Removed, None)),
            Some((_, now)) if now != config => changes.push(change(Change::Changed, Some(describe(now)))),
            Some(_) => {}
        }
    }
    for (key, (path, config)) in new.iter().filter(|(k, _)| !old.contains_key(*k)) {
        changes.push(ResourceChange {
            hostname: key.0.clone(),
            path: path.clone(),
            change: Change::Added,
            before: None,
            after: Some(describe(config)),
        });
    }
    changes.sort_by(|a, b| (&a.hostname, &a.path).cmp(&(&b.hostname, &b.path)));
    changes
}

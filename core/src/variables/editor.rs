//! The Environment tab's model: what the server sends, the rows as edited, the
//! reference menu, each row's flags, the live `.env` preview the browser renders while
//! the user types, and the batch of changes a save sends back.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::{check_reference, resolve, PortLeases, Reference, ResolveError, Variable, VariableValue, SECRET_MASK};
use crate::domain::{ResourceType, Topology};
use crate::env::{render_dotenv, ComposeDialect, EnvName};
use crate::protocol::JobValue;

/// What a port reference without a lease shows.
pub const PORT_UNASSIGNED: &str = "<assigned on first deploy>";

/// Everything the Environment tab loads: the saved variables (plain values never
/// included), the project's domains and resources, its ports' leases and worker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentView {
    pub rows: Vec<SavedRow>,
    pub topology: Topology,
    /// Leases of this project's API Services on its worker.
    pub leases: PortLeases,
    /// The project's worker (what `WorkerNodeId` resolves to).
    pub worker: String,
    pub can_edit: bool,
    /// The signed-in user may see plain values (and export them).
    pub can_reveal: bool,
}

/// A saved variable as the editor starts from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedRow {
    pub name: EnvName,
    pub value: SavedValue,
    /// The repository no longer uses this name (last sync).
    pub unused: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SavedValue {
    /// A plain value, never sent; only whether it is empty.
    Secret {
        empty: bool,
    },
    Reference {
        reference: Reference,
    },
}

/// What a row's value becomes in a save.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum NewValue {
    /// Keep the stored plain value (renaming, or nothing typed).
    Keep,
    Plain(String),
    Reference(Reference),
}

impl std::fmt::Debug for NewValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Keep => f.write_str("Keep"),
            Self::Plain(_) => f.write_str("Plain(********)"),
            Self::Reference(r) => f.debug_tuple("Reference").field(r).finish(),
        }
    }
}

/// One variable to write: `original` is its saved name when it existed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetVariable {
    pub original: Option<EnvName>,
    pub name: EnvName,
    pub value: NewValue,
}

/// Everything a save (Ctrl/Cmd+S) or an import sends: applied all together or not at all
/// (checked first by [`EnvironmentChanges::check`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentChanges {
    pub set: Vec<SetVariable>,
    pub delete: Vec<EnvName>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error("{0} is given twice")]
    Twice(EnvName),
    #[error("{0} does not exist")]
    NoSuchVariable(EnvName),
    #[error("{0} already exists")]
    Exists(EnvName),
    #[error("{0} is new: give it a value")]
    NoValue(EnvName),
    #[error("{0} is not a plain value: give it a value")]
    KeepReference(EnvName),
    #[error(transparent)]
    Reference(#[from] ResolveError),
}

impl ChangeError {
    /// The variable the error is about.
    pub fn variable(&self) -> &EnvName {
        match self {
            Self::Twice(n) | Self::NoSuchVariable(n) | Self::Exists(n) | Self::NoValue(n) | Self::KeepReference(n) => n,
            Self::Reference(e) => e.variable(),
        }
    }
}

impl EnvironmentChanges {
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.delete.is_empty()
    }

    /// Checks the changes against the saved variables (`saved`: name → is plain) and
    /// the topology: names unique afterwards, originals existing, new names free,
    /// `Keep` only for saved plain values, references pointing at what exists.
    pub fn check(&self, saved: &[(EnvName, bool)], topology: &Topology) -> Result<(), Vec<ChangeError>> {
        let mut errors = Vec::new();
        let exists = |n: &EnvName| saved.iter().any(|(s, _)| s == n);
        let mut touched = BTreeSet::new();
        for name in &self.delete {
            if !exists(name) {
                errors.push(ChangeError::NoSuchVariable(name.clone()));
            }
            if !touched.insert(name.clone()) {
                errors.push(ChangeError::Twice(name.clone()));
            }
        }
        // Names that remain after deletes and renames, before the new ones are added.
        let mut remaining: BTreeSet<EnvName> = saved.iter().map(|(n, _)| n.clone()).collect();
        for name in &self.delete {
            remaining.remove(name);
        }
        for set in &self.set {
            if let Some(original) = &set.original {
                if !exists(original) {
                    errors.push(ChangeError::NoSuchVariable(original.clone()));
                } else if original != &set.name && !touched.insert(original.clone()) {
                    errors.push(ChangeError::Twice(original.clone()));
                }
                remaining.remove(original);
            }
        }
        let mut written = BTreeSet::new();
        for set in &self.set {
            if !written.insert(set.name.clone()) {
                errors.push(ChangeError::Twice(set.name.clone()));
            } else if set.original.as_ref() != Some(&set.name) && remaining.contains(&set.name) {
                errors.push(ChangeError::Exists(set.name.clone()));
            }
            match &set.value {
                NewValue::Keep => match set.original.as_ref().and_then(|o| saved.iter().find(|(s, _)| s == o)) {
                    None => errors.push(ChangeError::NoValue(set.name.clone())),
                    Some((_, false)) => errors.push(ChangeError::KeepReference(set.name.clone())),
                    Some((_, true)) => {}
                },
                NewValue::Plain(_) => {}
                NewValue::Reference(reference) => {
                    if let Err(e) = check_reference(&set.name, reference, topology) {
                        errors.push(e.into());
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// A row's value in the preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviewValue {
    /// A plain value: `Some` shows it (revealed, or typed), `None` masks it.
    Plain(Option<String>),
    /// A plain value that is empty (nothing to mask).
    Empty,
    Reference(Reference),
    /// The row cannot be read as a variable (its form's error).
    Invalid(String),
}

/// One row of the editor, as the preview reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewRow {
    pub name: String,
    pub value: PreviewValue,
}

/// One line of the preview: the text the deployment writes for the row (secrets masked),
/// or why it cannot be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewLine {
    pub name: String,
    pub line: Result<String, String>,
    /// E.g. a port that is assigned on the first deployment.
    pub note: Option<String>,
}

/// What the editor renders the preview from, besides the rows.
#[derive(Debug, Clone, Copy)]
pub struct PreviewContext<'a> {
    pub topology: &'a Topology,
    pub leases: &'a PortLeases,
    pub worker: &'a str,
    pub dialect: ComposeDialect,
}

/// The `.env` the next deployment writes, line by line, rendered by the deploy's own
/// code ([`resolve`], [`render_dotenv`]): a port shows its lease (or
/// [`PORT_UNASSIGNED`]), the worker's id is known, a Static Page's directory and the
/// volume are worker paths shown as placeholders. A row that cannot be deployed gets its
/// error instead of a line; the others still render.
pub fn preview_lines(rows: &[PreviewRow], context: PreviewContext<'_>) -> Vec<PreviewLine> {
    let mut seen = BTreeSet::new();
    rows.iter()
        .map(|row| {
            let (line, note) = preview_row(row, &mut seen, context);
            PreviewLine { name: row.name.clone(), line, note }
        })
        .collect()
}

/// The whole preview as text: every line that renders (what [`preview_lines`] shows).
pub fn preview_text(lines: &[PreviewLine]) -> String {
    lines.iter().filter_map(|l| l.line.as_ref().ok()).map(String::as_str).collect()
}

fn preview_row(
    row: &PreviewRow,
    seen: &mut BTreeSet<EnvName>,
    context: PreviewContext<'_>,
) -> (Result<String, String>, Option<String>) {
    let name = match EnvName::parse(row.name.trim()) {
        Ok(name) => name,
        Err(e) => return (Err(e.to_string()), None),
    };
    if !seen.insert(name.clone()) {
        return (Err(ResolveError::DuplicateName { name }.to_string()), None);
    }
    let value = match &row.value {
        PreviewValue::Invalid(message) => return (Err(message.clone()), None),
        PreviewValue::Plain(_) | PreviewValue::Empty => VariableValue::Plain(String::new()),
        PreviewValue::Reference(reference) => VariableValue::Reference(*reference),
    };
    let variable = Variable { name: name.clone(), value };
    let resolution = match resolve(std::slice::from_ref(&variable), context.topology, context.leases) {
        Ok(resolution) => resolution,
        Err(errors) => return (Err(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")), None),
    };
    let Some(job) = resolution.variables.into_iter().next() else {
        return (Err("nothing to render".to_owned()), None);
    };
    let label = |key: &str| match super::parse_resource_key(key) {
        Some(id) => context.topology.label(id),
        None => key.to_owned(),
    };
    let mut note = None;
    let text = match job.value {
        JobValue::Text { secret: true, .. } => match &row.value {
            PreviewValue::Plain(Some(text)) => text.clone(),
            PreviewValue::Plain(None) => SECRET_MASK.to_owned(),
            _ => String::new(),
        },
        JobValue::Text { text, secret: false } => text,
        JobValue::Volume => "<volume directory>".to_owned(),
        JobValue::Directory { resource } => format!("<directory for {}>", label(&resource)),
        JobValue::Port { preferred: Some(port), .. } => port.to_string(),
        JobValue::Port { resource, preferred: None } => {
            note = Some(format!("the port of {} is assigned on the first deployment", label(&resource)));
            PORT_UNASSIGNED.to_owned()
        }
        JobValue::WorkerNodeId => context.worker.to_owned(),
    };
    (render_dotenv(&[(name, text)], context.dialect).map_err(|e| e.to_string()), note)
}

/// What is wrong or notable with a row, as the editor flags it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RowFlag {
    /// The repository uses this name and it has no value.
    NoValue,
    /// The repository no longer uses this name.
    Unused,
    /// The reference's domain or resource was deleted: blocks Deploy.
    Dangling,
}

impl RowFlag {
    pub fn label(self) -> &'static str {
        match self {
            Self::NoValue => "no value",
            Self::Unused => "unused",
            Self::Dangling => "target deleted",
        }
    }
}

/// The flags of a row: `empty` for a plain value with nothing in it, `reference` for a
/// reference row, `unused` as the last sync said.
pub fn row_flags(empty: bool, reference: Option<&Reference>, unused: bool, topology: &Topology) -> Vec<RowFlag> {
    let mut flags = Vec::new();
    if unused {
        flags.push(RowFlag::Unused);
    } else if empty && reference.is_none() {
        flags.push(RowFlag::NoValue);
    }
    if let Some(reference) = reference {
        if dangling(reference, topology) {
            flags.push(RowFlag::Dangling);
        }
    }
    flags
}

/// Whether the reference points at a domain or resource that no longer exists.
pub fn dangling(reference: &Reference, topology: &Topology) -> bool {
    let Some(id) = reference.target_id() else { return false };
    match reference {
        Reference::Domain { .. } => topology.domain(id).is_none(),
        _ => topology.resource(id).filter(|r| topology.domain(r.domain_id).is_some()).is_none(),
    }
}

/// One group of the reference menu: what its items point at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuGroup {
    pub label: String,
    pub items: Vec<(Reference, String)>,
}

/// The reference menu: General (worker id, volume), then each domain with its
/// resources, each offering the references its type allows.
pub fn reference_menu(topology: &Topology) -> Vec<MenuGroup> {
    let mut groups = vec![MenuGroup {
        label: "General".to_owned(),
        items: vec![
            (Reference::WorkerNodeId, "Worker node id".to_owned()),
            (Reference::Volume, "Volume path".to_owned()),
        ],
    }];
    for domain in &topology.domains {
        groups.push(MenuGroup {
            label: format!("Domain {}", domain.hostname),
            items: vec![(Reference::Domain { domain: domain.id }, format!("Hostname ({})", domain.hostname))],
        });
        for resource in topology.resources_on(domain.id) {
            let id = resource.id;
            let kind = resource.config.kind.resource_type();
            let mut items = Vec::new();
            match kind {
                ResourceType::Static => items.push((Reference::Directory { resource: id }, "Directory".to_owned())),
                ResourceType::Api => items.push((Reference::Port { resource: id }, "Port".to_owned())),
                ResourceType::Redirect => items.push((Reference::Target { resource: id }, "Target".to_owned())),
                ResourceType::Custom => {}
            }
            if !domain.hostname.is_wildcard() {
                items.push((Reference::Url { resource: id }, "URL".to_owned()));
            }
            items.push((Reference::Path { resource: id }, "Path".to_owned()));
            groups.push(MenuGroup { label: format!("{kind} {}{}", domain.hostname, resource.path()), items });
        }
    }
    groups
}

/// A reference as the menu's `<option value>`: `port:7`, `volume`.
pub fn menu_value(reference: &Reference) -> String {
    match reference.target_id() {
        Some(id) => format!("{}:{id}", reference.kind()),
        None => reference.kind().to_owned(),
    }
}

/// The reference a menu value names.
pub fn parse_menu_value(value: &str) -> Option<Reference> {
    let (kind, id) = match value.split_once(':') {
        Some((kind, id)) => (kind, id.parse::<i64>().ok()),
        None => (value, None),
    };
    super::VariableForm {
        name: "X".into(),
        kind: kind.into(),
        value: String::new(),
        target_id: id.map(|i| i.to_string()).unwrap_or_default(),
    }
    .validate()
    .ok()
    .and_then(|v| match v.value {
        VariableValue::Reference(r) => Some(r),
        VariableValue::Plain(_) => None,
    })
}

/// A reference in words: "Port of example.com/api (API Service)", "Worker node id".
pub fn describe_reference(reference: &Reference, topology: &Topology) -> String {
    let what = match reference {
        Reference::WorkerNodeId => return "Worker node id".to_owned(),
        Reference::Volume => return "Volume path".to_owned(),
        Reference::Domain { domain } => {
            return match topology.domain(*domain) {
                Some(d) => format!("Hostname of {}", d.hostname),
                None => format!("Hostname of domain #{domain} (deleted)"),
            }
        }
        Reference::Url { .. } => "URL",
        Reference::Path { .. } => "Path",
        Reference::Directory { .. } => "Directory",
        Reference::Port { .. } => "Port",
        Reference::Target { .. } => "Target",
    };
    let id = reference.target_id().unwrap_or_default();
    match topology.resource(id).filter(|r| topology.domain(r.domain_id).is_some()) {
        Some(r) => format!("{what} of {} ({})", topology.label(id), r.config.kind.resource_type()),
        None => format!("{what} of resource #{id} (deleted)"),
    }
}

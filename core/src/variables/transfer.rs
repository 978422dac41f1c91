//! Exporting the variables as a `.env` file and planning the import of one.
//!
//! An export is the Compose 2.x rendering ([`render_dotenv`] for
//! [`ComposeDialect::V2`]) of the plain values, so that [`parse_dotenv`] (and Compose)
//! reads back exactly what is stored. Secrets are written only when asked for; otherwise
//! each is a comment naming it (an empty value is written: it tells nothing). A reference
//! is a comment saying what it points at, since NSM resolves it at deploy time; importing
//! the file back therefore changes nothing.

use serde::{Deserialize, Serialize};

use super::editor::{describe_reference, EnvironmentChanges, NewValue, SetVariable};
use super::{Variable, VariableValue, SECRET_MASK};
use crate::domain::Topology;
use crate::env::{parse_dotenv, render_dotenv, ComposeDialect, EnvError, EnvName, ParseError, ParsedVariable};

/// The project's variables as a `.env` file; `with_secrets` writes plain values.
pub fn export_dotenv(
    project: &str,
    variables: &[Variable],
    topology: &Topology,
    with_secrets: bool,
) -> Result<String, EnvError> {
    let mut out = format!("# Variables of NSM project {project} (docker compose v2 .env)\n");
    if !with_secrets {
        out.push_str("# Secret values are not included.\n");
    }
    for variable in variables {
        match &variable.value {
            VariableValue::Plain(value) if with_secrets || value.is_empty() => {
                out.push_str(&render_dotenv(&[(variable.name.clone(), value.clone())], ComposeDialect::V2)?);
            }
            VariableValue::Plain(_) => out.push_str(&format!("# {}: secret, not exported\n", variable.name)),
            VariableValue::Reference(reference) => out.push_str(&format!(
                "# {}: {}, resolved at deploy time\n",
                variable.name,
                describe_reference(reference, topology).replace('\n', " ")
            )),
        }
    }
    Ok(out)
}

/// What importing one variable does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportChange {
    Added,
    Changed,
    Unchanged,
}

/// One variable of the file, against what is saved. Values are shown masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportEntry {
    pub name: EnvName,
    /// The file's line the variable starts on.
    pub line: usize,
    pub change: ImportChange,
    /// What is saved now, in words (`None` when added).
    pub before: Option<String>,
    pub after: String,
}

/// The difference a file makes; nothing is applied until [`ImportPlan::changes`] is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPlan {
    pub entries: Vec<ImportEntry>,
}

impl ImportPlan {
    pub fn count(&self, change: ImportChange) -> usize {
        self.entries.iter().filter(|e| e.change == change).count()
    }
}

fn shown(value: &str) -> String {
    if value.is_empty() {
        "(empty)".to_owned()
    } else {
        SECRET_MASK.to_owned()
    }
}

/// Parses `text` and compares it with the saved variables. Names not in the file are
/// left alone (an import adds and replaces, it never deletes).
pub fn plan_import(
    saved: &[Variable],
    text: &str,
    topology: &Topology,
) -> Result<(ImportPlan, Vec<ParsedVariable>), ParseError> {
    let parsed = parse_dotenv(text)?;
    let entries = parsed
        .iter()
        .map(|p| {
            let (change, before) = match saved.iter().find(|v| v.name == p.name).map(|v| &v.value) {
                None => (ImportChange::Added, None),
                Some(VariableValue::Plain(old)) if *old == p.value => (ImportChange::Unchanged, Some(shown(old))),
                Some(VariableValue::Plain(old)) => (ImportChange::Changed, Some(shown(old))),
                Some(VariableValue::Reference(r)) => (ImportChange::Changed, Some(describe_reference(r, topology))),
            };
            ImportEntry { name: p.name.clone(), line: p.line, change, before, after: shown(&p.value) }
        })
        .collect();
    Ok((ImportPlan { entries }, parsed))
}

/// The changes applying an import makes: every added or changed variable set to the
/// file's value.
pub fn import_changes(plan: &ImportPlan, parsed: &[ParsedVariable], saved: &[Variable]) -> EnvironmentChanges {
    let set = plan
        .entries
        .iter()
        .filter(|e| e.change != ImportChange::Unchanged)
        .filter_map(|e| {
            let value = parsed.iter().find(|p| p.name == e.name)?.value.clone();
            let original = saved.iter().any(|v| v.name == e.name).then(|| e.name.clone());
            Some(SetVariable { original, name: e.name.clone(), value: NewValue::Plain(value) })
        })
        .collect();
    EnvironmentChanges { set, delete: Vec::new() }
}

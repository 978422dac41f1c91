//! Environment variables as the Environment tab edits them, and their resolution
//! into a deploy job's variables (design §2, §3).
//!
//! A variable is a plain (secret) value or a typed [`Reference`] to the project's
//! worker, volume, a domain or a resource, by id. [`resolve`] turns the saved list into
//! [`JobVariable`](crate::protocol::JobVariable)s: what only the server knows (hostnames,
//! URLs, paths, redirect targets) is filled in now; what only the worker knows (ports,
//! directories, the volume, its id) travels as a request the worker completes. A broken
//! reference is an error naming its variable; it never becomes a value.

mod editor;
mod leases;
mod preview;
mod resolve;
mod transfer;
mod value;

pub use crate::domain::{parse_resource_key, resource_key};
pub use editor::{
    dangling, describe_reference, menu_value, parse_menu_value, preview_lines, preview_text, reference_menu, row_flags,
    ChangeError, EnvironmentChanges, EnvironmentView, MenuGroup, NewValue, PreviewContext, PreviewLine, PreviewRow,
    PreviewValue, RowFlag, SavedRow, SavedValue, SetVariable, PORT_UNASSIGNED,
};
pub use leases::{LeaseError, PortLeases};
pub use preview::{preview_dotenv, PreviewError, SECRET_MASK};
pub use resolve::{check_reference, resolve, PortRequest, Resolution, ResolveError};
pub use transfer::{export_dotenv, import_changes, plan_import, ImportChange, ImportEntry, ImportPlan};
pub use value::{check_plain_value, Reference, Variable, VariableForm, VariableValue, MAX_PLAIN_LEN, REFERENCE_KINDS};

#[cfg(test)]
mod tests;

//! Worker node identity.

use crate::validation::check_slug;

/// The embedded worker that `nsm-server` starts in-process.
pub const LOCAL_WORKER_ID: &str = "local";

crate::validated_string!(
    /// A worker node's id: the same slug rule as a project id.
    WorkerId,
    |v| check_slug(v, "Worker id")
);

impl WorkerId {
    pub fn local() -> Self {
        Self(LOCAL_WORKER_ID.to_owned())
    }
}

//! The project activity feed's vocabulary: where a CI/CD call came from and what
//! became of it.

crate::text_enum!(
    /// How a CI/CD call authenticated.
    pub enum ActivitySource {
        /// `Authorization: Bearer <deploy key>`.
        DeployKey = "deploy key",
        /// A GitHub delivery signed with `X-Hub-Signature-256`.
        Github = "github",
    }
);

crate::text_enum!(
    pub enum ActivityOutcome {
        /// A deployment was queued or joined.
        Accepted = "accepted",
        Refused = "refused",
        /// A signed delivery NSM does not act on (a push to another branch).
        Skipped = "skipped",
    }
);

//! A project's General configuration: identity, repository, worker, timeout, CI/CD.

use serde::{Deserialize, Serialize};

pub mod repo_token;

pub use repo_token::{RepoToken, RepoTokenStatus};

use crate::validation::{check_slug, is_control, FieldError, FieldErrors};
use crate::worker::WorkerId;

crate::validated_string!(
    /// The project's slug: `[a-z0-9][a-z0-9-]{0,39}`. Also names its compose project.
    ProjectId,
    |v| check_slug(v, "Project id")
);

crate::validated_string!(
    /// A repository owner (user or organisation) on the git host.
    RepoOwner,
    check_owner
);

crate::validated_string!(
    /// A repository name on the git host.
    RepoName,
    check_repo_name
);

crate::validated_string!(
    /// A branch name, following git's ref-name rules.
    Branch,
    check_branch
);

crate::validated_string!(
    /// A full git URL (`https://`, `http://`, `ssh://`, `git://`, `file://`, scp-like
    /// `user@host:path`) or an absolute local path.
    GitUrl,
    check_git_url
);

pub const DEFAULT_BRANCH: &str = "main";
pub const DEFAULT_TIMEOUT_SECS: u32 = 300;
pub const MIN_TIMEOUT_SECS: u32 = 10;
pub const MAX_TIMEOUT_SECS: u32 = 3600;

/// Seconds a deployment may take before it is stopped and marked `timed_out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeployTimeout(u32);

impl DeployTimeout {
    pub fn new(secs: u32) -> Result<Self, FieldError> {
        if (MIN_TIMEOUT_SECS..=MAX_TIMEOUT_SECS).contains(&secs) {
            Ok(Self(secs))
        } else {
            Err(FieldError::new(format!("Timeout must be between {MIN_TIMEOUT_SECS} and {MAX_TIMEOUT_SECS} seconds")))
        }
    }

    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let value = value.trim();
        if value.is_empty() {
            return Ok(Self::default());
        }
        let secs: u32 = value.parse().map_err(|_| FieldError::new("Timeout must be a whole number of seconds"))?;
        Self::new(secs)
    }

    pub fn secs(self) -> u32 {
        self.0
    }
}

impl Default for DeployTimeout {
    fn default() -> Self {
        Self(DEFAULT_TIMEOUT_SECS)
    }
}

impl TryFrom<u32> for DeployTimeout {
    type Error = FieldError;
    fn try_from(secs: u32) -> Result<Self, Self::Error> {
        Self::new(secs)
    }
}

impl From<DeployTimeout> for u32 {
    fn from(timeout: DeployTimeout) -> Self {
        timeout.0
    }
}

/// Where the project's code lives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Repository {
    /// `owner/name` on the configured git base URL (GitHub by default).
    Hosted { owner: RepoOwner, name: RepoName },
    /// Any git URL or local path.
    Url { url: GitUrl },
}

impl Repository {
    /// The URL to clone, given the configured git base URL (e.g. `https://github.com`).
    pub fn clone_url(&self, git_base_url: &str) -> String {
        match self {
            Repository::Hosted { owner, name } => {
                format!(
                    "{}/{}/{}.git",
                    git_base_url.trim_end_matches('/'),
                    owner,
                    name.as_str().trim_end_matches(".git")
                )
            }
            Repository::Url { url } => url.as_str().to_owned(),
        }
    }

    /// A short human label: `owner/name` or the URL.
    pub fn label(&self) -> String {
        match self {
            Repository::Hosted { owner, name } => format!("{owner}/{name}"),
            Repository::Url { url } => url.to_string(),
        }
    }
}

/// A validated General configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectConfig {
    pub id: ProjectId,
    pub repository: Repository,
    pub branch: Branch,
    pub worker: WorkerId,
    pub timeout: DeployTimeout,
    pub allow_ci_cd: bool,
}

/// The General form as typed: every field a string, exactly what a browser submits.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectForm {
    pub id: String,
    #[serde(default)]
    pub repo_owner: String,
    #[serde(default)]
    pub repo_name: String,
    #[serde(default)]
    pub repo_url: String,
    #[serde(default)]
    pub branch: String,
    #[serde(default)]
    pub worker: String,
    #[serde(default)]
    pub timeout_secs: String,
    /// Checkbox semantics: present (any value) means on.
    #[serde(default)]
    pub allow_ci_cd: Option<String>,
}

impl ProjectForm {
    /// Validates every field, collecting all errors so the form can show them at once.
    pub fn validate(&self) -> Result<ProjectConfig, FieldErrors> {
        let mut errors = FieldErrors::new();
        let id = errors.check("id", ProjectId::parse(self.id.trim()));
        let repository = self.repository(&mut errors);
        let branch_text = match self.branch.trim() {
            "" => DEFAULT_BRANCH,
            b => b,
        };
        let branch = errors.check("branch", Branch::parse(branch_text));
        let worker = match self.worker.trim() {
            "" => Some(WorkerId::local()),
            w => errors.check("worker", WorkerId::parse(w)),
        };
        let timeout = errors.check("timeout_secs", DeployTimeout::parse(&self.timeout_secs));
        match (id, repository, branch, worker, timeout) {
            (Some(id), Some(repository), Some(branch), Some(worker), Some(timeout)) if errors.is_empty() => {
                Ok(ProjectConfig { id, repository, branch, worker, timeout, allow_ci_cd: self.allow_ci_cd.is_some() })
            }
            _ => Err(errors),
        }
    }

    fn repository(&self, errors: &mut FieldErrors) -> Option<Repository> {
        let url = self.repo_url.trim();
        let owner = self.repo_owner.trim();
        let name = self.repo_name.trim();
        if !url.is_empty() {
            if !owner.is_empty() || !name.is_empty() {
                errors.add("repo_url", FieldError::new("Give either owner and name, or a git URL, not both"));
                return None;
            }
            return errors.check("repo_url", GitUrl::parse(url)).map(|url| Repository::Url { url });
        }
        let owner = errors.check("repo_owner", RepoOwner::parse(owner));
        let name = errors.check("repo_name", RepoName::parse(name));
        Some(Repository::Hosted { owner: owner?, name: name? })
    }

    /// The form pre-filled from a saved configuration (for editing).
    pub fn from_config(config: &ProjectConfig) -> Self {
        let (repo_owner, repo_name, repo_url) = match &config.repository {
            Repository::Hosted { owner, name } => (owner.to_string(), name.to_string(), String::new()),
            Repository::Url { url } => (String::new(), String::new(), url.to_string()),
        };
        Self {
            id: config.id.to_string(),
            repo_owner,
            repo_name,
            repo_url,
            branch: config.branch.to_string(),
            worker: config.worker.to_string(),
            timeout_secs: config.timeout.secs().to_string(),
            allow_ci_cd: config.allow_ci_cd.then(|| "on".to_owned()),
        }
    }
}

fn check_owner(value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new("Owner is required"));
    }
    if value.len() > 100 {
        return Err(FieldError::new("Owner must be at most 100 characters"));
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
        return Err(FieldError::new("Owner may contain only letters, digits, '-', '_' and '.'"));
    }
    if value.starts_with(['-', '.']) || value.ends_with(['-', '.']) {
        return Err(FieldError::new("Owner must start and end with a letter or a digit"));
    }
    Ok(())
}

fn check_repo_name(value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new("Repository name is required"));
    }
    if value.len() > 100 {
        return Err(FieldError::new("Repository name must be at most 100 characters"));
    }
    if value == "." || value == ".." {
        return Err(FieldError::new("Repository name cannot be '.' or '..'"));
    }
    if !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.') {
        return Err(FieldError::new("Repository name may contain only letters, digits, '-', '_' and '.'"));
    }
    Ok(())
}

/// git-check-ref-format's rules, applied to a branch name.
fn check_branch(value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new("Branch is required"));
    }
    if value.len() > 255 {
        return Err(FieldError::new("Branch must be at most 255 characters"));
    }
    if let Some(c) = value.chars().find(|c| is_control(*c) || c.is_whitespace() || " ~^:?*[\\".contains(*c)) {
        let shown = if c.is_control() || c.is_whitespace() {
            "spaces or control characters".to_owned()
        } else {
            format!("'{c}'")
        };
        return Err(FieldError::new(format!("Branch cannot contain {shown}")));
    }
    if value.starts_with(['-', '/']) || value.ends_with(['/', '.']) || value.ends_with(".lock") {
        return Err(FieldError::new("Branch cannot start with '-' or '/', or end with '/', '.' or '.lock'"));
    }
    if value.contains("..") || value.contains("@{") || value.contains("//") || value == "@" {
        return Err(FieldError::new("Branch cannot contain '..', '@{' or '//', or be '@'"));
    }
    if value.split('/').any(|part| part.starts_with('.')) {
        return Err(FieldError::new("No part of a branch name can start with '.'"));
    }
    Ok(())
}

fn check_git_url(value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new("Git URL is required"));
    }
    if value.len() > 2048 {
        return Err(FieldError::new("Git URL must be at most 2048 characters"));
    }
    if value.chars().any(|c| is_control(c) || c.is_whitespace()) {
        return Err(FieldError::new("Git URL cannot contain spaces or control characters"));
    }
    // A leading '-' could be read as an option by any tool the URL is handed to.
    if value.starts_with('-') {
        return Err(FieldError::new("Git URL cannot start with '-'"));
    }
    const SCHEMES: [&str; 5] = ["https://", "http://", "ssh://", "git://", "file://"];
    let with_scheme = SCHEMES.iter().find_map(|s| value.strip_prefix(s));
    match with_scheme {
        Some(rest) if rest.is_empty() || rest.starts_with('?') => Err(FieldError::new("Git URL has no host or path")),
        Some(rest) if has_credentials(value, rest) => Err(FieldError::new(
            "Git URL cannot carry a password or token (it would be stored and shown in clear): \
             put the token in the access token field, which is sealed",
        )),
        Some(_) => Ok(()),
        None if value.starts_with('/') => Ok(()),
        None if is_scp_like(value) => Ok(()),
        None => Err(FieldError::new(
            "Git URL must start with https://, http://, ssh://, git://, file:// or '/', or be user@host:path",
        )),
    }
}

/// Whether the authority of `rest` (the URL after its scheme) names a secret: any
/// user part over http(s) or git (a token as user name is still a token), a password
/// anywhere. `ssh://git@host` names a user, not a secret.
fn has_credentials(value: &str, rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let Some((userinfo, _host)) = authority.rsplit_once('@') else {
        return false;
    };
    userinfo.contains(':') || !value.starts_with("ssh://")
}

/// `git@github.com:owner/repo.git`
fn is_scp_like(value: &str) -> bool {
    match value.split_once(':') {
        Some((user_host, path)) => {
            let host = user_host.rsplit('@').next().unwrap_or_default();
            user_host.contains('@') && !host.is_empty() && !path.is_empty() && !host.contains('/')
        }
        None => false,
    }
}

#[cfg(test)]
mod tests;

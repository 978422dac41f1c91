//! What the UI and the REST API show: read models the server builds from its store and
//! the browser renders. Pure data with typed states, so the browser and the server
//! never compare words.

use serde::{Deserialize, Serialize};

use crate::activity::{ActivityOutcome, ActivitySource};
use crate::certificate::CertificateStatus;
use crate::deployment::{DeploymentId, DeploymentState, Trigger};
use crate::domain::{DomainId, ResourceId, ResourceType};
use crate::protocol::LogStream;
use crate::ProjectConfig;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectSummary {
    pub id: String,
    pub repository: String,
    pub branch: String,
    pub worker: String,
    pub allow_ci_cd: bool,
    pub updated_at: String,
    /// Its services against what is expected of them.
    #[serde(default)]
    pub health: crate::service::ServiceHealth,
    /// Its latest deployment's state.
    #[serde(default)]
    pub last_deployment: Option<DeploymentState>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectDetail {
    pub config: ProjectConfig,
    pub created_at: String,
    pub updated_at: String,
    /// Whether a repository access token is set (never the token).
    #[serde(default)]
    pub repo_token_set: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkerSummary {
    pub id: String,
    pub name: String,
    pub online: bool,
    pub version: Option<String>,
    pub last_seen: Option<String>,
    /// Where users point DNS for this node's projects (an admin's setting); for a
    /// fronted node, where its fronting node reaches it.
    pub public_address: Option<String>,
    /// The node whose edge fronts this one; `None`: it is public.
    #[serde(default)]
    pub fronted_by: Option<String>,
    /// Its edge can pass other nodes' TLS through (so it can front them).
    #[serde(default)]
    pub can_front: bool,
    /// What the node said of its edge: `managed, ports 8080/8443`; `None` before it
    /// first connected.
    pub edge: Option<String>,
}

/// A real certificate that ends soon, for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiringCertificate {
    pub project: String,
    pub hostname: String,
    pub certificate: CertificateView,
}

/// The control plane itself, for the dashboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ControlPlaneStatus {
    pub version: String,
    /// RFC 3339 UTC: when this server process started.
    pub started_at: String,
    pub uptime_secs: u64,
}

/// A worker token, shown once when a worker is added or its token rotated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub worker: String,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeploymentSummary {
    pub id: DeploymentId,
    pub state: DeploymentState,
    pub trigger: Trigger,
    pub triggered_by: Option<String>,
    pub commit: Option<String>,
    pub reason: Option<String>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub duration_secs: Option<i64>,
    /// A redeploy (rollback): the deployment whose commit and configuration it runs.
    #[serde(default)]
    pub redeploy_of: Option<DeploymentId>,
}

impl DeploymentSummary {
    pub fn is_terminal(&self) -> bool {
        self.state.is_terminal()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLineView {
    pub seq: i64,
    pub at: String,
    pub stream: LogStream,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentDetail {
    pub summary: DeploymentSummary,
    pub project: String,
    pub env_masked: Option<String>,
    pub compose_override: Option<String>,
    pub services: Vec<crate::protocol::ServiceResult>,
    pub log: Vec<LogLineView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceView {
    pub name: String,
    pub expected: crate::service::ServiceState,
    pub collect_logs: bool,
    pub missing: bool,
    /// What its containers do against what is expected, and why.
    pub assessment: crate::service::Assessment,
}

/// One service's verdict over the last 24 hours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTimeline {
    pub service: String,
    pub segments: Vec<crate::service::Segment<crate::service::Verdict>>,
}

/// A project's services' timelines over `[from, to)` (Unix milliseconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceTimelines {
    pub from: i64,
    pub to: i64,
    pub services: Vec<ServiceTimeline>,
}

/// What a sync with the repository found, and what changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncView {
    pub commit: String,
    pub compose_file: Option<String>,
    pub services: Vec<String>,
    pub variables: Vec<String>,
    /// Readable differences from the configuration saved before this sync: what this
    /// sync changed (history). What still needs the user now is
    /// [`ProjectStatus::attention`].
    pub changes: Vec<String>,
    /// Configured variables the repository no longer uses.
    pub unused: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectStatus {
    pub synced_commit: Option<String>,
    pub synced_at: Option<String>,
    pub compose_file: Option<String>,
    pub running: Option<DeploymentSummary>,
    pub last: Option<DeploymentSummary>,
    /// What still needs the user: the last sync's findings against the configuration
    /// now, computed on every read (resolved items are gone).
    #[serde(default)]
    pub attention: Vec<crate::attention::Attention>,
}

/// A variable as the Environment tab lists it; plain values stay masked until revealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VariableView {
    pub name: String,
    /// `plain` or a reference kind (`port`, `url`, …).
    pub kind: String,
    /// What the reference points at, in words; `None` for plain values.
    pub target: Option<String>,
    pub target_id: Option<i64>,
    /// A broken reference: shown on the row, and it blocks deploys.
    pub error: Option<String>,
    /// The repository no longer uses this name.
    pub unused: bool,
    /// Whether a plain value is empty (so the editor can say "not set").
    pub empty: bool,
}

crate::text_enum!(
    /// What a reference target is: a domain, or a resource of one type.
    pub enum TargetKind {
        Domain = "domain",
        Static = "static",
        Api = "api",
        Redirect = "redirect",
        Custom = "custom",
    }
);

impl TargetKind {
    pub fn of_resource(kind: ResourceType) -> Self {
        match kind {
            ResourceType::Static => Self::Static,
            ResourceType::Api => Self::Api,
            ResourceType::Redirect => Self::Redirect,
            ResourceType::Custom => Self::Custom,
        }
    }
}

/// Something a reference can point at, for the pick-list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceTarget {
    pub kind: TargetKind,
    pub id: i64,
    pub label: String,
}

/// The CI/CD panel: the switch, whether credentials exist, and recent webhook calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CiView {
    pub allow_ci_cd: bool,
    pub has_deploy_key: bool,
    pub has_webhook_secret: bool,
    pub activity: Vec<ActivityView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityView {
    pub at: String,
    pub source: ActivitySource,
    pub outcome: ActivityOutcome,
    pub detail: String,
    pub deployment: Option<DeploymentId>,
}

/// The Domains tab: a project's domains, each with its ordered resources and its
/// certificate, and what the edge does with them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainsView {
    pub domains: Vec<DomainView>,
    /// The signed-in user may write Custom resources (raw nginx configuration).
    pub can_custom: bool,
    /// The signed-in user may change domains and resources at all.
    pub can_edit: bool,
    /// The edge of the project's node (`off` also while that node never connected).
    pub edge: crate::edge::EdgeMode,
    /// Whether the node's nginx serves the project now (a deployment published it).
    pub published: bool,
    pub https_port: u16,
    /// The node that runs and serves the project.
    pub node: String,
    /// Where to point the domains' DNS: the public address of the node, or of its
    /// fronting node, when set.
    pub node_address: Option<String>,
    /// The node whose edge the domains are reached through, when the project's node
    /// is fronted (`https_port` and `node_address` are then that node's).
    #[serde(default)]
    pub fronted_by: Option<String>,
    /// What the project's nginx file is rendered from now; the browser renders the
    /// preview with the same code the server installs with.
    pub preview: Option<crate::edge::NginxInput>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainView {
    pub id: DomainId,
    pub hostname: String,
    pub resources: Vec<ResourceView>,
    pub certificate: CertificateView,
    /// HSTS is on: sent once the certificate is CA-issued (`crate::edge::policy`).
    pub hsts: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceView {
    pub id: ResourceId,
    pub path: String,
    pub kind: ResourceType,
    /// Its options in a few words.
    pub summary: String,
    /// The form pre-filled, for editing.
    pub form: crate::domain::ResourceForm,
}

/// A hostname's certificate as the edge has it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CertificateView {
    pub status: CertificateStatus,
    pub issuer: Option<String>,
    /// RFC 3339.
    pub not_after: Option<String>,
    pub last_error: Option<String>,
    pub last_attempt: Option<String>,
}

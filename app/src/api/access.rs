//! Who may call each server function: the one table the server's guard enforces
//! (an endpoint missing here is refused, and the access test fails).

use nsm_core::access::Permission;

/// What a server function requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone: first-run setup and sign-in.
    Public,
    /// A browser session of any role, also while a new password is still due: the
    /// account's own pages (never an API token).
    Session,
    /// A session or token allowed `Permission`.
    Needs(Permission),
}

pub fn rule(endpoint: &str) -> Option<Rule> {
    use Permission::*;
    use Rule::*;
    Some(match endpoint {
        "needs_setup" | "setup_requires_token" | "setup_admin" | "sign_in" | "github_sign_in_enabled" => Public,
        "whoami"
        | "sign_out"
        | "change_password"
        | "list_sessions"
        | "sign_out_session"
        | "sign_out_everywhere"
        | "list_api_tokens"
        | "create_api_token"
        | "revoke_api_token" => Session,

        "list_projects"
        | "get_project"
        | "get_project_status"
        | "list_deployments"
        | "get_deployment"
        | "list_services"
        | "get_service_timelines"
        | "list_variables"
        | "list_reference_targets"
        | "get_environment"
        | "export_dotenv"
        | "export_config"
        | "get_ci"
        | "list_domains"
        | "list_expiring_certificates"
        | "list_workers"
        | "get_fleet_history"
        | "get_control_plane_status"
        | "get_log_cap"
        | "get_project_defaults"
        | "get_worker_policy"
        | "get_plan"
        | "get_redeploy_plan"
        | "get_repo_token_status" => Needs(Read),

        "deploy_project"
        | "cancel_deployment"
        | "teardown_project"
        | "sync_project"
        | "request_certificate"
        | "redeploy_deployment" => Needs(Deploy),

        "create_project"
        | "update_project"
        | "set_repo_token"
        | "clear_repo_token"
        | "delete_project"
        | "update_service"
        | "save_variable"
        | "delete_variable"
        | "set_ci_enabled"
        | "rotate_deploy_key"
        | "rotate_webhook_secret"
        | "add_domain"
        | "remove_domain"
        | "set_domain_hsts"
        | "save_resource"
        | "delete_resource"
        | "move_resource"
        | "save_environment"
        | "plan_dotenv_import"
        | "apply_dotenv_import"
        | "plan_config_import"
        | "apply_config_import" => Needs(Edit),

        "reveal_variable"
        | "reveal_environment"
        | "add_worker"
        | "rotate_worker_token"
        | "remove_worker"
        | "set_worker_address"
        | "set_worker_front"
        | "set_worker_policy"
        | "set_log_cap"
        | "get_github_settings"
        | "save_github_settings"
        | "get_server_settings"
        | "set_server_settings"
        | "list_users"
        | "create_user"
        | "set_user_role"
        | "set_user_disabled"
        | "reset_user_password"
        | "sign_out_user"
        | "list_audit" => Needs(Admin),
        _ => return None,
    })
}

/// Why a call is refused: the guard answers it over HTTP (401, 403, 404), and
/// [`crate::backend`]'s `authorized` returns it for calls made while the server renders
/// a page, which do not pass the guard. One decision for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unauthenticated,
    Forbidden(&'static str),
    Unknown,
}

impl From<Refusal> for crate::error::AppError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::Unauthenticated => Self::Unauthorized,
            Refusal::Forbidden(why) => Self::Forbidden(why.to_owned()),
            Refusal::Unknown => Self::NotFound("This endpoint".into()),
        }
    }
}

/// Whether `user` (none: no session or token) may do what needs `permission`.
pub fn allows(user: Option<&nsm_core::access::CurrentUser>, permission: Permission) -> Result<(), Refusal> {
    match user {
        None => Err(Refusal::Unauthenticated),
        Some(u) if u.must_change_password => Err(Refusal::Forbidden("Choose a new password on the Account page first")),
        Some(u) if !u.may(permission) => Err(Refusal::Forbidden(nsm_core::access::refusal(permission))),
        Some(_) => Ok(()),
    }
}

/// Whether `user` may call server function `endpoint`: its [`rule`], applied.
pub fn decide(endpoint: &str, user: Option<&nsm_core::access::CurrentUser>) -> Result<(), Refusal> {
    match rule(endpoint) {
        None => Err(Refusal::Unknown),
        Some(Rule::Public) => Ok(()),
        Some(Rule::Session) => match user {
            None => Err(Refusal::Unauthenticated),
            Some(u) if u.scope.is_some() => Err(Refusal::Forbidden("Sign in with a browser to manage your account")),
            Some(_) => Ok(()),
        },
        Some(Rule::Needs(permission)) => allows(user, permission),
    }
}

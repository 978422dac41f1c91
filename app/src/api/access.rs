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
        | "get_worker_policy" => Needs(Read),

        "deploy_project" | "cancel_deployment" | "teardown_project" | "sync_project" | "request_certificate" => {
            Needs(Deploy)
        }

        "create_project"
        | "update_project"
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

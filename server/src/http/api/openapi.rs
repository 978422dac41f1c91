//! `GET /api/v1/openapi.json`: the OpenAPI 3.1 document of the v1 API, generated from
//! the handlers' `#[utoipa::path]` attributes and the view types' schemas. Who may call
//! each operation is not written twice: it is read from the route table
//! ([`super::rules`]) and written into each operation's `security` (and `x-nsm-access`).
//! The worker link (`/api/v1/workers/connect`) is left out: it is a WebSocket for
//! workers speaking NSM's own protocol, not an HTTP operation for scripts.

use std::sync::OnceLock;

use axum::http::Method;
use axum::Json;
use nsm_core::protocol::CONNECT_PATH;
use serde_json::Value;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use super::rest::{self, ErrorBody};
use super::{RouteAccess, RouteRule};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "NSM",
        description = "The control plane's API for scripts and CI. Authenticate with an API token \
            (`Authorization: Bearer nsm_<id>_<secret>`, made on the Account page with the scope \
            `read`, `deploy` or `write`; never more than its user's role allows). The CI routes \
            also take the project's deploy key as the bearer. Refusals answer \
            `{\"error\": word, \"message\": text}`, with `fields` for a body that did not validate."
    ),
    paths(
        rest::projects::list_projects,
        rest::projects::create_project,
        rest::projects::get_project,
        rest::projects::update_project,
        rest::domains::list_domains,
        rest::domains::add_domain,
        rest::domains::remove_domain,
        rest::resources::add_resource,
        rest::resources::save_resource,
        rest::resources::delete_resource,
        rest::variables::list_variables,
        rest::variables::save_variable,
        rest::variables::delete_variable,
        rest::variables::reveal_variable,
        rest::deployments::list_services,
        rest::deployments::list_deployments,
        rest::deployments::cancel_deployment,
        rest::deployments::redeploy_deployment,
        rest::projects::get_plan,
        rest::workers::list_workers,
        super::ci::deploy,
        super::ci::github,
        super::status::deployment,
        super::status::log,
        super::events::deployment_events,
        super::live::events,
        super::stats::stats,
        super::logs::search,
        super::logs::follow,
        super::logs::download,
        super::audit::export,
        openapi,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Access),
    tags(
        (name = "projects", description = "Projects and their General settings"),
        (name = "domains", description = "Domains, resources and certificates"),
        (name = "variables", description = "Environment variables: names and kinds; values for admins only"),
        (name = "services", description = "Services, their resource use and container logs"),
        (name = "deployments", description = "Deploying, following and cancelling"),
        (name = "workers", description = "The nodes"),
        (name = "events", description = "Live events"),
        (name = "audit", description = "The audit log, for administrators"),
        (name = "meta", description = "This document"),
    )
)]
pub struct ApiDoc;

/// The credentials, and each operation's requirement from the route table.
struct Access;

const API_TOKEN: &str = "api_token";
const DEPLOY_KEY: &str = "deploy_key";
const SESSION: &str = "session";

impl Modify for Access {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            API_TOKEN,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("nsm_<id>_<secret>")
                    .description(Some("A user's API token: its scope (read, deploy, write) bounded by the user's role"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            DEPLOY_KEY,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("nsm_<hex>")
                    .description(Some(
                        "The project's deploy key (CI/CD tab), for deploying it and reading its deployments",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                app::backend::SESSION_COOKIE,
                "A browser's session",
            ))),
        );
        for rule in super::rules() {
            if let Some(operation) = doc.paths.paths.get_mut(rule.path).and_then(|item| operation(item, &rule.method)) {
                require(operation, rule.access);
            }
        }
    }
}

fn operation<'a>(item: &'a mut PathItem, method: &Method) -> Option<&'a mut Operation> {
    match *method {
        Method::GET => item.get.as_mut(),
        Method::POST => item.post.as_mut(),
        Method::PUT => item.put.as_mut(),
        Method::PATCH => item.patch.as_mut(),
        Method::DELETE => item.delete.as_mut(),
        _ => None,
    }
}

/// The words of a route's access, as the document says them.
pub fn access_word(access: RouteAccess) -> String {
    match access {
        RouteAccess::Public => "public".to_owned(),
        RouteAccess::Worker => "worker".to_owned(),
        RouteAccess::Webhook => "webhook".to_owned(),
        RouteAccess::KeyOr(permission) => format!("key-or-{permission}"),
        RouteAccess::Needs(permission) => permission.to_string(),
    }
}

fn require(operation: &mut Operation, access: RouteAccess) {
    let none: [&str; 0] = [];
    let (schemes, needs): (&[&str], String) = match access {
        RouteAccess::Worker => return,
        RouteAccess::Public => {
            operation.security = Some(Vec::new());
            operation
                .extensions
                .get_or_insert_with(Default::default)
                .insert("x-nsm-access".into(), Value::String(access_word(access)));
            return;
        }
        RouteAccess::Webhook => (&[], "a GitHub signature of the body, made with the project's webhook secret".into()),
        RouteAccess::KeyOr(permission) => {
            (&[DEPLOY_KEY, API_TOKEN, SESSION], format!("the project's deploy key, or the `{permission}` permission"))
        }
        RouteAccess::Needs(permission) => (&[API_TOKEN, SESSION], format!("the `{permission}` permission")),
    };
    operation.security = Some(schemes.iter().map(|scheme| SecurityRequirement::new(*scheme, none)).collect());
    let description = operation.description.take().unwrap_or_default();
    let sep = if description.is_empty() { "" } else { "\n\n" };
    operation.description = Some(format!("{description}{sep}Needs {needs}."));
    operation
        .extensions
        .get_or_insert_with(Default::default)
        .insert("x-nsm-access".into(), Value::String(access_word(access)));
    if !matches!(access, RouteAccess::Webhook) {
        let error = || ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let responses = &mut operation.responses.responses;
        for (status, text) in
            [("401", "No valid credential"), ("403", "The role or the token's scope does not allow it")]
        {
            responses.entry(status.to_owned()).or_insert_with(|| {
                ResponseBuilder::new().description(text).content("application/json", error()).into()
            });
        }
    }
}

/// The document, built once.
pub fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).unwrap_or(Value::Null))
}

/// The routes the document describes: every route but the worker link.
pub fn documented(rules: &[RouteRule]) -> impl Iterator<Item = &RouteRule> {
    rules.iter().filter(|rule| rule.path != CONNECT_PATH)
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "meta", operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub async fn openapi() -> Json<Value> {
    Json(document().clone())
}

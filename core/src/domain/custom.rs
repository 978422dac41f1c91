//! Which directives a Custom resource's body may use. nginx's master runs as root, so
//! a directive that names a file (a log, an include, a certificate, a document root)
//! or a socket would act on the node itself; only directives that work within the
//! location are allowed, each by name.

use crate::nginx_lexer::{tokenize, LexError, Token};

/// Directives that act within the location: proxying, headers, responses, rewrites,
/// access rules, caching and limits, compression, sub-requests.
const ALLOWED: &[&str] = &[
    // Proxying and other upstreams (sockets refused by `check_upstream`).
    "proxy_pass",
    "proxy_set_header",
    "proxy_hide_header",
    "proxy_pass_header",
    "proxy_ignore_headers",
    "proxy_http_version",
    "proxy_method",
    "proxy_set_body",
    "proxy_pass_request_body",
    "proxy_pass_request_headers",
    "proxy_buffering",
    "proxy_request_buffering",
    "proxy_buffer_size",
    "proxy_buffers",
    "proxy_busy_buffers_size",
    "proxy_max_temp_file_size",
    "proxy_connect_timeout",
    "proxy_read_timeout",
    "proxy_send_timeout",
    "proxy_socket_keepalive",
    "proxy_redirect",
    "proxy_cookie_domain",
    "proxy_cookie_path",
    "proxy_cookie_flags",
    "proxy_intercept_errors",
    "proxy_next_upstream",
    "proxy_next_upstream_tries",
    "proxy_next_upstream_timeout",
    "proxy_ssl_server_name",
    "proxy_ssl_name",
    "proxy_cache",
    "proxy_cache_key",
    "proxy_cache_valid",
    "proxy_cache_bypass",
    "proxy_no_cache",
    "proxy_cache_methods",
    "proxy_cache_min_uses",
    "proxy_cache_use_stale",
    "proxy_cache_lock",
    "proxy_cache_lock_timeout",
    "proxy_cache_background_update",
    "proxy_cache_revalidate",
    "grpc_pass",
    "grpc_set_header",
    "grpc_hide_header",
    "grpc_connect_timeout",
    "grpc_read_timeout",
    "grpc_send_timeout",
    "fastcgi_pass",
    "fastcgi_param",
    "fastcgi_index",
    "uwsgi_pass",
    "uwsgi_param",
    "scgi_pass",
    "scgi_param",
    // Responses and headers.
    "return",
    "add_header",
    "add_trailer",
    "default_type",
    "charset",
    "expires",
    "etag",
    "if_modified_since",
    "error_page",
    "recursive_error_pages",
    "absolute_redirect",
    "port_in_redirect",
    "server_name_in_redirect",
    "chunked_transfer_encoding",
    "max_ranges",
    "empty_gif",
    "sub_filter",
    "sub_filter_once",
    "sub_filter_types",
    "sub_filter_last_modified",
    "gzip",
    "gzip_types",
    "gzip_proxied",
    "gzip_min_length",
    "gzip_comp_level",
    "gzip_vary",
    "gzip_disable",
    "gzip_http_version",
    // Rewrites and blocks.
    "rewrite",
    "set",
    "break",
    "if",
    "location",
    "limit_except",
    "internal",
    "try_files",
    "index",
    "mirror",
    "mirror_request_body",
    // Access and limits.
    "allow",
    "deny",
    "satisfy",
    "auth_basic",
    "auth_request",
    "auth_request_set",
    "limit_req",
    "limit_req_status",
    "limit_conn",
    "limit_conn_status",
    "limit_rate",
    "limit_rate_after",
    "client_max_body_size",
    "client_body_buffer_size",
    "client_body_timeout",
    "send_timeout",
    "keepalive_timeout",
    "keepalive_requests",
    "tcp_nodelay",
    "postpone_output",
    "log_not_found",
    "log_subrequest",
    "resolver",
    "resolver_timeout",
];

/// Why a directive is refused, when it is one of the well-known dangerous kinds.
fn refusal(name: &str) -> Option<&'static str> {
    let reason = if matches!(name, "include" | "load_module") {
        "it reads files of the node"
    } else if name.ends_with("_log") {
        "it writes files on the node"
    } else if matches!(name, "root" | "alias") {
        "it serves files of the node (publish files with a Static Page resource)"
    } else if name.starts_with("ssl_")
        || name.contains("_ssl_certificate")
        || name.contains("_ssl_trusted_certificate")
        || name.contains("_ssl_crl")
        || name.contains("_ssl_password_file")
    {
        "it names TLS files or settings of the node (NSM manages TLS)"
    } else if name.contains("lua") || name.starts_with("perl") || name.starts_with("js_") {
        "it runs code inside nginx"
    } else if name.ends_with("_path") || name.ends_with("_user_file") || name.ends_with("_store") {
        "it names a file or directory on the node"
    } else {
        return None;
    };
    Some(reason)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DirectiveError {
    #[error(transparent)]
    Lex(#[from] LexError),
    #[error("`{name}` cannot be used in a Custom block: {reason}")]
    Refused { name: String, reason: &'static str },
    #[error("`{0}` is not a directive Custom blocks may use (they allow proxying, headers, returns, rewrites, access rules, caching and limits)")]
    NotAllowed(String),
    #[error("`{name}` cannot connect to `{target}`: {reason}")]
    Upstream { name: String, target: String, reason: &'static str },
}

/// Every directive of `body` (nested blocks included) is allowed, and every upstream
/// is a written-out network address.
pub(crate) fn check_directives(body: &str) -> Result<(), DirectiveError> {
    let mut statement: Vec<&str> = Vec::new();
    for token in &tokenize(body)? {
        match token {
            Token::Word(word) => {
                if statement.is_empty() {
                    check_name(word)?;
                }
                statement.push(word);
            }
            Token::End | Token::Open | Token::Close(_) => {
                check_upstream(&statement)?;
                statement.clear();
            }
        }
    }
    Ok(())
}

fn check_name(name: &str) -> Result<(), DirectiveError> {
    if let Some(reason) = refusal(name) {
        return Err(DirectiveError::Refused { name: name.to_owned(), reason });
    }
    if ALLOWED.contains(&name) {
        Ok(())
    } else {
        Err(DirectiveError::NotAllowed(name.to_owned()))
    }
}

/// `proxy_pass unix:/var/run/docker.sock:/` would publish the node's Docker API; an
/// address that starts with a variable could become one at run time, so the address
/// part of an upstream starts written out.
fn check_upstream(statement: &[&str]) -> Result<(), DirectiveError> {
    let [name, target, ..] = statement else { return Ok(()) };
    if !name.ends_with("_pass") {
        return Ok(());
    }
    let lower = target.to_ascii_lowercase();
    let address = ["http://", "https://", "grpc://", "grpcs://"]
        .iter()
        .find_map(|scheme| lower.strip_prefix(scheme))
        .unwrap_or(&lower);
    let address = address.split('/').next().unwrap_or_default();
    let refused = |reason: &'static str| DirectiveError::Upstream {
        name: (*name).to_owned(),
        target: (*target).to_owned(),
        reason,
    };
    if address.starts_with("unix:") || address.is_empty() && lower.contains("unix:") {
        Err(refused("a socket file of the node"))
    } else if address.find('$').is_some_and(|at| "unix:".starts_with(&address[..at])) {
        // What precedes the first variable could still turn into `unix:`.
        Err(refused("write the address out; variables may follow it"))
    } else {
        Ok(())
    }
}

//! A small compose app whose image builds locally from the repository: a static page
//! (`web`, busybox httpd) and an `api` (a CGI script answering with a variable).

use crate::docker::BUSYBOX_IMAGE;

/// The services of the fixture app (without [`FixtureApp::extra_service`]).
pub const FIXTURE_SERVICES: [&str; 2] = ["web", "api"];
/// The variables its compose file interpolates.
pub const FIXTURE_VARIABLES: [&str; 3] = ["WEB_PORT", "API_PORT", "GREETING"];

/// What the fixture app does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixtureApp {
    /// Served by `web` at `/` (its `index.html`).
    pub page: String,
    /// When set, `api` prints a line and exits with this code instead of serving.
    pub api_exit_code: Option<i32>,
    /// When set, building the image sleeps this long (to outlive a deployment timeout).
    pub build_sleep_secs: Option<u32>,
    /// Adds a third service, `extra`: a major change against the fixture's services.
    pub extra_service: bool,
}

impl Default for FixtureApp {
    fn default() -> Self {
        Self { page: "hello from nsm".to_owned(), api_exit_code: None, build_sleep_secs: None, extra_service: false }
    }
}

/// The files of the app, to commit at a repository's root.
///
/// Services run under Docker's init, so they stop at once instead of after the
/// 10 s stop timeout (busybox as PID 1 ignores SIGTERM).
///
/// - `web` publishes `${WEB_PORT}` and serves `www/index.html`;
/// - `api` publishes `${API_PORT}`; `GET /cgi-bin/hello` answers with `$GREETING`
///   exactly (no trailing newline), which the compose file passes from `.env`.
pub fn fixture_app_files(app: &FixtureApp) -> Vec<(String, String)> {
    let mut dockerfile = format!("FROM {BUSYBOX_IMAGE}\n");
    if let Some(secs) = app.build_sleep_secs {
        dockerfile.push_str(&format!("RUN sleep {secs}\n"));
    }
    dockerfile.push_str("COPY www /srv/www\nCOPY api /srv/api\nRUN chmod 0755 /srv/api/cgi-bin/hello\n");

    let api_command = match app.api_exit_code {
        None => r#"["httpd", "-f", "-p", "8081", "-h", "/srv/api"]"#.to_owned(),
        Some(code) => format!(r#"["sh", "-c", "echo 'api: failing on purpose'; echo 'api: bye' >&2; exit {code}"]"#),
    };
    let mut compose = format!(
        r#"services:
  web:
    build: .
    init: true
    command: ["httpd", "-f", "-p", "8080", "-h", "/srv/www"]
    ports:
      - "${{WEB_PORT}}:8080"
  api:
    build: .
    init: true
    command: {api_command}
    environment:
      GREETING: "${{GREETING}}"
    ports:
      - "${{API_PORT}}:8081"
"#
    );
    if app.extra_service {
        compose.push_str(&format!(
            "  extra:\n    image: {BUSYBOX_IMAGE}\n    init: true\n    command: [\"sleep\", \"3600\"]\n"
        ));
    }
    let hello = "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\n'\nprintf '%s' \"$GREETING\"\n";
    vec![
        ("compose.yaml".to_owned(), compose),
        ("Dockerfile".to_owned(), dockerfile),
        ("www/index.html".to_owned(), format!("<!doctype html>\n<title>fixture</title>\n<p>{}</p>\n", app.page)),
        ("api/cgi-bin/hello".to_owned(), hello.to_owned()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compose_file_uses_the_declared_variables() {
        let files = fixture_app_files(&FixtureApp::default());
        let compose = &files.iter().find(|(n, _)| n == "compose.yaml").unwrap().1;
        for name in FIXTURE_VARIABLES {
            assert!(compose.contains(&format!("${{{name}}}")), "{name}");
        }
        for service in FIXTURE_SERVICES {
            assert!(compose.contains(&format!("  {service}:\n")), "{service}");
        }
    }

    #[test]
    fn options_change_the_app() {
        let app = FixtureApp {
            api_exit_code: Some(3),
            build_sleep_secs: Some(30),
            extra_service: true,
            ..Default::default()
        };
        let files = fixture_app_files(&app);
        let text: String = files.iter().map(|(_, c)| c.as_str()).collect();
        assert!(text.contains("exit 3"));
        assert!(text.contains("RUN sleep 30"));
        assert!(text.contains("  extra:"));
    }
}

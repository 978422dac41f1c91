//! The Docker Compose CLI: which generation is installed, and running it with an
//! environment of its own.

mod process;

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use nsm_core::env::ComposeDialect;
use tokio::process::Command;

pub use process::{run_streaming, RunError};

pub use super::limits::Limits;

/// Variables passed from the worker's environment to Compose. Anything else could
/// override the project's `.env` during interpolation.
fn passed_through(name: &str) -> bool {
    matches!(name, "PATH" | "HOME") || name.starts_with("DOCKER_")
}

/// An installed compose CLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComposeCli {
    /// Program and leading arguments: `docker compose` or `docker-compose`.
    program: Vec<String>,
    dialect: ComposeDialect,
    version: String,
}

impl ComposeCli {
    /// `docker compose` (v2) when it answers, else `docker-compose` (v1); `None` when
    /// neither does.
    pub async fn detect() -> Option<Self> {
        for program in [&["docker", "compose"][..], &["docker-compose"][..]] {
            let mut command = clean_command(program);
            command.arg("version").stdin(std::process::Stdio::null()).kill_on_drop(true);
            let shown = program.join(" ");
            let output = match tokio::time::timeout(std::time::Duration::from_secs(30), command.output()).await {
                Ok(Ok(output)) => output,
                Ok(Err(error)) => {
                    tracing::debug!(%error, program = %shown, "this compose CLI does not run");
                    continue;
                }
                Err(_) => {
                    tracing::debug!(program = %shown, "this compose CLI did not answer in time");
                    continue;
                }
            };
            if !output.status.success() {
                continue;
            }
            let text = String::from_utf8_lossy(&output.stdout);
            let version = text.lines().next().unwrap_or_default().trim().to_owned();
            if let Some(dialect) = ComposeDialect::from_version_output(&version) {
                return Some(Self { program: program.iter().map(|s| (*s).to_owned()).collect(), dialect, version });
            }
        }
        None
    }

    pub fn dialect(&self) -> ComposeDialect {
        self.dialect
    }

    /// The CLI's own version line, e.g. `docker-compose version 1.29.2, build unknown`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// A compose command for `project` in `dir` with the given compose files, followed by
    /// `args`; environment cleared except PATH, HOME and DOCKER_*.
    pub fn command(&self, project: &str, dir: &Path, files: &[PathBuf], args: &[&str]) -> Command {
        let mut command = clean_command(&self.program);
        command.args(["--ansi", "never", "--project-name", project, "--project-directory"]).arg(dir);
        for file in files {
            command.arg("--file").arg(file);
        }
        command.args(args).current_dir(dir);
        command
    }
}

fn clean_command<S: AsRef<str>>(program: &[S]) -> Command {
    let mut command = Command::new(program.first().map_or("docker", AsRef::as_ref));
    command.args(program.iter().skip(1).map(AsRef::as_ref));
    command.env_clear();
    let kept: Vec<(OsString, OsString)> =
        std::env::vars_os().filter(|(name, _)| name.to_str().is_some_and(passed_through)).collect();
    command.envs(kept);
    command
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_path_home_and_docker_variables_pass() {
        assert!(passed_through("PATH"));
        assert!(passed_through("HOME"));
        assert!(passed_through("DOCKER_HOST"));
        assert!(!passed_through("USER"));
        assert!(!passed_through("COMPOSE_PROJECT_NAME"));
        assert!(!passed_through("PORT"));
    }

    #[test]
    fn commands_name_project_directory_and_files() {
        let cli = ComposeCli {
            program: vec!["docker-compose".to_owned()],
            dialect: ComposeDialect::V1,
            version: "docker-compose version 1.29.2".to_owned(),
        };
        let dir = Path::new("/data/projects/p/current");
        let files = [dir.join("compose.yaml"), dir.join(".o.yaml")];
        let command = cli.command("nsm-p", dir, &files, &["up", "-d"]);
        let std = command.as_std();
        assert_eq!(std.get_program(), "docker-compose");
        let args: Vec<_> = std.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(
            args,
            [
                "--ansi",
                "never",
                "--project-name",
                "nsm-p",
                "--project-directory",
                "/data/projects/p/current",
                "--file",
                "/data/projects/p/current/compose.yaml",
                "--file",
                "/data/projects/p/current/.o.yaml",
                "up",
                "-d"
            ]
        );
        assert_eq!(std.get_current_dir(), Some(dir));
    }
}

//! Running the nginx binary: `nginx -t` on a configuration, and `-s reload` for a
//! host's nginx. Arguments only, never a shell.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

/// `nginx -t` on a large configuration loads every certificate: seconds, not minutes.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// Why an nginx command did not succeed.
#[derive(Debug, thiserror::Error)]
pub enum NginxError {
    #[error("cannot run nginx: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("nginx failed: {0}")]
    Wait(#[source] std::io::Error),
    #[error("nginx did not answer within {} s", COMMAND_TIMEOUT.as_secs())]
    Timeout,
    /// nginx's own explanation (see [`explain`]).
    #[error("{0}")]
    Refused(String),
}

#[derive(Debug, Clone)]
pub struct NginxBin {
    pub bin: PathBuf,
}

/// Which configuration a command applies to.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// A prefix and main file of NSM's own (managed mode and every check).
    Own { prefix: &'a Path, conf: &'a Path },
    /// The host's nginx (system mode), with its compiled-in main file or this one.
    Host { conf: Option<&'a Path> },
}

impl NginxBin {
    pub fn new(bin: PathBuf) -> Self {
        Self { bin }
    }

    fn command(&self, target: Target<'_>) -> Command {
        let mut cmd = Command::new(&self.bin);
        match target {
            Target::Own { prefix, conf } => {
                // `-e stderr`: messages before the configuration is read go to us, not
                // to a default log file this user may not be able to open.
                cmd.arg("-e").arg("stderr").arg("-p").arg(prefix).arg("-c").arg(conf);
            }
            Target::Host { conf: Some(conf) } => {
                cmd.arg("-c").arg(conf);
            }
            Target::Host { conf: None } => {}
        }
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        cmd
    }

    /// The version line, or why nginx cannot be run.
    pub async fn version(&self) -> Result<String, NginxError> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("-v").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        let out = run(cmd).await?;
        Ok(String::from_utf8_lossy(&out.stderr).trim().to_owned())
    }

    /// Whether this nginx has the `stream` module with `ssl_preread` (what fronting
    /// needs), and how to load it.
    pub async fn stream_module(&self) -> Result<StreamModule, NginxError> {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("-V").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        let out = run(cmd).await?;
        Ok(StreamModule::of(&String::from_utf8_lossy(&out.stderr)))
    }

    /// `nginx -t`: `Err` carries nginx's own explanation.
    pub async fn test(&self, target: Target<'_>) -> Result<(), NginxError> {
        let mut cmd = self.command(target);
        cmd.arg("-t").arg("-q");
        succeeded(run(cmd).await?)
    }

    /// `nginx -s reload` (system mode; the managed master is signalled directly).
    pub async fn reload(&self, target: Target<'_>) -> Result<(), NginxError> {
        let mut cmd = self.command(target);
        cmd.arg("-s").arg("reload");
        succeeded(run(cmd).await?)
    }
}

/// How nginx gets its `stream` module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamModule {
    /// Compiled in.
    Builtin,
    /// A `load_module` away (Debian's `libnginx-mod-stream`).
    Dynamic(PathBuf),
    /// Not there, or without `ssl_preread`.
    Missing,
}

impl StreamModule {
    /// Reads `nginx -V`'s configure arguments.
    fn of(version: &str) -> Self {
        let args: Vec<&str> = version.split_whitespace().collect();
        if !args.contains(&"--with-stream_ssl_preread_module") {
            return Self::Missing;
        }
        if args.contains(&"--with-stream") {
            return Self::Builtin;
        }
        if !args.contains(&"--with-stream=dynamic") {
            return Self::Missing;
        }
        let dir = args.iter().find_map(|a| a.strip_prefix("--modules-path=")).unwrap_or("/usr/lib/nginx/modules");
        let file = Path::new(dir).join("ngx_stream_module.so");
        if file.is_file() {
            Self::Dynamic(file)
        } else {
            Self::Missing
        }
    }
}

fn succeeded(out: std::process::Output) -> Result<(), NginxError> {
    if out.status.success() {
        Ok(())
    } else {
        Err(NginxError::Refused(explain(&String::from_utf8_lossy(&out.stderr))))
    }
}

async fn run(mut cmd: Command) -> Result<std::process::Output, NginxError> {
    let child = cmd.spawn().map_err(NginxError::Spawn)?;
    match tokio::time::timeout(COMMAND_TIMEOUT, child.wait_with_output()).await {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(e)) => Err(NginxError::Wait(e)),
        Err(_) => Err(NginxError::Timeout),
    }
}

/// nginx's messages without the noise: the `[emerg]`-style lines, `nginx: ` dropped.
pub fn explain(stderr: &str) -> String {
    let lines: Vec<&str> = stderr
        .lines()
        .map(|l| l.trim().trim_start_matches("nginx: "))
        .filter(|l| !l.is_empty() && !l.starts_with("configuration file") && !l.contains("[warn]"))
        .collect();
    if lines.is_empty() {
        "nginx refused the configuration without saying why".to_owned()
    } else {
        lines.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::explain;

    #[test]
    fn the_stream_module_is_found_in_the_configure_arguments() {
        use super::StreamModule;
        let builtin = "nginx version: nginx/1.25\nconfigure arguments: --with-stream --with-stream_ssl_preread_module";
        assert_eq!(StreamModule::of(builtin), StreamModule::Builtin);
        let no_preread = "configure arguments: --with-stream=dynamic --modules-path=/nowhere";
        assert_eq!(StreamModule::of(no_preread), StreamModule::Missing);
        let absent =
            "configure arguments: --with-stream=dynamic --with-stream_ssl_preread_module --modules-path=/nowhere";
        assert_eq!(StreamModule::of(absent), StreamModule::Missing);
        assert_eq!(StreamModule::of("configure arguments: --with-http_ssl_module"), StreamModule::Missing);
    }

    #[test]
    fn explain_keeps_the_reason() {
        let stderr = "nginx: [emerg] unknown directive \"nope\" in /x/sites/nsm-a.conf:12\n\
                      nginx: configuration file /x/nginx.conf test failed\n";
        assert_eq!(explain(stderr), "[emerg] unknown directive \"nope\" in /x/sites/nsm-a.conf:12");
        assert!(explain("").contains("without saying why"));
    }
}

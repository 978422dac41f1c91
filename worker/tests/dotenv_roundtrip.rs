//! The real Docker Compose reads back every value `render_dotenv` writes, byte for byte,
//! both through `${VAR}` interpolation of the compose file and through `env_file: .env`.
//!
//! Runs the compose CLI the worker would use (`docker compose` when present, else
//! `docker-compose`) against the local Docker Engine, with a busybox image built
//! locally (`nsm-testkit`). Skipped only when no Docker daemon answers.

use std::collections::BTreeMap;
use std::error::Error;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use nsm_core::env::{render_dotenv, ComposeDialect, EnvName};

type TestResult<T = ()> = Result<T, Box<dyn Error>>;

const IMAGE: &str = nsm_testkit::BUSYBOX_IMAGE;

/// Values that break naive `.env` writers, one per variable.
const HOSTILE: &[&str] = &[
    "",
    "plain",
    "it's 'single'",
    "say \"hi\" \"\"",
    "'quoted'",
    "\"quoted\"",
    "$",
    "$$",
    "$$$",
    "$HOME",
    "${HOME}",
    "${HOME:-fallback}",
    "${NSMTEST_V1}",
    "${:-}",
    "$${:-}{",
    "${A:-${B}}",
    "a$",
    "cost: 5$ and $5",
    "#",
    "a # not a comment",
    "a#b",
    "  leading and trailing  ",
    "\t",
    "tab\tinside",
    "\\",
    "\\\\",
    "ends with \\",
    "C:\\Windows\\",
    "\\n stays backslash-n",
    "\\\"",
    "\\'",
    "\\$",
    "\\0134",
    "\\x41\\u0041",
    "line1\nline2",
    "\n",
    "crlf\r\nend",
    "\r",
    "trailing newline\n",
    "ünïcødé ✓ 🚀 עברית",
    "\u{2028}\u{2029}\u{85}\u{a0}\u{feff}",
    "=",
    "A=B",
    "export X=1",
    "\u{1}\u{7}\u{1b}[31m\u{7f}",
    "{\"json\": [1, \"two\"]}",
    "-----BEGIN KEY-----\nabc+/=\n-----END KEY-----\n",
];

#[test]
fn compose_reads_back_every_rendered_value() -> TestResult {
    if !nsm_testkit::docker_or_skip() {
        return Ok(());
    }
    let (compose, dialect) = compose_cli()?;

    let vars: Vec<(EnvName, String)> = HOSTILE
        .iter()
        .enumerate()
        .map(|(i, value)| Ok((EnvName::parse(&format!("NSMTEST_V{i}"))?, (*value).to_owned())))
        .collect::<Result<_, Box<dyn Error>>>()?;

    let dir = tempfile::tempdir()?;
    fs::create_dir(dir.path().join("out"))?;
    fs::write(dir.path().join(".env"), render_dotenv(&vars, dialect)?)?;
    fs::write(dir.path().join("compose.yaml"), compose_file(&vars))?;

    let project = format!("nsmtest-dotenv-{}", std::process::id());
    let down = Down { compose: &compose, project: &project, dir: dir.path() };
    let up = run(&mut down.command(&["up", "--no-color"]))?;
    if !up.status.success() {
        return Err(format!("compose up failed: {}", String::from_utf8_lossy(&up.stderr)).into());
    }

    let mut mismatches = Vec::new();
    for source in ["interpolation", "env_file"] {
        let seen = read_environ(&dir.path().join("out").join(source))?;
        for (name, want) in &vars {
            let got = seen.get(name.as_str());
            if got != Some(want) {
                mismatches.push(format!("{source} ({dialect}): {name} = {got:?}, wanted {want:?}"));
            }
        }
    }
    drop(down);
    assert!(mismatches.is_empty(), "values changed on the way in:\n{}", mismatches.join("\n"));
    Ok(())
}

/// The compose command (program and leading arguments) and the `.env` dialect it reads.
fn compose_cli() -> TestResult<(Vec<String>, ComposeDialect)> {
    for program in [vec!["docker", "compose"], vec!["docker-compose"]] {
        let mut command = Command::new(program[0]);
        command.args(&program[1..]).args(["version", "--short"]);
        if let Ok(output) = command.output() {
            if output.status.success() {
                let version = String::from_utf8_lossy(&output.stdout);
                let dialect = ComposeDialect::from_version_output(&version)
                    .ok_or_else(|| format!("unrecognised compose version {version:?}"))?;
                return Ok((program.into_iter().map(str::to_owned).collect(), dialect));
            }
        }
    }
    Err("a Docker daemon is reachable but neither `docker compose` nor `docker-compose` works".into())
}

/// One service reads the values through interpolation, the other through `env_file`;
/// each copies its own environment out as the kernel holds it. Busybox is called by
/// path so that an image built without its applet links works too.
fn compose_file(vars: &[(EnvName, String)]) -> String {
    let mut yaml = String::from("services:\n");
    for (service, via_env_file) in [("interpolation", false), ("env_file", true)] {
        yaml.push_str(&format!(
            "  {service}:\n    image: {IMAGE}\n    network_mode: none\n    \
             command: [\"/bin/busybox\", \"cp\", \"/proc/self/environ\", \"/out/{service}\"]\n    volumes:\n      - ./out:/out\n"
        ));
        if via_env_file {
            yaml.push_str("    env_file: .env\n");
        } else {
            yaml.push_str("    environment:\n");
            for (name, _) in vars {
                yaml.push_str(&format!("      {name}: \"${{{name}}}\"\n"));
            }
        }
    }
    yaml
}

fn read_environ(path: &Path) -> TestResult<BTreeMap<String, String>> {
    let bytes = fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut vars = BTreeMap::new();
    for entry in bytes.split(|b| *b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8(entry.to_vec())?;
        if let Some((name, value)) = entry.split_once('=') {
            vars.insert(name.to_owned(), value.to_owned());
        }
    }
    Ok(vars)
}

/// Removes the compose project's containers and network, even when the test fails.
struct Down<'a> {
    compose: &'a [String],
    project: &'a str,
    dir: &'a Path,
}

impl Down<'_> {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.compose[0]);
        command
            .args(&self.compose[1..])
            .args(["--project-name", self.project, "--project-directory"])
            .arg(self.dir)
            .args(args)
            .current_dir(self.dir)
            // Compose lets its own environment override `.env`: run it with a minimal one,
            // as the worker does.
            .env_clear();
        for keep in ["PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT"] {
            if let Some(value) = std::env::var_os(keep) {
                command.env(keep, value);
            }
        }
        command
    }
}

impl Drop for Down<'_> {
    fn drop(&mut self) {
        let _ = self.command(&["down", "--volumes", "--remove-orphans"]).output();
    }
}

fn run(command: &mut Command) -> TestResult<Output> {
    command.output().map_err(|e| format!("running {command:?}: {e}").into())
}

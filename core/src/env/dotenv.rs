//! Rendering of the project's `.env` file (rules in the parent module's documentation).

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::EnvName;

/// Which Docker Compose generation will read the `.env` file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComposeDialect {
    /// `docker-compose` 1.x, the python implementation.
    V1,
    /// `docker compose` 2.x and later, the Go implementation (compose-go).
    V2,
}

impl ComposeDialect {
    /// Reads the dialect from the output of `docker compose version` or
    /// `docker-compose version` (`docker-compose version 1.29.2, build unknown`,
    /// `Docker Compose version v2.24.5`, `2.24.5`): the first number found is the major
    /// version.
    pub fn from_version_output(output: &str) -> Option<Self> {
        let start = output.find(|c: char| c.is_ascii_digit())?;
        let major: String = output[start..].chars().take_while(char::is_ascii_digit).collect();
        match major.parse::<u32>().ok()? {
            0 => None,
            1 => Some(Self::V1),
            _ => Some(Self::V2),
        }
    }
}

impl fmt::Display for ComposeDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::V1 => "docker-compose v1",
            Self::V2 => "docker compose v2",
        })
    }
}

/// Why a `.env` file could not be rendered. Values are never altered to fit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvError {
    #[error("the value of `{name}` contains a NUL character, which no environment variable can hold")]
    NulInValue { name: EnvName },
    #[error("`{name}` is given more than one value")]
    DuplicateName { name: EnvName },
}

/// Renders `vars` as a `.env` file that `dialect` reads back byte for byte.
pub fn render_dotenv(vars: &[(EnvName, String)], dialect: ComposeDialect) -> Result<String, EnvError> {
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for (name, value) in vars {
        if !seen.insert(name) {
            return Err(EnvError::DuplicateName { name: name.clone() });
        }
        if value.contains('\0') {
            return Err(EnvError::NulInValue { name: name.clone() });
        }
        out.push_str(name.as_str());
        out.push_str("=\"");
        push_quoted(&mut out, value, dialect);
        out.push_str("\"\n");
    }
    Ok(out)
}

/// The python parser expands `${...}` to the empty default of the empty name: used to
/// separate characters that must not meet (see the module rules).
const V1_EMPTY_EXPANSION: &str = "${:-}";

/// compose-go's octal escape for `\`, for a final backslash (see the module rules).
const V2_OCTAL_BACKSLASH: &str = "\\0134";

fn push_quoted(out: &mut String, value: &str, dialect: ComposeDialect) {
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        let last = chars.peek().is_none();
        match c {
            '\\' if last && dialect == ComposeDialect::V2 => out.push_str(V2_OCTAL_BACKSLASH),
            '\\' => {
                out.push_str("\\\\");
                if last {
                    out.push_str(V1_EMPTY_EXPANSION);
                }
            }
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '$' => match dialect {
                ComposeDialect::V1 => {
                    out.push('$');
                    if chars.peek() == Some(&'{') {
                        out.push_str(V1_EMPTY_EXPANSION);
                    }
                }
                ComposeDialect::V2 => out.push_str("$$"),
            },
            other => out.push(other),
        }
    }
}

//! Environment variables: their names and the `.env` file NSM writes for Docker Compose.
//!
//! The `.env` file must give every service exactly the stored value, whatever it holds.
//! Compose reads it twice — for `${VAR}` interpolation of the compose file and for
//! `env_file: .env` — with the same parser, so one encoding serves both. The two Compose
//! generations parse it differently, and for some values no text reads back the same in
//! both, so [`render_dotenv`] renders for a [`ComposeDialect`].
//!
//! # Rules every line follows (both dialects)
//!
//! * One `NAME="value"` line per variable, names as validated by [`EnvName`], no `export`,
//!   no comments. A name may appear once: two values for one name are refused.
//! * Values are always double-quoted: that is the only form whose content keeps leading
//!   and trailing spaces, `#`, quotes and line breaks in both parsers.
//! * Inside the quotes: `\` → `\\`, `"` → `\"`, line feed → `\n`, carriage return → `\r`.
//!   Both parsers decode exactly these escapes. Line breaks are escaped rather than
//!   written raw because python reads the file with universal newlines (a raw CR would
//!   come back as LF) and so that a file holds one variable per line.
//! * Everything else (tabs, `'`, `#`, other control characters, any Unicode) is written
//!   as is.
//! * NUL is refused: no environment variable can hold it.
//!
//! # [`ComposeDialect::V1`]: `docker-compose` 1.x (python-dotenv 0.21, as in Debian 12)
//!
//! * python-dotenv expands `${NAME}` and `${NAME:-default}` in every value, quoted or
//!   not, and has no escape for `$`; `$NAME`, `$$` and `\$` are literal. So every `$`
//!   directly followed by `{` is written as `$${:-}{`: the inserted `${:-}` names the
//!   empty variable, which no environment holds (a name needs at least one character in
//!   a `.env` file and in any normal process environment), so it expands to its empty
//!   default and leaves a literal `${`.
//! * A value ending in `\` gets the same empty `${:-}` after its final `\\`: a quoted
//!   value whose text ends in a backslash would otherwise run on to the next `"` in the
//!   file.
//!
//! # [`ComposeDialect::V2`]: `docker compose` 2.x (compose-go's dotenv parser)
//!
//! * Double-quoted values are expanded like the compose file, where `$$` is the escape:
//!   every `$` is written as `$$`.
//! * Many compose-go releases end a quoted value at the first `"` not preceded by a
//!   backslash (newer ones pair backslashes up), so a final `\` is written as the octal
//!   escape `\0134`, which both parser generations decode to `\`, never as `\\`.
//!   Releases older than compose-go's escape-sequence support (`\$`, `\t`, octal) are
//!   not supported.
//!
//! Values without `$` and without a final backslash render identically in both dialects.
//! No text carries `$NAME` or `${` through both: V2 needs the `$` escaped, V1 has no
//! escape and reads `$$`/`\$` literally, and V1's only way to break `${` (the empty name)
//! is an invalid reference to V2.
//!
//! # How these rules were established
//!
//! V1 was run for real: `worker/tests/dotenv_roundtrip.rs` passes hostile values through
//! Debian 12's `docker-compose` 1.29.2 into a container, via interpolation and via
//! `env_file`, and compares bytes; the two paths agreed on every value. V2 follows
//! compose-go's parser source; the same test checks it wherever `docker compose` is
//! installed. The unit tests run the renderer against models of both parsers.
//!
//! Whatever the dialect, the variables of the process that runs Compose take precedence
//! over the `.env` file for interpolation, so the worker runs Compose with a minimal
//! environment of its own.

mod dotenv;
mod parse;

pub use dotenv::{render_dotenv, ComposeDialect, EnvError};
pub use parse::{parse_dotenv, ParseError, ParseErrorKind, ParsedVariable};

use crate::validation::FieldError;

/// Longest variable name accepted.
pub const MAX_ENV_NAME_LEN: usize = 128;

crate::validated_string!(
    /// An environment variable name: `[A-Za-z_][A-Za-z0-9_]*`, at most 128 characters.
    EnvName,
    check_env_name
);

fn check_env_name(value: &str) -> Result<(), FieldError> {
    if value.is_empty() {
        return Err(FieldError::new("Variable name is required"));
    }
    if value.len() > MAX_ENV_NAME_LEN {
        return Err(FieldError::new(format!("Variable name must be at most {MAX_ENV_NAME_LEN} characters")));
    }
    let mut chars = value.chars();
    if !chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') {
        return Err(FieldError::new("Variable name must start with a letter or an underscore"));
    }
    if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(FieldError::new("Variable name may contain only letters, digits and underscores"));
    }
    Ok(())
}

/// True for a character that may start a variable name in an interpolation.
pub(crate) fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

/// True for a character that may continue a variable name in an interpolation.
pub(crate) fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

#[cfg(test)]
mod tests;

//! The one error type that reaches the browser. Internal details stay in the server
//! log; users get a clear message (and field errors for forms).

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use nsm_core::FieldErrors;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum AppError {
    #[error("Please sign in")]
    Unauthorized,
    /// Signed in, but the role (or the token's scope) does not allow it.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} was not found")]
    NotFound(String),
    #[error("Please correct the highlighted fields")]
    Invalid(FieldErrors),
    #[error("{0}")]
    Conflict(String),
    #[error("Wrong username or password")]
    BadCredentials,
    #[error("Too many attempts; wait {0} seconds and try again")]
    Throttled(u64),
    #[error("Something went wrong on the server; the details are in its log")]
    Internal,
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// Field errors to show inline, if this is a validation failure.
    pub fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            AppError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }

    /// A single field's error, for forms.
    pub fn field(&self, name: &str) -> Option<String> {
        self.field_errors().and_then(|e| e.get(name)).map(str::to_owned)
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Invalid(errors)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(msg) | ServerFnErrorErr::Response(msg) => AppError::Transport(msg),
            // Bad arguments are the client's fault, but say so without internals.
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::Conflict("The request was malformed; reload the page and try again".into())
            }
            _ => AppError::Internal,
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

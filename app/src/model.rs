//! What the UI shows. The read models live in the shared crate (the REST API and
//! the store use the same types); what only the server functions need is here.

pub use nsm_core::account::CurrentUser;
pub use nsm_core::view::*;

/// The client's address, as seen by the server (inserted by its middleware).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub std::net::IpAddr);

/// A fresh session, for the server function that sets its cookie.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub max_age_secs: i64,
    /// Signed in with a one-time password: the Account page comes first.
    pub must_change_password: bool,
}

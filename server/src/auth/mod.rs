//! Accounts, sessions and the request guard.

pub mod guard;
pub mod password;
pub mod throttle;
pub mod token;

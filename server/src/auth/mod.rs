//! The credentials' primitives: password hashing, tokens and their digests, and the
//! throttles for sign-in and CI calls. No HTTP here (the guard is in `http`).

pub mod password;
pub mod rate;
pub mod throttle;
pub mod token;

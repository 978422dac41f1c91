//! The credentials' primitives: password hashing, tokens and their digests, and the
//! throttles for sign-in and CI calls. No HTTP here (the guard is in `http`).

pub mod github;
pub mod password;
pub mod rate;
pub mod setup_token;
pub mod throttle;
pub mod token;
pub mod tokens;

/// Removes expired and idle sessions every hour (sign-in also checks both, so this
/// only keeps the table small).
pub fn start_session_purge(db: crate::db::Db, idle_secs: i64) -> tokio::task::JoinHandle<()> {
    crate::periodic::hourly("expired sessions", move || {
        let db = db.clone();
        async move { crate::db::sessions::delete_expired(&db, idle_secs).await }
    })
}

//! Browser sessions: an absolute expiry, and an idle timeout counted from the last
//! request.

use nsm_core::access::CurrentUser;
use sqlx::Row;

use super::{now, timestamp, Db};

/// How stale `last_seen_at` may get before a request writes it again: one write a
/// minute per session, not one per request.
const TOUCH_EVERY_SECS: i64 = 60;

pub async fn insert(
    db: &Db,
    token_hash: &str,
    user_id: i64,
    expires_at: &str,
    client: Option<&str>,
) -> sqlx::Result<()> {
    let at = now();
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at, client)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(&at)
    .bind(expires_at)
    .bind(&at)
    .bind(client)
    .execute(db)
    .await?;
    Ok(())
}

/// The enabled user owning a session that has neither expired nor been idle for
/// `idle_secs`; marks the session as used.
pub async fn user_for(db: &Db, token_hash: &str, idle_secs: i64) -> sqlx::Result<Option<CurrentUser>> {
    let at = chrono::Utc::now();
    let row = sqlx::query(
        "SELECT u.id, u.username, u.role, s.last_seen_at, u.must_change_password FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen_at > ? AND u.disabled_at IS NULL",
    )
    .bind(token_hash)
    .bind(timestamp(at))
    .bind(timestamp(at - chrono::Duration::seconds(idle_secs)))
    .fetch_optional(db)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let last_seen: String = row.get(3);
    if last_seen < timestamp(at - chrono::Duration::seconds(TOUCH_EVERY_SECS)) {
        sqlx::query("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?")
            .bind(timestamp(at))
            .bind(token_hash)
            .execute(db)
            .await?;
    }
    Ok(Some(CurrentUser {
        id: row.get(0),
        username: row.get(1),
        role: row.get(2),
        scope: None,
        must_change_password: row.get(4),
    }))
}

/// A live session as its user sees it in the list.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: i64,
    pub created_at: String,
    pub last_seen_at: String,
    pub expires_at: String,
    pub client: Option<String>,
    pub current: bool,
}

pub async fn list_for_user(
    db: &Db,
    user_id: i64,
    current_hash: Option<&str>,
    idle_secs: i64,
) -> sqlx::Result<Vec<SessionRow>> {
    let at = chrono::Utc::now();
    let rows = sqlx::query(
        "SELECT rowid, created_at, last_seen_at, expires_at, client, token_hash = ? FROM sessions
         WHERE user_id = ? AND expires_at > ? AND last_seen_at > ? ORDER BY last_seen_at DESC",
    )
    .bind(current_hash.unwrap_or(""))
    .bind(user_id)
    .bind(timestamp(at))
    .bind(timestamp(at - chrono::Duration::seconds(idle_secs)))
    .fetch_all(db)
    .await?;
    Ok(rows
        .iter()
        .map(|r| SessionRow {
            id: r.get(0),
            created_at: r.get(1),
            last_seen_at: r.get(2),
            expires_at: r.get(3),
            client: r.get(4),
            current: r.get(5),
        })
        .collect())
}

pub async fn delete(db: &Db, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(db).await?;
    Ok(())
}

/// One of a user's sessions, by the id the list shows; `false` when it was not theirs.
pub async fn delete_one(db: &Db, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let result =
        sqlx::query("DELETE FROM sessions WHERE rowid = ? AND user_id = ?").bind(id).bind(user_id).execute(db).await?;
    Ok(result.rows_affected() == 1)
}

/// Signs a user out everywhere; answers how many sessions ended.
pub async fn delete_for_user(db: &Db, user_id: i64) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = ?").bind(user_id).execute(db).await?.rows_affected())
}

/// Sessions past their expiry or idle longer than `idle_secs`.
pub async fn delete_expired(db: &Db, idle_secs: i64) -> sqlx::Result<u64> {
    let at = chrono::Utc::now();
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?")
        .bind(timestamp(at))
        .bind(timestamp(at - chrono::Duration::seconds(idle_secs)))
        .execute(db)
        .await?
        .rows_affected())
}

/// Every session of a user except `keep` (a token digest).
pub async fn delete_others(db: &Db, user_id: i64, keep: Option<&str>) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?")
        .bind(user_id)
        .bind(keep.unwrap_or(""))
        .execute(db)
        .await?
        .rows_affected())
}

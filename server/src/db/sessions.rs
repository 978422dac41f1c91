use sqlx::Row;

use super::{now, Db};
use nsm_core::account::CurrentUser;

pub async fn insert(db: &Db, token_hash: &str, user_id: i64, expires_at: &str) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
        .bind(token_hash)
        .bind(user_id)
        .bind(now())
        .bind(expires_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The user owning an unexpired session.
pub async fn user_for(db: &Db, token_hash: &str) -> sqlx::Result<Option<CurrentUser>> {
    let row = sqlx::query(
        "SELECT u.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = ? AND s.expires_at > ?",
    )
    .bind(token_hash)
    .bind(now())
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| CurrentUser { id: r.get(0), username: r.get(1) }))
}

pub async fn delete(db: &Db, token_hash: &str) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = ?").bind(token_hash).execute(db).await?;
    Ok(())
}

pub async fn delete_expired(db: &Db) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM sessions WHERE expires_at <= ?").bind(now()).execute(db).await?.rows_affected())
}

//! Control-plane settings editable at run time (key/value).

use super::Db;

pub const GIT_BASE_URL: &str = "git_base_url";
pub const DEFAULT_GIT_BASE_URL: &str = "https://github.com";

pub async fn get(db: &Db, key: &str) -> sqlx::Result<Option<String>> {
    sqlx::query_scalar("SELECT value FROM settings WHERE key = ?").bind(key).fetch_optional(db).await
}

pub async fn set(db: impl sqlx::SqliteExecutor<'_>, key: &str, value: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(db)
    .await?;
    Ok(())
}

pub async fn git_base_url(db: &Db) -> sqlx::Result<String> {
    Ok(get(db, GIT_BASE_URL).await?.unwrap_or_else(|| DEFAULT_GIT_BASE_URL.to_owned()))
}

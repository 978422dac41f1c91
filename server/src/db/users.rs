use sqlx::Row;

use super::{now, Db};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
}

pub async fn count(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(db).await
}

pub async fn find_by_username(db: &Db, username: &str) -> sqlx::Result<Option<UserRow>> {
    let row = sqlx::query("SELECT id, username, password_hash FROM users WHERE username = ?")
        .bind(username)
        .fetch_optional(db)
        .await?;
    Ok(row.map(|r| UserRow { id: r.get(0), username: r.get(1), password_hash: r.get(2) }))
}

/// Inserts an administrator. With `only_if_first`, the insert happens only while the
/// table is empty, atomically, so two racing setup requests cannot both succeed.
pub async fn insert_admin(
    db: &Db,
    username: &str,
    password_hash: &str,
    only_if_first: bool,
) -> sqlx::Result<Option<i64>> {
    let sql = if only_if_first {
        "INSERT INTO users (username, password_hash, is_admin, created_at)
         SELECT ?, ?, 1, ? WHERE NOT EXISTS (SELECT 1 FROM users)"
    } else {
        "INSERT INTO users (username, password_hash, is_admin, created_at) VALUES (?, ?, 1, ?)"
    };
    let result = sqlx::query(sql).bind(username).bind(password_hash).bind(now()).execute(db).await?;
    Ok((result.rows_affected() == 1).then(|| result.last_insert_rowid()))
}

/// Whether a user is an administrator (who alone may write Custom resources).
pub async fn is_admin(db: &Db, user: i64) -> sqlx::Result<bool> {
    let admin: Option<i64> =
        sqlx::query_scalar("SELECT is_admin FROM users WHERE id = ?").bind(user).fetch_optional(db).await?;
    Ok(admin.is_some_and(|a| a != 0))
}

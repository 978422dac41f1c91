//! API tokens: their scope, expiry, use and revocation (the secret only as a digest).

use nsm_core::access::{CurrentUser, TokenScope};
use sqlx::Row;

use super::{now, timestamp, Db};

#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub scope: TokenScope,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked: bool,
}

/// Creates the row; the caller stores the real digest once it knows the id.
pub async fn insert(
    db: &Db,
    user_id: i64,
    name: &str,
    scope: TokenScope,
    expires_at: Option<&str>,
    placeholder: &str,
) -> sqlx::Result<i64> {
    let result = sqlx::query(
        "INSERT INTO api_tokens (user_id, name, secret_hash, scope, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(name)
    .bind(placeholder)
    .bind(scope)
    .bind(now())
    .bind(expires_at)
    .execute(db)
    .await?;
    Ok(result.last_insert_rowid())
}

pub async fn set_digest(db: &Db, id: i64, digest: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE api_tokens SET secret_hash = ? WHERE id = ?").bind(digest).bind(id).execute(db).await?;
    Ok(())
}

pub async fn list_for_user(db: &Db, user_id: i64) -> sqlx::Result<Vec<TokenRow>> {
    let rows = sqlx::query(
        "SELECT id, name, scope, created_at, expires_at, last_used_at, revoked_at IS NOT NULL
         FROM api_tokens WHERE user_id = ? ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(db)
    .await?;
    Ok(rows
        .iter()
        .map(|r| TokenRow {
            id: r.get(0),
            name: r.get(1),
            scope: r.get(2),
            created_at: r.get(3),
            expires_at: r.get(4),
            last_used_at: r.get(5),
            revoked: r.get(6),
        })
        .collect())
}

/// Revokes one of a user's tokens; `false` when it is not theirs.
pub async fn revoke(db: &Db, user_id: i64, id: i64) -> sqlx::Result<bool> {
    let result = sqlx::query("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? AND user_id = ?")
        .bind(now())
        .bind(id)
        .bind(user_id)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// A live token's stored digest and the user it acts for (enabled users only).
pub async fn find_live(db: &Db, id: i64) -> sqlx::Result<Option<(String, CurrentUser)>> {
    let row = sqlx::query(
        "SELECT t.secret_hash, u.id, u.username, u.role, t.scope, u.must_change_password FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.id = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)
           AND u.disabled_at IS NULL",
    )
    .bind(id)
    .bind(now())
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| {
        let user = CurrentUser {
            id: r.get(1),
            username: r.get(2),
            role: r.get(3),
            scope: Some(r.get(4)),
            // A token acts only while its user has a password of their own.
            must_change_password: r.get(5),
        };
        (r.get(0), user)
    }))
}

/// Records a use, at most once a minute per token.
pub async fn touch(db: &Db, id: i64) -> sqlx::Result<()> {
    let at = chrono::Utc::now();
    sqlx::query("UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)")
        .bind(timestamp(at))
        .bind(id)
        .bind(timestamp(at - chrono::Duration::seconds(60)))
        .execute(db)
        .await?;
    Ok(())
}

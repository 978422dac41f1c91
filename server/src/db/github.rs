//! GitHub identities: which local user a GitHub account (by its numeric id) signs in as.

use super::users::UserRow;
use super::{now, Db};

/// What a GitHub-backed user stores as its password hash: not a PHC string, so no
/// password ever verifies against it (`auth::password::verify` spends the usual time
/// and answers no).
pub const NO_PASSWORD: &str = "!github";

/// The user linked to GitHub account `github_id`, if any.
pub async fn linked_user(db: &Db, github_id: i64) -> sqlx::Result<Option<UserRow>> {
    let user: Option<i64> = sqlx::query_scalar("SELECT user_id FROM github_identities WHERE github_id = ?")
        .bind(github_id)
        .fetch_optional(db)
        .await?;
    match user {
        Some(id) => super::users::get(db, id).await,
        None => Ok(None),
    }
}

/// Creates a GitHub-backed user and its link in one transaction; `None` when the
/// username is taken.
pub async fn create_user(
    db: &Db,
    username: &str,
    role: nsm_core::access::Role,
    github_id: i64,
    login: &str,
) -> sqlx::Result<Option<i64>> {
    let mut tx = db.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO users (username, password_hash, role, must_change_password, created_at)
         SELECT ?, ?, ?, 0, ? WHERE NOT EXISTS (SELECT 1 FROM users WHERE username = ?)",
    )
    .bind(username)
    .bind(NO_PASSWORD)
    .bind(role)
    .bind(now())
    .bind(username)
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() != 1 {
        return Ok(None);
    }
    let id = inserted.last_insert_rowid();
    sqlx::query("INSERT INTO github_identities (github_id, user_id, login, linked_at) VALUES (?, ?, ?, ?)")
        .bind(github_id)
        .bind(id)
        .bind(login)
        .bind(now())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(id))
}

/// A sign-in: the login as GitHub spells it now, and when.
pub async fn signed_in(db: &Db, github_id: i64, login: &str) -> sqlx::Result<()> {
    sqlx::query("UPDATE github_identities SET login = ?, last_sign_in_at = ? WHERE github_id = ?")
        .bind(login)
        .bind(now())
        .bind(github_id)
        .execute(db)
        .await?;
    Ok(())
}

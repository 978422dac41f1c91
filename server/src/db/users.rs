//! Users: credentials, role, whether disabled.

use nsm_core::access::Role;
use sqlx::Row;

use super::{now, Db};

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub password_hash: String,
    pub role: Role,
    pub disabled: bool,
    pub must_change_password: bool,
}

/// A user as the Users page lists them.
#[derive(Debug, Clone)]
pub struct UserListing {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_at: String,
    pub sessions: i64,
    pub last_seen: Option<String>,
}

const COLUMNS: &str = "id, username, password_hash, role, disabled_at IS NOT NULL, must_change_password";

fn user_row(r: &sqlx::sqlite::SqliteRow) -> UserRow {
    UserRow {
        id: r.get(0),
        username: r.get(1),
        password_hash: r.get(2),
        role: r.get(3),
        disabled: r.get(4),
        must_change_password: r.get(5),
    }
}

pub async fn count(db: &Db) -> sqlx::Result<i64> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users").fetch_one(db).await
}

pub async fn find_by_username(db: &Db, username: &str) -> sqlx::Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE username = ?");
    Ok(sqlx::query(&sql).bind(username).fetch_optional(db).await?.as_ref().map(user_row))
}

pub async fn get(db: &Db, id: i64) -> sqlx::Result<Option<UserRow>> {
    let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?");
    Ok(sqlx::query(&sql).bind(id).fetch_optional(db).await?.as_ref().map(user_row))
}

pub async fn list(db: &Db) -> sqlx::Result<Vec<UserListing>> {
    let rows = sqlx::query(
        "SELECT u.id, u.username, u.role, u.disabled_at IS NOT NULL, u.created_at,
                (SELECT COUNT(*) FROM sessions s WHERE s.user_id = u.id AND s.expires_at > ?),
                (SELECT MAX(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id)
         FROM users u ORDER BY u.username",
    )
    .bind(now())
    .fetch_all(db)
    .await?;
    Ok(rows
        .iter()
        .map(|r| UserListing {
            id: r.get(0),
            username: r.get(1),
            role: r.get(2),
            disabled: r.get(3),
            created_at: r.get(4),
            sessions: r.get(5),
            last_seen: r.get(6),
        })
        .collect())
}

/// Inserts a user. With `only_if_first`, the insert happens only while the table is
/// empty, atomically, so two racing setup requests cannot both succeed.
pub async fn insert(
    db: &Db,
    username: &str,
    password_hash: &str,
    role: Role,
    must_change_password: bool,
    only_if_first: bool,
) -> sqlx::Result<Option<i64>> {
    let sql = if only_if_first {
        "INSERT INTO users (username, password_hash, role, must_change_password, created_at)
         SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM users)"
    } else {
        "INSERT INTO users (username, password_hash, role, must_change_password, created_at) VALUES (?, ?, ?, ?, ?)"
    };
    let result = sqlx::query(sql)
        .bind(username)
        .bind(password_hash)
        .bind(role)
        .bind(must_change_password)
        .bind(now())
        .execute(db)
        .await?;
    Ok((result.rows_affected() == 1).then(|| result.last_insert_rowid()))
}

/// Whether a user is an enabled administrator.
pub async fn is_admin(db: &Db, user: i64) -> sqlx::Result<bool> {
    Ok(get(db, user).await?.is_some_and(|u| u.role == Role::Admin && !u.disabled))
}

/// Why a change to the administrators was not made.
#[derive(Debug, thiserror::Error)]
pub enum UserChangeError {
    #[error("no such user")]
    NotFound,
    #[error("the last administrator cannot be demoted or disabled")]
    LastAdmin,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

/// Enabled administrators other than `user`, counted in the same statement that
/// changes `user`, so two concurrent demotions cannot remove the last one.
const OTHER_ADMINS: &str = "(SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled_at IS NULL AND id <> ?)";

pub async fn set_role(db: &Db, user: i64, role: Role) -> Result<(), UserChangeError> {
    let sql = format!(
        "UPDATE users SET role = ? WHERE id = ? AND (? = 'admin' OR role <> 'admin' OR disabled_at IS NOT NULL
         OR {OTHER_ADMINS} > 0)"
    );
    let result = sqlx::query(&sql).bind(role).bind(user).bind(role).bind(user).execute(db).await?;
    changed(db, user, result.rows_affected()).await
}

pub async fn set_disabled(db: &Db, user: i64, disabled: bool) -> Result<(), UserChangeError> {
    let result = if disabled {
        let sql = format!(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?
             AND (role <> 'admin' OR {OTHER_ADMINS} > 0)"
        );
        sqlx::query(&sql).bind(now()).bind(user).bind(user).execute(db).await?
    } else {
        sqlx::query("UPDATE users SET disabled_at = NULL WHERE id = ?").bind(user).execute(db).await?
    };
    changed(db, user, result.rows_affected()).await
}

/// A changed password; `must_change` when an administrator set it for the user.
pub async fn set_password(db: &Db, user: i64, password_hash: &str, must_change: bool) -> Result<(), UserChangeError> {
    let result = sqlx::query("UPDATE users SET password_hash = ?, must_change_password = ? WHERE id = ?")
        .bind(password_hash)
        .bind(must_change)
        .bind(user)
        .execute(db)
        .await?;
    changed(db, user, result.rows_affected()).await
}

/// No row changed: the user is missing, or the guard on the last admin held.
async fn changed(db: &Db, user: i64, rows: u64) -> Result<(), UserChangeError> {
    if rows == 1 {
        return Ok(());
    }
    match get(db, user).await? {
        None => Err(UserChangeError::NotFound),
        Some(_) => Err(UserChangeError::LastAdmin),
    }
}

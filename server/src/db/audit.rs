use super::{now, Db};

/// Records who did what to which target; `detail` is free text for humans.
pub async fn record(
    db: &Db,
    user_id: Option<i64>,
    action: &str,
    target: &str,
    detail: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("INSERT INTO audit_log (at, user_id, action, target, detail) VALUES (?, ?, ?, ?, ?)")
        .bind(now())
        .bind(user_id)
        .bind(action)
        .bind(target)
        .bind(detail)
        .execute(db)
        .await?;
    Ok(())
}

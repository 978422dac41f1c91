//! A project's environment variables. Plain values are stored sealed (encrypted);
//! references as JSON naming ids.

use sqlx::Row;

use super::{now, Db};

#[derive(Debug, Clone)]
pub struct VariableRow {
    pub name: String,
    pub kind: String,
    pub value_enc: Option<Vec<u8>>,
    pub reference: Option<String>,
    pub unused: bool,
    pub updated_at: String,
}

pub async fn list_variables(db: &Db, project: &str) -> sqlx::Result<Vec<VariableRow>> {
    let rows = sqlx::query(
        "SELECT name, kind, value_enc, reference, unused, updated_at FROM project_variables
         WHERE project_id = ? ORDER BY position, name",
    )
    .bind(project)
    .fetch_all(db)
    .await?;
    Ok(rows
        .iter()
        .map(|r| VariableRow {
            name: r.get(0),
            kind: r.get(1),
            value_enc: r.get(2),
            reference: r.get(3),
            unused: r.get::<i64, _>(4) != 0,
            updated_at: r.get(5),
        })
        .collect())
}

pub async fn names(db: &Db, project: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("SELECT name FROM project_variables WHERE project_id = ? ORDER BY position, name")
        .bind(project)
        .fetch_all(db)
        .await
}

/// Inserts or replaces one variable, keeping its position when it exists.
pub async fn save_variable(
    db: &Db,
    project: &str,
    name: &str,
    kind: &str,
    value_enc: Option<&[u8]>,
    reference: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO project_variables (project_id, name, position, kind, value_enc, reference, updated_at)
         VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM project_variables WHERE project_id = ?), ?, ?, ?, ?)
         ON CONFLICT(project_id, name) DO UPDATE SET kind = excluded.kind, value_enc = excluded.value_enc,
           reference = excluded.reference, updated_at = excluded.updated_at",
    )
    .bind(project)
    .bind(name)
    .bind(project)
    .bind(kind)
    .bind(value_enc)
    .bind(reference)
    .bind(now())
    .execute(db)
    .await?;
    Ok(())
}

pub async fn delete_variable(db: &Db, project: &str, name: &str) -> sqlx::Result<bool> {
    let result = sqlx::query("DELETE FROM project_variables WHERE project_id = ? AND name = ?")
        .bind(project)
        .bind(name)
        .execute(db)
        .await?;
    Ok(result.rows_affected() == 1)
}

/// After a sync: names the repository uses are in use, the others are marked unused
/// (never deleted: their values stay).
pub async fn mark_usage(db: &Db, project: &str, used: &[String]) -> sqlx::Result<()> {
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE project_variables SET unused = 1 WHERE project_id = ?").bind(project).execute(&mut *tx).await?;
    for name in used {
        sqlx::query("UPDATE project_variables SET unused = 0 WHERE project_id = ? AND name = ?")
            .bind(project)
            .bind(name)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

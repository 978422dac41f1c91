//! The audit log: who did what to which target, before → after (writers mask
//! secrets), read back newest first through the page's filters, purged by age.
//! Kinds, actions and triggers are the shared crate's words (`nsm_core::audit`).

use nsm_core::audit::{AuditAction, AuditEntry, AuditEvent, AuditFilter, AuditKind, AuditPage, DeployTrigger};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{now, Db};

/// Records one event by `user_id` (`None`: the command line, a deploy key, GitHub).
pub async fn record(db: &Db, user_id: Option<i64>, event: &AuditEvent) -> sqlx::Result<()> {
    record_at(db, &now(), user_id, event).await
}

/// As [`record`], at a given time (what a batch writer saw, or a test's past).
pub async fn record_at(db: &Db, at: &str, user_id: Option<i64>, event: &AuditEvent) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, kind, action, target, project_id, before_text, after_text, detail, deploy_trigger)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(at)
    .bind(user_id)
    .bind(event.kind)
    .bind(event.action)
    .bind(&event.target)
    .bind(&event.project)
    .bind(&event.before)
    .bind(&event.after)
    .bind(&event.detail)
    .bind(event.trigger)
    .execute(db)
    .await?;
    Ok(())
}

/// A token's use in the hour starting at `hour` (RFC 3339): written once per token and
/// hour, however often it is called. `false` when the hour had its entry already (or
/// the token is gone).
pub async fn record_token_use(db: &Db, token: i64, hour: &str) -> sqlx::Result<bool> {
    let result = sqlx::query(
        "INSERT INTO audit_log (at, user_id, kind, action, target, detail, bucket)
         SELECT ?, t.user_id, ?, ?, 'token ' || t.name || ' (#' || t.id || ')', 'scope ' || t.scope, ?
         FROM api_tokens t WHERE t.id = ?
         ON CONFLICT(bucket) DO NOTHING",
    )
    .bind(now())
    .bind(AuditKind::TokenUse)
    .bind(AuditAction::Used)
    .bind(format!("token:{token}:{hour}"))
    .bind(token)
    .execute(db)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// Refused CI/CD calls of one project in one minute (`minute`: `YYYY-MM-DDTHH:MM`):
/// one entry whose count grows, its detail listing the distinct reasons.
pub async fn add_webhook_refusals(db: &Db, project: &str, minute: &str, count: i64, reasons: &str) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, kind, action, target, project_id, detail, count, bucket)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT(bucket) DO UPDATE SET
             count = count + excluded.count,
             detail = CASE WHEN instr(detail, excluded.detail) > 0 THEN detail
                           ELSE detail || '; ' || excluded.detail END",
    )
    .bind(now())
    .bind(AuditKind::WebhookRefused)
    .bind(AuditAction::Refused)
    .bind(project)
    .bind(project)
    .bind(reasons)
    .bind(count)
    .bind(format!("webhook:{project}:{minute}"))
    .execute(db)
    .await?;
    Ok(())
}

fn conditions(query: &mut QueryBuilder<'_, Sqlite>, filter: &AuditFilter) {
    if let Some(user) = &filter.user {
        // A failed sign-in of an unknown name is that name's.
        query
            .push(" AND (u.username = ")
            .push_bind(user.clone())
            .push(" OR (a.user_id IS NULL AND a.kind = ")
            .push_bind(AuditKind::SignInFailed)
            .push(" AND a.target = ")
            .push_bind(user.clone())
            .push("))");
    }
    if let Some(project) = &filter.project {
        query.push(" AND a.project_id = ").push_bind(project.to_string());
    }
    let kinds = filter.kind.kinds();
    if !kinds.is_empty() {
        query.push(" AND a.kind IN (");
        let mut list = query.separated(", ");
        for kind in kinds {
            list.push_bind(kind);
        }
        query.push(")");
    }
    if let Some(from) = filter.from_text() {
        query.push(" AND a.at >= ").push_bind(from);
    }
    if let Some(to) = filter.to_text() {
        query.push(" AND a.at <= ").push_bind(to);
    }
    if let Some(before) = filter.before {
        query.push(" AND a.id < ").push_bind(before);
    }
}

/// The entries `filter` lets through, newest first, a page of `filter.limit`.
pub async fn list(db: &Db, filter: &AuditFilter) -> sqlx::Result<AuditPage> {
    let mut query = QueryBuilder::<Sqlite>::new(
        "SELECT a.id, a.at, u.username, a.kind, a.action, a.target, a.project_id, a.before_text, a.after_text,
                a.detail, a.deploy_trigger, a.count
         FROM audit_log a LEFT JOIN users u ON u.id = a.user_id WHERE 1 = 1",
    );
    conditions(&mut query, filter);
    let limit = i64::from(filter.limit);
    query.push(" ORDER BY a.id DESC LIMIT ").push_bind(limit + 1);
    let rows = query.build().fetch_all(db).await?;
    let mut entries: Vec<AuditEntry> = rows
        .iter()
        .map(|r| {
            // Words this version does not know (a newer server wrote them) still read.
            let kind: String = r.get(3);
            let action: String = r.get(4);
            let trigger: Option<String> = r.get(10);
            AuditEntry {
                id: r.get(0),
                at: r.get(1),
                user: r.get(2),
                kind: AuditKind::parse(&kind).unwrap_or(AuditKind::Other),
                action: AuditAction::parse(&action).unwrap_or(AuditAction::Other),
                target: r.get(5),
                project: r.get(6),
                before: r.get(7),
                after: r.get(8),
                detail: r.get(9),
                trigger: trigger.as_deref().and_then(DeployTrigger::parse),
                count: r.get(11),
            }
        })
        .collect();
    let more = entries.len() as i64 > limit;
    entries.truncate(filter.limit as usize);
    let next_before = if more { entries.last().map(|e| e.id) } else { None };
    Ok(AuditPage { entries, next_before })
}

/// Deletes the entries from before `cutoff` (RFC 3339); answers how many.
pub async fn delete_before(db: &Db, cutoff: &str) -> sqlx::Result<u64> {
    Ok(sqlx::query("DELETE FROM audit_log WHERE at < ?").bind(cutoff).execute(db).await?.rows_affected())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use nsm_core::audit::AuditFilterForm;

    use super::*;

    async fn db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open(&dir.path().join("nsm.db")).await.unwrap();
        (dir, db)
    }

    fn filter(pairs: &[(&str, &str)]) -> AuditFilter {
        let mut form = AuditFilterForm::default();
        for (name, value) in pairs {
            let field = match *name {
                "project" => &mut form.project,
                "kind" => &mut form.kind,
                "from" => &mut form.from,
                "to" => &mut form.to,
                "before" => &mut form.before,
                "limit" => &mut form.limit,
                _ => &mut form.user,
            };
            *field = (*value).to_owned();
        }
        form.parse().unwrap()
    }

    #[tokio::test]
    async fn old_rows_read_in_the_new_vocabulary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nsm.db");
        // A database as the first release left it: migrations up to 0010, dotted actions.
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&path).create_if_missing(true);
        let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
        let migrator = sqlx::migrate!("../migrations");
        for migration in migrator.iter().filter(|m| m.version <= 10) {
            sqlx::raw_sql(&migration.sql).execute(&pool).await.unwrap();
        }
        for (action, target, detail) in [
            ("variable.save", "shop/API_KEY", Some("plain")),
            ("user.sign_in_failed", "mallory", Some("from 10.0.0.1")),
            ("project.deploy", "shop", Some("deployment #3")),
            ("something.else", "x", None),
        ] {
            sqlx::query("INSERT INTO audit_log (at, action, target, detail) VALUES ('2026-01-01T00:00:00Z', ?, ?, ?)")
                .bind(action)
                .bind(target)
                .bind(detail)
                .execute(&pool)
                .await
                .unwrap();
        }
        for migration in migrator.iter().filter(|m| m.version > 10) {
            sqlx::raw_sql(&migration.sql).execute(&pool).await.unwrap();
        }
        let page = list(&pool, &AuditFilter::default()).await.unwrap();
        let read: Vec<_> = page
            .entries
            .iter()
            .map(|e| (e.kind, e.action, e.project.as_deref(), e.trigger, e.detail.as_deref()))
            .collect();
        assert_eq!(
            read,
            [
                (AuditKind::Other, AuditAction::Other, None, None, Some("something.else")),
                (
                    AuditKind::Deployment,
                    AuditAction::Requested,
                    Some("shop"),
                    Some(DeployTrigger::Ui),
                    Some("deployment #3")
                ),
                (AuditKind::SignInFailed, AuditAction::Failed, None, None, Some("from 10.0.0.1")),
                (AuditKind::Variable, AuditAction::Changed, Some("shop"), None, Some("plain")),
            ]
        );
        let failures = list(&pool, &filter(&[("user", "mallory")])).await.unwrap();
        assert_eq!(failures.entries.len(), 1, "a failed sign-in is the tried name's");
    }

    #[tokio::test]
    async fn filters_pages_and_purges() {
        let (_dir, db) = db().await;
        let event = |kind, project: &str| AuditEvent::new(kind, AuditAction::Changed, "t").project(project);
        record_at(&db, "2026-01-01T10:00:00Z", None, &event(AuditKind::Variable, "shop")).await.unwrap();
        record_at(&db, "2026-01-02T10:00:00Z", None, &event(AuditKind::Domain, "shop")).await.unwrap();
        record_at(&db, "2026-01-03T10:00:00Z", None, &event(AuditKind::Variable, "blog")).await.unwrap();
        record_at(&db, "2026-01-04T10:00:00Z", None, &AuditEvent::new(AuditKind::SignIn, AuditAction::Succeeded, "a"))
            .await
            .unwrap();
        let count = |f: AuditFilter| {
            let db = db.clone();
            async move { list(&db, &f).await.unwrap().entries.len() }
        };
        assert_eq!(count(filter(&[])).await, 4);
        assert_eq!(count(filter(&[("project", "shop")])).await, 2);
        assert_eq!(count(filter(&[("kind", "variable")])).await, 2);
        assert_eq!(count(filter(&[("kind", "configuration")])).await, 3);
        assert_eq!(count(filter(&[("from", "2026-01-02"), ("to", "2026-01-03")])).await, 2);

        let first = list(&db, &filter(&[("limit", "3")])).await.unwrap();
        assert_eq!(first.entries.len(), 3);
        let next = first.next_before.unwrap();
        let rest = list(&db, &filter(&[("limit", "3"), ("before", &next.to_string())])).await.unwrap();
        assert_eq!(rest.entries.len(), 1);
        assert_eq!(rest.next_before, None);
        assert_eq!(rest.entries[0].at, "2026-01-01T10:00:00Z", "newest first, then older");

        assert_eq!(delete_before(&db, "2026-01-03T00:00:00Z").await.unwrap(), 2);
        assert_eq!(count(filter(&[])).await, 2);
    }

    #[tokio::test]
    async fn refusals_of_a_minute_are_one_entry() {
        let (_dir, db) = db().await;
        add_webhook_refusals(&db, "shop", "2026-01-01T10:00", 3, "rate limited").await.unwrap();
        add_webhook_refusals(&db, "shop", "2026-01-01T10:00", 2, "missing or bad signature").await.unwrap();
        add_webhook_refusals(&db, "shop", "2026-01-01T10:00", 1, "rate limited").await.unwrap();
        add_webhook_refusals(&db, "shop", "2026-01-01T10:01", 1, "rate limited").await.unwrap();
        let page = list(&db, &filter(&[("kind", "webhook_refused")])).await.unwrap();
        let counts: Vec<_> = page.entries.iter().map(|e| (e.count, e.detail.clone().unwrap())).collect();
        assert_eq!(counts, [(1, "rate limited".to_owned()), (6, "rate limited; missing or bad signature".to_owned())]);
    }
}

//! Writes behind the Domains tab (domains, ordered resources) and the certificate
//! status the edge keeps per hostname. Reads of a project's domains and resources as
//! a whole are `domains::topology`.

use nsm_core::domain::{Hostname, ResourceConfig};
use nsm_core::{DomainId, ProjectId, ResourceId};
use sqlx::Row;

use super::{now, Db};

#[derive(Debug, thiserror::Error)]
pub enum EdgeStoreError {
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// The hostname is taken; by which project (`None`: this one).
    #[error("the hostname is already used")]
    HostnameTaken(Option<ProjectId>),
    #[error("another resource of this domain already uses this path")]
    PathTaken,
    #[error("not found")]
    NotFound,
    #[error("cannot store a resource: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("stored {what} `{value}` is invalid")]
    Corrupt { what: &'static str, value: String },
}

/// Which way a resource moves in its domain's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

fn is_unique_violation(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(e) if e.is_unique_violation())
}

/// Adds a domain to a project; a hostname belongs to one project only.
pub async fn add_domain(db: &Db, project: &ProjectId, hostname: &Hostname) -> Result<DomainId, EdgeStoreError> {
    let owner: Option<String> = sqlx::query_scalar("SELECT project_id FROM domains WHERE hostname = ?")
        .bind(hostname.as_str())
        .fetch_optional(db)
        .await?;
    if let Some(owner) = owner {
        if owner == project.as_str() {
            return Err(EdgeStoreError::HostnameTaken(None));
        }
        let owner =
            ProjectId::parse(&owner).map_err(|_| EdgeStoreError::Corrupt { what: "project id", value: owner })?;
        return Err(EdgeStoreError::HostnameTaken(Some(owner)));
    }
    let result = sqlx::query("INSERT INTO domains (project_id, hostname, created_at) VALUES (?, ?, ?)")
        .bind(project.as_str())
        .bind(hostname.as_str())
        .bind(now())
        .execute(db)
        .await;
    match result {
        Ok(done) => Ok(DomainId(done.last_insert_rowid())),
        // Lost a race with another request for the same name.
        Err(e) if is_unique_violation(&e) => Err(EdgeStoreError::HostnameTaken(None)),
        Err(e) => Err(e.into()),
    }
}

/// Removes a domain of `project` (its resources and their leases go with it) and
/// returns its hostname.
pub async fn remove_domain(db: &Db, project: &ProjectId, domain: DomainId) -> Result<Hostname, EdgeStoreError> {
    let hostname: Option<String> =
        sqlx::query_scalar("DELETE FROM domains WHERE id = ? AND project_id = ? RETURNING hostname")
            .bind(domain)
            .bind(project.as_str())
            .fetch_optional(db)
            .await?;
    let hostname = hostname.ok_or(EdgeStoreError::NotFound)?;
    Hostname::parse(&hostname).map_err(|_| EdgeStoreError::NotFound)
}

/// The hostnames of a project's domains (a stored name that no longer parses is
/// left out, with a log line).
pub async fn hostnames(db: &Db, project: &ProjectId) -> sqlx::Result<Vec<Hostname>> {
    let rows: Vec<String> = sqlx::query_scalar("SELECT hostname FROM domains WHERE project_id = ? ORDER BY id")
        .bind(project.as_str())
        .fetch_all(db)
        .await?;
    Ok(rows.iter().filter_map(|h| parse_hostname(h)).collect())
}

fn parse_hostname(stored: &str) -> Option<Hostname> {
    match Hostname::parse(stored) {
        Ok(hostname) => Some(hostname),
        Err(error) => {
            tracing::error!(hostname = stored, error = %error.0, "a stored hostname is invalid");
            None
        }
    }
}

/// The domain a resource is on, if both belong to `project`.
pub async fn resource_domain(db: &Db, project: &ProjectId, resource: ResourceId) -> sqlx::Result<Option<DomainId>> {
    sqlx::query_scalar(
        "SELECT r.domain_id FROM resources r JOIN domains d ON d.id = r.domain_id WHERE r.id = ? AND d.project_id = ?",
    )
    .bind(resource)
    .bind(project.as_str())
    .fetch_optional(db)
    .await
}

pub async fn domain_belongs(db: &Db, project: &ProjectId, domain: DomainId) -> sqlx::Result<bool> {
    let found: Option<DomainId> = sqlx::query_scalar("SELECT id FROM domains WHERE id = ? AND project_id = ?")
        .bind(domain)
        .bind(project.as_str())
        .fetch_optional(db)
        .await?;
    Ok(found.is_some())
}

/// Appends a resource at the end of its domain's list.
pub async fn insert_resource(db: &Db, domain: DomainId, config: &ResourceConfig) -> Result<ResourceId, EdgeStoreError> {
    let json = serde_json::to_string(config)?;
    let result = sqlx::query(
        "INSERT INTO resources (domain_id, position, path, config)
         VALUES (?, (SELECT COALESCE(MAX(position), 0) + 1 FROM resources WHERE domain_id = ?), ?, ?)",
    )
    .bind(domain)
    .bind(domain)
    .bind(config.path.as_str())
    .bind(json)
    .execute(db)
    .await;
    match result {
        Ok(done) => Ok(ResourceId(done.last_insert_rowid())),
        Err(e) if is_unique_violation(&e) => Err(EdgeStoreError::PathTaken),
        Err(e) => Err(e.into()),
    }
}

pub async fn update_resource(db: &Db, resource: ResourceId, config: &ResourceConfig) -> Result<(), EdgeStoreError> {
    let json = serde_json::to_string(config)?;
    let result = sqlx::query("UPDATE resources SET path = ?, config = ? WHERE id = ?")
        .bind(config.path.as_str())
        .bind(json)
        .bind(resource)
        .execute(db)
        .await;
    match result {
        Ok(done) if done.rows_affected() == 1 => Ok(()),
        Ok(_) => Err(EdgeStoreError::NotFound),
        Err(e) if is_unique_violation(&e) => Err(EdgeStoreError::PathTaken),
        Err(e) => Err(e.into()),
    }
}

pub async fn delete_resource(db: &Db, resource: ResourceId) -> sqlx::Result<bool> {
    let done = sqlx::query("DELETE FROM resources WHERE id = ?").bind(resource).execute(db).await?;
    Ok(done.rows_affected() == 1)
}

/// Swaps a resource with its neighbour above or below; false at either end.
pub async fn move_resource(db: &Db, resource: ResourceId, direction: Direction) -> sqlx::Result<bool> {
    let mut tx = db.begin().await?;
    let Some(row) = sqlx::query("SELECT domain_id, position FROM resources WHERE id = ?")
        .bind(resource)
        .fetch_optional(&mut *tx)
        .await?
    else {
        return Ok(false);
    };
    let (domain, position): (DomainId, i64) = (row.get(0), row.get(1));
    let neighbour_sql = if direction == Direction::Up {
        "SELECT id, position FROM resources WHERE domain_id = ? AND position < ? ORDER BY position DESC LIMIT 1"
    } else {
        "SELECT id, position FROM resources WHERE domain_id = ? AND position > ? ORDER BY position ASC LIMIT 1"
    };
    let Some(neighbour) = sqlx::query(neighbour_sql).bind(domain).bind(position).fetch_optional(&mut *tx).await? else {
        return Ok(false);
    };
    let (other, other_position): (ResourceId, i64) = (neighbour.get(0), neighbour.get(1));
    for (id, to) in [(resource, other_position), (other, position)] {
        sqlx::query("UPDATE resources SET position = ? WHERE id = ?").bind(to).bind(id).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// A hostname's certificate as the Domains tab shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRow {
    pub hostname: Hostname,
    pub self_signed: bool,
    pub issuer: Option<String>,
    /// RFC 3339.
    pub not_after: Option<String>,
    pub last_error: Option<String>,
    pub last_attempt: Option<String>,
}

fn certificate_row(r: &sqlx::sqlite::SqliteRow) -> Option<CertificateRow> {
    Some(CertificateRow {
        hostname: parse_hostname(&r.get::<String, _>(0))?,
        self_signed: r.get::<i64, _>(1) != 0,
        issuer: r.get(2),
        not_after: r.get(3),
        last_error: r.get(4),
        last_attempt: r.get(5),
    })
}

const CERT_COLUMNS: &str = "hostname, self_signed, issuer, not_after, last_error, last_attempt";

pub async fn certificate(db: &Db, hostname: &Hostname) -> sqlx::Result<Option<CertificateRow>> {
    let row = sqlx::query(&format!("SELECT {CERT_COLUMNS} FROM certificates WHERE hostname = ?"))
        .bind(hostname.as_str())
        .fetch_optional(db)
        .await?;
    Ok(row.as_ref().and_then(certificate_row))
}

/// The certificates of a project's hostnames.
pub async fn certificates_of(db: &Db, project: &ProjectId) -> sqlx::Result<Vec<CertificateRow>> {
    let rows = sqlx::query(&format!(
        "SELECT {CERT_COLUMNS} FROM certificates WHERE hostname IN (SELECT hostname FROM domains WHERE project_id = ?)"
    ))
    .bind(project.as_str())
    .fetch_all(db)
    .await?;
    Ok(rows.iter().filter_map(certificate_row).collect())
}

/// Real (not self-signed) certificates whose end is before `before` (RFC 3339, as
/// stored), with their project.
pub async fn ending_before(db: &Db, before: &str) -> sqlx::Result<Vec<(ProjectId, CertificateRow)>> {
    let rows = sqlx::query(&format!(
        "SELECT {CERT_COLUMNS}, (SELECT project_id FROM domains d WHERE d.hostname = c.hostname) \
         FROM certificates c WHERE self_signed = 0 AND not_after IS NOT NULL AND not_after < ? ORDER BY not_after"
    ))
    .bind(before)
    .fetch_all(db)
    .await?;
    Ok(rows
        .iter()
        .filter_map(|r| {
            let project = ProjectId::parse(&r.get::<Option<String>, _>(6)?).ok()?;
            Some((project, certificate_row(r)?))
        })
        .collect())
}

/// What a certificate file installed for a hostname says.
#[derive(Debug, Clone, Copy)]
pub struct InstalledCertificate<'a> {
    pub self_signed: bool,
    pub issuer: &'a str,
    pub not_after: chrono::DateTime<chrono::Utc>,
}

/// Records the certificate now installed for a hostname (a success clears the error).
pub async fn record_certificate(
    db: &Db,
    hostname: &Hostname,
    certificate: &InstalledCertificate<'_>,
) -> sqlx::Result<()> {
    sqlx::query(
        "INSERT INTO certificates (hostname, self_signed, issuer, not_after, last_error, updated_at)
         VALUES (?, ?, ?, ?, NULL, ?)
         ON CONFLICT (hostname) DO UPDATE SET self_signed = excluded.self_signed, issuer = excluded.issuer,
             not_after = excluded.not_after, last_error = NULL, updated_at = excluded.updated_at",
    )
    .bind(hostname.as_str())
    .bind(certificate.self_signed)
    .bind(certificate.issuer)
    .bind(super::timestamp(certificate.not_after))
    .bind(now())
    .execute(db)
    .await?;
    Ok(())
}

/// Notes an attempt to obtain a certificate: its failure, or `None` for success.
pub async fn record_attempt(db: &Db, hostname: &Hostname, error: Option<&str>) -> sqlx::Result<()> {
    let at = now();
    sqlx::query(
        "INSERT INTO certificates (hostname, last_error, last_attempt, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (hostname) DO UPDATE SET last_error = excluded.last_error,
             last_attempt = excluded.last_attempt, updated_at = excluded.updated_at",
    )
    .bind(hostname.as_str())
    .bind(error)
    .bind(&at)
    .bind(&at)
    .execute(db)
    .await?;
    Ok(())
}

/// Turns HSTS on or off for a domain of `project`; returns its hostname.
pub async fn set_hsts(db: &Db, project: &ProjectId, domain: DomainId, on: bool) -> Result<Hostname, EdgeStoreError> {
    let hostname: Option<String> =
        sqlx::query_scalar("UPDATE domains SET hsts = ? WHERE id = ? AND project_id = ? RETURNING hostname")
            .bind(on)
            .bind(domain)
            .bind(project.as_str())
            .fetch_optional(db)
            .await?;
    let hostname = hostname.ok_or(EdgeStoreError::NotFound)?;
    parse_hostname(&hostname).ok_or(EdgeStoreError::Corrupt { what: "hostname", value: hostname })
}

/// The hostnames of `project` whose recorded certificate a CA issued (HSTS may be
/// sent for them).
pub async fn issued_hostnames(db: &Db, project: &ProjectId) -> sqlx::Result<Vec<Hostname>> {
    let rows = certificates_of(db, project).await?;
    Ok(rows.into_iter().filter(|r| !r.self_signed && r.not_after.is_some()).map(|r| r.hostname).collect())
}

/// The project that owns `hostname`, if one does.
pub async fn project_of(db: &Db, hostname: &Hostname) -> sqlx::Result<Option<ProjectId>> {
    let id: Option<String> = sqlx::query_scalar("SELECT project_id FROM domains WHERE hostname = ?")
        .bind(hostname.as_str())
        .fetch_optional(db)
        .await?;
    Ok(id.and_then(|id| ProjectId::parse(&id).ok()))
}

pub async fn forget_certificate(db: &Db, hostname: &Hostname) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM certificates WHERE hostname = ?").bind(hostname.as_str()).execute(db).await?;
    Ok(())
}

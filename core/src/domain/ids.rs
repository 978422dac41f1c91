//! Ids of a project's domains and resources: references point at these, never at
//! dotted strings.

crate::row_id!(
    /// A domain (hostname) row.
    DomainId
);

crate::row_id!(
    /// A resource (a path on a domain) row.
    ResourceId
);

/// How a resource is named towards the worker (`JobValue::Directory`/`Port`, the
/// `www/<key>` directory, the ports of a deploy report): `r<id>`, e.g. `r12`. Stable
/// across renames and moves, and safe as a file name.
pub fn resource_key(resource: i64) -> String {
    format!("r{resource}")
}

/// The inverse of [`resource_key`].
pub fn parse_resource_key(key: &str) -> Option<i64> {
    let digits = key.strip_prefix('r')?;
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

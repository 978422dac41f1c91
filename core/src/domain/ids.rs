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

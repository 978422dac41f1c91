//! Who may do what: a user's role, an API token's scope, and the permissions every
//! server function and `/api/v1` route requires (the table is in the HTTP layer; the
//! rules for combining them are here, so the browser hides exactly what the server
//! refuses).

crate::text_enum!(
    /// A user's role on this control plane.
    pub enum Role {
        /// Everything: users, workers, Custom nginx blocks, revealing secrets, settings.
        Admin = "admin",
        /// Edits projects, domains (no Custom blocks), variables (write, not reveal) and
        /// services; deploys, cancels, tears down.
        Deployer = "deployer",
        /// Reads; never sees a secret value.
        Viewer = "viewer",
    }
);

crate::text_enum!(
    /// What an API token may do, at most; never more than its user's role.
    pub enum TokenScope {
        Read = "read",
        Deploy = "deploy",
        Write = "write",
    }
);

crate::text_enum!(
    /// What an operation needs.
    pub enum Permission {
        /// See projects, deployments, services, logs; no secret values.
        Read = "read",
        /// Deploy, cancel, sync, tear down.
        Deploy = "deploy",
        /// Change a project's configuration (not Custom blocks).
        Edit = "edit",
        /// Users, workers, settings, Custom blocks, secret values.
        Admin = "admin",
    }
);

impl Role {
    pub fn grants(self, permission: Permission) -> bool {
        match self {
            Role::Admin => true,
            Role::Deployer => permission != Permission::Admin,
            Role::Viewer => permission == Permission::Read,
        }
    }

    /// How the role reads in the UI.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Deployer => "Deployer",
            Role::Viewer => "Viewer",
        }
    }
}

impl TokenScope {
    pub fn grants(self, permission: Permission) -> bool {
        match self {
            TokenScope::Read => permission == Permission::Read,
            TokenScope::Deploy => matches!(permission, Permission::Read | Permission::Deploy),
            // Bounded by the role of the token's user.
            TokenScope::Write => true,
        }
    }
}

/// The signed-in user, or the user an API token acts for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub role: Role,
    /// `Some` when the request came with an API token instead of a session.
    pub scope: Option<TokenScope>,
    /// Signed in with a one-time password: nothing but choosing a new one until done.
    pub must_change_password: bool,
}

impl CurrentUser {
    /// Whether this request may do what `permission` covers: the role allows it and,
    /// for a token, so does its scope.
    pub fn may(&self, permission: Permission) -> bool {
        !self.must_change_password
            && self.role.grants(permission)
            && self.scope.is_none_or(|scope| scope.grants(permission))
    }
}

/// Why a signed-in request is refused: answered as 403 with this text.
pub fn refusal(permission: Permission) -> &'static str {
    match permission {
        Permission::Read => "Your token's scope does not allow this",
        Permission::Deploy => "Your role does not allow deploying (a deployer or admin can)",
        Permission::Edit => "Your role does not allow changing configuration (a deployer or admin can)",
        Permission::Admin => "Only an administrator can do this",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, scope: Option<TokenScope>) -> CurrentUser {
        CurrentUser { id: 1, username: "u".into(), role, scope, must_change_password: false }
    }

    #[test]
    fn roles_grant_in_order() {
        use Permission::*;
        let table = [
            (Role::Viewer, [true, false, false, false]),
            (Role::Deployer, [true, true, true, false]),
            (Role::Admin, [true, true, true, true]),
        ];
        for (role, expected) in table {
            for (permission, allowed) in [Read, Deploy, Edit, Admin].into_iter().zip(expected) {
                assert_eq!(user(role, None).may(permission), allowed, "{role} {permission}");
            }
        }
    }

    #[test]
    fn a_token_never_exceeds_its_user() {
        for role in Role::ALL {
            for scope in TokenScope::ALL {
                for permission in Permission::ALL {
                    let with_token = user(*role, Some(*scope)).may(*permission);
                    assert!(!with_token || user(*role, None).may(*permission), "{role} {scope} {permission}");
                    assert!(!with_token || scope.grants(*permission));
                }
            }
        }
        assert!(user(Role::Admin, Some(TokenScope::Write)).may(Permission::Admin));
        assert!(!user(Role::Viewer, Some(TokenScope::Write)).may(Permission::Deploy));
        assert!(!user(Role::Admin, Some(TokenScope::Deploy)).may(Permission::Edit));
        assert!(user(Role::Admin, Some(TokenScope::Read)).may(Permission::Read));
    }
}

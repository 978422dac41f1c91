//! Who may sign in with GitHub, and as what: `user:alice=admin`, `org:acme=deployer`.
//! GitHub logins are compared without regard to case, as GitHub does; of all the rules
//! that match, the highest role wins.

use std::fmt;
use std::str::FromStr;

use nsm_core::access::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    User(String),
    Org(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowRule {
    pub subject: Subject,
    pub role: Role,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{0:?}: write user:LOGIN=ROLE or org:LOGIN=ROLE (ROLE is admin, deployer or viewer)")]
    Shape(String),
    #[error("{0:?}: a GitHub login has 1 to 100 letters, digits, '-', '_' or '.'")]
    Login(String),
    #[error("{0:?}: the role is admin, deployer or viewer")]
    Role(String),
}

fn valid_login(login: &str) -> bool {
    !login.is_empty() && login.len() <= 100 && login.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

impl FromStr for AllowRule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let shape = || RuleError::Shape(text.to_owned());
        let (subject, role) = text.split_once('=').ok_or_else(shape)?;
        let (kind, login) = subject.trim().split_once(':').ok_or_else(shape)?;
        let login = login.trim();
        if !valid_login(login) {
            return Err(RuleError::Login(text.to_owned()));
        }
        let subject = match kind.trim().to_ascii_lowercase().as_str() {
            "user" => Subject::User(login.to_owned()),
            "org" => Subject::Org(login.to_owned()),
            _ => return Err(shape()),
        };
        let role = Role::parse(&role.trim().to_ascii_lowercase()).ok_or_else(|| RuleError::Role(text.to_owned()))?;
        Ok(Self { subject, role })
    }
}

impl fmt::Display for AllowRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.subject {
            Subject::User(login) => write!(f, "user:{login}={}", self.role),
            Subject::Org(login) => write!(f, "org:{login}={}", self.role),
        }
    }
}

/// Rules, one per line or comma-separated; blank lines are skipped. Every bad rule is
/// reported.
pub fn parse_list(text: &str) -> Result<Vec<AllowRule>, Vec<RuleError>> {
    let (rules, errors): (Vec<_>, Vec<_>) = text
        .split(['\n', ','])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(AllowRule::from_str)
        .partition(Result::is_ok);
    if errors.is_empty() {
        Ok(rules.into_iter().filter_map(Result::ok).collect())
    } else {
        Err(errors.into_iter().filter_map(Result::err).collect())
    }
}

fn rank(role: Role) -> u8 {
    match role {
        Role::Viewer => 0,
        Role::Deployer => 1,
        Role::Admin => 2,
    }
}

/// The role GitHub user `login`, a member of `orgs`, signs in with; `None`: refused.
pub fn role_for(rules: &[AllowRule], login: &str, orgs: &[String]) -> Option<Role> {
    rules
        .iter()
        .filter(|rule| match &rule.subject {
            Subject::User(user) => user.eq_ignore_ascii_case(login),
            Subject::Org(org) => orgs.iter().any(|o| o.eq_ignore_ascii_case(org)),
        })
        .map(|rule| rule.role)
        .max_by_key(|role| rank(*role))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_parse_and_print_back() {
        let rules = parse_list("user:alice=admin\n org:Acme = deployer ,\n\nORG:ops=viewer").expect("valid");
        assert_eq!(rules.len(), 3);
        assert_eq!(rules[0].to_string(), "user:alice=admin");
        assert_eq!(rules[1], AllowRule { subject: Subject::Org("Acme".into()), role: Role::Deployer });
        assert_eq!(rules[2].to_string(), "org:ops=viewer");
        let errors = parse_list("alice=admin\nuser:bob=root\nuser:b@d=viewer\nuser:ok=admin").expect_err("bad ones");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(matches!(errors[1], RuleError::Role(_)) && matches!(errors[2], RuleError::Login(_)));
        assert_eq!(parse_list("").expect("empty is valid"), vec![]);
    }

    #[test]
    fn the_highest_matching_role_wins_and_case_does_not_matter() {
        let rules = parse_list("org:acme=deployer, user:Alice=viewer, org:admins=admin").expect("valid");
        let orgs = |o: &[&str]| o.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(role_for(&rules, "alice", &[]), Some(Role::Viewer));
        assert_eq!(role_for(&rules, "ALICE", &orgs(&["ACME"])), Some(Role::Deployer));
        assert_eq!(role_for(&rules, "bob", &orgs(&["acme", "admins"])), Some(Role::Admin));
        assert_eq!(role_for(&rules, "mallory", &orgs(&["evil"])), None);
        assert_eq!(role_for(&[], "alice", &[]), None, "no rules: nobody");
    }
}

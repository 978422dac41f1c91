//! API tokens: `nsm_<id>_<secret>`. The id finds the row, the secret is compared with
//! its stored digest in constant time, so a token is never looked up by its secret.

use subtle::ConstantTimeEq;

use super::token;

pub const PREFIX: &str = "nsm_";

/// A token as presented in `Authorization: Bearer …`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented<'a> {
    pub id: i64,
    pub secret: &'a str,
}

/// `None` for anything that is not shaped like an API token (a deploy key, say).
pub fn parse(bearer: &str) -> Option<Presented<'_>> {
    let (id, secret) = bearer.strip_prefix(PREFIX)?.split_once('_')?;
    let id = id.parse().ok().filter(|id| *id > 0)?;
    (secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Presented { id, secret })
}

/// A new token for row `id`, and the digest to store.
pub fn issue(id: i64) -> (String, String) {
    let secret = token::generate();
    (format!("{PREFIX}{id}_{secret}"), token::digest(&secret))
}

/// The secret to store for a row whose id is not known yet; [`issue`] replaces it.
pub fn placeholder() -> String {
    token::digest(&token::generate())
}

pub fn matches(presented: &Presented<'_>, stored_digest: &str) -> bool {
    bool::from(token::digest(presented.secret).as_bytes().ct_eq(stored_digest.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_parse_and_match() {
        let (token, digest) = issue(42);
        let presented = parse(&token).expect("parses");
        assert_eq!(presented.id, 42);
        assert!(matches(&presented, &digest));
        let (other, _) = issue(42);
        assert!(!matches(&parse(&other).expect("parses"), &digest));
    }

    #[test]
    fn other_bearers_are_not_tokens() {
        assert_eq!(parse(&token::generate()), None, "a deploy key");
        assert_eq!(parse("nsm_0_aa"), None);
        assert_eq!(parse("nsm_x_abc"), None);
        assert_eq!(parse(&format!("nsm_1_{}", "g".repeat(64))), None);
        assert_eq!(parse(&format!("nsm_-1_{}", "a".repeat(64))), None);
    }
}

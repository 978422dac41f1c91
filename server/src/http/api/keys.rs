//! Credentials of the v1 API: deploy keys (bearer) and GitHub signatures.

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::auth::token;

/// The bearer token of an `Authorization: Bearer …` header.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

/// Compares a presented key with the stored hash in constant time.
pub fn key_matches(presented: &str, stored_hash: &str) -> bool {
    bool::from(token::digest(presented).as_bytes().ct_eq(stored_hash.as_bytes()))
}

/// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, checked in
/// constant time.
pub fn github_signature_valid(secret: &[u8], body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_documented_test_vector() {
        let secret = b"It's a Secret to Everybody";
        let body = b"Hello, World!";
        let good = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert!(github_signature_valid(secret, body, Some(good)));
        assert!(!github_signature_valid(secret, b"Hello, World?", Some(good)));
        assert!(!github_signature_valid(b"other", body, Some(good)));
        assert!(!github_signature_valid(secret, body, None));
        assert!(!github_signature_valid(secret, body, Some("sha1=abc")));
        assert!(!github_signature_valid(secret, body, Some("sha256=zz")));
    }

    #[test]
    fn bearer_keys() {
        let mut headers = HeaderMap::new();
        assert_eq!(bearer(&headers), None);
        headers.insert("authorization", "Bearer abc".parse().expect("header"));
        assert_eq!(bearer(&headers), Some("abc"));
        assert!(key_matches("abc", &token::digest("abc")));
        assert!(!key_matches("abd", &token::digest("abc")));
    }
}

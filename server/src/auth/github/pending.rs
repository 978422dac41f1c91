//! Sign-ins on their way through GitHub: each `state` sent to GitHub names one, which
//! holds the PKCE verifier and the redirect URI it was started with and is bound to
//! the browser that started it (a cookie whose digest it keeps). A state is used once,
//! within ten minutes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::auth::token;

/// How long GitHub's page may take.
pub const LIFETIME: Duration = Duration::from_secs(600);
/// Bounds what a flood of started sign-ins can hold.
const MAX_PENDING: usize = 10_000;

/// A sign-in just started: what goes to GitHub and to the browser.
#[derive(Debug, Clone)]
pub struct Started {
    pub state: String,
    /// `BASE64URL(SHA-256(verifier))`, sent as `code_challenge` (method S256).
    pub challenge: String,
    /// The cookie value that binds the state to this browser.
    pub binding: String,
}

/// What the callback needs to finish a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resumed {
    pub verifier: String,
    pub redirect_uri: String,
}

#[derive(Debug)]
struct Entry {
    verifier: String,
    binding_digest: String,
    redirect_uri: String,
    at: Instant,
}

#[derive(Debug, Default)]
pub struct PendingSignIns {
    entries: Mutex<HashMap<String, Entry>>,
}

/// 32 random bytes, base64url: a PKCE verifier of 43 characters.
fn verifier() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

impl PendingSignIns {
    pub fn start(&self, redirect_uri: &str) -> Started {
        let (state, binding, verifier) = (token::generate(), token::generate(), verifier());
        let started = Started { state: state.clone(), challenge: challenge(&verifier), binding: binding.clone() };
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries.retain(|_, e| now.duration_since(e.at) < LIFETIME);
        if entries.len() >= MAX_PENDING {
            let oldest = entries.iter().min_by_key(|(_, e)| e.at).map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                entries.remove(&oldest);
            }
        }
        let entry =
            Entry { verifier, binding_digest: token::digest(&binding), redirect_uri: redirect_uri.to_owned(), at: now };
        entries.insert(state, entry);
        started
    }

    /// Takes the sign-in `state` names, if it is live and `binding` (the browser's
    /// cookie) is the one it was started with. A state is gone after one try, whatever
    /// the outcome.
    pub fn resume(&self, state: &str, binding: Option<&str>) -> Option<Resumed> {
        let entry = self.entries.lock().unwrap_or_else(|p| p.into_inner()).remove(state)?;
        let bound =
            binding.is_some_and(|b| bool::from(token::digest(b).as_bytes().ct_eq(entry.binding_digest.as_bytes())));
        (bound && entry.at.elapsed() < LIFETIME)
            .then_some(Resumed { verifier: entry.verifier, redirect_uri: entry.redirect_uri })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_resumes_once_and_only_in_its_browser() {
        let pending = PendingSignIns::default();
        let started = pending.start("http://nsm/auth/github/callback");
        let resumed = pending.resume(&started.state, Some(&started.binding)).expect("resumes");
        assert_eq!(challenge(&resumed.verifier), started.challenge);
        assert_eq!(resumed.verifier.len(), 43);
        assert_eq!(resumed.redirect_uri, "http://nsm/auth/github/callback");
        assert_eq!(pending.resume(&started.state, Some(&started.binding)), None, "used once");

        let other = pending.start("http://nsm/auth/github/callback");
        assert_eq!(pending.resume(&other.state, Some("another browser")), None);
        assert_eq!(pending.resume(&other.state, Some(&other.binding)), None, "a failed try spends it");
        let third = pending.start("x");
        assert_eq!(pending.resume(&third.state, None), None, "no cookie");
        assert_eq!(pending.resume("made-up", Some(&third.binding)), None);
    }

    #[test]
    fn the_challenge_is_rfc_7636s() {
        // RFC 7636, appendix B.
        assert_eq!(
            challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }
}

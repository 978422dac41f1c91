//! What every published name gets, whatever its project: the TLS settings of the
//! managed edge, its worker limits, and HSTS.
//!
//! HSTS (`Strict-Transport-Security`) tells a browser to use only HTTPS for the name
//! for a year. It is a per-domain switch, on by default, and is sent only once the
//! hostname's certificate was issued by a CA: a browser that learnt it over the
//! self-signed placeholder would refuse the name outright (there is no click-through
//! under HSTS) until a real certificate arrives. `includeSubDomains` is left out: a
//! subdomain may be another project's, or not served over HTTPS at all.
//!
//! nginx's `add_header` is all-or-nothing per level: a location with any `add_header`
//! of its own inherits none from its server. So a location that adds headers repeats
//! the HSTS header ([`adds_headers`] finds a Custom body's own).

use crate::nginx_lexer::{tokenize, Token};

/// TLS 1.2 and 1.3 only.
pub const SSL_PROTOCOLS: &str = "TLSv1.2 TLSv1.3";

/// TLS 1.2 suites: forward secret and authenticated (AEAD) only, Mozilla's
/// "intermediate" list without the DHE ones (nginx has no DH parameters unless given,
/// so they could not be negotiated anyway). TLS 1.3 has only such suites.
pub const SSL_CIPHERS: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:\
ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/// Connections per nginx worker process.
pub const WORKER_CONNECTIONS: u32 = 4096;

/// Open files per nginx worker: a proxied connection holds two, and Static Pages'
/// files and the logs need some more.
pub const WORKER_RLIMIT_NOFILE: u32 = 2 * WORKER_CONNECTIONS + 2048;

/// One year, what browsers' preload lists ask for.
pub const HSTS_MAX_AGE_SECS: u64 = 31_536_000;

/// The directive that sends HSTS, on every response (`always`: errors too).
pub fn hsts_header() -> String {
    format!("add_header Strict-Transport-Security \"max-age={HSTS_MAX_AGE_SECS}\" always;")
}

/// Open file descriptors and `stat` results cached by a location that uses
/// `try_files` (a Static Page's SPA fallback, which may look up three paths per
/// request). Entries are checked again every second, so a file a deployment replaced
/// is served new within one.
pub const OPEN_FILE_CACHE: [&str; 2] = ["open_file_cache max=1000 inactive=20s;", "open_file_cache_valid 1s;"];

/// Whether a Custom body has an `add_header` of its own at its top level (so the
/// location would drop the server's headers). Nested blocks are the admin's: a
/// nested block with its own `add_header` must repeat the ones it needs. A body that
/// does not lex says no; the renderer refuses it anyway.
pub fn adds_headers(body: &str) -> bool {
    let Ok(tokens) = tokenize(body) else { return false };
    let (mut depth, mut first) = (0_usize, true);
    for token in &tokens {
        match token {
            Token::Word(word) => {
                if first && depth == 0 && word == "add_header" {
                    return true;
                }
                first = false;
            }
            Token::End => first = true,
            Token::Open => {
                depth += 1;
                first = true;
            }
            Token::Close(_) => {
                depth = depth.saturating_sub(1);
                first = true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workers_may_open_twice_their_connections() {
        // What gixy's worker_rlimit_nofile_vs_connections asks, and then some.
        const { assert!(WORKER_RLIMIT_NOFILE >= 2 * WORKER_CONNECTIONS) };
    }

    #[test]
    fn ciphers_are_forward_secret_aead_only() {
        let suites: Vec<&str> = SSL_CIPHERS.split(':').collect();
        assert_eq!(suites.len(), 6, "{SSL_CIPHERS}");
        for suite in suites {
            assert!(suite.starts_with("ECDHE-"), "{suite}");
            assert!(suite.ends_with("-GCM-SHA256") || suite.ends_with("-GCM-SHA384") || suite.ends_with("-POLY1305"));
            assert!(!suite.contains(char::is_whitespace), "{suite}");
        }
        assert_eq!(SSL_PROTOCOLS, "TLSv1.2 TLSv1.3");
    }

    #[test]
    fn hsts_lasts_a_year_without_subdomains() {
        assert_eq!(hsts_header(), "add_header Strict-Transport-Security \"max-age=31536000\" always;");
    }

    #[test]
    fn a_custom_body_s_own_headers_are_found_at_its_top_level_only() {
        assert!(adds_headers("add_header X-A 1;\nreturn 200;"));
        assert!(adds_headers("return 200;\n  add_header   X-A \"1; 2\" always;"));
        assert!(!adds_headers("return 200 \"add_header\";"));
        assert!(!adds_headers("proxy_set_header add_header 1;"));
        assert!(!adds_headers("# add_header X 1;\nreturn 204;"));
        assert!(!adds_headers("location /x {\n    add_header X-A 1;\n}\nreturn 204;"));
        assert!(adds_headers("location /x {\n    return 204;\n}\nadd_header X-A 1;"));
        assert!(!adds_headers("add_header \"unclosed;"));
    }
}

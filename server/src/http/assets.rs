//! The browser's files under `/pkg` and how long anything may be cached.
//!
//! `scripts/build-site.sh` names the WASM, JS and CSS after their content
//! (`nsm.<hash>.wasm`, listed in `hash.txt`) and writes brotli and gzip copies beside
//! them (`.br`, `.gz`). Such a file never changes under its name, so a browser keeps it
//! for a year without asking again; a name without a hash (a `cargo leptos watch`
//! build) is revalidated on every use instead. Pages say `no-cache` themselves
//! (`app::shell`), so a new build's names reach the browser at once.

use std::path::PathBuf;

use axum::extract::Request;
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use tower_http::services::ServeDir;

/// For a file whose name changes with its content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Stored, but checked with the server before each use (ETag / Last-Modified).
const REVALIDATE: &str = "no-cache";

/// Serves `dir`: the precompressed copy the request's `Accept-Encoding` allows (brotli
/// before gzip), else the file as it is, with the caching its name allows.
pub fn pkg(dir: PathBuf) -> Router {
    Router::new()
        .fallback_service(ServeDir::new(dir).precompressed_br().precompressed_gzip())
        .layer(axum::middleware::from_fn(cache_by_name))
}

async fn cache_by_name(request: Request, next: Next) -> Response {
    let immutable = is_content_named(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status().is_redirection() {
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, HeaderValue::from_static(if immutable { IMMUTABLE } else { REVALIDATE }));
        // One URL, several bodies: shared caches must key on the encoding asked for.
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Whether the file name carries a content hash: a part of at least 16 hex digits
/// between dots, as in `nsm.0123456789abcdef.wasm`.
fn is_content_named(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let mut parts = name.split('.');
    // The first part is the output name, the last the extension.
    parts.next();
    let mut middle: Vec<&str> = parts.collect();
    middle.pop();
    middle.iter().any(|part| part.len() >= 16 && part.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::is_content_named;

    #[test]
    fn only_names_with_a_content_hash_are_immutable() {
        assert!(is_content_named("/nsm.0123456789abcdef.wasm"));
        assert!(is_content_named("/nsm.0123456789ABCDEF0123.css"));
        assert!(!is_content_named("/nsm.css"));
        assert!(!is_content_named("/nsm_bg.wasm"));
        assert!(!is_content_named("/0123456789abcdef0123"));
        assert!(!is_content_named("/nsm.0123456789abcde.js"));
        assert!(!is_content_named("/nsm.0123456789abcdef"));
    }
}

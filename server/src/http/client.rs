//! What a request says about its client: whether a browser sent it from another site,
//! the client's address (through a trusted reverse proxy only), and the headers every
//! answer carries so no other site can frame the UI.

use std::net::IpAddr;

use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::response::Response;

/// The `scheme://host[:port]` of a URL, lower-cased: what a browser sends as `Origin`.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!scheme.is_empty() && !authority.is_empty()).then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// A state-changing request that a browser marks as coming from another site. With a
/// public URL set, the `Origin` must be exactly its origin (scheme included, so an
/// `http://` page cannot post to the `https://` UI); without one, its host must be the
/// `Host` the request was sent to.
pub fn is_cross_site(method: &Method, headers: &HeaderMap, public_origin: Option<&str>) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return true;
        }
    }
    match headers.get(header::ORIGIN).map(|v| v.to_str()) {
        // Non-browser clients (curl, CI) send no Origin and carry no ambient cookies.
        None => false,
        Some(Ok(origin)) => match public_origin {
            Some(public) => !origin.eq_ignore_ascii_case(public),
            None => {
                let origin_host = origin.split_once("://").map(|(_, rest)| rest);
                let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
                origin_host.is_none() || origin_host != host
            }
        },
        Some(Err(_)) => true,
    }
}

/// The client's address: the peer's, unless the peer is a trusted proxy; then the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy (entries to
/// its left are whatever the client claimed). Without trusted proxies the header is
/// ignored, so nobody can choose the address the sign-in throttle counts against.
pub fn client_addr(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for entry in forwarded.iter().rev() {
        match entry.parse::<IpAddr>() {
            Ok(addr) if trusted.contains(&addr) => continue,
            Ok(addr) => return addr,
            // A garbled hop: what is left of it cannot be trusted either.
            Err(_) => return peer,
        }
    }
    peer
}

/// Headers on every answer: the UI is never framed (clickjacking), content types are
/// not sniffed, and no URL leaks to other sites.
pub async fn security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static("frame-ancestors 'none'"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn cross_site_detection() {
        let same = headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]);
        assert!(!is_cross_site(&Method::POST, &same, None));
        let other = headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")]);
        assert!(is_cross_site(&Method::POST, &other, None));
        assert!(!is_cross_site(&Method::GET, &other, None), "reads are not refused");
        assert!(is_cross_site(&Method::POST, &headers(&[("host", "a"), ("origin", "null")]), None));
        assert!(is_cross_site(&Method::POST, &headers(&[("sec-fetch-site", "cross-site")]), None));
        assert!(is_cross_site(&Method::POST, &headers(&[("sec-fetch-site", "same-site")]), None));
        assert!(!is_cross_site(&Method::POST, &headers(&[("host", "a")]), None), "no Origin: not a browser");
    }

    #[test]
    fn a_public_url_fixes_the_origin_scheme_included() {
        let public = origin_of("https://NSM.example.com/some/path").expect("origin");
        assert_eq!(public, "https://nsm.example.com");
        let at = |origin: &'static str| headers(&[("host", "nsm.example.com"), ("origin", origin)]);
        assert!(!is_cross_site(&Method::POST, &at("https://nsm.example.com"), Some(&public)));
        assert!(is_cross_site(&Method::POST, &at("http://nsm.example.com"), Some(&public)), "plain http page");
        assert!(is_cross_site(&Method::POST, &at("https://nsm.example.com:8443"), Some(&public)));
        assert!(is_cross_site(&Method::POST, &at("https://evil.example"), Some(&public)));
        assert_eq!(origin_of("nsm.example.com"), None);
    }

    #[test]
    fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
        let proxy: IpAddr = [10, 0, 0, 1].into();
        let client: IpAddr = [203, 0, 113, 7].into();
        let forwarded = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7")]);
        assert_eq!(client_addr(proxy, &forwarded, &[]), proxy, "no trusted proxy: the header is ignored");
        assert_eq!(client_addr(client, &forwarded, &[proxy]), client, "not from the proxy: ignored");
        assert_eq!(client_addr(proxy, &forwarded, &[proxy]), client, "the right-most untrusted entry");
        let chained = headers(&[("x-forwarded-for", "1.2.3.4"), ("x-forwarded-for", "203.0.113.7, 10.0.0.2")]);
        assert_eq!(client_addr(proxy, &chained, &[proxy, [10, 0, 0, 2].into()]), client);
        assert_eq!(client_addr(proxy, &headers(&[("x-forwarded-for", "garbage")]), &[proxy]), proxy);
        assert_eq!(client_addr(proxy, &HeaderMap::new(), &[proxy]), proxy);
    }
}

//! Certificates chosen at handshake rather than when nginx reads its configuration.
//!
//! For every server with `ssl_certificate`, nginx builds a TLS context and parses the
//! certificate and key each time it reads its configuration: about a millisecond per
//! server, so a few thousand hostnames cost seconds on every `nginx -t` and again on
//! every reload. With [`ServerCertificates::AtHandshake`](super::ServerCertificates)
//! the project servers carry no certificate; a server without a TLS context of its own
//! leaves the handshake with the default server of its port, whose certificate is a
//! variable (nginx ≥ 1.15.9) evaluated on each handshake, after SNI chose the server.
//! `$server_name` is then the chosen server's name, and the map below turns it into
//! that hostname's file. Reading a configuration then costs the same for 3 or 3,000
//! certificates, and a replaced certificate file is served without a reload; the
//! price is reading the file on each full handshake (resumed sessions skip it).

use super::error::NginxError;
use super::text::absolute_path;

/// The variable the map defines: the certificate file (chain then key) of the server
/// nginx chose for the handshake.
pub const CERTIFICATE_VARIABLE: &str = "$nsm_certificate";

/// The `http`-level `map` naming each hostname's certificate file,
/// `<certs_dir>/<hostname file stem>.pem`
/// ([`Hostname::file_stem`](crate::domain::Hostname::file_stem): a wildcard's `*` is
/// written `_`). A handshake that chose no named server (no SNI, or a name no project
/// owns) gets `fallback`. Only names from `server_name` directives reach the map, never
/// the client's SNI text, so no request can point it at another file.
pub fn certificate_map(certs_dir: &str, fallback: &str) -> Result<String, NginxError> {
    let dir = absolute_path("certificate directory", certs_dir)?.trim_end_matches('/');
    let fallback = absolute_path("default certificate", fallback)?;
    Ok(format!(
        "map $server_name {CERTIFICATE_VARIABLE} {{\n\
         \x20   default {dir}/$server_name.pem;\n\
         \x20   \"\" {fallback};\n\
         \x20   ~^\\*(?<nsm_wildcard>.*)$ {dir}/_$nsm_wildcard.pem;\n\
         }}\n"
    ))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::domain::Hostname;

    #[test]
    fn the_map_names_the_files_certificates_are_written_to() {
        let map = certificate_map("/var/lib/nsm/edge/certs/", "/var/lib/nsm/edge/default.pem").unwrap();
        assert!(map.starts_with("map $server_name $nsm_certificate {\n"), "{map}");
        assert!(map.contains("    default /var/lib/nsm/edge/certs/$server_name.pem;\n"), "{map}");
        assert!(map.contains("    \"\" /var/lib/nsm/edge/default.pem;\n"), "{map}");
        assert!(map.contains("/var/lib/nsm/edge/certs/_$nsm_wildcard.pem;\n"), "{map}");
        // The wildcard entry rewrites exactly what file_stem rewrites.
        assert_eq!(Hostname::parse("*.example.com").unwrap().file_stem(), "_.example.com");
        assert_eq!(Hostname::parse("shop.example.com").unwrap().file_stem(), "shop.example.com");
    }

    #[test]
    fn unsafe_directories_are_refused() {
        for bad in ["relative", "/a b", "/a;b", "/a$b", "/a{"] {
            assert!(certificate_map(bad, "/d.pem").is_err(), "{bad}");
            assert!(certificate_map("/certs", bad).is_err(), "{bad}");
        }
    }
}

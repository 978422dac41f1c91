//! Certificate files: the self-signed placeholder nginx loads until ACME succeeds,
//! atomic replacement, and what a certificate says (issuer, expiry).

use std::io::Write;
use std::path::Path;

use x509_parser::pem::Pem;

/// The issuer (and subject) of NSM's placeholders, so they are recognised as such.
pub const PLACEHOLDER_ISSUER: &str = "NSM self-signed placeholder";

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("cannot make a certificate: {0}")]
    Generate(#[from] rcgen::Error),
    #[error("cannot write {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("the certificate cannot be read: {0}")]
    Parse(String),
}

/// The user nginx's workers run as when it is not NSM's own. Certificates are read
/// by the workers at handshake (see `nsm_core::edge::certificate_map`), so their
/// files belong to that user; still mode 0600, and the workers hold the keys they
/// serve in memory anyway.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reader {
    pub uid: u32,
    pub gid: u32,
}

/// What the Domains tab and the renewal task need to know about a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub issuer: String,
    pub not_after: chrono::DateTime<chrono::Utc>,
    pub self_signed: bool,
}

/// A self-signed certificate and its key for `names`, as one PEM (chain, then key).
pub fn self_signed_pem(names: &[String]) -> Result<String, CertError> {
    let mut params = rcgen::CertificateParams::new(names.to_vec())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, PLACEHOLDER_ISSUER);
    let now = chrono::Utc::now();
    params.not_before = rcgen::date_time_ymd(2020, 1, 1);
    // Ten years: a placeholder must never be the reason nginx refuses to load.
    let end = now + chrono::Duration::days(3650);
    params.not_after = rcgen::date_time_ymd(chrono::Datelike::year(&end), 1, 1);
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    Ok(format!("{}{}", cert.pem(), key.serialize_pem()))
}

/// A new private key (PEM) and the CSR (DER) asking a CA to certify it for `name`.
pub fn new_key_and_csr(name: &str) -> Result<(String, Vec<u8>), CertError> {
    let key = rcgen::KeyPair::generate()?;
    let mut params = rcgen::CertificateParams::new(vec![name.to_owned()])?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    let csr = params.serialize_request(&key)?;
    Ok((key.serialize_pem(), csr.der().to_vec()))
}

impl CertInfo {
    /// What the control plane records of a hostname's certificate.
    pub fn fact(self, hostname: &nsm_core::domain::Hostname) -> nsm_core::protocol::CertificateFact {
        nsm_core::protocol::CertificateFact {
            hostname: hostname.clone(),
            issuer: self.issuer,
            not_after: self.not_after.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            self_signed: self.self_signed,
        }
    }
}

/// Writes a placeholder for `name` (a hostname, possibly a wildcard) unless a
/// certificate file exists. Returns whether it wrote one. An existing file is handed
/// to `reader` (it may predate the setting, or an upgrade).
pub fn ensure_placeholder(path: &Path, name: &str, reader: Option<Reader>) -> Result<bool, CertError> {
    if path.exists() {
        if let Some(reader) = reader {
            std::os::unix::fs::chown(path, Some(reader.uid), Some(reader.gid))
                .map_err(|source| CertError::Write { path: path.display().to_string(), source })?;
        }
        return Ok(false);
    }
    let pem = self_signed_pem(&[name.to_owned()])?;
    write_certificate(path, pem.as_bytes(), reader)?;
    Ok(true)
}

/// Writes a file readable by its owner only (it holds a private key) beside the
/// target, then renames it over the target: readers see the old or the new file,
/// never half of one.
pub fn write_private(path: &Path, contents: &[u8]) -> Result<(), CertError> {
    write_certificate(path, contents, None)
}

/// [`write_private`] for a certificate file, owned by `reader` when given.
pub fn write_certificate(path: &Path, contents: &[u8], reader: Option<Reader>) -> Result<(), CertError> {
    let err = |source| CertError::Write { path: path.display().to_string(), source };
    let tmp = path.with_extension("pem.new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&tmp).map_err(err)?;
    if let Some(reader) = reader {
        std::os::unix::fs::fchown(&file, Some(reader.uid), Some(reader.gid)).map_err(err)?;
    }
    file.write_all(contents).map_err(err)?;
    file.sync_all().map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

/// The DER of the first certificate in a PEM file's text: the leaf nginx serves.
pub fn leaf_der(pem: &[u8]) -> Result<Vec<u8>, CertError> {
    for block in Pem::iter_from_buffer(pem) {
        let block = block.map_err(|e| CertError::Parse(e.to_string()))?;
        if block.label == "CERTIFICATE" {
            return Ok(block.contents);
        }
    }
    Err(CertError::Parse("no certificate in the file".into()))
}

/// Reads the first certificate of a PEM file.
pub fn read_info(path: &Path) -> Result<CertInfo, CertError> {
    let bytes = std::fs::read(path).map_err(|e| CertError::Parse(e.to_string()))?;
    info_of_pem(&bytes)
}

pub fn info_of_pem(bytes: &[u8]) -> Result<CertInfo, CertError> {
    for pem in Pem::iter_from_buffer(bytes) {
        let pem = pem.map_err(|e| CertError::Parse(e.to_string()))?;
        if pem.label != "CERTIFICATE" {
            continue;
        }
        let cert = pem.parse_x509().map_err(|e| CertError::Parse(e.to_string()))?;
        let issuer = cert
            .issuer()
            .iter_common_name()
            .next()
            .and_then(|cn| cn.as_str().ok())
            .map(str::to_owned)
            .unwrap_or_else(|| cert.issuer().to_string());
        let not_after = chrono::DateTime::from_timestamp(cert.validity().not_after.timestamp(), 0)
            .ok_or_else(|| CertError::Parse("expiry out of range".into()))?;
        let self_signed = cert.issuer() == cert.subject();
        return Ok(CertInfo { issuer, not_after, self_signed });
    }
    Err(CertError::Parse("no certificate in the file".into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn placeholders_are_recognised_and_long_lived() {
        let pem = self_signed_pem(&["*.example.com".into()]).unwrap();
        assert!(pem.contains("BEGIN CERTIFICATE") && pem.contains("PRIVATE KEY"));
        let info = info_of_pem(pem.as_bytes()).unwrap();
        assert_eq!(info.issuer, PLACEHOLDER_ISSUER);
        assert!(info.self_signed);
        assert!(info.not_after > chrono::Utc::now() + chrono::Duration::days(365 * 5));
    }

    #[test]
    fn files_are_private_and_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.example.pem");
        assert!(ensure_placeholder(&path, "a.example", None).unwrap());
        assert!(!ensure_placeholder(&path, "a.example", None).unwrap());
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        let pem = std::fs::read(&path).unwrap();
        assert!(leaf_der(&pem).is_ok_and(|der| !der.is_empty()));
        write_private(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert!(!path.with_extension("pem.new").exists());
        assert!(leaf_der(b"new").is_err());

        // Handing a file to a reader: our own ids always work, as root or not.
        let me = Reader { uid: nix::unistd::geteuid().as_raw(), gid: nix::unistd::getegid().as_raw() };
        write_certificate(&path, b"mine", Some(me)).unwrap();
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!((meta.uid(), meta.gid(), meta.permissions().mode() & 0o777), (me.uid, me.gid, 0o600));
    }
}

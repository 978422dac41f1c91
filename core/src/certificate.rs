//! A hostname's certificate as the edge has it.

crate::text_enum!(
    pub enum CertificateStatus {
        /// Not published yet: nginx serves nothing for the hostname.
        None = "none",
        /// The placeholder nginx serves until a certificate is issued.
        SelfSigned = "self_signed",
        Valid = "valid",
        /// Renewal is due.
        Expiring = "expiring",
        Expired = "expired",
    }
);

// Written out: `text_enum!` derives a fixed set, and Default is not in it.
#[allow(clippy::derivable_impls)]
impl Default for CertificateStatus {
    fn default() -> Self {
        Self::None
    }
}

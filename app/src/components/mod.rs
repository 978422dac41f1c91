//! Building blocks shared by the pages.

mod field;
mod states;

pub use field::{Field, SelectField};
pub use states::{ErrorBanner, Loading, PageHeader};

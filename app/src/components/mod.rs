//! Building blocks shared by the pages.

mod field;
mod poll;
mod states;

pub use field::{Field, SelectField};
pub use poll::use_ticker;
pub use states::{ErrorBanner, Loading, PageHeader};

//! Building blocks shared by the pages.

mod field;
mod live;
mod states;

pub use field::{Field, SelectField};
pub use live::{about_project, provide_live, use_live};
pub use states::{ErrorBanner, Loading, PageHeader};

//! Building blocks shared by the pages.

mod field;
mod health;
mod live;
mod states;

pub use field::{Field, SelectField};
pub use health::{changes_health, HealthBadge};
pub use live::{about_project, provide_live, use_live};
pub use states::{ErrorBanner, Loading, PageHeader};

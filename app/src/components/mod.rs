//! Building blocks shared by the pages.

mod clock;
mod field;
mod health;
mod live;
mod me;
mod sparkline;
mod states;
mod timeline;

pub use clock::{provide_clock, use_clock};
pub use field::{Field, SelectField};
pub use health::{changes_health, HealthBadge};
pub use live::{about_project, provide_live, use_live};
pub use me::{provide_me, Allowed, Me};
pub use sparkline::Sparkline;
pub use states::{ErrorBanner, Loading, PageHeader};
pub use timeline::{DayHeatmap, VerdictTimeline};

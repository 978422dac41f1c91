//! A compose service: the state it is expected to be in, what Docker reports of its
//! containers, and the verdict comparing the two (with why, and drift since the last
//! deployment).

mod assess;
mod health;
mod history;
mod observation;
mod state;

pub use assess::{assess, verdict, Assessment, Finding, Verdict};
pub use health::ServiceHealth;
pub use history::{day_cells, mismatches, timeline, DayCell, Segment, StateChange, DAY_MS};
pub use observation::{ContainerObservation, Deployed, Observed};
pub use state::{ContainerHealth, ServiceState};

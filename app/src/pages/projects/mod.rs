pub mod detail;
mod form;
pub mod general;
pub mod list;
pub mod new;

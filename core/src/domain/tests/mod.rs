mod custom;
mod forms;
mod names;
mod topology;

mod forms;
mod names;
mod topology;

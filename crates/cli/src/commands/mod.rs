//! One module per subcommand.

pub mod args;
pub mod cancel;
pub mod compare;
pub mod completions;
pub mod cost;
pub mod demo_fred;
pub mod doctor;
pub mod estimate;
pub mod infra;
pub mod job_size;
pub mod logs;
pub mod profile;
pub mod register;
pub mod report;
pub mod results;
pub mod results_table;
pub mod resume;
pub mod run;
pub mod serve;
pub mod status;
pub mod supervised;
pub mod users;
pub mod which_run;
pub mod worker;

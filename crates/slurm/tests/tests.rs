//! Tests against a real single-node Slurm cluster (`scripts/test` starts it).

mod support;

mod cancel;
mod doctor;
mod interruptions;
mod limits;
mod states;
mod submit;

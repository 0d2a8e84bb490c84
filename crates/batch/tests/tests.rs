//! Integration tests of the AWS Batch backend against a moto server (`FREDBATCH_TEST_MOTO_URL`).
//! They fail, never skip, when the server is missing.

mod support;

mod cancel;
mod definition;
mod describe;
mod doctor;
mod fallback;
mod growth;
mod logs;
mod submit;
mod supervised;
mod throttling;

//! Spot interruptions played in front of moto, whose Docker-less Batch ends every job at once
//! with success: a proxy rule rewrites DescribeJobs answers so that the chosen runs' jobs on the
//! Spot queue ended FAILED, each attempt ended by `Host EC2 (instance i-...) terminated.` as AWS
//! reports a reclaimed Spot instance, and so that jobs on the fallback queue stay RUNNING until
//! the test lets them end (as moto ended them).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};

use super::proxy::{Action, Rule};

/// The status reason AWS gives an attempt whose Spot instance was reclaimed.
pub const SPOT_RECLAIMED: &str = "Host EC2 (instance i-0f1e2d3c4b5a69788) terminated.";

pub struct Interruptions {
    /// The Spot queue's name (its ARN ends with `/<name>`).
    pub spot_queue: String,
    /// The fallback queue's name.
    pub fallback_queue: String,
    /// Whether the job of run number N on Spot is interrupted.
    pub interrupted: Box<dyn Fn(u32) -> bool + Send + Sync>,
    /// Attempts each interrupted Spot job shows (its retry strategy's; moto does not keep it).
    pub spot_attempts: u32,
    /// Until set, jobs on the fallback queue are shown RUNNING.
    pub fallback_done: Arc<AtomicBool>,
}

impl Interruptions {
    /// The proxy rule playing these interruptions.
    pub fn rule(self) -> Rule {
        let this = Arc::new(self);
        Box::new(move |seen, _| {
            if seen.operation != "DescribeJobs" {
                return Action::Forward;
            }
            let this = this.clone();
            Action::Rewrite(Box::new(move |answer: &mut Value| {
                for job in answer["jobs"].as_array_mut().into_iter().flatten() {
                    this.rewrite(job);
                }
            }))
        })
    }

    fn rewrite(&self, job: &mut Value) {
        let queue = job["jobQueue"].as_str().unwrap_or_default().to_owned();
        if queue.ends_with(&format!("/{}", self.fallback_queue)) {
            if !self.fallback_done.load(Ordering::SeqCst) {
                job["status"] = json!("RUNNING");
                job["attempts"] = json!([]);
                job.as_object_mut().unwrap().remove("stoppedAt");
            }
            return;
        }
        if !queue.ends_with(&format!("/{}", self.spot_queue)) {
            return;
        }
        let Some(number) = run_number(job) else {
            return;
        };
        if !(self.interrupted)(number) {
            return;
        }
        let allowed = self.spot_attempts;
        let started = job["startedAt"].as_i64().unwrap_or(1_700_000_000_000);
        let attempts: Vec<Value> = (0..allowed)
            .map(|i| {
                json!({
                    "startedAt": started + i as i64 * 1000,
                    "stoppedAt": started + i as i64 * 1000 + 500,
                    "statusReason": SPOT_RECLAIMED,
                    "container": { "logStreamName": format!("fred/default/spot-{i}") },
                })
            })
            .collect();
        job["status"] = json!("FAILED");
        job["statusReason"] = json!(SPOT_RECLAIMED);
        job["attempts"] = Value::Array(attempts);
        // The latest attempt's stream, as AWS shows a job that ended.
        job["container"] = json!({ "logStreamName": format!("fred/default/spot-{}", allowed - 1) });
    }
}

/// The run number a Spot job holds: from its name (`fred-job-J-run-N`) or, for an array
/// child (`fred-job-J-runs-F-L`, id `<parent>:<i>`), `F + i`.
fn run_number(job: &Value) -> Option<u32> {
    let name = job["jobName"].as_str()?;
    let id = job["jobId"].as_str()?;
    match fredbatch_core::backend_jobs::BackendJobName::parse(name)? {
        fredbatch_core::backend_jobs::BackendJobName::Run { run_number, .. } => Some(run_number),
        fredbatch_core::backend_jobs::BackendJobName::Array { runs, .. } => {
            let index: u32 = id.rsplit_once(':')?.1.parse().ok()?;
            runs.number_at(index)
        }
        _ => None,
    }
}

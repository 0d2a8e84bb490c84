//! `doctor` for Slurm: is the partition there and up, what state its nodes are in, and why a
//! job's runs are pending, grouped by Slurm's reason with what to do about each. Typed
//! findings; the CLI renders them.

use std::collections::BTreeMap;

use fredbatch_core::JobId;
use fredbatch_core::backend_jobs::job_prefix;
use serde::Serialize;

use crate::cluster::{self, Node};
use crate::error::SlurmError;
use crate::record::task_set_len;
use crate::runner::SlurmRunner;
use crate::snapshot::Snapshot;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub partition: PartitionCheck,
    /// The partition's nodes grouped by state (empty when the partition does not exist).
    pub nodes: Vec<NodeGroup>,
    /// The job's pending runs grouped by Slurm's reason, largest group first.
    pub pending: Vec<PendingGroup>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PartitionCheck {
    pub name: String,
    pub exists: bool,
    /// `UP`, `DOWN`, `DRAIN`, `INACTIVE`; empty when it does not exist.
    pub state: String,
    /// What is wrong, and what to do; `None` when the partition takes and starts jobs.
    pub problem: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Idle,
    Mixed,
    Allocated,
    /// Down, drained, failing, not responding: runs will not start there.
    Unavailable,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NodeGroup {
    pub kind: NodeKind,
    /// sinfo's own state word, e.g. `down*` (the `*` means slurmd does not answer).
    pub state: String,
    pub nodes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PendingGroup {
    pub reason: String,
    pub runs: usize,
    pub advice: String,
}

pub async fn doctor(runner: &SlurmRunner, job: Option<JobId>) -> Result<Report, SlurmError> {
    let partitions = cluster::partitions(&runner.slurm).await?;
    let wanted = runner.config.partition.clone();
    let found = match &wanted {
        Some(name) => partitions.iter().find(|p| &p.name == name),
        None => partitions.iter().find(|p| p.default),
    };
    let name = wanted
        .or_else(|| found.map(|p| p.name.clone()))
        .unwrap_or_default();
    let Some(partition) = found else {
        let problem = if name.is_empty() {
            "the cluster has no default partition: choose one (--partition; see `sinfo`)".into()
        } else {
            format!("no partition `{name}` in this cluster: choose one `sinfo` lists")
        };
        return Ok(Report {
            partition: PartitionCheck {
                name,
                exists: false,
                state: String::new(),
                problem: Some(problem),
            },
            nodes: Vec::new(),
            pending: Vec::new(),
        });
    };
    let nodes = group_nodes(&cluster::nodes(&runner.slurm, &partition.name).await?);
    let problem = match partition.state.as_str() {
        "UP" if nodes.iter().all(|g| g.kind == NodeKind::Unavailable) => Some(format!(
            "every node of partition {} is down or drained: runs wait until an administrator \
             resumes one (`scontrol update nodename=... state=resume`)",
            partition.name
        )),
        "UP" => None,
        "DOWN" | "INACTIVE" => Some(format!(
            "partition {} is {}: it accepts runs but starts none until an administrator sets it \
             UP; ask them, or choose another partition",
            partition.name, partition.state
        )),
        "DRAIN" => Some(format!(
            "partition {} is DRAIN: it refuses new runs; choose another partition",
            partition.name
        )),
        other => Some(format!("partition {} is {other}", partition.name)),
    };
    let pending = match job {
        Some(job) => pending_groups(
            &Snapshot::fetch(&runner.slurm, &runner.config.store_tag()).await?,
            job,
        ),
        None => Vec::new(),
    };
    Ok(Report {
        partition: PartitionCheck {
            name: partition.name.clone(),
            exists: true,
            state: partition.state.clone(),
            problem,
        },
        nodes,
        pending,
    })
}

fn node_kind(state: &str) -> NodeKind {
    let base = state.trim_end_matches(['*', '~', '#', '!', '%', '$', '@', '^', '-']);
    match base {
        "idle" => NodeKind::Idle,
        "mixed" => NodeKind::Mixed,
        "allocated" | "completing" => NodeKind::Allocated,
        "down" | "drained" | "draining" | "drain" | "fail" | "failing" | "inval"
        | "not_responding" | "unknown" | "future" | "maint" | "reboot_issued" | "powered_down" => {
            NodeKind::Unavailable
        }
        _ if state.ends_with('*') => NodeKind::Unavailable,
        _ => NodeKind::Other,
    }
}

pub fn group_nodes(nodes: &[Node]) -> Vec<NodeGroup> {
    let mut groups: BTreeMap<(NodeKind, String), Vec<String>> = BTreeMap::new();
    for node in nodes {
        groups
            .entry((node_kind(&node.state), node.state.clone()))
            .or_default()
            .push(node.name.clone());
    }
    groups
        .into_iter()
        .map(|((kind, state), nodes)| NodeGroup { kind, state, nodes })
        .collect()
}

/// The job's pending runs by reason (a pending array remainder counts each of its tasks).
pub fn pending_groups(snapshot: &Snapshot, job: JobId) -> Vec<PendingGroup> {
    let prefix = job_prefix(job);
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for record in &snapshot.jobs {
        if record.state != "PENDING" || !record.name.starts_with(&prefix) {
            continue;
        }
        let runs = record.pending_tasks.as_deref().map_or(1, task_set_len);
        *counts
            .entry(record.reason.clone().unwrap_or_else(|| "None".into()))
            .or_default() += runs;
    }
    let mut groups: Vec<PendingGroup> = counts
        .into_iter()
        .map(|(reason, runs)| PendingGroup {
            advice: advice(&reason).to_owned(),
            reason,
            runs,
        })
        .collect();
    groups.sort_by(|a, b| b.runs.cmp(&a.runs).then(a.reason.cmp(&b.reason)));
    groups
}

/// What to do about runs pending for `reason` (Slurm's reason codes, see `man squeue`).
pub fn advice(reason: &str) -> &'static str {
    match reason {
        "None" => "just submitted: Slurm's scheduler has not looked at these runs yet",
        "Resources" => {
            "waiting for CPUs or memory to free up: normal on a busy cluster; smaller --vcpus or \
             --memory fit into more gaps"
        }
        "Priority" => {
            "other jobs are ahead in the queue: normal; a partition or QOS with higher priority \
             starts sooner"
        }
        "JobArrayTaskLimit" => {
            "the array's task limit (%N) or the cluster's MaxArraySize throttle starts: normal"
        }
        "BeginTime" => "waiting for its start time (a requeued job waits about two minutes)",
        "Dependency" | "DependencyNeverSatisfied" => {
            "waiting on another job: check --slurm-arg dependencies; `NeverSatisfied` never starts, \
             cancel it"
        }
        "PartitionDown" | "PartitionInactive" => {
            "the partition is down: ask an administrator, or choose another --partition"
        }
        "PartitionConfig" | "PartitionNodeLimit" | "PartitionTimeLimit" => {
            "the run asks more than the partition allows (CPUs, memory or --timeout): lower them \
             or choose another --partition"
        }
        "ReqNodeNotAvail" | "NodeDown" => {
            "the nodes the run needs are down, drained or reserved: wait, or ask an administrator \
             (`sinfo -R` shows why)"
        }
        "Reservation" => "waiting for a reservation to start",
        "AssocGrpCpuLimit"
        | "AssocGrpMemLimit"
        | "AssocGrpJobsLimit"
        | "AssocMaxJobsLimit"
        | "AssocGrpCPUMinutesLimit"
        | "AssocGrpSubmitJobsLimit" => {
            "your account's limits are reached: runs start as earlier ones finish; ask for a \
             larger allocation or use another --account"
        }
        "InvalidAccount" | "InvalidQOS" => {
            "the account or QOS is not valid for you: check --account and --qos (`sacctmgr show \
             assoc user=$USER`)"
        }
        "launch failed requeued held" | "JobHeldAdmin" | "JobHeldUser" => {
            "held: `scontrol release <id>` (an administrator's hold needs them)"
        }
        qos if qos.starts_with("QOS") => {
            "a QOS limit (jobs, CPUs or memory per user or group) is reached: runs start as \
             earlier ones finish; a --qos with higher limits starts more at once"
        }
        _ => "see `man squeue` (JOB REASON CODES) for this reason",
    }
}

#[cfg(test)]
mod tests;

//! What the cluster says about itself: `scontrol show config` (the array size limit, the
//! job-completion log), `scontrol show partition -o` and `sinfo` (partitions, their nodes and
//! how large a run they can take).

use std::collections::HashMap;
use std::path::PathBuf;

use fredbatch_core::Resources;

use crate::error::SlurmError;
use crate::tools::{Slurm, Tool};

/// Slurm's default `MaxArraySize` (task indexes are 0 to MaxArraySize - 1).
pub const DEFAULT_MAX_ARRAY_SIZE: usize = 1001;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterConfig {
    pub max_array_size: usize,
    /// `JobCompLoc`, when `JobCompType` is `jobcomp/filetxt`.
    pub jobcomp_log: Option<PathBuf>,
}

/// Reads `scontrol show config`'s `Key = Value` lines.
pub fn parse_config(text: &str) -> ClusterConfig {
    let values: HashMap<&str, &str> = text
        .lines()
        .filter_map(|line| line.split_once(" = "))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect();
    let max_array_size = values
        .get("MaxArraySize")
        .and_then(|size| size.parse().ok())
        .filter(|&size| size > 0)
        .unwrap_or(DEFAULT_MAX_ARRAY_SIZE);
    let jobcomp_log = (values.get("JobCompType") == Some(&"jobcomp/filetxt"))
        .then(|| values.get("JobCompLoc").map(PathBuf::from))
        .flatten();
    ClusterConfig {
        max_array_size,
        jobcomp_log,
    }
}

pub async fn config(slurm: &Slurm) -> Result<ClusterConfig, SlurmError> {
    let text = slurm
        .run(Tool::Scontrol, &["show".into(), "config".into()])
        .await?;
    Ok(parse_config(&text))
}

/// One partition, from `scontrol show partition -o`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub name: String,
    pub default: bool,
    /// `UP`, `DOWN`, `DRAIN` or `INACTIVE`.
    pub state: String,
    pub max_cpus_per_node: Option<u32>,
    pub max_mem_per_node_mb: Option<u64>,
    pub max_time: Option<String>,
}

pub fn parse_partitions(text: &str) -> Vec<Partition> {
    text.lines()
        .filter_map(|line| {
            let field = |key: &str| {
                line.split_whitespace()
                    .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            };
            let limit = |key: &str| field(key).filter(|value| *value != "UNLIMITED");
            Some(Partition {
                name: field("PartitionName")?.to_owned(),
                default: field("Default") == Some("YES"),
                state: field("State").unwrap_or("UNKNOWN").to_owned(),
                max_cpus_per_node: limit("MaxCPUsPerNode").and_then(|v| v.parse().ok()),
                max_mem_per_node_mb: limit("MaxMemPerNode").and_then(|v| v.parse().ok()),
                max_time: limit("MaxTime").map(str::to_owned),
            })
        })
        .collect()
}

/// The partitions of the cluster.
pub async fn partitions(slurm: &Slurm) -> Result<Vec<Partition>, SlurmError> {
    let text = slurm
        .run(
            Tool::Scontrol,
            &["show".into(), "partition".into(), "-o".into()],
        )
        .await?;
    Ok(parse_partitions(&text))
}

/// `name`, or the default partition when `None`.
pub async fn partition(slurm: &Slurm, name: Option<&str>) -> Result<Partition, SlurmError> {
    let all = partitions(slurm).await?;
    match name {
        Some(name) => all
            .into_iter()
            .find(|p| p.name == name)
            .ok_or_else(|| SlurmError::NoPartition(name.to_owned())),
        None => all
            .into_iter()
            .find(|p| p.default)
            .ok_or(SlurmError::NoDefaultPartition),
    }
}

/// One node of a partition, from `sinfo -N`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub cpus: u32,
    pub memory_mb: u64,
    /// sinfo's long state: `idle`, `mixed`, `allocated`, `down*`, `drained`, ...
    pub state: String,
}

const NODE_FORMAT: &str = "%N|%c|%m|%T";

pub fn parse_nodes(text: &str) -> Vec<Node> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.trim().split('|');
            Some(Node {
                name: fields.next()?.to_owned(),
                cpus: fields.next()?.trim_end_matches('+').parse().ok()?,
                memory_mb: fields.next()?.trim_end_matches('+').parse().ok()?,
                state: fields.next()?.to_owned(),
            })
        })
        .collect()
}

pub async fn nodes(slurm: &Slurm, partition: &str) -> Result<Vec<Node>, SlurmError> {
    let args = ["-h", "-N", "-p", partition, "-o", NODE_FORMAT].map(str::to_owned);
    Ok(parse_nodes(&slurm.run(Tool::Sinfo, &args).await?))
}

/// The largest run one node of the partition can take (a run is one task on one node), or
/// `None` when the partition has no nodes.
pub fn largest_run(partition: &Partition, nodes: &[Node]) -> Option<Resources> {
    let cap_cpus = partition.max_cpus_per_node.unwrap_or(u32::MAX);
    let cap_memory = partition.max_mem_per_node_mb.unwrap_or(u64::MAX);
    nodes
        .iter()
        .map(|node| Resources {
            vcpus: node.cpus.min(cap_cpus),
            memory_mb: node.memory_mb.min(cap_memory),
        })
        .max_by_key(|size| (size.vcpus, size.memory_mb))
}

/// Whether some node of the partition can take `asked`.
pub fn fits(partition: &Partition, nodes: &[Node], asked: &Resources) -> bool {
    let cap = Resources {
        vcpus: partition.max_cpus_per_node.unwrap_or(u32::MAX),
        memory_mb: partition.max_mem_per_node_mb.unwrap_or(u64::MAX),
    };
    asked.fits_in(&cap)
        && nodes.iter().any(|node| {
            asked.fits_in(&Resources {
                vcpus: node.cpus,
                memory_mb: node.memory_mb,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_array_limit_and_the_completion_log() {
        let config = parse_config(
            "Configuration data as of 2026-12-01T20:31:00\nJobCompLoc              = /tmp/c/jobcomp.log\n\
             JobCompType             = jobcomp/filetxt\nMaxArraySize            = 1001\n",
        );
        assert_eq!(config.max_array_size, 1001);
        assert_eq!(
            config.jobcomp_log,
            Some(PathBuf::from("/tmp/c/jobcomp.log"))
        );
        let bare = parse_config("JobCompType             = jobcomp/none\n");
        assert_eq!(bare.max_array_size, DEFAULT_MAX_ARRAY_SIZE);
        assert_eq!(bare.jobcomp_log, None);
    }

    #[test]
    fn partition_limits_and_nodes_bound_the_largest_run() {
        let partitions = parse_partitions(
            "PartitionName=fredbatch AllowGroups=ALL Default=YES MaxCPUsPerNode=UNLIMITED \
             MaxTime=UNLIMITED Nodes=localhost State=UP MaxMemPerNode=UNLIMITED\n\
             PartitionName=small Default=NO MaxCPUsPerNode=4 MaxMemPerNode=1000 State=DOWN\n",
        );
        assert_eq!(partitions.len(), 2);
        assert!(partitions[0].default);
        assert_eq!(partitions[0].max_cpus_per_node, None);
        assert_eq!(partitions[1].state, "DOWN");
        let nodes = parse_nodes("localhost|16|24105|idle\nbig|64|512000|down*\n");
        assert_eq!(nodes[1].state, "down*");
        assert_eq!(
            largest_run(&partitions[0], &nodes),
            Some(Resources {
                vcpus: 64,
                memory_mb: 512000
            })
        );
        assert_eq!(
            largest_run(&partitions[1], &nodes),
            Some(Resources {
                vcpus: 4,
                memory_mb: 1000
            })
        );
        let asked = Resources {
            vcpus: 17,
            memory_mb: 100,
        };
        assert!(fits(&partitions[0], &nodes, &asked));
        assert!(!fits(&partitions[0], &nodes[..1], &asked));
        assert!(!fits(&partitions[1], &nodes, &asked));
    }
}

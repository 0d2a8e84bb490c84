//! The size a new job's runs start with: given (`--vcpus`/`--memory`), learned from the
//! measured runs of earlier jobs of the same model, or, without any, the backend's default
//! while a first wave of runs is measured (see `fredbatch_core::sizing`).

use fredbatch_core::model::Measurements;
use fredbatch_core::sizing::{
    FIRST_WAVE_RUNS, HISTORY_RUNS, LearnedFrom, MEMORY_HEADROOM, fit, size_key,
};
use fredbatch_core::{BackendKind, Resources, SizeOrigin};
use fredbatch_store::Store;

use crate::commands::args::RunResourceArgs;
use crate::commands::register::Prepared;

/// A new job's size, how it was found, and what it was found from.
pub struct JobSize {
    pub resources: Resources,
    pub origin: SizeOrigin,
    /// The model's size key (see [`fredbatch_core::Job::size_key`]).
    pub key: String,
    /// The measured runs of earlier jobs of the model, most recent first.
    pub history: Vec<Measurements>,
}

/// Decides the size of `prepared`'s runs on a `kind` backend: flags win; else the model's
/// history in `store` (none without a store yet); else the default while the first wave
/// measures.
pub async fn decide(
    flags: &RunResourceArgs,
    kind: BackendKind,
    prepared: &Prepared<'_>,
    store: Option<&Store>,
) -> anyhow::Result<JobSize> {
    let key = prepared.size_key();
    let history = match store {
        Some(store) => store.measured_history(&key, None, HISTORY_RUNS).await?,
        None => Vec::new(),
    };
    let default = flags.resources(kind);
    let (resources, origin) = if flags.vcpus.is_some() || flags.memory.is_some() {
        (default, SizeOrigin::Given)
    } else if let Some(fit) = fit(&history, MEMORY_HEADROOM) {
        (
            fit.resources,
            SizeOrigin::Learned {
                from: LearnedFrom::History,
                fit,
            },
        )
    } else {
        let wave = FIRST_WAVE_RUNS.min(prepared.run_count());
        (default, SizeOrigin::Measuring { wave })
    };
    Ok(JobSize {
        resources,
        origin,
        key,
        history,
    })
}

impl Prepared<'_> {
    /// The model's size key: its files and the population any configuration loads.
    pub fn size_key(&self) -> String {
        size_key(&self.packed.model_digest, self.overrides())
    }
}

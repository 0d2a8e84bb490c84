//! What can stop the supervisor, with the step it was taking.

use fredbatch_core::RunnerError;
use fredbatch_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{action} failed: {source}")]
    Backend {
        /// What the supervisor asked the backend, e.g. "submitting runs".
        action: &'static str,
        #[source]
        source: RunnerError,
    },
}

impl SupervisorError {
    pub(crate) fn backend(action: &'static str) -> impl FnOnce(RunnerError) -> SupervisorError {
        move |source| SupervisorError::Backend { action, source }
    }
}

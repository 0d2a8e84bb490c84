//! What can stop the supervisor, with the step it was taking.

use fredbatch_core::RunnerError;
use fredbatch_store::StoreError;

use crate::backend_check::WrongBackend;

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
    /// The job belongs to another backend than this supervisor's: nothing was done.
    #[error(transparent)]
    WrongBackend(#[from] WrongBackend),
}

impl SupervisorError {
    pub(crate) fn backend(action: &'static str) -> impl FnOnce(RunnerError) -> SupervisorError {
        move |source| SupervisorError::Backend { action, source }
    }
}
